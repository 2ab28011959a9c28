//! What comes in: [`Event`], and what the card, the camera, the staff store and the
//! PC report with it (card facts, PIN answers, face outcomes, acks, device health).

use super::{Button, TimerToken};
use kaonin_hal::secret::Digits;
use serde::{Deserialize, Serialize};

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
    /// The issuer-signed fields of the 券面AP, when its data was read and verified.
    pub kenmen: Option<KenmenFacts>,
}

/// Fields of the 券面AP's card-face data that the issuer's signature (DF28) covers,
/// forwarded with the identity so the PC can compare them with the eligibility
/// record of the certificate. Present only when the chain verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KenmenFacts {
    /// DF22: birth date, Gregorian `YYYYMMDD`.
    pub birth: String,
    /// DF23: sex as the chip records it (ISO 5218: `1`, `2`, `9`; `0` unknown).
    pub sex: String,
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
    /// The card-face data (券面AP) does not chain to a trusted issuer: forged.
    KenmenNotGenuine,
    /// The card stopped answering within the operation deadline.
    NotAnswering,
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
    /// The face is smeared (the patient moved): please hold still.
    HoldStill,
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
    /// Too many wrong passcodes: staff are locked out; they may try again in
    /// `retry_after_s` seconds.
    LockedOut { retry_after_s: u64 },
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
    /// Extension: the card is not registered for health-insurance use (健康保険証
    /// としての利用登録がない); the terminal offers the registration (利用登録).
    NotRegistered,
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

/// Something that happened.
#[derive(Debug, Clone)]
pub enum Event {
    /// A card or phone arrived on a reader.
    CardPresent(ReaderRole),
    /// The reader became empty.
    CardAbsent(ReaderRole),
    /// Result of [`Action::ReadCard`](super::Action::ReadCard).
    CardRead(Result<CardFacts, CardFailure>),
    /// Result of [`Action::QueryPinTries`](super::Action::QueryPinTries).
    PinTries(Result<PinStatus, CardFailure>),
    /// Result of [`Action::VerifyPin`](super::Action::VerifyPin).
    PinVerified(Result<VerifyOutcome, CardFailure>),
    /// Result of [`Action::ReadCertificate`](super::Action::ReadCertificate).
    CertificateRead(Result<Vec<u8>, CardFailure>),
    /// Result of [`Action::Sign`](super::Action::Sign).
    Signed(Result<Vec<u8>, CardFailure>),
    /// Result of [`Action::CaptureFace`](super::Action::CaptureFace).
    Face(FaceOutcome),
    /// A button was pressed.
    Press(Button),
    /// A PIN was typed.
    PinTyped(Digits),
    /// Staff typed the facility passcode to arm visual-check mode.
    StaffVisual(Digits),
    /// Staff asked for the passcode screen from the reader's own inputs (the 係員
    /// control of the touch panel, or the staff key sequence of a PIN pad).
    /// Extension; the same as pressing [`Button::Staff`].
    StaffEntry,
    /// Result of [`Action::CheckStaffPasscode`](super::Action::CheckStaffPasscode).
    StaffChecked(StaffCheck),
    /// Staff confirm the card photo shows the patient.
    StaffConfirm,
    /// Result of [`Action::Enqueue`](super::Action::Enqueue): the record is durable (or could not be stored).
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
    /// The PC arms visual-check mode for a staff account (`arm_visual`, extension).
    PcArmVisual { account: String },
    /// The PC disarms visual-check mode (`disarm`, extension).
    PcDisarm,
    /// A device stopped (`up: false`) or started (`up: true`) working.
    Device { device: Device, up: bool },
    /// A timer of [`Action::StartTimer`](super::Action::StartTimer) ran out.
    TimerFired(TimerToken),
    /// The card-face reader's progress while the card is being read.
    CardFace(CardFaceEvent),
}
