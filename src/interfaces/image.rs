//! The image family: `/cgi-bin/image` (ISP brightness, contrast, saturation, sharpness).

use crate::api::fields::{given_int, in_range, Given};
use crate::api::query::Params;
use crate::api::refusal::Refusal;
use crate::api::xml::Doc;
use crate::interfaces::call::{Call, Reply};
use crate::state::app::{load_unit, lock, reset_unit, Shared, Unit};
use crate::state::store::Store;
use camcgi_hal::{DeviceError, ErrorKind, ImageControl, ImageControls};
use serde::{Deserialize, Serialize};
use std::sync::Mutex;

/// The interface's parameters, in its table's order.
pub const PARAMS: &[&str] = &["brightness", "contrast", "saturation", "sharpness"];
const FILE: &str = "image.xml";

/// The four controls, 0-255 each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "image")]
pub struct ImageSettings {
    brightness: u8,
    contrast: u8,
    saturation: u8,
    sharpness: u8,
}

impl Default for ImageSettings {
    fn default() -> Self {
        ImageSettings { brightness: 128, contrast: 128, saturation: 128, sharpness: 128 }
    }
}

impl ImageSettings {
    fn value_mut(&mut self, control: ImageControl) -> &mut u8 {
        match control {
            ImageControl::Brightness => &mut self.brightness,
            ImageControl::Contrast => &mut self.contrast,
            ImageControl::Saturation => &mut self.saturation,
            ImageControl::Sharpness => &mut self.sharpness,
        }
    }

    /// A control's value.
    pub fn value(&self, control: ImageControl) -> u8 {
        match control {
            ImageControl::Brightness => self.brightness,
            ImageControl::Contrast => self.contrast,
            ImageControl::Saturation => self.saturation,
            ImageControl::Sharpness => self.sharpness,
        }
    }
}

/// The ISP and its settings.
pub type ImageUnit = Unit<dyn ImageControls<Error = DeviceError> + Send, ImageSettings>;

type Isp = dyn ImageControls<Error = DeviceError> + Send + 'static;

/// Applies every control the ISP has: one it does not have (a V4L2 device
/// without sharpness) is passed over, so the others still take effect.
fn apply(hal: &mut Isp, s: &ImageSettings) -> Result<(), DeviceError> {
    for c in ImageControl::ALL {
        if hal.supports(c) {
            hal.set(c, s.value(c))?;
        }
    }
    Ok(())
}

/// Applies the controls in `changed` alone (all of them ones the ISP has), so
/// a control it lacks holds nothing up.
fn apply_changed(changed: &[ImageControl]) -> impl Fn(&mut Isp, &ImageSettings) -> Result<(), DeviceError> + '_ {
    move |hal, s| changed.iter().try_for_each(|c| hal.set(*c, s.value(*c)))
}

/// Loads the settings and applies them.
pub fn load(hal: Box<dyn ImageControls<Error = DeviceError> + Send>, store: &Store) -> ImageUnit {
    load_unit(hal, store, FILE, ImageSettings::default(), |_| true, apply)
}

/// Factory defaults.
pub fn reset(unit: &mut ImageUnit, store: &Store) {
    reset_unit(unit, store, FILE, ImageSettings::default(), apply);
}

/// `/cgi-bin/image`: query, or set any of the four controls.
pub fn handle(app: &Shared, image: &Mutex<ImageUnit>, call: &Call) -> Result<Reply, Refusal> {
    let s = if call.is_set() { set(app, image, ImageChange::from_params(&call.params))? } else { lock(image).config };
    let mut doc = Doc::new();
    doc.element("image")
        .attr("brightness", s.brightness)
        .attr("contrast", s.contrast)
        .attr("saturation", s.saturation)
        .attr("sharpness", s.sharpness)
        .empty();
    Ok(Reply::xml(doc.finish()))
}

/// A change to the four controls, each given or not; `set` checks them (0-255).
#[derive(Debug, Clone, Default)]
pub struct ImageChange {
    /// The four controls, in `ImageControl::ALL`'s order.
    pub controls: [Given<i64>; 4],
}

impl ImageChange {
    /// `/cgi-bin/image`'s parameters.
    pub fn from_params(p: &Params) -> ImageChange {
        ImageChange { controls: ImageControl::ALL.map(|c| given_int(p, name(c))) }
    }

    /// Whether the change sets nothing.
    pub fn is_empty(&self) -> bool {
        self.controls.iter().all(Given::is_absent)
    }
}

/// The CGI's name of a control.
fn name(control: ImageControl) -> &'static str {
    match control {
        ImageControl::Brightness => "brightness",
        ImageControl::Contrast => "contrast",
        ImageControl::Saturation => "saturation",
        ImageControl::Sharpness => "sharpness",
    }
}

/// Checks a change, applies it to the ISP and writes it; a fault changes nothing.
pub fn set(app: &Shared, image: &Mutex<ImageUnit>, change: ImageChange) -> Result<ImageSettings, Refusal> {
    let mut unit = lock(image);
    let mut new = unit.config;
    for (control, given) in ImageControl::ALL.into_iter().zip(change.controls) {
        let value = in_range(given, name(control), 0, 255, new.value(control))?;
        *new.value_mut(control) = value;
    }
    let changed: Vec<ImageControl> = ImageControl::ALL.into_iter().filter(|c| new.value(*c) != unit.config.value(*c)).collect();
    if let Some(missing) = changed.iter().find(|c| !unit.hal.supports(**c)) {
        let why = format!("the ISP has no {} control", name(*missing));
        return Err(Refusal::device(&DeviceError::new("image", ErrorKind::NotSupported, why)));
    }
    unit.commit(&app.store, FILE, new, apply_changed(&changed))?;
    Ok(unit.config)
}
