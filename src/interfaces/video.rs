//! The video family: `/cgi-bin/videoencoder[/stream1|/stream2]` and its capabilities.

use crate::api::fields::{count_or, given_int, in_range, Given};
use crate::api::query::Params;
use crate::api::refusal::Refusal;
use crate::api::xml::Doc;
use crate::interfaces::call::{Call, Reply};
use crate::state::app::{load_unit, lock, reset_unit, Shared, Unit};
use crate::state::store::Store;
use camcgi_hal::{BitrateControl, DeviceError, EncodeModeCaps, StreamConfig, StreamId, VideoCapabilities, VideoEncoder};
use serde::{Deserialize, Serialize};
use std::sync::Mutex;

/// The interface's parameters, in its table's order.
pub const PARAMS: &[&str] = &["encode_mode", "resolution", "framerate", "govlength", "bitrate", "bitrate_control"];
/// Frames between I-frames, fewest and most.
pub const GOVLENGTH: (u32, u32) = (1, 400);
const FILE: &str = "video.xml";

/// Both streams' settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "videoencoder")]
pub struct VideoConfig {
    stream1: StreamConfig,
    stream2: StreamConfig,
}

impl VideoConfig {
    /// One stream's settings.
    pub fn stream(&self, id: StreamId) -> &StreamConfig {
        match id {
            StreamId::Main => &self.stream1,
            StreamId::Sub => &self.stream2,
        }
    }

    fn stream_mut(&mut self, id: StreamId) -> &mut StreamConfig {
        match id {
            StreamId::Main => &mut self.stream1,
            StreamId::Sub => &mut self.stream2,
        }
    }
}

/// The encoder and its settings.
pub type VideoUnit = Unit<dyn VideoEncoder<Error = DeviceError> + Send, VideoConfig>;

/// The CGI document's example on the board's table: the main stream in its
/// last mode (H.265 in the example), the sub stream in H.264 where the board
/// offers it (so that a camera on its factory settings has a profile that
/// Media 1 and Home Assistant, which take only H.264, can use), each at its
/// mode's last resolution, 25 fps and 2500 (main) or 200 (sub) kbit/s where
/// the range allows.
fn defaults(caps: &VideoCapabilities) -> VideoConfig {
    let h264 = |modes: &[EncodeModeCaps]| modes.iter().position(|m| codec(&m.name) == Some("H264"));
    let sub_mode = h264(&caps.sub).unwrap_or(caps.sub.len().saturating_sub(1));
    let pick = |modes: &[EncodeModeCaps], mode: usize, bitrate: u32| {
        let mode = modes.get(mode);
        let res = mode.and_then(|m| m.resolutions.last());
        StreamConfig {
            encode_mode: mode.map(|m| m.name.clone()).unwrap_or_default(),
            resolution: res.map(|r| r.name.clone()).unwrap_or_default(),
            framerate: res.map_or(25, |r| 25.clamp(r.framerate.lo, r.framerate.hi)),
            govlength: 100,
            bitrate: res.map_or(bitrate, |r| bitrate.clamp(r.bitrate.lo, r.bitrate.hi)),
            bitrate_control: BitrateControl::Cbr,
        }
    };
    VideoConfig { stream1: pick(&caps.main, caps.main.len().saturating_sub(1), 2500), stream2: pick(&caps.sub, sub_mode, 200) }
}

/// The codec a board's encode mode is, by the names ONVIF gives codecs:
/// `H264`, `H265` or `JPEG`; `None` for another.
pub fn codec(mode: &str) -> Option<&'static str> {
    let upper = mode.to_ascii_uppercase();
    if upper.contains("265") || upper.contains("HEVC") {
        Some("H265")
    } else if upper.contains("264") || upper == "AVC" {
        Some("H264")
    } else if upper.contains("JPEG") {
        Some("JPEG")
    } else {
        None
    }
}

/// Whether a stored stream configuration fits the capabilities.
fn fits(modes: &[EncodeModeCaps], s: &StreamConfig) -> bool {
    modes
        .iter()
        .filter(|m| m.name == s.encode_mode)
        .flat_map(|m| &m.resolutions)
        .any(|r| r.name == s.resolution && r.framerate.contains(s.framerate) && r.bitrate.contains(s.bitrate))
        && (GOVLENGTH.0..=GOVLENGTH.1).contains(&s.govlength)
}

fn apply_all(hal: &mut (dyn VideoEncoder<Error = DeviceError> + Send + 'static), c: &VideoConfig) -> Result<(), DeviceError> {
    StreamId::ALL.iter().try_for_each(|id| hal.configure(*id, c.stream(*id)))
}

/// Loads the settings and applies them.
pub fn load(hal: Box<dyn VideoEncoder<Error = DeviceError> + Send>, store: &Store) -> VideoUnit {
    let caps = hal.capabilities();
    let valid = |c: &VideoConfig| StreamId::ALL.iter().all(|id| fits(caps.stream(*id), c.stream(*id)));
    load_unit(hal, store, FILE, defaults(&caps), valid, apply_all)
}

/// Factory defaults.
pub fn reset(unit: &mut VideoUnit, store: &Store) {
    let defaults = defaults(&unit.hal.capabilities());
    reset_unit(unit, store, FILE, defaults, apply_all);
}

/// Finds a capability name case-insensitively, giving the capability's own spelling.
fn canonical<'c>(names: impl IntoIterator<Item = &'c String>, wanted: &str) -> Option<String> {
    names.into_iter().find(|n| n.eq_ignore_ascii_case(wanted)).cloned()
}

/// A change to one stream; `set_stream` merges it into the stream's
/// settings and checks the result against the capabilities.
#[derive(Debug, Clone, Default)]
pub struct StreamChange {
    /// One of the capabilities' modes, in any case.
    pub encode_mode: Option<String>,
    /// One of the mode's resolutions, in any case.
    pub resolution: Option<String>,
    /// Frames a second, within the resolution's range.
    pub framerate: Given<i64>,
    /// `GOVLENGTH`.
    pub govlength: Given<i64>,
    /// Within the resolution's range.
    pub bitrate: Given<i64>,
    /// `CBR` or `VBR`, in any case.
    pub bitrate_control: Option<String>,
}

impl StreamChange {
    /// `/cgi-bin/videoencoder/streamN`'s parameters.
    pub fn from_params(p: &Params) -> StreamChange {
        StreamChange {
            encode_mode: p.get("encode_mode").map(str::to_string),
            resolution: p.get("resolution").map(str::to_string),
            framerate: given_int(p, "framerate"),
            govlength: given_int(p, "govlength"),
            bitrate: given_int(p, "bitrate"),
            bitrate_control: p.get("bitrate_control").map(str::to_string),
        }
    }
}

/// Merges a change into a stream's settings and validates the result.
fn merged(modes: &[EncodeModeCaps], current: &StreamConfig, change: StreamChange) -> Result<StreamConfig, Refusal> {
    let mut s = current.clone();
    if let Some(v) = change.encode_mode {
        s.encode_mode = canonical(modes.iter().map(|m| &m.name), &v).ok_or_else(|| Refusal::error("encode_mode"))?;
    }
    let mode = modes.iter().find(|m| m.name == s.encode_mode).ok_or_else(|| Refusal::error("encode_mode"))?;
    if let Some(v) = change.resolution {
        s.resolution = canonical(mode.resolutions.iter().map(|r| &r.name), &v).ok_or_else(|| Refusal::error("resolution"))?;
    }
    let res = mode.resolutions.iter().find(|r| r.name == s.resolution).ok_or_else(|| Refusal::error("resolution"))?;
    s.framerate = count_or(change.framerate, "framerate", s.framerate)?;
    if !res.framerate.contains(s.framerate) {
        return Err(Refusal::error("framerate"));
    }
    s.govlength = in_range(change.govlength, "govlength", GOVLENGTH.0.into(), GOVLENGTH.1.into(), s.govlength)?;
    s.bitrate = count_or(change.bitrate, "bitrate", s.bitrate)?;
    if !res.bitrate.contains(s.bitrate) {
        return Err(Refusal::error("bitrate"));
    }
    if let Some(v) = change.bitrate_control {
        s.bitrate_control = match v.to_ascii_uppercase().as_str() {
            "CBR" => BitrateControl::Cbr,
            "VBR" => BitrateControl::Vbr,
            _ => return Err(Refusal::option("bitrate_control", "CBR or VBR")),
        };
    }
    Ok(s)
}

/// Checks a change to one stream, applies it to the encoder and writes it;
/// a fault changes nothing.
pub fn set_stream(app: &Shared, video: &Mutex<VideoUnit>, stream: StreamId, change: StreamChange) -> Result<(), Refusal> {
    let mut unit = lock(video);
    let caps = unit.hal.capabilities();
    let mut new = unit.config.clone();
    *new.stream_mut(stream) = merged(caps.stream(stream), unit.config.stream(stream), change)?;
    unit.commit(&app.store, FILE, new, |hal, c| hal.configure(stream, c.stream(stream)))
}

fn control_name(c: BitrateControl) -> &'static str {
    match c {
        BitrateControl::Cbr => "CBR",
        BitrateControl::Vbr => "VBR",
    }
}

/// `/cgi-bin/videoencoder[/streamN]`: query both streams, or set one.
pub fn handle(app: &Shared, video: &Mutex<VideoUnit>, call: &Call) -> Result<Reply, Refusal> {
    if call.is_set() {
        let stream = match call.path.rsplit('/').next() {
            Some("stream1") => StreamId::Main,
            Some("stream2") => StreamId::Sub,
            _ => return Err(Refusal::option("stream", "stream1 or stream2")),
        };
        set_stream(app, video, stream, StreamChange::from_params(&call.params))?;
    }
    let unit = lock(video);
    let mut doc = Doc::new();
    doc.element("videoencoder").open().newline();
    for id in StreamId::ALL {
        let s = unit.config.stream(id);
        doc.element(id.name())
            .attr("encode_mode", &s.encode_mode)
            .attr("resolution", &s.resolution)
            .attr("framerate", s.framerate)
            .attr("govlength", s.govlength)
            .attr("bitrate", s.bitrate)
            .attr("bitrate_control", control_name(s.bitrate_control))
            .empty()
            .newline();
    }
    doc.close("videoencoder");
    Ok(Reply::xml(doc.finish()))
}

/// `/cgi-bin/videoencoder/getcapabilities`.
pub fn capabilities(video: &Mutex<VideoUnit>, _call: &Call) -> Result<Reply, Refusal> {
    let caps = lock(video).hal.capabilities();
    let mut doc = Doc::new();
    doc.element("video_capabilities").open().newline();
    for id in StreamId::ALL {
        doc.element(id.name()).open().newline();
        for mode in caps.stream(id) {
            doc.element("encode_mode").attr("name", &mode.name).open().newline();
            for r in &mode.resolutions {
                doc.element("resolution").attr("name", &r.name).open().newline();
                doc.text_element("framerate_range", format!("{}-{}", r.framerate.lo, r.framerate.hi)).newline();
                doc.text_element("bitrate_range", format!("{}-{}", r.bitrate.lo, r.bitrate.hi)).newline();
                doc.close("resolution").newline();
            }
            doc.close("encode_mode").newline();
        }
        doc.close(id.name()).newline();
    }
    doc.close("video_capabilities");
    Ok(Reply::xml(doc.finish()))
}
