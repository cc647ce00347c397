#!/usr/bin/env bash
# Builds the release camcgi for TARGET as a camera's firmware carries it
# (cross/camera-flags.sh says how). Prints the binary's path.
#   cross/camera-build.sh TARGET TARGET_DIR [cargo build arguments...]
set -euo pipefail
target=${1:?usage: cross/camera-build.sh TARGET TARGET_DIR [cargo arguments...]}
dir=${2:?usage: cross/camera-build.sh TARGET TARGET_DIR [cargo arguments...]}
shift 2
cd "$(dirname "$0")/.."
source cross/camera-flags.sh
cargo "+$camera_toolchain" build -q --locked --bin camcgi --target-dir "$dir" "${camera_flags[@]}" "$@" >&2
echo "$dir/$target/release/camcgi"
