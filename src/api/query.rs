//! Query strings as the camera documents use them (behaviour.md section 1).

use std::ops::Range;

/// Parameters that browsers and the documents' own page add to defeat caches.
const CACHE_BUSTERS: [&str; 3] = ["timestamp", "xtamp", "_"];

/// Why a query string could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryError {
    /// A bad percent escape or invalid UTF-8.
    Undecodable,
    /// A parameter given twice.
    Duplicated(String),
}

/// The decoded parameters of one request, in the order given, cache-busters left out.
/// Every name and value is decoded into one string (two allocations per
/// query, not two per parameter: a query is parsed for every request).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params {
    decoded: String,
    pairs: Vec<(Range<usize>, Range<usize>)>,
}

impl Params {
    /// Decodes a raw query string. `+` stays a literal plus; empty pairs are skipped.
    pub fn parse(raw: &str) -> Result<Params, QueryError> {
        let mut decoded = Vec::with_capacity(raw.len());
        let mut pairs = Vec::with_capacity(raw.bytes().filter(|&b| b == b'&').count() + 1);
        for pair in raw.split('&').filter(|p| !p.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let start = decoded.len();
            let name_at = decode_into(&mut decoded, name)?;
            let value_at = decode_into(&mut decoded, value)?;
            let name = text(&decoded, &name_at);
            if CACHE_BUSTERS.contains(&name) {
                decoded.truncate(start);
                continue;
            }
            if pairs.iter().any(|(n, _)| text(&decoded, n) == name) {
                return Err(QueryError::Duplicated(name.to_string()));
            }
            pairs.push((name_at, value_at));
        }
        let decoded = String::from_utf8(decoded).map_err(|_| QueryError::Undecodable)?;
        Ok(Params { decoded, pairs })
    }

    fn text(&self, at: &Range<usize>) -> &str {
        self.decoded.get(at.clone()).unwrap_or("")
    }

    /// The value of a parameter, if given.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs.iter().find(|(n, _)| self.text(n) == name).map(|(_, v)| self.text(v))
    }

    /// Whether a parameter was given.
    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Parameter names in the order given.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.pairs.iter().map(|(n, _)| self.text(n))
    }

    /// Whether no parameter (other than cache-busters) was given.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }
}

/// A decoded name or value, valid UTF-8 as `decode_into` checked.
fn text<'d>(decoded: &'d [u8], at: &Range<usize>) -> &'d str {
    decoded.get(at.clone()).and_then(|b| std::str::from_utf8(b).ok()).unwrap_or("")
}

/// Percent-decodes one name or value onto the end of `out`; where it is.
fn decode_into(out: &mut Vec<u8>, s: &str) -> Result<Range<usize>, QueryError> {
    let start = out.len();
    let bytes = s.as_bytes();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let mut byte = 0u8;
            let digits = bytes.get(i + 1..i + 3).ok_or(QueryError::Undecodable)?;
            hex::decode_to_slice(digits, std::slice::from_mut(&mut byte)).map_err(|_| QueryError::Undecodable)?;
            out.push(byte);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    std::str::from_utf8(&out[start..]).map_err(|_| QueryError::Undecodable)?;
    Ok(start..out.len())
}

/// Percent-decodes one name or value into UTF-8.
fn decode(s: &str) -> Result<String, QueryError> {
    let mut out = Vec::with_capacity(s.len());
    decode_into(&mut out, s)?;
    String::from_utf8(out).map_err(|_| QueryError::Undecodable)
}

/// Parameters whose values are secrets: passwords, password digests, and
/// session tokens (a live `uid` is as good as a password).
const SECRETS: [&str; 8] = ["password", "newpasswd", "encrypt", "data", "uid", "authid", "ftp_password", "smtp_password"];

/// A request target for the log: the path up to its query (which starts at
/// `?`, or at the first `&` as in `snapshot.cgi&username=…&password=…`), and
/// the query with the value of every secret parameter replaced by `***`.
/// Names are compared decoded, so `pass%77ord` is hidden like `password`; a
/// name that does not decode has its value hidden too.
pub fn redacted(url: &str) -> String {
    let (path, query) = match url.find(['?', '&']) {
        Some(i) => (url.get(..i).unwrap_or(url), url.get(i..).unwrap_or("")),
        None => return url.to_string(),
    };
    let mut out = String::with_capacity(url.len());
    out.push_str(path);
    for (i, pair) in query.get(1..).unwrap_or("").split('&').enumerate() {
        out.push(if i == 0 { query.chars().next().unwrap_or('?') } else { '&' });
        let (name, _) = pair.split_once('=').unwrap_or((pair, ""));
        let secret = decode(name).map_or(true, |n| SECRETS.iter().any(|s| n.eq_ignore_ascii_case(s)));
        if secret && pair.contains('=') {
            out.push_str(name);
            out.push_str("=***");
        } else {
            out.push_str(pair);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plus_is_literal_and_percent_decodes() {
        let p = Params::parse("timezone=GMT+08:00&t=%2B%E4%BD%A0").unwrap();
        assert_eq!(p.get("timezone"), Some("GMT+08:00"));
        assert_eq!(p.get("t"), Some("+你"));
    }

    #[test]
    fn empty_pairs_and_cache_busters_are_skipped() {
        let p = Params::parse("&&set=keep_alive&_=1&timestamp=2&xtamp=3&").unwrap();
        assert_eq!(p.names().collect::<Vec<_>>(), ["set"]);
    }

    #[test]
    fn faults() {
        assert_eq!(Params::parse("a=%zz"), Err(QueryError::Undecodable));
        assert_eq!(Params::parse("a=%"), Err(QueryError::Undecodable));
        assert_eq!(Params::parse("a=%ff"), Err(QueryError::Undecodable));
        assert_eq!(Params::parse("a=1&a=2"), Err(QueryError::Duplicated("a".into())));
    }

    #[test]
    fn secrets_are_redacted_by_decoded_name_in_every_url_form() {
        assert_eq!(redacted("/cgi-bin/x?username=a&password=b&data=<x>&uid=1"), "/cgi-bin/x?username=a&password=***&data=***&uid=***");
        assert_eq!(
            redacted("/cgi-bin/snapshot.cgi&username=a&pass%77ord=b&u%69d=c"),
            "/cgi-bin/snapshot.cgi&username=a&pass%77ord=***&u%69d=***"
        );
        assert_eq!(redacted("/p?ftp_password=x&SMTP_PASSWORD=y&%zz=z&plain"), "/p?ftp_password=***&SMTP_PASSWORD=***&%zz=***&plain");
        assert_eq!(redacted("/cgi-bin/image"), "/cgi-bin/image");
    }
}
