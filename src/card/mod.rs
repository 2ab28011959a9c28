//! The My Number card protocol over an APDU channel ([`CardChannel`]): classify what
//! is on the reader (card, PIN-less 顔認証カード, Android or iPhone), read the
//! user-authentication certificate, read the 券面AP photo and name image with
//! 照合番号B under a guard, check the card-face data chains to a trusted issuer
//! ([`trust`]) and the chip is genuine, query the PIN counter without spending a try,
//! VERIFY the PIN (never at 0 tries, never twice for one request), and sign.
//!
//! Facts come from `reference/card-and-pcsc.md`. Every status word maps to a typed
//! [`CardError`] that converts to the flow's [`CardFailure`]. The one card model of
//! the project (a virtual card answering these APDUs) is a simulator: `crate::sim::vcard`.
//!
//! Session state: a successful VERIFY lasts until another application is selected or
//! the card is unpowered, so after [`verify_pin`] the functions [`read_certificate`]
//! and [`sign`] do not re-select the JPKI AP unless the card says the EF is unknown.

pub mod apdu;
pub mod config;
mod error;
pub mod kenmen;
pub mod tlv;
pub mod trust;
pub mod x509;

pub use config::CardConfig;
pub use error::{CardError, StatusKind};
pub use kenmen::{ChipPhoto, KenmenGuard, KenmenKey, KenmenKeyError, NameImage};
pub use trust::{KenmenTrust, TrustError};

use crate::flow::{
    CardFacts, CardFailure, CardKind, KenmenFacts, PhotoStatus, PinStatus, VerifyOutcome,
};
use crate::ground::escape::Escaped;
use apdu::{Command, AID_JPKI};
use kaonin_hal::card::CardChannel;
use kaonin_hal::secret::Digits;
use std::time::SystemTime;

/// Token EF of the JPKI AP (what kind of token this is).
pub const EF_TOKEN: u16 = 0x0006;
/// User-authentication certificate.
pub const EF_AUTH_CERT: u16 = 0x000A;
/// User-authentication CA certificate.
pub const EF_AUTH_CA: u16 = 0x000B;
/// User-authentication private key.
pub const EF_AUTH_KEY: u16 = 0x0017;
/// User-authentication PIN (4 digits, 3 tries).
pub const EF_AUTH_PIN: u16 = 0x0018;
/// Signature certificate.
pub const EF_SIGN_CERT: u16 = 0x0001;
/// Signature CA certificate.
pub const EF_SIGN_CA: u16 = 0x0002;
/// Signature private key.
pub const EF_SIGN_KEY: u16 = 0x001A;
/// Signature password (6–16 characters, 5 tries).
pub const EF_SIGN_PIN: u16 = 0x001B;

/// Token names in EF `0006`.
pub const TOKEN_CARD: &str = "JPKIAPICCTOKEN2";
/// The old 住基カード token: not a My Number card (no 券面AP, not a 保険証).
pub const TOKEN_JUKI: &str = "JPKIAPICCTOKEN";
/// Android スマホ用電子証明書.
pub const TOKEN_ANDROID: &str = "JPKIAPGPSETOKEN";
/// iPhone.
pub const TOKEN_IPHONE: &str = "JPKIAPIOSTOKEN";

/// What [`read_card`] learned: the flow's facts and, for cards, the photo and the
/// name image. `Debug` shows neither the certificate nor the images.
pub struct Reading {
    /// Kind, certificate and photo status for the flow.
    pub facts: CardFacts,
    /// The 券面AP photo (JPEG 2000) when `facts.photo` is `Available`.
    pub photo: Option<ChipPhoto>,
    /// The holder's name as drawn by the issuer (券面AP DF25), read with the photo
    /// under the same 照合番号B; for the screens only, never turned into text.
    pub name_image: Option<NameImage>,
}

impl std::fmt::Debug for Reading {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reading")
            .field("session_id", &self.facts.session_id)
            .field("kind", &self.facts.kind)
            .field(
                "certificate_bytes",
                &self.facts.certificate.as_ref().map(Vec::len),
            )
            .field("photo_status", &self.facts.photo)
            .field("photo", &self.photo)
            .field("name_image", &self.name_image)
            .finish()
    }
}

/// Reads what is on the reader: selects the JPKI AP, classifies it by its token,
/// reads and date-checks the certificate (not on Android, where it needs the PIN),
/// and for cards reads the 券面AP photo with 照合番号B from `card_face` under `guard`
/// and checks the chip's genuineness.
pub fn read_card<C: CardChannel + ?Sized>(
    ch: &mut C,
    card_face: Option<&KenmenKey>,
    guard: &mut KenmenGuard,
    session_id: String,
    now: SystemTime,
) -> Result<Reading, CardFailure> {
    let result = read_card_inner(ch, card_face, guard, session_id, now);
    if let Err(e) = &result {
        tracing::info!(error = %Escaped(&e.to_string()), "card read failed");
    }
    result.map_err(CardFailure::from)
}

fn read_card_inner<C: CardChannel + ?Sized>(
    ch: &mut C,
    card_face: Option<&KenmenKey>,
    guard: &mut KenmenGuard,
    session_id: String,
    now: SystemTime,
) -> Result<Reading, CardError> {
    let kind = classify(ch)?;
    tracing::debug!(?kind, "card classified");
    let certificate = if kind == CardKind::Android {
        None
    } else {
        let der = read_certificate_inner(ch)?;
        x509::validity(&der)?.check(now)?;
        Some(der)
    };
    let (photo_status, photo, name_image, kenmen) = match (kind.is_phone(), card_face, &certificate)
    {
        (true, _, _) => (PhotoStatus::NotOnDevice, None, None, None),
        (false, None, _) => (PhotoStatus::NoCardFace, None, None, None),
        (false, Some(face), cert) => {
            let card_id = cert.as_deref().unwrap_or_default();
            photo_with_guard(ch, face, card_id, guard)?
        }
    };
    Ok(Reading {
        facts: CardFacts {
            session_id,
            kind,
            certificate,
            photo: photo_status,
            kenmen,
        },
        photo,
        name_image,
    })
}

type FaceRead = (
    PhotoStatus,
    Option<ChipPhoto>,
    Option<NameImage>,
    Option<KenmenFacts>,
);

fn photo_with_guard<C: CardChannel + ?Sized>(
    ch: &mut C,
    face: &KenmenKey,
    card_id: &[u8],
    guard: &mut KenmenGuard,
) -> Result<FaceRead, CardError> {
    Ok(match kenmen::read_photo(ch, face, card_id, guard)? {
        kenmen::PhotoRead::Read(file) => {
            let file = *file;
            let facts = KenmenFacts {
                birth: file.birth,
                sex: file.sex,
            };
            (
                PhotoStatus::Available,
                Some(file.photo),
                file.name,
                Some(facts),
            )
        }
        kenmen::PhotoRead::CounterLow => (PhotoStatus::CounterLow, None, None, None),
        kenmen::PhotoRead::Refused => (PhotoStatus::KeyRefused, None, None, None),
        kenmen::PhotoRead::NoKey => (PhotoStatus::NoCardFace, None, None, None),
    })
}

/// Selects the JPKI AP and tells the token kind. A PIN-less 顔認証カード is assumed
/// to answer `6A82` to SELECT of the PIN EF `0018` (not publicly documented).
pub fn classify<C: CardChannel + ?Sized>(ch: &mut C) -> Result<CardKind, CardError> {
    select_jpki(ch)?;
    apdu::select_ef(ch, EF_TOKEN)?;
    let raw = apdu::exchange(ch, &Command::read_binary(0, 32))?.ok("READ token")?;
    let name = token_name(&raw);
    match name.as_str() {
        TOKEN_CARD => match apdu::exchange(ch, &Command::select_ef(EF_AUTH_PIN))? {
            r if r.sw == 0x9000 => Ok(CardKind::Standard),
            r if r.kind() == StatusKind::NotFound => Ok(CardKind::PinLess),
            r => Err(CardError::status("SELECT PIN EF", r.sw)),
        },
        TOKEN_ANDROID => Ok(CardKind::Android),
        TOKEN_IPHONE => Ok(CardKind::Iphone),
        _ => Err(CardError::NotMyNumberCard),
    }
}

/// The token name: printable ASCII up to the space / NUL padding.
fn token_name(raw: &[u8]) -> String {
    raw.iter()
        .take_while(|&&b| b.is_ascii_graphic())
        .map(|&b| char::from(b))
        .collect()
}

fn select_jpki<C: CardChannel + ?Sized>(ch: &mut C) -> Result<(), CardError> {
    let response = apdu::exchange(ch, &Command::select_aid(&AID_JPKI))?;
    match response.kind() {
        StatusKind::Ok => Ok(()),
        _ => Err(CardError::NotMyNumberCard),
    }
}

/// Selects `ef` in the current DF; if the card does not know it (another AP is
/// current, or the card was reset), selects the JPKI AP and tries once more.
fn select_jpki_ef<C: CardChannel + ?Sized>(ch: &mut C, ef: u16) -> Result<(), CardError> {
    let response = apdu::exchange(ch, &Command::select_ef(ef))?;
    match response.kind() {
        StatusKind::Ok => Ok(()),
        StatusKind::NotFound => {
            select_jpki(ch)?;
            apdu::select_ef(ch, ef)
        }
        _ => Err(CardError::status("SELECT EF", response.sw)),
    }
}

/// The PIN retry counter of EF `0018`, read with an empty VERIFY (no try spent).
pub fn query_pin_tries<C: CardChannel + ?Sized>(ch: &mut C) -> Result<PinStatus, CardFailure> {
    query_pin_inner(ch).map_err(CardFailure::from)
}

fn query_pin_inner<C: CardChannel + ?Sized>(ch: &mut C) -> Result<PinStatus, CardError> {
    select_jpki(ch)?;
    let selected = apdu::exchange(ch, &Command::select_ef(EF_AUTH_PIN))?;
    match selected.kind() {
        StatusKind::Ok => {}
        StatusKind::NotFound => return Ok(PinStatus::NoPin),
        _ => return Err(CardError::status("SELECT PIN EF", selected.sw)),
    }
    let query = apdu::exchange(ch, &Command::verify(&[]))?;
    match query.kind() {
        StatusKind::TriesLeft(n) => Ok(PinStatus::Tries(n)),
        StatusKind::Blocked => Ok(PinStatus::Blocked),
        _ => Err(CardError::status("query PIN", query.sw)),
    }
}

/// VERIFY of the user-authentication PIN. Queries the counter first and sends
/// nothing when it is 0 (returns `Blocked`). The PIN must be 4 digits.
pub fn verify_pin<C: CardChannel + ?Sized>(
    ch: &mut C,
    pin: &Digits,
) -> Result<VerifyOutcome, CardFailure> {
    verify_pin_inner(ch, pin).map_err(CardFailure::from)
}

fn verify_pin_inner<C: CardChannel + ?Sized>(
    ch: &mut C,
    pin: &Digits,
) -> Result<VerifyOutcome, CardError> {
    match query_pin_inner(ch)? {
        PinStatus::Tries(_) => {}
        PinStatus::Blocked => {
            tracing::warn!("PIN blocked; VERIFY not sent");
            return Ok(VerifyOutcome::Blocked);
        }
        PinStatus::NoPin => return Err(CardError::NoPin),
    }
    if pin.len() != 4 || !pin.expose().iter().all(u8::is_ascii_digit) {
        return Err(CardError::Malformed("PIN must be 4 digits"));
    }
    let answer = apdu::exchange(ch, &Command::verify(pin.expose()))?;
    match answer.kind() {
        StatusKind::Ok => Ok(VerifyOutcome::Ok),
        StatusKind::TriesLeft(n) => Ok(VerifyOutcome::Wrong { tries_left: n }),
        StatusKind::Blocked => Ok(VerifyOutcome::Blocked),
        _ => Err(CardError::status("VERIFY PIN", answer.sw)),
    }
}

/// Reads the user-authentication certificate (DER) from EF `000A`.
pub fn read_certificate<C: CardChannel + ?Sized>(ch: &mut C) -> Result<Vec<u8>, CardFailure> {
    read_certificate_inner(ch).map_err(CardFailure::from)
}

fn read_certificate_inner<C: CardChannel + ?Sized>(ch: &mut C) -> Result<Vec<u8>, CardError> {
    select_jpki_ef(ch, EF_AUTH_CERT)?;
    let der = apdu::read_ber_file(ch, "READ certificate")?;
    tracing::debug!(bytes = der.len(), "certificate read");
    Ok(der)
}

/// Signs SHA-256(`id`) with the user-authentication key (RSASSA-PKCS1-v1_5): the
/// card receives the DigestInfo (`80 2A 00 80`). A phone that was not unlocked
/// (`6982`) gives [`CardFailure::PhoneNotAuthenticated`].
pub fn sign<C: CardChannel + ?Sized>(ch: &mut C, id: &str) -> Result<Vec<u8>, CardFailure> {
    sign_inner(ch, id).map_err(CardFailure::from)
}

fn sign_inner<C: CardChannel + ?Sized>(ch: &mut C, id: &str) -> Result<Vec<u8>, CardError> {
    select_jpki_ef(ch, EF_AUTH_KEY)?;
    let digest_info = apdu::sha256_digest_info(id.as_bytes());
    let response = apdu::exchange(ch, &Command::sign(0x80, &digest_info))?;
    match response.kind() {
        StatusKind::Ok if !response.data.is_empty() => Ok(response.data),
        StatusKind::Ok => Err(CardError::Malformed("empty signature")),
        StatusKind::SecurityNotSatisfied => Err(CardError::PhoneNotAuthenticated),
        _ => Err(CardError::status("sign", response.sw)),
    }
}
