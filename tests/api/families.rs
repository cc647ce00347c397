//! network, time, videoencoder, audioencoder, osd, image, motion.

use crate::common::*;
use camcgi_hal::mock::{Call, Device};
use camcgi_hal::{ErrorKind, ImageControl, StreamId, TimeSource};

const DECL: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

// ---- network ----

#[test]
fn network_sets_from_the_document() {
    let cam = Cam::start();
    let uid = cam.admin();
    let r = assert_ok(cam.get(&format!("/cgi-bin/network?dhcp=1&uid={uid}")), "network");
    assert_eq!(r.attr("dhcp").as_deref(), Some("1"));
    let r = cam.get(&format!("/cgi-bin/network?ipaddr=192.168.4.65&netmask=255.255.255.0&gateway=192.168.4.1&uid={uid}"));
    assert_eq!(
        r.text(),
        format!(
            "{DECL}<network macaddr=\"00-12-34-56-78-9A\" dhcp=\"1\" ipaddr=\"192.168.4.65\" netmask=\"255.255.255.0\" \
             gateway=\"192.168.4.1\" dns1=\"114.114.114.114\" dns2=\"8.8.8.8\" port=\"{}\"/>\n",
            cam.port()
        )
    );
    let r = cam.get(&format!("/cgi-bin/network?dns1=114.114.114.114&dns2=8.8.8.8&uid={uid}"));
    assert_eq!(r.attr("dns2").as_deref(), Some("8.8.8.8"));
    match cam.mock.calls().last() {
        Some(Call::Network(c)) => assert_eq!(c.ipaddr.to_string(), "192.168.4.65"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn network_faults_change_nothing() {
    let cam = Cam::start();
    let uid = cam.admin();
    let before = cam.get(&format!("/cgi-bin/network?uid={uid}")).text();
    cam.mock.clear_calls();
    let path = "/cgi-bin/network";
    let cases = [
        ("dhcp=2", "dhcp: 0 or 1"),
        ("ipaddr=300.1.1.1", "ipaddr error"),
        ("ipaddr=0.0.0.0", "ipaddr error"),
        ("netmask=255.0.255.0", "netmask error"),
        ("netmask=0.0.0.0", "netmask error"),
        ("gateway=10.0.0.1", "gateway error"),
        ("dns1=dns.example", "dns1 error"),
        ("dns2=8.8.8", "dns2 error"),
        ("port=999", "port range: 80,1000-65535"),
        ("port=65536", "port range: 80,1000-65535"),
        ("port=81", "port range: 80,1000-65535"),
        ("ipaddr=10.1.1.1&netmask=255.255.255.0&gateway=10.1.1.254&dns1=x", "dns1 error"),
        ("dhcp=7&port=1", "dhcp: 0 or 1"),
    ];
    for (set, reason) in cases {
        assert_fault(&cam.get(&format!("{path}?{set}&uid={uid}")), 400, path, reason);
    }
    assert_eq!(cam.get(&format!("/cgi-bin/network?uid={uid}")).text(), before);
    assert!(cam.mock.calls().is_empty(), "{:?}", cam.mock.calls());
}

#[test]
fn network_device_failure_keeps_the_old_configuration() {
    let cam = Cam::start();
    let uid = cam.admin();
    cam.mock.fail_next(Device::Network, ErrorKind::Io);
    let r = cam.get(&format!("/cgi-bin/network?dns1=9.9.9.9&uid={uid}"));
    assert_fault(&r, 500, "/cgi-bin/network", "device error: network i/o failure (mock network apply failed)");
    assert_eq!(cam.get(&format!("/cgi-bin/network?uid={uid}")).attr("dns1").as_deref(), Some("114.114.114.114"));
}

#[test]
fn a_new_port_is_served_after_the_answer_without_a_restart() {
    let cam = Cam::start();
    let uid = cam.admin();
    let old = cam.port();
    let new = free_port();
    let r = assert_ok(cam.get(&format!("/cgi-bin/network?port={new}&uid={uid}")), "network");
    assert_eq!(r.attr("port"), Some(new.to_string()));
    cam.eventually("the new port is served", || cam.port() == new);
    let r = request(new, "GET", &format!("/cgi-bin/keep_alive?uid={uid}"), "");
    assert_eq!(r.element("keep_alive").as_deref(), Some("true"));
    cam.eventually("the old port is closed", || std::net::TcpStream::connect(("127.0.0.1", old)).is_err());
}

#[test]
fn a_port_in_use_is_a_device_fault() {
    let cam = Cam::start();
    let uid = cam.admin();
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port();
    let r = cam.get(&format!("/cgi-bin/network?port={port}&uid={uid}"));
    assert_eq!(r.status, 500);
    assert!(r.element("reason").unwrap().starts_with(&format!("device error: network busy (port {port}")), "{}", r.text());
    assert_eq!(cam.get(&format!("/cgi-bin/network?uid={uid}")).attr("port"), Some(cam.port().to_string()));
}

// ---- time ----

#[test]
fn time_sets_from_the_document() {
    let cam = Cam::start();
    let uid = cam.admin();
    let r = assert_ok(cam.get(&format!("/cgi-bin/time?timezone=GMT+08:00&uid={uid}")), "time");
    assert_eq!(r.attr("timezone").as_deref(), Some("GMT+08:00"));
    let r = cam.get(&format!("/cgi-bin/time?update_method=MANUAL&year=2017&month=11&day=30&hour=8&min=0&sec=0&uid={uid}"));
    let r = assert_ok(r, "time");
    assert_eq!(r.attr("update_method").as_deref(), Some("MANUAL"));
    assert!(r.attr("current_time").unwrap().starts_with("2017-11-30 08:00:0"), "{}", r.text());
    // 2017-11-30 08:00:00 at GMT+08:00 is 00:00:00 UTC.
    assert!(cam.mock.calls().contains(&Call::ClockSet(1_512_000_000)));
    let r = cam.get(&format!("/cgi-bin/time?update_method=ntp&ntpaddr=pool.ntp.org&port=123&uid={uid}"));
    assert_eq!(r.attr("update_method").as_deref(), Some("NTP"));
    assert_eq!(r.attr("ntpaddr").as_deref(), Some("pool.ntp.org"));
    match cam.mock.calls().last() {
        Some(Call::ClockConfigure(s)) => {
            assert_eq!(s.utc_offset_minutes, 480);
            assert_eq!(s.source, TimeSource::Ntp { server: "pool.ntp.org".into(), port: 123 });
        }
        other => panic!("{other:?}"),
    }
    // A time of day alone keeps the date.
    let r = cam.get(&format!("/cgi-bin/time?hour=23&min=59&sec=0&uid={uid}"));
    assert!(r.attr("current_time").unwrap().starts_with("2017-11-30 23:59:0"), "{}", r.text());
}

#[test]
fn time_faults_change_nothing() {
    let cam = Cam::start();
    let uid = cam.admin();
    cam.mock.clear_calls();
    let path = "/cgi-bin/time";
    let cases = [
        ("timezone=GMT+08:15", "timezone error"),
        ("timezone=GMT%2008:00", "timezone error"),
        ("update_method=GPS", "update_method error"),
        ("year=1999", "year range: 2000-2099"),
        ("year=2100", "year range: 2000-2099"),
        ("month=13", "month range: 1-12"),
        ("year=2023&month=2&day=29", "day range: 1-28"),
        ("year=2024&month=4&day=31", "day range: 1-30"),
        ("day=32", "day range: 1-31"),
        ("hour=24", "hour range: 0-23"),
        ("min=60", "min range: 0-59"),
        ("sec=x", "sec range: 0-59"),
        ("ntpaddr=bad%20host", "ntpaddr error"),
        ("ntpaddr=a..b", "ntpaddr error"),
        ("port=0", "port range: 1-65535"),
        ("timezone=GMT+01:00&port=0", "port range: 1-65535"),
        ("timezone=x&port=0", "timezone error"),
    ];
    for (set, reason) in cases {
        assert_fault(&cam.get(&format!("{path}?{set}&uid={uid}")), 400, path, reason);
    }
    let r = cam.get(&format!("/cgi-bin/time?uid={uid}"));
    assert_eq!(r.attr("timezone").as_deref(), Some("GMT+00:00"));
    assert!(cam.mock.calls().is_empty(), "{:?}", cam.mock.calls());
}

#[test]
fn every_documented_zone_is_accepted() {
    let cam = Cam::start();
    let uid = cam.admin();
    for zone in camcgi::interfaces::time::ZONES {
        let r = cam.get(&format!("/cgi-bin/time?timezone={zone}&uid={uid}"));
        assert_eq!(r.attr("timezone").as_deref(), Some(zone));
    }
}

#[test]
fn a_failed_clock_set_restores_the_zone() {
    let cam = Cam::start();
    let uid = cam.admin();
    cam.mock.fail_next(Device::Clock, ErrorKind::Busy);
    let r = cam.get(&format!("/cgi-bin/time?timezone=GMT+09:00&uid={uid}"));
    assert_fault(&r, 500, "/cgi-bin/time", "device error: clock busy (mock clock configure failed)");
    let r = cam.get(&format!("/cgi-bin/time?uid={uid}"));
    assert_eq!(r.attr("timezone").as_deref(), Some("GMT+00:00"));
}

// ---- video ----

#[test]
fn video_capabilities_are_the_documents_table() {
    let cam = Cam::start();
    let uid = cam.admin();
    let r = assert_ok(cam.get(&format!("/cgi-bin/videoencoder/getcapabilities?uid={uid}")), "video_capabilities");
    let compact: String = r.text().lines().map(str::trim).collect();
    assert!(
        compact.contains(
            "<stream1><encode_mode name=\"H264\"><resolution name=\"2592X1944\"><framerate_range>1-15</framerate_range>\
         <bitrate_range>500-8000</bitrate_range></resolution><resolution name=\"1080P\"><framerate_range>1-30</framerate_range>\
         <bitrate_range>500-6000</bitrate_range></resolution></encode_mode>"
        ),
        "{compact}"
    );
    assert!(compact.contains(
        "<stream2><encode_mode name=\"H264\"><resolution name=\"VGA\"><framerate_range>1-30</framerate_range>\
         <bitrate_range>50-2000</bitrate_range></resolution>"
    ));
    assert!(compact.ends_with("</stream2></video_capabilities>"));
}

#[test]
fn video_sets_from_the_document() {
    let cam = Cam::start();
    let uid = cam.admin();
    cam.get(&format!("/cgi-bin/videoencoder/stream1?encode_mode=H264&resolution=2592X1944&framerate=10&bitrate=800&uid={uid}"));
    cam.get(&format!(
        "/cgi-bin/videoencoder/stream1?encode_mode=H265&resolution=1080P&framerate=25&govlength=100&bitrate=2500&bitrate_control=CBR&uid={uid}"
    ));
    let r = cam.get(&format!(
        "/cgi-bin/videoencoder/stream2?encode_mode=H265&resolution=480X360&framerate=25&govlength=100&bitrate=200&bitrate_control=CBR&uid={uid}"
    ));
    let expected = format!(
        "{DECL}<videoencoder>\n<stream1 encode_mode=\"H265\" resolution=\"1080P\" framerate=\"25\" govlength=\"100\" bitrate=\"2500\" bitrate_control=\"CBR\"/>\n\
         <stream2 encode_mode=\"H265\" resolution=\"480X360\" framerate=\"25\" govlength=\"100\" bitrate=\"200\" bitrate_control=\"CBR\"/>\n</videoencoder>\n"
    );
    assert_eq!(r.text(), expected);
    assert_eq!(cam.get(&format!("/cgi-bin/videoencoder/stream2?uid={uid}")).text(), expected);
    // A partial set merges with the stream's settings.
    let r = cam.get(&format!("/cgi-bin/videoencoder/stream2?bitrate_control=vbr&framerate=30&uid={uid}"));
    assert!(r.text().contains(
        "<stream2 encode_mode=\"H265\" resolution=\"480X360\" framerate=\"30\" govlength=\"100\" bitrate=\"200\" bitrate_control=\"VBR\"/>"
    ));
    match cam.mock.calls().last() {
        Some(Call::Video(StreamId::Sub, c)) => assert_eq!(c.framerate, 30),
        other => panic!("{other:?}"),
    }
}

#[test]
fn video_faults_change_nothing() {
    let cam = Cam::start();
    let uid = cam.admin();
    let before = cam.get(&format!("/cgi-bin/videoencoder?uid={uid}")).text();
    cam.mock.clear_calls();
    let s1 = "/cgi-bin/videoencoder/stream1";
    let cases = [
        (s1, "encode_mode=MJPEG", "encode_mode error"),
        (s1, "resolution=VGA", "resolution error"),
        (s1, "framerate=31", "framerate error"),
        (s1, "framerate=0", "framerate error"),
        (s1, "framerate=abc", "framerate error"),
        (s1, "govlength=0", "govlength range: 1-400"),
        (s1, "govlength=401", "govlength range: 1-400"),
        (s1, "bitrate=4001", "bitrate error"),
        (s1, "bitrate_control=ABR", "bitrate_control: CBR or VBR"),
        // The merged result is checked: 2592X1944 allows 1-15 fps, the stream runs 25.
        (s1, "resolution=2592X1944", "framerate error"),
        (s1, "encode_mode=bad&bitrate=1", "encode_mode error"),
        (s1, "framerate=99&govlength=x", "framerate error"),
        ("/cgi-bin/videoencoder/stream2", "resolution=1080P", "resolution error"),
        ("/cgi-bin/videoencoder", "framerate=10", "stream: stream1 or stream2"),
    ];
    for (path, set, reason) in cases {
        assert_fault(&cam.get(&format!("{path}?{set}&uid={uid}")), 400, path, reason);
    }
    assert_eq!(cam.get(&format!("/cgi-bin/videoencoder?uid={uid}")).text(), before);
    assert!(cam.mock.calls().is_empty());
    cam.mock.fail_next(Device::Video, ErrorKind::Timeout);
    let r = cam.get(&format!("{s1}?framerate=10&uid={uid}"));
    assert_fault(&r, 500, s1, "device error: video encoder timeout (mock video configure failed)");
    assert_eq!(cam.get(&format!("/cgi-bin/videoencoder?uid={uid}")).text(), before);
}

// ---- audio ----

#[test]
fn audio_capabilities_and_sets_from_the_document() {
    let cam = Cam::start();
    let uid = cam.admin();
    let r = assert_ok(cam.get(&format!("/cgi-bin/audioencoder/getcapabilities?uid={uid}")), "audio_capabilities");
    let compact: String = r.text().lines().map(str::trim).collect();
    assert!(
        compact.ends_with(
            "<audio_capabilities><encode_type name=\"G.711\"><samplerate name=\"8000\"><bitrate>64000</bitrate></samplerate></encode_type>\
         <encode_type name=\"G.711A\"><samplerate name=\"8000\"><bitrate>64000</bitrate></samplerate></encode_type>\
         <encode_type name=\"AAC\"><samplerate name=\"16000\"><bitrate>16000</bitrate></samplerate></encode_type></audio_capabilities>"
        ),
        "{compact}"
    );
    assert_eq!(cam.get(&format!("/cgi-bin/audioencoder?enable=0&uid={uid}")).attr("enable").as_deref(), Some("0"));
    cam.get(&format!("/cgi-bin/audioencoder?enable=1&uid={uid}"));
    cam.get(&format!("/cgi-bin/audioencoder?enable=1&encode_type=G.711&samplerate=8000&bitrate=64000&uid={uid}"));
    let r = cam.get(&format!("/cgi-bin/audioencoder?input_volume=60&output_volume=80&amplify=1&uid={uid}"));
    assert_eq!(
        r.text(),
        format!("{DECL}<audioencoder enable=\"1\" encode_type=\"G.711\" samplerate=\"8000\" bitrate=\"64000\" input_volume=\"60\" output_volume=\"80\" amplify=\"1\"/>\n")
    );
    let r = cam.get(&format!("/cgi-bin/audioencoder?encode_type=AAC&samplerate=16000&bitrate=16000&uid={uid}"));
    assert_eq!(r.attr("encode_type").as_deref(), Some("AAC"));
    assert!(matches!(cam.mock.calls().last(), Some(Call::Audio(c)) if c.samplerate == 16000));
}

#[test]
fn audio_faults_change_nothing() {
    let cam = Cam::start();
    let uid = cam.admin();
    let before = cam.get(&format!("/cgi-bin/audioencoder?uid={uid}")).text();
    let path = "/cgi-bin/audioencoder";
    let cases = [
        ("enable=2", "enable: 0 or 1"),
        ("encode_type=MP3", "encode_type error"),
        ("samplerate=16000", "samplerate error"),
        ("encode_type=AAC", "samplerate error"),
        ("bitrate=32000", "bitrate error"),
        ("input_volume=0", "input_volume range: 1-100"),
        ("output_volume=101", "output_volume range: 1-100"),
        ("amplify=yes", "amplify: 0 or 1"),
        ("enable=1&amplify=2&input_volume=0", "input_volume range: 1-100"),
    ];
    for (set, reason) in cases {
        assert_fault(&cam.get(&format!("{path}?{set}&uid={uid}")), 400, path, reason);
    }
    assert_eq!(cam.get(&format!("/cgi-bin/audioencoder?uid={uid}")).text(), before);
}

// ---- osd ----

#[test]
fn osd_sets_from_the_document() {
    let cam = Cam::start();
    let uid = cam.admin();
    cam.get(&format!("/cgi-bin/osd?enable=0&uid={uid}"));
    let r = cam.get(&format!(
        "/cgi-bin/osd?enable=1&color=1&fontsize=1&title_pos_type=1&title_pos_x=1&title_pos_y=0&show_res_bit=0&time_pos_type=1\
         &time_pos_x=1&time_pos_y=0&show_week=1&time_format=yyyy-mm-dd_hh:mm:ss&title_utf8=ipcamera&uid={uid}"
    ));
    assert_eq!(
        r.text(),
        format!(
            "{DECL}<osd enable=\"1\" color=\"1\" fontsize=\"1\" title_pos_type=\"1\" title_pos_x=\"1\" title_pos_y=\"0\" show_res_bit=\"0\" \
             time_pos_type=\"1\" time_pos_x=\"1\" time_pos_y=\"0\" show_week=\"1\" time_format=\"yyyy-mm-dd hh:mm:ss\" title_utf8=\"ipcamera\"/>\n"
        )
    );
    let r = cam.get(&format!("/cgi-bin/osd?title_utf8=%E4%BD%A0%E5%A5%BDipcamera&uid={uid}"));
    assert_eq!(r.attr("title_utf8").as_deref(), Some("你好ipcamera"));
    let r = cam.get(&format!("/cgi-bin/osd?title_utf8=%3Cb%3E%26%22'&time_format=hh:mm:ss_dd/mm/yyyy&uid={uid}"));
    assert!(r.text().contains("time_format=\"hh:mm:ss dd/mm/yyyy\" title_utf8=\"&lt;b&gt;&amp;&quot;&apos;\""), "{}", r.text());
    match cam.mock.calls().last() {
        Some(Call::Osd(c)) => assert_eq!(c.title, "<b>&\"'"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn osd_positions_follow_the_resulting_type() {
    let cam = Cam::start();
    let uid = cam.admin();
    let path = "/cgi-bin/osd";
    assert_ok(cam.get(&format!("{path}?title_pos_x=50&uid={uid}")), "osd");
    assert_fault(&cam.get(&format!("{path}?title_pos_type=0&uid={uid}")), 400, path, "title_pos_x range: 0-2");
    let r = cam.get(&format!("{path}?title_pos_type=0&title_pos_x=2&uid={uid}"));
    assert_eq!(r.attr("title_pos_type").as_deref(), Some("0"));
    assert_fault(&cam.get(&format!("{path}?time_pos_type=1&time_pos_y=101&uid={uid}")), 400, path, "time_pos_y range: 0-100");
    assert_fault(&cam.get(&format!("{path}?title_pos_y=3&uid={uid}")), 400, path, "title_pos_y range: 0-2");
}

#[test]
fn osd_faults_change_nothing() {
    let cam = Cam::start();
    let uid = cam.admin();
    let before = cam.get(&format!("/cgi-bin/osd?uid={uid}")).text();
    let path = "/cgi-bin/osd";
    let long = "a".repeat(65);
    let cases = [
        ("enable=x".to_string(), "enable: 0 or 1"),
        ("color=4".to_string(), "color: 0 or 1 or 2 or 3"),
        ("fontsize=3".to_string(), "fontsize: 0 or 1 or 2"),
        ("title_pos_type=2".to_string(), "title_pos_type: 0 or 1"),
        ("title_pos_x=101".to_string(), "title_pos_x range: 0-100"),
        ("title_pos_x=-1".to_string(), "title_pos_x range: 0-100"),
        ("show_res_bit=4".to_string(), "show_res_bit: 0 or 1 or 2 or 3"),
        ("time_pos_type=9".to_string(), "time_pos_type: 0 or 1"),
        ("show_week=2".to_string(), "show_week: 0 or 1"),
        ("time_format=dd.mm.yyyy".to_string(), "time_format error"),
        ("title_utf8=".to_string(), "title_utf8 error"),
        (format!("title_utf8={long}"), "title_utf8 error"),
        ("title_utf8=a%01b".to_string(), "title_utf8 error"),
        ("color=9&fontsize=9".to_string(), "color: 0 or 1 or 2 or 3"),
    ];
    for (set, reason) in cases {
        assert_fault(&cam.get(&format!("{path}?{set}&uid={uid}")), 400, path, reason);
    }
    assert_fault(&cam.get(&format!("{path}?title_utf8=%C3%28&uid={uid}")), 400, path, "error, parse parameters");
    assert_eq!(cam.get(&format!("/cgi-bin/osd?uid={uid}")).text(), before);
    // 64 bytes of UTF-8 is the limit: 21 three-byte characters and one byte.
    let title = format!("{}a", "%E4%BD%A0".repeat(21));
    assert_ok(cam.get(&format!("{path}?title_utf8={title}&uid={uid}")), "osd");
}

// ---- image ----

#[test]
fn image_sets_from_the_document_reach_the_isp() {
    let cam = Cam::start();
    let uid = cam.admin();
    let r = cam.get(&format!("/cgi-bin/image?brightness=200&contrast=0&saturation=255&sharpness=17&uid={uid}"));
    assert_eq!(r.text(), format!("{DECL}<image brightness=\"200\" contrast=\"0\" saturation=\"255\" sharpness=\"17\"/>\n"));
    assert_eq!(cam.mock.image_value(ImageControl::Brightness), 200);
    assert_eq!(cam.mock.image_value(ImageControl::Sharpness), 17);
    assert!(cam.mock.calls().contains(&Call::Image(ImageControl::Saturation, 255)));
    let r = cam.get(&format!("/cgi-bin/image?brightness=128&contrast=128&saturation=128&sharpness=128&uid={uid}"));
    assert_eq!(r.attr("contrast").as_deref(), Some("128"));
}

#[test]
fn image_faults_change_nothing() {
    let cam = Cam::start();
    let uid = cam.admin();
    let path = "/cgi-bin/image";
    cam.mock.clear_calls();
    for name in ["brightness", "contrast", "saturation", "sharpness"] {
        for bad in ["256", "-1", "x", "", "1.5"] {
            assert_fault(&cam.get(&format!("{path}?{name}={bad}&uid={uid}")), 400, path, &format!("{name} range: 0-255"));
        }
    }
    assert_fault(&cam.get(&format!("{path}?brightness=1&contrast=999&uid={uid}")), 400, path, "contrast range: 0-255");
    assert!(cam.mock.calls().is_empty());
    assert_eq!(cam.mock.image_value(ImageControl::Brightness), 128);
}

/// A V4L2 ISP without a sharpness control (vivid, many sensors' drivers):
/// the other three set and apply at start, and a sharpness set is a clean
/// fault that changes nothing.
#[test]
fn an_isp_without_one_control_still_takes_the_others() {
    let dir = std::sync::Arc::new(TempDir::new());
    let mock = camcgi_hal::mock::MockBoard::new();
    mock.remove_image_control(ImageControl::Sharpness);
    let cam = Cam::start_with(dir.clone(), mock, camcgi_hal::ManualMonotonic::new());
    let uid = cam.admin();
    let r = cam.get(&format!("/cgi-bin/image?brightness=40&uid={uid}"));
    assert_eq!(r.attr("brightness").as_deref(), Some("40"), "{}", r.text());
    assert_eq!(cam.mock.image_value(ImageControl::Brightness), 40);
    let r = cam.get(&format!("/cgi-bin/image?contrast=60&sharpness=200&uid={uid}"));
    assert_fault(&r, 500, path_image(), "device error: image not supported (the ISP has no sharpness control)");
    // ONVIF neither shows nor offers what the ISP lacks.
    let source = "<VideoSourceToken>video_src</VideoSourceToken>";
    let ns = "http://www.onvif.org/ver20/imaging/wsdl";
    let basic = "Authorization: Basic YWRtaW46MTIzNDU2\r\n";
    for op in ["GetOptions", "GetImagingSettings"] {
        let r = soap(cam.port(), "/onvif/imaging_service", &format!("<{op} xmlns=\"{ns}\">{source}</{op}>"), basic);
        assert!(r.text().contains("<tt:Brightness>") && !r.text().contains("Sharpness"), "{op}: {}", r.text());
    }
    let r = cam.get(&format!("/cgi-bin/image?uid={uid}"));
    assert_eq!(r.text(), format!("{DECL}<image brightness=\"40\" contrast=\"128\" saturation=\"128\" sharpness=\"128\"/>\n"));
    assert_eq!(cam.mock.image_value(ImageControl::Contrast), 128, "the refused change changed nothing");
    // At start the three it has are applied.
    drop(cam);
    let mock = camcgi_hal::mock::MockBoard::new();
    mock.remove_image_control(ImageControl::Sharpness);
    let cam = Cam::start_with(dir, mock, camcgi_hal::ManualMonotonic::new());
    assert_eq!(cam.mock.image_value(ImageControl::Brightness), 40);
}

#[test]
fn an_isp_failure_midway_restores_every_control() {
    let cam = Cam::start();
    let uid = cam.admin();
    cam.get(&format!("/cgi-bin/image?brightness=10&contrast=20&uid={uid}"));
    cam.mock.clear_calls();
    // The ISP takes brightness, then fails on contrast: brightness must not stay changed.
    cam.mock.fail_after(camcgi_hal::mock::Device::Image, 1, ErrorKind::Io);
    let r = cam.get(&format!("/cgi-bin/image?brightness=99&contrast=99&uid={uid}"));
    assert_fault(&r, 500, path_image(), "device error: image i/o failure (mock image control failed)");
    assert_eq!(cam.mock.image_value(ImageControl::Brightness), 10);
    assert_eq!(cam.mock.image_value(ImageControl::Contrast), 20);
    let r = cam.get(&format!("/cgi-bin/image?uid={uid}"));
    assert_eq!((r.attr("brightness").as_deref(), r.attr("contrast").as_deref()), (Some("10"), Some("20")));
}

fn path_image() -> &'static str {
    "/cgi-bin/image"
}

// ---- motion ----

#[test]
fn motion_sets_from_the_document() {
    let cam = Cam::start();
    let uid = cam.admin();
    assert_eq!(cam.get(&format!("/cgi-bin/motion?enable=0&uid={uid}")).attr("enable").as_deref(), Some("0"));
    let mut area = "00".repeat(49);
    area.push_str("A0");
    let r = cam.get(&format!(
        "/cgi-bin/motion?enable=1&sensitivity=80&alarmthreshold=20&enable_nighttime=1&night_sensitivity=80&night_alarmthreshold=20&blockcount=22x18&areavalue={area}&uid={uid}"
    ));
    assert_eq!(
        r.text(),
        format!(
            "{DECL}<motion enable=\"1\" sensitivity=\"80\" alarmthreshold=\"20\" enable_nighttime=\"1\" night_sensitivity=\"80\" \
             night_alarmthreshold=\"20\" blockcount=\"22x18\" areavalue=\"{}\"/>\n",
            area.to_lowercase()
        )
    );
    match cam.mock.calls().last() {
        Some(Call::Motion(c)) => {
            assert_eq!(c.area.len(), 50);
            assert_eq!(c.area.last(), Some(&0xa0));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn motion_faults_change_nothing() {
    let cam = Cam::start();
    let uid = cam.admin();
    let before = cam.get(&format!("/cgi-bin/motion?uid={uid}")).text();
    let path = "/cgi-bin/motion";
    let short = "ff".repeat(49);
    let padded = format!("{}ff", "00".repeat(49));
    let cases = [
        ("enable=3".to_string(), "enable: 0 or 1"),
        ("sensitivity=0".to_string(), "sensitivity range: 1-100"),
        ("alarmthreshold=101".to_string(), "alarmthreshold range: 1-100"),
        ("enable_nighttime=x".to_string(), "enable_nighttime: 0 or 1"),
        ("night_sensitivity=-5".to_string(), "night_sensitivity range: 1-100"),
        ("night_alarmthreshold=1000".to_string(), "night_alarmthreshold range: 1-100"),
        ("blockcount=4x4".to_string(), "blockcount error"),
        ("blockcount=18x22".to_string(), "blockcount error"),
        (format!("areavalue={short}"), "areavalue error"),
        (format!("areavalue={padded}"), "areavalue error"),
        (format!("areavalue={}zz", "00".repeat(49)), "areavalue error"),
        ("sensitivity=0&blockcount=1x1".to_string(), "sensitivity range: 1-100"),
    ];
    for (set, reason) in cases {
        assert_fault(&cam.get(&format!("{path}?{set}&uid={uid}")), 400, path, reason);
    }
    assert_eq!(cam.get(&format!("/cgi-bin/motion?uid={uid}")).text(), before);
}
