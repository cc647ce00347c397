//! A `log` backend writing one line per record to stderr.

use log::{Level, LevelFilter, Log, Metadata, Record};
use std::io::Write;

struct Stderr;

impl Log for Stderr {
    fn enabled(&self, metadata: &Metadata) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &Record) {
        if self.enabled(record.metadata()) {
            let level = match record.level() {
                Level::Error => "ERROR",
                Level::Warn => "WARN ",
                Level::Info => "INFO ",
                Level::Debug => "DEBUG",
                Level::Trace => "TRACE",
            };
            let text = record.args().to_string();
            let line = escape_controls(&text);
            // A closed stderr must not take the camera down.
            let _ = writeln!(std::io::stderr().lock(), "{level} {line}");
        }
    }

    fn flush(&self) {}
}

/// A log line with every control character written as `\xNN`: text from a
/// client (a path, a parameter name, a server's reply) can neither forge a
/// line nor send escape sequences to a terminal reading the log.
fn escape_controls(line: &str) -> std::borrow::Cow<'_, str> {
    if !line.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(line);
    }
    let mut out = String::with_capacity(line.len() + 16);
    for c in line.chars() {
        if c.is_control() {
            out.push_str(&format!("\\x{:02x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

static LOGGER: Stderr = Stderr;

/// Installs the logger at a level; a second call only changes the level.
pub fn init(level: LevelFilter) {
    let _ = log::set_logger(&LOGGER);
    log::set_max_level(level);
}

#[cfg(test)]
mod tests {
    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(super::escape_controls("a\x1b[31mb\nc\u{85}"), "a\\x1b[31mb\\x0ac\\x85");
        assert_eq!(super::escape_controls("plain ü"), "plain ü");
    }
}
