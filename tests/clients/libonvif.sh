#!/usr/bin/env bash
# libonvif's onvif-util (Debian's onvif-tools) as an NVR on a second host:
# it finds the camera by a multicast Probe (it does not loop its own
# multicast back, so camera and NVR are two network namespaces), logs in,
# and runs a few commands. Prints what onvif-util printed, then the
# camera's log. Exit status 77 when namespaces cannot be made here.
#   libonvif.sh DATA_DIR CAMCGI [ARGS...]
set -u
data=$1
shift
here=$(cd "$(dirname "$0")" && pwd)
. "$here/netns.sh"
start_pair "$data" "$@"
printf 'get capabilities\nget time\nget profiles\nget rtsp\nquit\n' |
    timeout 60 ip netns exec "$nvr" onvif-util -u admin -p 123456 10.77.0.1 2>&1
echo "--- camera log"
cat "$data/camcgi.log"
