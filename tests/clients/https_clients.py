"""Drives a camcgi camera over HTTPS with Python's own clients: the ssl
module (the camera's certificate as the only trust anchor, checked for the
address), httpx with Digest and Basic, and onvif-zeep-async (Home
Assistant's ONVIF library) given an https:// address.

Usage: https_clients.py HTTPS_PORT CA_FILE. Prints DONE when every step held."""

import asyncio
import http.client
import ssl
import sys

import httpx
from onvif import ONVIFCamera
from walk import check


def python_ssl(port, cafile):
    context = ssl.create_default_context(cafile=cafile)
    connection = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=10)
    connection.request("GET", "/cgi-bin/getuid?username=admin&password=123456")
    answer = connection.getresponse()
    body = answer.read().decode()
    check("ssl: a uid over a verified TLS 1.3 connection", answer.status == 200 and "<uid>" in body)
    check("ssl: TLS 1.3", connection.sock.version() == "TLSv1.3")
    check("ssl: ChaCha20-Poly1305", connection.sock.cipher()[0] == "TLS_CHACHA20_POLY1305_SHA256")
    connection.close()
    # The name in the certificate too, not only the address.
    context = ssl.create_default_context(cafile=cafile)
    with context.wrap_socket(__import__("socket").create_connection(("127.0.0.1", port)), server_hostname="localhost") as tls:
        check("ssl: the certificate names localhost", tls.version() == "TLSv1.3")
    # A client that will not go past TLS 1.2 is refused.
    old = ssl.create_default_context(cafile=cafile)
    old.maximum_version = ssl.TLSVersion.TLSv1_2
    try:
        with old.wrap_socket(__import__("socket").create_connection(("127.0.0.1", port)), server_hostname="127.0.0.1"):
            refused = False
    except ssl.SSLError:
        refused = True
    check("ssl: TLS 1.2 and older refused", refused)


def python_httpx(port, cafile):
    with httpx.Client(verify=ssl.create_default_context(cafile=cafile), timeout=10) as client:
        base = f"https://127.0.0.1:{port}"
        digest = client.get(f"{base}/cgi-bin/snapshot.cgi", auth=httpx.DigestAuth("admin", "123456"))
        check("httpx: a snapshot with Digest", digest.status_code == 200 and digest.content[:2] == b"\xff\xd8")
        basic = client.get(f"{base}/cgi-bin/snapshot.cgi", auth=("admin", "123456"))
        check("httpx: a snapshot with Basic", basic.status_code == 200 and basic.content[:2] == b"\xff\xd8")
        wrong = client.get(f"{base}/cgi-bin/snapshot.cgi", auth=httpx.DigestAuth("admin", "wrong"))
        check("httpx: a wrong password is refused", wrong.status_code == 401)
        kept = [client.get(f"{base}/cgi-bin/getuid?username=admin&password=123456").status_code for _ in range(5)]
        check("httpx: keep-alive requests on one connection", kept == [200] * 5)


async def onvif_zeep(port):
    cam = ONVIFCamera("https://127.0.0.1", port, "admin", "123456")
    await cam.update_xaddrs()
    device = await cam.create_devicemgmt_service()
    caps = await device.GetCapabilities({"Category": "All"})
    check("onvif: the services are named over HTTPS", caps.Media.XAddr == f"https://127.0.0.1:{port}/onvif/media_service")
    info = await device.GetDeviceInformation()
    check("onvif: device information", info.Model == "MC200J6")
    media = await cam.create_media_service()
    profiles = await media.GetProfiles()
    check("onvif: profiles", len(profiles) == 2)
    uri = await media.GetSnapshotUri({"ProfileToken": profiles[0].token})
    check("onvif: the snapshot URI is HTTPS", uri.Uri.startswith(f"https://127.0.0.1:{port}/"))
    await cam.close()


def main(port, cafile):
    python_ssl(port, cafile)
    python_httpx(port, cafile)
    asyncio.run(onvif_zeep(port))
    print("DONE")


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2])
