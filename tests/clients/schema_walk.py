"""Calls every ONVIF operation camcgi implements and validates the body of
each answer against the official ONVIF schemas (the tree of WSDLs and XSDs
at $ONVIF_WSDL, which tests/clients/setup.sh installs), and reads each
answer with zeep in strict mode, which refuses any element the WSDL does
not expect: with the WSDLs onvif-zeep-async ships (Home Assistant's), and
the official one for Media 2, which those lack.

    ONVIF_WSDL=TREE python3 schema_walk.py PORT SERVICE/OPERATION...

The operations are the camera's own tables, passed by the test; one this
script has no request for fails the run, so a new operation cannot go
unchecked. Prints DONE when every answer is valid."""

import base64
import datetime
import hashlib
import os
import shutil
import sys
import tempfile

import warnings

import onvif
import requests
import xmlschema
from lxml import etree
from zeep import Client, Settings

from walk import check, consumer

XS = "http://www.w3.org/2001/XMLSchema"
ENV = "http://www.w3.org/2003/05/soap-envelope"
NS = {
    "tds": "http://www.onvif.org/ver10/device/wsdl",
    "tr2": "http://www.onvif.org/ver20/media/wsdl",
    "trt": "http://www.onvif.org/ver10/media/wsdl",
    "tptz": "http://www.onvif.org/ver20/ptz/wsdl",
    "timg": "http://www.onvif.org/ver20/imaging/wsdl",
    "tev": "http://www.onvif.org/ver10/events/wsdl",
    "wsnt": "http://docs.oasis-open.org/wsn/b-2",
    "tt": "http://www.onvif.org/ver10/schema",
    "wsa": "http://www.w3.org/2005/08/addressing",
}
USER, PASSWORD = "admin", "123456"
WSDLS = {"tds": "devicemgmt", "trt": "media", "tptz": "ptz", "timg": "imaging", "tev": "events", "wsnt": "events"}
# The official tree's WSDL of each service, by the prefix of its namespace.
OFFICIAL = {
    "tds": "ver10/device/wsdl/devicemgmt.wsdl",
    "trt": "ver10/media/wsdl/media.wsdl",
    "tr2": "ver20/media/wsdl/media.wsdl",
    "tptz": "ver20/ptz/wsdl/ptz.wsdl",
    "timg": "ver20/imaging/wsdl/imaging.wsdl",
    "tev": "ver10/events/wsdl/event.wsdl",
}


def strict_bindings(tree):
    """Each prefix's WSDL bindings, read by zeep in strict mode."""
    src = os.path.join(os.path.dirname(onvif.__file__), "wsdl")
    paths = {w: os.path.join(src, w + ".wsdl") for w in set(WSDLS.values())}
    paths["media2"] = os.path.join(tree, OFFICIAL["tr2"])
    clients = {w: Client(p, settings=Settings(strict=True)) for w, p in paths.items()}
    return {prefix: list(clients[w].wsdl.bindings.values()) for prefix, w in {**WSDLS, "tr2": "media2"}.items()}


def strict_read(bindings, operation, doc):
    """zeep's strict reading of an answer: None, or what it refused."""
    for binding in bindings:
        try:
            op = binding.get(operation)
        except ValueError:
            continue
        try:
            op.output.deserialize(doc)
            return None
        except Exception as e:  # zeep raises several kinds for an answer it cannot read
            return f"{type(e).__name__}: {e}"
    return "no binding of the WSDL has this operation"


def schema(tree):
    """One schema over every service's types: the types inside each WSDL of
    the official tree are written out as schemas of their own beside it, in
    a copy of the tree."""
    d = os.path.join(tempfile.mkdtemp(), "wsdl")
    shutil.copytree(tree, d)
    imports = []
    for wsdl in OFFICIAL.values():
        doc = etree.parse(os.path.join(d, wsdl))
        for i, s in enumerate(doc.iter("{%s}schema" % XS)):
            name = f"{wsdl}.{i}.xsd"
            whole = etree.Element(s.tag, nsmap={**doc.getroot().nsmap, **s.nsmap}, attrib=dict(s.attrib))
            whole.extend(list(s))
            etree.ElementTree(whole).write(os.path.join(d, name))
            imports.append((s.get("targetNamespace"), name))
    imports.append((NS["wsnt"], "schema/common/b-2.xsd"))
    body = "".join(f'<xs:import namespace="{ns}" schemaLocation="{loc}"/>' for ns, loc in imports)
    with open(os.path.join(d, "all.xsd"), "w") as f:
        f.write(f'<xs:schema xmlns:xs="{XS}" targetNamespace="urn:camcgi:schema-walk">{body}</xs:schema>')
    # XML Schema 1.1: the official schemas break 1.0's unique particle
    # attribution in places (an optional element before xs:any), which 1.1 allows.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return xmlschema.XMLSchema11(os.path.join(d, "all.xsd"), allow="local")


def security():
    nonce = os.urandom(16)
    created = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    digest = base64.b64encode(hashlib.sha1(nonce + created.encode() + PASSWORD.encode()).digest()).decode()
    return (
        '<Security xmlns="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd">'
        f"<UsernameToken><Username>{USER}</Username>"
        '<Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest">'
        f"{digest}</Password>"
        '<Nonce EncodingType="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary">'
        f'{base64.b64encode(nonce).decode()}</Nonce><Created xmlns="http://docs.oasis-open.org/wss/2004/01/'
        f'oasis-200401-wss-wssecurity-utility-1.0.xsd">{created}</Created></UsernameToken></Security>'
    )


class Camera:
    def __init__(self, port, schema, bindings):
        self.base = f"http://127.0.0.1:{port}"
        self.schema = schema
        self.bindings = bindings
        self.valid = []

    def call(self, path, prefix, operation, inner="", url=None, refused=False):
        xmlns = " ".join(f'xmlns:{p}="{u}"' for p, u in NS.items())
        envelope = (
            f'<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="{ENV}" {xmlns}>'
            f"<s:Header>{security()}</s:Header><s:Body><{prefix}:{operation}>{inner}</{prefix}:{operation}></s:Body></s:Envelope>"
        )
        r = requests.post(url or self.base + path, data=envelope.encode(), timeout=30,
                          headers={"Content-Type": "application/soap+xml; charset=utf-8"})
        doc = etree.fromstring(r.content)
        answer = doc.find(f"{{{ENV}}}Body")[0]
        if refused:
            check(f"{operation} is refused with a SOAP fault (HTTP {r.status_code})", r.status_code == 400 and answer.tag == f"{{{ENV}}}Fault")
            return answer
        check(f"{operation} is answered (HTTP {r.status_code}): {etree.tostring(answer)[:300]!r}", r.status_code == 200)
        problems = list(self.schema.iter_errors(etree.fromstring(etree.tostring(answer))))
        ok = not problems
        errors = "; ".join(str(e).splitlines()[0] + " " + (getattr(e, "reason", "") or "") for e in problems)
        refused = strict_read(self.bindings[prefix], operation, doc)
        if refused:
            ok, errors = False, f"{errors} zeep (strict): {refused}"
        self.valid.append((f"{path}/{operation}", ok))
        print(f"{'valid' if ok else 'INVALID'}: {path} {operation}{'' if ok else ': ' + errors}", flush=True)
        return answer

    def validate_pushed(self, name, envelope):
        """A message the camera sent (not an answer): its body against the schemas."""
        body = etree.fromstring(envelope).find(f"{{{ENV}}}Body")[0]
        problems = list(self.schema.iter_errors(etree.fromstring(etree.tostring(body))))
        ok = not problems and body.tag == f"{{{NS['wsnt']}}}{name}"
        self.valid.append((f"pushed/{name}", ok))
        print(f"{'valid' if ok else 'INVALID'}: pushed {name}{'' if ok else ': ' + str(problems[:1])}", flush=True)


def text(element, path):
    found = element.find(path, NS)
    return None if found is None else found.text


def walk(cam):
    dev, med, ptz, img, evt = ("/onvif/device_service", "/onvif/media_service", "/onvif/ptz_service",
                               "/onvif/imaging_service", "/onvif/events_service")
    done = set()

    def call(path, prefix, operation, inner="", url=None, service=None, refused=False):
        done.add(f"{service or path}/{operation}")
        return cam.call(path, prefix, operation, inner, url, refused)

    for op in ["GetDeviceInformation", "GetSystemDateAndTime", "GetServiceCapabilities", "GetWsdlUrl",
               "GetEndpointReference", "GetScopes", "GetHostname", "GetNTP", "GetUsers", "GetDiscoveryMode"]:
        call(dev, "tds", op)
    call(dev, "tds", "GetCapabilities", "<tds:Category>All</tds:Category>")
    call(dev, "tds", "GetServices", "<tds:IncludeCapability>false</tds:IncludeCapability>")
    call(dev, "tds", "GetServices", "<tds:IncludeCapability>true</tds:IncludeCapability>")
    now = datetime.datetime.now(datetime.timezone.utc)
    call(dev, "tds", "SetSystemDateAndTime",
         "<tds:DateTimeType>Manual</tds:DateTimeType><tds:DaylightSavings>false</tds:DaylightSavings>"
         "<tds:TimeZone><tt:TZ>CST-8</tt:TZ></tds:TimeZone><tds:UTCDateTime>"
         f"<tt:Date><tt:Year>{now.year}</tt:Year><tt:Month>{now.month}</tt:Month><tt:Day>{now.day}</tt:Day></tt:Date>"
         f"<tt:Time><tt:Hour>{now.hour}</tt:Hour><tt:Minute>{now.minute}</tt:Minute><tt:Second>{now.second}</tt:Second></tt:Time>"
         "</tds:UTCDateTime>")
    call(dev, "tds", "CreateUsers", "<tds:User><tt:Username>schema</tt:Username><tt:Password>schema1</tt:Password>"
                                    "<tt:UserLevel>User</tt:UserLevel></tds:User>")
    call(dev, "tds", "SetUser", "<tds:User><tt:Username>schema</tt:Username><tt:UserLevel>Operator</tt:UserLevel></tds:User>")
    call(dev, "tds", "DeleteUsers", "<tds:Username>schema</tds:Username>")
    call(dev, "tds", "SetDiscoveryMode", "<tds:DiscoveryMode>Discoverable</tds:DiscoveryMode>")
    # The network, set as it is (a new address or port would move the camera away).
    iface = call(dev, "tds", "GetNetworkInterfaces")
    addr, prefix = text(iface, ".//tt:Address"), text(iface, ".//tt:PrefixLength")
    call(dev, "tds", "SetNetworkInterfaces", "<tds:InterfaceToken>eth0</tds:InterfaceToken><tds:NetworkInterface>"
         f"<tt:IPv4><tt:Enabled>true</tt:Enabled><tt:Manual><tt:Address>{addr}</tt:Address><tt:PrefixLength>{prefix}"
         "</tt:PrefixLength></tt:Manual><tt:DHCP>false</tt:DHCP></tt:IPv4></tds:NetworkInterface>")
    protocols = call(dev, "tds", "GetNetworkProtocols")
    ports = [(text(p, "tt:Name"), text(p, "tt:Port")) for p in protocols.findall("tds:NetworkProtocols", NS)]
    call(dev, "tds", "SetNetworkProtocols", "".join(
        f"<tds:NetworkProtocols><tt:Name>{n}</tt:Name><tt:Enabled>true</tt:Enabled><tt:Port>{p}</tt:Port></tds:NetworkProtocols>"
        for n, p in ports))
    gateway = text(call(dev, "tds", "GetNetworkDefaultGateway"), ".//tt:IPv4Address")
    call(dev, "tds", "SetNetworkDefaultGateway", f"<tds:IPv4Address>{gateway}</tds:IPv4Address>")
    dns = [e.text for e in call(dev, "tds", "GetDNS").findall(".//tt:IPv4Address", NS)]
    call(dev, "tds", "SetDNS", "<tds:FromDHCP>false</tds:FromDHCP>" + "".join(
        f"<tds:DNSManual><tt:Type>IPv4</tt:Type><tt:IPv4Address>{a}</tt:IPv4Address></tds:DNSManual>" for a in dns))
    scope = "onvif://www.onvif.org/location/schema-walk"
    call(dev, "tds", "AddScopes", f"<tds:ScopeItem>{scope}</tds:ScopeItem>")
    call(dev, "tds", "RemoveScopes", f"<tds:ScopeItem>{scope}</tds:ScopeItem>")
    call(dev, "tds", "SetScopes", "<tds:Scopes>onvif://www.onvif.org/name/camera</tds:Scopes>"
                                  "<tds:Scopes>onvif://www.onvif.org/location/hall</tds:Scopes>")
    call(dev, "tds", "SetHostname", "<tds:Name>schema-walk</tds:Name>")
    call(dev, "tds", "SetNTP", "<tds:FromDHCP>false</tds:FromDHCP><tds:NTPManual><tt:Type>DNS</tt:Type>"
                               "<tt:DNSname>pool.ntp.org</tt:DNSname></tds:NTPManual>")

    profiles = call(med, "trt", "GetProfiles")
    profile = profiles.find("trt:Profiles", NS).get("token")
    call(med, "trt", "GetProfile", f"<trt:ProfileToken>{profile}</trt:ProfileToken>")
    source = call(med, "trt", "GetVideoSources").find("trt:VideoSources", NS).get("token")
    vsc = call(med, "trt", "GetVideoSourceConfigurations").find("trt:Configurations", NS).get("token")
    vsc_one = call(med, "trt", "GetVideoSourceConfiguration", f"<trt:ConfigurationToken>{vsc}</trt:ConfigurationToken>")
    call(med, "trt", "GetVideoSourceConfigurationOptions", f"<trt:ConfigurationToken>{vsc}</trt:ConfigurationToken>")
    same = etree.tostring(vsc_one.find("trt:Configuration", NS)).decode()
    call(med, "trt", "SetVideoSourceConfiguration", f"{same}<trt:ForcePersistence>true</trt:ForcePersistence>")
    vec = call(med, "trt", "GetVideoEncoderConfigurations").find("trt:Configurations", NS).get("token")
    one = call(med, "trt", "GetVideoEncoderConfiguration", f"<trt:ConfigurationToken>{vec}</trt:ConfigurationToken>")
    call(med, "trt", "GetVideoEncoderConfigurationOptions", f"<trt:ConfigurationToken>{vec}</trt:ConfigurationToken>")
    same = etree.tostring(one.find("trt:Configuration", NS)).decode()
    call(med, "trt", "SetVideoEncoderConfiguration", f"{same}<trt:ForcePersistence>true</trt:ForcePersistence>")
    call(med, "trt", "GetAudioSources")
    asc = call(med, "trt", "GetAudioSourceConfigurations").find("trt:Configurations", NS).get("token")
    call(med, "trt", "GetAudioSourceConfiguration", f"<trt:ConfigurationToken>{asc}</trt:ConfigurationToken>")
    aec = call(med, "trt", "GetAudioEncoderConfigurations").find("trt:Configurations", NS).get("token")
    one = call(med, "trt", "GetAudioEncoderConfiguration", f"<trt:ConfigurationToken>{aec}</trt:ConfigurationToken>")
    call(med, "trt", "GetAudioEncoderConfigurationOptions", f"<trt:ConfigurationToken>{aec}</trt:ConfigurationToken>")
    same = etree.tostring(one.find("trt:Configuration", NS)).decode()
    call(med, "trt", "SetAudioEncoderConfiguration", f"{same}<trt:ForcePersistence>true</trt:ForcePersistence>")
    call(med, "trt", "GetStreamUri", "<trt:StreamSetup><tt:Stream>RTP-Unicast</tt:Stream><tt:Transport>"
                                     f"<tt:Protocol>RTSP</tt:Protocol></tt:Transport></trt:StreamSetup><trt:ProfileToken>{profile}</trt:ProfileToken>")
    call(med, "trt", "GetSnapshotUri", f"<trt:ProfileToken>{profile}</trt:ProfileToken>")
    call(med, "trt", "GetServiceCapabilities")
    # Profile editing: a profile with every kind of configuration, read, emptied and deleted.
    call(med, "trt", "CreateProfile", "<trt:Name>walk</trt:Name><trt:Token>walk_profile</trt:Token>")
    w = "<trt:ProfileToken>walk_profile</trt:ProfileToken>"
    for kind, token in [("VideoSource", "video_src_config"), ("VideoEncoder", "video_encoder_2"), ("AudioSource", "audio_src_config"),
                        ("AudioEncoder", "audio_encoder"), ("PTZ", "ptz_config")]:
        call(med, "trt", f"Add{kind}Configuration", f"{w}<trt:ConfigurationToken>{token}</trt:ConfigurationToken>")
    call(med, "trt", "GetProfile", w)
    for kind in ["VideoSource", "VideoEncoder", "AudioSource", "AudioEncoder"]:
        call(med, "trt", f"GetCompatible{kind}Configurations", w)
    for kind in ["VideoSource", "VideoEncoder", "AudioSource", "AudioEncoder", "PTZ"]:
        call(med, "trt", f"Remove{kind}Configuration", w)
    call(med, "trt", "DeleteProfile", w)

    p = f"<tptz:ProfileToken>{profile}</tptz:ProfileToken>"
    call(ptz, "tptz", "GetServiceCapabilities")
    node = call(ptz, "tptz", "GetNodes").find("tptz:PTZNode", NS).get("token")
    call(ptz, "tptz", "GetNode", f"<tptz:NodeToken>{node}</tptz:NodeToken>")
    conf = call(ptz, "tptz", "GetConfigurations").find("tptz:PTZConfiguration", NS).get("token")
    call(ptz, "tptz", "GetConfiguration", f"<tptz:PTZConfigurationToken>{conf}</tptz:PTZConfigurationToken>")
    call(ptz, "tptz", "GetConfigurationOptions", f"<tptz:ConfigurationToken>{conf}</tptz:ConfigurationToken>")
    call(ptz, "tptz", "ContinuousMove", f'{p}<tptz:Velocity><tt:PanTilt x="0.5" y="0"/></tptz:Velocity>')
    call(ptz, "tptz", "GetStatus", p)
    call(ptz, "tptz", "Stop", f"{p}<tptz:PanTilt>true</tptz:PanTilt><tptz:Zoom>true</tptz:Zoom>")
    call(ptz, "tptz", "AbsoluteMove", f'{p}<tptz:Position><tt:PanTilt x="0" y="0"/></tptz:Position>')
    call(ptz, "tptz", "RelativeMove", f'{p}<tptz:Translation><tt:PanTilt x="0.1" y="0"/></tptz:Translation>')
    preset = text(call(ptz, "tptz", "SetPreset", f"{p}<tptz:PresetName>schema</tptz:PresetName>"), "tptz:PresetToken")
    call(ptz, "tptz", "GetPresets", p)
    call(ptz, "tptz", "GotoPreset", f"{p}<tptz:PresetToken>{preset}</tptz:PresetToken>")
    call(ptz, "tptz", "RemovePreset", f"{p}<tptz:PresetToken>{preset}</tptz:PresetToken>")
    # The camera has no auxiliary commands: refused, as the node lists none.
    call(ptz, "tptz", "SendAuxiliaryCommand", f"{p}<tptz:AuxiliaryData>tt:Wiper|On</tptz:AuxiliaryData>", refused=True)

    v = f"<timg:VideoSourceToken>{source}</timg:VideoSourceToken>"
    call(img, "timg", "GetServiceCapabilities")
    call(img, "timg", "GetImagingSettings", v)
    call(img, "timg", "SetImagingSettings", f"{v}<timg:ImagingSettings><tt:Brightness>50</tt:Brightness></timg:ImagingSettings>")
    call(img, "timg", "GetOptions", v)
    call(img, "timg", "GetMoveOptions", v)
    call(img, "timg", "Move", f"{v}<timg:Focus><tt:Continuous><tt:Speed>0.5</tt:Speed></tt:Continuous></timg:Focus>")
    call(img, "timg", "GetStatus", v)
    call(img, "timg", "Stop", v)

    call(evt, "tev", "GetServiceCapabilities")
    call(evt, "tev", "GetEventProperties")
    created = call(evt, "tev", "CreatePullPointSubscription", "<tev:InitialTerminationTime>PT60S</tev:InitialTerminationTime>")
    address = text(created, "tev:SubscriptionReference/wsa:Address")
    sub = "/onvif/events_service"
    call(sub, "tev", "PullMessages", "<tev:Timeout>PT1S</tev:Timeout><tev:MessageLimit>10</tev:MessageLimit>", address, evt)
    call(sub, "wsnt", "Renew", "<wsnt:TerminationTime>PT120S</wsnt:TerminationTime>", address, evt)
    call(sub, "tev", "SetSynchronizationPoint", "", address, evt)
    call(sub, "wsnt", "Unsubscribe", "", address, evt)
    # Base notification: the camera pushes Notify to a consumer here; its body is checked too.
    consumer_url, notified = consumer("/notify")
    pushed = call(evt, "wsnt", "Subscribe", f"<wsnt:ConsumerReference><wsa:Address>{consumer_url}</wsa:Address>"
                  "</wsnt:ConsumerReference><wsnt:InitialTerminationTime>PT60S</wsnt:InitialTerminationTime>")
    cam.validate_pushed("Notify", notified.get(timeout=10))
    call(sub, "wsnt", "Unsubscribe", "", text(pushed, "wsnt:SubscriptionReference/wsa:Address"), evt)

    m2 = "/onvif/media2_service"
    call(m2, "tr2", "GetServiceCapabilities")
    call(m2, "tr2", "GetProfiles", "<tr2:Type>All</tr2:Type>")
    sources = call(m2, "tr2", "GetVideoSourceConfigurations")
    call(m2, "tr2", "GetVideoSourceConfigurationOptions", "<tr2:ConfigurationToken>video_src_config</tr2:ConfigurationToken>")
    same = etree.tostring(sources.find("tr2:Configurations", NS)).decode().replace("tr2:Configurations", "tr2:Configuration")
    call(m2, "tr2", "SetVideoSourceConfiguration", same)
    call(m2, "tr2", "GetVideoEncoderInstances", "<tr2:ConfigurationToken>video_src_config</tr2:ConfigurationToken>")
    encoders = call(m2, "tr2", "GetVideoEncoderConfigurations")
    call(m2, "tr2", "GetVideoEncoderConfigurationOptions", "<tr2:ConfigurationToken>video_encoder_1</tr2:ConfigurationToken>")
    main = etree.tostring(encoders.find("tr2:Configurations", NS)).decode().replace("tr2:Configurations", "tr2:Configuration")
    call(m2, "tr2", "SetVideoEncoderConfiguration", main)
    call(m2, "tr2", "GetStreamUri", f"<tr2:Protocol>RtspUnicast</tr2:Protocol><tr2:ProfileToken>{profile}</tr2:ProfileToken>")
    call(m2, "tr2", "GetSnapshotUri", f"<tr2:ProfileToken>{profile}</tr2:ProfileToken>")
    created = call(m2, "tr2", "CreateProfile", "<tr2:Name>walk2</tr2:Name>"
                   "<tr2:Configuration><tr2:Type>VideoSource</tr2:Type></tr2:Configuration>")
    p2 = f"<tr2:ProfileToken>{text(created, 'tr2:Token')}</tr2:ProfileToken>"
    call(m2, "tr2", "AddConfiguration", p2 + "".join(
        f"<tr2:Configuration><tr2:Type>{t}</tr2:Type></tr2:Configuration>" for t in ["AudioSource", "AudioEncoder", "PTZ"])
        + "<tr2:Configuration><tr2:Type>VideoEncoder</tr2:Type><tr2:Token>video_encoder_2</tr2:Token></tr2:Configuration>")
    call(m2, "tr2", "GetProfiles", f"<tr2:Token>{text(created, 'tr2:Token')}</tr2:Token><tr2:Type>All</tr2:Type>")
    call(m2, "tr2", "RemoveConfiguration", p2 + "<tr2:Configuration><tr2:Type>AudioEncoder</tr2:Type></tr2:Configuration>")
    call(m2, "tr2", "DeleteProfile", f"<tr2:Token>{text(created, 'tr2:Token')}</tr2:Token>")
    call(m2, "tr2", "GetAudioSourceConfigurations")
    call(m2, "tr2", "GetAudioSourceConfigurationOptions")
    audio = call(m2, "tr2", "GetAudioEncoderConfigurations")
    call(m2, "tr2", "GetAudioEncoderConfigurationOptions")
    same = etree.tostring(audio.find("tr2:Configurations", NS)).decode().replace("tr2:Configurations", "tr2:Configuration")
    call(m2, "tr2", "SetAudioEncoderConfiguration", same)
    call(m2, "tr2", "GetOSDs")
    call(m2, "tr2", "GetOSDOptions", "<tr2:ConfigurationToken>video_src_config</tr2:ConfigurationToken>")
    osd = ('<tr2:OSD token="{}"><tt:VideoSourceConfigurationToken>video_src_config</tt:VideoSourceConfigurationToken>'
           "<tt:Type>Text</tt:Type><tt:Position>{}</tt:Position><tt:TextString>{}</tt:TextString></tr2:OSD>")
    call(m2, "tr2", "SetOSD", osd.format("osd_title", "<tt:Type>UpperRight</tt:Type>",
                                         "<tt:Type>Plain</tt:Type><tt:PlainText>walk</tt:PlainText>"))
    call(m2, "tr2", "DeleteOSD", "<tr2:OSDToken>osd_time</tr2:OSDToken>")
    call(m2, "tr2", "CreateOSD", osd.format("new", '<tt:Type>Custom</tt:Type><tt:Pos x="-0.5" y="0.5"/>',
                                            "<tt:Type>DateAndTime</tt:Type><tt:DateFormat>dd/MM/yyyy</tt:DateFormat>"))
    call(m2, "tr2", "GetOSDs")

    # Last: they end the camera's settings or its run.
    call(dev, "tds", "SetSystemFactoryDefault", "<tds:FactoryDefault>Soft</tds:FactoryDefault>")
    call(dev, "tds", "SystemReboot")
    return done


def main():
    port, wanted = sys.argv[1], sys.argv[2:]
    tree = os.environ["ONVIF_WSDL"]
    cam = Camera(port, schema(tree), strict_bindings(tree))
    done = walk(cam)
    missing = [w for w in wanted if w not in done]
    check(f"every operation of the camera's tables was called ({len(wanted)}); not called: {missing}", not missing)
    invalid = [k for k, ok in cam.valid if not ok]
    check(f"every answer is valid against the ONVIF schemas ({len(cam.valid)} answers); invalid: {invalid}", not invalid)
    print("DONE", flush=True)


if __name__ == "__main__":
    main()
