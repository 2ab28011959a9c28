//! The face pipeline on ONNX Runtime (`--features ort`, `[face] runtime = "ort"`)
//! against the same pipeline on tract: the shipped CenterFace (whose declared input is
//! fixed at 10×3×32×32) loads, and both runtimes find the same faces, the same
//! landmarks and the same embeddings. Needs the pinned models and runtime:
//! `scripts/fetch-models.sh && scripts/fetch-onnxruntime.sh`, then
//! `cargo test --features ort --test face_ort -- --include-ignored`.

// Uses the simulators (cargo feature `sim`, on by default).
#![cfg(feature = "sim")]
#![cfg(feature = "ort")]

use kaonin::face::{cosine, DetectorKind, FaceMatcher, OnnxMatcher, RgbImage};
use kaonin::face::{FaceConfig, FaceRuntime};
use kaonin::flow::FaceOutcome;
use kaonin::sim::photos::{simulate_chip, simulate_counter};
use std::path::PathBuf;

fn models() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models")
}

fn config(runtime: FaceRuntime) -> FaceConfig {
    FaceConfig {
        detector_model: models().join(DetectorKind::default().file_name()),
        embedder_model: models().join("fr_feature.onnx"),
        liveness_model: models().join("fr_liveness.onnx"),
        onnxruntime_library: models().join("libonnxruntime.so.1.32.0"),
        runtime,
        ..FaceConfig::default()
    }
}

fn open(rel: &str) -> RgbImage {
    let path = models().join("photos").join(rel);
    RgbImage::open(&path).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

const PHOTOS: [&str; 4] = [
    "face_recognition/obama.jpg",
    "face_recognition/obama2.jpg",
    "face_recognition/obama3.jpg",
    "face_recognition/biden.jpg",
];

#[test]
#[ignore = "needs models and onnxruntime: scripts/fetch-models.sh && scripts/fetch-onnxruntime.sh"]
fn ort_finds_the_same_faces_and_embeddings_as_tract() {
    let tract = OnnxMatcher::from_config(&config(FaceRuntime::Tract)).unwrap();
    let ort = OnnxMatcher::from_config(&config(FaceRuntime::Ort))
        .expect("the shipped CenterFace loads on ONNX Runtime");
    for rel in PHOTOS {
        let image = simulate_counter(&tract, &open(rel), 640, 480).unwrap();
        let (a, b) = (tract.detect(&image).unwrap(), ort.detect(&image).unwrap());
        assert_eq!(a.len(), b.len(), "{rel}: faces {a:?} vs {b:?}");
        assert!(!a.is_empty(), "{rel}: no face");
        for (fa, fb) in a.iter().zip(&b) {
            assert!(
                (fa.score - fb.score).abs() < 0.01,
                "{rel}: {fa:?} vs {fb:?}"
            );
            for (pa, pb) in fa.landmarks.iter().zip(&fb.landmarks) {
                let d = ((pa[0] - pb[0]).powi(2) + (pa[1] - pb[1]).powi(2)).sqrt();
                assert!(d < 0.5, "{rel}: landmark moved {d} px: {fa:?} vs {fb:?}");
            }
        }
        let (ea, eb) = (
            tract.embed_face(&image, &a[0]).unwrap(),
            ort.embed_face(&image, &a[0]).unwrap(),
        );
        let same = cosine(&ea, &eb);
        eprintln!(
            "{rel}: {} faces, tract vs ort embedding cosine {same:.6}",
            a.len()
        );
        assert!(same > 0.999, "{rel}: embeddings differ: cosine {same}");
    }
}

#[test]
#[ignore = "needs models and onnxruntime: scripts/fetch-models.sh && scripts/fetch-onnxruntime.sh"]
fn ort_matches_a_chip_photo_and_rejects_another_person() {
    let tract = OnnxMatcher::from_config(&config(FaceRuntime::Tract)).unwrap();
    let mut ort = OnnxMatcher::from_config(&config(FaceRuntime::Ort)).unwrap();
    let chip = simulate_chip(&open(PHOTOS[0]), Some(&tract), 150, 200, 1900).unwrap();
    let reference = ort.enroll(&chip).unwrap();
    let frame = |rel: &str| {
        let image = simulate_counter(&tract, &open(rel), 640, 480).unwrap();
        kaonin_hal::camera::Frame::new(
            640,
            480,
            kaonin_hal::camera::PixelFormat::Rgb8,
            image.pixels().to_vec(),
        )
        .unwrap()
    };
    let same = ort.attempt(&reference, &frame(PHOTOS[1]));
    assert!(matches!(same, FaceOutcome::Match { .. }), "{same:?}");
    let other = ort.attempt(&reference, &frame(PHOTOS[3]));
    assert!(matches!(other, FaceOutcome::NoMatch { .. }), "{other:?}");
}
