//! Refusals: what a typed operation of the camera returns instead of a result.

use std::borrow::Cow;
use std::fmt::Display;

/// Why the camera refused a request or an operation: the HTTP status it is
/// answered with and the reason, in the CGI document's words, that every
/// adapter shows (the CGI's `<fault><reason>`, ONVIF's fault text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// 400 for bad input, 401, 404, 405, 500 for device failures.
    pub status: u16,
    /// The `<reason>` text clients match on.
    pub reason: Cow<'static, str>,
}

impl Refusal {
    /// A fault with another status than 400 (401, 404, 405, 409, 411, 413, 500).
    pub fn new(status: u16, reason: impl Into<Cow<'static, str>>) -> Refusal {
        Refusal { status, reason: reason.into() }
    }

    /// A 400 fault with a fixed text.
    pub fn bad(reason: &'static str) -> Refusal {
        Refusal { status: 400, reason: Cow::Borrowed(reason) }
    }

    /// A 400 fault with a composed text.
    pub fn bad_owned(reason: String) -> Refusal {
        Refusal { status: 400, reason: Cow::Owned(reason) }
    }

    /// `NAME: A or B` for a flag or named option.
    pub fn option(name: &str, choices: &str) -> Refusal {
        Refusal::bad_owned(format!("{name}: {choices}"))
    }

    /// `NAME range: LO-HI` for a number out of range.
    pub fn range(name: &str, lo: impl Display, hi: impl Display) -> Refusal {
        Refusal::bad_owned(format!("{name} range: {lo}-{hi}"))
    }

    /// `NAME error` for a value outside a list or capability set.
    pub fn error(name: &str) -> Refusal {
        Refusal::bad_owned(format!("{name} error"))
    }

    /// 500 `device error: …` for a hardware failure.
    pub fn device(e: &camcgi_hal::DeviceError) -> Refusal {
        Refusal { status: 500, reason: Cow::Owned(format!("device error: {e}")) }
    }

    /// 500 `device error: storage …` when settings could not be written.
    pub fn storage(e: &std::io::Error) -> Refusal {
        Refusal { status: 500, reason: Cow::Owned(format!("device error: settings storage ({e})")) }
    }
}
