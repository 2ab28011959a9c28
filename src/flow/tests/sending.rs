//! Sending: the outbox first, then the PC; offline, timeouts and acks for
//! other identities.

use super::*;

#[test]
fn sending_is_shown_only_after_the_outbox_confirms() {
    let mut run = Run::new();
    run.send(Event::Link { up: true });
    run.card(CardKind::Standard, PhotoStatus::Available);
    run.send(Event::Press(Button::Face));
    run.send(Event::Face(FaceOutcome::Match { score: 0.8 }));
    run.send(Event::Press(Button::ConsentAll));
    assert!(!run.screens().contains(&ScreenId::Sending));
    run.send(Event::Enqueued(Ok(())));
    assert_eq!(run.last_screen().id, ScreenId::Sending);
}

#[test]
fn outbox_failure_calls_staff() {
    let mut run = Run::new();
    run.card(CardKind::Standard, PhotoStatus::Available);
    run.send(Event::Press(Button::Face));
    run.send(Event::Face(FaceOutcome::Match { score: 0.8 }));
    run.send(Event::Press(Button::ConsentAll));
    run.send(Event::Enqueued(Err("disk full".into())));
    let screen = run.last_screen();
    assert_eq!(screen.id, ScreenId::StaffCall);
    assert_eq!(screen.params.staff_reason, Some(StaffReason::OutboxFailed));
}

#[test]
fn pc_down_shows_sent_offline_and_late_ack_shows_done() {
    let mut run = Run::new();
    run.face_match_stored();
    assert_eq!(run.last_screen().id, ScreenId::SentOffline);
    run.send(Event::Acked {
        id: ID.into(),
        result: AckResult::NotFound,
        message: Some("資格情報なし".into()),
    });
    let screen = run.last_screen();
    assert_eq!(screen.id, ScreenId::Done);
    assert_eq!(screen.params.ack, Some(AckResult::NotFound));
}

#[test]
fn ack_timeout_shows_sent_offline() {
    let mut run = Run::new();
    run.send(Event::Link { up: true });
    run.face_match_stored();
    run.send(Event::TimerFired(run.timer(Policy::default().ack_timeout)));
    assert_eq!(run.last_screen().id, ScreenId::SentOffline);
}

#[test]
fn ack_for_another_id_is_ignored() {
    let mut run = Run::new();
    run.send(Event::Link { up: true });
    run.face_match_stored();
    let out = run.send(Event::Acked {
        id: "other".into(),
        result: AckResult::Eligible,
        message: None,
    });
    assert!(out.is_empty());
    assert_eq!(run.flow.state(), StateName::Sending);
}
