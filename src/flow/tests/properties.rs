//! Properties over random event sequences (proptest; its regressions are kept in
//! `proptest-regressions/flow/tests/properties.txt`).

use super::*;
use proptest::prelude::*;
use std::collections::HashSet;

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
        Just(Event::StaffChecked(StaffCheck::LockedOut {
            retry_after_s: 60
        })),
        Just(Event::StaffConfirm),
        Just(Event::StaffEntry),
        Just(Event::Enqueued(Ok(()))),
        Just(Event::Enqueued(Err("full".into()))),
        Just(Event::Acked {
            id: ID.into(),
            result: AckResult::Eligible,
            message: None
        }),
        Just(Event::Acked {
            id: ID.into(),
            result: AckResult::NotRegistered,
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
        // Ids of the identities forwarded in this session.
        let mut forwarded: Vec<String> = Vec::new();
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
                Event::StaffConfirm | Event::Press(Button::Confirm) if staff_accepted => {
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
                        forwarded.push(identity.id.clone());
                    }
                    // A registration only ever follows this session's identity.
                    Action::EnqueueRegistration { id } => {
                        prop_assert!(forwarded.contains(&id), "registration without identity");
                    }
                    Action::EndSession => {
                        ev = Evidence::default();
                        staff_accepted = false;
                        forwarded.clear();
                    }
                    _ => {}
                }
            }
        }
    }
}
