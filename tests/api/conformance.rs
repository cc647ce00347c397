//! ONVIF's rules where the camera used to differ from them (Profile S/T
//! conformance), each test named after the point of the issue it closes.

use crate::common::*;
use camcgi_hal::mock::Call;
use std::time::Duration;

const DEVICE: &str = "/onvif/device_service";
const MEDIA: &str = "/onvif/media_service";
const BASIC_ADMIN: &str = "Authorization: Basic YWRtaW46MTIzNDU2\r\n";
const DEVICE_NS: &str = "http://www.onvif.org/ver10/device/wsdl";

fn set_zone(port: u16, zone: &str) -> Resp {
    let body = format!(
        "<SetSystemDateAndTime xmlns=\"{DEVICE_NS}\"><DateTimeType>NTP</DateTimeType><DaylightSavings>false</DaylightSavings>\
         <TimeZone><TZ xmlns=\"http://www.onvif.org/ver10/schema\">{zone}</TZ></TimeZone></SetSystemDateAndTime>"
    );
    soap(port, DEVICE, &body, BASIC_ADMIN)
}

#[test]
fn point5_an_operation_of_another_namespace_is_not_answered_as_this_services() {
    let cam = Cam::start();
    let media2 = soap(cam.port(), MEDIA, "<GetProfiles xmlns=\"http://www.onvif.org/ver20/media/wsdl\"/>", BASIC_ADMIN);
    assert_soap_fault(
        &media2,
        500,
        "ter:ActionNotSupported",
        "GetProfiles in namespace http://www.onvif.org/ver20/media/wsdl is not an operation of /onvif/media_service",
    );
    let media1 = soap(cam.port(), MEDIA, "<GetProfiles xmlns=\"http://www.onvif.org/ver10/media/wsdl\"/>", BASIC_ADMIN);
    assert_eq!(media1.status, 200, "{}", media1.text());
    // Declared on the envelope with a prefix, as zeep and gSOAP write it.
    let prefixed = "<?xml version=\"1.0\"?><s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" \
        xmlns:trt=\"http://www.onvif.org/ver10/media/wsdl\"><s:Body><trt:GetProfiles/></s:Body></s:Envelope>";
    assert_eq!(post_soap(cam.port(), MEDIA, prefixed, BASIC_ADMIN).status, 200);
    let unqualified = soap(cam.port(), DEVICE, "<GetDeviceInformation/>", BASIC_ADMIN);
    assert_soap_fault(
        &unqualified,
        500,
        "ter:ActionNotSupported",
        "GetDeviceInformation in namespace (none) is not an operation of /onvif/device_service",
    );
}

#[test]
fn point5_a_soap_1_1_envelope_is_a_version_mismatch() {
    let cam = Cam::start();
    let soap11 = format!(
        "<?xml version=\"1.0\"?><s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body>\
         <GetDeviceInformation xmlns=\"{DEVICE_NS}\"/></s:Body></s:Envelope>"
    );
    let r = post_soap(cam.port(), DEVICE, &soap11, BASIC_ADMIN);
    assert_soap_fault(&r, 500, "env:VersionMismatch", "a SOAP 1.2 envelope is required");
}

#[test]
fn point5_a_header_that_must_be_understood_and_is_not_is_faulted() {
    let cam = Cam::start();
    let header = "<x:Billing xmlns:x=\"urn:example\" s:mustUnderstand=\"true\">1</x:Billing>";
    let envelope = soap_envelope(header, &format!("<GetDeviceInformation xmlns=\"{DEVICE_NS}\"/>"));
    let r = post_soap(cam.port(), DEVICE, &envelope, BASIC_ADMIN);
    assert_soap_fault(&r, 500, "env:MustUnderstand", "the header block Billing (urn:example) is not understood");
    // WS-Addressing's headers, which zeep marks so, are understood.
    let addressing = "<a:Action xmlns:a=\"http://www.w3.org/2005/08/addressing\" s:mustUnderstand=\"1\">\
        http://www.onvif.org/ver10/device/wsdl/GetDeviceInformation</a:Action>";
    let envelope = soap_envelope(addressing, &format!("<GetDeviceInformation xmlns=\"{DEVICE_NS}\"/>"));
    let r = post_soap(cam.port(), DEVICE, &envelope, BASIC_ADMIN);
    assert_eq!(r.status, 200, "{}", r.text());
    // Not marked: ignored.
    let envelope =
        soap_envelope("<x:Billing xmlns:x=\"urn:example\">1</x:Billing>", &format!("<GetDeviceInformation xmlns=\"{DEVICE_NS}\"/>"));
    assert_eq!(post_soap(cam.port(), DEVICE, &envelope, BASIC_ADMIN).status, 200);
}

#[test]
fn point5_get_services_includes_each_services_capabilities_when_asked() {
    let cam = Cam::start();
    let ask = |include: &str| {
        soap(
            cam.port(),
            DEVICE,
            &format!("<GetServices xmlns=\"{DEVICE_NS}\"><IncludeCapability>{include}</IncludeCapability></GetServices>"),
            "",
        )
    };
    let with = ask("true");
    assert_eq!(with.status, 200, "{}", with.text());
    let text = with.text();
    for capabilities in [
        "<tds:Capabilities><tds:Capabilities>",
        "<tds:Capabilities><trt:Capabilities SnapshotUri=\"true\"",
        "<tds:Capabilities><tev:Capabilities",
        "<tds:Capabilities><timg:Capabilities",
        "<tds:Capabilities><tptz:Capabilities",
    ] {
        assert!(text.contains(capabilities), "{capabilities} in {text}");
    }
    let without = ask("false");
    assert!(!without.text().contains("Capabilities"), "{}", without.text());
    assert_soap_fault(&ask("maybe"), 400, "ter:InvalidArgVal", "IncludeCapability: true or false");
}

#[test]
fn point8_home_assistants_utc_zone_and_the_posix_forms_are_accepted() {
    let cam = Cam::start();
    for (zone, cgi) in [
        ("UTC", "GMT+00:00"),
        ("GMT", "GMT+00:00"),
        ("CET-1CEST,M3.5.0,M10.5.0/3", "GMT+01:00"),
        ("UTC0", "GMT+00:00"),
        ("&lt;+0530&gt;-5:30", "GMT+05:30"),
    ] {
        let r = set_zone(cam.port(), zone);
        assert_eq!(r.status, 200, "{zone}: {}", r.text());
        let time = assert_ok(cam.get(&format!("/cgi-bin/time?uid={}", cam.admin())), "time");
        assert_eq!(time.attr("timezone").as_deref(), Some(cgi), "{zone}");
    }
    // A zone by place name is not POSIX: refused, so the client falls back to its POSIX form.
    assert_soap_fault(&set_zone(cam.port(), "Europe/Berlin"), 400, "ter:InvalidTimeZone", "TZ: a POSIX time zone");
}

#[test]
fn point5_move_status_names_only_the_motors_that_run() {
    let cam = Cam::start();
    let ptz = |body: &str| soap(cam.port(), "/onvif/ptz_service", body, BASIC_ADMIN);
    const PTZ_NS: &str = "http://www.onvif.org/ver20/ptz/wsdl";
    const SCHEMA: &str = "xmlns=\"http://www.onvif.org/ver10/schema\"";
    let profile = "<ProfileToken>profile_1</ProfileToken>";
    let status = || {
        let r = ptz(&format!("<GetStatus xmlns=\"{PTZ_NS}\">{profile}</GetStatus>"));
        assert_eq!(r.status, 200, "{}", r.text());
        (r.element("tt:PanTilt").unwrap_or_default(), r.element("tt:Zoom").unwrap_or_default())
    };
    assert_eq!(status(), ("IDLE".to_string(), "IDLE".to_string()));
    let pan = ptz(&format!(
        "<ContinuousMove xmlns=\"{PTZ_NS}\">{profile}<Velocity><PanTilt {SCHEMA} x=\"0.5\" y=\"0\"/></Velocity></ContinuousMove>"
    ));
    assert_eq!(pan.status, 200, "{}", pan.text());
    assert_eq!(status(), ("MOVING".to_string(), "IDLE".to_string()), "a pan moves no zoom");
    let zoom =
        ptz(&format!("<ContinuousMove xmlns=\"{PTZ_NS}\">{profile}<Velocity><Zoom {SCHEMA} x=\"0.5\"/></Velocity></ContinuousMove>"));
    assert_eq!(zoom.status, 200, "{}", zoom.text());
    assert_eq!(status(), ("IDLE".to_string(), "MOVING".to_string()), "a zoom moves no pan or tilt");
    assert_eq!(ptz(&format!("<Stop xmlns=\"{PTZ_NS}\">{profile}</Stop>")).status, 200);
    assert_eq!(status(), ("IDLE".to_string(), "IDLE".to_string()));
}

#[test]
fn point6_no_motion_event_while_detection_is_switched_off() {
    let cam = Cam::start();
    let port = cam.port();
    let uid = cam.admin();
    let body = "<CreatePullPointSubscription xmlns=\"http://www.onvif.org/ver10/events/wsdl\">\
        <InitialTerminationTime>PT60S</InitialTerminationTime></CreatePullPointSubscription>";
    let path = subscription_path(&soap(port, "/onvif/events_service", body, BASIC_ADMIN));
    let pull = "<PullMessages xmlns=\"http://www.onvif.org/ver10/events/wsdl\"><Timeout>PT0S</Timeout><MessageLimit>10</MessageLimit></PullMessages>";
    assert!(soap(port, &path, pull, BASIC_ADMIN).text().contains("PropertyOperation=\"Initialized\""));
    assert_ok(cam.get(&format!("/cgi-bin/motion?enable=0&enable_nighttime=0&uid={uid}")), "motion");
    cam.mock.set_motion(true);
    cam.advance_and_tick(Duration::from_secs(1));
    let quiet = soap(port, &path, pull, BASIC_ADMIN);
    assert_eq!(quiet.status, 200, "{}", quiet.text());
    assert!(!quiet.text().contains("NotificationMessage"), "detection is off: {}", quiet.text());
    assert_ok(cam.get(&format!("/cgi-bin/motion?enable=1&uid={uid}")), "motion");
    cam.advance_and_tick(Duration::from_secs(1));
    let seen = soap(port, &path, pull, BASIC_ADMIN);
    assert!(seen.text().contains("<tt:SimpleItem Name=\"IsMotion\" Value=\"true\"/>"), "detection is on: {}", seen.text());
}

/// The text of each `<tag>…</tag>` in `text`, in order.
fn all_elements<'t>(text: &'t str, tag: &str) -> Vec<&'t str> {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    text.match_indices(&open)
        .filter_map(|(at, _)| {
            let start = at + open.len();
            text[start..].find(&close).map(|end| &text[start..start + end])
        })
        .collect()
}

#[test]
fn point3_every_option_media_1_advertises_is_accepted_at_every_resolution() {
    let cam = Cam::start();
    let port = cam.port();
    let media = |body: &str| soap(port, MEDIA, body, BASIC_ADMIN);
    let options = media(
        "<GetVideoEncoderConfigurationOptions xmlns=\"http://www.onvif.org/ver10/media/wsdl\">\
         <ConfigurationToken>video_encoder_1</ConfigurationToken></GetVideoEncoderConfigurationOptions>",
    );
    assert_eq!(options.status, 200, "{}", options.text());
    let text = options.text();
    let extension = &text[text.find("<tt:Extension><tt:H264>").expect("H.264 options")..];
    let range = |name: &str| -> (u32, u32) {
        let r = all_elements(extension, name)[0];
        (all_elements(r, "tt:Min")[0].parse().unwrap(), all_elements(r, "tt:Max")[0].parse().unwrap())
    };
    let (fps, bitrate) = (range("tt:FrameRateRange"), range("tt:BitrateRange"));
    // The mock's H.264 main stream: 2592X1944 at 1-15 fps and 500-8000 kbit/s, 1080P at 1-30 and 500-6000.
    assert_eq!((fps, bitrate), ((1, 15), (500, 6000)), "the ranges every resolution takes");
    let resolutions = all_elements(extension.split("</tt:H264>").next().unwrap(), "tt:ResolutionsAvailable");
    assert_eq!(resolutions.len(), 2, "{extension}");
    let schema = "xmlns=\"http://www.onvif.org/ver10/schema\"";
    for resolution in resolutions {
        for (rate, kbits) in [(fps.1, bitrate.1), (fps.0, bitrate.0)] {
            let set = media(&format!(
                "<SetVideoEncoderConfiguration xmlns=\"http://www.onvif.org/ver10/media/wsdl\"><Configuration token=\"video_encoder_1\">\
                 <Encoding {schema}>H264</Encoding><Resolution {schema}>{resolution}</Resolution><RateControl {schema}>\
                 <FrameRateLimit>{rate}</FrameRateLimit><BitrateLimit>{kbits}</BitrateLimit></RateControl></Configuration>\
                 <ForcePersistence>true</ForcePersistence></SetVideoEncoderConfiguration>"
            ));
            assert_eq!(set.status, 200, "{resolution} at {rate} fps, {kbits} kbit/s: {}", set.text());
        }
    }
}

#[test]
fn point2_an_h265_stream_is_never_named_h264_and_the_factory_settings_have_an_h264_profile() {
    let cam = Cam::start();
    let profiles = soap(cam.port(), MEDIA, "<GetProfiles xmlns=\"http://www.onvif.org/ver10/media/wsdl\"/>", BASIC_ADMIN).text();
    let main = &profiles[profiles.find("token=\"profile_1\"").unwrap()..profiles.find("token=\"profile_2\"").unwrap()];
    let sub = &profiles[profiles.find("token=\"profile_2\"").unwrap()..];
    assert!(!main.contains("VideoEncoderConfiguration"), "the main stream is H.265 on factory settings: {main}");
    assert!(sub.contains("<tt:Encoding>H264</tt:Encoding>"), "the sub stream is H.264 on factory settings: {sub}");
    let cgi = assert_ok(cam.get(&format!("/cgi-bin/videoencoder?uid={}", cam.admin())), "videoencoder");
    assert!(cgi.text().contains("<stream1 encode_mode=\"H265\"") && cgi.text().contains("<stream2 encode_mode=\"H264\""), "{}", cgi.text());
    let all =
        soap(cam.port(), MEDIA, "<GetVideoEncoderConfigurations xmlns=\"http://www.onvif.org/ver10/media/wsdl\"/>", BASIC_ADMIN).text();
    assert_eq!(all_elements(&all, "tt:Encoding"), ["H264"], "only the stream Media 1 can name: {all}");
}

#[test]
fn point1_the_network_is_read_and_set_over_onvif_through_the_cgis_checks() {
    let cam = Cam::start();
    let port = cam.port();
    let uid = cam.admin();
    let device = |body: &str| soap(port, DEVICE, &format!("<{body}"), BASIC_ADMIN);
    let protocols = device(&format!("GetNetworkProtocols xmlns=\"{DEVICE_NS}\"/>"));
    assert!(
        protocols.text().contains(&format!("<tt:Name>HTTP</tt:Name><tt:Enabled>true</tt:Enabled><tt:Port>{port}</tt:Port>"))
            && protocols.text().contains("<tt:Name>RTSP</tt:Name><tt:Enabled>true</tt:Enabled><tt:Port>554</tt:Port>"),
        "{}",
        protocols.text()
    );
    let rtsp = device(&format!(
        "SetNetworkProtocols xmlns=\"{DEVICE_NS}\"><NetworkProtocols><Name xmlns=\"http://www.onvif.org/ver10/schema\">RTSP</Name>\
         <Enabled xmlns=\"http://www.onvif.org/ver10/schema\">true</Enabled><Port xmlns=\"http://www.onvif.org/ver10/schema\">8554</Port>\
         </NetworkProtocols></SetNetworkProtocols>"
    ));
    assert_soap_fault(&rtsp, 400, "ter:InvalidArgVal", "RTSP: the streamer serves port 554");
    let outside =
        device(&format!("SetNetworkDefaultGateway xmlns=\"{DEVICE_NS}\"><IPv4Address>10.0.0.1</IPv4Address></SetNetworkDefaultGateway>"));
    assert_soap_fault(&outside, 400, "ter:InvalidArgVal", "gateway error");
    let tt = "xmlns=\"http://www.onvif.org/ver10/schema\"";
    let set = [
        format!("SetNetworkDefaultGateway xmlns=\"{DEVICE_NS}\"><IPv4Address>192.168.0.254</IPv4Address></SetNetworkDefaultGateway>"),
        format!(
            "SetDNS xmlns=\"{DEVICE_NS}\"><FromDHCP>false</FromDHCP><DNSManual><Type {tt}>IPv4</Type><IPv4Address {tt}>1.1.1.1</IPv4Address>\
             </DNSManual><DNSManual><Type {tt}>IPv4</Type><IPv4Address {tt}>9.9.9.9</IPv4Address></DNSManual></SetDNS>"
        ),
        format!(
            "SetNetworkInterfaces xmlns=\"{DEVICE_NS}\"><InterfaceToken>eth0</InterfaceToken><NetworkInterface><IPv4 {tt}><Enabled>true</Enabled>\
             <Manual><Address>192.168.0.20</Address><PrefixLength>24</PrefixLength></Manual><DHCP>false</DHCP></IPv4></NetworkInterface>\
             </SetNetworkInterfaces>"
        ),
        format!(
            "SetNTP xmlns=\"{DEVICE_NS}\"><FromDHCP>false</FromDHCP><NTPManual><Type {tt}>DNS</Type><DNSname {tt}>ntp.example.org</DNSname>\
             </NTPManual></SetNTP>"
        ),
    ];
    for body in &set {
        let r = device(body);
        assert_eq!(r.status, 200, "{body}: {}", r.text());
    }
    let network = assert_ok(cam.get(&format!("/cgi-bin/network?uid={uid}")), "network");
    for (name, value) in
        [("ipaddr", "192.168.0.20"), ("netmask", "255.255.255.0"), ("gateway", "192.168.0.254"), ("dns1", "1.1.1.1"), ("dns2", "9.9.9.9")]
    {
        assert_eq!(network.attr(name).as_deref(), Some(value), "{}", network.text());
    }
    let time = assert_ok(cam.get(&format!("/cgi-bin/time?uid={uid}")), "time");
    assert_eq!(time.attr("ntpaddr").as_deref(), Some("ntp.example.org"), "{}", time.text());
    // The HTTP port: the camera answers there once it has answered the change.
    let new = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let http = device(&format!(
        "SetNetworkProtocols xmlns=\"{DEVICE_NS}\"><NetworkProtocols><Name {tt}>HTTP</Name><Enabled {tt}>true</Enabled><Port {tt}>{new}</Port>\
         </NetworkProtocols></SetNetworkProtocols>"
    ));
    assert_eq!(http.status, 200, "{}", http.text());
    cam.eventually("the new port answers", || std::net::TcpStream::connect(("127.0.0.1", new)).is_ok());
    let moved = request(new, "GET", &format!("/cgi-bin/network?uid={uid}"), "");
    assert_eq!(moved.attr("port").as_deref(), Some(new.to_string().as_str()), "{}", moved.text());
}

#[test]
fn point1_configurable_scopes_are_set_added_and_removed_and_fixed_ones_stay() {
    let cam = Cam::start();
    let device = |body: String| soap(cam.port(), DEVICE, &body, BASIC_ADMIN);
    let scopes = || device(format!("<GetScopes xmlns=\"{DEVICE_NS}\"/>")).text();
    let before = scopes();
    assert!(
        before.contains("<tt:ScopeDef>Fixed</tt:ScopeDef><tt:ScopeItem>onvif://www.onvif.org/type/video_encoder</tt:ScopeItem>"),
        "{before}"
    );
    assert!(
        before.contains("<tt:ScopeDef>Configurable</tt:ScopeDef><tt:ScopeItem>onvif://www.onvif.org/name/MC200J6</tt:ScopeItem>"),
        "{before}"
    );
    let set = device(format!(
        "<SetScopes xmlns=\"{DEVICE_NS}\"><Scopes>onvif://www.onvif.org/name/Gate</Scopes><Scopes>onvif://www.onvif.org/location/yard</Scopes></SetScopes>"
    ));
    assert_eq!(set.status, 200, "{}", set.text());
    let add = device(format!("<AddScopes xmlns=\"{DEVICE_NS}\"><ScopeItem>onvif://www.onvif.org/location/north</ScopeItem></AddScopes>"));
    assert_eq!(add.status, 200, "{}", add.text());
    let removed =
        device(format!("<RemoveScopes xmlns=\"{DEVICE_NS}\"><ScopeItem>onvif://www.onvif.org/location/yard</ScopeItem></RemoveScopes>"));
    assert!(removed.text().contains("<tds:ScopeItem>onvif://www.onvif.org/location/yard</tds:ScopeItem>"), "{}", removed.text());
    let after = scopes();
    let configurable: Vec<&str> =
        after.split("<tt:ScopeDef>Configurable</tt:ScopeDef><tt:ScopeItem>").skip(1).filter_map(|s| s.split('<').next()).collect();
    assert_eq!(configurable, ["onvif://www.onvif.org/name/Gate", "onvif://www.onvif.org/location/north"], "{after}");
    let fixed = device(format!(
        "<RemoveScopes xmlns=\"{DEVICE_NS}\"><ScopeItem>onvif://www.onvif.org/type/video_encoder</ScopeItem></RemoveScopes>"
    ));
    assert_soap_fault(&fixed, 400, "ter:FixedScope", "onvif://www.onvif.org/type/video_encoder is a fixed scope");
    let unknown =
        device(format!("<RemoveScopes xmlns=\"{DEVICE_NS}\"><ScopeItem>onvif://www.onvif.org/location/none</ScopeItem></RemoveScopes>"));
    assert_soap_fault(&unknown, 400, "ter:NoScope", "onvif://www.onvif.org/location/none is not a scope of the camera");
    let bad = device(format!("<AddScopes xmlns=\"{DEVICE_NS}\"><ScopeItem>http://example.com/x</ScopeItem></AddScopes>"));
    assert_soap_fault(&bad, 400, "ter:InvalidArgVal", "http://example.com/x: not an ONVIF scope of at most 128 bytes");
    let many: String = (0..17).map(|n| format!("<ScopeItem>onvif://www.onvif.org/location/{n}</ScopeItem>")).collect();
    assert_soap_fault(
        &device(format!("<AddScopes xmlns=\"{DEVICE_NS}\">{many}</AddScopes>")),
        500,
        "ter:TooManyScopes",
        "at most 16 configurable scopes",
    );
    assert_eq!(scopes(), after, "refused changes change nothing");
    // A factory reset brings the name and location back.
    assert_ok(cam.get(&format!("/cgi-bin/factory_reset?retain_network=1&uid={}", cam.admin())), "factory_reset");
    cam.eventually("the reset", || scopes().contains("onvif://www.onvif.org/name/MC200J6"));
}

#[test]
fn point9_the_mock_boards_motion_is_driven_from_outside_by_a_file() {
    let cam = Cam::start();
    // As `camcgi --board mock` sets its board up in its data directory.
    cam.mock.store_in(&cam.dir.0);
    let port = cam.port();
    let body = "<CreatePullPointSubscription xmlns=\"http://www.onvif.org/ver10/events/wsdl\">\
        <InitialTerminationTime>PT60S</InitialTerminationTime></CreatePullPointSubscription>";
    let path = subscription_path(&soap(port, "/onvif/events_service", body, BASIC_ADMIN));
    let pull = "<PullMessages xmlns=\"http://www.onvif.org/ver10/events/wsdl\"><Timeout>PT0S</Timeout><MessageLimit>10</MessageLimit></PullMessages>";
    assert!(soap(port, &path, pull, BASIC_ADMIN).text().contains("Name=\"IsMotion\" Value=\"false\""));
    std::fs::write(cam.dir.0.join("motion"), "1\n").unwrap();
    cam.advance_and_tick(Duration::from_secs(1));
    assert!(soap(port, &path, pull, BASIC_ADMIN).text().contains("Name=\"IsMotion\" Value=\"true\""), "motion from the file");
    std::fs::write(cam.dir.0.join("motion"), "0\n").unwrap();
    cam.advance_and_tick(Duration::from_secs(1));
    assert!(soap(port, &path, pull, BASIC_ADMIN).text().contains("Name=\"IsMotion\" Value=\"false\""), "and its end");
}

#[test]
fn point8_no_auxiliary_command_is_advertised_and_each_is_refused_without_a_server_error() {
    let cam = Cam::start();
    let ptz = |body: &str| soap(cam.port(), "/onvif/ptz_service", body, BASIC_ADMIN);
    const PTZ_NS: &str = "http://www.onvif.org/ver20/ptz/wsdl";
    let nodes = ptz(&format!("<GetNodes xmlns=\"{PTZ_NS}\"/>"));
    assert!(!nodes.text().contains("AuxiliaryCommands"), "{}", nodes.text());
    let wiper = ptz(&format!(
        "<SendAuxiliaryCommand xmlns=\"{PTZ_NS}\"><ProfileToken>profile_1</ProfileToken><AuxiliaryData>tt:Wiper|On</AuxiliaryData></SendAuxiliaryCommand>"
    ));
    assert_soap_fault(&wiper, 400, "ter:InvalidArgVal", "tt:Wiper|On: the camera has no auxiliary commands");
}

#[test]
fn point1_media2_describes_both_streams_truly_with_options_per_resolution() {
    let cam = Cam::start();
    const M2: &str = "/onvif/media2_service";
    const NS2: &str = "http://www.onvif.org/ver20/media/wsdl";
    let media2 = |body: String| soap(cam.port(), M2, &body, BASIC_ADMIN);
    let profiles = media2(format!("<GetProfiles xmlns=\"{NS2}\"><Type>All</Type></GetProfiles>"));
    assert_eq!(profiles.status, 200, "{}", profiles.text());
    assert_eq!(all_elements(&profiles.text(), "tt:Encoding"), ["H265", "H264"], "{}", profiles.text());
    let bare = media2(format!("<GetProfiles xmlns=\"{NS2}\"/>")).text();
    assert!(bare.contains("<tr2:Name>MainStream</tr2:Name>") && !bare.contains("VideoEncoder"), "no type, no configurations: {bare}");
    // One Options per mode and resolution, each with its own ranges.
    let options = media2(format!(
        "<GetVideoEncoderConfigurationOptions xmlns=\"{NS2}\"><ConfigurationToken>video_encoder_1</ConfigurationToken></GetVideoEncoderConfigurationOptions>"
    ))
    .text();
    let each: Vec<&str> = options.split("<tr2:Options").skip(1).collect();
    assert_eq!(each.len(), 4, "H.264 and H.265, two resolutions each: {options}");
    let h264_1080 = each.iter().find(|o| o.contains("<tt:Encoding>H264</tt:Encoding>") && o.contains("<tt:Width>1920</tt:Width>")).unwrap();
    assert!(h264_1080.contains("<tt:BitrateRange><tt:Min>500</tt:Min><tt:Max>6000</tt:Max></tt:BitrateRange>"), "{h264_1080}");
    assert!(h264_1080.contains("FrameRatesSupported=\"1 2 3") && h264_1080.contains(" 29 30\""), "{h264_1080}");
    // The codec changes over ONVIF: H.264 at 1080P and 30 fps, which the options give for it.
    let tt = "xmlns=\"http://www.onvif.org/ver10/schema\"";
    let set = |encoding: &str, fps: u32, kbits: u32| {
        media2(format!(
            "<SetVideoEncoderConfiguration xmlns=\"{NS2}\"><Configuration token=\"video_encoder_1\" GovLength=\"50\"><Name {tt}>x</Name>\
             <UseCount {tt}>1</UseCount><Encoding {tt}>{encoding}</Encoding><Resolution {tt}><Width>1920</Width><Height>1080</Height></Resolution>\
             <RateControl {tt} ConstantBitRate=\"false\"><FrameRateLimit>{fps}</FrameRateLimit><BitrateLimit>{kbits}</BitrateLimit></RateControl>\
             <Quality {tt}>4</Quality></Configuration></SetVideoEncoderConfiguration>"
        ))
    };
    let r = set("H264", 30, 6000);
    assert_eq!(r.status, 200, "{}", r.text());
    let cgi = assert_ok(cam.get(&format!("/cgi-bin/videoencoder/stream1?uid={}", cam.admin())), "videoencoder");
    assert!(
        cgi.text().contains("<stream1 encode_mode=\"H264\" resolution=\"1080P\" framerate=\"30\" govlength=\"50\" bitrate=\"6000\" bitrate_control=\"VBR\"/>"),
        "{}",
        cgi.text()
    );
    // What a resolution does not take is refused with the CGI's reason, and changes nothing.
    assert_soap_fault(&set("H265", 30, 6000), 400, "ter:InvalidArgVal", "bitrate error");
    let uri = media2(format!(
        "<GetStreamUri xmlns=\"{NS2}\"><Protocol>RtspUnicast</Protocol><ProfileToken>profile_2</ProfileToken></GetStreamUri>"
    ));
    assert_eq!(uri.element("tr2:Uri").as_deref(), Some("rtsp://127.0.0.1:554/stream2"), "{}", uri.text());
    let snapshot = media2(format!("<GetSnapshotUri xmlns=\"{NS2}\"><ProfileToken>profile_1</ProfileToken></GetSnapshotUri>"));
    assert_eq!(snapshot.element("tr2:Uri").as_deref(), Some("http://127.0.0.1/cgi-bin/snapshot.cgi?stream=1"));
    let services = soap(
        cam.port(),
        DEVICE,
        &format!("<GetServices xmlns=\"{DEVICE_NS}\"><IncludeCapability>false</IncludeCapability></GetServices>"),
        "",
    );
    assert!(services.text().contains("<tds:Namespace>http://www.onvif.org/ver20/media/wsdl</tds:Namespace><tds:XAddr>http://127.0.0.1/onvif/media2_service</tds:XAddr>"), "{}", services.text());
}

#[test]
fn point7_repeated_slashes_in_a_path_are_taken_as_one() {
    let cam = Cam::start();
    let uid = cam.admin();
    // As node-onvif asks for a snapshot: `//cgi-bin/snapshot.cgi`, the query left out (stream 0).
    let r = cam.get_with("//cgi-bin/snapshot.cgi", "Authorization: Basic YWRtaW46MTIzNDU2\r\n");
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(&r.body[..2], b"\xff\xd8");
    let image = cam.get(&format!("/cgi-bin//image?uid={uid}"));
    assert_ok(image, "image");
    // The query keeps its text; a path that is not the table's stays unknown.
    let osd = assert_ok(cam.get(&format!("//cgi-bin/osd?uid={uid}&title_utf8=a//b")), "osd");
    assert_eq!(osd.attr("title_utf8").as_deref(), Some("a//b"), "{}", osd.text());
    assert_eq!(cam.get("//cgi-bin/nothing").status, 404);
}

#[test]
fn point5_imaging_status_follows_the_focus_motor() {
    let cam = Cam::start();
    const IMG: &str = "http://www.onvif.org/ver20/imaging/wsdl";
    let imaging = |body: String| soap(cam.port(), "/onvif/imaging_service", &body, BASIC_ADMIN);
    let source = "<VideoSourceToken>video_src</VideoSourceToken>";
    let status = || imaging(format!("<GetStatus xmlns=\"{IMG}\">{source}</GetStatus>")).element("tt:MoveStatus").unwrap_or_default();
    assert_eq!(status(), "IDLE");
    let focus = imaging(format!(
        "<Move xmlns=\"{IMG}\">{source}<Focus><Continuous xmlns=\"http://www.onvif.org/ver10/schema\"><Speed>0.5</Speed></Continuous></Focus></Move>"
    ));
    assert_eq!(focus.status, 200, "{}", focus.text());
    assert_eq!(status(), "MOVING");
    assert_eq!(imaging(format!("<Stop xmlns=\"{IMG}\">{source}</Stop>")).status, 200);
    assert_eq!(status(), "IDLE");
}

#[test]
fn point6_a_message_that_arrives_while_its_pull_is_abandoned_waits_for_the_next_pull() {
    use std::io::Write;
    let cam = Cam::start();
    let port = cam.port();
    let body = "<CreatePullPointSubscription xmlns=\"http://www.onvif.org/ver10/events/wsdl\">\
        <InitialTerminationTime>PT60S</InitialTerminationTime></CreatePullPointSubscription>";
    let path = subscription_path(&soap(port, "/onvif/events_service", body, BASIC_ADMIN));
    let pull = |timeout: &str| {
        format!("<PullMessages xmlns=\"http://www.onvif.org/ver10/events/wsdl\"><Timeout>{timeout}</Timeout><MessageLimit>10</MessageLimit></PullMessages>")
    };
    assert!(soap(port, &path, &pull("PT0S"), BASIC_ADMIN).text().contains("Initialized"));
    // A client starts a long pull, then gives up and closes its connection.
    let envelope = soap_envelope("", &pull("PT20S"));
    let mut abandoned = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        abandoned,
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{BASIC_ADMIN}Content-Type: application/soap+xml\r\nContent-Length: {}\r\n\r\n{envelope}",
        envelope.len()
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    drop(abandoned);
    std::thread::sleep(Duration::from_millis(100));
    cam.mock.set_motion(true);
    cam.advance_and_tick(Duration::from_secs(1));
    let next = soap(port, &path, &pull("PT2S"), BASIC_ADMIN);
    assert!(next.text().contains("Name=\"IsMotion\" Value=\"true\""), "the message waited for this pull: {}", next.text());
}

#[test]
fn point5_event_service_faults_are_the_receivers_with_the_faults_action() {
    let cam = Cam::start();
    let pull = "<PullMessages xmlns=\"http://www.onvif.org/ver10/events/wsdl\"><Timeout>PT0S</Timeout><MessageLimit>1</MessageLimit></PullMessages>";
    let r = soap(cam.port(), "/onvif/subscription?id=999", pull, BASIC_ADMIN);
    assert_soap_fault(&r, 500, "wsrf-rw:ResourceUnknownFault", "no such subscription");
    assert!(
        r.text().contains("<env:Header><wsa:Action>http://www.w3.org/2005/08/addressing/soap/fault</wsa:Action></env:Header>"),
        "{}",
        r.text()
    );
    assert!(r.text().contains("xmlns:wsrf-rw=\"http://docs.oasis-open.org/wsrf/rw-2\""), "the subcode's prefix is declared");
    let bad = soap(
        cam.port(),
        "/onvif/events_service",
        "<CreatePullPointSubscription xmlns=\"http://www.onvif.org/ver10/events/wsdl\"><InitialTerminationTime>soon</InitialTerminationTime></CreatePullPointSubscription>",
        BASIC_ADMIN,
    );
    assert_eq!(bad.status, 400, "{}", bad.text());
    assert!(bad.text().contains("<wsa:Action>http://www.w3.org/2005/08/addressing/soap/fault</wsa:Action>"), "{}", bad.text());
}

#[test]
fn point1_what_the_new_operations_refuse_they_refuse_with_its_reason_and_change_nothing() {
    let cam = Cam::start();
    let tt = "xmlns=\"http://www.onvif.org/ver10/schema\"";
    const NS2: &str = "http://www.onvif.org/ver20/media/wsdl";
    let protocol = |name: &str, enabled: &str, ports: &str| {
        format!(
            "<SetNetworkProtocols xmlns=\"{DEVICE_NS}\"><NetworkProtocols><Name {tt}>{name}</Name><Enabled {tt}>{enabled}</Enabled>{ports}\
             </NetworkProtocols></SetNetworkProtocols>"
        )
    };
    let port = |p: u16| format!("<Port {tt}>{p}</Port>");
    let dns = |n: usize| {
        let servers: String =
            (0..n).map(|i| format!("<DNSManual><Type {tt}>IPv4</Type><IPv4Address {tt}>9.9.9.{i}</IPv4Address></DNSManual>")).collect();
        format!("<SetDNS xmlns=\"{DEVICE_NS}\"><FromDHCP>false</FromDHCP>{servers}</SetDNS>")
    };
    let device: Vec<(String, u16, &str, &str)> = vec![
        (
            format!("<SetNetworkInterfaces xmlns=\"{DEVICE_NS}\"><InterfaceToken>wlan0</InterfaceToken><NetworkInterface/></SetNetworkInterfaces>"),
            400,
            "ter:InvalidNetworkInterface",
            "no such network interface",
        ),
        (
            format!(
                "<SetNetworkInterfaces xmlns=\"{DEVICE_NS}\"><InterfaceToken>eth0</InterfaceToken><NetworkInterface>\
                 <IPv6 {tt}><Enabled>true</Enabled></IPv6></NetworkInterface></SetNetworkInterfaces>"
            ),
            400,
            "ter:IPv6NotSupported",
            "IPv6 is not supported",
        ),
        (dns(3), 400, "ter:InvalidIPv4Address", "at most two DNS servers"),
        (format!("<SetDNS xmlns=\"{DEVICE_NS}\"><FromDHCP>true</FromDHCP></SetDNS>"), 400, "ter:InvalidArgVal", "FromDHCP: the camera&apos;s address is not from DHCP"),
        (format!("<SetDNS xmlns=\"{DEVICE_NS}\"><FromDHCP>maybe</FromDHCP></SetDNS>"), 400, "ter:InvalidArgVal", "FromDHCP: true or false"),
        (format!("<SetNTP xmlns=\"{DEVICE_NS}\"><FromDHCP>true</FromDHCP></SetNTP>"), 400, "ter:InvalidArgVal", "FromDHCP: NTP servers from DHCP are not supported"),
        (format!("<SetNTP xmlns=\"{DEVICE_NS}\"><FromDHCP>false</FromDHCP></SetNTP>"), 400, "ter:InvalidArgVal", "NTPManual: one NTP server"),
        (
            format!(
                "<SetNTP xmlns=\"{DEVICE_NS}\"><FromDHCP>false</FromDHCP><NTPManual><Type {tt}>DNS</Type><DNSname {tt}>a.example</DNSname>\
                 </NTPManual><NTPManual><Type {tt}>DNS</Type><DNSname {tt}>b.example</DNSname></NTPManual></SetNTP>"
            ),
            400,
            "ter:InvalidArgVal",
            "NTPManual: the camera keeps one NTP server",
        ),
        (protocol("HTTP", "false", ""), 400, "ter:InvalidArgVal", "HTTP and RTSP cannot be switched off"),
        (protocol("HTTPS", "true", &port(443)), 400, "ter:ServiceNotSupported", "HTTPS is not served"),
        (protocol("FTP", "true", &port(21)), 400, "ter:InvalidArgVal", "Name: HTTP, HTTPS or RTSP"),
        (protocol("HTTP", "true", &(port(8080) + &port(8081))), 400, "ter:InvalidArgVal", "HTTP: the camera serves one port"),
    ];
    let before = assert_ok(cam.get(&format!("/cgi-bin/network?uid={}", cam.admin())), "network").text();
    let ntp_before = assert_ok(cam.get(&format!("/cgi-bin/time?uid={}", cam.admin())), "time").attr("ntpaddr");
    for (body, status, subcode, reason) in &device {
        assert_soap_fault(&soap(cam.port(), DEVICE, body, BASIC_ADMIN), *status, subcode, reason);
    }
    assert_eq!(
        assert_ok(cam.get(&format!("/cgi-bin/network?uid={}", cam.admin())), "network").text(),
        before,
        "refused changes change nothing"
    );
    assert_eq!(assert_ok(cam.get(&format!("/cgi-bin/time?uid={}", cam.admin())), "time").attr("ntpaddr"), ntp_before);
    let media2 = |body: String| soap(cam.port(), "/onvif/media2_service", &body, BASIC_ADMIN);
    assert_soap_fault(
        &media2(format!(
            "<GetStreamUri xmlns=\"{NS2}\"><Protocol>RtspMulticast</Protocol><ProfileToken>profile_1</ProfileToken></GetStreamUri>"
        )),
        400,
        "ter:InvalidArgVal",
        "Protocol: RtspUnicast or RTSP (the streamer serves RTSP over TCP and UDP)",
    );
    assert_soap_fault(
        &media2(format!(
            "<GetVideoSourceConfigurations xmlns=\"{NS2}\"><ConfigurationToken>other</ConfigurationToken></GetVideoSourceConfigurations>"
        )),
        400,
        "ter:NoConfig",
        "no such video source configuration",
    );
    let set = |inner: &str| {
        media2(format!(
            "<SetVideoEncoderConfiguration xmlns=\"{NS2}\"><Configuration token=\"video_encoder_1\">{inner}</Configuration></SetVideoEncoderConfiguration>"
        ))
    };
    assert_soap_fault(&set(&format!("<Encoding {tt}>MPEG4</Encoding>")), 400, "ter:ConfigModify", "Encoding: not offered");
    assert_soap_fault(
        &set(&format!("<Resolution {tt}><Width>123</Width><Height>45</Height></Resolution>")),
        400,
        "ter:ConfigModify",
        "Resolution: not offered",
    );
}

#[test]
fn point1_the_host_name_is_set_over_onvif_checked_kept_and_handed_to_the_board() {
    let dir = std::sync::Arc::new(TempDir::new());
    let cam = Cam::start_in(dir.clone());
    let device = |cam: &Cam, body: String| soap(cam.port(), DEVICE, &body, BASIC_ADMIN);
    let set = |name: &str| format!("<SetHostname xmlns=\"{DEVICE_NS}\"><Name>{name}</Name></SetHostname>");
    let get = |cam: &Cam| {
        let r = device(cam, format!("<GetHostname xmlns=\"{DEVICE_NS}\"/>"));
        all_elements(&r.text(), "tt:Name").first().map(|n| n.to_string())
    };
    let before = get(&cam);
    cam.mock.clear_calls();
    for bad in ["-garage", "garage-", "a..b", "1.2.3.4", "under_score", "sp ace", "", &"x".repeat(64), &["abc"; 64].join(".")] {
        assert_soap_fault(&device(&cam, set(bad)), 400, "ter:InvalidHostname", "not a host name (RFC 1123)");
    }
    assert_eq!(get(&cam), before, "a refused name changes nothing");
    assert!(!cam.mock.calls().iter().any(|c| matches!(c, Call::Network(_))), "nothing reached the board");
    let r = device(&cam, set("garage-cam.example"));
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.text().contains("<tds:SetHostnameResponse/>"), "{}", r.text());
    assert_eq!(get(&cam).as_deref(), Some("garage-cam.example"));
    match cam.mock.calls().last() {
        Some(Call::Network(c)) => assert_eq!(c.hostname, "garage-cam.example"),
        other => panic!("the board was handed no network settings: {other:?}"),
    }
    drop(cam);
    let cam = Cam::start_in(dir);
    assert_eq!(get(&cam).as_deref(), Some("garage-cam.example"));
}
