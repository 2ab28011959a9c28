//! The vocabulary of the flow: what comes in ([`Event`]), what goes out
//! ([`Action`]), and the data both carry (screens, identities, consents).

use kaonin_hal::indicator::Signal;
use kaonin_hal::secret::Digits;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Which reader a card or phone was presented on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReaderRole {
    /// The face-authentication reader's own card slot.
    Card,
    /// The generic NFC reader next to it, for smartphones (汎用カードリーダー).
    Phone,
}

/// What the JPKI token EF `0006` says is on the reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardKind {
    /// A My Number card with a 利用者証明用 PIN.
    Standard,
    /// A 顔認証マイナンバーカード: no PIN, face or visual check only.
    PinLess,
    /// An Android phone (スマホ用電子証明書): its PIN is typed on the reader.
    Android,
    /// An iPhone: the holder authenticates with Face ID on the phone.
    Iphone,
}

impl CardKind {
    /// True for the smartphone kinds.
    pub fn is_phone(self) -> bool {
        matches!(self, CardKind::Android | CardKind::Iphone)
    }
}

/// Why the card photo (券面AP) is or is not available for face matching.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhotoStatus {
    /// Read and held in session memory.
    Available,
    /// No 照合番号B was available (no card-face reading).
    NoCardFace,
    /// The 照合番号B was refused by the card (counter went down by one).
    KeyRefused,
    /// The 照合番号B counter is below the safety floor; nothing was sent.
    CounterLow,
    /// Phones carry no photo.
    NotOnDevice,
}

/// What the card layer learned when a card or phone was presented.
#[derive(Debug, Clone, PartialEq)]
pub struct CardFacts {
    /// A fresh UUIDv4 for this session's identity record (and signature).
    pub session_id: String,
    /// Card or phone type.
    pub kind: CardKind,
    /// The user-authentication certificate (DER); `None` on Android until the PIN.
    pub certificate: Option<Vec<u8>>,
    /// Whether the photo could be read.
    pub photo: PhotoStatus,
}

/// A card failure, as the flow needs to tell it apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CardFailure {
    /// The card has no JPKI application: not a My Number card.
    NotMyNumberCard,
    /// The card could not be read (bad answers, timeouts).
    Unreadable,
    /// The user-authentication certificate has expired.
    CertificateExpired,
    /// The certificate is missing or revoked.
    CertificateInvalid,
    /// The card photo failed its genuineness check (possible clone).
    NotGenuine,
    /// The phone refused: the holder did not authenticate on it.
    PhoneNotAuthenticated,
    /// The card left the reader.
    Removed,
    /// The reader itself failed.
    ReaderFault,
}

/// The card's PIN retry counter, read without spending a try.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinStatus {
    /// This many tries are left (1..).
    Tries(u8),
    /// No tries left: the PIN is locked.
    Blocked,
    /// The card has no PIN (顔認証マイナンバーカード).
    NoPin,
}

/// The answer to a PIN VERIFY.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifyOutcome {
    /// Accepted.
    Ok,
    /// Wrong PIN; this many tries left.
    Wrong { tries_left: u8 },
    /// The PIN is (now) locked.
    Blocked,
}

/// Guidance shown while the camera looks for a usable face.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Guidance {
    /// No face in view.
    NoFace,
    /// Several faces; please come alone.
    SeveralFaces,
    /// The face is too small: come closer.
    TooFar,
    /// Too dark or backlit.
    TooDark,
    /// A mask (lower face hidden): please remove it.
    Mask,
    /// Head turned: please face the camera.
    HeadTurned,
}

/// Guidance while the card-face camera reads the printed card (reading screen).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CardFaceGuidance {
    /// No card in the frame: place it flat on the tray.
    PlaceFlat,
    /// The picture is blurred: hold the card still.
    HoldStill,
    /// A reflection hides the printing.
    Glare,
}

/// Why the printed card face gave no photo (method_select screen). The patient is
/// offered the PIN (if the card has one) or the staff, never an automatic retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CardFaceNotice {
    /// The birth date is printed in the Western calendar (foreign resident's card).
    WesternCalendar,
    /// The card face does not match a known layout.
    UnknownLayout,
    /// Nothing reliable was read within the time limit.
    Unreadable,
    /// The chip refused the value read (one try spent); never retried.
    KeyRefused,
    /// The chip's 照合番号B counter is below the safety floor: nothing was sent.
    CounterLow,
}

/// What the card-face reader reports to the flow while the card is being read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardFaceEvent {
    /// Tell the patient how to help the camera.
    Guidance(CardFaceGuidance),
    /// No value will come from the card face, and why.
    Refused(CardFaceNotice),
    /// 「顔認証」 is written in the 追記欄: a PIN-less card, whatever the chip says
    /// about its PIN.
    FaceAuthMarking,
}

/// The result of one face attempt.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FaceOutcome {
    /// The camera face matches the card photo.
    Match { score: f32 },
    /// A usable face that does not match.
    NoMatch { score: f32 },
    /// No usable face yet; tell the patient how to help.
    Guidance(Guidance),
    /// Matching is impossible (camera broken, no photo).
    Unavailable,
}

/// The result of checking a staff passcode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StaffCheck {
    /// Valid for this staff account.
    Accepted { account: String },
    /// Wrong; this many attempts remain before the lockout.
    Rejected { attempts_left: u32 },
    /// Too many wrong passcodes: staff are locked out for a while.
    LockedOut,
}

/// The PC's answer to an identity (CONTRACT §4 `ack.result`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AckResult {
    /// Insurance eligibility confirmed.
    Eligible,
    /// Insured, but not eligible.
    NotEligible,
    /// No insurance record found (資格情報なし).
    NotFound,
    /// The PC could not check.
    Error,
}

/// How the patient's identity was verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// Face match against the card photo.
    Face,
    /// Card PIN VERIFY.
    Pin,
    /// Staff visual check (目視確認).
    Visual,
    /// Smartphone e-certificate.
    Smartphone,
}

/// One consent item of the 同意画面.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentItem {
    /// 薬剤情報.
    Medication,
    /// 診療情報.
    MedicalHistory,
    /// 手術情報.
    Surgery,
    /// 特定健診等情報.
    HealthCheckup,
}

impl ConsentItem {
    /// The items in the order the screens ask them.
    pub const ALL: [ConsentItem; 4] = [
        ConsentItem::Medication,
        ConsentItem::MedicalHistory,
        ConsentItem::Surgery,
        ConsentItem::HealthCheckup,
    ];
}

/// The patient's consent to share each kind of information.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Consent {
    /// 薬剤情報.
    pub medication: bool,
    /// 診療情報.
    pub medical_history: bool,
    /// 手術情報.
    pub surgery: bool,
    /// 特定健診等情報.
    pub health_checkup: bool,
}

impl Consent {
    /// Consent to every item (包括同意).
    pub fn all() -> Self {
        Consent {
            medication: true,
            medical_history: true,
            surgery: true,
            health_checkup: true,
        }
    }

    /// Sets the answer for `item`.
    pub fn set(&mut self, item: ConsentItem, yes: bool) {
        match item {
            ConsentItem::Medication => self.medication = yes,
            ConsentItem::MedicalHistory => self.medical_history = yes,
            ConsentItem::Surgery => self.surgery = yes,
            ConsentItem::HealthCheckup => self.health_checkup = yes,
        }
    }

    /// The answer for `item`.
    pub fn get(&self, item: ConsentItem) -> bool {
        match item {
            ConsentItem::Medication => self.medication,
            ConsentItem::MedicalHistory => self.medical_history,
            ConsentItem::Surgery => self.surgery,
            ConsentItem::HealthCheckup => self.health_checkup,
        }
    }
}

/// Whether consent was given in one tap or item by item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConsentMode {
    /// 同意する (包括同意).
    All,
    /// 個別に同意する.
    Individual,
}

/// A verified identity, ready for the PC (the link adds time and terminal id).
#[derive(Debug, Clone, PartialEq)]
pub struct Identity {
    /// UUIDv4, the PC's idempotency key.
    pub id: String,
    /// How the identity was verified.
    pub method: Method,
    /// The user-authentication certificate, DER.
    pub certificate: Vec<u8>,
    /// The card's signature over `id` (PIN and smartphone paths).
    pub card_signature: Option<Vec<u8>>,
    /// Face match score (face path).
    pub face_score: Option<f32>,
    /// The staff account that did the visual check (visual path).
    pub staff_account: Option<String>,
    /// The consent given.
    pub consent: Consent,
    /// How it was given.
    pub consent_mode: ConsentMode,
}

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
}

impl ScreenId {
    /// Every screen id.
    pub const ALL: [ScreenId; 15] = [
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
}

impl Button {
    /// Every button.
    pub const ALL: [Button; 10] = [
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
        }
    }

    /// Parses a button id.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|b| b.as_str() == text)
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

/// A device of the terminal, for health reporting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Device {
    /// The card reader of the face-authentication terminal.
    Reader,
    /// The optional smartphone (generic NFC) reader.
    PhoneReader,
    /// The camera facing the patient.
    Camera,
    /// The panel.
    Display,
    /// The touchscreen or PIN pad.
    Input,
}

impl Device {
    /// True for devices the terminal cannot serve patients without.
    pub fn is_essential(self) -> bool {
        !matches!(self, Device::PhoneReader)
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
}

/// A message shown on top of a screen after a staff passcode attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StaffNotice {
    /// Wrong passcode; attempts left before the lockout.
    WrongPasscode { attempts_left: u32 },
    /// Staff are locked out for a while.
    LockedOut,
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

/// Kinds of event the reader reports to the PC (CONTRACT §4 `event.kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PcEventKind {
    PinLocked,
    VisualCheck,
    CardError,
    FaceFailed,
    Offline,
}

/// An entry for the audit log (who did what; no personal data).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditEntry {
    /// Visual-check mode armed by a staff account.
    VisualArmed { account: String },
    /// A staff member confirmed a visual check for session `id`.
    VisualConfirmed { account: String, id: String },
    /// A wrong staff passcode was typed.
    StaffPasscodeRejected,
    /// Staff are locked out after too many wrong passcodes.
    StaffLockedOut,
}

/// A timer the flow asked for; it comes back as [`Event::TimerFired`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimerToken(pub u64);

/// Something that happened.
#[derive(Debug, Clone)]
pub enum Event {
    /// A card or phone arrived on a reader.
    CardPresent(ReaderRole),
    /// The reader became empty.
    CardAbsent(ReaderRole),
    /// Result of [`Action::ReadCard`].
    CardRead(Result<CardFacts, CardFailure>),
    /// Result of [`Action::QueryPinTries`].
    PinTries(Result<PinStatus, CardFailure>),
    /// Result of [`Action::VerifyPin`].
    PinVerified(Result<VerifyOutcome, CardFailure>),
    /// Result of [`Action::ReadCertificate`].
    CertificateRead(Result<Vec<u8>, CardFailure>),
    /// Result of [`Action::Sign`].
    Signed(Result<Vec<u8>, CardFailure>),
    /// Result of [`Action::CaptureFace`].
    Face(FaceOutcome),
    /// A button was pressed.
    Press(Button),
    /// A PIN was typed.
    PinTyped(Digits),
    /// Staff typed the facility passcode to arm visual-check mode.
    StaffVisual(Digits),
    /// Result of [`Action::CheckStaffPasscode`].
    StaffChecked(StaffCheck),
    /// Staff confirm the card photo shows the patient.
    StaffConfirm,
    /// Result of [`Action::Enqueue`]: the record is durable (or could not be stored).
    Enqueued(Result<(), String>),
    /// The PC acknowledged an identity.
    Acked {
        id: String,
        result: AckResult,
        message: Option<String>,
    },
    /// The PC link went up or down.
    Link { up: bool },
    /// The PC asked to end the session.
    PcCancel,
    /// A device stopped (`up: false`) or started (`up: true`) working.
    Device { device: Device, up: bool },
    /// A timer of [`Action::StartTimer`] ran out.
    TimerFired(TimerToken),
    /// The card-face reader's progress while the card is being read.
    CardFace(CardFaceEvent),
}

/// Something the flow wants done.
#[derive(Debug, Clone)]
pub enum Action {
    /// Show a screen.
    Show(Screen),
    /// Read the card on `ReaderRole`: classify, certificate, photo.
    ReadCard(ReaderRole),
    /// Read the PIN retry counter without spending a try.
    QueryPinTries,
    /// Send the PIN to the card (only ever with tries left).
    VerifyPin(Digits),
    /// Read the certificate (Android: only readable after the PIN).
    ReadCertificate,
    /// Have the card sign SHA-256(`id`).
    Sign { id: String },
    /// Capture a frame and match it against the card photo.
    CaptureFace,
    /// Check a staff passcode (rate-limited by the staff store).
    CheckStaffPasscode(Digits),
    /// Store the identity durably and send it to the PC.
    Enqueue(Identity),
    /// Tell the PC something happened.
    PcEvent { kind: PcEventKind, detail: String },
    /// Write an audit entry.
    Audit(AuditEntry),
    /// Light the LED / sound the buzzer.
    Indicate(Signal),
    /// Fire [`Event::TimerFired`] with `token` after `after`.
    StartTimer { token: TimerToken, after: Duration },
    /// The session is over: wipe its secrets and unpower the card.
    EndSession,
}
