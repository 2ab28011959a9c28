//! Tests of the flow: every path of the reception, every (state, event) pair, and
//! properties over random event sequences.

use super::*;
use kaonin_hal::indicator::Signal;
use kaonin_hal::secret::Digits;
use proptest::prelude::*;
use std::collections::HashSet;

const ID: &str = "6f1c2f9e-6d8b-4f57-9a63-0c5d2b7f4a10";

fn facts(kind: CardKind, photo: PhotoStatus) -> CardFacts {
    CardFacts {
        session_id: ID.into(),
        kind,
        certificate: (kind != CardKind::Android).then(|| vec![0x30, 0x82, 0x01, 0x00]),
        photo,
    }
}

fn pin(text: &str) -> Digits {
    Digits::parse(text, 4).unwrap()
}

/// A flow plus everything it asked for.
struct Run {
    flow: Flow,
    actions: Vec<Action>,
}

impl Run {
    fn new() -> Self {
        Run::with(Policy::default())
    }

    fn with(policy: Policy) -> Self {
        let (flow, actions) = Flow::new(policy);
        Run { flow, actions }
    }

    fn send(&mut self, event: Event) -> Vec<Action> {
        let out = self.flow.handle(event);
        self.actions.extend(out.iter().cloned());
        out
    }

    fn screens(&self) -> Vec<ScreenId> {
        self.actions
            .iter()
            .filter_map(|a| match a {
                Action::Show(s) => Some(s.id),
                _ => None,
            })
            .collect()
    }

    fn last_screen(&self) -> Screen {
        self.actions
            .iter()
            .rev()
            .find_map(|a| match a {
                Action::Show(s) => Some(s.clone()),
                _ => None,
            })
            .unwrap()
    }

    fn enqueued(&self) -> Vec<Identity> {
        self.actions
            .iter()
            .filter_map(|a| match a {
                Action::Enqueue(i) => Some(i.clone()),
                _ => None,
            })
            .collect()
    }

    fn count(&self, pred: impl Fn(&Action) -> bool) -> usize {
        self.actions.iter().filter(|a| pred(a)).count()
    }

    /// The token of the most recent timer of the given length.
    fn timer(&self, after: std::time::Duration) -> TimerToken {
        self.actions
            .iter()
            .rev()
            .find_map(|a| match a {
                Action::StartTimer { token, after: d } if *d == after => Some(*token),
                _ => None,
            })
            .expect("timer started")
    }

    fn card(&mut self, kind: CardKind, photo: PhotoStatus) {
        self.send(Event::CardPresent(ReaderRole::Card));
        self.send(Event::CardRead(Ok(facts(kind, photo))));
    }

    fn consent_all_and_ack(&mut self) {
        self.send(Event::Link { up: true });
        self.send(Event::Press(Button::ConsentAll));
        self.send(Event::Enqueued(Ok(())));
        self.send(Event::Acked {
            id: ID.into(),
            result: AckResult::Eligible,
            message: None,
        });
    }
}

// ---- whole paths -----------------------------------------------------------

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
fn wrong_pin_three_times_locks_then_visual_check_forwards() {
    let mut run = Run::new();
    run.card(CardKind::Standard, PhotoStatus::KeyRefused);
    assert_eq!(
        run.last_screen().buttons,
        vec![Button::Pin, Button::Cancel, Button::Lang]
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
        vec![Button::Face, Button::Cancel, Button::Lang]
    );
    run.send(Event::Press(Button::Pin));
    assert_eq!(run.flow.state(), StateName::MethodSelect);
    run.send(Event::Press(Button::Face));
    run.send(Event::Face(FaceOutcome::Match { score: 0.9 }));
    run.consent_all_and_ack();
    assert_eq!(run.enqueued()[0].method, Method::Face);
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

#[test]
fn individual_consent_asks_each_item() {
    let mut run = Run::new();
    run.card(CardKind::Standard, PhotoStatus::Available);
    run.send(Event::Press(Button::Face));
    run.send(Event::Face(FaceOutcome::Match { score: 0.8 }));
    run.send(Event::Press(Button::ConsentIndividual));
    let mut asked = Vec::new();
    for yes in [true, false, true, false] {
        asked.push(run.last_screen().params.consent_item.unwrap());
        run.send(Event::Press(if yes { Button::Yes } else { Button::No }));
    }
    assert_eq!(asked, ConsentItem::ALL.to_vec());
    let id = &run.enqueued()[0];
    assert_eq!(id.consent_mode, ConsentMode::Individual);
    assert_eq!(
        id.consent,
        Consent {
            medication: true,
            medical_history: false,
            surgery: true,
            health_checkup: false
        }
    );
}

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
    run.card(CardKind::Standard, PhotoStatus::Available);
    run.send(Event::Press(Button::Face));
    run.send(Event::Face(FaceOutcome::Match { score: 0.8 }));
    run.send(Event::Press(Button::ConsentAll));
    run.send(Event::Enqueued(Ok(())));
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
    run.card(CardKind::Standard, PhotoStatus::Available);
    run.send(Event::Press(Button::Face));
    run.send(Event::Face(FaceOutcome::Match { score: 0.8 }));
    run.send(Event::Press(Button::ConsentAll));
    run.send(Event::Enqueued(Ok(())));
    run.send(Event::TimerFired(run.timer(Policy::default().ack_timeout)));
    assert_eq!(run.last_screen().id, ScreenId::SentOffline);
}

#[test]
fn ack_for_another_id_is_ignored() {
    let mut run = Run::new();
    run.send(Event::Link { up: true });
    run.card(CardKind::Standard, PhotoStatus::Available);
    run.send(Event::Press(Button::Face));
    run.send(Event::Face(FaceOutcome::Match { score: 0.8 }));
    run.send(Event::Press(Button::ConsentAll));
    run.send(Event::Enqueued(Ok(())));
    let out = run.send(Event::Acked {
        id: "other".into(),
        result: AckResult::Eligible,
        message: None,
    });
    assert!(out.is_empty());
    assert_eq!(run.flow.state(), StateName::Sending);
}

#[test]
fn inactivity_timeout_returns_to_idle() {
    let mut run = Run::new();
    run.card(CardKind::Standard, PhotoStatus::Available);
    run.send(Event::Press(Button::Face));
    run.send(Event::Face(FaceOutcome::Match { score: 0.8 }));
    let token = run.timer(Policy::default().screen_timeout);
    run.send(Event::TimerFired(token));
    assert_eq!(run.flow.state(), StateName::Idle);
    assert!(run.enqueued().is_empty());
    assert!(matches!(
        run.actions.iter().rev().nth(2),
        Some(Action::EndSession)
    ));
}

#[test]
fn stale_timer_is_ignored() {
    let mut run = Run::new();
    run.card(CardKind::Standard, PhotoStatus::Available);
    let old = run.timer(Policy::default().screen_timeout);
    run.send(Event::Press(Button::Face));
    assert!(run.send(Event::TimerFired(old)).is_empty());
    assert_eq!(run.flow.state(), StateName::Face);
}

#[test]
fn staff_passcode_rejections_then_lockout_are_shown_and_audited() {
    let mut run = Run::new();
    run.card(CardKind::Standard, PhotoStatus::Available);
    run.send(Event::StaffVisual(pin("0000")));
    // A second passcode while the first is checked is not queued.
    assert!(run.send(Event::StaffVisual(pin("1111"))).is_empty());
    run.send(Event::StaffChecked(StaffCheck::Rejected {
        attempts_left: 1,
    }));
    assert_eq!(
        run.last_screen().params.staff_notice,
        Some(StaffNotice::WrongPasscode { attempts_left: 1 })
    );
    run.send(Event::StaffVisual(pin("1111")));
    run.send(Event::StaffChecked(StaffCheck::LockedOut));
    assert_eq!(
        run.last_screen().params.staff_notice,
        Some(StaffNotice::LockedOut)
    );
    assert_eq!(run.flow.state(), StateName::MethodSelect);
    assert_eq!(
        run.count(|a| matches!(a, Action::Audit(AuditEntry::StaffPasscodeRejected))),
        1
    );
    assert_eq!(
        run.count(|a| matches!(a, Action::Audit(AuditEntry::StaffLockedOut))),
        1
    );
}

#[test]
fn visual_armed_from_idle_waits_for_the_card() {
    let mut run = Run::new();
    run.send(Event::StaffVisual(pin("4321")));
    run.send(Event::StaffChecked(StaffCheck::Accepted {
        account: "staff-02".into(),
    }));
    assert_eq!(run.last_screen().id, ScreenId::VisualArmed);
    run.card(CardKind::Standard, PhotoStatus::Available);
    assert_eq!(run.flow.state(), StateName::VisualArmed);
    run.send(Event::StaffConfirm);
    assert_eq!(run.flow.state(), StateName::Consent);
}

#[test]
fn visual_mode_disarms_itself_on_timeout() {
    let mut run = Run::new();
    run.send(Event::StaffVisual(pin("4321")));
    run.send(Event::StaffChecked(StaffCheck::Accepted {
        account: "staff-02".into(),
    }));
    run.send(Event::TimerFired(
        run.timer(Policy::default().visual_timeout),
    ));
    assert_eq!(run.flow.state(), StateName::Idle);
    run.card(CardKind::Standard, PhotoStatus::Available);
    assert_eq!(run.flow.state(), StateName::MethodSelect);
}

#[test]
fn staff_confirm_without_armed_mode_does_nothing() {
    let mut run = Run::new();
    run.card(CardKind::Standard, PhotoStatus::Available);
    assert!(run.send(Event::StaffConfirm).is_empty());
}

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
fn language_button_switches_and_session_end_resets() {
    let mut run = Run::new();
    run.send(Event::Press(Button::Lang));
    assert_eq!(run.last_screen().lang, Lang::En);
    run.card(CardKind::Standard, PhotoStatus::Available);
    assert_eq!(run.last_screen().lang, Lang::En);
    run.send(Event::CardAbsent(ReaderRole::Card));
    assert_eq!(run.last_screen().lang, Lang::Ja);
}

#[test]
fn pc_cancel_ends_the_session() {
    let mut run = Run::new();
    run.card(CardKind::Standard, PhotoStatus::Available);
    run.send(Event::PcCancel);
    assert_eq!(run.flow.state(), StateName::Idle);
    assert!(run.actions.iter().any(|a| matches!(a, Action::EndSession)));
}

#[test]
fn a_second_card_reader_event_mid_session_is_ignored() {
    let mut run = Run::new();
    run.card(CardKind::Standard, PhotoStatus::Available);
    assert!(run.send(Event::CardPresent(ReaderRole::Phone)).is_empty());
    assert!(run.send(Event::CardAbsent(ReaderRole::Phone)).is_empty());
    assert_eq!(run.flow.state(), StateName::MethodSelect);
}

#[test]
fn a_device_fault_mid_session_wipes_it_and_calls_staff_until_the_device_is_back() {
    let mut run = Run::new();
    run.card(CardKind::Standard, PhotoStatus::Available);
    run.send(Event::Press(Button::Face));
    run.send(Event::Device {
        device: Device::Camera,
        up: false,
    });
    let screen = run.last_screen();
    assert_eq!(screen.id, ScreenId::StaffCall);
    assert_eq!(screen.params.staff_reason, Some(StaffReason::DeviceFault));
    assert_eq!(screen.params.failed_devices, vec![Device::Camera]);
    assert!(run.actions.iter().any(|a| matches!(a, Action::EndSession)));
    assert!(!run.flow.in_session());
    // Nothing but the device coming back leaves the screen.
    run.send(Event::Device {
        device: Device::Reader,
        up: false,
    });
    run.send(Event::Press(Button::Ok));
    run.send(Event::Press(Button::Cancel));
    run.send(Event::CardPresent(ReaderRole::Card));
    assert_eq!(run.flow.state(), StateName::StaffCall);
    run.send(Event::Device {
        device: Device::Camera,
        up: true,
    });
    assert_eq!(
        run.last_screen().params.failed_devices,
        vec![Device::Reader]
    );
    run.send(Event::Device {
        device: Device::Reader,
        up: true,
    });
    assert_eq!(run.flow.state(), StateName::Idle);
    assert!(run.enqueued().is_empty());
}

#[test]
fn the_optional_phone_reader_failing_does_not_stop_the_terminal() {
    let mut run = Run::new();
    run.card(CardKind::Standard, PhotoStatus::Available);
    let out = run.send(Event::Device {
        device: Device::PhoneReader,
        up: false,
    });
    assert!(out.is_empty());
    assert_eq!(run.flow.state(), StateName::MethodSelect);
}

// ---- every (state, event) pair ---------------------------------------------

/// Event scripts that lead from idle to each state.
fn reach(target: StateName) -> Run {
    let mut run = Run::new();
    let std_card = |run: &mut Run| run.card(CardKind::Standard, PhotoStatus::Available);
    let face_ok = |run: &mut Run| {
        std_card(run);
        run.send(Event::Press(Button::Face));
        run.send(Event::Face(FaceOutcome::Match { score: 0.9 }));
    };
    match target {
        StateName::Idle => {}
        StateName::Reading => {
            run.send(Event::CardPresent(ReaderRole::Card));
        }
        StateName::CardError => {
            run.send(Event::CardPresent(ReaderRole::Card));
            run.send(Event::CardRead(Err(CardFailure::Unreadable)));
        }
        StateName::MethodSelect => std_card(&mut run),
        StateName::Face => {
            std_card(&mut run);
            run.send(Event::Press(Button::Face));
        }
        StateName::PinQuery => {
            std_card(&mut run);
            run.send(Event::Press(Button::Pin));
        }
        StateName::Pin => {
            std_card(&mut run);
            run.send(Event::Press(Button::Pin));
            run.send(Event::PinTries(Ok(PinStatus::Tries(2))));
        }
        StateName::Signing => {
            run = reach(StateName::Pin);
            run.send(Event::PinTyped(pin("1234")));
            run.send(Event::PinVerified(Ok(VerifyOutcome::Ok)));
        }
        StateName::CertReading => {
            run.send(Event::CardPresent(ReaderRole::Phone));
            run.send(Event::CardRead(Ok(facts(
                CardKind::Android,
                PhotoStatus::NotOnDevice,
            ))));
            run.send(Event::PinTries(Ok(PinStatus::Tries(3))));
            run.send(Event::PinTyped(pin("1234")));
            run.send(Event::PinVerified(Ok(VerifyOutcome::Ok)));
        }
        StateName::PinLocked => {
            std_card(&mut run);
            run.send(Event::Press(Button::Pin));
            run.send(Event::PinTries(Ok(PinStatus::Blocked)));
        }
        StateName::VisualArmed => {
            std_card(&mut run);
            run.send(Event::StaffVisual(pin("4321")));
            run.send(Event::StaffChecked(StaffCheck::Accepted {
                account: "s".into(),
            }));
        }
        StateName::PhoneWait => {
            run.send(Event::Press(Button::Phone));
        }
        StateName::Consent => face_ok(&mut run),
        StateName::ConsentItems => {
            face_ok(&mut run);
            run.send(Event::Press(Button::ConsentIndividual));
        }
        StateName::Enqueueing => {
            face_ok(&mut run);
            run.send(Event::Press(Button::ConsentAll));
        }
        StateName::Sending => {
            run.send(Event::Link { up: true });
            face_ok(&mut run);
            run.send(Event::Press(Button::ConsentAll));
            run.send(Event::Enqueued(Ok(())));
        }
        StateName::Done => {
            run.send(Event::Link { up: true });
            face_ok(&mut run);
            run.consent_all_and_ack();
        }
        StateName::SentOffline => {
            face_ok(&mut run);
            run.send(Event::Press(Button::ConsentAll));
            run.send(Event::Enqueued(Ok(())));
        }
        StateName::StaffCall => {
            face_ok(&mut run);
            run.send(Event::Press(Button::ConsentAll));
            run.send(Event::Enqueued(Err("disk full".into())));
        }
    }
    assert_eq!(run.flow.state(), target, "script for {target:?}");
    run
}

const ALL_STATES: [StateName; 19] = [
    StateName::Idle,
    StateName::Reading,
    StateName::CardError,
    StateName::MethodSelect,
    StateName::Face,
    StateName::PinQuery,
    StateName::Pin,
    StateName::Signing,
    StateName::CertReading,
    StateName::PinLocked,
    StateName::VisualArmed,
    StateName::PhoneWait,
    StateName::Consent,
    StateName::ConsentItems,
    StateName::Enqueueing,
    StateName::Sending,
    StateName::Done,
    StateName::SentOffline,
    StateName::StaffCall,
];

/// One event of every kind (and every payload variant that matters).
fn every_event() -> Vec<Event> {
    let mut events = vec![
        Event::CardPresent(ReaderRole::Card),
        Event::CardPresent(ReaderRole::Phone),
        Event::CardAbsent(ReaderRole::Card),
        Event::CardAbsent(ReaderRole::Phone),
        Event::CardRead(Ok(facts(CardKind::Standard, PhotoStatus::Available))),
        Event::CardRead(Ok(facts(CardKind::Android, PhotoStatus::NotOnDevice))),
        Event::CardRead(Err(CardFailure::Removed)),
        Event::CardRead(Err(CardFailure::NotMyNumberCard)),
        Event::PinTries(Ok(PinStatus::Tries(3))),
        Event::PinTries(Ok(PinStatus::Tries(0))),
        Event::PinTries(Ok(PinStatus::Blocked)),
        Event::PinTries(Ok(PinStatus::NoPin)),
        Event::PinTries(Err(CardFailure::Removed)),
        Event::PinVerified(Ok(VerifyOutcome::Ok)),
        Event::PinVerified(Ok(VerifyOutcome::Wrong { tries_left: 1 })),
        Event::PinVerified(Ok(VerifyOutcome::Wrong { tries_left: 0 })),
        Event::PinVerified(Ok(VerifyOutcome::Blocked)),
        Event::PinVerified(Err(CardFailure::Unreadable)),
        Event::CertificateRead(Ok(vec![0x30])),
        Event::CertificateRead(Err(CardFailure::Unreadable)),
        Event::Signed(Ok(vec![1])),
        Event::Signed(Err(CardFailure::PhoneNotAuthenticated)),
        Event::Face(FaceOutcome::Match { score: 0.9 }),
        Event::Face(FaceOutcome::NoMatch { score: 0.1 }),
        Event::Face(FaceOutcome::Guidance(Guidance::NoFace)),
        Event::Face(FaceOutcome::Unavailable),
        Event::PinTyped(pin("1234")),
        Event::StaffVisual(pin("4321")),
        Event::StaffChecked(StaffCheck::Accepted {
            account: "s".into(),
        }),
        Event::StaffChecked(StaffCheck::Rejected { attempts_left: 2 }),
        Event::StaffChecked(StaffCheck::LockedOut),
        Event::StaffConfirm,
        Event::Enqueued(Ok(())),
        Event::Enqueued(Err("x".into())),
        Event::Acked {
            id: ID.into(),
            result: AckResult::Eligible,
            message: None,
        },
        Event::Link { up: true },
        Event::Link { up: false },
        Event::PcCancel,
        Event::TimerFired(TimerToken(0)),
        Event::Device {
            device: Device::Reader,
            up: false,
        },
        Event::Device {
            device: Device::Reader,
            up: true,
        },
        Event::CardFace(CardFaceEvent::Guidance(CardFaceGuidance::Glare)),
        Event::CardFace(CardFaceEvent::Refused(CardFaceNotice::WesternCalendar)),
        Event::CardFace(CardFaceEvent::FaceAuthMarking),
        Event::CardRead(Ok(facts(CardKind::Standard, PhotoStatus::CounterLow))),
    ];
    events.extend(Button::ALL.into_iter().map(Event::Press));
    events
}

#[test]
fn every_state_event_pair_is_handled_without_panic() {
    for state in ALL_STATES {
        for event in every_event() {
            let mut run = reach(state);
            let described = format!("{state:?} + {event:?}");
            let out = run.send(event);
            // Whatever happened, the flow is in a consistent state with a screen.
            let shown = run.flow.screen_id();
            assert!(ScreenId::ALL.contains(&shown), "{described}");
            for action in &out {
                if let Action::VerifyPin(_) = action {
                    assert_eq!(
                        state,
                        StateName::Pin,
                        "VERIFY outside the PIN screen: {described}"
                    );
                }
                if let Action::Enqueue(identity) = action {
                    assert!(
                        matches!(state, StateName::Consent | StateName::ConsentItems),
                        "{described}"
                    );
                    assert!(!identity.certificate.is_empty(), "{described}");
                }
            }
        }
    }
}

#[test]
fn every_timer_of_every_state_leads_somewhere_sane() {
    for state in ALL_STATES {
        let run = reach(state);
        let tokens: Vec<TimerToken> = run
            .actions
            .iter()
            .filter_map(|a| match a {
                Action::StartTimer { token, .. } => Some(*token),
                _ => None,
            })
            .collect();
        for token in tokens {
            let mut run = reach(state);
            run.send(Event::TimerFired(token));
            assert!(ScreenId::ALL.contains(&run.flow.screen_id()));
        }
    }
}

#[test]
fn card_removed_in_each_state_returns_to_idle_and_forwards_nothing_new() {
    for state in ALL_STATES {
        let mut run = reach(state);
        let before = run.enqueued().len();
        let role = if state == StateName::CertReading || state == StateName::PhoneWait {
            ReaderRole::Phone
        } else {
            ReaderRole::Card
        };
        run.send(Event::CardAbsent(role));
        if state == StateName::PhoneWait {
            // No phone was presented yet: nothing to remove.
            continue;
        }
        assert_eq!(run.flow.state(), StateName::Idle, "{state:?}");
        assert_eq!(run.flow.screen_id(), ScreenId::Idle, "{state:?}");
        assert_eq!(run.enqueued().len(), before, "{state:?}");
        if state != StateName::Idle {
            assert!(
                run.actions
                    .iter()
                    .rev()
                    .take(3)
                    .any(|a| matches!(a, Action::EndSession)),
                "{state:?}"
            );
        }
    }
}

#[test]
fn cancel_from_every_state_returns_to_idle() {
    for state in ALL_STATES {
        let mut run = reach(state);
        run.send(Event::Press(Button::Cancel));
        assert_eq!(run.flow.state(), StateName::Idle, "{state:?}");
        assert!(!run.flow.in_session(), "{state:?}");
    }
}

#[test]
fn screens_offer_at_most_three_main_buttons() {
    for state in ALL_STATES {
        let run = reach(state);
        let screen = run.last_screen();
        let main = screen
            .buttons
            .iter()
            .filter(|b| !matches!(b, Button::Lang))
            .count();
        assert!(main <= 3, "{state:?}: {:?}", screen.buttons);
    }
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

// ---- properties --------------------------------------------------------------

fn arb_event() -> impl Strategy<Value = Event> {
    let kinds = prop_oneof![
        Just(CardKind::Standard),
        Just(CardKind::PinLess),
        Just(CardKind::Android),
        Just(CardKind::Iphone)
    ];
    let photo = prop_oneof![
        Just(PhotoStatus::Available),
        Just(PhotoStatus::KeyRefused),
        Just(PhotoStatus::NoCardFace),
        Just(PhotoStatus::CounterLow)
    ];
    let role = prop_oneof![Just(ReaderRole::Card), Just(ReaderRole::Phone)];
    let failure = prop_oneof![
        Just(CardFailure::Removed),
        Just(CardFailure::Unreadable),
        Just(CardFailure::PhoneNotAuthenticated)
    ];
    prop_oneof![
        role.clone().prop_map(Event::CardPresent),
        role.prop_map(Event::CardAbsent),
        (kinds, photo).prop_map(|(k, p)| Event::CardRead(Ok(facts(k, p)))),
        failure.clone().prop_map(|f| Event::CardRead(Err(f))),
        (0u8..4).prop_map(|n| Event::PinTries(Ok(PinStatus::Tries(n)))),
        Just(Event::PinTries(Ok(PinStatus::Blocked))),
        Just(Event::PinTries(Ok(PinStatus::NoPin))),
        Just(Event::PinVerified(Ok(VerifyOutcome::Ok))),
        (0u8..3).prop_map(|n| Event::PinVerified(Ok(VerifyOutcome::Wrong { tries_left: n }))),
        Just(Event::PinVerified(Ok(VerifyOutcome::Blocked))),
        failure.clone().prop_map(|f| Event::PinVerified(Err(f))),
        Just(Event::CertificateRead(Ok(vec![0x30, 2]))),
        Just(Event::Signed(Ok(vec![5; 8]))),
        failure.prop_map(|f| Event::Signed(Err(f))),
        (0.0f32..1.0).prop_map(|s| Event::Face(FaceOutcome::Match { score: s })),
        (0.0f32..1.0).prop_map(|s| Event::Face(FaceOutcome::NoMatch { score: s })),
        Just(Event::Face(FaceOutcome::Guidance(Guidance::Mask))),
        Just(Event::Face(FaceOutcome::Unavailable)),
        (0usize..Button::ALL.len()).prop_map(|i| Event::Press(Button::ALL[i])),
        "[0-9]{4}".prop_map(|p| Event::PinTyped(pin(&p))),
        "[0-9]{4}".prop_map(|p| Event::StaffVisual(pin(&p))),
        Just(Event::StaffChecked(StaffCheck::Accepted {
            account: "staff".into()
        })),
        Just(Event::StaffChecked(StaffCheck::Rejected {
            attempts_left: 1
        })),
        Just(Event::StaffChecked(StaffCheck::LockedOut)),
        Just(Event::StaffConfirm),
        Just(Event::Enqueued(Ok(()))),
        Just(Event::Enqueued(Err("full".into()))),
        Just(Event::Acked {
            id: ID.into(),
            result: AckResult::Eligible,
            message: None
        }),
        any::<bool>().prop_map(|up| Event::Link { up }),
        Just(Event::PcCancel),
        (0u64..64).prop_map(|t| Event::TimerFired(TimerToken(t))),
        Just(Event::CardFace(CardFaceEvent::Guidance(
            CardFaceGuidance::HoldStill
        ))),
        Just(Event::CardFace(CardFaceEvent::Refused(
            CardFaceNotice::Unreadable
        ))),
        Just(Event::CardFace(CardFaceEvent::FaceAuthMarking)),
        (any::<bool>(), any::<bool>()).prop_map(|(camera, up)| Event::Device {
            device: if camera {
                Device::Camera
            } else {
                Device::PhoneReader
            },
            up
        }),
    ]
}

/// What the world has told the flow in the current session, as evidence for an
/// identity's method.
#[derive(Default)]
struct Evidence {
    asked: HashSet<&'static str>,
    proven: HashSet<Method>,
    /// The tries the card last reported (None: not yet known in this session).
    card_tries: Option<u8>,
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, .. ProptestConfig::default() })]

    /// No identity leaves without the authentication its method names, and no
    /// VERIFY is sent when the card last reported zero tries (or nothing yet).
    #[test]
    fn identities_need_authentication_and_verify_needs_tries(
        events in proptest::collection::vec(arb_event(), 1..80)
    ) {
        let (mut flow, _) = Flow::new(Policy::default());
        let mut ev = Evidence::default();
        let mut staff_accepted = false;
        for event in events {
            // Evidence from the world, counted only when it answers a request the
            // flow made (the world never answers what was not asked).
            let answered = |ev: &mut Evidence, what: &'static str| ev.asked.remove(what);
            match &event {
                Event::Face(outcome) if answered(&mut ev, "capture") => {
                    if matches!(outcome, FaceOutcome::Match { .. }) {
                        ev.proven.insert(Method::Face);
                    }
                }
                Event::PinVerified(result) if answered(&mut ev, "verify") => match result {
                    Ok(VerifyOutcome::Ok) => {
                        ev.proven.insert(Method::Pin);
                        ev.proven.insert(Method::Smartphone);
                    }
                    Ok(VerifyOutcome::Wrong { tries_left }) => ev.card_tries = Some(*tries_left),
                    Ok(VerifyOutcome::Blocked) => ev.card_tries = Some(0),
                    Err(_) => {}
                },
                Event::PinTries(result) if answered(&mut ev, "query") => match result {
                    Ok(PinStatus::Tries(n)) => ev.card_tries = Some(*n),
                    Ok(PinStatus::Blocked) => ev.card_tries = Some(0),
                    _ => {}
                },
                Event::Signed(Ok(_)) if answered(&mut ev, "sign") => {
                    ev.proven.insert(Method::Smartphone);
                }
                Event::StaffChecked(StaffCheck::Accepted { .. }) if answered(&mut ev, "staff") => {
                    staff_accepted = true;
                }
                Event::StaffConfirm if staff_accepted => {
                    ev.proven.insert(Method::Visual);
                }
                _ => {}
            }
            for action in flow.handle(event) {
                match action {
                    Action::CaptureFace => { ev.asked.insert("capture"); }
                    Action::VerifyPin(_) => {
                        prop_assert!(matches!(ev.card_tries, Some(n) if n > 0),
                            "VERIFY with card tries {:?}", ev.card_tries);
                        ev.asked.insert("verify");
                    }
                    Action::Sign { .. } => { ev.asked.insert("sign"); }
                    Action::QueryPinTries => { ev.asked.insert("query"); }
                    Action::CheckStaffPasscode(_) => { ev.asked.insert("staff"); }
                    Action::Enqueue(identity) => {
                        prop_assert!(ev.proven.contains(&identity.method),
                            "{:?} forwarded without evidence", identity.method);
                        if identity.method == Method::Pin {
                            prop_assert!(identity.card_signature.is_some());
                        }
                    }
                    Action::EndSession => {
                        ev = Evidence::default();
                        staff_accepted = false;
                    }
                    _ => {}
                }
            }
        }
    }
}

// ---- the card-face camera ---------------------------------------------------

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
        vec![Button::Pin, Button::Cancel, Button::Lang]
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
        vec![Button::Pin, Button::Cancel, Button::Lang]
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
        vec![Button::Face, Button::Cancel, Button::Lang]
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
    assert_eq!(screen.buttons, vec![Button::Cancel, Button::Lang]);
    assert_eq!(screen.params.staff_reason, Some(StaffReason::NoMethodLeft));
    assert_eq!(
        screen.params.card_face_notice,
        Some(CardFaceNotice::WesternCalendar)
    );
}
