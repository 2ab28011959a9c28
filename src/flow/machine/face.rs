//! Face authentication: capturing frames, guidance, retries, and the fallback
//! (PIN, or staff) when the attempts run out.

use super::{Flow, State};
use crate::flow::{Action, FaceOutcome, Guidance, Method, PcEventKind, PhotoStatus};
use kaonin_hal::indicator::Signal;

impl Flow {
    pub(super) fn face_available(&self) -> bool {
        self.session.as_ref().is_some_and(|s| {
            !s.facts.kind.is_phone()
                && s.facts.photo == PhotoStatus::Available
                && s.face_failures < self.policy.face_attempts
        })
    }

    pub(super) fn start_face(&mut self, out: &mut Vec<Action>) {
        self.enter(
            State::Face {
                capturing: false,
                guidance: None,
            },
            out,
        );
        self.capture(out);
    }

    pub(super) fn capture(&mut self, out: &mut Vec<Action>) {
        if let State::Face { guidance, .. } = self.state {
            self.state = State::Face {
                capturing: true,
                guidance,
            };
            out.push(Action::CaptureFace);
        }
    }

    pub(super) fn on_face(&mut self, outcome: FaceOutcome, out: &mut Vec<Action>) {
        let State::Face {
            capturing: true, ..
        } = self.state
        else {
            return;
        };
        let Some(session) = self.session.as_mut() else {
            return;
        };
        match outcome {
            FaceOutcome::Match { score } => {
                session.method = Some(Method::Face);
                session.face_score = Some(score);
                out.push(Action::Indicate(Signal::Success));
                self.enter(State::Consent, out);
            }
            FaceOutcome::NoMatch { .. } => self.face_failed(None, out),
            FaceOutcome::Guidance(guidance) => {
                session.guidance_frames += 1;
                if session.guidance_frames >= self.policy.face_guidance_frames {
                    self.face_failed(Some(guidance), out);
                } else {
                    self.state = State::Face {
                        capturing: false,
                        guidance: Some(guidance),
                    };
                    self.show(out);
                    self.retry_timer = Some(self.start_timer(self.policy.face_retry, out));
                }
            }
            FaceOutcome::Unavailable => self.face_exhausted(out),
        }
    }

    fn face_failed(&mut self, guidance: Option<Guidance>, out: &mut Vec<Action>) {
        let Some(session) = self.session.as_mut() else {
            return;
        };
        session.face_failures += 1;
        session.guidance_frames = 0;
        if session.face_failures >= self.policy.face_attempts {
            return self.face_exhausted(out);
        }
        out.push(Action::Indicate(Signal::TryAgain));
        self.state = State::Face {
            capturing: false,
            guidance,
        };
        self.show(out);
        self.retry_timer = Some(self.start_timer(self.policy.face_retry, out));
    }

    pub(super) fn face_exhausted(&mut self, out: &mut Vec<Action>) {
        if let Some(session) = self.session.as_mut() {
            session.face_failures = self.policy.face_attempts;
        }
        out.push(Action::PcEvent {
            kind: PcEventKind::FaceFailed,
            detail: format!("{} attempts", self.policy.face_attempts),
        });
        if self.pin_possible() {
            self.query_pin(out);
        } else {
            out.push(Action::Indicate(Signal::StaffNeeded));
            self.enter(State::MethodSelect, out);
        }
    }
}
