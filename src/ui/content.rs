//! What a screen says: its title, one instruction, an optional emphasised detail
//! (guidance, tries left, the PC's message), an optional banner (staff notices,
//! visual-check mode) and the status line — all from the catalog and the params.

use super::catalog::Catalog;
use crate::flow::{
    AckResult, Button, CardFaceGuidance, CardFaceNotice, CardFailure, ConsentItem, Device,
    Guidance, Screen, ScreenId, StaffNotice, StaffReason,
};

/// How a screen feels: picks the title band colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Normal,
    Success,
    Warning,
    Error,
}

/// The words of one screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Content {
    pub title: String,
    pub instruction: String,
    pub detail: Option<String>,
    pub banner: Option<String>,
    pub status: String,
    pub tone: Tone,
}

/// The catalog key of a button label.
pub fn button_key(button: Button) -> &'static str {
    match button {
        Button::Face => "button.face",
        Button::Pin => "button.pin",
        Button::Ok => "button.ok",
        Button::Cancel => "button.cancel",
        Button::ConsentAll => "button.consent_all",
        Button::ConsentIndividual => "button.consent_individual",
        Button::Yes => "button.yes",
        Button::No => "button.no",
        Button::Phone => "button.phone",
        Button::Lang => "button.lang",
        Button::Staff => "button.staff",
        Button::Confirm => "button.confirm",
        Button::NotPatient => "button.not_patient",
        Button::Paper => "button.paper",
        Button::Electronic => "button.electronic",
    }
}

fn card_error_key(failure: Option<CardFailure>) -> &'static str {
    match failure {
        Some(CardFailure::NotMyNumberCard) => "card_error.not_my_number_card",
        Some(CardFailure::Unreadable) => "card_error.unreadable",
        Some(CardFailure::CertificateExpired) => "card_error.certificate_expired",
        Some(CardFailure::CertificateInvalid) => "card_error.certificate_invalid",
        Some(CardFailure::NotGenuine) => "card_error.not_genuine",
        Some(CardFailure::KenmenNotGenuine) => "card_error.kenmen_not_genuine",
        Some(CardFailure::NotAnswering) => "card_error.not_answering",
        Some(CardFailure::PhoneNotAuthenticated) => "card_error.phone_not_authenticated",
        Some(CardFailure::Removed) => "card_error.removed",
        Some(CardFailure::ReaderFault) => "card_error.reader_fault",
        None => "card_error.unknown",
    }
}

fn guidance_key(g: Guidance) -> &'static str {
    match g {
        Guidance::NoFace => "face.no_face",
        Guidance::SeveralFaces => "face.several_faces",
        Guidance::TooFar => "face.too_far",
        Guidance::TooDark => "face.too_dark",
        Guidance::Mask => "face.mask",
        Guidance::HeadTurned => "face.head_turned",
        Guidance::HoldStill => "face.hold_still",
    }
}

fn card_face_guidance_key(g: CardFaceGuidance) -> &'static str {
    match g {
        CardFaceGuidance::PlaceFlat => "card_face.place_flat",
        CardFaceGuidance::HoldStill => "card_face.hold_still",
        CardFaceGuidance::Glare => "card_face.glare",
    }
}

fn card_face_notice_key(n: CardFaceNotice) -> &'static str {
    match n {
        CardFaceNotice::WesternCalendar => "card_face.western_calendar",
        CardFaceNotice::UnknownLayout => "card_face.unknown_layout",
        CardFaceNotice::Unreadable => "card_face.unreadable",
        CardFaceNotice::KeyRefused => "card_face.key_refused",
        CardFaceNotice::CounterLow => "card_face.counter_low",
    }
}

/// The catalog key of a consent item's name.
pub fn consent_item_key(item: ConsentItem) -> &'static str {
    match item {
        ConsentItem::Medication => "consent_item.medication",
        ConsentItem::MedicalHistory => "consent_item.medical_history",
        ConsentItem::Surgery => "consent_item.surgery",
        ConsentItem::HealthCheckup => "consent_item.health_checkup",
    }
}

fn device_key(device: Device) -> &'static str {
    match device {
        Device::Reader => "device.reader",
        Device::PhoneReader => "device.phone_reader",
        Device::Camera => "device.camera",
        Device::Display => "device.display",
        Device::Input => "device.input",
    }
}

fn staff_reason_key(reason: Option<StaffReason>) -> &'static str {
    match reason {
        Some(StaffReason::OutboxFailed) => "staff_call.outbox_failed",
        Some(StaffReason::NoMethodLeft) => "staff_call.no_method_left",
        Some(StaffReason::DeviceFault) => "staff_call.device_fault",
        Some(StaffReason::Restarting) => "staff_call.restarting",
        None => "staff_call.unknown",
    }
}

/// The words of `screen` in its language.
pub fn content(screen: &Screen, cat: &Catalog) -> Content {
    let p = &screen.params;
    let key = |k: &str| cat.get(k).to_string();
    let mut c = Content {
        title: String::new(),
        instruction: String::new(),
        detail: None,
        banner: None,
        status: key("common.status"),
        tone: Tone::Normal,
    };
    match screen.id {
        ScreenId::Idle => {
            c.title = key("idle.title");
            c.instruction = key("idle.instruction");
        }
        ScreenId::Reading => {
            c.title = key("reading.title");
            c.instruction = key("reading.instruction");
            if let Some(g) = p.card_face_guidance {
                c.detail = Some(key(card_face_guidance_key(g)));
            }
        }
        ScreenId::CardError => {
            c.title = key("card_error.title");
            c.instruction = key(card_error_key(p.card_error));
            c.tone = Tone::Error;
        }
        ScreenId::MethodSelect => {
            c.title = key("method_select.title");
            let offers = |b| screen.buttons.contains(&b);
            c.instruction = key(match (offers(Button::Face), offers(Button::Pin)) {
                (true, true) => "method_select.instruction",
                (true, false) => "method_select.instruction_face_only",
                (false, true) => "method_select.instruction_pin_only",
                (false, false) => "method_select.instruction_staff",
            });
            if let Some(s) = p.auto_face_in_s {
                c.detail = Some(cat.fill("method_select.auto_face", &[("n", &s.to_string())]));
            } else if let Some(n) = p.card_face_notice {
                c.detail = Some(key(card_face_notice_key(n)));
            }
            if p.staff_reason.is_some() {
                c.banner = Some(key(staff_reason_key(p.staff_reason)));
            }
        }
        ScreenId::Face => {
            c.title = key("face.title");
            c.instruction = key("face.instruction");
            c.detail = p.guidance.map(|g| key(guidance_key(g)));
            if let Some((failed, allowed)) = p.face_attempt {
                let left = allowed.saturating_sub(failed).to_string();
                c.status = cat.fill("face.attempts", &[("n", &left)]);
            }
        }
        ScreenId::Pin => {
            c.title = key("pin.title");
            c.instruction = if p.phone_pin {
                key("pin.instruction_phone")
            } else {
                key("pin.instruction")
            };
            match p.tries_left {
                Some(1) => {
                    c.detail = Some(key("pin.last_try"));
                    c.tone = Tone::Warning;
                }
                Some(n) => c.detail = Some(cat.fill("pin.tries_left", &[("n", &n.to_string())])),
                None => {}
            }
        }
        ScreenId::PinLocked => {
            c.title = key("pin_locked.title");
            c.instruction = key("pin_locked.instruction");
            c.tone = Tone::Error;
        }
        ScreenId::VisualArmed if p.staff_confirm => {
            c.title = key("visual_armed.confirm_title");
            c.instruction = key("visual_armed.confirm_instruction");
            c.tone = Tone::Warning;
        }
        ScreenId::StaffPasscode => {
            c.title = key("staff_passcode.title");
            c.instruction = key("staff_passcode.instruction");
            if let Some(n) = p.staff_attempts_left {
                c.detail = Some(cat.fill("staff_passcode.attempts_left", &[("n", &n.to_string())]));
            }
        }
        ScreenId::VisualArmed => {
            c.title = key("visual_armed.title");
            c.instruction = key("visual_armed.instruction");
            c.tone = Tone::Warning;
        }
        ScreenId::Phone => {
            c.title = key("phone.title");
            c.instruction = key("phone.instruction");
        }
        ScreenId::Consent => {
            c.title = key("consent.title");
            c.instruction = key("consent.instruction");
        }
        ScreenId::ConsentItems => {
            let item = p.consent_item.unwrap_or(ConsentItem::Medication);
            let name = key(consent_item_key(item));
            c.title = key("consent_items.title");
            c.instruction = cat.fill("consent_items.instruction", &[("item", &name)]);
            c.detail = Some(name);
        }
        ScreenId::Prescription => {
            c.title = key("prescription.title");
            c.instruction = key("prescription.instruction");
        }
        ScreenId::Registration => {
            c.title = key("registration.title");
            c.instruction = key("registration.instruction");
            c.detail = Some(key("registration.question"));
        }
        ScreenId::RegistrationSent => {
            c.title = key("registration_sent.title");
            c.instruction = key("registration_sent.instruction");
            c.tone = Tone::Success;
        }
        ScreenId::Sending => {
            c.title = key("sending.title");
            c.instruction = key("sending.instruction");
        }
        ScreenId::Done => done(&mut c, p.ack, p.ack_message.as_deref(), cat),
        ScreenId::SentOffline => {
            c.title = key("sent_offline.title");
            c.instruction = key("sent_offline.instruction");
            c.tone = Tone::Success;
        }
        ScreenId::StaffCall => {
            c.title = key("staff_call.title");
            c.instruction = key(staff_reason_key(p.staff_reason));
            if !p.failed_devices.is_empty() {
                let names: Vec<String> = p
                    .failed_devices
                    .iter()
                    .map(|d| key(device_key(*d)))
                    .collect();
                c.detail = Some(cat.fill(
                    "staff_call.devices",
                    &[("devices", &names.join(cat.get("staff_call.separator")))],
                ));
            }
            c.tone = Tone::Error;
        }
    }
    if p.visual_armed && screen.id != ScreenId::VisualArmed {
        c.banner = Some(key("visual_armed.banner"));
    }
    if let Some(notice) = p.staff_notice {
        c.banner = Some(match notice {
            StaffNotice::WrongPasscode { attempts_left } => cat.fill(
                "staff_notice.wrong_passcode",
                &[("n", &attempts_left.to_string())],
            ),
            StaffNotice::LockedOut { retry_after_s } => cat.fill(
                "staff_notice.locked_out",
                &[("m", &retry_after_s.div_ceil(60).max(1).to_string())],
            ),
        });
    }
    c
}

fn done(c: &mut Content, ack: Option<AckResult>, message: Option<&str>, cat: &Catalog) {
    let problem = match ack {
        None | Some(AckResult::Eligible) => None,
        Some(AckResult::NotEligible) => Some("done.not_eligible"),
        Some(AckResult::NotFound) => Some("done.not_found"),
        Some(AckResult::Error) => Some("done.error"),
        Some(AckResult::NotRegistered) => Some("done.not_registered"),
    };
    match problem {
        None => {
            c.title = cat.get("done.title").to_string();
            c.instruction = cat.get("done.instruction").to_string();
            c.tone = Tone::Success;
        }
        Some(k) => {
            c.title = cat.get("done.title_problem").to_string();
            c.instruction = cat.get(k).to_string();
            c.tone = Tone::Warning;
        }
    }
    // The PC's own words, unless they only repeat the title.
    let same = |m: &str| m.trim().trim_end_matches(['。', '.']) == c.title;
    if let Some(m) = message.filter(|m| !m.trim().is_empty() && !same(m)) {
        c.detail = Some(cat.fill("done.message", &[("message", m.trim())]));
    }
}
