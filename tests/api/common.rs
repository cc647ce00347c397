//! The test harness: a camera on the mock board, on a loopback port, with a
//! manual monotonic clock; and a small HTTP client that shows raw answers.

use camcgi::interfaces::firmware::Policy;
use camcgi::{Config, Running};
use camcgi_hal::mock::MockBoard;
use camcgi_hal::FlashGeometry;
use camcgi_hal::ManualMonotonic;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The `camcgi` binary as a command.
pub fn camcgi_command() -> std::process::Command {
    wrapped(env!("CARGO_BIN_EXE_camcgi"))
}

/// The qemu-user that runs this test binary's own architecture, as
/// `.cargo/config.toml` names it for the runner.
fn default_wrapper() -> &'static str {
    match (std::env::consts::ARCH, cfg!(target_env = "musl")) {
        ("arm", false) => "qemu-arm-static -L /usr/arm-linux-gnueabihf",
        ("arm", true) => "qemu-arm-static",
        ("aarch64", false) => "qemu-aarch64-static -L /usr/aarch64-linux-gnu",
        ("aarch64", true) => "qemu-aarch64-static",
        _ => "",
    }
}

/// A binary built for the tests' target, as a command. When the tests run as
/// foreign binaries under qemu-user on a host without binfmt_misc, the host
/// cannot exec the binary (ENOEXEC, which glibc's posix_spawn even retries as
/// a shell script): `CAMCGI_EXEC_WRAPPER`, or else the target's qemu-user,
/// runs it. The probe is `BIN --help`, which exits 2 with the usage.
pub fn wrapped(bin: &str) -> std::process::Command {
    static WRAPPER: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let wrapper = WRAPPER.get_or_init(|| match std::env::var("CAMCGI_EXEC_WRAPPER") {
        Ok(w) => w,
        Err(_) => {
            let mut probe = std::process::Command::new(bin);
            probe.arg("--help").stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null());
            match spawn(&mut probe).and_then(|mut child| child.wait()) {
                Ok(status) if status.code() == Some(2) => String::new(),
                _ => default_wrapper().to_string(),
            }
        }
    });
    let mut parts = wrapper.split_whitespace();
    match parts.next() {
        Some(program) => {
            let mut c = std::process::Command::new(program);
            c.args(parts).arg(bin);
            c
        }
        None => std::process::Command::new(bin),
    }
}

/// Spawns `command`; under qemu-user, also sees the child through its exec.
///
/// qemu-user has no vfork: a guest's spawn forks the whole emulator, and a
/// fork while other threads of this test process run now and then leaves
/// the child stuck on an emulator lock before it execs (one spawn in one to
/// three thousand, with other threads connecting and starting threads; in
/// CI a client test never ended, and a camera never said where it listens).
/// A child still running this test binary after `STUCK` is killed and
/// spawned again. With musl, the spawn itself waits for the child's exec
/// (a pipe `posix_spawn` reads), so a watchdog looks for stuck children of
/// this process while the spawn is under way.
pub fn spawn(command: &mut std::process::Command) -> std::io::Result<std::process::Child> {
    const ATTEMPTS: usize = 3;
    if !emulated() {
        return command.spawn();
    }
    let Some(this_binary) = std::env::current_exe()?.file_name().map(|n| n.to_os_string()) else {
        return command.spawn();
    };
    for _ in 0..ATTEMPTS {
        let mut child = watched(&this_binary, || command.spawn())?;
        if killed_stuck().contains(&child.id()) {
            let _ = child.wait();
            say(&format!("NOTE: a child stuck in its spawn under qemu-user was killed and is spawned again: {command:?}"));
            continue;
        }
        let forked = std::time::Instant::now();
        while runs_binary(child.id(), &this_binary) && forked.elapsed() < STUCK {
            std::thread::sleep(Duration::from_millis(2));
        }
        if !runs_binary(child.id(), &this_binary) {
            return Ok(child);
        }
        let _ = child.kill();
        let _ = child.wait();
        say(&format!("NOTE: a child stuck before its exec under qemu-user was killed and is spawned again: {command:?}"));
    }
    Err(std::io::Error::other(format!("stuck before its exec under qemu-user {ATTEMPTS} times: {command:?}")))
}

/// How long a child may run this test binary before it counts as stuck.
const STUCK: Duration = Duration::from_secs(10);

/// The children the watchdog killed, stuck before their exec.
fn killed_stuck() -> std::sync::MutexGuard<'static, Vec<u32>> {
    static KILLED: std::sync::Mutex<Vec<u32>> = std::sync::Mutex::new(Vec::new());
    KILLED.lock().unwrap_or_else(|p| p.into_inner())
}

/// Runs `spawning` while a watchdog kills (and records in `killed_stuck`)
/// every child of this process that has run this test binary for `STUCK`.
fn watched<T>(this_binary: &std::ffi::OsStr, spawning: impl FnOnce() -> T) -> T {
    use std::sync::atomic::AtomicBool;
    let done = Arc::new(AtomicBool::new(false));
    let watchdog = {
        let (done, this_binary) = (done.clone(), this_binary.to_os_string());
        std::thread::spawn(move || {
            let mut seen: Vec<(u32, std::time::Instant)> = Vec::new();
            while !done.load(Ordering::SeqCst) {
                for pid in children_of(std::process::id()) {
                    if !runs_binary(pid, &this_binary) {
                        continue;
                    }
                    let first = match seen.iter().find(|(p, _)| *p == pid) {
                        Some((_, t)) => *t,
                        None => {
                            seen.push((pid, std::time::Instant::now()));
                            continue;
                        }
                    };
                    if first.elapsed() >= STUCK {
                        let mut killed = killed_stuck();
                        if !killed.contains(&pid) {
                            killed.push(pid);
                            let target = nix::unistd::Pid::from_raw(i32::try_from(pid).unwrap_or(0));
                            let _ = nix::sys::signal::kill(target, nix::sys::signal::Signal::SIGKILL);
                        }
                    }
                }
                std::thread::sleep(Duration::from_millis(200));
            }
        })
    };
    let out = spawning();
    done.store(true, Ordering::SeqCst);
    let _ = watchdog.join();
    out
}

/// The processes whose parent is `parent`, from /proc.
fn children_of(parent: u32) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else { return Vec::new() };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            // The parent is the second field after the command, which is in parentheses.
            stat.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().nth(1)?.parse::<u32>().ok()) == Some(parent)
        })
        .collect()
}

/// Whether process `pid` runs a program of this name, by its host command
/// line (qemu-user's, with the guest binary among its arguments).
fn runs_binary(pid: u32, name: &std::ffi::OsStr) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    cmdline.split(|b| *b == 0).any(|arg| Path::new(std::ffi::OsStr::from_bytes(arg)).file_name() == Some(name))
}

/// `command`'s exit status and output, as `Command::output` gives them,
/// spawned by `spawn`.
pub fn output(command: &mut std::process::Command) -> std::io::Result<std::process::Output> {
    use std::process::Stdio;
    spawn(command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()))?.wait_with_output()
}

/// The connection timeout test cameras run with.
pub const TIMEOUT: Duration = Duration::from_secs(2);

/// The test board's firmware slots.
pub const SLOT: FlashGeometry = FlashGeometry { erase_size: 4096, capacity: 1 << 20 };

/// A fresh directory under the system temp dir, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new() -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("camcgi-test-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// An HTTP answer.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The text between `<tag>` and `</tag>`.
    pub fn element(&self, tag: &str) -> Option<String> {
        let text = self.text();
        let open = format!("<{tag}>");
        let start = text.find(&open)? + open.len();
        let end = text[start..].find(&format!("</{tag}>"))? + start;
        Some(text[start..end].to_string())
    }

    /// The value of `name="…"` in the answer.
    pub fn attr(&self, name: &str) -> Option<String> {
        let text = self.text();
        let key = format!(" {name}=\"");
        let start = text.find(&key)? + key.len();
        let end = text[start..].find('"')? + start;
        Some(text[start..end].to_string())
    }

    /// The root element's name, after the declaration line.
    pub fn root(&self) -> String {
        let text = self.text();
        let rest = text.strip_prefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n").unwrap_or_else(|| panic!("no declaration: {text}"));
        rest.trim_start_matches('<').split([' ', '>', '/']).next().unwrap().to_string()
    }
}

/// The exact fault document for a path and a reason.
pub fn fault_doc(value: &str, reason: &str) -> String {
    format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<fault><value>{value}</value><reason>{reason}</reason></fault>\n")
}

/// Asserts a fault: status, `text/xml`, and the exact document.
#[track_caller]
pub fn assert_fault(resp: &Resp, status: u16, value: &str, reason: &str) {
    assert_eq!(resp.text(), fault_doc(value, reason), "status {}", resp.status);
    assert_eq!(resp.status, status, "{}", resp.text());
    assert_eq!(resp.header("Content-Type"), Some("text/xml; charset=UTF-8"));
    assert_eq!(resp.header("Cache-Control"), Some("no-store"));
}

/// Asserts a 200 XML answer and returns it.
#[track_caller]
pub fn assert_ok(resp: Resp, root: &str) -> Resp {
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(resp.root(), root, "{}", resp.text());
    resp
}

/// Sends one request with `Connection: close` and reads the whole answer.
pub fn request(port: u16, method: &str, target: &str, extra_headers: &str) -> Resp {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(40))).unwrap();
    write!(stream, "{method} {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n{extra_headers}\r\n").unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    parse_response(&raw)
}

/// Sends raw bytes, reads until the camera closes, and returns all it answered.
pub fn raw_request(port: u16, raw: &str) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(raw.as_bytes()).unwrap();
    let mut got = Vec::new();
    let _ = s.read_to_end(&mut got);
    String::from_utf8_lossy(&got).into_owned()
}

pub fn parse_response(raw: &[u8]) -> Resp {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("no header end");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers = lines.filter_map(|l| l.split_once(':')).map(|(n, v)| (n.trim().to_string(), v.trim().to_string())).collect();
    Resp { status, headers, body: raw[split + 4..].to_vec() }
}

/// A camera on the mock board.
pub struct Cam {
    pub mock: MockBoard,
    pub clock: ManualMonotonic,
    pub running: Option<Running>,
    pub dir: Arc<TempDir>,
}

impl Cam {
    pub fn start() -> Cam {
        Cam::start_in(Arc::new(TempDir::new()))
    }

    pub fn start_in(dir: Arc<TempDir>) -> Cam {
        let clock = ManualMonotonic::new();
        let mock = MockBoard::with_clock(Arc::new(clock.clone()));
        Cam::start_with(dir, mock, clock)
    }

    pub fn start_with(dir: Arc<TempDir>, mock: MockBoard, clock: ManualMonotonic) -> Cam {
        Cam::start_with_policy(dir, mock, clock, Policy::default())
    }

    /// A camera whose firmware slots are files in `DIR/firmware` (1 MiB, 4 KiB blocks).
    pub fn start_with_policy(dir: Arc<TempDir>, mock: MockBoard, clock: ManualMonotonic, policy: Policy) -> Cam {
        Cam::start_configured(dir, mock, clock, |config| config.firmware = policy)
    }

    /// A camera started with a configuration the test adjusts.
    pub fn start_configured(dir: Arc<TempDir>, mock: MockBoard, clock: ManualMonotonic, adjust: impl FnOnce(&mut Config)) -> Cam {
        mock.attach_firmware(&dir.0.join("firmware"), SLOT).unwrap();
        let mut config = Config::new("127.0.0.1:0".parse().unwrap(), dir.0.clone());
        config.tick = Duration::from_millis(20);
        config.timeout = Some(TIMEOUT);
        adjust(&mut config);
        let running = camcgi::start(&config, mock.board(), Arc::new(clock.clone())).unwrap();
        Cam { mock, clock, running: Some(running), dir }
    }

    /// Powers the camera off and on: a new board on the same data directory.
    pub fn power_cycle(mut self, policy: Policy) -> Cam {
        self.stop();
        let dir = self.dir.clone();
        let clock = ManualMonotonic::new();
        let mock = MockBoard::with_clock(Arc::new(clock.clone()));
        Cam::start_with_policy(dir, mock, clock, policy)
    }

    pub fn port(&self) -> u16 {
        self.running.as_ref().unwrap().port()
    }

    pub fn data_dir(&self) -> &Path {
        &self.dir.0
    }

    pub fn get(&self, target: &str) -> Resp {
        request(self.port(), "GET", target, "")
    }

    pub fn get_with(&self, target: &str, headers: &str) -> Resp {
        request(self.port(), "GET", target, headers)
    }

    /// Logs in and returns the uid.
    pub fn login(&self, user: &str, password: &str) -> String {
        let r = self.get(&format!("/cgi-bin/getuid?username={user}&password={password}"));
        assert_eq!(r.status, 200, "{}", r.text());
        r.element("uid").unwrap()
    }

    pub fn admin(&self) -> String {
        self.login("admin", "123456")
    }

    /// Adds an account as admin and logs it in.
    pub fn user_with(&self, name: &str, privilege: &str) -> String {
        let uid = self.admin();
        let r = self.get(&format!(
            "/cgi-bin/user_management?action=add&name={name}&newpasswd=pw{name}&privilege={privilege}&enable=Enable&uid={uid}"
        ));
        assert_eq!(r.status, 200, "{}", r.text());
        self.login(name, &format!("pw{name}"))
    }

    /// Waits (briefly, polling) until `cond` holds.
    /// Moves the clock on, and returns once the camera's periodic checks
    /// have run on the new time: two more completed, as one under way when
    /// the clock moved may have read the old time.
    pub fn advance_and_tick(&self, by: Duration) {
        let app = self.running.as_ref().unwrap().app().clone();
        self.clock.advance(by);
        let seen = app.ticks();
        self.eventually("two periodic checks", || app.ticks() >= seen + 2);
    }

    pub fn eventually(&self, what: &str, cond: impl Fn() -> bool) {
        for _ in 0..500 {
            if cond() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("never happened: {what}");
    }

    pub fn stop(&mut self) {
        if let Some(r) = self.running.take() {
            r.stop();
        }
    }
}

impl Drop for Cam {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The camcgi binary on a data directory, with its stderr collected.
pub struct Process {
    pub child: std::process::Child,
    pub port: u16,
    early: Vec<String>,
    log: std::sync::mpsc::Receiver<String>,
}

/// How to start a command where /proc is an empty file system: `unshare`
/// with a mount namespace of its own (as root, or in a user namespace),
/// where a shell mounts a tmpfs over /proc and checks that it is empty.
/// `None` where no namespace can be made, or when the tests run under
/// qemu-user (which itself reads /proc); said once, loudly.
fn proc_hiding() -> Option<&'static [&'static str]> {
    static HIDING: std::sync::OnceLock<Option<&'static [&'static str]>> = std::sync::OnceLock::new();
    *HIDING.get_or_init(|| {
        if emulated() {
            say("NOTE: under qemu-user the camcgi processes see /proc (qemu reads it); the host run hides it");
            return None;
        }
        let ways: [&'static [&'static str]; 2] = [&["unshare", "--mount"], &["unshare", "--map-root-user", "--mount"]];
        let found = ways.into_iter().find(|way| {
            let mut probe = std::process::Command::new(way[0]);
            probe.args(&way[1..]).args(["sh", "-c", HIDE_PROC]).arg("true").stderr(std::process::Stdio::null());
            spawn(&mut probe).and_then(|mut child| child.wait()).is_ok_and(|s| s.success())
        });
        if found.is_none() {
            say("WARNING: no mount namespace here (unshare failed): camcgi processes run with /proc visible");
        }
        found
    })
}

/// Hides /proc, then runs "$0" "$@".
const HIDE_PROC: &str = "mount -t tmpfs camcgi-no-proc /proc && test ! -e /proc/self && exec \"$0\" \"$@\"";

impl Process {
    /// The binary, with /proc hidden from it wherever the host allows (see
    /// `proc_hiding`): nothing in camcgi may depend on /proc.
    pub fn start(dir: &Path, extra: &[&str]) -> Process {
        Process::start_command(camcgi_command(), dir, extra)
    }

    /// A command that runs the binary, with /proc hidden as for `start`.
    pub fn start_command(inner: std::process::Command, dir: &Path, extra: &[&str]) -> Process {
        Process::start_scripted(inner, "exec \"$0\" \"$@\"", dir, extra)
    }

    /// The binary with at most `files` open file descriptors (soft and hard limit).
    pub fn start_with_file_limit(files: u32, dir: &Path, extra: &[&str]) -> Process {
        Process::start_scripted(camcgi_command(), &format!("ulimit -n {files} && exec \"$0\" \"$@\""), dir, extra)
    }

    /// `inner` run by `sh -c SCRIPT`, inside the /proc-hiding namespace when there is one.
    fn start_scripted(inner: std::process::Command, script: &str, dir: &Path, extra: &[&str]) -> Process {
        let mut command = match proc_hiding() {
            Some(way) => {
                let mut c = std::process::Command::new(way[0]);
                c.args(&way[1..]).args(["sh", "-c", HIDE_PROC, "sh", "-c", script]);
                c
            }
            None => {
                let mut c = std::process::Command::new("sh");
                c.args(["-c", script]);
                c
            }
        };
        command.arg(inner.get_program()).args(inner.get_args());
        for (key, value) in inner.get_envs() {
            match value {
                Some(value) => command.env(key, value),
                None => command.env_remove(key),
            };
        }
        Process::spawn(command, dir, extra)
    }

    fn spawn(mut command: std::process::Command, dir: &Path, extra: &[&str]) -> Process {
        use std::io::BufRead;
        command
            .args(["--listen", "127.0.0.1:0", "--discovery", "off", "--https-listen", "off", "--data-dir"])
            .arg(dir)
            .args(extra)
            .stderr(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null());
        let mut child = spawn(&mut command).unwrap();
        let (tx, log) = std::sync::mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let mut early = Vec::new();
        let port = loop {
            let line = log.recv_timeout(Duration::from_secs(60)).expect("camcgi never said where it listens");
            if let Some(addr) = line.strip_prefix("INFO  listening on ") {
                break addr.rsplit(':').next().unwrap().parse().unwrap();
            }
            early.push(line);
        };
        Process { child, port, early, log }
    }

    pub fn get(&self, target: &str) -> Resp {
        request(self.port, "GET", target, "")
    }

    pub fn uid(&self, password: &str) -> String {
        self.get(&format!("/cgi-bin/getuid?username=admin&password={password}")).element("uid").unwrap()
    }

    pub fn logged(&mut self) -> Vec<String> {
        let mut lines = std::mem::take(&mut self.early);
        lines.extend(self.log.try_iter());
        lines
    }

    /// A line of /proc/PID/status, as a number (`Threads`, `VmRSS` in KiB).
    pub fn status(&self, field: &str) -> u64 {
        let text = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        text.lines()
            .find_map(|l| l.strip_prefix(field).and_then(|v| v.trim_start_matches(':').split_whitespace().next()?.parse().ok()))
            .unwrap_or(0)
    }

    /// Whether the process still runs.
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether the tests run under an emulator (timings are then several times slower).
pub fn emulated() -> bool {
    std::env::var_os("CAMCGI_EXEC_WRAPPER").is_some() || !default_wrapper().is_empty()
}

/// Writes a line where a passing test's output is seen: on the terminal's
/// standard error, which the test harness does not capture (it captures
/// `eprintln!`, and shows that only for a test that fails).
pub fn say(text: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "\n{text}");
}

/// Says that a test skipped its work, and why.
pub fn say_skipped(test: &str, why: &str) {
    say(&format!("SKIPPED {test}: {why}"));
}

/// A client the test drives is missing: under CI (`CI` set), which installs
/// every client, the test fails; on a developer's machine it says SKIPPED.
#[track_caller]
pub fn client_missing(test: &str, why: &str) {
    assert!(std::env::var_os("CI").is_none(), "{test}: {why} (CI installs every client)");
    say_skipped(test, why);
}

/// Asserts a 401's challenges: Digest with MD5, with SHA-256 and with MD5
/// again, all on one nonce, then Basic.
#[track_caller]
pub fn assert_challenges(resp: &Resp) {
    let all: Vec<&str> = resp.headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case("WWW-Authenticate")).map(|(_, v)| v.as_str()).collect();
    assert_eq!(all.len(), 4, "{all:?}");
    assert!(all[0].starts_with("Digest realm=\"camcgi\", qop=\"auth\", algorithm=MD5, nonce=\""), "{all:?}");
    assert_eq!(all[1], all[0].replace("MD5", "SHA-256"), "the same nonce");
    assert_eq!(all[2], all[0], "MD5 last too, for clients where the last challenge's fields win");
    assert_eq!(all[3], "Basic realm=\"camcgi\"");
}

/// A SOAP 1.2 envelope with an optional Header.
pub fn soap_envelope(header: &str, body: &str) -> String {
    let header = if header.is_empty() { String::new() } else { format!("<s:Header>{header}</s:Header>") };
    format!("<?xml version=\"1.0\"?><s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\">{header}<s:Body>{body}</s:Body></s:Envelope>")
}

/// Posts an envelope to an ONVIF service.
pub fn post_soap(port: u16, path: &str, envelope: &str, headers: &str) -> Resp {
    let raw = raw_request(
        port,
        &format!(
            "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/soap+xml\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{envelope}",
            envelope.len()
        ),
    );
    parse_response(raw.as_bytes())
}

/// Posts an operation without a SOAP Header.
pub fn soap(port: u16, path: &str, body: &str, headers: &str) -> Resp {
    post_soap(port, path, &soap_envelope("", body), headers)
}

fn md5_hex(parts: &[&str]) -> String {
    use md5::{Digest, Md5};
    hex::encode(Md5::digest(parts.join(":").as_bytes()))
}

/// An `Authorization: Digest` header line (MD5, `qop=auth`) for a request.
pub fn digest_answer(method: &str, uri: &str, user: &str, password: &str, nonce: &str, nc: u32) -> String {
    let ha1 = md5_hex(&[user, "camcgi", password]);
    let ha2 = md5_hex(&[method, uri]);
    let nc = format!("{nc:08x}");
    let response = md5_hex(&[&ha1, nonce, &nc, "abc", "auth", &ha2]);
    format!(
        "Authorization: Digest username=\"{user}\", realm=\"camcgi\", nonce=\"{nonce}\", uri=\"{uri}\", algorithm=MD5, qop=auth, nc={nc}, cnonce=\"abc\", response=\"{response}\"\r\n"
    )
}

/// The nonce of a 401's Digest challenges.
pub fn challenge_nonce(r: &Resp) -> String {
    let challenge =
        r.headers.iter().find(|(n, v)| n.eq_ignore_ascii_case("WWW-Authenticate") && v.starts_with("Digest ")).expect("a Digest challenge");
    let start = challenge.1.find("nonce=\"").expect("a nonce") + 7;
    let length = challenge.1[start..].find('"').expect("a quoted nonce");
    challenge.1[start..start + length].to_string()
}

/// Asserts an ONVIF fault: status, a subcode and the exact reason.
#[track_caller]
pub fn assert_soap_fault(r: &Resp, status: u16, subcode: &str, reason: &str) {
    assert_eq!(r.status, status, "{}", r.text());
    assert_eq!(r.header("Content-Type"), Some("application/soap+xml; charset=utf-8"));
    assert!(r.text().contains("<env:Body><env:Fault><env:Code><env:Value>env:"), "a SOAP 1.2 Fault: {}", r.text());
    assert!(r.text().contains(&format!("<env:Value>{subcode}</env:Value>")), "{}", r.text());
    assert!(r.text().contains(&format!("<env:Text xml:lang=\"en\">{reason}</env:Text>")), "{}", r.text());
}

/// The path of a subscription's manager in a CreatePullPointSubscription answer.
pub fn subscription_path(r: &Resp) -> String {
    let text = r.text();
    let start = text.find("/onvif/subscription?id=").unwrap_or_else(|| panic!("{text}"));
    let end = text[start..].find('<').unwrap() + start;
    text[start..end].to_string()
}

/// An `Authorization: Basic` header line.
pub fn basic(user: &str, password: &str) -> String {
    use base64::Engine;
    format!("Authorization: Basic {}\r\n", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}")))
}
