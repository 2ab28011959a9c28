//! Visual-check mode armed and disarmed from the eligibility PC (`arm_visual`,
//! `disarm`; docs/pc-link.md): a real `kaonin run` and a real `kaonin pc` whose
//! operator console (`--stdin-console`) sends the requests.

// Uses the simulators (cargo feature `sim`, on by default).
#![cfg(feature = "sim")]

mod common;

use common::*;
use serde_json::{json, Value};

fn terminal_and_console_pc(options: Options) -> (Terminal, Pc) {
    let terminal = Terminal::start(options);
    let mut pc = Pc::start_console(&terminal.link_socket(), &[]);
    pc.expect("hello");
    (terminal, pc)
}

/// The next `ok` or `error` the terminal sends.
fn answer(pc: &mut Pc) -> Value {
    loop {
        let m = pc.next();
        if m["type"] == "ok" || m["type"] == "error" {
            return m;
        }
    }
}

fn audit(t: &Terminal) -> String {
    std::fs::read_to_string(t.dir.path().join("state/audit.jsonl")).unwrap_or_default()
}

#[test]
fn arm_visual_from_the_pc_then_the_card_then_the_staff_confirm() {
    let (mut t, mut pc) = terminal_and_console_pc(Options::default());
    pc.say(json!({"type": "arm_visual", "account": "受付-02"}));
    let ok = answer(&mut pc);
    assert_eq!(
        ok,
        json!({"type": "ok", "of": "arm_visual", "account": "受付-02"})
    );
    let armed = t.expect("visual_armed");
    assert_eq!(armed["buttons"], json!(["cancel"]), "{armed}");
    // The card after arming: the photo screen.
    t.insert("alice");
    confirm_visual(&mut t);
    consent_all(&mut t);
    let id = pc.expect("identity");
    assert_eq!(id["method"], "visual");
    assert_eq!(id["staff_account"], "受付-02");
    let audit = audit(&t);
    assert!(audit.contains("\"visual_armed_by_pc\""), "{audit}");
    assert!(audit.contains("\"visual_confirmed\""), "{audit}");
    // One patient only: the next card goes to the method screen.
    t.remove();
    t.expect("idle");
    t.insert("alice");
    t.expect("method_select");
}

#[test]
fn arm_visual_with_the_card_already_on_the_reader() {
    let (mut t, mut pc) = terminal_and_console_pc(Options::default());
    t.insert("alice");
    t.expect("method_select");
    pc.say(json!({"type": "arm_visual", "account": "staff-03"}));
    assert_eq!(answer(&mut pc)["type"], "ok");
    confirm_visual(&mut t);
    consent_all(&mut t);
    assert_eq!(pc.expect("identity")["staff_account"], "staff-03");
}

#[test]
fn disarm_from_the_pc_cancels_and_is_refused_when_nothing_is_armed() {
    let (mut t, mut pc) = terminal_and_console_pc(Options::default());
    pc.say(json!({"type": "disarm"}));
    let refused = answer(&mut pc);
    assert_eq!(refused["type"], "error", "{refused}");
    assert!(
        refused["message"].as_str().unwrap().contains("not armed"),
        "{refused}"
    );
    t.insert("alice");
    t.expect("method_select");
    pc.say(json!({"type": "arm_visual", "account": "staff-01"}));
    assert_eq!(answer(&mut pc)["type"], "ok");
    t.expect("visual_armed");
    pc.say(json!({"type": "disarm"}));
    assert_eq!(
        answer(&mut pc),
        json!({"type": "ok", "of": "disarm", "account": "staff-01"})
    );
    t.expect("idle");
    assert!(audit(&t).contains("\"visual_disarmed_by_pc\""));
    t.remove();
    t.insert("alice");
    t.expect("method_select");
    assert!(t.forwarded.is_empty());
}

#[test]
fn arm_visual_is_refused_while_a_patient_enters_a_pin() {
    let (mut t, mut pc) = terminal_and_console_pc(Options::default());
    t.insert("alice");
    t.expect("method_select");
    t.press("pin");
    t.expect("pin");
    pc.say(json!({"type": "arm_visual", "account": "staff-01"}));
    let refused = answer(&mut pc);
    assert_eq!(refused["type"], "error", "{refused}");
    assert!(
        refused["message"].as_str().unwrap().contains("PIN"),
        "{refused}"
    );
    pc.say(json!({"type": "disarm"}));
    assert_eq!(answer(&mut pc)["type"], "error");
    // The patient's PIN still goes through.
    t.send(json!({"pin": "1234"}));
    consent_all(&mut t);
    assert_eq!(pc.expect("identity")["method"], "pin");
    // An account that is not a valid name is refused by the link itself.
    pc.say(json!({"type": "arm_visual", "account": ""}));
    assert_eq!(answer(&mut pc)["type"], "error");
}
