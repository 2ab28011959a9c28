//! 利用登録: the PC answered an identity with `not_registered` (the card is not
//! registered for health-insurance use). The terminal explains it and asks the
//! patient; yes stores a `registration` for the same id in the outbox (delivered
//! like an identity) and asks the patient to wait for staff; no ends like any
//! other answer of the PC (the done screen). A timeout, the card removed or
//! やめる end the session as on every screen.

use super::{Flow, State};
use crate::flow::{AckResult, Action, AuditEntry, StaffReason};
use kaonin_hal::indicator::Signal;

impl Flow {
    /// The current session's id (the identity id the registration carries).
    fn session_id(&self) -> Option<String> {
        self.session.as_ref().map(|s| s.facts.session_id.clone())
    }

    pub(super) fn offer_registration(
        &mut self,
        id: &str,
        message: Option<String>,
        out: &mut Vec<Action>,
    ) {
        out.push(Action::Audit(AuditEntry::RegistrationOffered {
            id: id.into(),
        }));
        out.push(Action::Indicate(Signal::StaffNeeded));
        self.enter(State::Registration { message }, out);
    }

    pub(super) fn registration_accepted(&mut self, out: &mut Vec<Action>) {
        let State::Registration { message } = &self.state else {
            return;
        };
        let message = message.clone();
        let Some(id) = self.session_id() else {
            return self.end_session(out);
        };
        out.push(Action::Audit(AuditEntry::RegistrationAccepted {
            id: id.clone(),
        }));
        out.push(Action::EnqueueRegistration { id });
        self.enter(State::RegistrationEnqueueing { message }, out);
    }

    pub(super) fn registration_declined(&mut self, out: &mut Vec<Action>) {
        let State::Registration { message } = &self.state else {
            return;
        };
        let message = message.clone();
        if let Some(id) = self.session_id() {
            out.push(Action::Audit(AuditEntry::RegistrationDeclined { id }));
        }
        self.enter(
            State::Done {
                ack: AckResult::NotRegistered,
                message,
            },
            out,
        );
    }

    pub(super) fn on_registration_enqueued(
        &mut self,
        result: Result<(), String>,
        out: &mut Vec<Action>,
    ) {
        match result {
            Ok(()) => self.enter(State::RegistrationSent, out),
            Err(_) => {
                out.push(Action::Indicate(Signal::StaffNeeded));
                self.enter(State::StaffCall(StaffReason::OutboxFailed), out);
            }
        }
    }
}
