//! Settings files in the data directory, written so that a power cut leaves
//! either the old or the new file, never a mix (`camcgi_hal::host::write_atomically`).
//!
//! The files that guard access (accounts, the access switches) are kept
//! twice, as `name` and `name.copy` with the same text, and fail closed: a
//! file found unusable is replaced from its copy, and with neither usable
//! the caller gets [`Guarded::Unusable`], never the defaults of a first
//! start (which would bring back a published password). Only removing both
//! files (the documented recovery) starts them from defaults again.

use serde::de::DeserializeOwned;
use serde::Serialize;
use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

/// What a guarded settings file held.
#[derive(Debug, PartialEq, Eq)]
pub enum Guarded<T> {
    /// Neither the file nor its copy exists: a first start.
    Missing,
    /// The file's value (or its copy's).
    Loaded(T),
    /// The file or its copy exists, and neither is usable.
    Unusable,
}

/// The copy of a guarded file.
pub const COPY_SUFFIX: &str = ".copy";

/// The data directory.
#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
}

impl Store {
    /// Opens (creating if needed) the data directory, and removes the
    /// temporary files a power cut left in the middle of a write.
    pub fn open(dir: &Path) -> io::Result<Store> {
        fs::create_dir_all(dir)?;
        for entry in fs::read_dir(dir)?.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with('.') && name.ends_with(camcgi_hal::host::TEMPORARY_SUFFIX) {
                let _ = fs::remove_file(entry.path());
            }
        }
        Ok(Store { dir: dir.to_path_buf() })
    }

    /// The directory's path.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Loads a settings file. A missing file gives `None`; an unreadable,
    /// unparsable or invalid one is logged, moved aside and gives `None`, so
    /// the caller falls back to defaults.
    pub fn load<T: DeserializeOwned>(&self, name: &str, valid: impl FnOnce(&T) -> bool) -> Option<T> {
        let (path, text) = self.read(name)?;
        match quick_xml::de::from_str::<T>(&text) {
            Ok(value) if valid(&value) => Some(value),
            Ok(_) => {
                self.set_aside(&path, "values out of range");
                None
            }
            Err(e) => {
                self.set_aside(&path, &e.to_string());
                None
            }
        }
    }

    /// Loads a guarded settings file: the file, else its copy (which then
    /// replaces the file). The copy is brought level with the file.
    pub fn load_guarded<T: DeserializeOwned>(&self, name: &str, valid: impl Fn(&T) -> bool) -> Guarded<T> {
        let copy = format!("{name}{COPY_SUFFIX}");
        let parse = |text: &str| quick_xml::de::from_str::<T>(text).ok().filter(|v| valid(v));
        let file = self.read_raw(name);
        if let Some(Ok(text)) = &file {
            if let Some(value) = parse(text) {
                if !matches!(self.read_raw(&copy), Some(Ok(c)) if c == *text) {
                    self.write_raw(&copy, text);
                }
                return Guarded::Loaded(value);
            }
        }
        let second = self.read_raw(&copy);
        if file.is_none() && second.is_none() {
            return Guarded::Missing;
        }
        if let Some(Ok(text)) = &second {
            if let Some(value) = parse(text) {
                if file.is_some() {
                    log::error!("{name}: unusable; its copy is used and written back");
                    self.keep_aside(name);
                }
                self.write_raw(name, text);
                return Guarded::Loaded(value);
            }
        }
        log::error!("{name}: unusable, and so is its copy: left in place; the camera stays closed where it guards");
        Guarded::Unusable
    }

    /// Writes a guarded settings file and its copy.
    pub fn save_guarded<T: Serialize>(&self, name: &str, value: &T) -> io::Result<()> {
        let text = quick_xml::se::to_string(value).map_err(io::Error::other)?;
        camcgi_hal::host::write_atomically(&self.dir.join(name), text.as_bytes(), 0o600)?;
        camcgi_hal::host::write_atomically(&self.dir.join(format!("{name}{COPY_SUFFIX}")), text.as_bytes(), 0o600)
    }

    /// Removes a guarded settings file and its copy, so the next start uses
    /// defaults.
    pub fn remove_guarded(&self, name: &str) -> io::Result<()> {
        self.remove(&format!("{name}{COPY_SUFFIX}"))?;
        self.remove(name)
    }

    /// A file's text: `None` if missing, `Some(Err)` if unreadable.
    fn read_raw(&self, name: &str) -> Option<Result<String, ()>> {
        match fs::read_to_string(self.dir.join(name)) {
            Ok(text) => Some(Ok(text)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => {
                log::error!("{name}: unreadable: {e}");
                Some(Err(()))
            }
        }
    }

    fn write_raw(&self, name: &str, text: &str) {
        if let Err(e) = camcgi_hal::host::write_atomically(&self.dir.join(name), text.as_bytes(), 0o600) {
            log::error!("{name}: not written: {e}");
        }
    }

    /// Keeps an unusable file's bytes beside it, for whoever looks into why.
    fn keep_aside(&self, name: &str) {
        let path = self.dir.join(name);
        let mut aside = path.as_os_str().to_owned();
        aside.push(".corrupt");
        if let Err(e) = fs::copy(&path, &aside) {
            log::error!("{name}: not kept aside: {e}");
        }
    }

    // Kept apart from the generic `load`, so that its code exists once in
    // the binary rather than once per settings type.
    fn read(&self, name: &str) -> Option<(PathBuf, String)> {
        let path = self.dir.join(name);
        match fs::read_to_string(&path) {
            Ok(text) => Some((path, text)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => {
                self.set_aside(&path, &e.to_string());
                None
            }
        }
    }

    fn set_aside(&self, path: &Path, why: &str) {
        let mut aside = path.as_os_str().to_owned();
        aside.push(".corrupt");
        match fs::rename(path, &aside) {
            Ok(()) => {
                log::error!("{}: unusable ({why}); moved to {} and replaced by defaults", path.display(), Path::new(&aside).display())
            }
            Err(e) => log::error!("{}: unusable ({why}) and not movable ({e}); using defaults", path.display()),
        }
    }

    /// Writes a settings file atomically, readable by its owner only (some
    /// settings hold upload passwords).
    pub fn save<T: Serialize>(&self, name: &str, value: &T) -> io::Result<()> {
        let text = quick_xml::se::to_string(value).map_err(io::Error::other)?;
        camcgi_hal::host::write_atomically(&self.dir.join(name), text.as_bytes(), 0o600)
    }

    /// Removes a settings file, so the next start uses defaults.
    pub fn remove(&self, name: &str) -> io::Result<()> {
        match fs::remove_file(self.dir.join(name)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => File::open(&self.dir)?.sync_all(),
        }
    }
}
