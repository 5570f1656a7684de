#!/usr/bin/env bash
# Builds the lab's OS image (run by local/lab/os-image.ts under a lock): a whole-disk qcow2 that
# boots in a BIOS VM and reads an OpenStack config drive, the kind Ironic writes after the image.
#   OUT/os.qcow2         MBR; partition 1 FAT (syslinux, Debian 12's kernel and initramfs),
#                        partition 2 ext4 "lab-root": a minimal Debian 12 (debootstrap) whose
#                        lab-config-drive.service mounts the partition labelled config-2, sets the
#                        hostname from openstack/latest/meta_data.json, prints it on the serial
#                        console and runs user_data when it is a script (#!)
#   OUT/os.qcow2.sha256  its sha256 (the checksum a Machine's image declares)
#   OUT/manifest.txt     inputs and Debian package versions
# usage: build-os-image.sh OUT      (root; needs debootstrap, syslinux, mtools, dosfstools, qemu-img)
set -euo pipefail
out=$1
here=$(cd "$(dirname "$0")" && pwd)
: "${LAB_DEB_CACHE:=$(dirname "$out")/debs}"
. "$here/rootfs.sh"

work=$(mktemp -d "$(dirname "$out")/.os-build.XXXXXX")
root=$work/root
cleanup() { lab_chroot_done; rm -rf "$work"; }
trap cleanup EXIT
t0=$(date +%s)
step() { echo "[os-build +$(( $(date +%s) - t0 ))s] $*"; }

step "debootstrap bookworm (minbase) into $root"
lab_debootstrap "$root" "systemd,systemd-sysv,udev,kmod,iproute2,linux-image-amd64,initramfs-tools,util-linux"

step "config-drive reader, networkd DHCP, serial console"
cat > "$root/usr/local/sbin/lab-config-drive" <<'SCRIPT'
#!/bin/sh
# Reads the OpenStack config drive (the partition or disc labelled config-2) as cloud-init would:
# hostname from openstack/latest/meta_data.json, then user_data run when it is a script.
say() { echo "lab-os: $*" > /dev/console; echo "lab-os: $*"; }
udevadm settle 2>/dev/null
dev=$(blkid -l -o device -t LABEL=config-2 2>/dev/null || true)
[ -n "$dev" ] || dev=$(blkid -l -o device -t LABEL=CONFIG-2 2>/dev/null || true)
if [ -z "$dev" ]; then say "no config drive (no device labelled config-2)"; exit 0; fi
mnt=/run/config-drive
mkdir -p "$mnt"
mount -o ro "$dev" "$mnt" || { say "config drive $dev does not mount"; exit 1; }
meta=$mnt/openstack/latest/meta_data.json
if [ -f "$meta" ]; then
  name=$(tr -d '\n' < "$meta" | sed -n 's/.*"hostname"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p')
  if [ -n "$name" ]; then
    hostname "$name"; echo "$name" > /etc/hostname
    say "hostname $name (config drive $dev)"
  else
    say "meta_data.json on $dev has no hostname"
  fi
else
  say "config drive $dev has no openstack/latest/meta_data.json"
fi
ud=$mnt/openstack/latest/user_data
if [ -f "$ud" ]; then
  if [ "$(head -c 2 "$ud")" = "#!" ]; then
    # /run is noexec: the copy goes to the root file system.
    mkdir -p /var/lib/lab-config-drive
    cp "$ud" /var/lib/lab-config-drive/user_data && chmod 700 /var/lib/lab-config-drive/user_data
    say "running user_data"
    /var/lib/lab-config-drive/user_data > /dev/console 2>&1; say "user_data exited $?"
  else
    say "user_data is not a script (#!): not run"
  fi
fi
umount "$mnt"
SCRIPT
chmod 755 "$root/usr/local/sbin/lab-config-drive"
cat > "$root/etc/systemd/system/lab-config-drive.service" <<'UNIT'
[Unit]
Description=Hostname and user data from the OpenStack config drive
After=local-fs.target systemd-udevd.service
Wants=systemd-udevd.service

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/lab-config-drive
RemainAfterExit=yes

[Install]
WantedBy=multi-user.target
UNIT
cat > "$root/etc/systemd/network/80-lab-dhcp.network" <<'NET'
[Match]
Name=en* eth*

[Network]
DHCP=yes
NET
chroot "$root" systemctl enable lab-config-drive.service systemd-networkd.service
chroot "$root" systemctl set-default multi-user.target
echo lab-os > "$root/etc/hostname"
echo 'LABEL=lab-root / ext4 defaults 0 1' > "$root/etc/fstab"
passwd -R "$root" -l root >/dev/null

step "trim kernel modules, rebuild the initramfs for them"
lab_trim_modules "$root"
lab_chroot_prepare "$root"
trap cleanup EXIT
chroot "$root" update-initramfs -u -k all >/dev/null
lab_chroot_done
kver=$(ls "$root/lib/modules" | head -1)
{
  echo "kernel $kver"; echo "mirror $(lab_debian_mirror) bookworm"
  echo "## debian packages"; chroot "$root" dpkg-query -W -f '${Package} ${Version}\n'
} > "$work/manifest.txt"

step "partition 1: FAT with syslinux, kernel, initramfs"
boot=$work/boot.img
mkfs.vfat -n LABBOOT -C "$boot" $((64 * 1024)) >/dev/null
syslinux --install "$boot"
cat > "$work/syslinux.cfg" <<'CFG'
default linux
prompt 0
timeout 0
label linux
  kernel /vmlinuz
  append initrd=/initrd.img root=LABEL=lab-root rw console=tty0 console=ttyS0,115200
CFG
mcopy -i "$boot" "$root/boot/vmlinuz-$kver" ::/vmlinuz
mcopy -i "$boot" "$root/boot/initrd.img-$kver" ::/initrd.img
mcopy -i "$boot" "$work/syslinux.cfg" ::/syslinux.cfg

step "partition 2: ext4 lab-root from the tree (mkfs.ext4 -d, no mount)"
lab_trim_rootfs "$root"
used_mb=$(du -sm "$root" | cut -f1)
root_mb=$(( used_mb * 13 / 10 + 128 ))
rootimg=$work/root.img
mkfs.ext4 -q -L lab-root -d "$root" "$rootimg" "${root_mb}M"

step "whole disk: MBR (syslinux mbr.bin) + both partitions, as qcow2"
disk=$work/disk.raw
total_mb=$(( 1 + 64 + root_mb ))
truncate -s "${total_mb}M" "$disk"
printf 'label: dos\nstart=2048, size=%d, type=c, bootable\nstart=%d, size=%d, type=83\n' \
  $((64 * 2048)) $((65 * 2048)) $((root_mb * 2048)) | sfdisk -q "$disk"
dd if=/usr/lib/syslinux/mbr/mbr.bin of="$disk" bs=440 count=1 conv=notrunc status=none
dd if="$boot" of="$disk" bs=1M seek=1 conv=notrunc,sparse status=none
dd if="$rootimg" of="$disk" bs=1M seek=65 conv=notrunc,sparse status=none
nice -n 10 qemu-img convert -O qcow2 "$disk" "$work/os.qcow2"

mkdir -p "$out"
mv "$work/os.qcow2" "$work/manifest.txt" "$out/"
( cd "$out" && sha256sum os.qcow2 > os.qcow2.sha256 )
step "done: $(du -sh "$out/os.qcow2" | cut -f1) ($(qemu-img info --output=json "$out/os.qcow2" | sed -n 's/.*"virtual-size": \([0-9]*\).*/\1/p') bytes virtual) in $out"
