//! The card-face camera end to end: `kaonin run` with `[card_face] kind =
//! "images"` (synthetic photographs of the printed card, drawn here from the
//! virtual card's profile), the OCR model, a real pcscd and `kaonin vcard` as the
//! card. No `card_face` control action is sent: 照合番号B comes from the camera.
//!
//! The 照合番号B VERIFYs that reach the card are counted in the pcscd APDU log
//! (`KAONIN_PCSCD_LOG`, written by scripts/with-pcscd.sh).
//!
//! Run: `scripts/with-pcscd.sh cargo test --features pcsc --test card_face_pcscd --
//! --include-ignored` (needs the OCR model: scripts/fetch-ocr-model.sh).

// Uses the simulators (cargo feature `sim`, on by default).
#![cfg(feature = "sim")]
#![cfg(feature = "pcsc")]

mod common;

use common::*;
use kaonin::card::KenmenKey;
use kaonin::sim::cardgen::{spec_for, write_captures, CardSpec, Degradation};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The virtual readers are shared: one test at a time.
static READERS: Mutex<()> = Mutex::new(());

fn models_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("models")
}

fn printed_face(name: &str) -> KenmenKey {
    kaonin::sim::vcard::Profile::load(Path::new(&profile(name)))
        .unwrap()
        .printed_face()
}

/// Sharp captures without glare (the OCR accuracy itself is measured by
/// `ocr-eval`; here the wiring is under test).
fn clean() -> Degradation {
    Degradation {
        blur: (0.3, 0.6),
        glare: 0.0,
        rotation: 2.0,
        ..Degradation::normal()
    }
}

/// Writes `frames` photographs of the card `face` into `dir`.
fn photograph(dir: &Path, face: &KenmenKey, marking: bool, card_blur: f64, frames: usize) {
    let spec = spec_for(face, marking).expect("profile dates");
    photograph_spec(dir, &spec, card_blur, frames);
}

fn photograph_spec(dir: &Path, spec: &CardSpec, card_blur: f64, frames: usize) {
    let fonts = kaonin::ui::font::Fonts::load(None).unwrap();
    write_captures(spec, &fonts, 7, frames, &clean(), card_blur, dir).unwrap();
}

/// A terminal on the pcscd readers whose card-face camera sees the images in
/// `images`.
fn terminal(images: &Path, max_frames: u32) -> (Terminal, Pc) {
    terminal_limited(images, max_frames, 50)
}

fn terminal_limited(images: &Path, max_frames: u32, time_limit_s: u32) -> (Terminal, Pc) {
    let options = Options {
        reader: "kind = \"pcsc\"\nname_contains = \"Virtual PCD 00 00\"\nphone_name_contains = \"Virtual PCD 00 01\"".into(),
        extra: format!(
            "[face]\nmatcher = \"test-thumbnail\"\n[card_face]\nkind = \"images\"\nimages = \"{}\"\nmodels = \"{}\"\ntime_limit_s = {time_limit_s}\nmax_frames = {max_frames}\n",
            images.display(),
            models_dir().display()
        ),
        ..Options::default()
    };
    terminal_and_pc(options)
}

/// Waits for screen `id` whose text contains `needle`.
fn expect_text(t: &mut Terminal, id: &str, needle: &str) -> Value {
    loop {
        let screen = t.expect(id);
        if screen["text"].as_str().unwrap_or("").contains(needle) {
            return screen;
        }
    }
}

fn catalog(key: &str) -> String {
    let ja: toml::Value = toml::from_str(include_str!("../assets/i18n/ja.toml")).unwrap();
    let (table, name) = key.split_once('.').unwrap();
    ja[table][name].as_str().unwrap().to_owned()
}

#[test]
#[ignore = "needs pcscd with vpcd (scripts/with-pcscd.sh) and the OCR model"]
fn the_camera_reads_the_card_face_and_the_chip_photo_opens() {
    let _lock = READERS.lock().unwrap_or_else(|p| p.into_inner());
    let images = tempfile::tempdir().unwrap();
    photograph(images.path(), &printed_face("alice"), false, 0.0, 3);
    let (mut t, mut pc) = terminal(images.path(), 6);
    let before = pcscd_answers(KENMEN_VERIFY).len();
    t.camera(Some("alice-camera.png"));
    let mut card = Vcard::start(profile("alice"), VPCD_CARD);
    card.say("insert");
    let screen = t.expect("method_select");
    let offered = buttons(&screen);
    // The chip photo was opened: face authentication is offered, and the card
    // still has its PIN.
    assert!(offered.contains(&"face".to_owned()), "{screen}");
    assert!(offered.contains(&"pin".to_owned()), "{screen}");
    let sent = &pcscd_answers(KENMEN_VERIFY)[before..];
    assert_eq!(sent, ["90 00"], "{sent:?}");
    t.press("face");
    consent_all(&mut t);
    assert_eq!(pc.expect("identity")["method"], "face");
    card.say("remove");
    t.expect("idle");
}

#[test]
#[ignore = "needs pcscd with vpcd (scripts/with-pcscd.sh) and the OCR model"]
fn a_misprinted_code_costs_at_most_one_try_then_pin_or_staff() {
    let _lock = READERS.lock().unwrap_or_else(|p| p.into_inner());
    let mut face = printed_face("alice");
    // One digit of the security code altered on the printed card.
    let last = face.security_code.pop().unwrap();
    face.security_code.push(if last == '9' {
        '0'
    } else {
        (last as u8 + 1) as char
    });
    let images = tempfile::tempdir().unwrap();
    photograph(images.path(), &face, false, 0.0, 3);
    let (mut t, _pc) = terminal(images.path(), 6);
    let before = pcscd_answers(KENMEN_VERIFY).len();
    let mut card = Vcard::start(profile("alice"), VPCD_CARD);
    card.say("insert");
    let screen = expect_text(&mut t, "method_select", &catalog("card_face.key_refused"));
    let offered = buttons(&screen);
    assert!(!offered.contains(&"face".to_owned()), "{screen}");
    assert!(offered.contains(&"pin".to_owned()), "{screen}");
    // Exactly one 照合番号B VERIFY reached the card (the two agreeing frames' wrong
    // value), costing one of its ten tries.
    let sent = pcscd_answers(KENMEN_VERIFY)[before..].to_vec();
    assert_eq!(sent, ["63 C9"], "{sent:?}");
    // No automatic retry, and the same card again with the same misprint: the
    // failed value is never sent a second time.
    card.say("remove");
    t.expect("idle");
    card.say("insert");
    t.expect("method_select");
    let again = pcscd_answers(KENMEN_VERIFY)[before..].to_vec();
    assert_eq!(again, sent, "the refused value was sent again");
    // The PIN path still works.
    t.press("pin");
    t.expect("pin");
    t.send(json!({"pin": "1234"}));
    t.expect("consent");
}

#[test]
#[ignore = "needs pcscd with vpcd (scripts/with-pcscd.sh) and the OCR model"]
fn a_blurred_card_sends_nothing_and_offers_pin_or_staff() {
    let _lock = READERS.lock().unwrap_or_else(|p| p.into_inner());
    let images = tempfile::tempdir().unwrap();
    photograph(images.path(), &printed_face("alice"), false, 6.0, 3);
    let (mut t, _pc) = terminal(images.path(), 4);
    let before = pcscd_answers(KENMEN_VERIFY).len();
    let mut card = Vcard::start(profile("alice"), VPCD_CARD);
    card.say("insert");
    // The patient is told to hold the card still while it is read.
    expect_text(&mut t, "reading", &catalog("card_face.hold_still"));
    let screen = expect_text(&mut t, "method_select", &catalog("card_face.unreadable"));
    let offered = buttons(&screen);
    assert_eq!(offered.first().map(String::as_str), Some("pin"), "{screen}");
    assert!(!offered.contains(&"face".to_owned()), "{screen}");
    assert!(pcscd_answers(KENMEN_VERIFY)[before..].is_empty());
}

#[test]
#[ignore = "needs pcscd with vpcd (scripts/with-pcscd.sh) and the OCR model"]
fn the_face_auth_marking_removes_the_pin_option() {
    let _lock = READERS.lock().unwrap_or_else(|p| p.into_inner());
    let images = tempfile::tempdir().unwrap();
    // Alice's chip has a PIN; her printed card carries 「顔認証」 in the 追記欄.
    photograph(images.path(), &printed_face("alice"), true, 0.0, 3);
    let (mut t, mut pc) = terminal(images.path(), 6);
    t.camera(Some("alice-camera.png"));
    let mut card = Vcard::start(profile("alice"), VPCD_CARD);
    card.say("insert");
    let screen = t.expect("method_select");
    let offered = buttons(&screen);
    assert!(offered.contains(&"face".to_owned()), "{screen}");
    assert!(!offered.contains(&"pin".to_owned()), "{screen}");
    t.press("face");
    consent_all(&mut t);
    assert_eq!(pc.expect("identity")["method"], "face");
}

#[test]
#[ignore = "needs pcscd with vpcd (scripts/with-pcscd.sh) and the OCR model"]
fn the_control_action_wins_over_the_camera() {
    let _lock = READERS.lock().unwrap_or_else(|p| p.into_inner());
    // The camera sees no card at all; staff type the values.
    let images = tempfile::tempdir().unwrap();
    let (mut t, _pc) = terminal(images.path(), 50);
    let face = printed_face("alice");
    let before = pcscd_answers(KENMEN_VERIFY).len();
    let mut card = Vcard::start(profile("alice"), VPCD_CARD);
    card.say("insert");
    expect_text(&mut t, "reading", &catalog("card_face.place_flat"));
    t.send(json!({"card_face": {
        "birth": face.birth, "expiry": face.expiry, "security_code": face.security_code
    }}));
    let screen = t.expect("method_select");
    assert!(buttons(&screen).contains(&"face".to_owned()), "{screen}");
    assert_eq!(pcscd_answers(KENMEN_VERIFY)[before..], ["90 00"]);
}

/// Alice's profile with only `tries` 照合番号B tries left on the chip, in `dir`.
fn alice_with_kenmen_tries(dir: &Path, tries: u32) -> String {
    let cards = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/cards");
    let text = std::fs::read_to_string(cards.join("alice.toml")).unwrap();
    let text = text
        .replace("\"keys/", &format!("\"{}/keys/", cards.display()))
        .replace("\"../faces/", &format!("\"{}/../faces/", cards.display()))
        .replace(
            "[kenmen]\ntries = 10",
            &format!("[kenmen]\ntries = {tries}"),
        );
    assert!(text.contains(&format!("tries = {tries}\nphoto")), "{text}");
    let path = dir.join("alice-low.toml");
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
#[ignore = "needs pcscd with vpcd (scripts/with-pcscd.sh) and the OCR model"]
fn below_the_counter_floor_nothing_is_sent_and_staff_are_called() {
    let _lock = READERS.lock().unwrap_or_else(|p| p.into_inner());
    let images = tempfile::tempdir().unwrap();
    photograph(images.path(), &printed_face("alice"), false, 0.0, 3);
    let (mut t, _pc) = terminal(images.path(), 6);
    let low = alice_with_kenmen_tries(images.path(), 2);
    let before = pcscd_answers(KENMEN_VERIFY).len();
    let mut card = Vcard::start(&low, VPCD_CARD);
    card.say("insert");
    let screen = expect_text(&mut t, "method_select", &catalog("card_face.counter_low"));
    assert!(!buttons(&screen).contains(&"face".to_owned()), "{screen}");
    assert!(pcscd_answers(KENMEN_VERIFY)[before..].is_empty());
}

#[test]
#[ignore = "needs pcscd with vpcd (scripts/with-pcscd.sh) and the OCR model"]
fn a_western_calendar_card_is_refused_with_its_reason() {
    let _lock = READERS.lock().unwrap_or_else(|p| p.into_inner());
    let images = tempfile::tempdir().unwrap();
    let mut spec = spec_for(&printed_face("alice"), false).unwrap();
    spec.western = true;
    photograph_spec(images.path(), &spec, 0.0, 3);
    let (mut t, _pc) = terminal(images.path(), 6);
    let before = pcscd_answers(KENMEN_VERIFY).len();
    let mut card = Vcard::start(profile("alice"), VPCD_CARD);
    card.say("insert");
    let screen = expect_text(
        &mut t,
        "method_select",
        &catalog("card_face.western_calendar"),
    );
    assert!(buttons(&screen).contains(&"pin".to_owned()), "{screen}");
    assert!(!buttons(&screen).contains(&"face".to_owned()), "{screen}");
    assert!(pcscd_answers(KENMEN_VERIFY)[before..].is_empty());
}

#[test]
#[ignore = "needs pcscd with vpcd (scripts/with-pcscd.sh) and the OCR model"]
fn no_card_in_view_gives_up_within_the_time_limit() {
    let _lock = READERS.lock().unwrap_or_else(|p| p.into_inner());
    // The camera sees the empty tray; the frame budget is larger than one second
    // of reading can use, so the time limit ends the read.
    let images = tempfile::tempdir().unwrap();
    let (mut t, _pc) = terminal_limited(images.path(), 50, 1);
    let before = pcscd_answers(KENMEN_VERIFY).len();
    let mut card = Vcard::start(profile("alice"), VPCD_CARD);
    card.say("insert");
    expect_text(&mut t, "reading", &catalog("card_face.place_flat"));
    let screen = expect_text(&mut t, "method_select", &catalog("card_face.unreadable"));
    assert!(buttons(&screen).contains(&"pin".to_owned()), "{screen}");
    assert!(pcscd_answers(KENMEN_VERIFY)[before..].is_empty());
}

/// Photographs of alice's card with a reflection saturating the security code.
fn photograph_with_glare(dir: &Path, frames: usize) {
    use kaonin::sim::cardgen::{capture, draw_card, Rng};
    let fonts = kaonin::ui::font::Fonts::load(None).unwrap();
    let spec = spec_for(&printed_face("alice"), false).unwrap();
    let mut rng = Rng::new(11);
    let card = draw_card(&spec, &fonts, &mut rng);
    let layout = kaonin::card_face::layout::CURRENT;
    let (cx, cy) = (
        (layout.code.x + layout.code.w / 2) as f64 / kaonin::card_face::layout::CARD_W as f64,
        (layout.code.y + layout.code.h / 2) as f64 / kaonin::card_face::layout::CARD_H as f64,
    );
    for k in 0..frames {
        let cap = capture(&card, &mut rng, &clean());
        let [tl, tr, br, bl] = cap.corners;
        // Where the code's centre landed (bilinear in the card's corners).
        let lerp =
            |a: (f64, f64), b: (f64, f64), t: f64| (a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t);
        let (top, bottom) = (lerp(tl, tr, cx), lerp(bl, br, cx));
        let (gx, gy) = lerp(top, bottom, cy);
        let mut img =
            image::RgbImage::from_raw(cap.frame.width, cap.frame.height, cap.frame.data.to_vec())
                .unwrap();
        for (x, y, p) in img.enumerate_pixels_mut() {
            if (x as f64 - gx).powi(2) + (y as f64 - gy).powi(2) < 45.0f64.powi(2) {
                *p = image::Rgb([255, 255, 255]);
            }
        }
        img.save(dir.join(format!("frame-{k}.png"))).unwrap();
    }
}

#[test]
#[ignore = "needs pcscd with vpcd (scripts/with-pcscd.sh) and the OCR model"]
fn glare_over_a_field_is_reported_and_nothing_is_sent() {
    let _lock = READERS.lock().unwrap_or_else(|p| p.into_inner());
    let images = tempfile::tempdir().unwrap();
    photograph_with_glare(images.path(), 3);
    let (mut t, _pc) = terminal(images.path(), 3);
    let before = pcscd_answers(KENMEN_VERIFY).len();
    let mut card = Vcard::start(profile("alice"), VPCD_CARD);
    card.say("insert");
    expect_text(&mut t, "reading", &catalog("card_face.glare"));
    let screen = expect_text(&mut t, "method_select", &catalog("card_face.unreadable"));
    assert!(buttons(&screen).contains(&"pin".to_owned()), "{screen}");
    assert!(pcscd_answers(KENMEN_VERIFY)[before..].is_empty());
}

#[test]
#[ignore = "needs pcscd with vpcd (scripts/with-pcscd.sh) and the OCR model"]
fn removing_the_card_while_its_face_is_read_goes_back_to_idle() {
    let _lock = READERS.lock().unwrap_or_else(|p| p.into_inner());
    let images = tempfile::tempdir().unwrap();
    let (mut t, _pc) = terminal(images.path(), 50);
    let mut card = Vcard::start(profile("alice"), VPCD_CARD);
    card.say("insert");
    expect_text(&mut t, "reading", &catalog("card_face.place_flat"));
    card.say("remove");
    t.expect("idle");
    // The next card is read afresh: now the camera sees it.
    photograph(images.path(), &printed_face("alice"), false, 0.0, 3);
    card.say("insert");
    let screen = t.expect("method_select");
    assert!(buttons(&screen).contains(&"face".to_owned()), "{screen}");
}
