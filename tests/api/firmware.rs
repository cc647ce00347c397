//! Firmware upgrade: refusals that change nothing, a good image that flips the slot.

use crate::common::*;
use camcgi::interfaces::firmware::Policy;
use camcgi_fwimage::{sign, Header, PayloadHasher, Version, HEADER_LEN};
use camcgi_hal::mock::{Call, Device, MOCK_BOARD_ID};
use camcgi_hal::{ErrorKind, Slot};
use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::Duration;

const PATH: &str = "/cgi-bin/OnvifFirmwareUpgrade";
const ADMIN: &str = "Authorization: Basic YWRtaW46MTIzNDU2\r\n";

fn payload(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect()
}

pub fn image(board: &str, version: &str, payload: &[u8], key: Option<&[u8; 32]>) -> Vec<u8> {
    let mut h = PayloadHasher::default();
    h.update(payload);
    let signer = key.map(|k| move |m: &[u8]| sign::sign(k, m));
    let header = Header::build(
        board,
        Version::parse(version).unwrap(),
        payload.len() as u64,
        h.finish(),
        signer.as_ref().map(|s| s as &dyn Fn(&[u8]) -> [u8; 64]),
    )
    .unwrap();
    let mut out = header.to_vec();
    out.extend_from_slice(payload);
    out
}

fn good(version: &str) -> Vec<u8> {
    image(MOCK_BOARD_ID, version, &payload(100_000, 7), None)
}

/// POSTs a body with the given extra headers (Content-Length is added unless given).
pub fn post(port: u16, path: &str, headers: &str, body: &[u8]) -> Resp {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let length = if headers.contains("Content-Length") || headers.contains("Transfer-Encoding") {
        String::new()
    } else {
        format!("Content-Length: {}\r\n", body.len())
    };
    write!(
        s,
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/octet-stream\r\n{headers}{length}\r\n"
    )
    .unwrap();
    let _ = s.write_all(body);
    let _ = s.shutdown(Shutdown::Write);
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    parse_response(&raw)
}

fn boot_state(cam: &Cam) -> String {
    std::fs::read_to_string(cam.data_dir().join("firmware/boot.state")).unwrap()
}

fn slot_bytes(cam: &Cam, slot: &str) -> Vec<u8> {
    std::fs::read(cam.data_dir().join(format!("firmware/slot-{slot}.bin"))).unwrap_or_default()
}

fn status(cam: &Cam) -> Resp {
    let uid = cam.admin();
    assert_ok(cam.get(&format!("/cgi-bin/upgrade_status?uid={uid}")), "upgrade_status")
}

#[test]
fn a_good_image_flips_the_boot_slot_after_the_answer() {
    let cam = Cam::start();
    let st = status(&cam);
    assert_eq!(st.text(), "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<upgrade_status state=\"idle\" received=\"0\" total=\"0\" percent=\"0\" reason=\"\"/>\n");
    assert_eq!(boot_state(&cam), "confirmed=A selected=A tries=0\n");
    let img = good("1.1.0");
    cam.mock.hold_reboots(true);
    let r = post(cam.port(), PATH, ADMIN, &img);
    assert_eq!(r.text(), "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<firmware_upgrade>OK</firmware_upgrade>\n");
    assert_eq!(r.status, 200);
    assert_eq!(cam.mock.reboots(), 0, "the answer arrives before the reboot");
    cam.mock.hold_reboots(false);
    cam.eventually("the camera reboots", || cam.mock.reboots() == 1);
    assert_eq!(boot_state(&cam), "confirmed=A selected=B tries=3\n");
    assert_eq!(&slot_bytes(&cam, "b")[..img.len()], &img[..]);
    let st = status(&cam);
    assert_eq!((st.attr("state").as_deref(), st.attr("percent").as_deref()), (Some("done"), Some("100")));
    assert_eq!(st.attr("received"), Some(img.len().to_string()));
    // Power cycle: the boot loader starts B on trial, and camcgi confirms it.
    let cam = cam.power_cycle(Policy::default());
    assert_eq!(boot_state(&cam), "confirmed=B selected=B tries=0\n");
    // The next image goes to A, the slot no longer running.
    let r = post(cam.port(), "/OnvifFirmwareUpgrade", ADMIN, &good("1.2.0"));
    assert_ok(r, "firmware_upgrade");
    assert_eq!(boot_state(&cam), "confirmed=B selected=A tries=3\n");
}

#[test]
fn an_admin_uid_is_accepted_too() {
    let cam = Cam::start();
    let uid = cam.admin();
    assert_ok(post(cam.port(), &format!("{PATH}?uid={uid}"), "", &good("1.0.1")), "firmware_upgrade");
}

/// Sends a request that must be refused, and checks that nothing changed.
#[track_caller]
fn refused(cam: &Cam, path: &str, headers: &str, body: &[u8], status: u16, reason: &str) {
    let before_state = boot_state(cam);
    let before_a = slot_bytes(cam, "a");
    let r = post(cam.port(), path, headers, body);
    assert_fault(&r, status, path.split('?').next().unwrap(), reason);
    assert_eq!(boot_state(cam), before_state, "boot selection untouched");
    assert_eq!(slot_bytes(cam, "a"), before_a, "running slot untouched");
    assert!(!cam.mock.calls().iter().any(|c| matches!(c, Call::BootSelect(Slot::B))), "{reason}");
    assert_eq!(cam.mock.reboots(), 0);
}

#[test]
fn credentials_and_privilege_are_checked_first() {
    let cam = Cam::start();
    let img = good("1.1.0");
    let r = post(cam.port(), PATH, "", &img);
    assert_fault(&r, 401, PATH, "error, parse username");
    assert_challenges(&r);
    refused(&cam, PATH, "Authorization: Basic YWRtaW46d3Jvbmc=\r\n", &img, 401, "password error");
    refused(&cam, &format!("{PATH}?uid=00000000000000000000000000000000"), "", &img, 401, "uid error");
    let op = cam.user_with("op", "Operator");
    refused(&cam, &format!("{PATH}?uid={op}"), "", &img, 400, "permission denied");
    // The query passes the interfaces' own checks.
    let uid = cam.admin();
    refused(&cam, &format!("{PATH}?uid={uid}&stream=1"), "", &img, 400, "stream: unknown parameter");
    refused(&cam, &format!("{PATH}?uid={uid}&uid={uid}"), "", &img, 400, "uid: duplicated");
    refused(&cam, &format!("{PATH}?uid=%zz"), "", &img, 400, "error, parse parameters");
    assert!(!cam.mock.calls().iter().any(|c| matches!(c, Call::FlashErase(..) | Call::FlashWrite(..))));
}

#[test]
fn a_refusal_before_the_body_sends_no_100_continue() {
    let cam = Cam::start();
    let mut s = TcpStream::connect(("127.0.0.1", cam.port())).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(s, "POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 100-continue\r\nContent-Length: 5000000\r\n\r\n").unwrap();
    let mut buf = [0u8; 512];
    let n = s.read(&mut buf).unwrap();
    let head = String::from_utf8_lossy(&buf[..n]);
    assert!(head.starts_with("HTTP/1.1 401"), "{head}");
    assert!(!head.contains("100 Continue"));
    // With good credentials the client is told to go on.
    let mut s = TcpStream::connect(("127.0.0.1", cam.port())).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let img = good("1.1.0");
    write!(
        s,
        "POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\n{ADMIN}Expect: 100-continue\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        img.len()
    )
    .unwrap();
    let n = s.read(&mut buf).unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 100 Continue"));
    s.write_all(&img).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    assert!(String::from_utf8_lossy(&raw).contains("<firmware_upgrade>OK</firmware_upgrade>"));
}

#[test]
fn lengths_are_checked_before_the_body() {
    let cam = Cam::start();
    let img = good("1.1.0");
    refused(&cam, PATH, &format!("{ADMIN}Transfer-Encoding: chunked\r\n"), b"0\r\n\r\n", 411, "length required");
    refused(&cam, PATH, &format!("{ADMIN}Content-Length: abc\r\n"), &img, 400, "content length error");
    refused(&cam, PATH, &format!("{ADMIN}Content-Length: -1\r\n"), &img, 400, "content length error");
    refused(&cam, PATH, &format!("{ADMIN}Content-Length: 10\r\nContent-Length: 11\r\n"), &img, 400, "content length error");
    let over = (SLOT.capacity + 1).to_string();
    refused(&cam, PATH, &format!("{ADMIN}Content-Length: {over}\r\n"), b"tiny", 413, "image too large");
    refused(&cam, PATH, &format!("{ADMIN}Content-Length: 100\r\n"), &img[..100], 400, "truncated image");
    assert!(!cam.mock.calls().iter().any(|c| matches!(c, Call::FlashErase(..) | Call::FlashWrite(..))));
}

#[test]
fn bad_images_are_refused_and_nothing_is_selected() {
    let cam = Cam::start();
    let p = payload(50_000, 3);
    let mut bad_magic = image(MOCK_BOARD_ID, "1.1.0", &p, None);
    bad_magic[0] = b'X';
    refused(&cam, PATH, ADMIN, &bad_magic, 400, "bad magic");
    refused(&cam, PATH, ADMIN, &image("other-board", "1.1.0", &p, None), 400, "wrong board");
    let mut tampered = image(MOCK_BOARD_ID, "1.1.0", &p, None);
    let last = tampered.len() - 1;
    tampered[last] ^= 0xff;
    refused(&cam, PATH, ADMIN, &tampered, 400, "hash mismatch");
    let whole = image(MOCK_BOARD_ID, "1.1.0", &p, None);
    let mut longer = whole.clone();
    longer.extend_from_slice(b"extra");
    refused(&cam, PATH, ADMIN, &longer, 400, "length mismatch");
    // A body that ends early: the declared length is never reached.
    refused(&cam, PATH, &format!("{ADMIN}Content-Length: {}\r\n", whole.len()), &whole[..30_000], 400, "truncated image");
    let st = status(&cam);
    assert_eq!((st.attr("state").as_deref(), st.attr("reason").as_deref()), (Some("failed"), Some("truncated image")));
}

#[test]
fn flash_failures_are_device_faults_and_select_nothing() {
    let cam = Cam::start();
    // Flash calls: the running slot's header is read, then each 4 KiB block is erased and written.
    cam.mock.fail_next(Device::Flash, ErrorKind::Io);
    refused(&cam, PATH, ADMIN, &good("1.1.0"), 500, "device error: flash i/o failure (mock flash read failed)");
    cam.mock.fail_after(Device::Flash, 2, ErrorKind::Io);
    refused(&cam, PATH, ADMIN, &good("1.1.0"), 500, "device error: flash i/o failure (mock flash write failed)");
    // 100 192 bytes are 25 blocks: 51 calls, then the read-back.
    cam.mock.fail_after(Device::Flash, 51, ErrorKind::Io);
    refused(&cam, PATH, ADMIN, &good("1.1.0"), 500, "device error: flash i/o failure (mock flash read failed)");
    // A read-back that does not match what was written, with no error from the flash.
    cam.mock.corrupt_flash_reads(true);
    refused(&cam, PATH, ADMIN, &good("1.1.0"), 500, "verification failed");
    cam.mock.corrupt_flash_reads(false);
    cam.mock.fail_next(Device::Boot, ErrorKind::Io);
    refused(&cam, PATH, ADMIN, &good("1.1.0"), 500, "device error: boot control i/o failure (mock boot state failed)");
}

#[test]
fn signatures_are_required_when_the_board_has_a_key() {
    let secret = sign::generate().unwrap();
    let policy = Policy { public_key: Some(sign::public_key(&secret)), ..Policy::default() };
    let dir = std::sync::Arc::new(TempDir::new());
    let clock = camcgi_hal::ManualMonotonic::new();
    let mock = camcgi_hal::mock::MockBoard::with_clock(std::sync::Arc::new(clock.clone()));
    let cam = Cam::start_with_policy(dir, mock, clock, policy);
    let p = payload(20_000, 1);
    refused(&cam, PATH, ADMIN, &image(MOCK_BOARD_ID, "1.1.0", &p, None), 400, "signature required");
    let stranger = sign::generate().unwrap();
    refused(&cam, PATH, ADMIN, &image(MOCK_BOARD_ID, "1.1.0", &p, Some(&stranger)), 400, "bad signature");
    assert_ok(post(cam.port(), PATH, ADMIN, &image(MOCK_BOARD_ID, "1.1.0", &p, Some(&secret))), "firmware_upgrade");
}

#[test]
fn older_versions_are_refused_unless_the_board_allows_downgrades() {
    let cam = Cam::start();
    assert_ok(post(cam.port(), PATH, ADMIN, &good("2.0.0")), "firmware_upgrade");
    let cam = cam.power_cycle(Policy::default());
    refused(&cam, PATH, ADMIN, &good("1.9.9"), 400, "older version");
    assert_ok(post(cam.port(), PATH, ADMIN, &good("2.0.0")), "firmware_upgrade");
    let cam = cam.power_cycle(Policy { allow_downgrade: true, ..Policy::default() });
    assert_ok(post(cam.port(), PATH, ADMIN, &good("1.0.0")), "firmware_upgrade");
}

#[test]
fn a_selected_slot_is_deselected_before_it_is_erased() {
    let cam = Cam::start();
    assert_ok(post(cam.port(), PATH, ADMIN, &good("1.1.0")), "firmware_upgrade");
    cam.mock.clear_calls();
    // No reboot yet: B is selected. A second image for B must first put A back.
    let mut img = good("1.2.0");
    let n = img.len();
    img[n - 1] ^= 1;
    let r = post(cam.port(), PATH, ADMIN, &img);
    assert_fault(&r, 400, PATH, "hash mismatch");
    let calls = cam.mock.calls();
    let select_a = calls.iter().position(|c| *c == Call::BootSelect(Slot::A)).expect("deselected");
    let erase = calls.iter().position(|c| matches!(c, Call::FlashErase(Slot::B, ..))).expect("erased");
    assert!(select_a < erase, "{calls:?}");
    assert_eq!(boot_state(&cam), "confirmed=A selected=A tries=0\n", "a failed image leaves the old firmware booting");
}

#[test]
fn one_upgrade_at_a_time() {
    let cam = Cam::start();
    let img = good("1.1.0");
    let mut first = TcpStream::connect(("127.0.0.1", cam.port())).unwrap();
    write!(first, "POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\n{ADMIN}Content-Length: {}\r\n\r\n", img.len()).unwrap();
    first.write_all(&img[..10_000]).unwrap();
    cam.eventually("the first upload is receiving", || status(&cam).attr("state").as_deref() == Some("receiving"));
    let r = post(cam.port(), PATH, ADMIN, &img);
    assert_fault(&r, 409, PATH, "upgrade in progress");
    first.write_all(&img[10_000..]).unwrap();
    first.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut buf = vec![0u8; 4096];
    let n = first.read(&mut buf).unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).contains("<firmware_upgrade>OK</firmware_upgrade>"));
}

#[test]
fn cors_preflight_follows_the_allowed_origins() {
    let cam = Cam::start();
    let r = request(cam.port(), "OPTIONS", PATH, "Origin: http://evil.example\r\n");
    assert_fault(&r, 403, PATH, "origin not allowed");
    let r = request(cam.port(), "GET", PATH, "");
    assert_fault(&r, 405, PATH, "method not allowed");
    assert_eq!(r.header("Allow"), Some("POST, OPTIONS"));
    let origin = "http://nvr.local:8000";
    let dir = std::sync::Arc::new(TempDir::new());
    let clock = camcgi_hal::ManualMonotonic::new();
    let mock = camcgi_hal::mock::MockBoard::with_clock(std::sync::Arc::new(clock.clone()));
    let cam = Cam::start_configured(dir, mock, clock, |c| c.sites.allowed_origins = vec![origin.to_string()]);
    let r =
        request(cam.port(), "OPTIONS", "/OnvifFirmwareUpgrade", &format!("Origin: {origin}\r\nAccess-Control-Request-Method: POST\r\n"));
    assert_eq!(r.status, 204);
    assert_eq!(r.header("Access-Control-Allow-Origin"), Some(origin));
    assert!(r.header("Access-Control-Allow-Headers").unwrap().contains("Authorization"));
    let r = post(cam.port(), PATH, &format!("{ADMIN}Origin: {origin}\r\n"), &good("1.1.0"));
    assert_eq!(r.header("Access-Control-Allow-Origin"), Some(origin));
    let r = request(cam.port(), "OPTIONS", PATH, "Origin: http://other\r\n");
    assert_eq!(r.status, 403);
}

#[test]
fn the_header_parser_survives_any_bytes() {
    let mut x = 0x1234_5678u32;
    for _ in 0..20_000 {
        let mut bytes = [0u8; HEADER_LEN];
        for b in bytes.iter_mut() {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            *b = x as u8;
        }
        bytes[..8].copy_from_slice(b"CAMCGIFW");
        if x.is_multiple_of(2) {
            bytes[8..12].copy_from_slice(&[1, 0, HEADER_LEN as u8, 0]);
        }
        let _ = Header::parse(&bytes);
        let _ = Header::parse(&bytes[..(x as usize % HEADER_LEN)]);
    }
}

#[test]
fn an_upload_by_http_digest() {
    let cam = Cam::start();
    let img = good("1.1.0");
    let challenge = post(cam.port(), PATH, "", &img);
    assert_fault(&challenge, 401, PATH, "error, parse username");
    assert_challenges(&challenge);
    let nonce = challenge_nonce(&challenge);
    let wrong = post(cam.port(), PATH, &digest_answer("GET", PATH, "admin", "123456", &nonce, 1), &img);
    assert_fault(&wrong, 401, PATH, "password error");
    let r = post(cam.port(), PATH, &digest_answer("POST", PATH, "admin", "123456", &nonce, 2), &img);
    assert_eq!(r.status, 200, "{}", r.text());
}
