//! The consent screens: 同意する (every item in one tap) or 個別に同意する (each
//! item asked in turn); the identity is stored and sent after the last answer.

use super::{Flow, State};
use crate::flow::{Action, Consent, ConsentItem, ConsentMode, Prescription};

impl Flow {
    /// 同意する: consent to every item, then store and send.
    pub(super) fn consent_all(&mut self, out: &mut Vec<Action>) {
        if let Some(session) = self.session.as_mut() {
            session.consent = Consent::all();
            session.consent_mode = ConsentMode::All;
        }
        self.consent_done(out);
    }

    /// After the last consent answer: the prescription form when the policy asks
    /// for it, else store and send.
    fn consent_done(&mut self, out: &mut Vec<Action>) {
        if self.policy.prescription_choice {
            self.enter(State::Prescription, out);
        } else {
            self.enqueue(out);
        }
    }

    /// 紙 / 電子: the choice goes with the identity, which is stored and sent.
    pub(super) fn prescription_chosen(&mut self, choice: Prescription, out: &mut Vec<Action>) {
        if let Some(session) = self.session.as_mut() {
            session.prescription = Some(choice);
        }
        self.enqueue(out);
    }

    /// 個別に同意する: ask the items one by one.
    pub(super) fn consent_individually(&mut self, out: &mut Vec<Action>) {
        if let Some(session) = self.session.as_mut() {
            session.consent = Consent::default();
            session.consent_mode = ConsentMode::Individual;
        }
        self.enter(State::ConsentItems(0), out);
    }

    /// The answer to item `index`: ask the next item, or store and send after the last.
    pub(super) fn consent_answer(&mut self, index: usize, yes: bool, out: &mut Vec<Action>) {
        if let Some(session) = self.session.as_mut() {
            session.consent.set(ConsentItem::ALL[index], yes);
        }
        if index + 1 < ConsentItem::ALL.len() {
            self.enter(State::ConsentItems(index + 1), out);
        } else {
            self.consent_done(out);
        }
    }
}
