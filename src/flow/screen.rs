//! What the patient sees: [`Screen`] (which screen, in which language, with which
//! buttons and variable content), the [`Button`]s they can press and the
//! languages offered.

use super::{
    AckResult, CardFaceGuidance, CardFaceNotice, CardFailure, ConsentItem, Device, Guidance,
};
use serde::{Deserialize, Serialize};

/// Screen ids of CONTRACT §3 (plus `staff_call`, an extension).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScreenId {
    Idle,
    Reading,
    CardError,
    MethodSelect,
    Face,
    Pin,
    PinLocked,
    VisualArmed,
    Phone,
    Consent,
    ConsentItems,
    Sending,
    Done,
    SentOffline,
    /// The terminal needs staff (outbox full, device fault). Extension.
    StaffCall,
    /// Staff type their visual-check passcode on the reader's pad. Extension.
    StaffPasscode,
    /// 処方箋の発行形態: paper or electronic, after consent. Extension.
    Prescription,
    /// 利用登録: the PC found the card not registered for health-insurance use;
    /// the patient may register it here (yes / no). Extension.
    Registration,
    /// The registration was stored for the PC; staff will guide the patient.
    /// Extension.
    RegistrationSent,
}

impl Screen {
    /// The staff-call screen for `reason`, without buttons.
    pub fn staff_call(lang: Lang, reason: StaffReason) -> Screen {
        Screen {
            id: ScreenId::StaffCall,
            lang,
            buttons: Vec::new(),
            params: ScreenParams {
                staff_reason: Some(reason),
                ..ScreenParams::default()
            },
        }
    }
}

impl ScreenId {
    /// Every screen id.
    pub const ALL: [ScreenId; 19] = [
        ScreenId::Idle,
        ScreenId::Reading,
        ScreenId::CardError,
        ScreenId::MethodSelect,
        ScreenId::Face,
        ScreenId::Pin,
        ScreenId::PinLocked,
        ScreenId::VisualArmed,
        ScreenId::Phone,
        ScreenId::Consent,
        ScreenId::ConsentItems,
        ScreenId::Sending,
        ScreenId::Done,
        ScreenId::SentOffline,
        ScreenId::StaffCall,
        ScreenId::StaffPasscode,
        ScreenId::Prescription,
        ScreenId::Registration,
        ScreenId::RegistrationSent,
    ];

    /// The id as written in the control and link protocols.
    pub fn as_str(self) -> &'static str {
        match self {
            ScreenId::Idle => "idle",
            ScreenId::Reading => "reading",
            ScreenId::CardError => "card_error",
            ScreenId::MethodSelect => "method_select",
            ScreenId::Face => "face",
            ScreenId::Pin => "pin",
            ScreenId::PinLocked => "pin_locked",
            ScreenId::VisualArmed => "visual_armed",
            ScreenId::Phone => "phone",
            ScreenId::Consent => "consent",
            ScreenId::ConsentItems => "consent_items",
            ScreenId::Sending => "sending",
            ScreenId::Done => "done",
            ScreenId::SentOffline => "sent_offline",
            ScreenId::StaffCall => "staff_call",
            ScreenId::StaffPasscode => "staff_passcode",
            ScreenId::Prescription => "prescription",
            ScreenId::Registration => "registration",
            ScreenId::RegistrationSent => "registration_sent",
        }
    }

    /// Parses an id as written in the protocols.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|id| id.as_str() == text)
    }
}

/// A button a patient or staff member can press (CONTRACT §3 `press`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Button {
    Face,
    Pin,
    Ok,
    Cancel,
    ConsentAll,
    ConsentIndividual,
    Yes,
    No,
    Phone,
    /// Switch the display language (extension).
    Lang,
    /// 係員: staff open the passcode screen (extension; a small control in the
    /// title band of the screens where a patient may need staff).
    Staff,
    /// 本人であることを確認しました: staff confirm the card photo shows the patient
    /// (extension; the visual-check screen).
    Confirm,
    /// 本人ではない: staff find the patient is not the card holder (extension).
    NotPatient,
    /// 紙の処方箋 (extension; the prescription screen).
    Paper,
    /// 電子処方箋 (extension; the prescription screen).
    Electronic,
}

impl Button {
    /// Every button.
    pub const ALL: [Button; 15] = [
        Button::Face,
        Button::Pin,
        Button::Ok,
        Button::Cancel,
        Button::ConsentAll,
        Button::ConsentIndividual,
        Button::Yes,
        Button::No,
        Button::Phone,
        Button::Lang,
        Button::Staff,
        Button::Confirm,
        Button::NotPatient,
        Button::Paper,
        Button::Electronic,
    ];

    /// The id as written in the control protocol.
    pub fn as_str(self) -> &'static str {
        match self {
            Button::Face => "face",
            Button::Pin => "pin",
            Button::Ok => "ok",
            Button::Cancel => "cancel",
            Button::ConsentAll => "consent_all",
            Button::ConsentIndividual => "consent_individual",
            Button::Yes => "yes",
            Button::No => "no",
            Button::Phone => "phone",
            Button::Lang => "lang",
            Button::Staff => "staff",
            Button::Confirm => "confirm",
            Button::NotPatient => "not_patient",
            Button::Paper => "paper",
            Button::Electronic => "electronic",
        }
    }

    /// Parses a button id.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|b| b.as_str() == text)
    }

    /// True for the small controls of the title band (language, 係員), which are
    /// not among a screen's (at most three) large buttons.
    pub fn is_corner(self) -> bool {
        matches!(self, Button::Lang | Button::Staff)
    }
}

/// Display language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// Japanese (the default).
    #[default]
    Ja,
    /// English.
    En,
}

impl Lang {
    /// Every supported language.
    pub const ALL: [Lang; 2] = [Lang::Ja, Lang::En];

    /// The code, e.g. `ja`.
    pub fn as_str(self) -> &'static str {
        match self {
            Lang::Ja => "ja",
            Lang::En => "en",
        }
    }

    /// Parses a language code.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.as_str() == text)
    }

    /// The next language, for the language button.
    pub fn next(self) -> Self {
        match self {
            Lang::Ja => Lang::En,
            Lang::En => Lang::Ja,
        }
    }
}

/// Why staff are called to the terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StaffReason {
    /// The outbox could not store the record (disk full, I/O error).
    OutboxFailed,
    /// No identification method is left for this card (PIN-less card, face failed).
    NoMethodLeft,
    /// A device stopped working (故障中); the terminal waits until it is back.
    DeviceFault,
    /// A device worker failed; the terminal is restarting itself (shown by the
    /// daemon, not the flow, just before it exits for systemd to start it again).
    Restarting,
}

/// A message shown on top of a screen after a staff passcode attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StaffNotice {
    /// Wrong passcode; attempts left before the lockout.
    WrongPasscode { attempts_left: u32 },
    /// Staff are locked out; they may try again in `retry_after_s` seconds.
    LockedOut { retry_after_s: u64 },
}

/// Everything a screen shows besides its fixed wording.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ScreenParams {
    /// PIN tries left on the card (pin screen).
    pub tries_left: Option<u8>,
    /// The PIN screen is for a smartphone's PIN.
    pub phone_pin: bool,
    /// Face guidance (face screen).
    pub guidance: Option<Guidance>,
    /// Failed face attempts so far / allowed (face screen).
    pub face_attempt: Option<(u32, u32)>,
    /// The card error (card_error screen).
    pub card_error: Option<CardFailure>,
    /// The consent item asked (consent_items screen).
    pub consent_item: Option<ConsentItem>,
    /// The PC's answer (done screen).
    pub ack: Option<AckResult>,
    /// The PC's own guidance text (done screen).
    pub ack_message: Option<String>,
    /// Why staff are needed (staff_call and method_select screens).
    pub staff_reason: Option<StaffReason>,
    /// The devices not working (staff_call screen with `DeviceFault`).
    pub failed_devices: Vec<Device>,
    /// Notice after a staff passcode attempt.
    pub staff_notice: Option<StaffNotice>,
    /// Visual-check mode is armed and waiting for a card (idle / reading).
    pub visual_armed: bool,
    /// Seconds until face authentication starts by itself (method_select).
    pub auto_face_in_s: Option<u32>,
    /// PIN digits typed so far on the PIN pad, shown as ● (set by the daemon; the
    /// flow only sees whole PINs).
    pub pin_dots: u8,
    /// Card-face camera guidance (reading screen).
    pub card_face_guidance: Option<CardFaceGuidance>,
    /// Why the card face gave no photo (method_select screen).
    pub card_face_notice: Option<CardFaceNotice>,
    /// The visual-check screen with a card: staff compare the chip photo (drawn
    /// large) with the patient and confirm (visual_armed screen).
    pub staff_confirm: bool,
    /// Staff passcodes left before the staff lock-out (staff_passcode screen; set
    /// by the daemon from the staff store, like `pin_dots`).
    pub staff_attempts_left: Option<u32>,
}

/// One screen to show.
#[derive(Debug, Clone, PartialEq)]
pub struct Screen {
    /// Which screen.
    pub id: ScreenId,
    /// Language.
    pub lang: Lang,
    /// The buttons offered, in order.
    pub buttons: Vec<Button>,
    /// Variable content.
    pub params: ScreenParams,
}
