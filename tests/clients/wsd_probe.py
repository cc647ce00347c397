"""Finds cameras the way NVRs do, with python's wsdiscovery: a multicast
Probe for dn:NetworkVideoTransmitter. Prints each match's XAddrs and scopes,
one line each; exit status 0 when at least one was found."""

import sys

from wsdiscovery import QName
from wsdiscovery.discovery import ThreadedWSDiscovery

wsd = ThreadedWSDiscovery()
wsd.start()
try:
    wanted = QName("http://www.onvif.org/ver10/network/wsdl", "NetworkVideoTransmitter")
    found = wsd.searchServices(types=[wanted], timeout=4)
    for service in found:
        print(" ".join(service.getXAddrs()), " ".join(str(s) for s in service.getScopes()), flush=True)
finally:
    wsd.stop()
sys.exit(0 if found else 1)
