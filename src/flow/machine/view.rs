//! What each state shows: the screen id, its buttons and its variable content.

use super::{Flow, State};
use crate::flow::{
    Action, Button, CardKind, ConsentItem, Screen, ScreenId, ScreenParams, StaffReason,
};

impl Flow {
    pub(super) fn show(&mut self, out: &mut Vec<Action>) {
        let screen = self.screen();
        self.shown = screen.id;
        out.push(Action::Show(screen));
    }

    /// The 係員 control, on the screens where a card patient may need a visual
    /// check: offered while one can be armed and none is.
    fn staff_control(&self) -> Option<Button> {
        (self.visual.is_none() && self.can_arm_visual()).then_some(Button::Staff)
    }

    pub(super) fn screen(&self) -> Screen {
        let mut params = ScreenParams {
            staff_notice: self.notice,
            visual_armed: self.visual.is_some(),
            ..ScreenParams::default()
        };
        let mut buttons = Vec::new();
        let id = match &self.state {
            State::Idle => {
                buttons = vec![Button::Phone, Button::Lang];
                ScreenId::Idle
            }
            State::Reading(_) | State::PinQuery | State::Signing(_) | State::CertReading => {
                params.card_face_guidance = self.card_face_guidance;
                ScreenId::Reading
            }
            State::CardError(failure) => {
                params.card_error = Some(*failure);
                buttons.push(Button::Ok);
                ScreenId::CardError
            }
            State::MethodSelect => {
                if self.face_available() {
                    buttons.push(Button::Face);
                    params.auto_face_in_s = self.policy.auto_face_after.map(|d| d.as_secs() as u32);
                }
                if self.pin_possible() {
                    buttons.push(Button::Pin);
                }
                if buttons.is_empty() {
                    params.staff_reason = Some(StaffReason::NoMethodLeft);
                }
                params.card_face_notice = self.card_face_notice;
                buttons.push(Button::Cancel);
                buttons.extend(self.staff_control());
                buttons.push(Button::Lang);
                ScreenId::MethodSelect
            }
            State::Face { guidance, .. } => {
                params.guidance = *guidance;
                let failures = self.session.as_ref().map_or(0, |s| s.face_failures);
                params.face_attempt = Some((failures, self.policy.face_attempts));
                if self.pin_possible() {
                    buttons.push(Button::Pin);
                }
                buttons.push(Button::Cancel);
                ScreenId::Face
            }
            State::Pin { tries, .. } => {
                params.tries_left = Some(*tries);
                params.phone_pin = self.session_kind().is_some_and(CardKind::is_phone);
                buttons.push(Button::Cancel);
                ScreenId::Pin
            }
            State::PinLocked => {
                buttons.push(Button::Ok);
                buttons.extend(self.staff_control());
                ScreenId::PinLocked
            }
            State::VisualArmed if self.session.is_some() => {
                params.staff_confirm = true;
                buttons = vec![Button::Confirm, Button::NotPatient];
                ScreenId::VisualArmed
            }
            State::VisualArmed => {
                buttons.push(Button::Cancel);
                ScreenId::VisualArmed
            }
            State::StaffPasscode => {
                buttons.push(Button::Cancel);
                ScreenId::StaffPasscode
            }
            State::PhoneWait => {
                buttons.push(Button::Cancel);
                ScreenId::Phone
            }
            State::Consent | State::Enqueueing => {
                buttons = vec![
                    Button::ConsentAll,
                    Button::ConsentIndividual,
                    Button::Cancel,
                ];
                ScreenId::Consent
            }
            State::Prescription => {
                buttons = vec![Button::Paper, Button::Electronic, Button::Cancel];
                ScreenId::Prescription
            }
            State::ConsentItems(index) => {
                params.consent_item = Some(ConsentItem::ALL[*index]);
                buttons = vec![Button::Yes, Button::No];
                ScreenId::ConsentItems
            }
            State::Registration { .. } | State::RegistrationEnqueueing { .. } => {
                buttons = vec![Button::Yes, Button::No];
                ScreenId::Registration
            }
            State::RegistrationSent => {
                buttons.push(Button::Ok);
                ScreenId::RegistrationSent
            }
            State::Sending => ScreenId::Sending,
            State::Done { ack, message } => {
                params.ack = Some(*ack);
                params.ack_message = message.clone();
                buttons.push(Button::Ok);
                ScreenId::Done
            }
            State::SentOffline => {
                buttons.push(Button::Ok);
                ScreenId::SentOffline
            }
            State::StaffCall(StaffReason::DeviceFault) => {
                params.staff_reason = Some(StaffReason::DeviceFault);
                params.failed_devices = self.faults.clone();
                ScreenId::StaffCall
            }
            State::StaffCall(reason) => {
                params.staff_reason = Some(*reason);
                buttons.push(Button::Ok);
                if *reason == StaffReason::NoMethodLeft {
                    buttons.extend(self.staff_control());
                }
                ScreenId::StaffCall
            }
        };
        Screen {
            id,
            lang: self.lang,
            buttons,
            params,
        }
    }
}
