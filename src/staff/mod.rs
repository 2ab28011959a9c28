//! Staff passcodes for visual-check mode: hashed storage, lock-out, audit log.
//!
//! Passcodes (4 digits) are stored in `staff.json` in the state directory: the
//! store has one random salt and an Argon2id cost, a passcode becomes a key through
//! Argon2id, and each account keeps HMAC-SHA256 of its name under its passcode's key
//! ([`kdf`]) — one Argon2id per check, whatever the number of accounts. Older PBKDF2
//! entries still verify and are re-keyed when next set or accepted. At most
//! [`MAX_ACCOUNTS`] accounts, names printable and at most [`MAX_ACCOUNT_BYTES`]
//! bytes ([`account`]).
//!
//! The daemon and `kaonin passcode` share the file ([`file`]): every write is atomic
//! and serialised by a lock file, keeps the state directory's owner and mode 0600,
//! and the daemon `stat`s the file before every check and re-reads it when it was
//! replaced, so a passcode revoked on the command line is refused at the very next
//! try, without a restart. A corrupt file is moved aside
//! (`staff.json.corrupt-UNIXTIME`), reported, and the store is empty — never fatal.
//!
//! Wrong passcodes lock staff out on an escalating ladder ([`lockout`]), kept in
//! `staff-lockout.json` across restarts. Every check outcome the flow audits and
//! every passcode change is appended to `audit.jsonl` (fsync, 0600; at
//! [`AUDIT_MAX_BYTES`] it moves to `audit.jsonl.1`): account, time, what — no
//! personal data, never a passcode.

pub mod account;
pub mod file;
pub mod kdf;
pub mod lockout;

pub use account::{AccountError, MAX_ACCOUNTS, MAX_ACCOUNT_BYTES};
pub use lockout::LockoutPolicy;

use crate::flow::{AuditEntry, StaffCheck};
use crate::ground::civil::{now_rfc3339, unix_now};
use crate::ground::quarantine::{self, Damaged};
use file::Stamp;
use kaonin_hal::secret::Digits;
use kdf::{Hashed, StoreKey};
use lockout::{LockoutState, Miss};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// Passcode length.
pub const PASSCODE_DIGITS: usize = 4;
/// File of the hashed passcodes.
pub const FILE_NAME: &str = "staff.json";
/// File of the audit log.
pub const AUDIT_FILE: &str = "audit.jsonl";
/// File of the wrong-passcode count and lock-out.
pub const LOCKOUT_FILE: &str = "staff-lockout.json";
/// The audit log moves to `audit.jsonl.1` (replacing it) beyond this size.
pub const AUDIT_MAX_BYTES: u64 = 4 * 1024 * 1024;
/// The store file's format version written now (1: PBKDF2 entries, still read).
const VERSION: u32 = 3;

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
    #[error("invalid account name: {0}")]
    BadAccount(#[from] AccountError),
    /// The store is full.
    #[error("the store already holds {MAX_ACCOUNTS} accounts: revoke one first")]
    TooManyAccounts,
    /// A passcode of the wrong shape.
    #[error("a staff passcode is exactly {PASSCODE_DIGITS} digits")]
    BadPasscode,
    /// Hashing failed (no randomness, no memory).
    #[error("{0}")]
    Kdf(#[from] kdf::KdfError),
}

fn io(path: &Path, source: std::io::Error) -> StaffError {
    StaffError::Io {
        path: path.into(),
        source,
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Entry {
    account: String,
    #[serde(flatten)]
    hash: EntryHash,
}

/// How one account's passcode is kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
enum EntryHash {
    /// `"mac"`: HMAC of the account name under the passcode's store key.
    Keyed { mac: String },
    /// A hash of its own (PBKDF2 of older stores): verified alone, re-keyed when
    /// next accepted or set.
    Own(Hashed),
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct StoreFile {
    version: u32,
    /// The store's salt and cost (absent in older stores until a passcode is set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    key: Option<StoreKey>,
    entries: Vec<Entry>,
}

struct Inner {
    dir: PathBuf,
    key: Option<StoreKey>,
    entries: Vec<Entry>,
    /// The version of `staff.json` that `entries` came from.
    stamp: Option<Stamp>,
    lockout: LockoutState,
}

/// The staff passcode store. Cheap to clone; `check` is CPU- and memory-heavy
/// (Argon2id per account): call it from a blocking context (e.g. `spawn_blocking`).
#[derive(Clone)]
pub struct Staff {
    inner: Arc<Mutex<Inner>>,
    policy: LockoutPolicy,
}

impl Staff {
    /// Opens the store in `state_dir` with a fixed lock-out of `lockout` after
    /// `max_attempts` misses.
    pub fn open(
        state_dir: &Path,
        max_attempts: u32,
        lockout: Duration,
    ) -> Result<Staff, StaffError> {
        Self::open_with(state_dir, LockoutPolicy::new(max_attempts, vec![lockout]))
    }

    /// Opens the store in `state_dir` with the lock-out `policy`. A corrupt file is
    /// quarantined with a warning and the store starts empty.
    pub fn open_with(state_dir: &Path, policy: LockoutPolicy) -> Result<Staff, StaffError> {
        crate::ground::durable::create_state_dir(state_dir).map_err(|e| io(state_dir, e))?;
        let mut inner = Inner {
            dir: state_dir.into(),
            key: None,
            entries: Vec::new(),
            stamp: None,
            lockout: load_lockout(state_dir),
        };
        inner.refresh();
        Ok(Staff {
            inner: Arc::new(Mutex::new(inner)),
            policy,
        })
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Checks a passcode against every account (one Argon2id, then a
    /// constant-time MAC comparison per account).
    pub fn check(&self, passcode: &Digits) -> StaffCheck {
        self.check_at(passcode, unix_now())
    }

    /// Checks a passcode against `account` only (one hash, not one per account).
    pub fn check_account(&self, account: &str, passcode: &Digits) -> StaffCheck {
        self.check_inner(Some(account), passcode, unix_now())
    }

    /// [`Staff::check`] at a given time, Unix seconds (for tests of the lock-out).
    #[doc(hidden)]
    pub fn check_at(&self, passcode: &Digits, now: u64) -> StaffCheck {
        self.check_inner(None, passcode, now)
    }

    fn check_inner(&self, only: Option<&str>, passcode: &Digits, now: u64) -> StaffCheck {
        let (key, entries) = {
            let mut inner = self.lock();
            let before = inner.lockout;
            let remaining = inner.lockout.remaining(&self.policy, now);
            if inner.lockout != before {
                inner.save_lockout();
            }
            if let Some(retry_after_s) = remaining {
                return StaffCheck::LockedOut { retry_after_s };
            }
            inner.refresh();
            (inner.key.clone(), inner.entries.clone())
        };
        let candidates: Vec<&Entry> = entries
            .iter()
            .filter(|e| only.map_or(true, |a| a == e.account))
            .collect();
        let derived = match &key {
            Some(k)
                if candidates
                    .iter()
                    .any(|e| matches!(e.hash, EntryHash::Keyed { .. })) =>
            {
                k.derive(passcode.expose()).ok()
            }
            _ => None,
        };
        let matched = candidates
            .into_iter()
            .find(|e| match &e.hash {
                EntryHash::Keyed { mac } => {
                    derived.as_ref().is_some_and(|d| d.verify(&e.account, mac))
                }
                EntryHash::Own(hashed) => kdf::verify(hashed, passcode.expose()),
            })
            .cloned();
        let mut inner = self.lock();
        match matched {
            Some(entry) => {
                if inner.lockout != LockoutState::default() {
                    inner.lockout = LockoutState::default();
                    inner.save_lockout();
                }
                drop(inner);
                if let EntryHash::Own(_) = entry.hash {
                    self.upgrade(&entry, passcode);
                }
                StaffCheck::Accepted {
                    account: entry.account,
                }
            }
            None => {
                let miss = inner.lockout.miss(&self.policy, now);
                inner.save_lockout();
                match miss {
                    Miss::TriesLeft(attempts_left) => StaffCheck::Rejected { attempts_left },
                    Miss::LockedFor(retry_after_s) => {
                        tracing::warn!(
                            seconds = retry_after_s,
                            "too many wrong staff passcodes: staff locked out"
                        );
                        StaffCheck::LockedOut { retry_after_s }
                    }
                }
            }
        }
    }

    /// Re-keys an accepted entry of an older kind (failures only logged).
    fn upgrade(&self, entry: &Entry, passcode: &Digits) {
        let result = self.modify(|key, entries| {
            // Only if nobody changed it meanwhile.
            if let Some(e) = entries.iter_mut().find(|e| e == &entry) {
                e.hash = keyed(key, &entry.account, passcode)?;
            }
            Ok(())
        });
        match result {
            Ok(()) => {
                tracing::info!(account = %entry.account, "staff passcode re-hashed with Argon2id")
            }
            Err(e) => tracing::warn!(error = %e, "staff passcode could not be re-hashed"),
        }
    }

    /// Reads the newest file under the write lock, lets `change` edit the store key
    /// and the entries, and writes them back.
    fn modify<T>(
        &self,
        change: impl FnOnce(&mut Option<StoreKey>, &mut Vec<Entry>) -> Result<T, StaffError>,
    ) -> Result<T, StaffError> {
        let dir = self.lock().dir.clone();
        let owner = file::owner_of(&dir).map_err(|e| io(&dir, e))?;
        let _guard = file::lock(&dir, &owner).map_err(|e| io(&dir.join(file::LOCK_FILE), e))?;
        let mut inner = self.lock();
        inner.refresh();
        let mut key = inner.key.clone();
        let mut entries = inner.entries.clone();
        let out = change(&mut key, &mut entries)?;
        let file = StoreFile {
            version: VERSION,
            key,
            entries,
        };
        let mut bytes = serde_json::to_vec_pretty(&file).unwrap_or_default();
        bytes.push(b'\n');
        file::write(&dir, FILE_NAME, &bytes, &owner).map_err(|e| io(&dir.join(FILE_NAME), e))?;
        inner.key = file.key;
        inner.entries = file.entries;
        inner.stamp = file::stamp(&dir.join(FILE_NAME)).ok().flatten();
        Ok(out)
    }

    /// Sets (or replaces) `account`'s passcode; audited.
    pub fn set_passcode(&self, account: &str, passcode: &Digits) -> Result<(), StaffError> {
        account::validate(account)?;
        if passcode.len() != PASSCODE_DIGITS {
            return Err(StaffError::BadPasscode);
        }
        self.modify(|key, entries| {
            let exists = entries.iter().any(|e| e.account == account);
            if !exists && entries.len() >= MAX_ACCOUNTS {
                return Err(StaffError::TooManyAccounts);
            }
            let hash = keyed(key, account, passcode)?;
            match entries.iter_mut().find(|e| e.account == account) {
                Some(e) => e.hash = hash,
                None => entries.push(Entry {
                    account: account.into(),
                    hash,
                }),
            }
            Ok(())
        })?;
        self.audit_line("passcode_set", Some(account), None)
    }

    /// Removes `account`'s passcode; returns whether it existed. Audited.
    pub fn revoke(&self, account: &str) -> Result<bool, StaffError> {
        account::validate_up_to(account, account::MAX_STORED_BYTES)?;
        let existed = self.modify(|_, entries| {
            let before = entries.len();
            entries.retain(|e| e.account != account);
            Ok(entries.len() != before)
        })?;
        let what = if existed {
            "passcode_revoked"
        } else {
            "passcode_revoke_unknown"
        };
        self.audit_line(what, Some(account), None)?;
        Ok(existed)
    }

    /// Appends a flow audit entry.
    pub fn audit(&self, entry: &AuditEntry) -> Result<(), StaffError> {
        let (what, account, id) = match entry {
            AuditEntry::VisualArmed { account } => ("visual_armed", Some(account.as_str()), None),
            AuditEntry::VisualArmedByPc { account } => {
                ("visual_armed_by_pc", Some(account.as_str()), None)
            }
            AuditEntry::VisualDisarmedByPc { account } => {
                ("visual_disarmed_by_pc", Some(account.as_str()), None)
            }
            AuditEntry::VisualConfirmed { account, id } => (
                "visual_confirmed",
                Some(account.as_str()),
                Some(id.as_str()),
            ),
            AuditEntry::VisualRefused { account, id } => {
                ("visual_refused", Some(account.as_str()), Some(id.as_str()))
            }
            AuditEntry::StaffPasscodeRejected => ("staff_passcode_rejected", None, None),
            AuditEntry::StaffLockedOut => ("staff_locked_out", None, None),
            AuditEntry::RegistrationOffered { id } => {
                ("registration_offered", None, Some(id.as_str()))
            }
            AuditEntry::RegistrationAccepted { id } => {
                ("registration_accepted", None, Some(id.as_str()))
            }
            AuditEntry::RegistrationDeclined { id } => {
                ("registration_declined", None, Some(id.as_str()))
            }
        };
        self.audit_line(what, account, id)
    }

    /// The accounts that have a passcode (the file as it is now).
    pub fn accounts(&self) -> Vec<String> {
        let mut inner = self.lock();
        inner.refresh();
        inner.entries.iter().map(|e| e.account.clone()).collect()
    }

    /// Seconds until staff may try a passcode again, if they are locked out now.
    pub fn locked_out_for(&self) -> Option<u64> {
        let mut inner = self.lock();
        inner.lockout = load_lockout(&inner.dir);
        let mut state = inner.lockout;
        state.remaining(&self.policy, unix_now())
    }

    /// Wrong passcodes staff may still type before the next lock-out (0 while
    /// locked out), for the staff passcode screen.
    pub fn attempts_left(&self) -> u32 {
        let mut inner = self.lock();
        inner.lockout = load_lockout(&inner.dir);
        let mut state = inner.lockout;
        if state.remaining(&self.policy, unix_now()).is_some() {
            return 0;
        }
        self.policy.max_attempts.saturating_sub(state.failures)
    }

    fn audit_line(
        &self,
        what: &str,
        account: Option<&str>,
        id: Option<&str>,
    ) -> Result<(), StaffError> {
        let dir = self.lock().dir.clone();
        let line = AuditLine {
            at: now_rfc3339(),
            what,
            account,
            id,
        };
        let mut bytes = serde_json::to_vec(&line).unwrap_or_default();
        bytes.push(b'\n');
        let path = dir.join(AUDIT_FILE);
        if std::fs::metadata(&path).is_ok_and(|m| m.len() > AUDIT_MAX_BYTES) {
            // A rename is atomic: a line appended meanwhile lands in `.1`, not lost.
            let _ = std::fs::rename(&path, dir.join(format!("{AUDIT_FILE}.1")));
        }
        let owner = file::owner_of(&dir).map_err(|e| io(&dir, e))?;
        file::append(&dir, AUDIT_FILE, &bytes, &owner).map_err(|e| io(&path, e))
    }
}

/// `account`'s keyed entry for `passcode` (the store key made first if the store
/// has none yet).
fn keyed(
    key: &mut Option<StoreKey>,
    account: &str,
    passcode: &Digits,
) -> Result<EntryHash, StaffError> {
    if key.is_none() {
        *key = Some(StoreKey::new()?);
    }
    let store_key = key.as_ref().ok_or(StaffError::Kdf(kdf::KdfError::Random))?;
    let derived = store_key.derive(passcode.expose())?;
    Ok(EntryHash::Keyed {
        mac: derived.mac(account),
    })
}

impl Inner {
    /// Re-reads `staff.json` if it was replaced since it was last read. Unreadable:
    /// no passcode is accepted until it can be read again (a revoke must never be
    /// undone by an error); corrupt: quarantined, the store is empty.
    fn refresh(&mut self) {
        let path = self.dir.join(FILE_NAME);
        let now = match file::stamp(&path) {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(error = %e, file = %path.display(), "staff passcodes unreadable: none accepted");
                self.entries.clear();
                self.stamp = None;
                return;
            }
        };
        if now.is_some() && now == self.stamp {
            return;
        }
        self.stamp = now;
        self.entries.clear();
        self.key = None;
        if now.is_none() {
            return;
        }
        match std::fs::read(&path) {
            Ok(bytes) => match parse_store(&bytes) {
                Some((key, entries)) => {
                    self.key = key;
                    self.entries = entries;
                }
                None => {
                    self.stamp = None;
                    if let Err(e) = set_aside(&path) {
                        tracing::error!(error = %e, "corrupt staff passcode file could not be moved aside");
                    }
                }
            },
            Err(e) => {
                self.stamp = None;
                tracing::error!(error = %e, file = %path.display(), "staff passcodes unreadable: none accepted");
            }
        }
    }

    /// Persists the lock-out state (a failure is logged: the in-memory state still
    /// applies).
    fn save_lockout(&self) {
        let bytes = serde_json::to_vec(&self.lockout).unwrap_or_default();
        let result = file::owner_of(&self.dir)
            .and_then(|owner| file::write(&self.dir, LOCKOUT_FILE, &bytes, &owner));
        if let Err(e) = result {
            tracing::warn!(error = %e, "cannot persist the staff lock-out state");
        }
    }
}

/// The persisted lock-out state; missing or unreadable: none (logged).
fn load_lockout(dir: &Path) -> LockoutState {
    let path = dir.join(LOCKOUT_FILE);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|_| {
            tracing::warn!(file = %path.display(), "staff lock-out state unreadable; starting from zero");
            LockoutState::default()
        }),
        Err(_) => LockoutState::default(),
    }
}

/// The store key and entries of a store file, or `None` if it is not one (bad
/// JSON, an unknown version, more than [`MAX_ACCOUNTS`] entries, a bad name, a
/// duplicate, a weak or malformed hash, a MAC without a store key).
fn parse_store(bytes: &[u8]) -> Option<(Option<StoreKey>, Vec<Entry>)> {
    let file: StoreFile = serde_json::from_slice(bytes).ok()?;
    let mut names = std::collections::HashSet::new();
    let key_ok = file.key.as_ref().map_or(true, StoreKey::is_acceptable);
    let sane = matches!(file.version, 1..=VERSION)
        && key_ok
        && file.entries.len() <= MAX_ACCOUNTS
        && file.entries.iter().all(|e| {
            account::validate_up_to(&e.account, account::MAX_STORED_BYTES).is_ok()
                && names.insert(e.account.as_str())
                && match &e.hash {
                    EntryHash::Keyed { mac } => file.key.is_some() && kdf::is_mac(mac),
                    EntryHash::Own(hashed) => kdf::is_well_formed(hashed),
                }
        });
    sane.then_some((file.key, file.entries))
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

#[derive(Serialize)]
struct AuditLine<'a> {
    at: String,
    what: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    account: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
}

#[cfg(test)]
mod tests;
