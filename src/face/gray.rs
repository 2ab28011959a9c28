//! Greyscale images held only in memory and wiped on drop, with the few operations
//! the face code needs (luma from a camera frame, crop-and-resample, statistics).

use kaonin_hal::camera::{Frame, PixelFormat};
use zeroize::Zeroizing;

/// An 8-bit greyscale image, row-major. Its pixels are wiped on drop and never printed.
#[derive(Clone)]
pub struct GrayImage {
    width: u32,
    height: u32,
    pixels: Zeroizing<Vec<u8>>,
}

impl core::fmt::Debug for GrayImage {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "GrayImage({}x{})", self.width, self.height)
    }
}

impl GrayImage {
    /// An image from raw pixels; `None` if the buffer does not match the size.
    pub fn new(width: u32, height: u32, pixels: Vec<u8>) -> Option<GrayImage> {
        let pixels = Zeroizing::new(pixels);
        let expected = (width as usize).checked_mul(height as usize)?;
        (pixels.len() == expected && expected > 0).then_some(GrayImage {
            width,
            height,
            pixels,
        })
    }

    /// The luminance of a camera frame.
    pub fn from_frame(frame: &Frame) -> Option<GrayImage> {
        let n = (frame.width as usize).checked_mul(frame.height as usize)?;
        let bpp = frame.format.bytes_per_pixel();
        if frame.data.len() != n.checked_mul(bpp)? {
            return None;
        }
        let pixels = match frame.format {
            PixelFormat::Gray8 => frame.data.to_vec(),
            PixelFormat::Rgb8 => frame.data.chunks_exact(3).map(luma).collect(),
        };
        GrayImage::new(frame.width, frame.height, pixels)
    }

    /// The luminance of interleaved RGB bytes.
    pub fn from_rgb(width: u32, height: u32, rgb: &[u8]) -> Option<GrayImage> {
        GrayImage::new(width, height, rgb.chunks_exact(3).map(luma).collect())
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// Row-major pixels.
    pub fn pixels(&self) -> &[u8] {
        &self.pixels
    }

    /// The pixel at (x, y), clamped to the image.
    pub fn at_clamped(&self, x: i64, y: i64) -> u8 {
        let x = x.clamp(0, i64::from(self.width) - 1) as usize;
        let y = y.clamp(0, i64::from(self.height) - 1) as usize;
        self.pixels[y * self.width as usize + x]
    }

    /// Mean and standard deviation of the pixels.
    pub fn mean_and_std(&self) -> (f32, f32) {
        mean_and_std(self.pixels.iter().map(|&p| f32::from(p)))
    }

    /// The pixels along the four edges.
    pub fn border(&self) -> impl Iterator<Item = u8> + '_ {
        let (w, h) = (self.width as usize, self.height as usize);
        let top = self.pixels[..w].iter();
        let bottom = self.pixels[(h - 1) * w..].iter();
        let sides = (1..h.saturating_sub(1))
            .flat_map(move |y| [self.pixels[y * w], self.pixels[y * w + w - 1]]);
        top.chain(bottom).copied().chain(sides)
    }

    /// The box (x, y, w, h) in source pixels, resampled to `out_w` × `out_h` by
    /// averaging the source pixels under each output pixel (clamped at the edges).
    pub fn resample(&self, rect: Rect, out_w: u32, out_h: u32) -> Vec<f32> {
        let mut out = Vec::with_capacity(out_w as usize * out_h as usize);
        let sx = rect.w / out_w as f32;
        let sy = rect.h / out_h as f32;
        // Up to 4x4 samples per output pixel: enough for a thumbnail.
        let taps = 4;
        for oy in 0..out_h {
            for ox in 0..out_w {
                let mut sum = 0.0;
                for ty in 0..taps {
                    for tx in 0..taps {
                        let x = rect.x + (ox as f32 + (tx as f32 + 0.5) / taps as f32) * sx;
                        let y = rect.y + (oy as f32 + (ty as f32 + 0.5) / taps as f32) * sy;
                        sum += f32::from(self.at_clamped(x.floor() as i64, y.floor() as i64));
                    }
                }
                out.push(sum / (taps * taps) as f32);
            }
        }
        out
    }
}

/// A rectangle in pixel coordinates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    /// Left edge.
    pub x: f32,
    /// Top edge.
    pub y: f32,
    /// Width.
    pub w: f32,
    /// Height.
    pub h: f32,
}

/// ITU-R BT.601 luma of one RGB pixel.
pub fn luma(rgb: &[u8]) -> u8 {
    match rgb {
        [r, g, b, ..] => {
            ((299 * u32::from(*r) + 587 * u32::from(*g) + 114 * u32::from(*b)) / 1000) as u8
        }
        _ => 0,
    }
}

/// Mean and standard deviation of a sequence (0, 0 when empty).
pub fn mean_and_std(values: impl Iterator<Item = f32> + Clone) -> (f32, f32) {
    let (n, sum) = values
        .clone()
        .fold((0usize, 0.0f64), |(n, s), v| (n + 1, s + f64::from(v)));
    if n == 0 {
        return (0.0, 0.0);
    }
    let mean = sum / n as f64;
    let var = values.fold(0.0f64, |a, v| a + (f64::from(v) - mean).powi(2)) / n as f64;
    (mean as f32, var.sqrt() as f32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_is_checked() {
        assert!(GrayImage::new(2, 2, vec![0; 4]).is_some());
        assert!(GrayImage::new(2, 2, vec![0; 3]).is_none());
        assert!(GrayImage::new(0, 0, vec![]).is_none());
    }

    #[test]
    fn border_visits_each_edge_pixel_once() {
        let img = GrayImage::new(3, 3, vec![1, 1, 1, 1, 9, 1, 1, 1, 1]).unwrap();
        let border: Vec<u8> = img.border().collect();
        assert_eq!(border.len(), 8);
        assert!(border.iter().all(|&p| p == 1));
    }

    #[test]
    fn resample_averages() {
        let img = GrayImage::new(2, 1, vec![0, 200]).unwrap();
        let rect = Rect {
            x: 0.0,
            y: 0.0,
            w: 2.0,
            h: 1.0,
        };
        assert_eq!(img.resample(rect, 1, 1), vec![100.0]);
    }

    #[test]
    fn luma_of_white_and_short_input() {
        assert_eq!(luma(&[255, 255, 255]), 255);
        assert_eq!(luma(&[1]), 0);
    }
}
