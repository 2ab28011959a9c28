//! Every (state, event) pair: scripts that reach each state, one event of every
//! kind, and what must hold whatever the pair.

use super::*;

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
        StateName::StaffPasscode => {
            std_card(&mut run);
            run.send(Event::Press(Button::Staff));
        }
        StateName::Prescription => {
            run = Run::with(Policy {
                prescription_choice: true,
                ..Policy::default()
            });
            face_ok(&mut run);
            run.send(Event::Press(Button::ConsentAll));
        }
        StateName::Registration => {
            run.send(Event::Link { up: true });
            face_ok(&mut run);
            run.send(Event::Press(Button::ConsentAll));
            run.send(Event::Enqueued(Ok(())));
            run.send(Event::Acked {
                id: ID.into(),
                result: AckResult::NotRegistered,
                message: None,
            });
        }
        StateName::RegistrationEnqueueing => {
            run = reach(StateName::Registration);
            run.send(Event::Press(Button::Yes));
        }
        StateName::RegistrationSent => {
            run = reach(StateName::RegistrationEnqueueing);
            run.send(Event::Enqueued(Ok(())));
        }
    }
    assert_eq!(run.flow.state(), target, "script for {target:?}");
    run
}

const ALL_STATES: [StateName; 24] = [
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
    StateName::StaffPasscode,
    StateName::Prescription,
    StateName::Registration,
    StateName::RegistrationEnqueueing,
    StateName::RegistrationSent,
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
        Event::StaffChecked(StaffCheck::LockedOut { retry_after_s: 60 }),
        Event::StaffConfirm,
        Event::StaffEntry,
        Event::PcArmVisual {
            account: "pc".into(),
        },
        Event::PcDisarm,
        Event::Enqueued(Ok(())),
        Event::Enqueued(Err("x".into())),
        Event::Acked {
            id: ID.into(),
            result: AckResult::Eligible,
            message: None,
        },
        Event::Acked {
            id: ID.into(),
            result: AckResult::NotRegistered,
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
                        matches!(
                            state,
                            StateName::Consent | StateName::ConsentItems | StateName::Prescription
                        ),
                        "{described}"
                    );
                    assert!(!identity.certificate.is_empty(), "{described}");
                }
                if let Action::EnqueueRegistration { id } = action {
                    assert_eq!(state, StateName::Registration, "{described}");
                    assert_eq!(id, ID, "{described}");
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
        let main = screen.buttons.iter().filter(|b| !b.is_corner()).count();
        assert!(main <= 3, "{state:?}: {:?}", screen.buttons);
    }
}
