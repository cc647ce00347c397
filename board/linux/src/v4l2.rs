//! ISP image controls through V4L2 controls on `/dev/videoN`
//! (`include/uapi/linux/videodev2.h`).
//!
//! The API's 0-255 range is mapped onto each control's own minimum,
//! maximum and step, as `VIDIOC_QUERYCTRL` reports them.

use camcgi_hal::{Error, ErrorKind, ErrorType, ImageControl, ImageControls};
use std::fmt;
use std::fs::{File, OpenOptions};
use std::path::Path;

/// The kernel's structs and ioctls, wrapped once.
mod ioctl {
    /// `struct v4l2_queryctrl`.
    #[repr(C)]
    #[derive(Debug, Clone, Copy)]
    pub struct QueryCtrl {
        pub id: u32,
        pub kind: u32,
        pub name: [u8; 32],
        pub minimum: i32,
        pub maximum: i32,
        pub step: i32,
        pub default_value: i32,
        pub flags: u32,
        pub reserved: [u32; 2],
    }

    /// `struct v4l2_control`.
    #[repr(C)]
    #[derive(Debug, Default, Clone, Copy)]
    pub struct Control {
        pub id: u32,
        pub value: i32,
    }

    /// The ioctl type letter of V4L2.
    const V4L2_MAGIC: u8 = b'V';
    /// `VIDIOC_G_CTRL = _IOWR('V', 27, struct v4l2_control)`.
    pub const G_CTRL_NR: u8 = 27;
    /// `VIDIOC_S_CTRL = _IOWR('V', 28, struct v4l2_control)`.
    pub const S_CTRL_NR: u8 = 28;
    /// `VIDIOC_QUERYCTRL = _IOWR('V', 36, struct v4l2_queryctrl)`.
    pub const QUERYCTRL_NR: u8 = 36;

    mod raw {
        use super::*;
        nix::ioctl_readwrite!(query_ctrl, V4L2_MAGIC, QUERYCTRL_NR, QueryCtrl);
        nix::ioctl_readwrite!(get_ctrl, V4L2_MAGIC, G_CTRL_NR, Control);
        nix::ioctl_readwrite!(set_ctrl, V4L2_MAGIC, S_CTRL_NR, Control);
    }

    use std::os::fd::{AsFd, AsRawFd};

    /// `VIDIOC_QUERYCTRL`: the driver reads `query.id` and fills in the rest.
    pub fn query_ctrl(device: &impl AsFd, query: &mut QueryCtrl) -> nix::Result<()> {
        // SAFETY: `query` is a valid, exclusively borrowed `v4l2_queryctrl`
        // for the whole call, and the descriptor is open while borrowed.
        unsafe { raw::query_ctrl(device.as_fd().as_raw_fd(), query) }.map(drop)
    }

    /// `VIDIOC_G_CTRL`: the driver reads `control.id` and fills in the value.
    pub fn get_ctrl(device: &impl AsFd, control: &mut Control) -> nix::Result<()> {
        // SAFETY: as for `query_ctrl`, with a `v4l2_control`.
        unsafe { raw::get_ctrl(device.as_fd().as_raw_fd(), control) }.map(drop)
    }

    /// `VIDIOC_S_CTRL`: the driver sets the control and may write back the
    /// value it took.
    pub fn set_ctrl(device: &impl AsFd, control: &mut Control) -> nix::Result<()> {
        // SAFETY: as for `query_ctrl`, with a `v4l2_control`.
        unsafe { raw::set_ctrl(device.as_fd().as_raw_fd(), control) }.map(drop)
    }

    /// `V4L2_CID_BRIGHTNESS` (`V4L2_CID_BASE + 0`).
    pub const CID_BRIGHTNESS: u32 = 0x0098_0900;
    /// `V4L2_CID_CONTRAST` (`V4L2_CID_BASE + 1`).
    pub const CID_CONTRAST: u32 = 0x0098_0901;
    /// `V4L2_CID_SATURATION` (`V4L2_CID_BASE + 2`).
    pub const CID_SATURATION: u32 = 0x0098_0902;
    /// `V4L2_CID_SHARPNESS` (`V4L2_CID_BASE + 27`).
    pub const CID_SHARPNESS: u32 = 0x0098_091b;
    /// `V4L2_CTRL_FLAG_DISABLED`.
    pub const FLAG_DISABLED: u32 = 0x0001;
}

fn control_id(control: ImageControl) -> u32 {
    match control {
        ImageControl::Brightness => ioctl::CID_BRIGHTNESS,
        ImageControl::Contrast => ioctl::CID_CONTRAST,
        ImageControl::Saturation => ioctl::CID_SATURATION,
        ImageControl::Sharpness => ioctl::CID_SHARPNESS,
    }
}

/// A control's range as the driver reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    /// Lowest value.
    pub minimum: i32,
    /// Highest value.
    pub maximum: i32,
    /// Step between values (1 or more).
    pub step: i32,
}

impl Range {
    /// The device value for an API value 0-255: scaled, then snapped to the step.
    pub fn to_device(self, api: u8) -> i32 {
        let span = i64::from(self.maximum) - i64::from(self.minimum);
        let step = i64::from(self.step.max(1));
        let scaled = (i64::from(api) * span + 127) / 255;
        let snapped = (scaled + step / 2) / step * step;
        let value = i64::from(self.minimum) + snapped.min(span / step * step);
        i32::try_from(value).unwrap_or(self.maximum)
    }

    /// The API value (0-255) a device value stands for.
    pub fn to_api(self, value: i32) -> u8 {
        let span = i64::from(self.maximum) - i64::from(self.minimum);
        if span <= 0 {
            return 0;
        }
        let offset = (i64::from(value) - i64::from(self.minimum)).clamp(0, span);
        u8::try_from((offset * 255 + span / 2) / span).unwrap_or(u8::MAX)
    }
}

/// Which V4L2 operation failed, and the errno.
#[derive(Debug)]
pub struct V4l2Error {
    operation: &'static str,
    errno: nix::errno::Errno,
}

impl Error for V4l2Error {
    fn kind(&self) -> ErrorKind {
        use nix::errno::Errno;
        match self.errno {
            Errno::EINVAL | Errno::ENOTTY | Errno::ENOSYS => ErrorKind::NotSupported,
            Errno::EBUSY => ErrorKind::Busy,
            Errno::ERANGE => ErrorKind::InvalidInput,
            _ => ErrorKind::Io,
        }
    }
}

impl fmt::Display for V4l2Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.operation, self.errno)
    }
}

/// Image controls of one V4L2 device.
#[derive(Debug)]
pub struct V4l2Controls {
    device: File,
}

impl V4l2Controls {
    /// Opens the device.
    pub fn open(path: &Path) -> std::io::Result<V4l2Controls> {
        Ok(V4l2Controls { device: OpenOptions::new().read(true).write(true).open(path)? })
    }

    /// The driver's range for a control.
    pub fn range(&self, control: ImageControl) -> Result<Range, V4l2Error> {
        let mut q = ioctl::QueryCtrl {
            id: control_id(control),
            kind: 0,
            name: [0; 32],
            minimum: 0,
            maximum: 0,
            step: 0,
            default_value: 0,
            flags: 0,
            reserved: [0; 2],
        };
        ioctl::query_ctrl(&self.device, &mut q).map_err(|errno| V4l2Error { operation: "VIDIOC_QUERYCTRL", errno })?;
        if q.flags & ioctl::FLAG_DISABLED != 0 {
            return Err(V4l2Error { operation: "VIDIOC_QUERYCTRL", errno: nix::errno::Errno::EINVAL });
        }
        Ok(Range { minimum: q.minimum, maximum: q.maximum, step: q.step })
    }

    /// A control's value in API terms.
    pub fn get(&self, control: ImageControl) -> Result<u8, V4l2Error> {
        let range = self.range(control)?;
        let mut c = ioctl::Control { id: control_id(control), value: 0 };
        ioctl::get_ctrl(&self.device, &mut c).map_err(|errno| V4l2Error { operation: "VIDIOC_G_CTRL", errno })?;
        Ok(range.to_api(c.value))
    }
}

impl ErrorType for V4l2Controls {
    type Error = V4l2Error;
}

impl ImageControls for V4l2Controls {
    fn supports(&self, control: ImageControl) -> bool {
        self.range(control).is_ok()
    }

    fn set(&mut self, control: ImageControl, value: u8) -> Result<(), V4l2Error> {
        let range = self.range(control)?;
        let mut c = ioctl::Control { id: control_id(control), value: range.to_device(value) };
        ioctl::set_ctrl(&self.device, &mut c).map_err(|errno| V4l2Error { operation: "VIDIOC_S_CTRL", errno })?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::ioctl::*;
    use super::*;

    #[test]
    fn request_numbers_and_layouts_match_the_kernel_header() {
        assert_eq!(std::mem::size_of::<QueryCtrl>(), 68);
        assert_eq!(std::mem::size_of::<Control>(), 8);
        assert_eq!(nix::request_code_readwrite!(b'V', QUERYCTRL_NR, std::mem::size_of::<QueryCtrl>()) as u32, 0xc044_5624);
        assert_eq!(nix::request_code_readwrite!(b'V', G_CTRL_NR, std::mem::size_of::<Control>()) as u32, 0xc008_561b);
        assert_eq!(nix::request_code_readwrite!(b'V', S_CTRL_NR, std::mem::size_of::<Control>()) as u32, 0xc008_561c);
    }

    #[test]
    fn the_api_range_maps_onto_each_control() {
        let same = Range { minimum: 0, maximum: 255, step: 1 };
        assert_eq!((same.to_device(0), same.to_device(128), same.to_device(255)), (0, 128, 255));
        let signed = Range { minimum: -64, maximum: 64, step: 1 };
        assert_eq!((signed.to_device(0), signed.to_device(128), signed.to_device(255)), (-64, 0, 64));
        let stepped = Range { minimum: 0, maximum: 100, step: 10 };
        assert_eq!((stepped.to_device(0), stepped.to_device(128), stepped.to_device(255)), (0, 50, 100));
        assert_eq!(stepped.to_device(140), 60, "55 snaps to the nearest step, half up");
        let odd = Range { minimum: 1, maximum: 7, step: 3 };
        assert!([1, 4, 7].contains(&odd.to_device(200)));
        assert_eq!(odd.to_device(255), 7);
        for r in [same, signed, stepped, Range { minimum: 0, maximum: 15, step: 1 }] {
            for api in [0u8, 1, 64, 128, 200, 255] {
                let back = r.to_api(r.to_device(api));
                let tolerance = 255 / ((r.maximum - r.minimum) / r.step.max(1)).max(1) + 1;
                assert!((i32::from(back) - i32::from(api)).abs() <= tolerance, "{r:?} {api} -> {back}");
            }
            assert_eq!(r.to_api(r.minimum), 0);
            assert_eq!(r.to_api(r.maximum), 255);
            assert_eq!(r.to_api(r.maximum + 50), 255, "out of range clamps");
        }
    }

    #[test]
    fn a_regular_file_is_not_a_v4l2_device() {
        let path = std::env::temp_dir().join(format!("camcgi-not-video-{}", std::process::id()));
        std::fs::write(&path, [0u8; 8]).unwrap();
        let mut c = V4l2Controls::open(&path).unwrap();
        let e = c.set(ImageControl::Brightness, 10).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotSupported, "{e}");
        let _ = std::fs::remove_file(path);
    }
}
