//! Hardening of the card path through a real pcscd (`kaonin run` with the PC/SC
//! driver, `kaonin vcard` processes as the cards): card-face data must chain to a
//! trusted issuer, a VERIFY is never sent twice, and a card that stops answering
//! gives the terminal back.
//!
//! Run with `scripts/with-pcscd.sh cargo test --features pcsc --test card_trust_pcscd -- --ignored`.

// Uses the simulators (cargo feature `sim`, on by default).
#![cfg(feature = "sim")]
#![cfg(feature = "pcsc")]

mod common;

use common::*;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The virtual readers are shared: one test at a time.
static READERS: Mutex<()> = Mutex::new(());

/// The text of the asset profile `name` with absolute paths (so a variant can be
/// written anywhere), edited by `edit` (pairs of text replaced).
fn profile_text(name: &str, edit: &[(&str, &str)]) -> String {
    let text = std::fs::read_to_string(profile(name)).unwrap();
    let cards = asset("cards");
    let faces = asset("faces");
    let mut text = text
        .replace("\"keys/", &format!("\"{}/keys/", cards.display()))
        .replace("\"../faces/", &format!("\"{}/", faces.display()));
    for (from, to) in edit {
        assert!(text.contains(from), "{name}: no {from:?}");
        text = text.replace(from, to);
    }
    text
}

/// Writes a profile variant into `dir` and returns its path.
fn variant(dir: &Path, file: &str, text: &str) -> PathBuf {
    let path = dir.join(file);
    std::fs::write(&path, text).unwrap();
    path
}

/// Options: PC/SC readers, short done screens.
fn options() -> Options {
    let mut o = pcsc_options();
    o.policy.push(("done_timeout_s", 1));
    o
}

/// PC messages up to the `event` of kind `kind`; panics on any identity before it.
fn event_without_identity(pc: &mut Pc, kind: &str) -> Value {
    loop {
        let m = pc.next();
        assert_ne!(m["type"], "identity", "forwarded: {m}");
        if m["type"] == "event" && m["kind"] == kind {
            return m;
        }
    }
}

/// A forged card: alice's certificate, the attacker's photo (and face at the camera),
/// EF 0004 signed by a CA the terminal does not trust. Refused, nothing forwarded;
/// the next genuine reception is the next identity the PC sees.
#[test]
#[ignore = "needs pcscd with vpcd: scripts/with-pcscd.sh"]
fn forged_card_face_data_is_refused_and_nothing_is_forwarded() {
    let _lock = READERS.lock().unwrap_or_else(|p| p.into_inner());
    let (mut t, mut pc) = terminal_and_pc(options());
    t.camera(Some("bob.png"));
    let forged = PathBuf::from(profile("mallory-forged"));
    t.card_face_of(&forged);
    let mut card = Vcard::start(&forged, VPCD_CARD);
    card.say("insert");
    let screen = t.expect("card_error");
    assert!(
        screen["text"].as_str().unwrap().contains("発行元"),
        "{screen}"
    );
    let event = event_without_identity(&mut pc, "card_error");
    assert_eq!(event["detail"], "kenmen_not_genuine");
    card.say("remove");
    t.expect("idle");
    assert!(
        !t.screens
            .iter()
            .any(|s| s == "method_select" || s == "consent"),
        "{:?}",
        t.screens
    );
    drop(card);

    // A genuine card next: its identity is the first one the PC receives.
    t.camera(Some("alice-camera.png"));
    t.card_face_of(Path::new(&profile("alice")));
    let mut alice = Vcard::start(profile("alice"), VPCD_CARD);
    alice.say("insert");
    t.expect("method_select");
    t.press("face");
    consent_all(&mut t);
    let id = loop {
        let m = pc.next();
        if m["type"] == "identity" {
            break m;
        }
    };
    assert_eq!(id["method"], "face");
    assert_eq!(id["kenmen"], json!({"birth": "19850412", "sex": "2"}));
}

/// The same forged card with a chain the terminal trusts passes: the chain is what
/// refused it (and what a PIN-less path cannot prove: see docs/security-card.md).
#[test]
#[ignore = "needs pcscd with vpcd: scripts/with-pcscd.sh"]
fn the_same_card_with_a_genuine_chain_passes() {
    let _lock = READERS.lock().unwrap_or_else(|p| p.into_inner());
    let dir = tempfile::tempdir().unwrap();
    // The forged card's own CA and issuing key dropped: the virtual cards' defaults.
    let text: String = profile_text("mallory-forged", &[])
        .lines()
        .filter(|l| !l.starts_with("ca_key") && !l.starts_with("issuer_key"))
        .map(|l| format!("{l}\n"))
        .collect();
    let chained = variant(dir.path(), "chained.toml", &text);
    let (mut t, mut pc) = terminal_and_pc(options());
    t.camera(Some("bob.png"));
    t.card_face_of(&chained);
    let mut card = Vcard::start(&chained, VPCD_CARD);
    card.say("insert");
    t.expect("method_select");
    t.press("face");
    consent_all(&mut t);
    let id = pc.expect("identity");
    assert_eq!(id["method"], "face");
    // The issuer-signed birth date and sex travel with it: the PC can see they are
    // not those of the certificate's holder.
    assert_eq!(id["kenmen"], json!({"birth": "19921103", "sex": "1"}));
}

/// DF28 signed over another photo than the one DF27 ships: refused.
#[test]
#[ignore = "needs pcscd with vpcd: scripts/with-pcscd.sh"]
fn a_signature_that_does_not_cover_the_shipped_photo_fails() {
    let _lock = READERS.lock().unwrap_or_else(|p| p.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let faces = asset("faces");
    let text = profile_text("alice", &[])
        + &format!(
            "\n[faults]\ndf28_photo = \"{}/bob-chip.jp2\"\n",
            faces.display()
        );
    let swapped = variant(dir.path(), "swapped.toml", &text);
    let (mut t, mut pc) = terminal_and_pc(options());
    t.camera(Some("alice-camera.png"));
    t.card_face_of(&swapped);
    let mut card = Vcard::start(&swapped, VPCD_CARD);
    card.say("insert");
    t.expect("card_error");
    let event = event_without_identity(&mut pc, "card_error");
    assert_eq!(event["detail"], "kenmen_not_genuine");
}

/// A card that answers a PIN VERIFY with 6Cxx: exactly one VERIFY reached it.
#[test]
#[ignore = "needs pcscd with vpcd: scripts/with-pcscd.sh"]
fn six_c_on_verify_means_one_verify() {
    let _lock = READERS.lock().unwrap_or_else(|p| p.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let text = profile_text("alice", &[]) + "\n[faults]\nverify_6cxx = true\n";
    let six_c = variant(dir.path(), "six-c.toml", &text);
    let (mut t, _pc) = terminal_and_pc(options());
    let before = pcscd_answers(PIN_VERIFY).len();
    let mut card = Vcard::start(&six_c, VPCD_CARD);
    card.say("insert");
    t.expect("method_select");
    t.press("pin");
    t.expect("pin");
    t.send(json!({"pin": "9999"}));
    t.expect("card_error");
    let sent = &pcscd_answers(PIN_VERIFY)[before..];
    assert_eq!(sent, ["6C 00"], "one VERIFY, answered 6C00: {sent:?}");
}

/// A card that stops answering: after the operation deadline the terminal says so,
/// tells the PC, and returns to idle.
#[test]
#[ignore = "needs pcscd with vpcd: scripts/with-pcscd.sh"]
fn a_silent_card_gives_the_terminal_back() {
    let _lock = READERS.lock().unwrap_or_else(|p| p.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let text = profile_text("alice", &[]) + "\n[faults]\nstall_at_apdu = 1\n";
    let silent = variant(dir.path(), "silent.toml", &text);
    let mut o = options();
    o.extra.push_str(&card_section());
    o.extra.push_str("operation_timeout_s = 1\n");
    let (mut t, mut pc) = terminal_and_pc(o);
    let mut card = Vcard::start(&silent, VPCD_CARD);
    card.say("insert");
    let screen = t.expect("card_error");
    assert!(
        screen["text"].as_str().unwrap().contains("応答しません"),
        "{screen}"
    );
    let event = event_without_identity(&mut pc, "card_error");
    assert_eq!(event["detail"], "not_answering");
    t.expect("idle");
    // The card leaves; the stalled exchange ends and the reader is usable again.
    card.say("remove");
    drop(card);
    let mut alice = Vcard::start(profile("alice"), VPCD_CARD);
    alice.say("insert");
    t.expect("method_select");
}
