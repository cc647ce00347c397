"""Drives the camera with onvif-zeep (pip `onvif-zeep`, the older synchronous
library, in a virtual environment of its own: its package name is
onvif-zeep-async's too): device information, profiles, a stream URI, a PTZ
move and stop, and a pull-point subscription's PullMessages.

onvif-zeep ships the official WS-BaseNotification schema, whose
TopicExpressionType is mixed content; zeep keeps no text of mixed content,
so the library reads every topic as None. The camera's answers are not the
cause: the same answers read with onvif-zeep-async (whose schema makes the
topic a string) give the topic, and they validate against the official
schemas (schema_walk.py). What the library does read, the message's source
and data, is checked here. Usage: onvif_zeep_client.py PORT."""

import os
import sys

import onvif
from onvif import ONVIFCamera

from walk import check

wsdl = os.path.join(os.path.dirname(os.path.dirname(onvif.__file__)), "wsdl")
cam = ONVIFCamera("127.0.0.1", int(sys.argv[1]), "admin", "123456", wsdl)
check("device information", cam.devicemgmt.GetDeviceInformation().Model == "MC200J6")
media = cam.create_media_service()
profiles = media.GetProfiles()
check("two profiles", len(profiles) == 2)
token = profiles[1].token
uri = media.GetStreamUri({"StreamSetup": {"Stream": "RTP-Unicast", "Transport": {"Protocol": "RTSP"}}, "ProfileToken": token})
check(f"a stream URI: {uri.Uri}", uri.Uri.startswith("rtsp://127.0.0.1:554/"))
ptz = cam.create_ptz_service()
move = ptz.create_type("ContinuousMove")
move.ProfileToken = token
move.Velocity = {"PanTilt": {"x": 0.5, "y": 0.0}}
ptz.ContinuousMove(move)
check("the head moves", ptz.GetStatus({"ProfileToken": token}).MoveStatus.PanTilt == "MOVING")
ptz.Stop({"ProfileToken": token})
pullpoint = cam.create_pullpoint_service()
messages = pullpoint.PullMessages({"Timeout": "PT1S", "MessageLimit": 10}).NotificationMessage
check(f"the subscription's first pull gives the state ({len(messages)} messages)", len(messages) == 2)
items = [i.get("Name") for m in messages for i in m.Message._value_1.iter("{http://www.onvif.org/ver10/schema}SimpleItem")]
check(f"each message carries its source and data: {items}", "IsMotion" in items and "State" in items)
check("the library reads no topic (mixed content in its schema)", all(m.Topic._value_1 is None for m in messages))
print("DONE", flush=True)
