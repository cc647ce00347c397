#!/usr/bin/env bash
# Runs tests built as the camera's firmware carries camcgi: for the camera
# target (thumbv7neon), release profile, the standard library rebuilt
# (cross/camera-flags.sh), under qemu-user. Arguments go to `cargo test`:
#   cross/test-camera.sh --workspace          the whole suite
#   cross/test-camera.sh --test api soak      one test
set -euo pipefail
target=thumbv7neon-unknown-linux-gnueabihf
cd "$(dirname "$0")/.."
source cross/camera-flags.sh
CAMCGI_EXEC_WRAPPER="qemu-arm-static -L /usr/arm-linux-gnueabihf" \
    cargo "+$camera_toolchain" test --locked --target-dir target/camera "${camera_flags[@]}" "$@"
