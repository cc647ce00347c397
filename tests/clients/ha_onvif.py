"""Walks Home Assistant's ONVIF set-up against a camcgi camera with
onvif-zeep-async (the library of Home Assistant's and Frigate's ONVIF
support): capabilities, device information, network interfaces, profiles,
stream and snapshot URIs (the snapshot fetched with Digest), PTZ continuous
move and stop, presets, imaging settings, a pull-point subscription
that receives a motion event, and the webhook (a base-notification
subscription whose Notify the library reads).

Usage: ha_onvif.py PORT. Prints MOTION? when subscribed, and waits for a
line on standard input once the test has raised motion on the mock board.
Exit status 0 when every step held."""

import asyncio
import datetime as dt
import sys

from onvif import ONVIFCamera
from walk import check, consumer


async def main(port):
    cam = ONVIFCamera("127.0.0.1", port, "admin", "123456")
    await cam.update_xaddrs()
    device = await cam.create_devicemgmt_service()
    caps = await device.GetCapabilities({"Category": "All"})
    check("capabilities name the media service", caps.Media.XAddr.endswith("/onvif/media_service"))
    check("capabilities name the event service with pull points", caps.Events.WSPullPointSupport is True)
    info = await device.GetDeviceInformation()
    check("device information has the model", info.Model == "MC200J6")
    interfaces = await device.GetNetworkInterfaces()
    check("the MAC address comes from the board", interfaces[0].Info.HwAddress == "00:12:34:56:78:9a")

    media = await cam.create_media_service()
    profiles = await media.GetProfiles()
    check("two profiles", len(profiles) == 2)
    # Home Assistant keeps only the profiles with an H264 encoder. On factory
    # settings that is the sub stream's: the main stream is H.265, which
    # Media 1 cannot name, so its profile has no encoder.
    check("no H.265 stream is named H264", profiles[0].VideoEncoderConfiguration is None)
    h264 = [p for p in profiles if p.VideoEncoderConfiguration and p.VideoEncoderConfiguration.Encoding == "H264"]
    check("Home Assistant's H264 filter keeps the sub stream's profile", [p.token for p in h264] == ["profile_2"])
    main_profile = h264[0].token
    uri = await media.GetStreamUri(
        {"StreamSetup": {"Stream": "RTP-Unicast", "Transport": {"Protocol": "RTSP"}}, "ProfileToken": main_profile}
    )
    check("an RTSP stream URI", uri.Uri.startswith("rtsp://127.0.0.1:554/"))
    jpeg = await cam.get_snapshot(main_profile)
    check("the snapshot is a JPEG fetched with Digest", jpeg is not None and jpeg[:2] == b"\xff\xd8")

    ptz = await cam.create_ptz_service()
    move = ptz.create_type("ContinuousMove")
    move.ProfileToken = main_profile
    move.Velocity = {"PanTilt": {"x": 0.5, "y": 0.0}, "Zoom": {"x": 0.0}}
    await ptz.ContinuousMove(move)
    status = await ptz.GetStatus({"ProfileToken": main_profile})
    check("the head moves", status.MoveStatus.PanTilt == "MOVING")
    await ptz.Stop({"ProfileToken": main_profile})
    status = await ptz.GetStatus({"ProfileToken": main_profile})
    check("the head stops", status.MoveStatus.PanTilt == "IDLE")
    token = await ptz.SetPreset({"ProfileToken": main_profile, "PresetName": "door"})
    presets = await ptz.GetPresets({"ProfileToken": main_profile})
    check("the preset is listed", any(p.token == token for p in presets))
    await ptz.GotoPreset({"ProfileToken": main_profile, "PresetToken": token})
    await ptz.RemovePreset({"ProfileToken": main_profile, "PresetToken": token})
    presets = await ptz.GetPresets({"ProfileToken": main_profile})
    check("the preset is removed", not any(p.token == token for p in presets))
    relative = ptz.create_type("RelativeMove")
    relative.ProfileToken = main_profile
    relative.Translation = {"PanTilt": {"x": 0.1, "y": 0.0}}
    before = (await ptz.GetStatus({"ProfileToken": main_profile})).Position.PanTilt.x
    await ptz.RelativeMove(relative)
    after = (await ptz.GetStatus({"ProfileToken": main_profile})).Position.PanTilt.x
    check("a relative move turns the head", abs(after - before - 0.1) < 0.01)

    imaging = await cam.create_imaging_service()
    source = profiles[0].VideoSourceConfiguration.SourceToken
    settings = await imaging.GetImagingSettings({"VideoSourceToken": source})
    check("imaging settings", settings.Brightness == 128)
    await imaging.SetImagingSettings({"VideoSourceToken": source, "ImagingSettings": {"Brightness": 90}})
    settings = await imaging.GetImagingSettings({"VideoSourceToken": source})
    check("imaging settings are set", settings.Brightness == 90)

    lost = []
    manager = await cam.create_pullpoint_manager(dt.timedelta(seconds=60), lambda: lost.append(1))
    pullpoint = manager.get_service()
    first = await pullpoint.PullMessages({"MessageLimit": 10, "Timeout": dt.timedelta(seconds=1)})
    print("MOTION?", flush=True)
    sys.stdin.readline()
    seen = False
    for _ in range(5):
        pulled = await pullpoint.PullMessages({"MessageLimit": 10, "Timeout": dt.timedelta(seconds=5)})
        for message in pulled.NotificationMessage:
            topic = message.Topic._value_1
            data = message.Message._value_1.Data.SimpleItem[0]
            if topic == "tns1:RuleEngine/CellMotionDetector/Motion" and data.Name == "IsMotion" and data.Value == "true":
                seen = True
        if seen:
            break
    check("the initial state was pulled", len(first.NotificationMessage) >= 1)
    check("a motion event was pulled", seen)
    await manager.shutdown()
    check("the subscription was not lost", not lost)

    # Home Assistant's webhook: a base-notification subscription whose
    # Notify requests it reads with the library's NotificationManager.
    address, bodies = consumer("/api/webhook/onvif")
    notifications = await cam.create_notification_manager(address, dt.timedelta(seconds=60), lambda: lost.append(1))
    body = await asyncio.get_running_loop().run_in_executor(None, lambda: bodies.get(timeout=10))
    pushed = notifications.process(body)
    motion = [m.Message._value_1.Data.SimpleItem[0] for m in pushed.NotificationMessage
              if m.Topic._value_1 == "tns1:RuleEngine/CellMotionDetector/Motion"]
    check("the webhook's Notify is read, with the motion state", [(d.Name, d.Value) for d in motion] == [("IsMotion", "true")])
    await notifications.shutdown()
    check("the webhook subscription was not lost", not lost)
    await cam.close()
    print("DONE", flush=True)


asyncio.run(main(int(sys.argv[1])))
