//! Binds the 券面AP's card-face data to its issuer: the trust anchors (CA public keys
//! the terminal holds itself), the AP's card-verifiable certificate (EF `0004`, which
//! certifies the issuing key) checked against the anchor its 証明者鍵ID names, and the
//! issuer signature DF28, made with the certified key over the three digest groups of
//! EF `0002`. Only then may DF24 (the chip's own key, inside the first signed group)
//! be used for the genuineness challenge (`80 2A`).
//!
//! Layouts are from `reference/card-and-pcsc.md` §4 ("The 券面AP chain, byte for byte").
//! A certificate checked against a key read off the same card proves nothing, so every
//! anchor comes from this file (built in) or from the terminal's configuration
//! (`[card] kenmen_trust`, a PEM file of SubjectPublicKeyInfo keys).

use super::tlv;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use num_bigint::BigUint;
use std::path::Path;
use std::sync::Arc;

/// Length of a 証明者鍵ID / 被証明者鍵ID.
pub const KEY_ID_LEN: usize = 16;
/// Length of the certificate body (two key ids + the RSA-2048 key TLVs).
pub const CERT_BODY_LEN: usize = 297;
/// The key id the virtual card's own CA signs with (`kaonin vcard`; never on a real card:
/// J-LIS production ids start with `5`, the JPKI test hierarchy's with `6`).
pub const VCARD_CA_KEY_ID: &str = "9000023";

/// Why the card-face data is not bound to a trusted issuer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrustError {
    /// EF `0004` is not a card-verifiable certificate of the known shape.
    #[error("券面AP certificate malformed: {0}")]
    Malformed(&'static str),
    /// No trust anchor is known for the certificate's 証明者鍵ID.
    #[error("券面AP certificate signed by unknown key {0}")]
    UnknownIssuer(String),
    /// The certificate's signature does not verify with the anchor.
    #[error("券面AP certificate signature does not verify (issuer {0})")]
    BadCertificate(String),
    /// DF28 does not verify over the card-face data with the certified key.
    #[error("card-face data signature (DF28) does not verify")]
    BadDataSignature,
    /// A trust file that cannot be used.
    #[error("{0}")]
    Config(String),
}

/// Where an anchor comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnchorOrigin {
    /// Compiled in (J-LIS production key).
    BuiltIn,
    /// Read from `[card] kenmen_trust`.
    Configured,
}

/// An RSA public key (big-endian modulus and exponent, no leading zeros).
#[derive(Clone, PartialEq, Eq)]
pub struct RsaKey {
    /// Modulus.
    pub n: Vec<u8>,
    /// Public exponent.
    pub e: Vec<u8>,
}

impl std::fmt::Debug for RsaKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RsaKey({} bits)", self.n.len() * 8)
    }
}

impl RsaKey {
    /// A key from its parts (leading zero bytes dropped).
    pub fn new(n: &[u8], e: &[u8]) -> RsaKey {
        RsaKey {
            n: strip_zeros(n),
            e: strip_zeros(e),
        }
    }

    /// PKCS#1 v1.5 with SHA-256 over `message` (ring; 2048..8192-bit keys).
    pub fn verify_sha256(&self, message: &[u8], signature: &[u8]) -> bool {
        let key = ring::signature::RsaPublicKeyComponents {
            n: &self.n,
            e: &self.e,
        };
        key.verify(
            &ring::signature::RSA_PKCS1_2048_8192_SHA256,
            message,
            signature,
        )
        .is_ok()
    }

    /// PKCS#1 v1.5 over an arbitrary DigestInfo (what DF28 signs: SHA-256's algorithm
    /// id with 96 bytes of digests, which ring's fixed-length verifiers cannot take).
    /// The expected encoded message is built in full and compared whole, never parsed.
    pub fn verify_digest_info(&self, digest_info: &[u8], signature: &[u8]) -> bool {
        let k = self.n.len();
        if !(256..=1024).contains(&k) || signature.len() != k || digest_info.len() + 11 > k {
            return false;
        }
        let n = BigUint::from_bytes_be(&self.n);
        let s = BigUint::from_bytes_be(signature);
        if s >= n {
            return false;
        }
        let m = s.modpow(&BigUint::from_bytes_be(&self.e), &n).to_bytes_be();
        let mut expected = vec![0xFFu8; k];
        expected[0] = 0x00;
        expected[1] = 0x01;
        let start = k - digest_info.len();
        expected[start - 1] = 0x00;
        expected[start..].copy_from_slice(digest_info);
        // `m` has no leading zero bytes: compare against the tail after 00.
        m.len() == k - 1 && expected[1..] == m[..]
    }
}

fn strip_zeros(bytes: &[u8]) -> Vec<u8> {
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    bytes.get(start..).unwrap_or_default().to_vec()
}

/// One CA key the terminal trusts.
#[derive(Debug, Clone)]
pub struct Anchor {
    /// The 証明者鍵ID it answers to (built-in keys), or `None` (configured keys are
    /// tried for any id no built-in key claims).
    pub key_id: Option<[u8; KEY_ID_LEN]>,
    /// Printable name (`5000023/001`, or `configured #1`).
    pub name: String,
    /// The key.
    pub key: RsaKey,
    /// Built in or configured.
    pub origin: AnchorOrigin,
}

/// `"DDDDDDD" 08 05 "001" 00 00 00 00`: the 16-byte key id form of the 券面AP ids.
pub const fn key_id(number: &[u8; 7]) -> [u8; KEY_ID_LEN] {
    [
        number[0], number[1], number[2], number[3], number[4], number[5], number[6], 0x08, 0x05,
        b'0', b'0', b'1', 0, 0, 0, 0,
    ]
}

/// The printable part of a key id (`5000023/001`); non-digits shown as `?`.
pub fn key_id_name(id: &[u8]) -> String {
    let digits = |r: std::ops::Range<usize>| -> String {
        id.get(r)
            .unwrap_or_default()
            .iter()
            .map(|&b| {
                if b.is_ascii_digit() {
                    char::from(b)
                } else {
                    '?'
                }
            })
            .collect()
    };
    format!("{}/{}", digits(0..7), digits(9..12))
}

/// Public key of the J-LIS CA that signs production 券面事項確認AP certificates
/// (証明者鍵ID `"5000023"`), RSA-2048, e = 65537. A published public key, recorded as
/// a fact from soltia48/myna-card `src/ca.rs` (MIT), `MODULUS_5000023`, read
/// 2026-12-05 (commit 4c210ac); see `reference/card-and-pcsc.md` §4.
pub const JLIS_5000023_MODULUS: [u8; 256] = [
    0xB2, 0xF7, 0x40, 0xF0, 0xAD, 0x86, 0xD1, 0x7C, 0xF3, 0xF5, 0x37, 0xD2, 0x3B, 0x4B, 0x3C, 0x65,
    0xA3, 0xCB, 0x58, 0x47, 0x4D, 0x85, 0x7F, 0x55, 0xD0, 0xB9, 0xBC, 0x04, 0x11, 0xB1, 0xCB, 0x08,
    0x49, 0x06, 0x8D, 0xE3, 0x32, 0xA5, 0x0D, 0x63, 0xB3, 0xE6, 0x92, 0x1C, 0x9C, 0xCB, 0xE6, 0x15,
    0x64, 0x96, 0xEF, 0xB0, 0x4B, 0xE8, 0xFF, 0xCC, 0x74, 0xFD, 0xE9, 0xA2, 0x28, 0xA3, 0x6A, 0xD7,
    0xED, 0xCE, 0x97, 0x93, 0x20, 0x4E, 0x35, 0x97, 0x3D, 0xC9, 0x11, 0x10, 0x83, 0x65, 0x00, 0x2C,
    0x40, 0x16, 0x9E, 0x0B, 0x60, 0x01, 0x8D, 0xFB, 0x99, 0xE1, 0xE2, 0x31, 0x0D, 0x9A, 0x11, 0x0F,
    0xF0, 0xFC, 0x26, 0x9F, 0x1F, 0x22, 0x0C, 0x63, 0xB8, 0xA1, 0x51, 0x0D, 0xE5, 0xA6, 0x89, 0x82,
    0x20, 0xC7, 0x89, 0x08, 0xFC, 0x28, 0x0D, 0x8A, 0xA9, 0x5D, 0x5D, 0x11, 0x3B, 0x7C, 0xF0, 0x07,
    0x00, 0xF3, 0xFF, 0x5A, 0xD8, 0xB3, 0xD6, 0xAD, 0x2E, 0xB5, 0x3C, 0x7D, 0x56, 0x34, 0x98, 0xB4,
    0xA9, 0x38, 0xDE, 0xFF, 0xC9, 0xBD, 0xA3, 0x2B, 0xF4, 0x14, 0x6C, 0x1B, 0x07, 0xEF, 0x87, 0x0D,
    0x99, 0xEB, 0x35, 0xDE, 0x5D, 0x70, 0xAC, 0x18, 0x71, 0x58, 0x74, 0x27, 0x7A, 0x13, 0x15, 0x1D,
    0x21, 0x7D, 0x04, 0xD4, 0x2E, 0x97, 0x92, 0x39, 0x23, 0xA4, 0x0F, 0xBC, 0x7D, 0x06, 0xFA, 0xA8,
    0x33, 0x8C, 0xCB, 0xE8, 0x76, 0x62, 0x0F, 0x9B, 0x8E, 0xF4, 0x47, 0x1C, 0xD4, 0xB9, 0xE2, 0x9D,
    0x4E, 0xA6, 0x21, 0xE0, 0xFB, 0x8F, 0x1D, 0xC0, 0x4B, 0x48, 0x72, 0x10, 0x09, 0x7D, 0xBA, 0xAF,
    0x3D, 0x8E, 0x05, 0x50, 0xC7, 0x6A, 0x5B, 0x97, 0xCF, 0x20, 0x2F, 0xA4, 0x7C, 0x7A, 0x26, 0x22,
    0xF1, 0xC0, 0x84, 0xE6, 0x5C, 0x13, 0xD1, 0x3B, 0x8E, 0x7A, 0xB2, 0x26, 0xF5, 0xF5, 0x1F, 0x87,
];

/// Public key of the JPKI **test** hierarchy's 券面事項確認AP CA (`"6000023"`), same
/// source (`MODULUS_6000023`). Never trusted unless configured: its PEM is
/// `assets/kenmen/jpki-test-6000023.pem`, for `[card] kenmen_trust` on a test rig.
pub const JPKI_TEST_6000023_MODULUS: [u8; 256] = [
    0xE0, 0x8C, 0xA1, 0xCA, 0xA0, 0xE5, 0x8C, 0x5D, 0xF2, 0x4B, 0xFD, 0x67, 0xE4, 0x5B, 0x7C, 0xE4,
    0xB5, 0x0E, 0xFF, 0x82, 0x8C, 0x10, 0x56, 0x80, 0x55, 0xF7, 0xE0, 0x12, 0xB7, 0x21, 0x2E, 0x7D,
    0x28, 0x79, 0xB9, 0xE0, 0xB9, 0x51, 0xE7, 0xAC, 0x5A, 0x6D, 0xC0, 0xD7, 0xD3, 0xC3, 0x1C, 0x22,
    0x39, 0x51, 0xA1, 0xE2, 0x77, 0x4F, 0x39, 0x8C, 0xF4, 0x66, 0x02, 0xA8, 0xAE, 0xC0, 0x48, 0x98,
    0x71, 0x49, 0x81, 0xF8, 0x13, 0xCB, 0x9D, 0xBD, 0x2E, 0xF9, 0x06, 0x85, 0x28, 0xE9, 0x45, 0x03,
    0x61, 0xC0, 0x01, 0x54, 0x73, 0x8C, 0xA4, 0xDD, 0x79, 0xD1, 0x38, 0x09, 0x8B, 0x91, 0xFA, 0xE2,
    0x9A, 0x4F, 0xD7, 0x50, 0x55, 0x63, 0x67, 0xBB, 0x85, 0x41, 0x58, 0x95, 0x3A, 0xF5, 0x8C, 0x0E,
    0x8B, 0xBF, 0x28, 0x9C, 0x3A, 0x30, 0xE5, 0x95, 0xFE, 0xF0, 0x44, 0x51, 0x9E, 0x96, 0x7E, 0xF0,
    0x68, 0x6C, 0xBC, 0xF6, 0xEF, 0x6B, 0x9E, 0xD6, 0xFC, 0x2A, 0x19, 0xF8, 0x00, 0xCE, 0x07, 0xE9,
    0x29, 0xAC, 0x11, 0x55, 0x6F, 0x10, 0x73, 0x07, 0x73, 0x72, 0x27, 0x9B, 0xA1, 0x30, 0x21, 0x6F,
    0xC6, 0x80, 0xB7, 0xC3, 0x97, 0x88, 0xC8, 0xE7, 0x53, 0x4F, 0x71, 0xEE, 0xB4, 0xC0, 0x0C, 0x90,
    0x53, 0xFB, 0xF6, 0xE9, 0x2A, 0x07, 0x78, 0x4F, 0x26, 0x30, 0x8A, 0xF7, 0x8F, 0x9C, 0x18, 0x00,
    0x3E, 0xCB, 0xF1, 0x29, 0x65, 0xBD, 0x30, 0x30, 0x45, 0xB8, 0xA7, 0x63, 0x91, 0xC4, 0x31, 0x78,
    0x7F, 0xFC, 0x74, 0x5C, 0xC2, 0x74, 0x20, 0x66, 0x16, 0xD9, 0x1E, 0x81, 0xB3, 0x9B, 0xB9, 0xA2,
    0xDB, 0x4B, 0x64, 0xC4, 0xAD, 0x47, 0x83, 0x1A, 0xB0, 0x6C, 0xC4, 0x01, 0xF2, 0x16, 0x2F, 0x30,
    0xD9, 0x31, 0x6C, 0x38, 0x55, 0x7D, 0x4D, 0x96, 0xED, 0x5E, 0x76, 0xDB, 0x49, 0xB9, 0x09, 0x2D,
];

const E65537: [u8; 3] = [0x01, 0x00, 0x01];

/// The anchors the terminal trusts, shared by the card workers.
#[derive(Debug, Clone)]
pub struct KenmenTrust {
    anchors: Arc<Vec<Anchor>>,
}

impl Default for KenmenTrust {
    fn default() -> Self {
        KenmenTrust::built_in()
    }
}

impl KenmenTrust {
    /// Only the built-in J-LIS production key (`5000023`).
    pub fn built_in() -> KenmenTrust {
        KenmenTrust {
            anchors: Arc::new(vec![Anchor {
                key_id: Some(key_id(b"5000023")),
                name: "5000023/001 (J-LIS)".into(),
                key: RsaKey::new(&JLIS_5000023_MODULUS, &E65537),
                origin: AnchorOrigin::BuiltIn,
            }]),
        }
    }

    /// The built-in anchors plus every key of the PEM text `pem` (one or more
    /// `PUBLIC KEY` blocks). A configured key equal to the JPKI test CA key answers to
    /// its id `6000023`.
    pub fn with_pem(&self, pem: &str) -> Result<KenmenTrust, TrustError> {
        let keys = parse_pem_keys(pem)?;
        let mut anchors = (*self.anchors).clone();
        let first = anchors
            .iter()
            .filter(|a| a.origin == AnchorOrigin::Configured)
            .count();
        for (i, key) in keys.into_iter().enumerate() {
            let test_ca = key.n == JPKI_TEST_6000023_MODULUS;
            anchors.push(Anchor {
                key_id: test_ca.then(|| key_id(b"6000023")),
                name: if test_ca {
                    "6000023/001 (JPKI test, configured)".into()
                } else {
                    format!("configured #{}", first + i + 1)
                },
                key,
                origin: AnchorOrigin::Configured,
            });
        }
        Ok(KenmenTrust {
            anchors: Arc::new(anchors),
        })
    }

    /// The built-in anchors plus the keys of the PEM file at `path`.
    pub fn load(path: &Path) -> Result<KenmenTrust, TrustError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| TrustError::Config(format!("cannot read {}: {e}", path.display())))?;
        KenmenTrust::built_in()
            .with_pem(&text)
            .map_err(|e| TrustError::Config(format!("{}: {e}", path.display())))
    }

    /// How many anchors came from the configuration.
    pub fn configured(&self) -> usize {
        self.anchors
            .iter()
            .filter(|a| a.origin == AnchorOrigin::Configured)
            .count()
    }

    /// Every anchor.
    pub fn anchors(&self) -> &[Anchor] {
        &self.anchors
    }

    /// The anchors a certificate naming `issuer` may be checked with: the one whose
    /// id it is, else every configured key without an id.
    fn candidates<'a>(&'a self, issuer: &[u8; KEY_ID_LEN]) -> Vec<&'a Anchor> {
        let named: Vec<&Anchor> = self
            .anchors
            .iter()
            .filter(|a| a.key_id.as_ref() == Some(issuer))
            .collect();
        if !named.is_empty() {
            return named;
        }
        self.anchors.iter().filter(|a| a.key_id.is_none()).collect()
    }

    /// Checks the certificate of EF `0004` and returns the key it certifies.
    pub fn verify_certificate(&self, ef_0004: &[u8]) -> Result<CertifiedKey, TrustError> {
        let cert = CvCertificate::parse(ef_0004)?;
        let issuer = key_id_name(&cert.issuer);
        let candidates = self.candidates(&cert.issuer);
        if candidates.is_empty() {
            return Err(TrustError::UnknownIssuer(issuer));
        }
        let anchor = candidates
            .into_iter()
            .find(|a| a.key.verify_sha256(cert.body, cert.signature))
            .ok_or(TrustError::BadCertificate(issuer))?;
        Ok(CertifiedKey {
            key: cert.key,
            anchor: anchor.name.clone(),
        })
    }
}

/// A key certified by a trusted anchor.
#[derive(Debug, Clone)]
pub struct CertifiedKey {
    /// The issuing key the certificate certifies (it signs DF28).
    pub key: RsaKey,
    /// Which anchor certified it (for the log).
    pub anchor: String,
}

/// EF `0004`: `7F21 { 5F4E <body>, 5F37 <signature> }`.
struct CvCertificate<'a> {
    issuer: [u8; KEY_ID_LEN],
    key: RsaKey,
    body: &'a [u8],
    signature: &'a [u8],
}

impl<'a> CvCertificate<'a> {
    fn parse(bytes: &'a [u8]) -> Result<CvCertificate<'a>, TrustError> {
        let bad = TrustError::Malformed;
        let (outer, _) = tlv::parse_one(bytes).map_err(|_| bad("not TLV"))?;
        if outer.tag != 0x7F21 {
            return Err(bad("not a 7F21 certificate"));
        }
        let items = tlv::parse_all(outer.value).map_err(|_| bad("broken TLV"))?;
        let body = tlv::find(&items, 0x5F4E).map_err(|_| bad("no body (5F4E)"))?;
        let signature = tlv::find(&items, 0x5F37).map_err(|_| bad("no signature (5F37)"))?;
        if body.len() != CERT_BODY_LEN {
            return Err(bad("body is not 297 bytes"));
        }
        let (ids, key) = body.split_at(2 * KEY_ID_LEN);
        let mut issuer = [0u8; KEY_ID_LEN];
        issuer.copy_from_slice(&ids[..KEY_ID_LEN]);
        let parts = tlv::parse_all(key).map_err(|_| bad("broken key"))?;
        let n = tlv::find(&parts, 0x91).map_err(|_| bad("no modulus (91)"))?;
        let e = tlv::find(&parts, 0x90).map_err(|_| bad("no exponent (90)"))?;
        let key = RsaKey::new(n, e);
        if key.n.len() != 256 || key.e.is_empty() || key.e.len() > 4 {
            return Err(bad("certified key is not RSA-2048"));
        }
        Ok(CvCertificate {
            issuer,
            key,
            body,
            signature,
        })
    }
}

/// The DigestInfo DF28 signs: SHA-256's algorithm id and the three digests (96 bytes)
/// of the groups `DF22 DF23 DF24`, `DF25 DF26`, `DF27`, each over the whole TLVs.
pub fn df28_digest_info(groups: [&[u8]; 3]) -> Vec<u8> {
    let mut out = vec![
        0x30, 0x71, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01,
        0x05, 0x00, 0x04, 0x60,
    ];
    for group in groups {
        out.extend_from_slice(ring::digest::digest(&ring::digest::SHA256, group).as_ref());
    }
    out
}

// ---- PEM SubjectPublicKeyInfo ------------------------------------------------------

/// `rsaEncryption` with NULL parameters.
const RSA_ALGORITHM: [u8; 15] = [
    0x30, 0x0D, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01, 0x05, 0x00,
];

/// Every `PUBLIC KEY` block of `pem`, as RSA keys of 2048..8192 bits.
pub fn parse_pem_keys(pem: &str) -> Result<Vec<RsaKey>, TrustError> {
    let cfg = |m: &str| TrustError::Config(m.to_owned());
    let mut keys = Vec::new();
    let mut lines = pem.lines().map(str::trim);
    while let Some(line) = lines.next() {
        if !line.starts_with("-----BEGIN ") {
            continue;
        }
        if line != "-----BEGIN PUBLIC KEY-----" {
            return Err(cfg(
                "only \"PUBLIC KEY\" (SubjectPublicKeyInfo) PEM blocks are accepted",
            ));
        }
        let mut text = String::new();
        let mut ended = false;
        for line in lines.by_ref() {
            if line == "-----END PUBLIC KEY-----" {
                ended = true;
                break;
            }
            text.push_str(line);
        }
        if !ended {
            return Err(cfg("PUBLIC KEY block without its END line"));
        }
        let der = B64
            .decode(text.as_bytes())
            .map_err(|_| cfg("PUBLIC KEY block is not base64"))?;
        keys.push(parse_spki(&der).ok_or_else(|| cfg("not an RSA SubjectPublicKeyInfo"))?);
    }
    if keys.is_empty() {
        return Err(cfg("no PUBLIC KEY block"));
    }
    for key in &keys {
        if !(256..=1024).contains(&key.n.len()) {
            return Err(cfg("RSA keys must have 2048 to 8192 bits"));
        }
    }
    Ok(keys)
}

fn parse_spki(der: &[u8]) -> Option<RsaKey> {
    let (spki, rest) = tlv::parse_one(der).ok()?;
    if spki.tag != 0x30 || !rest.is_empty() {
        return None;
    }
    let parts = tlv::parse_all(spki.value).ok()?;
    let [alg, bits] = parts.as_slice() else {
        return None;
    };
    let alg_der = tlv::encode(alg.tag, alg.value);
    if alg.tag != 0x30 || alg_der != RSA_ALGORITHM || bits.tag != 0x03 {
        return None;
    }
    let (&0, pkcs1) = bits.value.split_first()? else {
        return None;
    };
    let (seq, _) = tlv::parse_one(pkcs1).ok()?;
    let ints = tlv::parse_all(seq.value).ok()?;
    match ints.as_slice() {
        [n, e] if seq.tag == 0x30 && n.tag == 0x02 && e.tag == 0x02 => {
            Some(RsaKey::new(n.value, e.value))
        }
        _ => None,
    }
}

/// DER INTEGER of an unsigned big-endian value.
fn der_uint(value: &[u8]) -> Vec<u8> {
    let mut v = strip_zeros(value);
    match v.first() {
        Some(&b) if b & 0x80 == 0 => {}
        _ => v.insert(0, 0),
    }
    tlv::encode(0x02, &v)
}

/// The PEM `PUBLIC KEY` (SubjectPublicKeyInfo) of an RSA key, as `[card] kenmen_trust`
/// reads it.
pub fn public_key_pem(key: &RsaKey) -> String {
    let mut ints = der_uint(&key.n);
    ints.extend_from_slice(&der_uint(&key.e));
    let mut bits = vec![0u8];
    bits.extend_from_slice(&tlv::encode(0x30, &ints));
    let mut body = RSA_ALGORITHM.to_vec();
    body.extend_from_slice(&tlv::encode(0x03, &bits));
    let b64 = B64.encode(tlv::encode(0x30, &body));
    let mut out = String::from("-----BEGIN PUBLIC KEY-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str("-----END PUBLIC KEY-----\n");
    out
}

#[cfg(test)]
mod tests;
