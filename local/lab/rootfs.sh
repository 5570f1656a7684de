# Shared by build-agent.sh and build-os-image.sh (sourced, not run): a minimal Debian 12 root made
# with debootstrap from the Debian mirror apt is configured with, and the trim that keeps it small.
# Debian packages come from the mirror's current bookworm; the versions installed are written to
# the build's manifest (dpkg-query) so a build can be compared with another.

# The mirror apt uses here (first `URIs:`/`deb` line naming a debian archive); deb.debian.org otherwise.
lab_debian_mirror() {
  local m
  m=$(grep -hs -E '^(URIs:|deb )' /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null \
    | grep -oE 'https?://[^ ]+/debian/?$|https?://[^ ]+/debian ' | head -1 | tr -d ' ')
  echo "${m:-http://deb.debian.org/debian}"
}

# lab_debootstrap DIR "pkg,pkg,..."  — bookworm minbase plus the packages, .debs cached in $LAB_DEB_CACHE.
lab_debootstrap() {
  local dir=$1 include=$2
  mkdir -p "$LAB_DEB_CACHE"
  nice -n 10 debootstrap --variant=minbase --cache-dir="$LAB_DEB_CACHE" --include="$include" \
    bookworm "$dir" "$(lab_debian_mirror)"
}

# Mount /proc, /sys, /dev for a chroot step; lab_chroot_done unmounts them (also on failure via trap).
lab_chroot_prepare() {
  local dir=$1
  mount -t proc proc "$dir/proc"
  mount -t sysfs sys "$dir/sys"
  mount --bind /dev "$dir/dev"
  LAB_MOUNTED_ROOT=$dir
  trap 'lab_chroot_done' EXIT
}
lab_chroot_done() {
  [ -n "${LAB_MOUNTED_ROOT:-}" ] || return 0
  umount "$LAB_MOUNTED_ROOT/dev" "$LAB_MOUNTED_ROOT/sys" "$LAB_MOUNTED_ROOT/proc" 2>/dev/null || true
  LAB_MOUNTED_ROOT=
}

# Keep the kernel modules a QEMU/KVM guest (and plain PC hardware's disks) need; drop the rest
# (GPU, wireless, sound, media, ...: most of the 400 MB of modules).
lab_trim_modules() {
  local dir=$1 kdir ver
  for kdir in "$dir"/lib/modules/*; do
    ver=$(basename "$kdir")
    ( cd "$kdir/kernel"
      find . -name '*.ko*' | grep -vE '^\./(fs|lib|crypto|block|arch)/|^\./drivers/(ata|block|scsi|cdrom|virtio|nvme|char|input|md|acpi|pci|firmware|usb/storage|usb/host)/|^\./drivers/net/(virtio_net|net_failover|ethernet/intel/e1000e?/)|^\./net/(core|ipv4|ipv6|packet|unix|sched)/' \
        | xargs -r rm -f
      find . -type d -empty -delete )
    chroot "$dir" depmod -a "$ver"
  done
}

# Documentation, locales, caches: not needed to run, and they would ride in every initramfs.
lab_trim_rootfs() {
  local dir=$1
  rm -rf "$dir"/usr/share/doc/* "$dir"/usr/share/man/* "$dir"/usr/share/info/* "$dir"/usr/share/locale/* \
    "$dir"/var/cache/apt/* "$dir"/var/lib/apt/lists/* "$dir"/var/log/*.log "$dir"/root/.cache
  find "$dir"/lib/firmware -mindepth 1 -delete 2>/dev/null || true
}
