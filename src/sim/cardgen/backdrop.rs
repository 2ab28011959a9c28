//! What the card lies on, and what else is in the picture: the counter surfaces
//! a card-face camera sees in a clinic (striped and patterned mats, wood grain,
//! grey and white desks, clutter), a hand holding the card, and a partial shadow
//! across it.
//!
//! Everything here is drawn from a few parameters, not copied from photographs:
//! it widens what the localiser is tested on, it does not stand for a real
//! counter. The plain backdrop is the original one (dark, grey or wood-coloured
//! with a gentle gradient); every other kind also draws the card's thin edge and
//! the narrow shadow it casts on the surface, as a card lying on a desk has.

use super::Rng;
use crate::card_face::geom::Point;
use image::{Rgb, RgbImage};

/// The kind of scene a card is photographed in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Backdrop {
    /// A dark, wood-coloured or grey tray with a gentle gradient (the original).
    Plain,
    /// A striped counter mat, any angle, any two colours (light stripes too).
    Stripes,
    /// A patterned mat: checks, dots or a diamond rubber pattern.
    Pattern,
    /// Wood grain, light to dark.
    Wood,
    /// A grey desk, mid to light grey, with speckle.
    GreyDesk,
    /// A white or off-white desk, about as bright as the card.
    WhiteDesk,
    /// A hand holding the card: the palm beside it, a thumb over one edge.
    Hand,
    /// A partial shadow (a person, a monitor) across card and counter.
    Shadow,
    /// Pens, sticky notes, paper and leaflets around the card.
    Clutter,
}

impl Backdrop {
    /// Every kind, the plain one first.
    pub const ALL: [Backdrop; 9] = [
        Backdrop::Plain,
        Backdrop::Stripes,
        Backdrop::Pattern,
        Backdrop::Wood,
        Backdrop::GreyDesk,
        Backdrop::WhiteDesk,
        Backdrop::Hand,
        Backdrop::Shadow,
        Backdrop::Clutter,
    ];

    /// Every kind but the plain one: the textured stress set cycles through them.
    pub const TEXTURED: &'static [Backdrop] = Backdrop::ALL.split_at(1).1;

    /// The kind's name in reports and truth files.
    pub fn name(self) -> &'static str {
        match self {
            Backdrop::Plain => "plain",
            Backdrop::Stripes => "stripes",
            Backdrop::Pattern => "pattern",
            Backdrop::Wood => "wood",
            Backdrop::GreyDesk => "grey-desk",
            Backdrop::WhiteDesk => "white-desk",
            Backdrop::Hand => "hand",
            Backdrop::Shadow => "shadow",
            Backdrop::Clutter => "clutter",
        }
    }

    /// The kind named `name` (as [`Backdrop::name`] gives it).
    pub fn from_name(name: &str) -> Option<Backdrop> {
        Backdrop::ALL.into_iter().find(|b| b.name() == name)
    }

    /// The set a name stands for: `plain`, `textured` (every other kind in turn)
    /// or one kind by its name.
    pub fn set_named(name: &str) -> Option<&'static [Backdrop]> {
        match name {
            "textured" => Some(Backdrop::TEXTURED),
            _ => {
                let i = Backdrop::ALL.iter().position(|b| b.name() == name)?;
                Some(std::slice::from_ref(&Backdrop::ALL[i]))
            }
        }
    }
}

/// The surface under the card, drawn before the card is placed on it.
pub(super) fn surface(kind: Backdrop, rng: &mut Rng, w: u32, h: u32) -> RgbImage {
    match kind {
        Backdrop::Plain => plain(rng, w, h),
        Backdrop::Stripes => stripes(rng, w, h),
        Backdrop::Pattern => pattern(rng, w, h),
        Backdrop::Wood => wood(rng, w, h),
        Backdrop::GreyDesk => desk(rng, w, h, (110.0, 200.0)),
        Backdrop::WhiteDesk => desk(rng, w, h, (215.0, 248.0)),
        Backdrop::Hand | Backdrop::Shadow => {
            let under = [Backdrop::Plain, Backdrop::Wood, Backdrop::GreyDesk];
            surface(*rng.pick(&under), rng, w, h)
        }
        Backdrop::Clutter => {
            let under = [Backdrop::Plain, Backdrop::GreyDesk, Backdrop::Wood];
            let mut img = surface(*rng.pick(&under), rng, w, h);
            clutter(&mut img, rng);
            img
        }
    }
}

/// The original tray: dark, wood-like or grey, with a diagonal gradient.
fn plain(rng: &mut Rng, w: u32, h: u32) -> RgbImage {
    let base = [
        rng.range(30.0, 130.0),
        rng.range(30.0, 115.0),
        rng.range(30.0, 100.0),
    ];
    RgbImage::from_fn(w, h, |x, y| {
        let t = (x as f64 / w as f64 + y as f64 / h as f64) * 0.5;
        let v = |b: f64| (b * (0.8 + 0.4 * t)).clamp(0.0, 255.0) as u8;
        Rgb([v(base[0]), v(base[1]), v(base[2])])
    })
}

/// A colour of brightness about `lo..hi`, slightly tinted.
fn colour(rng: &mut Rng, lo: f64, hi: f64) -> [f64; 3] {
    let v = rng.range(lo, hi);
    let tint = 0.25 * v.min(255.0 - v);
    [
        v + rng.range(-tint, tint),
        v + rng.range(-tint, tint),
        v + rng.range(-tint, tint),
    ]
}

fn rgb(c: [f64; 3]) -> Rgb<u8> {
    Rgb(c.map(|v| v.clamp(0.0, 255.0) as u8))
}

/// Two colours with at least some contrast, one of them sometimes as light as
/// the card.
fn two_colours(rng: &mut Rng) -> ([f64; 3], [f64; 3]) {
    let a = colour(rng, 20.0, 235.0);
    let mean = (a[0] + a[1] + a[2]) / 3.0;
    let b = if mean > 128.0 {
        colour(rng, 20.0, (mean - 50.0).max(25.0))
    } else {
        colour(rng, mean + 50.0, 240.0)
    };
    (a, b)
}

fn stripes(rng: &mut Rng, w: u32, h: u32) -> RgbImage {
    let (a, b) = two_colours(rng);
    let angle = rng.range(0.0, std::f64::consts::PI);
    let period = rng.range(6.0, 48.0);
    let duty = rng.range(0.3, 0.7);
    let (s, c) = angle.sin_cos();
    RgbImage::from_fn(w, h, |x, y| {
        let t = (x as f64 * c + y as f64 * s) / period;
        rgb(if t.rem_euclid(1.0) < duty { a } else { b })
    })
}

fn pattern(rng: &mut Rng, w: u32, h: u32) -> RgbImage {
    let (a, b) = two_colours(rng);
    let cell = rng.range(8.0, 40.0);
    let style = rng.below(3);
    RgbImage::from_fn(w, h, |x, y| {
        let (u, v) = (x as f64 / cell, y as f64 / cell);
        let on = match style {
            0 => (u.floor() as i64 + v.floor() as i64) % 2 == 0,
            1 => (u.fract() - 0.5).powi(2) + (v.fract() - 0.5).powi(2) < 0.09,
            _ => ((u + v).fract() - 0.5).abs() + ((u - v).rem_euclid(1.0) - 0.5).abs() < 0.35,
        };
        rgb(if on { a } else { b })
    })
}

fn wood(rng: &mut Rng, w: u32, h: u32) -> RgbImage {
    let light = rng.range(0.35, 1.0);
    let base = [
        70.0 + 150.0 * light,
        45.0 + 130.0 * light,
        25.0 + 100.0 * light,
    ];
    let angle = rng.range(-0.3, 0.3) + if rng.chance(0.5) { 0.0 } else { 1.57 };
    let (s, c) = f64::sin_cos(angle);
    let (f1, f2, wob) = (
        rng.range(0.05, 0.2),
        rng.range(0.004, 0.02),
        rng.range(4.0, 20.0),
    );
    // Any phase; kept at 6.28 (not TAU) so recorded sets keep their pixels.
    #[allow(clippy::approx_constant)]
    let phase = rng.range(0.0, 6.28);
    RgbImage::from_fn(w, h, |x, y| {
        let (u, v) = (x as f64 * c + y as f64 * s, -(x as f64) * s + y as f64 * c);
        let grain = (v * f1 + wob * (u * f2 + phase).sin()).sin();
        let ring = (grain * 0.5 + 0.5).powi(3);
        let k = 1.0 - 0.28 * ring - 0.06 * ((u * 0.7 + v * 0.05).sin() * 0.5 + 0.5);
        rgb(base.map(|b| b * k))
    })
}

fn desk(rng: &mut Rng, w: u32, h: u32, (lo, hi): (f64, f64)) -> RgbImage {
    let c = colour(rng, lo, hi);
    let speckle = rng.range(2.0, 8.0);
    let (gx, gy) = (rng.range(-0.08, 0.08), rng.range(-0.08, 0.08));
    let mut noise = Rng::new(rng.next_u64());
    RgbImage::from_fn(w, h, |x, y| {
        let k = 1.0 + gx * (x as f64 / w as f64 - 0.5) + gy * (y as f64 / h as f64 - 0.5);
        let n = noise.normal() * speckle;
        rgb(c.map(|v| v * k + n))
    })
}

/// Pens, sticky notes, a sheet of paper or a leaflet, anywhere in the frame; the
/// card is placed over them.
fn clutter(img: &mut RgbImage, rng: &mut Rng) {
    let (w, h) = (img.width() as f64, img.height() as f64);
    for _ in 0..2 + rng.below(4) {
        let centre = (rng.range(0.0, w), rng.range(0.0, h));
        let angle = rng.range(0.0, std::f64::consts::PI);
        let (size, fill) = match rng.below(4) {
            0 => (
                (rng.range(90.0, 160.0), rng.range(6.0, 12.0)),
                colour(rng, 10.0, 200.0),
            ),
            1 => (
                (rng.range(40.0, 80.0), rng.range(40.0, 80.0)),
                [
                    rng.range(200.0, 250.0),
                    rng.range(190.0, 240.0),
                    rng.range(60.0, 160.0),
                ],
            ),
            2 => (
                (rng.range(150.0, 300.0), rng.range(200.0, 320.0)),
                colour(rng, 225.0, 250.0),
            ),
            _ => (
                (rng.range(100.0, 200.0), rng.range(140.0, 260.0)),
                colour(rng, 60.0, 230.0),
            ),
        };
        fill_rotated(img, centre, size, angle, fill);
    }
}

fn fill_rotated(img: &mut RgbImage, c: Point, (a, b): (f64, f64), angle: f64, fill: [f64; 3]) {
    let (s, co) = angle.sin_cos();
    let corners = [(-a, -b), (a, -b), (a, b), (-a, b)]
        .map(|(x, y)| (c.0 + 0.5 * (x * co - y * s), c.1 + 0.5 * (x * s + y * co)));
    paint_where(img, |p| inside(&corners, p), |_| 1.0, fill);
}

/// Blends `fill` into every pixel where `mask` holds, with weight `alpha(p)`.
fn paint_where(
    img: &mut RgbImage,
    mask: impl Fn(Point) -> bool,
    alpha: impl Fn(Point) -> f64,
    fill: [f64; 3],
) {
    for (x, y, px) in img.enumerate_pixels_mut() {
        let p = (x as f64, y as f64);
        if mask(p) {
            let a = alpha(p).clamp(0.0, 1.0);
            for (v, f) in px.0.iter_mut().zip(fill) {
                *v = (*v as f64 * (1.0 - a) + f * a).clamp(0.0, 255.0) as u8;
            }
        }
    }
}

/// Whether `p` is inside the convex quadrilateral `q` (corners in order).
pub(super) fn inside(q: &[Point; 4], p: Point) -> bool {
    let side = |a: Point, b: Point| (b.0 - a.0) * (p.1 - a.1) - (b.1 - a.1) * (p.0 - a.0);
    let s = [0, 1, 2, 3].map(|i| side(q[i], q[(i + 1) % 4]));
    s.iter().all(|&v| v >= 0.0) || s.iter().all(|&v| v <= 0.0)
}

/// Scales a pixel's channels by `k` (< 1 darkens).
fn darken(px: &mut Rgb<u8>, k: f64) {
    for v in px.0.iter_mut() {
        *v = (*v as f64 * k) as u8;
    }
}

/// Signed distance of `p` from the line through `a` and `b` (positive to the left
/// of a→b in image coordinates, i.e. outside a clockwise quadrilateral).
fn side_distance(a: Point, b: Point, p: Point) -> f64 {
    let len = ((b.0 - a.0).powi(2) + (b.1 - a.1).powi(2)).sqrt().max(1e-9);
    ((b.0 - a.0) * (p.1 - a.1) - (b.1 - a.1) * (p.0 - a.0)) / -len
}

/// Distance of `p` outside the quadrilateral (0 inside), and the side it is
/// nearest to.
fn outside_distance(q: &[Point; 4], p: Point) -> (f64, usize) {
    (0..4)
        .map(|i| (side_distance(q[i], q[(i + 1) % 4], p), i))
        .fold((f64::MIN, 0), |best, d| if d.0 > best.0 { d } else { best })
}

/// The shadow the card casts on the surface: a soft dark rim on the two sides
/// away from the light, drawn before the card.
pub(super) fn cast_shadow(img: &mut RgbImage, rng: &mut Rng, card: &[Point; 4]) {
    let width = rng.range(2.0, 7.0);
    let depth = rng.range(0.2, 0.5);
    let lit = rng.below(4) as usize;
    let shaded = [(lit + 2) % 4, (lit + 3) % 4];
    for (x, y, px) in img.enumerate_pixels_mut() {
        let (d, side) = outside_distance(card, (x as f64, y as f64));
        if d <= 0.0 || d > 3.0 * width {
            continue;
        }
        let w = if shaded.contains(&side) {
            width
        } else {
            width * 0.35
        };
        let k = 1.0 - depth * (-d / w).exp();
        darken(px, k);
    }
}

/// The card's edge: a thin grey line where the card's side shows.
pub(super) fn card_edge(img: &mut RgbImage, rng: &mut Rng, card: &[Point; 4]) {
    let depth = rng.range(0.15, 0.35);
    for (x, y, px) in img.enumerate_pixels_mut() {
        let (d, _) = outside_distance(card, (x as f64, y as f64));
        if d.abs() < 1.2 {
            let k = 1.0 - depth * (1.0 - d.abs() / 1.2);
            darken(px, k);
        }
    }
}

/// Skin tones from light to dark.
fn skin(rng: &mut Rng) -> [f64; 3] {
    let t = rng.unit();
    [235.0 - 110.0 * t, 195.0 - 105.0 * t, 170.0 - 100.0 * t]
}

/// Where the hand holds the card: a point on the top edge, the upper right edge
/// or the upper left edge (away from the lines that are read, mostly), and the
/// direction into the card.
fn grip(rng: &mut Rng, card: &[Point; 4]) -> (Point, Point) {
    let lerp = |a: Point, b: Point, t: f64| (a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t);
    let (a, b, t) = match rng.below(3) {
        0 => (card[0], card[1], rng.range(0.2, 0.8)),
        1 => (card[1], card[2], rng.range(0.1, 0.5)),
        _ => (card[3], card[0], rng.range(0.5, 0.9)),
    };
    let at = lerp(a, b, t);
    let centre = lerp(
        lerp(card[0], card[1], 0.5),
        lerp(card[3], card[2], 0.5),
        0.5,
    );
    let (dx, dy) = (centre.0 - at.0, centre.1 - at.1);
    let n = (dx * dx + dy * dy).sqrt().max(1e-9);
    (at, (dx / n, dy / n))
}

/// A hand: the palm and fingers outside the card, reaching to the frame's edge,
/// drawn under the card; returns the thumb to draw over it with [`thumb`].
pub(super) fn palm(img: &mut RgbImage, rng: &mut Rng, card: &[Point; 4]) -> Thumb {
    let (at, into) = grip(rng, card);
    let tone = skin(rng);
    let reach = 400.0;
    let out = (at.0 - into.0 * reach, at.1 - into.1 * reach);
    let half = rng.range(45.0, 75.0);
    let across = (-into.1, into.0);
    let quad = [
        (at.0 + across.0 * half, at.1 + across.1 * half),
        (out.0 + across.0 * half * 1.6, out.1 + across.1 * half * 1.6),
        (out.0 - across.0 * half * 1.6, out.1 - across.1 * half * 1.6),
        (at.0 - across.0 * half, at.1 - across.1 * half),
    ];
    paint_where(img, |p| inside(&quad, p), |_| 1.0, tone);
    Thumb {
        tip: (
            at.0 + into.0 * rng.range(15.0, 45.0),
            at.1 + into.1 * rng.range(15.0, 45.0),
        ),
        base: (at.0 - into.0 * 40.0, at.1 - into.1 * 40.0),
        radius: rng.range(18.0, 28.0),
        tone,
    }
}

/// The thumb over the card's edge.
pub(super) struct Thumb {
    tip: Point,
    base: Point,
    radius: f64,
    tone: [f64; 3],
}

/// Draws the thumb (a capsule from its base outside the card to its tip on it),
/// with a soft shaded rim.
pub(super) fn thumb(img: &mut RgbImage, t: &Thumb) {
    let (a, b) = (t.base, t.tip);
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len2 = (dx * dx + dy * dy).max(1e-9);
    let dist = |p: Point| {
        let s = (((p.0 - a.0) * dx + (p.1 - a.1) * dy) / len2).clamp(0.0, 1.0);
        ((p.0 - a.0 - s * dx).powi(2) + (p.1 - a.1 - s * dy).powi(2)).sqrt()
    };
    let r = t.radius;
    let shade = t.tone.map(|v| v * 0.8);
    paint_where(
        img,
        |p| dist(p) < r,
        |p| ((r - dist(p)) / 2.0).min(1.0),
        shade,
    );
    paint_where(img, |p| dist(p) < r - 3.0, |_| 1.0, t.tone);
}

/// A partial shadow across the scene: everything on one side of a line is
/// darkened, with a soft edge.
pub(super) fn shadow(img: &mut RgbImage, rng: &mut Rng) {
    let (w, h) = (img.width() as f64, img.height() as f64);
    let through = (rng.range(0.2, 0.8) * w, rng.range(0.2, 0.8) * h);
    let angle = rng.range(0.0, std::f64::consts::TAU);
    let (s, c) = angle.sin_cos();
    let depth = rng.range(0.3, 0.55);
    let soft = rng.range(4.0, 30.0);
    for (x, y, px) in img.enumerate_pixels_mut() {
        let d = (x as f64 - through.0) * c + (y as f64 - through.1) * s;
        let k = 1.0 - depth / (1.0 + (-d / soft).exp());
        darken(px, k);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_distinct() {
        let all = Backdrop::ALL;
        for b in &all {
            assert_eq!(Backdrop::from_name(b.name()), Some(*b));
            assert_eq!(Backdrop::set_named(b.name()), Some(&[*b][..]));
        }
        assert_eq!(Backdrop::set_named("textured"), Some(Backdrop::TEXTURED));
        assert_eq!(&Backdrop::ALL[1..], Backdrop::TEXTURED);
        let names: std::collections::HashSet<_> = all.iter().map(|b| b.name()).collect();
        assert_eq!(names.len(), all.len());
        assert_eq!(Backdrop::from_name("marble"), None);
    }

    #[test]
    fn textured_surfaces_are_not_flat() {
        for kind in [Backdrop::Stripes, Backdrop::Pattern, Backdrop::Wood] {
            let img = surface(kind, &mut Rng::new(5), 200, 150);
            let lum: Vec<f64> = img.pixels().map(|p| p.0[1] as f64).collect();
            let mean = lum.iter().sum::<f64>() / lum.len() as f64;
            let var = lum.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / lum.len() as f64;
            assert!(var.sqrt() > 5.0, "{kind:?}: σ {:.1}", var.sqrt());
        }
        let white = surface(Backdrop::WhiteDesk, &mut Rng::new(5), 200, 150);
        let mean = white.pixels().map(|p| p.0[1] as f64).sum::<f64>() / 30_000.0;
        assert!(mean > 190.0, "white desk mean {mean:.0}");
    }

    #[test]
    fn the_shadow_rim_darkens_outside_the_card_only() {
        let card = [(50.0, 40.0), (150.0, 40.0), (150.0, 110.0), (50.0, 110.0)];
        let mut img = RgbImage::from_pixel(200, 150, Rgb([200, 200, 200]));
        cast_shadow(&mut img, &mut Rng::new(1), &card);
        assert_eq!(img.get_pixel(100, 75).0, [200, 200, 200]);
        let rim =
            [(100, 38), (152, 75), (100, 112), (48, 75)].map(|(x, y)| img.get_pixel(x, y).0[0]);
        assert!(rim.iter().all(|&v| v < 200), "{rim:?}");
        assert_eq!(img.get_pixel(5, 5).0, [200, 200, 200]);
    }
}
