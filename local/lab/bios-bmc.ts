// A Redfish BMC with BIOS settings for one small libvirt domain: sushy-tools' libvirt driver
// (the fake driver has no BIOS, sushy_tools/emulator/resources/systems/fakedriver.py) over a VM
// that is defined, powered off, with a small qcow2 disk and nothing bootable on it. What the
// firmware tests need and nothing of the full lab (local/lab/lab.ts): no agent images, no OS
// image, no IPMI. The driver keeps the BIOS attributes in the domain's XML metadata (<sushy:bios>)
// and rewrites the definition on a PATCH of /BIOS/Settings, whether the domain runs or not
// (sushy_tools/emulator/resources/systems/libvirtdriver.py _process_bios); its registry is
// sushy-tools' static BiosRegistry (templates/bios_registry.json: NumCores read-only, ProcTurboMode
// Enabled|Disabled, ...). A reboot Ironic asks for starts the VM under QEMU, where SeaBIOS finds
// nothing to boot; that is all a BIOS apply needs of it.
import { spawnSync } from "child_process";
import { randomBytes, randomUUID } from "crypto";
import * as fs from "fs";
import * as path from "path";
import type { Logger } from "../ironic";
import { findFreePort } from "../proc";
import { ensureBmcVenv } from "./bmc-venv";
import { renderDomainXml } from "./domain";
import { ensureLibvirtd, stopLabLibvirtd, virsh } from "./libvirtd";
import { randomMac } from "./lab";
import { ensureLibvirt } from "./packages";
import { startRedfish, stopRedfish } from "./redfish";

export interface BiosBmc {
    /** BareMetalHost bmc.address (redfish+http, the system's UUID). */
    address: string;
    username: string;
    password: string;
    uuid: string;
    mac: string;
    domain: string;
    disk: string;
    port: number;
    /** Stops the emulator, undefines the domain, and stops libvirtd if it started it (the state directory is the caller's). */
    stop(): Promise<void>;
}

/** The byte pattern written at the disk's start: still there after a change means the disk was not wiped. */
export const DISK_MARK = "0xab";
export const DISK_MARK_BYTES = "64k";

/** Checks the guest-visible disk still starts with the mark (read-only and shared: the VM may run). */
export function diskStillMarked(disk: string): boolean {
    const r = spawnSync("qemu-io", ["-r", "-U", "-f", "qcow2", "-c", `read -P ${DISK_MARK} 0 ${DISK_MARK_BYTES}`, disk], { encoding: "utf8" });
    return r.status === 0 && !/Pattern verification failed/i.test(`${r.stdout}${r.stderr}`);
}

export async function startBiosBmc(stateDir: string, name: string, log: Logger): Promise<BiosBmc> {
    fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    ensureLibvirt(log);
    const venv = ensureBmcVenv(log);
    await ensureLibvirtd(stateDir, log);
    try {
        return await defineAndServe(stateDir, name, venv, log);
    } catch (e) {
        // Nothing left running behind a failed start: the libvirtd this started (if it did) is stopped.
        await stopLabLibvirtd(stateDir, log);
        throw e;
    }
}

async function defineAndServe(stateDir: string, name: string, venv: ReturnType<typeof ensureBmcVenv>, log: Logger): Promise<BiosBmc> {
    const uuid = randomUUID();
    const mac = randomMac();
    const disk = path.join(stateDir, `${name}.qcow2`);
    const mk = spawnSync("qemu-img", ["create", "-q", "-f", "qcow2", disk, "64M"], { encoding: "utf8" });
    if (mk.status !== 0) throw new Error(`qemu-img create ${disk} failed: ${mk.stderr}`);
    const mark = spawnSync("qemu-io", ["-f", "qcow2", "-c", `write -P ${DISK_MARK} 0 ${DISK_MARK_BYTES}`, disk], { encoding: "utf8" });
    if (mark.status !== 0) throw new Error(`qemu-io write on ${disk} failed: ${mark.stderr}${mark.stdout}`);
    const xml = path.join(stateDir, `${name}.xml`);
    // TCG, small: the VM only ever runs SeaBIOS with nothing to boot.
    fs.writeFileSync(
        xml,
        renderDomainXml({
            name,
            uuid,
            mac,
            accel: "tcg",
            firmware: "bios",
            memoryMiB: 128,
            cpus: 1,
            disk,
            consoleLog: path.join(stateDir, `${name}.console.log`),
            agentPort: await findFreePort(9950),
        }),
    );
    // A libvirtd just started probes QEMU's capabilities first: the first define may time out.
    let def = virsh(["define", xml], 120_000);
    if (def.code !== 0) def = virsh(["define", xml], 120_000);
    if (def.code !== 0) throw new Error(`virsh define ${xml} failed: ${def.output || "no answer within 120 s"}`);
    const password = randomBytes(12).toString("base64url");
    const redfish = await startRedfish(stateDir, venv, [uuid], password, log);
    return {
        address: `redfish+http://127.0.0.1:${redfish.port}/redfish/v1/Systems/${uuid}`,
        username: "admin",
        password,
        uuid,
        mac,
        domain: name,
        disk,
        port: redfish.port,
        async stop() {
            await stopRedfish(stateDir);
            virsh(["destroy", name]);
            virsh(["undefine", name]);
            await stopLabLibvirtd(stateDir, log);
        },
    };
}

/** The BIOS attributes the BMC itself reports (GET /redfish/v1/Systems/<uuid>/BIOS), not Ironic's cache. */
export async function redfishBiosAttributes(bmc: Pick<BiosBmc, "port" | "uuid" | "username" | "password">): Promise<Record<string, unknown>> {
    const res = await fetch(`http://127.0.0.1:${bmc.port}/redfish/v1/Systems/${bmc.uuid}/BIOS`, {
        headers: { Authorization: `Basic ${Buffer.from(`${bmc.username}:${bmc.password}`).toString("base64")}` },
    });
    if (!res.ok) throw new Error(`GET BIOS of ${bmc.uuid}: HTTP ${res.status}`);
    return ((await res.json()) as { Attributes: Record<string, unknown> }).Attributes;
}
