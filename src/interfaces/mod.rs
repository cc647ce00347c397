//! One module per interface family, each owning its validation, its HAL
//! calls and its XML; the camera they make up (`camera`); what they share:
//! the handler's vocabulary (`call`), the A/B updater and the web page's
//! files; and ONVIF, the second adapter onto the same families.

pub mod access;
pub mod audio;
pub mod auth;
pub mod call;
pub mod camera;
pub mod credentials;
pub mod firmware;
pub mod https;
pub mod image;
pub mod motion;
pub mod network;
pub mod onvif;
pub mod osd;
pub mod ptz;
pub mod snapshot;
pub mod system;
pub mod targets;
pub mod time;
pub mod updater;
pub mod users;
pub mod video;
pub mod web;
