//! The A/B updater: writes an image into the slot that is not running and,
//! once verified, selects it.
//!
//! The image streams into the slot that is not running, one erase block at a
//! time, hashed as it arrives; it is then read back and hashed again, and
//! only then is the boot selection switched to it, on trial. Nothing before
//! that last step touches the running slot or the boot selection, so any
//! failure (or a power cut) leaves the camera booting what it booted before.

use camcgi_fwimage::{Header, PayloadHasher, Version, HEADER_LEN};
use camcgi_hal::{BootControl, BootState, DeviceError, FirmwareFlash, FlashGeometry, Slot};

/// The firmware slots and the boot selection.
pub struct FirmwareUnit {
    /// The slots.
    pub flash: Box<dyn FirmwareFlash<Error = DeviceError> + Send>,
    /// The boot selection.
    pub boot: Box<dyn BootControl<Error = DeviceError> + Send>,
}

impl FirmwareUnit {
    /// Marks the running slot good (the new firmware came up) and logs what runs.
    pub fn confirm_boot(&mut self) {
        match self.boot.confirm() {
            Ok(()) => match self.boot.state() {
                Ok(state) => {
                    let version = match running_version(self, state.running) {
                        Ok(Some(v)) => v.to_string(),
                        Ok(None) => "unknown".to_string(),
                        Err(e) => format!("unreadable: {e}"),
                    };
                    log::info!("firmware slot {} confirmed (version {version})", state.running.name());
                }
                Err(e) => log::warn!("boot state unreadable: {e}"),
            },
            Err(e) => log::warn!("boot not confirmed: {e}"),
        }
    }
}

/// The version in the running slot's header, if it holds a camcgi image
/// (a factory image without one accepts any version).
pub(crate) fn running_version(unit: &mut FirmwareUnit, running: Slot) -> Result<Option<Version>, DeviceError> {
    let mut header = [0u8; HEADER_LEN];
    unit.flash.read(running, 0, &mut header)?;
    Ok(Header::parse(&header).ok().map(|h| h.version))
}

/// Why the updater stopped.
#[derive(Debug)]
pub enum UpdaterError {
    /// The flash or boot control failed.
    Device(DeviceError),
    /// What was read back is not what was written.
    Verification,
    /// A step out of order (a write after activation, say).
    BadState,
}

impl From<DeviceError> for UpdaterError {
    fn from(e: DeviceError) -> Self {
        UpdaterError::Device(e)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Writing,
    Verified,
    Activated,
}

/// Writes an image into the slot that is not running and, once verified, selects it.
pub struct Updater<'u> {
    unit: &'u mut FirmwareUnit,
    target: Slot,
    geometry: FlashGeometry,
    /// Bytes taken.
    written: u64,
    /// Bytes on the flash: `written` less `pending`.
    flushed: u64,
    erased: u64,
    /// The flash's write unit (NAND's page).
    unit_size: usize,
    /// Bytes taken that do not yet make a whole unit: fewer than `unit_size`.
    pending: Vec<u8>,
    step: Step,
}

impl<'u> Updater<'u> {
    /// Prepares the slot that is not running, given the boot state as just
    /// read. If the boot selection points at that slot (an upgrade not yet
    /// rebooted into), the selection goes back to the running slot first: a
    /// slot is never erased while it is selected.
    pub fn begin(unit: &'u mut FirmwareUnit, state: BootState) -> Result<Updater<'u>, UpdaterError> {
        let target = state.running.other();
        if state.selected == target {
            unit.boot.select(state.running)?;
        }
        let geometry = unit.flash.geometry(target);
        let unit_size = usize::try_from(unit.flash.write_size(target).max(1)).unwrap_or(1);
        Ok(Updater { unit, target, geometry, written: 0, flushed: 0, erased: 0, unit_size, pending: Vec::new(), step: Step::Writing })
    }

    /// The slot being written.
    pub fn target(&self) -> Slot {
        self.target
    }

    /// Its geometry.
    pub fn geometry(&self) -> FlashGeometry {
        self.geometry
    }

    /// Appends data, erasing blocks ahead of it as needed. The flash is
    /// written in whole units (NAND's pages); a last part unit waits in
    /// memory until more comes or the image is verified.
    pub fn write(&mut self, data: &[u8]) -> Result<(), UpdaterError> {
        // Nothing follows the padded last unit.
        if self.step != Step::Writing || self.flushed > self.written {
            return Err(UpdaterError::BadState);
        }
        let end = self.written + data.len() as u64;
        let block = u64::from(self.geometry.erase_size.max(1));
        // Erased up to a whole block past the data, so the padded last unit
        // (a block is whole units) is erased too.
        if end > self.erased {
            let upto = end.div_ceil(block) * block;
            self.unit.flash.erase(self.target, self.erased, upto - self.erased)?;
            self.erased = upto;
        }
        let mut data = data;
        if !self.pending.is_empty() {
            let take = (self.unit_size - self.pending.len()).min(data.len());
            let (head, rest) = data.split_at(take);
            self.pending.extend_from_slice(head);
            data = rest;
            if self.pending.len() == self.unit_size {
                let full = std::mem::take(&mut self.pending);
                self.put(&full)?;
            }
        }
        let whole = data.len() / self.unit_size * self.unit_size;
        let (units, tail) = data.split_at(whole);
        if !units.is_empty() {
            self.put(units)?;
        }
        self.pending.extend_from_slice(tail);
        self.written = end;
        Ok(())
    }

    /// Writes whole units at the end of what is on the flash.
    fn put(&mut self, units: &[u8]) -> Result<(), UpdaterError> {
        self.unit.flash.write(self.target, self.flushed, units)?;
        self.flushed += units.len() as u64;
        Ok(())
    }

    /// Writes the last part unit, padded as erased flash reads (0xFF).
    fn flush(&mut self) -> Result<(), UpdaterError> {
        if !self.pending.is_empty() {
            let mut last = std::mem::take(&mut self.pending);
            last.resize(self.unit_size, 0xFF);
            self.put(&last)?;
        }
        Ok(())
    }

    /// Reads `len` bytes at `offset` back, block by block, and compares their digest.
    /// NAND hands back data even after an ECC failure: the digest is the check.
    pub fn verify(&mut self, offset: u64, len: u64, sha256: &[u8; 32], buf: &mut [u8]) -> Result<(), UpdaterError> {
        if self.step != Step::Writing || offset + len > self.written || buf.is_empty() {
            return Err(UpdaterError::BadState);
        }
        self.flush()?;
        let mut hasher = PayloadHasher::default();
        let mut at = offset;
        while at < offset + len {
            let n = buf.len().min(usize::try_from(offset + len - at).unwrap_or(usize::MAX));
            let chunk = buf.get_mut(..n).ok_or(UpdaterError::BadState)?;
            self.unit.flash.read(self.target, at, chunk)?;
            hasher.update(chunk);
            at += n as u64;
        }
        if hasher.finish() != *sha256 {
            return Err(UpdaterError::Verification);
        }
        self.step = Step::Verified;
        Ok(())
    }

    /// Selects the verified slot for the next boot, on trial: the one atomic step.
    pub fn activate(&mut self) -> Result<(), UpdaterError> {
        if self.step != Step::Verified {
            return Err(UpdaterError::BadState);
        }
        self.unit.boot.select(self.target)?;
        self.step = Step::Activated;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use camcgi_hal::mock::MockBoard;

    fn unit(name: &str) -> (FirmwareUnit, std::path::PathBuf) {
        unit_with_pages(name, 1)
    }

    fn unit_with_pages(name: &str, page: u32) -> (FirmwareUnit, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!("camcgi-updater-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let mock = MockBoard::new();
        mock.set_flash_page(page);
        mock.attach_firmware(&dir, FlashGeometry { erase_size: 16, capacity: 256 }).unwrap();
        let board = mock.board();
        (FirmwareUnit { flash: board.flash, boot: board.boot }, dir)
    }

    fn digest(data: &[u8]) -> [u8; 32] {
        let mut h = PayloadHasher::default();
        h.update(data);
        h.finish()
    }

    #[test]
    fn steps_run_in_order_only() {
        let (mut unit, dir) = unit("order");
        let mut buf = [0u8; 16];
        let state = unit.boot.state().unwrap();
        let mut up = Updater::begin(&mut unit, state).unwrap();
        assert_eq!(up.target(), Slot::B);
        assert!(matches!(up.activate(), Err(UpdaterError::BadState)), "nothing verified yet");
        up.write(b"0123456789abcdefXYZ").unwrap();
        up.write(b"tail").unwrap();
        assert!(matches!(up.verify(0, 23, &digest(b"0123456789abcdefXYZtail!"), &mut buf), Err(UpdaterError::Verification)));
        assert!(matches!(up.verify(0, 99, &[0; 32], &mut buf), Err(UpdaterError::BadState)), "past what was written");
        up.verify(0, 23, &digest(b"0123456789abcdefXYZtail"), &mut buf).unwrap();
        assert!(matches!(up.write(b"more"), Err(UpdaterError::BadState)), "no write after verification");
        up.activate().unwrap();
        assert!(matches!(up.write(b"more"), Err(UpdaterError::BadState)), "no write after activation");
        assert!(matches!(up.activate(), Err(UpdaterError::BadState)));
        let state = unit.boot.state().unwrap();
        assert_eq!((state.running, state.selected, state.confirmed), (Slot::A, Slot::B, false));
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn an_image_larger_than_the_slot_fails_before_writing_past_it() {
        let (mut unit, dir) = unit("bounds");
        let state = unit.boot.state().unwrap();
        let mut up = Updater::begin(&mut unit, state).unwrap();
        up.write(&[7u8; 256]).unwrap();
        assert!(matches!(up.write(&[7u8; 1]), Err(UpdaterError::Device(_))));
        let _ = std::fs::remove_dir_all(dir);
    }

    /// NAND takes whole pages only (its MTD driver refuses anything else,
    /// as the real kernel showed): pieces arriving in any sizes are written
    /// page by page, the last padded as erased flash reads.
    #[test]
    fn a_nand_flash_is_written_in_whole_pages() {
        let (mut unit, dir) = unit_with_pages("pages", 8);
        let state = unit.boot.state().unwrap();
        let mut up = Updater::begin(&mut unit, state).unwrap();
        let image: Vec<u8> = (0..45u8).collect();
        for piece in [&image[..3], &image[3..20], &image[20..24], &image[24..]] {
            up.write(piece).unwrap();
        }
        let mut buf = [0u8; 16];
        up.verify(0, 45, &digest(&image), &mut buf).unwrap();
        assert!(matches!(up.write(b"more"), Err(UpdaterError::BadState)), "nothing is appended after the padded last page");
        up.activate().unwrap();
        let mut back = vec![0u8; 48];
        unit.flash.read(Slot::B, 0, &mut back).unwrap();
        assert_eq!(&back[..45], &image[..]);
        assert_eq!(&back[45..], &[0xFF; 3], "the last page is padded as erased");
        let _ = std::fs::remove_dir_all(dir);
    }
}
