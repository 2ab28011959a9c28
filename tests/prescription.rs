//! 処方箋の発行形態 (`[policy] prescription_choice`): a real `kaonin run` and
//! `kaonin pc`. On: after consent the patient chooses, and the identity carries
//! `"prescription"`; off (the default): no screen, no field.

// Uses the simulators (cargo feature `sim`, on by default).
#![cfg(feature = "sim")]

mod common;

use common::*;

#[test]
fn prescription_choice_on_asks_and_sends_the_choice() {
    let mut t = Terminal::start_edited(
        Options::default(),
        &[("[policy]\n", "[policy]\nprescription_choice = true\n")],
        None,
    );
    let mut pc = Pc::start(&t.link_socket(), &[]);
    pc.expect("hello");
    for (button, wire) in [("electronic", "electronic"), ("paper", "paper")] {
        up_to_consent(&mut t);
        let screen = t.expect("prescription");
        assert_eq!(
            screen["buttons"],
            serde_json::json!(["paper", "electronic", "cancel"]),
            "{screen}"
        );
        t.press(button);
        t.expect("done");
        let id = pc.expect("identity");
        assert_eq!(id["prescription"], wire, "{id}");
        assert_eq!(id["method"], "face");
        t.remove();
        t.expect("idle");
    }
}

#[test]
fn prescription_choice_off_has_no_screen_and_no_field() {
    let (mut t, mut pc) = terminal_and_pc(Options::default());
    up_to_consent(&mut t);
    t.expect("done");
    let id = pc.expect("identity");
    assert!(id.get("prescription").is_none(), "{id}");
    assert!(!t.screens.contains(&"prescription".to_string()));
}
