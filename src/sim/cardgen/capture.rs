//! Photographing a card into a 640×480 frame: placement with rotation and
//! perspective, lighting and glare, blur, noise and JPEG artefacts.

use super::backdrop::{self, Backdrop};
use super::Rng;
use crate::card_face::geom::{warp_rgb_onto, Homography, Point};
use crate::card_face::layout::{CARD_H, CARD_W};
use image::{Rgb, RgbImage};
use kaonin_hal::camera::{Frame, PixelFormat};

/// How hard a capture is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Degradation {
    /// Gaussian blur σ range (pixels).
    pub blur: (f64, f64),
    /// Additive noise σ range (grey levels).
    pub noise: (f64, f64),
    /// JPEG quality range.
    pub jpeg: (u8, u8),
    /// Chance of a glare spot.
    pub glare: f64,
    /// Lighting gradient strength (0 = flat).
    pub lighting: f64,
    /// Rotation range in degrees (±).
    pub rotation: f64,
    /// Corner jitter as a fraction of the card width (±).
    pub jitter: f64,
    /// What the cards lie on: card `i` of a set gets `backdrops[i % len]`
    /// (empty: plain).
    pub backdrops: &'static [Backdrop],
}

impl Degradation {
    /// The reference's test setting.
    pub fn normal() -> Degradation {
        Degradation {
            blur: (0.3, 1.4),
            noise: (1.0, 5.0),
            jpeg: (40, 90),
            glare: 0.3,
            lighting: 0.25,
            rotation: 5.0,
            jitter: 0.02,
            backdrops: &[Backdrop::Plain],
        }
    }

    /// The normal setting on textured and cluttered counters: the cards cycle
    /// through [`Backdrop::TEXTURED`].
    pub fn textured() -> Degradation {
        Degradation {
            backdrops: Backdrop::TEXTURED,
            ..Degradation::normal()
        }
    }

    /// The backdrop of card `index` of a set.
    pub fn backdrop(&self, index: u64) -> Backdrop {
        match self.backdrops.len() {
            0 => Backdrop::Plain,
            n => self.backdrops[(index % n as u64) as usize],
        }
    }

    /// The reference's stress setting: blur, noise, lighting ×1.6, JPEG 25–70.
    pub fn stress() -> Degradation {
        let n = Degradation::normal();
        Degradation {
            blur: (n.blur.0 * 1.6, n.blur.1 * 1.6),
            noise: (n.noise.0 * 1.6, n.noise.1 * 1.6),
            jpeg: (25, 70),
            glare: 0.5,
            lighting: n.lighting * 1.6,
            ..n
        }
    }
}

/// Capture frame size.
pub const FRAME_W: u32 = 640;
/// Capture frame height.
pub const FRAME_H: u32 = 480;

/// One capture: the frame and where the card's corners landed (TL, TR, BR, BL).
#[derive(Debug)]
pub struct Capture {
    pub frame: Frame,
    pub corners: [Point; 4],
}

/// Photographs `card` into a 640×480 frame on the plain backdrop.
pub fn capture(card: &RgbImage, rng: &mut Rng, deg: &Degradation) -> Capture {
    capture_on(card, rng, deg, Backdrop::Plain)
}

/// Photographs `card` into a 640×480 frame lying on `kind`.
pub fn capture_on(card: &RgbImage, rng: &mut Rng, deg: &Degradation, kind: Backdrop) -> Capture {
    let mut img = backdrop::surface(kind, rng, FRAME_W, FRAME_H);
    let corners = place(rng, deg);
    let textured = kind != Backdrop::Plain;
    if textured {
        backdrop::cast_shadow(&mut img, rng, &corners);
    }
    let thumb = (kind == Backdrop::Hand).then(|| backdrop::palm(&mut img, rng, &corners));
    let canon = [
        (0.0, 0.0),
        ((CARD_W - 1) as f64, 0.0),
        ((CARD_W - 1) as f64, (CARD_H - 1) as f64),
        (0.0, (CARD_H - 1) as f64),
    ];
    if let Some(h) = Homography::from_points(corners, canon) {
        warp_rgb_onto(card, &h, &mut img);
    }
    if textured {
        backdrop::card_edge(&mut img, rng, &corners);
    }
    if let Some(t) = &thumb {
        backdrop::thumb(&mut img, t);
    }
    if kind == Backdrop::Shadow {
        backdrop::shadow(&mut img, rng);
    }
    light(&mut img, rng, deg, &corners);
    let sigma = rng.range(deg.blur.0, deg.blur.1);
    let mut img = blur(&img, sigma);
    let noise = rng.range(deg.noise.0, deg.noise.1);
    for p in img.pixels_mut() {
        for k in 0..3 {
            p.0[k] = (p.0[k] as f64 + rng.normal() * noise).clamp(0.0, 255.0) as u8;
        }
    }
    let quality = deg.jpeg.0 + rng.below((deg.jpeg.1.saturating_sub(deg.jpeg.0) + 1) as u64) as u8;
    let img = jpeg_round_trip(img, quality);
    let data = img.into_raw();
    let frame = Frame::new(FRAME_W, FRAME_H, PixelFormat::Rgb8, data)
        .unwrap_or_else(|| Frame::empty_scene(FRAME_W, FRAME_H));
    Capture { frame, corners }
}

/// The card's corners in the frame: 80–94 % of the width, rotated, jittered.
fn place(rng: &mut Rng, deg: &Degradation) -> [Point; 4] {
    let w = FRAME_W as f64 * rng.range(0.80, 0.94);
    let h = w * CARD_H as f64 / CARD_W as f64;
    let angle = rng.range(-deg.rotation, deg.rotation).to_radians();
    let (s, c) = angle.sin_cos();
    let slack_x = (FRAME_W as f64 - w) / 2.0 - h * s.abs() / 2.0;
    let slack_y = (FRAME_H as f64 - h) / 2.0 - w * s.abs() / 2.0;
    let cx = FRAME_W as f64 / 2.0 + rng.range(-0.5, 0.5) * slack_x.max(0.0);
    let cy = FRAME_H as f64 / 2.0 + rng.range(-0.5, 0.5) * slack_y.max(0.0);
    let mut out = [(0.0, 0.0); 4];
    for (i, (dx, dy)) in [(-0.5, -0.5), (0.5, -0.5), (0.5, 0.5), (-0.5, 0.5)]
        .into_iter()
        .enumerate()
    {
        let (x, y) = (dx * w, dy * h);
        let jx = rng.range(-deg.jitter, deg.jitter) * w;
        let jy = rng.range(-deg.jitter, deg.jitter) * w;
        out[i] = (cx + x * c - y * s + jx, cy + x * s + y * c + jy);
    }
    out
}

/// Lighting gradient, vignette and sometimes a glare spot.
fn light(img: &mut RgbImage, rng: &mut Rng, deg: &Degradation, card: &[Point; 4]) {
    let (gx, gy) = (
        rng.range(-1.0, 1.0) * deg.lighting,
        rng.range(-1.0, 1.0) * deg.lighting,
    );
    let glare = rng.chance(deg.glare).then(|| {
        (
            rng.range(0.0, FRAME_W as f64),
            rng.range(0.0, FRAME_H as f64),
            rng.range(20.0, 60.0),
            rng.range(80.0, 170.0),
        )
    });
    let (w, h) = (FRAME_W as f64, FRAME_H as f64);
    for (x, y, p) in img.enumerate_pixels_mut() {
        let (u, v) = (x as f64 / w - 0.5, y as f64 / h - 0.5);
        let gain = 1.0 + gx * u + gy * v - 0.3 * (u * u + v * v);
        // Glare is a reflection on the glossy card, not on the tray.
        let on_card = backdrop::inside(card, (x as f64, y as f64));
        let add = glare.filter(|_| on_card).map_or(0.0, |(cx, cy, r, a)| {
            a * (-((x as f64 - cx).powi(2) + (y as f64 - cy).powi(2)) / (2.0 * r * r)).exp()
        });
        for k in 0..3 {
            p.0[k] = (p.0[k] as f64 * gain + add).clamp(0.0, 255.0) as u8;
        }
    }
}

/// Separable Gaussian blur.
pub fn blur(img: &RgbImage, sigma: f64) -> RgbImage {
    if sigma < 0.1 {
        return img.clone();
    }
    let r = (sigma * 3.0).ceil() as i64;
    let kernel: Vec<f64> = (-r..=r)
        .map(|i| (-(i * i) as f64 / (2.0 * sigma * sigma)).exp())
        .collect();
    let sum: f64 = kernel.iter().sum();
    let (w, h) = (img.width() as i64, img.height() as i64);
    let pass = |src: &RgbImage, horizontal: bool| {
        RgbImage::from_fn(w as u32, h as u32, |x, y| {
            let mut acc = [0.0f64; 3];
            for (i, k) in kernel.iter().enumerate() {
                let o = i as i64 - r;
                let (sx, sy) = if horizontal {
                    ((x as i64 + o).clamp(0, w - 1), y as i64)
                } else {
                    (x as i64, (y as i64 + o).clamp(0, h - 1))
                };
                let p = src.get_pixel(sx as u32, sy as u32).0;
                for c in 0..3 {
                    acc[c] += p[c] as f64 * k;
                }
            }
            Rgb(acc.map(|a| (a / sum).round().clamp(0.0, 255.0) as u8))
        })
    };
    pass(&pass(img, true), false)
}

fn jpeg_round_trip(img: RgbImage, quality: u8) -> RgbImage {
    let mut buf = Vec::new();
    let encoded =
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut buf, quality.clamp(1, 100))
            .encode_image(&img);
    if encoded.is_err() {
        return img;
    }
    image::load_from_memory_with_format(&buf, image::ImageFormat::Jpeg)
        .map(|d| d.to_rgb8())
        .unwrap_or(img)
}
