//! The status LED and buzzer per reception path, through the real daemon: with
//! `[board] indicator = "log"` every signal the flow gives the indicator role is
//! logged (debug, `kaonin_drivers::gpio`); each path runs on its own terminal, which
//! is stopped before its log is read, so the sequence is complete.
//!
//! The patterns behind each signal (LED blinks, tones) are tested in
//! `kaonin_drivers::gpio` against the table in docs/board.md; here it is which
//! signal, in which order, for each way a reception can go.

mod common;

use common::*;
use serde_json::json;

/// Runs `path` on a fresh terminal (and PC) and returns the indicator signals it
/// gave, from start-up to after the daemon stopped.
fn signals(path: impl FnOnce(&mut Terminal, &mut Pc)) -> Vec<String> {
    let options = Options {
        extra: "[face]\nmatcher = \"test-thumbnail\"\n[board]\nindicator = \"log\"\n".into(),
        ..Options::default()
    };
    let mut t = Terminal::start_edited(options, &[], Some("warn,kaonin_drivers::gpio=debug"));
    let mut pc = Pc::start(&t.link_socket(), &["--passcode", "staff-01=2580"]);
    pc.expect("hello");
    pc.expect("ok");
    path(&mut t, &mut pc);
    let status = t.terminate();
    assert!(status.success(), "{status}");
    t.log()
        .lines()
        .filter(|l| l.contains("indicator"))
        .filter_map(|l| l.split("signal=").nth(1))
        .map(|s| s.split_whitespace().next().unwrap_or("").to_owned())
        .collect()
}

fn check(name: &str, got: Vec<String>, want: &[&str]) {
    assert_eq!(got, want, "indicator signals of the {name} path");
}

#[test]
fn face_path() {
    let got = signals(|t, pc| {
        face_reception(t, "done");
        pc.expect("identity");
        t.remove();
        t.expect("idle");
    });
    check(
        "face",
        got,
        &["Ready", "CardDetected", "Success", "Success", "Ready"],
    );
}

#[test]
fn pin_path_with_one_wrong_pin() {
    let got = signals(|t, pc| {
        t.insert("alice");
        t.expect("method_select");
        t.press("pin");
        t.expect("pin");
        t.send(json!({"pin": "0000"}));
        t.expect("pin");
        t.send(json!({"pin": "1234"}));
        consent_all(t);
        pc.expect("identity");
        t.remove();
        t.expect("idle");
    });
    check(
        "PIN",
        got,
        &[
            "Ready",
            "CardDetected",
            "TryAgain",
            "Success",
            "Success",
            "Ready",
        ],
    );
}

#[test]
fn pin_lock_path() {
    let got = signals(|t, pc| {
        t.insert("alice");
        t.expect("method_select");
        t.press("pin");
        lock_pin(t, "0000");
        assert_eq!(pc.expect("event")["kind"], "pin_locked");
        t.remove();
        t.expect("idle");
    });
    check(
        "PIN lock",
        got,
        &[
            "Ready",
            "CardDetected",
            "TryAgain",
            "TryAgain",
            "Locked",
            "Ready",
        ],
    );
}

#[test]
fn visual_check_path() {
    let got = signals(|t, pc| {
        t.insert("alice");
        t.expect("method_select");
        t.press("pin");
        lock_pin(t, "0000");
        t.send(json!({"staff": "visual", "passcode": "2580"}));
        t.expect("visual_armed");
        t.send(json!({"staff": "confirm"}));
        consent_all(t);
        assert_eq!(pc.expect("identity")["method"], "visual");
        t.remove();
        t.expect("idle");
    });
    check(
        "visual check",
        got,
        &[
            "Ready",
            "CardDetected",
            "TryAgain",
            "TryAgain",
            "Locked",
            "Success",
            "Success",
            "Ready",
        ],
    );
}

#[test]
fn smartphone_path() {
    let got = signals(|t, pc| {
        t.press("phone");
        t.expect("phone");
        t.insert("carol-android");
        t.expect("pin");
        t.send(json!({"pin": "2468"}));
        consent_all(t);
        assert_eq!(pc.expect("identity")["method"], "smartphone");
        t.remove();
        t.expect("idle");
    });
    check(
        "smartphone",
        got,
        &["Ready", "CardDetected", "Success", "Success", "Ready"],
    );
}

#[test]
fn card_error_path() {
    let got = signals(|t, _pc| {
        t.insert("alice-expired");
        t.expect("card_error");
        t.remove();
        t.expect("idle");
    });
    check(
        "card error",
        got,
        // The card cannot be used here: the patient goes to the counter.
        &["Ready", "CardDetected", "StaffNeeded", "Ready"],
    );
}

#[test]
fn staff_needed_paths() {
    // No method left: a PIN-less card whose face does not match; the method
    // screen comes back (staff may arm a visual check) and staff are called.
    let got = signals(|t, _pc| {
        t.camera(Some("alice-camera.png"));
        t.insert("bob-pinless");
        t.expect("method_select");
        t.press("face");
        t.expect("face");
        t.expect("method_select");
        t.remove();
        t.expect("idle");
    });
    check(
        "staff needed (no method left)",
        got,
        &[
            "Ready",
            "CardDetected",
            "TryAgain",
            "TryAgain",
            "StaffNeeded",
            "Ready",
        ],
    );
    // A device fault mid-reception, then the device is back.
    let got = signals(|t, _pc| {
        t.insert("alice");
        t.expect("method_select");
        t.send(json!({"device": "camera", "state": "unplugged"}));
        t.press("face");
        t.expect("staff_call");
        t.send(json!({"device": "camera", "state": "plugged"}));
        t.expect("idle");
    });
    check(
        "staff needed (device fault)",
        got,
        &["Ready", "CardDetected", "StaffNeeded", "Ready"],
    );
}
