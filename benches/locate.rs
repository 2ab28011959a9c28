//! Card localisation by backdrop kind (not a test): for every kind of
//! `kaonin::sim::cardgen::Backdrop`, `KAONIN_LOCATE_CARDS` cards (default 40) ×
//! 3 captures (seed 5150, normal setting) through `find_card` alone; prints the
//! share of frames with an outline found, with every corner within 4 px of the
//! truth, the signed offset of the sides (p10/p50/p90, px, negative: inside the
//! card) and the time per frame (median, p99; one thread).
//!
//! `cargo bench --bench locate`; `KAONIN_LOCATE_KINDS=stripes,hand` limits the
//! kinds; `KAONIN_LOCATE_DUMP=DIR` writes every frame found more than 4 px off (or
//! not at all) as PNG with the outline drawn in red.

use kaonin::card_face::locate::{find_card, gray_frame};
use kaonin::card_face::Date;
use kaonin::sim::cardgen::{synth_card, Backdrop, Capture, Degradation};
use kaonin::ui::font::Fonts;
use std::time::Instant;

mod common;
use common::print_stats;

type Point = (f64, f64);

const SEED: u64 = 5150;

fn dist(a: Point, b: Point) -> f64 {
    ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt()
}

/// How far side `i` of `found` lies outside the same side of `truth` (px,
/// negative: inside), at the side's middle.
fn side_offset(truth: &[Point; 4], found: &[Point; 4], i: usize) -> f64 {
    let (a, b) = (truth[i], truth[(i + 1) % 4]);
    let len = dist(a, b);
    let inward = (-(b.1 - a.1) / len, (b.0 - a.0) / len);
    let (c, d) = (found[i], found[(i + 1) % 4]);
    let mid = ((c.0 + d.0) / 2.0 - a.0, (c.1 + d.1) / 2.0 - a.1);
    -(mid.0 * inward.0 + mid.1 * inward.1)
}

/// Writes `cap` with the outline `got` drawn in red.
fn dump(dir: &str, name: &str, cap: &Capture, got: Option<[Point; 4]>) {
    let frame = &cap.frame;
    let Some(mut img) = image::RgbImage::from_raw(frame.width, frame.height, frame.data.to_vec())
    else {
        return;
    };
    if let Some(q) = got {
        for i in 0..4 {
            let (a, b) = (q[i], q[(i + 1) % 4]);
            for k in 0..=400 {
                let t = f64::from(k) / 400.0;
                let (x, y) = (a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t);
                if let Some(p) = img.get_pixel_mut_checked(x as u32, y as u32) {
                    *p = image::Rgb([255, 0, 0]);
                }
            }
        }
    }
    let _ = std::fs::create_dir_all(dir);
    let _ = img.save(format!("{dir}/{name}.png"));
}

fn main() {
    let fonts = Fonts::load(None).expect("fonts");
    let today = Date::new(2026, 11, 25).expect("date");
    let cards: u64 = std::env::var("KAONIN_LOCATE_CARDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40);
    let only = std::env::var("KAONIN_LOCATE_KINDS").unwrap_or_default();
    let dump_dir = std::env::var("KAONIN_LOCATE_DUMP").ok();
    println!("{cards} cards x 3 captures per kind, seed {SEED}");
    for kind in Backdrop::ALL {
        if !only.is_empty() && !only.split(',').any(|k| k == kind.name()) {
            continue;
        }
        let deg = Degradation {
            backdrops: Backdrop::set_named(kind.name()).expect("every kind has a set"),
            ..Degradation::normal()
        };
        let (mut found, mut close, mut total) = (0usize, 0usize, 0usize);
        let mut offsets = Vec::new();
        let mut times = Vec::new();
        for i in 0..cards {
            let card = synth_card(&fonts, SEED, i, 3, &deg, today);
            for (k, cap) in card.captures.iter().enumerate() {
                let Some(gray) = gray_frame(&cap.frame) else {
                    continue;
                };
                let start = Instant::now();
                let got = find_card(&gray);
                times.push(start.elapsed());
                total += 1;
                let err = got.map(|c| {
                    c.iter()
                        .zip(cap.corners)
                        .map(|(a, b)| dist(*a, b))
                        .fold(0.0, f64::max)
                });
                if let Some(q) = got {
                    found += 1;
                    offsets.extend((0..4).map(|s| side_offset(&cap.corners, &q, s)));
                }
                if err.is_some_and(|e| e < 4.0) {
                    close += 1;
                } else if let Some(dir) = &dump_dir {
                    println!("  {}-{i}-{k}: corner error {err:.1?} px", kind.name());
                    dump(dir, &format!("{}-{i}-{k}", kind.name()), cap, got);
                }
            }
        }
        offsets.sort_by(f64::total_cmp);
        let at = |q: f64| {
            offsets
                .get((q * offsets.len() as f64) as usize)
                .copied()
                .unwrap_or(f64::NAN)
        };
        let pct = |n: usize| 100.0 * n as f64 / total.max(1) as f64;
        println!(
            "{:<11} found {:5.1} %  within 4 px {:5.1} %  side offset p10 {:.1} p50 {:.1} p90 {:.1} px  ({total} frames)",
            kind.name(),
            pct(found),
            pct(close),
            at(0.1),
            at(0.5),
            at(0.9),
        );
        print_stats("  locate", &mut times);
    }
}
