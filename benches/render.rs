//! Rendering benchmark (`cargo bench --bench render`): font load time and memory,
//! draw time of every screen at 800×480 (first draw with a cold glyph cache, then
//! warm), and the live-preview frame rate the face screen sustains with a 640×480
//! camera frame (the daemon sends at most one frame per `PREVIEW_INTERVAL`, 66 ms, so
//! this is the headroom), and the chip's name image: decode and draw. Prints a table;
//! asserts nothing about speed.

use kaonin::flow::{Lang, ScreenId};
use kaonin::ui::{samples, Ui, UiOptions};
use kaonin_hal::camera::{Frame, PixelFormat};
use kaonin_hal::display::Framebuffer;
use std::time::{Duration, Instant};

/// Resident set size in KiB (Linux), 0 elsewhere.
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(0, |pages| pages * 4)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    let before = rss_kib();
    let start = Instant::now();
    let ui = Ui::new(800, 480, UiOptions::default()).expect("ui");
    let load = start.elapsed();
    let after = rss_kib();
    println!(
        "font + catalog load: {:.1} ms, resident memory +{} KiB",
        ms(load),
        after.saturating_sub(before)
    );

    let mut fb = Framebuffer::new(800, 480);
    println!(
        "\n{:<18} {:>8} {:>8} {:>10}",
        "screen 800x480", "cold ms", "warm ms", "layout ms"
    );
    let mut total = Duration::ZERO;
    for lang in Lang::ALL {
        for screen in samples::all(lang) {
            let t = Instant::now();
            ui.render(&screen, &mut fb);
            let cold = t.elapsed();
            let warm = median(
                (0..15)
                    .map(|_| {
                        let t = Instant::now();
                        ui.render(&screen, &mut fb);
                        t.elapsed()
                    })
                    .collect(),
            );
            let layout = median(
                (0..15)
                    .map(|_| {
                        let t = Instant::now();
                        std::hint::black_box(ui.scene(&screen));
                        t.elapsed()
                    })
                    .collect(),
            );
            total += warm;
            let name = format!("{}/{}", screen.id.as_str(), lang.as_str());
            println!(
                "{name:<18} {:>8.2} {:>8.2} {:>10.3}",
                ms(cold),
                ms(warm),
                ms(layout)
            );
        }
    }
    println!("mean warm draw: {:.2} ms", ms(total) / 30.0);
    println!(
        "glyph cache after all screens: {} KiB",
        ui.fonts().cache_bytes() / 1024
    );

    // The holder's name image, as the virtual card draws it into DF25 (PNG).
    let png = kaonin::sim::vcard::name_image::name_png("試験　花子").expect("name png");
    let t = Instant::now();
    let name = kaonin::card::NameImage::from_png(&png).expect("name image");
    let decode = t.elapsed();
    let consent = samples::sample(ScreenId::Consent, Lang::Ja);
    let extras = kaonin::ui::Extras {
        preview: None,
        name: Some(&name),
        photo: None,
    };
    ui.render_with(&consent, extras, &mut fb);
    let with_name = median(
        (0..15)
            .map(|_| {
                let t = Instant::now();
                ui.render_with(&consent, extras, &mut fb);
                t.elapsed()
            })
            .collect(),
    );
    let without = median(
        (0..15)
            .map(|_| {
                let t = Instant::now();
                ui.render(&consent, &mut fb);
                t.elapsed()
            })
            .collect(),
    );
    println!(
        "name image {}x{} ({} B PNG): decode {:.2} ms; consent 800x480 warm draw {:.2} ms with it, {:.2} ms without",
        name.width(),
        name.height(),
        png.len(),
        ms(decode),
        ms(with_name),
        ms(without)
    );

    let face = samples::sample(ScreenId::Face, Lang::Ja);
    let pixels: Vec<u8> = (0..640 * 480 * 3).map(|i| (i % 251) as u8).collect();
    for (w, h) in [(800, 480), (1024, 600)] {
        let ui = Ui::new(w, h, UiOptions::default()).expect("ui");
        let mut fb = Framebuffer::new(w, h);
        let frame = Frame::new(640, 480, PixelFormat::Rgb8, pixels.clone()).expect("frame");
        ui.render_with_preview(&face, Some(&frame), &mut fb);
        let t = Instant::now();
        let mut frames = 0u32;
        while t.elapsed() < Duration::from_secs(2) {
            ui.render_with_preview(&face, Some(&frame), &mut fb);
            frames += 1;
        }
        let fps = frames as f64 / t.elapsed().as_secs_f64();
        println!(
            "face screen live preview {w}x{h}: {fps:.1} frames/s (whole screen redrawn per frame)"
        );
    }
}
