//! XML Schema's times as ONVIF sends them: `xs:duration` and `xs:dateTime`,
//! range-checked before any arithmetic.

use crate::api::calendar::{civil, days_from_civil};

/// An `xs:duration` of days, hours, minutes and seconds (`PT10S`, `PT1M30S`,
/// `P1D`, `PT0.5S`), in milliseconds.
pub fn duration_ms(s: &str) -> Option<u64> {
    let rest = s.trim().strip_prefix('P')?;
    let (days, time) = match rest.split_once('T') {
        Some((d, t)) => (d, t),
        None => (rest, ""),
    };
    let mut ms: u64 = 0;
    if !days.is_empty() {
        ms = days.strip_suffix('D')?.parse::<u64>().ok()?.checked_mul(86_400_000)?;
    }
    let mut number = String::new();
    let mut any = !days.is_empty();
    for c in time.chars() {
        match c {
            '0'..='9' | '.' => number.push(c),
            'H' | 'M' | 'S' => {
                let unit = match c {
                    'H' => 3_600_000.0,
                    'M' => 60_000.0,
                    _ => 1000.0,
                };
                let v = crate::api::fields::decimal(&number)?;
                ms = ms.checked_add((v * unit) as u64)?;
                number.clear();
                any = true;
            }
            _ => return None,
        }
    }
    (any && number.is_empty()).then_some(ms)
}

/// An `xs:dateTime` in UTC or with an offset (`2026-11-23T18:00:00Z`,
/// fractions allowed), as Unix seconds. Every part is range-checked before
/// any arithmetic: a year of 0-9999, an offset of at most 14:59.
pub fn datetime(s: &str) -> Option<i64> {
    let s = s.trim();
    let (date, time) = s.split_once('T')?;
    let mut d = date.splitn(3, '-').map(|p| p.parse::<i64>().ok());
    let (y, mo, da) = (d.next()??, d.next()??, d.next()??);
    let (clock, offset) = if let Some(c) = time.strip_suffix('Z') {
        (c, 0)
    } else if let Some(i) = time.rfind(['+', '-']) {
        let (c, off) = time.split_at(i);
        let sign = if off.starts_with('-') { -1 } else { 1 };
        let (h, m) = off[1..].split_once(':')?;
        let (h, m) = (h.parse::<i64>().ok().filter(|h| (0..=14).contains(h))?, m.parse::<i64>().ok().filter(|m| (0..=59).contains(m))?);
        (c, sign * (h * 3600 + m * 60))
    } else {
        (time, 0)
    };
    let clock = clock.split('.').next()?;
    let mut c = clock.splitn(3, ':').map(|p| p.parse::<i64>().ok());
    let (h, mi, se) = (c.next()??, c.next()??, c.next()??);
    if !(0..=9999).contains(&y)
        || !(1..=12).contains(&mo)
        || !(1..=31).contains(&da)
        || !(0..=23).contains(&h)
        || !(0..=59).contains(&mi)
        || !(0..=60).contains(&se)
    {
        return None;
    }
    Some(days_from_civil(y, mo, da) * 86400 + h * 3600 + mi * 60 + se - offset)
}

/// Unix seconds as an `xs:dateTime` in UTC.
pub fn format_datetime(unix: i64) -> String {
    let [y, m, d, h, mi, s] = civil(unix);
    format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetimes_out_of_range_are_refused_before_any_arithmetic() {
        assert_eq!(datetime("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(datetime("2026-01-01T01:00:00+01:00"), Some(1_767_225_600));
        assert_eq!(datetime("99999999999999999-01-01T00:00:00Z"), None);
        assert_eq!(datetime("2026-01-01T00:00:00+99999999999999:00"), None);
        assert_eq!(datetime("2026-01-01T00:00:00+01:99999999999999"), None);
        assert_eq!(datetime("2026-01-01T-9999999999999999:00:00Z"), None);
    }

    #[test]
    fn durations_and_times_read_as_onvif_writes_them() {
        assert_eq!(duration_ms("PT10S"), Some(10_000));
        assert_eq!(duration_ms("PT1M30S"), Some(90_000));
        assert_eq!(duration_ms("PT0.5S"), Some(500));
        assert_eq!(duration_ms("P1DT1H"), Some(90_000_000));
        assert_eq!(duration_ms("PT"), None);
        assert_eq!(duration_ms("10"), None);
        assert_eq!(datetime("1970-01-02T00:00:01Z"), Some(86401));
        assert_eq!(datetime("1970-01-02T01:00:01.250+01:00"), Some(86401));
        assert_eq!(format_datetime(86401), "1970-01-02T00:00:01Z");
        assert_eq!(datetime("1970-13-02T00:00:01Z"), None);
    }
}
