//! The media service (Media 1, Profile S): a main and a sub profile on the
//! two encoders (`stream1` is main, as the CGI numbers them), their
//! configurations, the RTSP streamer's URIs and `snapshot.cgi`'s.

mod audio_encoder;

use super::profiles::{profile_stream, stream_of, PROFILES};
use super::soap::{esc, Envelope, SoapFault};
use super::Operation;
use super::{from_refusal, Answer, App, Context};
use crate::api::fields::given_int_text;
use crate::interfaces::video;
use crate::interfaces::video::StreamChange;
use crate::state::acts::Act::{Configure, Read};
use crate::state::app::lock;
use audio_encoder::{
    get_audio_encoder_configuration_options, get_audio_encoder_configurations, get_audio_source_configurations, get_audio_sources,
    set_audio_encoder_configuration,
};
use camcgi_hal::{BitrateControl, StreamConfig, StreamId};
use std::fmt::Write;

fn index(id: StreamId) -> u8 {
    match id {
        StreamId::Main => 1,
        StreamId::Sub => 2,
    }
}

/// Width and height of a CGI resolution name (`1080P`, `VGA`, `2592X1944`).
pub fn dimensions(name: &str) -> (u32, u32) {
    match name.to_ascii_uppercase().as_str() {
        "4K" => (3840, 2160),
        "1080P" => (1920, 1080),
        "960P" => (1280, 960),
        "720P" => (1280, 720),
        "D1" => (704, 576),
        "VGA" => (640, 480),
        "CIF" => (352, 288),
        "QVGA" => (320, 240),
        other => other.split_once('X').and_then(|(w, h)| Some((w.parse().ok()?, h.parse().ok()?))).unwrap_or((0, 0)),
    }
}

/// Media 1's name for an encode mode. Media 1 has no name for H.265, and
/// Home Assistant takes only `H264` profiles: an H.265 stream is reported as
/// `H264`, as cameras commonly do, and the RTSP stream's description names
/// the codec the client's decoder uses.
fn encoding(mode: &str) -> &'static str {
    if mode.to_ascii_uppercase().contains("JPEG") {
        "JPEG"
    } else {
        "H264"
    }
}

fn source_configuration(width: u32, height: u32) -> String {
    format!(
        "<tt:Name>VideoSource</tt:Name><tt:UseCount>2</tt:UseCount><tt:SourceToken>video_src</tt:SourceToken>\
            <tt:Bounds x=\"0\" y=\"0\" width=\"{width}\" height=\"{height}\"/>"
    )
}

fn encoder_configuration(s: &StreamConfig) -> String {
    let (w, h) = dimensions(&s.resolution);
    let kind = encoding(&s.encode_mode);
    let specific = match kind {
        "H264" => format!("<tt:H264><tt:GovLength>{}</tt:GovLength><tt:H264Profile>Main</tt:H264Profile></tt:H264>", s.govlength),
        _ => String::new(),
    };
    format!(
        "<tt:Name>{name}</tt:Name><tt:UseCount>1</tt:UseCount><tt:Encoding>{kind}</tt:Encoding><tt:Resolution>\
            <tt:Width>{w}</tt:Width><tt:Height>{h}</tt:Height></tt:Resolution><tt:Quality>{q}</tt:Quality><tt:RateControl>\
            <tt:FrameRateLimit>{}</tt:FrameRateLimit><tt:EncodingInterval>1</tt:EncodingInterval>\
            <tt:BitrateLimit>{}</tt:BitrateLimit></tt:RateControl>{specific}<tt:Multicast><tt:Address>\
            <tt:Type>IPv4</tt:Type><tt:IPv4Address>0.0.0.0</tt:IPv4Address></tt:Address><tt:Port>0</tt:Port>\
            <tt:TTL>0</tt:TTL><tt:AutoStart>false</tt:AutoStart></tt:Multicast><tt:SessionTimeout>PT60S</tt:SessionTimeout>",
        s.framerate,
        s.bitrate,
        name = esc(&s.encode_mode),
        q = if s.bitrate_control == BitrateControl::Cbr { 3 } else { 4 },
    )
}

fn profile(cam: &App, token: &str, name: &str, id: StreamId, ptz: bool) -> String {
    let (config, (mw, mh)) = {
        let video = lock(&cam.video);
        (video.config.stream(id).clone(), dimensions(&video.config.stream(StreamId::Main).resolution))
    };
    let n = index(id);
    let ptz = if ptz {
        "<tt:PTZConfiguration token=\"ptz_config\">".to_string() + &super::ptz::configuration() + "</tt:PTZConfiguration>"
    } else {
        String::new()
    };
    format!(
        "<trt:Profiles token=\"{token}\" fixed=\"true\"><tt:Name>{name}</tt:Name>\
            <tt:VideoSourceConfiguration token=\"video_src_config\">{}</tt:VideoSourceConfiguration>\
            <tt:VideoEncoderConfiguration token=\"video_encoder_{n}\">{}</tt:VideoEncoderConfiguration>{ptz}</trt:Profiles>",
        source_configuration(mw, mh),
        encoder_configuration(&config)
    )
}

fn encoder_options(cam: &App, id: StreamId) -> String {
    let unit = lock(&cam.video);
    let caps = unit.hal.capabilities();
    let mode = &unit.config.stream(id).encode_mode;
    let Some(current) = caps.stream(id).iter().find(|m| &m.name == mode) else { return String::new() };
    let mut resolutions = String::new();
    let mut fps = (u32::MAX, 0);
    let mut rates = (u32::MAX, 0);
    for r in &current.resolutions {
        let (w, h) = dimensions(&r.name);
        let _ =
            write!(resolutions, "<tt:ResolutionsAvailable><tt:Width>{w}</tt:Width><tt:Height>{h}</tt:Height></tt:ResolutionsAvailable>");
        fps = (fps.0.min(r.framerate.lo), fps.1.max(r.framerate.hi));
        rates = (rates.0.min(r.bitrate.lo), rates.1.max(r.bitrate.hi));
    }
    let tag = encoding(mode);
    let profiles = if tag == "H264" { "<tt:H264ProfilesSupported>Main</tt:H264ProfilesSupported>" } else { "" };
    let gov = if tag == "H264" {
        format!("<tt:GovLengthRange><tt:Min>{}</tt:Min><tt:Max>{}</tt:Max></tt:GovLengthRange>", video::GOVLENGTH.0, video::GOVLENGTH.1)
    } else {
        String::new()
    };
    format!(
        "<trt:Options><tt:QualityRange><tt:Min>3</tt:Min><tt:Max>4</tt:Max></tt:QualityRange>\
            <tt:{tag}>{resolutions}{gov}<tt:FrameRateRange><tt:Min>{}</tt:Min><tt:Max>{}</tt:Max></tt:FrameRateRange>\
            <tt:EncodingIntervalRange><tt:Min>1</tt:Min><tt:Max>1</tt:Max></tt:EncodingIntervalRange>{profiles}</tt:{tag}>\
            <tt:Extension><tt:{tag}>{resolutions}{gov}<tt:FrameRateRange><tt:Min>{}</tt:Min><tt:Max>{}</tt:Max>\
            </tt:FrameRateRange><tt:EncodingIntervalRange><tt:Min>1</tt:Min><tt:Max>1</tt:Max>\
            </tt:EncodingIntervalRange>{profiles}<tt:BitrateRange><tt:Min>{}</tt:Min><tt:Max>{}</tt:Max></tt:BitrateRange>\
            </tt:{tag}></tt:Extension></trt:Options>",
        fps.0, fps.1, fps.0, fps.1, rates.0, rates.1
    )
}

fn set_encoder(cam: &App, env: &Envelope) -> Result<Answer, SoapFault> {
    let token = env.find("Configuration").and_then(|c| c.attr("token"));
    let id = stream_of(token, "video_encoder_")?;
    let caps = lock(&cam.video).hal.capabilities();
    let mut change = StreamChange::default();
    let current = lock(&cam.video).config.stream(id).encode_mode.clone();
    // The encoding a client read back keeps the stream's mode: an H.265
    // stream, read as H264, stays H.265 through a read-modify-write.
    if let Some(kind) = env.text("Encoding").filter(|kind| *kind != encoding(&current)) {
        let offered = caps.stream(id).iter().filter(|m| encoding(&m.name) == kind);
        // Of the modes Media 1 calls H264, H.264 itself.
        let mode = offered.min_by_key(|m| !m.name.contains("264"));
        let mode = mode.ok_or_else(|| SoapFault::sender(&["ter:InvalidArgVal", "ter:ConfigModify"], "Encoding: not offered"))?;
        change.encode_mode = Some(mode.name.clone());
    }
    if let (Some(w), Some(h)) = (env.text("Width"), env.text("Height")) {
        let wanted = (w.parse::<u32>().unwrap_or(0), h.parse::<u32>().unwrap_or(0));
        let name = caps.stream(id).iter().flat_map(|m| &m.resolutions).find(|r| dimensions(&r.name) == wanted).map(|r| r.name.clone());
        let name = name.ok_or_else(|| SoapFault::sender(&["ter:InvalidArgVal", "ter:ConfigModify"], "Resolution: not offered"))?;
        change.resolution = Some(name);
    }
    change.framerate = given_int_text(env.text("FrameRateLimit"));
    change.bitrate = given_int_text(env.text("BitrateLimit"));
    change.govlength = given_int_text(env.text("GovLength"));
    let sets = change.encode_mode.is_some() || change.resolution.is_some();
    if sets || !(change.framerate.is_absent() && change.bitrate.is_absent() && change.govlength.is_absent()) {
        video::set_stream(&cam.shared, &cam.video, id, change).map_err(from_refusal)?;
    }
    Ok(Answer::new("<trt:SetVideoEncoderConfigurationResponse/>".into()))
}

/// The response and item element names of a `GetXConfiguration` or
/// `GetXConfigurations` operation.
fn plural(operation: &str, singular: &str) -> (String, &'static str) {
    if operation == singular {
        (format!("{singular}Response"), "Configuration")
    } else {
        (format!("{operation}Response"), "Configurations")
    }
}

/// The media service's operations: name, privilege, answered before authentication, handler.
pub const OPERATIONS: &[Operation] = &[
    Operation { name: "GetProfiles", act: Read, open: false, run: get_profiles },
    Operation { name: "GetProfile", act: Read, open: false, run: get_profile },
    Operation { name: "GetVideoSources", act: Read, open: false, run: get_video_sources },
    Operation { name: "GetVideoSourceConfigurations", act: Read, open: false, run: get_video_source_configurations },
    Operation { name: "GetVideoSourceConfiguration", act: Read, open: false, run: get_video_source_configurations },
    Operation { name: "GetVideoEncoderConfigurations", act: Read, open: false, run: get_video_encoder_configurations },
    Operation { name: "GetVideoEncoderConfiguration", act: Read, open: false, run: get_video_encoder_configuration },
    Operation { name: "GetVideoEncoderConfigurationOptions", act: Read, open: false, run: get_video_encoder_configuration_options },
    Operation { name: "SetVideoEncoderConfiguration", act: Configure, open: false, run: set_video_encoder_configuration },
    Operation { name: "GetAudioSources", act: Read, open: false, run: get_audio_sources },
    Operation { name: "GetAudioSourceConfigurations", act: Read, open: false, run: get_audio_source_configurations },
    Operation { name: "GetAudioSourceConfiguration", act: Read, open: false, run: get_audio_source_configurations },
    Operation { name: "GetAudioEncoderConfigurations", act: Read, open: false, run: get_audio_encoder_configurations },
    Operation { name: "GetAudioEncoderConfiguration", act: Read, open: false, run: get_audio_encoder_configurations },
    Operation { name: "GetAudioEncoderConfigurationOptions", act: Read, open: false, run: get_audio_encoder_configuration_options },
    Operation { name: "SetAudioEncoderConfiguration", act: Configure, open: false, run: set_audio_encoder_configuration },
    Operation { name: "GetStreamUri", act: Read, open: false, run: get_stream_uri },
    Operation { name: "GetSnapshotUri", act: Read, open: false, run: get_snapshot_uri },
    Operation { name: "GetServiceCapabilities", act: Read, open: true, run: get_service_capabilities },
];

fn get_profiles(cam: &App, _ctx: &Context, _env: &Envelope) -> Result<Answer, SoapFault> {
    let ptz = super::device::identity(cam).ptz;
    // Two profiles take about 7 KiB: one allocation holds them.
    let mut body = String::with_capacity(8 * 1024);
    body.push_str("<trt:GetProfilesResponse>");
    for (token, name, id) in PROFILES {
        body.push_str(&profile(cam, token, name, id, ptz));
    }
    body.push_str("</trt:GetProfilesResponse>");
    Ok(Answer::new(body))
}

fn get_profile(cam: &App, _ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    let ptz = super::device::identity(cam).ptz;
    let body = {
        let id = profile_stream(env.text("ProfileToken"))?;
        let (token, name, _) = PROFILES[usize::from(index(id) - 1)];
        let p = profile(cam, token, name, id, ptz).replace("trt:Profiles", "trt:Profile");
        format!("<trt:GetProfileResponse>{p}</trt:GetProfileResponse>")
    };
    Ok(Answer::new(body))
}

fn get_video_sources(cam: &App, _ctx: &Context, _env: &Envelope) -> Result<Answer, SoapFault> {
    let body = {
        let (w, h) = dimensions(&lock(&cam.video).config.stream(StreamId::Main).resolution);
        let fps = lock(&cam.video).config.stream(StreamId::Main).framerate;
        format!(
            "<trt:GetVideoSourcesResponse><trt:VideoSources token=\"video_src\"><tt:Framerate>{fps}</tt:Framerate>\
            <tt:Resolution><tt:Width>{w}</tt:Width><tt:Height>{h}</tt:Height></tt:Resolution></trt:VideoSources>\
            </trt:GetVideoSourcesResponse>"
        )
    };
    Ok(Answer::new(body))
}

fn get_video_source_configurations(cam: &App, _ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    let operation = env.operation();
    let body = {
        let (w, h) = dimensions(&lock(&cam.video).config.stream(StreamId::Main).resolution);
        let (outer, inner) = plural(operation, "GetVideoSourceConfiguration");
        format!("<trt:{outer}><trt:{inner} token=\"video_src_config\">{}</trt:{inner}></trt:{outer}>", source_configuration(w, h))
    };
    Ok(Answer::new(body))
}

fn get_video_encoder_configurations(cam: &App, _ctx: &Context, _env: &Envelope) -> Result<Answer, SoapFault> {
    let body = {
        let config = lock(&cam.video).config.clone();
        let mut body = String::from("<trt:GetVideoEncoderConfigurationsResponse>");
        for id in StreamId::ALL {
            let _ = write!(
                body,
                "<trt:Configurations token=\"video_encoder_{}\">{}</trt:Configurations>",
                index(id),
                encoder_configuration(config.stream(id))
            );
        }
        body + "</trt:GetVideoEncoderConfigurationsResponse>"
    };
    Ok(Answer::new(body))
}

fn get_video_encoder_configuration(cam: &App, _ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    let body = {
        let id = stream_of(env.text("ConfigurationToken"), "video_encoder_")?;
        let config = lock(&cam.video).config.stream(id).clone();
        format!(
            "<trt:GetVideoEncoderConfigurationResponse><trt:Configuration token=\"video_encoder_{}\">{}</trt:Configuration>\
            </trt:GetVideoEncoderConfigurationResponse>",
            index(id),
            encoder_configuration(&config)
        )
    };
    Ok(Answer::new(body))
}

fn get_video_encoder_configuration_options(cam: &App, _ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    let body = {
        let id = match (env.given("ConfigurationToken"), env.given("ProfileToken")) {
            (Some(c), _) => stream_of(Some(c), "video_encoder_")?,
            (None, Some(p)) => profile_stream(Some(p))?,
            (None, None) => StreamId::Main,
        };
        format!(
            "<trt:GetVideoEncoderConfigurationOptionsResponse>{}</trt:GetVideoEncoderConfigurationOptionsResponse>",
            encoder_options(cam, id)
        )
    };
    Ok(Answer::new(body))
}

fn set_video_encoder_configuration(cam: &App, _ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    set_encoder(cam, env)
}

fn get_stream_uri(cam: &App, ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    let body = {
        let id = profile_stream(env.text("ProfileToken"))?;
        let (port, path) = lock(&cam.video).hal.rtsp(id);
        let host = ctx.base.trim_start_matches("http://");
        let host = host.rsplit_once(':').filter(|(_, p)| p.bytes().all(|b| b.is_ascii_digit())).map_or(host, |(h, _)| h);
        format!(
            "<trt:GetStreamUriResponse><trt:MediaUri><tt:Uri>rtsp://{host}:{port}{}</tt:Uri>\
            <tt:InvalidAfterConnect>false</tt:InvalidAfterConnect><tt:InvalidAfterReboot>false</tt:InvalidAfterReboot>\
            <tt:Timeout>PT0S</tt:Timeout></trt:MediaUri></trt:GetStreamUriResponse>",
            esc(&path)
        )
    };
    Ok(Answer::new(body))
}

fn get_snapshot_uri(_cam: &App, ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    let body = {
        let id = profile_stream(env.text("ProfileToken"))?;
        // The CGI numbers the main stream 1 and the sub stream 0.
        let stream = if id == StreamId::Main { 1 } else { 0 };
        format!(
            "<trt:GetSnapshotUriResponse><trt:MediaUri><tt:Uri>{}/cgi-bin/snapshot.cgi?stream={stream}</tt:Uri>\
            <tt:InvalidAfterConnect>false</tt:InvalidAfterConnect><tt:InvalidAfterReboot>false</tt:InvalidAfterReboot>\
            <tt:Timeout>PT0S</tt:Timeout></trt:MediaUri></trt:GetSnapshotUriResponse>",
            ctx.base
        )
    };
    Ok(Answer::new(body))
}

fn get_service_capabilities(_cam: &App, _ctx: &Context, _env: &Envelope) -> Result<Answer, SoapFault> {
    Ok(Answer::new(format!("<trt:GetServiceCapabilitiesResponse>{}</trt:GetServiceCapabilitiesResponse>", super::capabilities::MEDIA)))
}
