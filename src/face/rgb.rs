//! Colour images held only in memory and wiped on drop: camera frames and decoded
//! photos as the face pipeline sees them, with bilinear sampling and region statistics.

use super::gray::{GrayImage, Rect};
use kaonin_hal::camera::{Frame, PixelFormat};
use zeroize::Zeroizing;

/// An 8-bit RGB image, row-major, interleaved. Wiped on drop; `Debug` shows the size only.
#[derive(Clone)]
pub struct RgbImage {
    width: u32,
    height: u32,
    pixels: Zeroizing<Vec<u8>>,
    /// Whether the source had colour (a greyscale source is replicated into R=G=B).
    colour: bool,
}

impl core::fmt::Debug for RgbImage {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "RgbImage({}x{})", self.width, self.height)
    }
}

impl RgbImage {
    /// An image from interleaved RGB bytes; `None` if the size does not match.
    pub fn new(width: u32, height: u32, pixels: Vec<u8>) -> Option<RgbImage> {
        let pixels = Zeroizing::new(pixels);
        let n = (width as usize)
            .checked_mul(height as usize)?
            .checked_mul(3)?;
        (pixels.len() == n && n > 0).then_some(RgbImage {
            width,
            height,
            pixels,
            colour: true,
        })
    }

    /// A camera frame as RGB.
    pub fn from_frame(frame: &Frame) -> Option<RgbImage> {
        match frame.format {
            PixelFormat::Rgb8 => RgbImage::new(frame.width, frame.height, frame.data.to_vec()),
            PixelFormat::Gray8 => GrayImage::new(frame.width, frame.height, frame.data.to_vec())
                .map(|g| RgbImage::from_gray(&g)),
        }
    }

    /// A greyscale image replicated into RGB.
    pub fn from_gray(gray: &GrayImage) -> RgbImage {
        let pixels = gray.pixels().iter().flat_map(|&p| [p, p, p]).collect();
        RgbImage {
            width: gray.width(),
            height: gray.height(),
            pixels: Zeroizing::new(pixels),
            colour: false,
        }
    }

    /// Decodes a PNG or JPEG file (evaluation tool, tests).
    pub fn open(path: &std::path::Path) -> Result<RgbImage, String> {
        let bytes = Zeroizing::new(std::fs::read(path).map_err(|e| e.to_string())?);
        let decoded = image::load_from_memory(&bytes).map_err(|e| e.to_string())?;
        let rgb = decoded.to_rgb8();
        let (w, h) = rgb.dimensions();
        RgbImage::new(w, h, rgb.into_raw()).ok_or_else(|| "empty image".to_owned())
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// Interleaved RGB bytes.
    pub fn pixels(&self) -> &[u8] {
        &self.pixels
    }

    /// Whether the source had colour.
    pub fn is_colour(&self) -> bool {
        self.colour
    }

    /// The luma image.
    pub fn to_gray(&self) -> GrayImage {
        let pixels = self.pixels.chunks_exact(3).map(super::gray::luma).collect();
        GrayImage::new(self.width, self.height, pixels)
            .unwrap_or_else(|| GrayImage::new(1, 1, vec![0]).expect("1x1 image is valid"))
    }

    /// Mean luma (0–255) over every 4th pixel of every 4th row: a cheap whole-frame
    /// brightness, without a greyscale copy.
    pub fn mean_luma_sparse(&self) -> f32 {
        let (w, h) = (self.width as usize, self.height as usize);
        let (mut sum, mut n) = (0u64, 0u64);
        for y in (0..h).step_by(4) {
            let row = &self.pixels[y * w * 3..(y + 1) * w * 3];
            for px in row.chunks_exact(3).step_by(4) {
                sum += u64::from(super::gray::luma(px));
                n += 1;
            }
        }
        if n == 0 {
            0.0
        } else {
            sum as f32 / n as f32
        }
    }

    /// The same picture in greyscale, still three channels.
    pub fn to_gray_rgb(&self) -> RgbImage {
        RgbImage::from_gray(&self.to_gray())
    }

    /// The pixel at (x, y) clamped to the image, as f32 RGB.
    pub fn at(&self, x: i64, y: i64) -> [f32; 3] {
        let x = x.clamp(0, i64::from(self.width) - 1) as usize;
        let y = y.clamp(0, i64::from(self.height) - 1) as usize;
        let i = (y * self.width as usize + x) * 3;
        [
            f32::from(self.pixels[i]),
            f32::from(self.pixels[i + 1]),
            f32::from(self.pixels[i + 2]),
        ]
    }

    /// Bilinear sample at (x, y) in pixel-centre coordinates; `fill` outside the image.
    pub fn sample(&self, x: f32, y: f32, fill: [f32; 3]) -> [f32; 3] {
        let (w, h) = (self.width as f32, self.height as f32);
        if !(x > -1.0 && y > -1.0 && x < w && y < h) {
            return fill;
        }
        let (x0, y0) = (x.floor(), y.floor());
        let (fx, fy) = (x - x0, y - y0);
        let (xi, yi) = (x0 as i64, y0 as i64);
        if xi >= 0 && yi >= 0 && xi + 1 < i64::from(self.width) && yi + 1 < i64::from(self.height) {
            // Inside: the four neighbours without clamping.
            let stride = self.width as usize * 3;
            let i = yi as usize * stride + xi as usize * 3;
            let px = &self.pixels;
            let mut out = [0.0; 3];
            for (c, o) in out.iter_mut().enumerate() {
                let p00 = f32::from(px[i + c]);
                let p10 = f32::from(px[i + 3 + c]);
                let p01 = f32::from(px[i + stride + c]);
                let p11 = f32::from(px[i + stride + 3 + c]);
                let top = p00 + (p10 - p00) * fx;
                let bottom = p01 + (p11 - p01) * fx;
                *o = top + (bottom - top) * fy;
            }
            return out;
        }
        let p00 = self.at(xi, yi);
        let p10 = self.at(xi + 1, yi);
        let p01 = self.at(xi, yi + 1);
        let p11 = self.at(xi + 1, yi + 1);
        let mut out = [0.0; 3];
        for c in 0..3 {
            let top = p00[c] + (p10[c] - p00[c]) * fx;
            let bottom = p01[c] + (p11[c] - p01[c]) * fx;
            out[c] = top + (bottom - top) * fy;
        }
        out
    }

    /// Mean luma over the region (clamped to the image); 0 for an empty region.
    pub fn mean_luma(&self, rect: Rect) -> f32 {
        let (x0, y0, x1, y1) = self.clip(rect);
        let (mut sum, mut n) = (0.0f64, 0usize);
        for y in y0..y1 {
            let start = (y * self.width as usize + x0) * 3;
            let row = &self.pixels[start..start + (x1 - x0) * 3];
            let row_sum: f32 = row
                .chunks_exact(3)
                .map(|p| {
                    0.299 * f32::from(p[0]) + 0.587 * f32::from(p[1]) + 0.114 * f32::from(p[2])
                })
                .sum();
            sum += f64::from(row_sum);
            n += x1 - x0;
        }
        if n == 0 {
            0.0
        } else {
            (sum / n as f64) as f32
        }
    }

    /// The pixel range `x0..x1`, `y0..y1` of `rect` inside the image.
    fn clip(&self, rect: Rect) -> (usize, usize, usize, usize) {
        let x0 = rect.x.max(0.0).floor() as u32;
        let y0 = rect.y.max(0.0).floor() as u32;
        let x1 = ((rect.x + rect.w).min(self.width as f32).ceil().max(0.0) as u32).min(self.width);
        let y1 =
            ((rect.y + rect.h).min(self.height as f32).ceil().max(0.0) as u32).min(self.height);
        (
            x0 as usize,
            y0 as usize,
            (x1.max(x0)) as usize,
            (y1.max(y0)) as usize,
        )
    }

    /// Every pixel of the region (clamped) as [Y, Cb, Cr].
    pub fn region_ycbcr(&self, rect: Rect) -> Vec<[f32; 3]> {
        let (x0, y0, x1, y1) = self.clip(rect);
        let mut out = Vec::with_capacity((x1 - x0) * (y1 - y0));
        for y in y0..y1 {
            let start = (y * self.width as usize + x0) * 3;
            let row = &self.pixels[start..start + (x1 - x0) * 3];
            out.extend(
                row.chunks_exact(3)
                    .map(|p| ycbcr([f32::from(p[0]), f32::from(p[1]), f32::from(p[2])])),
            );
        }
        out
    }
}

/// BT.601 full-range RGB → YCbCr.
pub fn ycbcr([r, g, b]: [f32; 3]) -> [f32; 3] {
    let y = 0.299 * r + 0.587 * g + 0.114 * b;
    let cb = 128.0 - 0.168_736 * r - 0.331_264 * g + 0.5 * b;
    let cr = 128.0 + 0.5 * r - 0.418_688 * g - 0.081_312 * b;
    [y, cb, cr]
}

/// Median of a slice (reorders it); 0 when empty.
pub fn median(values: &mut [f32]) -> f32 {
    if values.is_empty() {
        return 0.0;
    }
    let mid = values.len() / 2;
    values.select_nth_unstable_by(mid, |a, b| a.total_cmp(b));
    values[mid]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bilinear_midpoint() {
        let img = RgbImage::new(2, 1, vec![0, 0, 0, 100, 200, 50]).unwrap();
        assert_eq!(img.sample(0.5, 0.0, [9.0; 3]), [50.0, 100.0, 25.0]);
        assert_eq!(img.sample(-5.0, 0.0, [9.0; 3]), [9.0; 3]);
    }

    #[test]
    fn grey_is_neutral_chroma() {
        let [y, cb, cr] = ycbcr([100.0, 100.0, 100.0]);
        assert!((y - 100.0).abs() < 0.01 && (cb - 128.0).abs() < 0.01 && (cr - 128.0).abs() < 0.01);
    }

    #[test]
    fn regions_clamp_to_the_image() {
        let img = RgbImage::new(2, 2, vec![10; 12]).unwrap();
        let all = Rect {
            x: -5.0,
            y: -5.0,
            w: 100.0,
            h: 100.0,
        };
        assert_eq!(img.region_ycbcr(all).len(), 4);
        assert!((img.mean_luma(all) - 10.0).abs() < 0.01);
        let outside = Rect {
            x: 5.0,
            y: 5.0,
            w: 1.0,
            h: 1.0,
        };
        assert!(img.region_ycbcr(outside).is_empty());
        assert_eq!(img.mean_luma(outside), 0.0);
    }

    fn pattern(w: u32, h: u32) -> RgbImage {
        let px = (0..w * h * 3)
            .map(|i| ((i * 37 + i / 7) % 251) as u8)
            .collect();
        RgbImage::new(w, h, px).unwrap()
    }

    /// Bilinear interpolation through the clamping `at`, the general path.
    fn clamped_sample(img: &RgbImage, x: f32, y: f32) -> [f32; 3] {
        let (x0, y0) = (x.floor(), y.floor());
        let (fx, fy) = (x - x0, y - y0);
        let (xi, yi) = (x0 as i64, y0 as i64);
        let (p00, p10) = (img.at(xi, yi), img.at(xi + 1, yi));
        let (p01, p11) = (img.at(xi, yi + 1), img.at(xi + 1, yi + 1));
        std::array::from_fn(|c| {
            let top = p00[c] + (p10[c] - p00[c]) * fx;
            let bottom = p01[c] + (p11[c] - p01[c]) * fx;
            top + (bottom - top) * fy
        })
    }

    #[test]
    fn sampling_inside_and_at_the_edges_agrees_with_clamping() {
        let img = pattern(9, 7);
        for i in 0..400 {
            let (x, y) = ((i % 23) as f32 * 0.43 - 0.9, (i / 23) as f32 * 0.41 - 0.9);
            assert_eq!(
                img.sample(x, y, [-1.0; 3]),
                clamped_sample(&img, x, y),
                "({x}, {y})"
            );
        }
    }

    #[test]
    fn mean_luma_is_the_region_mean() {
        let img = pattern(13, 11);
        for rect in [
            Rect {
                x: 2.3,
                y: 1.5,
                w: 6.0,
                h: 4.2,
            },
            Rect {
                x: -4.0,
                y: -2.0,
                w: 30.0,
                h: 5.0,
            },
            Rect {
                x: 20.0,
                y: 1.0,
                w: 3.0,
                h: 3.0,
            },
        ] {
            let pixels = img.region_ycbcr(rect);
            let mean = pixels.iter().map(|p| p[0]).sum::<f32>() / pixels.len().max(1) as f32;
            assert!(
                (img.mean_luma(rect) - mean).abs() < 1e-3,
                "{rect:?}: {} vs {mean}",
                img.mean_luma(rect)
            );
        }
        assert_eq!(
            img.mean_luma(Rect {
                x: 20.0,
                y: 1.0,
                w: 3.0,
                h: 3.0
            }),
            0.0
        );
    }
}
