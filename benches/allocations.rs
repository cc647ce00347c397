//! Heap allocations per request: camcgi (this build's release binary, or
//! `CAMCGI_BIN`) runs under valgrind's memcheck, which counts every
//! allocation; a keep-alive client sends N and then 3N requests of one kind,
//! and the difference over 2N is one request's share (start-up and the
//! connection cancel out). Prints allocations and bytes per request for three
//! ONVIF operations (Basic authentication) and a CGI query (by `uid`).
//!
//! `cargo bench --bench allocations` (needs `valgrind`).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

const N: usize = 20;

struct Kind {
    name: &'static str,
    request: fn(uid: &str) -> String,
}

fn soap(path: &str, body: &str) -> String {
    let envelope = format!(
        "<?xml version=\"1.0\"?><s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Body>{body}</s:Body></s:Envelope>"
    );
    format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic YWRtaW46MTIzNDU2\r\nContent-Type: application/soap+xml\r\nContent-Length: {}\r\n\r\n{envelope}",
        envelope.len()
    )
}

const KINDS: [Kind; 4] = [
    Kind {
        name: "ONVIF GetDeviceInformation",
        request: |_| soap("/onvif/device_service", "<GetDeviceInformation xmlns=\"http://www.onvif.org/ver10/device/wsdl\"/>"),
    },
    Kind {
        name: "ONVIF GetProfiles",
        request: |_| soap("/onvif/media_service", "<GetProfiles xmlns=\"http://www.onvif.org/ver10/media/wsdl\"/>"),
    },
    Kind {
        name: "ONVIF GetImagingSettings",
        request: |_| {
            soap(
                "/onvif/imaging_service",
                "<GetImagingSettings xmlns=\"http://www.onvif.org/ver20/imaging/wsdl\"><VideoSourceToken>video_src</VideoSourceToken></GetImagingSettings>",
            )
        },
    },
    Kind { name: "CGI image query (uid)", request: |uid| format!("GET /cgi-bin/image?uid={uid} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n") },
];

/// Reads one answer with a Content-Length.
fn answer(reader: &mut BufReader<TcpStream>) -> String {
    let mut length = 0;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).expect("an answer");
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = v.trim().parse().expect("a length");
        }
        if line == "\r\n" {
            break;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).expect("the body");
    String::from_utf8_lossy(&body).into_owned()
}

/// Allocations and bytes in all, after `count` requests of one kind.
fn run(kind: &Kind, count: usize) -> (u64, u64) {
    let dir = std::env::temp_dir().join(format!("camcgi-alloc-{}-{count}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let bin = std::env::var_os("CAMCGI_BIN").unwrap_or_else(|| env!("CARGO_BIN_EXE_camcgi").into());
    let log = dir.join("memcheck.log");
    let mut child = Command::new("valgrind")
        .arg("--tool=memcheck")
        .arg("--leak-check=no")
        .arg(format!("--log-file={}", log.display()))
        .arg(bin)
        .args(["--listen", &format!("127.0.0.1:{port}"), "--discovery", "off", "--log-level", "off", "--data-dir"])
        .arg(dir.join("data"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("valgrind is needed (apt install valgrind)");
    let stream = (0..300)
        .find_map(|_| {
            let connected = TcpStream::connect(("127.0.0.1", port)).ok();
            if connected.is_none() {
                std::thread::sleep(Duration::from_millis(100));
            }
            connected
        })
        .expect("camcgi under valgrind listens");
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    writer.write_all(b"GET /cgi-bin/getuid?username=admin&password=123456 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
    let login = answer(&mut reader);
    let uid = login.split("<uid>").nth(1).and_then(|s| s.split("</uid>").next()).expect("a uid").to_string();
    for _ in 0..count {
        writer.write_all((kind.request)(&uid).as_bytes()).unwrap();
        let text = answer(&mut reader);
        assert!(!text.contains("<fault>") && !text.contains("env:Fault"), "{}: {text}", kind.name);
    }
    drop(reader);
    drop(writer);
    let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(child.id() as i32), nix::sys::signal::Signal::SIGTERM);
    let _ = child.wait();
    let text = std::fs::read_to_string(&log).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let line = text.lines().find(|l| l.contains("total heap usage")).expect("memcheck's summary");
    let numbers: Vec<u64> = line
        .split(|c: char| !c.is_ascii_digit() && c != ',')
        .filter(|s| !s.is_empty())
        .map(|s| s.replace(',', "").parse().unwrap_or(0))
        .collect();
    // "total heap usage: A allocs, F frees, B bytes allocated" (after the pid).
    (numbers[numbers.len() - 3], numbers[numbers.len() - 1])
}

fn main() {
    if Command::new("valgrind").arg("--version").output().is_err() {
        eprintln!("allocations: valgrind is not installed");
        std::process::exit(if std::env::var_os("CI").is_some() { 1 } else { 0 });
    }
    println!(
        "allocations: heap allocations per request under valgrind memcheck, one keep-alive connection, ({} - {}) / {}",
        3 * N,
        N,
        2 * N
    );
    println!("{:<32} {:>12} {:>12}", "request", "allocations", "bytes");
    for kind in &KINDS {
        let (a1, b1) = run(kind, N);
        let (a3, b3) = run(kind, 3 * N);
        let per = |x: u64, y: u64| y.saturating_sub(x) as f64 / (2 * N) as f64;
        println!("{:<32} {:>12.1} {:>12.0}", kind.name, per(a1, a3), per(b1, b3));
    }
}
