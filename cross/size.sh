#!/usr/bin/env bash
# Prints the stripped size of the camcgi binary for each target given
# (default: the host, armv7 glibc and aarch64 musl), built with the release profile.
set -euo pipefail
cd "$(dirname "$0")/.."
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(host armv7-unknown-linux-gnueabihf aarch64-unknown-linux-musl)
printf '%-34s %12s %10s\n' target bytes KiB
for t in "${targets[@]}"; do
    if [ "$t" = host ]; then
        cargo build -q --locked --release --bin camcgi
        bin=target/release/camcgi
        t=$(rustc -vV | sed -n 's/^host: //p')
    else
        cargo build -q --locked --release --bin camcgi --target "$t"
        bin=target/$t/release/camcgi
    fi
    bytes=$(stat -c %s "$bin")
    printf '%-34s %12d %10d\n' "$t" "$bytes" $(( (bytes + 1023) / 1024 ))
done
