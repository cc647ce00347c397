#!/usr/bin/env bash
# Runs tests built as the camera's firmware carries camcgi: for the camera
# target (thumbv7neon), release profile, the standard library rebuilt
# (cross/camera-flags.sh), under qemu-user. Arguments go to `cargo test`:
#   cross/test-camera.sh --workspace --lib --bins --tests   the whole suite but the doctests
#   cross/test-camera.sh --test api soak                    one test
# Doctests are left to the other runs: rustdoc builds them without the
# camera's flags, against a std built with them, which rustc refuses.
set -euo pipefail
target=thumbv7neon-unknown-linux-gnueabihf
cd "$(dirname "$0")/.."
source cross/camera-flags.sh
CAMCGI_EXEC_WRAPPER="qemu-arm-static -L /usr/arm-linux-gnueabihf" \
    cargo "+$camera_toolchain" test --locked --target-dir target/camera "${camera_flags[@]}" "$@"
