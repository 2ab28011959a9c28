//! Card localisation: find the card's quadrilateral in a camera frame and warp it
//! to the canonical 856×540 layout.
//!
//! Method (pure Rust, no model). A card lies on a plain tray, a striped or
//! patterned mat, wood, a grey or white desk, among clutter, in a hand or half
//! in shadow, so no single cut finds it everywhere; several cuts each propose a
//! region and the edges decide ([`find_card`]):
//!
//! 1. **Cuts** (`CUTS`): pixels above Otsu's threshold (and ±20/40 grey
//!    levels: glare, a bright tray, a dark gradient), the same opened by 6–24 px
//!    (cuts light stripes, checks and clutter off the card), and the region a
//!    closed contour of edges encloses (a card on a desk as bright as itself,
//!    found by its edge and the shadow it casts). Each region is its largest
//!    4-connected component with the holes filled.
//! 2. **Rough outline**: corners at the region's diagonal extremes, then a robust
//!    total-least-squares line per side through the boundary points of the
//!    side's middle 70 %, corners at the line intersections.
//! 3. **Refine** (twice): each side moved onto the strongest grey-level step
//!    within 8 px of it (a thumb or a stripe's end is dropped by the robust fit).
//! 4. **Check**: card-shaped (aspect 1.50–1.67, opposite sides within 12 %), and
//!    supported (`support`): along every side, grey-level steps at ≥ 45 % of the points
//!    and a plain margin just inside it (a side drawn through a mat is not). The
//!    first candidate supported along ≥ 85 % of its outline is taken, else the
//!    best supported one.
//!
//! A frame with no candidate is refused (ask to place the card flat), never
//! read; a wrong outline gives crops that fail the reader's checks (two frames
//! must agree). It assumes an upright card (the tray fixes the orientation).

use super::geom::{warp_gray, Homography, Point};
use super::layout::{CARD_H, CARD_W};
use super::masks::{self, fill_holes};
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

/// How a candidate region for the card is cut out of the frame.
#[derive(Clone, Copy, Debug)]
enum Cut {
    /// Pixels brighter than Otsu's threshold + `offset`, opened by `open` px.
    Bright { offset: i32, open: usize },
    /// The region a closed contour of edges encloses, opened by `open` px.
    Enclosed { open: usize },
}

/// The cuts, in the order they are tried. The first five are the original
/// method (Otsu, then higher thresholds for glare or a bright tray joining the
/// card, then lower ones for a dark gradient cutting a corner off); openings cut
/// light stripes, checks and clutter off the card; the enclosed region finds a
/// card on a desk as bright as itself by its edge and the shadow it casts.
const CUTS: [Cut; 12] = [
    Cut::Bright { offset: 0, open: 0 },
    Cut::Bright {
        offset: 20,
        open: 0,
    },
    Cut::Bright {
        offset: 40,
        open: 0,
    },
    Cut::Bright {
        offset: -20,
        open: 0,
    },
    Cut::Bright {
        offset: -40,
        open: 0,
    },
    Cut::Bright { offset: 0, open: 6 },
    Cut::Bright {
        offset: 0,
        open: 14,
    },
    Cut::Bright {
        offset: 20,
        open: 14,
    },
    Cut::Enclosed { open: 3 },
    Cut::Enclosed { open: 10 },
    Cut::Bright {
        offset: -20,
        open: 14,
    },
    Cut::Bright {
        offset: 0,
        open: 24,
    },
];

/// A side is supported where the grey level steps by at least this much across it.
const EDGE_STEP: f32 = 10.0;
/// A quadrilateral this well supported by edges is taken at once.
const CONFIDENT: f64 = 0.85;
/// The least support every side must have for a quadrilateral to be the card.
const SIDE_SUPPORT: f64 = 0.45;

/// The card's corners (TL, TR, BR, BL) in frame pixels, or `None` when no
/// card-shaped quadrilateral is found.
///
/// Each [`Cut`] gives a candidate region; its boundary gives four side lines,
/// which are then moved (twice) onto the strongest grey-level step near them. A
/// candidate must be card-shaped and have edges along every side; the first with
/// edges along nearly all of its outline is taken, else the best supported one.
pub fn find_card(img: &GrayImage) -> Option<[Point; 4]> {
    if img.width() < 16 || img.height() < 16 {
        return None;
    }
    let smooth = Smooth::new(img);
    let otsu = i32::from(masks::otsu(img));
    let mut best: Option<([Point; 4], f64)> = None;
    for cut in CUTS {
        let Some(mask) = cut_mask(img, &smooth, otsu, cut) else {
            continue;
        };
        let (w, h) = (img.width() as usize, img.height() as usize);
        let Some(rough) = quad_of_mask(&mask, w, h) else {
            continue;
        };
        let once = refine(&smooth, &rough);
        let twice = once.and_then(|q| refine(&smooth, &q));
        let quad = [Some(rough), once, twice]
            .into_iter()
            .flatten()
            .filter(sane)
            .map(|q| (q, support(&smooth, &q)))
            .max_by(|a, b| a.1.total_cmp(&b.1));
        let Some((quad, score)) = quad else {
            continue;
        };
        if score >= CONFIDENT {
            return Some(quad);
        }
        if score > best.map_or(0.0, |b| b.1) {
            best = Some((quad, score));
        }
    }
    best.filter(|b| b.1 > 0.0).map(|b| b.0)
}

/// The candidate region of `cut`, its holes filled.
fn cut_mask(img: &GrayImage, smooth: &Smooth, otsu: i32, cut: Cut) -> Option<Vec<bool>> {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let (raw, r) = match cut {
        Cut::Bright { offset, open } => {
            let t = (otsu + offset).clamp(1, 254) as u8;
            (img.pixels().map(|p| p.0[0] > t).collect(), open)
        }
        Cut::Enclosed { open } => (masks::enclosed(smooth.edges(), w, h), open),
    };
    let raw = if r > 0 {
        masks::open(&raw, w, h, r)
    } else {
        raw
    };
    let mut mask = masks::largest_component(&raw, w, h);
    fill_holes(&mut mask, w, h);
    mask.iter().any(|&m| m).then_some(mask)
}

/// Four side lines through the boundary of the region `mask`, as corners.
fn quad_of_mask(mask: &[bool], w: usize, h: usize) -> Option<[Point; 4]> {
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
    let mut lines = [((0.0, 0.0), 0.0); 4];
    for (side, line) in lines.iter_mut().enumerate() {
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
        *line = fit_robust(&pts)?;
    }
    corners_of(&lines)
}

/// The corners where consecutive side lines (top, right, bottom, left) meet.
fn corners_of(lines: &[(Point, f64); 4]) -> Option<[Point; 4]> {
    let mut corners = [(0.0, 0.0); 4];
    for (i, c) in corners.iter_mut().enumerate() {
        *c = intersect(lines[(i + 3) % 4], lines[i])?;
    }
    Some(corners)
}

/// A line fitted to `points`, refitted twice without the points more than 2 px
/// off it (a thumb over the edge, a stripe's end, a notch in the region).
fn fit_robust(points: &[Point]) -> Option<(Point, f64)> {
    let mut line = fit_line(points)?;
    for _ in 0..2 {
        let ((nx, ny), c) = line;
        let kept: Vec<Point> = points
            .iter()
            .copied()
            .filter(|p| (nx * p.0 + ny * p.1 - c).abs() <= 2.0)
            .collect();
        if kept.len() < points.len() / 3 {
            break;
        }
        line = fit_line(&kept)?;
    }
    Some(line)
}

/// The grey frame smoothed (binomial 5×5, about σ 1) as floats, for sampling
/// edges between pixels.
struct Smooth {
    w: usize,
    h: usize,
    v: Vec<f32>,
    /// The edge map, made by the first cut that needs it.
    edges: std::cell::OnceCell<Vec<bool>>,
}

impl Smooth {
    fn new(img: &GrayImage) -> Smooth {
        let (w, h) = (img.width() as usize, img.height() as usize);
        let raw: Vec<f32> = img.pixels().map(|p| f32::from(p.0[0])).collect();
        let k = [1.0f32, 4.0, 6.0, 4.0, 1.0];
        let pass = |src: &[f32], dx: usize, dy: usize| -> Vec<f32> {
            (0..w * h)
                .map(|i| {
                    let (x, y) = ((i % w) as i64, (i / w) as i64);
                    let mut acc = 0.0;
                    for (j, kj) in k.iter().enumerate() {
                        let o = j as i64 - 2;
                        let sx = (x + o * dx as i64).clamp(0, w as i64 - 1) as usize;
                        let sy = (y + o * dy as i64).clamp(0, h as i64 - 1) as usize;
                        acc += kj * src[sy * w + sx];
                    }
                    acc / 16.0
                })
                .collect()
        };
        let v = pass(&pass(&raw, 1, 0), 0, 1);
        Smooth {
            w,
            h,
            v,
            edges: std::cell::OnceCell::new(),
        }
    }

    /// Bilinear sample at `p` (`None` outside the frame).
    fn at(&self, (x, y): Point) -> Option<f32> {
        if !(x >= 0.0 && y >= 0.0 && x <= (self.w - 1) as f64 && y <= (self.h - 1) as f64) {
            return None;
        }
        let (x0, y0) = (x.floor() as usize, y.floor() as usize);
        let (x1, y1) = ((x0 + 1).min(self.w - 1), (y0 + 1).min(self.h - 1));
        let (fx, fy) = ((x - x0 as f64) as f32, (y - y0 as f64) as f32);
        let v = |x: usize, y: usize| self.v[y * self.w + x];
        let top = v(x0, y0) * (1.0 - fx) + v(x1, y0) * fx;
        let bottom = v(x0, y1) * (1.0 - fx) + v(x1, y1) * fx;
        Some(top * (1.0 - fy) + bottom * fy)
    }

    /// The grey-level step across `p` along the unit vector `n`.
    fn step(&self, p: Point, n: Point) -> f32 {
        let a = self.at((p.0 + 1.5 * n.0, p.1 + 1.5 * n.1));
        let b = self.at((p.0 - 1.5 * n.0, p.1 - 1.5 * n.1));
        a.zip(b).map_or(0.0, |(a, b)| (a - b).abs())
    }

    /// Edge pixels: where the smoothed gradient is at least [`EDGE_STEP`] / 2
    /// per pixel and at least three times the frame's median gradient (made
    /// once per frame).
    fn edges(&self) -> &[bool] {
        self.edges.get_or_init(|| self.edge_map())
    }

    fn edge_map(&self) -> Vec<bool> {
        let (w, h) = (self.w, self.h);
        let grad: Vec<f32> = (0..w * h)
            .map(|i| {
                let (x, y) = (i % w, i / w);
                if x == 0 || y == 0 || x + 1 == w || y + 1 == h {
                    return 0.0;
                }
                let gx = self.v[i + 1] - self.v[i - 1];
                let gy = self.v[i + w] - self.v[i - w];
                gx.abs().max(gy.abs())
            })
            .collect();
        let mut sorted = grad.clone();
        let mid = sorted.len() / 2;
        let median = *sorted.select_nth_unstable_by(mid, f32::total_cmp).1;
        let t = (EDGE_STEP / 2.0).max(3.0 * median);
        let edges: Vec<bool> = grad.iter().map(|&g| g >= t).collect();
        masks::dilate(&edges, w, h, 1)
    }
}

/// Points along side `i` of `quad`, from 10 % to 90 % of its length, every
/// `spacing` px, with the side's unit normal.
fn side_samples(quad: &[Point; 4], i: usize, spacing: f64) -> (Vec<Point>, Point) {
    let (a, b) = (quad[i], quad[(i + 1) % 4]);
    let len = dist(a, b).max(1e-9);
    let dir = ((b.0 - a.0) / len, (b.1 - a.1) / len);
    let n = (-dir.1, dir.0);
    let count = (len * 0.8 / spacing).max(1.0) as usize;
    let points = (0..=count)
        .map(|k| {
            let t = 0.1 + 0.8 * k as f64 / count as f64;
            (a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t)
        })
        .collect();
    (points, n)
}

/// How far inside a side the card's margin is sampled (px): clear of the edge's
/// blur and shadow, short of the printed fields.
const MARGIN_IN: f64 = 5.0;

/// The card's margin along side `i`: the grey level [`MARGIN_IN`] px inside the
/// side at each sample point (the normal of a clockwise outline points inward).
fn margin(smooth: &Smooth, points: &[Point], n: Point) -> Vec<f32> {
    points
        .iter()
        .filter_map(|p| smooth.at((p.0 + MARGIN_IN * n.0, p.1 + MARGIN_IN * n.1)))
        .collect()
}

/// Each side moved onto the strongest grey-level step within 8 px of it, through
/// a robust line; `None` when a side finds steps at under a third of its points.
fn refine(smooth: &Smooth, quad: &[Point; 4]) -> Option<[Point; 4]> {
    let mut lines = [((0.0, 0.0), 0.0); 4];
    for (i, line) in lines.iter_mut().enumerate() {
        let (points, n) = side_samples(quad, i, 4.0);
        let found: Vec<Point> = points
            .iter()
            .filter_map(|&p| {
                let (step, t) = (-16..=16)
                    .map(|k| {
                        (
                            p.0 + f64::from(k) * 0.5 * n.0,
                            p.1 + f64::from(k) * 0.5 * n.1,
                        )
                    })
                    .map(|q| (smooth.step(q, n), q))
                    .max_by(|a, b| a.0.total_cmp(&b.0))?;
                (step >= EDGE_STEP).then_some(t)
            })
            .collect();
        if found.len() < points.len() / 3 {
            return None;
        }
        *line = fit_robust(&found)?;
    }
    corners_of(&lines)
}

/// How well `quad` looks like a card's outline: per side, the share of points
/// with a grey-level step of at least [`EDGE_STEP`] within 1.5 px, and the share
/// of neighbouring margin samples within 30 grey levels of each other (a card's
/// margin is plain; a side drawn through a mat or a pattern is not). 0 if any
/// side has under [`SIDE_SUPPORT`] of either, else the mean of the smaller share
/// over the sides.
fn support(smooth: &Smooth, quad: &[Point; 4]) -> f64 {
    let mut total = 0.0;
    for i in 0..4 {
        let (points, n) = side_samples(quad, i, 6.0);
        let hit = points
            .iter()
            .filter(|&&p| {
                (-3..=3).any(|k| {
                    let t = f64::from(k) * 0.5;
                    smooth.step((p.0 + t * n.0, p.1 + t * n.1), n) >= EDGE_STEP
                })
            })
            .count();
        let edge = hit as f64 / points.len() as f64;
        let inner = margin(smooth, &points, n);
        let plain = inner
            .windows(2)
            .filter(|w| (w[1] - w[0]).abs() < 30.0)
            .count() as f64
            / inner.len().saturating_sub(1).max(1) as f64;
        let share = edge.min(plain);
        if share < SIDE_SUPPORT {
            return 0.0;
        }
        total += share;
    }
    total / 4.0
}

/// Aspect ratio 1.50–1.67 and opposite sides within 12 %.
fn sane(c: &[Point; 4]) -> bool {
    let (top, right, bottom, left) = (
        dist(c[0], c[1]),
        dist(c[1], c[2]),
        dist(c[2], c[3]),
        dist(c[3], c[0]),
    );
    let within = |a: f64, b: f64| (a - b).abs() <= 0.12 * a.max(b);
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

    /// Two cards on every textured backdrop: at least 14 of the 16 are found
    /// with every corner within 5 px (measured on 48 captures per kind: 81–100 %
    /// within 4 px, see docs/ocr.md).
    #[test]
    fn finds_cards_on_textured_counters() {
        use crate::sim::cardgen::Backdrop;
        let fonts = Fonts::load(None).unwrap();
        let today = Date::new(2026, 11, 25).unwrap();
        let deg = Degradation::textured();
        let mut misses = Vec::new();
        for i in 0..2 * Backdrop::TEXTURED.len() as u64 {
            let card = synth_card(&fonts, 1206, i, 1, &deg, today);
            for cap in &card.captures {
                let found = find_card(&gray_frame(&cap.frame).unwrap());
                let err = found.map(|c| {
                    c.iter()
                        .zip(cap.corners)
                        .map(|(a, b)| dist(*a, b))
                        .fold(0.0, f64::max)
                });
                if !err.is_some_and(|e| e < 5.0) {
                    misses.push((card.backdrop.name(), err));
                }
            }
        }
        assert!(misses.len() <= 2, "{misses:?}");
    }

    #[test]
    fn an_empty_scene_has_no_card() {
        let frame = Frame::empty_scene(640, 480);
        assert_eq!(find_card(&gray_frame(&frame).unwrap()), None);
        let half = GrayImage::from_fn(640, 480, |x, _| Luma([if x < 320 { 20 } else { 230 }]));
        assert_eq!(find_card(&half), None);
        for (w, h) in [(0, 0), (1, 480), (640, 1), (15, 15)] {
            assert_eq!(find_card(&GrayImage::new(w, h)), None);
        }
    }
}
