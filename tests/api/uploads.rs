//! Snapshots as real JPEGs, and uploads to a real FTP server and an SMTP sink on loopback.

use crate::common::*;
use base64::Engine;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const TARGETS: &str = "/cgi-bin/upload_targets";

#[test]
fn snapshots_decode_with_a_standard_decoder() {
    let cam = Cam::start();
    for (stream, size) in [(0, (480, 360)), (1, (1920, 1080))] {
        let r = cam.get(&format!("/cgi-bin/snapshot.cgi?stream={stream}&username=admin&password=123456"));
        let mut decoder = jpeg_decoder::Decoder::new(&r.body[..]);
        let pixels = decoder.decode().expect("a decodable JPEG");
        let info = decoder.info().unwrap();
        assert_eq!((info.width, info.height), size);
        assert_eq!(pixels.len(), usize::from(info.width) * usize::from(info.height) * 3);
    }
}

#[test]
fn targets_answer_without_passwords_and_refuse_bad_values() {
    let cam = Cam::start();
    let uid = cam.admin();
    let r = cam.get(&format!("{TARGETS}?uid={uid}"));
    assert_eq!(
        r.text(),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<upload_targets ftp_server=\"\" ftp_port=\"21\" ftp_user=\"\" ftp_dir=\"\" \
         smtp_server=\"\" smtp_port=\"25\" smtp_user=\"\" email_from=\"\" email_to=\"\"/>\n"
    );
    let set = format!(
        "{TARGETS}?ftp_server=ftp.example.net&ftp_user=cam&ftp_password=Pw0rd!&ftp_dir=cams/gate&smtp_server=127.0.0.1&smtp_port=2525\
         &smtp_password=MailPw&email_from=cam@example.net&email_to=a@example.net,%20b@example.net&uid={uid}"
    );
    let r = assert_ok(cam.get(&set), "upload_targets");
    assert!(!r.text().contains("Pw0rd") && !r.text().contains("MailPw") && !r.text().contains("password"), "{}", r.text());
    assert_eq!(r.attr("email_to").as_deref(), Some("a@example.net,b@example.net"));
    let cases = [
        ("ftp_server=bad%20host", "ftp_server error"),
        ("ftp_port=0", "ftp_port range: 1-65535"),
        ("ftp_user=a%20b", "ftp_user error"),
        ("ftp_password=x%0D%0ADELE%20y", "ftp_password error"),
        ("ftp_dir=../etc", "ftp_dir error"),
        ("smtp_port=70000", "smtp_port range: 1-65535"),
        ("email_from=nobody", "email_from error"),
        ("email_to=a@b.c,%3Cx%3E", "email_to error"),
        ("ftp_port=0&email_from=x", "ftp_port range: 1-65535"),
    ];
    for (q, reason) in cases {
        assert_fault(&cam.get(&format!("{TARGETS}?{q}&uid={uid}")), 400, TARGETS, reason);
    }
    let op = cam.user_with("op", "Operator");
    assert_fault(&cam.get(&format!("{TARGETS}?ftp_port=2121&uid={op}")), 400, TARGETS, "permission denied");
    assert_ok(cam.get(&format!("{TARGETS}?uid={op}")), "upload_targets");
    let stored = cam.data_dir().join("upload_targets.xml");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&stored).unwrap().permissions().mode() & 0o777, 0o600);
    let uid = cam.admin();
    assert_eq!(cam.get(&format!("{TARGETS}?uid={uid}")).attr("ftp_dir").as_deref(), Some("cams/gate"));
}

/// A real FTP server in the test process: libunftp with its file-system
/// back-end, one user `cam` with the password `s3cret`, files under `root`.
struct FtpServer {
    port: u16,
    root: TempDir,
}

#[derive(Debug)]
struct OneUser;

#[async_trait::async_trait]
impl unftp_core::auth::Authenticator for OneUser {
    async fn authenticate(
        &self,
        username: &str,
        creds: &unftp_core::auth::Credentials,
    ) -> Result<unftp_core::auth::Principal, unftp_core::auth::AuthenticationError> {
        use unftp_core::auth::AuthenticationError;
        match (username, creds.password.as_deref()) {
            ("cam", Some("s3cret")) => Ok(unftp_core::auth::Principal { username: username.to_string() }),
            ("cam", _) => Err(AuthenticationError::BadPassword),
            _ => Err(AuthenticationError::BadUser),
        }
    }
}

impl FtpServer {
    fn start() -> FtpServer {
        let root = TempDir::new();
        std::fs::create_dir_all(root.0.join("cams")).unwrap();
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let home = root.0.clone();
        let server = libunftp::ServerBuilder::with_authenticator(
            Box::new(move || unftp_sbe_fs::Filesystem::new(home.clone()).unwrap()),
            std::sync::Arc::new(OneUser),
        )
        .greeting("camcgi test FTP server")
        .passive_ports(50000..=50999)
        .build()
        .unwrap();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
            runtime.block_on(server.listen(format!("127.0.0.1:{port}")))
        });
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "the FTP server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        FtpServer { port, root }
    }
}

#[test]
fn ftp_uploads_reach_a_real_server() {
    let ftp = FtpServer::start();
    let cam = Cam::start();
    let uid = cam.admin();
    let snap = "/cgi-bin/snapshot.cgi?stream=1&username=admin&password=123456";
    assert_fault(&cam.get(&format!("{snap}&upload=1")), 400, "/cgi-bin/snapshot", "Ftp not deploy");
    let set = format!("{TARGETS}?ftp_server=127.0.0.1&ftp_port={}&ftp_user=cam&ftp_password=s3cret&ftp_dir=cams&uid={uid}", ftp.port);
    assert_ok(cam.get(&set), "upload_targets");
    let r = cam.get(&format!("{snap}&upload=1"));
    assert_eq!(r.text(), "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<upload>OK</upload>\n");
    let files: Vec<_> = std::fs::read_dir(ftp.root.0.join("cams")).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(files.len(), 1);
    let name = files[0].file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.starts_with("snapshot_") && name.ends_with("_stream1.jpg"), "{name}");
    let expected = cam.get(snap).body;
    assert_eq!(std::fs::read(&files[0]).unwrap(), expected, "the bytes on the server are the JPEG");
    assert_ok(cam.get(&format!("{TARGETS}?ftp_password=wrong&uid={uid}")), "upload_targets");
    let r = cam.get(&format!("{snap}&upload=1"));
    assert_eq!(r.status, 500);
    assert!(r.element("reason").unwrap().starts_with("upload failed: ftp login (530"), "{}", r.text());
    assert_ok(cam.get(&format!("{TARGETS}?ftp_password=s3cret&ftp_dir=missing&uid={uid}")), "upload_targets");
    let r = cam.get(&format!("{snap}&upload=1"));
    assert!(r.element("reason").unwrap().starts_with("upload failed: ftp directory (550"), "{}", r.text());
}

#[test]
fn a_dead_server_costs_five_seconds_and_names_the_step() {
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let held = std::thread::spawn(move || silent.accept().map(|(s, _)| s));
    let cam = Cam::start();
    let uid = cam.admin();
    assert_ok(cam.get(&format!("{TARGETS}?ftp_server=127.0.0.1&ftp_port={port}&uid={uid}")), "upload_targets");
    let started = Instant::now();
    let r = cam.get("/cgi-bin/snapshot.cgi?upload=1&username=admin&password=123456");
    let took = started.elapsed();
    assert_eq!(r.status, 500, "{}", r.text());
    assert!(r.element("reason").unwrap().starts_with("upload failed: ftp greeting ("), "{}", r.text());
    assert!(took >= Duration::from_millis(4900) && took < Duration::from_secs(9), "{took:?}");
    drop(held);
    // Refused at once: nothing listens any more.
    let closed = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    assert_ok(cam.get(&format!("{TARGETS}?ftp_port={closed}&uid={uid}")), "upload_targets");
    let r = cam.get("/cgi-bin/snapshot.cgi?upload=1&username=admin&password=123456");
    assert!(r.element("reason").unwrap().starts_with("upload failed: ftp connect ("), "{}", r.text());
}

/// What an SMTP sink received.
#[derive(Debug, Default)]
struct Mail {
    commands: Vec<String>,
    data: String,
}

/// An SMTP sink on loopback that accepts one message.
fn smtp_sink() -> (u16, mpsc::Receiver<Mail>) {
    smtp_sink_refusing(None)
}

/// An SMTP sink that refuses the recipient `refused` with 550.
fn smtp_sink_refusing(refused: Option<&'static str>) -> (u16, mpsc::Receiver<Mail>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut out = stream.try_clone().unwrap();
        let mut lines = BufReader::new(stream);
        let mut mail = Mail::default();
        out.write_all(b"220 sink ESMTP\r\n").unwrap();
        let mut line = String::new();
        loop {
            line.clear();
            if lines.read_line(&mut line).unwrap() == 0 {
                break;
            }
            let cmd = line.trim_end().to_string();
            mail.commands.push(cmd.clone());
            let reply: &[u8] = match cmd.split(' ').next().unwrap_or("") {
                "EHLO" => b"250-sink\r\n250 AUTH PLAIN\r\n",
                "AUTH" => b"235 ok\r\n",
                "RCPT" if refused.is_some_and(|r| cmd.contains(r)) => b"550 no such user\r\n",
                "MAIL" | "RCPT" => b"250 ok\r\n",
                "DATA" => {
                    out.write_all(b"354 go on\r\n").unwrap();
                    loop {
                        line.clear();
                        lines.read_line(&mut line).unwrap();
                        if line == ".\r\n" {
                            break;
                        }
                        mail.data.push_str(&line);
                    }
                    b"250 queued\r\n"
                }
                "QUIT" => {
                    let _ = out.write_all(b"221 bye\r\n");
                    break;
                }
                _ => b"500 what\r\n",
            };
            out.write_all(reply).unwrap();
        }
        let _ = tx.send(mail);
    });
    (port, rx)
}

#[test]
fn email_carries_the_jpeg_as_an_attachment() {
    let (port, mail) = smtp_sink();
    let cam = Cam::start();
    let uid = cam.admin();
    let snap = "/cgi-bin/snapshot.cgi?stream=0&username=admin&password=123456";
    assert_fault(&cam.get(&format!("{snap}&upload=2")), 400, "/cgi-bin/snapshot", "Email not deploy");
    let set = format!(
        "{TARGETS}?smtp_server=127.0.0.1&smtp_port={port}&smtp_user=cam&smtp_password=MailPw\
         &email_from=cam@example.net&email_to=ops@example.net,guard@example.net&uid={uid}"
    );
    assert_ok(cam.get(&set), "upload_targets");
    assert_ok(cam.get(&format!("{snap}&upload=2")), "upload");
    let mail = mail.recv_timeout(Duration::from_secs(10)).unwrap();
    let plain = base64::engine::general_purpose::STANDARD.encode("\0cam\0MailPw");
    assert_eq!(
        mail.commands,
        [
            "EHLO camcgi".to_string(),
            format!("AUTH PLAIN {plain}"),
            "MAIL FROM:<cam@example.net>".into(),
            "RCPT TO:<ops@example.net>".into(),
            "RCPT TO:<guard@example.net>".into(),
            "DATA".into(),
            "QUIT".into()
        ]
    );
    assert!(mail.data.contains("Content-Type: image/jpeg; name=\"snapshot_"), "{}", mail.data);
    let encoded: String = mail
        .data
        .split("Content-Disposition: attachment")
        .nth(1)
        .and_then(|rest| rest.split("\r\n\r\n").nth(1))
        .unwrap()
        .split("--camcgi-snapshot-boundary--")
        .next()
        .unwrap()
        .lines()
        .collect();
    let jpeg = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).unwrap();
    assert_eq!(jpeg, cam.get(snap).body, "the attachment decodes to the same bytes");
}

#[test]
fn a_refused_recipient_is_a_fault_naming_the_step() {
    let (port, mail) = smtp_sink_refusing(Some("ghost@example.net"));
    let cam = Cam::start();
    let uid = cam.admin();
    let set = format!(
        "{TARGETS}?smtp_server=127.0.0.1&smtp_port={port}&email_from=cam@example.net&email_to=ops@example.net,ghost@example.net&uid={uid}"
    );
    assert_ok(cam.get(&set), "upload_targets");
    let r = cam.get("/cgi-bin/snapshot.cgi?upload=2&username=admin&password=123456");
    assert_fault(&r, 500, "/cgi-bin/snapshot", "upload failed: email recipient (550 no such user)");
    let mail = mail.recv_timeout(Duration::from_secs(10)).unwrap();
    assert!(!mail.commands.iter().any(|c| c == "DATA"), "nothing is sent after a refusal: {:?}", mail.commands);
}
