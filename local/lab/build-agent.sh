#!/usr/bin/env bash
# Builds the ironic-python-agent deploy images for the lab's VMs (run by local/lab/agent-image.ts
# under a lock; never run the agent itself on this machine — its cleaning erases the disks it lists):
#   OUT/vmlinuz          Debian 12's kernel (linux-image-amd64)
#   OUT/initramfs        a whole minimal Debian 12 (debootstrap) as cpio.gz, systemd as /init,
#                        ironic-python-agent $IPA_VERSION from PyPI in /opt/ipa, started at boot
#   OUT/agent.iso        both on an isolinux ISO (BIOS boot) for virtual media
#   OUT/manifest.txt     inputs, Debian package versions, Python package versions
# usage: build-agent.sh OUT IPA_VERSION     (root; needs debootstrap, cpio, xorriso, isolinux)
set -euo pipefail
out=$1 ipa_version=$2
here=$(cd "$(dirname "$0")" && pwd)
: "${LAB_DEB_CACHE:=$(dirname "$out")/debs}"
. "$here/rootfs.sh"

work=$(mktemp -d "$(dirname "$out")/.agent-build.XXXXXX")
root=$work/root
cleanup() { lab_chroot_done; rm -rf "$work"; }
trap cleanup EXIT
t0=$(date +%s)
step() { echo "[agent-build +$(( $(date +%s) - t0 ))s] $*"; }

step "debootstrap bookworm (minbase) into $root"
# psmisc: fuser, which the agent's erase_devices_metadata clean step runs (without it cleaning fails
# with "No such file or directory: 'fuser'"); lvm2: the agent removes LVM metadata when erasing;
# socat: lab-loopback.service below.
lab_debootstrap "$root" "systemd,systemd-sysv,udev,kmod,iproute2,python3,python3-venv,ca-certificates,linux-image-amd64,initramfs-tools,util-linux,parted,gdisk,dmidecode,lshw,pciutils,hdparm,e2fsprogs,dosfstools,qemu-utils,ipmitool,procps,mdadm,psmisc,lvm2,socat"
lab_chroot_prepare "$root"
trap cleanup EXIT

step "ironic-python-agent $ipa_version from PyPI into /opt/ipa (a venv of Debian's python3)"
cp /etc/resolv.conf "$root/etc/resolv.conf"
# The build host's CA bundle, for pip behind this machine's TLS set-up; removed afterwards.
cp /etc/ssl/certs/ca-certificates.crt "$root/tmp/build-ca.crt"
chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root PIP_CERT=/tmp/build-ca.crt \
  PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_DEFAULT_TIMEOUT=180 \
  sh -c "python3 -m venv /opt/ipa && nice -n 10 /opt/ipa/bin/pip install --no-cache-dir 'ironic-python-agent==$ipa_version'"
rm -f "$root/tmp/build-ca.crt"
chroot "$root" /opt/ipa/bin/ironic-python-agent --version >/dev/null 2>&1 || chroot "$root" /opt/ipa/bin/python -c 'import ironic_python_agent'

step "boot set-up: networkd DHCP on every wired NIC, the agent as a unit, serial console"
cat > "$root/etc/systemd/network/80-lab-dhcp.network" <<'NET'
[Match]
Name=en* eth*

[Network]
DHCP=yes
NET
cat > "$root/etc/systemd/system/ironic-python-agent.service" <<'UNIT'
[Unit]
Description=ironic-python-agent (reads ipa-* parameters from the kernel command line)
Wants=network-online.target
After=network-online.target

[Service]
ExecStartPre=/bin/sh -c 'echo "lab-agent: starting ironic-python-agent $(/opt/ipa/bin/pip show ironic-python-agent | sed -n "s/^Version: //p")" > /dev/console'
ExecStart=/usr/local/sbin/lab-agent
Restart=always
RestartSec=5
StandardOutput=journal+console
StandardError=journal+console

[Install]
WantedBy=multi-user.target
UNIT
# Each lab VM's own loopback port that QEMU forwards to this agent (hostfwd, local/lab/domain.ts)
# comes in its SMBIOS OEM strings (lab-agent-port=N): so one Ironic-wide kernel command line
# ([redfish] kernel_append_params) serves several VMs, each advertising its own port. Without
# that string (another machine), the agent runs as before on its kernel parameters alone.
cat > "$root/usr/local/sbin/lab-agent" <<'SH'
#!/bin/sh
port=$(dmidecode -t 11 2>/dev/null | sed -n 's/.*lab-agent-port=\([0-9][0-9]*\).*/\1/p' | head -n 1)
if [ -n "$port" ]; then
  printf '[DEFAULT]\nadvertise_port = %s\n' "$port" > /run/lab-agent.conf
  echo "lab-agent: advertise port $port (SMBIOS OEM string)" > /dev/console
  exec /opt/ipa/bin/ironic-python-agent --config-file /run/lab-agent.conf
fi
exec /opt/ipa/bin/ironic-python-agent
SH
chmod 755 "$root/usr/local/sbin/lab-agent"
# Ironic checks every image URL it hands the agent from the conductor itself (ironic
# drivers/modules/deploy_utils.py _validate_image_url), so the agent's image server must be named
# by an address both reach: this machine's 127.0.0.1. In a user-mode guest, that is 10.0.2.2: for
# each port in the kernel parameter lab-loopback-ports=, socat listens on the guest's 127.0.0.1
# and connects to 10.0.2.2 (an iptables DNAT of 127.0.0.1 did not work in this kernel: refused).
cat > "$root/usr/local/sbin/lab-loopback" <<'SH'
#!/bin/sh
ports=$(tr ' ' '\n' < /proc/cmdline | sed -n 's/^lab-loopback-ports=\([0-9,]*\)$/\1/p')
[ -n "$ports" ] || exit 0
for p in $(echo "$ports" | tr , ' '); do
  socat "TCP-LISTEN:$p,bind=127.0.0.1,fork,reuseaddr" "TCP:10.0.2.2:$p" &
done
echo "lab-agent: 127.0.0.1 ports $ports go to this VM's host loopback (10.0.2.2)" > /dev/console
wait
SH
chmod 755 "$root/usr/local/sbin/lab-loopback"
cat > "$root/etc/systemd/system/lab-loopback.service" <<'UNIT'
[Unit]
Description=lab: 127.0.0.1 ports named by lab-loopback-ports= reach the host (10.0.2.2)
Before=ironic-python-agent.service

[Service]
ExecStart=/usr/local/sbin/lab-loopback

[Install]
WantedBy=multi-user.target
UNIT
chroot "$root" systemctl enable systemd-networkd.service systemd-networkd-wait-online.service ironic-python-agent.service lab-loopback.service
chroot "$root" systemctl set-default multi-user.target
# wait-online for any one link (the VM has one NIC; real hosts may have unplugged ones).
mkdir -p "$root/etc/systemd/system/systemd-networkd-wait-online.service.d"
printf '[Service]\nExecStart=\nExecStart=/lib/systemd/systemd-networkd-wait-online --any --timeout=120\n' \
  > "$root/etc/systemd/system/systemd-networkd-wait-online.service.d/any.conf"
echo ipa-lab > "$root/etc/hostname"
: > "$root/etc/fstab"
rm -f "$root/etc/resolv.conf"
ln -sf /lib/systemd/systemd "$root/init"
passwd -R "$root" -l root >/dev/null

step "trim: kernel modules for virtual and PC disks/NICs, docs, locales, caches"
kver=$(ls "$root/lib/modules" | head -1)
lab_chroot_done
lab_trim_modules "$root"
cp "$root/boot/vmlinuz-$kver" "$work/vmlinuz"
rm -f "$root"/boot/initrd.img* "$root"/boot/vmlinuz* "$root"/initrd.img* "$root"/vmlinuz*
{
  echo "ironic-python-agent==$ipa_version"; echo "kernel $kver"; echo "mirror $(lab_debian_mirror) bookworm"
  echo "## debian packages"; chroot "$root" dpkg-query -W -f '${Package} ${Version}\n'
  echo "## python packages"; chroot "$root" /opt/ipa/bin/pip freeze
} > "$work/manifest.txt"
lab_trim_rootfs "$root"

step "pack the root as initramfs (cpio newc, gzip)"
( cd "$root" && find . -print0 | cpio --null -o -H newc --quiet | nice -n 10 gzip -6 ) > "$work/initramfs"

step "ISO for virtual media (isolinux, BIOS)"
iso=$work/iso
mkdir -p "$iso/isolinux"
cp /usr/lib/ISOLINUX/isolinux.bin /usr/lib/syslinux/modules/bios/ldlinux.c32 "$iso/isolinux/"
cp "$work/vmlinuz" "$iso/vmlinuz"; cp "$work/initramfs" "$iso/initramfs"
cat > "$iso/isolinux/isolinux.cfg" <<'CFG'
default agent
prompt 0
timeout 0
label agent
  kernel /vmlinuz
  append initrd=/initramfs console=tty0 console=ttyS0,115200 ipa-insecure=1
CFG
xorriso -as mkisofs -quiet -V IPA-LAB -o "$work/agent.iso" -b isolinux/isolinux.bin -c isolinux/boot.cat \
  -no-emul-boot -boot-load-size 4 -boot-info-table "$iso"
rm -rf "$iso"

mkdir -p "$out"
mv "$work/vmlinuz" "$work/initramfs" "$work/agent.iso" "$work/manifest.txt" "$out/"
( cd "$out" && sha256sum vmlinuz initramfs agent.iso > SHA256SUMS )
step "done: $(du -sh "$out" | cut -f1) in $out"
