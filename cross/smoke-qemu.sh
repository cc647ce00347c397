#!/usr/bin/env bash
# The release binary for the camera target (thumbv7neon), built as firmware
# carries it (std rebuilt: cross/camera-build.sh), starts under qemu-arm and
# answers getuid over HTTP.
set -euo pipefail
cd "$(dirname "$0")/.."
target=thumbv7neon-unknown-linux-gnueabihf
bin=$(bash cross/camera-build.sh "$target" target/smoke)
data=$(mktemp -d)
log="$data/camcgi.log"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
qemu-arm-static -L /usr/arm-linux-gnueabihf "$bin" \
    --listen "127.0.0.1:$port" --data-dir "$data" 2>"$log" &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$data"' EXIT
answer=""
for _ in $(seq 1 100); do
    answer=$(curl -s "http://127.0.0.1:$port/cgi-bin/getuid?username=admin&password=123456" || true)
    [ -n "$answer" ] && break
    sleep 0.2
done
if [[ "$answer" =~ \<uid\>[0-9a-f]{32}\</uid\> ]]; then
    kill -TERM "$pid"
    wait "$pid"
    echo "thumbv7neon binary under qemu-arm answered getuid"
    echo "smoke: 1 passed, 0 failed"
else
    echo "no uid from the thumbv7neon binary: '$answer'" >&2
    cat "$log" >&2
    echo "smoke: 0 passed, 1 failed"
    exit 1
fi
