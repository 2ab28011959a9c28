//! 利用登録 (issue 15, item 4), end to end: a real `kaonin run` and `kaonin pc
//! --result not_registered`. The PC answers the identity `not_registered`, the
//! terminal shows the registration screen, the patient presses yes, and the PC
//! receives a `registration` with the identity's id (signed like an identity),
//! also when the PC was down at that moment (the outbox delivers it after the PC
//! restarts, or after the terminal itself restarts).
//!
//! The `…_through_pcscd` tests read the card through a real pcscd with the virtual
//! card: `scripts/with-pcscd.sh cargo test --features pcsc --test registration --
//! --include-ignored`. The others use the mock reader and run everywhere.

// Uses the simulators (cargo feature `sim`, on by default).
#![cfg(feature = "sim")]

mod common;

use common::*;
use serde_json::{json, Value};
use std::path::PathBuf;

/// The terminal's public signing key (unix-socket deployments).
fn signing_key(t: &Terminal) -> PathBuf {
    t.dir.path().join("state/identity-signing.pub")
}

fn audit(t: &Terminal) -> String {
    std::fs::read_to_string(t.dir.path().join("state/audit.jsonl")).unwrap_or_default()
}

/// A receiver answering every identity `not_registered`, checking signatures
/// (with a console, so a test can ask the terminal for its status).
fn not_registered_pc(t: &Terminal) -> Pc {
    let key = signing_key(t);
    let mut pc = Pc::start_console(
        &t.link_socket(),
        &[
            "--result",
            "not_registered",
            "--terminal-key",
            key.to_str().unwrap(),
        ],
    );
    pc.expect("hello");
    pc
}

/// From the consent screen: consent, the PC's `not_registered`, the registration
/// screen (checked); returns the identity the PC received.
fn up_to_the_registration_screen(t: &mut Terminal, pc: &mut Pc) -> Value {
    t.expect("consent");
    t.press("consent_all");
    let identity = pc.expect("identity");
    assert_eq!(
        identity["terminal_signature_check"], "verified",
        "{identity}"
    );
    let screen = t.expect("registration");
    assert_eq!(screen["buttons"], json!(["yes", "no"]), "{screen}");
    assert!(
        screen["text"].as_str().unwrap().contains("利用登録"),
        "{screen}"
    );
    identity
}

/// The PC's messages up to the next `registration`; fails if an identity comes
/// first (an acked identity must not be sent again).
fn next_registration(pc: &mut Pc) -> Value {
    loop {
        let msg = pc.next();
        assert_ne!(
            msg["type"], "identity",
            "an acked identity came again: {msg}"
        );
        if msg["type"] == "registration" {
            return msg;
        }
    }
}

/// Asks the terminal for its status until its outbox is empty: the PC's ack of
/// the registration (`"for":"registration"`) was applied. (The status answering
/// the request comes after the terminal handled the ack, sent before it.)
fn wait_outbox_empty(pc: &mut Pc) {
    pc.say(json!({"type": "status_request"}));
    while pc.expect("status")["outbox"] != 0 {}
}

fn assert_registration_of(registration: &Value, identity: &Value) {
    assert_eq!(registration["id"], identity["id"], "{registration}");
    assert_eq!(registration["agreed"], true, "{registration}");
    assert_eq!(registration["terminal_id"], "test-terminal");
    assert_eq!(
        registration["terminal_signature_check"], "verified",
        "{registration}"
    );
    // Nothing of the card or the patient rides along.
    for field in [
        "certificate",
        "card_signature",
        "face_score",
        "consent",
        "method",
    ] {
        assert!(registration.get(field).is_none(), "{field}: {registration}");
    }
}

#[test]
fn yes_sends_a_registration_with_the_identity_id() {
    let mut t = Terminal::start(Options::default());
    let mut pc = not_registered_pc(&t);
    t.camera(Some("alice-camera.png"));
    t.insert("alice");
    t.expect("method_select");
    t.press("face");
    let identity = up_to_the_registration_screen(&mut t, &mut pc);
    t.press("yes");
    t.expect("registration_sent");
    let registration = next_registration(&mut pc);
    assert_registration_of(&registration, &identity);
    wait_outbox_empty(&mut pc);
    let audit = audit(&t);
    let id = identity["id"].as_str().unwrap();
    for what in ["registration_offered", "registration_accepted"] {
        assert!(
            audit
                .lines()
                .any(|l| l.contains(&format!("\"{what}\"")) && l.contains(id)),
            "{what} for {id}: {audit}"
        );
    }
    assert!(!audit.contains("registration_declined"), "{audit}");
    t.press("ok");
    t.expect("idle");
}

#[test]
fn no_sends_nothing_and_finishes_at_the_done_screen() {
    let mut t = Terminal::start(Options::default());
    let mut pc = not_registered_pc(&t);
    t.camera(Some("alice-camera.png"));
    t.insert("alice");
    t.expect("method_select");
    t.press("face");
    let identity = up_to_the_registration_screen(&mut t, &mut pc);
    t.press("no");
    let done = t.expect("done");
    assert!(
        done["text"]
            .as_str()
            .unwrap()
            .contains("利用登録がありません"),
        "{done}"
    );
    t.remove();
    t.expect("idle");
    // The next reception's identity is the next thing the PC gets: no registration
    // came in between.
    t.insert("alice");
    t.expect("method_select");
    t.press("face");
    t.expect("consent");
    t.press("consent_all");
    let next = loop {
        let msg = pc.next();
        assert_ne!(msg["type"], "registration", "{msg}");
        if msg["type"] == "identity" {
            break msg;
        }
    };
    assert_ne!(next["id"], identity["id"]);
    let audit = audit(&t);
    assert!(audit.contains("\"registration_declined\""), "{audit}");
    assert!(!audit.contains("\"registration_accepted\""), "{audit}");
}

#[test]
fn a_registration_made_while_the_pc_is_down_survives_a_terminal_restart() {
    let mut t = Terminal::start(Options::default());
    let identity = {
        let mut pc = not_registered_pc(&t);
        t.camera(Some("alice-camera.png"));
        t.insert("alice");
        t.expect("method_select");
        t.press("face");
        up_to_the_registration_screen(&mut t, &mut pc)
        // The PC goes away here (dropped: killed).
    };
    t.press("yes");
    t.expect("registration_sent");
    // The terminal dies too; its outbox keeps the registration.
    let dir = t.take_dir();
    let config = dir.path().join("kaonin.toml");
    let t = Terminal::start_with(dir, &config);
    let mut pc = not_registered_pc(&t);
    let registration = next_registration(&mut pc);
    assert_registration_of(&registration, &identity);
    wait_outbox_empty(&mut pc);
}

// ---- through a real pcscd with the virtual card -------------------------------

#[cfg(feature = "pcsc")]
mod pcscd {
    use super::*;
    use std::sync::Mutex;

    /// The virtual readers are shared: one test at a time.
    static READERS: Mutex<()> = Mutex::new(());

    /// Tells the terminal what the card-face scanner reads from the profile's card.
    fn card_face(t: &mut Terminal, name: &str) {
        let profile =
            kaonin::sim::vcard::Profile::load(std::path::Path::new(&profile(name))).unwrap();
        let face = profile.printed_face();
        t.send(json!({"card_face": {
            "birth": face.birth, "expiry": face.expiry, "security_code": face.security_code
        }}));
    }

    /// Alice's virtual card placed on the pcscd reader, up to the consent screen.
    fn present_alice(t: &mut Terminal) -> Vcard {
        t.camera(Some("alice-camera.png"));
        card_face(t, "alice");
        let mut card = Vcard::start(profile("alice"), VPCD_CARD);
        card.say("insert");
        t.expect("reading");
        t.expect("method_select");
        t.press("face");
        card
    }

    #[test]
    #[ignore = "needs pcscd with vpcd: scripts/with-pcscd.sh"]
    fn registration_through_pcscd() {
        let _lock = READERS.lock().unwrap_or_else(|p| p.into_inner());
        let mut t = Terminal::start(pcsc_options());
        let mut pc = not_registered_pc(&t);
        let mut card = present_alice(&mut t);
        let identity = up_to_the_registration_screen(&mut t, &mut pc);
        assert_eq!(identity["method"], "face");
        t.press("yes");
        t.expect("registration_sent");
        let registration = next_registration(&mut pc);
        assert_registration_of(&registration, &identity);
        card.say("remove");
        t.expect("idle");
    }

    #[test]
    #[ignore = "needs pcscd with vpcd: scripts/with-pcscd.sh"]
    fn registration_reaches_a_restarted_pc_through_the_outbox_through_pcscd() {
        let _lock = READERS.lock().unwrap_or_else(|p| p.into_inner());
        let mut t = Terminal::start(pcsc_options());
        let mut card;
        let identity = {
            let mut pc = not_registered_pc(&t);
            card = present_alice(&mut t);
            up_to_the_registration_screen(&mut t, &mut pc)
            // The PC stops here (dropped: killed) before the patient answers.
        };
        t.press("yes");
        // Stored in the outbox: the patient is told, PC or not.
        t.expect("registration_sent");
        card.say("remove");
        t.expect("idle");
        // The PC comes back: the registration arrives, the acked identity does not.
        let mut pc = not_registered_pc(&t);
        let registration = next_registration(&mut pc);
        assert_registration_of(&registration, &identity);
        wait_outbox_empty(&mut pc);
    }
}
