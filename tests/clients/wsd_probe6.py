"""A WS-Discovery Probe to the IPv6 group ff02::c on one interface.
Usage: wsd_probe6.py INTERFACE. Prints the XAddrs of the first match;
exit status 0 when one came."""

import re
import socket
import sys
import uuid

probe = f"""<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" xmlns:dn="http://www.onvif.org/ver10/network/wsdl"><s:Header><a:MessageID>urn:uuid:{uuid.uuid4()}</a:MessageID><a:To>urn:schemas-xmlsoap-org:ws:2005:04:discovery</a:To><a:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</a:Action></s:Header><s:Body><d:Probe><d:Types>dn:NetworkVideoTransmitter</d:Types></d:Probe></s:Body></s:Envelope>"""
sock = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
sock.settimeout(4)
sock.sendto(probe.encode(), ("ff02::c", 3702, 0, socket.if_nametoindex(sys.argv[1])))
data, _ = sock.recvfrom(65536)
found = re.search(rb"<d:XAddrs>([^<]*)</d:XAddrs>", data)
print(found.group(1).decode() if found else "", flush=True)
sys.exit(0 if found else 1)
