//! Reading typed parameter values, with the fault texts of behaviour.md section 2.

use crate::api::query::Params;
use crate::api::refusal::Refusal;

/// A whole number as the documents write them: optional `-`, digits only.
pub fn parse_int(s: &str) -> Option<i64> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    if digits.is_empty() || digits.len() > 12 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// A finite decimal number as XML Schema writes `xs:float`, `xs:double`
/// and `xs:decimal`: an optional sign, digits with an optional fraction,
/// an optional exponent (`-0.5`, `.25`, `1E-3`). `INF` and `NaN` are not
/// numbers here. Exact for up to 18 significant digits and exponents of
/// up to 22, within an ulp beyond; std's correctly rounding parser would
/// cost the camera build 14 KiB of tables and code.
pub fn decimal(text: &str) -> Option<f64> {
    let bytes = text.as_bytes();
    let (negative, bytes) = match bytes.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, bytes),
    };
    let mut mantissa: u64 = 0;
    let mut exponent: i32 = 0;
    let mut digits = 0;
    let mut at = 0;
    let mut fraction = false;
    while let Some(&b) = bytes.get(at) {
        match b {
            b'0'..=b'9' => {
                digits += 1;
                if mantissa < 100_000_000_000_000_000 {
                    mantissa = mantissa * 10 + u64::from(b - b'0');
                    exponent -= i32::from(fraction);
                } else if !fraction {
                    exponent += 1;
                }
            }
            b'.' if !fraction => fraction = true,
            _ => break,
        }
        at += 1;
    }
    if digits == 0 {
        return None;
    }
    if let Some(b'e' | b'E') = bytes.get(at) {
        let written = std::str::from_utf8(&bytes[at + 1..]).ok()?;
        let unsigned = written.strip_prefix(['+', '-']).unwrap_or(written);
        if unsigned.is_empty() || unsigned.len() > 4 || !unsigned.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        exponent = exponent.checked_add(written.parse::<i32>().ok()?)?;
    } else if at != bytes.len() {
        return None;
    }
    let mut value = mantissa as f64;
    // 10^22 is the largest power of ten a double holds exactly.
    while exponent != 0 {
        let step = exponent.clamp(-22, 22);
        let scale = 10f64.powi(step.abs());
        value = if step > 0 { value * scale } else { value / scale };
        exponent -= step;
        if value == 0.0 || value.is_infinite() {
            break;
        }
    }
    let value = if negative { -value } else { value };
    value.is_finite().then_some(value)
}

/// A field of a typed change, as an adapter (the CGI, ONVIF) read it from
/// its wire format; the camera checks it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Given<T> {
    /// Not in the request: the setting stays.
    #[default]
    Absent,
    /// Read as a value of its type.
    Value(T),
    /// In the request but not readable as its type: refused with the
    /// field's own fault, in its place in the check order.
    Unreadable,
}

impl<T> Given<T> {
    /// Whether the request left the field out.
    pub fn is_absent(&self) -> bool {
        matches!(self, Given::Absent)
    }

    /// The value read further: `None` from `read` makes it unreadable.
    pub fn map<U>(self, read: impl FnOnce(T) -> Option<U>) -> Given<U> {
        match self {
            Given::Absent => Given::Absent,
            Given::Value(v) => read(v).map_or(Given::Unreadable, Given::Value),
            Given::Unreadable => Given::Unreadable,
        }
    }

    /// The value, or `current` when absent; `fault` when unreadable or not
    /// what `accept` takes.
    pub fn or_keep(self, current: T, accept: impl FnOnce(&T) -> bool, fault: impl FnOnce() -> Refusal) -> Result<T, Refusal> {
        match self {
            Given::Absent => Ok(current),
            Given::Value(v) if accept(&v) => Ok(v),
            _ => Err(fault()),
        }
    }
}

/// A whole number as given, its range not yet checked.
pub fn given_int(p: &Params, name: &str) -> Given<i64> {
    given_int_text(p.get(name))
}

/// A whole number from text, if any, its range not yet checked.
pub fn given_int_text(text: Option<&str>) -> Given<i64> {
    match text {
        None => Given::Absent,
        Some(v) => parse_int(v).map_or(Given::Unreadable, Given::Value),
    }
}

/// A number in `lo..=hi` as a `T`, or `current` when absent: `NAME range: LO-HI`.
pub fn in_range<T: TryFrom<i64>>(given: Given<i64>, name: &str, lo: i64, hi: i64, current: T) -> Result<T, Refusal> {
    match given {
        Given::Absent => Ok(current),
        Given::Value(v) if (lo..=hi).contains(&v) => T::try_from(v).map_err(|_| Refusal::range(name, lo, hi)),
        _ => Err(Refusal::range(name, lo, hi)),
    }
}

/// A 0/1 flag as given.
pub fn given_flag(p: &Params, name: &str) -> Given<bool> {
    match p.get(name) {
        None => Given::Absent,
        Some("0") => Given::Value(false),
        Some("1") => Given::Value(true),
        Some(_) => Given::Unreadable,
    }
}

/// A flag, or `current` when absent: `NAME: 0 or 1`.
pub fn flag_or(given: Given<bool>, name: &str, current: bool) -> Result<bool, Refusal> {
    given.or_keep(current, |_| true, || Refusal::option(name, "0 or 1"))
}

/// A non-negative number checked later against a capability set, or
/// `current` when absent: `NAME error`.
pub fn count_or(given: Given<i64>, name: &str, current: u32) -> Result<u32, Refusal> {
    match given {
        Given::Absent => Ok(current),
        Given::Value(v) => u32::try_from(v).map_err(|_| Refusal::error(name)),
        Given::Unreadable => Err(Refusal::error(name)),
    }
}

/// One of the numbered options `0..count`, or `current` when absent: `NAME: 0 or 1 or …`.
pub fn option_or(given: Given<i64>, name: &str, count: u8, current: u8) -> Result<u8, Refusal> {
    given.map(|n| u8::try_from(n).ok().filter(|n| *n < count)).or_keep(current, |_| true, || options(name, count))
}

fn options(name: &str, count: u8) -> Refusal {
    let choices: Vec<String> = (0..count).map(|n| n.to_string()).collect();
    Refusal::option(name, &choices.join(" or "))
}

/// A 0/1 flag: `NAME: 0 or 1`.
pub fn flag(p: &Params, name: &str) -> Result<Option<bool>, Refusal> {
    match p.get(name) {
        None => Ok(None),
        Some("0") => Ok(Some(false)),
        Some("1") => Ok(Some(true)),
        Some(_) => Err(Refusal::option(name, "0 or 1")),
    }
}

/// A number in `lo..=hi`: `NAME range: LO-HI`.
pub fn ranged<T: TryFrom<i64>>(p: &Params, name: &str, lo: i64, hi: i64) -> Result<Option<T>, Refusal> {
    match p.get(name) {
        None => Ok(None),
        Some(v) => parse_int(v)
            .filter(|n| (lo..=hi).contains(n))
            .and_then(|n| T::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| Refusal::range(name, lo, hi)),
    }
}

/// A non-negative number checked later against a capability set: `NAME error`.
pub fn count(p: &Params, name: &str) -> Result<Option<u32>, Refusal> {
    match p.get(name) {
        None => Ok(None),
        Some(v) => parse_int(v).and_then(|n| u32::try_from(n).ok()).map(Some).ok_or_else(|| Refusal::error(name)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_read_as_std_reads_them() {
        for text in ["0", "-0.5", "+1", ".25", "1.", "1E-3", "2.5e+2", "0.1", "-1", "123456789.123456789", "1e22", "3e-7"] {
            assert_eq!(decimal(text), text.parse::<f64>().ok(), "{text}");
        }
        for text in ["", "-", ".", "1..2", "1e", "1e+", "INF", "NaN", "inf", "1 ", " 1", "0x10", "1e99999", "1e400", "1,5"] {
            assert_eq!(decimal(text), None, "{text}");
        }
        assert_eq!(decimal("1e-400"), Some(0.0));
    }

    #[test]
    fn numbers_are_strict() {
        assert_eq!(parse_int("08"), Some(8));
        assert_eq!(parse_int("-1"), Some(-1));
        for bad in ["", "-", "+1", " 1", "1.0", "0x1", "99999999999999"] {
            assert_eq!(parse_int(bad), None, "{bad}");
        }
    }

    #[test]
    fn fault_texts() {
        let p = Params::parse("a=2&b=300&c=5").unwrap();
        assert_eq!(flag(&p, "a").unwrap_err().reason, "a: 0 or 1");
        assert_eq!(ranged::<u8>(&p, "b", 0, 255).unwrap_err().reason, "b range: 0-255");
        assert_eq!(option_or(given_int(&p, "c"), "c", 4, 0).unwrap_err().reason, "c: 0 or 1 or 2 or 3");
    }
}
