//! Rules of every state: inactivity timeouts and stale timers, the language
//! button, a cancel by the PC, device faults.

use super::*;

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
