//! The card's signature over the session id (PIN and smartphone paths), and the
//! Android phone's certificate, readable only after its PIN.

use super::{Flow, State};
use crate::flow::{Action, CardFailure, Method};
use kaonin_hal::indicator::Signal;

impl Flow {
    pub(super) fn sign(&mut self, method: Method, out: &mut Vec<Action>) {
        let Some(id) = self.session.as_ref().map(|s| s.facts.session_id.clone()) else {
            return;
        };
        out.push(Action::Sign { id });
        self.enter(State::Signing(method), out);
    }

    pub(super) fn on_certificate(
        &mut self,
        result: Result<Vec<u8>, CardFailure>,
        out: &mut Vec<Action>,
    ) {
        if self.state != State::CertReading {
            return;
        }
        match result {
            Ok(certificate) => {
                if let Some(session) = self.session.as_mut() {
                    session.facts.certificate = Some(certificate);
                }
                self.sign(Method::Smartphone, out);
            }
            Err(failure) => self.card_error(failure, out),
        }
    }

    pub(super) fn on_signed(
        &mut self,
        result: Result<Vec<u8>, CardFailure>,
        out: &mut Vec<Action>,
    ) {
        let State::Signing(method) = self.state else {
            return;
        };
        match (result, self.session.as_mut()) {
            (Ok(signature), Some(session)) if session.facts.certificate.is_some() => {
                session.signature = Some(signature);
                session.method = Some(method);
                out.push(Action::Indicate(Signal::Success));
                self.enter(State::Consent, out);
            }
            (Ok(_), _) => self.card_error(CardFailure::CertificateInvalid, out),
            (Err(failure), _) => self.card_error(failure, out),
        }
    }
}
