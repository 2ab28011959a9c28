//! What the liveness classifier (`fr_liveness.onnx`) says about the images available:
//! counter frames made from the registry photos ("genuine") and the same frames put
//! through simulated re-captures (the photo shown on a phone screen, the photo
//! printed on paper).
//!
//! This is a MEASUREMENT, printed with `--nocapture`; docs/face.md keeps the figures.
//! What it can and cannot prove: the "genuine" frames are themselves digital photos of
//! photos (press and stock pictures), not live captures at a counter; the re-captures
//! are pixel simulations (moiré, gamma, bezel and glare; halftone, paper white,
//! desaturation), not a real screen or print in front of a real camera. A classifier
//! that separated these would still be unproven on real attacks; one that does not
//! separate them is at least not shown to work. The assertions check only what must
//! hold whatever the model says: every probe yields a probability in 0..=1.
//!
//! `cargo test --release --test face_liveness -- --include-ignored --nocapture`

use kaonin::face::{DetectorKind, FaceConfig};
use kaonin::face::{OnnxMatcher, RgbImage, Timings};
use std::path::PathBuf;

fn models() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models")
}

fn config() -> FaceConfig {
    FaceConfig {
        detector_model: models().join(DetectorKind::default().file_name()),
        embedder_model: models().join("fr_feature.onnx"),
        liveness_model: models().join("fr_liveness.onnx"),
        ..FaceConfig::default()
    }
}

fn open(rel: &str) -> RgbImage {
    let p = models().join("photos").join(rel);
    RgbImage::open(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// 640×480 counter frame of the largest face in `image` (face a third of the width).
fn counter(m: &OnnxMatcher, image: &RgbImage) -> Option<RgbImage> {
    let faces = m.detect(image).ok()?;
    let face = faces.iter().max_by(|a, b| a.area().total_cmp(&b.area()))?;
    let (cx, cy) = (
        face.bbox.x + face.bbox.w / 2.0,
        face.bbox.y + face.bbox.h / 2.0,
    );
    let fw = face.bbox.w * 3.0;
    let fh = fw * 0.75;
    Some(render(640, 480, |u, v| {
        let x = cx - fw / 2.0 + (u as f32 + 0.5) * fw / 640.0 - 0.5;
        let y = cy - fh / 2.0 + (v as f32 + 0.5) * fh / 480.0 - 0.5;
        image.sample(x, y, [128.0; 3])
    }))
}

fn render(w: u32, h: u32, f: impl Fn(u32, u32) -> [f32; 3]) -> RgbImage {
    let mut px = Vec::with_capacity((w * h * 3) as usize);
    for v in 0..h {
        for u in 0..w {
            px.extend(f(u, v).map(|c| c.round().clamp(0.0, 255.0) as u8));
        }
    }
    RgbImage::new(w, h, px).unwrap()
}

/// The frame shown on a phone held up to the camera: the picture at 85 % inside a
/// black bezel on the counter background, RGB sub-pixel moiré, display gamma and
/// a diagonal glare.
fn screen(frame: &RgbImage) -> RgbImage {
    let k = 0.85;
    let (w, h) = (640.0, 480.0);
    let (x0, y0) = (w * (1.0 - k) / 2.0, h * (1.0 - k) / 2.0);
    render(640, 480, |u, v| {
        let (x, y) = (u as f32, v as f32);
        let inside = x >= x0 && x < w - x0 && y >= y0 && y < h - y0;
        let bezel = x >= x0 - 18.0 && x < w - x0 + 18.0 && y >= y0 - 18.0 && y < h - y0 + 18.0;
        if !bezel {
            return [150.0, 140.0, 120.0];
        }
        if !inside {
            return [12.0, 12.0, 14.0];
        }
        let p = frame.sample((x - x0) / k, (y - y0) / k, [0.0; 3]);
        let glare = 40.0 * (1.0 - ((x - y) / 300.0).abs()).max(0.0);
        let mut out = [0.0; 3];
        for c in 0..3 {
            let phase = (u as f32 + c as f32) * std::f32::consts::TAU / 3.0;
            let moire = 1.0 + 0.12 * phase.sin() * (0.5 + 0.5 * (y * 0.21).sin());
            let gamma = 255.0 * (p[c] / 255.0).powf(0.85);
            out[c] = gamma * moire + glare;
        }
        out
    })
}

/// The frame printed on paper and held up: washed-out colour, paper white and ink
/// black, an ordered halftone pattern, a white paper border.
fn print(frame: &RgbImage) -> RgbImage {
    const BAYER: [[f32; 4]; 4] = [
        [0.0, 8.0, 2.0, 10.0],
        [12.0, 4.0, 14.0, 6.0],
        [3.0, 11.0, 1.0, 9.0],
        [15.0, 7.0, 13.0, 5.0],
    ];
    let k = 0.9;
    let (w, h) = (640.0, 480.0);
    let (x0, y0) = (w * (1.0 - k) / 2.0, h * (1.0 - k) / 2.0);
    render(640, 480, |u, v| {
        let (x, y) = (u as f32, v as f32);
        let inside = x >= x0 && x < w - x0 && y >= y0 && y < h - y0;
        let paper = x >= x0 - 14.0 && x < w - x0 + 14.0 && y >= y0 - 14.0 && y < h - y0 + 14.0;
        if !paper {
            return [90.0, 95.0, 100.0];
        }
        if !inside {
            return [235.0, 232.0, 225.0];
        }
        let p = frame.sample((x - x0) / k, (y - y0) / k, [0.0; 3]);
        let grey = 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
        let dither = (BAYER[(v % 4) as usize][(u % 4) as usize] / 16.0 - 0.5) * 24.0;
        let mut out = [0.0; 3];
        for c in 0..3 {
            let washed = grey + 0.6 * (p[c] - grey);
            out[c] = 28.0 + washed * (228.0 - 28.0) / 255.0 + dither;
        }
        out
    })
}

#[test]
#[ignore = "needs models: scripts/fetch-models.sh"]
fn liveness_on_genuine_frames_and_simulated_recaptures() {
    let mut c = config();
    c.detector_width = 960;
    c.detector_height = 960;
    let photos = OnnxMatcher::from_config(&c).unwrap();
    let mut c = config();
    c.liveness = true;
    c.liveness_threshold = 0.0; // measure, never refuse
    let counter_matcher = OnnxMatcher::from_config(&c).unwrap();

    let sources = [
        "face_recognition/obama.jpg",
        "face_recognition/obama2.jpg",
        "face_recognition/obama3.jpg",
        "face_recognition/biden.jpg",
        "nsface/test_3ddfa.jpg",
        "insightface/t1.jpg",
        "face-api/sample1.jpg",
        "face-api/sample2.jpg",
        "face-api/sample3.jpg",
        "face-api/sample4.jpg",
        "face-api/sample5.jpg",
        "face-api/sample6.jpg",
        "nsface/01.jpg",
    ];
    let mut table: Vec<(&str, [Option<f32>; 3])> = Vec::new();
    for src in sources {
        let Some(frame) = counter(&photos, &open(src)) else {
            continue;
        };
        let mut row = [None; 3];
        for (i, probe) in [frame.clone(), screen(&frame), print(&frame)]
            .iter()
            .enumerate()
        {
            let mut t = Timings::default();
            let (_, _, live) = counter_matcher.probe(probe, &mut t).unwrap();
            if let Some(p) = live {
                assert!((0.0..=1.0).contains(&p), "{src}: {p}");
            }
            row[i] = live;
        }
        table.push((src, row));
    }
    let fmt = |p: Option<f32>| p.map_or("  (no face)".to_string(), |p| format!("{p:11.3}"));
    eprintln!("liveness P(live), class {}:", c.liveness_class);
    eprintln!(
        "{:32} {:>11} {:>11} {:>11}",
        "source", "genuine", "screen", "print"
    );
    for (src, [g, s, p]) in &table {
        eprintln!("{src:32} {} {} {}", fmt(*g), fmt(*s), fmt(*p));
    }
    let column = |i: usize| -> Vec<f32> { table.iter().filter_map(|(_, r)| r[i]).collect() };
    for (i, name) in ["genuine", "screen", "print"].iter().enumerate() {
        let v = column(i);
        let mean = v.iter().sum::<f32>() / v.len().max(1) as f32;
        let min = v.iter().copied().fold(f32::INFINITY, f32::min);
        let max = v.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let above = v.iter().filter(|p| **p >= 0.5).count();
        eprintln!(
            "{name:8} n={:2} mean {mean:.3} min {min:.3} max {max:.3}  >=0.5: {above}/{}",
            v.len(),
            v.len()
        );
    }
    assert!(
        column(0).len() >= 8,
        "most genuine frames reached the classifier"
    );
}
