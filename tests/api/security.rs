//! What an outside attack found (issue 12), each point closed for good:
//! logins and sessions (1-3), secrets in the log (7), the atomic write (8),
//! cross-site requests and DNS rebinding (10). Test names carry the point.

use crate::common::*;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpStream};
use std::time::Duration;

const GETUID: &str = "/cgi-bin/getuid";

/// A request from another loopback address (127.0.0.0/8 is all this host's),
/// as a client elsewhere on the network would send it.
fn request_from(from: Ipv4Addr, port: u16, target: &str, headers: &str) -> Resp {
    use nix::sys::socket::{bind, connect, socket, AddressFamily, SockFlag, SockType, SockaddrIn};
    let fd = socket(AddressFamily::Inet, SockType::Stream, SockFlag::empty(), None).unwrap();
    bind(std::os::fd::AsRawFd::as_raw_fd(&fd), &SockaddrIn::from(std::net::SocketAddrV4::new(from, 0))).unwrap();
    connect(std::os::fd::AsRawFd::as_raw_fd(&fd), &SockaddrIn::from(std::net::SocketAddrV4::new(Ipv4Addr::LOCALHOST, port))).unwrap();
    let mut stream = TcpStream::from(fd);
    stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    write!(stream, "GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n{headers}\r\n").unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    parse_response(&raw)
}

fn loopback(n: u8) -> Ipv4Addr {
    Ipv4Addr::new(127, 0, 0, n)
}

fn getuid(user: &str, password: &str) -> String {
    format!("{GETUID}?username={user}&password={password}")
}

#[test]
fn point1_a_users_own_logins_do_not_launder_guesses_at_the_admin() {
    let cam = Cam::start();
    cam.user_with("mallory", "User");
    // Four guesses, then a good login of mallory's own, over and over: before
    // the fix each good login wiped the address's count, so guessing never stopped.
    for _ in 0..4 {
        assert_fault(&cam.get(&getuid("admin", "guess")), 400, GETUID, "password error");
    }
    cam.login("mallory", "pwmallory");
    assert_fault(&cam.get(&getuid("admin", "guess")), 400, GETUID, "password error");
    assert_fault(&cam.get(&getuid("admin", "123456")), 400, GETUID, "too many failed logins");
    assert_fault(&cam.get(&getuid("mallory", "pwmallory")), 400, GETUID, "too many failed logins");
    cam.clock.advance(Duration::from_secs(60));
    assert_ok(cam.get(&getuid("mallory", "pwmallory")), "uid");
}

#[test]
fn point1_guesses_from_many_addresses_lock_the_account_but_not_its_own_client() {
    let cam = Cam::start();
    // The administrator last logged in from 127.0.0.1.
    cam.admin();
    for n in 10..15 {
        let r = request_from(loopback(n), cam.port(), &getuid("admin", "guess"), "");
        assert_fault(&r, 400, GETUID, "password error");
    }
    // From any other address the account is locked, the right password included...
    let r = request_from(loopback(20), cam.port(), &getuid("admin", "123456"), "");
    assert_fault(&r, 400, GETUID, "too many failed logins");
    // ...but never for the client the administrator uses.
    assert_ok(cam.get(&getuid("admin", "123456")), "uid");
    // Other accounts are untouched.
    let uid = cam.admin();
    let add = "/cgi-bin/user_management?action=add&name=op&newpasswd=pwop&privilege=Operator&enable=Enable";
    assert_ok(cam.get(&format!("{add}&uid={uid}")), "user_management");
    assert_ok(request_from(loopback(20), cam.port(), &getuid("op", "pwop"), ""), "uid");
    // The lock lasts a minute, the next one two.
    cam.clock.advance(Duration::from_secs(60));
    assert_ok(request_from(loopback(20), cam.port(), &getuid("admin", "123456"), ""), "uid");
    for n in 30..35 {
        request_from(loopback(n), cam.port(), &getuid("admin", "guess"), "");
    }
    cam.clock.advance(Duration::from_secs(90));
    let r = request_from(loopback(21), cam.port(), &getuid("admin", "123456"), "");
    assert_fault(&r, 400, GETUID, "too many failed logins");
    cam.clock.advance(Duration::from_secs(30));
    assert_ok(request_from(loopback(21), cam.port(), &getuid("admin", "123456"), ""), "uid");
}

fn auth_cgi(encrypt: &str) -> String {
    format!("/cgi/auth.cgi?act=auth&data=<root><encrypt>{encrypt}</encrypt></root>")
}

#[test]
fn point1_a_users_own_login_buys_no_guesses_at_digests() {
    let cam = Cam::start();
    cam.user_with("mallory", "User");
    let admin = "2d08086927f4d87a31154aaf0ba2e067";
    let wrong = "00000000000000000000000000000000";
    let failed = "<code>2</code>\n<error>authentication failed</error>";
    let locked = "<code>2</code>\n<error>too many failed logins</error>";
    // Digest guesses from five addresses lock digest logins.
    for n in 10..15 {
        assert!(request_from(loopback(n), cam.port(), &auth_cgi(wrong), "").text().contains(failed));
    }
    assert!(request_from(loopback(20), cam.port(), &auth_cgi(admin), "").text().contains(locked));
    // Mallory's own good login makes her client trusted, but only until it guesses.
    assert_ok(request_from(loopback(21), cam.port(), &getuid("mallory", "pwmallory"), ""), "uid");
    assert!(request_from(loopback(21), cam.port(), &auth_cgi(wrong), "").text().contains(failed));
    assert!(request_from(loopback(21), cam.port(), &auth_cgi(admin), "").text().contains(locked));
    // The administrator's own client still logs in by digest.
    assert!(cam.get(&auth_cgi(admin)).text().contains("<authid>"));
}

#[test]
fn point2_rotating_addresses_never_unlock_a_locked_one_and_a_full_table_locks() {
    let cam = Cam::start();
    for _ in 0..5 {
        assert_fault(&cam.get(&getuid("nobody", "guess")), 400, GETUID, "password error");
    }
    assert_fault(&cam.get(&getuid("admin", "123456")), 400, GETUID, "too many failed logins");
    // 79 more addresses, one failure each: more than the table holds. The
    // names vary, four failures at most each, so that no name locks first
    // (a locked name refuses before anything is counted).
    for n in 2..=80u8 {
        request_from(loopback(n), cam.port(), &getuid(&format!("name{}", n % 20), "guess"), "");
    }
    assert_fault(&cam.get(&getuid("admin", "123456")), 400, GETUID, "too many failed logins");
    // An address the table had no room for is locked with the overflow.
    let r = request_from(loopback(200), cam.port(), &getuid("admin", "123456"), "");
    assert_fault(&r, 400, GETUID, "too many failed logins");
    cam.clock.advance(Duration::from_secs(61));
    assert_ok(cam.get(&getuid("admin", "123456")), "uid");
    assert_ok(request_from(loopback(200), cam.port(), &getuid("admin", "123456"), ""), "uid");
}

#[test]
fn point3_no_account_can_log_the_administrator_out() {
    let cam = Cam::start();
    let admin = cam.admin();
    let first = cam.user_with("user", "User");
    for _ in 0..40 {
        cam.clock.advance(Duration::from_millis(10));
        cam.login("user", "pwuser");
    }
    assert_ok(cam.get(&format!("/cgi-bin/keep_alive?uid={admin}")), "keep_alive");
    // The account's own oldest session went instead.
    assert_fault(&cam.get(&format!("/cgi-bin/keep_alive?uid={first}")), 400, "/cgi-bin/keep_alive", "uid error");
}

#[test]
fn point7_no_secret_reaches_the_log_at_any_level() {
    let dir = TempDir::new();
    let mut cam = Process::start(&dir.0, &["--log-level", "trace"]);
    let password = "Pw-Secret-71";
    let uid = cam.uid("123456");
    let add = format!("/cgi-bin/user_management?action=add&name=eve&newpasswd={password}&privilege=Administrator&enable=Enable&uid={uid}");
    assert_ok(cam.get(&add), "user_management");
    let eve = cam.get(&format!("/cgi-bin/getuid?username=eve&password={password}")).element("uid").unwrap();
    let snapshot_forms = [
        format!("/cgi-bin/snapshot.cgi&username=eve&password={password}"),
        format!("/cgi-bin/snapshot.cgi?username=eve&pass%77ord={password}"),
        format!("/cgi-bin/snapshot.cgi?u%69d={eve}"),
        format!("/cgi-bin/image?u%69d={eve}"),
        format!("/cgi-bin/nowhere&password={password}"),
    ];
    for form in &snapshot_forms {
        cam.get(form);
    }
    let targets = format!("/cgi-bin/upload_targets?ftp_server=192.0.2.1&ftp_password=Ftp-Secret-72&smtp_password=Smtp-Secret-73&uid={eve}");
    assert_ok(cam.get(&targets), "upload_targets");
    let digest = camcgi::state::accounts::digest("eve", password);
    let auth = cam.get(&format!("/cgi/auth.cgi?act=auth&data=<root><encrypt>{digest}</encrypt></root>"));
    let authid = auth.element("authid").unwrap();
    cam.get(&format!("/cgi/auth.cgi?set=keep_alive&data=<root><authid>{authid}</authid></root>"));
    cam.get(&format!("/cgi-bin/keep_alive?authid={authid}"));
    let basic = base64_of(&format!("eve:{password}"));
    request(cam.port, "GET", "/cgi-bin/snapshot.cgi", &format!("Authorization: Basic {basic}\r\n"));
    // ONVIF: an account made with a password, a PasswordText token, and a Digest exchange.
    let by_eve = format!("Authorization: Basic {basic}\r\n");
    let schema = "xmlns=\"http://www.onvif.org/ver10/schema\"";
    let create = format!("<CreateUsers xmlns=\"http://www.onvif.org/ver10/device/wsdl\"><User><Username {schema}>mallory</Username><Password {schema}>Onvif-Secret-75</Password><UserLevel {schema}>User</UserLevel></User></CreateUsers>");
    assert_eq!(soap(cam.port, "/onvif/device_service", &create, &by_eve).status, 200);
    let token = format!("<Security><UsernameToken><Username>eve</Username><Password>{password}</Password></UsernameToken></Security>");
    let info = "<GetDeviceInformation xmlns=\"http://www.onvif.org/ver10/device/wsdl\"/>";
    assert_eq!(post_soap(cam.port, "/onvif/device_service", &soap_envelope(&token, info), "").status, 200);
    let snapshot = "/cgi-bin/snapshot.cgi?stream=1";
    let nonce = challenge_nonce(&request(cam.port, "GET", snapshot, ""));
    let answer = digest_answer("GET", snapshot, "eve", password, &nonce, 1);
    assert_eq!(request(cam.port, "GET", snapshot, &answer).status, 200);
    let response = answer.split("response=\"").nth(1).unwrap().trim_end_matches("\"\r\n").to_string();
    let accounts = std::fs::read_to_string(dir.0.join("accounts.xml")).unwrap();
    let sealed: Vec<String> = accounts.split("sealed=\"").skip(1).map(|v| v[..v.find('"').unwrap()].to_string()).collect();
    assert_eq!(sealed.len(), 3, "{accounts}");
    let key = hex::encode(std::fs::read(dir.0.join("device.key")).unwrap());
    // A wrong password, too, is never logged.
    cam.get("/cgi-bin/getuid?username=eve&password=Wrong-Secret-74");
    std::thread::sleep(Duration::from_millis(300));
    let log = cam.logged().join("\n");
    assert!(log.contains("/cgi-bin/snapshot.cgi"), "the requests were logged:\n{log}");
    for secret in sealed.iter().chain([&response, &key]) {
        assert!(!log.contains(secret.as_str()), "{secret} in the log:\n{log}");
    }
    for secret in [password, "Ftp-Secret-72", "Smtp-Secret-73", "Wrong-Secret-74", "Onvif-Secret-75", &digest, &uid, &eve, &authid, &basic]
    {
        assert!(!log.contains(secret), "{secret} in the log:\n{log}");
    }
}

fn base64_of(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(text)
}

#[test]
fn point8_the_atomic_write_never_follows_a_planted_link_and_sets_its_mode() {
    use std::os::unix::fs::PermissionsExt;
    let cam = Cam::start();
    let uid = cam.admin();
    let data = cam.data_dir();
    let victim = data.join("victim");
    std::fs::write(&victim, "untouched").unwrap();
    // What an attacker with a share could plant: a link where the temporary
    // file went, and a stale world-readable temporary file.
    std::os::unix::fs::symlink(&victim, data.join(".image.xml.tmp")).unwrap();
    std::fs::write(data.join(".accounts.xml.tmp"), "x").unwrap();
    std::fs::set_permissions(data.join(".accounts.xml.tmp"), std::fs::Permissions::from_mode(0o644)).unwrap();
    assert_ok(cam.get(&format!("/cgi-bin/image?brightness=7&uid={uid}")), "image");
    let add = "/cgi-bin/user_management?action=add&name=bob&newpasswd=pwbob&privilege=User&enable=Enable";
    assert_ok(cam.get(&format!("{add}&uid={uid}")), "user_management");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "untouched");
    for file in ["image.xml", "accounts.xml"] {
        let meta = std::fs::symlink_metadata(data.join(file)).unwrap();
        assert!(meta.file_type().is_file(), "{file}");
        assert_eq!(meta.permissions().mode() & 0o777, 0o600, "{file}");
    }
    assert!(std::fs::read_to_string(data.join("accounts.xml")).unwrap().contains("bob"));
}

#[test]
fn point10_state_changes_from_another_site_are_refused() {
    let cam = Cam::start();
    let uid = cam.admin();
    let image = "/cgi-bin/image";
    let set = format!("{image}?brightness=9&uid={uid}");
    let evil = "Origin: http://evil.example\r\n";
    assert_fault(&cam.get_with(&set, evil), 403, image, "cross-site request refused");
    assert_fault(&cam.get_with(&set, "Sec-Fetch-Site: cross-site\r\n"), 403, image, "cross-site request refused");
    assert_fault(&cam.get_with(&set, "Origin: null\r\n"), 403, image, "cross-site request refused");
    let reboot = format!("/cgi-bin/reboot?uid={uid}");
    assert_fault(&cam.get_with(&reboot, evil), 403, "/cgi-bin/reboot", "cross-site request refused");
    let login = "/cgi-bin/getuid?username=admin&password=123456";
    assert_fault(&cam.get_with(login, "Sec-Fetch-Site: same-site\r\n"), 403, GETUID, "cross-site request refused");
    let r = cam.get_with("/cgi/auth.cgi?act=auth&data=<root><encrypt>2d08086927f4d87a31154aaf0ba2e067</encrypt></root>", evil);
    assert_fault(&r, 403, "/cgi/auth.cgi", "cross-site request refused");
    assert_eq!(cam.get(&format!("{image}?uid={uid}")).attr("brightness").as_deref(), Some("128"), "nothing changed");
    // Reads, and a snapshot shown in another site's page, still work.
    assert_ok(cam.get_with(&format!("{image}?uid={uid}"), evil), "image");
    let r = cam.get_with(&format!("/cgi-bin/snapshot.cgi?stream=0&uid={uid}"), "Sec-Fetch-Site: cross-site\r\n");
    assert_eq!((r.status, r.header("Content-Type")), (200, Some("image/jpeg")));
    // A password in another site's page would be a login it can fail on purpose.
    let r = cam.get_with("/cgi-bin/snapshot.cgi?username=admin&password=wrong", "Sec-Fetch-Site: cross-site\r\n");
    assert_fault(&r, 403, "/cgi-bin/snapshot", "cross-site request refused");
    let upload = "/cgi-bin/snapshot.cgi?upload=0&username=admin&password=123456";
    assert_fault(&cam.get_with(upload, evil), 403, "/cgi-bin/snapshot", "cross-site request refused");
    // The camera's own page, curl and NVRs.
    let own = format!("Origin: http://127.0.0.1:{}\r\nSec-Fetch-Site: same-origin\r\n", cam.port());
    assert_ok(cam.get_with(&set, &own), "image");
    assert_ok(cam.get(&format!("{image}?brightness=10&uid={uid}")), "image");
    assert_ok(cam.get_with(&format!("{image}?brightness=11&uid={uid}"), "Sec-Fetch-Site: none\r\n"), "image");
}

#[test]
fn point10_firmware_from_another_site_is_refused_before_the_body_is_read() {
    let cam = Cam::start();
    let path = "/cgi-bin/OnvifFirmwareUpgrade";
    let headers = "Authorization: Basic YWRtaW46MTIzNDU2\r\nOrigin: http://evil.example\r\nContent-Type: application/octet-stream\r\nContent-Length: 1000\r\n";
    let body = "\0".repeat(1000);
    let answer = raw_request(cam.port(), &format!("POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n{headers}\r\n{body}"));
    assert_fault(&parse_response(answer.as_bytes()), 403, path, "cross-site request refused");
    let uid = cam.admin();
    assert_eq!(cam.get(&format!("/cgi-bin/upgrade_status?uid={uid}")).attr("state").as_deref(), Some("idle"));
    assert!(!cam.mock.calls().iter().any(|c| matches!(c, camcgi_hal::mock::Call::FlashErase(..))), "nothing erased");
}

/// A request with the given `Host`.
fn with_host(port: u16, target: &str, host: &str) -> Resp {
    parse_response(raw_request(port, &format!("GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n")).as_bytes())
}

#[test]
fn point10_a_rebound_name_is_refused() {
    let dir = std::sync::Arc::new(TempDir::new());
    let clock = camcgi_hal::ManualMonotonic::new();
    let mock = camcgi_hal::mock::MockBoard::with_clock(std::sync::Arc::new(clock.clone()));
    let cam = Cam::start_configured(dir, mock, clock, |c| c.sites.host_names = vec!["cam.example.net".into()]);
    let port = cam.port();
    let login = "/cgi-bin/getuid?username=admin&password=123456";
    for refused in ["attacker.example", &format!("attacker.example:{port}"), "127.0.0.1.nip.example"] {
        assert_fault(&with_host(port, login, refused), 403, GETUID, "host not allowed");
        let r = with_host(port, "/", refused);
        assert_eq!(r.status, 403, "the page too");
    }
    for allowed in [format!("127.0.0.1:{port}"), format!("localhost:{port}"), "[::1]".into(), "cam.example.net".into(), "192.0.2.9".into()]
    {
        assert_ok(with_host(port, login, &allowed), "uid");
    }
}
