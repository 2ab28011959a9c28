//! How sharp an aligned face is: the frame-quality gate of a multi-frame attempt.
//!
//! A patient who steps up or turns while the camera exposes gives a smeared face;
//! such a frame is a poor sample of the patient and is passed over, and an attempt
//! whose frames are all smeared asks the patient to hold still.
//!
//! The measure is the re-blur principle (Crété-Roffet et al., "The blur effect",
//! SPIE 2007): blur the face again with a box as long as a quarter of the eye
//! distance and see how much of its pixel-to-pixel variation that removes. A sharp
//! face loses most of it, a face already blurred loses little. It is computed along
//! rows and along columns on the aligned face (eyes, nose and mouth, little
//! background), so motion blur in one direction counts, and it is a ratio, so
//! lighting and contrast do not move it: 0 for a flat or fully smeared face, about
//! 0.5–0.7 for a sharp one (docs/face.md, "Sharp frames").

use super::rgb::RgbImage;
use zeroize::Zeroizing;

/// The sharpness of an aligned face, 0 (smeared) to 1: the lower of the rows' and
/// the columns' re-blur ratios over the region the five template landmarks span.
///
/// `input` is the embedder's input (`[3, side, side]` planes, any normalisation),
/// `template` where the landmarks sit in it.
pub fn sharpness(input: &[f32], side: usize, template: &[[f32; 2]; 5]) -> f32 {
    let plane = side * side;
    if side < 8 || input.len() < 3 * plane {
        return 0.0;
    }
    // Face pixels: wiped when dropped, like every copy of the face.
    let luma: Zeroizing<Vec<f32>> = Zeroizing::new(
        (0..plane)
            .map(|i| (input[i] + input[plane + i] + input[2 * plane + i]) / 3.0)
            .collect(),
    );
    let region = Region::around(template, side);
    let k = region.reblur_len;
    let along_rows = reblur_ratio(&luma, side, &region, k, Direction::Rows);
    let along_columns = reblur_ratio(&luma, side, &region, k, Direction::Columns);
    along_rows.min(along_columns)
}

#[derive(Clone, Copy)]
enum Direction {
    Rows,
    Columns,
}

/// The inner face: the landmarks' bounding box grown by a third of the eye distance.
struct Region {
    x0: usize,
    x1: usize,
    y0: usize,
    y1: usize,
    /// The re-blur box length: a quarter of the eye distance, at least 3 pixels.
    reblur_len: usize,
}

impl Region {
    fn around(template: &[[f32; 2]; 5], side: usize) -> Region {
        let [le, re, ..] = *template;
        let eyes = ((re[0] - le[0]).powi(2) + (re[1] - le[1]).powi(2)).sqrt();
        let grow = eyes / 3.0;
        let (mut lo, mut hi) = ([f32::MAX; 2], [f32::MIN; 2]);
        for p in template {
            for c in 0..2 {
                lo[c] = lo[c].min(p[c]);
                hi[c] = hi[c].max(p[c]);
            }
        }
        let clamp = |v: f32| (v.max(1.0) as usize).min(side - 1);
        Region {
            x0: clamp(lo[0] - grow),
            x1: clamp(hi[0] + grow),
            y0: clamp(lo[1] - grow),
            y1: clamp(hi[1] + grow),
            reblur_len: ((eyes / 4.0).round() as usize).max(3),
        }
    }
}

/// The share of the pixel-to-pixel variation along `dir` that a box blur of length
/// `k` along `dir` removes, inside `region`.
fn reblur_ratio(luma: &[f32], side: usize, region: &Region, k: usize, dir: Direction) -> f32 {
    let (lines, along) = match dir {
        Direction::Rows => (region.y0..region.y1, region.x0..region.x1),
        Direction::Columns => (region.x0..region.x1, region.y0..region.y1),
    };
    let at = |line: usize, pos: usize| match dir {
        Direction::Rows => luma[line * side + pos],
        Direction::Columns => luma[pos * side + line],
    };
    let half = k / 2;
    let (mut variation, mut removed) = (0.0f64, 0.0f64);
    let mut line_px = Zeroizing::new(Vec::with_capacity(side));
    let mut blurred = Zeroizing::new(Vec::with_capacity(side));
    for line in lines {
        line_px.clear();
        line_px.extend((0..side).map(|pos| at(line, pos)));
        box_blur(&line_px, half, &mut blurred);
        for pos in along.clone() {
            let d = (line_px[pos] - line_px[pos - 1]).abs();
            let db = (blurred[pos] - blurred[pos - 1]).abs();
            variation += f64::from(d);
            removed += f64::from((d - db).max(0.0));
        }
    }
    if variation <= f64::EPSILON {
        return 0.0;
    }
    (removed / variation) as f32
}

/// `out[i]` = the mean of `px[i - half ..= i + half]` (clamped at the ends).
fn box_blur(px: &[f32], half: usize, out: &mut Vec<f32>) {
    out.clear();
    let n = px.len();
    let mut prefix = Vec::with_capacity(n + 1);
    prefix.push(0.0f64);
    for &p in px {
        prefix.push(prefix.last().copied().unwrap_or(0.0) + f64::from(p));
    }
    for i in 0..n {
        let (a, b) = (i.saturating_sub(half), (i + half + 1).min(n));
        out.push(((prefix[b] - prefix[a]) / (b - a) as f64) as f32);
    }
}

/// `image` smeared along its rows by a box of `len` pixels: the motion blur of a
/// patient moving sideways during the exposure, for tests and evaluation
/// (`kaonin face-eval --motion-blur`).
pub fn motion_blur(image: &RgbImage, len: usize) -> RgbImage {
    let (w, h) = (image.width() as usize, image.height() as usize);
    let mut out = image.pixels().to_vec();
    let (mut line, mut blurred) = (Vec::with_capacity(w), Vec::with_capacity(w));
    for y in 0..h {
        for c in 0..3 {
            line.clear();
            line.extend((0..w).map(|x| f32::from(out[(y * w + x) * 3 + c])));
            box_blur(&line, len / 2, &mut blurred);
            for (x, v) in blurred.iter().enumerate() {
                out[(y * w + x) * 3 + c] = v.round().clamp(0.0, 255.0) as u8;
            }
        }
    }
    // Same size and a buffer of the right length: `new` cannot refuse it.
    RgbImage::new(image.width(), image.height(), out).unwrap_or_else(|| image.clone())
}

#[cfg(test)]
mod tests {
    use super::super::align::{TEMPLATE_112, TEMPLATE_DLIB_150};
    use super::*;

    /// A texture with a natural image's spectrum (more coarse than fine detail):
    /// white noise box-blurred at 1, 2, 4 and 8 pixels, weighted by the scale, in
    /// three equal planes. (Periodic test patterns are no good: a smeared grating
    /// keeps fine ripples, and the measure is a ratio.)
    fn texture(side: usize) -> Vec<f32> {
        let mut plane = vec![0.0f32; side * side];
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for scale in [1usize, 2, 4, 8] {
            let mut noise: Vec<f32> = (0..side * side)
                .map(|_| {
                    state = state
                        .wrapping_mul(6_364_136_223_846_793_005)
                        .wrapping_add(1_442_695_040_888_963_407);
                    (state >> 40) as f32 / (1u64 << 24) as f32 - 0.5
                })
                .collect();
            smear_rows(&mut noise, side, 2 * scale + 1);
            let mut noise = transposed(&noise, side);
            smear_rows(&mut noise, side, 2 * scale + 1);
            for (p, n) in plane.iter_mut().zip(transposed(&noise, side)) {
                *p += n * scale as f32;
            }
        }
        [plane.clone(), plane.clone(), plane].concat()
    }

    fn transposed(plane: &[f32], side: usize) -> Vec<f32> {
        (0..side * side)
            .map(|i| plane[(i % side) * side + i / side])
            .collect()
    }

    fn smear_rows(input: &mut [f32], side: usize, len: usize) {
        let mut out = Vec::new();
        for row in input.chunks_mut(side) {
            box_blur(row, len / 2, &mut out);
            row.copy_from_slice(&out);
        }
    }

    fn smeared_columns(input: &[f32], side: usize, len: usize) -> Vec<f32> {
        let plane = side * side;
        let mut out = Vec::with_capacity(input.len());
        for p in input.chunks(plane) {
            let mut t = transposed(p, side);
            smear_rows(&mut t, side, len);
            out.extend(transposed(&t, side));
        }
        out
    }

    #[test]
    fn a_sharp_face_scores_high_and_a_smeared_one_low() {
        let sharp = texture(112);
        let s = sharpness(&sharp, 112, &TEMPLATE_112);
        assert!(s > 0.6, "sharp {s}");
        let mut smeared = sharp.clone();
        smear_rows(&mut smeared, 112, 9);
        let b = sharpness(&smeared, 112, &TEMPLATE_112);
        assert!(b < 0.6 * s, "smeared {b}, sharp {s}");
    }

    #[test]
    fn the_more_smear_the_lower_the_score() {
        let sharp = texture(112);
        let mut last = sharpness(&sharp, 112, &TEMPLATE_112);
        for len in [3, 5, 9, 15] {
            let mut v = sharp.clone();
            smear_rows(&mut v, 112, len);
            let s = sharpness(&v, 112, &TEMPLATE_112);
            assert!(s < last, "len {len}: {s} not below {last}");
            last = s;
        }
    }

    #[test]
    fn vertical_motion_counts_too() {
        let sharp = texture(112);
        let s = sharpness(&sharp, 112, &TEMPLATE_112);
        let v = smeared_columns(&sharp, 112, 9);
        let b = sharpness(&v, 112, &TEMPLATE_112);
        assert!(b < 0.6 * s, "smeared {b}, sharp {s}");
    }

    #[test]
    fn contrast_and_brightness_do_not_move_it() {
        let sharp = texture(150);
        let dim: Vec<f32> = sharp.iter().map(|x| x * 0.3 + 40.0).collect();
        let a = sharpness(&sharp, 150, &TEMPLATE_DLIB_150);
        let b = sharpness(&dim, 150, &TEMPLATE_DLIB_150);
        assert!((a - b).abs() < 1e-3, "{a} vs {b}");
    }

    #[test]
    fn motion_blur_smears_rows_only() {
        // A vertical edge is smeared sideways; a horizontal one stays sharp.
        let (w, h) = (32u32, 8u32);
        let px: Vec<u8> = (0..w * h)
            .flat_map(|i| {
                let v = if i % w < 16 { 0 } else { 240 };
                [v, v, v]
            })
            .collect();
        let img = RgbImage::new(w, h, px).unwrap();
        let out = motion_blur(&img, 9);
        let row = |x: usize| out.pixels()[x * 3];
        assert_eq!(row(0), 0);
        assert_eq!(row(31), 240);
        assert!(row(13) > 0 && row(18) < 240, "{} {}", row(13), row(18));
        assert_eq!(
            &out.pixels()[..w as usize * 3],
            &out.pixels()[w as usize * 3..2 * w as usize * 3]
        );
    }

    #[test]
    fn flat_short_or_tiny_input_scores_zero() {
        assert_eq!(
            sharpness(&vec![0.5; 3 * 112 * 112], 112, &TEMPLATE_112),
            0.0
        );
        assert_eq!(sharpness(&[0.0; 10], 112, &TEMPLATE_112), 0.0);
        assert_eq!(sharpness(&[0.0; 3 * 16], 4, &TEMPLATE_112), 0.0);
    }
}
