//! Whole receptions on the REAL face pipeline: `kaonin run` with `[face] matcher =
//! "onnx"` (CenterFace + fr_feature on tract), a card whose chip photo is a registry
//! photo turned into a chip-style greyscale JPEG 2000 of about 1.9 KB, and a camera
//! that sees image files of the same person — or of someone else.
//!
//! The fixtures (chip photo, card profile, 640×480 counter frames) are made in a
//! temporary directory from the registry photos; nothing is committed. Needs the
//! models and photos (`scripts/fetch-models.sh`) and `opj_compress`
//! (`libopenjp2-tools`): `cargo test --test face_daemon -- --include-ignored`.
//! The pcscd variant also needs `scripts/with-pcscd.sh` and `--features pcsc`.

// Uses the simulators (cargo feature `sim`, on by default).
#![cfg(feature = "sim")]

mod common;

use common::*;
use kaonin::face::{DetectorKind, FaceConfig};
use kaonin::face::{OnnxMatcher, RgbImage};
use kaonin::sim::photos::{simulate_chip, simulate_counter};
use serde_json::json;
use std::path::{Path, PathBuf};

fn models() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models")
}

fn photo(rel: &str) -> RgbImage {
    let path = models().join("photos/face_recognition").join(rel);
    RgbImage::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The files one test needs, in a temporary directory.
struct Fixtures {
    dir: tempfile::TempDir,
    /// Card profile whose chip photo is the chip-style JP2 of obama.jpg.
    profile: PathBuf,
    /// Camera images: two other photos of the same person, and another person.
    same: Vec<PathBuf>,
    other: PathBuf,
    /// The configured match threshold.
    threshold: f32,
}

impl Fixtures {
    fn make() -> Fixtures {
        let dir = tempfile::tempdir().unwrap();
        // Whole photos need a larger detector input than the counter camera.
        let photos = OnnxMatcher::from_config(&FaceConfig {
            detector_width: 960,
            detector_height: 960,
            ..face_config()
        })
        .unwrap();

        let chip = simulate_chip(&photo("obama.jpg"), Some(&photos), 150, 200, 1900)
            .expect("chip photo (opj_compress from libopenjp2-tools)");
        assert!(chip.len() < 2600, "chip-sized photo: {} bytes", chip.len());
        let chip_path = dir.path().join("chip.jp2");
        std::fs::write(&chip_path, &chip).unwrap();

        let profile = dir.path().join("obama-card.toml");
        std::fs::write(&profile, card_profile(&chip_path)).unwrap();

        let frame = |name: &str| {
            let path = dir.path().join(format!("camera-{name}.png"));
            counter_frame(&photos, &photo(&format!("{name}.jpg")))
                .save(&path)
                .unwrap();
            path
        };
        let same = vec![frame("obama2"), frame("obama3")];
        let other = frame("biden");
        Fixtures {
            threshold: face_config().threshold,
            dir,
            profile,
            same,
            other,
        }
    }
}

/// The default `[face]` config with absolute model paths.
fn face_config() -> FaceConfig {
    FaceConfig {
        detector_model: models().join(DetectorKind::default().file_name()),
        embedder_model: models().join("fr_feature.onnx"),
        liveness_model: models().join("fr_liveness.onnx"),
        ..FaceConfig::default()
    }
}

/// The `[face]` table the daemon under test runs with: the real matcher, the default
/// threshold and detector size, models from the worktree.
fn face_table() -> String {
    let c = face_config();
    format!(
        "[face]\nmatcher = \"onnx\"\ndetector_model = \"{}\"\nembedder_model = \"{}\"\nliveness_model = \"{}\"\n",
        c.detector_model.display(),
        c.embedder_model.display(),
        c.liveness_model.display()
    )
}

/// alice's card (PIN 1234, keys, printed face) with `chip` as its 券面AP photo.
fn card_profile(chip: &Path) -> String {
    let cards = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assets/cards");
    let alice = std::fs::read_to_string(cards.join("alice.toml")).unwrap();
    let keys = format!("\"{}/keys/", cards.display());
    let text = alice.replace("\"keys/", &keys).replace(
        "\"../faces/alice-chip.jp2\"",
        &format!("\"{}\"", chip.display()),
    );
    assert!(
        text.contains(&chip.display().to_string()),
        "alice.toml names its photo differently now"
    );
    text
}

/// What a 640×480 counter camera sees of the largest face in a photo.
fn counter_frame(m: &OnnxMatcher, image: &RgbImage) -> image::RgbImage {
    let frame = simulate_counter(m, image, 640, 480).expect("a face in the photo");
    image::RgbImage::from_raw(640, 480, frame.pixels().to_vec()).expect("640x480")
}

fn options(reader: Option<&str>) -> Options {
    let base = Options::default();
    Options {
        reader: reader.map_or(base.reader, str::to_owned),
        extra: face_table(),
        ..base
    }
}

fn show(t: &mut Terminal, image: &Path) {
    t.send(json!({ "camera": image }));
}

/// Same person: the face reception succeeds and the PC gets the real score.
fn same_person_is_forwarded_with_its_score(
    t: &mut Terminal,
    pc: &mut Pc,
    f: &Fixtures,
    camera: &Path,
    insert: &mut dyn FnMut(&mut Terminal),
    remove: &mut dyn FnMut(&mut Terminal),
) {
    show(t, camera);
    insert(t);
    t.expect("method_select");
    t.press("face");
    consent_all(t);
    let id = pc.expect("identity");
    assert_eq!(id["method"], "face", "{id}");
    let score = id["face_score"].as_f64().expect("face_score forwarded") as f32;
    eprintln!("face_score forwarded for {}: {score}", camera.display());
    assert!(
        score >= f.threshold && score <= 1.0,
        "genuine score {score} vs threshold {}",
        f.threshold
    );
    assert!(!t.screens.contains(&"pin".to_string()), "{:?}", t.screens);
    remove(t);
    t.expect("idle");
}

/// Wrong person: every attempt fails, then the PIN is offered; the PIN completes it.
fn wrong_person_falls_back_to_pin(
    t: &mut Terminal,
    pc: &mut Pc,
    f: &Fixtures,
    insert: &mut dyn FnMut(&mut Terminal),
) {
    show(t, &f.other);
    t.screens.clear();
    insert(t);
    t.expect("method_select");
    t.press("face");
    let pin = t.expect("pin");
    assert!(
        pin["text"].as_str().unwrap_or("").contains('3'),
        "PIN fallback with tries left: {pin}"
    );
    let attempts = t.screens.iter().filter(|s| *s == "face").count();
    assert!(
        attempts >= 3,
        "the configured 3 face attempts ran first: {:?}",
        t.screens
    );
    assert!(t.forwarded.is_empty(), "nothing forwarded before the PIN");
    t.send(json!({"pin": "1234"}));
    consent_all(t);
    let id = pc.expect("identity");
    assert_eq!(id["method"], "pin", "{id}");
    assert!(id.get("face_score").map_or(true, |s| s.is_null()), "{id}");
}

#[test]
#[ignore = "needs models: scripts/fetch-models.sh"]
fn real_pipeline_same_person_then_wrong_person() {
    let f = Fixtures::make();
    let (mut t, mut pc) = terminal_and_pc(options(None));
    let profile = f.profile.clone();
    let mut insert = |t: &mut Terminal| {
        t.send(json!({"card": "insert", "profile": profile}));
    };
    let mut remove = |t: &mut Terminal| t.remove();
    for camera in &f.same {
        same_person_is_forwarded_with_its_score(
            &mut t,
            &mut pc,
            &f,
            camera,
            &mut insert,
            &mut remove,
        );
    }
    t.forwarded.clear();
    wrong_person_falls_back_to_pin(&mut t, &mut pc, &f, &mut insert);
    drop(f.dir);
}

#[cfg(feature = "pcsc")]
mod pcscd {
    //! The same receptions with the card behind a real pcscd (`kaonin vcard`).

    use super::*;

    #[test]
    #[ignore = "needs pcscd with vpcd (scripts/with-pcscd.sh) and the models"]
    fn real_pipeline_through_pcscd() {
        let f = Fixtures::make();
        let (mut t, mut pc) = terminal_and_pc(options(Some(
            "kind = \"pcsc\"\nname_contains = \"Virtual PCD 00 00\"\nphone_name_contains = \"Virtual PCD 00 01\"",
        )));
        let card = std::cell::RefCell::new(Vcard::start(&f.profile, VPCD_CARD));
        // Each card placed comes with what the card-face scanner reads: alice's
        // printed face (the profile's). The daemon forgets it when the card leaves.
        let mut insert = |t: &mut Terminal| {
            t.send(json!({"card_face": {
                "birth": "19850412", "expiry": "20350412", "security_code": "4821"
            }}));
            card.borrow_mut().say("insert");
        };
        let mut remove = |_: &mut Terminal| card.borrow_mut().say("remove");
        same_person_is_forwarded_with_its_score(
            &mut t,
            &mut pc,
            &f,
            &f.same[0].clone(),
            &mut insert,
            &mut remove,
        );
        t.forwarded.clear();
        wrong_person_falls_back_to_pin(&mut t, &mut pc, &f, &mut insert);
    }
}
