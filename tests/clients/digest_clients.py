"""Fetches snapshot.cgi with the HTTP Digest clients integrators use:
python requests' HTTPDigestAuth, httpx's DigestAuth (Home Assistant's
generic camera) and the standard library's urllib HTTPDigestAuthHandler,
which reads only the first challenge. Usage: digest_clients.py PORT. Exit
status 0 when each got a JPEG and a wrong password got 401."""

import sys
import urllib.error
import urllib.request

import httpx
import requests
from requests.auth import HTTPDigestAuth

url = f"http://127.0.0.1:{sys.argv[1]}/cgi-bin/snapshot.cgi?stream=1"
r = requests.get(url, auth=HTTPDigestAuth("admin", "123456"), timeout=20)
assert r.status_code == 200 and r.content[:2] == b"\xff\xd8", (r.status_code, r.text[:200])
print("ok: requests HTTPDigestAuth", flush=True)
r = httpx.get(url, auth=httpx.DigestAuth("admin", "123456"), timeout=20)
assert r.status_code == 200 and r.content[:2] == b"\xff\xd8", (r.status_code, r.text[:200])
print("ok: httpx DigestAuth", flush=True)
handler = urllib.request.HTTPDigestAuthHandler()
handler.add_password("camcgi", url, "admin", "123456")
with urllib.request.build_opener(handler).open(url, timeout=20) as r:
    body = r.read()
    assert r.status == 200 and body[:2] == b"\xff\xd8", (r.status, body[:200])
print("ok: urllib HTTPDigestAuthHandler", flush=True)
r = httpx.get(url, auth=httpx.DigestAuth("admin", "wrong"), timeout=20)
assert r.status_code == 401, r.status_code
print("ok: a wrong password is refused", flush=True)
print("DONE", flush=True)
