#!/usr/bin/env bash
# Builds the rig's initramfs: busybox, the kernel modules the rig's drivers
# need, the C libraries, fw_printenv/fw_setenv, v4l2-ctl, the camera build of
# camcgi (CAMCGI, as firmware carries it), its board file and /init.
#   initramfs.sh DIR CAMCGI    (DIR as fetch.sh filled it; writes DIR/initramfs.cpio.gz)
set -euo pipefail
out=$(cd "$1" && pwd)
camcgi=$2
here=$(cd "$(dirname "$0")" && pwd)
root=$out/root
kernel=$(ls "$root/lib/modules")
stage=$out/initramfs
rm -rf "$stage"
mkdir -p "$stage"/{bin,dev,proc,sys,etc/camcgi,lib/modules,lib/arm-linux-gnueabihf}
cp "$root/bin/busybox" "$stage/bin/"
ln -s busybox "$stage/bin/sh"
cp "$root/usr/bin/fw_printenv" "$root/usr/bin/fw_setenv" "$root/usr/bin/v4l2-ctl" "$stage/bin/"
cp "$camcgi" "$stage/bin/camcgi"
for dir in lib/arm-linux-gnueabihf usr/lib/arm-linux-gnueabihf; do
    cp -a "$root/$dir"/*.so* "$stage/lib/arm-linux-gnueabihf/" 2>/dev/null || true
done
cp -a "$root/lib/ld-linux-armhf.so.3" "$stage/lib/"
# The modules the drivers need, and their dependencies, as modprobe finds them.
mkdir -p "$stage/lib/modules/$kernel"
[ -f "$root/lib/modules/$kernel/modules.dep" ] || depmod -b "$root" "$kernel"
modules=$(for m in virtio_mmio virtio_net virtio_blk crc32c_generic ext4 vivid nandsim xhci-pci ftdi_sio; do
    modprobe -d "$root" -S "$kernel" --show-depends "$m"; done | awk '$1 == "insmod" {print $2}' | sort -u)
for m in $modules; do
    rel=${m#"$root/"}
    mkdir -p "$stage/$(dirname "$rel")"
    cp "$m" "$stage/$rel"
done
cp "$root/lib/modules/$kernel"/modules.{order,builtin,builtin.modinfo} "$stage/lib/modules/$kernel/" 2>/dev/null || true
# block2mtd, built by block2mtd.sh: flash on the rig's disks, which outlive a power cut.
mkdir -p "$stage/lib/modules/$kernel/extra"
cp "$out/block2mtd.ko" "$stage/lib/modules/$kernel/extra/"
depmod -b "$stage" "$kernel"
cp "$here/init" "$stage/init"
chmod +x "$stage/init"
cp "$here/board.toml" "$stage/etc/camcgi/board.toml"
# The public key firmware must be signed with, when test.sh made one.
[ -f "$out/firmware.pub" ] && cp "$out/firmware.pub" "$stage/etc/camcgi/firmware.pub"
echo "VM0000000001" > "$stage/etc/serial_number"
echo "camcgi-vm 1.0" > "$stage/etc/fw_version"
echo "CAMCGI-VM" > "$stage/etc/oem_model"
# The U-Boot environment: 128 KiB at the start of the environment's MTD
# device (/init links it, and the slots, to the flash it chose), its
# redundant copy in the next block.
printf '/dev/rig-env 0x0 0x20000 0x20000\n/dev/rig-env 0x20000 0x20000 0x20000\n' > "$stage/etc/fw_env.config"
# What U-Boot's environment holds on a new board (libubootenv starts from it
# while the flash has none): slot A booted and confirmed.
printf '%s\n' bootlimit=3 'bootcmd=run boot_${boot_slot}' boot_slot=A boot_confirmed=A upgrade_available=0 bootcount=0 \
    > "$stage/etc/u-boot-initial-env"
printf '#!/bin/sh\nprintf "\\377\\330camcgi-vm-%%s\\377\\331" "$1"\n' > "$stage/bin/snapshot"
chmod +x "$stage/bin/snapshot"
(cd "$stage" && find . | cpio -o -H newc --quiet) | gzip -1 > "$out/initramfs.cpio.gz"
cp "$root/boot/vmlinuz-$kernel" "$out/vmlinuz"
du -h "$out/initramfs.cpio.gz" | cut -f1
