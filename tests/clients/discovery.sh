#!/usr/bin/env bash
# Two test hosts in network namespaces joined by a veth pair: a camera
# running camcgi (the command given) and an NVR probing with python's
# wsdiscovery over IPv4, then a Probe to ff02::c over IPv6. Prints what the
# probes found. Exit status 0 when both found the camera, 77 when namespaces
# cannot be made here (not root).
#   discovery.sh DATA_DIR CAMCGI [ARGS...]
set -u
data=$1
shift
camcgi=("$@")
here=$(cd "$(dirname "$0")" && pwd)
tag=$$
cam=camcgi-cam-$tag
nvr=camcgi-nvr-$tag
if ! ip netns add "$cam" 2>/dev/null; then
    echo "cannot make network namespaces here" >&2
    exit 77
fi
pid=
cleanup() {
    if [ -n "$pid" ]; then
        kill "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    fi
    ip netns del "$cam" 2>/dev/null
    ip netns del "$nvr" 2>/dev/null
}
trap cleanup EXIT
ip netns add "$nvr" || exit 1
ip link add "vc$tag" type veth peer name "vn$tag" || exit 1
ip link set "vc$tag" netns "$cam"
ip link set "vn$tag" netns "$nvr"
setup() { # namespace device address
    # Link-local IPv6 addresses at once, without duplicate detection.
    ip netns exec "$1" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 2>/dev/null
    ip -n "$1" link set lo up
    ip -n "$1" addr add "$3/24" dev "$2"
    ip -n "$1" link set "$2" up
    ip -n "$1" route add 224.0.0.0/4 dev "$2"
}
setup "$cam" "vc$tag" 10.77.0.1
setup "$nvr" "vn$tag" 10.77.0.2
ip netns exec "$cam" "${camcgi[@]}" --listen "[::]:8080" --discovery 0.0.0.0:3702 \
    --data-dir "$data" --log-level info 2>"$data/camcgi.log" &
pid=$!
# The camera answers HTTP once it is up.
for _ in $(seq 1 100); do
    ip netns exec "$nvr" python3 -c 'import socket; socket.create_connection(("10.77.0.1", 8080), 0.2)' 2>/dev/null && break
    sleep 0.1
done
ip netns exec "$nvr" python3 "$here/wsd_probe.py" || exit 1
ip netns exec "$nvr" python3 "$here/wsd_probe6.py" "vn$tag"
