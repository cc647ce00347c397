//! Firmware slots on MTD partitions.
//!
//! Each slot is one `/dev/mtdN` partition. Its geometry comes from
//! `MEMGETINFO`; on NAND, blocks that `MEMGETBADBLOCK` reports bad are left
//! out, so the slot is the partition's good blocks laid end to end (the
//! same skip scheme U-Boot's `nand write` uses). Writes go to erased blocks
//! only; reads are verified by the caller's digest, since NAND returns data
//! even after an ECC failure.

use camcgi_hal::{Error, ErrorKind, ErrorType, FirmwareFlash, FlashGeometry, Slot};
use std::fmt;
use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// The kernel's structs and ioctls, wrapped once (`include/uapi/mtd/mtd-abi.h`).
mod ioctl {
    /// `struct mtd_info_user`.
    #[repr(C)]
    #[derive(Debug, Default, Clone, Copy)]
    pub struct MtdInfoUser {
        /// `MTD_NORFLASH` (3), `MTD_NANDFLASH` (4), `MTD_MLCNANDFLASH` (8), …
        pub kind: u8,
        /// `MTD_WRITEABLE` and friends.
        pub flags: u32,
        /// Total size in bytes.
        pub size: u32,
        /// Erase block size in bytes.
        pub erasesize: u32,
        /// Minimal writable unit (page) in bytes.
        pub writesize: u32,
        /// Out-of-band bytes per page.
        pub oobsize: u32,
        /// Unused, kept for the layout.
        pub padding: u64,
    }

    /// `struct erase_info_user`.
    #[repr(C)]
    #[derive(Debug, Default, Clone, Copy)]
    pub struct EraseInfoUser {
        /// Byte offset of the first block.
        pub start: u32,
        /// Bytes to erase, a multiple of the erase size.
        pub length: u32,
    }

    /// The ioctl type letter of the MTD character devices.
    const MTD_IOC_MAGIC: u8 = b'M';
    /// `MEMGETINFO = _IOR('M', 1, struct mtd_info_user)`.
    pub const MEMGETINFO_NR: u8 = 1;
    /// `MEMERASE = _IOW('M', 2, struct erase_info_user)`.
    pub const MEMERASE_NR: u8 = 2;
    /// `MEMGETBADBLOCK = _IOW('M', 11, __kernel_loff_t)`.
    pub const MEMGETBADBLOCK_NR: u8 = 11;

    mod raw {
        use super::*;
        nix::ioctl_read!(mem_get_info, MTD_IOC_MAGIC, MEMGETINFO_NR, MtdInfoUser);
        nix::ioctl_write_ptr!(mem_erase, MTD_IOC_MAGIC, MEMERASE_NR, EraseInfoUser);
        nix::ioctl_write_ptr!(mem_get_bad_block, MTD_IOC_MAGIC, MEMGETBADBLOCK_NR, i64);
    }

    use std::os::fd::{AsFd, AsRawFd};

    /// `MEMGETINFO`: the device's type, size and geometry.
    pub fn mem_get_info(device: &impl AsFd) -> nix::Result<MtdInfoUser> {
        let mut info = MtdInfoUser::default();
        // SAFETY: `info` is a properly sized and aligned `mtd_info_user` the
        // kernel fills in; the descriptor is open while borrowed.
        unsafe { raw::mem_get_info(device.as_fd().as_raw_fd(), &mut info) }?;
        Ok(info)
    }

    /// `MEMERASE`: erases whole blocks.
    pub fn mem_erase(device: &impl AsFd, erase: &EraseInfoUser) -> nix::Result<()> {
        // SAFETY: the kernel reads one `erase_info_user` from the pointer.
        unsafe { raw::mem_erase(device.as_fd().as_raw_fd(), erase) }.map(drop)
    }

    /// `MEMGETBADBLOCK`: whether the block at `offset` is marked bad.
    pub fn mem_get_bad_block(device: &impl AsFd, offset: i64) -> nix::Result<bool> {
        // SAFETY: the kernel reads one `loff_t` from the pointer.
        unsafe { raw::mem_get_bad_block(device.as_fd().as_raw_fd(), &offset) }.map(|bad| bad > 0)
    }

    /// MTD types that have bad blocks.
    pub const MTD_NANDFLASH: u8 = 4;
    /// Multi-level-cell NAND.
    pub const MTD_MLCNANDFLASH: u8 = 8;
}

/// Which MTD operation failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// Opening the device node.
    Open,
    /// `MEMGETINFO`.
    GetInfo,
    /// `MEMGETBADBLOCK`.
    GetBadBlock,
    /// `MEMERASE`.
    Erase,
    /// `pwrite`.
    Write,
    /// `pread`.
    Read,
    /// A range outside the slot or not block-aligned.
    Range,
}

/// An MTD failure: the operation and the errno (see `Documentation/driver-api/mtdnand.rst`).
#[derive(Debug)]
pub struct MtdError {
    operation: Operation,
    errno: Option<nix::errno::Errno>,
    kind: ErrorKind,
}

impl MtdError {
    fn errno(operation: Operation) -> impl Fn(nix::errno::Errno) -> MtdError {
        move |errno| MtdError { operation, errno: Some(errno), kind: kind_of(errno) }
    }

    fn io(operation: Operation) -> impl Fn(std::io::Error) -> MtdError {
        move |e| match e.raw_os_error() {
            Some(code) => MtdError::errno(operation)(nix::errno::Errno::from_raw(code)),
            None => MtdError { operation, errno: None, kind: ErrorKind::Io },
        }
    }

    fn range(kind: ErrorKind) -> MtdError {
        MtdError { operation: Operation::Range, errno: None, kind }
    }
}

/// EIO from the MTD layer is a flash failure; EBUSY a device in use; EINVAL
/// a request the driver refused; EROFS a read-only partition.
fn kind_of(errno: nix::errno::Errno) -> ErrorKind {
    use nix::errno::Errno;
    match errno {
        Errno::EBUSY => ErrorKind::Busy,
        Errno::ETIMEDOUT => ErrorKind::Timeout,
        Errno::EINVAL | Errno::EROFS | Errno::EPERM => ErrorKind::InvalidInput,
        // ENOSYS: an emulator (qemu-user) that does not know the ioctl.
        Errno::ENOTTY | Errno::EOPNOTSUPP | Errno::ENOSYS => ErrorKind::NotSupported,
        _ => ErrorKind::Io,
    }
}

impl Error for MtdError {
    fn kind(&self) -> ErrorKind {
        self.kind
    }
}

impl fmt::Display for MtdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.errno {
            Some(errno) => write!(f, "{:?}: {errno}", self.operation),
            None => write!(f, "{:?}: {}", self.operation, self.kind.describe()),
        }
    }
}

impl std::error::Error for MtdError {}

/// The good blocks of a partition, in order: logical block N is the Nth good block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockMap {
    erase_size: u32,
    good: Vec<u64>,
}

impl BlockMap {
    /// A map of `blocks` blocks of `erase_size` bytes, leaving out those `is_bad` names.
    pub fn new(erase_size: u32, blocks: u64, mut is_bad: impl FnMut(u64) -> bool) -> BlockMap {
        let good = (0..blocks).map(|b| b * u64::from(erase_size)).filter(|off| !is_bad(*off)).collect();
        BlockMap { erase_size, good }
    }

    /// The slot's usable geometry.
    pub fn geometry(&self) -> FlashGeometry {
        FlashGeometry { erase_size: self.erase_size, capacity: self.good.len() as u64 * u64::from(self.erase_size) }
    }

    /// Splits a logical range into physical pieces, each inside one block.
    pub fn pieces(&self, offset: u64, len: u64) -> Result<Vec<(u64, u64)>, ErrorKind> {
        self.geometry().check_bounds(offset, len)?;
        let block = u64::from(self.erase_size.max(1));
        let mut out = Vec::new();
        let mut at = offset;
        while at < offset + len {
            let index = usize::try_from(at / block).map_err(|_| ErrorKind::OutOfBounds)?;
            let physical = *self.good.get(index).ok_or(ErrorKind::OutOfBounds)?;
            let within = at % block;
            let n = (block - within).min(offset + len - at);
            out.push((physical + within, n));
            at += n;
        }
        Ok(out)
    }
}

/// One MTD partition used as a firmware slot.
#[derive(Debug)]
pub struct MtdSlot {
    file: File,
    map: BlockMap,
    /// The page size (NAND) or 1 (NOR): what the kernel writes at once.
    write_size: u32,
}

impl MtdSlot {
    /// Opens `/dev/mtdN`, reads its geometry and, on NAND, its bad blocks.
    pub fn open(path: &Path) -> Result<MtdSlot, MtdError> {
        let file = OpenOptions::new().read(true).write(true).open(path).map_err(MtdError::io(Operation::Open))?;
        let info = ioctl::mem_get_info(&file).map_err(MtdError::errno(Operation::GetInfo))?;
        if info.erasesize == 0 {
            return Err(MtdError { operation: Operation::GetInfo, errno: None, kind: ErrorKind::NotSupported });
        }
        let nand = matches!(info.kind, ioctl::MTD_NANDFLASH | ioctl::MTD_MLCNANDFLASH);
        let blocks = u64::from(info.size) / u64::from(info.erasesize);
        let mut failure = None;
        let map = BlockMap::new(info.erasesize, blocks, |offset| {
            if !nand {
                return false;
            }
            let offset = i64::try_from(offset).unwrap_or(i64::MAX);
            match ioctl::mem_get_bad_block(&file, offset) {
                Ok(bad) => bad,
                Err(e) => {
                    failure.get_or_insert(e);
                    true
                }
            }
        });
        if let Some(errno) = failure {
            return Err(MtdError::errno(Operation::GetBadBlock)(errno));
        }
        Ok(MtdSlot { file, map, write_size: info.writesize.max(1) })
    }

    fn erase(&self, offset: u64, len: u64) -> Result<(), MtdError> {
        self.map.geometry().check_erase(offset, len).map_err(MtdError::range)?;
        for (physical, n) in self.map.pieces(offset, len).map_err(MtdError::range)? {
            let erase = ioctl::EraseInfoUser {
                start: u32::try_from(physical).map_err(|_| MtdError::range(ErrorKind::OutOfBounds))?,
                length: u32::try_from(n).map_err(|_| MtdError::range(ErrorKind::OutOfBounds))?,
            };
            ioctl::mem_erase(&self.file, &erase).map_err(MtdError::errno(Operation::Erase))?;
        }
        Ok(())
    }

    fn write(&self, offset: u64, data: &[u8]) -> Result<(), MtdError> {
        let mut rest = data;
        for (physical, n) in self.map.pieces(offset, data.len() as u64).map_err(MtdError::range)? {
            let (piece, tail) = rest.split_at(usize::try_from(n).unwrap_or(rest.len()).min(rest.len()));
            self.file.write_all_at(piece, physical).map_err(MtdError::io(Operation::Write))?;
            rest = tail;
        }
        Ok(())
    }

    fn read(&self, offset: u64, buf: &mut [u8]) -> Result<(), MtdError> {
        let mut rest = buf;
        for (physical, n) in self.map.pieces(offset, rest.len() as u64).map_err(MtdError::range)? {
            let (piece, tail) = rest.split_at_mut(usize::try_from(n).unwrap_or(0));
            // EUCLEAN (corrected bit flips) still delivers the data; the digest decides.
            match self.file.read_exact_at(piece, physical) {
                Err(e) if e.raw_os_error() != Some(libc::EUCLEAN) => return Err(MtdError::io(Operation::Read)(e)),
                _ => {}
            }
            rest = tail;
        }
        Ok(())
    }
}

/// Two MTD partitions as firmware slots A and B.
#[derive(Debug)]
pub struct MtdFlash {
    board_id: String,
    slots: [MtdSlot; 2],
    paths: [PathBuf; 2],
}

impl MtdFlash {
    /// Opens the partitions of slots A and B.
    pub fn open(board_id: &str, slot_a: &Path, slot_b: &Path) -> Result<MtdFlash, MtdError> {
        Ok(MtdFlash {
            board_id: board_id.to_string(),
            slots: [MtdSlot::open(slot_a)?, MtdSlot::open(slot_b)?],
            paths: [slot_a.to_path_buf(), slot_b.to_path_buf()],
        })
    }

    fn slot(&self, slot: Slot) -> &MtdSlot {
        let [a, b] = &self.slots;
        match slot {
            Slot::A => a,
            Slot::B => b,
        }
    }

    /// The device node of a slot.
    pub fn path(&self, slot: Slot) -> &Path {
        let [a, b] = &self.paths;
        match slot {
            Slot::A => a,
            Slot::B => b,
        }
    }
}

impl ErrorType for MtdFlash {
    type Error = MtdError;
}

impl FirmwareFlash for MtdFlash {
    fn board_id(&self) -> String {
        self.board_id.clone()
    }
    fn geometry(&self, slot: Slot) -> FlashGeometry {
        self.slot(slot).map.geometry()
    }
    fn write_size(&self, slot: Slot) -> u32 {
        self.slot(slot).write_size
    }
    fn erase(&mut self, slot: Slot, offset: u64, len: u64) -> Result<(), MtdError> {
        self.slot(slot).erase(offset, len)
    }
    fn write(&mut self, slot: Slot, offset: u64, data: &[u8]) -> Result<(), MtdError> {
        self.slot(slot).write(offset, data)
    }
    fn read(&mut self, slot: Slot, offset: u64, buf: &mut [u8]) -> Result<(), MtdError> {
        self.slot(slot).read(offset, buf)
    }
}

#[cfg(test)]
mod tests {
    use super::ioctl::*;
    use super::*;

    #[test]
    fn request_numbers_and_layouts_match_the_kernel_header() {
        assert_eq!(std::mem::size_of::<MtdInfoUser>(), 32);
        assert_eq!(std::mem::size_of::<EraseInfoUser>(), 8);
        assert_eq!(nix::request_code_read!(b'M', MEMGETINFO_NR, std::mem::size_of::<MtdInfoUser>()) as u32, 0x8020_4d01);
        assert_eq!(nix::request_code_write!(b'M', MEMERASE_NR, std::mem::size_of::<EraseInfoUser>()) as u32, 0x4008_4d02);
        assert_eq!(nix::request_code_write!(b'M', MEMGETBADBLOCK_NR, std::mem::size_of::<i64>()) as u32, 0x4008_4d0b);
    }

    #[test]
    fn bad_blocks_are_skipped() {
        // Eight 16-byte blocks; blocks 1 and 4 are bad.
        let map = BlockMap::new(16, 8, |off| off == 16 || off == 64);
        assert_eq!(map.geometry(), FlashGeometry { erase_size: 16, capacity: 96 });
        assert_eq!(map.pieces(0, 16), Ok(vec![(0, 16)]));
        assert_eq!(map.pieces(10, 20), Ok(vec![(10, 6), (32, 14)]));
        assert_eq!(map.pieces(48, 20), Ok(vec![(80, 16), (96, 4)]));
        assert_eq!(map.pieces(90, 7), Err(ErrorKind::OutOfBounds));
        assert_eq!(map.geometry().check_erase(8, 16), Err(ErrorKind::NotAligned));
    }

    #[test]
    fn a_missing_device_is_an_open_error() {
        let e = MtdSlot::open(Path::new("/nonexistent/mtd9")).unwrap_err();
        assert_eq!(e.operation, Operation::Open);
        assert_eq!(e.kind(), ErrorKind::Io);
    }

    #[test]
    fn a_regular_file_is_not_an_mtd_device() {
        let path = std::env::temp_dir().join(format!("camcgi-not-mtd-{}", std::process::id()));
        std::fs::write(&path, [0u8; 64]).unwrap();
        let e = MtdSlot::open(&path).unwrap_err();
        assert_eq!(e.operation, Operation::GetInfo);
        assert_eq!(e.kind(), ErrorKind::NotSupported, "ENOTTY: {e}");
        let _ = std::fs::remove_file(path);
    }
}
