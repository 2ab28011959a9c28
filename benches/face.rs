//! Face pipeline benchmark (not a test): per-attempt latency on one thread, split into
//! decode / detect / quality / align / embed / compare, median and p99 over 100 attempts
//! on a 640×480 MJPEG-style frame, plus model load time, enrolment time and peak RSS.
//!
//! Needs the models: `scripts/fetch-models.sh`, then `cargo bench --bench face`.
//! `KAONIN_BENCH_LIVENESS=1` also runs the liveness classifier;
//! `KAONIN_BENCH_DETECTOR=WxH` sets the detector input (default: the config's);
//! `KAONIN_FACE_DETECTOR=yunet` (or `centerface`) picks the detector;
//! `KAONIN_FACE_EMBEDDER=dlib` runs the dlib ResNet (`scripts/fetch-models.sh --dlib`)
//! in place of `fr_feature`;
//! `KAONIN_FACE_RUNTIME=ort` runs the models on ONNX Runtime (needs
//! `--features ort` and `scripts/fetch-onnxruntime.sh`).

use kaonin::face::{DetectorKind, FaceConfig, FaceRuntime};
use kaonin::face::{FaceMatcher, OnnxMatcher, RgbImage, Timings};
use kaonin::sim::photos::{simulate_chip, simulate_counter};
use kaonin_hal::camera::{Frame, PixelFormat};
use std::path::PathBuf;
use std::time::{Duration, Instant};

mod common;
use common::{ms, print_stats, status_kib, thread_cpu};

const ATTEMPTS: usize = 100;

fn main() {
    let models = std::env::var_os("KAONIN_MODELS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models"));
    let mut config = FaceConfig {
        detector_model: models.join(DetectorKind::default().file_name()),
        embedder_model: models.join("fr_feature.onnx"),
        liveness_model: models.join("fr_liveness.onnx"),
        liveness: std::env::var_os("KAONIN_BENCH_LIVENESS").is_some(),
        onnxruntime_library: models.join("libonnxruntime.so.1.32.0"),
        ..FaceConfig::default()
    };
    match std::env::var("KAONIN_FACE_DETECTOR").as_deref() {
        Ok("yunet") => config.detector = DetectorKind::Yunet,
        Ok("centerface") => config.detector = DetectorKind::Centerface,
        _ => {}
    }
    config.detector_model = models.join(config.detector.file_name());
    if std::env::var("KAONIN_FACE_EMBEDDER").as_deref() == Ok("dlib") {
        config.use_dlib_embedder(models.join("dlib_resnet_v1.onnx"));
    }

    if std::env::var("KAONIN_FACE_RUNTIME").as_deref() == Ok("ort") {
        config.runtime = FaceRuntime::Ort;
    }
    if let Ok(size) = std::env::var("KAONIN_BENCH_DETECTOR") {
        let (w, h) = size
            .split_once('x')
            .and_then(|(w, h)| Some((w.parse().ok()?, h.parse().ok()?)))
            .expect("KAONIN_BENCH_DETECTOR=WxH");
        config.detector_width = w;
        config.detector_height = h;
    }
    if !config.detector_model.exists() {
        eprintln!(
            "face bench: models missing in {}: run scripts/fetch-models.sh",
            models.display()
        );
        return;
    }

    let t = Instant::now();
    let mut matcher = OnnxMatcher::from_config(&config).expect("models load");
    let load = t.elapsed();

    let photos = models.join("photos/face_recognition");
    let card = RgbImage::open(&photos.join("obama.jpg")).expect("photo");
    let chip = simulate_chip(&card, Some(&matcher), 150, 200, 1900)
        .expect("chip photo (needs opj_compress)");
    let t = Instant::now();
    let reference = matcher.enroll(&chip).expect("enrol");
    let enrol = t.elapsed();

    let probe = RgbImage::open(&photos.join("obama2.jpg")).expect("photo");
    let jpeg = counter_jpeg(&matcher, &probe);

    let mut runs: Vec<(Duration, Timings)> = Vec::with_capacity(ATTEMPTS);
    let mut on_cpu: Vec<Duration> = Vec::with_capacity(ATTEMPTS);
    let mut outcome = None;
    for _ in 0..ATTEMPTS {
        let cpu = thread_cpu();
        let t = Instant::now();
        let rgb = kaonin_drivers::v4l2::mjpeg_to_rgb(640, 480, &jpeg).expect("jpeg");
        let frame = Frame::new(640, 480, PixelFormat::Rgb8, rgb).expect("frame");
        let jpeg_decode = t.elapsed();
        let report = matcher.attempt_report(&reference, &frame);
        let mut timings = report.timings;
        timings.decode += jpeg_decode;
        runs.push((t.elapsed(), timings));
        if let (Some(a), Some(b)) = (cpu, thread_cpu()) {
            on_cpu.push(b.saturating_sub(a));
        }
        outcome = Some(report.outcome);
    }

    let runtime = match config.runtime {
        FaceRuntime::Tract => "tract-onnx",
        FaceRuntime::Ort => "onnxruntime 1.32.0 (ort, load-dynamic)",
    };
    println!("face bench: {runtime}, 1 thread, {ATTEMPTS} attempts, 640x480 MJPEG frame");
    println!(
        "detector {:?} {}x{}, embedder {} {}x{}, liveness {}",
        config.detector,
        config.detector_width,
        config.detector_height,
        config.embedder_model.display(),
        config.embedder_size,
        config.embedder_size,
        if config.liveness { "on" } else { "off" }
    );
    println!("model load (both nets, optimise): {:.1} ms", ms(load));
    println!(
        "enrol chip photo ({} bytes JP2): {:.1} ms",
        chip.len(),
        ms(enrol)
    );
    println!("last outcome: {:?}", outcome);
    let stage = |name: &str, f: &dyn Fn(&Timings) -> Duration| {
        let mut v: Vec<Duration> = runs.iter().map(|(_, t)| f(t)).collect();
        print_stats(name, &mut v);
    };
    stage("decode", &|t| t.decode);
    stage("detect", &|t| t.detect);
    stage("quality", &|t| t.quality);
    if config.liveness {
        stage("liveness", &|t| t.liveness);
    }
    stage("align", &|t| t.align);
    stage("embed", &|t| t.embed);
    stage("compare", &|t| t.compare);
    let mut total: Vec<Duration> = runs.iter().map(|(d, _)| *d).collect();
    print_stats("total", &mut total);
    if on_cpu.len() == ATTEMPTS {
        // Time this thread actually ran: less disturbed by other load on the machine.
        print_stats("on-CPU", &mut on_cpu);
    }
    println!(
        "load average at the end: {}",
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
    );
    println!(
        "peak RSS (VmHWM): {}",
        status_kib("VmHWM:").map_or_else(
            || "unknown".into(),
            |kb| format!("{:.1} MB", kb as f64 / 1024.0)
        )
    );
}

/// The probe photo as a 640x480 counter-camera JPEG: the face at about a third of the
/// width, as a patient at the reader would be.
fn counter_jpeg(m: &OnnxMatcher, image: &RgbImage) -> Vec<u8> {
    let frame = simulate_counter(m, image, 640, 480).expect("a face in the probe photo");
    let px = frame.pixels().to_vec();
    let img = image::RgbImage::from_raw(640, 480, px).expect("size");
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, image::ImageFormat::Jpeg)
        .expect("encode");
    out.into_inner()
}
