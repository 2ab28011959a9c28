//! Device loss during receptions, through the real daemon (mock reader and image
//! camera, whose cables the control socket pulls): the staff screen while a device
//! is out, the PC told which, normal service once it is back, nothing forwarded
//! twice, and no panic in the daemon's log.
//!
//! (`tests/reception.rs` has the basic camera-then-reader case; these add losses
//! at the moments where a record could be duplicated or lost, and two at once.)

mod common;

use common::*;
use serde_json::{json, Value};

fn logged_terminal() -> (Terminal, Pc) {
    let t = Terminal::start_edited(Options::default(), &[], Some("info"));
    let mut pc = Pc::start(&t.link_socket(), &["--passcode", "staff-01=2580"]);
    pc.expect("hello");
    pc.expect("ok");
    (t, pc)
}

/// Waits for a status naming exactly `failed` as the failed devices.
fn expect_failed(pc: &mut Pc, failed: Value) {
    loop {
        let status = pc.expect("status");
        let sorted = |v: &Value| {
            let mut names: Vec<String> = v
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|d| d.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            names.sort();
            names
        };
        if sorted(status.get("failed_devices").unwrap_or(&json!([]))) == sorted(&failed) {
            return;
        }
    }
}

fn plug(t: &mut Terminal, device: &str, plugged: bool) {
    let state = if plugged { "plugged" } else { "unplugged" };
    t.send(json!({"device": device, "state": state}));
}

/// One more complete face reception: its identity must be the next one the PC
/// sees (a re-sent old record would come first).
fn one_more_reception(t: &mut Terminal, pc: &mut Pc) {
    let before = t.forwarded.len();
    face_reception(t, "done");
    assert_eq!(t.forwarded.len(), before + 1);
    let id = pc.expect("identity");
    assert_eq!(
        id["id"], t.forwarded[before]["id"],
        "the PC's next identity"
    );
    t.remove();
    t.expect("idle");
}

fn assert_no_panic(t: &Terminal) {
    let log = t.log();
    assert!(log.contains("ready"), "the log was captured: {log}");
    assert!(!log.contains("panicked"), "{log}");
}

#[test]
fn camera_lost_while_capturing_then_back() {
    let (mut t, mut pc) = logged_terminal();
    // Nothing in view: the face screen keeps capturing.
    t.camera(None);
    t.insert("alice");
    t.expect("method_select");
    t.press("face");
    t.expect("face");
    plug(&mut t, "camera", false);
    let screen = t.expect("staff_call");
    assert!(
        screen["text"].as_str().unwrap().contains("カメラ"),
        "{screen}"
    );
    expect_failed(&mut pc, json!(["camera"]));
    // Cards are not served while the camera is out.
    let out_of_order = t.screens.len();
    t.remove();
    t.insert("alice");
    plug(&mut t, "camera", true);
    t.expect("idle");
    expect_failed(&mut pc, json!([]));
    assert!(
        !t.screens[out_of_order..].contains(&"reading".to_string()),
        "no card read while out of order: {:?}",
        t.screens
    );
    t.remove();
    assert!(t.forwarded.is_empty());
    one_more_reception(&mut t, &mut pc);
    assert_no_panic(&t);
}

#[test]
fn reader_lost_after_the_record_was_stored_forwards_it_once() {
    let (mut t, mut pc) = logged_terminal();
    face_reception(&mut t, "done");
    let first = pc.expect("identity");
    assert_eq!(first["id"], t.forwarded[0]["id"]);
    // The reader is pulled while the patient still sees 受付完了.
    plug(&mut t, "reader", false);
    t.expect("staff_call");
    expect_failed(&mut pc, json!(["reader"]));
    plug(&mut t, "reader", true);
    t.expect("idle");
    t.remove();
    // The same card again: a new reception, a new record; the first is not re-sent.
    one_more_reception(&mut t, &mut pc);
    assert_ne!(t.forwarded[0]["id"], t.forwarded[1]["id"]);
    assert_eq!(t.forwarded.len(), 2);
    assert_no_panic(&t);
}

#[test]
fn reader_lost_during_consent_forwards_nothing() {
    let (mut t, mut pc) = logged_terminal();
    t.camera(Some("alice-camera.png"));
    t.insert("alice");
    t.expect("method_select");
    t.press("face");
    t.expect("consent");
    plug(&mut t, "reader", false);
    t.expect("staff_call");
    // A press meant for the consent screen is ignored while out of order.
    t.press("consent_all");
    plug(&mut t, "reader", true);
    t.expect("idle");
    assert!(t.forwarded.is_empty(), "{:?}", t.forwarded);
    t.remove();
    one_more_reception(&mut t, &mut pc);
    assert_eq!(t.forwarded.len(), 1);
    assert_no_panic(&t);
}

#[test]
fn camera_and_reader_lost_together_need_both_back() {
    let (mut t, mut pc) = logged_terminal();
    t.camera(Some("alice-camera.png"));
    t.insert("alice");
    t.expect("method_select");
    plug(&mut t, "camera", false);
    t.press("face");
    t.expect("staff_call");
    plug(&mut t, "reader", false);
    expect_failed(&mut pc, json!(["reader", "camera"]));
    // One back is not enough.
    plug(&mut t, "camera", true);
    expect_failed(&mut pc, json!(["reader"]));
    // The staff screen now names only the reader.
    loop {
        let screen = t.expect("staff_call");
        let text = screen["text"].as_str().unwrap();
        if text.contains("カードリーダー") && !text.contains("カメラ") {
            break;
        }
    }
    plug(&mut t, "reader", true);
    t.expect("idle");
    t.remove();
    one_more_reception(&mut t, &mut pc);
    assert_eq!(t.forwarded.len(), 1);
    assert_no_panic(&t);
}
