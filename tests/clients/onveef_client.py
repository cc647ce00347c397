"""Drives the camera with onveef (pip `onveef`), the synchronous client:
device information, profiles, the encoder options asked by profile (onveef
sends an empty ConfigurationToken with the ProfileToken), stream and
snapshot URIs, a snapshot, and a PTZ move and stop.
Usage: onveef_client.py PORT. Prints DONE when every step held."""

import sys

from onveef.client import OnvifClient

from walk import check

with OnvifClient("127.0.0.1", int(sys.argv[1]), "admin", "123456", timeout_s=20) as cam:
    info = cam.get_device_information()
    check(f"device information: {info}", bool(info.get("model") or info.get("Model")))
    profiles = cam.get_profiles()
    check(f"two profiles: {[p.get('token') for p in profiles]}", len(profiles) == 2)
    token = profiles[0]["token"]
    options = cam.get_video_encoder_options(configuration_token="", profile_token=token)
    check(f"encoder options by profile, with an empty ConfigurationToken: {str(options)[:200]}", bool(options))
    uri = cam.get_stream_uri(profile_token=token)
    check(f"stream URI: {uri}", "rtsp://" in str(uri))
    jpeg, kind = cam.get_snapshot(profile_token=token)
    check(f"a snapshot ({kind}, {len(jpeg)} bytes)", jpeg[:2] == b"\xff\xd8")
    cam.ptz_continuous_move(profile_token=token, pan=0.5, tilt=0.0, zoom=None)
    status = cam.ptz_get_status(profile_token=token)
    check(f"the head moves: {status}", "MOVING" in str(status))
    cam.ptz_stop(profile_token=token)
print("DONE", flush=True)
