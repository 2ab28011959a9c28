//! Smartphones: Android (PIN, then certificate, then signature) and iPhone
//! (signature only, Face ID on the phone).

use super::*;

#[test]
fn android_phone_pin_then_certificate_then_signature() {
    let mut run = Run::new();
    run.send(Event::Press(Button::Phone));
    assert_eq!(run.last_screen().id, ScreenId::Phone);
    run.send(Event::CardPresent(ReaderRole::Phone));
    run.send(Event::CardRead(Ok(facts(
        CardKind::Android,
        PhotoStatus::NotOnDevice,
    ))));
    assert!(run
        .actions
        .iter()
        .any(|a| matches!(a, Action::QueryPinTries)));
    run.send(Event::PinTries(Ok(PinStatus::Tries(3))));
    assert!(run.last_screen().params.phone_pin);
    run.send(Event::PinTyped(pin("5678")));
    run.send(Event::PinVerified(Ok(VerifyOutcome::Ok)));
    assert!(run
        .actions
        .iter()
        .any(|a| matches!(a, Action::ReadCertificate)));
    run.send(Event::CertificateRead(Ok(vec![0x30, 1])));
    run.send(Event::Signed(Ok(vec![7; 256])));
    run.consent_all_and_ack();
    let id = &run.enqueued()[0];
    assert_eq!(id.method, Method::Smartphone);
    assert_eq!(id.certificate, vec![0x30, 1]);
    assert_eq!(id.card_signature, Some(vec![7; 256]));
}

#[test]
fn iphone_signs_without_pin() {
    let mut run = Run::new();
    run.send(Event::CardPresent(ReaderRole::Phone));
    run.send(Event::CardRead(Ok(facts(
        CardKind::Iphone,
        PhotoStatus::NotOnDevice,
    ))));
    assert!(run.actions.iter().any(|a| matches!(a, Action::Sign { .. })));
    run.send(Event::Signed(Ok(vec![9; 256])));
    run.consent_all_and_ack();
    assert_eq!(run.enqueued()[0].method, Method::Smartphone);
    assert_eq!(run.count(|a| matches!(a, Action::VerifyPin(_))), 0);
}

#[test]
fn iphone_without_face_id_is_a_card_error() {
    let mut run = Run::new();
    run.send(Event::CardPresent(ReaderRole::Phone));
    run.send(Event::CardRead(Ok(facts(
        CardKind::Iphone,
        PhotoStatus::NotOnDevice,
    ))));
    run.send(Event::Signed(Err(CardFailure::PhoneNotAuthenticated)));
    let screen = run.last_screen();
    assert_eq!(screen.id, ScreenId::CardError);
    assert_eq!(
        screen.params.card_error,
        Some(CardFailure::PhoneNotAuthenticated)
    );
    assert!(run.enqueued().is_empty());
}
