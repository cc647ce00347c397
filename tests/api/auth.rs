//! Logging in, sessions and lockout (behaviour.md section 3).

use crate::common::*;
use std::time::Duration;

const GETUID: &str = "/cgi-bin/getuid";

#[test]
fn getuid_gives_a_32_hex_digit_uid() {
    let cam = Cam::start();
    let r = assert_ok(cam.get("/cgi-bin/getuid?username=admin&password=123456"), "uid");
    let uid = r.element("uid").unwrap();
    assert_eq!(uid.len(), 32);
    assert!(uid.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
    assert_ne!(uid, cam.admin(), "every login gets its own uid");
}

#[test]
fn getuid_faults() {
    let cam = Cam::start();
    assert_fault(&cam.get(GETUID), 400, GETUID, "error, parse parameters");
    assert_fault(&cam.get("/cgi-bin/getuid?password=123456"), 400, GETUID, "error, parse username");
    assert_fault(&cam.get("/cgi-bin/getuid?username=&password=1"), 400, GETUID, "error, parse username");
    assert_fault(&cam.get("/cgi-bin/getuid?username=admin"), 400, GETUID, "error, parse password");
    assert_fault(&cam.get("/cgi-bin/getuid?username=admin&password=1234567"), 400, GETUID, "password error");
    assert_fault(&cam.get("/cgi-bin/getuid?username=nobody&password=123456"), 400, GETUID, "password error");
    assert_fault(&cam.get("/cgi-bin/getuid?username=admin&password=123456&x=1"), 400, GETUID, "x: unknown parameter");
}

#[test]
fn keep_alive_and_uid_faults() {
    let cam = Cam::start();
    let uid = cam.admin();
    let r = assert_ok(cam.get(&format!("/cgi-bin/keep_alive?uid={uid}")), "keep_alive");
    assert_eq!(r.element("keep_alive").as_deref(), Some("true"));
    let path = "/cgi-bin/keep_alive";
    assert_fault(&cam.get(path), 400, path, "error, parse uid");
    assert_fault(&cam.get("/cgi-bin/keep_alive?uid="), 400, path, "error, parse uid");
    assert_fault(&cam.get("/cgi-bin/keep_alive?uid=0123456789abcdef0123456789abcdef"), 400, path, "uid error");
    assert_fault(&cam.get("/cgi-bin/keep_alive?uid=../../etc/passwd"), 400, path, "uid error");
    // Every interface asks for the uid the same way.
    assert_fault(&cam.get("/cgi-bin/image"), 400, "/cgi-bin/image", "error, parse uid");
    assert_fault(&cam.get("/cgi-bin/getinfo?uid=x"), 400, "/cgi-bin/getinfo", "uid error");
}

#[test]
fn uid_expires_after_60_idle_seconds_and_requests_renew_it() {
    let cam = Cam::start();
    let uid = cam.admin();
    let keep = format!("/cgi-bin/keep_alive?uid={uid}");
    cam.clock.advance(Duration::from_secs(50));
    assert_ok(cam.get(&format!("/cgi-bin/image?uid={uid}")), "image");
    cam.clock.advance(Duration::from_secs(59));
    assert_ok(cam.get(&keep), "keep_alive");
    cam.clock.advance(Duration::from_secs(59));
    // A refused request does not renew the session.
    assert_eq!(cam.get(&format!("/cgi-bin/image?brightness=999&uid={uid}")).status, 400);
    cam.clock.advance(Duration::from_secs(1));
    assert_fault(&cam.get(&keep), 400, "/cgi-bin/keep_alive", "uid error");
}

#[test]
fn setting_the_time_never_expires_or_extends_a_session() {
    let cam = Cam::start();
    let uid = cam.admin();
    let r = cam.get(&format!("/cgi-bin/time?update_method=MANUAL&year=2099&month=12&day=31&hour=23&min=0&sec=0&uid={uid}"));
    assert_ok(r, "time");
    assert_ok(cam.get(&format!("/cgi-bin/keep_alive?uid={uid}")), "keep_alive");
    let r = cam.get(&format!("/cgi-bin/time?year=2000&month=1&day=1&uid={uid}"));
    assert_ok(r, "time");
    assert_ok(cam.get(&format!("/cgi-bin/keep_alive?uid={uid}")), "keep_alive");
    cam.clock.advance(Duration::from_secs(61));
    assert_fault(&cam.get(&format!("/cgi-bin/keep_alive?uid={uid}")), 400, "/cgi-bin/keep_alive", "uid error");
}

#[test]
fn the_31st_login_evicts_the_least_recently_used_session() {
    let cam = Cam::start();
    // No account may hold more than 8 sessions: four accounts fill the table.
    let admin = cam.admin();
    let names = ["u1", "u2", "u3"];
    for name in names {
        let r = cam.get(&format!("/cgi-bin/user_management?action=add&name={name}&newpasswd=pw&privilege=User&enable=Enable&uid={admin}"));
        assert_ok(r, "user_management");
    }
    cam.get(&format!("/cgi/auth.cgi?act=auth_logout&data=<root><authid>{admin}</authid></root>"));
    let accounts = ["admin", "u1", "u2", "u3"];
    let uids: Vec<String> = (0..30)
        .map(|i| {
            cam.clock.advance(Duration::from_millis(10));
            let name = accounts[i % 4];
            cam.login(name, if name == "admin" { "123456" } else { "pw" })
        })
        .collect();
    cam.clock.advance(Duration::from_millis(10));
    assert_ok(cam.get(&format!("/cgi-bin/keep_alive?uid={}", uids[0])), "keep_alive");
    cam.clock.advance(Duration::from_millis(10));
    // u3 holds 7 of the 30: the table's least recently used goes, whoever holds it.
    let newest = cam.login("u3", "pw");
    assert_fault(&cam.get(&format!("/cgi-bin/keep_alive?uid={}", uids[1])), 400, "/cgi-bin/keep_alive", "uid error");
    for uid in uids.iter().skip(2).chain([&uids[0], &newest]) {
        assert_ok(cam.get(&format!("/cgi-bin/keep_alive?uid={uid}")), "keep_alive");
    }
}

#[test]
fn five_failed_logins_lock_the_address_out_for_a_minute() {
    let cam = Cam::start();
    for _ in 0..5 {
        assert_fault(&cam.get("/cgi-bin/getuid?username=admin&password=wrong"), 400, GETUID, "password error");
    }
    let right = "/cgi-bin/getuid?username=admin&password=123456";
    assert_fault(&cam.get(right), 400, GETUID, "too many failed logins");
    let r = cam.get(&auth_url("auth", "encrypt", "2D08086927F4D87A31154AAF0BA2E067"));
    assert_eq!(r.text(), codes(2, "too many failed logins"));
    cam.clock.advance(Duration::from_secs(59));
    assert_fault(&cam.get(right), 400, GETUID, "too many failed logins");
    cam.clock.advance(Duration::from_secs(1));
    assert_ok(cam.get(right), "uid");
}

#[test]
fn failures_spread_over_more_than_a_minute_do_not_lock() {
    let cam = Cam::start();
    for _ in 0..8 {
        cam.get("/cgi-bin/getuid?username=admin&password=wrong");
        cam.clock.advance(Duration::from_secs(16));
    }
    assert_ok(cam.get("/cgi-bin/getuid?username=admin&password=123456"), "uid");
}

/// An auth.cgi URL as clients send it: `?act=…&data=<?xml …?><root><TAG>VALUE</TAG></root>`.
pub fn auth_url(act: &str, tag: &str, value: &str) -> String {
    let key = if act == "keep_alive" { "set" } else { "act" };
    format!("/cgi/auth.cgi?&{key}={act}&data=<?xml%20version='1.0'?><root><{tag}>{value}</{tag}></root>")
}

pub fn codes(code: u8, text: &str) -> String {
    format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<root>\n<code>{code}</code>\n<error>{text}</error>\n</root>\n")
}

fn auth_cgi_login(cam: &Cam) -> String {
    let r = cam.get(&auth_url("auth", "encrypt", "2D08086927F4D87A31154AAF0BA2E067"));
    assert_eq!(r.status, 200);
    assert_eq!(r.header("Content-Type"), Some("text/plain;charset=utf-8"));
    assert_eq!(r.header("Cache-Control"), Some("no-store"));
    let text = r.text();
    assert!(text.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<root>\n<authid>"), "{text}");
    assert_eq!(r.element("version").as_deref(), Some(env!("CARGO_PKG_VERSION")));
    r.element("authid").unwrap()
}

#[test]
fn auth_cgi_login_keep_alive_and_logout() {
    let cam = Cam::start();
    let authid = auth_cgi_login(&cam);
    assert_eq!(authid.len(), 32);
    // Lower-case digest works too.
    let r = cam.get(&auth_url("auth", "encrypt", "2d08086927f4d87a31154aaf0ba2e067"));
    assert!(r.element("authid").is_some());
    // The document's own spacing inside tag names, percent-encoded as a client must.
    let spaced = format!("/cgi/auth.cgi?&set=keep_alive&data=<?xml%20version='1.0'?><root><%20authid%20>{authid}</%20authid%20></root>");
    assert_eq!(cam.get(&spaced).text(), codes(0, "successful"));
    // The whole data fully percent-encoded.
    let encoded = format!(
        "/cgi/auth.cgi?set=keep_alive&data=%3C%3Fxml%20version%3D%271.0%27%3F%3E%3Croot%3E%3Cauthid%3E{authid}%3C%2Fauthid%3E%3C%2Froot%3E"
    );
    assert_eq!(cam.get(&encoded).text(), codes(0, "successful"));
    // An authid is a session wherever one is asked for.
    assert_ok(cam.get(&format!("/cgi-bin/getinfo?uid={authid}")), "info");
    assert_eq!(cam.get(&auth_url("auth_logout", "authid", &authid)).text(), codes(0, "successful"));
    assert_eq!(cam.get(&auth_url("keep_alive", "authid", &authid)).text(), codes(3, "authid invalid or expired"));
    assert_eq!(cam.get(&auth_url("auth_logout", "authid", &authid)).text(), codes(3, "authid invalid or expired"));
    assert_fault(&cam.get(&format!("/cgi-bin/getinfo?uid={authid}")), 400, "/cgi-bin/getinfo", "uid error");
}

#[test]
fn auth_cgi_faults() {
    let cam = Cam::start();
    let parse = codes(1, "parse error");
    assert_eq!(cam.get(&auth_url("auth", "encrypt", "00000000000000000000000000000000")).text(), codes(2, "authentication failed"));
    assert_eq!(cam.get("/cgi/auth.cgi?act=auth").text(), parse);
    assert_eq!(cam.get("/cgi/auth.cgi?act=auth&data=<root><encrypt>x</root>").text(), parse);
    assert_eq!(cam.get("/cgi/auth.cgi?act=auth&data=%zz").text(), parse);
    assert_eq!(cam.get(&auth_url("auth", "authid", "x")).text(), parse, "the wrong element");
    let doctype = "/cgi/auth.cgi?act=auth&data=<!DOCTYPE%20r%20[<!ENTITY%20x%20'2D08086927F4D87A31154AAF0BA2E067'>]><root><encrypt>%26x;</encrypt></root>";
    assert_eq!(cam.get(doctype).text(), parse);
    let huge = format!("/cgi/auth.cgi?act=auth&data=<root><encrypt>{}</encrypt></root>", "A".repeat(5000));
    assert_eq!(cam.get(&huge).text(), parse);
    assert_eq!(cam.get(&auth_url("login", "encrypt", "x")).text(), codes(4, "unsupported command"));
    assert_eq!(cam.get("/cgi/auth.cgi").text(), codes(4, "unsupported command"));
    assert_eq!(cam.get("/cgi/auth.cgi?set=auth&data=<root/>").text(), codes(4, "unsupported command"));
    assert_eq!(cam.get("/cgi/auth.cgi?act=auth&set=keep_alive").text(), codes(4, "unsupported command"));
    assert_eq!(cam.get("/cgi/auth.cgi?act=auth&data=<root/>&x=1").text(), parse);
    // Every one of those answers with HTTP 200.
    assert_eq!(cam.get(doctype).status, 200);
}

#[test]
fn authid_lives_30_minutes_and_keep_alive_renews_it() {
    let cam = Cam::start();
    let authid = auth_cgi_login(&cam);
    let keep = auth_url("keep_alive", "authid", &authid);
    cam.clock.advance(Duration::from_secs(29 * 60));
    assert_eq!(cam.get(&keep).text(), codes(0, "successful"));
    cam.clock.advance(Duration::from_secs(29 * 60));
    assert_eq!(cam.get(&keep).text(), codes(0, "successful"));
    cam.clock.advance(Duration::from_secs(30 * 60));
    assert_eq!(cam.get(&keep).text(), codes(3, "authid invalid or expired"));
    // A uid renewed through auth.cgi keeps its own 60 s lifetime.
    let uid = cam.admin();
    assert_eq!(cam.get(&auth_url("keep_alive", "authid", &uid)).text(), codes(0, "successful"));
    cam.clock.advance(Duration::from_secs(61));
    assert_eq!(cam.get(&auth_url("keep_alive", "authid", &uid)).text(), codes(3, "authid invalid or expired"));
}
