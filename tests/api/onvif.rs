//! ONVIF, HTTP Digest and WS-Discovery, driven by the clients integrators
//! use (skipped loudly where they are not installed: `.ci/run` installs them).

use crate::bounds::{discoverable_camera, probe};
use crate::common::*;
use camcgi::interfaces::onvif::{operations, Service};
use camcgi_hal::mock::Call as MockCall;
use camcgi_hal::PtzCommand;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

fn script(name: &str) -> String {
    format!("{}/tests/clients/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// Runs a client script against the camera's port and asserts it printed
/// DONE and exited 0.
fn run_client(program: &str, name: &str, port: u16) {
    let out = output(Command::new(program).arg(script(name)).arg(port.to_string())).unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && text.contains("DONE"), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
}

/// Whether the outside clients run in this build's tests: on the host build
/// only. What they check is the protocol, the same code on every target;
/// the ARM runs keep every other test here (raw SOAP, Digest, discovery).
fn clients_here(test: &str) -> bool {
    if emulated() {
        say(&format!("{test}: host only (the outside clients drive the host build; the ARM run keeps the raw tests)"));
        return false;
    }
    true
}

/// Asserts that a client's ContinuousMove and Stop reached the mock's head.
#[track_caller]
fn assert_head_moved_and_stopped(cam: &Cam) {
    let calls = cam.mock.calls();
    assert!(calls.iter().any(|c| matches!(c, MockCall::Ptz(PtzCommand::Move { .. }))), "no move reached the head");
    assert!(calls.iter().any(|c| matches!(c, MockCall::Ptz(PtzCommand::Stop))), "no stop reached the head");
}

/// Whether python3 can import these modules.
fn python_has(test: &str, modules: &str) -> bool {
    if !clients_here(test) {
        return false;
    }
    let ok = output(Command::new("python3").args(["-c", &format!("import {modules}")])).is_ok_and(|o| o.status.success());
    if !ok {
        client_missing(test, &format!("python3 lacks {modules}; .ci/run installs them"));
    }
    ok
}

#[test]
fn home_assistant_onvif_set_up_walks_through() {
    if !python_has("onvif::home_assistant_onvif_set_up_walks_through", "onvif") {
        return;
    }
    let cam = Cam::start();
    let mut child = spawn(
        Command::new("python3")
            .arg(script("ha_onvif.py"))
            .arg(cam.port().to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit()),
    )
    .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut seen = Vec::new();
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        if line == "MOTION?" {
            cam.mock.set_motion(true);
            writeln!(stdin, "go").unwrap();
        }
        seen.push(line);
    }
    let status = child.wait().unwrap();
    assert!(status.success() && seen.last().map(String::as_str) == Some("DONE"), "{}", seen.join("\n"));
    assert_eq!(cam.running.as_ref().unwrap().app().events.live(), 0, "the subscription ended with the client's Unsubscribe");
    assert_head_moved_and_stopped(&cam);
}

#[test]
fn frigate_sets_up_autotracking_and_moves_by_fields_of_view() {
    if !python_has("onvif::frigate_sets_up_autotracking_and_moves_by_fields_of_view", "onvif") {
        return;
    }
    let cam = Cam::start();
    run_client("python3", "frigate_onvif.py", cam.port());
    // 30 degrees right of where the head started, on the mock's own scale.
    assert!((cam.mock.ptz_position().pan - 30.0).abs() < 0.5, "{:?}", cam.mock.ptz_position());
}

#[test]
fn digest_clients_fetch_snapshots() {
    if !python_has("onvif::digest_clients_fetch_snapshots", "requests, httpx") {
        return;
    }
    let cam = Cam::start();
    run_client("python3", "digest_clients.py", cam.port());
}

#[test]
fn curl_digest_fetches_a_snapshot() {
    if !clients_here("onvif::curl_digest_fetches_a_snapshot") {
        return;
    }
    let cam = Cam::start();
    let Ok(out) = output(
        Command::new("curl")
            .args(["-s", "-o", "/dev/null", "-w", "%{http_code} %{content_type}", "--digest", "-u", "admin:123456"])
            .arg(format!("http://127.0.0.1:{}/cgi-bin/snapshot.cgi?stream=1", cam.port())),
    ) else {
        client_missing("onvif::curl_digest_fetches_a_snapshot", "no curl");
        return;
    };
    assert_eq!(String::from_utf8_lossy(&out.stdout), "200 image/jpeg");
}

const SNAPSHOT: &str = "/cgi-bin/snapshot.cgi?stream=1";
const VALUE: &str = "/cgi-bin/snapshot";

/// A Digest (MD5) answer for a snapshot, for `nonce` with count `nc`.
fn digest_header(user: &str, password: &str, nonce: &str, nc: u32) -> String {
    digest_answer("GET", SNAPSHOT, user, password, nonce, nc)
}

fn nonce_of(r: &Resp) -> String {
    assert_challenges(r);
    challenge_nonce(r)
}

#[test]
fn a_digest_nonce_count_is_taken_once_and_a_wrong_answer_is_a_failed_login() {
    let cam = Cam::start();
    let challenge = cam.get(SNAPSHOT);
    assert_fault(&challenge, 401, VALUE, "error, parse username");
    let nonce = nonce_of(&challenge);
    let ok = cam.get_with(SNAPSHOT, &digest_header("admin", "123456", &nonce, 1));
    assert_eq!(ok.status, 200, "{}", ok.text());
    assert_eq!(ok.header("Content-Type"), Some("image/jpeg"));
    let replayed = cam.get_with(SNAPSHOT, &digest_header("admin", "123456", &nonce, 1));
    assert_fault(&replayed, 401, VALUE, "nonce replayed");
    assert_eq!(cam.get_with(SNAPSHOT, &digest_header("admin", "123456", &nonce, 2)).status, 200);
    let forged = cam.get_with(SNAPSHOT, &digest_header("admin", "123456", &"0".repeat(32), 1));
    assert_fault(&forged, 401, VALUE, "stale nonce");
    assert!(forged.headers.iter().any(|(n, v)| n == "WWW-Authenticate" && v.contains("stale=true")));
    for nc in 3..8 {
        let wrong = cam.get_with(SNAPSHOT, &digest_header("admin", "guess", &nonce, nc));
        assert_fault(&wrong, 401, VALUE, "password error");
    }
    let locked = cam.get_with(SNAPSHOT, &digest_header("admin", "123456", &nonce, 9));
    assert_fault(&locked, 401, VALUE, "too many failed logins");
}

#[test]
fn a_flood_of_challenges_leaves_a_clients_nonce_good_until_its_lifetime_ends() {
    let cam = Cam::start();
    let nonce = nonce_of(&cam.get(SNAPSHOT));
    // Every unauthenticated request is given a nonce of its own.
    let mut flood = std::collections::HashSet::new();
    for _ in 0..300 {
        flood.insert(challenge_nonce(&cam.get(SNAPSHOT)));
    }
    assert_eq!(flood.len(), 300, "each nonce is new");
    assert!(!flood.contains(&nonce));
    assert_eq!(cam.get_with(SNAPSHOT, &digest_header("admin", "123456", &nonce, 1)).status, 200);
    cam.clock.advance(std::time::Duration::from_secs(299));
    assert_eq!(cam.get_with(SNAPSHOT, &digest_header("admin", "123456", &nonce, 2)).status, 200);
    cam.clock.advance(std::time::Duration::from_secs(1));
    let old = cam.get_with(SNAPSHOT, &digest_header("admin", "123456", &nonce, 3));
    assert_fault(&old, 401, VALUE, "stale nonce");
    assert!(old.headers.iter().any(|(n, v)| n == "WWW-Authenticate" && v.contains("stale=true")));
    let again = nonce_of(&old);
    assert_eq!(cam.get_with(SNAPSHOT, &digest_header("admin", "123456", &again, 1)).status, 200);
}

#[test]
fn basic_can_be_switched_off_and_onvif_auth_off_opens_the_snapshot() {
    let cam = Cam::start();
    let uid = cam.admin();
    let basic = "Authorization: Basic YWRtaW46MTIzNDU2\r\n";
    assert_eq!(cam.get_with(SNAPSHOT, basic).status, 200);
    let r = assert_ok(cam.get(&format!("/cgi-bin/onvif?basic_auth=0&uid={uid}")), "onvif");
    assert_eq!(r.attr("basic_auth").as_deref(), Some("0"));
    let refused = cam.get_with(SNAPSHOT, basic);
    assert_fault(&refused, 401, VALUE, "error, parse username");
    assert!(!refused.headers.iter().any(|(n, v)| n == "WWW-Authenticate" && v.starts_with("Basic")));
    assert_fault(&cam.get(&format!("/cgi-bin/onvif?auth=2&uid={uid}")), 400, "/cgi-bin/onvif", "auth: 0 or 1");
    assert_eq!(cam.get(SNAPSHOT).status, 401);
    assert_ok(cam.get(&format!("/cgi-bin/onvif?auth=0&uid={uid}")), "onvif");
    assert_eq!(cam.get(SNAPSHOT).status, 200, "anonymous once ONVIF authentication is off");
    let user = cam.user_with("viewer", "User");
    assert_fault(&cam.get(&format!("/cgi-bin/onvif?uid={user}")), 400, "/cgi-bin/onvif", "permission denied");
}

#[test]
fn onvif_refuses_without_credentials_except_the_pre_authentication_set() {
    let cam = Cam::start();
    let port = cam.port();
    const DEVICE: &str = "/onvif/device_service";
    let r = soap(port, DEVICE, "<GetSystemDateAndTime xmlns=\"http://www.onvif.org/ver10/device/wsdl\"/>", "");
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.text().contains("<tt:UTCDateTime>"));
    let r = soap(port, DEVICE, "<GetDeviceInformation xmlns=\"http://www.onvif.org/ver10/device/wsdl\"/>", "");
    assert_soap_fault(&r, 401, "ter:NotAuthorized", "credentials are required");
    assert_challenges(&r);
    let r =
        soap(port, DEVICE, "<Frobnicate xmlns=\"http://www.onvif.org/ver10/device/wsdl\"/>", "Authorization: Basic YWRtaW46MTIzNDU2\r\n");
    assert_soap_fault(&r, 500, "ter:ActionNotSupported", "Frobnicate is not supported");
    let r = post_soap(port, DEVICE, "<!DOCTYPE a [<!ENTITY b \"c\">]><a/>", "");
    assert_soap_fault(&r, 400, "ter:WellFormed", "a DOCTYPE is not allowed");
    let r = post_soap(port, DEVICE, "<s:Envelope><s:Body><Unclosed></s:Body></s:Envelope>", "");
    assert_soap_fault(&r, 400, "ter:WellFormed", "the envelope is not well-formed XML");
    let r = post_soap(port, DEVICE, &soap_envelope("", ""), "");
    assert_soap_fault(&r, 400, "ter:InvalidArgs", "the Body holds no operation");
    let deep = format!("{}{}", "<a>".repeat(40), "</a>".repeat(40));
    assert_soap_fault(&soap(port, DEVICE, &deep, ""), 400, "ter:InvalidArgs", "the envelope is too complex");
    // Refused by its declared length, unread: the rest of it never arrives.
    let raw = raw_request(
        port,
        &format!("POST {DEVICE} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/soap+xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n<s:Envelope>", 32 * 1024 + 1),
    );
    let r = parse_response(raw.as_bytes());
    assert_soap_fault(&r, 413, "ter:InvalidArgs", "the envelope is too large or was not received");
    // Chunked, with no length to refuse it by: read up to the bound, then refused.
    let chunk = " ".repeat(32 * 1024 + 1);
    let raw = raw_request(
        port,
        &format!("POST {DEVICE} HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n{:x}\r\n{chunk}\r\n0\r\n\r\n", chunk.len()),
    );
    assert_soap_fault(&parse_response(raw.as_bytes()), 413, "ter:InvalidArgs", "the envelope is too large or was not received");
    let r = request(port, "GET", DEVICE, "");
    assert_fault(&r, 405, DEVICE, "method not allowed");
    assert_eq!(r.header("Allow"), Some("POST"));
    let from_a_page = "Origin: http://evil.example\r\nSec-Fetch-Site: cross-site\r\nAuthorization: Basic YWRtaW46MTIzNDU2\r\n";
    let r = soap(port, DEVICE, "<SystemReboot xmlns=\"http://www.onvif.org/ver10/device/wsdl\"/>", from_a_page);
    assert_fault(&r, 403, DEVICE, "cross-site request refused");
    assert_eq!(cam.mock.reboots(), 0);
    let uid = cam.admin();
    assert_ok(cam.get(&format!("/cgi-bin/onvif?enable=0&uid={uid}")), "onvif");
    let r = soap(port, DEVICE, "<GetSystemDateAndTime xmlns=\"http://www.onvif.org/ver10/device/wsdl\"/>", "");
    assert_fault(&r, 404, DEVICE, "not found");
}

#[test]
fn ws_discovery_answers_probes_unless_non_discoverable() {
    let (cam, port) = discoverable_camera();
    let client = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    client.set_read_timeout(Some(std::time::Duration::from_secs(3))).unwrap();
    client.send_to(probe("probe-1").as_bytes(), ("127.0.0.1", port)).unwrap();
    let mut buf = [0u8; 8192];
    let (n, _) = client.recv_from(&mut buf).unwrap();
    let answer = String::from_utf8_lossy(&buf[..n]);
    assert!(answer.contains("<a:RelatesTo>urn:uuid:probe-1</a:RelatesTo>"), "{answer}");
    assert!(answer.contains(&format!("<d:XAddrs>http://127.0.0.1:{}/onvif/device_service</d:XAddrs>", cam.port())), "{answer}");
    assert!(answer.contains("onvif://www.onvif.org/name/MC200J6"));
    assert!(answer.contains("onvif://www.onvif.org/MAC/00:12:34:56:78:9a"), "{answer}");
    let uid = cam.admin();
    assert_ok(cam.get(&format!("/cgi-bin/onvif?discoverable=0&uid={uid}")), "onvif");
    client.set_read_timeout(Some(std::time::Duration::from_millis(1500))).unwrap();
    client.send_to(probe("probe-2").as_bytes(), ("127.0.0.1", port)).unwrap();
    assert!(client.recv_from(&mut buf).is_err(), "silent when non-discoverable");
}

#[test]
fn ws_discovery_answers_the_copies_of_a_probe_once() {
    use camcgi::front::discovery::SOURCE_BURST;
    let (_cam, port) = discoverable_camera();
    let client = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let mut buf = [0u8; 8192];
    // SOAP-over-UDP sends a multicast message up to four times.
    for _ in 0..4 {
        client.send_to(probe("copied").as_bytes(), ("127.0.0.1", port)).unwrap();
    }
    client.set_read_timeout(Some(std::time::Duration::from_secs(3))).unwrap();
    let (n, _) = client.recv_from(&mut buf).unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).contains("<a:RelatesTo>urn:uuid:copied</a:RelatesTo>"));
    client.set_read_timeout(Some(std::time::Duration::from_millis(1000))).unwrap();
    assert!(client.recv_from(&mut buf).is_err(), "one answer for four copies");
    // The four copies spent one of the source's burst.
    client.set_read_timeout(Some(std::time::Duration::from_secs(3))).unwrap();
    for i in 1..SOURCE_BURST {
        client.send_to(probe(&format!("other-{i}")).as_bytes(), ("127.0.0.1", port)).unwrap();
        assert!(client.recv_from(&mut buf).is_ok(), "probe {i}");
    }
    client.set_read_timeout(Some(std::time::Duration::from_millis(1000))).unwrap();
    client.send_to(probe("one-too-many").as_bytes(), ("127.0.0.1", port)).unwrap();
    assert!(client.recv_from(&mut buf).is_err(), "past the burst, the next waits");
    // Another source's probe that reuses the MessageID is its own.
    let other = std::net::UdpSocket::bind("127.0.0.8:0").unwrap();
    other.set_read_timeout(Some(std::time::Duration::from_secs(3))).unwrap();
    other.send_to(probe("copied").as_bytes(), ("127.0.0.1", port)).unwrap();
    assert!(other.recv_from(&mut buf).is_ok(), "the same MessageID from another sender");
}

#[test]
fn npm_onvif_cam_connects_lists_profiles_and_moves() {
    node_client("onvif::npm_onvif_cam_connects_lists_profiles_and_moves", "onvif", "npm_onvif.js");
}

/// Runs a client script of an npm package in node against a camera, and checks the head moved.
fn node_client(test: &str, package: &str, name: &str) {
    if !clients_here(test) {
        return;
    }
    if !std::path::Path::new(&script(&format!("node_modules/{package}"))).exists() {
        client_missing(test, &format!("npm's {package} is not installed; bash tests/clients/setup.sh installs it"));
        return;
    }
    let cam = Cam::start();
    run_client("node", name, cam.port());
    assert_head_moved_and_stopped(&cam);
}

#[test]
fn ffmpeg_reads_a_snapshot_with_digest() {
    let test = "onvif::ffmpeg_reads_a_snapshot_with_digest";
    if !clients_here(test) {
        return;
    }
    if output(Command::new("ffmpeg").arg("-version")).is_err() {
        client_missing(test, "no ffmpeg; bash tests/clients/setup.sh installs it");
        return;
    }
    let cam = Cam::start();
    let uid = cam.admin();
    // Basic off: Digest is the only way in.
    assert_ok(cam.get(&format!("/cgi-bin/onvif?basic_auth=0&uid={uid}")), "onvif");
    let out = output(
        Command::new("ffmpeg")
            .args(["-nostdin", "-loglevel", "error", "-i"])
            .arg(format!("http://admin:123456@127.0.0.1:{}/cgi-bin/snapshot.cgi?stream=1", cam.port()))
            .args(["-frames:v", "1", "-f", "null", "-"]),
    )
    .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let wrong = output(
        Command::new("ffmpeg")
            .args(["-nostdin", "-loglevel", "error", "-i"])
            .arg(format!("http://admin:wrong@127.0.0.1:{}/cgi-bin/snapshot.cgi?stream=1", cam.port()))
            .args(["-frames:v", "1", "-f", "null", "-"]),
    )
    .unwrap();
    assert!(!wrong.status.success(), "a wrong password is refused");
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("401"), "{}", String::from_utf8_lossy(&wrong.stderr));
}

#[test]
fn wsdiscovery_finds_the_camera_from_another_host_over_ipv4_and_ipv6() {
    let test = "onvif::wsdiscovery_finds_the_camera_from_another_host_over_ipv4_and_ipv6";
    if !python_has(test, "wsdiscovery") {
        return;
    }
    let dir = TempDir::new();
    let camcgi = camcgi_command();
    let out =
        output(Command::new("bash").arg(script("discovery.sh")).arg(&dir.0).arg(camcgi.get_program()).args(camcgi.get_args())).unwrap();
    if out.status.code() == Some(77) {
        say_skipped(test, "network namespaces cannot be made here (root and iproute2 needed)");
        return;
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let log = std::fs::read_to_string(dir.0.join("camcgi.log")).unwrap_or_default();
    assert!(out.status.success(), "{text}\n{}\n{log}", String::from_utf8_lossy(&out.stderr));
    let mut lines = text.lines();
    let v4 = lines.next().unwrap_or_default();
    assert!(v4.starts_with("http://10.77.0.1:8080/onvif/device_service "), "{text}");
    assert!(v4.contains("onvif://www.onvif.org/type/ptz"), "{text}");
    let v6 = lines.next().unwrap_or_default();
    assert!(v6.starts_with("http://[fe80::") && v6.ends_with("]:8080/onvif/device_service"), "{text}");
}

/// libonvif 1.4 builds its UsernameToken's nonce from the clock's second, so
/// every request it makes within one second carries the same token. The
/// camera keeps refusing a token it has seen (a replay, whoever sends it):
/// discovery, login and one-request commands work; the requests after the
/// first in the same second are `ter:NotAuthorized`, each logged as a replay.
#[test]
fn libonvif_finds_the_camera_and_logs_in_and_its_repeated_nonces_are_refused_as_replays() {
    let test = "onvif::libonvif_finds_the_camera_and_logs_in_and_its_repeated_nonces_are_refused_as_replays";
    if !clients_here(test) {
        return;
    }
    if output(Command::new("onvif-util").arg("-h")).is_err() {
        client_missing(test, "no onvif-util (Debian's onvif-tools); bash tests/clients/setup.sh installs it");
        return;
    }
    let dir = TempDir::new();
    let camcgi = camcgi_command();
    let out =
        output(Command::new("bash").arg(script("libonvif.sh")).arg(&dir.0).arg(camcgi.get_program()).args(camcgi.get_args())).unwrap();
    if out.status.code() == Some(77) {
        say_skipped(test, "network namespaces cannot be made here (root and iproute2 needed)");
        return;
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let (client, log) = text.split_once("--- camera log").unwrap_or((&text, ""));
    for line in ["found host: 10.77.0.1", "successfully connected to host", "name:   MC200J6", "Time Offset:"] {
        assert!(client.contains(line), "{line}: {text}");
    }
    let refused = client.matches("ter:NotAuthorized").count();
    let replays = log.matches("a UsernameToken replayed: the token's nonce was used before").count();
    assert!(
        refused >= 1 && refused <= replays,
        "each refusal is a replay the camera logged ({refused} refused, {replays} replays): {text}"
    );
    assert!(!log.contains("password error"), "no password was wrong: {log}");
}

#[test]
fn every_onvif_answer_is_valid_against_the_onvif_schemas() {
    if !python_has("onvif::every_onvif_answer_is_valid_against_the_onvif_schemas", "onvif, lxml, xmlschema, requests") {
        return;
    }
    let tree = script("onvif-wsdl/onvif/wsdl");
    if !std::path::Path::new(&tree).join("ver20/media/wsdl/media.wsdl").is_file() {
        client_missing(
            "onvif::every_onvif_answer_is_valid_against_the_onvif_schemas",
            "no official ONVIF WSDL tree; bash tests/clients/setup.sh installs it",
        );
        return;
    }
    let cam = Cam::start();
    let mut command = Command::new("python3");
    command.arg(script("schema_walk.py")).arg(cam.port().to_string()).env("ONVIF_WSDL", &tree);
    let services = [Service::Device, Service::Media, Service::Media2, Service::Ptz, Service::Imaging, Service::Events];
    for service in services {
        for op in operations(service) {
            command.arg(format!("{}/{}", service.path(), op.name));
        }
    }
    let out = output(&mut command).unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && text.contains("DONE"), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn onveef_reads_profiles_options_by_profile_and_moves_the_head() {
    if !python_has("onvif::onveef_reads_profiles_options_by_profile_and_moves_the_head", "onveef") {
        return;
    }
    let cam = Cam::start();
    run_client("python3", "onveef_client.py", cam.port());
    assert_head_moved_and_stopped(&cam);
}

#[test]
fn node_onvif_built_from_an_address_fetches_a_snapshot_and_moves() {
    node_client("onvif::node_onvif_built_from_an_address_fetches_a_snapshot_and_moves", "node-onvif", "node_onvif.js");
}

/// Runs a client script with the Python of its own virtual environment
/// (`tests/clients/VENV`), against a camera, and checks the head moved.
fn venv_client(test: &str, venv: &str, name: &str) {
    if !clients_here(test) {
        return;
    }
    let python = script(&format!("{venv}/bin/python"));
    if !std::path::Path::new(&python).exists() {
        client_missing(test, &format!("{venv} is missing; bash tests/clients/setup.sh makes it"));
        return;
    }
    let cam = Cam::start();
    run_client(&python, name, cam.port());
    assert_head_moved_and_stopped(&cam);
}

#[test]
fn onvif_zeep_reads_profiles_moves_the_head_and_pulls_events() {
    venv_client("onvif::onvif_zeep_reads_profiles_moves_the_head_and_pulls_events", "venv-onvif-zeep", "onvif_zeep_client.py");
}

#[test]
fn onvif_python_reads_both_media_services_and_moves_by_token_and_by_digest() {
    venv_client(
        "onvif::onvif_python_reads_both_media_services_and_moves_by_token_and_by_digest",
        "venv-onvif-python",
        "onvif_python_client.py",
    );
}
