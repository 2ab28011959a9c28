//! Example screens: one representative screen per id (with the buttons the flow
//! offers there) for `kaonin render`, and every params variant for the tests.

use crate::flow::{
    AckResult, Button, CardFailure, ConsentItem, Device, Guidance, Lang, Screen, ScreenId,
    ScreenParams, StaffNotice, StaffReason,
};

/// The buttons the flow offers on `id` in the common case.
pub fn buttons(id: ScreenId) -> Vec<Button> {
    use Button::*;
    match id {
        ScreenId::Idle => vec![Phone, Lang],
        ScreenId::Reading | ScreenId::Sending => vec![],
        ScreenId::MethodSelect => vec![Face, Pin, Cancel, Staff, Lang],
        ScreenId::Face => vec![Pin, Cancel],
        ScreenId::Pin | ScreenId::VisualArmed | ScreenId::Phone | ScreenId::StaffPasscode => {
            vec![Cancel]
        }
        ScreenId::PinLocked => vec![Ok, Staff],
        ScreenId::Consent => vec![ConsentAll, ConsentIndividual, Cancel],
        ScreenId::Prescription => vec![Paper, Electronic, Cancel],
        ScreenId::ConsentItems | ScreenId::Registration => vec![Yes, No],
        ScreenId::CardError
        | ScreenId::Done
        | ScreenId::SentOffline
        | ScreenId::StaffCall
        | ScreenId::RegistrationSent => vec![Ok],
    }
}

/// A representative screen for `id` in `lang`.
pub fn sample(id: ScreenId, lang: Lang) -> Screen {
    let mut params = ScreenParams::default();
    match id {
        ScreenId::CardError => params.card_error = Some(CardFailure::CertificateExpired),
        ScreenId::MethodSelect => params.auto_face_in_s = Some(5),
        ScreenId::Face => {
            params.guidance = Some(Guidance::TooFar);
            params.face_attempt = Some((1, 3));
        }
        ScreenId::Pin => params.tries_left = Some(3),
        ScreenId::ConsentItems => params.consent_item = Some(ConsentItem::Medication),
        ScreenId::Done => params.ack = Some(AckResult::Eligible),
        ScreenId::StaffCall => params.staff_reason = Some(StaffReason::OutboxFailed),
        ScreenId::StaffPasscode => params.staff_attempts_left = Some(5),
        _ => {}
    }
    Screen {
        id,
        lang,
        buttons: buttons(id),
        params,
    }
}

/// Every screen id with its sample params, in `lang`.
pub fn all(lang: Lang) -> Vec<Screen> {
    ScreenId::ALL
        .into_iter()
        .map(|id| sample(id, lang))
        .collect()
}

fn with(id: ScreenId, lang: Lang, edit: impl FnOnce(&mut Screen)) -> Screen {
    let mut s = sample(id, lang);
    edit(&mut s);
    s
}

/// Every params variant a screen can show, in `lang` (a superset of [`all`]).
pub fn variants(lang: Lang) -> Vec<Screen> {
    let mut v = all(lang);
    let failures = [
        CardFailure::NotMyNumberCard,
        CardFailure::Unreadable,
        CardFailure::CertificateExpired,
        CardFailure::CertificateInvalid,
        CardFailure::NotGenuine,
        CardFailure::KenmenNotGenuine,
        CardFailure::NotAnswering,
        CardFailure::PhoneNotAuthenticated,
        CardFailure::Removed,
        CardFailure::ReaderFault,
    ];
    for f in failures {
        v.push(with(ScreenId::CardError, lang, |s| {
            s.params.card_error = Some(f)
        }));
    }
    v.push(with(ScreenId::CardError, lang, |s| {
        s.params.card_error = None
    }));
    for g in [
        Guidance::NoFace,
        Guidance::SeveralFaces,
        Guidance::TooFar,
        Guidance::TooDark,
        Guidance::Mask,
        Guidance::HeadTurned,
        Guidance::HoldStill,
    ] {
        v.push(with(ScreenId::Face, lang, |s| s.params.guidance = Some(g)));
    }
    v.push(with(ScreenId::Face, lang, |s| {
        s.params = ScreenParams::default();
        s.buttons = vec![Button::Cancel];
    }));
    v.push(with(ScreenId::Pin, lang, |s| s.params.pin_dots = 2));
    for n in [3, 2, 1] {
        v.push(with(ScreenId::Pin, lang, |s| s.params.tries_left = Some(n)));
        v.push(with(ScreenId::Pin, lang, |s| {
            s.params.tries_left = Some(n);
            s.params.phone_pin = true;
        }));
    }
    for item in ConsentItem::ALL {
        v.push(with(ScreenId::ConsentItems, lang, |s| {
            s.params.consent_item = Some(item)
        }));
    }
    for ack in [
        AckResult::Eligible,
        AckResult::NotEligible,
        AckResult::NotFound,
        AckResult::Error,
        AckResult::NotRegistered,
    ] {
        v.push(with(ScreenId::Done, lang, |s| s.params.ack = Some(ack)));
    }
    v.push(with(ScreenId::Done, lang, |s| {
        s.params.ack = Some(AckResult::NotRegistered);
        s.params.ack_message = Some("マイナンバーカードの健康保険証利用登録がありません。".into());
    }));
    v.push(with(ScreenId::Done, lang, |s| {
        s.params.ack = Some(AckResult::Eligible);
        s.params.ack_message = Some("受付が完了しました。".into());
    }));
    v.push(with(ScreenId::Done, lang, |s| {
        s.params.ack = Some(AckResult::NotFound);
        s.params.ack_message =
            Some("資格情報のお知らせをお持ちの方は窓口でご提示ください。".into());
    }));
    v.push(with(ScreenId::Done, lang, |s| {
        s.params.ack = Some(AckResult::NotEligible);
        let long = "保険者に確認中です。𠮷野様、\n".to_string()
            + &"お手数ですが窓口までお越しください。".repeat(6);
        s.params.ack_message = Some(long);
    }));
    v.push(with(ScreenId::StaffCall, lang, |s| {
        s.params.staff_reason = Some(StaffReason::DeviceFault);
        s.params.failed_devices = vec![
            Device::Reader,
            Device::PhoneReader,
            Device::Camera,
            Device::Display,
            Device::Input,
        ];
    }));
    for reason in [
        StaffReason::OutboxFailed,
        StaffReason::NoMethodLeft,
        StaffReason::DeviceFault,
        StaffReason::Restarting,
    ] {
        v.push(with(ScreenId::StaffCall, lang, |s| {
            s.params.staff_reason = Some(reason)
        }));
    }
    v.push(with(ScreenId::MethodSelect, lang, |s| {
        s.buttons = vec![Button::Face, Button::Cancel, Button::Lang];
    }));
    v.push(with(ScreenId::MethodSelect, lang, |s| {
        s.buttons = vec![Button::Pin, Button::Cancel, Button::Lang];
        s.params.auto_face_in_s = None;
    }));
    v.push(with(ScreenId::MethodSelect, lang, |s| {
        s.buttons = vec![Button::Cancel, Button::Lang];
        s.params.auto_face_in_s = None;
        s.params.staff_reason = Some(StaffReason::NoMethodLeft);
    }));
    for notice in [
        StaffNotice::WrongPasscode { attempts_left: 2 },
        StaffNotice::LockedOut { retry_after_s: 300 },
    ] {
        v.push(with(ScreenId::Idle, lang, |s| {
            s.params.staff_notice = Some(notice)
        }));
    }
    v.push(with(ScreenId::Idle, lang, |s| s.params.visual_armed = true));
    v.push(with(ScreenId::Reading, lang, |s| {
        s.params.visual_armed = true
    }));
    v.push(with(ScreenId::MethodSelect, lang, |s| {
        s.buttons = vec![Button::Cancel, Button::Staff, Button::Lang];
        s.params.auto_face_in_s = None;
        s.params.staff_reason = Some(StaffReason::NoMethodLeft);
    }));
    v.push(staff_confirm(lang));
    v.push(with(ScreenId::StaffPasscode, lang, |s| {
        s.params.pin_dots = 3
    }));
    for notice in [
        StaffNotice::WrongPasscode { attempts_left: 2 },
        StaffNotice::LockedOut { retry_after_s: 300 },
    ] {
        v.push(with(ScreenId::StaffPasscode, lang, |s| {
            s.params.staff_notice = Some(notice);
            s.params.staff_attempts_left = None;
        }));
    }
    v
}

/// The visual-check screen with a card: the chip photo, 確認しました / 本人ではない.
pub fn staff_confirm(lang: Lang) -> Screen {
    with(ScreenId::VisualArmed, lang, |s| {
        s.params.staff_confirm = true;
        s.buttons = vec![Button::Confirm, Button::NotPatient];
    })
}

/// Notable params variants for the contact sheet: the PC's 資格情報なし answer with
/// its own message, the last PIN try, staff notices and visual-check mode.
pub fn showcase(lang: Lang) -> Vec<Screen> {
    vec![
        with(ScreenId::Done, lang, |s| {
            s.params.ack = Some(AckResult::NotFound);
            s.params.ack_message =
                Some("資格情報のお知らせをお持ちの方は窓口でご提示ください。".into());
        }),
        with(ScreenId::Pin, lang, |s| s.params.tries_left = Some(1)),
        with(ScreenId::Idle, lang, |s| s.params.visual_armed = true),
        with(ScreenId::Idle, lang, |s| {
            s.params.staff_notice = Some(StaffNotice::WrongPasscode { attempts_left: 2 })
        }),
        with(ScreenId::CardError, lang, |s| {
            s.params.card_error = Some(CardFailure::Unreadable)
        }),
        with(ScreenId::StaffCall, lang, |s| {
            s.params.staff_reason = Some(StaffReason::DeviceFault);
            s.params.failed_devices = vec![Device::Camera];
        }),
        with(ScreenId::MethodSelect, lang, |s| {
            s.buttons = vec![Button::Cancel, Button::Staff, Button::Lang];
            s.params.auto_face_in_s = None;
            s.params.staff_reason = Some(StaffReason::NoMethodLeft);
        }),
        staff_confirm(lang),
        with(ScreenId::StaffPasscode, lang, |s| {
            s.params.staff_notice = Some(StaffNotice::LockedOut { retry_after_s: 300 });
            s.params.staff_attempts_left = None;
        }),
    ]
}
