//! The motion family: `/cgi-bin/motion` (detection settings and area mask).

use crate::api::fields::{flag_or, given_flag, given_int, in_range, Given};
use crate::api::query::Params;
use crate::api::refusal::Refusal;
use crate::api::xml::Doc;
use crate::interfaces::call::{Call, Reply};
use crate::state::app::{load_unit, lock, reset_unit, Shared, Unit};
use crate::state::store::Store;
use camcgi_hal::{DeviceError, MotionConfig, MotionDetector, MotionGrid};
use serde::{Deserialize, Serialize};
use std::sync::Mutex;

/// The interface's parameters, in its table's order.
pub const PARAMS: &[&str] = &[
    "enable",
    "sensitivity",
    "alarmthreshold",
    "enable_nighttime",
    "night_sensitivity",
    "night_alarmthreshold",
    "blockcount",
    "areavalue",
];
const FILE: &str = "motion.xml";

/// Detection settings, the area as lowercase hex.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "motion")]
pub struct MotionSettings {
    enable: bool,
    sensitivity: u8,
    alarmthreshold: u8,
    enable_nighttime: bool,
    night_sensitivity: u8,
    night_alarmthreshold: u8,
    areavalue: String,
}

/// The detector and its settings.
pub type MotionUnit = Unit<dyn MotionDetector<Error = DeviceError> + Send, MotionSettings>;

/// The area mask with every block selected and the padding bits zero.
fn full_area(grid: MotionGrid) -> String {
    let cells = grid.cells();
    (0..grid.mask_len())
        .map(|i| {
            let used = cells.saturating_sub(i * 8).min(8);
            let byte = if used == 0 { 0 } else { 0xffu8 << (8 - used) };
            format!("{byte:02x}")
        })
        .collect()
}

/// The CGI document's example values, with the whole picture watched.
fn defaults(grid: MotionGrid) -> MotionSettings {
    MotionSettings {
        enable: true,
        sensitivity: 80,
        alarmthreshold: 20,
        enable_nighttime: true,
        night_sensitivity: 80,
        night_alarmthreshold: 20,
        areavalue: full_area(grid),
    }
}

/// Decodes an area mask: exactly the grid's bytes in hex, padding bits zero.
fn decode_area(grid: MotionGrid, hex: &str) -> Option<Vec<u8>> {
    if hex.len() != grid.mask_len() * 2 {
        return None;
    }
    let mut bytes = vec![0u8; grid.mask_len()];
    hex::decode_to_slice(hex, &mut bytes).ok()?;
    let spare = grid.mask_len() * 8 - grid.cells();
    let padding = if spare == 0 { 0 } else { (1u8 << spare) - 1 };
    (bytes.last().is_none_or(|last| last & padding == 0)).then_some(bytes)
}

fn percent(v: u8) -> bool {
    (1..=100).contains(&v)
}

impl MotionSettings {
    /// Whether detection is on, by day or by night: with both off the
    /// detector's state is not motion, and no motion event is sent.
    pub fn detecting(&self) -> bool {
        self.enable || self.enable_nighttime
    }

    fn hardware(&self, grid: MotionGrid) -> MotionConfig {
        MotionConfig {
            enable: self.enable,
            sensitivity: self.sensitivity,
            alarmthreshold: self.alarmthreshold,
            enable_nighttime: self.enable_nighttime,
            night_sensitivity: self.night_sensitivity,
            night_alarmthreshold: self.night_alarmthreshold,
            area: decode_area(grid, &self.areavalue).unwrap_or_default(),
        }
    }

    fn is_valid(&self, grid: MotionGrid) -> bool {
        [self.sensitivity, self.alarmthreshold, self.night_sensitivity, self.night_alarmthreshold].into_iter().all(percent)
            && decode_area(grid, &self.areavalue).is_some()
    }
}

fn apply(hal: &mut (dyn MotionDetector<Error = DeviceError> + Send + 'static), s: &MotionSettings) -> Result<(), DeviceError> {
    let grid = hal.grid();
    hal.configure(&s.hardware(grid))
}

/// Loads the settings and applies them.
pub fn load(hal: Box<dyn MotionDetector<Error = DeviceError> + Send>, store: &Store) -> MotionUnit {
    let grid = hal.grid();
    load_unit(hal, store, FILE, defaults(grid), |s| s.is_valid(grid), apply)
}

/// Factory defaults.
pub fn reset(unit: &mut MotionUnit, store: &Store) {
    let grid = unit.hal.grid();
    reset_unit(unit, store, FILE, defaults(grid), apply);
}

/// A change to motion detection, each field given or not; `set` checks them in the table's order.
#[derive(Debug, Clone, Default)]
pub struct MotionChange {
    /// Detection by day, its sensitivity and alarm threshold (1-100).
    pub enable: Given<bool>,
    /// 1-100.
    pub sensitivity: Given<i64>,
    /// 1-100.
    pub alarmthreshold: Given<i64>,
    /// Detection by night, its sensitivity and alarm threshold.
    pub enable_nighttime: Given<bool>,
    /// 1-100.
    pub night_sensitivity: Given<i64>,
    /// 1-100.
    pub night_alarmthreshold: Given<i64>,
    /// `ROWSxCOLS`, which must be the board's grid.
    pub blockcount: Option<String>,
    /// The area mask in hex, one bit per block.
    pub areavalue: Option<String>,
}

impl MotionChange {
    /// `/cgi-bin/motion`'s parameters.
    pub fn from_params(p: &Params) -> MotionChange {
        MotionChange {
            enable: given_flag(p, "enable"),
            sensitivity: given_int(p, "sensitivity"),
            alarmthreshold: given_int(p, "alarmthreshold"),
            enable_nighttime: given_flag(p, "enable_nighttime"),
            night_sensitivity: given_int(p, "night_sensitivity"),
            night_alarmthreshold: given_int(p, "night_alarmthreshold"),
            blockcount: p.get("blockcount").map(str::to_string),
            areavalue: p.get("areavalue").map(str::to_string),
        }
    }
}

/// The grid as the CGI writes it, `ROWSxCOLS`.
fn blockcount(grid: MotionGrid) -> String {
    format!("{}x{}", grid.rows, grid.cols)
}

/// Checks a change, applies it to the detector and writes it; a fault changes nothing.
pub fn set(app: &Shared, motion: &Mutex<MotionUnit>, change: MotionChange) -> Result<MotionSettings, Refusal> {
    let mut unit = lock(motion);
    let grid = unit.hal.grid();
    let mut n = unit.config.clone();
    n.enable = flag_or(change.enable, "enable", n.enable)?;
    n.sensitivity = in_range(change.sensitivity, "sensitivity", 1, 100, n.sensitivity)?;
    n.alarmthreshold = in_range(change.alarmthreshold, "alarmthreshold", 1, 100, n.alarmthreshold)?;
    n.enable_nighttime = flag_or(change.enable_nighttime, "enable_nighttime", n.enable_nighttime)?;
    n.night_sensitivity = in_range(change.night_sensitivity, "night_sensitivity", 1, 100, n.night_sensitivity)?;
    n.night_alarmthreshold = in_range(change.night_alarmthreshold, "night_alarmthreshold", 1, 100, n.night_alarmthreshold)?;
    if change.blockcount.is_some_and(|b| !b.eq_ignore_ascii_case(&blockcount(grid))) {
        return Err(Refusal::error("blockcount"));
    }
    if let Some(area) = change.areavalue {
        if decode_area(grid, &area).is_none() {
            return Err(Refusal::error("areavalue"));
        }
        n.areavalue = area.to_ascii_lowercase();
    }
    unit.commit(&app.store, FILE, n, apply)?;
    Ok(unit.config.clone())
}

/// `/cgi-bin/motion`: query, or set; `blockcount` must be the board's grid.
pub fn handle(app: &Shared, motion: &Mutex<MotionUnit>, call: &Call) -> Result<Reply, Refusal> {
    let grid = lock(motion).hal.grid();
    let s = if call.is_set() { set(app, motion, MotionChange::from_params(&call.params))? } else { lock(motion).config.clone() };
    let mut doc = Doc::new();
    doc.element("motion")
        .attr("enable", u8::from(s.enable))
        .attr("sensitivity", s.sensitivity)
        .attr("alarmthreshold", s.alarmthreshold)
        .attr("enable_nighttime", u8::from(s.enable_nighttime))
        .attr("night_sensitivity", s.night_sensitivity)
        .attr("night_alarmthreshold", s.night_alarmthreshold)
        .attr("blockcount", blockcount(grid))
        .attr("areavalue", &s.areavalue)
        .empty();
    Ok(Reply::xml(doc.finish()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn area_masks() {
        let g4 = MotionGrid { rows: 4, cols: 4 };
        assert_eq!(full_area(g4), "ffff");
        assert!(decode_area(g4, "0000").is_some());
        let g = MotionGrid { rows: 22, cols: 18 };
        let full = full_area(g);
        assert_eq!(full.len(), 100);
        assert!(full.ends_with("f0"));
        assert!(decode_area(g, &full).is_some());
        let bad_padding = format!("{}f1", &full[..98]);
        assert!(decode_area(g, &bad_padding).is_none());
        assert!(decode_area(g, &full[..98]).is_none());
        assert!(decode_area(g, &format!("{}zz", &full[..98])).is_none());
    }
}
