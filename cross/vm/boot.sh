#!/usr/bin/env bash
# Boots the rig (DIR as initramfs.sh left it) in qemu-system-arm, a virt
# machine with a Cortex-A15: camcgi's HTTP port forwarded to 127.0.0.1:HTTP,
# the rig's test shell to 127.0.0.1:SHELL, the Pelco-D line's bytes (the USB
# serial port) written to DIR/ptz.out, the console to DIR/console.log, and
# DIR/data.img (an ext4 file system for the settings) and DIR/env.img,
# slota.img and slotb.img (flash, with rig.flash=disk) as its disks when there.
# Prints QEMU's pid once camcgi answers; exits non-zero if it does not
# within 120 s. More kernel parameters may follow (rig.nandsim=…). With
# CAMCGI_VM_HTTPS set, camcgi's HTTPS port (443) is forwarded there too.
#   boot.sh DIR HTTP SHELL [KERNEL PARAMETERS...]
set -euo pipefail
dir=$1
http=$2
shell=$3
shift 3
rm -f "$dir/console.log"
# The rig's disks, each known in the VM by its serial number: the settings'
# file system, and the environment's and the slots' flash (rig.flash=disk).
disk=()
for name in data env slota slotb; do
    [ -f "$dir/$name.img" ] || continue
    disk+=(-drive "file=$dir/$name.img,if=none,format=raw,id=$name" -device "virtio-blk-device,drive=$name,serial=$name")
done
qemu-system-arm -M virt -cpu cortex-a15 -m 512 -smp 1 -nographic -no-reboot \
    -kernel "$dir/vmlinuz" -initrd "$dir/initramfs.cpio.gz" -append "console=ttyAMA0 panic=-1 quiet $*" \
    -netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$http-:80,hostfwd=tcp:127.0.0.1:$shell-:2323${CAMCGI_VM_HTTPS:+,hostfwd=tcp:127.0.0.1:$CAMCGI_VM_HTTPS-:443}" \
    -device virtio-net-device,netdev=n0 \
    -device qemu-xhci -device usb-serial,chardev=ptz -chardev "file,id=ptz,path=$dir/ptz.out" \
    "${disk[@]}" </dev/null >"$dir/console.log" 2>&1 &
pid=$!
echo "$pid" > "$dir/qemu.pid"
for _ in $(seq 1 240); do
    if ! kill -0 "$pid" 2>/dev/null; then
        echo "boot.sh: qemu exited" >&2
        tail -20 "$dir/console.log" >&2
        exit 1
    fi
    if python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $http), 0.5).close()" 2>/dev/null \
        && grep -q "camcgi-vm: up" "$dir/console.log"; then
        echo "$pid"
        exit 0
    fi
    sleep 0.5
done
echo "boot.sh: camcgi did not answer within 120 s" >&2
tail -20 "$dir/console.log" >&2
kill "$pid"
exit 1
