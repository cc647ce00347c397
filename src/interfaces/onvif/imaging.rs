//! The imaging service: the ISP's four controls (0-255, as the CGI keeps
//! them) and the focus motor.

use super::soap::{Envelope, SoapFault};
use super::Operation;
use super::{from_refusal, Answer, App, Context};
use crate::api::fields::given_int_text;
use crate::interfaces::image::ImageChange;
use crate::interfaces::{image, ptz as cgi};
use crate::state::acts::Act::{Configure, Move, Read};
use crate::state::app::lock;
use camcgi_hal::{Dir, ImageControl, LensPart, PtzCommand};
use std::fmt::Write;

/// ONVIF's names for the controls, in its schema's order.
const CONTROLS: [(&str, ImageControl); 4] = [
    ("Brightness", ImageControl::Brightness),
    ("ColorSaturation", ImageControl::Saturation),
    ("Contrast", ImageControl::Contrast),
    ("Sharpness", ImageControl::Sharpness),
];

fn source(env: &Envelope) -> Result<(), SoapFault> {
    match env.text("VideoSourceToken") {
        Some("video_src") => Ok(()),
        _ => Err(SoapFault::sender(&["ter:InvalidArgVal", "ter:NoSource"], "VideoSourceToken: video_src")),
    }
}

/// The imaging service's operations: name, privilege, answered before authentication, handler.
pub const OPERATIONS: &[Operation] = &[
    Operation { name: "GetServiceCapabilities", act: Read, open: true, run: get_service_capabilities },
    Operation { name: "GetImagingSettings", act: Read, open: false, run: get_imaging_settings },
    Operation { name: "SetImagingSettings", act: Configure, open: false, run: set_imaging_settings },
    Operation { name: "GetOptions", act: Read, open: false, run: get_options },
    Operation { name: "GetMoveOptions", act: Read, open: false, run: get_move_options },
    Operation { name: "Move", act: Move, open: false, run: move_focus },
    Operation { name: "Stop", act: Move, open: false, run: stop },
    Operation { name: "GetStatus", act: Read, open: false, run: get_status },
];

fn get_service_capabilities(_cam: &App, _ctx: &Context, _env: &Envelope) -> Result<Answer, SoapFault> {
    Ok(Answer::new(format!("<timg:GetServiceCapabilitiesResponse>{}</timg:GetServiceCapabilitiesResponse>", super::capabilities::IMAGING)))
}

fn get_imaging_settings(cam: &App, _ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    source(env)?;
    let body = {
        let image = lock(&cam.image);
        let mut body = String::from("<timg:GetImagingSettingsResponse><timg:ImagingSettings>");
        // Only the controls the ISP has.
        for (name, control) in CONTROLS.into_iter().filter(|(_, c)| image.hal.supports(*c)) {
            let _ = write!(body, "<tt:{name}>{}</tt:{name}>", image.config.value(control));
        }
        body + "</timg:ImagingSettings></timg:GetImagingSettingsResponse>"
    };
    Ok(Answer::new(body))
}

fn set_imaging_settings(cam: &App, _ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    source(env)?;
    let body = {
        let mut change = ImageChange::default();
        for (name, control) in CONTROLS {
            if let Some(i) = ImageControl::ALL.iter().position(|c| *c == control) {
                // ONVIF writes floats; the camera takes whole numbers.
                change.controls[i] = given_int_text(env.text(name).map(|v| v.strip_suffix(".0").unwrap_or(v)));
            }
        }
        if !change.is_empty() {
            image::set(&cam.shared, &cam.image, change).map_err(from_refusal)?;
        }
        "<timg:SetImagingSettingsResponse/>".to_string()
    };
    Ok(Answer::new(body))
}

fn get_options(cam: &App, _ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    source(env)?;
    let body = {
        let image = lock(&cam.image);
        let mut body = String::from("<timg:GetOptionsResponse><timg:ImagingOptions>");
        // Nothing advertised that a set would refuse: only the controls the ISP has.
        for (name, _) in CONTROLS.into_iter().filter(|(_, c)| image.hal.supports(*c)) {
            let _ = write!(body, "<tt:{name}><tt:Min>0</tt:Min><tt:Max>255</tt:Max></tt:{name}>");
        }
        body + "</timg:ImagingOptions></timg:GetOptionsResponse>"
    };
    Ok(Answer::new(body))
}

fn get_move_options(_cam: &App, _ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    source(env)?;
    let body = "<timg:GetMoveOptionsResponse><timg:MoveOptions><tt:Continuous><tt:Speed><tt:Min>-1</tt:Min><tt:Max>1</tt:Max>\
        </tt:Speed></tt:Continuous></timg:MoveOptions></timg:GetMoveOptionsResponse>"
        .to_string();
    Ok(Answer::new(body))
}

fn move_focus(cam: &App, _ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    source(env)?;
    let body = {
        let speed: f32 = env
            .within("Continuous")
            .iter()
            .find(|e| e.name == "Speed")
            .and_then(|e| crate::api::fields::decimal(&e.text))
            .map(|s| s as f32)
            .filter(|s: &f32| (-1.0..=1.0).contains(s))
            .ok_or_else(|| SoapFault::invalid("Focus: a Continuous move with Speed -1 to 1"))?;
        let command = match super::ptz::direction(speed) {
            Dir::Still => PtzCommand::Stop,
            dir => PtzCommand::Lens { part: LensPart::Focus, dir, speed: super::ptz::speed(speed) },
        };
        cgi::drive(&cam.shared, &cam.ptz, command, None).map_err(from_refusal)?;
        "<timg:MoveResponse/>".to_string()
    };
    Ok(Answer::new(body))
}

fn stop(cam: &App, _ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    source(env)?;
    let body = {
        cgi::drive(&cam.shared, &cam.ptz, PtzCommand::Stop, None).map_err(from_refusal)?;
        "<timg:StopResponse/>".to_string()
    };
    Ok(Answer::new(body))
}

/// The focus motor's state. The board reports no focus position (a Pelco-D
/// lens has none to report), so the position is given as 0, the middle of
/// the normalized range, and only `MoveStatus` says something.
fn get_status(cam: &App, _ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    source(env)?;
    let (_, motion) = cgi::status(&cam.ptz);
    let state = if motion.focus { "MOVING" } else { "IDLE" };
    Ok(Answer::new(format!(
        "<timg:GetStatusResponse><timg:Status><tt:FocusStatus20><tt:Position>0</tt:Position><tt:MoveStatus>{state}</tt:MoveStatus>\
            </tt:FocusStatus20></timg:Status></timg:GetStatusResponse>"
    )))
}
