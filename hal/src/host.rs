//! Firmware slots and boot selection on an ordinary filesystem, for host runs
//! and tests: each slot is a file, the boot selection a small file replaced
//! atomically, so a test can cut power with kill -9 and inspect both.
//!
//! The slot files behave like NOR flash: erased bytes read as 0xFF, a write
//! must land on erased bytes, and a file grows only as far as it is erased
//! (bytes past its end read as erased), so a large slot costs nothing until used.

use crate::error::{Error, ErrorKind, ErrorType};
use crate::firmware::{BootControl, BootState, FirmwareFlash, FlashGeometry, Slot};
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// What went wrong in a host flash or boot-selection operation.
#[derive(Debug)]
pub struct HostError {
    kind: ErrorKind,
    operation: &'static str,
    detail: String,
}

impl HostError {
    fn new(kind: ErrorKind, operation: &'static str, detail: impl fmt::Display) -> Self {
        HostError { kind, operation, detail: detail.to_string() }
    }

    fn io(operation: &'static str) -> impl Fn(io::Error) -> HostError {
        move |e| HostError::new(ErrorKind::Io, operation, e)
    }
}

impl Error for HostError {
    fn kind(&self) -> ErrorKind {
        self.kind
    }
}

impl fmt::Display for HostError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.operation, self.detail)
    }
}

const ERASED: u8 = 0xff;

/// The suffix of [`write_atomically`]'s temporary files, for clean-up.
pub const TEMPORARY_SUFFIX: &str = ".camcgi-tmp";

/// Writes a file so that a power cut leaves either the old or the new
/// contents: a temporary file beside it, fsync, rename over the file, fsync of
/// the directory so the rename itself is durable. If any step fails, the
/// temporary file is removed and the old file is untouched.
///
/// The temporary file is `.NAME.PID.N.camcgi-tmp`, created exclusively
/// (`O_CREAT | O_EXCL`, which never follows a symbolic link): a link or a
/// file planted there, on a shared NFS directory say, is never written
/// through. `mode` is set on the open file before anything is written, so the
/// file has exactly that mode whatever the umask and whatever was there before.
pub fn write_atomically(path: &Path, contents: &[u8], mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let name = path.file_name().ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no file name"))?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut attempts = 0u32;
    let (tmp, mut file) = loop {
        attempts += 1;
        let mut tmp_name = std::ffi::OsString::from(".");
        tmp_name.push(name);
        tmp_name.push(format!(".{}.{}{TEMPORARY_SUFFIX}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed)));
        let tmp = dir.join(tmp_name);
        match OpenOptions::new().write(true).create_new(true).mode(0o600).open(&tmp) {
            Ok(file) => break (tmp, file),
            // Planted, or left by an earlier run with the same process id: take the next name.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempts < 64 => continue,
            Err(e) => return Err(e),
        }
    };
    let result = (|| {
        file.set_permissions(fs::Permissions::from_mode(mode))?;
        file.write_all(contents)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&tmp, path)?;
        File::open(dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Two firmware slots as files `slot-a.bin` and `slot-b.bin` in a directory.
#[derive(Debug)]
pub struct FileFlash {
    dir: PathBuf,
    board_id: String,
    geometry: FlashGeometry,
}

impl FileFlash {
    /// Slots of `geometry` in `dir` (created if needed), for images of `board_id`.
    pub fn open(dir: &Path, board_id: &str, geometry: FlashGeometry) -> io::Result<FileFlash> {
        fs::create_dir_all(dir)?;
        Ok(FileFlash { dir: dir.to_path_buf(), board_id: board_id.to_string(), geometry })
    }

    /// The file backing a slot.
    pub fn slot_path(&self, slot: Slot) -> PathBuf {
        self.dir.join(match slot {
            Slot::A => "slot-a.bin",
            Slot::B => "slot-b.bin",
        })
    }

    fn file(&self, slot: Slot) -> Result<File, HostError> {
        OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(self.slot_path(slot))
            .map_err(HostError::io("open slot"))
    }

    /// Reads a range; bytes past the end of the file are erased.
    fn read_range(file: &File, offset: u64, buf: &mut [u8]) -> Result<(), HostError> {
        let len = file.metadata().map_err(HostError::io("read"))?.len();
        let present = usize::try_from(len.saturating_sub(offset)).unwrap_or(usize::MAX).min(buf.len());
        let (head, tail) = buf.split_at_mut(present);
        file.read_exact_at(head, offset).map_err(HostError::io("read"))?;
        tail.fill(ERASED);
        Ok(())
    }
}

impl ErrorType for FileFlash {
    type Error = HostError;
}

impl FirmwareFlash for FileFlash {
    fn board_id(&self) -> String {
        self.board_id.clone()
    }

    fn geometry(&self, _slot: Slot) -> FlashGeometry {
        self.geometry
    }

    fn erase(&mut self, slot: Slot, offset: u64, len: u64) -> Result<(), HostError> {
        self.geometry.check_erase(offset, len).map_err(|k| HostError::new(k, "erase", format!("{offset}+{len}")))?;
        let file = self.file(slot)?;
        let block = vec![ERASED; usize::try_from(self.geometry.erase_size).unwrap_or(4096).max(1)];
        let mut at = offset;
        while at < offset + len {
            let n = block.len().min(usize::try_from(offset + len - at).unwrap_or(usize::MAX));
            file.write_all_at(block.get(..n).unwrap_or_default(), at).map_err(HostError::io("erase"))?;
            at += n as u64;
        }
        Ok(())
    }

    fn write(&mut self, slot: Slot, offset: u64, data: &[u8]) -> Result<(), HostError> {
        self.geometry
            .check_bounds(offset, data.len() as u64)
            .map_err(|k| HostError::new(k, "write", format!("{offset}+{}", data.len())))?;
        let file = self.file(slot)?;
        let mut current = vec![0u8; data.len()];
        Self::read_range(&file, offset, &mut current)?;
        if current.iter().any(|b| *b != ERASED) {
            return Err(HostError::new(ErrorKind::Other, "write", format!("unerased bytes at {offset}")));
        }
        file.write_all_at(data, offset).map_err(HostError::io("write"))
    }

    fn read(&mut self, slot: Slot, offset: u64, buf: &mut [u8]) -> Result<(), HostError> {
        self.geometry.check_bounds(offset, buf.len() as u64).map_err(|k| HostError::new(k, "read", format!("{offset}+{}", buf.len())))?;
        Self::read_range(&self.file(slot)?, offset, buf)
    }
}

/// Boots a trial slot gets before the boot loader falls back.
pub const TRIAL_BOOTS: u8 = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Selection {
    confirmed: Slot,
    selected: Slot,
    tries: u8,
}

impl Selection {
    const FACTORY: Selection = Selection { confirmed: Slot::A, selected: Slot::A, tries: 0 };

    fn parse(text: &str) -> Option<Selection> {
        let mut s = Selection::FACTORY;
        let slot = |v: &str| match v {
            "A" => Some(Slot::A),
            "B" => Some(Slot::B),
            _ => None,
        };
        for pair in text.split_whitespace() {
            match pair.split_once('=')? {
                ("confirmed", v) => s.confirmed = slot(v)?,
                ("selected", v) => s.selected = slot(v)?,
                ("tries", v) => s.tries = v.parse().ok()?,
                _ => return None,
            }
        }
        Some(s)
    }

    fn text(self) -> String {
        format!("confirmed={} selected={} tries={}\n", self.confirmed.name(), self.selected.name(), self.tries)
    }
}

/// A boot selection in a file, with the boot loader's trial count simulated
/// at [`FileBootControl::power_on`] as U-Boot's `bootcount`/`altbootcmd` do.
#[derive(Debug)]
pub struct FileBootControl {
    path: PathBuf,
    running: Slot,
    stored: Selection,
}

impl FileBootControl {
    /// What the boot loader does at power-on: boot a trial slot while it has
    /// tries left (counting this boot), else fall back to the confirmed slot.
    pub fn power_on(dir: &Path) -> io::Result<FileBootControl> {
        fs::create_dir_all(dir)?;
        let path = dir.join("boot.state");
        let mut stored = fs::read_to_string(&path).ok().and_then(|t| Selection::parse(&t)).unwrap_or(Selection::FACTORY);
        let running = if stored.selected == stored.confirmed {
            stored.confirmed
        } else if stored.tries > 0 {
            stored.tries -= 1;
            stored.selected
        } else {
            stored.selected = stored.confirmed;
            stored.confirmed
        };
        let control = FileBootControl { path, running, stored };
        control.save(stored)?;
        Ok(control)
    }

    /// The file holding the selection.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes the selection atomically.
    fn save(&self, selection: Selection) -> io::Result<()> {
        write_atomically(&self.path, selection.text().as_bytes(), 0o644)
    }

    fn store(&mut self, selection: Selection) -> Result<(), HostError> {
        self.save(selection).map_err(HostError::io("boot selection"))?;
        self.stored = selection;
        Ok(())
    }
}

impl ErrorType for FileBootControl {
    type Error = HostError;
}

impl BootControl for FileBootControl {
    fn state(&self) -> Result<BootState, HostError> {
        Ok(BootState { running: self.running, selected: self.stored.selected, confirmed: self.stored.selected == self.stored.confirmed })
    }

    fn select(&mut self, slot: Slot) -> Result<(), HostError> {
        let confirmed = self.stored.confirmed;
        let tries = if slot == confirmed { 0 } else { TRIAL_BOOTS };
        self.store(Selection { confirmed, selected: slot, tries })
    }

    fn confirm(&mut self) -> Result<(), HostError> {
        let s = self.stored;
        let next = if s.selected == self.running {
            Selection { confirmed: self.running, selected: self.running, tries: 0 }
        } else {
            Selection { confirmed: self.running, ..s }
        };
        if next == s {
            return Ok(());
        }
        self.store(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("camcgi-hal-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn flash_behaves_like_nor() {
        let d = dir("flash");
        let mut f = FileFlash::open(&d, "mock", FlashGeometry { erase_size: 16, capacity: 64 }).unwrap();
        let mut buf = [0u8; 4];
        f.read(Slot::B, 60, &mut buf).unwrap();
        assert_eq!(buf, [0xff; 4], "never written reads erased");
        f.write(Slot::B, 2, b"ab").unwrap();
        assert_eq!(f.write(Slot::B, 2, b"cd").unwrap_err().kind(), ErrorKind::Other, "needs an erase first");
        assert_eq!(f.erase(Slot::B, 1, 16).unwrap_err().kind(), ErrorKind::NotAligned);
        assert_eq!(f.erase(Slot::B, 48, 32).unwrap_err().kind(), ErrorKind::OutOfBounds);
        assert_eq!(f.read(Slot::B, 62, &mut buf).unwrap_err().kind(), ErrorKind::OutOfBounds);
        f.erase(Slot::B, 0, 16).unwrap();
        f.write(Slot::B, 2, b"cd").unwrap();
        f.read(Slot::B, 1, &mut buf).unwrap();
        assert_eq!(&buf, b"\xffcd\xff");
        let mut a = [0u8; 2];
        f.read(Slot::A, 2, &mut a).unwrap();
        assert_eq!(a, [0xff; 2], "the other slot is untouched");
        let _ = fs::remove_dir_all(&d);
    }

    #[test]
    fn a_trial_slot_falls_back_unless_confirmed() {
        let d = dir("boot");
        let mut b = FileBootControl::power_on(&d).unwrap();
        assert_eq!(b.state().unwrap(), BootState { running: Slot::A, selected: Slot::A, confirmed: true });
        b.select(Slot::B).unwrap();
        for _ in 0..TRIAL_BOOTS {
            let b = FileBootControl::power_on(&d).unwrap();
            assert_eq!(b.state().unwrap(), BootState { running: Slot::B, selected: Slot::B, confirmed: false });
        }
        let mut b = FileBootControl::power_on(&d).unwrap();
        assert_eq!(b.state().unwrap(), BootState { running: Slot::A, selected: Slot::A, confirmed: true });
        b.select(Slot::B).unwrap();
        let mut b = FileBootControl::power_on(&d).unwrap();
        b.confirm().unwrap();
        let b = FileBootControl::power_on(&d).unwrap();
        assert_eq!(b.state().unwrap(), BootState { running: Slot::B, selected: Slot::B, confirmed: true });
        let _ = fs::remove_dir_all(&d);
    }
}
