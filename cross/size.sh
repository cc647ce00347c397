#!/usr/bin/env bash
# Prints the stripped size of the camcgi binary for each target given
# (default: the host, armv7 glibc and aarch64 musl), built with the release
# profile: the default build (mock and Linux boards, web page), a camera build
# (Linux board only: --no-default-features --features board-linux) and the
# camera build with the web page (--features board-linux,web).
set -euo pipefail
cd "$(dirname "$0")/.."
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(host armv7-unknown-linux-gnueabihf aarch64-unknown-linux-musl)
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
        else
            cargo build -q --locked --release --bin camcgi "${features[@]}" --target "$t" --target-dir "target/size-$build"
            bin=target/size-$build/$t/release/camcgi
            name=$t
        fi
        bytes=$(stat -c %s "$bin")
        printf '%-32s %-10s %10d %7d\n' "$name" "$build" "$bytes" $(( (bytes + 1023) / 1024 ))
    done
done
