use core::fmt;

/// What kind of failure a device reported, independent of the board.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The device did not answer, or the bus to it failed.
    Io,
    /// The device is busy with another operation.
    Busy,
    /// The device did not answer in time.
    Timeout,
    /// The board has no such feature.
    NotSupported,
    /// The device refused a value the server believed valid.
    InvalidInput,
    /// A storage target is not mounted or not present.
    NotMounted,
    /// A storage or network target has not been configured.
    NotConfigured,
    /// A flash operation not aligned to the erase block.
    NotAligned,
    /// A flash operation outside the slot.
    OutOfBounds,
    /// Anything else.
    Other,
}

impl ErrorKind {
    /// A short lowercase description, used in `device error: …` faults.
    pub fn describe(self) -> &'static str {
        match self {
            ErrorKind::Io => "i/o failure",
            ErrorKind::Busy => "busy",
            ErrorKind::Timeout => "timeout",
            ErrorKind::NotSupported => "not supported",
            ErrorKind::InvalidInput => "value refused",
            ErrorKind::NotMounted => "not mounted",
            ErrorKind::NotConfigured => "not configured",
            ErrorKind::NotAligned => "not aligned",
            ErrorKind::OutOfBounds => "out of bounds",
            ErrorKind::Other => "failure",
        }
    }
}

/// A device error: every board's error type implements this.
pub trait Error: fmt::Debug + fmt::Display {
    /// The board-independent kind of this error.
    fn kind(&self) -> ErrorKind;
}

/// A device part with an error type of its own.
pub trait ErrorType {
    /// The error this part reports.
    type Error: Error;
}

/// A board's error after erasure: the kind, the device part, and the board's own text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceError {
    kind: ErrorKind,
    part: &'static str,
    detail: String,
}

impl DeviceError {
    /// Builds an error for `part` (e.g. `"ptz"`).
    pub fn new(part: &'static str, kind: ErrorKind, detail: impl Into<String>) -> Self {
        DeviceError { kind, part, detail: detail.into() }
    }

    /// Erases a board error, remembering which part reported it.
    pub fn erase<E: Error>(part: &'static str, e: E) -> Self {
        DeviceError { kind: e.kind(), part, detail: e.to_string() }
    }

    /// The device part that failed.
    pub fn part(&self) -> &'static str {
        self.part
    }
}

impl Error for DeviceError {
    fn kind(&self) -> ErrorKind {
        self.kind
    }
}

impl fmt::Display for DeviceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.part, self.kind.describe())?;
        if !self.detail.is_empty() {
            write!(f, " ({})", self.detail)?;
        }
        Ok(())
    }
}

impl std::error::Error for DeviceError {}
