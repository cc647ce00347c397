//! Handing a configuration to the vendor's SDK: a `key=value` control file,
//! replaced atomically, and a command run after it (directly, never through
//! a shell; values never reach a command line). A vendor integration is a
//! program that reads the file and calls the SDK.

use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Where a part's configuration goes.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Handoff {
    /// The control file written on every change.
    #[serde(default)]
    pub control_file: Option<PathBuf>,
    /// The program and arguments run after the file is written; the file's path is appended.
    #[serde(default)]
    pub apply_command: Vec<String>,
}

/// Writes a file atomically, with the permissions `File::create` would give.
pub fn write_atomically(path: &Path, contents: &[u8]) -> io::Result<()> {
    camcgi_hal::host::write_atomically(path, contents, 0o666)
}

/// Runs a configured command (program and arguments) plus extra arguments.
pub fn run(command: &[String], extra: &[&std::ffi::OsStr]) -> io::Result<Vec<u8>> {
    let Some((program, args)) = command.split_first() else { return Ok(Vec::new()) };
    let output = Command::new(program).args(args).args(extra).output()?;
    if output.status.success() {
        Ok(output.stdout)
    } else {
        Err(io::Error::other(format!(
            "{program} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        )))
    }
}

impl Handoff {
    /// Writes the pairs and runs the command. Values are written as given; a
    /// newline in one would forge another key, so it is refused.
    pub fn apply(&self, pairs: &[(&str, String)]) -> io::Result<()> {
        if pairs.iter().any(|(k, v)| k.contains(['\n', '=']) || v.contains(['\n', '\r'])) {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "a value holds a line break"));
        }
        let text: String = pairs.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
        if let Some(file) = &self.control_file {
            write_atomically(file, text.as_bytes())?;
        }
        let file_arg = self.control_file.as_deref().map(Path::as_os_str);
        run(&self.apply_command, file_arg.as_slice()).map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn writes_the_file_then_runs_the_command_with_its_path() {
        let dir = std::env::temp_dir().join(format!("camcgi-handoff-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let file = dir.join("osd.conf");
        let copy = dir.join("copy");
        let h = Handoff {
            control_file: Some(file.clone()),
            apply_command: vec!["cp".into()],
        };
        let mut with_target = h.clone();
        with_target.apply_command = vec!["sh".into(), "-c".into(), format!("cp \"$0\" {}", copy.display())];
        with_target.apply(&[("title", "a;b $(reboot)".into()), ("enable", "1".into())]).unwrap();
        assert_eq!(fs::read_to_string(&file).unwrap(), "title=a;b $(reboot)\nenable=1\n");
        assert_eq!(fs::read_to_string(&copy).unwrap(), "title=a;b $(reboot)\nenable=1\n");
        assert!(h.apply(&[("title", "x\nenable=0".into())]).is_err(), "no forged keys");
        let failing = Handoff { control_file: None, apply_command: vec!["false".into()] };
        assert!(failing.apply(&[("a", "1".into())]).is_err());
        let _ = fs::remove_dir_all(&dir);
    }
}
