//! The device service's clock: `GetSystemDateAndTime` and
//! `SetSystemDateAndTime`, with the zone written in POSIX's form.

use super::soap::{Envelope, SoapFault};
use super::{device_fault, from_refusal, Answer, App, Context};
use crate::api::calendar::{civil, days_from_civil, days_in_month, Civil};
use crate::interfaces::time::{self, ManualTime, TimeChange};
use crate::state::app::lock;

fn date_time([y, mo, d, h, mi, s]: Civil) -> String {
    format!(
        "<tt:Time><tt:Hour>{h}</tt:Hour><tt:Minute>{mi}</tt:Minute><tt:Second>{s}</tt:Second></tt:Time><tt:Date>\
            <tt:Year>{y}</tt:Year><tt:Month>{mo}</tt:Month><tt:Day>{d}</tt:Day></tt:Date>"
    )
}

/// A POSIX zone for a CGI zone: `GMT+08:00` is `UTC-08:00` in POSIX's sign
/// (and [`cgi_zone`] reads it back).
fn posix_zone(zone: &str) -> String {
    match zone.strip_prefix("GMT") {
        Some(offset) if offset.starts_with('+') => format!("UTC-{}", &offset[1..]),
        Some(offset) if offset.starts_with('-') => format!("UTC+{}", &offset[1..]),
        _ => "UTC0".to_string(),
    }
}

fn number(env: &Envelope, name: &str) -> Result<i64, SoapFault> {
    env.text(name).and_then(|v| v.parse().ok()).ok_or_else(|| SoapFault::invalid(format!("{name} is missing or not a number")))
}

/// The CGI's zone (`GMT+08:00`) for a POSIX one (`CST-8`, `UTC-08:00`:
/// POSIX counts west of Greenwich as positive); the daylight-saving part is
/// not read. `UTC`, `GMT` and `Z` alone (no offset, as Home Assistant sends
/// its zone when it is UTC) are Greenwich; a zone by place name
/// (`Europe/Berlin`) is not POSIX and is refused, so that a client falls back
/// to the POSIX form.
fn cgi_zone(posix: &str) -> Option<String> {
    if ["UTC", "GMT", "Z", "UCT"].iter().any(|name| posix.eq_ignore_ascii_case(name)) {
        return Some("GMT+00:00".to_string());
    }
    let rest = match posix.strip_prefix('<') {
        Some(quoted) => quoted.split_once('>')?.1,
        None => posix.trim_start_matches(|c: char| c.is_ascii_alphabetic()),
    };
    let (sign, rest) = match rest.as_bytes().first()? {
        b'-' => ('+', &rest[1..]),
        b'+' => ('-', &rest[1..]),
        _ => ('-', rest),
    };
    let offset = rest.split(|c: char| c.is_ascii_alphabetic() || c == ',').next()?;
    let (hours, minutes) = offset.split_once(':').unwrap_or((offset, "0"));
    let (hours, minutes): (u8, u8) = (hours.parse().ok()?, minutes.parse().ok()?);
    let sign = if hours == 0 && minutes == 0 { '+' } else { sign };
    Some(format!("GMT{sign}{hours:02}:{minutes:02}"))
}

fn set_date_time(cam: &App, env: &Envelope) -> Result<Answer, SoapFault> {
    let mut change = TimeChange::default();
    if let Some(tz) = env.text("TZ").filter(|tz| !tz.is_empty()) {
        let zone = cgi_zone(tz).ok_or_else(|| SoapFault::sender(&["ter:InvalidArgVal", "ter:InvalidTimeZone"], "TZ: a POSIX time zone"))?;
        change.timezone = Some(zone);
    }
    match env.text("DateTimeType") {
        Some("NTP") => change.update_method = Some("NTP".into()),
        Some("Manual") => {
            // Checked here, in UTC, with the CGI's texts: a 13th month
            // would roll over.
            let ranged = |name: &str, cgi: &str, lo: i64, hi: i64| {
                number(env, name).and_then(|v| {
                    if (lo..=hi).contains(&v) {
                        Ok(v)
                    } else {
                        Err(SoapFault::invalid(format!("{cgi} range: {lo}-{hi}")))
                    }
                })
            };
            let (y, mo) = (ranged("Year", "year", 2000, 2099)?, ranged("Month", "month", 1, 12)?);
            let d = ranged("Day", "day", 1, days_in_month(y, mo))?;
            let unix = days_from_civil(y, mo, d) * 86400
                + ranged("Hour", "hour", 0, 23)? * 3600
                + ranged("Minute", "min", 0, 59)? * 60
                + ranged("Second", "sec", 0, 59)?;
            change.update_method = Some("MANUAL".into());
            change.manual = Some(ManualTime::Utc(unix));
        }
        _ => return Err(SoapFault::invalid("DateTimeType: Manual or NTP")),
    }
    time::set(&cam.shared, &cam.time, change).map_err(from_refusal)?;
    Ok(Answer::new("<tds:SetSystemDateAndTimeResponse/>".into()))
}

pub fn get_system_date_and_time(cam: &App, _ctx: &Context, _env: &Envelope) -> Result<Answer, SoapFault> {
    let body = {
        let unit = lock(&cam.time);
        let now = unit.hal.now().map_err(device_fault)?;
        let zone = unit.config.timezone();
        let kind = if unit.config.ntp().is_some() { "NTP" } else { "Manual" };
        format!(
            "<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime><tt:DateTimeType>{kind}</tt:DateTimeType>\
                <tt:DaylightSavings>false</tt:DaylightSavings><tt:TimeZone><tt:TZ>{}</tt:TZ></tt:TimeZone>\
                <tt:UTCDateTime>{}</tt:UTCDateTime><tt:LocalDateTime>{}</tt:LocalDateTime></tds:SystemDateAndTime>\
                </tds:GetSystemDateAndTimeResponse>",
            posix_zone(zone),
            date_time(civil(now)),
            date_time(time::local_time(now, zone))
        )
    };
    Ok(Answer::new(body))
}

pub fn set_system_date_and_time(cam: &App, _ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    set_date_time(cam, env)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn posix_zones_become_the_cgi_zones() {
        assert_eq!(cgi_zone("CST-8").as_deref(), Some("GMT+08:00"));
        assert_eq!(cgi_zone("UTC-05:45").as_deref(), Some("GMT+05:45"));
        assert_eq!(cgi_zone("EST5EDT,M3.2.0,M11.1.0").as_deref(), Some("GMT-05:00"));
        assert_eq!(cgi_zone("<+0330>-3:30").as_deref(), Some("GMT+03:30"));
        assert_eq!(cgi_zone("UTC0").as_deref(), Some("GMT+00:00"));
        assert_eq!(cgi_zone(&posix_zone("GMT-03:30")).as_deref(), Some("GMT-03:30"));
        assert_eq!(cgi_zone("nonsense"), None);
        assert_eq!(cgi_zone("UTC").as_deref(), Some("GMT+00:00"));
        assert_eq!(cgi_zone("gmt").as_deref(), Some("GMT+00:00"));
        assert_eq!(cgi_zone("CET-1CEST,M3.5.0,M10.5.0/3").as_deref(), Some("GMT+01:00"));
        assert_eq!(cgi_zone("Europe/Berlin"), None);
    }
}
