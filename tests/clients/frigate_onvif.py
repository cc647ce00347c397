"""Sets up PTZ autotracking the way Frigate does, with onvif-zeep-async: the
H264 profile with a continuous pan/tilt space, the configuration options'
field-of-view translation space, the status's position, and a relative move
measured in fields of view. Usage: frigate_onvif.py PORT. Exit status 0 when
every step held."""

import asyncio
import sys

from onvif import ONVIFCamera
from walk import check

FOV = "http://www.onvif.org/ver10/tptz/PanTiltSpaces/TranslationSpaceFov"


async def main(port):
    cam = ONVIFCamera("127.0.0.1", port, "admin", "123456")
    await cam.update_xaddrs()
    media = await cam.create_media_service()
    profiles = await media.GetProfiles()
    profile = next(
        (
            p
            for p in profiles
            if p.VideoEncoderConfiguration
            and p.VideoEncoderConfiguration.Encoding == "H264"
            and p.PTZConfiguration
            and p.PTZConfiguration.DefaultContinuousPanTiltVelocitySpace is not None
        ),
        None,
    )
    check("a profile Frigate can drive", profile is not None)
    ptz = await cam.create_ptz_service()
    request = ptz.create_type("GetConfigurationOptions")
    request.ConfigurationToken = profile.PTZConfiguration.token
    options = await ptz.GetConfigurationOptions(request)
    spaces = options.Spaces.RelativePanTiltTranslationSpace
    fov = next((s for s in spaces if "TranslationSpaceFov" in s["URI"]), None)
    check("a field-of-view translation space", fov is not None and fov["XRange"]["Min"] == -1 and fov["XRange"]["Max"] == 1)
    check("relative zoom in the generic space", any("TranslationGenericSpace" in s["URI"] for s in options.Spaces.RelativeZoomTranslationSpace))
    status = await ptz.GetStatus({"ProfileToken": profile.token})
    before = status.Position.PanTilt.x
    move = ptz.create_type("RelativeMove")
    move.ProfileToken = profile.token
    move.Translation = status.Position
    move.Translation.PanTilt.space = FOV
    move.Translation.PanTilt.x = 0.5
    move.Translation.PanTilt.y = 0
    move.Translation.Zoom.x = 0
    move.Speed = profile.PTZConfiguration.DefaultPTZSpeed
    await ptz.RelativeMove(move)
    status = await ptz.GetStatus({"ProfileToken": profile.token})
    # Half of the simulated lens's 60 degrees at its widest: 30 of the generic space's 180.
    check("half a field of view to the right", abs(status.Position.PanTilt.x - before - 30 / 180) < 0.002)
    check("the head is still", status.MoveStatus.PanTilt == "IDLE")
    await cam.close()
    print("DONE", flush=True)


asyncio.run(main(int(sys.argv[1])))
