//! The Media 2 service (Profile T) at `/onvif/media2_service`: the same two
//! profiles and encoders as Media 1, each stream described as it is (H.265
//! named H.265), and encoder options per mode and resolution, each with the
//! frame rates and bitrates that resolution takes.

mod audio;
mod editing;
mod osd;

use super::media::{dimensions, index, offered_resolution, source_configuration, video_source};
use super::profiles::{profile_stream, snapshot_uri, stream_of, stream_uri, Kind, MediaProfile};
use super::soap::{boolean, esc, Envelope, SoapFault};
use super::Operation;
use super::{from_refusal, Answer, App, Context};
use crate::api::fields::{given_int_text, Given};
use crate::interfaces::video::{self, StreamChange};
use crate::state::acts::Act::{Configure, Read};
use crate::state::app::lock;
use camcgi_hal::{BitrateControl, StreamConfig, StreamId};
use std::fmt::Write;

/// The media service's operations: name, privilege, answered before authentication, handler.
pub const OPERATIONS: &[Operation] = &[
    Operation { name: "GetServiceCapabilities", act: Read, open: true, run: get_service_capabilities },
    Operation { name: "GetProfiles", act: Read, open: false, run: get_profiles },
    Operation { name: "GetVideoSourceConfigurations", act: Read, open: false, run: get_video_source_configurations },
    Operation { name: "GetVideoSourceConfigurationOptions", act: Read, open: false, run: get_video_source_configuration_options },
    Operation { name: "SetVideoSourceConfiguration", act: Configure, open: false, run: set_video_source_configuration },
    Operation { name: "GetVideoEncoderInstances", act: Read, open: false, run: get_video_encoder_instances },
    Operation { name: "GetVideoEncoderConfigurations", act: Read, open: false, run: get_video_encoder_configurations },
    Operation { name: "GetVideoEncoderConfigurationOptions", act: Read, open: false, run: get_video_encoder_configuration_options },
    Operation { name: "SetVideoEncoderConfiguration", act: Configure, open: false, run: set_video_encoder_configuration },
    Operation { name: "GetStreamUri", act: Read, open: false, run: get_stream_uri },
    Operation { name: "GetSnapshotUri", act: Read, open: false, run: get_snapshot_uri },
    Operation { name: "CreateProfile", act: Configure, open: false, run: editing::create_profile },
    Operation { name: "DeleteProfile", act: Configure, open: false, run: editing::delete_profile },
    Operation { name: "AddConfiguration", act: Configure, open: false, run: editing::add_configuration },
    Operation { name: "RemoveConfiguration", act: Configure, open: false, run: editing::remove_configuration },
    Operation { name: "GetAudioSourceConfigurations", act: Read, open: false, run: audio::get_audio_source_configurations },
    Operation { name: "GetAudioSourceConfigurationOptions", act: Read, open: false, run: audio::get_audio_source_configuration_options },
    Operation { name: "GetAudioEncoderConfigurations", act: Read, open: false, run: audio::get_audio_encoder_configurations },
    Operation { name: "GetAudioEncoderConfigurationOptions", act: Read, open: false, run: audio::get_audio_encoder_configuration_options },
    Operation { name: "SetAudioEncoderConfiguration", act: Configure, open: false, run: audio::set_audio_encoder_configuration },
    Operation { name: "GetOSDs", act: Read, open: false, run: osd::get_osds },
    Operation { name: "GetOSDOptions", act: Read, open: false, run: osd::get_osd_options },
    Operation { name: "CreateOSD", act: Configure, open: false, run: osd::create_osd },
    Operation { name: "SetOSD", act: Configure, open: false, run: osd::set_osd },
    Operation { name: "DeleteOSD", act: Configure, open: false, run: osd::delete_osd },
];

/// Media 2's name for an encode mode: its codec, or the board's own name.
fn encoding(mode: &str) -> String {
    video::codec(mode).map_or_else(|| mode.to_ascii_uppercase(), str::to_string)
}

fn is_video(kind: &str) -> bool {
    kind == "H264" || kind == "H265"
}

/// The stream of a `ConfigurationToken` or `ProfileToken`, whichever is
/// given; `None` for both streams.
fn streams(cam: &App, env: &Envelope, configuration_prefix: &str) -> Result<Vec<StreamId>, SoapFault> {
    Ok(match (env.given("ConfigurationToken"), env.given("ProfileToken")) {
        (Some(c), _) => vec![stream_of(Some(c), configuration_prefix)?],
        (None, Some(p)) => vec![profile_stream(cam, Some(p))?],
        (None, None) => StreamId::ALL.to_vec(),
    })
}

/// A stream's encoder as `tt:VideoEncoder2Configuration`'s content, and its attributes.
fn encoder(s: &StreamConfig, use_count: usize) -> (String, String) {
    let kind = encoding(&s.encode_mode);
    let (w, h) = dimensions(&s.resolution);
    let attributes = if is_video(&kind) { format!(" GovLength=\"{}\" Profile=\"Main\"", s.govlength) } else { String::new() };
    let cbr = s.bitrate_control == BitrateControl::Cbr;
    let content = format!(
        "<tt:Name>{}</tt:Name><tt:UseCount>{use_count}</tt:UseCount><tt:Encoding>{kind}</tt:Encoding>\
            <tt:Resolution><tt:Width>{w}</tt:Width><tt:Height>{h}</tt:Height></tt:Resolution>\
            <tt:RateControl ConstantBitRate=\"{cbr}\"><tt:FrameRateLimit>{}</tt:FrameRateLimit>\
            <tt:BitrateLimit>{}</tt:BitrateLimit></tt:RateControl><tt:Quality>{}</tt:Quality>",
        esc(&s.encode_mode),
        s.framerate,
        s.bitrate,
        if cbr { 3 } else { 4 }
    );
    (attributes, content)
}

fn get_service_capabilities(_cam: &App, _ctx: &Context, _env: &Envelope) -> Result<Answer, SoapFault> {
    Ok(Answer::new(format!("<tr2:GetServiceCapabilitiesResponse>{}</tr2:GetServiceCapabilitiesResponse>", super::capabilities::MEDIA2)))
}

/// One profile as Media 2 writes it, with its configurations of the types `has` takes.
fn profile(cam: &App, p: &MediaProfile, has: impl Fn(&str) -> bool) -> String {
    let ptz_present = super::identity::identity(cam).ptz;
    let mut body = format!(
        "<tr2:Profiles token=\"{}\" fixed=\"{}\"><tr2:Name>{}</tr2:Name><tr2:Configurations>",
        esc(&p.token),
        p.fixed,
        esc(&p.name)
    );
    if has("VideoSource") && p.video_source {
        let _ = write!(body, "<tr2:VideoSource token=\"video_src_config\">{}</tr2:VideoSource>", source_configuration(cam));
    }
    if has("AudioSource") && p.audio_source {
        let _ = write!(body, "<tr2:AudioSource token=\"audio_src_config\">{}</tr2:AudioSource>", audio::source_content(cam));
    }
    if let Some(id) = p.stream().filter(|_| has("VideoEncoder")) {
        let config = lock(&cam.video).config.stream(id).clone();
        let (attributes, content) = encoder(&config, cam.profiles.use_count(Kind::VideoEncoder, Some(id)));
        let _ = write!(body, "<tr2:VideoEncoder token=\"video_encoder_{}\"{attributes}>{content}</tr2:VideoEncoder>", index(id));
    }
    if has("AudioEncoder") && p.audio_encoder {
        let _ = write!(body, "<tr2:AudioEncoder token=\"audio_encoder\">{}</tr2:AudioEncoder>", audio::encoder_content(cam));
    }
    if ptz_present && has("PTZ") && p.ptz {
        let _ = write!(body, "<tr2:PTZ token=\"ptz_config\">{}</tr2:PTZ>", super::ptz::configuration(cam));
    }
    body + "</tr2:Configurations></tr2:Profiles>"
}

/// The profiles (or the one `Token` names); configurations of the types asked (`All` for every one; none without a type).
fn get_profiles(cam: &App, _ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    let wanted: Vec<&str> = env.all("Type").map(|t| t.text.as_str()).collect();
    let has = |kind: &str| wanted.iter().any(|t| *t == kind || *t == "All");
    let profiles = match env.given("Token") {
        Some(t) => vec![cam.profiles.get(Some(t))?],
        None => cam.profiles.all(),
    };
    let mut body = String::from("<tr2:GetProfilesResponse>");
    for p in &profiles {
        body.push_str(&profile(cam, p, has));
    }
    Ok(Answer::new(body + "</tr2:GetProfilesResponse>"))
}

fn get_video_source_configurations(cam: &App, _ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    video_source::check_tokens(cam, env)?;
    Ok(Answer::new(format!(
        "<tr2:GetVideoSourceConfigurationsResponse><tr2:Configurations token=\"video_src_config\">{}</tr2:Configurations>\
            </tr2:GetVideoSourceConfigurationsResponse>",
        source_configuration(cam)
    )))
}

fn get_video_source_configuration_options(cam: &App, _ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    video_source::check_tokens(cam, env)?;
    Ok(Answer::new(format!(
        "<tr2:GetVideoSourceConfigurationOptionsResponse><tr2:Options>{}</tr2:Options></tr2:GetVideoSourceConfigurationOptionsResponse>",
        video_source::options_content(cam)
    )))
}

fn set_video_source_configuration(cam: &App, _ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    video_source::check_set(cam, env)?;
    Ok(Answer::new("<tr2:SetVideoSourceConfigurationResponse/>".into()))
}

/// The encoders the video source feeds: two, one per stream; by codec, how
/// many streams can run it.
fn get_video_encoder_instances(cam: &App, _ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    if env.text("ConfigurationToken") != Some("video_src_config") {
        return Err(SoapFault::sender(&["ter:InvalidArgVal", "ter:NoConfig"], "no such video source configuration"));
    }
    let caps = lock(&cam.video).hal.capabilities();
    let mut codecs: Vec<(String, usize)> = Vec::new();
    for id in StreamId::ALL {
        let mut here: Vec<String> = caps.stream(id).iter().map(|m| encoding(&m.name)).collect();
        here.sort_unstable();
        here.dedup();
        for kind in here {
            match codecs.iter_mut().find(|(k, _)| *k == kind) {
                Some((_, n)) => *n += 1,
                None => codecs.push((kind, 1)),
            }
        }
    }
    let mut body = String::from("<tr2:GetVideoEncoderInstancesResponse><tr2:Info>");
    for (kind, n) in codecs {
        let _ = write!(body, "<tr2:Codec><tr2:Encoding>{}</tr2:Encoding><tr2:Number>{n}</tr2:Number></tr2:Codec>", esc(&kind));
    }
    let _ = write!(body, "<tr2:Total>{}</tr2:Total>", StreamId::ALL.len());
    Ok(Answer::new(body + "</tr2:Info></tr2:GetVideoEncoderInstancesResponse>"))
}

fn get_video_encoder_configurations(cam: &App, _ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    let config = lock(&cam.video).config.clone();
    let mut body = String::from("<tr2:GetVideoEncoderConfigurationsResponse>");
    for id in streams(cam, env, "video_encoder_")? {
        let (attributes, content) = encoder(config.stream(id), cam.profiles.use_count(Kind::VideoEncoder, Some(id)));
        let n = index(id);
        let _ = write!(body, "<tr2:Configurations token=\"video_encoder_{n}\"{attributes}>{content}</tr2:Configurations>");
    }
    Ok(Answer::new(body + "</tr2:GetVideoEncoderConfigurationsResponse>"))
}

/// One `Options` per mode and resolution of the stream, with that resolution's own ranges.
fn get_video_encoder_configuration_options(cam: &App, _ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    let ids = streams(cam, env, "video_encoder_")?;
    let caps = lock(&cam.video).hal.capabilities();
    let mut body = String::from("<tr2:GetVideoEncoderConfigurationOptionsResponse>");
    for mode in ids.iter().flat_map(|id| caps.stream(*id)) {
        let kind = encoding(&mode.name);
        for r in &mode.resolutions {
            let (w, h) = dimensions(&r.name);
            // Whole frame rates; a range wider than 120 is given by its ends.
            let rates: Vec<String> = if r.framerate.hi.saturating_sub(r.framerate.lo) < 120 {
                (r.framerate.lo..=r.framerate.hi).map(|n| n.to_string()).collect()
            } else {
                vec![r.framerate.lo.to_string(), r.framerate.hi.to_string()]
            };
            let video = if is_video(&kind) {
                format!(" GovLengthRange=\"{} {}\" ProfilesSupported=\"Main\"", video::GOVLENGTH.0, video::GOVLENGTH.1)
            } else {
                String::new()
            };
            let _ = write!(
                body,
                "<tr2:Options{video} FrameRatesSupported=\"{}\" ConstantBitRateSupported=\"true\"><tt:Encoding>{kind}</tt:Encoding>\
                    <tt:QualityRange><tt:Min>3</tt:Min><tt:Max>4</tt:Max></tt:QualityRange>\
                    <tt:ResolutionsAvailable><tt:Width>{w}</tt:Width><tt:Height>{h}</tt:Height></tt:ResolutionsAvailable>\
                    <tt:BitrateRange><tt:Min>{}</tt:Min><tt:Max>{}</tt:Max></tt:BitrateRange></tr2:Options>",
                rates.join(" "),
                r.bitrate.lo,
                r.bitrate.hi
            );
        }
    }
    Ok(Answer::new(body + "</tr2:GetVideoEncoderConfigurationOptionsResponse>"))
}

/// Sets a stream from a `VideoEncoder2Configuration`: its encoding names
/// the mode (`H265` is H.265), through the CGI's checks.
fn set_video_encoder_configuration(cam: &App, _ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    let configuration = env.find("Configuration");
    let id = stream_of(configuration.and_then(|c| c.attr("token")), "video_encoder_")?;
    let caps = lock(&cam.video).hal.capabilities();
    let mut change = StreamChange::default();
    if let Some(kind) = env.text("Encoding") {
        let mode = caps.stream(id).iter().find(|m| encoding(&m.name) == kind.to_ascii_uppercase());
        let mode = mode.ok_or_else(|| SoapFault::sender(&["ter:InvalidArgVal", "ter:ConfigModify"], "Encoding: not offered"))?;
        change.encode_mode = Some(mode.name.clone());
    }
    change.resolution = offered_resolution(env, caps.stream(id))?;
    // A frame rate is a float in Media 2: a whole one is taken.
    change.framerate = match env.text("FrameRateLimit") {
        None => Given::Absent,
        Some(v) => given_int_text(Some(v.strip_suffix(".0").unwrap_or(v))),
    };
    change.bitrate = given_int_text(env.text("BitrateLimit"));
    change.govlength = given_int_text(configuration.and_then(|c| c.attr("GovLength")));
    change.bitrate_control = env
        .find("RateControl")
        .and_then(|r| r.attr("ConstantBitRate"))
        .map(|cbr| if boolean(cbr) == Some(true) { "CBR" } else { "VBR" }.to_string());
    video::set_stream(&cam.shared, &cam.video, id, change).map_err(from_refusal)?;
    Ok(Answer::new("<tr2:SetVideoEncoderConfigurationResponse/>".into()))
}

fn get_stream_uri(cam: &App, ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    match env.text("Protocol") {
        Some("RtspUnicast" | "RTSP") => {}
        _ => return Err(SoapFault::invalid("Protocol: RtspUnicast or RTSP (the streamer serves RTSP over TCP and UDP)")),
    }
    let id = profile_stream(cam, env.text("ProfileToken"))?;
    Ok(Answer::new(format!("<tr2:GetStreamUriResponse><tr2:Uri>{}</tr2:Uri></tr2:GetStreamUriResponse>", esc(&stream_uri(cam, ctx, id)))))
}

fn get_snapshot_uri(cam: &App, ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    let id = profile_stream(cam, env.text("ProfileToken"))?;
    Ok(Answer::new(format!("<tr2:GetSnapshotUriResponse><tr2:Uri>{}</tr2:Uri></tr2:GetSnapshotUriResponse>", esc(&snapshot_uri(ctx, id)))))
}
