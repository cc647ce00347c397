//! The media service's audio: the one audio source and encoder
//! configuration, read from and set through the camera's audio family.

use super::plural;
use crate::api::fields::Given;
use crate::interfaces::audio::{self, AudioChange};
use crate::interfaces::onvif::soap::{esc, Envelope, SoapFault};
use crate::interfaces::onvif::{from_refusal, Answer, App, Context};
use crate::state::app::lock;
use std::fmt::Write;

/// ONVIF's name for an audio encoding of the board's.
fn audio_encoding(name: &str) -> &'static str {
    let n = name.to_ascii_uppercase();
    if n.contains("AAC") {
        "AAC"
    } else if n.contains("726") {
        "G726"
    } else {
        "G711"
    }
}

fn set_audio(cam: &App, env: &Envelope) -> Result<Answer, SoapFault> {
    if env.find("Configuration").and_then(|c| c.attr("token")) != Some("audio_encoder") {
        return Err(SoapFault::sender(&["ter:InvalidArgVal", "ter:NoConfig"], "no such audio encoder configuration"));
    }
    let caps = lock(&cam.audio).hal.capabilities();
    let mut change = AudioChange::default();
    if let Some(kind) = env.text("Encoding") {
        // The first of the board's encodings ONVIF calls by that name.
        let name = caps.iter().find(|k| audio_encoding(&k.name) == kind).map(|k| k.name.clone());
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
    Ok(Answer::new("<trt:SetAudioEncoderConfigurationResponse/>".into()))
}

pub(super) fn get_audio_sources(_cam: &App, _ctx: &Context, _env: &Envelope) -> Result<Answer, SoapFault> {
    let body = "<trt:GetAudioSourcesResponse><trt:AudioSources token=\"audio_src\"><tt:Channels>1</tt:Channels></trt:AudioSources>\
        </trt:GetAudioSourcesResponse>"
        .to_string();
    Ok(Answer::new(body))
}

pub(super) fn get_audio_source_configurations(_cam: &App, _ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    let operation = env.operation();
    let body = {
        let (outer, inner) = plural(operation, "GetAudioSourceConfiguration");
        format!(
            "<trt:{outer}><trt:{inner} token=\"audio_src_config\"><tt:Name>AudioSource</tt:Name><tt:UseCount>2</tt:UseCount>\
            <tt:SourceToken>audio_src</tt:SourceToken></trt:{inner}></trt:{outer}>"
        )
    };
    Ok(Answer::new(body))
}

pub(super) fn get_audio_encoder_configurations(cam: &App, _ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    let operation = env.operation();
    let body = {
        let a = lock(&cam.audio).config.clone();
        let (outer, inner) = plural(operation, "GetAudioEncoderConfiguration");
        format!(
            "<trt:{outer}><trt:{inner} token=\"audio_encoder\"><tt:Name>{}</tt:Name><tt:UseCount>2</tt:UseCount>\
                <tt:Encoding>{}</tt:Encoding><tt:Bitrate>{}</tt:Bitrate><tt:SampleRate>{}</tt:SampleRate><tt:Multicast>\
                <tt:Address><tt:Type>IPv4</tt:Type><tt:IPv4Address>0.0.0.0</tt:IPv4Address></tt:Address><tt:Port>0</tt:Port>\
                <tt:TTL>0</tt:TTL><tt:AutoStart>false</tt:AutoStart></tt:Multicast>\
                <tt:SessionTimeout>PT60S</tt:SessionTimeout></trt:{inner}></trt:{outer}>",
            esc(&a.encode_type),
            audio_encoding(&a.encode_type),
            a.bitrate / 1000,
            a.samplerate / 1000
        )
    };
    Ok(Answer::new(body))
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
    set_audio(cam, env)
}
