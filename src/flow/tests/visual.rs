//! The staff visual check: passcodes (wrong, locked out), arming from idle, the
//! timeout that disarms it, and a confirm that comes without it.

use super::*;

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
    run.send(Event::StaffChecked(StaffCheck::LockedOut {
        retry_after_s: 60,
    }));
    assert_eq!(
        run.last_screen().params.staff_notice,
        Some(StaffNotice::LockedOut { retry_after_s: 60 })
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

/// Face fails three times, the PIN is locked: the 係員 control opens the passcode
/// screen, the passcode arms the check, the photo screen confirms, consent follows
/// and the identity names the staff account.
#[test]
fn staff_enter_from_the_locked_pin_screen_and_confirm_the_photo() {
    let mut run = Run::new();
    run.card(CardKind::Standard, PhotoStatus::Available);
    // No staff control while the patient is typing a PIN, or before a card.
    run.send(Event::Press(Button::Face));
    run.send(Event::Face(FaceOutcome::NoMatch { score: 0.1 }));
    run.send(Event::TimerFired(run.timer(Policy::default().face_retry)));
    run.send(Event::Face(FaceOutcome::NoMatch { score: 0.1 }));
    run.send(Event::TimerFired(run.timer(Policy::default().face_retry)));
    run.send(Event::Face(FaceOutcome::NoMatch { score: 0.1 }));
    assert_eq!(run.flow.state(), StateName::PinQuery);
    run.send(Event::PinTries(Ok(PinStatus::Blocked)));
    assert_eq!(run.flow.state(), StateName::PinLocked);
    let locked = run.last_screen();
    assert!(locked.buttons.contains(&Button::Staff), "{locked:?}");

    run.send(Event::Press(Button::Staff));
    assert_eq!(run.flow.state(), StateName::StaffPasscode);
    let entry = run.last_screen();
    assert_eq!(entry.id, ScreenId::StaffPasscode);
    assert_eq!(entry.buttons, vec![Button::Cancel]);

    run.send(Event::StaffVisual(pin("2580")));
    run.send(Event::StaffChecked(StaffCheck::Rejected {
        attempts_left: 4,
    }));
    assert_eq!(run.flow.state(), StateName::StaffPasscode);
    assert_eq!(
        run.last_screen().params.staff_notice,
        Some(StaffNotice::WrongPasscode { attempts_left: 4 })
    );
    run.send(Event::StaffVisual(pin("2580")));
    run.send(Event::StaffChecked(StaffCheck::Accepted {
        account: "staff-01".into(),
    }));
    let confirm = run.last_screen();
    assert_eq!(confirm.id, ScreenId::VisualArmed);
    assert!(confirm.params.staff_confirm);
    assert_eq!(confirm.buttons, vec![Button::Confirm, Button::NotPatient]);
    run.send(Event::Press(Button::Confirm));
    assert_eq!(run.flow.state(), StateName::Consent);
    run.consent_all_and_ack();
    let sent = run.enqueued();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].method, Method::Visual);
    assert_eq!(sent[0].staff_account.as_deref(), Some("staff-01"));
    assert_eq!(
        run.count(|a| matches!(a, Action::Audit(AuditEntry::VisualConfirmed { account, .. }) if account == "staff-01")),
        1
    );
}

#[test]
fn the_staff_control_is_offered_where_a_card_patient_may_need_staff_only() {
    let mut run = Run::new();
    assert!(!run.last_screen().buttons.contains(&Button::Staff), "idle");
    run.card(CardKind::Standard, PhotoStatus::Available);
    assert!(run.last_screen().buttons.contains(&Button::Staff));
    run.send(Event::Press(Button::Pin));
    run.send(Event::PinTries(Ok(PinStatus::Tries(3))));
    assert!(!run.last_screen().buttons.contains(&Button::Staff), "pin");
    // A phone session never gets it.
    let mut phone = Run::new();
    phone.send(Event::Press(Button::Phone));
    phone.send(Event::CardPresent(ReaderRole::Phone));
    phone.send(Event::CardRead(Ok(facts(
        CardKind::Android,
        PhotoStatus::NotOnDevice,
    ))));
    phone.send(Event::PinTries(Ok(PinStatus::Tries(3))));
    assert!(phone.send(Event::Press(Button::Staff)).is_empty());
    assert!(phone.send(Event::StaffEntry).is_empty());
}

#[test]
fn staff_entry_is_the_same_as_the_staff_control() {
    let mut run = Run::new();
    run.card(CardKind::PinLess, PhotoStatus::Available);
    run.send(Event::StaffEntry);
    assert_eq!(run.flow.state(), StateName::StaffPasscode);
    // Again on the passcode screen: nothing new.
    assert!(run.send(Event::StaffEntry).is_empty());
}

#[test]
fn not_the_patient_ends_the_session_forwards_nothing_and_is_audited() {
    let mut run = Run::new();
    run.card(CardKind::Standard, PhotoStatus::Available);
    run.send(Event::Press(Button::Staff));
    run.send(Event::StaffVisual(pin("2580")));
    run.send(Event::StaffChecked(StaffCheck::Accepted {
        account: "staff-01".into(),
    }));
    run.send(Event::Press(Button::NotPatient));
    assert_eq!(run.flow.state(), StateName::Idle);
    assert!(run.enqueued().is_empty());
    assert_eq!(
        run.count(|a| matches!(a, Action::Audit(AuditEntry::VisualRefused { id, .. }) if id == ID)),
        1
    );
    // Disarmed: the next card goes to the method screen.
    run.card(CardKind::Standard, PhotoStatus::Available);
    assert_eq!(run.flow.state(), StateName::MethodSelect);
}

#[test]
fn card_removed_or_timeout_on_the_staff_screens_disarms() {
    for removal in [true, false] {
        let mut run = Run::new();
        run.card(CardKind::Standard, PhotoStatus::Available);
        run.send(Event::Press(Button::Staff));
        if removal {
            run.send(Event::CardAbsent(ReaderRole::Card));
        } else {
            run.send(Event::TimerFired(
                run.timer(Policy::default().screen_timeout),
            ));
        }
        assert_eq!(run.flow.state(), StateName::Idle, "removal {removal}");
        // Armed and then removed / timed out.
        let mut run = Run::new();
        run.card(CardKind::Standard, PhotoStatus::Available);
        run.send(Event::StaffVisual(pin("2580")));
        run.send(Event::StaffChecked(StaffCheck::Accepted {
            account: "s".into(),
        }));
        if removal {
            run.send(Event::CardAbsent(ReaderRole::Card));
        } else {
            run.send(Event::TimerFired(
                run.timer(Policy::default().visual_timeout),
            ));
        }
        assert_eq!(run.flow.state(), StateName::Idle, "removal {removal}");
        run.card(CardKind::Standard, PhotoStatus::Available);
        assert_eq!(run.flow.state(), StateName::MethodSelect, "disarmed");
    }
}

#[test]
fn a_locked_out_staff_sees_the_minutes_on_the_passcode_screen() {
    let mut run = Run::new();
    run.card(CardKind::Standard, PhotoStatus::Available);
    run.send(Event::Press(Button::Staff));
    run.send(Event::StaffVisual(pin("0000")));
    run.send(Event::StaffChecked(StaffCheck::LockedOut {
        retry_after_s: 300,
    }));
    assert_eq!(run.flow.state(), StateName::StaffPasscode);
    let screen = run.last_screen();
    assert_eq!(screen.id, ScreenId::StaffPasscode);
    assert_eq!(
        screen.params.staff_notice,
        Some(StaffNotice::LockedOut { retry_after_s: 300 })
    );
}

fn answers(run: &Run) -> Vec<(&'static str, Option<String>)> {
    run.actions
        .iter()
        .filter_map(|a| match a {
            Action::PcAnswer { of, refused, .. } => Some((*of, refused.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn the_pc_arms_from_idle_and_the_staff_confirm_after_the_card() {
    let mut run = Run::new();
    run.send(Event::PcArmVisual {
        account: "staff-07".into(),
    });
    assert_eq!(answers(&run), [("arm_visual", None)]);
    assert_eq!(run.last_screen().id, ScreenId::VisualArmed);
    assert!(!run.last_screen().params.staff_confirm);
    assert_eq!(
        run.count(|a| matches!(a, Action::Audit(AuditEntry::VisualArmedByPc { account }) if account == "staff-07")),
        1
    );
    run.card(CardKind::Standard, PhotoStatus::Available);
    assert!(run.last_screen().params.staff_confirm);
    run.send(Event::Press(Button::Confirm));
    run.consent_all_and_ack();
    assert_eq!(run.enqueued()[0].staff_account.as_deref(), Some("staff-07"));
    assert_eq!(run.enqueued()[0].method, Method::Visual);
}

#[test]
fn the_pc_is_refused_mid_pin_and_when_already_armed() {
    let mut run = Run::new();
    run.card(CardKind::Standard, PhotoStatus::Available);
    run.send(Event::Press(Button::Pin));
    run.send(Event::PinTries(Ok(PinStatus::Tries(3))));
    run.send(Event::PcArmVisual {
        account: "s".into(),
    });
    run.send(Event::PcDisarm);
    assert_eq!(run.flow.state(), StateName::Pin);
    let got = answers(&run);
    assert_eq!(got.len(), 2);
    assert!(got.iter().all(|(_, refused)| refused.is_some()), "{got:?}");
    assert!(got[0].1.as_ref().unwrap().contains("PIN"));
    // The PIN goes on as before.
    run.send(Event::PinTyped(pin("1234")));
    assert!(run
        .actions
        .iter()
        .any(|a| matches!(a, Action::VerifyPin(_))));

    let mut run = Run::new();
    run.send(Event::PcArmVisual {
        account: "a".into(),
    });
    run.send(Event::PcArmVisual {
        account: "b".into(),
    });
    let got = answers(&run);
    assert_eq!(got[0], ("arm_visual", None));
    assert!(got[1].1.as_ref().unwrap().contains("already"));
}

#[test]
fn the_pc_disarms_before_the_confirmation_only() {
    let mut run = Run::new();
    run.card(CardKind::Standard, PhotoStatus::Available);
    run.send(Event::PcArmVisual {
        account: "s".into(),
    });
    run.send(Event::PcDisarm);
    assert_eq!(run.flow.state(), StateName::Idle);
    assert_eq!(answers(&run), [("arm_visual", None), ("disarm", None)]);
    assert_eq!(
        run.count(|a| matches!(a, Action::Audit(AuditEntry::VisualDisarmedByPc { .. }))),
        1
    );
    // Confirmed: the patient is at consent; disarm is refused.
    let mut run = Run::new();
    run.card(CardKind::Standard, PhotoStatus::Available);
    run.send(Event::PcArmVisual {
        account: "s".into(),
    });
    run.send(Event::StaffConfirm);
    run.send(Event::PcDisarm);
    assert_eq!(run.flow.state(), StateName::Consent);
    assert!(answers(&run)[1].1.is_some());
}

#[test]
fn staff_entry_where_the_control_is_not_offered_is_ignored() {
    let mut run = Run::new();
    assert!(run.send(Event::StaffEntry).is_empty(), "idle");
    assert!(run.send(Event::Press(Button::Staff)).is_empty(), "idle");
    run.card(CardKind::Standard, PhotoStatus::Available);
    run.send(Event::Press(Button::Face));
    assert!(run.send(Event::StaffEntry).is_empty(), "face screen");
    assert_eq!(run.flow.state(), StateName::Face);
}
