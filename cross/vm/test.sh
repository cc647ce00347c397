#!/usr/bin/env bash
# The Linux board on a real 32-bit ARM kernel: fetches the rig's packages
# (fetch.sh), builds the camera build of camcgi as firmware carries it
# (thumbv7neon, Linux board only), packs it into the rig's initramfs, boots
# it in qemu-system-arm (boot.sh) and runs the tests that drive it from the
# host (tests/api/vm.rs), then stops the VM. Prints the VM's console when a
# test fails.
#   bash cross/vm/test.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=target/vm
kernel=$(bash cross/vm/fetch.sh "$dir")
bash cross/vm/block2mtd.sh "$dir" "$kernel"
camcgi=$(bash cross/camera-build.sh thumbv7neon-unknown-linux-gnueabihf target/size-camera \
    --no-default-features --features board-linux)
# The rig's firmware signing key: camcgi takes only images signed by it.
mkdir -p "$dir"
cargo run -q --locked -p camcgi-fwimage --bin camcgi-fwpack -- keygen "$dir/firmware.key" > "$dir/firmware.pub"
bash cross/vm/initramfs.sh "$dir" "$camcgi" >/dev/null
rm -f "$dir"/ptz.out "$dir"/*.img
truncate -s 64M "$dir/data.img"
mkfs.ext4 -q -F "$dir/data.img"
# Erased flash reads 0xFF: the environment (1 MiB) and the two slots (8 MiB each).
for name in env:1 slota:8 slotb:8; do
    head -c "$((${name#*:} * 1024 * 1024))" /dev/zero | tr '\0' '\377' > "$dir/${name%:*}.img"
done
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
http=$(free_port)
shell=$(free_port)
export CAMCGI_VM_HTTPS=$(free_port)
bash cross/vm/boot.sh "$dir" "$http" "$shell" >/dev/null
# The tests may cut the VM's power and boot it again: the pid file has the one running.
trap 'kill "$(cat "$dir/qemu.pid")" 2>/dev/null || true' EXIT
echo "the rig is up: camcgi at 127.0.0.1:$http, $(grep -c . "$dir/console.log") console lines"
if ! CAMCGI_VM_HTTP=$http CAMCGI_VM_SHELL=$shell CAMCGI_VM_DIR=$dir CAMCGI_VM_KEY=$dir/firmware.key \
    cargo test --locked --test api vm:: -- --ignored --test-threads=1 --show-output; then
    echo "--- the rig's console"
    cat "$dir/console.log"
    exit 1
fi
