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
