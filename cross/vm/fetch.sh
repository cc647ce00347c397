#!/usr/bin/env bash
# Fetches what the ARM rig boots, from Debian's 32-bit ARM (armhf) archive,
# and unpacks it under DIR/root (default target/vm): the armmp-lpae kernel
# and its modules, busybox, libubootenv's fw_printenv/fw_setenv, v4l2-ctl,
# and the C libraries they and the camera build of camcgi link. Installs the
# host's qemu-system-arm, kmod (depmod) and cpio when missing. Safe to run
# again: what is there is kept.
#   fetch.sh [DIR]
set -euo pipefail
out=${1:-target/vm}
mkdir -p "$out/debs"
missing=()
for tool in qemu-system-arm:qemu-system-arm depmod:kmod cpio:cpio; do
    command -v "${tool%%:*}" >/dev/null 2>&1 || missing+=("${tool##*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
dpkg --print-foreign-architectures | grep -qx armhf || dpkg --add-architecture armhf
apt-cache show linux-image-armmp-lpae:armhf >/dev/null 2>&1 || apt-get update -qq
# The kernel the meta-package names now; its modules match it.
kernel=$(apt-cache depends linux-image-armmp-lpae:armhf | sed -n 's/.*Depends: \(linux-image-[0-9][^:]*\).*/\1/p' | head -1)
packages=("$kernel" busybox-static libubootenv-tool libubootenv0.1 zlib1g libc6 libgcc-s1 libstdc++6
    v4l-utils libv4l-0 libv4l2rds0 libv4lconvert0 libjpeg62-turbo libudev1)
if [ ! -f "$out/debs/.complete-$kernel" ]; then
    rm -rf "$out/debs" "$out/root"
    mkdir -p "$out/debs"
    (cd "$out/debs" && apt-get download -qq "${packages[@]/%/:armhf}" 2>&1 | grep -v '^W: Download is performed unsandboxed' || true)
    [ "$(ls "$out"/debs/*.deb | wc -l)" -eq ${#packages[@]} ] || { echo "fetch.sh: packages missing" >&2; exit 1; }
    touch "$out/debs/.complete-$kernel"
fi
if [ ! -d "$out/root" ]; then
    mkdir -p "$out/root"
    for deb in "$out"/debs/*.deb; do dpkg-deb -x "$deb" "$out/root"; done
fi
echo "${kernel#linux-image-}"
