//! Carrying out the flow's actions: a command to a worker, a write to the outbox or
//! the audit log, a timer, a screen. Results come back as events.

use super::Loop;
use crate::card::KenmenKey;
use crate::daemon::workers::CardCmd;
use crate::daemon::Inbound;
use crate::flow::{
    Action, CardFailure, Event, FaceOutcome, ReaderRole, Screen, ScreenId, StaffNotice,
};
use crate::ground::ids::uuid_v4;
use kaonin_hal::secret::Digits;

impl Loop {
    pub(super) fn perform(&mut self, actions: Vec<Action>) {
        for action in actions {
            self.perform_one(action);
        }
    }

    fn perform_one(&mut self, action: Action) {
        self.uplink.stats.observe_action(&action);
        match action {
            Action::Show(screen) => self.show(screen),
            Action::ReadCard(role) => {
                self.session.role = Some(role);
                // The control socket's value wins; then the card-face camera; then
                // the simulated profile's printed face.
                if self.session.typed_face.is_none()
                    && role == ReaderRole::Card
                    && self.workers.has_card_face()
                {
                    let token = self.session.next_card_face_token();
                    if self.workers.read_card_face(token) {
                        self.session.card_face_pending = Some(token);
                        return;
                    }
                    tracing::error!("card-face worker gone; reading the card without it");
                }
                let card_face = self.session.known_face();
                self.read_card(card_face);
            }
            Action::QueryPinTries => self.send_card(CardCmd::QueryPin),
            Action::VerifyPin(pin) => self.send_card(CardCmd::Verify(pin)),
            Action::ReadCertificate => self.send_card(CardCmd::ReadCertificate),
            Action::Sign { id } => self.send_card(CardCmd::Sign(id)),
            Action::CaptureFace => {
                if !self.workers.capture_face() {
                    self.on_event(Event::Face(FaceOutcome::Unavailable));
                }
            }
            Action::CheckStaffPasscode(passcode) => self.check_staff(passcode),
            Action::Enqueue(identity) => self.uplink.enqueue(identity, self.tx.clone()),
            Action::EnqueueRegistration { id } => {
                self.uplink.enqueue_registration(id, self.tx.clone())
            }
            Action::PcEvent { kind, detail } => self.uplink.event(kind, &detail),
            Action::PcAnswer {
                of,
                account,
                refused,
            } => self.uplink.answer(of, account, refused),
            Action::Audit(entry) => {
                if let Err(e) = self.staff.audit(&entry) {
                    tracing::error!(error = %e, "audit log write failed");
                }
            }
            Action::Indicate(signal) => {
                if let Err(e) = self.workers.indicator.signal(signal) {
                    tracing::warn!(error = %e, "indicator failed");
                }
            }
            Action::StartTimer { token, after } => self.timers.start(token, after),
            Action::EndSession => {
                self.cancel_card_face();
                self.session.clear_pin();
                self.workers.end_session();
                self.session.role = None;
            }
        }
    }

    /// Has the card read, with the card-face value if there is one.
    pub(super) fn read_card(&mut self, card_face: Option<KenmenKey>) {
        self.send_card(CardCmd::Read {
            session_id: uuid_v4(),
            card_face,
        });
    }

    /// Stops a card-face read the loop was waiting for.
    pub(super) fn cancel_card_face(&mut self) {
        if self.session.card_face_pending.take().is_some() {
            self.workers.cancel_card_face();
        }
    }

    fn send_card(&mut self, cmd: CardCmd) {
        let role = self.session.reader();
        if !self.workers.send_card(role, cmd) {
            tracing::error!(?role, "no worker for this reader");
            self.on_event(Event::CardRead(Err(CardFailure::ReaderFault)));
        }
    }

    /// Shows `screen` (with the PIN dots typed so far) and tells the PC.
    pub(super) fn show(&mut self, mut screen: Screen) {
        if !crate::ui::is_pad_screen(screen.id)
            || self.session.screen.as_ref().map(|s| s.id) != Some(screen.id)
        {
            self.session.clear_pin();
        }
        if !self
            .session
            .screen
            .as_ref()
            .is_some_and(|s| s.id == screen.id)
        {
            self.session.staff_keys = 0;
        }
        screen.params.pin_dots = self.session.pin.len() as u8;
        if screen.id == ScreenId::StaffPasscode {
            // What the staff store says now: tries before the lock-out, or the
            // lock-out itself (unless the flow shows a fresher notice).
            match self.staff.locked_out_for() {
                Some(retry_after_s) if screen.params.staff_notice.is_none() => {
                    screen.params.staff_notice = Some(StaffNotice::LockedOut { retry_after_s })
                }
                None if screen.params.staff_notice.is_none() => {
                    screen.params.staff_attempts_left = Some(self.staff.attempts_left())
                }
                _ => {}
            }
        }
        self.uplink.status(screen.id, self.session.presence.any());
        // The live preview runs while the face screen is up.
        let was_face = self.session.showing(ScreenId::Face);
        if was_face != (screen.id == ScreenId::Face) {
            self.workers.set_preview(screen.id == ScreenId::Face);
        }
        self.workers.show(screen.clone());
        self.session.screen = Some(screen);
    }

    fn check_staff(&mut self, passcode: Digits) {
        let (staff, tx) = (self.staff.clone(), self.tx.clone());
        tokio::task::spawn_blocking(move || {
            let check = staff.check(&passcode);
            let _ = tx.send(Inbound::Flow(Event::StaffChecked(check)));
        });
    }
}
