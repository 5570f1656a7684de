// Debian packages the lab needs on this machine, installed through apt when missing (as the
// rest of local/ does): QEMU and its firmware, libvirt (sushy-tools' and virtualbmc's driver
// talks to it), and the tools the image builds use.

import * as fs from "fs";
import { ensureDebianPackages, Logger } from "../apt";

const stderrLogger: Logger = (line) => process.stderr.write(`[lab] ${line}\n`);

/** QEMU, SeaBIOS and OVMF (UEFI), qemu-img. */
export function ensureQemu(log: Logger = stderrLogger): void {
    ensureDebianPackages(
        {
            packages: ["qemu-system-x86", "qemu-utils", "ovmf"],
            commands: ["qemu-system-x86_64", "qemu-img"],
            extraCheck: () => fs.existsSync("/usr/share/OVMF/OVMF_CODE_4M.fd"),
            what: "QEMU",
        },
        log,
    );
}

/** libvirtd and virtlogd, and libvirt's headers and pkg-config (PyPI's libvirt-python compiles against them). */
export function ensureLibvirt(log: Logger = stderrLogger): void {
    ensureQemu(log);
    ensureDebianPackages(
        {
            packages: ["libvirt-daemon-system", "libvirt-daemon-driver-qemu", "libvirt-dev", "pkg-config", "gcc", "ipmitool"],
            commands: ["libvirtd", "virtlogd", "virsh", "pkg-config", "gcc", "ipmitool"],
            extraCheck: () => fs.existsSync("/usr/include/libvirt/libvirt.h"),
            what: "libvirt",
        },
        log,
    );
}

/** What build-agent.sh and build-os-image.sh run: debootstrap, cpio, xorriso + isolinux, syslinux + mtools, flock. */
export function ensureImageTools(log: Logger = stderrLogger): void {
    ensureQemu(log);
    ensureDebianPackages(
        {
            packages: ["debootstrap", "cpio", "xorriso", "isolinux", "syslinux", "syslinux-common", "mtools", "dosfstools", "e2fsprogs", "fdisk", "util-linux"],
            commands: ["debootstrap", "cpio", "xorriso", "syslinux", "mcopy", "mkfs.vfat", "mkfs.ext4", "sfdisk", "flock"],
            extraCheck: () => fs.existsSync("/usr/lib/ISOLINUX/isolinux.bin") && fs.existsSync("/usr/lib/syslinux/mbr/mbr.bin"),
            what: "image build tools",
        },
        log,
    );
}

/**
 * What the lab's Ironic runs on this machine: `mkisofs` (genisoimage) for the virtual-media ISOs
 * and config drives it builds (ironic/common/images.py), isolinux + syslinux's ldlinux.c32 (BIOS
 * ISOs), `qemu-img` (it converts the qcow2 to raw before serving it to the agent).
 */
export function ensureIronicLabTools(log: Logger = stderrLogger): void {
    ensureQemu(log);
    ensureDebianPackages(
        {
            packages: ["genisoimage", "isolinux", "syslinux-common"],
            commands: ["mkisofs"],
            extraCheck: () => fs.existsSync("/usr/lib/ISOLINUX/isolinux.bin") && fs.existsSync("/usr/lib/syslinux/modules/bios/ldlinux.c32"),
            what: "tools of the lab's Ironic",
        },
        log,
    );
}
