//! Settings files in the data directory, written so that a power cut leaves
//! either the old or the new file, never a mix (`camcgi_hal::host::write_atomically`).

use serde::de::DeserializeOwned;
use serde::Serialize;
use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

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
            Ok(()) => log::error!(
                "{}: unusable ({why}); moved to {} and replaced by defaults",
                path.display(),
                Path::new(&aside).display()
            ),
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
