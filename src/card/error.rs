//! Typed errors of the card protocol: every status word the My Number card is known
//! to return has a [`StatusKind`], and every [`CardError`] converts to the flow's
//! [`CardFailure`].

use super::tlv::TlvError;
use super::trust::TrustError;
use super::x509::CertError;
use crate::flow::CardFailure;
use kaonin_hal::card::ErrorKind as ReaderKind;

/// The meaning of a status word on the My Number card (reference §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusKind {
    /// `9000`.
    Ok,
    /// `63Cx` with x ≥ 1: wrong secret (or the answer to an empty VERIFY); tries left.
    TriesLeft(u8),
    /// `63C0`, `6984`, `6983`: the secret is blocked.
    Blocked,
    /// `6300`: the key has no retry counter.
    NoRetryCounter,
    /// `6982`: security status not satisfied (VERIFY needed, or phone not unlocked).
    SecurityNotSatisfied,
    /// `6A82`: no such application or file.
    NotFound,
    /// `6A86`: wrong P1-P2.
    WrongParameters,
    /// `6B00` / `6282`: offset beyond the end of the file.
    EndOfFile,
    /// `6700`: wrong length.
    WrongLength,
    /// `6985`: conditions of use not satisfied.
    ConditionsNotSatisfied,
    /// `69FC` / `6882`: secure messaging refused.
    SecureMessagingRefused,
    /// `6D00` / `6E00`: instruction or class not supported.
    NotSupported,
    /// Anything else.
    Other,
}

impl StatusKind {
    /// Classifies `sw`.
    pub fn of(sw: u16) -> Self {
        match sw {
            0x9000 => StatusKind::Ok,
            0x63C0 | 0x6984 | 0x6983 => StatusKind::Blocked,
            0x63C1..=0x63CF => StatusKind::TriesLeft((sw & 0x0F) as u8),
            0x6300 => StatusKind::NoRetryCounter,
            0x6982 => StatusKind::SecurityNotSatisfied,
            0x6A82 => StatusKind::NotFound,
            0x6A86 => StatusKind::WrongParameters,
            0x6B00 | 0x6282 => StatusKind::EndOfFile,
            0x6700 => StatusKind::WrongLength,
            0x6985 => StatusKind::ConditionsNotSatisfied,
            0x69FC | 0x6882 => StatusKind::SecureMessagingRefused,
            0x6D00 | 0x6E00 => StatusKind::NotSupported,
            _ => StatusKind::Other,
        }
    }
}

/// A failure of the card protocol.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CardError {
    /// The reader failed (card removed, no service, …).
    #[error("reader: {0}")]
    Reader(ReaderKind),
    /// The card answered with fewer than two bytes (no status word).
    #[error("response without a status word")]
    NoStatusWord,
    /// A command ended with an unexpected status word.
    #[error("{what}: status {sw:04X} ({kind:?})")]
    Status {
        /// Which step failed.
        what: &'static str,
        /// The status word.
        sw: u16,
        /// Its meaning.
        kind: StatusKind,
    },
    /// A response that does not have the expected shape.
    #[error("malformed response: {0}")]
    Malformed(&'static str),
    /// A card file with a broken TLV structure.
    #[error("TLV: {0}")]
    Tlv(#[from] TlvError),
    /// The certificate could not be parsed or is outside its validity.
    #[error("certificate: {0}")]
    Certificate(#[from] CertError),
    /// The JPKI application is missing: not a My Number card.
    #[error("no JPKI application")]
    NotMyNumberCard,
    /// The 券面AP signature over our challenge did not verify.
    #[error("card-face signature check failed")]
    NotGenuine,
    /// The 券面AP's data does not chain to a trusted issuer (EF `0004`, DF24, DF28).
    #[error("card-face data not genuine: {0}")]
    KenmenForged(TrustError),
    /// The PIN is blocked; nothing was sent.
    #[error("PIN blocked")]
    PinBlocked,
    /// The card has no PIN.
    #[error("card has no PIN")]
    NoPin,
    /// The phone did not unlock its key (no Face ID / 6982 on signing).
    #[error("phone not authenticated")]
    PhoneNotAuthenticated,
}

impl CardError {
    /// A status-word error for step `what`.
    pub fn status(what: &'static str, sw: u16) -> Self {
        CardError::Status {
            what,
            sw,
            kind: StatusKind::of(sw),
        }
    }

    /// The status word's meaning, if this is a status-word error.
    pub fn status_kind(&self) -> Option<StatusKind> {
        match self {
            CardError::Status { kind, .. } => Some(*kind),
            _ => None,
        }
    }

    /// True if the card left the reader.
    pub fn is_removed(&self) -> bool {
        matches!(
            self,
            CardError::Reader(ReaderKind::Removed | ReaderKind::NoCard)
        )
    }
}

impl From<CardError> for CardFailure {
    fn from(e: CardError) -> Self {
        match e {
            CardError::Reader(ReaderKind::Removed | ReaderKind::NoCard) => CardFailure::Removed,
            CardError::Reader(ReaderKind::Protocol | ReaderKind::Timeout) => {
                CardFailure::Unreadable
            }
            CardError::Reader(_) => CardFailure::ReaderFault,
            CardError::NoStatusWord
            | CardError::Malformed(_)
            | CardError::Tlv(_)
            | CardError::Status { .. }
            | CardError::PinBlocked
            | CardError::NoPin => CardFailure::Unreadable,
            CardError::Certificate(CertError::Expired) => CardFailure::CertificateExpired,
            CardError::Certificate(_) => CardFailure::CertificateInvalid,
            CardError::NotMyNumberCard => CardFailure::NotMyNumberCard,
            CardError::NotGenuine => CardFailure::NotGenuine,
            CardError::KenmenForged(_) => CardFailure::KenmenNotGenuine,
            CardError::PhoneNotAuthenticated => CardFailure::PhoneNotAuthenticated,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reference_status_word_has_a_kind() {
        let table = [
            (0x9000, StatusKind::Ok),
            (0x63C3, StatusKind::TriesLeft(3)),
            (0x63CA, StatusKind::TriesLeft(10)),
            (0x63C0, StatusKind::Blocked),
            (0x6984, StatusKind::Blocked),
            (0x6983, StatusKind::Blocked),
            (0x6300, StatusKind::NoRetryCounter),
            (0x6982, StatusKind::SecurityNotSatisfied),
            (0x6A82, StatusKind::NotFound),
            (0x6A86, StatusKind::WrongParameters),
            (0x6B00, StatusKind::EndOfFile),
            (0x6282, StatusKind::EndOfFile),
            (0x6700, StatusKind::WrongLength),
            (0x6985, StatusKind::ConditionsNotSatisfied),
            (0x69FC, StatusKind::SecureMessagingRefused),
            (0x6882, StatusKind::SecureMessagingRefused),
            (0x6D00, StatusKind::NotSupported),
            (0x6E00, StatusKind::NotSupported),
            (0x6F00, StatusKind::Other),
        ];
        for (sw, kind) in table {
            assert_eq!(StatusKind::of(sw), kind, "{sw:04X}");
        }
    }

    #[test]
    fn reader_errors_map_to_flow_failures() {
        let f = |k| CardFailure::from(CardError::Reader(k));
        assert_eq!(f(ReaderKind::Removed), CardFailure::Removed);
        assert_eq!(f(ReaderKind::NoCard), CardFailure::Removed);
        assert_eq!(f(ReaderKind::NoService), CardFailure::ReaderFault);
        assert_eq!(f(ReaderKind::NoReader), CardFailure::ReaderFault);
        assert_eq!(f(ReaderKind::Protocol), CardFailure::Unreadable);
        assert_eq!(
            CardFailure::from(CardError::status("x", 0x6A82)),
            CardFailure::Unreadable
        );
        assert_eq!(
            CardFailure::from(CardError::Certificate(CertError::Expired)),
            CardFailure::CertificateExpired
        );
        assert_eq!(
            CardFailure::from(CardError::NotGenuine),
            CardFailure::NotGenuine
        );
        assert_eq!(
            CardFailure::from(CardError::KenmenForged(TrustError::BadDataSignature)),
            CardFailure::KenmenNotGenuine
        );
    }
}
