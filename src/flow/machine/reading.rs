//! A card or phone arrives, is read (the chip, and the printed face by the
//! card-face camera) or leaves: the session opens here and the card's kind picks
//! the next phase.

use super::{Flow, Session, State};
use crate::flow::{
    Action, CardFaceEvent, CardFaceNotice, CardFacts, CardFailure, CardKind, Consent, ConsentMode,
    Method, PhotoStatus, ReaderRole,
};
use kaonin_hal::indicator::Signal;

impl Flow {
    pub(super) fn on_card_present(&mut self, role: ReaderRole, out: &mut Vec<Action>) {
        let accepts = match self.state {
            State::Idle => true,
            State::PhoneWait => role == ReaderRole::Phone,
            State::VisualArmed | State::StaffPasscode => {
                self.session.is_none() && role == ReaderRole::Card
            }
            _ => false,
        };
        if accepts {
            self.clear_card_face();
            self.present = Some(role);
            out.push(Action::Indicate(Signal::CardDetected));
            out.push(Action::ReadCard(role));
            self.enter(State::Reading(role), out);
        }
    }

    pub(super) fn clear_card_face(&mut self) {
        self.card_face_guidance = None;
        self.card_face_notice = None;
        self.face_auth_marked = false;
    }

    /// Card-face progress counts only while the card (not a phone) is being read.
    pub(super) fn on_card_face(&mut self, event: CardFaceEvent, out: &mut Vec<Action>) {
        if self.state != State::Reading(ReaderRole::Card) {
            return;
        }
        match event {
            CardFaceEvent::Guidance(guidance) => {
                if self.card_face_guidance != Some(guidance) {
                    self.card_face_guidance = Some(guidance);
                    self.show(out);
                }
            }
            CardFaceEvent::Refused(notice) => {
                self.card_face_notice = Some(notice);
                if self.card_face_guidance.take().is_some() {
                    self.show(out);
                }
            }
            CardFaceEvent::FaceAuthMarking => self.face_auth_marked = true,
        }
    }

    pub(super) fn on_card_absent(&mut self, role: ReaderRole, out: &mut Vec<Action>) {
        if self.present == Some(role) {
            self.end_session(out);
        }
    }

    pub(super) fn on_card_read(
        &mut self,
        result: Result<CardFacts, CardFailure>,
        out: &mut Vec<Action>,
    ) {
        let State::Reading(_) = self.state else {
            return;
        };
        let facts = match result {
            Ok(facts) => facts,
            Err(failure) => return self.card_error(failure, out),
        };
        if !facts.kind.is_phone() && facts.certificate.is_none() {
            return self.card_error(CardFailure::CertificateInvalid, out);
        }
        let kind = facts.kind;
        self.card_face_guidance = None;
        self.card_face_notice = match facts.photo {
            PhotoStatus::Available | PhotoStatus::NotOnDevice => None,
            PhotoStatus::KeyRefused => Some(CardFaceNotice::KeyRefused),
            PhotoStatus::CounterLow => Some(CardFaceNotice::CounterLow),
            PhotoStatus::NoCardFace => self.card_face_notice,
        };
        if facts.photo == PhotoStatus::CounterLow {
            out.push(Action::Indicate(Signal::StaffNeeded));
        }
        // The marking only ever removes the PIN option; its absence proves nothing.
        let marked = self.face_auth_marked && !kind.is_phone();
        self.session = Some(Session {
            pin_absent: kind == CardKind::PinLess || marked,
            facts,
            face_failures: 0,
            guidance_frames: 0,
            method: None,
            face_score: None,
            signature: None,
            staff_account: None,
            consent: Consent::default(),
            consent_mode: ConsentMode::All,
            prescription: None,
        });
        match kind {
            CardKind::Android => self.query_pin(out),
            CardKind::Iphone => self.sign(Method::Smartphone, out),
            CardKind::Standard | CardKind::PinLess if self.visual.is_some() => {
                self.enter(State::VisualArmed, out)
            }
            CardKind::Standard | CardKind::PinLess => self.enter(State::MethodSelect, out),
        }
    }
}
