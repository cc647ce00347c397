//! The OSD family: `/cgi-bin/osd` (title and time overlay).

use crate::api::fields::{flag_or, given_flag, given_int, in_range, option_or, Given};
use crate::api::query::Params;
use crate::api::refusal::Refusal;
use crate::api::xml::Doc;
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
        show_title: true,
        show_time: true,
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

/// A change to the overlay, each field given or not; `set` checks them in
/// the table's order, positions against the resulting position types.
#[derive(Debug, Clone, Default)]
pub struct OsdChange {
    /// Overlay on or off.
    pub enable: Given<bool>,
    /// Colour 0-3, font size 0-2.
    pub color: Given<i64>,
    /// Font size 0-2.
    pub fontsize: Given<i64>,
    /// The title's position: type (0 by direction, 1 by coordinate), x, y.
    pub title_position: [Given<i64>; 3],
    /// Which resolutions show the title (0-3).
    pub show_res_bit: Given<i64>,
    /// The time's position: type, x, y.
    pub time_position: [Given<i64>; 3],
    /// The weekday shown with the time.
    pub show_week: Given<bool>,
    /// One of `TIME_FORMATS`.
    pub time_format: Option<String>,
    /// The title, 1-64 bytes of printable text.
    pub title: Option<String>,
    /// The title overlay and the time overlay shown (not CGI parameters: ONVIF's OSDs).
    pub show: [Given<bool>; 2],
}

impl OsdChange {
    /// `/cgi-bin/osd`'s parameters (the URL form of a time format has `_` where the answer has a space).
    pub fn from_params(p: &Params) -> OsdChange {
        let position = |prefix: &str| ["type", "x", "y"].map(|axis| given_int(p, &format!("{prefix}_pos_{axis}")));
        OsdChange {
            enable: given_flag(p, "enable"),
            color: given_int(p, "color"),
            fontsize: given_int(p, "fontsize"),
            title_position: position("title"),
            show_res_bit: given_int(p, "show_res_bit"),
            time_position: position("time"),
            show_week: given_flag(p, "show_week"),
            time_format: p.get("time_format").map(|v| v.replace('_', " ")),
            title: p.get("title_utf8").map(str::to_string),
            show: [Given::Absent, Given::Absent],
        }
    }
}

/// A position type, then x and y in the range it gives.
fn position(given: [Given<i64>; 3], prefix: &str, current: (u8, u8, u8)) -> Result<(u8, u8, u8), Refusal> {
    let [kind, x, y] = given;
    let kind = option_or(kind, &format!("{prefix}_pos_type"), 2, current.0)?;
    let max = position_max(kind);
    let axis = |given: Given<i64>, axis: &str, current: u8| {
        let name = format!("{prefix}_pos_{axis}");
        in_range(given, &name, 0, i64::from(max), current).and_then(|v| if v > max { Err(Refusal::range(&name, 0, max)) } else { Ok(v) })
    };
    Ok((kind, axis(x, "x", current.1)?, axis(y, "y", current.2)?))
}

/// Checks a change, applies it to the overlay and writes it; a fault changes nothing.
pub fn set(app: &Shared, osd: &Mutex<OsdUnit>, change: OsdChange) -> Result<OsdConfig, Refusal> {
    let mut unit = lock(osd);
    let mut n = unit.config.clone();
    n.enable = flag_or(change.enable, "enable", n.enable)?;
    n.color = option_or(change.color, "color", 4, n.color)?;
    n.fontsize = option_or(change.fontsize, "fontsize", 3, n.fontsize)?;
    (n.title_pos_type, n.title_pos_x, n.title_pos_y) =
        position(change.title_position, "title", (n.title_pos_type, n.title_pos_x, n.title_pos_y))?;
    n.show_res_bit = option_or(change.show_res_bit, "show_res_bit", 4, n.show_res_bit)?;
    (n.time_pos_type, n.time_pos_x, n.time_pos_y) = position(change.time_position, "time", (n.time_pos_type, n.time_pos_x, n.time_pos_y))?;
    n.show_week = flag_or(change.show_week, "show_week", n.show_week)?;
    if let Some(format) = change.time_format {
        n.time_format = TIME_FORMATS.iter().find(|f| **f == format).ok_or_else(|| Refusal::error("time_format"))?.to_string();
    }
    if let Some(title) = change.title {
        if !valid_title(&title) {
            return Err(Refusal::error("title_utf8"));
        }
        n.title = title;
    }
    let [title, time] = change.show;
    n.show_title = flag_or(title, "show_title", n.show_title)?;
    n.show_time = flag_or(time, "show_time", n.show_time)?;
    unit.commit(&app.store, FILE, n, apply)?;
    Ok(unit.config.clone())
}

/// `/cgi-bin/osd`: query, or set.
pub fn handle(app: &Shared, osd: &Mutex<OsdUnit>, call: &Call) -> Result<Reply, Refusal> {
    let c = if call.is_set() { set(app, osd, OsdChange::from_params(&call.params))? } else { lock(osd).config.clone() };
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
