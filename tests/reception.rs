//! Whole receptions through a real `kaonin run` (mock reader, image camera, PNG
//! display, control socket) and a real `kaonin pc` on the PC-link socket.

mod common;

use base64::Engine;
use common::*;
use serde_json::json;

fn b64(value: &serde_json::Value) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(value.as_str().expect("base64 string"))
        .expect("valid base64")
}

#[test]
fn face_success_forwards_a_face_identity() {
    let (mut t, mut pc) = terminal_and_pc(Options::default());
    t.camera(Some("alice-camera.png"));
    t.insert("alice");
    t.expect("reading");
    let method = t.expect("method_select");
    assert!(method["buttons"]
        .as_array()
        .unwrap()
        .contains(&json!("face")));
    t.press("face");
    t.expect("face");
    consent_all(&mut t);
    let id = pc.expect("identity");
    assert_eq!(id["method"], "face");
    assert_eq!(id["terminal_id"], "test-terminal");
    assert!(id["face_score"].as_f64().unwrap() > 0.0);
    assert!(id.get("card_signature").is_none());
    assert_eq!(id["consent_mode"], "all");
    assert_eq!(id["consent"]["medication"], true);
    assert_eq!(b64(&id["certificate"])[0], 0x30, "DER certificate");
    assert_eq!(t.forwarded.len(), 1);
    assert_eq!(t.forwarded[0]["id"], id["id"]);
    t.remove();
    t.expect("idle");
}

#[test]
fn face_fails_then_pin_succeeds() {
    let (mut t, mut pc) = terminal_and_pc(Options::default());
    t.camera(Some("bob.png"));
    t.insert("alice");
    t.expect("method_select");
    t.press("face");
    let pin = t.expect("pin");
    assert!(
        pin["text"].as_str().unwrap().contains('3'),
        "tries left shown: {pin}"
    );
    t.send(json!({"pin": "1234"}));
    t.expect("consent");
    t.press("consent_individual");
    for answer in ["yes", "no", "no", "yes"] {
        t.expect("consent_items");
        t.press(answer);
    }
    t.expect("done");
    let id = pc.expect("identity");
    assert_eq!(id["method"], "pin");
    assert_eq!(b64(&id["card_signature"]).len(), 256);
    assert_eq!(id["consent_mode"], "individual");
    assert_eq!(
        id["consent"],
        json!({"medication": true, "medical_history": false, "surgery": false, "health_checkup": true})
    );
    let faces = t.screens.iter().filter(|s| *s == "face").count();
    assert!(
        faces >= 3,
        "three face attempts were shown: {:?}",
        t.screens
    );
}

#[test]
fn three_wrong_pins_lock_then_staff_visual_check_forwards() {
    let (mut t, mut pc) = terminal_and_pc(Options::default());
    t.insert("alice");
    t.expect("method_select");
    t.press("pin");
    lock_pin(&mut t, "0000");
    assert_eq!(pc.expect("event")["kind"], "pin_locked");
    t.send(json!({"staff": "visual", "passcode": "2580"}));
    t.expect("visual_armed");
    t.send(json!({"staff": "confirm"}));
    consent_all(&mut t);
    let id = pc.expect("identity");
    assert_eq!(id["method"], "visual");
    assert_eq!(id["staff_account"], "staff-01");
    assert!(id.get("card_signature").is_none());
    // The audit log names the staff account.
    let audit = std::fs::read_to_string(t.dir.path().join("state/audit.jsonl")).unwrap();
    assert!(audit.contains("staff-01"), "{audit}");
}

#[test]
fn pinless_card_offers_face_only() {
    let (mut t, mut pc) = terminal_and_pc(Options::default());
    t.camera(Some("bob.png"));
    t.insert("bob-pinless");
    let screen = t.expect("method_select");
    let buttons = screen["buttons"].as_array().unwrap();
    assert!(buttons.contains(&json!("face")));
    assert!(!buttons.contains(&json!("pin")), "{screen}");
    t.press("face");
    consent_all(&mut t);
    assert_eq!(pc.expect("identity")["method"], "face");
}

#[test]
fn android_phone_with_its_pin() {
    let (mut t, mut pc) = terminal_and_pc(Options::default());
    t.press("phone");
    t.expect("phone");
    t.insert("carol-android");
    t.expect("pin");
    t.send(json!({"pin": "2468"}));
    consent_all(&mut t);
    let id = pc.expect("identity");
    assert_eq!(id["method"], "smartphone");
    assert_eq!(b64(&id["card_signature"]).len(), 256);
}

#[test]
fn iphone_authenticated_on_the_phone() {
    let (mut t, mut pc) = terminal_and_pc(Options::default());
    t.press("phone");
    t.expect("phone");
    t.insert("carol-iphone");
    consent_all(&mut t);
    let id = pc.expect("identity");
    assert_eq!(id["method"], "smartphone");
    assert!(!t.screens.contains(&"pin".to_string()));
}

#[test]
fn card_removed_in_each_state_forwards_nothing() {
    let (mut t, mut pc) = terminal_and_pc(Options::default());
    // Each closure brings the terminal to one state with the card on the reader.
    type Reach = Box<dyn Fn(&mut Terminal)>;
    let states: Vec<(&str, Reach)> = vec![
        ("method_select", Box::new(|_t: &mut Terminal| {})),
        (
            "face",
            Box::new(|t: &mut Terminal| {
                t.camera(None);
                t.press("face");
            }),
        ),
        ("pin", Box::new(|t: &mut Terminal| t.press("pin"))),
        (
            "pin_locked",
            Box::new(|t: &mut Terminal| {
                t.press("pin");
                t.expect("pin");
                for _ in 0..2 {
                    t.send(json!({"pin": "0000"}));
                    t.expect("pin");
                }
                t.send(json!({"pin": "0000"}));
            }),
        ),
        (
            "visual_armed",
            Box::new(|t: &mut Terminal| t.send(json!({"staff": "visual", "passcode": "2580"}))),
        ),
        (
            "consent",
            Box::new(|t: &mut Terminal| {
                t.send(json!({"staff": "visual", "passcode": "2580"}));
                t.expect("visual_armed");
                t.send(json!({"staff": "confirm"}));
            }),
        ),
        (
            "consent_items",
            Box::new(|t: &mut Terminal| {
                t.send(json!({"staff": "visual", "passcode": "2580"}));
                t.expect("visual_armed");
                t.send(json!({"staff": "confirm"}));
                t.expect("consent");
                t.press("consent_individual");
            }),
        ),
    ];
    for (state, reach) in &states {
        t.insert("alice");
        if *state != "method_select" {
            t.expect("method_select");
        }
        reach(&mut t);
        t.expect(state);
        t.remove();
        t.expect("idle");
    }
    assert!(t.forwarded.is_empty(), "{:?}", t.forwarded);
    // The next complete reception is the first identity the PC ever sees.
    t.camera(Some("alice-camera.png"));
    t.insert("alice");
    t.expect("method_select");
    t.press("face");
    consent_all(&mut t);
    let id = pc.expect("identity");
    assert_eq!(id["id"], t.forwarded[0]["id"]);
}

#[test]
fn inactivity_timeout_returns_to_idle() {
    let mut options = Options::default();
    options.policy.push(("screen_timeout_s", 1));
    let (mut t, _pc) = terminal_and_pc(options);
    t.insert("alice");
    t.expect("method_select");
    t.expect("idle");
    assert!(t.forwarded.is_empty());
}

#[test]
fn record_waits_for_a_pc_that_is_not_listening() {
    let mut t = Terminal::start(Options::default());
    face_reception(&mut t, "sent_offline");
    let forwarded = t.forwarded[0]["id"].clone();
    t.remove();
    t.expect("idle");
    // The PC comes up later: the record is delivered then.
    let mut pc = Pc::start(&t.link_socket(), &[]);
    let id = pc.expect("identity");
    assert_eq!(id["id"], forwarded);
    assert_eq!(id["method"], "face");
}

#[test]
fn wrong_staff_passcodes_past_the_limit_lock_staff_out() {
    let mut options = Options::default();
    options.policy.push(("staff_passcode_attempts", 2));
    let (mut t, _pc) = terminal_and_pc(options);
    t.insert("alice");
    t.expect("method_select");
    for _ in 0..2 {
        t.send(json!({"staff": "visual", "passcode": "1111"}));
        t.expect("method_select");
    }
    // Even the right passcode is refused during the lockout.
    t.send(json!({"staff": "visual", "passcode": "2580"}));
    let screen = t.expect("method_select");
    assert!(!t.screens.contains(&"visual_armed".to_string()), "{screen}");
    let audit = std::fs::read_to_string(t.dir.path().join("state/audit.jsonl")).unwrap();
    assert!(audit.contains("locked"), "{audit}");
}

#[test]
fn bad_control_lines_get_an_error_and_change_nothing() {
    let mut t = Terminal::start(Options::default());
    t.send(json!({"press": "launch"}));
    assert!(t.expect_error().contains("unknown button"));
    t.send(json!({"pin": "12"}));
    assert!(t.expect_error().contains("pin"));
    // A path outside `input.control_dirs`: refused, and never echoed back.
    t.send(json!({"card": "insert", "profile": "/nonexistent.toml"}));
    let e = t.expect_error();
    assert!(
        e.contains("control_dirs") && !e.contains("nonexistent"),
        "{e}"
    );
    t.send(json!({"camera": "/etc/passwd"}));
    let e = t.expect_error();
    assert!(e.contains("control_dirs") && !e.contains("passwd"), "{e}");
    // Still serving.
    t.insert("alice");
    t.expect("method_select");
}

#[test]
fn sigterm_stops_cleanly_and_keeps_the_outbox() {
    let mut t = Terminal::start(Options::default());
    face_reception(&mut t, "sent_offline");
    let status = t.terminate();
    assert!(status.success(), "{status}");
    // A new daemon on the same state delivers the kept record.
    let id = t.forwarded[0]["id"].clone();
    let dir = tempfile::tempdir().unwrap();
    let _ = dir;
    let mut pc = Pc::start(&t.link_socket(), &[]);
    let config = t.dir.path().join("kaonin.toml");
    let restarted_dir = std::mem::replace(&mut t.dir, tempfile::tempdir().unwrap());
    let _t2 = Terminal::start_with(restarted_dir, &config);
    assert_eq!(pc.expect("identity")["id"], id);
}

/// A copy of a profile with a fault section, with its relative paths made absolute.
fn faulty_profile(dir: &std::path::Path, name: &str, faults: &str) -> String {
    let cards = asset("cards");
    let text = std::fs::read_to_string(cards.join(format!("{name}.toml")))
        .unwrap()
        .replace("\"../faces/", &format!("\"{}/", asset("faces").display()))
        .replace("\"keys/", &format!("\"{}/keys/", cards.display()));
    let path = dir.join(format!("{name}-faulty.toml"));
    std::fs::write(&path, format!("{text}\n[faults]\n{faults}\n")).unwrap();
    path.display().to_string()
}

#[test]
fn card_pulled_at_every_apdu_of_a_pin_reception_returns_to_idle() {
    let (mut t, mut pc) = terminal_and_pc(Options::default());
    let dir = tempfile::tempdir().unwrap();
    let mut completed_at = None;
    for n in 1..200u32 {
        let profile = faulty_profile(dir.path(), "alice", &format!("remove_at_apdu = {n}"));
        t.send(json!({"card": "insert", "profile": profile}));
        t.expect("reading");
        let finished = loop {
            let event = t.next_event();
            match (event["event"].as_str(), event["id"].as_str()) {
                (Some("screen"), Some("method_select")) => t.press("pin"),
                (Some("screen"), Some("pin")) => t.send(json!({"pin": "1234"})),
                (Some("screen"), Some("consent")) => t.press("consent_all"),
                (Some("screen"), Some("done")) => {
                    t.remove();
                    t.expect("idle");
                    break true;
                }
                (Some("screen"), Some("idle")) => break false,
                (Some("screen"), Some("card_error")) => {
                    panic!("a pulled card is not a card error (APDU {n}): {event}")
                }
                (Some("error"), _) => panic!("control error at APDU {n}: {event}"),
                _ => {}
            }
        };
        if finished {
            completed_at = Some(n);
            break;
        }
        assert!(t.forwarded.is_empty(), "forwarded after a pull at APDU {n}");
        // A pulled card leaves the reader empty; clear the mock slot for the next.
        t.remove();
    }
    let n = completed_at.expect("a reception with the pull beyond its last APDU completes");
    assert!(
        n > 10,
        "a PIN reception takes more than 10 APDUs (completed at {n})"
    );
    assert_eq!(t.forwarded.len(), 1);
    assert_eq!(pc.expect("identity")["method"], "pin");
}

#[test]
fn devices_lost_and_restored_mid_reception_call_staff_then_serve_again() {
    let (mut t, mut pc) = terminal_and_pc(Options::default());
    t.camera(Some("alice-camera.png"));
    t.insert("alice");
    t.expect("method_select");
    // The camera cable is pulled just before the face attempt.
    t.send(json!({"device": "camera", "state": "unplugged"}));
    t.press("face");
    let screen = t.expect("staff_call");
    assert!(
        screen["text"].as_str().unwrap().contains("カメラ"),
        "{screen}"
    );
    loop {
        let status = pc.expect("status");
        if status["failed_devices"] == json!(["camera"]) {
            break;
        }
    }
    t.send(json!({"device": "camera", "state": "plugged"}));
    t.expect("idle");
    t.remove();
    t.insert("alice");
    t.expect("method_select");
    // Now the reader goes away mid-reception.
    t.send(json!({"device": "reader", "state": "unplugged"}));
    t.expect("staff_call");
    t.send(json!({"device": "reader", "state": "plugged"}));
    t.expect("idle");
    // Normal service: one reception, forwarded once.
    t.insert("alice");
    t.expect("method_select");
    t.press("face");
    consent_all(&mut t);
    assert_eq!(t.forwarded.len(), 1);
    let id = pc.expect("identity");
    assert_eq!(id["id"], t.forwarded[0]["id"]);
}

#[test]
fn a_camera_missing_at_start_calls_staff_instead_of_crashing() {
    let options = Options {
        extra: "[camera]\nkind = \"v4l2\"\ndevice = \"/dev/video-kaonin-missing\"\n[face]\nmatcher = \"test-thumbnail\"\n".into(),
        ..Options::default()
    };
    // The harness's config already has a [camera] table: replace it.
    let mut t = Terminal::start_replacing(options, "[camera]\nkind = \"images\"\n");
    let screen = t.expect("staff_call");
    assert!(
        screen["text"].as_str().unwrap().contains("カメラ"),
        "{screen}"
    );
    // Cards are not read while the terminal is out of order.
    t.insert("alice");
    t.send(json!({"press": "ok"}));
    t.send(json!({"card": "remove"}));
    t.send(json!({"press": "lang"}));
    while t.expect("staff_call")["lang"] != "en" {}
    assert!(!t.screens.contains(&"reading".to_string()));
    assert!(
        t.screens.iter().all(|s| s == "staff_call" || s == "idle"),
        "{:?}",
        t.screens
    );
}

#[test]
fn card_arrivals_and_departures_are_announced_on_the_control_socket() {
    let mut t = Terminal::start(Options::default());
    let card_event = |t: &mut Terminal| loop {
        let event = t.next_event();
        if event["event"] == "card" {
            return event;
        }
    };
    t.insert("alice");
    let arrived = card_event(&mut t);
    assert_eq!(
        arrived,
        json!({"event": "card", "reader": "card", "present": true})
    );
    t.remove();
    let left = card_event(&mut t);
    assert_eq!(
        left,
        json!({"event": "card", "reader": "card", "present": false})
    );
}
