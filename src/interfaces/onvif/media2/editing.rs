//! Media 2's profile editing: `CreateProfile` (with configurations),
//! `DeleteProfile`, `AddConfiguration` and `RemoveConfiguration`, each
//! configuration by its type and, where the camera has more than one of
//! the type (the video encoders), its token.

use crate::interfaces::onvif::profiles::{no_config, Kind, MediaProfile};
use crate::interfaces::onvif::soap::{Element, Envelope, SoapFault};
use crate::interfaces::onvif::{Answer, App, Context};

/// A configuration type Media 2 names, and its token when none is given.
fn kind(name: &str) -> Result<(Kind, &'static str), SoapFault> {
    Ok(match name {
        "VideoSource" => (Kind::VideoSource, "video_src_config"),
        "VideoEncoder" => (Kind::VideoEncoder, "video_encoder_1"),
        "AudioSource" => (Kind::AudioSource, "audio_src_config"),
        "AudioEncoder" => (Kind::AudioEncoder, "audio_encoder"),
        "PTZ" => (Kind::Ptz, "ptz_config"),
        "All" | "Metadata" | "Analytics" | "AudioOutput" | "AudioDecoder" | "Receiver" => return Err(no_config()),
        _ => return Err(SoapFault::invalid("Type: VideoSource, VideoEncoder, AudioSource, AudioEncoder or PTZ")),
    })
}

/// The `Configuration` elements of a request: each type and token given.
fn configurations(env: &Envelope) -> Vec<(String, Option<String>)> {
    env.each_within("Configuration")
        .map(|children: &[Element]| {
            let text = |name: &str| children.iter().find(|e| e.name == name).map(|e| e.text.clone()).filter(|t| !t.is_empty());
            (text("Type").unwrap_or_default(), text("Token"))
        })
        .collect()
}

/// Adds each configuration the request names to a profile.
fn add_all(cam: &App, env: &Envelope, p: &mut MediaProfile) -> Result<(), SoapFault> {
    let ptz_present = crate::interfaces::onvif::identity::identity(cam).ptz;
    for (type_name, token) in configurations(env) {
        let (kind, default) = kind(&type_name)?;
        p.add(kind, token.as_deref().unwrap_or(default), ptz_present)?;
    }
    Ok(())
}

pub(super) fn create_profile(cam: &App, _ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    let name = env.text("Name").unwrap_or_default();
    let token = cam.profiles.create(&cam.shared.store, name, None, |p| add_all(cam, env, p))?;
    Ok(Answer::new(format!("<tr2:CreateProfileResponse><tr2:Token>{token}</tr2:Token></tr2:CreateProfileResponse>")))
}

pub(super) fn delete_profile(cam: &App, _ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    cam.profiles.delete(&cam.shared.store, env.text("Token"))?;
    Ok(Answer::new("<tr2:DeleteProfileResponse/>".into()))
}

/// Adds configurations (one of a type replaces the profile's), and renames the profile when a `Name` is given.
pub(super) fn add_configuration(cam: &App, _ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    let name = env.given("Name");
    if name.is_some_and(|n| !crate::interfaces::onvif::profiles::valid_text(n, false)) {
        return Err(SoapFault::invalid("Name: 1 to 64 printable characters"));
    }
    cam.profiles.edit(&cam.shared.store, env.text("ProfileToken"), |p| {
        if let Some(name) = name {
            p.name = name.to_string();
        }
        add_all(cam, env, p)
    })?;
    Ok(Answer::new("<tr2:AddConfigurationResponse/>".into()))
}

/// Removes the configurations of the types named.
pub(super) fn remove_configuration(cam: &App, _ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    cam.profiles.edit(&cam.shared.store, env.text("ProfileToken"), |p| {
        for (type_name, _) in configurations(env) {
            p.remove(kind(&type_name)?.0);
        }
        Ok(())
    })?;
    Ok(Answer::new("<tr2:RemoveConfigurationResponse/>".into()))
}
