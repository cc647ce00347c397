//! HTTP Digest (RFC 7616) with `qop=auth`: the challenge camcgi sends, and
//! the client's answer, read and checked against a password.

use md5::Md5;
use sha2::{Digest, Sha256};

/// The realm of every challenge.
pub const REALM: &str = "camcgi";

/// Compares a secret a client sent with the expected one without an early
/// exit, so timing tells nothing of where they differ.
fn same(expected: &str, given: &str, fold: fn(u8) -> u8) -> bool {
    expected.len() == given.len() && expected.bytes().zip(given.bytes()).fold(0u8, |acc, (x, y)| acc | (fold(x) ^ fold(y))) == 0
}

/// Whether two hex digests are equal, in any case, compared in constant time.
pub fn same_hex(expected: &str, given: &str) -> bool {
    same(expected, given, |b| b.to_ascii_lowercase())
}

/// Whether two texts (a Base64 digest) are equal, compared in constant time.
pub fn same_text(expected: &str, given: &str) -> bool {
    same(expected, given, |b| b)
}

/// The hash a Digest answer names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// `MD5` (or none named).
    Md5,
    /// `SHA-256`.
    Sha256,
}

impl Algorithm {
    fn hex(self, parts: &[&str]) -> String {
        fn run<D: Digest>(parts: &[&str]) -> String {
            let mut d = D::new();
            for (i, part) in parts.iter().enumerate() {
                if i > 0 {
                    d.update(b":");
                }
                d.update(part.as_bytes());
            }
            hex::encode(d.finalize())
        }
        match self {
            Algorithm::Md5 => run::<Md5>(parts),
            Algorithm::Sha256 => run::<Sha256>(parts),
        }
    }
}

/// The `WWW-Authenticate` values for a new nonce: MD5, SHA-256, MD5 again.
/// Clients that take only the first challenge and know no other algorithm
/// (Python's urllib raises on SHA-256, and so do older NVRs built the same
/// way) find MD5 first; clients that fold every challenge into one set of
/// fields, the last value winning (ffmpeg, requests, httpx), end on MD5;
/// clients that choose the strongest they know find SHA-256. All name the
/// same nonce, so a folded set of fields still answers a nonce given.
pub fn challenges(nonce: &str, stale: bool) -> [String; 3] {
    let stale = if stale { ", stale=true" } else { "" };
    let one = |algorithm: &str| format!("Digest realm=\"{REALM}\", qop=\"auth\", algorithm={algorithm}, nonce=\"{nonce}\"{stale}");
    [one("MD5"), one("SHA-256"), one("MD5")]
}

/// A client's Digest answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer<'a> {
    /// The account.
    pub username: &'a str,
    /// The realm answered.
    pub realm: &'a str,
    /// The nonce answered.
    pub nonce: &'a str,
    /// The request target the client signed.
    pub uri: &'a str,
    /// The client's hash.
    pub response: &'a str,
    /// The hash.
    pub algorithm: Algorithm,
    /// The client nonce.
    pub cnonce: &'a str,
    /// The nonce count, as sent (8 hex digits).
    pub nc: &'a str,
}

impl Answer<'_> {
    /// The nonce count.
    pub fn count(&self) -> Option<u32> {
        u32::from_str_radix(self.nc, 16).ok()
    }

    /// Whether the answer is right for this password and method.
    pub fn is_right(&self, password: &str, method: &str) -> bool {
        let ha1 = self.algorithm.hex(&[self.username, self.realm, password]);
        let ha2 = self.algorithm.hex(&[method, self.uri]);
        let expected = self.algorithm.hex(&[&ha1, self.nonce, self.nc, self.cnonce, "auth", &ha2]);
        same_hex(&expected, self.response)
    }
}

/// The fields of a `Digest` `Authorization` header: `name=value` or
/// `name="value"` (no escapes), separated by commas.
fn fields(mut rest: &str) -> impl Iterator<Item = (&str, &str)> {
    std::iter::from_fn(move || {
        rest = rest.trim_start_matches([' ', '\t', ',']);
        let (name, after) = rest.split_once('=')?;
        let (value, next) = match after.strip_prefix('"') {
            Some(quoted) => {
                let (value, next) = quoted.split_once('"')?;
                (value, next)
            }
            None => after.split_once(',').unwrap_or((after, "")),
        };
        rest = next;
        Some((name.trim(), value.trim()))
    })
}

/// Reads a `Digest` answer, if the header is one and has every field
/// `qop=auth` needs.
pub fn parse(authorization: &str) -> Option<Answer<'_>> {
    let (scheme, rest) = authorization.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("digest") {
        return None;
    }
    let (mut username, mut realm, mut nonce, mut uri, mut response, mut cnonce, mut nc) = (None, None, None, None, None, None, None);
    let (mut algorithm, mut qop) = (Some(Algorithm::Md5), None);
    for (name, value) in fields(rest) {
        let slot = match name.to_ascii_lowercase().as_str() {
            "username" => &mut username,
            "realm" => &mut realm,
            "nonce" => &mut nonce,
            "uri" => &mut uri,
            "response" => &mut response,
            "cnonce" => &mut cnonce,
            "nc" => &mut nc,
            "qop" => {
                qop = Some(value);
                continue;
            }
            "algorithm" => {
                algorithm = match value.to_ascii_uppercase().as_str() {
                    "MD5" => Some(Algorithm::Md5),
                    "SHA-256" => Some(Algorithm::Sha256),
                    _ => None,
                };
                continue;
            }
            _ => continue,
        };
        *slot = Some(value);
    }
    if qop != Some("auth") {
        return None;
    }
    Some(Answer {
        username: username?,
        realm: realm?,
        nonce: nonce?,
        uri: uri?,
        response: response?,
        algorithm: algorithm?,
        cnonce: cnonce?,
        nc: nc?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_7616_examples_check() {
        // RFC 7616 section 3.9.1, with MD5 and with SHA-256.
        let header = |algorithm: &str, response: &str| {
            format!(
                "Digest username=\"Mufasa\", realm=\"http-auth@example.org\", uri=\"/dir/index.html\", \
                 algorithm={algorithm}, nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", nc=00000001, \
                 cnonce=\"f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ\", qop=auth, response=\"{response}\", \
                 opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\""
            )
        };
        let md5 = header("MD5", "8ca523f5e9506fed4657c9700eebdbec");
        let answer = parse(&md5).expect("parsed");
        assert_eq!(answer.algorithm, Algorithm::Md5);
        assert!(answer.is_right("Circle of Life", "GET"));
        assert!(!answer.is_right("Circle of life", "GET"));
        assert!(!answer.is_right("Circle of Life", "POST"));
        let sha = header("SHA-256", "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
        assert!(parse(&sha).expect("parsed").is_right("Circle of Life", "GET"));
        assert_eq!(parse("Basic YWRtaW46MTIzNDU2"), None);
        assert_eq!(parse(&md5.replace("qop=auth, ", "")), None, "qop=auth is required");
        assert_eq!(parse(&md5.replace("MD5", "SHA-512-256")), None);
    }
}
