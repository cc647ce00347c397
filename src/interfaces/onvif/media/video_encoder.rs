//! Media 1's video encoder configurations. Media 1 can name only JPEG,
//! MPEG4 and H.264 (`tt:VideoEncoding`): a stream in another mode (H.265)
//! has no encoder configuration here, and its profile none, so no client
//! believes an H.265 stream to be H.264. A client may still switch such a
//! stream to a mode Media 1 names, by its configuration token.

use super::{dimensions, index, offered_resolution};
use crate::api::fields::given_int_text;
use crate::interfaces::onvif::profiles::{profile_stream, stream_of, Kind};
use crate::interfaces::onvif::soap::{esc, Envelope, SoapFault};
use crate::interfaces::onvif::{from_refusal, Answer, App, Context};
use crate::interfaces::video::{self, StreamChange};
use crate::state::app::lock;
use camcgi_hal::{BitrateControl, EncodeModeCaps, StreamConfig, StreamId};
use std::fmt::Write;

/// The encodings Media 1 can name, in its options' order.
const NAMED: [&str; 2] = ["JPEG", "H264"];

/// Media 1's name for an encode mode, if it has one (H.265 it has not).
pub(super) fn encoding(mode: &str) -> Option<&'static str> {
    video::codec(mode).filter(|codec| *codec != "H265")
}

/// A stream's encoder configuration as Media 1 writes it, if Media 1 can name its mode.
pub(super) fn configuration(s: &StreamConfig, use_count: usize) -> Option<String> {
    let kind = encoding(&s.encode_mode)?;
    let (w, h) = dimensions(&s.resolution);
    let specific = match kind {
        "H264" => format!("<tt:H264><tt:GovLength>{}</tt:GovLength><tt:H264Profile>Main</tt:H264Profile></tt:H264>", s.govlength),
        _ => String::new(),
    };
    Some(format!(
        "<tt:Name>{name}</tt:Name><tt:UseCount>{use_count}</tt:UseCount><tt:Encoding>{kind}</tt:Encoding><tt:Resolution>\
            <tt:Width>{w}</tt:Width><tt:Height>{h}</tt:Height></tt:Resolution><tt:Quality>{q}</tt:Quality><tt:RateControl>\
            <tt:FrameRateLimit>{}</tt:FrameRateLimit><tt:EncodingInterval>1</tt:EncodingInterval>\
            <tt:BitrateLimit>{}</tt:BitrateLimit></tt:RateControl>{specific}<tt:Multicast><tt:Address>\
            <tt:Type>IPv4</tt:Type><tt:IPv4Address>0.0.0.0</tt:IPv4Address></tt:Address><tt:Port>0</tt:Port>\
            <tt:TTL>0</tt:TTL><tt:AutoStart>false</tt:AutoStart></tt:Multicast><tt:SessionTimeout>PT60S</tt:SessionTimeout>",
        s.framerate,
        s.bitrate,
        name = esc(&s.encode_mode),
        q = if s.bitrate_control == BitrateControl::Cbr { 3 } else { 4 },
    ))
}

/// No configuration a Media 1 client can be given.
fn unnamed(id: StreamId) -> SoapFault {
    SoapFault::sender(
        &["ter:InvalidArgVal", "ter:NoConfig"],
        format!("video_encoder_{} is in a mode Media 1 cannot name (H.265): set it to H264 or JPEG, or read it by the CGI", index(id)),
    )
}

/// The options of one encoding: its resolutions, and the frame rates and
/// bitrates every one of them takes (Media 1 has one range for all, so the
/// range given is the one no resolution refuses).
fn options_of(kind: &str, modes: &[&EncodeModeCaps]) -> Option<(String, String)> {
    let resolutions: Vec<_> = modes.iter().flat_map(|m| &m.resolutions).collect();
    let (mut fps, mut rates) = ((0, u32::MAX), (0, u32::MAX));
    let mut list = String::new();
    for r in &resolutions {
        let (w, h) = dimensions(&r.name);
        let _ = write!(list, "<tt:ResolutionsAvailable><tt:Width>{w}</tt:Width><tt:Height>{h}</tt:Height></tt:ResolutionsAvailable>");
        fps = (fps.0.max(r.framerate.lo), fps.1.min(r.framerate.hi));
        rates = (rates.0.max(r.bitrate.lo), rates.1.min(r.bitrate.hi));
    }
    if resolutions.is_empty() || fps.0 > fps.1 || rates.0 > rates.1 {
        return None;
    }
    let h264 = kind == "H264";
    let gov = if h264 {
        format!("<tt:GovLengthRange><tt:Min>{}</tt:Min><tt:Max>{}</tt:Max></tt:GovLengthRange>", video::GOVLENGTH.0, video::GOVLENGTH.1)
    } else {
        String::new()
    };
    let profiles = if h264 { "<tt:H264ProfilesSupported>Main</tt:H264ProfilesSupported>" } else { "" };
    let common = format!(
        "{list}{gov}<tt:FrameRateRange><tt:Min>{}</tt:Min><tt:Max>{}</tt:Max></tt:FrameRateRange>\
            <tt:EncodingIntervalRange><tt:Min>1</tt:Min><tt:Max>1</tt:Max></tt:EncodingIntervalRange>{profiles}",
        fps.0, fps.1
    );
    let rates = format!("<tt:BitrateRange><tt:Min>{}</tt:Min><tt:Max>{}</tt:Max></tt:BitrateRange>", rates.0, rates.1);
    Some((format!("<tt:{kind}>{common}</tt:{kind}>"), format!("<tt:{kind}>{common}{rates}</tt:{kind}>")))
}

/// The options for a stream: each encoding Media 1 names among its modes.
fn options(cam: &App, id: StreamId) -> String {
    let caps = lock(&cam.video).hal.capabilities();
    let (mut plain, mut extended) = (String::new(), String::new());
    for kind in NAMED {
        let modes: Vec<&EncodeModeCaps> = caps.stream(id).iter().filter(|m| encoding(&m.name) == Some(kind)).collect();
        if let Some((p, e)) = options_of(kind, &modes) {
            plain.push_str(&p);
            extended.push_str(&e);
        }
    }
    format!(
        "<trt:Options><tt:QualityRange><tt:Min>3</tt:Min><tt:Max>4</tt:Max></tt:QualityRange>{plain}\
            <tt:Extension>{extended}</tt:Extension></trt:Options>"
    )
}

/// `GetVideoEncoderConfigurations`, or `GetCompatibleVideoEncoderConfigurations`: every encoder Media 1 can name.
pub(super) fn get_video_encoder_configurations(cam: &App, _ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    let config = lock(&cam.video).config.clone();
    let operation = env.operation();
    let mut body = format!("<trt:{operation}Response>");
    for id in StreamId::ALL {
        if let Some(c) = configuration(config.stream(id), cam.profiles.use_count(Kind::VideoEncoder, Some(id))) {
            let _ = write!(body, "<trt:Configurations token=\"video_encoder_{}\">{c}</trt:Configurations>", index(id));
        }
    }
    let _ = write!(body, "</trt:{operation}Response>");
    Ok(Answer::new(body))
}

pub(super) fn get_video_encoder_configuration(cam: &App, _ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    let id = stream_of(env.text("ConfigurationToken"), "video_encoder_")?;
    let config = lock(&cam.video).config.stream(id).clone();
    let c = configuration(&config, cam.profiles.use_count(Kind::VideoEncoder, Some(id))).ok_or_else(|| unnamed(id))?;
    Ok(Answer::new(format!(
        "<trt:GetVideoEncoderConfigurationResponse><trt:Configuration token=\"video_encoder_{}\">{c}</trt:Configuration>\
            </trt:GetVideoEncoderConfigurationResponse>",
        index(id)
    )))
}

pub(super) fn get_video_encoder_configuration_options(cam: &App, _ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    let id = match (env.given("ConfigurationToken"), env.given("ProfileToken")) {
        (Some(c), _) => stream_of(Some(c), "video_encoder_")?,
        (None, Some(p)) => profile_stream(cam, Some(p))?,
        (None, None) => StreamId::Main,
    };
    Ok(Answer::new(format!(
        "<trt:GetVideoEncoderConfigurationOptionsResponse>{}</trt:GetVideoEncoderConfigurationOptionsResponse>",
        options(cam, id)
    )))
}

/// Sets a stream from a Media 1 configuration: an `Encoding` the stream's
/// mode already has keeps the mode; another switches to the first mode of
/// that encoding the stream offers.
pub(super) fn set_video_encoder_configuration(cam: &App, _ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    let token = env.find("Configuration").and_then(|c| c.attr("token"));
    let id = stream_of(token, "video_encoder_")?;
    let caps = lock(&cam.video).hal.capabilities();
    let mut change = StreamChange::default();
    let current = lock(&cam.video).config.stream(id).encode_mode.clone();
    if let Some(kind) = env.text("Encoding").filter(|kind| encoding(&current) != Some(kind)) {
        let mode = caps.stream(id).iter().find(|m| encoding(&m.name) == Some(kind));
        let mode = mode.ok_or_else(|| SoapFault::sender(&["ter:InvalidArgVal", "ter:ConfigModify"], "Encoding: not offered"))?;
        change.encode_mode = Some(mode.name.clone());
    }
    change.resolution = offered_resolution(env, caps.stream(id))?;
    change.framerate = given_int_text(env.text("FrameRateLimit"));
    change.bitrate = given_int_text(env.text("BitrateLimit"));
    change.govlength = given_int_text(env.text("GovLength"));
    let sets = change.encode_mode.is_some() || change.resolution.is_some();
    if sets || !(change.framerate.is_absent() && change.bitrate.is_absent() && change.govlength.is_absent()) {
        video::set_stream(&cam.shared, &cam.video, id, change).map_err(from_refusal)?;
    }
    Ok(Answer::new("<trt:SetVideoEncoderConfigurationResponse/>".into()))
}
