//! The OSD family: `/cgi-bin/osd` (title and time overlay).

use crate::api::fields::{flag, small_option};
use crate::api::query::Params;
use crate::api::xml::{Doc, Fault};
use crate::interfaces::call::{Call, Reply};
use crate::state::app::{load_unit, lock, reset_unit, Shared, Unit};
use crate::state::store::Store;
use camcgi_hal::{DeviceError, OsdConfig, OsdOverlay};
use std::sync::Mutex;

/// The interface's parameters, in its table's order.
pub const PARAMS: &[&str] = &[
    "enable",
    "color",
    "fontsize",
    "title_pos_type",
    "title_pos_x",
    "title_pos_y",
    "show_res_bit",
    "time_pos_type",
    "time_pos_x",
    "time_pos_y",
    "show_week",
    "time_format",
    "title_utf8",
];
const FILE: &str = "osd.xml";

/// The time formats of the CGI document, as answered (with a space).
pub const TIME_FORMATS: [&str; 9] = [
    "yyyy-mm-dd hh:mm:ss",
    "yyyy/mm/dd hh:mm:ss",
    "yy-mm-dd hh:mm:ss",
    "yy/mm/dd hh:mm:ss",
    "hh:mm:ss dd/mm/yyyy",
    "hh:mm:ss dd-mm-yyyy",
    "hh:mm:ss mm/dd/yyyy",
    "mm/dd/yyyy hh:mm:ss",
    "mm-dd-yyyy hh:mm:ss",
];
/// The title's length limit in bytes.
const MAX_TITLE: usize = 64;

/// The overlay and its settings.
pub type OsdUnit = Unit<dyn OsdOverlay<Error = DeviceError> + Send, OsdConfig>;

/// The CGI document's example answer, titled `IPCamera`.
fn defaults() -> OsdConfig {
    OsdConfig {
        enable: true,
        color: 1,
        fontsize: 1,
        title_pos_type: 1,
        title_pos_x: 1,
        title_pos_y: 0,
        show_res_bit: 0,
        time_pos_type: 1,
        time_pos_x: 1,
        time_pos_y: 0,
        show_week: true,
        time_format: TIME_FORMATS[0].to_string(),
        title: "IPCamera".to_string(),
    }
}

/// The highest position for a position type: 0 by direction (0-2), 1 by coordinate (0-100).
fn position_max(pos_type: u8) -> u8 {
    if pos_type == 0 {
        2
    } else {
        100
    }
}

fn valid_title(t: &str) -> bool {
    (1..=MAX_TITLE).contains(&t.len()) && t.chars().all(|c| !c.is_control() && crate::api::xml::is_xml_char(c))
}

fn valid(c: &OsdConfig) -> bool {
    c.color <= 3
        && c.fontsize <= 2
        && c.title_pos_type <= 1
        && c.time_pos_type <= 1
        && c.show_res_bit <= 3
        && c.title_pos_x.max(c.title_pos_y) <= position_max(c.title_pos_type)
        && c.time_pos_x.max(c.time_pos_y) <= position_max(c.time_pos_type)
        && TIME_FORMATS.contains(&c.time_format.as_str())
        && valid_title(&c.title)
}

fn apply(hal: &mut (dyn OsdOverlay<Error = DeviceError> + Send + 'static), c: &OsdConfig) -> Result<(), DeviceError> {
    hal.configure(c)
}

/// Loads the settings and applies them.
pub fn load(hal: Box<dyn OsdOverlay<Error = DeviceError> + Send>, store: &Store) -> OsdUnit {
    load_unit(hal, store, FILE, defaults(), valid, apply)
}

/// Factory defaults.
pub fn reset(unit: &mut OsdUnit, store: &Store) {
    reset_unit(unit, store, FILE, defaults(), apply);
}

/// A position whose range follows the (merged) position type.
fn position(p: &Params, name: &str, pos_type: u8, current: u8) -> Result<u8, Fault> {
    let max = position_max(pos_type);
    let value = match p.get(name) {
        None => current,
        Some(v) => crate::api::fields::parse_int(v).and_then(|n| u8::try_from(n).ok()).unwrap_or(u8::MAX),
    };
    if value > max {
        return Err(Fault::range(name, 0, max));
    }
    Ok(value)
}

/// `/cgi-bin/osd`: query, or set; positions are checked against the resulting types.
pub fn handle(app: &Shared, osd: &Mutex<OsdUnit>, call: &Call) -> Result<Reply, Fault> {
    let mut unit = lock(osd);
    if call.is_set() {
        let p = &call.params;
        let mut n = unit.config.clone();
        n.enable = flag(p, "enable")?.unwrap_or(n.enable);
        n.color = small_option(p, "color", 4)?.unwrap_or(n.color);
        n.fontsize = small_option(p, "fontsize", 3)?.unwrap_or(n.fontsize);
        n.title_pos_type = small_option(p, "title_pos_type", 2)?.unwrap_or(n.title_pos_type);
        n.title_pos_x = position(p, "title_pos_x", n.title_pos_type, n.title_pos_x)?;
        n.title_pos_y = position(p, "title_pos_y", n.title_pos_type, n.title_pos_y)?;
        n.show_res_bit = small_option(p, "show_res_bit", 4)?.unwrap_or(n.show_res_bit);
        n.time_pos_type = small_option(p, "time_pos_type", 2)?.unwrap_or(n.time_pos_type);
        n.time_pos_x = position(p, "time_pos_x", n.time_pos_type, n.time_pos_x)?;
        n.time_pos_y = position(p, "time_pos_y", n.time_pos_type, n.time_pos_y)?;
        n.show_week = flag(p, "show_week")?.unwrap_or(n.show_week);
        if let Some(v) = p.get("time_format") {
            // The URL form has `_` where the answer has a space.
            let spaced = v.replace('_', " ");
            n.time_format = TIME_FORMATS.iter().find(|f| **f == spaced).ok_or_else(|| Fault::error("time_format"))?.to_string();
        }
        if let Some(v) = p.get("title_utf8") {
            if !valid_title(v) {
                return Err(Fault::error("title_utf8"));
            }
            n.title = v.to_string();
        }
        unit.commit(&app.store, FILE, n, apply)?;
    }
    let c = &unit.config;
    let mut doc = Doc::new();
    doc.element("osd")
        .attr("enable", u8::from(c.enable))
        .attr("color", c.color)
        .attr("fontsize", c.fontsize)
        .attr("title_pos_type", c.title_pos_type)
        .attr("title_pos_x", c.title_pos_x)
        .attr("title_pos_y", c.title_pos_y)
        .attr("show_res_bit", c.show_res_bit)
        .attr("time_pos_type", c.time_pos_type)
        .attr("time_pos_x", c.time_pos_x)
        .attr("time_pos_y", c.time_pos_y)
        .attr("show_week", u8::from(c.show_week))
        .attr("time_format", &c.time_format)
        .attr("title_utf8", &c.title)
        .empty();
    Ok(Reply::xml(doc.finish()))
}
