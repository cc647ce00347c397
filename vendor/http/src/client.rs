//! camcgi: parsing a request head that has arrived whole.
//!
//! Upstream's `ClientConnection` read a head from a blocking socket a byte at
//! a time, on a thread of the connection's own. The event loop
//! (`util/event_loop.rs`) reads what a connection has sent without blocking
//! and hands the bytes here; a head is parsed once its blank line is in, with
//! upstream's rules for the request line and the headers.

use std::str::FromStr;

use crate::common::{HTTPVersion, Header, Method, StatusCode};

// camcgi: bounds on a request head. Upstream let a header line, and the
// list of headers, grow for as long as the client kept sending.
pub(crate) const MAX_LINE: usize = 8 * 1024;
const MAX_HEADERS: usize = 100;
/// A whole head, request line and headers.
pub(crate) const MAX_HEAD: usize = 16 * 1024;

/// A request head parsed from the start of a connection's bytes.
pub(crate) struct Head {
    pub(crate) method: Method,
    pub(crate) path: String,
    pub(crate) version: HTTPVersion,
    pub(crate) headers: Vec<Header>,
    /// Bytes the head took, its blank line included.
    pub(crate) length: usize,
}

/// What the bytes received so far hold.
pub(crate) enum Parsed {
    /// Not a whole head yet.
    Incomplete,
    /// A head that cannot be answered: this status, then the connection
    /// ends (where the next request would start is unknown).
    Refused(StatusCode),
    Head(Head),
}

/// Where the blank line that ends a head starts.
fn head_end(bytes: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(at) = bytes[from..].iter().position(|&b| b == b'\n').map(|i| from + i) {
        if at >= 3 && bytes[at - 1] == b'\r' && bytes[at - 2] == b'\n' && bytes[at - 3] == b'\r' {
            return Some(at - 3);
        }
        from = at + 1;
    }
    None
}

/// Parses the head at the start of `bytes`.
pub(crate) fn parse_head(bytes: &[u8]) -> Parsed {
    let Some(end) = head_end(bytes) else {
        let request_line_done = bytes.contains(&b'\n');
        return if !request_line_done && bytes.len() > MAX_LINE {
            Parsed::Refused(StatusCode(414))
        } else if bytes.len() >= MAX_HEAD {
            Parsed::Refused(StatusCode(431))
        } else {
            Parsed::Incomplete
        };
    };
    let length = end + 4;
    if length > MAX_HEAD {
        return Parsed::Refused(StatusCode(431));
    }
    // Lines end in CRLF; a bare LF is refused rather than guessed at. The
    // head's last line is the one before its blank line.
    let head = &bytes[..end];
    let breaks = head.iter().filter(|&&b| b == b'\n').count();
    let mut request = None;
    // Room for the headers of most clients, so that reading them reallocates nothing.
    let mut headers = Vec::with_capacity(8);
    for (i, line) in head.split(|&b| b == b'\n').enumerate() {
        let line = match line.strip_suffix(b"\r") {
            Some(line) if i < breaks => line,
            _ if i < breaks => return Parsed::Refused(StatusCode(400)),
            _ => line,
        };
        let text = std::str::from_utf8(line).ok().filter(|l| l.is_ascii()).map(str::trim);
        if i == 0 {
            if line.len() > MAX_LINE {
                return Parsed::Refused(StatusCode(414));
            }
            request = text.and_then(parse_request_line);
            if request.is_none() {
                return Parsed::Refused(StatusCode(400));
            }
            continue;
        }
        if line.len() > MAX_LINE || headers.len() >= MAX_HEADERS {
            return Parsed::Refused(StatusCode(431));
        }
        // camcgi: a control character in a field (NUL, ESC, ...) is refused
        // (RFC 9110 5.5), not handed on; a tab is whitespace.
        if line.iter().any(|&b| (b < 0x20 && b != b'\t') || b == 0x7f) {
            return Parsed::Refused(StatusCode(400));
        }
        match text.and_then(|l| Header::from_str(l).ok()) {
            // camcgi: a second Host is refused (RFC 9112 3.2): which one a
            // proxy and the camera each took would differ.
            Some(h) if h.field.equiv("Host") && headers.iter().any(|k: &Header| k.field.equiv("Host")) => {
                return Parsed::Refused(StatusCode(400));
            }
            Some(h) => headers.push(h),
            None => return Parsed::Refused(StatusCode(400)),
        }
    }
    let Some((method, path, version)) = request else {
        return Parsed::Refused(StatusCode(400));
    };
    Parsed::Head(Head { method, path, version, headers, length })
}

/// What a head parses to, for the fuzz target and its regression inputs:
/// the head's length when whole, the status it is refused with, or neither
/// while incomplete. Checks what every caller relies on: a head's length
/// lies within the bytes and the head bound, and a refusal is 400, 414 or 431.
pub fn check_head(bytes: &[u8]) -> Result<Option<usize>, u16> {
    match parse_head(bytes) {
        Parsed::Incomplete => {
            assert!(bytes.len() < MAX_HEAD, "{} bytes and still incomplete", bytes.len());
            Ok(None)
        }
        Parsed::Refused(status) => {
            assert!(matches!(status.0, 400 | 414 | 431), "refused with {}", status.0);
            Err(status.0)
        }
        Parsed::Head(head) => {
            assert!(head.length <= bytes.len() && head.length <= MAX_HEAD, "length {}", head.length);
            assert!(head.headers.len() <= MAX_HEADERS);
            Ok(Some(head.length))
        }
    }
}

/// Parses a "HTTP/1.1" string.
fn parse_http_version(version: &str) -> Option<HTTPVersion> {
    let (major, minor) = match version {
        "HTTP/0.9" => (0, 9),
        "HTTP/1.0" => (1, 0),
        "HTTP/1.1" => (1, 1),
        "HTTP/2.0" => (2, 0),
        "HTTP/3.0" => (3, 0),
        _ => return None,
    };
    Some(HTTPVersion(major, minor))
}

/// Parses the request line of the request.
/// eg. GET / HTTP/1.1
fn parse_request_line(line: &str) -> Option<(Method, String, HTTPVersion)> {
    let mut parts = line.split(' ');
    let method = parts.next().and_then(|w| w.parse().ok());
    let path = parts.next().map(ToOwned::to_owned);
    let version = parts.next().and_then(parse_http_version);
    method.and_then(|method| Some((method, path?, version?)))
}

#[cfg(test)]
mod test {
    use super::{parse_head, Parsed};

    #[test]
    fn test_parse_request_line() {
        let (method, path, ver) = super::parse_request_line("GET /hello HTTP/1.1").unwrap();

        assert!(method == crate::Method::Get);
        assert!(path == "/hello");
        assert!(ver == crate::common::HTTPVersion(1, 1));

        assert!(super::parse_request_line("GET /hello").is_none());
        assert!(super::parse_request_line("qsd qsd qsd").is_none());
    }

    #[test]
    fn heads_are_parsed_once_whole() {
        assert!(matches!(parse_head(b"GET / HTTP/1.1\r\nHost: a\r\n"), Parsed::Incomplete));
        let Parsed::Head(head) = parse_head(b"GET /x HTTP/1.1\r\nHost: a\r\nX-Y:  b \r\n\r\nnext") else { panic!() };
        assert_eq!(head.path, "/x");
        assert_eq!(head.length, 38);
        assert_eq!(head.headers.len(), 2);
        assert_eq!(head.headers[1].value.as_str(), "b");
        let Parsed::Head(bare) = parse_head(b"GET / HTTP/1.0\r\n\r\n") else { panic!() };
        assert!(bare.headers.is_empty());
    }

    #[test]
    fn bad_heads_are_refused() {
        let refused = |bytes: &[u8]| match parse_head(bytes) {
            Parsed::Refused(status) => status.0,
            _ => 0,
        };
        assert_eq!(refused(b"GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n"), 400);
        assert_eq!(refused(b"\r\n\r\n"), 400);
        assert_eq!(refused(b"NOT A REQUEST\r\n\r\n"), 400);
        assert_eq!(refused(b"GET / HTTP/1.1\r\nno colon\r\n\r\n"), 400);
        assert_eq!(refused(&[b'a'; 9000]), 414);
        let mut big = b"GET / HTTP/1.1\r\nX: ".to_vec();
        big.resize(super::MAX_HEAD, b'a');
        assert_eq!(refused(&big), 431);
        let many: Vec<u8> = b"GET / HTTP/1.1\r\n".iter().chain(b"X: 1\r\n".repeat(101).iter()).chain(b"\r\n").copied().collect();
        assert_eq!(refused(&many), 431);
    }
}
