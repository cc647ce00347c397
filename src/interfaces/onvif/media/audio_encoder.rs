//! The media service's audio: the one audio source and encoder
//! configuration, read from and set through the camera's audio family.

use super::plural;
use crate::api::fields::Given;
use crate::interfaces::audio::{self, AudioChange};
use crate::interfaces::onvif::profiles::Kind;
use crate::interfaces::onvif::soap::{esc, Envelope, SoapFault};
use crate::interfaces::onvif::{from_refusal, Answer, App, Context};
use crate::state::app::lock;
use std::fmt::Write;

/// ONVIF's name for an audio encoding of the board's.
pub(in crate::interfaces::onvif) fn audio_encoding(name: &str) -> &'static str {
    let n = name.to_ascii_uppercase();
    if n.contains("AAC") {
        "AAC"
    } else if n.contains("726") {
        "G726"
    } else {
        "G711"
    }
}

/// Sets the audio encoder from a configuration whose encoding `name_of`
/// gives each board encoding's name for (Media 1's or Media 2's);
/// answers `response`.
pub(in crate::interfaces::onvif) fn set_audio(
    cam: &App,
    env: &Envelope,
    name_of: fn(&str) -> &'static str,
    response: &str,
) -> Result<Answer, SoapFault> {
    if env.find("Configuration").and_then(|c| c.attr("token")) != Some("audio_encoder") {
        return Err(SoapFault::sender(&["ter:InvalidArgVal", "ter:NoConfig"], "no such audio encoder configuration"));
    }
    let caps = lock(&cam.audio).hal.capabilities();
    let mut change = AudioChange::default();
    if let Some(kind) = env.text("Encoding") {
        // The first of the board's encodings ONVIF calls by that name.
        let name = caps.iter().find(|k| name_of(&k.name).eq_ignore_ascii_case(kind)).map(|k| k.name.clone());
        let name = name.ok_or_else(|| SoapFault::sender(&["ter:InvalidArgVal", "ter:ConfigModify"], "Encoding: not offered"))?;
        change.encode_type = Some(name);
    }
    for (onvif, field) in [("Bitrate", &mut change.bitrate), ("SampleRate", &mut change.samplerate)] {
        if let Some(v) = env.text(onvif) {
            let kilo: u32 = v.parse().map_err(|_| SoapFault::invalid(format!("{onvif}: a whole number")))?;
            *field = Given::Value(i64::from(kilo) * 1000);
        }
    }
    if change.encode_type.is_some() || !change.bitrate.is_absent() || !change.samplerate.is_absent() {
        audio::set(&cam.shared, &cam.audio, change).map_err(from_refusal)?;
    }
    Ok(Answer::new(response.into()))
}

pub(super) fn get_audio_sources(_cam: &App, _ctx: &Context, _env: &Envelope) -> Result<Answer, SoapFault> {
    let body = "<trt:GetAudioSourcesResponse><trt:AudioSources token=\"audio_src\"><tt:Channels>1</tt:Channels></trt:AudioSources>\
        </trt:GetAudioSourcesResponse>"
        .to_string();
    Ok(Answer::new(body))
}

/// The audio source configuration's content.
pub(in crate::interfaces::onvif) fn source_content(cam: &App) -> String {
    format!(
        "<tt:Name>AudioSource</tt:Name><tt:UseCount>{}</tt:UseCount><tt:SourceToken>audio_src</tt:SourceToken>",
        cam.profiles.use_count(Kind::AudioSource, None)
    )
}

/// The audio encoder configuration's content, as Media 1 writes it.
pub(super) fn encoder_content(cam: &App) -> String {
    let a = lock(&cam.audio).config.clone();
    format!(
        "<tt:Name>{}</tt:Name><tt:UseCount>{}</tt:UseCount>\
            <tt:Encoding>{}</tt:Encoding><tt:Bitrate>{}</tt:Bitrate><tt:SampleRate>{}</tt:SampleRate><tt:Multicast>\
            <tt:Address><tt:Type>IPv4</tt:Type><tt:IPv4Address>0.0.0.0</tt:IPv4Address></tt:Address><tt:Port>0</tt:Port>\
            <tt:TTL>0</tt:TTL><tt:AutoStart>false</tt:AutoStart></tt:Multicast><tt:SessionTimeout>PT60S</tt:SessionTimeout>",
        esc(&a.encode_type),
        cam.profiles.use_count(Kind::AudioEncoder, None),
        audio_encoding(&a.encode_type),
        a.bitrate / 1000,
        a.samplerate / 1000
    )
}

pub(super) fn get_audio_source_configurations(cam: &App, _ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    let (outer, inner) = plural(env.operation(), "GetAudioSourceConfiguration");
    Ok(Answer::new(format!("<trt:{outer}><trt:{inner} token=\"audio_src_config\">{}</trt:{inner}></trt:{outer}>", source_content(cam))))
}

pub(super) fn get_audio_encoder_configurations(cam: &App, _ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    let (outer, inner) = plural(env.operation(), "GetAudioEncoderConfiguration");
    Ok(Answer::new(format!("<trt:{outer}><trt:{inner} token=\"audio_encoder\">{}</trt:{inner}></trt:{outer}>", encoder_content(cam))))
}

pub(super) fn get_audio_encoder_configuration_options(cam: &App, _ctx: &Context, _env: &Envelope) -> Result<Answer, SoapFault> {
    let body = {
        let mut body = String::from("<trt:GetAudioEncoderConfigurationOptionsResponse><trt:Options>");
        for kind in lock(&cam.audio).hal.capabilities() {
            let mut bitrates = String::new();
            let mut rates = String::new();
            for rate in &kind.samplerates {
                let _ = write!(rates, "<tt:Items>{}</tt:Items>", rate.rate / 1000);
                for b in &rate.bitrates {
                    let _ = write!(bitrates, "<tt:Items>{}</tt:Items>", b / 1000);
                }
            }
            let _ = write!(
                body,
                "<tt:Options><tt:Encoding>{}</tt:Encoding><tt:BitrateList>{bitrates}</tt:BitrateList>\
                <tt:SampleRateList>{rates}</tt:SampleRateList></tt:Options>",
                audio_encoding(&kind.name)
            );
        }
        body + "</trt:Options></trt:GetAudioEncoderConfigurationOptionsResponse>"
    };
    Ok(Answer::new(body))
}

pub(super) fn set_audio_encoder_configuration(cam: &App, _ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    set_audio(cam, env, audio_encoding, "<trt:SetAudioEncoderConfigurationResponse/>")
}
