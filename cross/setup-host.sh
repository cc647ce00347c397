#!/usr/bin/env bash
# Installs what building and testing for ARM without Docker needs on a Debian
# host: the cross linkers, qemu-user, and the Rust targets.
set -euo pipefail
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    gcc-arm-linux-gnueabihf libc6-dev-armhf-cross \
    gcc-aarch64-linux-gnu libc6-dev-arm64-cross \
    qemu-user-static curl python3 >/dev/null
rustup target add armv7-unknown-linux-gnueabihf thumbv7neon-unknown-linux-gnueabihf aarch64-unknown-linux-musl
# The ARM release builds rebuild std from source (cross/camera-build.sh).
rustup component add rust-src --toolchain "${CAMCGI_CAMERA_TOOLCHAIN:-nightly}"
