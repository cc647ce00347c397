#!/usr/bin/env bash
# Builds block2mtd.ko for the rig's kernel (Debian builds its armmp kernels
# without it): the module's source from Debian's linux-source, built out of
# tree against the kernel's headers with the host's arm-linux-gnueabihf-gcc.
# It is patched to sync each erase and write to its disk before returning,
# as flash is programmed by the time the call returns: otherwise what was
# written waits in the page cache, and a power cut of the VM loses what real
# flash would have kept. Writes DIR/block2mtd.ko.
#   block2mtd.sh DIR KERNEL    (KERNEL: the version fetch.sh printed)
set -euo pipefail
out=$(cd "$1" && pwd)
kernel=$2
[ -f "$out/block2mtd.ko" ] && exit 0
common=${kernel%-armmp-lpae}-common
series=$(echo "$kernel" | cut -d. -f1-2)
work=$out/block2mtd
rm -rf "$work"
mkdir -p "$work/debs" "$work/root" "$work/mod"
command -v arm-linux-gnueabihf-gcc >/dev/null || { echo "block2mtd.sh: arm-linux-gnueabihf-gcc missing (cross/setup-host.sh)" >&2; exit 1; }
(cd "$work/debs" && apt-get download -qq "linux-headers-$kernel:armhf" "linux-headers-$common" "linux-kbuild-$series" \
    "linux-source-$series" 2>&1 | grep -v '^W: Download is performed unsandboxed' || true)
for deb in "$work"/debs/linux-headers-*.deb "$work"/debs/linux-kbuild-*.deb; do dpkg-deb -x "$deb" "$work/root"; done
dpkg-deb --fsys-tarfile "$work"/debs/linux-source-*.deb | tar -x -O --wildcards '*/linux-source-*.tar.xz' |
    tar -xJ -O --wildcards '*/drivers/mtd/devices/block2mtd.c' > "$work/mod/block2mtd.c"
# Each erase and write reaches the disk before it returns.
sed -i 's/^\terr = _block2mtd_erase(dev, from, len);$/&\n\tif (!err)\n\t\terr = sync_blockdev(dev->blkdev);/' "$work/mod/block2mtd.c"
sed -i 's/^\terr = _block2mtd_write(dev, buf, to, len, retlen);$/&\n\tif (err >= 0)\n\t\terr = sync_blockdev(dev->blkdev) ?: err;/' "$work/mod/block2mtd.c"
[ "$(grep -c 'sync_blockdev(dev->blkdev)' "$work/mod/block2mtd.c")" -eq 3 ] || { echo "block2mtd.sh: the sync patch did not apply" >&2; exit 1; }
echo 'obj-m := block2mtd.o' > "$work/mod/Kbuild"
headers=$work/root/usr/src/linux-headers-$kernel
# The headers name their common half by its installed path.
sed -i "s#/usr/src/#$work/root/usr/src/#g" "$headers/Makefile"
make -s -C "$headers" M="$work/mod" ARCH=arm CROSS_COMPILE=arm-linux-gnueabihf- modules
cp "$work/mod/block2mtd.ko" "$out/block2mtd.ko"
rm -rf "$work"
