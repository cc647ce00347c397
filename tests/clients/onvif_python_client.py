"""Drives the camera with onvif-python (pip `onvif-python`, in a virtual
environment of its own: its package name is onvif-zeep-async's too), by
WS-UsernameToken and by HTTP Digest: device information, Media 1 and Media 2
profiles, stream URIs, a PTZ move and stop. Usage: onvif_python_client.py PORT.
Prints DONE when every step held."""

import sys

from onvif import CacheMode, ONVIFClient

from walk import check

port = int(sys.argv[1])
for digest in (False, True):
    how = "HTTP Digest" if digest else "WS-UsernameToken"
    client = ONVIFClient("127.0.0.1", port, "admin", "123456", http_digest=digest, cache=CacheMode.NONE, timeout=20)
    info = client.devicemgmt().GetDeviceInformation()
    check(f"{how}: device information", info.Model == "MC200J6")
    media = client.media()
    profiles = media.GetProfiles()
    check(f"{how}: two Media 1 profiles", len(profiles) == 2)
    uri = media.GetStreamUri(StreamSetup={"Stream": "RTP-Unicast", "Transport": {"Protocol": "RTSP"}}, ProfileToken=profiles[1].token)
    check(f"{how}: a stream URI {uri.Uri}", uri.Uri.startswith("rtsp://127.0.0.1:554/"))
    media2 = client.media2()
    profiles2 = media2.GetProfiles(Type=["All"])
    encodings = [p.Configurations.VideoEncoder.Encoding for p in profiles2]
    check(f"{how}: Media 2 names each stream's codec: {encodings}", encodings == ["H265", "H264"])
    uri2 = media2.GetStreamUri(Protocol="RtspUnicast", ProfileToken=profiles2[0].token)
    check(f"{how}: a Media 2 stream URI {uri2}", str(uri2).startswith("rtsp://127.0.0.1:554/"))
    ptz = client.ptz()
    ptz.ContinuousMove(ProfileToken=profiles[0].token, Velocity={"PanTilt": {"x": 0.5, "y": 0.0}})
    check(f"{how}: the head moves", ptz.GetStatus(ProfileToken=profiles[0].token).MoveStatus.PanTilt == "MOVING")
    ptz.Stop(ProfileToken=profiles[0].token)
print("DONE", flush=True)
