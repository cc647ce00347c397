//! Media 2's OSDs: the camera's two overlays, the title (`osd_title`, plain
//! text) and the time (`osd_time`, date and time), as ONVIF's text OSDs on
//! the one video source configuration. An OSD exists while its overlay is
//! shown (the CGI's `enable`, and the overlay's own switch): `DeleteOSD`
//! takes its overlay away, `CreateOSD` shows a title or a time overlay that
//! is not shown, `SetOSD` moves and changes one. Positions: the four corners
//! are the CGI's direction positions, `Custom` its coordinates (x from -1 at
//! the left to 1, y from 1 at the top to -1). Font sizes 16, 24 and 32 are the
//! CGI's small, medium and large (others go to the nearest); both overlays
//! share one.

use crate::api::fields::Given;
use crate::interfaces::onvif::soap::{esc, Element, Envelope, SoapFault};
use crate::interfaces::onvif::{from_refusal, Answer, App, Context};
use crate::interfaces::osd::{self, OsdChange, TIME_FORMATS};
use crate::state::app::lock;
use camcgi_hal::OsdConfig;
use std::fmt::Write;

/// The CGI's time formats as ONVIF's date format and time format, in `TIME_FORMATS`' order.
const DATE_FORMATS: [&str; 9] =
    ["yyyy-MM-dd", "yyyy/MM/dd", "yy-MM-dd", "yy/MM/dd", "dd/MM/yyyy", "dd-MM-yyyy", "MM/dd/yyyy", "MM/dd/yyyy", "MM-dd-yyyy"];
const TIME_FORMAT: &str = "HH:mm:ss";
/// ONVIF's font sizes for the CGI's small, medium and large.
const FONT_SIZES: [u32; 3] = [16, 24, 32];
const CORNERS: [(&str, u8, u8); 4] = [("UpperLeft", 0, 0), ("UpperRight", 2, 0), ("LowerLeft", 0, 2), ("LowerRight", 2, 2)];

/// The two overlays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Overlay {
    Title,
    Time,
}

impl Overlay {
    fn token(self) -> &'static str {
        match self {
            Overlay::Title => "osd_title",
            Overlay::Time => "osd_time",
        }
    }

    fn by_token(token: Option<&str>) -> Result<Overlay, SoapFault> {
        match token {
            Some("osd_title") => Ok(Overlay::Title),
            Some("osd_time") => Ok(Overlay::Time),
            _ => Err(no_osd()),
        }
    }

    fn shown(self, c: &OsdConfig) -> bool {
        c.enable && if self == Overlay::Title { c.show_title } else { c.show_time }
    }

    fn position(self, c: &OsdConfig) -> (u8, u8, u8) {
        match self {
            Overlay::Title => (c.title_pos_type, c.title_pos_x, c.title_pos_y),
            Overlay::Time => (c.time_pos_type, c.time_pos_x, c.time_pos_y),
        }
    }
}

fn no_osd() -> SoapFault {
    SoapFault::sender(&["ter:InvalidArgVal", "ter:NoConfig"], "no such OSD")
}

/// A position as ONVIF's `Position` content.
fn position_xml((kind, x, y): (u8, u8, u8)) -> String {
    if kind == 0 {
        if let Some((name, _, _)) = CORNERS.iter().find(|(_, cx, cy)| (*cx, *cy) == (x, y)) {
            return format!("<tt:Type>{name}</tt:Type>");
        }
        return format!("<tt:Type>Custom</tt:Type><tt:Pos x=\"{}\" y=\"{}\"/>", f32::from(x) - 1.0, 1.0 - f32::from(y));
    }
    format!("<tt:Type>Custom</tt:Type><tt:Pos x=\"{}\" y=\"{}\"/>", f32::from(x) / 50.0 - 1.0, 1.0 - f32::from(y) / 50.0)
}

/// One OSD as `tt:OSDConfiguration`'s content.
fn osd_xml(c: &OsdConfig, overlay: Overlay) -> String {
    let size = FONT_SIZES.get(usize::from(c.fontsize)).copied().unwrap_or(24);
    let text = match overlay {
        Overlay::Title => {
            format!("<tt:Type>Plain</tt:Type><tt:FontSize>{size}</tt:FontSize><tt:PlainText>{}</tt:PlainText>", esc(&c.title))
        }
        Overlay::Time => {
            let date = TIME_FORMATS.iter().position(|f| *f == c.time_format).and_then(|i| DATE_FORMATS.get(i)).unwrap_or(&DATE_FORMATS[0]);
            format!(
                "<tt:Type>DateAndTime</tt:Type><tt:DateFormat>{date}</tt:DateFormat><tt:TimeFormat>{TIME_FORMAT}</tt:TimeFormat>\
                    <tt:FontSize>{size}</tt:FontSize>"
            )
        }
    };
    format!(
        "<tt:VideoSourceConfigurationToken>video_src_config</tt:VideoSourceConfigurationToken><tt:Type>Text</tt:Type>\
            <tt:Position>{}</tt:Position><tt:TextString>{text}</tt:TextString>",
        position_xml(overlay.position(c))
    )
}

fn check_configuration(env: &Envelope) -> Result<(), SoapFault> {
    if env.given("ConfigurationToken").is_some_and(|t| t != "video_src_config") {
        return Err(SoapFault::sender(&["ter:InvalidArgVal", "ter:NoConfig"], "no such video source configuration"));
    }
    Ok(())
}

pub(super) fn get_osds(cam: &App, _ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    check_configuration(env)?;
    let c = lock(&cam.osd).config.clone();
    let wanted = env.given("OSDToken").map(|t| Overlay::by_token(Some(t))).transpose()?;
    let mut body = String::from("<tr2:GetOSDsResponse>");
    for overlay in [Overlay::Title, Overlay::Time] {
        if overlay.shown(&c) && wanted.is_none_or(|w| w == overlay) {
            let _ = write!(body, "<tr2:OSDs token=\"{}\">{}</tr2:OSDs>", overlay.token(), osd_xml(&c, overlay));
        }
    }
    if wanted.is_some_and(|w| !w.shown(&c)) {
        return Err(no_osd());
    }
    Ok(Answer::new(body + "</tr2:GetOSDsResponse>"))
}

pub(super) fn get_osd_options(_cam: &App, _ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    check_configuration(env)?;
    let mut dates = DATE_FORMATS.to_vec();
    dates.dedup();
    let dates: String = dates.iter().map(|d| format!("<tt:DateFormat>{d}</tt:DateFormat>")).collect();
    let positions: String =
        CORNERS.iter().map(|(n, _, _)| *n).chain(["Custom"]).map(|p| format!("<tt:PositionOption>{p}</tt:PositionOption>")).collect();
    Ok(Answer::new(format!(
        "<tr2:GetOSDOptionsResponse><tr2:OSDOptions><tt:MaximumNumberOfOSDs Total=\"2\" PlainText=\"1\" DateAndTime=\"1\"/>\
            <tt:Type>Text</tt:Type>{positions}<tt:TextOption><tt:Type>Plain</tt:Type><tt:Type>DateAndTime</tt:Type>\
            <tt:FontSizeRange><tt:Min>16</tt:Min><tt:Max>32</tt:Max></tt:FontSizeRange>{dates}<tt:TimeFormat>{TIME_FORMAT}</tt:TimeFormat>\
            </tt:TextOption></tr2:OSDOptions></tr2:GetOSDOptionsResponse>"
    )))
}

/// The child of `parent` (the elements inside it, the first at depth `depth`) named `name`.
fn child<'e>(inside: &'e [Element], name: &str) -> Option<&'e Element> {
    let depth = inside.first()?.depth;
    inside.iter().find(|e| e.depth == depth && e.name == name)
}

/// What an `OSD` element asks of an overlay, read into a change of the OSD settings.
fn read_osd(env: &Envelope, overlay: Overlay, current: &OsdConfig, change: &mut OsdChange) -> Result<(), SoapFault> {
    let osd = env.within("OSD");
    if child(osd, "Type").is_some_and(|t| t.text != "Text") {
        return Err(SoapFault::invalid("Type: Text (the camera overlays no images)"));
    }
    if let Some(p) = env.within("Position").first().filter(|p| p.name == "Type") {
        let (kind, x, y) = match p.text.as_str() {
            "Custom" => {
                let pos = env.find("Pos");
                let axis = |name| {
                    pos.and_then(|p| p.attr(name))
                        .and_then(crate::api::fields::decimal)
                        .map(|v| v as f32)
                        .filter(|v| (-1.0..=1.0).contains(v))
                };
                let (Some(x), Some(y)) = (axis("x"), axis("y")) else {
                    return Err(SoapFault::invalid("Pos: x and y from -1 to 1"));
                };
                (1, ((x + 1.0) * 50.0).round() as i64, ((1.0 - y) * 50.0).round() as i64)
            }
            corner => match CORNERS.iter().find(|(n, _, _)| *n == corner) {
                Some((_, x, y)) => (0, i64::from(*x), i64::from(*y)),
                None => return Err(SoapFault::invalid("Position: UpperLeft, UpperRight, LowerLeft, LowerRight or Custom")),
            },
        };
        let at = [Given::Value(kind), Given::Value(x), Given::Value(y)];
        match overlay {
            Overlay::Title => change.title_position = at,
            Overlay::Time => change.time_position = at,
        }
    }
    let text = env.within("TextString");
    let kind = child(text, "Type").map(|t| t.text.as_str());
    let expected = if overlay == Overlay::Title { "Plain" } else { "DateAndTime" };
    if kind.is_some_and(|k| k != expected) {
        return Err(SoapFault::invalid(format!("TextString Type: {expected} for {}", overlay.token())));
    }
    if let Some(size) = child(text, "FontSize") {
        let size: u32 = size.text.parse().map_err(|_| SoapFault::invalid("FontSize: a whole number"))?;
        let nearest = (0..3).min_by_key(|i| FONT_SIZES[*i].abs_diff(size)).unwrap_or(1);
        change.fontsize = Given::Value(nearest as i64);
    }
    if overlay == Overlay::Title {
        change.title = child(text, "PlainText").map(|t| t.text.clone());
    } else {
        if child(text, "TimeFormat").is_some_and(|t| t.text != TIME_FORMAT) {
            return Err(SoapFault::invalid(format!("TimeFormat: {TIME_FORMAT}")));
        }
        if let Some(date) = child(text, "DateFormat") {
            // Of the formats with this date format, one that puts the time
            // where the current one does (first or last), else the first.
            let time_first = |f: &str| f.starts_with("hh");
            let with_date = || TIME_FORMATS.iter().zip(DATE_FORMATS).filter(|(_, d)| *d == date.text).map(|(f, _)| *f);
            let format = with_date().find(|f| time_first(f) == time_first(&current.time_format)).or_else(|| with_date().next());
            let format = format.ok_or_else(|| SoapFault::invalid("DateFormat: one of the options"))?;
            change.time_format = Some(format.to_string());
        }
    }
    Ok(())
}

/// Which overlay a new OSD is: plain text the title, a date and time the time.
fn new_overlay(env: &Envelope) -> Result<Overlay, SoapFault> {
    match child(env.within("TextString"), "Type").map(|t| t.text.as_str()) {
        Some("Plain") => Ok(Overlay::Title),
        Some("DateAndTime") => Ok(Overlay::Time),
        _ => Err(SoapFault::invalid("TextString Type: Plain or DateAndTime")),
    }
}

fn apply(cam: &App, change: OsdChange) -> Result<(), SoapFault> {
    osd::set(&cam.shared, &cam.osd, change).map(|_| ()).map_err(from_refusal)
}

pub(super) fn create_osd(cam: &App, _ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    let current = lock(&cam.osd).config.clone();
    let overlay = new_overlay(env)?;
    if overlay.shown(&current) {
        return Err(SoapFault::receiver(&["ter:Action", "ter:MaxOSDs"], "the camera shows one title and one time overlay"));
    }
    let mut change = OsdChange::default();
    read_osd(env, overlay, &current, &mut change)?;
    // Switching the OSD on shows only what was shown, and this one.
    let others = [Overlay::Title, Overlay::Time].map(|o| Given::Value(o == overlay || o.shown(&current)));
    change.enable = Given::Value(true);
    change.show = others;
    apply(cam, change)?;
    Ok(Answer::new(format!("<tr2:CreateOSDResponse><tr2:OSDToken>{}</tr2:OSDToken></tr2:CreateOSDResponse>", overlay.token())))
}

pub(super) fn set_osd(cam: &App, _ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    let current = lock(&cam.osd).config.clone();
    let overlay = Overlay::by_token(env.find("OSD").and_then(|o| o.attr("token")))?;
    if !overlay.shown(&current) {
        return Err(no_osd());
    }
    let mut change = OsdChange::default();
    read_osd(env, overlay, &current, &mut change)?;
    apply(cam, change)?;
    Ok(Answer::new("<tr2:SetOSDResponse/>".into()))
}

pub(super) fn delete_osd(cam: &App, _ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    let current = lock(&cam.osd).config.clone();
    let overlay = Overlay::by_token(env.text("OSDToken"))?;
    if !overlay.shown(&current) {
        return Err(no_osd());
    }
    let mut change = OsdChange::default();
    change.show[if overlay == Overlay::Title { 0 } else { 1 }] = Given::Value(false);
    apply(cam, change)?;
    Ok(Answer::new("<tr2:DeleteOSDResponse/>".into()))
}
