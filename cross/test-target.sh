#!/usr/bin/env bash
# Runs the whole test suite as binaries of TARGET under qemu-user
# (.cargo/config.toml names the runner). The tests start the camcgi binary
# through the same qemu-user when the host cannot exec it; the wrapper is
# named here explicitly all the same.
#   cross/test-target.sh armv7-unknown-linux-gnueabihf
set -euo pipefail
target=${1:?usage: cross/test-target.sh TARGET}
case "$target" in
    armv7-unknown-linux-gnueabihf | thumbv7neon-unknown-linux-gnueabihf) wrapper="qemu-arm-static -L /usr/arm-linux-gnueabihf" ;;
    armv7-unknown-linux-musleabihf) wrapper="qemu-arm-static" ;;
    aarch64-unknown-linux-musl) wrapper="qemu-aarch64-static" ;;
    aarch64-unknown-linux-gnu) wrapper="qemu-aarch64-static -L /usr/aarch64-linux-gnu" ;;
    *) echo "unknown target $target" >&2; exit 2 ;;
esac
cd "$(dirname "$0")/.."
CAMCGI_EXEC_WRAPPER="$wrapper" cargo test --locked --workspace --target "$target"
