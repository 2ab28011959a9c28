//! The identity leaves: stored durably in the outbox, sent to the PC, acknowledged
//! (or kept for later when the PC does not answer).

use super::{Flow, Session, State};
use crate::flow::{AckResult, Action, Identity, PcEventKind, StaffReason};
use kaonin_hal::indicator::Signal;

impl Flow {
    pub(super) fn enqueue(&mut self, out: &mut Vec<Action>) {
        let Some(identity) = self.session.as_ref().and_then(identity_of) else {
            return self.end_session(out);
        };
        out.push(Action::Enqueue(identity));
        self.enter(State::Enqueueing, out);
    }

    pub(super) fn on_enqueued(&mut self, result: Result<(), String>, out: &mut Vec<Action>) {
        if matches!(self.state, State::RegistrationEnqueueing { .. }) {
            return self.on_registration_enqueued(result, out);
        }
        if self.state != State::Enqueueing {
            return;
        }
        match result {
            Ok(()) if self.link_up => self.enter(State::Sending, out),
            Ok(()) => self.go_offline(out),
            Err(_) => {
                out.push(Action::Indicate(Signal::StaffNeeded));
                self.enter(State::StaffCall(StaffReason::OutboxFailed), out);
            }
        }
    }

    pub(super) fn on_link(&mut self, up: bool, out: &mut Vec<Action>) {
        self.link_up = up;
        if !up && self.state == State::Sending {
            self.go_offline(out);
        }
    }

    pub(super) fn go_offline(&mut self, out: &mut Vec<Action>) {
        out.push(Action::PcEvent {
            kind: PcEventKind::Offline,
            detail: "identity kept in the outbox until the PC answers".into(),
        });
        self.enter(State::SentOffline, out);
    }

    pub(super) fn on_acked(
        &mut self,
        id: &str,
        result: AckResult,
        message: Option<String>,
        out: &mut Vec<Action>,
    ) {
        let current = self
            .session
            .as_ref()
            .is_some_and(|s| s.facts.session_id == id);
        if !current || !matches!(self.state, State::Sending | State::SentOffline) {
            return;
        }
        if result == AckResult::NotRegistered {
            return self.offer_registration(id, message, out);
        }
        let signal = match result {
            AckResult::Eligible => Signal::Success,
            _ => Signal::StaffNeeded,
        };
        out.push(Action::Indicate(signal));
        self.enter(
            State::Done {
                ack: result,
                message,
            },
            out,
        );
    }
}

/// The identity record of a session whose method and certificate are known.
fn identity_of(session: &Session) -> Option<Identity> {
    let method = session.method?;
    Some(Identity {
        id: session.facts.session_id.clone(),
        method,
        certificate: session.facts.certificate.clone()?,
        card_signature: session.signature.clone(),
        face_score: session.face_score,
        staff_account: session.staff_account.clone(),
        consent: session.consent,
        consent_mode: session.consent_mode,
        kenmen: session.facts.kenmen.clone(),
        prescription: session.prescription,
    })
}
