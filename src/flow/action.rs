//! What goes out: [`Action`], and what it carries besides screens and identities
//! (PC event kinds, audit entries, timer tokens).

use super::{Identity, ReaderRole, Screen};
use kaonin_hal::indicator::Signal;
use kaonin_hal::secret::Digits;
use serde::{Deserialize, Serialize};
use std::time::Duration;

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
    /// Visual-check mode armed from the eligibility PC (`arm_visual`) for a staff
    /// account (no passcode typed at the reader).
    VisualArmedByPc { account: String },
    /// The PC disarmed visual-check mode (`disarm`) armed for `account`.
    VisualDisarmedByPc { account: String },
    /// A staff member confirmed a visual check for session `id`.
    VisualConfirmed { account: String, id: String },
    /// A staff member found the patient is not the holder of the card of session
    /// `id` (本人ではない); nothing was forwarded.
    VisualRefused { account: String, id: String },
    /// A wrong staff passcode was typed.
    StaffPasscodeRejected,
    /// Staff are locked out after too many wrong passcodes.
    StaffLockedOut,
    /// The PC answered `not_registered` for session `id`: the terminal offers the
    /// health-insurance registration (利用登録).
    RegistrationOffered { id: String },
    /// The patient agreed to register; a `registration` for `id` is in the outbox.
    RegistrationAccepted { id: String },
    /// The patient declined the registration of session `id`.
    RegistrationDeclined { id: String },
}

/// A timer the flow asked for; it comes back as [`Event::TimerFired`](super::Event::TimerFired).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimerToken(pub u64);

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
    /// Store a `registration` (the patient agreed to register the card for
    /// health-insurance use) for the identity `id` durably and send it to the PC;
    /// answered by [`Event::Enqueued`](super::Event::Enqueued) like an identity.
    EnqueueRegistration { id: String },
    /// Tell the PC something happened.
    PcEvent { kind: PcEventKind, detail: String },
    /// Answer a request of the PC (`arm_visual`, `disarm`): `ok` with `of` (and
    /// the account), or `error` with the reason.
    PcAnswer {
        of: &'static str,
        account: Option<String>,
        refused: Option<String>,
    },
    /// Write an audit entry.
    Audit(AuditEntry),
    /// Light the LED / sound the buzzer.
    Indicate(Signal),
    /// Fire [`Event::TimerFired`](super::Event::TimerFired) with `token` after `after`.
    StartTimer { token: TimerToken, after: Duration },
    /// The session is over: wipe its secrets and unpower the card.
    EndSession,
}
