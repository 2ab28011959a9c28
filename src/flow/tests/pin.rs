//! The PIN: wrong PINs down to the lock, a card locked before any VERIFY, and
//! PIN-less cards.

use super::*;

#[test]
fn wrong_pin_three_times_locks_then_visual_check_forwards() {
    let mut run = Run::new();
    run.card(CardKind::Standard, PhotoStatus::KeyRefused);
    assert_eq!(
        run.last_screen().buttons,
        vec![Button::Pin, Button::Cancel, Button::Staff, Button::Lang]
    );
    run.send(Event::Press(Button::Pin));
    run.send(Event::PinTries(Ok(PinStatus::Tries(3))));
    for left in [2, 1, 0] {
        run.send(Event::PinTyped(pin("0000")));
        run.send(Event::PinVerified(Ok(VerifyOutcome::Wrong {
            tries_left: left,
        })));
    }
    assert_eq!(run.flow.state(), StateName::PinLocked);
    // Typing again sends nothing.
    let out = run.send(Event::PinTyped(pin("1234")));
    assert!(out.is_empty());
    assert_eq!(run.count(|a| matches!(a, Action::VerifyPin(_))), 3);
    run.send(Event::StaffVisual(pin("4321")));
    assert!(matches!(
        run.actions.last(),
        Some(Action::CheckStaffPasscode(_))
    ));
    run.send(Event::StaffChecked(StaffCheck::Accepted {
        account: "staff-01".into(),
    }));
    assert_eq!(run.flow.state(), StateName::VisualArmed);
    run.send(Event::StaffConfirm);
    run.consent_all_and_ack();
    let ids = run.enqueued();
    assert_eq!(ids[0].method, Method::Visual);
    assert_eq!(ids[0].staff_account.as_deref(), Some("staff-01"));
    assert_eq!(ids[0].card_signature, None);
    assert!(run.actions.iter().any(|a| matches!(
        a,
        Action::Audit(AuditEntry::VisualConfirmed { account, .. }) if account == "staff-01"
    )));
    // Visual mode served one patient: the next card gets the normal flow.
    run.send(Event::CardAbsent(ReaderRole::Card));
    run.card(CardKind::Standard, PhotoStatus::Available);
    assert_eq!(run.flow.state(), StateName::MethodSelect);
}

#[test]
fn locked_card_goes_straight_to_pin_locked_without_verify() {
    let mut run = Run::new();
    run.card(CardKind::Standard, PhotoStatus::NoCardFace);
    run.send(Event::Press(Button::Pin));
    run.send(Event::PinTries(Ok(PinStatus::Blocked)));
    assert_eq!(run.flow.state(), StateName::PinLocked);
    run.send(Event::PinTyped(pin("1234")));
    assert_eq!(run.count(|a| matches!(a, Action::VerifyPin(_))), 0);
}

#[test]
fn pinless_card_offers_no_pin() {
    let mut run = Run::new();
    run.card(CardKind::PinLess, PhotoStatus::Available);
    let screen = run.last_screen();
    assert_eq!(
        screen.buttons,
        vec![Button::Face, Button::Cancel, Button::Staff, Button::Lang]
    );
    run.send(Event::Press(Button::Pin));
    assert_eq!(run.flow.state(), StateName::MethodSelect);
    run.send(Event::Press(Button::Face));
    run.send(Event::Face(FaceOutcome::Match { score: 0.9 }));
    run.consent_all_and_ack();
    assert_eq!(run.enqueued()[0].method, Method::Face);
}
