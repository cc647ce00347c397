//! Query strings as the camera documents use them (behaviour.md section 1).

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
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    /// Decodes a raw query string. `+` stays a literal plus; empty pairs are skipped.
    pub fn parse(raw: &str) -> Result<Params, QueryError> {
        let mut pairs: Vec<(String, String)> = Vec::new();
        for pair in raw.split('&').filter(|p| !p.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let name = decode(name)?;
            let value = decode(value)?;
            if CACHE_BUSTERS.contains(&name.as_str()) {
                continue;
            }
            if pairs.iter().any(|(n, _)| *n == name) {
                return Err(QueryError::Duplicated(name));
            }
            pairs.push((name, value));
        }
        Ok(Params { pairs })
    }

    /// The value of a parameter, if given.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// Whether a parameter was given.
    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Parameter names in the order given.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.pairs.iter().map(|(n, _)| n.as_str())
    }

    /// Whether no parameter (other than cache-busters) was given.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }
}

fn hex_value(b: u8) -> Option<u8> {
    char::from(b).to_digit(16).and_then(|d| u8::try_from(d).ok())
}

/// Percent-decodes one name or value into UTF-8.
fn decode(s: &str) -> Result<String, QueryError> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hi = bytes.get(i + 1).copied().and_then(hex_value);
            let lo = bytes.get(i + 2).copied().and_then(hex_value);
            match (hi, lo) {
                (Some(hi), Some(lo)) => out.push(hi << 4 | lo),
                _ => return Err(QueryError::Undecodable),
            }
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| QueryError::Undecodable)
}

/// The query string with secret values replaced, for logging. A live `uid`
/// is as good as a password, so it is hidden too.
pub fn redacted(raw: &str) -> String {
    const SECRETS: [&str; 5] = ["password", "newpasswd", "encrypt", "data", "uid"];
    raw.split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if SECRETS.iter().any(|s| name.eq_ignore_ascii_case(s)) => format!("{name}=***"),
            _ => pair.to_string(),
        })
        .collect::<Vec<_>>()
        .join("&")
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
    fn secrets_are_redacted() {
        assert_eq!(redacted("username=a&password=b&data=<x>&uid=1"), "username=a&password=***&data=***&uid=***");
    }
}
