//! How a staff passcode is hashed: Argon2id (RFC 9106, memory-hard) with one salt
//! per store turns a passcode into a key ([`StoreKey`]), and each account stores
//! HMAC-SHA256 of its name under that key, so a check costs one Argon2id however
//! many accounts there are. PBKDF2-HMAC-SHA256 entries of older stores (and
//! per-entry Argon2id [`Hashed`] ones) still verify, and are replaced the next time
//! their passcode is set or accepted.
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
/// Weakest Argon2id memory a store file may name (below: the file is not trusted).
const MIN_MEMORY_KIB: u32 = 19 * 1024;
/// Weakest PBKDF2 entry a store file may hold (the old stores' own count).
pub const MIN_PBKDF2_ITERATIONS: u32 = 100_000;
/// Costliest PBKDF2 entry a store file may hold: kaonin wrote 100,000; a file asking
/// for far more would make every check at the counter hang (about a second per
/// million on the board), so it is not trusted.
pub const MAX_PBKDF2_ITERATIONS: u32 = 1_000_000;
/// Most Argon2id memory a store file may name, KiB (256 MiB: the board must keep
/// its camera, models and screens beside one check).
const MAX_MEMORY_KIB: u32 = 256 * 1024;

const SALT_LEN: usize = 16;
const HASH_LEN: usize = 32;

/// An Argon2id cost.
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
    /// The cost of new stores.
    pub const NEW: Argon2Cost = Argon2Cost {
        m_kib: MEMORY_KIB,
        t: PASSES,
        p: LANES,
    };

    /// Whether a store file may hold this cost (a weaker one means someone other
    /// than kaonin wrote the file; a huge one would exhaust the terminal).
    pub fn is_acceptable(&self) -> bool {
        self.m_kib >= MIN_MEMORY_KIB
            && self.m_kib <= MAX_MEMORY_KIB
            && (1..=16).contains(&self.t)
            && (1..=8).contains(&self.p)
    }
}

/// A PBKDF2-HMAC-SHA256 hash of one passcode, as stores before Argon2id kept them
/// (base64 salt and hash). Still verified; re-keyed when next accepted or set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hashed {
    /// PBKDF2 iterations.
    pub iterations: u32,
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

fn argon2id(cost: Argon2Cost, salt: &[u8], secret: &[u8], out: &mut [u8]) -> Result<(), KdfError> {
    let params = argon2::Params::new(cost.m_kib, cost.t, cost.p, Some(out.len()))
        .map_err(|_| KdfError::Argon2)?;
    argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
        .hash_password_into(secret, salt, out)
        .map_err(|_| KdfError::Argon2)
}

/// Whether `secret` is the passcode `hashed` was made from (PBKDF2's own
/// constant-time comparison).
pub fn verify(hashed: &Hashed, secret: &[u8]) -> bool {
    let (Ok(salt), Ok(expected), Some(iterations)) = (
        B64.decode(&hashed.salt),
        B64.decode(&hashed.hash),
        NonZeroU32::new(hashed.iterations),
    ) else {
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

/// Whether a stored PBKDF2 entry is well formed and as strong as kaonin wrote them
/// (salt ≥ 8 bytes, hash 32 bytes, 100,000 to 1,000,000 iterations).
pub fn is_well_formed(hashed: &Hashed) -> bool {
    (MIN_PBKDF2_ITERATIONS..=MAX_PBKDF2_ITERATIONS).contains(&hashed.iterations)
        && B64.decode(&hashed.salt).is_ok_and(|s| s.len() >= 8)
        && B64.decode(&hashed.hash).is_ok_and(|h| h.len() == HASH_LEN)
}

/// The store's own key derivation: one Argon2id salt and cost for the whole store.
/// A check derives one key from the typed passcode ([`StoreKey::derive`]) and
/// compares it with every account's MAC, so a check costs one Argon2id whatever the
/// number of accounts — and each offline guess costs the same one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreKey {
    /// The cost.
    pub argon2id: Argon2Cost,
    /// Random salt of this store, base64.
    pub salt: String,
}

/// A key derived from one passcode (wiped on drop).
pub struct PasscodeKey(zeroize::Zeroizing<[u8; HASH_LEN]>);

impl StoreKey {
    /// A fresh store key at the current cost.
    pub fn new() -> Result<StoreKey, KdfError> {
        let mut salt = [0u8; SALT_LEN];
        ring::rand::SystemRandom::new()
            .fill(&mut salt)
            .map_err(|_| KdfError::Random)?;
        Ok(StoreKey {
            argon2id: Argon2Cost::NEW,
            salt: B64.encode(salt),
        })
    }

    /// Whether a store file may hold this key (a cost kaonin would write).
    pub fn is_acceptable(&self) -> bool {
        self.argon2id.is_acceptable() && B64.decode(&self.salt).is_ok_and(|s| s.len() >= 8)
    }

    /// The key of `secret` (one Argon2id).
    pub fn derive(&self, secret: &[u8]) -> Result<PasscodeKey, KdfError> {
        let salt = B64.decode(&self.salt).map_err(|_| KdfError::Argon2)?;
        let mut key = zeroize::Zeroizing::new([0u8; HASH_LEN]);
        argon2id(self.argon2id, &salt, secret, &mut key[..])?;
        Ok(PasscodeKey(key))
    }
}

impl PasscodeKey {
    fn hmac(&self) -> ring::hmac::Key {
        ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &self.0[..])
    }

    /// The MAC stored for `account` (base64): HMAC-SHA256 under this key over the
    /// account name, so two accounts with the same passcode store different values.
    pub fn mac(&self, account: &str) -> String {
        B64.encode(ring::hmac::sign(&self.hmac(), &mac_input(account)).as_ref())
    }

    /// Whether `mac` is `account`'s MAC under this key (constant-time).
    pub fn verify(&self, account: &str, mac: &str) -> bool {
        B64.decode(mac)
            .is_ok_and(|m| ring::hmac::verify(&self.hmac(), &mac_input(account), &m).is_ok())
    }
}

fn mac_input(account: &str) -> Vec<u8> {
    let mut input = b"kaonin staff passcode\0".to_vec();
    input.extend_from_slice(account.as_bytes());
    input
}

/// Whether a stored MAC is well formed (32 bytes of base64).
pub fn is_mac(mac: &str) -> bool {
    B64.decode(mac).is_ok_and(|m| m.len() == HASH_LEN)
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
        iterations,
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
