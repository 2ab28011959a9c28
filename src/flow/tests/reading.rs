//! Reading the card: card errors, a second card mid-session, and the card-face
//! camera (guidance, refusals, the 「顔認証」 marking).

use super::*;
use kaonin_hal::indicator::Signal;

#[test]
fn card_errors_are_shown_and_reported() {
    for failure in [
        CardFailure::NotMyNumberCard,
        CardFailure::CertificateExpired,
        CardFailure::Unreadable,
        CardFailure::NotGenuine,
    ] {
        let mut run = Run::new();
        run.send(Event::CardPresent(ReaderRole::Card));
        run.send(Event::CardRead(Err(failure)));
        let screen = run.last_screen();
        assert_eq!(screen.id, ScreenId::CardError);
        assert_eq!(screen.params.card_error, Some(failure));
        run.send(Event::Press(Button::Ok));
        assert_eq!(run.flow.state(), StateName::Idle);
    }
}

#[test]
fn a_second_card_reader_event_mid_session_is_ignored() {
    let mut run = Run::new();
    run.card(CardKind::Standard, PhotoStatus::Available);
    assert!(run.send(Event::CardPresent(ReaderRole::Phone)).is_empty());
    assert!(run.send(Event::CardAbsent(ReaderRole::Phone)).is_empty());
    assert_eq!(run.flow.state(), StateName::MethodSelect);
}

fn card_face(event: CardFaceEvent) -> Event {
    Event::CardFace(event)
}

#[test]
fn card_face_guidance_shows_on_the_reading_screen() {
    let mut run = Run::new();
    run.send(Event::CardPresent(ReaderRole::Card));
    let out = run.send(card_face(CardFaceEvent::Guidance(
        CardFaceGuidance::HoldStill,
    )));
    let screen = run.last_screen();
    assert_eq!(screen.id, ScreenId::Reading);
    assert_eq!(
        screen.params.card_face_guidance,
        Some(CardFaceGuidance::HoldStill)
    );
    assert_eq!(out.len(), 1, "{out:?}");
    // The same guidance again draws nothing; another one redraws.
    assert!(run
        .send(card_face(CardFaceEvent::Guidance(
            CardFaceGuidance::HoldStill
        )))
        .is_empty());
    run.send(card_face(CardFaceEvent::Guidance(CardFaceGuidance::Glare)));
    assert_eq!(
        run.last_screen().params.card_face_guidance,
        Some(CardFaceGuidance::Glare)
    );
    // Gave up: the PIN (or the staff) is offered with the reason.
    run.send(card_face(CardFaceEvent::Refused(
        CardFaceNotice::Unreadable,
    )));
    assert_eq!(run.last_screen().params.card_face_guidance, None);
    run.send(Event::CardRead(Ok(facts(
        CardKind::Standard,
        PhotoStatus::NoCardFace,
    ))));
    let screen = run.last_screen();
    assert_eq!(screen.id, ScreenId::MethodSelect);
    assert_eq!(
        screen.params.card_face_notice,
        Some(CardFaceNotice::Unreadable)
    );
    assert_eq!(
        screen.buttons,
        vec![Button::Pin, Button::Cancel, Button::Staff, Button::Lang]
    );
    assert_eq!(run.count(|a| matches!(a, Action::ReadCard(_))), 1);
}

#[test]
fn card_face_events_count_only_while_the_card_is_read() {
    let mut run = Run::new();
    for event in [
        CardFaceEvent::Guidance(CardFaceGuidance::PlaceFlat),
        CardFaceEvent::Refused(CardFaceNotice::WesternCalendar),
        CardFaceEvent::FaceAuthMarking,
    ] {
        assert!(run.send(card_face(event)).is_empty());
    }
    // Nothing of it carries over to the card that comes next.
    run.card(CardKind::Standard, PhotoStatus::NoCardFace);
    let screen = run.last_screen();
    assert_eq!(screen.params.card_face_notice, None);
    assert!(screen.buttons.contains(&Button::Pin));
    // A phone being read: ignored too.
    let mut run = Run::new();
    run.send(Event::Press(Button::Phone));
    run.send(Event::CardPresent(ReaderRole::Phone));
    assert_eq!(run.flow.state(), StateName::Reading);
    assert!(run
        .send(card_face(CardFaceEvent::Guidance(CardFaceGuidance::Glare)))
        .is_empty());
}

#[test]
fn western_calendar_cards_are_refused_with_a_clear_screen() {
    let mut run = Run::new();
    run.send(Event::CardPresent(ReaderRole::Card));
    run.send(card_face(CardFaceEvent::Refused(
        CardFaceNotice::WesternCalendar,
    )));
    run.send(Event::CardRead(Ok(facts(
        CardKind::Standard,
        PhotoStatus::NoCardFace,
    ))));
    let screen = run.last_screen();
    assert_eq!(
        screen.params.card_face_notice,
        Some(CardFaceNotice::WesternCalendar)
    );
    assert!(!screen.buttons.contains(&Button::Face));
    // The notice belongs to this card only.
    run.send(Event::CardAbsent(ReaderRole::Card));
    run.card(CardKind::Standard, PhotoStatus::Available);
    assert_eq!(run.last_screen().params.card_face_notice, None);
}

#[test]
fn a_refused_value_offers_pin_or_staff_and_never_reads_again() {
    let mut run = Run::new();
    run.card(CardKind::Standard, PhotoStatus::KeyRefused);
    let screen = run.last_screen();
    assert_eq!(
        screen.params.card_face_notice,
        Some(CardFaceNotice::KeyRefused)
    );
    assert_eq!(
        screen.buttons,
        vec![Button::Pin, Button::Cancel, Button::Staff, Button::Lang]
    );
    // Nothing (no timer, no button) reads the card again in this session.
    for token in 0..16 {
        run.send(Event::TimerFired(TimerToken(token)));
        if run.flow.state() != StateName::MethodSelect {
            break;
        }
    }
    run.send(Event::Press(Button::Face));
    assert_eq!(run.count(|a| matches!(a, Action::ReadCard(_))), 1);
    // A PIN-less card with a refused value: the staff.
    let mut run = Run::new();
    run.card(CardKind::PinLess, PhotoStatus::KeyRefused);
    let screen = run.last_screen();
    assert_eq!(screen.params.staff_reason, Some(StaffReason::NoMethodLeft));
    assert!(!screen.buttons.contains(&Button::Pin));
}

#[test]
fn a_counter_below_the_floor_calls_staff() {
    let mut run = Run::new();
    run.card(CardKind::Standard, PhotoStatus::CounterLow);
    assert!(run
        .actions
        .iter()
        .any(|a| matches!(a, Action::Indicate(Signal::StaffNeeded))));
    let screen = run.last_screen();
    assert_eq!(
        screen.params.card_face_notice,
        Some(CardFaceNotice::CounterLow)
    );
    assert!(!screen.buttons.contains(&Button::Face));
}

#[test]
fn the_face_auth_marking_makes_a_pin_card_pinless() {
    let mut run = Run::new();
    run.send(Event::CardPresent(ReaderRole::Card));
    run.send(card_face(CardFaceEvent::FaceAuthMarking));
    run.send(Event::CardRead(Ok(facts(
        CardKind::Standard,
        PhotoStatus::Available,
    ))));
    let screen = run.last_screen();
    assert_eq!(
        screen.buttons,
        vec![Button::Face, Button::Cancel, Button::Staff, Button::Lang]
    );
    // Face fails every time: the staff, never the PIN.
    run.send(Event::Press(Button::Pin));
    assert_eq!(run.flow.state(), StateName::MethodSelect);
    run.send(Event::Press(Button::Face));
    for _ in 0..Policy::default().face_attempts {
        run.send(Event::Face(FaceOutcome::NoMatch { score: 0.1 }));
        if let Some(token) = run.actions.iter().rev().find_map(|a| match a {
            Action::StartTimer { token, after } if *after == Policy::default().face_retry => {
                Some(*token)
            }
            _ => None,
        }) {
            run.send(Event::TimerFired(token));
        }
    }
    assert_eq!(run.count(|a| matches!(a, Action::QueryPinTries)), 0);
    assert_eq!(
        run.last_screen().params.staff_reason,
        Some(StaffReason::NoMethodLeft)
    );
}

#[test]
fn no_marking_never_gives_a_pinless_card_a_pin() {
    let mut run = Run::new();
    run.card(CardKind::PinLess, PhotoStatus::Available);
    assert!(!run.last_screen().buttons.contains(&Button::Pin));
    // And the marking is ignored for phones.
    let mut run = Run::new();
    run.send(Event::Press(Button::Phone));
    run.send(Event::CardPresent(ReaderRole::Phone));
    run.send(card_face(CardFaceEvent::FaceAuthMarking));
    run.send(Event::CardRead(Ok(facts(
        CardKind::Android,
        PhotoStatus::NotOnDevice,
    ))));
    assert_eq!(run.flow.state(), StateName::PinQuery);
}

#[test]
fn a_marked_card_whose_face_is_refused_goes_to_the_staff() {
    let mut run = Run::new();
    run.send(Event::CardPresent(ReaderRole::Card));
    run.send(card_face(CardFaceEvent::FaceAuthMarking));
    run.send(card_face(CardFaceEvent::Refused(
        CardFaceNotice::WesternCalendar,
    )));
    run.send(Event::CardRead(Ok(facts(
        CardKind::Standard,
        PhotoStatus::NoCardFace,
    ))));
    let screen = run.last_screen();
    assert_eq!(
        screen.buttons,
        vec![Button::Cancel, Button::Staff, Button::Lang]
    );
    assert_eq!(screen.params.staff_reason, Some(StaffReason::NoMethodLeft));
    assert_eq!(
        screen.params.card_face_notice,
        Some(CardFaceNotice::WesternCalendar)
    );
}
