//! The PTZ service: one node in ONVIF's generic spaces, continuous moves
//! with a timeout (the 60 s watchdog still applies), the presets of
//! `ptz_ctrl`, and absolute and relative moves where the board reports a
//! position.

mod presets;

use super::soap::{Envelope, SoapFault};
use super::xsd::{duration_ms, format_datetime};
use super::Operation;
use super::{from_refusal, Answer, App, Context};
use crate::interfaces::ptz as cgi;
use crate::state::acts::Act::{Move, Read};
use crate::state::app::lock;
use camcgi_hal::{Dir, LensPart, PtzCommand, Spot};
use std::time::Duration;

const SPACE: &str = "http://www.onvif.org/ver10/tptz";

/// The PTZ configuration's content (shared with the media profiles): its
/// use count, and the board's move limit as its default timeout.
pub fn configuration(cam: &App) -> String {
    let use_count = cam.profiles.use_count(super::profiles::Kind::Ptz, None);
    let timeout = cgi::move_limit(&cam.ptz).as_secs();
    format!(
        "<tt:Name>PTZ</tt:Name><tt:UseCount>{use_count}</tt:UseCount><tt:NodeToken>ptz_node</tt:NodeToken>\
         <tt:DefaultAbsolutePantTiltPositionSpace>{SPACE}/PanTiltSpaces/PositionGenericSpace</tt:DefaultAbsolutePantTiltPositionSpace>\
         <tt:DefaultAbsoluteZoomPositionSpace>{SPACE}/ZoomSpaces/PositionGenericSpace</tt:DefaultAbsoluteZoomPositionSpace>\
         <tt:DefaultRelativePanTiltTranslationSpace>\
         {SPACE}/PanTiltSpaces/TranslationGenericSpace</tt:DefaultRelativePanTiltTranslationSpace>\
         <tt:DefaultRelativeZoomTranslationSpace>{SPACE}/ZoomSpaces/TranslationGenericSpace</tt:DefaultRelativeZoomTranslationSpace>\
         <tt:DefaultContinuousPanTiltVelocitySpace>{SPACE}/PanTiltSpaces/VelocityGenericSpace</tt:DefaultContinuousPanTiltVelocitySpace>\
         <tt:DefaultContinuousZoomVelocitySpace>{SPACE}/ZoomSpaces/VelocityGenericSpace</tt:DefaultContinuousZoomVelocitySpace>\
         <tt:DefaultPTZSpeed><tt:PanTilt x=\"0.5\" y=\"0.5\" space=\"{SPACE}/PanTiltSpaces/GenericSpeedSpace\"/>\
             <tt:Zoom x=\"0.5\" space=\"{SPACE}/ZoomSpaces/ZoomGenericSpeedSpace\"/></tt:DefaultPTZSpeed>\
         <tt:DefaultPTZTimeout>PT{timeout}S</tt:DefaultPTZTimeout>"
    )
}

fn range(space: &str, kind: &str, lo: &str) -> String {
    format!(
        "<tt:{kind}><tt:URI>{SPACE}/{space}</tt:URI><tt:XRange><tt:Min>{lo}</tt:Min><tt:Max>1</tt:Max></tt:XRange><tt:YRange>\
        <tt:Min>-1</tt:Min><tt:Max>1</tt:Max></tt:YRange></tt:{kind}>"
    )
}

fn zoom_range(space: &str, kind: &str, lo: &str) -> String {
    format!("<tt:{kind}><tt:URI>{SPACE}/{space}</tt:URI><tt:XRange><tt:Min>{lo}</tt:Min><tt:Max>1</tt:Max></tt:XRange></tt:{kind}>")
}

/// What a head can do beyond continuous moves.
#[derive(Clone, Copy)]
struct Abilities {
    /// It reports its position: absolute and relative moves.
    positions: bool,
    /// Its board knows the lens: relative moves in fields of view.
    fov: bool,
}

fn abilities(cam: &App) -> Result<Abilities, SoapFault> {
    let positions = cgi::position(&cam.ptz).map_err(from_refusal)?.is_some();
    let fov = positions && cgi::field_of_view(&cam.ptz).map_err(from_refusal)?.is_some();
    Ok(Abilities { positions, fov })
}

fn spaces(can: Abilities) -> String {
    let mut s = String::new();
    if can.positions {
        s += &range("PanTiltSpaces/PositionGenericSpace", "AbsolutePanTiltPositionSpace", "-1");
        s += &zoom_range("ZoomSpaces/PositionGenericSpace", "AbsoluteZoomPositionSpace", "0");
        s += &range("PanTiltSpaces/TranslationGenericSpace", "RelativePanTiltTranslationSpace", "-1");
        if can.fov {
            s += &range("PanTiltSpaces/TranslationSpaceFov", "RelativePanTiltTranslationSpace", "-1");
        }
        s += &zoom_range("ZoomSpaces/TranslationGenericSpace", "RelativeZoomTranslationSpace", "-1");
    }
    s += &range("PanTiltSpaces/VelocityGenericSpace", "ContinuousPanTiltVelocitySpace", "-1");
    s += &zoom_range("ZoomSpaces/VelocityGenericSpace", "ContinuousZoomVelocitySpace", "-1");
    s += &format!(
        "<tt:PanTiltSpeedSpace><tt:URI>{SPACE}/PanTiltSpaces/GenericSpeedSpace</tt:URI><tt:XRange><tt:Min>0</tt:Min>\
        <tt:Max>1</tt:Max></tt:XRange></tt:PanTiltSpeedSpace>"
    );
    s += &format!(
        "<tt:ZoomSpeedSpace><tt:URI>{SPACE}/ZoomSpaces/ZoomGenericSpeedSpace</tt:URI><tt:XRange><tt:Min>0</tt:Min>\
        <tt:Max>1</tt:Max></tt:XRange></tt:ZoomSpeedSpace>"
    );
    s
}

/// A velocity or position component, within `lo..=1`.
fn component(value: Option<&str>, lo: f32) -> Result<Option<f32>, SoapFault> {
    match value {
        None => Ok(None),
        Some(v) => match crate::api::fields::decimal(v).map(|x| x as f32) {
            Some(x) if (lo..=1.0).contains(&x) => Ok(Some(x)),
            _ => Err(SoapFault::sender(&["ter:InvalidArgVal", "ter:InvalidVelocity"], format!("{v}: outside {lo} to 1"))),
        },
    }
}

/// The way a signed velocity turns a motor.
pub(super) fn direction(x: f32) -> Dir {
    if x > 0.0 {
        Dir::Positive
    } else if x < 0.0 {
        Dir::Negative
    } else {
        Dir::Still
    }
}

/// A speed 1-10 for a velocity's magnitude.
pub(super) fn speed(x: f32) -> u8 {
    ((x.abs() * 10.0).ceil() as u8).clamp(1, 10)
}

/// A pan/tilt/zoom vector as ONVIF writes one: either part may be absent.
struct Vector {
    pan_tilt: Option<(f32, f32)>,
    /// Pan and tilt are in fields of view, not the generic space.
    in_fov: bool,
    zoom: Option<f32>,
}

/// The (x, y) of the first `PanTilt` and the x of the first `Zoom` inside `outer`.
fn vector(env: &Envelope, outer: &str, lo_zoom: f32) -> Result<Vector, SoapFault> {
    let within = env.within(outer);
    let pan_tilt_element = within.iter().find(|e| e.name == "PanTilt");
    let pan_tilt = match pan_tilt_element {
        Some(e) => Some((component(e.attr("x"), -1.0)?.unwrap_or(0.0), component(e.attr("y"), -1.0)?.unwrap_or(0.0))),
        None => None,
    };
    let in_fov = pan_tilt_element.and_then(|e| e.attr("space")).is_some_and(|space| space.ends_with("/TranslationSpaceFov"));
    let zoom = match within.iter().find(|e| e.name == "Zoom") {
        Some(e) => component(e.attr("x"), lo_zoom)?,
        None => None,
    };
    Ok(Vector { pan_tilt, in_fov, zoom })
}

fn scaled(x: f32) -> i16 {
    (x.clamp(-1.0, 1.0) * f32::from(Spot::FULL)).round() as i16
}

fn not_positioned() -> SoapFault {
    SoapFault::receiver(&["ter:ActionNotSupported", "ter:PTZNotSupported"], "this head does not report its position")
}

fn act(cam: &App, action: cgi::Action) -> Result<(), SoapFault> {
    cgi::act(&cam.shared, &cam.ptz, &cam.system, action).map_err(from_refusal)
}

fn go_to(cam: &App, spot: Spot) -> Result<(), SoapFault> {
    cgi::drive(&cam.shared, &cam.ptz, PtzCommand::GoTo(spot), None).map_err(from_refusal)
}

/// What the head can do; every operation but `GetServiceCapabilities`
/// needs a head.
fn head(cam: &App) -> Result<Abilities, SoapFault> {
    if !super::identity::identity(cam).ptz {
        return Err(SoapFault::receiver(&["ter:ActionNotSupported", "ter:PTZNotSupported"], "this camera has no PTZ head"));
    }
    abilities(cam)
}

/// The PTZ service's operations: name, privilege, answered before authentication, handler.
pub const OPERATIONS: &[Operation] = &[
    Operation { name: "GetServiceCapabilities", act: Read, open: true, run: get_service_capabilities },
    Operation { name: "GetNodes", act: Read, open: false, run: get_nodes },
    Operation { name: "GetNode", act: Read, open: false, run: get_nodes },
    Operation { name: "GetConfigurations", act: Read, open: false, run: get_configurations },
    Operation { name: "GetConfiguration", act: Read, open: false, run: get_configuration },
    Operation { name: "GetConfigurationOptions", act: Read, open: false, run: get_configuration_options },
    Operation { name: "ContinuousMove", act: Move, open: false, run: continuous_move },
    Operation { name: "Stop", act: Move, open: false, run: stop },
    Operation { name: "AbsoluteMove", act: Move, open: false, run: positioned_move },
    Operation { name: "RelativeMove", act: Move, open: false, run: positioned_move },
    Operation { name: "GetStatus", act: Read, open: false, run: get_status },
    Operation { name: "GetPresets", act: Read, open: false, run: presets::get_presets },
    Operation { name: "SetPreset", act: Move, open: false, run: presets::set_preset },
    Operation { name: "GotoPreset", act: Move, open: false, run: presets::use_preset },
    Operation { name: "RemovePreset", act: Move, open: false, run: presets::use_preset },
    Operation { name: "SendAuxiliaryCommand", act: Move, open: false, run: send_auxiliary_command },
];

fn get_service_capabilities(_cam: &App, _ctx: &Context, _env: &Envelope) -> Result<Answer, SoapFault> {
    Ok(Answer::new(format!("<tptz:GetServiceCapabilitiesResponse>{}</tptz:GetServiceCapabilitiesResponse>", super::capabilities::PTZ)))
}

fn get_nodes(cam: &App, _ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    let can = head(cam)?;
    let operation = env.operation();
    let body = {
        let (outer, inner) = if operation == "GetNodes" { ("GetNodesResponse", "PTZNode") } else { ("GetNodeResponse", "PTZNode") };
        format!(
            "<tptz:{outer}><tptz:{inner} token=\"ptz_node\" FixedHomePosition=\"false\" GeoMove=\"false\">\
                <tt:Name>PTZ</tt:Name><tt:SupportedPTZSpaces>{}</tt:SupportedPTZSpaces>\
                <tt:MaximumNumberOfPresets>255</tt:MaximumNumberOfPresets><tt:HomeSupported>false</tt:HomeSupported>\
                </tptz:{inner}></tptz:{outer}>",
            spaces(can)
        )
    };
    Ok(Answer::new(body))
}

fn get_configurations(cam: &App, _ctx: &Context, _env: &Envelope) -> Result<Answer, SoapFault> {
    head(cam)?;
    let body = format!(
        "<tptz:GetConfigurationsResponse><tptz:PTZConfiguration token=\"ptz_config\">{}</tptz:PTZConfiguration>\
        </tptz:GetConfigurationsResponse>",
        configuration(cam)
    );
    Ok(Answer::new(body))
}

fn get_configuration(cam: &App, _ctx: &Context, _env: &Envelope) -> Result<Answer, SoapFault> {
    head(cam)?;
    let body = format!(
        "<tptz:GetConfigurationResponse><tptz:PTZConfiguration token=\"ptz_config\">{}</tptz:PTZConfiguration>\
        </tptz:GetConfigurationResponse>",
        configuration(cam)
    );
    Ok(Answer::new(body))
}

fn get_configuration_options(cam: &App, _ctx: &Context, _env: &Envelope) -> Result<Answer, SoapFault> {
    let can = head(cam)?;
    let body = format!(
        "<tptz:GetConfigurationOptionsResponse><tptz:PTZConfigurationOptions><tt:Spaces>{}</tt:Spaces><tt:PTZTimeout>\
            <tt:Min>PT1S</tt:Min><tt:Max>PT{}S</tt:Max></tt:PTZTimeout></tptz:PTZConfigurationOptions>\
            </tptz:GetConfigurationOptionsResponse>",
        spaces(can),
        cgi::move_limit(&cam.ptz).as_secs()
    );
    Ok(Answer::new(body))
}

fn continuous_move(cam: &App, _ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    head(cam)?;
    let body = {
        cam.profiles.get(env.text("ProfileToken"))?;
        let Vector { pan_tilt, zoom, .. } = vector(env, "Velocity", -1.0)?;
        let timeout = match env.text("Timeout") {
            Some(t) => Some(duration_ms(t).ok_or_else(|| SoapFault::invalid("Timeout: an xs:duration"))?),
            None => None,
        };
        // The watchdog's limit bounds a move's timeout too.
        let timeout = timeout.map(|ms| Duration::from_millis(ms).min(cgi::move_limit(&cam.ptz)));
        let command = match (pan_tilt, zoom) {
            (Some((x, y)), _) if x != 0.0 || y != 0.0 => {
                PtzCommand::Move { pan: direction(x), tilt: direction(y), speed: speed(x.abs().max(y.abs())) }
            }
            (_, Some(z)) if z != 0.0 => PtzCommand::Lens { part: LensPart::Zoom, dir: direction(z), speed: speed(z) },
            _ => PtzCommand::Stop,
        };
        cgi::drive(&cam.shared, &cam.ptz, command, timeout).map_err(from_refusal)?;
        "<tptz:ContinuousMoveResponse/>".to_string()
    };
    Ok(Answer::new(body))
}

fn stop(cam: &App, _ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    head(cam)?;
    let body = {
        cam.profiles.get(env.text("ProfileToken"))?;
        cgi::drive(&cam.shared, &cam.ptz, PtzCommand::Stop, None).map_err(from_refusal)?;
        "<tptz:StopResponse/>".to_string()
    };
    Ok(Answer::new(body))
}

fn positioned_move(cam: &App, _ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    head(cam)?;
    let operation = env.operation();
    let body = {
        cam.profiles.get(env.text("ProfileToken"))?;
        let at = cgi::position(&cam.ptz).map_err(from_refusal)?.ok_or_else(not_positioned)?;
        let full = f32::from(Spot::FULL);
        let spot = if operation == "AbsoluteMove" {
            let Vector { pan_tilt, zoom, .. } = vector(env, "Position", 0.0)?;
            let (x, y) = pan_tilt.unwrap_or((f32::from(at.pan) / full, f32::from(at.tilt) / full));
            Spot { pan: scaled(x), tilt: scaled(y), zoom: zoom.map_or(at.zoom, scaled) }
        } else {
            let Vector { pan_tilt, in_fov, zoom } = vector(env, "Translation", -1.0)?;
            let (mut dx, mut dy) = pan_tilt.unwrap_or((0.0, 0.0));
            if in_fov {
                // A field of view across is that many degrees of the
                // generic space's 180 (pan) and 90 (tilt).
                let fov = cgi::field_of_view(&cam.ptz).map_err(from_refusal)?.ok_or_else(not_positioned)?;
                dx *= f32::from(fov.horizontal) / 100.0 / 180.0;
                dy *= f32::from(fov.vertical) / 100.0 / 90.0;
            }
            let pan = f32::from(at.pan) / full + dx;
            // Pan wraps around; tilt and zoom stop at their ends.
            let pan = if pan > 1.0 {
                pan - 2.0
            } else if pan < -1.0 {
                pan + 2.0
            } else {
                pan
            };
            Spot {
                pan: scaled(pan),
                tilt: scaled(f32::from(at.tilt) / full + dy),
                zoom: scaled((f32::from(at.zoom) / full + zoom.unwrap_or(0.0)).clamp(0.0, 1.0)),
            }
        };
        go_to(cam, spot)?;
        format!("<tptz:{operation}Response/>")
    };
    Ok(Answer::new(body))
}

fn get_status(cam: &App, _ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    head(cam)?;
    let body = {
        cam.profiles.get(env.text("ProfileToken"))?;
        let (_, motion) = cgi::status(&cam.ptz);
        let position = cgi::position(&cam.ptz).map_err(from_refusal)?.map(|s| {
            let full = f32::from(Spot::FULL);
            format!(
                "<tt:Position><tt:PanTilt x=\"{}\" y=\"{}\" space=\"{SPACE}/PanTiltSpaces/PositionGenericSpace\"/>\
                    <tt:Zoom x=\"{}\" space=\"{SPACE}/ZoomSpaces/PositionGenericSpace\"/></tt:Position>",
                f32::from(s.pan) / full,
                f32::from(s.tilt) / full,
                f32::from(s.zoom) / full
            )
        });
        let state = |moving: bool| if moving { "MOVING" } else { "IDLE" };
        let now = lock(&cam.time).hal.now().unwrap_or(0);
        format!(
            "<tptz:GetStatusResponse><tptz:PTZStatus>{}<tt:MoveStatus><tt:PanTilt>{}</tt:PanTilt>\
                <tt:Zoom>{}</tt:Zoom></tt:MoveStatus><tt:UtcTime>{}</tt:UtcTime></tptz:PTZStatus>\
                </tptz:GetStatusResponse>",
            position.unwrap_or_default(),
            state(motion.pan_tilt),
            state(motion.zoom),
            format_datetime(now)
        )
    };
    Ok(Answer::new(body))
}

/// The node lists no auxiliary command (no wiper, light or washer), so every
/// one is refused as unknown. Home Assistant shows a wiper switch for every
/// PTZ camera; here its commands are refused and change nothing.
fn send_auxiliary_command(cam: &App, _ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    head(cam)?;
    cam.profiles.get(env.text("ProfileToken"))?;
    let command = env.text("AuxiliaryData").unwrap_or_default();
    Err(SoapFault::invalid(format!("{command}: the camera has no auxiliary commands")))
}
