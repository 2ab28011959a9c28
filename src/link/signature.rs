//! The terminal vouches for what it sends: every identity carries
//! `terminal_signature`, the terminal's own signature over the identity's canonical
//! bytes, so the PC can tell an identity this terminal made from one forged or
//! altered anywhere between the terminal and the PC's own queue.
//!
//! **Key.** ECDSA P-256. With TLS (`tcp://`) it is the terminal's pairing key (the
//! key of the certificate the PC already pins, made by `kaonin pair`). A unix socket
//! (or loopback plain TCP) has no TLS key: the terminal makes
//! `identity-signing.key.der` (PKCS#8, mode 0600) in its state directory on first
//! start and writes the public key beside it, `identity-signing.pub` (130 hex
//! digits), to be given to the PC. A TLS key that is not P-256 (a certificate made
//! elsewhere) falls back to that state-directory key, with a warning.
//!
//! **Canonical bytes.** The identity object as sent, without its `type` and
//! `terminal_signature` members; object keys sorted by their UTF-8 bytes (at every
//! depth), no whitespace, strings and numbers written as serde_json writes them.
//! It is computed from the JSON as it is on the wire (the verifier parses the line
//! it received, drops the two members and writes the rest back), so a field the PC
//! does not know is still covered.
//!
//! **Signature.** ECDSA P-256 with SHA-256 over the canonical bytes, ASN.1 DER,
//! standard base64 with padding. docs/pc-link.md shows the verification.

use super::message::{IdentityMsg, RegistrationMsg};
use crate::ground::durable;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use ring::rand::SystemRandom;
use ring::signature::{self as sig, EcdsaKeyPair, KeyPair as _};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The state-directory signing key (unix-socket deployments).
pub const KEY_FILE: &str = "identity-signing.key.der";
/// Its public key, as 130 hex digits and a newline.
pub const PUBLIC_KEY_FILE: &str = "identity-signing.pub";
/// Bytes the signature adds to an identity line at most
/// (`,"terminal_signature":"` + base64 of a 72-byte DER signature + `"`).
pub const WIRE_ROOM: usize = 128;

/// The members of the identity object that the signature does not cover.
const UNSIGNED: [&str; 2] = ["type", "terminal_signature"];

/// The DER prefix of a P-256 SubjectPublicKeyInfo, up to the uncompressed point.
const P256_SPKI_PREFIX: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];
/// An uncompressed P-256 point: `04`, X, Y.
const POINT_LEN: usize = 65;

/// Why a key cannot be used or a signature does not check.
#[derive(Debug, thiserror::Error)]
pub enum SignatureError {
    /// Reading or writing a key file.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A key file that is not a P-256 PKCS#8 key.
    #[error("{path}: not an ECDSA P-256 PKCS#8 key; remove it to make a new one (the PC then needs the new public key)")]
    BadKey { path: PathBuf },
    /// No randomness for the key or the signature.
    #[error("no randomness for the terminal signature")]
    Random,
    /// The identity carries no `terminal_signature`.
    #[error("identity has no terminal_signature")]
    Missing,
    /// Not an identity object, or a signature that is not base64.
    #[error("malformed identity or signature")]
    Malformed,
    /// The signature does not verify with the key.
    #[error("terminal_signature does not verify")]
    DoesNotVerify,
}

/// The terminal's signing key.
pub struct TerminalSigner {
    key: EcdsaKeyPair,
    rng: SystemRandom,
    /// Where the key came from (for the start-up log line).
    path: PathBuf,
}

impl std::fmt::Debug for TerminalSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TerminalSigner")
            .field("path", &self.path)
            .field("public_key", &self.public_key_hex())
            .finish()
    }
}

impl TerminalSigner {
    /// Loads a P-256 PKCS#8 key file (the TLS pairing key, or the state-directory key).
    pub fn load(path: &Path) -> Result<TerminalSigner, SignatureError> {
        let der =
            zeroize::Zeroizing::new(std::fs::read(path).map_err(|source| SignatureError::Io {
                path: path.to_owned(),
                source,
            })?);
        let rng = SystemRandom::new();
        let key = EcdsaKeyPair::from_pkcs8(&sig::ECDSA_P256_SHA256_ASN1_SIGNING, &der, &rng)
            .map_err(|_| SignatureError::BadKey {
                path: path.to_owned(),
            })?;
        Ok(TerminalSigner {
            key,
            rng,
            path: path.to_owned(),
        })
    }

    /// The state-directory key of a deployment without TLS: loaded, or made on first
    /// start (PKCS#8, 0600) with its public key written beside it.
    pub fn load_or_create(state_dir: &Path) -> Result<TerminalSigner, SignatureError> {
        let path = state_dir.join(KEY_FILE);
        let io = |path: &Path, source| SignatureError::Io {
            path: path.to_owned(),
            source,
        };
        if !path.exists() {
            durable::create_state_dir(state_dir).map_err(|e| io(state_dir, e))?;
            let rng = SystemRandom::new();
            let pkcs8 = EcdsaKeyPair::generate_pkcs8(&sig::ECDSA_P256_SHA256_ASN1_SIGNING, &rng)
                .map_err(|_| SignatureError::Random)?;
            durable::write_atomic(state_dir, &path, pkcs8.as_ref()).map_err(|e| io(&path, e))?;
            tracing::info!(file = %path.display(), "made the terminal's identity signing key");
        }
        let signer = TerminalSigner::load(&path)?;
        let public = state_dir.join(PUBLIC_KEY_FILE);
        let text = format!("{}\n", signer.public_key_hex());
        if std::fs::read_to_string(&public).ok().as_deref() != Some(text.as_str()) {
            durable::write_atomic(state_dir, &public, text.as_bytes())
                .map_err(|e| io(&public, e))?;
        }
        Ok(signer)
    }

    /// The pairing key at `tls_key` if it is P-256, else the state-directory key.
    pub fn for_link_key(
        tls_key: &Path,
        state_dir: &Path,
    ) -> Result<TerminalSigner, SignatureError> {
        match TerminalSigner::load(tls_key) {
            Ok(signer) => Ok(signer),
            Err(SignatureError::BadKey { .. }) => {
                tracing::warn!(
                    key = %tls_key.display(),
                    "the TLS key is not ECDSA P-256; identities are signed with {KEY_FILE} instead"
                );
                TerminalSigner::load_or_create(state_dir)
            }
            Err(e) => Err(e),
        }
    }

    /// The public key: the uncompressed P-256 point (65 bytes, `04` X Y).
    pub fn public_key(&self) -> &[u8] {
        self.key.public_key().as_ref()
    }

    /// The public key as 130 lowercase hex digits.
    pub fn public_key_hex(&self) -> String {
        self.public_key()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// Where the key was loaded from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `msg` with its `terminal_signature` set (any old one replaced).
    pub fn sign(&self, mut msg: IdentityMsg) -> Result<IdentityMsg, SignatureError> {
        msg.terminal_signature = None;
        let bytes = canonical_identity(&msg)?;
        msg.terminal_signature = Some(self.signature_of(&bytes)?);
        Ok(msg)
    }

    /// The base64 signature over canonical `bytes`.
    fn signature_of(&self, bytes: &[u8]) -> Result<String, SignatureError> {
        let signature = self
            .key
            .sign(&self.rng, bytes)
            .map_err(|_| SignatureError::Random)?;
        Ok(B64.encode(signature.as_ref()))
    }

    /// Extension: signs a `registration` the same way (its canonical bytes hold
    /// `agreed`, which no identity has, so neither passes for the other).
    pub fn sign_registration(
        &self,
        mut msg: RegistrationMsg,
    ) -> Result<RegistrationMsg, SignatureError> {
        msg.terminal_signature = None;
        let wire = serde_json::to_vec(&msg).map_err(|_| SignatureError::Malformed)?;
        let value: Value = serde_json::from_slice(&wire).map_err(|_| SignatureError::Malformed)?;
        let bytes = canonical(&value)?;
        msg.terminal_signature = Some(self.signature_of(&bytes)?);
        Ok(msg)
    }
}

/// The canonical bytes of an identity message (see the module documentation),
/// computed from its wire JSON.
pub fn canonical_identity(msg: &IdentityMsg) -> Result<Vec<u8>, SignatureError> {
    let wire = serde_json::to_vec(msg).map_err(|_| SignatureError::Malformed)?;
    let value: Value = serde_json::from_slice(&wire).map_err(|_| SignatureError::Malformed)?;
    canonical(&value)
}

/// The canonical bytes of a received identity object (a parsed `identity` line).
pub fn canonical(identity: &Value) -> Result<Vec<u8>, SignatureError> {
    let object = identity.as_object().ok_or(SignatureError::Malformed)?;
    let mut out = Vec::with_capacity(512);
    write_object(
        &mut out,
        object
            .iter()
            .filter(|(k, _)| !UNSIGNED.contains(&k.as_str())),
    )?;
    Ok(out)
}

fn write_object<'a>(
    out: &mut Vec<u8>,
    members: impl Iterator<Item = (&'a String, &'a Value)>,
) -> Result<(), SignatureError> {
    let mut members: Vec<_> = members.collect();
    members.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    out.push(b'{');
    for (i, (key, value)) in members.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        serde_json::to_writer(&mut *out, key).map_err(|_| SignatureError::Malformed)?;
        out.push(b':');
        write_value(out, value)?;
    }
    out.push(b'}');
    Ok(())
}

fn write_value(out: &mut Vec<u8>, value: &Value) -> Result<(), SignatureError> {
    match value {
        Value::Object(object) => write_object(out, object.iter()),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(out, item)?;
            }
            out.push(b']');
            Ok(())
        }
        scalar => serde_json::to_writer(&mut *out, scalar).map_err(|_| SignatureError::Malformed),
    }
}

/// Checks the `terminal_signature` of a received identity object against a
/// terminal's public key (the uncompressed P-256 point).
pub fn verify(identity: &Value, public_key: &[u8]) -> Result<(), SignatureError> {
    let text = match identity.get("terminal_signature") {
        None | Some(Value::Null) => return Err(SignatureError::Missing),
        Some(Value::String(text)) => text,
        Some(_) => return Err(SignatureError::Malformed),
    };
    let signature = B64.decode(text).map_err(|_| SignatureError::Malformed)?;
    let bytes = canonical(identity)?;
    sig::UnparsedPublicKey::new(&sig::ECDSA_P256_SHA256_ASN1, public_key)
        .verify(&bytes, &signature)
        .map_err(|_| SignatureError::DoesNotVerify)
}

/// The P-256 public key of a DER certificate (e.g. `link-terminal.cert.der`), if
/// it has one.
pub fn public_key_from_certificate(der: &[u8]) -> Option<Vec<u8>> {
    let at = der
        .windows(P256_SPKI_PREFIX.len())
        .position(|w| w == P256_SPKI_PREFIX)?;
    let point = der.get(at + P256_SPKI_PREFIX.len()..)?.get(..POINT_LEN)?;
    (point.first() == Some(&0x04)).then(|| point.to_vec())
}

/// A terminal public key as given to the PC: 130 hex digits (the content of
/// `identity-signing.pub`), or the path of such a file or of a DER certificate.
pub fn parse_public_key(text: &str) -> Result<Vec<u8>, String> {
    let text = text.trim();
    if let Some(key) = from_hex(text) {
        return Ok(key);
    }
    let bytes = std::fs::read(text).map_err(|e| {
        format!("`{text}` is neither 130 hex digits nor a readable key or certificate file: {e}")
    })?;
    if let Some(key) = std::str::from_utf8(&bytes)
        .ok()
        .and_then(|t| from_hex(t.trim()))
    {
        return Ok(key);
    }
    public_key_from_certificate(&bytes)
        .ok_or_else(|| format!("{text}: no P-256 public key in this file"))
}

fn from_hex(text: &str) -> Option<Vec<u8>> {
    if text.len() != POINT_LEN * 2 || !text.starts_with("04") {
        return None;
    }
    (0..POINT_LEN)
        .map(|i| u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests;
