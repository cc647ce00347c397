//! The time family: `/cgi-bin/time` (zone, synchronisation, manual clock setting).

use crate::api::calendar::{civil, days_from_civil, days_in_month, Civil};
use crate::api::fields::{given_int, in_range, Given};
use crate::api::refusal::Refusal;
use crate::api::xml::Doc;
use crate::interfaces::call::{Call, Reply};
use crate::state::app::{load_unit, lock, reset_unit, Shared, Unit};
use crate::state::store::Store;
use camcgi_hal::{DeviceError, TimeSettings, TimeSource, WallClock};
use serde::{Deserialize, Serialize};
use std::sync::Mutex;

/// The interface's parameters, in its table's order.
pub const PARAMS: &[&str] = &["timezone", "update_method", "year", "month", "day", "hour", "min", "sec", "ntpaddr", "port"];
const FILE: &str = "time.xml";

/// The 32 zones of the CGI document's table, exactly.
pub const ZONES: [&str; 32] = [
    "GMT+00:00",
    "GMT+01:00",
    "GMT+02:00",
    "GMT+03:00",
    "GMT+03:30",
    "GMT+04:00",
    "GMT+04:30",
    "GMT+05:00",
    "GMT+05:30",
    "GMT+05:45",
    "GMT+06:00",
    "GMT+06:30",
    "GMT+07:00",
    "GMT+08:00",
    "GMT+09:00",
    "GMT+09:30",
    "GMT+10:00",
    "GMT+11:00",
    "GMT+12:00",
    "GMT+13:00",
    "GMT-01:00",
    "GMT-02:00",
    "GMT-03:00",
    "GMT-03:30",
    "GMT-04:00",
    "GMT-04:30",
    "GMT-05:00",
    "GMT-06:00",
    "GMT-07:00",
    "GMT-08:00",
    "GMT-09:00",
    "GMT-10:00",
];

/// Where the time comes from, as the API names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum UpdateMethod {
    /// `MANUAL`.
    Manual,
    /// `NTP`.
    Ntp,
    /// `P2P`.
    P2p,
}

impl UpdateMethod {
    fn parse(s: &str) -> Option<UpdateMethod> {
        match s.to_ascii_uppercase().as_str() {
            "MANUAL" => Some(UpdateMethod::Manual),
            "NTP" => Some(UpdateMethod::Ntp),
            "P2P" => Some(UpdateMethod::P2p),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            UpdateMethod::Manual => "MANUAL",
            UpdateMethod::Ntp => "NTP",
            UpdateMethod::P2p => "P2P",
        }
    }
}

/// Zone and synchronisation settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "time")]
pub struct TimeConfig {
    timezone: String,
    update_method: UpdateMethod,
    ntpaddr: String,
    port: u16,
}

impl Default for TimeConfig {
    fn default() -> Self {
        TimeConfig { timezone: "GMT+00:00".to_string(), update_method: UpdateMethod::Ntp, ntpaddr: "pool.ntp.org".to_string(), port: 123 }
    }
}

impl TimeConfig {
    /// The zone, as the CGI names it (`GMT+08:00`).
    pub fn timezone(&self) -> &str {
        &self.timezone
    }

    /// The NTP server, when the clock follows one.
    pub fn ntp(&self) -> Option<&str> {
        (self.update_method == UpdateMethod::Ntp).then_some(self.ntpaddr.as_str())
    }
}

/// The zone's offset from UTC in minutes (`GMT+05:45` → 345).
fn offset_minutes(zone: &str) -> i32 {
    let rest = zone.get(3..).unwrap_or("");
    let sign = if rest.starts_with('-') { -1 } else { 1 };
    let hours: i32 = rest.get(1..3).and_then(|h| h.parse().ok()).unwrap_or(0);
    let minutes: i32 = rest.get(4..6).and_then(|m| m.parse().ok()).unwrap_or(0);
    sign * (hours * 60 + minutes)
}

impl TimeConfig {
    fn settings(&self) -> TimeSettings {
        let source = match self.update_method {
            UpdateMethod::Manual => TimeSource::Manual,
            UpdateMethod::Ntp => TimeSource::Ntp { server: self.ntpaddr.clone(), port: self.port },
            UpdateMethod::P2p => TimeSource::P2p,
        };
        TimeSettings { zone: self.timezone.clone(), utc_offset_minutes: offset_minutes(&self.timezone), source }
    }

    fn is_valid(&self) -> bool {
        ZONES.contains(&self.timezone.as_str()) && valid_host_name(&self.ntpaddr) && self.port >= 1
    }
}

/// A host name or dotted address: 1-253 bytes of letters, digits, `-` and `.`, no empty label.
pub fn valid_host_name(s: &str) -> bool {
    (1..=253).contains(&s.len())
        && s.split('.').all(|l| !l.is_empty() && l.len() <= 63)
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

/// The clock and its settings.
pub type TimeUnit = Unit<dyn WallClock<Error = DeviceError> + Send, TimeConfig>;

fn apply(hal: &mut (dyn WallClock<Error = DeviceError> + Send + 'static), c: &TimeConfig) -> Result<(), DeviceError> {
    hal.configure(&c.settings())
}

/// Loads the settings and applies them.
pub fn load(hal: Box<dyn WallClock<Error = DeviceError> + Send>, store: &Store) -> TimeUnit {
    load_unit(hal, store, FILE, TimeConfig::default(), TimeConfig::is_valid, apply)
}

/// Factory defaults.
pub fn reset(unit: &mut TimeUnit, store: &Store) {
    reset_unit(unit, store, FILE, TimeConfig::default(), apply);
}

/// UTC seconds to local calendar time in a zone.
pub fn local_time(unix: i64, zone: &str) -> Civil {
    civil(unix + i64::from(offset_minutes(zone)) * 60)
}

/// The camera's local time now, in the configured zone.
pub fn now_local(unit: &TimeUnit) -> Result<Civil, DeviceError> {
    Ok(local_time(unit.hal.now()?, &unit.config.timezone))
}

/// The manual time fields with their ranges; `day`'s upper bound is the month's length.
const MANUAL_FIELDS: [(&str, i64, i64); 6] =
    [("year", 2000, 2099), ("month", 1, 12), ("day", 1, 31), ("hour", 0, 23), ("min", 0, 59), ("sec", 0, 59)];

/// A clock set by hand.
#[derive(Debug, Clone)]
pub enum ManualTime {
    /// Local fields in the zone being set (year, month, day, hour, min,
    /// sec); a field not given keeps the camera's current local value, so
    /// `hour=8&min=0&sec=0` keeps the date.
    Local([Given<i64>; 6]),
    /// Unix seconds.
    Utc(i64),
}

/// A change to the time settings; `set` checks it.
#[derive(Debug, Clone, Default)]
pub struct TimeChange {
    /// One of `ZONES`.
    pub timezone: Option<String>,
    /// `MANUAL`, `NTP` or `P2P`, in any case.
    pub update_method: Option<String>,
    /// The clock, set by hand.
    pub manual: Option<ManualTime>,
    /// The NTP server.
    pub ntpaddr: Option<String>,
    /// The NTP port.
    pub port: Given<i64>,
}

impl TimeChange {
    /// `/cgi-bin/time`'s parameters.
    pub fn from_params(p: &crate::api::query::Params) -> TimeChange {
        let manual =
            MANUAL_FIELDS.iter().any(|(n, _, _)| p.has(n)).then(|| ManualTime::Local(MANUAL_FIELDS.map(|(n, _, _)| given_int(p, n))));
        TimeChange {
            timezone: p.get("timezone").map(str::to_string),
            update_method: p.get("update_method").map(str::to_string),
            manual,
            ntpaddr: p.get("ntpaddr").map(str::to_string),
            port: given_int(p, "port"),
        }
    }
}

/// The UTC time a manual set asks for, in the zone being set.
fn manual_time(unit: &TimeUnit, manual: ManualTime, zone: &str) -> Result<i64, Refusal> {
    let fields = match manual {
        ManualTime::Utc(unix) => {
            let [year, ..] = local_time(unix, zone);
            let (_, lo, hi) = MANUAL_FIELDS[0];
            if !(lo..=hi).contains(&year) {
                return Err(Refusal::range("year", lo, hi));
            }
            return Ok(unix);
        }
        ManualTime::Local(fields) => fields,
    };
    let mut t = local_time(unit.hal.now().map_err(|e| Refusal::device(&e))?, zone);
    for ((slot, (name, lo, hi)), given) in t.iter_mut().zip(MANUAL_FIELDS).zip(fields) {
        *slot = in_range(given, name, lo, hi, *slot)?;
    }
    let [y, mo, d, h, mi, s] = t;
    let month_days = days_in_month(y, mo);
    if d > month_days {
        return Err(Refusal::range("day", 1, month_days));
    }
    Ok((days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s) - i64::from(offset_minutes(zone)) * 60)
}

/// Checks a change and applies it: the zone and synchronisation (to the
/// board, then to disk), then the clock; a fault changes nothing.
pub fn set(app: &Shared, time: &Mutex<TimeUnit>, change: TimeChange) -> Result<(), Refusal> {
    let mut unit = lock(time);
    let mut new = unit.config.clone();
    if let Some(zone) = change.timezone {
        new.timezone = ZONES.iter().find(|z| **z == zone).ok_or_else(|| Refusal::error("timezone"))?.to_string();
    }
    if let Some(method) = change.update_method {
        new.update_method = UpdateMethod::parse(&method).ok_or_else(|| Refusal::error("update_method"))?;
    }
    let when = match change.manual {
        Some(manual) => Some(manual_time(&unit, manual, &new.timezone)?),
        None => None,
    };
    if let Some(addr) = change.ntpaddr {
        if !valid_host_name(&addr) {
            return Err(Refusal::error("ntpaddr"));
        }
        new.ntpaddr = addr;
    }
    new.port = in_range(change.port, "port", 1, 65535, new.port)?;
    let old = unit.config.clone();
    unit.commit(&app.store, FILE, new, apply)?;
    if let Some(unix) = when {
        if let Err(e) = unit.hal.set(unix) {
            // Put the previous zone and synchronisation back, so a failed set changes nothing.
            if let Err(again) = unit.commit(&app.store, FILE, old, apply) {
                log::error!("time settings not restored: {}", again.reason);
            }
            return Err(Refusal::device(&e));
        }
        log::info!("clock set by hand");
        app.forward_clock(unix);
    }
    Ok(())
}

/// `/cgi-bin/time`: query, or set zone, synchronisation, or the clock by hand.
pub fn handle(app: &Shared, time: &Mutex<TimeUnit>, call: &Call) -> Result<Reply, Refusal> {
    if call.is_set() {
        set(app, time, TimeChange::from_params(&call.params))?;
    }
    let unit = lock(time);
    let c = &unit.config;
    let [y, mo, d, h, mi, s] = now_local(&unit).map_err(|e| Refusal::device(&e))?;
    let mut doc = Doc::new();
    doc.element("time")
        .attr("timezone", &c.timezone)
        .attr("update_method", c.update_method.name())
        .attr("ntpaddr", &c.ntpaddr)
        .attr("port", c.port)
        .attr("current_time", format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}"))
        .empty();
    Ok(Reply::xml(doc.finish()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_times_follow_the_zone() {
        // 2017-11-30 00:00:00 UTC is 1512000000.
        assert_eq!(local_time(1_512_000_000 + 8 * 3600, "GMT+08:00"), [2017, 11, 30, 16, 0, 0]);
        assert_eq!(offset_minutes("GMT-03:30"), -210);
        assert_eq!(offset_minutes("GMT+05:45"), 345);
    }
}
