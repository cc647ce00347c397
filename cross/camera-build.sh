#!/usr/bin/env bash
# Builds the release camcgi for TARGET as a camera's firmware carries it: the
# standard library rebuilt from source with camcgi's release profile
# (optimized for size, without std's backtrace symbolizer, unwinding so that a
# panicking handler ends its own request only, a panic inside a destructor
# aborting, which spares the landing pads around drop glue: 29 KiB). Needs the toolchain
# CAMCGI_CAMERA_TOOLCHAIN (default: nightly) with its rust-src component
# (cross/setup-host.sh adds it). Prints the binary's path.
#   cross/camera-build.sh TARGET TARGET_DIR [cargo build arguments...]
set -euo pipefail
target=${1:?usage: cross/camera-build.sh TARGET TARGET_DIR [cargo arguments...]}
dir=${2:?usage: cross/camera-build.sh TARGET TARGET_DIR [cargo arguments...]}
shift 2
toolchain=${CAMCGI_CAMERA_TOOLCHAIN:-nightly}
cd "$(dirname "$0")/.."
cargo "+$toolchain" build -q --locked --release --bin camcgi --target "$target" --target-dir "$dir" \
    --config "target.$target.rustflags=['-Zpanic-in-drop=abort']" \
    -Zbuild-std=std,panic_unwind -Zbuild-std-features=optimize_for_size "$@" >&2
echo "$dir/$target/release/camcgi"
