//! The PIN: reading the retry counter, typing, VERIFY, and the locked card. A
//! VERIFY is only ever sent when the card last reported tries left.

use super::{Flow, State};
use crate::flow::{Action, CardFailure, CardKind, Method, PcEventKind, PinStatus, VerifyOutcome};
use kaonin_hal::indicator::Signal;
use kaonin_hal::secret::Digits;

impl Flow {
    pub(super) fn pin_possible(&self) -> bool {
        self.session
            .as_ref()
            .is_some_and(|s| s.facts.kind == CardKind::Standard && !s.pin_absent)
    }

    pub(super) fn query_pin(&mut self, out: &mut Vec<Action>) {
        out.push(Action::QueryPinTries);
        self.enter(State::PinQuery, out);
    }

    pub(super) fn on_pin_tries(
        &mut self,
        result: Result<PinStatus, CardFailure>,
        out: &mut Vec<Action>,
    ) {
        if self.state != State::PinQuery {
            return;
        }
        match result {
            Ok(PinStatus::Tries(n)) if n > 0 => self.enter(
                State::Pin {
                    tries: n,
                    verifying: false,
                },
                out,
            ),
            Ok(PinStatus::Tries(_)) | Ok(PinStatus::Blocked) => self.pin_locked(out),
            Ok(PinStatus::NoPin) => {
                if let Some(session) = self.session.as_mut() {
                    session.pin_absent = true;
                }
                self.enter(State::MethodSelect, out)
            }
            Err(failure) => self.card_error(failure, out),
        }
    }

    pub(super) fn on_pin_typed(&mut self, pin: Digits, out: &mut Vec<Action>) {
        if let State::Pin {
            tries,
            verifying: false,
        } = self.state
        {
            if tries > 0 {
                self.state = State::Pin {
                    tries,
                    verifying: true,
                };
                out.push(Action::VerifyPin(pin));
            }
        }
    }

    pub(super) fn on_pin_verified(
        &mut self,
        result: Result<VerifyOutcome, CardFailure>,
        out: &mut Vec<Action>,
    ) {
        let State::Pin {
            verifying: true, ..
        } = self.state
        else {
            return;
        };
        let phone = self.session_kind().is_some_and(CardKind::is_phone);
        match result {
            Ok(VerifyOutcome::Ok) if phone => {
                out.push(Action::ReadCertificate);
                self.enter(State::CertReading, out);
            }
            Ok(VerifyOutcome::Ok) => self.sign(Method::Pin, out),
            Ok(VerifyOutcome::Wrong { tries_left }) if tries_left > 0 => {
                out.push(Action::Indicate(Signal::TryAgain));
                self.enter(
                    State::Pin {
                        tries: tries_left,
                        verifying: false,
                    },
                    out,
                );
            }
            Ok(VerifyOutcome::Wrong { .. }) | Ok(VerifyOutcome::Blocked) => self.pin_locked(out),
            Err(failure) => self.card_error(failure, out),
        }
    }

    fn pin_locked(&mut self, out: &mut Vec<Action>) {
        out.push(Action::PcEvent {
            kind: PcEventKind::PinLocked,
            detail: "no PIN tries left".into(),
        });
        out.push(Action::Indicate(Signal::Locked));
        self.enter(State::PinLocked, out);
    }
}
