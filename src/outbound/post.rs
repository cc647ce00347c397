//! One HTTP POST to an outside server, for ONVIF's pushed notifications:
//! looked up, connected, written and answered within one deadline, the
//! answer read no further than its status line.

use crate::outbound::ftp::{connect, left, write_by, Deadline, Failure};
use std::io::{self, Read};
use std::net::TcpStream;
use std::time::Instant;

/// Longest status line read.
const MAX_STATUS_LINE: usize = 256;

/// Where a message is posted: an `http://` URL's parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// Host name or address (an IPv6 address without its brackets).
    pub host: String,
    /// Port.
    pub port: u16,
    /// Path and query, starting with `/`.
    pub path: String,
}

impl Endpoint {
    /// An `http://host[:port][/path]` URL, the host a name, an IPv4 address
    /// or a bracketed IPv6 address; `None` for anything else (no TLS, no
    /// user information, no control characters or spaces).
    pub fn parse(url: &str) -> Option<Endpoint> {
        let rest = url.strip_prefix("http://")?;
        if url.len() > 512 || url.bytes().any(|b| b <= b' ' || b == 0x7f) {
            return None;
        }
        let (authority, path) = rest.find('/').map_or((rest, "/"), |i| rest.split_at(i));
        if authority.contains('@') || authority.is_empty() {
            return None;
        }
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (addr, tail) = v6.split_once(']')?;
            addr.parse::<std::net::Ipv6Addr>().ok()?;
            (addr, tail.strip_prefix(':'))
        } else {
            match authority.split_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (authority, None),
            }
        };
        let port = match port {
            None => 80,
            Some(p) => p.parse::<u16>().ok().filter(|p| *p != 0)?,
        };
        let host_ok = host.contains(':') || host.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
        (!host.is_empty() && host_ok).then(|| Endpoint { host: host.to_string(), port, path: path.to_string() })
    }

    /// The URL it was read from, in its normal form.
    pub fn url(&self) -> String {
        format!("http://{}{}", self.host_header_with_port(), self.path)
    }

    fn host_header_with_port(&self) -> String {
        let host = if self.host.contains(':') { format!("[{}]", self.host) } else { self.host.clone() };
        format!("{host}:{}", self.port)
    }

    fn host_header(&self) -> String {
        let host = if self.host.contains(':') { format!("[{}]", self.host) } else { self.host.clone() };
        if self.port == 80 {
            host
        } else {
            format!("{host}:{}", self.port)
        }
    }
}

/// Posts `body` to `to` as `content_type`, everything by `end`; the
/// answer's status code.
pub fn post(to: &Endpoint, content_type: &str, body: &[u8], end: Instant) -> Result<u16, Failure> {
    let deadline = Deadline { step: end.saturating_duration_since(Instant::now()), end };
    let mut stream = connect(&to.host, to.port, &deadline, "connect")?;
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        to.path,
        to.host_header(),
        body.len()
    );
    write_by(&mut stream, head.as_bytes(), end, "send")?;
    write_by(&mut stream, body, end, "send")?;
    status(&mut stream, end)
}

/// The status code of the answer's first line.
fn status(stream: &mut TcpStream, end: Instant) -> Result<u16, Failure> {
    let mut line = Vec::with_capacity(64);
    let mut byte = [0u8; 64];
    while !line.contains(&b'\n') {
        if line.len() >= MAX_STATUS_LINE {
            return Err(Failure::new("answer", "status line too long"));
        }
        stream.set_read_timeout(Some(left(end, "answer")?)).map_err(|e| Failure::new("answer", e.to_string()))?;
        match stream.read(&mut byte) {
            Ok(0) => return Err(Failure::new("answer", "connection closed")),
            Ok(n) => line.extend_from_slice(byte.get(..n).unwrap_or_default()),
            Err(e) if matches!(e.kind(), io::ErrorKind::Interrupted) => {}
            Err(e) => return Err(Failure::new("answer", e.to_string())),
        }
    }
    let text = String::from_utf8_lossy(&line);
    let mut words = text.split_whitespace();
    match (words.next(), words.next().and_then(|c| c.parse::<u16>().ok())) {
        (Some(v), Some(code)) if v.starts_with("HTTP/1.") => Ok(code),
        _ => Err(Failure::new("answer", "not an HTTP answer")),
    }
}

#[cfg(test)]
mod tests {
    use super::Endpoint;

    #[test]
    fn consumer_urls_are_read_or_refused() {
        let e = Endpoint::parse("http://192.168.1.5:8123/api/webhook/x?y=1").unwrap();
        assert_eq!((e.host.as_str(), e.port, e.path.as_str()), ("192.168.1.5", 8123, "/api/webhook/x?y=1"));
        let e = Endpoint::parse("http://[fe80::1]:81").unwrap();
        assert_eq!((e.host.as_str(), e.port, e.path.as_str(), e.host_header().as_str()), ("fe80::1", 81, "/", "[fe80::1]:81"));
        assert_eq!(Endpoint::parse("http://nvr.local/events").unwrap().host_header(), "nvr.local");
        for bad in ["https://a/", "http://", "http://u:p@a/", "http://a:0/", "http://a:99999/", "http://a b/", "ftp://a/", "http://[zz]/"] {
            assert_eq!(Endpoint::parse(bad), None, "{bad}");
        }
    }
}
