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
