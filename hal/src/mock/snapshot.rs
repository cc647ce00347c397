//! Real baseline JPEGs of a colour-bar test pattern, generated row by row.

use jpeg_encoder::{Encoder, ImageBuffer, JpegColorType};

/// Pixel size of a resolution name from the capability tables.
pub(super) fn dimensions(resolution: &str) -> (u16, u16) {
    match resolution.to_ascii_uppercase().as_str() {
        "1080P" => (1920, 1080),
        "720P" => (1280, 720),
        "VGA" => (640, 480),
        "D1" => (720, 576),
        "CIF" => (352, 288),
        other => {
            let mut it = other.split('X').map(str::parse::<u16>);
            match (it.next(), it.next()) {
                (Some(Ok(w)), Some(Ok(h))) if w > 0 && h > 0 => (w, h),
                _ => (640, 480),
            }
        }
    }
}

/// Eight vertical colour bars (as YCbCr), with a grey ramp in the bottom quarter.
struct ColourBars {
    width: u16,
    height: u16,
}

const BARS: [(u8, u8, u8); 8] = [
    (235, 128, 128), // white
    (210, 16, 146),  // yellow
    (170, 166, 16),  // cyan
    (145, 54, 34),   // green
    (106, 202, 222), // magenta
    (81, 90, 240),   // red
    (41, 240, 110),  // blue
    (16, 128, 128),  // black
];

impl ImageBuffer for ColourBars {
    fn get_jpeg_color_type(&self) -> JpegColorType {
        JpegColorType::Ycbcr
    }
    fn width(&self) -> u16 {
        self.width
    }
    fn height(&self) -> u16 {
        self.height
    }
    fn fill_buffers(&self, y: u16, buffers: &mut [Vec<u8>; 4]) {
        let w = u32::from(self.width);
        let ramp = u32::from(y) >= u32::from(self.height) * 3 / 4;
        for x in 0..w {
            let (luma, cb, cr) = if ramp {
                (u8::try_from(16 + x * 219 / w).unwrap_or(235), 128, 128)
            } else {
                let bar = usize::try_from(x * 8 / w).unwrap_or(7).min(7);
                BARS[bar]
            };
            buffers[0].push(luma);
            buffers[1].push(cb);
            buffers[2].push(cr);
        }
    }
}

/// Appends a JPEG of the test pattern at the resolution's size.
pub(super) fn encode(resolution: &str, out: &mut Vec<u8>) -> Result<(), jpeg_encoder::EncodingError> {
    let (width, height) = dimensions(resolution);
    Encoder::new(out, 80).encode_image(ColourBars { width, height })
}
