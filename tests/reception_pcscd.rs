//! Whole receptions through a real pcscd: `kaonin run` with the PC/SC driver, and
//! `kaonin vcard` processes as the cards on the vsmartcard virtual readers
//! ("Virtual PCD 00 00" for the card slot, "Virtual PCD 00 01" for the smartphone
//! reader).
//!
//! Run them with `scripts/with-pcscd.sh cargo test --features pcsc -- --ignored`
//! (scripts/test.sh does): they need a private pcscd with vpcd.

// Uses the simulators (cargo feature `sim`, on by default).
#![cfg(feature = "sim")]
#![cfg(feature = "pcsc")]

mod common;

use common::*;
use serde_json::json;
use std::sync::Mutex;

/// The virtual readers are shared: one test at a time.
static READERS: Mutex<()> = Mutex::new(());

#[test]
#[ignore = "needs pcscd with vpcd: scripts/with-pcscd.sh"]
fn face_reception_through_pcscd() {
    let _lock = READERS.lock().unwrap_or_else(|p| p.into_inner());
    let (mut t, mut pc) = terminal_and_pc(pcsc_options());
    t.camera(Some("alice-camera.png"));
    t.card_face("alice");
    let mut card = Vcard::start(profile("alice"), VPCD_CARD);
    card.say("insert");
    t.expect("reading");
    t.expect("method_select");
    t.press("face");
    consent_all(&mut t);
    let id = pc.expect("identity");
    assert_eq!(id["method"], "face");
    card.say("remove");
    t.expect("idle");
}

#[test]
#[ignore = "needs pcscd with vpcd: scripts/with-pcscd.sh"]
fn pin_then_lock_then_visual_through_pcscd() {
    let _lock = READERS.lock().unwrap_or_else(|p| p.into_inner());
    let (mut t, mut pc) = terminal_and_pc(pcsc_options());
    let mut card = Vcard::start(profile("alice"), VPCD_CARD);
    card.say("insert");
    t.expect("method_select");
    t.press("pin");
    t.expect("pin");
    t.send(json!({"pin": "1234"}));
    consent_all(&mut t);
    let id = pc.expect("identity");
    assert_eq!(id["method"], "pin");
    card.say("remove");
    t.expect("idle");

    // The same card again: three wrong PINs lock it; staff check it visually.
    card.say("insert");
    t.expect("method_select");
    t.press("pin");
    lock_pin(&mut t, "9999");
    t.send(json!({"staff": "visual", "passcode": "2580"}));
    t.expect("visual_armed");
    t.send(json!({"staff": "confirm"}));
    consent_all(&mut t);
    let id = pc.expect("identity");
    assert_eq!(id["method"], "visual");
    assert_eq!(id["staff_account"], "staff-01");
}

#[test]
#[ignore = "needs pcscd with vpcd: scripts/with-pcscd.sh"]
fn pinless_card_through_pcscd() {
    let _lock = READERS.lock().unwrap_or_else(|p| p.into_inner());
    let (mut t, mut pc) = terminal_and_pc(pcsc_options());
    t.camera(Some("bob.png"));
    t.card_face("bob-pinless");
    let mut card = Vcard::start(profile("bob-pinless"), VPCD_CARD);
    card.say("insert");
    let screen = t.expect("method_select");
    assert!(!screen["buttons"]
        .as_array()
        .unwrap()
        .contains(&json!("pin")));
    t.press("face");
    consent_all(&mut t);
    assert_eq!(pc.expect("identity")["method"], "face");
}

#[test]
#[ignore = "needs pcscd with vpcd: scripts/with-pcscd.sh"]
fn smartphones_on_the_second_reader() {
    let _lock = READERS.lock().unwrap_or_else(|p| p.into_inner());
    let (mut t, mut pc) = terminal_and_pc(pcsc_options());
    t.press("phone");
    t.expect("phone");
    let mut android = Vcard::start(profile("carol-android"), VPCD_PHONE);
    android.say("insert");
    t.expect("pin");
    t.send(json!({"pin": "2468"}));
    consent_all(&mut t);
    assert_eq!(pc.expect("identity")["method"], "smartphone");
    android.say("remove");
    t.expect("idle");
    drop(android);

    t.press("phone");
    t.expect("phone");
    let mut iphone = Vcard::start(profile("carol-iphone"), VPCD_PHONE);
    iphone.say("insert");
    consent_all(&mut t);
    assert_eq!(pc.expect("identity")["method"], "smartphone");
}

#[test]
#[ignore = "needs pcscd with vpcd: scripts/with-pcscd.sh"]
fn wrong_security_code_costs_one_try_and_offers_pin_or_staff() {
    let _lock = READERS.lock().unwrap_or_else(|p| p.into_inner());
    let (mut t, _pc) = terminal_and_pc(pcsc_options());
    let profile =
        kaonin::sim::vcard::Profile::load(std::path::Path::new(&profile("alice"))).unwrap();
    let face = profile.printed_face();
    let wrong = if face.security_code == "0000" {
        "1111"
    } else {
        "0000"
    };
    t.send(
        json!({"card_face": {"birth": face.birth, "expiry": face.expiry, "security_code": wrong}}),
    );
    let before = pcscd_answers(KENMEN_VERIFY);
    let mut card = Vcard::start(common::profile("alice"), VPCD_CARD);
    card.say("insert");
    let screen = t.expect("method_select");
    let buttons = screen["buttons"].as_array().unwrap();
    assert!(!buttons.contains(&json!("face")), "{screen}");
    assert!(buttons.contains(&json!("pin")), "{screen}");
    // Exactly one 照合番号B VERIFY reached the card, and it cost one of ten tries.
    let sent = &pcscd_answers(KENMEN_VERIFY)[before.len()..];
    assert_eq!(sent, ["63 C9"], "{sent:?}");
    // The same card again, with the same misread: nothing is sent this time.
    card.say("remove");
    t.expect("idle");
    t.send(
        json!({"card_face": {"birth": face.birth, "expiry": face.expiry, "security_code": wrong}}),
    );
    card.say("insert");
    t.expect("method_select");
    assert_eq!(pcscd_answers(KENMEN_VERIFY).len(), before.len() + 1);
}
