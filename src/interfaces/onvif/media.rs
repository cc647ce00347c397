//! The media service (Media 1, Profile S): a main and a sub profile on the
//! two encoders (`stream1` is main, as the CGI numbers them), their
//! configurations, the RTSP streamer's URIs and `snapshot.cgi`'s.

pub(super) mod audio_encoder;
mod editing;
mod video_encoder;
pub(super) mod video_source;

use super::profiles::{profile_stream, snapshot_uri, stream_uri, Kind, MediaProfile};
use super::soap::{esc, Envelope, SoapFault};
use super::Operation;
use super::{Answer, App, Context};
use crate::state::acts::Act::{Configure, Read};
use crate::state::app::lock;
use audio_encoder::{
    get_audio_encoder_configuration_options, get_audio_encoder_configurations, get_audio_source_configurations, get_audio_sources,
    set_audio_encoder_configuration,
};
use camcgi_hal::StreamId;
use std::fmt::Write;
use video_encoder::{
    get_video_encoder_configuration, get_video_encoder_configuration_options, get_video_encoder_configurations,
    set_video_encoder_configuration,
};

/// The number of a stream in the tokens (`video_encoder_1` is the main stream).
pub(super) fn index(id: StreamId) -> u8 {
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

/// The resolution a configuration's `Width` and `Height` name, among the
/// stream's modes; `None` when it names none; a size the stream does not
/// offer is refused.
pub(super) fn offered_resolution(env: &Envelope, modes: &[camcgi_hal::EncodeModeCaps]) -> Result<Option<String>, SoapFault> {
    let (Some(w), Some(h)) = (env.text("Width"), env.text("Height")) else { return Ok(None) };
    let wanted = (w.parse::<u32>().unwrap_or(0), h.parse::<u32>().unwrap_or(0));
    let name = modes.iter().flat_map(|m| &m.resolutions).find(|r| dimensions(&r.name) == wanted).map(|r| r.name.clone());
    name.map(Some).ok_or_else(|| SoapFault::sender(&["ter:InvalidArgVal", "ter:ConfigModify"], "Resolution: not offered"))
}

/// The one video source configuration's content: the main stream's size,
/// and the profiles that hold it.
pub(super) fn source_configuration(cam: &App) -> String {
    let (width, height) = dimensions(&lock(&cam.video).config.stream(StreamId::Main).resolution);
    format!(
        "<tt:Name>VideoSource</tt:Name><tt:UseCount>{}</tt:UseCount><tt:SourceToken>video_src</tt:SourceToken>\
            <tt:Bounds x=\"0\" y=\"0\" width=\"{width}\" height=\"{height}\"/>",
        cam.profiles.use_count(Kind::VideoSource, None)
    )
}

/// A profile as Media 1 writes it, in `element` (`Profiles` or `Profile`).
pub(super) fn profile(cam: &App, p: &MediaProfile, element: &str) -> String {
    let ptz_present = super::identity::identity(cam).ptz;
    let mut out = format!("<trt:{element} token=\"{}\" fixed=\"{}\"><tt:Name>{}</tt:Name>", esc(&p.token), p.fixed, esc(&p.name));
    if p.video_source {
        let _ = write!(
            out,
            "<tt:VideoSourceConfiguration token=\"video_src_config\">{}</tt:VideoSourceConfiguration>",
            source_configuration(cam)
        );
    }
    if p.audio_source {
        let _ = write!(
            out,
            "<tt:AudioSourceConfiguration token=\"audio_src_config\">{}</tt:AudioSourceConfiguration>",
            audio_encoder::source_content(cam)
        );
    }
    // A stream in a mode Media 1 cannot name gives the profile no encoder.
    if let Some(id) = p.stream() {
        let config = lock(&cam.video).config.stream(id).clone();
        if let Some(c) = video_encoder::configuration(&config, cam.profiles.use_count(Kind::VideoEncoder, Some(id))) {
            let _ = write!(out, "<tt:VideoEncoderConfiguration token=\"video_encoder_{}\">{c}</tt:VideoEncoderConfiguration>", index(id));
        }
    }
    if p.audio_encoder {
        let _ = write!(
            out,
            "<tt:AudioEncoderConfiguration token=\"audio_encoder\">{}</tt:AudioEncoderConfiguration>",
            audio_encoder::encoder_content(cam)
        );
    }
    if p.ptz && ptz_present {
        let _ = write!(out, "<tt:PTZConfiguration token=\"ptz_config\">{}</tt:PTZConfiguration>", super::ptz::configuration(cam));
    }
    let _ = write!(out, "</trt:{element}>");
    out
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
    Operation {
        name: "GetVideoSourceConfigurationOptions",
        act: Read,
        open: false,
        run: video_source::get_video_source_configuration_options,
    },
    Operation { name: "SetVideoSourceConfiguration", act: Configure, open: false, run: video_source::set_video_source_configuration },
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
    Operation { name: "CreateProfile", act: Configure, open: false, run: editing::create_profile },
    Operation { name: "DeleteProfile", act: Configure, open: false, run: editing::delete_profile },
    Operation { name: "AddVideoSourceConfiguration", act: Configure, open: false, run: editing::add_configuration },
    Operation { name: "AddVideoEncoderConfiguration", act: Configure, open: false, run: editing::add_configuration },
    Operation { name: "AddAudioSourceConfiguration", act: Configure, open: false, run: editing::add_configuration },
    Operation { name: "AddAudioEncoderConfiguration", act: Configure, open: false, run: editing::add_configuration },
    Operation { name: "AddPTZConfiguration", act: Configure, open: false, run: editing::add_configuration },
    Operation { name: "RemoveVideoSourceConfiguration", act: Configure, open: false, run: editing::remove_configuration },
    Operation { name: "RemoveVideoEncoderConfiguration", act: Configure, open: false, run: editing::remove_configuration },
    Operation { name: "RemoveAudioSourceConfiguration", act: Configure, open: false, run: editing::remove_configuration },
    Operation { name: "RemoveAudioEncoderConfiguration", act: Configure, open: false, run: editing::remove_configuration },
    Operation { name: "RemovePTZConfiguration", act: Configure, open: false, run: editing::remove_configuration },
    Operation { name: "GetCompatibleVideoSourceConfigurations", act: Read, open: false, run: editing::get_compatible },
    Operation { name: "GetCompatibleVideoEncoderConfigurations", act: Read, open: false, run: editing::get_compatible },
    Operation { name: "GetCompatibleAudioSourceConfigurations", act: Read, open: false, run: editing::get_compatible },
    Operation { name: "GetCompatibleAudioEncoderConfigurations", act: Read, open: false, run: editing::get_compatible },
];

fn get_profiles(cam: &App, _ctx: &Context, _env: &Envelope) -> Result<Answer, SoapFault> {
    // Two profiles take about 7 KiB: one allocation holds them.
    let mut body = String::with_capacity(8 * 1024);
    body.push_str("<trt:GetProfilesResponse>");
    for p in cam.profiles.all() {
        body.push_str(&profile(cam, &p, "Profiles"));
    }
    body.push_str("</trt:GetProfilesResponse>");
    Ok(Answer::new(body))
}

fn get_profile(cam: &App, _ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    let p = cam.profiles.get(env.text("ProfileToken"))?;
    Ok(Answer::new(format!("<trt:GetProfileResponse>{}</trt:GetProfileResponse>", profile(cam, &p, "Profile"))))
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
        let (outer, inner) = plural(operation, "GetVideoSourceConfiguration");
        format!("<trt:{outer}><trt:{inner} token=\"video_src_config\">{}</trt:{inner}></trt:{outer}>", source_configuration(cam))
    };
    Ok(Answer::new(body))
}

fn get_stream_uri(cam: &App, ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    let id = profile_stream(cam, env.text("ProfileToken"))?;
    Ok(Answer::new(format!(
        "<trt:GetStreamUriResponse><trt:MediaUri><tt:Uri>{}</tt:Uri>\
            <tt:InvalidAfterConnect>false</tt:InvalidAfterConnect><tt:InvalidAfterReboot>false</tt:InvalidAfterReboot>\
            <tt:Timeout>PT0S</tt:Timeout></trt:MediaUri></trt:GetStreamUriResponse>",
        esc(&stream_uri(cam, ctx, id))
    )))
}

fn get_snapshot_uri(cam: &App, ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    let id = profile_stream(cam, env.text("ProfileToken"))?;
    Ok(Answer::new(format!(
        "<trt:GetSnapshotUriResponse><trt:MediaUri><tt:Uri>{}</tt:Uri>\
            <tt:InvalidAfterConnect>false</tt:InvalidAfterConnect><tt:InvalidAfterReboot>false</tt:InvalidAfterReboot>\
            <tt:Timeout>PT0S</tt:Timeout></trt:MediaUri></trt:GetSnapshotUriResponse>",
        esc(&snapshot_uri(ctx, id))
    )))
}

fn get_service_capabilities(_cam: &App, _ctx: &Context, _env: &Envelope) -> Result<Answer, SoapFault> {
    Ok(Answer::new(format!("<trt:GetServiceCapabilitiesResponse>{}</trt:GetServiceCapabilitiesResponse>", super::capabilities::MEDIA)))
}
