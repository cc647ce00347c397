//! The second outside attack's findings on accounts, subscriptions and
//! messages, each named `pointN_…` after its point.

use crate::common::*;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

const BASIC_ADMIN: &str = "Authorization: Basic YWRtaW46MTIzNDU2\r\n";
const DEVICE: &str = "/onvif/device_service";
const INFO: &str = "<GetDeviceInformation xmlns=\"http://www.onvif.org/ver10/device/wsdl\"/>";
const SCHEMA: &str = "xmlns=\"http://www.onvif.org/ver10/schema\"";

#[test]
fn point5_a_subscription_answers_only_its_holder_and_administrators() {
    let cam = Cam::start();
    let port = cam.port();
    cam.user_with("alice", "User");
    cam.user_with("bob", "User");
    let (alice, bob) = (basic("alice", "pwalice"), basic("bob", "pwbob"));
    let create = "<CreatePullPointSubscription xmlns=\"http://www.onvif.org/ver10/events/wsdl\"/>";
    let path = subscription_path(&soap(port, "/onvif/events_service", create, &alice));
    let pull = "<PullMessages xmlns=\"http://www.onvif.org/ver10/events/wsdl\"><Timeout>PT0S</Timeout><MessageLimit>5</MessageLimit></PullMessages>";
    let renew = "<Renew xmlns=\"http://docs.oasis-open.org/wsn/b-2\"><TerminationTime>PT60S</TerminationTime></Renew>";
    let sync = "<SetSynchronizationPoint xmlns=\"http://www.onvif.org/ver10/events/wsdl\"/>";
    let unsubscribe = "<Unsubscribe xmlns=\"http://docs.oasis-open.org/wsn/b-2\"/>";
    for (what, body) in [("pull", pull), ("renew", renew), ("sync", sync), ("unsubscribe", unsubscribe)] {
        assert_soap_fault(&soap(port, &path, body, &bob), 500, "wsrf-rw:ResourceUnknownFault", "no such subscription");
        let _ = what;
    }
    // Another's pull took nothing: the holder still finds its first message.
    let own = soap(port, &path, pull, &alice);
    assert!(own.text().contains("PropertyOperation=\"Initialized\""), "{}", own.text());
    assert_eq!(soap(port, &path, renew, BASIC_ADMIN).status, 200, "an Administrator may act on any");
    assert_eq!(soap(port, &path, unsubscribe, &alice).status, 200);
}

#[test]
fn point6_each_created_user_is_read_from_its_own_fields() {
    let cam = Cam::start();
    let port = cam.port();
    let create = format!(
        "<CreateUsers xmlns=\"http://www.onvif.org/ver10/device/wsdl\"><User><Username {SCHEMA}>viewer</Username><Password {SCHEMA}>pwviewer</Password></User><User><Username {SCHEMA}>boss</Username><Password {SCHEMA}>pwboss</Password><UserLevel {SCHEMA}>Administrator</UserLevel></User></CreateUsers>"
    );
    let r = soap(port, DEVICE, &create, BASIC_ADMIN);
    assert_eq!(r.status, 200, "{}", r.text());
    let users = soap(port, DEVICE, "<GetUsers xmlns=\"http://www.onvif.org/ver10/device/wsdl\"/>", BASIC_ADMIN).text();
    assert!(!users.contains("<tt:Username>viewer</tt:Username><tt:UserLevel>Administrator</tt:UserLevel>"), "{users}");
    assert!(users.contains("<tt:Username>viewer</tt:Username><tt:UserLevel>User</tt:UserLevel>"), "{users}");
    assert!(users.contains("<tt:Username>boss</tt:Username><tt:UserLevel>Administrator</tt:UserLevel>"), "{users}");
}

#[test]
fn point7_with_onvif_authentication_off_anyone_may_view_but_not_upload() {
    let cam = Cam::start();
    let uid = cam.admin();
    assert_ok(cam.get(&format!("/cgi-bin/onvif?auth=0&uid={uid}")), "onvif");
    let view = cam.get("/cgi-bin/snapshot.cgi?stream=1");
    assert_eq!(view.status, 200, "{}", view.text());
    for target in 0..4 {
        let r = cam.get(&format!("/cgi-bin/snapshot.cgi?stream=1&upload={target}"));
        assert_fault(&r, 401, "/cgi-bin/snapshot", "error, parse username");
    }
}

#[test]
fn point8_a_head_that_would_change_something_is_refused_and_changes_nothing() {
    let cam = Cam::start();
    let uid = cam.admin();
    let before = assert_ok(cam.get(&format!("/cgi-bin/image?uid={uid}")), "image").attr("brightness").unwrap();
    let wanted = if before == "7" { "8" } else { "7" };
    for target in [
        format!("/cgi-bin/image?brightness={wanted}&uid={uid}"),
        format!("/cgi-bin/reboot?uid={uid}"),
        format!("/cgi-bin/factory_reset?uid={uid}"),
        "/cgi-bin/getuid?username=admin&password=123456".to_string(),
    ] {
        let r = request(cam.port(), "HEAD", &target, "");
        assert_eq!(r.status, 405, "HEAD {target}");
        assert_eq!(r.header("Allow"), Some("GET"), "HEAD {target}");
    }
    let after = assert_ok(cam.get(&format!("/cgi-bin/image?uid={uid}")), "image").attr("brightness").unwrap();
    assert_eq!(after, before, "the HEAD set nothing");
    assert!(!cam.mock.calls().iter().any(|c| matches!(c, camcgi_hal::mock::Call::Reboot)), "{:?}", cam.mock.calls());
    assert_eq!(request(cam.port(), "HEAD", &format!("/cgi-bin/image?uid={uid}"), "").status, 200, "a HEAD that reads is answered");
}

/// Sends a raw head and returns the status line.
fn status_line(port: u16, raw: &[u8]) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(raw).unwrap();
    let mut got = Vec::new();
    let _ = s.read_to_end(&mut got);
    String::from_utf8_lossy(&got).lines().next().unwrap_or_default().to_string()
}

#[test]
fn point9_lax_messages_are_refused() {
    let cam = Cam::start();
    let port = cam.port();
    let op = "<GetSystemDateAndTime xmlns=\"http://www.onvif.org/ver10/device/wsdl\"/>";
    let good = soap_envelope("", op);
    assert_eq!(post_soap(port, DEVICE, &good, "").status, 200);
    for bad in [format!("{good}<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"/>"), format!("{good}trailing text")] {
        assert_soap_fault(&post_soap(port, DEVICE, &bad, ""), 400, "ter:WellFormed", "the envelope is not well-formed XML");
    }
    for namespace in ["http://schemas.xmlsoap.org/soap/envelope/", "urn:anything"] {
        let other = good.replace("http://www.w3.org/2003/05/soap-envelope", namespace);
        assert_soap_fault(&post_soap(port, DEVICE, &other, ""), 500, "env:VersionMismatch", "a SOAP 1.2 envelope is required");
    }
    let two_hosts =
        format!("GET /cgi-bin/getuid?username=admin&password=123456 HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nHost: camera.example\r\n\r\n");
    assert_eq!(status_line(port, two_hosts.as_bytes()), "HTTP/1.1 400 Bad Request");
    let nul = b"GET /cgi-bin/getuid?username=admin&password=123456 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Note: a\0b\r\n\r\n";
    assert_eq!(status_line(port, nul), "HTTP/1.1 400 Bad Request");
    let escape = b"GET /cgi-bin/getuid?username=admin&password=123456 HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: a\x1b[2Jb\r\n\r\n";
    assert_eq!(status_line(port, escape), "HTTP/1.1 400 Bad Request");
    let tab = b"GET /cgi-bin/getuid?username=admin&password=123456 HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: a\tb\r\n\r\n";
    assert_eq!(status_line(port, tab), "HTTP/1.1 200 OK", "a tab is white space");
}

#[test]
fn point10_ftp_dir_stays_below_the_login_directory() {
    let cam = Cam::start();
    let uid = cam.admin();
    for bad in ["~root/x", "~", "a/~b", "*", "pics/*.jpg", "a?", "[ab]", "{a,b}"] {
        let r = cam.get(&format!(
            "/cgi-bin/upload_targets?ftp_dir={}&uid={uid}",
            bad.replace('{', "%7B").replace('}', "%7D").replace('[', "%5B").replace(']', "%5D").replace('?', "%3F")
        ));
        assert_fault(&r, 400, "/cgi-bin/upload_targets", "ftp_dir error");
    }
    let r = assert_ok(cam.get(&format!("/cgi-bin/upload_targets?ftp_dir=cams/front-door&uid={uid}")), "upload_targets");
    assert_eq!(r.attr("ftp_dir").as_deref(), Some("cams/front-door"));
}

#[test]
fn point11_a_huge_year_in_a_token_is_refused_and_the_camera_goes_on() {
    let cam = Cam::start();
    let port = cam.port();
    for created in ["99999999999999999-01-01T00:00:00Z", "2026-01-01T00:00:00+99999999999999:00", "-9223372036854775808-01-01T00:00:00Z"] {
        let token = format!(
            "<Security xmlns=\"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd\"><UsernameToken><Username>admin</Username><Password>123456</Password><Nonce>AAAAAAAAAAAAAAAAAAAAAA==</Nonce><Created xmlns=\"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd\">{created}</Created></UsernameToken></Security>"
        );
        let r =
            post_soap(port, DEVICE, &soap_envelope(&token, "<GetDeviceInformation xmlns=\"http://www.onvif.org/ver10/device/wsdl\"/>"), "");
        assert_soap_fault(&r, 400, "ter:NotAuthorized", "the token&apos;s Created is not a time");
    }
    assert_eq!(cam.get("/cgi-bin/getuid?username=admin&password=123456").status, 200, "the camera answers on");
}

/// Posts an envelope from `source` and returns the answer.
fn post_from(source: std::net::Ipv4Addr, port: u16, envelope: &str) -> Resp {
    let mut s = crate::bounds::connect_from(source, port, None);
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let raw = format!(
        "POST {DEVICE} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/soap+xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{envelope}",
        envelope.len()
    );
    s.write_all(raw.as_bytes()).unwrap();
    let mut got = Vec::new();
    let _ = s.read_to_end(&mut got);
    parse_response(&got)
}

#[test]
fn point1_tokens_that_fail_push_no_real_token_out_and_a_replay_is_refused() {
    use crate::onvif_soap::token;
    let cam = Cam::start();
    let port = cam.port();
    let info = "<GetDeviceInformation xmlns=\"http://www.onvif.org/ver10/device/wsdl\"/>";
    let real = token("admin", "123456", b"the-real-nonce-01", 0);
    assert_eq!(post_soap(port, DEVICE, &soap_envelope(&real, info), "").status, 200);
    // 260 tokens that fail, more than the ring of 256 holds, four from
    // each of 65 addresses (below the lockout's five).
    for i in 0..260u32 {
        let source = std::net::Ipv4Addr::new(127, 0, 9, 1 + (i / 4) as u8);
        let garbage = token("nobody", "wrong", format!("garbage-{i}").as_bytes(), 0);
        let r = post_from(source, port, &soap_envelope(&garbage, info));
        assert_eq!(r.status, 400, "{}", r.text());
    }
    // The sniffed token, replayed as another operation.
    let create = format!("<CreateUsers xmlns=\"http://www.onvif.org/ver10/device/wsdl\"><User><Username {SCHEMA}>intruder</Username><Password {SCHEMA}>pwintruder</Password><UserLevel {SCHEMA}>Administrator</UserLevel></User></CreateUsers>");
    let replay = post_soap(port, DEVICE, &soap_envelope(&real, &create), "");
    assert_soap_fault(&replay, 400, "ter:NotAuthorized", "the token&apos;s nonce was used before");
    let users = soap(port, DEVICE, "<GetUsers xmlns=\"http://www.onvif.org/ver10/device/wsdl\"/>", BASIC_ADMIN).text();
    assert!(!users.contains("intruder"), "{users}");
}

/// Sets the camera's clock (UTC) to `offset` seconds from the host's, as an Administrator.
fn set_clock(port: u16, offset: i64) {
    let now = i64::try_from(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()).unwrap() + offset;
    let [y, mo, d, h, mi, s] = camcgi::api::calendar::civil(now);
    let body = format!(
        "<SetSystemDateAndTime xmlns=\"http://www.onvif.org/ver10/device/wsdl\"><DateTimeType>Manual</DateTimeType><DaylightSavings>false</DaylightSavings><UTCDateTime><Time {SCHEMA}><Hour>{h}</Hour><Minute>{mi}</Minute><Second>{s}</Second></Time><Date {SCHEMA}><Year>{y}</Year><Month>{mo}</Month><Day>{d}</Day></Date></UTCDateTime></SetSystemDateAndTime>"
    );
    let r = soap(port, DEVICE, &body, BASIC_ADMIN);
    assert_eq!(r.status, 200, "{}", r.text());
}

const CREATE_INTRUDER: &str = "<CreateUsers xmlns=\"http://www.onvif.org/ver10/device/wsdl\"><User><Username xmlns=\"http://www.onvif.org/ver10/schema\">intruder</Username><Password xmlns=\"http://www.onvif.org/ver10/schema\">pwintruder</Password><UserLevel xmlns=\"http://www.onvif.org/ver10/schema\">Administrator</UserLevel></User></CreateUsers>";

fn assert_no_intruder(port: u16) {
    let users = soap(port, DEVICE, "<GetUsers xmlns=\"http://www.onvif.org/ver10/device/wsdl\"/>", BASIC_ADMIN).text();
    assert!(!users.contains("intruder"), "{users}");
}

#[test]
fn point1_a_token_from_before_a_restart_is_refused_after_it() {
    use crate::onvif_soap::token;
    let cam = Cam::start();
    let port = cam.port();
    let real = token("admin", "123456", b"before-the-restart", 0);
    assert_eq!(post_soap(port, DEVICE, &soap_envelope(&real, INFO), "").status, 200);
    // Tokens carry whole seconds: the restart comes in a later second.
    let used = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    while std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() == used {
        std::thread::sleep(Duration::from_millis(20));
    }
    let cam = cam.power_cycle(Default::default());
    let port = cam.port();
    let replay = post_soap(port, DEVICE, &soap_envelope(&real, CREATE_INTRUDER), "");
    assert_soap_fault(&replay, 400, "ter:NotAuthorized", "the token was created before the camera started");
    assert_no_intruder(port);
    let fresh = token("admin", "123456", b"after-the-restart", 0);
    assert_eq!(post_soap(port, DEVICE, &soap_envelope(&fresh, INFO), "").status, 200);
}

#[test]
fn point1_setting_the_clock_back_makes_no_token_fresh_again() {
    use crate::onvif_soap::token;
    let cam = Cam::start();
    let port = cam.port();
    cam.user_with("op", "Operator");
    let real = token("admin", "123456", b"sniffed-an-hour-ago", 0);
    assert_eq!(post_soap(port, DEVICE, &soap_envelope(&real, INFO), "").status, 200);
    // An hour passes, with the Operator's own logins (more than a ring of
    // 256 held)...
    set_clock(port, 3600);
    for i in 0..300u32 {
        let own = token("op", "pwop", format!("own-{i}").as_bytes(), 3600);
        assert_eq!(post_soap(port, DEVICE, &soap_envelope(&own, INFO), "").status, 200);
    }
    // ...then the clock is set back to when the token was sniffed.
    set_clock(port, 0);
    let replay = post_soap(port, DEVICE, &soap_envelope(&real, CREATE_INTRUDER), "");
    assert_soap_fault(&replay, 400, "ter:NotAuthorized", "the token was created before the camera&apos;s clock was set back");
    assert_no_intruder(port);
    // The mark outlives a restart.
    let cam = cam.power_cycle(Default::default());
    let port = cam.port();
    let again = token("admin", "123456", b"made-after-the-set-back", 0);
    assert_soap_fault(
        &post_soap(port, DEVICE, &soap_envelope(&again, INFO), ""),
        400,
        "ter:NotAuthorized",
        "the token was created before the camera&apos;s clock was set back",
    );
    assert_eq!(soap(port, DEVICE, INFO, BASIC_ADMIN).status, 200, "HTTP authentication depends on no clock");
}

#[test]
fn point1_valid_logins_push_no_fresh_token_out() {
    use crate::onvif_soap::token;
    let cam = Cam::start();
    let port = cam.port();
    cam.user_with("op", "Operator");
    let real = token("admin", "123456", b"the-admins-token", 0);
    assert_eq!(post_soap(port, DEVICE, &soap_envelope(&real, INFO), "").status, 200);
    for i in 0..1024u32 {
        let own = token("op", "pwop", format!("own-{i}").as_bytes(), 0);
        assert_eq!(post_soap(port, DEVICE, &soap_envelope(&own, INFO), "").status, 200);
    }
    let replay = post_soap(port, DEVICE, &soap_envelope(&real, CREATE_INTRUDER), "");
    assert_soap_fault(&replay, 400, "ter:NotAuthorized", "the token is older than the nonces the camera remembers");
    assert_no_intruder(port);
}

fn login_refused(cam: &Cam, user: &str, password: &str) {
    let r = cam.get(&format!("/cgi-bin/getuid?username={user}&password={password}"));
    assert_fault(&r, 400, "/cgi-bin/getuid", "password error");
}

#[test]
fn point4_a_corrupt_accounts_file_brings_back_no_default_password() {
    let dir = std::sync::Arc::new(TempDir::new());
    let mut cam = Cam::start_in(dir.clone());
    let uid = cam.admin();
    assert_ok(cam.get(&format!("/cgi-bin/user_management?action=edit&name=admin&newpasswd=owners&uid={uid}")), "user_management");
    cam.stop();
    let file = dir.0.join("accounts.xml");
    let good = std::fs::read_to_string(&file).unwrap();
    let corruptions: [&[u8]; 3] = [b"\x00\xff garbage", &good.as_bytes()[..good.len() / 2], b""];
    for corrupt in corruptions {
        std::fs::write(&file, corrupt).unwrap();
        let mut cam = Cam::start_in(dir.clone());
        login_refused(&cam, "admin", "123456");
        cam.login("admin", "owners");
        cam.stop();
        assert_eq!(std::fs::read_to_string(&file).unwrap(), good, "written back from its copy");
    }
    // Unreadable (a directory in its place): the copy serves.
    std::fs::remove_file(&file).unwrap();
    std::fs::create_dir(&file).unwrap();
    let mut cam = Cam::start_in(dir.clone());
    login_refused(&cam, "admin", "123456");
    cam.login("admin", "owners");
    cam.stop();
    std::fs::remove_dir(&file).unwrap();
    // With the copy unusable too, no login succeeds, the published one least.
    std::fs::write(&file, b"garbage").unwrap();
    std::fs::write(dir.0.join("accounts.xml.copy"), b"").unwrap();
    let mut cam = Cam::start_in(dir.clone());
    login_refused(&cam, "admin", "123456");
    login_refused(&cam, "admin", "owners");
    assert_eq!(soap(cam.port(), DEVICE, INFO, &basic("admin", "owners")).status, 401);
    cam.stop();
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "garbage", "left in place for whoever recovers it");
    // The documented recovery: remove both, and the initial account comes back.
    std::fs::remove_file(&file).unwrap();
    std::fs::remove_file(dir.0.join("accounts.xml.copy")).unwrap();
    let cam = Cam::start_in(dir.clone());
    cam.admin();
}

#[test]
fn point4_a_corrupt_access_file_opens_nothing() {
    let dir = std::sync::Arc::new(TempDir::new());
    let mut cam = Cam::start_in(dir.clone());
    let uid = cam.admin();
    assert_ok(cam.get(&format!("/cgi-bin/onvif?basic_auth=0&discoverable=0&uid={uid}")), "onvif");
    cam.stop();
    let file = dir.0.join("access.xml");
    std::fs::write(&file, b"<access onvif=").unwrap();
    let mut cam = Cam::start_in(dir.clone());
    let uid = cam.admin();
    let access = cam.get(&format!("/cgi-bin/onvif?uid={uid}"));
    assert_eq!((access.attr("basic_auth").as_deref(), access.attr("discoverable").as_deref()), (Some("0"), Some("0")), "from its copy");
    cam.stop();
    std::fs::write(&file, b"").unwrap();
    std::fs::write(dir.0.join("access.xml.copy"), b"\xff").unwrap();
    let cam = Cam::start_in(dir.clone());
    let uid = cam.admin();
    let access = cam.get(&format!("/cgi-bin/onvif?uid={uid}"));
    assert_eq!(
        (
            access.attr("enable").as_deref(),
            access.attr("auth").as_deref(),
            access.attr("discoverable").as_deref(),
            access.attr("basic_auth").as_deref()
        ),
        (Some("0"), Some("1"), Some("0"), Some("0")),
        "every switch closed"
    );
    let r = cam.get_with("/cgi-bin/image", BASIC_ADMIN);
    assert_eq!(r.status, 400, "Basic is off: {}", r.text());
}

#[test]
fn point11_a_handler_that_panics_ends_its_own_request_only() {
    use camcgi_hal::mock::Device;
    let cam = Cam::start();
    let port = cam.port();
    let uid = cam.admin();
    // A client in the middle of a kept-alive conversation meanwhile.
    let mut other = TcpStream::connect(("127.0.0.1", port)).unwrap();
    other.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    cam.mock.panic_next(Device::Image);
    let r = cam.get(&format!("/cgi-bin/image?brightness=5&uid={uid}"));
    assert_fault(&r, 500, "/cgi-bin/image", "internal error");
    assert_eq!(cam.get(&format!("/cgi-bin/image?uid={uid}")).attr("brightness").as_deref(), Some("128"), "nothing changed");
    cam.mock.panic_next(Device::Image);
    let set = "<SetImagingSettings xmlns=\"http://www.onvif.org/ver20/imaging/wsdl\"><VideoSourceToken>video_src</VideoSourceToken><ImagingSettings><Brightness xmlns=\"http://www.onvif.org/ver10/schema\">10</Brightness></ImagingSettings></SetImagingSettings>";
    assert_soap_fault(&soap(port, "/onvif/imaging_service", set, BASIC_ADMIN), 500, "ter:Action", "internal error");
    // The unit whose driver panicked still works, and so does everyone else.
    assert_ok(cam.get(&format!("/cgi-bin/image?brightness=6&uid={uid}")), "image");
    assert_eq!(cam.mock.image_value(camcgi_hal::ImageControl::Brightness), 6);
    other.write_all(format!("GET /cgi-bin/image?uid={uid} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").as_bytes()).unwrap();
    let mut got = Vec::new();
    let _ = other.read_to_end(&mut got);
    assert_eq!(parse_response(&got).attr("brightness").as_deref(), Some("6"), "{}", String::from_utf8_lossy(&got));
}

#[test]
fn point12_digest_nonces_show_neither_uptime_nor_how_many_were_given_out() {
    let cam = Cam::start();
    let nonces: Vec<Vec<u8>> =
        (0..16).map(|_| hex::decode(challenge_nonce(&cam.get("/cgi-bin/snapshot.cgi?stream=1"))).expect("a hex nonce")).collect();
    // Plain, the milliseconds since start began with zero bytes and the
    // place in the order of issue counted up by one.
    assert!(!nonces.iter().all(|n| n[..2] == [0, 0]), "{nonces:02x?}");
    for pair in nonces.windows(2) {
        for at in 0..pair[0].len().saturating_sub(8) {
            let word = |n: &[u8]| u64::from_be_bytes(n[at..at + 8].try_into().unwrap());
            assert_ne!(word(&pair[1]).wrapping_sub(word(&pair[0])), 1, "a count at byte {at}: {pair:02x?}");
        }
    }
    // Each is still good once.
    let nonce = challenge_nonce(&cam.get("/cgi-bin/snapshot.cgi?stream=1"));
    let ok = cam
        .get_with("/cgi-bin/snapshot.cgi?stream=1", &digest_answer("GET", "/cgi-bin/snapshot.cgi?stream=1", "admin", "123456", &nonce, 1));
    assert_eq!(ok.status, 200, "{}", ok.text());
}

/// A GET from `source` with extra header lines.
fn get_from(source: std::net::Ipv4Addr, port: u16, target: &str, headers: &str) -> Resp {
    let mut s = crate::bounds::connect_from(source, port, None);
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(format!("GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}Connection: close\r\n\r\n").as_bytes()).unwrap();
    let mut got = Vec::new();
    let _ = s.read_to_end(&mut got);
    parse_response(&got)
}

#[test]
fn point2_a_replayed_digest_answer_earns_no_trust() {
    use std::net::Ipv4Addr;
    let cam = Cam::start();
    let port = cam.port();
    const SNAPSHOT: &str = "/cgi-bin/snapshot.cgi?stream=1";
    let nonce = challenge_nonce(&cam.get(SNAPSHOT));
    let sniffed = digest_answer("GET", SNAPSHOT, "admin", "123456", &nonce, 1);
    // The administrator's own login, from 127.0.0.1: that client is trusted.
    assert_eq!(get_from(Ipv4Addr::LOCALHOST, port, SNAPSHOT, &sniffed).status, 200);
    // The sniffed header replayed from four other addresses.
    for n in 2..6 {
        let r = get_from(Ipv4Addr::new(127, 0, 6, n), port, SNAPSHOT, &sniffed);
        assert_fault(&r, 401, "/cgi-bin/snapshot", "nonce replayed");
    }
    // Guesses at the account from five more addresses lock it...
    for n in 10..15 {
        let r = get_from(Ipv4Addr::new(127, 0, 6, n), port, "/cgi-bin/getuid?username=admin&password=guess", "");
        assert_fault(&r, 400, "/cgi-bin/getuid", "password error");
    }
    let stranger = get_from(Ipv4Addr::new(127, 0, 6, 20), port, "/cgi-bin/getuid?username=admin&password=123456", "");
    assert_fault(&stranger, 400, "/cgi-bin/getuid", "too many failed logins");
    // ...but spare the client that logged in itself, not those that replayed.
    let own = get_from(Ipv4Addr::LOCALHOST, port, "/cgi-bin/getuid?username=admin&password=123456", "");
    assert_eq!(own.status, 200, "{}", own.text());
    let replayer = get_from(Ipv4Addr::new(127, 0, 6, 2), port, "/cgi-bin/getuid?username=admin&password=123456", "");
    assert_fault(&replayer, 400, "/cgi-bin/getuid", "too many failed logins");
}

#[test]
fn point3_the_lockout_does_not_tell_which_names_exist() {
    use std::net::Ipv4Addr;
    let cam = Cam::start();
    let port = cam.port();
    let answers: Vec<Resp> = ["admin", "ghost"]
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let base = 30 + 10 * i as u8;
            for n in 0..5 {
                let r = get_from(Ipv4Addr::new(127, 0, 7, base + n), port, &format!("/cgi-bin/getuid?username={name}&password=guess"), "");
                assert_fault(&r, 400, "/cgi-bin/getuid", "password error");
            }
            get_from(Ipv4Addr::new(127, 0, 7, base + 5), port, &format!("/cgi-bin/getuid?username={name}&password=guess"), "")
        })
        .collect();
    assert_fault(&answers[0], 400, "/cgi-bin/getuid", "too many failed logins");
    assert_fault(&answers[1], 400, "/cgi-bin/getuid", "too many failed logins");
}
