//! Media 1's profile editing: `CreateProfile`, `DeleteProfile`,
//! `Add…Configuration` and `Remove…Configuration` for the video source and
//! encoder, the audio source and encoder and the PTZ configuration, and the
//! configurations compatible with a profile (every one the camera has: one
//! video source feeds both encoders).

use super::{get_video_source_configurations, profile};
use crate::interfaces::onvif::profiles::Kind;
use crate::interfaces::onvif::soap::{Envelope, SoapFault};
use crate::interfaces::onvif::{Answer, App, Context};

/// The kind of configuration an operation's name ends with (`AddVideoEncoderConfiguration`).
fn kind_of(operation: &str) -> Option<Kind> {
    let middle = operation.strip_suffix("Configuration")?;
    let middle = middle.strip_prefix("Add").or_else(|| middle.strip_prefix("Remove"))?;
    Some(match middle {
        "VideoSource" => Kind::VideoSource,
        "VideoEncoder" => Kind::VideoEncoder,
        "AudioSource" => Kind::AudioSource,
        "AudioEncoder" => Kind::AudioEncoder,
        "PTZ" => Kind::Ptz,
        _ => return None,
    })
}

pub(super) fn create_profile(cam: &App, _ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    let name = env.text("Name").unwrap_or_default();
    let token = cam.profiles.create(&cam.shared.store, name, env.given("Token"), |_| Ok(()))?;
    let p = cam.profiles.get(Some(&token))?;
    Ok(Answer::new(format!("<trt:CreateProfileResponse>{}</trt:CreateProfileResponse>", profile(cam, &p, "Profile"))))
}

pub(super) fn delete_profile(cam: &App, _ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    cam.profiles.delete(&cam.shared.store, env.text("ProfileToken"))?;
    Ok(Answer::new("<trt:DeleteProfileResponse/>".into()))
}

/// `Add…Configuration`: the configuration by its token, replacing the profile's one of that kind.
pub(super) fn add_configuration(cam: &App, _ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    let operation = env.operation();
    let kind = kind_of(operation).ok_or_else(|| SoapFault::invalid("no such configuration kind"))?;
    let token = env.text("ConfigurationToken").unwrap_or_default();
    let ptz_present = crate::interfaces::onvif::identity::identity(cam).ptz;
    cam.profiles.edit(&cam.shared.store, env.text("ProfileToken"), |p| p.add(kind, token, ptz_present))?;
    Ok(Answer::new(format!("<trt:{operation}Response/>")))
}

/// `Remove…Configuration`: the profile's configuration of that kind.
pub(super) fn remove_configuration(cam: &App, _ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    let operation = env.operation();
    let kind = kind_of(operation).ok_or_else(|| SoapFault::invalid("no such configuration kind"))?;
    cam.profiles.edit(&cam.shared.store, env.text("ProfileToken"), |p| {
        p.remove(kind);
        Ok(())
    })?;
    Ok(Answer::new(format!("<trt:{operation}Response/>")))
}

/// `GetCompatible…Configurations`: every configuration of the kind, for a profile that exists.
pub(super) fn get_compatible(cam: &App, ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    cam.profiles.get(env.text("ProfileToken"))?;
    match env.operation() {
        "GetCompatibleVideoSourceConfigurations" => get_video_source_configurations(cam, ctx, env),
        "GetCompatibleVideoEncoderConfigurations" => super::video_encoder::get_video_encoder_configurations(cam, ctx, env),
        "GetCompatibleAudioSourceConfigurations" => super::audio_encoder::get_audio_source_configurations(cam, ctx, env),
        _ => super::audio_encoder::get_audio_encoder_configurations(cam, ctx, env),
    }
}
