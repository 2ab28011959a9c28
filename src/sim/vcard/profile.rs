//! Card profiles: TOML files describing one simulated card or phone (holder, printed
//! card face, secrets and their counters, keys, photo, ATR, injected faults). The
//! format is documented in `assets/cards/README.md` and `docs/vcard.md`.

use crate::card::KenmenKey;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Why a profile cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    /// The profile or a file it names could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The TOML does not describe a profile.
    #[error("{path}: {message}")]
    Toml {
        /// The profile file.
        path: PathBuf,
        /// What is wrong (key and reason).
        message: String,
    },
    /// A value that is not acceptable (named by its key).
    #[error("{key}: {reason}")]
    Invalid {
        /// The key.
        key: &'static str,
        /// Why.
        reason: String,
    },
    /// A key file that is not a PKCS#8 RSA private key.
    #[error("{path}: not a PKCS#8 PEM RSA private key")]
    Key {
        /// The key file.
        path: PathBuf,
    },
}

/// What the simulated chip is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CardType {
    /// A My Number card with a PIN.
    Standard,
    /// A 顔認証マイナンバーカード: no user-authentication PIN EF.
    Pinless,
    /// An Android phone (token `JPKIAPGPSETOKEN`, certificate behind the PIN).
    Android,
    /// An iPhone (token `JPKIAPIOSTOKEN`, key unlocked by Face ID on the phone).
    Iphone,
}

/// The answer-to-reset the simulated reader reports.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Atr {
    /// `"contactless"` or `"contact"`.
    Named(AtrName),
    /// Any ATR as hex (`"3B8880..."`).
    Hex(String),
}

/// The two known ATR kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AtrName {
    /// `3B 88 80 01 00 00 05 E0 B3 81 A1 00 7F` (PC/SC part 3, Type B).
    Contactless,
    /// `3B E0 00 FF 81 31 FE 45 14` (the contact ATR OpenSC knows).
    Contact,
}

impl Atr {
    /// The ATR bytes.
    pub fn bytes(&self) -> Result<Vec<u8>, ProfileError> {
        match self {
            Atr::Named(AtrName::Contactless) => Ok(vec![
                0x3B, 0x88, 0x80, 0x01, 0x00, 0x00, 0x05, 0xE0, 0xB3, 0x81, 0xA1, 0x00, 0x7F,
            ]),
            Atr::Named(AtrName::Contact) => {
                Ok(vec![0x3B, 0xE0, 0x00, 0xFF, 0x81, 0x31, 0xFE, 0x45, 0x14])
            }
            Atr::Hex(text) => parse_hex(text).ok_or_else(|| ProfileError::Invalid {
                key: "atr",
                reason: "not \"contactless\", \"contact\" or 2..33 hex bytes".into(),
            }),
        }
    }
}

fn parse_hex(text: &str) -> Option<Vec<u8>> {
    let clean: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != ':')
        .collect();
    if clean.len() % 2 != 0 || !(4..=66).contains(&clean.len()) {
        return None;
    }
    (0..clean.len())
        .step_by(2)
        .map(|i| {
            clean
                .get(i..i + 2)
                .and_then(|b| u8::from_str_radix(b, 16).ok())
        })
        .collect()
}

/// The holder as recorded on the chip. The chip holds the name only as an image
/// (券面AP DF25): the simulated card draws `name` into a PNG when it is built.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Holder {
    /// 氏名 (family and given name separated by U+3000).
    pub name: String,
    /// Birth date `YYYYMMDD` (DF22 of the 券面 file).
    pub birth: String,
    /// ISO 5218: `1` male, `2` female, `9` not applicable.
    pub sex: String,
    /// 住所.
    #[serde(default)]
    pub address: String,
    /// Optional PNG put into DF25 as it is, instead of drawing `name` (e.g. a
    /// particular issuer's image, or a broken one to test the reader with).
    #[serde(default)]
    pub name_image: Option<PathBuf>,
}

/// A secret and its retry counter.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Secret {
    /// The value (TEST values only).
    pub value: String,
    /// Tries left now (≤ the card's maximum for this secret).
    pub tries: u8,
}

/// The 券面AP.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Kenmen {
    /// Tries left on 照合番号B (maximum 10).
    #[serde(default = "ten")]
    pub tries: u8,
    /// 照合番号A (the 12-digit 個人番号 of this TEST card).
    #[serde(default = "test_my_number")]
    pub my_number: String,
    /// The JPEG 2000 photo (DF27).
    pub photo: PathBuf,
    /// The AP's private key (signs challenges and DF28).
    pub key: PathBuf,
    /// The key whose public half is written in DF24; defaults to `key`. Another key
    /// here simulates a cloned chip image: the genuineness check must fail.
    #[serde(default)]
    pub df24_key: Option<PathBuf>,
    /// The CA key that signs the AP's certificate (EF `0004`); defaults to the
    /// virtual cards' own 券面 CA (`keys/kenmen-ca.key.pem`, built in), whose public
    /// key `kaonin vcard --write-kenmen-trust FILE` writes for `[card] kenmen_trust`.
    #[serde(default)]
    pub ca_key: Option<PathBuf>,
    /// The 証明者鍵ID the certificate names (7 digits); default `9000023`.
    #[serde(default)]
    pub ca_key_id: Option<String>,
    /// The issuing key the certificate certifies and DF28 is signed with (a
    /// municipality's on a real card); defaults to `keys/kenmen-issuer.key.pem`
    /// (built in).
    #[serde(default)]
    pub issuer_key: Option<PathBuf>,
}

fn ten() -> u8 {
    10
}

fn test_my_number() -> String {
    "123456789018".into()
}

/// JPKI keys and certificates (DER certificates, PKCS#8 PEM keys).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Keys {
    /// User-authentication private key (EF 0017).
    pub auth_key: PathBuf,
    /// User-authentication certificate (EF 000A).
    pub auth_cert: PathBuf,
    /// CA certificate (EF 000B and 0002).
    pub ca_cert: PathBuf,
}

/// Faults to inject.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Faults {
    /// Delay before each response, in milliseconds.
    pub delay_ms: u64,
    /// Answer every response with data as `61xx`, to be fetched with GET RESPONSE
    /// (at most 128 bytes per GET RESPONSE, so long answers chain).
    pub chain_61xx: bool,
    /// Answer the first sending of every READ BINARY with `6Cxx` (the exact length);
    /// the read re-sent with that Le is served. (A reader re-sends only reads.)
    pub wrong_le_6cxx: bool,
    /// Leave the reader while answering the Nth APDU (1-based, counted from the card's
    /// creation; fires once).
    pub remove_at_apdu: Option<u64>,
    /// Break the TLV structure of the 券面 file (DF27 claims more bytes than exist).
    pub corrupt_tlv: bool,
    /// Sign DF28 over this photo instead of the one shipped in DF27 (a photo the
    /// issuer never signed): the reader must refuse the card.
    pub df28_photo: Option<PathBuf>,
    /// Answer every VERIFY that carries data with `6C00` after carrying it out (a try
    /// is spent when wrong): a reader that re-sends VERIFY spends a second try.
    pub verify_6cxx: bool,
    /// Stop answering at the Nth APDU (1-based, counted from the card's creation) and
    /// stay silent until removed (vpcd bridge; in-process it acts like a removal).
    pub stall_at_apdu: Option<u64>,
}

/// One simulated card or phone.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Card or phone type.
    #[serde(rename = "type")]
    pub card_type: CardType,
    /// ATR reported by the reader.
    #[serde(default = "contactless")]
    pub atr: Atr,
    /// iPhone only: the holder authenticated with Face ID (else signing gives 6982).
    #[serde(default)]
    pub face_id: bool,
    /// The holder.
    pub holder: Holder,
    /// What is printed on the card face (source of the 照合番号B the chip expects).
    pub card_face: KenmenKey,
    /// User-authentication PIN (EF 0018; Android: the smartphone PIN).
    pub pin: Secret,
    /// Signature password (EF 001B).
    #[serde(default = "default_sign_password")]
    pub sign_password: Secret,
    /// The 券面AP (cards only).
    pub kenmen: Option<Kenmen>,
    /// JPKI keys and certificates.
    pub keys: Keys,
    /// Faults to inject.
    #[serde(default)]
    pub faults: Faults,
    /// The directory relative paths are resolved against.
    #[serde(skip)]
    pub base_dir: PathBuf,
    /// Built into the binary: files come from [`EMBEDDED`], not the file system.
    #[serde(skip)]
    pub embedded: bool,
}

/// The profiles of `assets/cards` built into the binary (for `kaonin demo` on a
/// fresh machine), by name: `alice`, `bob-pinless`, `carol-android`, `carol-iphone`.
pub const EMBEDDED_PROFILES: [&str; 4] = ["alice", "bob-pinless", "carol-android", "carol-iphone"];

macro_rules! asset {
    ($path:literal) => {
        (
            $path,
            include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/cards/", $path)) as &[u8],
        )
    };
}

/// Files of the embedded profiles, by their path relative to `assets/cards`. TEST keys
/// only (generated by `assets/cards/make-test-keys.sh`).
const EMBEDDED: &[(&str, &[u8])] = &[
    asset!("alice.toml"),
    asset!("bob-pinless.toml"),
    asset!("carol-android.toml"),
    asset!("carol-iphone.toml"),
    asset!("../faces/alice-chip.jp2"),
    asset!("../faces/bob-chip.jp2"),
    asset!("keys/test-ca.crt.der"),
    asset!("keys/alice-auth.key.pem"),
    asset!("keys/alice-auth.crt.der"),
    asset!("keys/alice-kenmen.key.pem"),
    asset!("keys/bob-auth.key.pem"),
    asset!("keys/bob-auth.crt.der"),
    asset!("keys/bob-kenmen.key.pem"),
    asset!("keys/carol-auth.key.pem"),
    asset!("keys/carol-auth.crt.der"),
];

/// The virtual cards' own 券面 CA (TEST key; `assets/cards/keys/kenmen-ca.key.pem`),
/// the default signer of every profile's EF `0004`.
pub const VCARD_CA_KEY_PEM: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/assets/cards/keys/kenmen-ca.key.pem"
));

/// The virtual cards' default issuing key (TEST key;
/// `assets/cards/keys/kenmen-issuer.key.pem`): certified by the CA, signs DF28.
pub const VCARD_ISSUER_KEY_PEM: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/assets/cards/keys/kenmen-issuer.key.pem"
));

fn embedded_file(path: &Path) -> Option<&'static [u8]> {
    let wanted = path.to_str()?;
    EMBEDDED.iter().find(|(p, _)| *p == wanted).map(|(_, b)| *b)
}

fn contactless() -> Atr {
    Atr::Named(AtrName::Contactless)
}

fn default_sign_password() -> Secret {
    Secret {
        value: "TESTPASS1".into(),
        tries: 5,
    }
}

impl Profile {
    /// Loads and checks a profile; relative paths in it are relative to its file.
    pub fn load(path: &Path) -> Result<Profile, ProfileError> {
        let text = std::fs::read_to_string(path).map_err(|source| ProfileError::Io {
            path: path.to_owned(),
            source,
        })?;
        let mut profile: Profile = toml::from_str(&text).map_err(|e| ProfileError::Toml {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        profile.base_dir = path.parent().map(Path::to_owned).unwrap_or_default();
        profile.validate()?;
        Ok(profile)
    }

    /// A profile built into the binary (see [`EMBEDDED_PROFILES`]), e.g. `"alice"`.
    pub fn embedded(name: &str) -> Result<Profile, ProfileError> {
        let file = PathBuf::from(format!("{name}.toml"));
        let bytes = embedded_file(&file).ok_or_else(|| ProfileError::Io {
            path: file.clone(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such embedded profile"),
        })?;
        let text = String::from_utf8_lossy(bytes);
        let mut profile: Profile = toml::from_str(&text).map_err(|e| ProfileError::Toml {
            path: file,
            message: e.to_string(),
        })?;
        profile.embedded = true;
        profile.validate()?;
        Ok(profile)
    }

    /// The printed card face, as a card-face scanner would read it.
    pub fn printed_face(&self) -> KenmenKey {
        self.card_face.clone()
    }

    /// `path` resolved against the profile's directory.
    pub fn resolve(&self, path: &Path) -> PathBuf {
        self.base_dir.join(path)
    }

    /// Reads a file named in the profile.
    pub fn read(&self, path: &Path) -> Result<Vec<u8>, ProfileError> {
        if self.embedded {
            return embedded_file(path)
                .map(<[u8]>::to_vec)
                .ok_or_else(|| ProfileError::Io {
                    path: path.to_owned(),
                    source: std::io::Error::new(std::io::ErrorKind::NotFound, "not embedded"),
                });
        }
        let full = self.resolve(path);
        std::fs::read(&full).map_err(|source| ProfileError::Io { path: full, source })
    }

    /// Checks values the TOML types cannot express.
    pub fn validate(&self) -> Result<(), ProfileError> {
        let invalid = |key, reason: &str| {
            Err(ProfileError::Invalid {
                key,
                reason: reason.into(),
            })
        };
        let is_digits = |s: &str, n| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
        if !is_digits(&self.pin.value, 4) {
            return invalid("pin.value", "must be 4 digits");
        }
        if self.pin.tries > 3 {
            return invalid("pin.tries", "at most 3");
        }
        let pw = &self.sign_password.value;
        if !(6..=16).contains(&pw.len())
            || !pw
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        {
            return invalid("sign_password.value", "6-16 upper-case letters and digits");
        }
        if self.sign_password.tries > 5 {
            return invalid("sign_password.tries", "at most 5");
        }
        if self.card_face.key_b().is_err() {
            return invalid(
                "card_face",
                "birth/expiry YYYYMMDD and a 4-digit security_code",
            );
        }
        if !is_digits(&self.holder.birth, 8) {
            return invalid("holder.birth", "must be YYYYMMDD");
        }
        if !matches!(self.holder.sex.as_str(), "1" | "2" | "9") {
            return invalid("holder.sex", "1, 2 or 9 (ISO 5218)");
        }
        let is_card = matches!(self.card_type, CardType::Standard | CardType::Pinless);
        match (&self.kenmen, is_card) {
            (Some(k), _) if k.tries > 10 => return invalid("kenmen.tries", "at most 10"),
            (Some(k), _) if k.ca_key_id.as_deref().is_some_and(|id| !is_digits(id, 7)) => {
                return invalid("kenmen.ca_key_id", "must be 7 digits")
            }
            (Some(k), _) if !is_digits(&k.my_number, 12) => {
                return invalid("kenmen.my_number", "must be 12 digits")
            }
            (None, true) => return invalid("kenmen", "cards need a [kenmen] section"),
            _ => {}
        }
        self.atr.bytes().map(drop)
    }
}
