//! The image family: `/cgi-bin/image` (ISP brightness, contrast, saturation, sharpness).

use crate::state::app::{load_unit, lock, reset_unit, Shared, Unit};
use crate::api::fields::ranged;
use crate::interfaces::call::{Call, Reply};
use crate::state::store::Store;
use crate::api::xml::{Doc, Fault};
use camcgi_hal::{DeviceError, ImageControl, ImageControls};
use std::sync::Mutex;
use serde::{Deserialize, Serialize};

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

fn apply(hal: &mut (dyn ImageControls<Error = DeviceError> + Send + 'static), s: &ImageSettings) -> Result<(), DeviceError> {
    ImageControl::ALL.iter().try_for_each(|c| hal.set(*c, s.value(*c)))
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
pub fn handle(app: &Shared, image: &Mutex<ImageUnit>, call: &Call) -> Result<Reply, Fault> {
    let mut unit = lock(image);
    if call.is_set() {
        let p = &call.params;
        let mut new = unit.config;
        let value = |name: &str, current: u8| ranged::<u8>(p, name, 0, 255).map(|v| v.unwrap_or(current));
        new.brightness = value("brightness", new.brightness)?;
        new.contrast = value("contrast", new.contrast)?;
        new.saturation = value("saturation", new.saturation)?;
        new.sharpness = value("sharpness", new.sharpness)?;
        unit.commit(&app.store, FILE, new, apply)?;
    }
    let s = unit.config;
    let mut doc = Doc::new();
    doc.element("image")
        .attr("brightness", s.brightness)
        .attr("contrast", s.contrast)
        .attr("saturation", s.saturation)
        .attr("sharpness", s.sharpness)
        .empty();
    Ok(Reply::xml(doc.finish()))
}
