//! Load: camcgi on the mock board against, in the same run, the limit (nginx
//! with one worker process, as a camera has one core, answering the same
//! bytes with `return 200`) and the classic camera stack (BusyBox httpd
//! running a shell CGI for the same image query). Prints requests per
//! second, p50/p99 latency, CPU time per request (the server's user + system
//! time over the requests answered) and camcgi's peak RSS.
//!
//! The servers run on one CPU (a camera has one core) and the load on the
//! others, so that a server and its client never take turns on one core.
//! camcgi and nginx are measured in alternating rounds, so that a change in
//! the machine's other load falls on both; the ratios are the rounds' medians.
//!
//! `cargo bench --bench load` (needs `nginx` and `busybox` for the two peers).
//! `SOAK_SECONDS=600 cargo bench --bench load` runs the soak instead: mixed
//! load for that long, printing RSS, requests and errors each minute.
//! `CAMCGI_BIN=PATH` measures that camcgi binary instead of this build's.
//!
//! HTTPS rows follow: camcgi and nginx with TLS 1.3 and the same P-256
//! certificate (made by `openssl`), the client offering only ChaCha20-Poly1305
//! and X25519 (what camcgi speaks): keep-alive requests and full handshakes,
//! CPU per request and per handshake, and camcgi's RSS with 64 TLS
//! connections open.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[path = "tls_client.rs"]
mod tls_client;
use tls_client::Conn;

fn vm_kib(pid: u32, key: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

struct Server {
    child: Child,
    port: u16,
    /// The HTTPS port, where the server serves HTTPS.
    https: Option<u16>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A process's user + system CPU time so far.
fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The fields after the command name, which is in parentheses.
    let fields: Vec<&str> = stat.rsplit_once(')').map_or("", |(_, rest)| rest).split_whitespace().collect();
    let ticks: u64 = [11, 12].iter().filter_map(|&i| fields.get(i)?.parse::<u64>().ok()).sum();
    let per_second = nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK).ok().flatten().unwrap_or(100) as u64;
    Duration::from_micros(ticks * 1_000_000 / per_second.max(1))
}

/// The CPUs this bench may use: the first for the servers, the rest for the
/// load. With one CPU, both share it.
struct Cpus {
    server: Option<nix::sched::CpuSet>,
    load: Option<nix::sched::CpuSet>,
}

impl Cpus {
    fn split() -> Cpus {
        use nix::sched::{sched_getaffinity, CpuSet};
        use nix::unistd::Pid;
        let Ok(all) = sched_getaffinity(Pid::from_raw(0)) else { return Cpus { server: None, load: None } };
        let ours: Vec<usize> = (0..CpuSet::count()).filter(|&c| all.is_set(c).unwrap_or(false)).collect();
        let Some((&first, rest)) = ours.split_first().filter(|(_, rest)| !rest.is_empty()) else {
            return Cpus { server: None, load: None };
        };
        let mut server = CpuSet::new();
        let _ = server.set(first);
        let mut load = CpuSet::new();
        for &c in rest {
            let _ = load.set(c);
        }
        Cpus { server: Some(server), load: Some(load) }
    }

    fn describe(&self) -> &'static str {
        if self.server.is_some() {
            "servers on one CPU, load on the others"
        } else {
            "one CPU shared by servers and load"
        }
    }

    /// Starts a server on the servers' CPU: a child inherits the affinity of
    /// the thread that starts it, and so do its threads.
    fn on_server_cpu<T>(&self, start: impl FnOnce() -> T) -> T {
        use nix::sched::sched_setaffinity;
        use nix::unistd::Pid;
        if let Some(cpus) = &self.server {
            let _ = sched_setaffinity(Pid::from_raw(0), cpus);
        }
        let started = start();
        if let Some(cpus) = &self.load {
            let _ = sched_setaffinity(Pid::from_raw(0), cpus);
        }
        started
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn camcgi(dir: &std::path::Path) -> Server {
    // CAMCGI_BIN measures another build of the same code (a static musl one).
    let bin = std::env::var_os("CAMCGI_BIN").unwrap_or_else(|| env!("CARGO_BIN_EXE_camcgi").into());
    let mut child = Command::new(bin)
        .args(["--listen", "127.0.0.1:0", "--https-listen", "127.0.0.1:0", "--discovery", "off", "--log-level", "info", "--data-dir"])
        .arg(dir)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let (mut port, mut https) = (None, None);
    while port.is_none() || https.is_none() {
        let line = lines.next().unwrap().unwrap();
        if let Some(addr) = line.strip_prefix("INFO  listening on ") {
            let secure = addr.strip_suffix(" (HTTPS)");
            let number = secure.unwrap_or(addr).rsplit(':').next().unwrap().parse().ok();
            if secure.is_some() {
                https = number;
            } else {
                port = number;
            }
        }
    }
    std::thread::spawn(move || for _ in lines {});
    Server { child, port: port.unwrap(), https }
}

fn busybox(dir: &std::path::Path) -> Option<Server> {
    let root = dir.join("www");
    std::fs::create_dir_all(root.join("cgi-bin")).ok()?;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/busybox/cgi-bin/image");
    std::fs::copy(script, root.join("cgi-bin/image")).ok()?;
    let port = free_port();
    let child = Command::new("busybox")
        .args(["httpd", "-f", "-p", &format!("127.0.0.1:{port}"), "-h"])
        .arg(&root)
        .env("SESSIONS", dir.join("sessions"))
        .env("SETTINGS", dir.join("image.conf"))
        .spawn()
        .ok()?;
    let deadline = Instant::now() + Duration::from_secs(5);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Some(Server { child, port, https: None })
}

/// nginx with one worker process and no master, answering `body` to every
/// request as camcgi answers the image query.
fn nginx(dir: &std::path::Path, body: &str, tls: Option<(&std::path::Path, &std::path::Path)>) -> Option<Server> {
    std::fs::create_dir_all(dir.join("logs")).ok()?;
    let port = free_port();
    let https = tls.map(|_| free_port());
    let tls_server = match (tls, https) {
        (Some((certificate, key)), Some(https)) => format!(
            "  server {{\n    listen 127.0.0.1:{https} ssl;\n    ssl_certificate {};\n    ssl_certificate_key {};\n    \
             ssl_protocols TLSv1.3;\n    ssl_session_tickets off;\n    \
             location / {{ default_type 'text/xml; charset=UTF-8'; add_header Cache-Control no-store; return 200 '{}'; }}\n  }}\n",
            certificate.display(),
            key.display(),
            body.replace('\\', "\\\\").replace('\'', "\\'")
        ),
        _ => String::new(),
    };
    let quoted = body.replace('\\', "\\\\").replace('\'', "\\'");
    let temp = dir.display();
    let conf = format!(
        "worker_processes 1;\ndaemon off;\nmaster_process off;\nerror_log stderr crit;\npid {temp}/nginx.pid;\n\
         events {{ worker_connections 1024; }}\nhttp {{\n  access_log off;\n  \
         client_body_temp_path {temp}; proxy_temp_path {temp}; fastcgi_temp_path {temp}; uwsgi_temp_path {temp}; scgi_temp_path {temp};\n  \
         server {{\n    listen 127.0.0.1:{port};\n    \
         location / {{ default_type 'text/xml; charset=UTF-8'; add_header Cache-Control no-store; return 200 '{quoted}'; }}\n  }}\n{tls_server}}}\n"
    );
    std::fs::write(dir.join("nginx.conf"), conf).ok()?;
    let child = Command::new("nginx").arg("-c").arg(dir.join("nginx.conf")).arg("-p").arg(dir).stderr(Stdio::null()).spawn().ok()?;
    let server = Server { child, port, https };
    let deadline = Instant::now() + Duration::from_secs(5);
    while TcpStream::connect(("127.0.0.1", https.unwrap_or(port))).is_err() {
        if Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Some(server)
}

fn read_response(s: &mut impl Read, buf: &mut Vec<u8>) -> bool {
    buf.clear();
    let mut chunk = [0u8; 4096];
    loop {
        let n = match s.read(&mut chunk) {
            Ok(0) | Err(_) => return !buf.is_empty(),
            Ok(n) => n,
        };
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            if let Some(len) = head.lines().find_map(|l| l.strip_prefix("content-length:")) {
                if buf.len() >= end + 4 + len.trim().parse::<usize>().unwrap_or(0) {
                    return true;
                }
            }
        }
    }
}

/// Runs `threads` clients for `secs`, each sending `paths` in turn; returns
/// the latencies of the answers (sorted) and how many requests failed or
/// were answered with a status other than 200.
fn load(port: u16, threads: usize, secs: f64, paths: &[String], keep_alive: bool) -> (Vec<Duration>, usize) {
    load_over(port, None, threads, secs, paths, keep_alive)
}

/// `load`, over TLS when `tls` is given (a new connection is a handshake).
fn load_over(
    port: u16,
    tls: Option<std::sync::Arc<rustls::ClientConfig>>,
    threads: usize,
    secs: f64,
    paths: &[String],
    keep_alive: bool,
) -> (Vec<Duration>, usize) {
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let paths = paths.to_vec();
            let tls = tls.clone();
            std::thread::spawn(move || {
                let mut lat = Vec::new();
                let mut errors = 0;
                let mut buf = Vec::new();
                let mut conn: Option<Conn> = None;
                let mut i = t;
                while Instant::now() < deadline {
                    let path = &paths[i % paths.len()];
                    i += 1;
                    let start = Instant::now();
                    let mut s = match conn.take() {
                        Some(s) => s,
                        None => match Conn::open(port, tls.as_ref()) {
                            Ok(s) => s,
                            Err(_) => {
                                errors += 1;
                                continue;
                            }
                        },
                    };
                    let close = if keep_alive { "" } else { "Connection: close\r\n" };
                    // One write per request, as real clients send it.
                    let request = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{close}\r\n");
                    if s.write_all(request.as_bytes()).is_err() || !read_response(&mut s, &mut buf) {
                        // A keep-alive connection the server closed at its timeout is no error.
                        errors += usize::from(!keep_alive);
                        continue;
                    }
                    if !buf.starts_with(b"HTTP/1.1 200") {
                        errors += 1;
                    }
                    lat.push(start.elapsed());
                    if keep_alive {
                        conn = Some(s);
                    }
                }
                (lat, errors)
            })
        })
        .collect();
    let mut all = Vec::new();
    let mut errors = 0;
    for h in handles {
        let (lat, e) = h.join().unwrap();
        all.extend(lat);
        errors += e;
    }
    all.sort();
    (all, errors)
}

/// Mixed load for `total` seconds: image queries and sets on keep-alive
/// connections, queries on a new connection each, snapshots; RSS each minute.
fn soak(cam: &Server, uid: &str, total: u64) {
    let keep: Vec<String> = (0..8)
        .map(|i| if i % 4 == 3 { format!("/cgi-bin/image?brightness={}&uid={uid}", 100 + i) } else { format!("/cgi-bin/image?uid={uid}") })
        .collect();
    let fresh = vec![format!("/cgi-bin/osd?uid={uid}"), format!("/cgi-bin/motion?uid={uid}")];
    let snapshots = vec![format!("/cgi-bin/snapshot.cgi?uid={uid}")];
    let pid = cam.child.id();
    println!("soak: {total} s of mixed load (8 keep-alive query/set clients, 4 new-connection clients, 1 snapshot client)");
    // RssAnon is the heap and the stacks; the rest of RSS is code and
    // libraries paged in as new paths run, which a leak does not grow.
    println!("{:>6} {:>10} {:>8} {:>10} {:>10} {:>10} {:>8}", "minute", "requests", "errors", "RSS KiB", "anon KiB", "peak KiB", "threads");
    let start_rss = vm_kib(pid, "VmRSS:");
    let start_anon = vm_kib(pid, "RssAnon:");
    let mut minute = 0;
    let mut requests = 0;
    let mut errors = 0;
    let mut rss = Vec::new();
    let mut anon = Vec::new();
    while (minute * 60) < total {
        let secs = (total - minute * 60).min(60) as f64;
        let runs = [(keep.clone(), 8, true), (fresh.clone(), 4, false), (snapshots.clone(), 1, true)];
        let results: Vec<_> = std::thread::scope(|scope| {
            let handles: Vec<_> = runs.iter().map(|(paths, n, ka)| scope.spawn(move || load(cam.port, *n, secs, paths, *ka))).collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        minute += 1;
        let n: usize = results.iter().map(|(l, _)| l.len()).sum();
        let e: usize = results.iter().map(|(_, e)| e).sum();
        requests += n;
        errors += e;
        let now = vm_kib(pid, "VmRSS:");
        let now_anon = vm_kib(pid, "RssAnon:");
        rss.push(now);
        anon.push(now_anon);
        println!("{minute:>6} {n:>10} {e:>8} {now:>10} {now_anon:>10} {:>10} {:>8}", vm_kib(pid, "VmHWM:"), vm_kib(pid, "Threads:"));
    }
    let growth = |v: &[u64], start: u64| {
        let (first, last) = (v.first().copied().unwrap_or(start), v.last().copied().unwrap_or(start));
        (first, last, last as i64 - first as i64)
    };
    let (first, last, grew) = growth(&rss, start_rss);
    let (first_anon, last_anon, grew_anon) = growth(&anon, start_anon);
    println!(
        "soak: {requests} requests, {errors} errors; RSS {start_rss} KiB before, {first} KiB after the first minute, {last} KiB at the end ({grew:+} KiB); \
         anonymous {start_anon} KiB, {first_anon} KiB, {last_anon} KiB ({grew_anon:+} KiB)"
    );
    // Buffers, tables and the allocator's pools reach their working size in
    // the first minutes; a leak keeps growing through the second half.
    let half = anon.len() / 2;
    if let (Some(mid), Some(end)) = (half.checked_sub(1).and_then(|i| anon.get(i)), anon.last()) {
        println!("soak: anonymous memory over the second half: {mid} KiB -> {end} KiB ({:+} KiB)", *end as i64 - *mid as i64);
    }
}

fn pct(l: &[Duration], p: f64) -> f64 {
    if l.is_empty() {
        return f64::NAN;
    }
    l[((l.len() - 1) as f64 * p) as usize].as_secs_f64() * 1000.0
}

fn main() {
    let secs: f64 = std::env::var("LOAD_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(3.0);
    let dir = std::env::temp_dir().join(format!("camcgi-bench-load-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let cpus = Cpus::split();
    let cam = cpus.on_server_cpu(|| camcgi(&dir.join("camcgi")));
    std::thread::sleep(Duration::from_millis(300));
    let idle = vm_kib(cam.child.id(), "VmRSS:");
    let mut buf = Vec::new();
    let mut s = TcpStream::connect(("127.0.0.1", cam.port)).unwrap();
    write!(s, "GET /cgi-bin/getuid?username=admin&password=123456 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").unwrap();
    read_response(&mut s, &mut buf);
    let text = String::from_utf8_lossy(&buf);
    let uid = text.split("<uid>").nth(1).and_then(|r| r.split("</uid>").next()).unwrap().to_string();
    if let Some(total) = std::env::var("SOAK_SECONDS").ok().and_then(|s| s.parse().ok()) {
        soak(&cam, &uid, total);
        let _ = std::fs::remove_dir_all(&dir);
        return;
    }
    let query = vec![format!("/cgi-bin/image?uid={uid}")];
    let mixed: Vec<String> = (0..8)
        .map(|i| if i % 4 == 3 { format!("/cgi-bin/image?brightness={}&uid={uid}", 100 + i) } else { format!("/cgi-bin/image?uid={uid}") })
        .collect();

    // The limit answers exactly what camcgi answers.
    let mut s = TcpStream::connect(("127.0.0.1", cam.port)).unwrap();
    write!(s, "GET {} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", query[0]).unwrap();
    read_response(&mut s, &mut buf);
    let text = String::from_utf8_lossy(&buf).into_owned();
    let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    let ngx = cpus.on_server_cpu(|| nginx(&dir.join("nginx"), body, None));

    println!(
        "load: {secs} s per run, loopback, {}, mock board, {}; camcgi idle RSS {idle} KiB",
        std::env::var("CAMCGI_BIN").map_or("release build".to_string(), |b| format!("binary {b}")),
        cpus.describe()
    );
    println!("{:<44} {:>10} {:>9} {:>9} {:>12} {:>11}", "run", "req/s", "p50 ms", "p99 ms", "CPU us/req", "peak RSS");
    let measure = |name: &str, server: &Server, paths: &[String], conns: usize, keep: bool, rss: bool| {
        let cpu0 = cpu_time(server.child.id());
        let (lat, _) = load(server.port, conns, secs, paths, keep);
        let cpu = cpu_time(server.child.id()).saturating_sub(cpu0);
        let qps = lat.len() as f64 / secs;
        let per_request = cpu.as_secs_f64() * 1e6 / lat.len().max(1) as f64;
        let peak = if rss { format!("{:>7} KiB", vm_kib(server.child.id(), "VmHWM:")) } else { String::new() };
        println!("{name:<44} {qps:>10.0} {:>9.3} {:>9.3} {per_request:>12.1} {peak:>11}", pct(&lat, 0.5), pct(&lat, 0.99));
        (qps, per_request, pct(&lat, 0.99))
    };
    let rounds: usize = std::env::var("LOAD_ROUNDS").ok().and_then(|s| s.parse().ok()).unwrap_or(3).max(1);
    let (mut cpu_ratios, mut qps_ratios, mut p99s, mut camcgi_qpss) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        let (camcgi_qps, camcgi_cpu, camcgi_p99) = measure("camcgi image query, keep-alive, 8 conns", &cam, &query, 8, true, true);
        p99s.push(camcgi_p99);
        camcgi_qpss.push(camcgi_qps);
        if let Some(ngx) = &ngx {
            let (qps, cpu, _) = measure("nginx, 1 worker, same bytes, keep-alive, 8", ngx, &query, 8, true, false);
            cpu_ratios.push(camcgi_cpu / cpu);
            qps_ratios.push(camcgi_qps / qps);
        }
    }
    for (name, paths, conns, keep) in [
        ("camcgi image query, new connection each, 8", &query, 8, false),
        ("camcgi 3 queries : 1 set, keep-alive, 8", &mixed, 8, true),
        ("camcgi image query, keep-alive, 64 conns", &query, 64, true),
    ] {
        measure(name, &cam, paths, conns, keep, true);
    }
    let camcgi_qps = median(camcgi_qpss);
    if ngx.is_some() {
        println!(
            "camcgi / nginx at 8 keep-alive connections, median of {rounds} alternating rounds: CPU per request {:.2}x (goal: at most 1.5x), \
             req/s {:.2}x (goal: at least 0.8x); camcgi p99 {:.3} ms (goal: under 1 ms)",
            median(cpu_ratios),
            median(qps_ratios),
            median(p99s)
        );
    } else {
        println!("nginx not found: no limit (apt-get install nginx)");
    }
    https_rows(&cpus, &cam, &dir, &query, body, secs, rounds);
    let sessions = dir.join("busybox");
    std::fs::create_dir_all(&sessions).unwrap();
    std::fs::write(sessions.join("sessions"), format!("{uid}\n")).unwrap();
    std::fs::write(sessions.join("image.conf"), "brightness=128\ncontrast=128\nsaturation=128\nsharpness=128\n").unwrap();
    match cpus.on_server_cpu(|| busybox(&sessions)) {
        Some(bb) => {
            let (qps, _, _) = measure("busybox httpd + shell CGI, 8 conns", &bb, &query, 8, false, false);
            println!("camcgi / busybox+CGI, image query at 8 connections: {:.1}x (goal: at least 30x)", camcgi_qps / qps);
        }
        None => println!("busybox not found: no baseline (apt-get install busybox)"),
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The HTTPS rows: camcgi against nginx with TLS 1.3 and the same P-256
/// certificate, in alternating rounds; then camcgi's RSS with 64 TLS
/// connections open.
fn https_rows(cpus: &Cpus, cam: &Server, dir: &std::path::Path, query: &[String], body: &str, secs: f64, rounds: usize) {
    let Some(https) = cam.https else { return };
    let (certificate, key) = (dir.join("tls.crt"), dir.join("tls.key"));
    let made = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "30"])
        .args([
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-addext",
            "basicConstraints=critical,CA:FALSE",
            "-keyout",
        ])
        .arg(&key)
        .arg("-out")
        .arg(&certificate)
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !made {
        return println!("openssl not found: no HTTPS rows (apt-get install openssl)");
    }
    // camcgi takes the same certificate and key as nginx.
    let pem = [std::fs::read(&certificate).unwrap(), std::fs::read(&key).unwrap()].concat();
    let mut s = TcpStream::connect(("127.0.0.1", cam.port)).unwrap();
    write!(
        s,
        "POST /cgi-bin/https_certificate HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic YWRtaW46MTIzNDU2\r\nConnection: close\r\nContent-Length: {}\r\n\r\n",
        pem.len()
    )
    .unwrap();
    s.write_all(&pem).unwrap();
    let mut buf = Vec::new();
    read_response(&mut s, &mut buf);
    assert!(buf.starts_with(b"HTTP/1.1 200"), "certificate installed: {}", String::from_utf8_lossy(&buf));
    let pem_text = std::fs::read_to_string(&certificate).unwrap();
    let keep = tls_client::client_config(&pem_text, true);
    let fresh = tls_client::client_config(&pem_text, false);
    let ngx = cpus.on_server_cpu(|| nginx(&dir.join("nginx-tls"), body, Some((&certificate, &key))));
    let Some(ngx) = ngx else { return println!("nginx not found: no HTTPS limit") };
    let ngx_https = ngx.https.unwrap_or(ngx.port);

    println!("HTTPS: TLS 1.3, TLS_CHACHA20_POLY1305_SHA256, X25519, the same ECDSA P-256 certificate for both");
    println!("{:<44} {:>10} {:>9} {:>9} {:>12} {:>11}", "run", "req/s", "p50 ms", "p99 ms", "CPU us/req", "peak RSS");
    let measure = |name: &str, server: &Server, port: u16, tls: &std::sync::Arc<rustls::ClientConfig>, keep_alive: bool| {
        let cpu0 = cpu_time(server.child.id());
        let (lat, errors) = load_over(port, Some(tls.clone()), 8, secs, query, keep_alive);
        let cpu = cpu_time(server.child.id()).saturating_sub(cpu0);
        let per = cpu.as_secs_f64() * 1e6 / lat.len().max(1) as f64;
        let qps = lat.len() as f64 / secs;
        let errors = if errors > 0 { format!(" ({errors} errors)") } else { String::new() };
        println!(
            "{name:<44} {qps:>10.0} {:>9.3} {:>9.3} {per:>12.1} {:>7} KiB{errors}",
            pct(&lat, 0.5),
            pct(&lat, 0.99),
            vm_kib(server.child.id(), "VmHWM:")
        );
        (qps, per)
    };
    let (mut request_ratios, mut handshake_ratios, mut handshake_rates) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        let (_, ours) = measure("camcgi HTTPS image query, keep-alive, 8", cam, https, &keep, true);
        let (_, theirs) = measure("nginx TLS 1.3, same bytes, keep-alive, 8", &ngx, ngx_https, &keep, true);
        request_ratios.push(ours / theirs);
        let (rate, ours) = measure("camcgi HTTPS, a full handshake each, 8", cam, https, &fresh, false);
        let (nginx_rate, theirs) = measure("nginx TLS 1.3, a full handshake each, 8", &ngx, ngx_https, &fresh, false);
        handshake_ratios.push(ours / theirs);
        handshake_rates.push(rate / nginx_rate);
    }
    println!(
        "camcgi / nginx over TLS 1.3, median of {rounds} alternating rounds: CPU per keep-alive request {:.2}x (goal: at most 1.5x); \
         CPU per handshake {:.2}x, handshakes per second {:.2}x",
        median(request_ratios),
        median(handshake_ratios),
        median(handshake_rates)
    );

    // 64 TLS connections, each with one request answered, held open.
    let pid = cam.child.id();
    std::thread::sleep(Duration::from_millis(300));
    let before = vm_kib(pid, "VmRSS:");
    let mut open = Vec::new();
    for _ in 0..64 {
        let Ok(mut c) = Conn::open(https, Some(&keep)) else { break };
        if write!(c, "GET {} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", query[0]).is_ok() && read_response(&mut c, &mut buf) {
            open.push(c);
        }
    }
    std::thread::sleep(Duration::from_millis(300));
    let with = vm_kib(pid, "VmRSS:");
    println!(
        "camcgi RSS with {} TLS connections open: {with} KiB, {before} KiB before ({:+} KiB, {:.1} KiB each; goal: under 6 MiB)",
        open.len(),
        with as i64 - before as i64,
        (with as f64 - before as f64) / open.len().max(1) as f64
    );
}
