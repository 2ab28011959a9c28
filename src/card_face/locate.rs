//! Card localisation: find the card's quadrilateral in a camera frame and warp it
//! to the canonical 856×540 layout.
//!
//! Method (pure Rust, no model): Otsu threshold of the grey frame → largest bright
//! 4-connected component → initial corners at its diagonal extremes → a
//! total-least-squares line per side through the boundary points of the side's
//! middle 70 % → corners at the line intersections → sanity check (aspect ratio
//! 1.50–1.67, opposite sides within 8 %). A frame that fails is refused (ask to
//! place the card flat), never read. It assumes a card brighter than its
//! background and upright (the tray fixes the orientation).

use super::geom::{warp_gray, Homography, Point};
use super::layout::{CARD_H, CARD_W};
use image::{GrayImage, Luma};
use kaonin_hal::camera::Frame;

/// The frame as a grey image (`None` for a frame whose buffer is the wrong size).
pub fn gray_frame(frame: &Frame) -> Option<GrayImage> {
    let (w, h) = (frame.width, frame.height);
    let bpp = frame.format.bytes_per_pixel();
    if frame.data.len() != (w as usize) * (h as usize) * bpp || w < 2 || h < 2 {
        return None;
    }
    Some(GrayImage::from_fn(w, h, |x, y| Luma([frame.luma(x, y)])))
}

fn otsu(img: &GrayImage) -> u8 {
    let mut hist = [0u64; 256];
    for p in img.pixels() {
        hist[p.0[0] as usize] += 1;
    }
    let total: u64 = hist.iter().sum();
    let sum_all: f64 = hist
        .iter()
        .enumerate()
        .map(|(i, &n)| i as f64 * n as f64)
        .sum();
    let (mut w0, mut sum0, mut best, mut best_t) = (0u64, 0.0f64, 0.0f64, 128u8);
    for (t, &count) in hist.iter().enumerate() {
        w0 += count;
        sum0 += t as f64 * count as f64;
        let w1 = total - w0;
        if w0 == 0 || w1 == 0 {
            continue;
        }
        let (m0, m1) = (sum0 / w0 as f64, (sum_all - sum0) / w1 as f64);
        let between = w0 as f64 * w1 as f64 * (m0 - m1).powi(2);
        if between > best {
            best = between;
            best_t = t as u8;
        }
    }
    best_t
}

/// The largest 4-connected component of `mask` as a mask of the same size.
fn largest_component(mask: &[bool], w: usize, h: usize) -> Vec<bool> {
    let mut label = vec![0u32; mask.len()];
    let (mut best, mut best_size, mut next) = (0u32, 0usize, 1u32);
    let mut stack = Vec::new();
    for start in 0..mask.len() {
        if !mask[start] || label[start] != 0 {
            continue;
        }
        let mut size = 0;
        label[start] = next;
        stack.push(start);
        while let Some(i) = stack.pop() {
            size += 1;
            let (x, y) = (i % w, i / w);
            let neighbours = [
                (x > 0).then(|| i - 1),
                (x + 1 < w).then(|| i + 1),
                (y > 0).then(|| i - w),
                (y + 1 < h).then(|| i + w),
            ];
            for j in neighbours.into_iter().flatten() {
                if mask[j] && label[j] == 0 {
                    label[j] = next;
                    stack.push(j);
                }
            }
        }
        if size > best_size {
            (best, best_size) = (next, size);
        }
        next += 1;
    }
    label.iter().map(|&l| l == best && best != 0).collect()
}

/// Fills holes: background pixels not reachable from the border become set.
fn fill_holes(mask: &mut [bool], w: usize, h: usize) {
    let mut outside = vec![false; mask.len()];
    let mut stack: Vec<usize> = (0..w)
        .flat_map(|x| [x, (h - 1) * w + x])
        .chain((0..h).flat_map(|y| [y * w, y * w + w - 1]))
        .filter(|&i| !mask[i])
        .collect();
    for &i in &stack {
        outside[i] = true;
    }
    while let Some(i) = stack.pop() {
        let (x, y) = (i % w, i / w);
        let neighbours = [
            (x > 0).then(|| i - 1),
            (x + 1 < w).then(|| i + 1),
            (y > 0).then(|| i - w),
            (y + 1 < h).then(|| i + w),
        ];
        for j in neighbours.into_iter().flatten() {
            if !mask[j] && !outside[j] {
                outside[j] = true;
                stack.push(j);
            }
        }
    }
    for (m, o) in mask.iter_mut().zip(outside) {
        *m = !o;
    }
}

/// A line `n·p = c` with unit normal `n`, fitted by total least squares.
fn fit_line(points: &[Point]) -> Option<(Point, f64)> {
    if points.len() < 5 {
        return None;
    }
    let n = points.len() as f64;
    let (mx, my) = points
        .iter()
        .fold((0.0, 0.0), |(a, b), p| (a + p.0, b + p.1));
    let (mx, my) = (mx / n, my / n);
    let (mut sxx, mut sxy, mut syy) = (0.0, 0.0, 0.0);
    for &(x, y) in points {
        let (dx, dy) = (x - mx, y - my);
        sxx += dx * dx;
        sxy += dx * dy;
        syy += dy * dy;
    }
    // Direction of largest spread; the normal is perpendicular to it.
    let angle = 0.5 * (2.0 * sxy).atan2(sxx - syy);
    let normal = (-angle.sin(), angle.cos());
    Some((normal, normal.0 * mx + normal.1 * my))
}

fn intersect(a: (Point, f64), b: (Point, f64)) -> Option<Point> {
    let ((a1, b1), c1) = a;
    let ((a2, b2), c2) = b;
    let det = a1 * b2 - a2 * b1;
    if det.abs() < 1e-9 {
        return None;
    }
    Some(((c1 * b2 - c2 * b1) / det, (a1 * c2 - a2 * c1) / det))
}

fn dist(a: Point, b: Point) -> f64 {
    ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt()
}

/// The card's corners (TL, TR, BR, BL) in frame pixels, or `None` when no
/// card-shaped quadrilateral is found.
/// Tries the Otsu threshold, then two higher ones (a bright background or glare
/// can join the card's region), then two lower ones (a dark lighting gradient can
/// cut a corner off the card). Every candidate must pass the shape check.
pub fn find_card(img: &GrayImage) -> Option<[Point; 4]> {
    let t = i32::from(otsu(img));
    [0, 20, 40, -20, -40]
        .into_iter()
        .map(|d| (t + d).clamp(1, 254) as u8)
        .find_map(|t| find_card_at(img, t))
}

fn find_card_at(img: &GrayImage, t: u8) -> Option<[Point; 4]> {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let bright: Vec<bool> = img.pixels().map(|p| p.0[0] > t).collect();
    let mut mask = largest_component(&bright, w, h);
    fill_holes(&mut mask, w, h);
    let at = |x: usize, y: usize| mask[y * w + x];
    let boundary: Vec<Point> = (1..h.saturating_sub(1))
        .flat_map(|y| (1..w.saturating_sub(1)).map(move |x| (x, y)))
        .filter(|&(x, y)| {
            at(x, y) && !(at(x - 1, y) && at(x + 1, y) && at(x, y - 1) && at(x, y + 1))
        })
        .map(|(x, y)| (x as f64, y as f64))
        .collect();
    if boundary.len() < 100 {
        return None;
    }
    let extreme = |f: &dyn Fn(Point) -> f64| {
        boundary
            .iter()
            .copied()
            .max_by(|a, b| f(*a).total_cmp(&f(*b)))
    };
    let rough = [
        extreme(&|p| -p.0 - p.1)?,
        extreme(&|p| p.0 - p.1)?,
        extreme(&|p| p.0 + p.1)?,
        extreme(&|p| -p.0 + p.1)?,
    ];
    let mut lines = Vec::with_capacity(4);
    for side in 0..4 {
        let (a, b) = (rough[side], rough[(side + 1) % 4]);
        let len = dist(a, b);
        if len < 20.0 {
            return None;
        }
        let dir = ((b.0 - a.0) / len, (b.1 - a.1) / len);
        let pts: Vec<Point> = boundary
            .iter()
            .copied()
            .filter(|&p| {
                let (dx, dy) = (p.0 - a.0, p.1 - a.1);
                let along = (dx * dir.0 + dy * dir.1) / len;
                let across = (dx * dir.1 - dy * dir.0).abs();
                (0.15..=0.85).contains(&along) && across < 10.0
            })
            .collect();
        lines.push(fit_line(&pts)?);
    }
    let mut corners = [(0.0, 0.0); 4];
    for (i, c) in corners.iter_mut().enumerate() {
        *c = intersect(lines[(i + 3) % 4], lines[i])?;
    }
    sane(&corners).then_some(corners)
}

/// Aspect ratio 1.50–1.67 and opposite sides within 8 %.
fn sane(c: &[Point; 4]) -> bool {
    let (top, right, bottom, left) = (
        dist(c[0], c[1]),
        dist(c[1], c[2]),
        dist(c[2], c[3]),
        dist(c[3], c[0]),
    );
    let within = |a: f64, b: f64| (a - b).abs() <= 0.08 * a.max(b);
    let aspect = (top + bottom) / (left + right).max(1e-9);
    within(top, bottom) && within(left, right) && (1.50..=1.67).contains(&aspect) && top > 100.0
}

/// The card warped to the canonical 856×540 size.
pub fn rectify(img: &GrayImage, corners: &[Point; 4]) -> Option<GrayImage> {
    let canon = [
        (0.0, 0.0),
        ((CARD_W - 1) as f64, 0.0),
        ((CARD_W - 1) as f64, (CARD_H - 1) as f64),
        (0.0, (CARD_H - 1) as f64),
    ];
    let h = Homography::from_points(canon, *corners)?;
    Some(warp_gray(img, &h, CARD_W, CARD_H, 255))
}

#[cfg(all(test, feature = "sim"))]
mod tests {
    use super::*;
    use crate::card_face::Date;
    use crate::sim::cardgen::{synth_card, Degradation};
    use crate::ui::font::Fonts;

    #[test]
    fn finds_synthetic_cards_within_a_few_pixels() {
        let fonts = Fonts::load(None).unwrap();
        let today = Date::new(2026, 11, 25).unwrap();
        let mut worst = 0.0f64;
        for i in 0..6 {
            let card = synth_card(&fonts, 99, i, 1, &Degradation::normal(), today);
            let cap = &card.captures[0];
            let gray = gray_frame(&cap.frame).unwrap();
            let found = find_card(&gray).expect("card found");
            for (a, b) in found.iter().zip(cap.corners) {
                worst = worst.max(dist(*a, b));
            }
        }
        assert!(worst < 5.0, "worst corner error {worst:.1} px");
    }

    #[test]
    fn an_empty_scene_has_no_card() {
        let frame = Frame::empty_scene(640, 480);
        assert_eq!(find_card(&gray_frame(&frame).unwrap()), None);
        let half = GrayImage::from_fn(640, 480, |x, _| Luma([if x < 320 { 20 } else { 230 }]));
        assert_eq!(find_card(&half), None);
    }
}
