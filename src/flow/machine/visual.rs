//! The staff visual check (目視確認): staff open the passcode screen from the
//! reader's own inputs ([`crate::flow::Event::StaffEntry`], the 係員 control), a staff passcode
//! arms it for one patient, a staff member compares the chip photo with the patient
//! and confirms (or finds it is not the patient).

use super::{Flow, State};
use crate::flow::{Action, AuditEntry, Method, PcEventKind, StaffCheck, StaffNotice};
use kaonin_hal::indicator::Signal;
use kaonin_hal::secret::Digits;

impl Flow {
    pub(super) fn can_arm_visual(&self) -> bool {
        let card_session = self.session_kind().is_some_and(|k| !k.is_phone());
        match self.state {
            State::Idle => true,
            State::StaffPasscode => self.session.is_none() || card_session,
            State::MethodSelect | State::Face { .. } | State::PinLocked => card_session,
            State::Pin {
                verifying: false, ..
            } => card_session,
            _ => false,
        }
    }

    /// The passcode screen, from a screen that offers the 係員 control (a button
    /// a screen does not offer is ignored, like a touch beside the buttons).
    pub(super) fn on_staff_entry(&mut self, out: &mut Vec<Action>) {
        if self.screen().buttons.contains(&crate::flow::Button::Staff) {
            self.enter(State::StaffPasscode, out);
        }
    }

    pub(super) fn on_staff_visual(&mut self, passcode: Digits, out: &mut Vec<Action>) {
        if self.can_arm_visual() && !self.staff_pending {
            self.staff_pending = true;
            out.push(Action::CheckStaffPasscode(passcode));
        }
    }

    pub(super) fn on_staff_checked(&mut self, check: StaffCheck, out: &mut Vec<Action>) {
        if !std::mem::take(&mut self.staff_pending) || !self.can_arm_visual() {
            return;
        }
        match check {
            StaffCheck::Accepted { account } => {
                out.push(Action::Audit(AuditEntry::VisualArmed {
                    account: account.clone(),
                }));
                out.push(Action::PcEvent {
                    kind: PcEventKind::VisualCheck,
                    detail: format!("armed by {account}"),
                });
                self.visual = Some(account);
                self.enter(State::VisualArmed, out);
            }
            StaffCheck::Rejected { attempts_left } => {
                out.push(Action::Audit(AuditEntry::StaffPasscodeRejected));
                self.notice = Some(StaffNotice::WrongPasscode { attempts_left });
                self.show(out);
            }
            StaffCheck::LockedOut { retry_after_s } => {
                out.push(Action::Audit(AuditEntry::StaffLockedOut));
                out.push(Action::Indicate(Signal::StaffNeeded));
                self.notice = Some(StaffNotice::LockedOut { retry_after_s });
                self.show(out);
            }
        }
    }

    /// `arm_visual` from the PC: armed as by a passcode, audited as from the PC;
    /// refused while a patient types (or verifies) a PIN, while already armed, and
    /// where no visual check can be armed.
    pub(super) fn on_pc_arm_visual(&mut self, account: String, out: &mut Vec<Action>) {
        let refused = if matches!(self.state, State::Pin { .. } | State::PinQuery) {
            Some("a patient is entering a PIN")
        } else if self.visual.is_some() {
            Some("visual-check mode is already armed")
        } else if !self.can_arm_visual() {
            Some("visual-check mode cannot be armed now")
        } else {
            None
        };
        if let Some(reason) = refused {
            out.push(Action::PcAnswer {
                of: "arm_visual",
                account: Some(account),
                refused: Some(reason.into()),
            });
            return;
        }
        // A passcode being checked at the reader is overtaken.
        self.staff_pending = false;
        out.push(Action::Audit(AuditEntry::VisualArmedByPc {
            account: account.clone(),
        }));
        out.push(Action::PcEvent {
            kind: PcEventKind::VisualCheck,
            detail: format!("armed by {account} from the PC"),
        });
        out.push(Action::PcAnswer {
            of: "arm_visual",
            account: Some(account.clone()),
            refused: None,
        });
        self.visual = Some(account);
        self.enter(State::VisualArmed, out);
    }

    /// `disarm` from the PC: visual-check mode ends before a staff confirmation
    /// (the session ends, as a cancel); refused when nothing is armed, or once the
    /// check was confirmed (the patient is at the consent screens).
    pub(super) fn on_pc_disarm(&mut self, out: &mut Vec<Action>) {
        let armed = self.visual.clone().filter(|_| {
            self.session
                .as_ref()
                .map_or(true, |s| s.method != Some(Method::Visual))
        });
        let Some(account) = armed else {
            out.push(Action::PcAnswer {
                of: "disarm",
                account: None,
                refused: Some("visual-check mode is not armed".into()),
            });
            return;
        };
        out.push(Action::Audit(AuditEntry::VisualDisarmedByPc {
            account: account.clone(),
        }));
        out.push(Action::PcAnswer {
            of: "disarm",
            account: Some(account),
            refused: None,
        });
        self.end_session(out);
    }

    /// 本人ではない: the patient is not the card holder. Nothing is forwarded; the
    /// session ends and visual-check mode disarms.
    pub(super) fn on_not_patient(&mut self, out: &mut Vec<Action>) {
        if self.state != State::VisualArmed {
            return;
        }
        let (Some(account), Some(session)) = (self.visual.clone(), self.session.as_ref()) else {
            return;
        };
        out.push(Action::Audit(AuditEntry::VisualRefused {
            account,
            id: session.facts.session_id.clone(),
        }));
        out.push(Action::PcEvent {
            kind: PcEventKind::VisualCheck,
            detail: "not the card holder".into(),
        });
        self.end_session(out);
    }

    pub(super) fn on_staff_confirm(&mut self, out: &mut Vec<Action>) {
        if self.state != State::VisualArmed {
            return;
        }
        let (Some(account), Some(session)) = (self.visual.clone(), self.session.as_mut()) else {
            return;
        };
        session.method = Some(Method::Visual);
        session.staff_account = Some(account.clone());
        out.push(Action::Audit(AuditEntry::VisualConfirmed {
            account,
            id: session.facts.session_id.clone(),
        }));
        out.push(Action::Indicate(Signal::Success));
        self.enter(State::Consent, out);
    }
}
