//! The one video source configuration's options and its set, for both
//! media services: it covers the whole picture of the one source, so a set
//! is taken when it names the same source and bounds (its name is fixed).

use super::dimensions;
use crate::interfaces::onvif::soap::{Envelope, SoapFault};
use crate::interfaces::onvif::{Answer, App, Context};
use crate::state::app::lock;
use camcgi_hal::StreamId;

/// The options' content: the bounds it takes, and the one source.
pub(in crate::interfaces::onvif) fn options_content(cam: &App) -> String {
    let (w, h) = dimensions(&lock(&cam.video).config.stream(StreamId::Main).resolution);
    let range = |name: &str, lo: u32, hi: u32| format!("<tt:{name}><tt:Min>{lo}</tt:Min><tt:Max>{hi}</tt:Max></tt:{name}>");
    format!(
        "<tt:BoundsRange>{}{}{}{}</tt:BoundsRange><tt:VideoSourceTokensAvailable>video_src</tt:VideoSourceTokensAvailable>",
        range("XRange", 0, 0),
        range("YRange", 0, 0),
        range("WidthRange", w, w),
        range("HeightRange", h, h)
    )
}

/// Whether a request's tokens name the configuration (and a profile that exists).
pub(in crate::interfaces::onvif) fn check_tokens(cam: &App, env: &Envelope) -> Result<(), SoapFault> {
    if env.given("ConfigurationToken").is_some_and(|t| t != "video_src_config") {
        return Err(SoapFault::sender(&["ter:InvalidArgVal", "ter:NoConfig"], "no such video source configuration"));
    }
    if let Some(p) = env.given("ProfileToken") {
        cam.profiles.get(Some(p))?;
    }
    Ok(())
}

/// Takes a `SetVideoSourceConfiguration` that names the one source and the whole picture.
pub(in crate::interfaces::onvif) fn check_set(cam: &App, env: &Envelope) -> Result<(), SoapFault> {
    if env.find("Configuration").and_then(|c| c.attr("token")) != Some("video_src_config") {
        return Err(SoapFault::sender(&["ter:InvalidArgVal", "ter:NoConfig"], "no such video source configuration"));
    }
    if env.text("SourceToken").is_some_and(|t| t != "video_src") {
        return Err(SoapFault::sender(&["ter:InvalidArgVal", "ter:ConfigModify"], "SourceToken: video_src"));
    }
    let (w, h) = dimensions(&lock(&cam.video).config.stream(StreamId::Main).resolution);
    if let Some(bounds) = env.find("Bounds") {
        let whole = [("x", 0), ("y", 0), ("width", w), ("height", h)];
        if whole.iter().any(|(name, v)| bounds.attr(name).and_then(|a| a.parse::<u32>().ok()) != Some(*v)) {
            return Err(SoapFault::sender(&["ter:InvalidArgVal", "ter:ConfigModify"], format!("Bounds: the whole picture, 0 0 {w} {h}")));
        }
    }
    Ok(())
}

pub(super) fn get_video_source_configuration_options(cam: &App, _ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    check_tokens(cam, env)?;
    Ok(Answer::new(format!(
        "<trt:GetVideoSourceConfigurationOptionsResponse><trt:Options>{}</trt:Options></trt:GetVideoSourceConfigurationOptionsResponse>",
        options_content(cam)
    )))
}

pub(super) fn set_video_source_configuration(cam: &App, _ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    check_set(cam, env)?;
    Ok(Answer::new("<trt:SetVideoSourceConfigurationResponse/>".into()))
}
