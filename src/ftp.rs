//! A small FTP client: passive mode, binary, one file stored (RFC 959).
//!
//! Hand-written rather than a crate: the exchange is seven commands, and the
//! FTP crates bring TLS and date libraries a camera's flash has no room for.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

/// Where to store files.
#[derive(Debug, Clone)]
pub struct Target<'a> {
    /// Host name or address.
    pub server: &'a str,
    /// Control port.
    pub port: u16,
    /// Login name (`anonymous` when empty).
    pub user: &'a str,
    /// Password.
    pub password: &'a str,
    /// Remote directory (the login directory when empty).
    pub dir: &'a str,
}

/// Which step failed, and what the server or the network said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// `connect`, `greeting`, `login`, `binary mode`, `directory`, `passive mode`,
    /// `data connection`, `store`, `transfer`.
    pub step: &'static str,
    /// The server's reply or the I/O error.
    pub detail: String,
}

fn fail(step: &'static str) -> impl Fn(std::io::Error) -> Failure {
    move |e| Failure { step, detail: e.to_string() }
}

/// Connects to the first address of `host:port` that answers within `timeout`.
pub fn connect(host: &str, port: u16, timeout: Duration, step: &'static str) -> Result<TcpStream, Failure> {
    let addrs: Vec<SocketAddr> = (host, port).to_socket_addrs().map_err(fail(step))?.collect();
    let mut last = Failure { step, detail: "no address".into() };
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, timeout) {
            Ok(s) => {
                s.set_read_timeout(Some(timeout)).map_err(fail(step))?;
                s.set_write_timeout(Some(timeout)).map_err(fail(step))?;
                return Ok(s);
            }
            Err(e) => last = fail(step)(e),
        }
    }
    Err(last)
}

/// A control connection: commands out, numbered replies in.
pub struct Control {
    reader: BufReader<TcpStream>,
}

impl Control {
    /// Wraps a connected stream.
    pub fn new(stream: TcpStream) -> Control {
        Control { reader: BufReader::new(stream) }
    }

    /// Reads one reply (a multi-line reply ends with `NNN `) and returns its code and text.
    pub fn reply(&mut self, step: &'static str) -> Result<(u16, String), Failure> {
        let mut line = String::new();
        let mut first_code = None;
        loop {
            line.clear();
            let n = self.reader.read_line(&mut line).map_err(fail(step))?;
            if n == 0 || line.len() > 4096 {
                return Err(Failure { step, detail: "connection closed".into() });
            }
            let code = line.get(..3).and_then(|c| c.parse::<u16>().ok());
            let done = code.is_some() && line.as_bytes().get(3) == Some(&b' ');
            if first_code.is_none() {
                first_code = code;
            }
            if done && code == first_code {
                let text = line.trim_end().to_string();
                return Ok((code.unwrap_or(0), text));
            }
        }
    }

    /// Sends a command line. Values were checked to hold no line breaks.
    pub fn send(&mut self, step: &'static str, command: &str) -> Result<(), Failure> {
        let stream = self.reader.get_mut();
        stream.write_all(command.as_bytes()).and_then(|_| stream.write_all(b"\r\n")).map_err(fail(step))
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
            Err(Failure { step, detail: text })
        }
    }

    /// The peer of the control connection.
    pub fn peer(&self) -> Option<SocketAddr> {
        self.reader.get_ref().peer_addr().ok()
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

/// Stores `data` as `name` on the target.
pub fn store(t: &Target, name: &str, data: &[u8], timeout: Duration) -> Result<(), Failure> {
    let mut c = Control::new(connect(t.server, t.port, timeout, "connect")?);
    c.expect("greeting", None, &[220])?;
    let user = if t.user.is_empty() { "anonymous" } else { t.user };
    let (code, _) = c.expect("login", Some(&format!("USER {user}")), &[230, 331, 332])?;
    if code != 230 {
        c.expect("login", Some(&format!("PASS {}", t.password)), &[230, 202])?;
    }
    c.expect("binary mode", Some("TYPE I"), &[200])?;
    if !t.dir.is_empty() {
        c.expect("directory", Some(&format!("CWD {}", t.dir)), &[250, 200])?;
    }
    let (_, text) = c.expect("passive mode", Some("PASV"), &[227])?;
    let port = passive_port(&text).ok_or_else(|| Failure { step: "passive mode", detail: text.clone() })?;
    // The data connection goes to the control connection's host: a server
    // behind NAT advertises an address the camera cannot reach.
    let host = c.peer().map(|p| p.ip().to_string()).unwrap_or_else(|| t.server.to_string());
    let mut data_conn = connect(&host, port, timeout, "data connection")?;
    c.expect("store", Some(&format!("STOR {name}")), &[125, 150])?;
    data_conn.write_all(data).map_err(fail("transfer"))?;
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
