//! Firmware upload: throughput and the server's peak RSS for an 8 MiB and a
//! 64 MiB image, against a plain loopback sink measured in the same run.
//!
//! `cargo bench --bench firmware_upload`

use camcgi_fwimage::{Header, PayloadHasher, Version, HEADER_LEN};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const MIB: u64 = 1 << 20;

fn payload_block(i: u64, buf: &mut [u8]) {
    for (j, b) in buf.iter_mut().enumerate() {
        *b = (i as u8).wrapping_mul(17).wrapping_add(j as u8);
    }
}

/// Streams `len` payload bytes in 64 KiB blocks to `sink`.
fn stream_payload(len: u64, mut sink: impl FnMut(&[u8])) {
    let mut buf = vec![0u8; 64 * 1024];
    let mut left = len;
    let mut i = 0;
    while left > 0 {
        let n = buf.len().min(left as usize);
        payload_block(i, &mut buf[..n]);
        sink(&buf[..n]);
        left -= n as u64;
        i += 1;
    }
}

fn header(len: u64) -> [u8; HEADER_LEN] {
    let mut h = PayloadHasher::default();
    stream_payload(len, |b| h.update(b));
    Header::build("camcgi-mock", Version { major: 9, minor: 0, patch: 0 }, len, h.finish(), None).unwrap()
}

fn vm_hwm_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status.lines().find_map(|l| l.strip_prefix("VmHWM:")).and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok()).unwrap_or(0)
}

struct Server {
    child: Child,
    port: u16,
    _dir: std::path::PathBuf,
}

impl Server {
    fn start(tag: &str) -> Server {
        let dir = std::env::temp_dir().join(format!("camcgi-bench-fw-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let mut child = Command::new(env!("CARGO_BIN_EXE_camcgi"))
            .args(["--listen", "127.0.0.1:0", "--discovery", "off", "--log-level", "info", "--data-dir"])
            .arg(&dir)
            .stderr(Stdio::piped())
            .spawn()
            .expect("camcgi starts");
        let stderr = child.stderr.take().unwrap();
        let mut lines = BufReader::new(stderr).lines();
        let port = loop {
            let line = lines.next().expect("camcgi said where it listens").unwrap();
            if let Some(addr) = line.strip_prefix("INFO  listening on ") {
                break addr.rsplit(':').next().unwrap().parse().unwrap();
            }
        };
        std::thread::spawn(move || for _ in lines {});
        Server { child, port, _dir: dir }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self._dir);
    }
}

/// Uploads an image of `len` payload bytes; returns seconds taken and whether it was accepted.
fn upload(port: u16, len: u64) -> (f64, bool) {
    let head = header(len);
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let start = Instant::now();
    write!(
        s,
        "POST /cgi-bin/OnvifFirmwareUpgrade HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic YWRtaW46MTIzNDU2\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        len + HEADER_LEN as u64
    )
    .unwrap();
    s.write_all(&head).unwrap();
    stream_payload(len, |b| s.write_all(b).unwrap());
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    (start.elapsed().as_secs_f64(), answer.contains("<firmware_upgrade>OK</firmware_upgrade>"))
}

/// The baseline: the same bytes into a plain loopback socket that discards them.
fn sink(len: u64) -> f64 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let reader = std::thread::spawn(move || {
        let (mut c, _) = listener.accept().unwrap();
        let mut buf = vec![0u8; 64 * 1024];
        while c.read(&mut buf).unwrap() > 0 {}
    });
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let start = Instant::now();
    s.write_all(&header(0)).unwrap();
    stream_payload(len, |b| s.write_all(b).unwrap());
    drop(s);
    reader.join().unwrap();
    start.elapsed().as_secs_f64()
}

fn main() {
    println!("firmware upload (mock board, 64 KiB erase blocks, slot files on the host filesystem)");
    println!("{:>8} {:>12} {:>12} {:>10} {:>12} {:>12}", "image", "camcgi MiB/s", "sink MiB/s", "ratio", "idle RSS", "peak RSS");
    let mut peaks = Vec::new();
    for mib in [8u64, 64] {
        let len = mib * MIB;
        let server = Server::start(&mib.to_string());
        std::thread::sleep(Duration::from_millis(200));
        let idle = vm_hwm_kib(server.child.id());
        let (secs, ok) = upload(server.port, len);
        assert!(ok, "the {mib} MiB image was accepted");
        let peak = vm_hwm_kib(server.child.id());
        let sink_secs = sink(len);
        let rate = mib as f64 / secs;
        let sink_rate = mib as f64 / sink_secs;
        println!("{:>5} MiB {:>12.1} {:>12.1} {:>9.3}x {:>9} KiB {:>9} KiB", mib, rate, sink_rate, rate / sink_rate, idle, peak);
        peaks.push(peak);
    }
    let diff = peaks[1] as i64 - peaks[0] as i64;
    println!("peak RSS difference, 64 MiB vs 8 MiB image: {diff} KiB (goal: under 1024 KiB)");
}
