#!/usr/bin/env bash
# Prints the stripped size of the camcgi binary for each target given
# (default: the host, armv7 glibc and aarch64 musl), built with the release
# profile: the default build (mock and Linux boards, web page), a camera build
# (Linux board only: --no-default-features --features board-linux) and the
# camera build with the web page (--features board-linux,web). The 32-bit
# ARM targets are built as firmware carries them, with std rebuilt
# (cross/camera-build.sh); the host and aarch64 (musl, whose static C runtime
# the rebuilding toolchain lacks) with the stable toolchain.
# Exits non-zero when a camera build is over its budget (the camera build
# for the camera target, thumbv7neon: 900 KiB, docs/board-support.md).
set -euo pipefail
cd "$(dirname "$0")/.."
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(host thumbv7neon-unknown-linux-gnueabihf armv7-unknown-linux-gnueabihf aarch64-unknown-linux-musl)
echo "32-bit ARM builds: $(rustc "+${CAMCGI_CAMERA_TOOLCHAIN:-nightly}" -V), std rebuilt"
declare -A budget=([thumbv7neon-unknown-linux-gnueabihf/camera]=$((900 * 1024)))
over=0
printf '%-32s %-10s %10s %7s\n' target build bytes KiB
for t in "${targets[@]}"; do
    for build in default camera camera+web; do
        features=()
        [ "$build" = camera ] && features=(--no-default-features --features board-linux)
        [ "$build" = camera+web ] && features=(--no-default-features --features board-linux,web)
        if [ "$t" = host ]; then
            cargo build -q --locked --release --bin camcgi "${features[@]}" --target-dir "target/size-$build"
            bin=target/size-$build/release/camcgi
            name=$(rustc -vV | sed -n 's/^host: //p')
        elif [[ "$t" == *-gnueabihf ]]; then
            bin=$(bash cross/camera-build.sh "$t" "target/size-$build" "${features[@]}")
            name=$t
        else
            cargo build -q --locked --release --bin camcgi "${features[@]}" --target "$t" --target-dir "target/size-$build"
            bin=target/size-$build/$t/release/camcgi
            name=$t
        fi
        bytes=$(stat -c %s "$bin")
        printf '%-32s %-10s %10d %7d' "$name" "$build" "$bytes" $(( (bytes + 1023) / 1024 ))
        limit=${budget[$name/$build]:-}
        if [ -n "$limit" ]; then
            if [ "$bytes" -gt "$limit" ]; then
                printf '  OVER BUDGET by %d bytes (budget %d)' $((bytes - limit)) "$limit"
                over=1
            else
                printf '  within budget (%d bytes to spare)' $((limit - bytes))
            fi
        fi
        printf '\n'
    done
done
if [ "$over" -ne 0 ]; then
    echo "a camera build is over its size budget" >&2
    exit 1
fi
