//! How a staff passcode is hashed: Argon2id (RFC 9106, memory-hard) for every new
//! entry; PBKDF2-HMAC-SHA256 entries of older stores still verify and are replaced
//! by Argon2id the next time their passcode is set or accepted.
//!
//! A passcode is only four digits, so an attacker holding the file needs at most
//! 10,000 guesses per account; what the store can do is make each guess cost time
//! and memory (`kaonin passcode bench` measures it on the machine at hand,
//! docs/security.md records the figures).

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use ring::rand::SecureRandom;
use serde::{Deserialize, Serialize};
use std::num::NonZeroU32;

/// Argon2id memory for new entries, KiB (64 MiB: RFC 9106's memory for its second
/// recommended option; docs/security.md weighs it against the time of a check).
pub const MEMORY_KIB: u32 = 64 * 1024;
/// Argon2id passes for new entries.
pub const PASSES: u32 = 1;
/// Argon2id lanes for new entries.
pub const LANES: u32 = 1;
/// Weakest Argon2id entry a store file may hold (below: the file is not trusted).
const MIN_MEMORY_KIB: u32 = 19 * 1024;
/// Weakest PBKDF2 entry a store file may hold (the old stores' own count).
pub const MIN_PBKDF2_ITERATIONS: u32 = 100_000;

const SALT_LEN: usize = 16;
const HASH_LEN: usize = 32;

/// The cost of an Argon2id entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Argon2Cost {
    /// Memory, KiB.
    pub m_kib: u32,
    /// Passes over the memory.
    pub t: u32,
    /// Lanes.
    pub p: u32,
}

impl Argon2Cost {
    /// The cost of new entries.
    pub const NEW: Argon2Cost = Argon2Cost {
        m_kib: MEMORY_KIB,
        t: PASSES,
        p: LANES,
    };
}

/// Which function made an entry's hash, and its cost.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Kdf {
    /// `"argon2id": {"m_kib":…, "t":…, "p":…}`.
    Argon2id { argon2id: Argon2Cost },
    /// `"iterations": N` (PBKDF2-HMAC-SHA256, stores written before Argon2id).
    Pbkdf2 { iterations: u32 },
}

impl Kdf {
    /// Whether an entry of this kind should be re-hashed with the current cost.
    pub fn is_outdated(&self) -> bool {
        !matches!(self, Kdf::Argon2id { argon2id } if *argon2id == Argon2Cost::NEW)
    }

    /// Whether a store file may hold an entry of this cost (a weaker one means
    /// someone other than kaonin wrote the file).
    pub fn is_acceptable(&self) -> bool {
        match self {
            Kdf::Argon2id { argon2id: c } => {
                c.m_kib >= MIN_MEMORY_KIB
                    && c.m_kib <= 1024 * 1024
                    && (1..=16).contains(&c.t)
                    && (1..=8).contains(&c.p)
            }
            Kdf::Pbkdf2 { iterations } => *iterations >= MIN_PBKDF2_ITERATIONS,
        }
    }
}

/// A salted hash of one passcode (base64 salt and hash, as stored).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hashed {
    /// The function and its cost.
    #[serde(flatten)]
    pub kdf: Kdf,
    /// Random salt, base64.
    pub salt: String,
    /// The derived 32 bytes, base64.
    pub hash: String,
}

/// Why a passcode could not be hashed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum KdfError {
    /// The system random generator failed.
    #[error("no randomness for a salt")]
    Random,
    /// Argon2 refused its parameters or could not get its memory.
    #[error("the passcode hash could not be computed (memory?)")]
    Argon2,
}

/// Hashes `secret` with a fresh salt at the current cost.
pub fn hash_new(secret: &[u8]) -> Result<Hashed, KdfError> {
    let mut salt = [0u8; SALT_LEN];
    ring::rand::SystemRandom::new()
        .fill(&mut salt)
        .map_err(|_| KdfError::Random)?;
    let mut hash = zeroize::Zeroizing::new([0u8; HASH_LEN]);
    argon2id(Argon2Cost::NEW, &salt, secret, &mut hash[..])?;
    Ok(Hashed {
        kdf: Kdf::Argon2id {
            argon2id: Argon2Cost::NEW,
        },
        salt: B64.encode(salt),
        hash: B64.encode(&hash[..]),
    })
}

fn argon2id(cost: Argon2Cost, salt: &[u8], secret: &[u8], out: &mut [u8]) -> Result<(), KdfError> {
    let params = argon2::Params::new(cost.m_kib, cost.t, cost.p, Some(out.len()))
        .map_err(|_| KdfError::Argon2)?;
    argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
        .hash_password_into(secret, salt, out)
        .map_err(|_| KdfError::Argon2)
}

/// Whether `secret` is the passcode `hashed` was made from (constant-time compare).
pub fn verify(hashed: &Hashed, secret: &[u8]) -> bool {
    let (Ok(salt), Ok(expected)) = (B64.decode(&hashed.salt), B64.decode(&hashed.hash)) else {
        return false;
    };
    match &hashed.kdf {
        Kdf::Argon2id { argon2id: cost } => {
            let mut got = zeroize::Zeroizing::new(vec![0u8; expected.len()]);
            if expected.len() != HASH_LEN || argon2id(*cost, &salt, secret, &mut got).is_err() {
                return false;
            }
            // Constant time: the XOR of every byte pair, looked at once at the end.
            got.iter()
                .zip(&expected)
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
        }
        Kdf::Pbkdf2 { iterations } => {
            let Some(iterations) = NonZeroU32::new(*iterations) else {
                return false;
            };
            ring::pbkdf2::verify(
                ring::pbkdf2::PBKDF2_HMAC_SHA256,
                iterations,
                &salt,
                secret,
                &expected,
            )
            .is_ok()
        }
    }
}

/// Whether a stored entry is well formed (salt ≥ 8 bytes, hash 32 bytes, a cost
/// kaonin would write).
pub fn is_well_formed(hashed: &Hashed) -> bool {
    hashed.kdf.is_acceptable()
        && B64.decode(&hashed.salt).is_ok_and(|s| s.len() >= 8)
        && B64.decode(&hashed.hash).is_ok_and(|h| h.len() == HASH_LEN)
}

/// A PBKDF2 entry as stores before Argon2id wrote them (tests of the upgrade).
#[doc(hidden)]
pub fn legacy_pbkdf2(secret: &[u8], iterations: u32) -> Hashed {
    let salt = [7u8; SALT_LEN];
    let mut hash = [0u8; HASH_LEN];
    let n = NonZeroU32::new(iterations.max(1)).unwrap_or(NonZeroU32::MIN);
    ring::pbkdf2::derive(
        ring::pbkdf2::PBKDF2_HMAC_SHA256,
        n,
        &salt,
        secret,
        &mut hash,
    );
    Hashed {
        kdf: Kdf::Pbkdf2 { iterations },
        salt: B64.encode(salt),
        hash: B64.encode(hash),
    }
}

/// Time for one guess at the current cost, measured over `rounds` hashes (the
/// figure `kaonin passcode bench` prints).
pub fn time_one_guess(rounds: u32) -> Result<std::time::Duration, KdfError> {
    let salt = [0x5au8; SALT_LEN];
    let mut out = [0u8; HASH_LEN];
    let rounds = rounds.max(1);
    let start = std::time::Instant::now();
    for i in 0..rounds {
        let guess = format!("{:04}", i % 10_000);
        argon2id(Argon2Cost::NEW, &salt, guess.as_bytes(), &mut out)?;
    }
    Ok(start.elapsed() / rounds)
}
