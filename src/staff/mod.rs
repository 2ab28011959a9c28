//! Staff passcodes for visual-check mode: hashed storage, lockout, audit log.
//!
//! Passcodes (4 digits) are stored in `staff.json` in the state directory as
//! PBKDF2-HMAC-SHA256 (ring) with a random 16-byte salt per entry and
//! [`ITERATIONS`] iterations; the file is written atomically with mode 0600. A
//! corrupt file is moved aside (`staff.json.corrupt-UNIXTIME`), reported, and the
//! store starts empty — never fatal; the PC provisions passcodes again on connect.
//!
//! Wrong passcodes are counted; after `max_attempts` in a row staff are locked out
//! for `lockout`. The count and the lockout are kept in `staff-lockout.json`, so
//! unplugging the terminal does not buy more guesses (a lockout that reaches further
//! than `lockout` into the future — a clock that jumped back — is cut to `lockout`). Every check outcome the flow
//! audits and every passcode change is appended to `audit.jsonl` (fsync, 0600):
//! account, time, what — no personal data, never a passcode.

use crate::flow::{AuditEntry, StaffCheck};
use crate::ground::civil::{now_rfc3339, unix_now};
use crate::ground::durable;
use crate::ground::quarantine::{self, Damaged};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use kaonin_hal::secret::Digits;
use ring::rand::SecureRandom;
use serde::{Deserialize, Serialize};
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// PBKDF2 iterations for new entries.
pub const ITERATIONS: u32 = 100_000;
/// Passcode length.
pub const PASSCODE_DIGITS: usize = 4;
/// File of the hashed passcodes.
pub const FILE_NAME: &str = "staff.json";
/// File of the audit log.
pub const AUDIT_FILE: &str = "audit.jsonl";
/// File of the wrong-passcode count and lockout.
pub const LOCKOUT_FILE: &str = "staff-lockout.json";

const SALT_LEN: usize = 16;
const HASH_LEN: usize = 32;
const ALG: ring::pbkdf2::Algorithm = ring::pbkdf2::PBKDF2_HMAC_SHA256;

/// A staff store failure.
#[derive(Debug, thiserror::Error)]
pub enum StaffError {
    /// Reading or writing a state file failed.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// An account name that cannot be stored.
    #[error("invalid account name (1-64 characters of A-Z a-z 0-9 . _ -)")]
    BadAccount,
    /// A passcode of the wrong shape.
    #[error("a staff passcode is exactly {PASSCODE_DIGITS} digits")]
    BadPasscode,
    /// The system random generator failed.
    #[error("no randomness for a salt")]
    Random,
}

fn io(path: &Path, source: std::io::Error) -> StaffError {
    StaffError::Io {
        path: path.into(),
        source,
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    account: String,
    iterations: u32,
    salt: String,
    hash: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct StoreFile {
    version: u32,
    entries: Vec<Entry>,
}

struct Inner {
    dir: PathBuf,
    entries: Vec<Entry>,
    lockout: Lockout,
}

/// The wrong-passcode count and the lockout end (Unix seconds), persisted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Lockout {
    failures: u32,
    locked_until: Option<u64>,
}

/// The staff passcode store. Cheap to clone; `check` is CPU-heavy (PBKDF2 per
/// account): call it from a blocking context (e.g. `spawn_blocking`).
#[derive(Clone)]
pub struct Staff {
    inner: Arc<Mutex<Inner>>,
    max_attempts: u32,
    lockout: Duration,
}

impl Staff {
    /// Opens the store in `state_dir`. A corrupt file is quarantined with a
    /// warning and the store starts empty.
    pub fn open(
        state_dir: &Path,
        max_attempts: u32,
        lockout: Duration,
    ) -> Result<Staff, StaffError> {
        std::fs::create_dir_all(state_dir).map_err(|e| io(state_dir, e))?;
        let path = state_dir.join(FILE_NAME);
        let entries = match std::fs::read(&path) {
            Ok(bytes) => match parse_store(&bytes) {
                Some(entries) => entries,
                None => {
                    set_aside(&path)?;
                    Vec::new()
                }
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(io(&path, e)),
        };
        Ok(Staff {
            inner: Arc::new(Mutex::new(Inner {
                dir: state_dir.into(),
                entries,
                lockout: load_lockout(state_dir),
            })),
            max_attempts: max_attempts.max(1),
            lockout,
        })
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Checks a passcode against every account (constant-time per entry).
    pub fn check(&self, passcode: &Digits) -> StaffCheck {
        self.check_at(passcode, unix_now())
    }

    /// [`Staff::check`] at a given time, Unix seconds (for tests of the lockout).
    #[doc(hidden)]
    pub fn check_at(&self, passcode: &Digits, now: u64) -> StaffCheck {
        let entries = {
            let mut inner = self.lock();
            if let Some(until) = inner.lockout.locked_until {
                let until = until.min(now.saturating_add(self.lockout.as_secs()));
                if now < until {
                    return StaffCheck::LockedOut;
                }
                inner.set_lockout(Lockout::default());
            }
            inner.entries.clone()
        };
        let matched = entries
            .iter()
            .find(|e| verify(e, passcode.expose()))
            .map(|e| e.account.clone());
        let mut inner = self.lock();
        match matched {
            Some(account) => {
                if inner.lockout != Lockout::default() {
                    inner.set_lockout(Lockout::default());
                }
                StaffCheck::Accepted { account }
            }
            None => {
                let failures = inner.lockout.failures + 1;
                if failures >= self.max_attempts {
                    inner.set_lockout(Lockout {
                        failures,
                        locked_until: Some(now.saturating_add(self.lockout.as_secs())),
                    });
                    tracing::warn!("too many wrong staff passcodes: staff locked out");
                    StaffCheck::LockedOut
                } else {
                    inner.set_lockout(Lockout {
                        failures,
                        locked_until: None,
                    });
                    StaffCheck::Rejected {
                        attempts_left: self.max_attempts - failures,
                    }
                }
            }
        }
    }

    /// Sets (or replaces) `account`'s passcode; audited.
    pub fn set_passcode(&self, account: &str, passcode: &Digits) -> Result<(), StaffError> {
        check_account(account)?;
        if passcode.len() != PASSCODE_DIGITS {
            return Err(StaffError::BadPasscode);
        }
        let entry = hash_entry(account, passcode.expose())?;
        let mut inner = self.lock();
        let mut entries = inner.entries.clone();
        entries.retain(|e| e.account != account);
        entries.push(entry);
        save(&inner.dir, &entries)?;
        inner.entries = entries;
        audit_line(&inner.dir, "passcode_set", Some(account), None)
    }

    /// Removes `account`'s passcode; returns whether it existed. Audited.
    pub fn revoke(&self, account: &str) -> Result<bool, StaffError> {
        let mut inner = self.lock();
        let mut entries = inner.entries.clone();
        entries.retain(|e| e.account != account);
        let existed = entries.len() != inner.entries.len();
        if existed {
            save(&inner.dir, &entries)?;
            inner.entries = entries;
        }
        let what = if existed {
            "passcode_revoked"
        } else {
            "passcode_revoke_unknown"
        };
        audit_line(&inner.dir, what, Some(account), None)?;
        Ok(existed)
    }

    /// Appends a flow audit entry.
    pub fn audit(&self, entry: &AuditEntry) -> Result<(), StaffError> {
        let dir = self.lock().dir.clone();
        let (what, account, id) = match entry {
            AuditEntry::VisualArmed { account } => ("visual_armed", Some(account.as_str()), None),
            AuditEntry::VisualConfirmed { account, id } => (
                "visual_confirmed",
                Some(account.as_str()),
                Some(id.as_str()),
            ),
            AuditEntry::StaffPasscodeRejected => ("staff_passcode_rejected", None, None),
            AuditEntry::StaffLockedOut => ("staff_locked_out", None, None),
        };
        audit_line(&dir, what, account, id)
    }

    /// The accounts that have a passcode.
    pub fn accounts(&self) -> Vec<String> {
        self.lock()
            .entries
            .iter()
            .map(|e| e.account.clone())
            .collect()
    }
}

impl Inner {
    /// Changes the lockout state and persists it (a write failure is logged: the
    /// in-memory state still applies).
    fn set_lockout(&mut self, lockout: Lockout) {
        self.lockout = lockout;
        let bytes = serde_json::to_vec(&lockout).unwrap_or_default();
        let path = self.dir.join(LOCKOUT_FILE);
        if let Err(e) = durable::write_atomic(&self.dir, &path, &bytes) {
            tracing::warn!(error = %e, "cannot persist the staff lockout state");
        }
    }
}

/// The persisted lockout state; missing or unreadable: none (logged).
fn load_lockout(dir: &Path) -> Lockout {
    let path = dir.join(LOCKOUT_FILE);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|_| {
            tracing::warn!(file = %path.display(), "staff lockout state unreadable; starting from zero");
            Lockout::default()
        }),
        Err(_) => Lockout::default(),
    }
}

fn check_account(account: &str) -> Result<(), StaffError> {
    let ok = !account.is_empty()
        && account.len() <= 64
        && account
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(StaffError::BadAccount)
    }
}

fn hash_entry(account: &str, secret: &[u8]) -> Result<Entry, StaffError> {
    let mut salt = [0u8; SALT_LEN];
    ring::rand::SystemRandom::new()
        .fill(&mut salt)
        .map_err(|_| StaffError::Random)?;
    let mut hash = [0u8; HASH_LEN];
    let iterations = NonZeroU32::new(ITERATIONS).ok_or(StaffError::Random)?;
    ring::pbkdf2::derive(ALG, iterations, &salt, secret, &mut hash);
    Ok(Entry {
        account: account.into(),
        iterations: ITERATIONS,
        salt: B64.encode(salt),
        hash: B64.encode(hash),
    })
}

fn verify(entry: &Entry, secret: &[u8]) -> bool {
    let (Ok(salt), Ok(hash), Some(iterations)) = (
        B64.decode(&entry.salt),
        B64.decode(&entry.hash),
        NonZeroU32::new(entry.iterations),
    ) else {
        return false;
    };
    ring::pbkdf2::verify(ALG, iterations, &salt, secret, &hash).is_ok()
}

/// The entries of a store file, or `None` if it is not one.
fn parse_store(bytes: &[u8]) -> Option<Vec<Entry>> {
    let file: StoreFile = serde_json::from_slice(bytes).ok()?;
    let sane = file.version == 1
        && file.entries.iter().all(|e| {
            check_account(&e.account).is_ok()
                && e.iterations >= ITERATIONS
                && B64.decode(&e.salt).is_ok_and(|s| s.len() >= 8)
                && B64.decode(&e.hash).is_ok_and(|h| h.len() == HASH_LEN)
        });
    sane.then_some(file.entries)
}

/// Moves a corrupt store file aside (`staff.json.corrupt-UNIXTIME`).
fn set_aside(path: &Path) -> Result<(), StaffError> {
    let aside = quarantine::set_aside(path, Damaged::File).map_err(|e| io(path, e.source))?;
    tracing::warn!(
        file = %aside.display(),
        "staff passcode file was corrupt; moved aside, starting with no passcodes"
    );
    Ok(())
}

fn save(dir: &Path, entries: &[Entry]) -> Result<(), StaffError> {
    let file = StoreFile {
        version: 1,
        entries: entries.to_vec(),
    };
    let mut bytes = serde_json::to_vec_pretty(&file).unwrap_or_default();
    bytes.push(b'\n');
    let path = dir.join(FILE_NAME);
    durable::write_atomic(dir, &path, &bytes).map_err(|e| io(&path, e))
}

#[derive(Serialize)]
struct AuditLine<'a> {
    at: String,
    what: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    account: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
}

fn audit_line(
    dir: &Path,
    what: &str,
    account: Option<&str>,
    id: Option<&str>,
) -> Result<(), StaffError> {
    let line = AuditLine {
        at: now_rfc3339(),
        what,
        account,
        id,
    };
    let mut bytes = serde_json::to_vec(&line).unwrap_or_default();
    bytes.push(b'\n');
    let path = dir.join(AUDIT_FILE);
    durable::append_line_durably(&path, &bytes).map_err(|e| io(&path, e))
}

#[cfg(test)]
mod tests;
