//! The 券面(事項確認)AP: the card-face data with the holder's photo and the image of
//! the holder's name (DF25, a PNG drawn by the card issuer), opened with 照合番号B,
//! and the guard that keeps a misread card face from walking the 照合番号B retry
//! counter (10 tries) down and holds the trust anchors the data must chain to.
//!
//! Order of a read: the AP's certificate (EF `0004`, free) is checked against a trust
//! anchor before any 照合番号B is sent; then EF `0002` is read and DF28 must verify
//! with the certified key over the three signed groups (DF24 included); only then is
//! the genuineness challenge (`80 2A`) checked with the DF24 key ([`super::trust`]).
//!
//! The name is only ever handled as that image: the reader shows it to the patient
//! and never turns it into text, logs it or writes it anywhere.

use super::apdu::{self, Command, AID_KENMEN};
use super::error::{CardError, StatusKind};
use super::tlv::{self, TlvError};
use super::trust::{self, KenmenTrust, RsaKey, TrustError};
use crate::ground::civil::Era;
use crate::ground::escape::Escaped;
use kaonin_hal::card::CardChannel;
use serde::Deserialize;
use std::collections::{HashSet, VecDeque};
use zeroize::Zeroizing;

/// 照合番号B internal EF of the 券面AP.
pub const EF_KEY_B: u16 = 0x0012;
/// 照合番号A internal EF of the 券面AP.
pub const EF_KEY_A: u16 = 0x0013;
/// The card-face file.
pub const EF_FACE: u16 = 0x0002;
/// The AP's card-verifiable certificate.
pub const EF_CERT: u16 = 0x0004;

/// What is printed on the card face and needed for 照合番号B, as read by the
/// card-face scanner or typed by staff. Printed on the card: not secret, but not
/// logged either.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KenmenKey {
    /// Birth date, Gregorian `YYYYMMDD`.
    pub birth: String,
    /// Expiry date, Gregorian `YYYYMMDD`.
    pub expiry: String,
    /// The 4-digit security code printed under the photo.
    pub security_code: String,
}

/// Why a [`KenmenKey`] cannot give a 照合番号B.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum KenmenKeyError {
    /// A date that is not `YYYYMMDD` or before the Meiji era.
    #[error("bad date")]
    BadDate,
    /// A security code that is not 4 digits.
    #[error("bad security code")]
    BadSecurityCode,
}

/// `YYYYMMDD` (Gregorian) as the 和暦 `YYMMDD` used in 照合番号B, e.g. 1980-02-17 →
/// `550217` (昭和55年). The era comes from the one era table,
/// [`crate::ground::civil::ERAS`].
pub fn era_yymmdd(birth: &str) -> Result<String, KenmenKeyError> {
    let date = parse_date(birth)?;
    let year = date / 10_000;
    let ymd = (year as i32, date / 100 % 100, date % 100);
    let era = Era::of_ymd(ymd).ok_or(KenmenKeyError::BadDate)?;
    let era_year = year - era.first_day().year as u32 + 1;
    if era_year > 99 {
        return Err(KenmenKeyError::BadDate);
    }
    Ok(format!("{:02}{:04}", era_year, date % 10_000))
}

fn parse_date(text: &str) -> Result<u32, KenmenKeyError> {
    if text.len() != 8 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(KenmenKeyError::BadDate);
    }
    let date: u32 = text.parse().map_err(|_| KenmenKeyError::BadDate)?;
    let (month, day) = (date / 100 % 100, date % 100);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return Err(KenmenKeyError::BadDate);
    }
    Ok(date)
}

impl KenmenKey {
    /// 照合番号B: era birth date `YYMMDD` + expiry year `YYYY` + security code (14
    /// ASCII digits), in a buffer wiped on drop.
    pub fn key_b(&self) -> Result<Zeroizing<Vec<u8>>, KenmenKeyError> {
        let birth = era_yymmdd(&self.birth)?;
        let expiry = parse_date(&self.expiry)?;
        let code = &self.security_code;
        if code.len() != 4 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(KenmenKeyError::BadSecurityCode);
        }
        let text = format!("{birth}{:04}{code}", expiry / 10_000);
        Ok(Zeroizing::new(text.into_bytes()))
    }
}

/// The 券面AP JPEG 2000 photo, wiped from memory on drop.
#[derive(Clone, PartialEq, Eq)]
pub struct ChipPhoto(Zeroizing<Vec<u8>>);

impl ChipPhoto {
    /// Wraps photo bytes.
    pub fn new(bytes: Vec<u8>) -> Self {
        ChipPhoto(Zeroizing::new(bytes))
    }

    /// The JPEG 2000 bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.0
    }
}

impl core::fmt::Debug for ChipPhoto {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "ChipPhoto({} bytes hidden)", self.0.len())
    }
}

/// The holder's name as the card issuer drew it (EF `0002` DF25), decoded from PNG to
/// 8-bit grey (0 = ink, 255 = paper). Held in memory only and wiped on drop; `Debug`
/// shows the size, never the pixels.
#[derive(Clone, PartialEq, Eq)]
pub struct NameImage {
    width: u32,
    height: u32,
    gray: Zeroizing<Vec<u8>>,
}

/// Why DF25 could not be used as a name image.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameImageError {
    /// Not a PNG (no PNG signature), or the PNG does not decode.
    #[error("the name image is not a readable PNG")]
    NotPng,
    /// Zero-sized or larger than [`NameImage::MAX_PIXELS`].
    #[error("the name image has an unusable size")]
    BadSize,
}

impl NameImage {
    /// The largest image accepted (width × height): far above a card's name field,
    /// low enough that a hostile chip cannot make the reader allocate much.
    pub const MAX_PIXELS: u64 = 4096 * 1024;

    /// A grey image from raw pixels; `None` if the buffer does not match the size.
    pub fn new(width: u32, height: u32, gray: Vec<u8>) -> Option<NameImage> {
        let gray = Zeroizing::new(gray);
        let pixels = u64::from(width) * u64::from(height);
        (pixels > 0 && pixels <= Self::MAX_PIXELS && gray.len() as u64 == pixels).then_some(
            NameImage {
                width,
                height,
                gray,
            },
        )
    }

    /// Decodes the PNG of DF25 (any PNG colour type; transparency is laid over white
    /// paper, colour is reduced to luma).
    pub fn from_png(bytes: &[u8]) -> Result<NameImage, NameImageError> {
        const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
        if !bytes.starts_with(SIGNATURE) {
            return Err(NameImageError::NotPng);
        }
        let mut reader =
            image::ImageReader::with_format(std::io::Cursor::new(bytes), image::ImageFormat::Png);
        let mut limits = image::Limits::default();
        limits.max_alloc = Some(Self::MAX_PIXELS * 8);
        reader.limits(limits);
        let decoded = reader.decode().map_err(|_| NameImageError::NotPng)?;
        let (width, height) = (decoded.width(), decoded.height());
        if u64::from(width) * u64::from(height) > Self::MAX_PIXELS {
            return Err(NameImageError::BadSize);
        }
        let rgba = Zeroizing::new(decoded.into_rgba8().into_raw());
        let gray: Vec<u8> = rgba
            .chunks_exact(4)
            .map(|p| {
                let luma =
                    (299 * u32::from(p[0]) + 587 * u32::from(p[1]) + 114 * u32::from(p[2])) / 1000;
                let a = u32::from(p[3]);
                ((luma * a + 255 * (255 - a) + 127) / 255) as u8
            })
            .collect();
        NameImage::new(width, height, gray).ok_or(NameImageError::BadSize)
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// The grey value at (x, y) (0 = ink, 255 = paper); paper outside the image.
    pub fn gray(&self, x: u32, y: u32) -> u8 {
        if x >= self.width || y >= self.height {
            return 255;
        }
        self.gray
            .get(y as usize * self.width as usize + x as usize)
            .copied()
            .unwrap_or(255)
    }

    /// The pixels, row-major.
    pub fn pixels(&self) -> &[u8] {
        &self.gray
    }
}

impl core::fmt::Debug for NameImage {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "NameImage({}x{}, hidden)", self.width, self.height)
    }
}

/// Remembers, across sessions, the 照合番号B values a card refused, so the same
/// failing value is never sent twice, and holds the counter floor below which
/// nothing is sent. Values are kept only as SHA-256 digests bound to the card.
#[derive(Clone)]
pub struct KenmenGuard {
    counter_floor: u8,
    trust: KenmenTrust,
    refused: HashSet<[u8; 32]>,
    /// Insertion order, to forget the oldest entries beyond [`GUARD_CAPACITY`].
    order: VecDeque<[u8; 32]>,
}

/// How many refused values a guard remembers (oldest forgotten first).
pub const GUARD_CAPACITY: usize = 4096;

impl core::fmt::Debug for KenmenGuard {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("KenmenGuard")
            .field("counter_floor", &self.counter_floor)
            .field("remembered", &self.refused.len())
            .field("trust_anchors", &self.trust.anchors().len())
            .finish()
    }
}

impl KenmenGuard {
    /// A guard that sends nothing when the card's 照合番号B counter is below
    /// `counter_floor` (default policy: 3), trusting only the built-in anchors.
    pub fn new(counter_floor: u8) -> Self {
        KenmenGuard {
            counter_floor,
            trust: KenmenTrust::built_in(),
            refused: HashSet::new(),
            order: VecDeque::new(),
        }
    }

    /// The same guard trusting `trust` (built-in and configured anchors).
    pub fn with_trust(mut self, trust: KenmenTrust) -> Self {
        self.trust = trust;
        self
    }

    /// The trust anchors card-face data must chain to.
    pub fn trust(&self) -> &KenmenTrust {
        &self.trust
    }

    /// The floor.
    pub fn counter_floor(&self) -> u8 {
        self.counter_floor
    }

    /// How many refused values are remembered.
    pub fn remembered(&self) -> usize {
        self.refused.len()
    }

    fn fingerprint(card_id: &[u8], key: &[u8]) -> [u8; 32] {
        let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
        ctx.update(b"kaonin-kenmen-guard\0");
        ctx.update(&(card_id.len() as u32).to_be_bytes());
        ctx.update(card_id);
        ctx.update(key);
        let mut out = [0u8; 32];
        out.copy_from_slice(ctx.finish().as_ref());
        out
    }

    /// True if `key` was refused by the card identified by `card_id` before.
    pub fn was_refused(&self, card_id: &[u8], key: &[u8]) -> bool {
        self.refused.contains(&Self::fingerprint(card_id, key))
    }

    /// Records that the card `card_id` refused `key`.
    pub fn remember_refused(&mut self, card_id: &[u8], key: &[u8]) {
        let fingerprint = Self::fingerprint(card_id, key);
        if self.refused.insert(fingerprint) {
            self.order.push_back(fingerprint);
        }
        while self.order.len() > GUARD_CAPACITY {
            if let Some(old) = self.order.pop_front() {
                self.refused.remove(&old);
            }
        }
    }
}

impl Default for KenmenGuard {
    fn default() -> Self {
        KenmenGuard::new(3)
    }
}

/// The fields of EF `0002` the daemon uses.
#[derive(Clone, PartialEq, Eq)]
pub struct FaceFile {
    /// DF22: birth date `YYYYMMDD`.
    pub birth: String,
    /// DF23: sex (ISO 5218 digit).
    pub sex: String,
    /// DF24: the AP's RSA public key, modulus (big-endian, no leading zeros).
    pub modulus: Vec<u8>,
    /// DF24: the public exponent.
    pub exponent: Vec<u8>,
    /// DF25: the name image, when it is a readable PNG (else `None`: the reader then
    /// shows no name rather than failing the reception).
    pub name: Option<NameImage>,
    /// DF27: the JPEG 2000 photo.
    pub photo: ChipPhoto,
    /// DF28: the issuer's signature over [`FaceFile::signed`].
    pub signature: Vec<u8>,
    /// What DF28 signs: the DigestInfo of the three groups `DF22 DF23 DF24`,
    /// `DF25 DF26`, `DF27`, each hashed over the whole TLVs as read.
    pub signed: Vec<u8>,
    /// DF29: expiry `YYYYMMDD`.
    pub expiry: String,
}

impl core::fmt::Debug for FaceFile {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("FaceFile")
            .field("photo", &self.photo)
            .field("name", &self.name)
            .field("modulus_bits", &(self.modulus.len() * 8))
            .finish_non_exhaustive()
    }
}

fn ascii_field(items: &[tlv::Tlv<'_>], tag: u16) -> Result<String, TlvError> {
    let value = tlv::find(items, tag)?;
    let text = std::str::from_utf8(value).map_err(|_| TlvError::BadValue(tag))?;
    if !text.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(TlvError::BadValue(tag));
    }
    Ok(text.to_owned())
}

fn strip_zeros(bytes: &[u8]) -> Vec<u8> {
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    bytes.get(start..).unwrap_or_default().to_vec()
}

/// The elements of `bytes` with their whole encoding (tag, length, value).
fn raw_elements(mut bytes: &[u8]) -> Result<Vec<(u16, &[u8])>, TlvError> {
    let mut out = Vec::new();
    while !bytes.is_empty() && !bytes.iter().all(|&b| b == 0x00 || b == 0xFF) {
        let header = tlv::parse_header(bytes)?;
        let raw = bytes.get(..header.total_len()).ok_or(TlvError::Truncated)?;
        out.push((header.tag, raw));
        bytes = &bytes[raw.len()..];
    }
    Ok(out)
}

/// The concatenated whole TLVs of `tags` (each must be present once, in order).
fn group(raw: &[(u16, &[u8])], tags: &[u16]) -> Result<Vec<u8>, TlvError> {
    let mut out = Vec::new();
    for &tag in tags {
        let mut found = raw.iter().filter(|(t, _)| *t == tag);
        let (_, bytes) = found.next().ok_or(TlvError::Missing(tag))?;
        if found.next().is_some() {
            return Err(TlvError::BadValue(tag));
        }
        out.extend_from_slice(bytes);
    }
    Ok(out)
}

/// Parses EF `0002` of the 券面AP (`FF20` wrapping `DF21`…`DF2A`).
pub fn parse_face_file(bytes: &[u8]) -> Result<FaceFile, TlvError> {
    let (outer, _) = tlv::parse_one(bytes)?;
    if outer.tag != 0xFF20 {
        return Err(TlvError::Missing(0xFF20));
    }
    let items = tlv::parse_all(outer.value)?;
    let raw = raw_elements(outer.value)?;
    let groups = [
        Zeroizing::new(group(&raw, &[0xDF22, 0xDF23, 0xDF24])?),
        Zeroizing::new(group(&raw, &[0xDF25, 0xDF26])?),
        Zeroizing::new(group(&raw, &[0xDF27])?),
    ];
    let signed = trust::df28_digest_info([&groups[0], &groups[1], &groups[2]]);
    let key = tlv::parse_all(tlv::find(&items, 0xDF24)?)?;
    let modulus = strip_zeros(tlv::find(&key, 0x91)?);
    let exponent = strip_zeros(tlv::find(&key, 0x90)?);
    if modulus.len() < 128 || exponent.is_empty() || exponent.len() > 8 {
        return Err(TlvError::BadValue(0xDF24));
    }
    let photo = tlv::find(&items, 0xDF27)?;
    if photo.is_empty() {
        return Err(TlvError::BadValue(0xDF27));
    }
    let name = match tlv::find(&items, 0xDF25) {
        Ok(png) => NameImage::from_png(png)
            .map_err(|e| tracing::warn!(error = %e, "name image (DF25) unusable; no name shown"))
            .ok(),
        Err(_) => None,
    };
    Ok(FaceFile {
        birth: ascii_field(&items, 0xDF22)?,
        name,
        sex: ascii_field(&items, 0xDF23)?,
        modulus,
        exponent,
        photo: ChipPhoto::new(photo.to_vec()),
        signature: tlv::find(&items, 0xDF28)?.to_vec(),
        signed,
        expiry: ascii_field(&items, 0xDF29)?,
    })
}

/// What happened when the photo was asked for.
#[derive(Debug)]
pub enum PhotoRead {
    /// Read and genuine.
    Read(Box<FaceFile>),
    /// The counter is below the floor (or blocked): nothing was sent.
    CounterLow,
    /// The card refused the value now, or refused it before (then nothing was sent).
    Refused,
    /// The face data gives no 照合番号B (bad date or code): nothing was sent.
    NoKey,
}

/// Reads the 券面AP photo with 照合番号B under `guard`, after its certificate chained
/// to one of the guard's trust anchors, then checks the data (DF28) and the chip
/// (the challenge). `card_id` binds the guard's memory to this card (e.g. its
/// certificate).
pub fn read_photo<C: CardChannel + ?Sized>(
    ch: &mut C,
    face: &KenmenKey,
    card_id: &[u8],
    guard: &mut KenmenGuard,
) -> Result<PhotoRead, CardError> {
    let Ok(key) = face.key_b() else {
        return Ok(PhotoRead::NoKey);
    };
    if guard.was_refused(card_id, &key) {
        tracing::info!("照合番号B refused before for this card; not sent again");
        return Ok(PhotoRead::Refused);
    }
    apdu::select_aid(ch, &AID_KENMEN)?;
    let certified = read_certified_key(ch, guard.trust())?;
    apdu::select_ef(ch, EF_KEY_B)?;
    let query = apdu::exchange(ch, &Command::verify(&[]))?;
    match query.kind() {
        StatusKind::TriesLeft(n) if n >= guard.counter_floor() => {}
        StatusKind::NoRetryCounter => {}
        StatusKind::TriesLeft(n) => {
            tracing::warn!(tries = n, "照合番号B counter below floor; not sent");
            return Ok(PhotoRead::CounterLow);
        }
        StatusKind::Blocked => return Ok(PhotoRead::CounterLow),
        _ => return Err(CardError::status("query 照合番号B", query.sw)),
    }
    let answer = apdu::exchange(ch, &Command::verify(&key))?;
    match answer.kind() {
        StatusKind::Ok => {}
        StatusKind::TriesLeft(_) | StatusKind::Blocked => {
            guard.remember_refused(card_id, &key);
            tracing::warn!("照合番号B refused by the card");
            return Ok(PhotoRead::Refused);
        }
        _ => return Err(CardError::status("VERIFY 照合番号B", answer.sw)),
    }
    apdu::select_ef(ch, EF_FACE)?;
    let bytes = Zeroizing::new(apdu::read_ber_file(ch, "READ 券面")?);
    let file = parse_face_file(&bytes)?;
    check_signed(&file, &certified)?;
    check_genuine(ch, &file)?;
    Ok(PhotoRead::Read(Box::new(file)))
}

/// Reads EF `0004` and checks it against `trust`: the issuing key certified for this
/// AP's data. A card without the certificate is not genuine.
fn read_certified_key<C: CardChannel + ?Sized>(
    ch: &mut C,
    trust: &KenmenTrust,
) -> Result<RsaKey, CardError> {
    let forged = |e: TrustError| {
        tracing::warn!(error = %Escaped(&e.to_string()), "券面AP certificate refused");
        CardError::KenmenForged(e)
    };
    let selected = apdu::exchange(ch, &Command::select_ef(EF_CERT))?;
    match selected.kind() {
        StatusKind::Ok => {}
        StatusKind::NotFound | StatusKind::SecurityNotSatisfied => {
            return Err(forged(TrustError::Malformed("no EF 0004")))
        }
        _ => return Err(CardError::status("SELECT EF 0004", selected.sw)),
    }
    let der = apdu::read_ber_file(ch, "READ 券面AP certificate")?;
    let certified = trust.verify_certificate(&der).map_err(forged)?;
    tracing::debug!(anchor = %certified.anchor, "券面AP certificate verified");
    Ok(certified.key)
}

/// DF28 must verify with the certified issuing key over the data it covers.
fn check_signed(file: &FaceFile, certified: &RsaKey) -> Result<(), CardError> {
    if !certified.verify_digest_info(&file.signed, &file.signature) {
        tracing::warn!("card-face data refused: DF28 does not verify");
        return Err(CardError::KenmenForged(TrustError::BadDataSignature));
    }
    Ok(())
}

/// The 券面AP signs the SHA-256 DigestInfo of a fresh random challenge with its own
/// key; the signature must verify with the DF24 public key, else the chip is not
/// the one the data came from. Call it only once DF28 verified (DF24 is then the
/// issuer's word; [`read_photo`] does).
pub fn check_genuine<C: CardChannel + ?Sized>(
    ch: &mut C,
    file: &FaceFile,
) -> Result<(), CardError> {
    use ring::rand::SecureRandom;
    let mut challenge = [0u8; 32];
    ring::rand::SystemRandom::new()
        .fill(&mut challenge)
        .map_err(|_| CardError::Malformed("no randomness for the challenge"))?;
    let digest_info = apdu::sha256_digest_info(&challenge);
    let response = apdu::exchange(ch, &Command::sign(0x00, &digest_info))?;
    let signature = match response.kind() {
        StatusKind::Ok => response.data,
        StatusKind::SecurityNotSatisfied
        | StatusKind::ConditionsNotSatisfied
        | StatusKind::NotSupported
        | StatusKind::WrongParameters => return Err(CardError::NotGenuine),
        _ => return Err(CardError::status("券面AP internal auth", response.sw)),
    };
    let key = ring::signature::RsaPublicKeyComponents {
        n: &file.modulus,
        e: &file.exponent,
    };
    key.verify(
        &ring::signature::RSA_PKCS1_2048_8192_SHA256,
        &challenge,
        &signature,
    )
    .map_err(|_| {
        tracing::warn!("券面AP signature over the challenge does not verify");
        CardError::NotGenuine
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn face(birth: &str, expiry: &str, code: &str) -> KenmenKey {
        KenmenKey {
            birth: birth.into(),
            expiry: expiry.into(),
            security_code: code.into(),
        }
    }

    #[test]
    fn era_years() {
        assert_eq!(era_yymmdd("19800217").unwrap(), "550217");
        assert_eq!(era_yymmdd("20200224").unwrap(), "020224");
        assert_eq!(era_yymmdd("19890107").unwrap(), "640107");
        assert_eq!(era_yymmdd("19890108").unwrap(), "010108");
        assert_eq!(era_yymmdd("20190430").unwrap(), "310430");
        assert_eq!(era_yymmdd("20190501").unwrap(), "010501");
        assert_eq!(era_yymmdd("19261225").unwrap(), "011225");
        assert_eq!(era_yymmdd("19261224").unwrap(), "151224");
        assert_eq!(era_yymmdd("1980021"), Err(KenmenKeyError::BadDate));
        assert_eq!(era_yymmdd("19801317"), Err(KenmenKeyError::BadDate));
        assert_eq!(era_yymmdd("18000101"), Err(KenmenKeyError::BadDate));
    }

    /// 照合番号B's era birth date agrees with the calendar's era conversion on
    /// every era boundary.
    #[test]
    fn agrees_with_the_calendar_eras() {
        use crate::ground::civil::gregorian_to_era;
        for era in Era::ALL {
            let mut days = vec![era.first_day()];
            days.extend(era.last_day());
            for date in days {
                let (e, year) = gregorian_to_era(date).unwrap();
                assert_eq!(e, era);
                let want = format!("{year:02}{:02}{:02}", date.month, date.day);
                assert_eq!(era_yymmdd(&date.yyyymmdd()).unwrap(), want, "{date:?}");
            }
        }
    }

    #[test]
    fn key_b_layout() {
        let key = face("19800217", "20350217", "1234").key_b().unwrap();
        assert_eq!(key.as_slice(), b"55021720351234");
        assert_eq!(
            face("19800217", "20350217", "12a4").key_b().map(drop),
            Err(KenmenKeyError::BadSecurityCode)
        );
    }

    #[test]
    fn guard_is_bound_to_the_card() {
        let mut g = KenmenGuard::new(3);
        g.remember_refused(b"card-a", b"55021720351234");
        assert!(g.was_refused(b"card-a", b"55021720351234"));
        assert!(!g.was_refused(b"card-b", b"55021720351234"));
        assert!(!g.was_refused(b"card-a", b"55021720351235"));
        assert!(!format!("{g:?}").contains("5502"));
    }

    #[test]
    fn guard_forgets_the_oldest_beyond_capacity() {
        let mut g = KenmenGuard::new(3);
        for i in 0..=GUARD_CAPACITY {
            g.remember_refused(&i.to_be_bytes(), b"k");
        }
        assert_eq!(g.remembered(), GUARD_CAPACITY);
        assert!(!g.was_refused(&0usize.to_be_bytes(), b"k"));
        assert!(g.was_refused(&GUARD_CAPACITY.to_be_bytes(), b"k"));
    }

    #[test]
    fn photo_debug_hides_bytes() {
        let p = ChipPhoto::new(vec![0x6A, 0x50, 0x20, 0x20]);
        assert_eq!(format!("{p:?}"), "ChipPhoto(4 bytes hidden)");
        assert_eq!(p.bytes(), &[0x6A, 0x50, 0x20, 0x20]);
    }
}
