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
. "$here/netns.sh"
start_pair "$data" "${camcgi[@]}"
ip netns exec "$nvr" python3 "$here/wsd_probe.py" || exit 1
ip netns exec "$nvr" python3 "$here/wsd_probe6.py" "$nvr_link"
