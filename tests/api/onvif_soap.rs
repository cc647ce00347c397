//! ONVIF over raw SOAP: WS-Security UsernameToken, privileges, the PTZ
//! move timeout, subscriptions' lives and one account's share, and how
//! accounts from before sealed passwords come to Digest and tokens.

use crate::common::*;
use base64::Engine;
use camcgi_hal::mock::Call as MockCall;
use camcgi_hal::PtzCommand;
use sha1::{Digest, Sha1};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const DEVICE: &str = "/onvif/device_service";
const INFO: &str = "<GetDeviceInformation xmlns=\"http://www.onvif.org/ver10/device/wsdl\"/>";
const BASIC_ADMIN: &str = "Authorization: Basic YWRtaW46MTIzNDU2\r\n";

fn created(offset: i64) -> String {
    let now = i64::try_from(SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()).unwrap() + offset;
    let days = now.div_euclid(86400);
    let (y, m, d) = camcgi::api::calendar::civil_from_days(days);
    let s = now.rem_euclid(86400);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", s / 3600, s / 60 % 60, s % 60)
}

/// A UsernameToken with a PasswordDigest over `nonce`, created `offset` seconds from now.
pub fn token(user: &str, password: &str, nonce: &[u8], offset: i64) -> String {
    let created = created(offset);
    let b64 = base64::engine::general_purpose::STANDARD;
    let digest = b64.encode(Sha1::new().chain_update(nonce).chain_update(&created).chain_update(password).finalize());
    format!(
        "<Security xmlns=\"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd\"><UsernameToken><Username>{user}</Username><Password Type=\"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest\">{digest}</Password><Nonce>{}</Nonce><Created xmlns=\"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd\">{created}</Created></UsernameToken></Security>",
        b64.encode(nonce)
    )
}

fn with_token(port: u16, header: &str, body: &str) -> Resp {
    post_soap(port, DEVICE, &soap_envelope(header, body), "")
}

#[test]
fn a_username_token_proves_its_account_once_and_only_when_recent() {
    let cam = Cam::start();
    let port = cam.port();
    let good = token("admin", "123456", b"nonce-one-123456", 0);
    let r = with_token(port, &good, INFO);
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.text().contains("<tds:Model>MC200J6</tds:Model>"));
    assert_soap_fault(&with_token(port, &good, INFO), 400, "ter:NotAuthorized", "the token&apos;s nonce was used before");
    let stale = token("admin", "123456", b"nonce-two-123456", -600);
    assert_soap_fault(
        &with_token(port, &stale, INFO),
        400,
        "ter:NotAuthorized",
        "the token&apos;s Created is too far from the camera&apos;s clock",
    );
    let text = "<Security><UsernameToken><Username>admin</Username><Password Type=\"...#PasswordText\">123456</Password></UsernameToken></Security>";
    assert_eq!(with_token(port, text, INFO).status, 200, "PasswordText");
    let untyped = "<Security><UsernameToken><Username>admin</Username><Password>123456</Password></UsernameToken></Security>";
    assert_eq!(with_token(port, untyped, INFO).status, 200, "PasswordText is the default type");
}

#[test]
fn wrong_tokens_count_toward_the_lockout_of_every_login() {
    let cam = Cam::start();
    let port = cam.port();
    for i in 0..5u8 {
        let wrong = token("admin", "guess", &[b'n', i, 1, 2, 3, 4, 5, 6], 0);
        assert_soap_fault(&with_token(port, &wrong, INFO), 400, "ter:NotAuthorized", "password error");
    }
    let right = token("admin", "123456", b"after-the-guesses", 0);
    assert_soap_fault(&with_token(port, &right, INFO), 400, "ter:NotAuthorized", "too many failed logins");
    let r = cam.get("/cgi-bin/getuid?username=admin&password=123456");
    assert_fault(&r, 400, "/cgi-bin/getuid", "too many failed logins");
}

#[test]
fn operations_need_the_privilege_of_their_cgi_counterparts() {
    let cam = Cam::start();
    let port = cam.port();
    cam.user_with("viewer", "User");
    let viewer = "Authorization: Basic dmlld2VyOnB3dmlld2Vy\r\n"; // viewer:pwviewer
    assert_eq!(soap(port, DEVICE, INFO, viewer).status, 200);
    let set = "<SetImagingSettings xmlns=\"http://www.onvif.org/ver20/imaging/wsdl\"><VideoSourceToken>video_src</VideoSourceToken><ImagingSettings><Brightness xmlns=\"http://www.onvif.org/ver10/schema\">10</Brightness></ImagingSettings></SetImagingSettings>";
    assert_soap_fault(
        &soap(port, "/onvif/imaging_service", set, viewer),
        400,
        "ter:NotAuthorized",
        "SetImagingSettings needs a higher privilege",
    );
    assert_eq!(cam.mock.image_value(camcgi_hal::ImageControl::Brightness), 128, "nothing changed");
    let r = soap(port, "/onvif/imaging_service", set, BASIC_ADMIN);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(cam.mock.image_value(camcgi_hal::ImageControl::Brightness), 10);
    let bad = set.replace(">10<", ">300<");
    assert_soap_fault(&soap(port, "/onvif/imaging_service", &bad, BASIC_ADMIN), 400, "ter:InvalidArgVal", "brightness range: 0-255");
    assert_eq!(cam.mock.image_value(camcgi_hal::ImageControl::Brightness), 10, "a bad value changes nothing");
    let users = "<CreateUsers xmlns=\"http://www.onvif.org/ver10/device/wsdl\"><User><Username xmlns=\"http://www.onvif.org/ver10/schema\">op</Username><Password xmlns=\"http://www.onvif.org/ver10/schema\">pwop</Password><UserLevel xmlns=\"http://www.onvif.org/ver10/schema\">Operator</UserLevel></User></CreateUsers>";
    assert_soap_fault(&soap(port, DEVICE, users, viewer), 400, "ter:NotAuthorized", "CreateUsers needs a higher privilege");
    assert_eq!(soap(port, DEVICE, users, BASIC_ADMIN).status, 200);
    assert_soap_fault(&soap(port, DEVICE, users, BASIC_ADMIN), 400, "ter:UsernameClash", "error username duplicated");
    assert_eq!(cam.login("op", "pwop").len(), 32, "the account ONVIF made logs in by the CGI");
    let uid = cam.admin();
    assert_ok(cam.get(&format!("/cgi-bin/onvif?auth=0&uid={uid}")), "onvif");
    assert_eq!(soap(port, DEVICE, INFO, "").status, 200, "ONVIF authentication off: User level without credentials");
    assert_soap_fault(
        &soap(port, "/onvif/imaging_service", set, ""),
        400,
        "ter:NotAuthorized",
        "SetImagingSettings needs a higher privilege",
    );
}

const PROFILE: &str = "<ProfileToken>profile_1</ProfileToken>";

#[test]
fn a_continuous_move_stops_at_its_timeout() {
    let cam = Cam::start();
    let port = cam.port();
    let mv = format!("<ContinuousMove xmlns=\"http://www.onvif.org/ver20/ptz/wsdl\">{PROFILE}<Velocity><PanTilt xmlns=\"http://www.onvif.org/ver10/schema\" x=\"-1\" y=\"0.3\"/></Velocity><Timeout>PT2S</Timeout></ContinuousMove>");
    let r = soap(port, "/onvif/ptz_service", &mv, BASIC_ADMIN);
    assert_eq!(r.status, 200, "{}", r.text());
    let moved = cam.mock.calls();
    assert!(
        moved.contains(&MockCall::Ptz(PtzCommand::Move { pan: camcgi_hal::Dir::Negative, tilt: camcgi_hal::Dir::Positive, speed: 10 })),
        "{moved:?}"
    );
    cam.mock.clear_calls();
    cam.advance_and_tick(Duration::from_secs(1));
    assert!(!cam.mock.calls().contains(&MockCall::Ptz(PtzCommand::Stop)), "still moving after 1 s");
    cam.advance_and_tick(Duration::from_millis(1100));
    assert!(cam.mock.calls().contains(&MockCall::Ptz(PtzCommand::Stop)), "stopped after 2 s");
    let too_fast = mv.replace("x=\"-1\"", "x=\"-1.5\"");
    assert_soap_fault(&soap(port, "/onvif/ptz_service", &too_fast, BASIC_ADMIN), 400, "ter:InvalidVelocity", "-1.5: outside -1 to 1");
}

fn subscribe(port: u16, life: &str) -> Resp {
    let body = format!("<CreatePullPointSubscription xmlns=\"http://www.onvif.org/ver10/events/wsdl\"><InitialTerminationTime>{life}</InitialTerminationTime></CreatePullPointSubscription>");
    soap(port, "/onvif/events_service", &body, BASIC_ADMIN)
}

#[test]
fn subscriptions_end_at_their_termination_time_and_an_account_holds_eight() {
    let cam = Cam::start();
    let port = cam.port();
    let r = subscribe(port, "PT10S");
    assert_eq!(r.status, 200, "{}", r.text());
    let path = subscription_path(&r);
    let pull = "<PullMessages xmlns=\"http://www.onvif.org/ver10/events/wsdl\"><Timeout>PT1S</Timeout><MessageLimit>5</MessageLimit></PullMessages>";
    let first = soap(port, &path, pull, BASIC_ADMIN);
    assert_eq!(first.status, 200, "{}", first.text());
    assert!(first.text().contains("PropertyOperation=\"Initialized\""), "{}", first.text());
    assert!(first.text().contains("<tt:SimpleItem Name=\"IsMotion\" Value=\"false\"/>"));
    cam.mock.set_motion(true);
    cam.advance_and_tick(Duration::from_secs(1));
    let moved = soap(port, &path, pull, BASIC_ADMIN);
    assert!(moved.text().contains("<tt:SimpleItem Name=\"State\" Value=\"true\"/>"), "{}", moved.text());
    cam.advance_and_tick(Duration::from_secs(10));
    assert_soap_fault(&soap(port, &path, pull, BASIC_ADMIN), 500, "wsrf-rw:ResourceUnknownFault", "no such subscription");
    // One account holds 8 at most (bounds.rs shares the table of 32 out):
    // its next subscription ends its own oldest.
    let paths: Vec<String> = (0..9).map(|_| subscription_path(&subscribe(port, "PT60S"))).collect();
    assert_soap_fault(&soap(port, &paths[0], pull, BASIC_ADMIN), 500, "wsrf-rw:ResourceUnknownFault", "no such subscription");
    let unsubscribe = "<Unsubscribe xmlns=\"http://docs.oasis-open.org/wsn/b-2\"/>";
    for path in &paths[1..] {
        assert_eq!(soap(port, path, unsubscribe, BASIC_ADMIN).status, 200);
    }
}

#[test]
fn accounts_from_before_sealing_use_digest_once_they_log_in_with_their_password() {
    let dir = std::sync::Arc::new(TempDir::new());
    // admin:123456 as a file written before passwords were sealed.
    std::fs::write(
        dir.0.join("accounts.xml"),
        "<accounts><user name=\"admin\" privilege=\"Administrator\" enable=\"true\" digest=\"2d08086927f4d87a31154aaf0ba2e067\"/></accounts>",
    )
    .unwrap();
    let cam = Cam::start_in(dir.clone());
    let port = cam.port();
    let before = with_token(port, &token("admin", "123456", b"legacy-nonce-0001", 0), INFO);
    assert_soap_fault(&before, 400, "ter:NotAuthorized", "password error");
    cam.admin();
    let after = with_token(port, &token("admin", "123456", b"legacy-nonce-0002", 0), INFO);
    assert_eq!(after.status, 200, "{}", after.text());
    let file = std::fs::read_to_string(dir.0.join("accounts.xml")).unwrap();
    assert!(file.contains(" sealed=\"") && !file.contains("123456"), "{file}");
}

const MEDIA: &str = "/onvif/media_service";

#[test]
fn media_numbers_streams_as_the_cgi_and_sets_them_through_its_checks() {
    let cam = Cam::start();
    let port = cam.port();
    let uri = |op: &str, profile: &str| {
        let r = soap(
            port,
            MEDIA,
            &format!("<{op} xmlns=\"http://www.onvif.org/ver10/media/wsdl\"><ProfileToken>{profile}</ProfileToken></{op}>"),
            BASIC_ADMIN,
        );
        assert_eq!(r.status, 200, "{}", r.text());
        r.element("tt:Uri").unwrap()
    };
    assert_eq!(uri("GetStreamUri", "profile_1"), "rtsp://127.0.0.1:554/stream1");
    assert_eq!(uri("GetStreamUri", "profile_2"), "rtsp://127.0.0.1:554/stream2");
    assert_eq!(uri("GetSnapshotUri", "profile_1"), format!("http://127.0.0.1/cgi-bin/snapshot.cgi?stream=1"));
    assert_eq!(uri("GetSnapshotUri", "profile_2"), format!("http://127.0.0.1/cgi-bin/snapshot.cgi?stream=0"));
    let set = |config: &str| {
        let body = format!("<SetVideoEncoderConfiguration xmlns=\"http://www.onvif.org/ver10/media/wsdl\"><Configuration token=\"video_encoder_2\">{config}</Configuration><ForcePersistence>true</ForcePersistence></SetVideoEncoderConfiguration>");
        soap(port, MEDIA, &body, BASIC_ADMIN)
    };
    let schema = "xmlns=\"http://www.onvif.org/ver10/schema\"";
    // An H.265 stream is never named H264: Media 1 has no configuration for
    // it, and sending H264 switches the stream to H.264.
    let uid = cam.admin();
    assert_ok(cam.get(&format!("/cgi-bin/videoencoder/stream2?encode_mode=H265&resolution=VGA&uid={uid}")), "videoencoder");
    let profiles = soap(port, MEDIA, "<GetProfiles xmlns=\"http://www.onvif.org/ver10/media/wsdl\"/>", BASIC_ADMIN).text();
    assert!(!profiles.contains("video_encoder_2") && !profiles.contains("H265"), "{profiles}");
    let read = soap(port, MEDIA, "<GetVideoEncoderConfiguration xmlns=\"http://www.onvif.org/ver10/media/wsdl\"><ConfigurationToken>video_encoder_2</ConfigurationToken></GetVideoEncoderConfiguration>", BASIC_ADMIN);
    assert_soap_fault(
        &read,
        400,
        "ter:NoConfig",
        "video_encoder_2 is in a mode Media 1 cannot name (H.265): set it to H264 or JPEG, or read it by the CGI",
    );
    let r = set(&format!("<Encoding {schema}>H264</Encoding><Resolution {schema}><Width>640</Width><Height>480</Height></Resolution><RateControl {schema}><FrameRateLimit>15</FrameRateLimit><BitrateLimit>300</BitrateLimit></RateControl>"));
    assert_eq!(r.status, 200, "{}", r.text());
    let cgi = assert_ok(cam.get(&format!("/cgi-bin/videoencoder?uid={uid}")), "videoencoder");
    assert!(
        cgi.text().contains("<stream2 encode_mode=\"H264\" resolution=\"VGA\" framerate=\"15\" govlength=\"100\" bitrate=\"300\""),
        "{}",
        cgi.text()
    );
    assert_soap_fault(
        &set(&format!("<RateControl {schema}><FrameRateLimit>99</FrameRateLimit></RateControl>")),
        400,
        "ter:InvalidArgVal",
        "framerate error",
    );
    assert_soap_fault(
        &set(&format!("<Resolution {schema}><Width>1</Width><Height>1</Height></Resolution>")),
        400,
        "ter:ConfigModify",
        "Resolution: not offered",
    );
    assert_soap_fault(&set(&format!("<Encoding {schema}>JPEG</Encoding>")), 400, "ter:ConfigModify", "Encoding: not offered");
    let unchanged = assert_ok(cam.get(&format!("/cgi-bin/videoencoder?uid={}", cam.admin())), "videoencoder");
    assert_eq!(unchanged.text(), cgi.text(), "refused sets change nothing");
    let audio = format!("<SetAudioEncoderConfiguration xmlns=\"http://www.onvif.org/ver10/media/wsdl\"><Configuration token=\"audio_encoder\"><Encoding {schema}>AAC</Encoding><Bitrate {schema}>16</Bitrate><SampleRate {schema}>16</SampleRate></Configuration></SetAudioEncoderConfiguration>");
    let r = soap(port, MEDIA, &audio, BASIC_ADMIN);
    assert_eq!(r.status, 200, "{}", r.text());
    let r = soap(port, MEDIA, "<GetAudioEncoderConfigurations xmlns=\"http://www.onvif.org/ver10/media/wsdl\"/>", BASIC_ADMIN);
    assert!(
        r.text().contains("<tt:Encoding>AAC</tt:Encoding><tt:Bitrate>16</tt:Bitrate><tt:SampleRate>16</tt:SampleRate>"),
        "{}",
        r.text()
    );
}

#[test]
fn the_pre_authentication_set_answers_whatever_token_comes_with_it() {
    let cam = Cam::start();
    let port = cam.port();
    let clock = "<GetSystemDateAndTime xmlns=\"http://www.onvif.org/ver10/device/wsdl\"/>";
    // A token made on a clock an hour off, as a client sends before it has asked the time.
    let early = token("admin", "123456", b"early-nonce-0001", 3600);
    let r = with_token(port, &early, clock);
    assert_eq!(r.status, 200, "{}", r.text());
    let wrong = token("admin", "guess", b"early-nonce-0002", 0);
    for _ in 0..6 {
        assert_eq!(with_token(port, &wrong, clock).status, 200);
    }
    assert_eq!(cam.login("admin", "123456").len(), 32, "unchecked credentials are no failed logins");
}

#[test]
fn the_clock_is_set_through_the_cgi_in_the_zone_onvif_names() {
    let cam = Cam::start();
    let set = "<SetSystemDateAndTime xmlns=\"http://www.onvif.org/ver10/device/wsdl\"><DateTimeType>Manual</DateTimeType><DaylightSavings>false</DaylightSavings><TimeZone><TZ xmlns=\"http://www.onvif.org/ver10/schema\">CST-8</TZ></TimeZone><UTCDateTime><Date xmlns=\"http://www.onvif.org/ver10/schema\"><Year>2030</Year><Month>1</Month><Day>2</Day></Date><Time xmlns=\"http://www.onvif.org/ver10/schema\"><Hour>20</Hour><Minute>30</Minute><Second>0</Second></Time></UTCDateTime></SetSystemDateAndTime>";
    let r = soap(cam.port(), DEVICE, set, BASIC_ADMIN);
    assert_eq!(r.status, 200, "{}", r.text());
    let time = assert_ok(cam.get(&format!("/cgi-bin/time?uid={}", cam.admin())), "time");
    assert_eq!(time.attr("timezone").as_deref(), Some("GMT+08:00"));
    assert_eq!(time.attr("update_method").as_deref(), Some("MANUAL"));
    assert!(time.attr("current_time").unwrap().starts_with("2030-01-03 04:3"), "{}", time.text());
    let get = soap(cam.port(), DEVICE, "<GetSystemDateAndTime xmlns=\"http://www.onvif.org/ver10/device/wsdl\"/>", "");
    let text = get.text();
    assert!(text.contains("<tt:DateTimeType>Manual</tt:DateTimeType>") && text.contains("<tt:TZ>UTC-08:00</tt:TZ>"), "{text}");
    assert!(text.contains("<tt:UTCDateTime><tt:Time><tt:Hour>20</tt:Hour>"), "{text}");
    assert!(text.contains("<tt:LocalDateTime><tt:Time><tt:Hour>4</tt:Hour>"), "{text}");
    assert!(
        text.contains("<tt:Date><tt:Year>2030</tt:Year><tt:Month>1</tt:Month><tt:Day>3</tt:Day></tt:Date></tt:LocalDateTime>"),
        "{text}"
    );
    let bad = set.replace("<Month>1</Month>", "<Month>13</Month>");
    assert_soap_fault(&soap(cam.port(), DEVICE, &bad, BASIC_ADMIN), 400, "ter:InvalidArgVal", "month range: 1-12");
    let bad = set.replace("<Month>1</Month><Day>2</Day>", "<Month>2</Month><Day>30</Day>");
    assert_soap_fault(&soap(cam.port(), DEVICE, &bad, BASIC_ADMIN), 400, "ter:InvalidArgVal", "day range: 1-28");
    let unchanged = assert_ok(cam.get(&format!("/cgi-bin/time?uid={}", cam.admin())), "time");
    assert!(unchanged.attr("current_time").unwrap().starts_with("2030-01-03 04:3"), "refused sets change nothing");
}

#[test]
fn a_pull_waits_for_its_timeout_past_the_connection_timeout_and_answers_empty() {
    let cam = Cam::start();
    let port = cam.port();
    let path = subscription_path(&subscribe(port, "PT60S"));
    let pull = |timeout: &str| {
        format!("<PullMessages xmlns=\"http://www.onvif.org/ver10/events/wsdl\"><Timeout>{timeout}</Timeout><MessageLimit>1</MessageLimit></PullMessages>")
    };
    let first = soap(port, &path, &pull("PT1S"), BASIC_ADMIN);
    assert!(first.text().contains("Initialized"), "{}", first.text());
    let started = std::time::Instant::now();
    // TIMEOUT (the connection's) is 2 s; the pull asks for 3.
    let empty = soap(port, &path, &pull("PT3S"), BASIC_ADMIN);
    assert_eq!(empty.status, 200, "{}", empty.text());
    assert!(started.elapsed() >= Duration::from_secs(3), "answered after {:?}", started.elapsed());
    assert!(!empty.text().contains("NotificationMessage"), "{}", empty.text());
}

#[test]
fn imaging_moves_the_focus_motor() {
    let cam = Cam::start();
    let focus = |speed: &str| {
        format!("<Move xmlns=\"http://www.onvif.org/ver20/imaging/wsdl\"><VideoSourceToken>video_src</VideoSourceToken><Focus><Continuous xmlns=\"http://www.onvif.org/ver10/schema\"><Speed>{speed}</Speed></Continuous></Focus></Move>")
    };
    assert_eq!(soap(cam.port(), "/onvif/imaging_service", &focus("-0.35"), BASIC_ADMIN).status, 200);
    let near = camcgi_hal::PtzCommand::Lens { part: camcgi_hal::LensPart::Focus, dir: camcgi_hal::Dir::Negative, speed: 4 };
    assert_eq!(cam.mock.calls().last(), Some(&MockCall::Ptz(near)));
    assert_eq!(soap(cam.port(), "/onvif/imaging_service", &focus("0"), BASIC_ADMIN).status, 200);
    assert_eq!(cam.mock.calls().last(), Some(&MockCall::Ptz(PtzCommand::Stop)));
    assert_soap_fault(
        &soap(cam.port(), "/onvif/imaging_service", &focus("2"), BASIC_ADMIN),
        400,
        "ter:InvalidArgVal",
        "Focus: a Continuous move with Speed -1 to 1",
    );
}

#[test]
fn a_device_failure_while_reading_is_the_cgis_device_error() {
    use camcgi_hal::{mock::Device, ErrorKind};
    let cam = Cam::start();
    let port = cam.port();
    let basic = "Authorization: Basic YWRtaW46MTIzNDU2\r\n";
    let cases = [
        (Device::System, INFO, "device error: system i/o failure (mock system info failed)"),
        (
            Device::Clock,
            "<GetSystemDateAndTime xmlns=\"http://www.onvif.org/ver10/device/wsdl\"/>",
            "device error: clock busy (mock clock read failed)",
        ),
        (
            Device::Network,
            "<GetNetworkInterfaces xmlns=\"http://www.onvif.org/ver10/device/wsdl\"/>",
            "device error: network timeout (mock mac address failed)",
        ),
    ];
    for ((device, body, reason), kind) in cases.into_iter().zip([ErrorKind::Io, ErrorKind::Busy, ErrorKind::Timeout]) {
        cam.mock.fail_next(device, kind);
        assert_soap_fault(&soap(port, DEVICE, body, basic), 500, "ter:Action", reason);
        assert_eq!(soap(port, DEVICE, body, basic).status, 200, "{body} once the device answers");
    }
}
