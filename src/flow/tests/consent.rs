//! The consent screens: every item asked in turn.

use super::*;

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

fn prescription_policy() -> Policy {
    Policy {
        prescription_choice: true,
        ..Policy::default()
    }
}

#[test]
fn without_the_policy_no_prescription_screen_and_no_choice() {
    let mut run = Run::new();
    run.card(CardKind::Standard, PhotoStatus::Available);
    run.send(Event::Press(Button::Face));
    run.send(Event::Face(FaceOutcome::Match { score: 0.8 }));
    run.send(Event::Press(Button::ConsentAll));
    assert!(!run.screens().contains(&ScreenId::Prescription));
    assert_eq!(run.enqueued()[0].prescription, None);
}

#[test]
fn with_the_policy_the_patient_chooses_after_consent_and_the_choice_travels() {
    for (button, choice) in [
        (Button::Paper, Prescription::Paper),
        (Button::Electronic, Prescription::Electronic),
    ] {
        let mut run = Run::with(prescription_policy());
        run.card(CardKind::Standard, PhotoStatus::Available);
        run.send(Event::Press(Button::Face));
        run.send(Event::Face(FaceOutcome::Match { score: 0.8 }));
        run.send(Event::Press(Button::ConsentAll));
        assert_eq!(run.flow.state(), StateName::Prescription);
        let screen = run.last_screen();
        assert_eq!(screen.id, ScreenId::Prescription);
        assert_eq!(
            screen.buttons,
            vec![Button::Paper, Button::Electronic, Button::Cancel]
        );
        assert!(
            run.enqueued().is_empty(),
            "nothing stored before the choice"
        );
        run.send(Event::Press(button));
        assert_eq!(run.enqueued()[0].prescription, Some(choice));
        assert_eq!(run.enqueued()[0].consent, Consent::all());
    }
    // After individual consent too.
    let mut run = Run::with(prescription_policy());
    run.card(CardKind::Standard, PhotoStatus::Available);
    run.send(Event::Press(Button::Face));
    run.send(Event::Face(FaceOutcome::Match { score: 0.8 }));
    run.send(Event::Press(Button::ConsentIndividual));
    for _ in ConsentItem::ALL {
        run.send(Event::Press(Button::Yes));
    }
    assert_eq!(run.flow.state(), StateName::Prescription);
    run.send(Event::Press(Button::Electronic));
    assert_eq!(
        run.enqueued()[0].prescription,
        Some(Prescription::Electronic)
    );
    assert_eq!(run.enqueued()[0].consent_mode, ConsentMode::Individual);
}

#[test]
fn the_prescription_screen_ends_like_any_other_on_removal_cancel_or_timeout() {
    for how in 0..3 {
        let mut run = Run::with(prescription_policy());
        run.card(CardKind::Standard, PhotoStatus::Available);
        run.send(Event::Press(Button::Face));
        run.send(Event::Face(FaceOutcome::Match { score: 0.8 }));
        run.send(Event::Press(Button::ConsentAll));
        match how {
            0 => run.send(Event::CardAbsent(ReaderRole::Card)),
            1 => run.send(Event::Press(Button::Cancel)),
            _ => run.send(Event::TimerFired(
                run.timer(Policy::default().screen_timeout),
            )),
        };
        assert_eq!(run.flow.state(), StateName::Idle, "{how}");
        assert!(run.enqueued().is_empty(), "{how}");
    }
}
