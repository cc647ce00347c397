//! HTTPS: TLS 1.3 on its own port, driven by curl, OpenSSL and Python's
//! clients; the camera's certificate (made, uploaded, regenerated, kept);
//! the plain HTTP switch; and handshakes that go wrong.

use crate::bounds::{answered, probe};
use crate::common::*;
use crate::firmware::image;
use camcgi_hal::mock::MOCK_BOARD_ID;
use std::io::{Read, Write};
use std::net::{TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A camera serving HTTPS on a loopback port of its own.
fn https_cam() -> Cam {
    https_cam_in(Arc::new(TempDir::new()))
}

fn https_cam_in(dir: Arc<TempDir>) -> Cam {
    let clock = camcgi_hal::ManualMonotonic::new();
    let mock = camcgi_hal::mock::MockBoard::with_clock(Arc::new(clock.clone()));
    Cam::start_configured(dir, mock, clock, |c| c.https = Some("127.0.0.1:0".parse().unwrap()))
}

fn https_port(cam: &Cam) -> u16 {
    cam.running.as_ref().unwrap().app().https.get().expect("HTTPS is served").port
}

/// Whether `program` runs here; under CI its absence fails the test.
fn tool(test: &str, program: &str) -> bool {
    let ok =
        output(Command::new(program).arg(if program == "openssl" { "version" } else { "--version" })).is_ok_and(|o| o.status.success());
    if !ok {
        client_missing(test, &format!("{program} is not installed"));
    }
    ok
}

/// The camera's certificate chain, fetched over plain HTTP by an
/// administrator, written beside its data.
fn fetch_certificate(cam: &Cam, name: &str) -> PathBuf {
    let uid = cam.admin();
    let r = cam.get(&format!("/cgi-bin/https?uid={uid}&action=certificate"));
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("Content-Type"), Some("application/x-pem-file"));
    assert!(r.text().starts_with("-----BEGIN CERTIFICATE-----\n"), "{}", r.text());
    let path = cam.data_dir().join(name);
    std::fs::write(&path, r.text()).unwrap();
    path
}

fn curl(args: &[&str]) -> (i32, String) {
    let out = output(Command::new("curl").args(["-sS", "--max-time", "20"]).args(args)).unwrap();
    (out.status.code().unwrap_or(-1), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

/// `openssl s_client` against the port, its output.
fn s_client(port: u16, args: &[&str]) -> String {
    let mut child = spawn(
        Command::new("openssl")
            .args(["s_client", "-connect", &format!("127.0.0.1:{port}")])
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
    )
    .unwrap();
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// SHA-256 of a PEM certificate's DER, as the camera writes it.
fn fingerprint(pem: &Path) -> String {
    let out = output(Command::new("openssl").args(["x509", "-noout", "-fingerprint", "-sha256", "-in"]).arg(pem)).unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    text.trim().rsplit('=').next().unwrap().replace(':', "").to_lowercase()
}

fn https_state(cam: &Cam) -> Resp {
    let uid = cam.admin();
    assert_ok(cam.get(&format!("/cgi-bin/https?uid={uid}")), "https")
}

#[test]
fn curl_and_openssl_get_tls13_and_the_cameras_own_certificate() {
    let test = "https::curl_and_openssl_get_tls13_and_the_cameras_own_certificate";
    if !tool(test, "curl") || !tool(test, "openssl") {
        return;
    }
    let cam = https_cam();
    let port = https_port(&cam);
    let state = https_state(&cam);
    assert_eq!(state.attr("enable").as_deref(), Some("1"));
    assert_eq!(state.attr("port"), Some(port.to_string()));
    assert_eq!(state.attr("plain_http").as_deref(), Some("on"));
    assert_eq!(state.attr("generated").as_deref(), Some("1"));
    let ca = fetch_certificate(&cam, "camera.pem");
    assert_eq!(state.attr("fingerprint"), Some(fingerprint(&ca)));

    // The certificate names the camera by address and by name.
    for host in ["127.0.0.1", "localhost"] {
        let url = format!("https://{host}:{port}/cgi-bin/getuid?username=admin&password=123456");
        let (code, text) = curl(&["--cacert", ca.to_str().unwrap(), &url]);
        assert_eq!(code, 0, "{host}: {text}");
        assert!(text.contains("<uid>"), "{text}");
    }
    let (code, text) = curl(&["-k", &format!("https://127.0.0.1:{port}/cgi-bin/getinfo?uid={}", cam.admin())]);
    assert!(code == 0 && text.contains("<info kernel="), "{text}");
    // Without the camera's certificate as an anchor, curl does not trust it.
    let (code, text) = curl(&[&format!("https://127.0.0.1:{port}/")]);
    assert_eq!(code, 60, "{text}");

    let text = s_client(
        port,
        &["-tls1_3", "-alpn", "h2,http/1.1", "-CAfile", ca.to_str().unwrap(), "-verify_return_error", "-servername", "localhost"],
    );
    assert!(text.contains("New, TLSv1.3, Cipher is TLS_CHACHA20_POLY1305_SHA256"), "{text}");
    assert!(text.contains("Server Temp Key: X25519"), "{text}");
    assert!(text.contains("Peer signature type: ECDSA"), "{text}");
    assert!(text.contains("Verify return code: 0 (ok)"), "{text}");
    assert!(text.contains("ALPN protocol: http/1.1"), "HTTP/1.1 chosen over h2: {text}");
    say(&format!(
        "HTTPS: {}",
        text.lines()
            .filter(|l| l.contains("Cipher is") || l.contains("Temp Key") || l.contains("signature type"))
            .collect::<Vec<_>>()
            .join("; ")
    ));
    // TLS 1.2 is not spoken, nor an AES suite alone.
    let text = s_client(port, &["-tls1_2"]);
    assert!(!text.contains("Cipher is TLS") && !text.contains("Cipher is ECDHE"), "{text}");
    let text = s_client(port, &["-tls1_3", "-ciphersuites", "TLS_AES_128_GCM_SHA256"]);
    assert!(text.contains("handshake failure") || text.contains("Cipher is (NONE)"), "{text}");
}

#[test]
fn digest_basic_and_a_firmware_upload_work_over_https() {
    let test = "https::digest_basic_and_a_firmware_upload_work_over_https";
    if !tool(test, "curl") {
        return;
    }
    let cam = https_cam();
    let port = https_port(&cam);
    let base = format!("https://127.0.0.1:{port}");
    let out = cam.data_dir().join("snapshot.jpg");
    for auth in ["--digest", "--basic"] {
        let (code, text) = curl(&["-k", auth, "-u", "admin:123456", "-o", out.to_str().unwrap(), &format!("{base}/cgi-bin/snapshot.cgi")]);
        assert_eq!(code, 0, "{auth}: {text}");
        assert_eq!(&std::fs::read(&out).unwrap()[..2], b"\xff\xd8", "{auth}: a JPEG");
    }
    let (_, text) = curl(&["-k", "--digest", "-u", "admin:wrong", "-w", "%{http_code}", &format!("{base}/cgi-bin/snapshot.cgi")]);
    assert!(text.ends_with("401"), "{text}");

    let payload: Vec<u8> = (0..300_000u32).map(|i| (i.wrapping_mul(7) >> 3) as u8).collect();
    let img = image(MOCK_BOARD_ID, "1.1.0", &payload, None);
    let file = cam.data_dir().join("upgrade.bin");
    std::fs::write(&file, &img).unwrap();
    cam.mock.hold_reboots(true);
    let (code, text) = curl(&[
        "-k",
        "--digest",
        "-u",
        "admin:123456",
        "-H",
        "Content-Type: application/octet-stream",
        "--data-binary",
        &format!("@{}", file.display()),
        &format!("{base}/cgi-bin/OnvifFirmwareUpgrade"),
    ]);
    assert_eq!(code, 0, "{text}");
    assert_eq!(text, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<firmware_upgrade>OK</firmware_upgrade>\n");
    let slot = std::fs::read(cam.data_dir().join("firmware/slot-b.bin")).unwrap();
    assert_eq!(&slot[..img.len()], &img[..], "the image reached the inactive slot whole");
    cam.mock.hold_reboots(false);
    cam.eventually("the camera reboots into it", || cam.mock.reboots() == 1);
}

#[test]
fn python_ssl_httpx_and_onvif_zeep_async_over_https() {
    let test = "https::python_ssl_httpx_and_onvif_zeep_async_over_https";
    if emulated() {
        say(&format!("{test}: host only (the outside clients drive the host build)"));
        return;
    }
    let ok = output(Command::new("python3").args(["-c", "import httpx, onvif"])).is_ok_and(|o| o.status.success());
    if !ok {
        return client_missing(test, "python3 lacks httpx or onvif-zeep-async; .ci/run installs them");
    }
    let cam = https_cam();
    let ca = fetch_certificate(&cam, "camera.pem");
    let script = format!("{}/tests/clients/https_clients.py", env!("CARGO_MANIFEST_DIR"));
    let out = output(Command::new("python3").arg(script).arg(https_port(&cam).to_string()).arg(&ca)).unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && text.contains("DONE"), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
}

/// GETs `target` over HTTPS with curl, trusting any certificate: the body.
fn curl_k(port: u16, target: &str) -> String {
    let (code, text) = curl(&["-k", &format!("https://127.0.0.1:{port}{target}")]);
    assert_eq!(code, 0, "{text}");
    text
}

#[test]
fn plain_http_can_be_redirected_or_turned_off_and_discovery_follows() {
    if !tool("https::plain_http_can_be_redirected_or_turned_off_and_discovery_follows", "curl") {
        return;
    }
    let port = UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let dir = Arc::new(TempDir::new());
    let clock = camcgi_hal::ManualMonotonic::new();
    let mock = camcgi_hal::mock::MockBoard::with_clock(Arc::new(clock.clone()));
    let cam = Cam::start_configured(dir.clone(), mock, clock, |c| {
        c.https = Some("127.0.0.1:0".parse().unwrap());
        c.discovery = Some(format!("127.0.0.1:{port}").parse().unwrap());
    });
    let secure = https_port(&cam);
    let client = UdpSocket::bind("127.0.0.6:0").unwrap();
    let xaddr = |id: &str| {
        let answer = answered(&client, port, &probe(id), Duration::from_secs(3)).expect("a probe is answered");
        let text = String::from_utf8(answer).unwrap();
        let start = text.find("<d:XAddrs>").expect("XAddrs") + "<d:XAddrs>".len();
        text[start..start + text[start..].find('<').unwrap()].to_string()
    };
    assert_eq!(xaddr("plain-on"), format!("http://127.0.0.1:{}/onvif/device_service", cam.port()));

    let uid = cam.admin();
    let r = assert_ok(cam.get(&format!("/cgi-bin/https?uid={uid}&plain_http=redirect")), "https");
    assert_eq!(r.attr("plain_http").as_deref(), Some("redirect"));
    let r = cam.get(&format!("/cgi-bin/getinfo?uid={uid}"));
    assert_eq!(r.status, 308);
    assert_eq!(r.header("Location"), Some(format!("https://127.0.0.1:{secure}/cgi-bin/getinfo?uid={uid}").as_str()));
    let raw = raw_request(cam.port(), &format!("GET /cgi-bin/getinfo HTTP/1.1\r\nHost: [::1]:{}\r\nConnection: close\r\n\r\n", cam.port()));
    let r = parse_response(raw.as_bytes());
    assert_eq!(r.header("Location"), Some(format!("https://[::1]:{secure}/cgi-bin/getinfo").as_str()));
    // A host the camera does not answer to is refused as before, not redirected.
    let raw = raw_request(cam.port(), "GET /cgi-bin/getinfo HTTP/1.1\r\nHost: attacker.example\r\nConnection: close\r\n\r\n");
    assert!(raw.starts_with("HTTP/1.1 403"), "{raw}");
    assert_eq!(xaddr("plain-redirect"), format!("https://127.0.0.1:{secure}/onvif/device_service"));

    let text = curl_k(secure, &format!("/cgi-bin/https?uid={uid}&plain_http=off"));
    assert!(text.contains(" plain_http=\"off\""), "{text}");
    assert_fault(&cam.get(&format!("/cgi-bin/getinfo?uid={uid}")), 403, "/cgi-bin/getinfo", "plain HTTP is off: use HTTPS");
    let r = soap(cam.port(), "/onvif/device_service", "<GetDeviceInformation xmlns=\"http://www.onvif.org/ver10/device/wsdl\"/>", "");
    assert_eq!(r.status, 403, "ONVIF over plain HTTP too");
    let r = cam.get("/cgi-bin/getuid?username=admin&password=123456");
    assert_eq!(r.status, 403, "no login over plain HTTP");
    assert_eq!(xaddr("plain-off"), format!("https://127.0.0.1:{secure}/onvif/device_service"));
    let access = std::fs::read_to_string(dir.0.join("access.xml")).unwrap();
    assert!(access.contains("plain_http=\"off\""), "{access}");

    // Bad values change nothing.
    let r = cam.get(&format!("/cgi-bin/https?uid={uid}&plain_http=maybe"));
    assert_eq!(r.status, 403, "still over plain HTTP, which is off");
    let mut cam = cam;
    cam.stop();
    // After a restart the switch holds; over HTTPS it can be turned back on.
    let cam = https_cam_in(dir);
    assert_eq!(cam.get("/cgi-bin/getuid?username=admin&password=123456").status, 403);
    let secure = https_port(&cam);
    let text = curl_k(secure, "/cgi-bin/getuid?username=admin&password=123456");
    let uid = text.split("<uid>").nth(1).and_then(|t| t.split("</uid>").next()).expect("a uid over HTTPS").to_string();
    let text = curl_k(secure, &format!("/cgi-bin/https?uid={uid}&plain_http=maybe"));
    assert!(text.contains("<reason>plain_http: on, redirect or off</reason>"), "{text}");
    let text = curl_k(secure, &format!("/cgi-bin/https?uid={uid}&plain_http=on"));
    assert!(text.contains(" plain_http=\"on\""), "{text}");
    assert_eq!(cam.get("/cgi-bin/getuid?username=admin&password=123456").status, 200);
}

#[test]
fn without_https_the_switch_stays_on() {
    let cam = Cam::start();
    let uid = cam.admin();
    let r = assert_ok(cam.get(&format!("/cgi-bin/https?uid={uid}")), "https");
    assert_eq!(r.text(), "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<https enable=\"0\" plain_http=\"on\"/>\n");
    let refused = cam.get(&format!("/cgi-bin/https?uid={uid}&plain_http=off"));
    assert_fault(&refused, 400, "/cgi-bin/https", "https: not served (camcgi runs with --https-listen off)");
    assert_eq!(cam.get(&format!("/cgi-bin/getinfo?uid={uid}")).status, 200);
    let user = cam.user_with("viewer", "User");
    assert_fault(&cam.get(&format!("/cgi-bin/https?uid={user}")), 400, "/cgi-bin/https", "permission denied");
}

/// Makes a P-256 certificate and key with OpenSSL (PKCS#8 key).
fn openssl_identity(dir: &Path, name: &str, key_args: &[&str]) -> (PathBuf, PathBuf) {
    let (cert, key) = (dir.join(format!("{name}.crt")), dir.join(format!("{name}.key")));
    let out = output(
        Command::new("openssl")
            .args(["req", "-x509", "-newkey"])
            .args(key_args)
            .args(["-nodes", "-days", "30", "-subj", "/CN=camera.example", "-addext", "subjectAltName=DNS:camera.example,IP:127.0.0.1"])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&cert),
    )
    .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    (cert, key)
}

fn upload_certificate(cam: &Cam, body: &[u8]) -> Resp {
    crate::firmware::post(cam.port(), "/cgi-bin/https_certificate", "Authorization: Basic YWRtaW46MTIzNDU2\r\n", body)
}

#[test]
fn an_administrators_certificate_is_installed_checked_regenerated_and_kept() {
    let test = "https::an_administrators_certificate_is_installed_checked_regenerated_and_kept";
    if !tool(test, "openssl") || !tool(test, "curl") {
        return;
    }
    let dir = Arc::new(TempDir::new());
    let cam = https_cam_in(dir.clone());
    let port = https_port(&cam);
    let made = https_state(&cam).attr("fingerprint").unwrap();
    let stored = std::fs::read_to_string(dir.0.join("https.pem")).unwrap();
    assert!(stored.contains("-----BEGIN CAMCGI SEALED GENERATED KEY-----"), "{stored}");
    assert!(!stored.contains("PRIVATE KEY"), "the key is sealed at rest");

    let (cert, key) = openssl_identity(&dir.0, "ours", &["ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]);
    let (rsa_cert, rsa_key) = openssl_identity(&dir.0, "rsa", &["rsa:2048"]);
    let (other_cert, _) = openssl_identity(&dir.0, "other", &["ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]);
    let read = |p: &PathBuf| std::fs::read(p).unwrap();
    let joined = |a: &PathBuf, b: &PathBuf| [read(a), read(b)].concat();

    // Refused, each with its reason, and the camera's certificate stays.
    let path = "/cgi-bin/https_certificate";
    for (body, reason) in [
        (b"not pem".to_vec(), "certificate: no PEM certificate"),
        (joined(&rsa_cert, &rsa_key), "certificate: the key is not a P-256 private key"),
        (joined(&rsa_cert, &key), "certificate: the certificate is not an X.509 certificate with a P-256 key"),
        (joined(&other_cert, &key), "certificate: the key does not belong to the certificate"),
        (read(&cert), "certificate: no PEM private key"),
        (joined(&cert, &rsa_key), "certificate: the key is not a P-256 private key"),
        (
            b"-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n".to_vec(),
            "certificate: the certificate is not an X.509 certificate with a P-256 key",
        ),
    ] {
        assert_fault(&upload_certificate(&cam, &body), 400, path, reason);
    }
    let too_long = vec![b'A'; camcgi::interfaces::https::MAX_UPLOAD + 1];
    assert_fault(&upload_certificate(&cam, &too_long), 413, path, "certificate: too large or not received");
    assert_eq!(https_state(&cam).attr("fingerprint"), Some(made.clone()));
    let r = crate::firmware::post(cam.port(), path, "", &joined(&cert, &key));
    assert_eq!(r.status, 401, "credentials first");
    let viewer = cam.user_with("viewer", "User");
    let r = crate::firmware::post(cam.port(), &format!("{path}?uid={viewer}"), "", &joined(&cert, &key));
    assert_fault(&r, 400, path, "permission denied");

    // Installed: new connections get it.
    let r = assert_ok(upload_certificate(&cam, &joined(&cert, &key)), "https");
    assert_eq!(r.attr("generated").as_deref(), Some("0"));
    assert_eq!(r.attr("fingerprint"), Some(fingerprint(&cert)));
    let (code, text) =
        curl(&["--cacert", cert.to_str().unwrap(), &format!("https://127.0.0.1:{port}/cgi-bin/getuid?username=admin&password=123456")]);
    assert!(code == 0 && text.contains("<uid>"), "{text}");
    let stored = std::fs::read_to_string(dir.0.join("https.pem")).unwrap();
    assert!(stored.contains("-----BEGIN CAMCGI SEALED KEY-----") && !stored.contains("PRIVATE KEY"), "{stored}");
    // A SEC1 key, as `openssl ec` writes it, is taken too.
    let sec1 = dir.0.join("ours.sec1");
    let out = output(Command::new("openssl").args(["ec", "-in"]).arg(&key).arg("-out").arg(&sec1)).unwrap();
    assert!(out.status.success());
    assert!(read(&sec1).starts_with(b"-----BEGIN EC PRIVATE KEY-----"));
    assert_ok(upload_certificate(&cam, &joined(&cert, &sec1)), "https");

    // Kept across a restart, and presented from the start.
    let mut cam = cam;
    cam.stop();
    let cam = https_cam_in(dir.clone());
    assert_eq!(https_state(&cam).attr("fingerprint"), Some(fingerprint(&cert)));
    let (code, text) = curl(&["--cacert", cert.to_str().unwrap(), &format!("https://127.0.0.1:{}/", https_port(&cam))]);
    assert_eq!(code, 0, "{text}");

    // Regenerated: a new self-signed certificate, neither of the others.
    let uid = cam.admin();
    let r = assert_ok(cam.get(&format!("/cgi-bin/https?uid={uid}&action=regenerate")), "https");
    assert_eq!(r.attr("generated").as_deref(), Some("1"));
    let new = r.attr("fingerprint").unwrap();
    assert!(new != made && new != fingerprint(&cert));
    let ca = fetch_certificate(&cam, "regenerated.pem");
    assert_eq!(fingerprint(&ca), new);
    let (code, text) = curl(&["--cacert", ca.to_str().unwrap(), &format!("https://localhost:{}/", https_port(&cam))]);
    assert_eq!(code, 0, "{text}");
    let r = cam.get(&format!("/cgi-bin/https?uid={uid}&action=burn"));
    assert_fault(&r, 400, "/cgi-bin/https", "action: regenerate or certificate");
}

#[test]
fn an_identity_file_that_does_not_open_is_replaced_by_a_new_certificate() {
    let dir = Arc::new(TempDir::new());
    let mut cam = https_cam_in(dir.clone());
    let made = https_state(&cam).attr("fingerprint").unwrap();
    cam.stop();
    // Another camera's device key: the sealed key does not open here.
    std::fs::write(dir.0.join("device.key"), [7u8; 32]).unwrap();
    let cam = https_cam_in(dir.clone());
    let now = https_state(&cam).attr("fingerprint").unwrap();
    assert_ne!(now, made);
    assert_eq!(https_state(&cam).attr("generated").as_deref(), Some("1"));
}

/// A TLS 1.0 ClientHello offering one TLS 1.0 suite.
const TLS10_HELLO: &[u8] = &[
    0x16, 0x03, 0x01, 0x00, 0x2d, // record: handshake, TLS 1.0, 45 bytes
    0x01, 0x00, 0x00, 0x29, // ClientHello, 41 bytes
    0x03, 0x01, // TLS 1.0
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,
    0x00, // no session id
    0x00, 0x02, 0x00, 0x2f, // TLS_RSA_WITH_AES_128_CBC_SHA
    0x01, 0x00, // null compression
];

/// What the camera sends back on `stream` before it closes, within `wait`.
fn read_until_closed(stream: &mut TcpStream, wait: Duration) -> Option<Vec<u8>> {
    stream.set_read_timeout(Some(wait)).unwrap();
    let mut got = Vec::new();
    match stream.read_to_end(&mut got) {
        Ok(_) => Some(got),
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => Some(got),
        Err(_) => None,
    }
}

#[test]
fn bad_handshakes_end_their_connections_and_a_client_is_served_meanwhile() {
    let test = "https::bad_handshakes_end_their_connections_and_a_client_is_served_meanwhile";
    let cam = https_cam();
    let port = https_port(&cam);
    // Garbage: an alert or nothing, and the connection ends at once.
    let mut garbage = TcpStream::connect(("127.0.0.1", port)).unwrap();
    garbage.write_all(b"GET / HTTP/1.1\r\nHost: camera\r\n\r\n").unwrap();
    let got = read_until_closed(&mut garbage, Duration::from_secs(5)).expect("garbage ends its connection");
    assert!(got.is_empty() || got[0] == 0x15, "an alert at most: {got:?}");
    // TLS 1.0: a fatal alert, then the end.
    let mut old = TcpStream::connect(("127.0.0.1", port)).unwrap();
    old.write_all(TLS10_HELLO).unwrap();
    let got = read_until_closed(&mut old, Duration::from_secs(5)).expect("TLS 1.0 ends its connection");
    assert_eq!(got.first(), Some(&0x15), "an alert: {got:?}");
    assert_eq!(got.get(5), Some(&2), "a fatal one: {got:?}");
    // A handshake that stalls is a slow head: closed within the timeout.
    let mut stalled = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stalled.write_all(&TLS10_HELLO[..5]).unwrap();
    let started = Instant::now();
    read_until_closed(&mut stalled, TIMEOUT * 3).expect("a stalled handshake is closed");
    let waited = started.elapsed();
    assert!(waited >= TIMEOUT / 2 && waited < TIMEOUT * 3, "{waited:?}");
    // Sixty-four silent TLS connections take every slot; a client still gets in.
    let silent: Vec<TcpStream> = (0..64).map(|_| TcpStream::connect(("127.0.0.1", port)).unwrap()).collect();
    std::thread::sleep(Duration::from_millis(100));
    if tool(test, "curl") {
        let started = Instant::now();
        let (code, text) = curl(&["-k", &format!("https://127.0.0.1:{port}/cgi-bin/getuid?username=admin&password=123456")]);
        assert!(code == 0 && text.contains("<uid>"), "{text}");
        say(&format!("HTTPS: a client served in {:?} beside 64 silent TLS connections", started.elapsed()));
    }
    assert_eq!(cam.get("/cgi-bin/getuid?username=admin&password=123456").status, 200, "plain HTTP is not held up");
    drop(silent);
}

#[test]
fn onvif_names_the_https_port_and_takes_it_only_as_it_is() {
    let cam = https_cam();
    let secure = https_port(&cam);
    let tt = "xmlns=\"http://www.onvif.org/ver10/schema\"";
    let device = |body: String| soap(cam.port(), "/onvif/device_service", &body, &basic("admin", "123456"));
    let ns = "http://www.onvif.org/ver10/device/wsdl";
    let protocols = device(format!("<GetNetworkProtocols xmlns=\"{ns}\"/>"));
    assert!(
        protocols.text().contains(&format!("<tt:Name>HTTPS</tt:Name><tt:Enabled>true</tt:Enabled><tt:Port>{secure}</tt:Port>")),
        "{}",
        protocols.text()
    );
    let set = |enabled: &str, port: u16| {
        device(format!(
            "<SetNetworkProtocols xmlns=\"{ns}\"><NetworkProtocols><Name {tt}>HTTPS</Name><Enabled {tt}>{enabled}</Enabled>\
             <Port {tt}>{port}</Port></NetworkProtocols></SetNetworkProtocols>"
        ))
    };
    assert_eq!(set("true", secure).status, 200);
    assert_soap_fault(&set("true", 443), 400, "ter:InvalidArgVal", &format!("HTTPS: the camera serves port {secure}"));
    assert_soap_fault(&set("false", secure), 400, "ter:InvalidArgVal", "HTTPS cannot be switched off (plain HTTP can: /cgi-bin/https)");
}

#[test]
fn a_factory_reset_makes_a_new_certificate_and_serves_plain_http_again() {
    let cam = https_cam();
    let uid = cam.admin();
    let before = https_state(&cam).attr("fingerprint").unwrap();
    assert_ok(cam.get(&format!("/cgi-bin/https?uid={uid}&plain_http=redirect")), "https");
    // Over plain HTTP the reset itself is redirected: sent over HTTPS, it is carried out.
    assert_eq!(cam.get(&format!("/cgi-bin/factory_reset?uid={uid}")).status, 308);
    if tool("https::a_factory_reset_makes_a_new_certificate_and_serves_plain_http_again", "curl") {
        let (code, text) = curl(&["-k", &format!("https://127.0.0.1:{}/cgi-bin/factory_reset?uid={uid}", https_port(&cam))]);
        assert_eq!(code, 0, "{text}");
        cam.eventually("the reset", || cam.get("/cgi-bin/getuid?username=admin&password=123456").status == 200);
        cam.eventually("a new certificate", || https_state(&cam).attr("fingerprint").unwrap() != before);
        let after = https_state(&cam);
        assert_eq!(after.attr("plain_http").as_deref(), Some("on"));
        assert_eq!(after.attr("generated").as_deref(), Some("1"));
        assert_ne!(after.attr("fingerprint").unwrap(), before);
    }
}
