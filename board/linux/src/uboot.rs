//! The boot selection as U-Boot environment variables.
//!
//! camcgi sets, in one environment write (libubootenv's `fw_setenv -s`
//! writes the redundant copy and flips the active flag, so a power cut
//! leaves the old or the new environment):
//!
//! | variable | meaning |
//! | --- | --- |
//! | `boot_slot` | `A` or `B`: the slot U-Boot boots |
//! | `upgrade_available` | `1` while `boot_slot` is on trial: U-Boot counts boots in `bootcount` |
//! | `bootcount` | reset to `0` when a slot is selected or confirmed |
//! | `boot_confirmed` | the last slot that booted well |
//!
//! The U-Boot side (`CONFIG_BOOTCOUNT_LIMIT`, `CONFIG_BOOTCOUNT_ENV`):
//!
//! ```text
//! bootlimit=3
//! bootcmd=run boot_${boot_slot}
//! altbootcmd=setenv boot_slot ${boot_confirmed}; setenv upgrade_available 0; saveenv; run bootcmd
//! ```
//!
//! so a trial slot that fails to confirm itself three times is abandoned
//! for the confirmed one.

use crate::handoff::{run_program, write_atomically, SETTINGS};
use camcgi_hal::{BootControl, BootState, Error, ErrorKind, ErrorType, Slot};
use std::ffi::OsStr;
use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Where the environment lives.
pub trait EnvStore {
    /// Every variable.
    fn read(&self) -> io::Result<Vec<(String, String)>>;
    /// Sets several variables in one atomic write.
    fn write(&mut self, vars: &[(&str, &str)]) -> io::Result<()>;
}

fn parse_lines(text: &str) -> Vec<(String, String)> {
    text.lines().filter_map(|l| l.split_once('=')).map(|(k, v)| (k.trim().to_string(), v.trim().to_string())).collect()
}

/// The environment as a `key=value` file, replaced atomically (temporary file,
/// fsync, rename, fsync of the directory). For boards whose boot loader reads
/// such a file, and for tests.
#[derive(Debug, Clone)]
pub struct FileEnv {
    path: PathBuf,
}

impl FileEnv {
    /// The file at `path`.
    pub fn new(path: &Path) -> FileEnv {
        FileEnv { path: path.to_path_buf() }
    }
}

impl EnvStore for FileEnv {
    fn read(&self) -> io::Result<Vec<(String, String)>> {
        match fs::read_to_string(&self.path) {
            Ok(text) => Ok(parse_lines(&text)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }

    fn write(&mut self, vars: &[(&str, &str)]) -> io::Result<()> {
        let mut all = self.read()?;
        for (k, v) in vars {
            match all.iter_mut().find(|(key, _)| key == k) {
                Some(slot) => slot.1 = v.to_string(),
                None => all.push((k.to_string(), v.to_string())),
            }
        }
        let text: String = all.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
        crate::handoff::write_atomically(&self.path, text.as_bytes())
    }
}

/// The environment through `fw_printenv` and `fw_setenv -s SCRIPT` (libubootenv),
/// run directly, never through a shell.
#[derive(Debug, Clone)]
pub struct CommandEnv {
    printenv: PathBuf,
    setenv: PathBuf,
    scratch: PathBuf,
}

impl CommandEnv {
    /// The two programs, and a scratch file for the `-s` script.
    pub fn new(printenv: &Path, setenv: &Path, scratch: &Path) -> CommandEnv {
        CommandEnv { printenv: printenv.to_path_buf(), setenv: setenv.to_path_buf(), scratch: scratch.to_path_buf() }
    }
}

impl EnvStore for CommandEnv {
    fn read(&self) -> io::Result<Vec<(String, String)>> {
        let out = run_program(&self.printenv, &[], SETTINGS)?;
        Ok(parse_lines(&String::from_utf8_lossy(&out)))
    }

    /// libubootenv's script is `name=value` lines; it passes over any other
    /// line without a word (U-Boot's old tools took `name value`). So what
    /// was written is read back: a variable that did not take is an error.
    fn write(&mut self, vars: &[(&str, &str)]) -> io::Result<()> {
        let script: String = vars.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
        write_atomically(&self.scratch, script.as_bytes())?;
        run_program(&self.setenv, &[OsStr::new("-s"), self.scratch.as_os_str()], SETTINGS)?;
        let now = self.read()?;
        match vars.iter().find(|(k, v)| !now.iter().any(|(key, value)| key == k && value == v)) {
            None => Ok(()),
            Some((k, v)) => Err(io::Error::new(io::ErrorKind::InvalidData, format!("{} did not set {k}={v}", self.setenv.display()))),
        }
    }
}

/// A boot-selection failure.
#[derive(Debug)]
pub struct EnvError(io::Error);

impl Error for EnvError {
    fn kind(&self) -> ErrorKind {
        match self.0.kind() {
            io::ErrorKind::NotFound => ErrorKind::NotConfigured,
            io::ErrorKind::TimedOut => ErrorKind::Timeout,
            _ => ErrorKind::Io,
        }
    }
}

impl fmt::Display for EnvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "u-boot environment: {}", self.0)
    }
}

fn slot(value: Option<&str>) -> Slot {
    match value {
        Some("B") => Slot::B,
        _ => Slot::A,
    }
}

/// Boot selection in the U-Boot environment.
#[derive(Debug)]
pub struct UBootControl<E> {
    env: E,
    running: Slot,
}

impl<E: EnvStore> UBootControl<E> {
    /// Reads which slot booted (`boot_slot` as U-Boot left it).
    pub fn new(env: E) -> io::Result<UBootControl<E>> {
        let vars = env.read()?;
        let running = slot(get(&vars, "boot_slot"));
        Ok(UBootControl { env, running })
    }
}

fn get<'v>(vars: &'v [(String, String)], key: &str) -> Option<&'v str> {
    vars.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

impl<E> ErrorType for UBootControl<E> {
    type Error = EnvError;
}

impl<E: EnvStore> BootControl for UBootControl<E> {
    fn state(&self) -> Result<BootState, EnvError> {
        let vars = self.env.read().map_err(EnvError)?;
        Ok(BootState {
            running: self.running,
            selected: slot(get(&vars, "boot_slot")),
            confirmed: get(&vars, "upgrade_available") != Some("1"),
        })
    }

    fn select(&mut self, target: Slot) -> Result<(), EnvError> {
        let trial = if target == self.running { "0" } else { "1" };
        self.env.write(&[("boot_slot", target.name()), ("upgrade_available", trial), ("bootcount", "0")]).map_err(EnvError)
    }

    fn confirm(&mut self) -> Result<(), EnvError> {
        let vars = self.env.read().map_err(EnvError)?;
        if slot(get(&vars, "boot_slot")) != self.running {
            // A newer selection is pending: only record what booted well.
            return self.env.write(&[("boot_confirmed", self.running.name())]).map_err(EnvError);
        }
        self.env.write(&[("upgrade_available", "0"), ("bootcount", "0"), ("boot_confirmed", self.running.name())]).map_err(EnvError)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("camcgi-uboot-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        d
    }

    fn vars(env: &dyn EnvStore) -> String {
        let mut v = env.read().unwrap();
        v.sort();
        v.iter().map(|(k, val)| format!("{k}={val} ")).collect()
    }

    fn exercise(env_for: impl Fn() -> Box<dyn EnvStore>) {
        let mut boot = UBootControl::new(env_for()).unwrap();
        assert_eq!(boot.state().unwrap(), BootState { running: Slot::A, selected: Slot::A, confirmed: true });
        boot.select(Slot::B).unwrap();
        assert_eq!(vars(&*env_for()), "boot_slot=B bootcount=0 upgrade_available=1 ");
        assert_eq!(boot.state().unwrap(), BootState { running: Slot::A, selected: Slot::B, confirmed: false });
        // U-Boot boots B on trial; the new camcgi confirms it.
        let mut boot = UBootControl::new(env_for()).unwrap();
        boot.confirm().unwrap();
        assert_eq!(vars(&*env_for()), "boot_confirmed=B boot_slot=B bootcount=0 upgrade_available=0 ");
        assert_eq!(boot.state().unwrap(), BootState { running: Slot::B, selected: Slot::B, confirmed: true });
        boot.select(Slot::B).unwrap();
        assert!(boot.state().unwrap().confirmed, "re-selecting the running slot is no trial");
    }

    #[test]
    fn file_environment() {
        let d = dir("file");
        let path = d.join("uboot.env");
        exercise(|| Box::new(FileEnv::new(&path)));
        let _ = fs::remove_dir_all(d);
    }

    #[test]
    fn fw_printenv_and_fw_setenv_commands() {
        let d = dir("cmd");
        let env = d.join("env");
        fs::write(&env, "").unwrap();
        let script = |name: &str, body: String| {
            let p = d.join(name);
            fs::write(&p, body).unwrap();
            fs::set_permissions(&p, fs::Permissions::from_mode(0o755)).unwrap();
            p
        };
        let print = script("fw_printenv", format!("#!/bin/sh\ncat {}\n", env.display()));
        // As libubootenv's: applies the -s script's "key=value" lines,
        // replacing earlier values, and passes over any other line.
        let set = script(
            "fw_setenv",
            format!(
                "#!/bin/sh\n[ \"$1\" = -s ] || exit 2\nwhile IFS== read k v; do [ -n \"$v\" ] || continue; \
                 grep -v \"^$k=\" {e} > {e}.n; echo \"$k=$v\" >> {e}.n; mv {e}.n {e}; done < \"$2\"\n",
                e = env.display()
            ),
        );
        let scratch = d.join("script");
        exercise(|| Box::new(CommandEnv::new(&print, &set, &scratch)));
        // A tool that takes nothing (the lines in a form it passes over) is an error, not a silent keep.
        let deaf = CommandEnv::new(&print, Path::new("/bin/true"), &scratch);
        let mut boot = UBootControl::new(deaf).unwrap();
        let e = boot.select(Slot::A).unwrap_err();
        assert!(e.to_string().contains("did not set"), "{e}");
        let failing = CommandEnv::new(Path::new("/bin/false"), Path::new("/bin/false"), &scratch);
        let e = UBootControl::new(failing).unwrap_err();
        assert!(e.to_string().contains("failed"), "{e}");
        let _ = fs::remove_dir_all(d);
    }
}
