//! 利用登録: the PC answers `not_registered`; the terminal offers the registration,
//! and yes stores a `registration` for the same id; no, a timeout, the card
//! removed or やめる end the session as everywhere.

use super::*;

/// A face reception up to the PC's `not_registered` answer (link up, or offline
/// first when `offline`).
fn not_registered(offline: bool) -> Run {
    let mut run = Run::new();
    run.send(Event::Link { up: !offline });
    run.face_match_stored();
    run.send(Event::Acked {
        id: ID.into(),
        result: AckResult::NotRegistered,
        message: Some("利用登録がありません".into()),
    });
    run
}

fn registrations(run: &Run) -> Vec<String> {
    run.actions
        .iter()
        .filter_map(|a| match a {
            Action::EnqueueRegistration { id } => Some(id.clone()),
            _ => None,
        })
        .collect()
}

fn audits(run: &Run) -> Vec<AuditEntry> {
    run.actions
        .iter()
        .filter_map(|a| match a {
            Action::Audit(e) => Some(e.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn not_registered_offers_the_registration_with_yes_and_no() {
    let run = not_registered(false);
    assert_eq!(run.flow.state(), StateName::Registration);
    let screen = run.last_screen();
    assert_eq!(screen.id, ScreenId::Registration);
    assert_eq!(screen.buttons, [Button::Yes, Button::No]);
    assert_eq!(
        audits(&run),
        [AuditEntry::RegistrationOffered { id: ID.into() }]
    );
    assert!(registrations(&run).is_empty());
    assert!(run.flow.in_session());
}

#[test]
fn yes_enqueues_a_registration_for_the_same_id_then_asks_to_wait_for_staff() {
    let mut run = not_registered(false);
    let out = run.send(Event::Press(Button::Yes));
    assert_eq!(registrations(&run), [ID]);
    assert!(out
        .iter()
        .any(|a| matches!(a, Action::Audit(AuditEntry::RegistrationAccepted { id }) if id == ID)));
    // Nothing new is shown until the outbox has the record.
    assert!(!out.iter().any(|a| matches!(a, Action::Show(_))));
    assert_eq!(run.flow.state(), StateName::RegistrationEnqueueing);
    // A second press while it is stored does not store it twice.
    run.send(Event::Press(Button::Yes));
    run.send(Event::Press(Button::No));
    assert_eq!(registrations(&run), [ID]);
    run.send(Event::Enqueued(Ok(())));
    let screen = run.last_screen();
    assert_eq!(screen.id, ScreenId::RegistrationSent);
    assert_eq!(screen.buttons, [Button::Ok]);
    // The identity was enqueued once, the registration once.
    assert_eq!(run.enqueued().len(), 1);
    run.send(Event::Press(Button::Ok));
    assert_eq!(run.flow.state(), StateName::Idle);
    assert!(!run.flow.in_session());
}

#[test]
fn registration_sent_times_out_to_idle() {
    let mut run = not_registered(false);
    run.send(Event::Press(Button::Yes));
    run.send(Event::Enqueued(Ok(())));
    run.send(Event::TimerFired(run.timer(Policy::default().done_timeout)));
    assert_eq!(run.flow.state(), StateName::Idle);
}

#[test]
fn a_registration_the_outbox_cannot_store_calls_staff() {
    let mut run = not_registered(false);
    run.send(Event::Press(Button::Yes));
    run.send(Event::Enqueued(Err("disk full".into())));
    let screen = run.last_screen();
    assert_eq!(screen.id, ScreenId::StaffCall);
    assert_eq!(screen.params.staff_reason, Some(StaffReason::OutboxFailed));
}

#[test]
fn no_finishes_like_any_answer_of_the_pc() {
    let mut run = not_registered(false);
    run.send(Event::Press(Button::No));
    assert!(registrations(&run).is_empty());
    let screen = run.last_screen();
    assert_eq!(screen.id, ScreenId::Done);
    assert_eq!(screen.params.ack, Some(AckResult::NotRegistered));
    assert_eq!(
        screen.params.ack_message.as_deref(),
        Some("利用登録がありません")
    );
    assert_eq!(
        audits(&run),
        [
            AuditEntry::RegistrationOffered { id: ID.into() },
            AuditEntry::RegistrationDeclined { id: ID.into() }
        ]
    );
    run.send(Event::Press(Button::Ok));
    assert_eq!(run.flow.state(), StateName::Idle);
}

#[test]
fn the_screen_timeout_ends_the_session_without_registration() {
    let mut run = not_registered(false);
    run.send(Event::TimerFired(
        run.timer(Policy::default().screen_timeout),
    ));
    assert_eq!(run.flow.state(), StateName::Idle);
    assert!(!run.flow.in_session());
    assert!(registrations(&run).is_empty());
}

#[test]
fn card_removed_ends_the_session_without_registration() {
    let mut run = not_registered(false);
    run.send(Event::CardAbsent(ReaderRole::Card));
    assert_eq!(run.flow.state(), StateName::Idle);
    assert!(run.actions.iter().any(|a| matches!(a, Action::EndSession)));
    // Yes pressed after the card left changes nothing.
    run.send(Event::Press(Button::Yes));
    assert!(registrations(&run).is_empty());
}

#[test]
fn cancel_ends_the_session_without_registration() {
    let mut run = not_registered(false);
    run.send(Event::Press(Button::Cancel));
    assert_eq!(run.flow.state(), StateName::Idle);
    assert!(registrations(&run).is_empty());
}

#[test]
fn a_late_not_registered_while_offline_still_offers_the_registration() {
    let run = not_registered(true);
    assert!(run.screens().contains(&ScreenId::SentOffline));
    assert_eq!(run.last_screen().id, ScreenId::Registration);
}

#[test]
fn not_registered_for_an_old_id_is_ignored() {
    let mut run = Run::new();
    run.send(Event::Link { up: true });
    run.face_match_stored();
    let out = run.send(Event::Acked {
        id: "an-earlier-patient".into(),
        result: AckResult::NotRegistered,
        message: None,
    });
    assert!(out.is_empty(), "{out:?}");
    assert_eq!(run.flow.state(), StateName::Sending);
    // And with no session at all (the patient already left).
    let mut idle = Run::new();
    let out = idle.send(Event::Acked {
        id: ID.into(),
        result: AckResult::NotRegistered,
        message: None,
    });
    assert!(out.is_empty(), "{out:?}");
    assert_eq!(idle.flow.state(), StateName::Idle);
}

#[test]
fn a_second_not_registered_for_the_same_id_does_not_offer_twice() {
    let mut run = not_registered(false);
    let out = run.send(Event::Acked {
        id: ID.into(),
        result: AckResult::NotRegistered,
        message: None,
    });
    assert!(out.is_empty(), "{out:?}");
    run.send(Event::Press(Button::Yes));
    run.send(Event::Enqueued(Ok(())));
    let out = run.send(Event::Acked {
        id: ID.into(),
        result: AckResult::NotRegistered,
        message: None,
    });
    assert!(out.is_empty(), "{out:?}");
    assert_eq!(run.flow.state(), StateName::RegistrationSent);
}

#[test]
fn the_registration_screen_follows_the_language_button() {
    let mut run = not_registered(false);
    run.send(Event::Press(Button::Lang));
    let screen = run.last_screen();
    assert_eq!(screen.id, ScreenId::Registration);
    assert_eq!(screen.lang, Lang::En);
}
