//! Firmware slots and boot selection: what an A/B updater needs from a board.
//!
//! A camera has two firmware slots. The running one is never written. An
//! update goes to the other slot, is read back and verified, and only then
//! is the boot selection switched to it, in one atomic step, *on trial*: the
//! boot loader counts boots of a trial slot (U-Boot's `bootcount`) and falls
//! back to the last confirmed slot when the count runs out. The new firmware
//! confirms itself once it runs well ([`BootControl::confirm`], embassy-boot's
//! `mark_booted`). A power cut at any point therefore boots either the old
//! firmware or a verified new one.

use crate::error::{ErrorKind, ErrorType};

/// One of the two firmware slots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// The first slot.
    A,
    /// The second slot.
    B,
}

impl Slot {
    /// The other slot.
    pub fn other(self) -> Slot {
        match self {
            Slot::A => Slot::B,
            Slot::B => Slot::A,
        }
    }

    /// `A` or `B`.
    pub fn name(self) -> &'static str {
        match self {
            Slot::A => "A",
            Slot::B => "B",
        }
    }
}

/// A slot's geometry, known only at run time on MTD devices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlashGeometry {
    /// Bytes of one erase block; erases start and end on block boundaries.
    pub erase_size: u32,
    /// Usable bytes in the slot.
    pub capacity: u64,
}

impl FlashGeometry {
    /// Checks that an erase is block-aligned and inside the slot.
    pub fn check_erase(&self, offset: u64, len: u64) -> Result<(), ErrorKind> {
        let block = u64::from(self.erase_size.max(1));
        if !offset.is_multiple_of(block) || !len.is_multiple_of(block) {
            return Err(ErrorKind::NotAligned);
        }
        self.check_bounds(offset, len)
    }

    /// Checks that a range lies inside the slot.
    pub fn check_bounds(&self, offset: u64, len: u64) -> Result<(), ErrorKind> {
        match offset.checked_add(len) {
            Some(end) if end <= self.capacity => Ok(()),
            _ => Err(ErrorKind::OutOfBounds),
        }
    }
}

/// The firmware slots' flash.
///
/// A power cut during `erase` or `write` leaves that range undefined; it
/// never touches the other slot.
pub trait FirmwareFlash: ErrorType {
    /// The id images must carry to be accepted on this board.
    fn board_id(&self) -> String;
    /// The slot's geometry.
    fn geometry(&self, slot: Slot) -> FlashGeometry;
    /// Erases a block-aligned range, leaving it ready to be written.
    fn erase(&mut self, slot: Slot, offset: u64, len: u64) -> Result<(), Self::Error>;
    /// The unit writes come in (NAND's page): each write starts at a
    /// multiple of it and is a whole number of them. 1 where any write goes.
    fn write_size(&self, _slot: Slot) -> u32 {
        1
    }
    /// Writes into an erased range, in whole units of `write_size`.
    fn write(&mut self, slot: Slot, offset: u64, data: &[u8]) -> Result<(), Self::Error>;
    /// Reads back. NAND returns data even after an ECC failure, so callers
    /// verify what they read by its digest.
    fn read(&mut self, slot: Slot, offset: u64, buf: &mut [u8]) -> Result<(), Self::Error>;
}

/// Which slot runs, which boots next, and whether that is settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BootState {
    /// The slot running now.
    pub running: Slot,
    /// The slot the next boot starts.
    pub selected: Slot,
    /// Whether the selected slot is confirmed good, or still on trial.
    pub confirmed: bool,
}

/// The boot loader's selection.
pub trait BootControl: ErrorType {
    /// The current selection.
    fn state(&self) -> Result<BootState, Self::Error>;
    /// Boots `slot` next, on trial. One atomic step: a power cut leaves the old or the new selection.
    fn select(&mut self, slot: Slot) -> Result<(), Self::Error>;
    /// Marks the running slot as good, ending its trial.
    fn confirm(&mut self) -> Result<(), Self::Error>;
}
