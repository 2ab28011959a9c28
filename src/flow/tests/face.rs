//! Face authentication: a match, the automatic start, retries and guidance, and
//! the fallback to the PIN or the staff.

use super::*;
use kaonin_hal::indicator::Signal;

#[test]
fn face_success_forwards_face_identity() {
    let mut run = Run::new();
    run.card(CardKind::Standard, PhotoStatus::Available);
    assert_eq!(run.flow.state(), StateName::MethodSelect);
    run.send(Event::Press(Button::Face));
    assert!(matches!(run.actions.last(), Some(Action::CaptureFace)));
    run.send(Event::Face(FaceOutcome::Match { score: 0.71 }));
    run.consent_all_and_ack();
    let ids = run.enqueued();
    assert_eq!(ids.len(), 1);
    assert_eq!(ids[0].method, Method::Face);
    assert_eq!(ids[0].face_score, Some(0.71));
    assert_eq!(ids[0].consent, Consent::all());
    assert_eq!(ids[0].consent_mode, ConsentMode::All);
    assert_eq!(
        run.screens(),
        vec![
            ScreenId::Idle,
            ScreenId::Reading,
            ScreenId::MethodSelect,
            ScreenId::Face,
            ScreenId::Consent,
            ScreenId::Sending,
            ScreenId::Done
        ]
    );
    run.send(Event::CardAbsent(ReaderRole::Card));
    assert_eq!(run.flow.state(), StateName::Idle);
}

#[test]
fn face_starts_by_itself_after_the_auto_timer() {
    let mut run = Run::new();
    run.card(CardKind::Standard, PhotoStatus::Available);
    let token = run.timer(Policy::default().auto_face_after.unwrap());
    run.send(Event::TimerFired(token));
    assert_eq!(run.flow.state(), StateName::Face);
}

#[test]
fn face_fails_then_pin_succeeds() {
    let mut run = Run::new();
    run.card(CardKind::Standard, PhotoStatus::Available);
    run.send(Event::Press(Button::Face));
    for attempt in 0..3 {
        run.send(Event::Face(FaceOutcome::NoMatch { score: 0.1 }));
        if attempt < 2 {
            let retry = run.timer(Policy::default().face_retry);
            run.send(Event::TimerFired(retry));
        }
    }
    assert_eq!(run.flow.state(), StateName::PinQuery);
    assert_eq!(run.count(|a| matches!(a, Action::CaptureFace)), 3);
    run.send(Event::PinTries(Ok(PinStatus::Tries(3))));
    assert_eq!(run.last_screen().params.tries_left, Some(3));
    run.send(Event::PinTyped(pin("1234")));
    run.send(Event::PinVerified(Ok(VerifyOutcome::Ok)));
    assert!(run
        .actions
        .iter()
        .any(|a| matches!(a, Action::Sign { id } if id == ID)));
    run.send(Event::Signed(Ok(vec![1; 256])));
    run.consent_all_and_ack();
    let ids = run.enqueued();
    assert_eq!(ids[0].method, Method::Pin);
    assert_eq!(ids[0].card_signature, Some(vec![1; 256]));
    assert_eq!(ids[0].face_score, None);
    assert!(run.actions.iter().any(|a| matches!(
        a,
        Action::PcEvent {
            kind: PcEventKind::FaceFailed,
            ..
        }
    )));
}

#[test]
fn guidance_frames_count_as_a_failure_after_the_limit() {
    let policy = Policy {
        face_attempts: 1,
        face_guidance_frames: 2,
        ..Policy::default()
    };
    let mut run = Run::with(policy.clone());
    run.card(CardKind::Standard, PhotoStatus::Available);
    run.send(Event::Press(Button::Face));
    run.send(Event::Face(FaceOutcome::Guidance(Guidance::Mask)));
    assert_eq!(run.last_screen().params.guidance, Some(Guidance::Mask));
    run.send(Event::TimerFired(run.timer(policy.face_retry)));
    run.send(Event::Face(FaceOutcome::Guidance(Guidance::Mask)));
    assert_eq!(run.flow.state(), StateName::PinQuery);
}

#[test]
fn pinless_card_whose_face_fails_calls_staff() {
    let policy = Policy {
        face_attempts: 1,
        ..Policy::default()
    };
    let mut run = Run::with(policy);
    run.card(CardKind::PinLess, PhotoStatus::Available);
    run.send(Event::Press(Button::Face));
    run.send(Event::Face(FaceOutcome::NoMatch { score: 0.0 }));
    let screen = run.last_screen();
    assert_eq!(screen.id, ScreenId::MethodSelect);
    assert_eq!(screen.params.staff_reason, Some(StaffReason::NoMethodLeft));
    assert!(!screen.buttons.contains(&Button::Pin));
    assert!(!screen.buttons.contains(&Button::Face));
    assert_eq!(run.count(|a| matches!(a, Action::QueryPinTries)), 0);
}

#[test]
fn indicator_signals_follow_the_face_path() {
    let mut run = Run::new();
    run.card(CardKind::Standard, PhotoStatus::Available);
    run.send(Event::Press(Button::Face));
    run.send(Event::Face(FaceOutcome::Match { score: 0.9 }));
    run.consent_all_and_ack();
    run.send(Event::CardAbsent(ReaderRole::Card));
    let signals: Vec<Signal> = run
        .actions
        .iter()
        .filter_map(|a| match a {
            Action::Indicate(s) => Some(*s),
            _ => None,
        })
        .collect();
    assert_eq!(
        signals,
        vec![
            Signal::Ready,
            Signal::CardDetected,
            Signal::Success,
            Signal::Success,
            Signal::Ready
        ]
    );
}
