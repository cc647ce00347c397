//! A small FTP client: passive mode, binary, one file stored (RFC 959).
//!
//! Hand-written rather than a crate: the exchange is seven commands, and the
//! FTP crates bring TLS and date libraries a camera's flash has no room for.

use crate::outbound::deadline::in_thread;
pub use crate::outbound::deadline::Deadline;
use std::io::{self, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// An outside server and the login on it: the FTP server, or the mail relay.
#[derive(Debug, Clone)]
pub struct Server<'a> {
    /// Host name or address.
    pub host: &'a str,
    /// Port.
    pub port: u16,
    /// Login name: `anonymous` for FTP, and no login for SMTP, when empty.
    pub user: &'a str,
    /// Password.
    pub password: &'a str,
}

/// Where to store files.
#[derive(Debug, Clone)]
pub struct Target<'a> {
    /// The FTP server (its control port).
    pub server: Server<'a>,
    /// Remote directory (the login directory when empty).
    pub dir: &'a str,
}

/// Which step failed, and what the server or the network said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// `lookup`, `connect`, `greeting`, `login`, `binary mode`, `directory`,
    /// `passive mode`, `data connection`, `store`, `transfer`.
    pub step: &'static str,
    /// The server's reply or the I/O error.
    pub detail: String,
}

impl Failure {
    pub(crate) fn new(step: &'static str, detail: impl Into<String>) -> Failure {
        Failure { step, detail: detail.into() }
    }

    /// The failure with every secret the exchange sent replaced by `***`
    /// (a server may quote a command back), cut to a readable length.
    pub fn scrubbed(mut self, secrets: &[&str]) -> Failure {
        for secret in secrets.iter().filter(|s| !s.is_empty()) {
            self.detail = self.detail.replace(secret, "***");
        }
        if let Some((cut, _)) = self.detail.char_indices().nth(MAX_DETAIL) {
            self.detail.truncate(cut);
        }
        self
    }
}

fn fail(step: &'static str) -> impl Fn(io::Error) -> Failure {
    move |e| Failure::new(step, e.to_string())
}

/// What a failure says of the server's words at most.
const MAX_DETAIL: usize = 200;
/// Longest reply line read (RFC 5321 allows 512 bytes; FTP servers stay near it).
const MAX_LINE: usize = 1024;
/// Most lines in one multi-line reply.
const MAX_LINES: usize = 64;
/// Most name lookups running at once: a lookup cannot be cancelled, so one
/// that outlives its deadline goes on in its thread until the resolver gives up.
const MAX_LOOKUPS: usize = 2;

/// Time left until `end`, or a timeout failure of `step`.
pub(crate) fn left(end: Instant, step: &'static str) -> Result<Duration, Failure> {
    let left = end.saturating_duration_since(Instant::now());
    if left.is_zero() {
        Err(Failure::new(step, "timed out"))
    } else {
        Ok(left)
    }
}

/// The addresses of `host`, looked up in a thread of its own so that the
/// lookup has a deadline like every other step.
fn lookup(host: &str, port: u16, end: Instant) -> Result<Vec<SocketAddr>, Failure> {
    static RUNNING: AtomicUsize = AtomicUsize::new(0);
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let wait = left(end, "lookup")?;
    if RUNNING.fetch_add(1, Ordering::SeqCst) >= MAX_LOOKUPS {
        RUNNING.fetch_sub(1, Ordering::SeqCst);
        return Err(Failure::new("lookup", "too many lookups under way"));
    }
    let name = host.to_string();
    let looked_up = in_thread("lookup", 64 * 1024, wait, move || {
        let found = (name.as_str(), port).to_socket_addrs().map(|a| a.take(8).collect::<Vec<_>>());
        RUNNING.fetch_sub(1, Ordering::SeqCst);
        found
    });
    match looked_up {
        Ok(Some(found)) => found.map_err(fail("lookup")),
        Ok(None) => Err(Failure::new("lookup", "timed out")),
        Err(e) => {
            RUNNING.fetch_sub(1, Ordering::SeqCst);
            Err(fail("lookup")(e))
        }
    }
}

/// Connects to the first address of `host:port` that answers before the step ends.
pub fn connect(host: &str, port: u16, deadline: &Deadline, step: &'static str) -> Result<TcpStream, Failure> {
    let end = deadline.step_end();
    let mut last = Failure::new(step, "no address");
    for addr in lookup(host, port, end)? {
        match TcpStream::connect_timeout(&addr, left(end, step)?) {
            Ok(s) => return Ok(s),
            Err(e) => last = fail(step)(e),
        }
    }
    Err(last)
}

/// Writes all of `data` before `end`, however slowly the peer reads: each
/// write waits at most for the time left.
pub(crate) fn write_by(stream: &mut TcpStream, data: &[u8], end: Instant, step: &'static str) -> Result<(), Failure> {
    let mut rest = data;
    while !rest.is_empty() {
        stream.set_write_timeout(Some(left(end, step)?)).map_err(fail(step))?;
        match stream.write(rest) {
            Ok(0) => return Err(Failure::new(step, "connection closed")),
            Ok(n) => rest = rest.get(n..).unwrap_or_default(),
            Err(e) if matches!(e.kind(), io::ErrorKind::Interrupted | io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {}
            Err(e) => return Err(fail(step)(e)),
        }
    }
    Ok(())
}

/// A control connection: commands out, numbered replies in, every read
/// bounded in size and every step in time.
pub struct Control {
    stream: TcpStream,
    /// Bytes read past the last reply line.
    pending: Vec<u8>,
    deadline: Deadline,
}

impl Control {
    /// Wraps a connected stream.
    pub fn new(stream: TcpStream, deadline: Deadline) -> Control {
        Control { stream, pending: Vec::new(), deadline }
    }

    /// Reads one line (without its line break) before `end`; a line longer
    /// than [`MAX_LINE`] fails before more of it is kept.
    fn line(&mut self, end: Instant, step: &'static str) -> Result<String, Failure> {
        let mut buf = [0u8; 512];
        loop {
            if let Some(newline) = self.pending.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = self.pending.drain(..=newline).collect();
                let text = String::from_utf8_lossy(&line);
                return Ok(text.trim_end_matches(['\r', '\n']).to_string());
            }
            if self.pending.len() > MAX_LINE {
                return Err(Failure::new(step, "reply line too long"));
            }
            self.stream.set_read_timeout(Some(left(end, step)?)).map_err(fail(step))?;
            match self.stream.read(&mut buf) {
                Ok(0) => return Err(Failure::new(step, "connection closed")),
                Ok(n) => self.pending.extend_from_slice(buf.get(..n).unwrap_or_default()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {
                    return Err(Failure::new(step, "timed out"))
                }
                Err(e) => return Err(fail(step)(e)),
            }
        }
    }

    /// Reads one reply (a multi-line reply ends with `NNN `) and returns its
    /// code and last line. The whole reply must come within one step's time.
    pub fn reply(&mut self, step: &'static str) -> Result<(u16, String), Failure> {
        let end = self.deadline.step_end();
        let mut first_code = None;
        for _ in 0..MAX_LINES {
            let line = self.line(end, step)?;
            let code = line.get(..3).and_then(|c| c.parse::<u16>().ok());
            let done = code.is_some() && line.as_bytes().get(3) != Some(&b'-');
            if first_code.is_none() {
                first_code = code;
            }
            if done && code == first_code {
                return Ok((code.unwrap_or(0), line));
            }
        }
        Err(Failure::new(step, "reply too long"))
    }

    /// Sends a command line. Values were checked to hold no line breaks.
    pub fn send(&mut self, step: &'static str, command: &str) -> Result<(), Failure> {
        let end = self.deadline.step_end();
        self.send_by(step, command, end)
    }

    /// Sends a message body: it may take until the whole upload's end.
    pub fn send_body(&mut self, step: &'static str, body: &str) -> Result<(), Failure> {
        self.send_by(step, body, self.deadline.end)
    }

    /// Sends text and a line break before `end`.
    fn send_by(&mut self, step: &'static str, text: &str, end: Instant) -> Result<(), Failure> {
        let mut line = Vec::with_capacity(text.len() + 2);
        line.extend_from_slice(text.as_bytes());
        line.extend_from_slice(b"\r\n");
        write_by(&mut self.stream, &line, end, step)
    }

    /// Sends a command and expects one of `ok` reply codes.
    pub fn expect(&mut self, step: &'static str, command: Option<&str>, ok: &[u16]) -> Result<(u16, String), Failure> {
        if let Some(command) = command {
            self.send(step, command)?;
        }
        let (code, text) = self.reply(step)?;
        if ok.contains(&code) {
            Ok((code, text))
        } else {
            Err(Failure::new(step, text))
        }
    }

    /// The peer of the control connection.
    pub fn peer(&self) -> Option<SocketAddr> {
        self.stream.peer_addr().ok()
    }
}

/// The port of a `227 Entering Passive Mode (h1,h2,h3,h4,p1,p2)` reply.
fn passive_port(text: &str) -> Option<u16> {
    let inner = text.get(text.find('(')? + 1..text.rfind(')')?)?;
    let nums: Vec<u16> = inner.split(',').map(|n| n.trim().parse().ok()).collect::<Option<_>>()?;
    match nums.as_slice() {
        [_, _, _, _, hi, lo] if *hi < 256 && *lo < 256 => Some(hi * 256 + lo),
        _ => None,
    }
}

/// Stores `data` as `name` on the target, within `deadline`.
pub fn store(t: &Target, name: &str, data: &[u8], deadline: &Deadline) -> Result<(), Failure> {
    exchange(t, name, data, deadline).map_err(|f| f.scrubbed(&[t.server.password]))
}

fn exchange(t: &Target, name: &str, data: &[u8], deadline: &Deadline) -> Result<(), Failure> {
    let mut c = Control::new(connect(t.server.host, t.server.port, deadline, "connect")?, *deadline);
    c.expect("greeting", None, &[220])?;
    let user = if t.server.user.is_empty() { "anonymous" } else { t.server.user };
    let (code, _) = c.expect("login", Some(&format!("USER {user}")), &[230, 331, 332])?;
    if code != 230 {
        c.expect("login", Some(&format!("PASS {}", t.server.password)), &[230, 202])?;
    }
    c.expect("binary mode", Some("TYPE I"), &[200])?;
    if !t.dir.is_empty() {
        c.expect("directory", Some(&format!("CWD {}", t.dir)), &[250, 200])?;
    }
    let (_, text) = c.expect("passive mode", Some("PASV"), &[227])?;
    let port = passive_port(&text).ok_or_else(|| Failure::new("passive mode", text.clone()))?;
    // The data connection goes to the control connection's host: a server
    // behind NAT advertises an address the camera cannot reach.
    let host = c.peer().map(|p| p.ip().to_string()).unwrap_or_else(|| t.server.host.to_string());
    let mut data_conn = connect(&host, port, deadline, "data connection")?;
    c.expect("store", Some(&format!("STOR {name}")), &[125, 150])?;
    write_by(&mut data_conn, data, deadline.end, "transfer")?;
    drop(data_conn);
    c.expect("transfer", None, &[226, 250])?;
    let _ = c.send("quit", "QUIT");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::passive_port;

    #[test]
    fn passive_replies() {
        assert_eq!(passive_port("227 Entering Passive Mode (127,0,0,1,195,80)."), Some(50000));
        assert_eq!(passive_port("227 Entering Passive Mode (127,0,0,1,300,80)"), None);
        assert_eq!(passive_port("227 nonsense"), None);
    }
}
