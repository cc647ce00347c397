//! A simulated PTZ head: positions move with speed and elapsed time.

use crate::parts::{Dir, FieldOfView, LensPart, PtzCommand, Spot};
use std::time::Duration;

/// Degrees per second of pan or tilt at speed 1.
const AXIS_DEG_PER_S_PER_SPEED: f64 = 6.0;
/// Lens units (0-100 scale) per second at speed 1.
const LENS_UNITS_PER_S_PER_SPEED: f64 = 2.0;

/// Where the simulated head points.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct PtzPosition {
    /// Pan in degrees, 0-360.
    pub pan: f64,
    /// Tilt in degrees, -90 (down) to 90 (up).
    pub tilt: f64,
    /// Zoom, 0 (wide) to 100 (tele).
    pub zoom: f64,
    /// Focus, 0 (far) to 100 (near).
    pub focus: f64,
    /// Iris, 0 (closed) to 100 (open).
    pub iris: f64,
}

/// Per-second rates of the five motors.
#[derive(Debug, Clone, Copy, Default)]
struct Rates {
    pan: f64,
    tilt: f64,
    zoom: f64,
    focus: f64,
    iris: f64,
}

#[derive(Debug, Clone)]
pub(super) struct Head {
    /// Position when the current motion started.
    at: PtzPosition,
    since: Duration,
    rates: Rates,
    presets: Vec<(u8, PtzPosition)>,
}

impl Default for Head {
    fn default() -> Self {
        Head {
            at: PtzPosition { pan: 0.0, tilt: 0.0, zoom: 0.0, focus: 50.0, iris: 50.0 },
            since: Duration::ZERO,
            rates: Rates::default(),
            presets: Vec::new(),
        }
    }
}

fn rate(dir: Dir, speed: u8, per_speed: f64) -> f64 {
    f64::from(dir.sign()) * f64::from(speed) * per_speed
}

/// The simulated lens: 60 degrees across at its widest, ten times zoom, 16:9.
const WIDEST_DEG: f64 = 60.0;
const ZOOM_RATIO: f64 = 10.0;

impl PtzPosition {
    /// The simulated lens's field of view at this zoom.
    pub fn field_of_view(&self) -> FieldOfView {
        let horizontal = WIDEST_DEG / (1.0 + self.zoom / 100.0 * (ZOOM_RATIO - 1.0));
        let hundredths = |deg: f64| (deg * 100.0).round() as u16;
        FieldOfView { horizontal: hundredths(horizontal), vertical: hundredths(horizontal * 9.0 / 16.0) }
    }

    /// The position in ONVIF's generic spaces (pan 0-360 degrees as -180 to 180).
    pub fn spot(&self) -> Spot {
        let scale = |v: f64, range: f64| (v / range * f64::from(Spot::FULL)).round() as i16;
        let pan = if self.pan > 180.0 { self.pan - 360.0 } else { self.pan };
        Spot { pan: scale(pan, 180.0), tilt: scale(self.tilt, 90.0), zoom: scale(self.zoom, 100.0) }
    }
}

impl Head {
    pub(super) fn position(&self, now: Duration) -> PtzPosition {
        let t = now.saturating_sub(self.since).as_secs_f64();
        let r = self.rates;
        PtzPosition {
            pan: (self.at.pan + r.pan * t).rem_euclid(360.0),
            tilt: (self.at.tilt + r.tilt * t).clamp(-90.0, 90.0),
            zoom: (self.at.zoom + r.zoom * t).clamp(0.0, 100.0),
            focus: (self.at.focus + r.focus * t).clamp(0.0, 100.0),
            iris: (self.at.iris + r.iris * t).clamp(0.0, 100.0),
        }
    }

    /// Applies a command at time `now`. Returns false for a preset that is not set.
    pub(super) fn execute(&mut self, command: PtzCommand, now: Duration) -> bool {
        self.at = self.position(now);
        self.since = now;
        match command {
            PtzCommand::Stop => self.rates = Rates::default(),
            PtzCommand::Move { pan, tilt, speed } => {
                self.rates = Rates {
                    pan: rate(pan, speed, AXIS_DEG_PER_S_PER_SPEED),
                    tilt: rate(tilt, speed, AXIS_DEG_PER_S_PER_SPEED),
                    ..Rates::default()
                };
            }
            PtzCommand::Lens { part, dir, speed } => {
                let r = rate(dir, speed, LENS_UNITS_PER_S_PER_SPEED);
                self.rates = Rates::default();
                match part {
                    LensPart::Zoom => self.rates.zoom = r,
                    LensPart::Focus => self.rates.focus = r,
                    LensPart::Iris => self.rates.iris = r,
                }
            }
            PtzCommand::SetPreset(n) => {
                self.presets.retain(|(p, _)| *p != n);
                self.presets.push((n, self.at));
            }
            PtzCommand::CallPreset(n) => match self.presets.iter().find(|(p, _)| *p == n) {
                Some((_, pos)) => {
                    self.at = *pos;
                    self.rates = Rates::default();
                }
                None => return false,
            },
            PtzCommand::GoTo(spot) => {
                let full = f64::from(Spot::FULL);
                self.at.pan = (f64::from(spot.pan) / full * 180.0).rem_euclid(360.0);
                self.at.tilt = f64::from(spot.tilt) / full * 90.0;
                self.at.zoom = f64::from(spot.zoom) / full * 100.0;
                self.rates = Rates::default();
            }
            PtzCommand::ClearPreset(n) => {
                let before = self.presets.len();
                self.presets.retain(|(p, _)| *p != n);
                return before != self.presets.len();
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pan_moves_with_speed_and_time_then_stops() {
        let mut head = Head::default();
        head.execute(PtzCommand::Move { pan: Dir::Positive, tilt: Dir::Still, speed: 5 }, Duration::ZERO);
        let p = head.position(Duration::from_secs(2));
        assert!((p.pan - 60.0).abs() < 1e-9, "{p:?}");
        head.execute(PtzCommand::Stop, Duration::from_secs(2));
        assert!((head.position(Duration::from_secs(10)).pan - 60.0).abs() < 1e-9);
    }

    #[test]
    fn presets_recall_positions() {
        let mut head = Head::default();
        head.execute(PtzCommand::Move { pan: Dir::Negative, tilt: Dir::Positive, speed: 1 }, Duration::ZERO);
        head.execute(PtzCommand::SetPreset(7), Duration::from_secs(5));
        let stored = head.position(Duration::from_secs(5));
        head.execute(PtzCommand::CallPreset(9), Duration::from_secs(6));
        assert!(!head.execute(PtzCommand::CallPreset(9), Duration::from_secs(6)));
        head.execute(PtzCommand::Stop, Duration::from_secs(8));
        assert!(head.execute(PtzCommand::CallPreset(7), Duration::from_secs(9)));
        assert_eq!(head.position(Duration::from_secs(20)), stored);
        assert!((stored.tilt - 30.0).abs() < 1e-9 && (stored.pan - 330.0).abs() < 1e-9);
    }
}
