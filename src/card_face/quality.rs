//! Quick quality checks of a rectified card before its fields are recognised:
//! a reflection (glare) over a field, and a picture too blurred to read. Both
//! give the patient something to do (tilt the card, hold it still) instead of a
//! misread; neither looks at what is printed.
//!
//! Measured on the canonical 856×540 card: glare is the share of saturated
//! pixels in a field's crop; sharpness is a high percentile of the local
//! gradient in the field crops (text edges are steep, blur flattens them).

use super::layout::{Layout, Rect};
use super::Field;
use image::GrayImage;

/// A grey level at or above which a pixel counts as saturated (a reflection).
pub const SATURATED: u8 = 250;

/// The share of saturated pixels in a field crop above which the field is
/// taken as hidden by glare (a bright but even card reaches ~0.1 on its own).
pub const GLARE_SHARE: f32 = 0.25;

/// The least sharpness (99th percentile of the gradient, grey levels per pixel)
/// of the sharpest field; below it the frame is too blurred to read. Measured on
/// synthetic captures: 25–75 at the normal setting, 6–9 for a card blurred with
/// σ = 6 canonical pixels.
pub const MIN_SHARPNESS: f32 = 16.0;

/// What is wrong with a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Issue {
    /// A reflection hides part of a field.
    Glare,
    /// The picture is too blurred.
    Blurred,
}

fn pixels(card: &GrayImage, r: Rect) -> impl Iterator<Item = (u32, u32)> + '_ {
    let (w, h) = card.dimensions();
    let (x1, y1) = ((r.x + r.w).min(w), (r.y + r.h).min(h));
    (r.y.min(y1)..y1).flat_map(move |y| (r.x.min(x1)..x1).map(move |x| (x, y)))
}

/// The share of saturated pixels in `r`.
pub fn glare_share(card: &GrayImage, r: Rect) -> f32 {
    let (mut n, mut hot) = (0u32, 0u32);
    for (x, y) in pixels(card, r) {
        n += 1;
        hot += (card.get_pixel(x, y).0[0] >= SATURATED) as u32;
    }
    if n == 0 {
        0.0
    } else {
        hot as f32 / n as f32
    }
}

/// The 99th percentile of |∂x| + |∂y| in `r`.
pub fn sharpness(card: &GrayImage, r: Rect) -> f32 {
    let (w, h) = card.dimensions();
    let mut hist = [0u32; 511];
    let mut n = 0u32;
    for (x, y) in pixels(card, r) {
        if x + 1 >= w || y + 1 >= h {
            continue;
        }
        let p = card.get_pixel(x, y).0[0] as i32;
        let dx = (card.get_pixel(x + 1, y).0[0] as i32 - p).abs();
        let dy = (card.get_pixel(x, y + 1).0[0] as i32 - p).abs();
        hist[(dx + dy) as usize] += 1;
        n += 1;
    }
    let mut above = 0u32;
    for (g, count) in hist.iter().enumerate().rev() {
        above += count;
        if above * 100 >= n {
            return g as f32;
        }
    }
    0.0
}

/// Checks the three fields of a rectified card: glare first (tilting the card
/// helps), then blur.
pub fn assess(card: &GrayImage, layout: &Layout) -> Option<Issue> {
    if Field::ALL
        .into_iter()
        .any(|f| glare_share(card, layout.field(f)) > GLARE_SHARE)
    {
        return Some(Issue::Glare);
    }
    let sharpest = Field::ALL
        .into_iter()
        .map(|f| sharpness(card, layout.field(f)))
        .fold(0.0f32, f32::max);
    (sharpest < MIN_SHARPNESS).then_some(Issue::Blurred)
}

#[cfg(all(test, feature = "sim"))]
mod tests {
    use super::super::layout::CURRENT;
    use super::super::locate::{find_card, gray_frame, rectify};
    use super::*;
    use crate::card_face::Date;
    use crate::sim::cardgen::{blur, capture, draw_card, random_spec, Degradation, Rng};
    use crate::ui::font::Fonts;
    use image::{Luma, RgbImage};

    const TODAY: Date = Date {
        year: 2026,
        month: 11,
        day: 25,
    };

    fn rectified(card: &RgbImage, rng: &mut Rng, deg: &Degradation) -> Option<GrayImage> {
        let cap = capture(card, rng, deg);
        let gray = gray_frame(&cap.frame)?;
        let corners = find_card(&gray)?;
        rectify(&gray, &corners)
    }

    #[test]
    fn a_clean_card_passes_and_a_saturated_field_is_glare() {
        let fonts = Fonts::load(None).unwrap();
        let spec = random_spec(&mut Rng::new(11), TODAY, 0.0);
        let card = draw_card(&spec, &fonts, &mut Rng::new(11));
        let gray = GrayImage::from_fn(card.width(), card.height(), |x, y| {
            let p = card.get_pixel(x, y).0;
            Luma([((p[0] as u32 * 3 + p[1] as u32 * 6 + p[2] as u32) / 10) as u8])
        });
        assert_eq!(assess(&gray, &CURRENT), None);
        let mut hot = gray.clone();
        let r = CURRENT.code;
        for (x, y) in pixels(&gray, r).collect::<Vec<_>>() {
            if (x - r.x) < r.w / 2 {
                hot.put_pixel(x, y, Luma([255]));
            }
        }
        assert_eq!(assess(&hot, &CURRENT), Some(Issue::Glare));
    }

    #[test]
    fn normal_captures_pass_and_heavy_blur_is_refused() {
        let fonts = Fonts::load(None).unwrap();
        let sharp = Degradation {
            glare: 0.0,
            ..Degradation::normal()
        };
        let (mut passed, mut total, mut blurred_ok) = (0, 0, 0);
        for i in 0..4u64 {
            let mut rng = Rng::new(100 + i);
            let spec = random_spec(&mut rng, TODAY, 0.0);
            let card = draw_card(&spec, &fonts, &mut rng);
            if let Some(c) = rectified(&card, &mut rng, &sharp) {
                total += 1;
                passed += (assess(&c, &CURRENT).is_none()) as u32;
            }
            let soft = blur(&card, 6.0);
            if let Some(c) = rectified(&soft, &mut rng, &sharp) {
                blurred_ok += (assess(&c, &CURRENT).is_none()) as u32;
            }
        }
        assert!(total >= 3, "cards located: {total}");
        assert_eq!(passed, total, "normal captures refused");
        assert_eq!(blurred_ok, 0, "blurred cards passed");
    }
}
