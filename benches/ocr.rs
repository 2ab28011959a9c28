//! Card-face reading benchmark (not a test): per frame, single-threaded,
//! localisation (grey conversion, card search, warp to 856×540) and recognition
//! (three field crops through PP-OCRv5 in tract), median and p99 over 90 synthetic
//! 640×480 captures (30 cards × 3, normal setting); plus model load time and the
//! resident memory the loaded recogniser adds, and the peak.
//!
//! Needs the model: `scripts/fetch-ocr-model.sh`, then `cargo bench --bench ocr`.

use kaonin::card_face::{CardFaceReader, Date};
use kaonin::sim::cardgen::{synth_card, Degradation};
use kaonin::ui::font::Fonts;
use kaonin_hal::camera::Frame;
use std::path::PathBuf;
use std::time::Instant;

mod common;
use common::{ms, print_stats, status_kib};

const CARDS: u64 = 30;
const FRAMES: usize = 3;
const SEED: u64 = 8080;

fn main() {
    let models = std::env::var_os("KAONIN_MODELS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models"));
    if !models.join("ocr/ppocrv5-rec.onnx").exists() {
        eprintln!(
            "ocr bench: model missing in {}: run scripts/fetch-ocr-model.sh",
            models.display()
        );
        return;
    }
    let today = Date::new(2026, 11, 25).expect("date");
    let fonts = Fonts::load(None).expect("fonts");
    let frames: Vec<Frame> = (0..CARDS)
        .flat_map(|i| {
            synth_card(&fonts, SEED, i, FRAMES, &Degradation::normal(), today)
                .captures
                .into_iter()
                .map(|c| c.frame)
        })
        .collect();

    let rss_before = status_kib("VmRSS:");
    let t = Instant::now();
    let reader = CardFaceReader::load(&models).expect("model loads");
    let load = t.elapsed();
    let rss_loaded = status_kib("VmRSS:");

    // One warm-up frame (first-run allocations), not counted.
    let _ = reader.read_frame_timed(&frames[0]);
    let mut locate = Vec::new();
    let mut recognise = Vec::new();
    let mut total = Vec::new();
    let mut no_card = 0;
    for frame in &frames {
        let t = Instant::now();
        let (text, timing) = reader.read_frame_timed(frame);
        total.push(t.elapsed());
        locate.push(timing.locate);
        if text.is_ok() {
            recognise.push(timing.recognise);
        } else {
            no_card += 1;
        }
    }
    let rss_after = status_kib("VmRSS:");

    println!(
        "ocr bench: PP-OCRv5 mobile rec in tract-onnx, 1 thread, {} frames 640x480 ({CARDS} cards x {FRAMES}, seed {SEED}, normal setting)",
        frames.len()
    );
    println!(
        "model load (one 384-wide plan, optimise): {:.1} ms",
        ms(load)
    );
    let kib = |v: Option<u64>| {
        v.map_or("unknown".to_string(), |k| {
            format!("{:.1} MB", k as f64 / 1024.0)
        })
    };
    println!(
        "RSS before load {}, after load {}, after reading {} (added by the recogniser: {})",
        kib(rss_before),
        kib(rss_loaded),
        kib(rss_after),
        match (rss_before, rss_after) {
            (Some(a), Some(b)) => format!("{:.1} MB", b.saturating_sub(a) as f64 / 1024.0),
            _ => "unknown".into(),
        }
    );
    println!(
        "peak RSS (VmHWM, incl. the generated frames): {}",
        kib(status_kib("VmHWM:"))
    );
    println!("frames without a card found: {no_card}");
    print_stats("localise", &mut locate);
    print_stats("recognise", &mut recognise);
    print_stats("frame", &mut total);
}
