//! Plane geometry for the card face: a projective transform (homography) from
//! four point pairs, and bilinear warping of images through it. Used both to
//! draw synthetic captures and to rectify a found card to the canonical layout.

use image::{GrayImage, Luma, Rgb, RgbImage};

/// A point in pixels.
pub type Point = (f64, f64);

/// A 3×3 projective transform, row-major, `h[8] == 1`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Homography(pub [f64; 9]);

impl Homography {
    /// The transform taking each `from[i]` to `to[i]`; `None` when degenerate.
    pub fn from_points(from: [Point; 4], to: [Point; 4]) -> Option<Homography> {
        let mut a = [[0.0f64; 9]; 8];
        for i in 0..4 {
            let ((x, y), (u, v)) = (from[i], to[i]);
            a[2 * i] = [x, y, 1.0, 0.0, 0.0, 0.0, -u * x, -u * y, u];
            a[2 * i + 1] = [0.0, 0.0, 0.0, x, y, 1.0, -v * x, -v * y, v];
        }
        let h = solve8(a)?;
        Some(Homography([
            h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], 1.0,
        ]))
    }

    /// Where `p` goes.
    pub fn apply(&self, (x, y): Point) -> Point {
        let h = &self.0;
        let w = h[6] * x + h[7] * y + h[8];
        (
            (h[0] * x + h[1] * y + h[2]) / w,
            (h[3] * x + h[4] * y + h[5]) / w,
        )
    }
}

/// Gaussian elimination with partial pivoting on an 8×9 augmented matrix.
fn solve8(mut a: [[f64; 9]; 8]) -> Option<[f64; 8]> {
    for col in 0..8 {
        let pivot = (col..8).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[pivot][col].abs() < 1e-12 {
            return None;
        }
        a.swap(col, pivot);
        let pivot_row = a[col];
        for (row, r) in a.iter_mut().enumerate() {
            if row != col {
                let f = r[col] / pivot_row[col];
                for (v, p) in r.iter_mut().zip(pivot_row).skip(col) {
                    *v -= f * p;
                }
            }
        }
    }
    let mut x = [0.0; 8];
    for (i, xi) in x.iter_mut().enumerate() {
        *xi = a[i][8] / a[i][i];
    }
    x.iter().all(|v| v.is_finite()).then_some(x)
}

/// Bilinear sample of channel values at (x, y); `None` outside the image.
fn bilinear<const N: usize>(
    w: u32,
    h: u32,
    px: impl Fn(u32, u32) -> [u8; N],
    (x, y): Point,
) -> Option<[u8; N]> {
    if !(x >= 0.0 && y >= 0.0 && x <= (w - 1) as f64 && y <= (h - 1) as f64) {
        return None;
    }
    let (x0, y0) = (x.floor() as u32, y.floor() as u32);
    let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
    let (fx, fy) = (x - x0 as f64, y - y0 as f64);
    let (a, b, c, d) = (px(x0, y0), px(x1, y0), px(x0, y1), px(x1, y1));
    let mut out = [0u8; N];
    for k in 0..N {
        let top = a[k] as f64 * (1.0 - fx) + b[k] as f64 * fx;
        let bottom = c[k] as f64 * (1.0 - fx) + d[k] as f64 * fx;
        out[k] = (top * (1.0 - fy) + bottom * fy).round().clamp(0.0, 255.0) as u8;
    }
    Some(out)
}

/// Warps `src` into `dst`: each destination pixel is sampled where
/// `dst_to_src` sends it; pixels that fall outside `src` are left as they are.
pub fn warp_rgb_onto(src: &RgbImage, dst_to_src: &Homography, dst: &mut RgbImage) {
    let (w, h) = src.dimensions();
    if w < 2 || h < 2 {
        return;
    }
    for (x, y, p) in dst.enumerate_pixels_mut() {
        let at = dst_to_src.apply((x as f64, y as f64));
        if let Some(v) = bilinear(w, h, |u, v| src.get_pixel(u, v).0, at) {
            *p = Rgb(v);
        }
    }
}

/// A `width`×`height` grey image sampled from `src` through `dst_to_src`
/// (`fill` outside `src`).
pub fn warp_gray(
    src: &GrayImage,
    dst_to_src: &Homography,
    width: u32,
    height: u32,
    fill: u8,
) -> GrayImage {
    let (w, h) = src.dimensions();
    GrayImage::from_fn(width, height, |x, y| {
        let at = dst_to_src.apply((x as f64, y as f64));
        let v = if w < 2 || h < 2 {
            None
        } else {
            bilinear(w, h, |u, v| src.get_pixel(u, v).0, at)
        };
        Luma(v.unwrap_or([fill]))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn homography_maps_its_points() {
        let from = [(0.0, 0.0), (856.0, 0.0), (856.0, 540.0), (0.0, 540.0)];
        let to = [(40.0, 60.0), (600.0, 30.0), (620.0, 400.0), (30.0, 420.0)];
        let h = Homography::from_points(from, to).unwrap();
        for (f, t) in from.iter().zip(to) {
            let (x, y) = h.apply(*f);
            assert!((x - t.0).abs() < 1e-6 && (y - t.1).abs() < 1e-6);
        }
        let degenerate = [(0.0, 0.0); 4];
        assert!(Homography::from_points(degenerate, to).is_none());
    }

    #[test]
    fn warp_identity_keeps_pixels() {
        let src = GrayImage::from_fn(8, 6, |x, y| Luma([(x * 30 + y) as u8]));
        let pts = [(0.0, 0.0), (7.0, 0.0), (7.0, 5.0), (0.0, 5.0)];
        let id = Homography::from_points(pts, pts).unwrap();
        assert_eq!(warp_gray(&src, &id, 8, 6, 0), src);
    }
}
