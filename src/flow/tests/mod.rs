//! Tests of the flow: every path of the reception (one file per phase), every
//! (state, event) pair, and properties over random event sequences. This file holds
//! what they share: a card's facts, a PIN, and [`Run`], a flow with everything it
//! asked for.

mod consent;
mod face;
mod phone;
mod pin;
mod properties;
mod reading;
mod registration;
mod sending;
mod session;
mod states;
mod visual;

use super::*;
use kaonin_hal::secret::Digits;

const ID: &str = "6f1c2f9e-6d8b-4f57-9a63-0c5d2b7f4a10";

fn facts(kind: CardKind, photo: PhotoStatus) -> CardFacts {
    CardFacts {
        session_id: ID.into(),
        kind,
        certificate: (kind != CardKind::Android).then(|| vec![0x30, 0x82, 0x01, 0x00]),
        photo,
        kenmen: None,
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

    /// A standard card, a face match and consent to all, up to the identity stored
    /// in the outbox (the flow then waits for the PC's ack).
    fn face_match_stored(&mut self) {
        self.card(CardKind::Standard, PhotoStatus::Available);
        self.send(Event::Press(Button::Face));
        self.send(Event::Face(FaceOutcome::Match { score: 0.8 }));
        self.send(Event::Press(Button::ConsentAll));
        self.send(Event::Enqueued(Ok(())));
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
