//! The PTZ family: `/cgi-bin/ptz_ctrl`, presets, and the move watchdog.

use crate::api::query::Params;
use crate::api::refusal::Refusal;
use crate::api::xml::simple;
use crate::interfaces::call::{Call, Reply};
use crate::interfaces::system::SystemLock;
use crate::state::app::{lock, Shared, Unit};
use crate::state::store::Store;
use camcgi_hal::{DeviceError, Dir, LensPart, PtzCommand, PtzDriver};
use serde::{Deserialize, Serialize};
use std::sync::Mutex;
use std::time::Duration;

/// The interface's parameters, in the order the CGI document lists them.
pub const PARAMS: &[&str] = &["stop", "move_x", "move_y", "speed", "zoom", "focus", "iris", "call_preset", "add_preset", "delete_preset"];
const FILE: &str = "ptz.xml";
const DEFAULT_SPEED: u8 = 5;

/// The presets that are set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "ptz")]
pub struct Presets {
    #[serde(default, rename = "preset")]
    set: Vec<u8>,
}

/// The PTZ head, its presets, and the watchdog's view of it.
pub struct PtzUnit {
    unit: Unit<dyn PtzDriver<Error = DeviceError> + Send, Presets>,
    /// When the last command was sent, if it left a motor running.
    moving_since: Option<Duration>,
    /// When a move given a timeout (ONVIF's ContinuousMove) stops.
    stop_at: Option<Duration>,
    /// Which motors the last command left running.
    motion: Motion,
}

/// Which motors run: pan and tilt, the zoom (focus and iris are the lens's own).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Motion {
    /// Panning or tilting.
    pub pan_tilt: bool,
    /// Zooming.
    pub zoom: bool,
    /// Focusing.
    pub focus: bool,
}

impl Motion {
    fn of(command: PtzCommand) -> Motion {
        match command {
            PtzCommand::Move { pan, tilt, .. } => Motion { pan_tilt: pan != Dir::Still || tilt != Dir::Still, ..Motion::default() },
            PtzCommand::Lens { part: LensPart::Zoom, .. } => Motion { zoom: true, ..Motion::default() },
            PtzCommand::Lens { part: LensPart::Focus, .. } => Motion { focus: true, ..Motion::default() },
            _ => Motion::default(),
        }
    }
}

/// Loads the preset list.
pub fn load(hal: Box<dyn PtzDriver<Error = DeviceError> + Send>, store: &Store, present: bool) -> PtzUnit {
    let valid = |p: &Presets| p.set.iter().all(|n| *n >= 1);
    let presets = if present { store.load(FILE, valid).unwrap_or_default() } else { Presets::default() };
    PtzUnit { unit: Unit { hal, config: presets }, moving_since: None, stop_at: None, motion: Motion::default() }
}

/// Factory defaults: motors stopped, no presets.
pub fn reset(ptz: &mut PtzUnit, store: &Store) {
    if let Err(e) = ptz.unit.hal.stop() {
        log::debug!("ptz stop at reset: {e}");
    }
    ptz.moving_since = None;
    ptz.stop_at = None;
    ptz.motion = Motion::default();
    ptz.unit.config = Presets::default();
    if let Err(e) = store.remove(FILE) {
        log::error!("{FILE}: not removed: {e}");
    }
}

/// How long a continuous move runs without a new command before the
/// watchdog stops it: the board's limit.
pub fn move_limit(ptz: &Mutex<PtzUnit>) -> Duration {
    lock(ptz).unit.hal.move_limit()
}

/// Stops a continuous move that has run the board's move limit (a minute
/// unless it says otherwise) without a new command.
pub fn watchdog(app: &Shared, ptz: &Mutex<PtzUnit>) {
    let now = app.now();
    let mut ptz = lock(ptz);
    let limit = ptz.unit.hal.move_limit();
    let timed_out = ptz.stop_at.is_some_and(|t| now >= t);
    if ptz.moving_since.is_some_and(|t| now.saturating_sub(t) >= limit) || timed_out {
        if !timed_out {
            log::warn!("ptz: no command for {}s during a move; stopping", limit.as_secs());
        }
        match ptz.unit.hal.stop() {
            Ok(()) => {
                ptz.moving_since = None;
                ptz.stop_at = None;
                ptz.motion = Motion::default();
            }
            Err(e) => log::error!("ptz watchdog stop failed: {e}"),
        }
    }
}

/// Sends a command to the head as `ptz_ctrl` would, the watchdog watching;
/// a move given `stop_after` stops by itself then (at the next tick).
pub fn drive(app: &Shared, ptz: &Mutex<PtzUnit>, command: PtzCommand, stop_after: Option<Duration>) -> Result<(), Refusal> {
    lock(ptz).send(command, app.now(), stop_after)
}

impl PtzUnit {
    /// Sends a command and notes, for the watchdog, whether a motor runs on.
    fn send(&mut self, command: PtzCommand, now: Duration, stop_after: Option<Duration>) -> Result<(), Refusal> {
        self.unit.hal.execute(command).map_err(|e| Refusal::device(&e))?;
        let moving = keeps_moving(command);
        self.moving_since = moving.then_some(now);
        self.stop_at = stop_after.filter(|_| moving).map(|d| now + d);
        self.motion = Motion::of(command);
        Ok(())
    }
}

/// The presets that are set, and which motors are running.
pub fn status(ptz: &Mutex<PtzUnit>) -> (Vec<u8>, Motion) {
    let ptz = lock(ptz);
    (ptz.unit.config.set.clone(), ptz.motion)
}

/// Where the head points, when the board reports it.
pub fn position(ptz: &Mutex<PtzUnit>) -> Result<Option<camcgi_hal::Spot>, Refusal> {
    lock(ptz).unit.hal.position().map_err(|e| Refusal::device(&e))
}

/// The field of view at the current zoom, when the board knows its lens.
pub fn field_of_view(ptz: &Mutex<PtzUnit>) -> Result<Option<camcgi_hal::FieldOfView>, Refusal> {
    lock(ptz).unit.hal.field_of_view().map_err(|e| Refusal::device(&e))
}

fn dir(p: &Params, name: &str, allow_still: bool) -> Result<Option<Dir>, Refusal> {
    let reason = if allow_still { format!("{name} range: -1,0,1") } else { format!("{name} range: -1,1") };
    match p.get(name) {
        None => Ok(None),
        Some("-1") => Ok(Some(Dir::Negative)),
        Some("0") if allow_still => Ok(Some(Dir::Still)),
        Some("1") => Ok(Some(Dir::Positive)),
        Some(_) => Err(Refusal::bad_owned(reason)),
    }
}

fn number(p: &Params, name: &str, lo: i64, hi: i64) -> Result<Option<u8>, Refusal> {
    crate::api::fields::ranged::<u8>(p, name, lo, hi)
}

/// What one request asks the head to do.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Action {
    /// A move, a lens drive, a stop, or going to a preset.
    Command(PtzCommand),
    /// Stores the head's position as this preset.
    AddPreset(u8),
    /// Forgets this preset.
    DeletePreset(u8),
}

/// Reads the one action a request carries; every value is checked first, in table order.
fn action(p: &Params) -> Result<Action, Refusal> {
    if p.get("stop").is_some_and(|v| v != "1") {
        return Err(Refusal::bad("stop: 1"));
    }
    let move_x = dir(p, "move_x", true)?;
    let move_y = dir(p, "move_y", true)?;
    let speed = number(p, "speed", 1, 10)?.unwrap_or(DEFAULT_SPEED);
    let zoom = dir(p, "zoom", false)?;
    let focus = dir(p, "focus", false)?;
    let iris = dir(p, "iris", false)?;
    let call = number(p, "call_preset", 1, 255)?;
    let add = number(p, "add_preset", 1, 255)?;
    let delete = number(p, "delete_preset", 1, 255)?;

    let lens = |part, dir| Action::Command(PtzCommand::Lens { part, dir, speed });
    let mut actions: Vec<(&str, Action)> = Vec::new();
    if p.has("stop") {
        actions.push(("stop", Action::Command(PtzCommand::Stop)));
    }
    if move_x.is_some() || move_y.is_some() {
        let name = if move_x.is_some() { "move_x" } else { "move_y" };
        let pan = move_x.unwrap_or(Dir::Still);
        let tilt = move_y.unwrap_or(Dir::Still);
        actions.push((name, Action::Command(PtzCommand::Move { pan, tilt, speed })));
    }
    actions.extend(zoom.map(|d| ("zoom", lens(LensPart::Zoom, d))));
    actions.extend(focus.map(|d| ("focus", lens(LensPart::Focus, d))));
    actions.extend(iris.map(|d| ("iris", lens(LensPart::Iris, d))));
    actions.extend(call.map(|n| ("call_preset", Action::Command(PtzCommand::CallPreset(n)))));
    actions.extend(add.map(|n| ("add_preset", Action::AddPreset(n))));
    actions.extend(delete.map(|n| ("delete_preset", Action::DeletePreset(n))));
    let mut actions = actions.into_iter();
    match (actions.next(), actions.next()) {
        (Some((_, action)), None) => Ok(action),
        (None, _) => Err(Refusal::bad("error, parse parameters")),
        (Some(_), Some((second, _))) => Err(Refusal::bad_owned(format!("{second}: one action per request"))),
    }
}

/// Whether a command leaves a motor running until told otherwise.
fn keeps_moving(command: PtzCommand) -> bool {
    match command {
        PtzCommand::Move { pan, tilt, .. } => pan != Dir::Still || tilt != Dir::Still,
        PtzCommand::Lens { .. } => true,
        _ => false,
    }
}

/// `/cgi-bin/ptz_ctrl`: one action per request.
pub fn handle(app: &Shared, ptz: &Mutex<PtzUnit>, system: &SystemLock, call: &Call) -> Result<Reply, Refusal> {
    if !lock(system).capabilities().ptz {
        return Err(Refusal::bad("ptz not supported"));
    }
    act(app, ptz, system, action(&call.params)?)?;
    Ok(Reply::xml(simple("ptz_ctrl", "true")))
}

/// Carries out one action: a preset must be set to be called or deleted;
/// a preset stored or cleared is written, and undone on the controller
/// when it cannot be.
pub fn act(app: &Shared, ptz: &Mutex<PtzUnit>, system: &SystemLock, action: Action) -> Result<(), Refusal> {
    if !lock(system).capabilities().ptz {
        return Err(Refusal::bad("ptz not supported"));
    }
    let now = app.now();
    let mut ptz = lock(ptz);
    let set = ptz.unit.config.set.clone();
    match action {
        Action::Command(command) => {
            if let PtzCommand::CallPreset(n) = command {
                if !set.contains(&n) {
                    return Err(Refusal::bad("call_preset: preset not set"));
                }
            }
            ptz.send(command, now, None)?;
        }
        Action::AddPreset(n) => {
            let mut new = ptz.unit.config.clone();
            if !new.set.contains(&n) {
                new.set.push(n);
                new.set.sort_unstable();
            }
            ptz.unit.hal.execute(PtzCommand::SetPreset(n)).map_err(|e| Refusal::device(&e))?;
            let undo = (!set.contains(&n)).then_some(PtzCommand::ClearPreset(n));
            save(&mut ptz, &app.store, new, undo)?;
        }
        Action::DeletePreset(n) => {
            if !set.contains(&n) {
                return Err(Refusal::bad("delete_preset: preset not set"));
            }
            let mut new = ptz.unit.config.clone();
            new.set.retain(|p| *p != n);
            ptz.unit.hal.execute(PtzCommand::ClearPreset(n)).map_err(|e| Refusal::device(&e))?;
            // A cleared preset cannot be restored on the controller, so nothing to undo.
            save(&mut ptz, &app.store, new, None)?;
        }
    }
    // Storing or clearing a preset during a move also counts as a new command.
    if ptz.moving_since.is_some() {
        ptz.moving_since = Some(now);
    }
    Ok(())
}

/// Writes the preset list; on failure sends `undo` to the controller.
fn save(ptz: &mut PtzUnit, store: &Store, new: Presets, undo: Option<PtzCommand>) -> Result<(), Refusal> {
    if let Err(e) = store.save(FILE, &new) {
        if let Some(undo) = undo {
            if let Err(e) = ptz.unit.hal.execute(undo) {
                log::error!("ptz: preset not undone: {e}");
            }
        }
        return Err(Refusal::storage(&e));
    }
    ptz.unit.config = new;
    Ok(())
}
