//! Board support for Linux camera SoCs.
//!
//! - [`mtd`]: firmware slots on raw flash partitions (`/dev/mtdN`), with
//!   erase-block geometry from the kernel and NAND bad blocks skipped.
//! - [`uboot`]: the boot selection as U-Boot environment variables, with
//!   U-Boot's `bootcount`/`bootlimit`/`altbootcmd` fallback.

#![warn(missing_docs)]

pub mod mtd;
pub mod uboot;
