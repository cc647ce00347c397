//! Media 2's audio: the one audio source and encoder configuration, with
//! encodings by their RTP names (`PCMU`, `G726`, `MP4A-LATM`), read from and
//! set through the camera's audio family as Media 1's are.

use crate::interfaces::onvif::media::audio_encoder::{audio_encoding, set_audio, source_content as source};
use crate::interfaces::onvif::profiles::Kind;
use crate::interfaces::onvif::soap::{esc, Envelope, SoapFault};
use crate::interfaces::onvif::{Answer, App, Context};
use crate::state::app::lock;
use std::fmt::Write;

/// Media 2's name for an audio encoding of the board's: its RTP payload's.
fn encoding(name: &str) -> &'static str {
    match audio_encoding(name) {
        "AAC" => "MP4A-LATM",
        "G726" => "G726",
        _ => "PCMU",
    }
}

/// The audio source configuration's content.
pub(super) fn source_content(cam: &App) -> String {
    source(cam)
}

/// The audio encoder configuration's content (`tt:AudioEncoder2Configuration`).
pub(super) fn encoder_content(cam: &App) -> String {
    let a = lock(&cam.audio).config.clone();
    format!(
        "<tt:Name>{}</tt:Name><tt:UseCount>{}</tt:UseCount><tt:Encoding>{}</tt:Encoding>\
            <tt:Bitrate>{}</tt:Bitrate><tt:SampleRate>{}</tt:SampleRate>",
        esc(&a.encode_type),
        cam.profiles.use_count(Kind::AudioEncoder, None),
        encoding(&a.encode_type),
        a.bitrate / 1000,
        a.samplerate / 1000
    )
}

/// Whether the request's `ConfigurationToken` and `ProfileToken`, where given, name what exists.
fn check_tokens(cam: &App, env: &Envelope, configuration: &str) -> Result<(), SoapFault> {
    if env.given("ConfigurationToken").is_some_and(|t| t != configuration) {
        return Err(SoapFault::sender(&["ter:InvalidArgVal", "ter:NoConfig"], "no such audio configuration"));
    }
    if let Some(p) = env.given("ProfileToken") {
        cam.profiles.get(Some(p))?;
    }
    Ok(())
}

pub(super) fn get_audio_source_configurations(cam: &App, _ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    check_tokens(cam, env, "audio_src_config")?;
    Ok(Answer::new(format!(
        "<tr2:GetAudioSourceConfigurationsResponse><tr2:Configurations token=\"audio_src_config\">{}</tr2:Configurations>\
            </tr2:GetAudioSourceConfigurationsResponse>",
        source_content(cam)
    )))
}

pub(super) fn get_audio_source_configuration_options(cam: &App, _ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    check_tokens(cam, env, "audio_src_config")?;
    Ok(Answer::new(
        "<tr2:GetAudioSourceConfigurationOptionsResponse><tr2:Options><tt:InputTokensAvailable>audio_src</tt:InputTokensAvailable>\
            </tr2:Options></tr2:GetAudioSourceConfigurationOptionsResponse>"
            .into(),
    ))
}

pub(super) fn get_audio_encoder_configurations(cam: &App, _ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    check_tokens(cam, env, "audio_encoder")?;
    Ok(Answer::new(format!(
        "<tr2:GetAudioEncoderConfigurationsResponse><tr2:Configurations token=\"audio_encoder\">{}</tr2:Configurations>\
            </tr2:GetAudioEncoderConfigurationsResponse>",
        encoder_content(cam)
    )))
}

/// One `Options` per encoding, with the bitrates and sample rates the board takes for it.
pub(super) fn get_audio_encoder_configuration_options(cam: &App, _ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    check_tokens(cam, env, "audio_encoder")?;
    let mut body = String::from("<tr2:GetAudioEncoderConfigurationOptionsResponse>");
    for kind in lock(&cam.audio).hal.capabilities() {
        let (mut bitrates, mut rates) = (Vec::new(), Vec::new());
        for rate in &kind.samplerates {
            rates.push(rate.rate / 1000);
            bitrates.extend(rate.bitrates.iter().map(|b| b / 1000));
        }
        bitrates.sort_unstable();
        bitrates.dedup();
        let items = |list: &[u32]| list.iter().map(|n| format!("<tt:Items>{n}</tt:Items>")).collect::<String>();
        let _ = write!(
            body,
            "<tr2:Options><tt:Encoding>{}</tt:Encoding><tt:BitrateList>{}</tt:BitrateList><tt:SampleRateList>{}</tt:SampleRateList>\
                </tr2:Options>",
            encoding(&kind.name),
            items(&bitrates),
            items(&rates)
        );
    }
    Ok(Answer::new(body + "</tr2:GetAudioEncoderConfigurationOptionsResponse>"))
}

pub(super) fn set_audio_encoder_configuration(cam: &App, _ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    set_audio(cam, env, encoding, "<tr2:SetAudioEncoderConfigurationResponse/>")
}
