//! The PTZ service's presets: the CGI's numbered presets, tokens `1`-`255`.

use super::{act, cgi, head};
use crate::interfaces::onvif::soap::{Envelope, SoapFault};
use crate::interfaces::onvif::{Answer, App, Context};
use camcgi_hal::PtzCommand;
use std::fmt::Write;

fn preset_number(token: Option<&str>) -> Result<u8, SoapFault> {
    token
        .and_then(|t| t.parse::<u8>().ok())
        .filter(|n| *n >= 1)
        .ok_or_else(|| SoapFault::sender(&["ter:InvalidArgVal", "ter:NoToken"], "PresetToken: 1-255"))
}

pub(super) fn get_presets(cam: &App, _ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    head(cam)?;
    let body = {
        cam.profiles.get(env.text("ProfileToken"))?;
        let (set, _) = cgi::status(&cam.ptz);
        let mut body = String::from("<tptz:GetPresetsResponse>");
        for n in set {
            let _ = write!(body, "<tptz:Preset token=\"{n}\"><tt:Name>Preset {n}</tt:Name></tptz:Preset>");
        }
        body + "</tptz:GetPresetsResponse>"
    };
    Ok(Answer::new(body))
}

pub(super) fn set_preset(cam: &App, _ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    head(cam)?;
    let body = {
        cam.profiles.get(env.text("ProfileToken"))?;
        let n = match env.text("PresetToken") {
            Some(t) => preset_number(Some(t))?,
            None => {
                let (set, _) = cgi::status(&cam.ptz);
                (1..=255u8)
                    .find(|n| !set.contains(n))
                    .ok_or_else(|| SoapFault::receiver(&["ter:Action", "ter:TooManyPresets"], "every preset is set"))?
            }
        };
        act(cam, cgi::Action::AddPreset(n))?;
        format!("<tptz:SetPresetResponse><tptz:PresetToken>{n}</tptz:PresetToken></tptz:SetPresetResponse>")
    };
    Ok(Answer::new(body))
}

pub(super) fn use_preset(cam: &App, _ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    head(cam)?;
    let operation = env.operation();
    let body = {
        cam.profiles.get(env.text("ProfileToken"))?;
        let n = preset_number(env.text("PresetToken"))?;
        let (set, _) = cgi::status(&cam.ptz);
        if !set.contains(&n) {
            return Err(SoapFault::sender(&["ter:InvalidArgVal", "ter:NoToken"], format!("preset {n} is not set")));
        }
        let action = if operation == "GotoPreset" { cgi::Action::Command(PtzCommand::CallPreset(n)) } else { cgi::Action::DeletePreset(n) };
        act(cam, action)?;
        format!("<tptz:{operation}Response/>")
    };
    Ok(Answer::new(body))
}
