//! The audio family: `/cgi-bin/audioencoder` and its capabilities.

use crate::api::fields::{count_or, flag_or, given_flag, given_int, in_range, Given};
use crate::api::query::Params;
use crate::api::refusal::Refusal;
use crate::api::xml::Doc;
use crate::interfaces::call::{Call, Reply};
use crate::state::app::{load_unit, lock, reset_unit, Shared, Unit};
use crate::state::store::Store;
use camcgi_hal::{AudioConfig, AudioEncoder, AudioTypeCaps, DeviceError};
use std::sync::Mutex;

/// The interface's parameters, in its table's order.
pub const PARAMS: &[&str] = &["enable", "encode_type", "samplerate", "bitrate", "input_volume", "output_volume", "amplify"];
const FILE: &str = "audio.xml";

/// The encoder and its settings.
pub type AudioUnit = Unit<dyn AudioEncoder<Error = DeviceError> + Send, AudioConfig>;

/// The first combination the capabilities offer, at the CGI document's example volumes.
fn defaults(caps: &[AudioTypeCaps]) -> AudioConfig {
    let kind = caps.first();
    let rate = kind.and_then(|k| k.samplerates.first());
    AudioConfig {
        enable: true,
        encode_type: kind.map(|k| k.name.clone()).unwrap_or_default(),
        samplerate: rate.map_or(8000, |r| r.rate),
        bitrate: rate.and_then(|r| r.bitrates.first().copied()).unwrap_or(64000),
        input_volume: 60,
        output_volume: 80,
        amplify: true,
    }
}

/// Whether encoding, sample rate and bitrate form a combination of the capabilities.
fn combination(caps: &[AudioTypeCaps], c: &AudioConfig) -> Option<()> {
    caps.iter()
        .find(|k| k.name == c.encode_type)?
        .samplerates
        .iter()
        .find(|r| r.rate == c.samplerate)?
        .bitrates
        .contains(&c.bitrate)
        .then_some(())
}

fn apply(hal: &mut (dyn AudioEncoder<Error = DeviceError> + Send + 'static), c: &AudioConfig) -> Result<(), DeviceError> {
    hal.configure(c)
}

/// Loads the settings and applies them.
pub fn load(hal: Box<dyn AudioEncoder<Error = DeviceError> + Send>, store: &Store) -> AudioUnit {
    let caps = hal.capabilities();
    let valid =
        |c: &AudioConfig| combination(&caps, c).is_some() && (1..=100).contains(&c.input_volume) && (1..=100).contains(&c.output_volume);
    load_unit(hal, store, FILE, defaults(&caps), valid, apply)
}

/// Factory defaults.
pub fn reset(unit: &mut AudioUnit, store: &Store) {
    let defaults = defaults(&unit.hal.capabilities());
    reset_unit(unit, store, FILE, defaults, apply);
}

/// `/cgi-bin/audioencoder`: query, or set; the encoding is merged and checked whole.
pub fn handle(app: &Shared, audio: &Mutex<AudioUnit>, call: &Call) -> Result<Reply, Refusal> {
    if call.is_set() {
        set(app, audio, AudioChange::from_params(&call.params))?;
    }
    let unit = lock(audio);
    let c = &unit.config;
    let mut doc = Doc::new();
    doc.element("audioencoder")
        .attr("enable", u8::from(c.enable))
        .attr("encode_type", &c.encode_type)
        .attr("samplerate", c.samplerate)
        .attr("bitrate", c.bitrate)
        .attr("input_volume", c.input_volume)
        .attr("output_volume", c.output_volume)
        .attr("amplify", u8::from(c.amplify))
        .empty();
    Ok(Reply::xml(doc.finish()))
}

/// A change to the audio encoder; `set` checks it against the capabilities.
#[derive(Debug, Clone, Default)]
pub struct AudioChange {
    /// Whether the encoder runs.
    pub enable: Given<bool>,
    /// One of the capabilities' encodings, in any case.
    pub encode_type: Option<String>,
    /// Hz, one the encoding offers.
    pub samplerate: Given<i64>,
    /// Bits a second, one the sample rate offers.
    pub bitrate: Given<i64>,
    /// 1-100.
    pub input_volume: Given<i64>,
    /// 1-100.
    pub output_volume: Given<i64>,
    /// Whether the input is amplified.
    pub amplify: Given<bool>,
}

impl AudioChange {
    /// `/cgi-bin/audioencoder`'s parameters.
    pub fn from_params(p: &Params) -> AudioChange {
        AudioChange {
            enable: given_flag(p, "enable"),
            encode_type: p.get("encode_type").map(str::to_string),
            samplerate: given_int(p, "samplerate"),
            bitrate: given_int(p, "bitrate"),
            input_volume: given_int(p, "input_volume"),
            output_volume: given_int(p, "output_volume"),
            amplify: given_flag(p, "amplify"),
        }
    }
}

/// Checks a change, applies it to the encoder and writes it; a fault changes nothing.
pub fn set(app: &Shared, audio: &Mutex<AudioUnit>, change: AudioChange) -> Result<(), Refusal> {
    let mut unit = lock(audio);
    let caps = unit.hal.capabilities();
    let mut new = unit.config.clone();
    new.enable = flag_or(change.enable, "enable", new.enable)?;
    if let Some(v) = change.encode_type {
        let kind = caps.iter().find(|k| k.name.eq_ignore_ascii_case(&v)).ok_or_else(|| Refusal::error("encode_type"))?;
        new.encode_type = kind.name.clone();
    }
    let kind = caps.iter().find(|k| k.name == new.encode_type).ok_or_else(|| Refusal::error("encode_type"))?;
    new.samplerate = count_or(change.samplerate, "samplerate", new.samplerate)?;
    let rate = kind.samplerates.iter().find(|r| r.rate == new.samplerate).ok_or_else(|| Refusal::error("samplerate"))?;
    new.bitrate = count_or(change.bitrate, "bitrate", new.bitrate)?;
    if !rate.bitrates.contains(&new.bitrate) {
        return Err(Refusal::error("bitrate"));
    }
    new.input_volume = in_range(change.input_volume, "input_volume", 1, 100, new.input_volume)?;
    new.output_volume = in_range(change.output_volume, "output_volume", 1, 100, new.output_volume)?;
    new.amplify = flag_or(change.amplify, "amplify", new.amplify)?;
    unit.commit(&app.store, FILE, new, apply)
}

/// `/cgi-bin/audioencoder/getcapabilities`.
pub fn capabilities(audio: &Mutex<AudioUnit>, _call: &Call) -> Result<Reply, Refusal> {
    let caps = lock(audio).hal.capabilities();
    let mut doc = Doc::new();
    doc.element("audio_capabilities").open().newline();
    for kind in &caps {
        doc.element("encode_type").attr("name", &kind.name).open().newline();
        for rate in &kind.samplerates {
            doc.element("samplerate").attr("name", rate.rate).open().newline();
            for b in &rate.bitrates {
                doc.text_element("bitrate", b).newline();
            }
            doc.close("samplerate").newline();
        }
        doc.close("encode_type").newline();
    }
    doc.close("audio_capabilities");
    Ok(Reply::xml(doc.finish()))
}
