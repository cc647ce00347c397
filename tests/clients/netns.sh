# Sourced: two test hosts in network namespaces joined by a veth pair, a
# camera (10.77.0.1) running camcgi and an NVR (10.77.0.2), with IPv4
# multicast routed over the pair. Sets $cam and $nvr (the namespaces),
# $nvr_link (the NVR's interface) and $pid (camcgi), and removes them all on
# exit. Exits 77 when namespaces cannot be made here (not root).
#   start_pair DATA_DIR CAMCGI [ARGS...]
tag=$$
cam=camcgi-cam-$tag
nvr=camcgi-nvr-$tag
nvr_link=vn$tag
pid=
cleanup() {
    if [ -n "$pid" ]; then
        kill "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    fi
    ip netns del "$cam" 2>/dev/null
    ip netns del "$nvr" 2>/dev/null
}

setup_host() { # namespace device address
    # Link-local IPv6 addresses at once, without duplicate detection.
    ip netns exec "$1" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 2>/dev/null
    ip -n "$1" link set lo up
    ip -n "$1" addr add "$3/24" dev "$2"
    ip -n "$1" link set "$2" up
    ip -n "$1" route add 224.0.0.0/4 dev "$2"
}

start_pair() {
    local data=$1
    shift
    if ! ip netns add "$cam" 2>/dev/null; then
        echo "cannot make network namespaces here" >&2
        exit 77
    fi
    trap cleanup EXIT
    ip netns add "$nvr" || exit 1
    ip link add "vc$tag" type veth peer name "$nvr_link" || exit 1
    ip link set "vc$tag" netns "$cam"
    ip link set "$nvr_link" netns "$nvr"
    setup_host "$cam" "vc$tag" 10.77.0.1
    setup_host "$nvr" "$nvr_link" 10.77.0.2
    ip netns exec "$cam" "$@" --listen "[::]:8080" --discovery 0.0.0.0:3702 \
        --data-dir "$data" --log-level info 2>"$data/camcgi.log" &
    pid=$!
    # The camera answers HTTP once it is up.
    for _ in $(seq 1 100); do
        ip netns exec "$nvr" python3 -c 'import socket; socket.create_connection(("10.77.0.1", 8080), 0.2)' 2>/dev/null && break
        sleep 0.1
    done
}
