//! The durable outbox: identity records that must reach the PC.
//!
//! File `outbox.jsonl` in the state directory, mode 0600. One record a line:
//! `CHECK JSON\n`, where CHECK is the first 16 hex digits of SHA-256(JSON). A record
//! is appended and fsynced before [`Outbox::push`] returns. An ack appends a
//! tombstone line `CHECK {"acked":"ID"}`; when the outbox empties, or tombstones
//! outnumber live records, the file is compacted by rewriting it atomically (write a
//! temporary file, fsync, rename, fsync the directory), so a crash at any instant
//! leaves either the old or the new file and the cost stays linear in the backlog.
//! A lost tombstone only means one more (deduplicated) delivery. A failed append
//! (full disk) is rolled back by truncating to the previous length, so nothing
//! half-written stays behind.
//!
//! On open, lines whose check fails (a torn write, scribbled bytes) are moved to a
//! quarantine file `outbox.quarantine-UNIXTIME` and reported in [`OpenReport`]; the
//! intact records are kept in order.
//!
//! Extension (利用登録): a record may also be a `registration`
//! (`{"stored":…,"registration":{…}}`) with the same id as the identity it follows.
//! Records are keyed by (kind, id): an identity ack (`{"acked":"ID"}`, as before)
//! never removes a registration, and a registration's ack is written
//! `{"acked":"ID","for":"registration"}`. Files of earlier versions (identities
//! and plain tombstones only) read unchanged.

use super::message::{AckFor, IdentityMsg, RegistrationMsg};
use crate::ground::civil::unix_now;
use crate::ground::durable::{self, open_append};
use crate::ground::quarantine::{self, Damaged};
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

/// File name of the outbox inside the state directory.
pub const FILE_NAME: &str = "outbox.jsonl";

/// Tombstones tolerated before a compaction even with few live records.
const COMPACT_AFTER: usize = 64;

/// The most of an outbox file read at open (far above any real backlog).
const MAX_FILE: u64 = 1 << 30;

/// An outbox failure.
#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    /// The disk is full: the record was not stored (and nothing half-written).
    #[error("outbox {path}: disk full, record not stored")]
    DiskFull { path: PathBuf },
    /// Any other I/O failure.
    #[error("outbox {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The outbox task is gone (shutting down).
    #[error("the link is shut down")]
    Closed,
    /// The identity would not fit in one protocol line (64 KiB); the PC could
    /// never accept it, so it is refused here instead of clogging the outbox.
    #[error("identity of {bytes} bytes exceeds the 64 KiB line limit")]
    TooLarge { bytes: usize },
}

impl OutboxError {
    fn io(path: &Path, source: std::io::Error) -> Self {
        // ENOSPC or EDQUOT.
        if matches!(source.raw_os_error(), Some(28) | Some(122)) {
            OutboxError::DiskFull { path: path.into() }
        } else {
            OutboxError::Io {
                path: path.into(),
                source,
            }
        }
    }
}

/// One stored record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// When it was stored, seconds since the Unix epoch (for the stale flag).
    pub stored: u64,
    /// The identity as it goes on the wire (without `stale`).
    pub identity: IdentityMsg,
}

/// Extension: one stored registration (利用登録).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegistrationRecord {
    /// When it was stored, seconds since the Unix epoch (for the stale flag).
    pub stored: u64,
    /// The registration as it goes on the wire (without `stale`).
    pub registration: RegistrationMsg,
}

/// A record waiting for its ack: an identity or a registration.
#[derive(Debug, Clone, PartialEq)]
pub enum Pending {
    /// An identity (acked without `for`, or `"for":"identity"`).
    Identity(Record),
    /// A registration (acked with `"for":"registration"`).
    Registration(RegistrationRecord),
}

impl Pending {
    /// The id (an identity's, or the identity id a registration is for).
    pub fn id(&self) -> &str {
        match self {
            Pending::Identity(r) => &r.identity.id,
            Pending::Registration(r) => &r.registration.id,
        }
    }

    /// Which ack removes it.
    pub fn kind(&self) -> AckFor {
        match self {
            Pending::Identity(_) => AckFor::Identity,
            Pending::Registration(_) => AckFor::Registration,
        }
    }

    fn is(&self, kind: AckFor, id: &str) -> bool {
        self.kind() == kind && self.id() == id
    }

    fn entry(&self) -> Entry {
        match self {
            Pending::Identity(r) => Entry::Record(r.clone()),
            Pending::Registration(r) => Entry::Registration(r.clone()),
        }
    }
}

/// What opening the outbox found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OpenReport {
    /// Intact records kept.
    pub kept: usize,
    /// Bytes that failed their check and were moved aside.
    pub quarantined_bytes: usize,
    /// Where they went.
    pub quarantine_file: Option<PathBuf>,
}

/// The outbox: a file plus its records in memory, shared by clones.
#[derive(Clone)]
pub struct Outbox {
    inner: Arc<Mutex<Inner>>,
}

struct Inner {
    dir: PathBuf,
    path: PathBuf,
    file: File,
    /// (sequence number, record), oldest first.
    records: Vec<(u64, Pending)>,
    next_seq: u64,
    /// Ack lines in the file since the last compaction.
    tombstones: usize,
    /// Test hook: the next append writes only this many bytes, then fails like a
    /// full disk.
    #[cfg(test)]
    fail_after: Option<usize>,
}

impl Inner {
    /// Writes one whole line (and fsyncs it if `sync`), or nothing: a failed write
    /// is cut back to the previous end of file.
    fn append(&mut self, line: &[u8], sync: bool) -> Result<(), OutboxError> {
        let before = self
            .file
            .metadata()
            .map_err(|e| OutboxError::io(&self.path, e))?
            .len();
        let written =
            self.write_line(line)
                .and_then(|()| if sync { self.file.sync_data() } else { Ok(()) });
        if let Err(e) = written {
            let _ = self.file.set_len(before);
            let _ = self.file.sync_all();
            return Err(OutboxError::io(&self.path, e));
        }
        Ok(())
    }

    fn write_line(&mut self, line: &[u8]) -> std::io::Result<()> {
        #[cfg(test)]
        if let Some(n) = self.fail_after.take() {
            self.file.write_all(line.get(..n).unwrap_or(line))?;
            return Err(std::io::Error::from_raw_os_error(28));
        }
        self.file.write_all(line)
    }

    /// Rewrites the file with the live records only.
    fn compact(&mut self) -> std::io::Result<()> {
        let records: Vec<Pending> = self.records.iter().map(|(_, r)| r.clone()).collect();
        rewrite(&self.dir, &self.path, &records)?;
        self.file = open_append(&self.path)?;
        self.tombstones = 0;
        Ok(())
    }
}

/// One line of the outbox file.
#[derive(Debug, Serialize, Deserialize)]
#[serde(untagged)]
enum Entry {
    Record(Record),
    Registration(RegistrationRecord),
    Acked {
        acked: String,
        /// Absent for an identity (the only kind before 利用登録).
        #[serde(rename = "for", default, skip_serializing_if = "Option::is_none")]
        of: Option<AckFor>,
    },
}

impl Outbox {
    /// Opens (or creates) the outbox in `state_dir`, keeping intact records and
    /// quarantining damaged bytes.
    pub fn open(state_dir: &Path) -> Result<(Outbox, OpenReport), OutboxError> {
        let path = state_dir.join(FILE_NAME);
        std::fs::create_dir_all(state_dir).map_err(|e| OutboxError::io(state_dir, e))?;
        let bytes = read_all(&path)?;
        let (records, bad, tombstones) = scan(&bytes);
        let mut report = OpenReport {
            kept: records.len(),
            ..OpenReport::default()
        };
        if !bad.is_empty() {
            let qpath = quarantine::set_aside(&path, Damaged::Bytes(&bad))
                .map_err(|e| OutboxError::io(&e.aside, e.source))?;
            rewrite(state_dir, &path, &records).map_err(|e| OutboxError::io(&path, e))?;
            tracing::warn!(
                bytes = bad.len(),
                file = %qpath.display(),
                kept = records.len(),
                "outbox had damaged bytes; moved them aside and kept the intact records"
            );
            report.quarantined_bytes = bad.len();
            report.quarantine_file = Some(qpath);
        } else if tombstones > 0 {
            rewrite(state_dir, &path, &records).map_err(|e| OutboxError::io(&path, e))?;
        }
        let file = open_append(&path).map_err(|e| OutboxError::io(&path, e))?;
        let records: Vec<(u64, Pending)> =
            records.into_iter().zip(0..).map(|(r, s)| (s, r)).collect();
        let next_seq = records.len() as u64;
        let outbox = Outbox {
            inner: Arc::new(Mutex::new(Inner {
                dir: state_dir.into(),
                path,
                file,
                records,
                next_seq,
                tombstones: 0,
                #[cfg(test)]
                fail_after: None,
            })),
        };
        Ok((outbox, report))
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Appends a record and fsyncs it; returns its sequence number. Blocking.
    pub fn push(&self, identity: IdentityMsg) -> Result<u64, OutboxError> {
        self.push_stored_at(identity, unix_now())
    }

    /// [`Outbox::push`] with a given storage time (tests of the stale flag).
    #[doc(hidden)]
    pub fn push_stored_at(&self, identity: IdentityMsg, stored: u64) -> Result<u64, OutboxError> {
        let wire = super::message::to_line(&super::message::ReaderMsg::Identity(IdentityMsg {
            stale: true,
            ..identity.clone()
        }));
        // Room for the terminal signature added when it is sent.
        if wire.len() + super::signature::WIRE_ROOM > super::framing::MAX_LINE {
            return Err(OutboxError::TooLarge { bytes: wire.len() });
        }
        self.push_pending(Pending::Identity(Record { stored, identity }))
    }

    /// Extension: appends a registration and fsyncs it; returns its sequence
    /// number. Blocking. Its id is the identity's: it is keyed apart by kind.
    pub fn push_registration(&self, registration: RegistrationMsg) -> Result<u64, OutboxError> {
        self.push_registration_stored_at(registration, unix_now())
    }

    /// [`Outbox::push_registration`] with a given storage time (tests).
    #[doc(hidden)]
    pub fn push_registration_stored_at(
        &self,
        registration: RegistrationMsg,
        stored: u64,
    ) -> Result<u64, OutboxError> {
        let wire = super::message::to_line(&registration);
        if wire.len() + super::signature::WIRE_ROOM > super::framing::MAX_LINE {
            return Err(OutboxError::TooLarge { bytes: wire.len() });
        }
        self.push_pending(Pending::Registration(RegistrationRecord {
            stored,
            registration,
        }))
    }

    fn push_pending(&self, record: Pending) -> Result<u64, OutboxError> {
        let line = encode(&record.entry());
        let mut inner = self.lock();
        inner.append(&line, true)?;
        let seq = inner.next_seq;
        inner.next_seq += 1;
        inner.records.push((seq, record));
        Ok(seq)
    }

    /// Removes the identity record(s) with `id` (acked). Returns whether any was
    /// there. A registration with the same id stays.
    pub fn remove(&self, id: &str) -> bool {
        self.remove_for(AckFor::Identity, id)
    }

    /// Removes the record(s) of `kind` with `id` (acked). Returns whether any was
    /// there. Failures to write the tombstone or compact are only logged: the
    /// record then comes back after a restart and is delivered once more, which the
    /// PC's dedup absorbs.
    pub fn remove_for(&self, kind: AckFor, id: &str) -> bool {
        let mut inner = self.lock();
        let before = inner.records.len();
        inner.records.retain(|(_, r)| !r.is(kind, id));
        if inner.records.len() == before {
            return false;
        }
        let live = inner.records.len();
        let result = if live == 0 || inner.tombstones + 1 > live.max(COMPACT_AFTER) {
            inner.compact().map_err(|e| OutboxError::io(&inner.path, e))
        } else {
            // An identity's tombstone is written as before (no `for`), so an
            // earlier version reads it.
            let of = (kind == AckFor::Registration).then_some(kind);
            let line = encode(&Entry::Acked {
                acked: id.into(),
                of,
            });
            inner.append(&line, false).map(|()| inner.tombstones += 1)
        };
        if let Err(e) = result {
            tracing::warn!(error = %e, "outbox: could not record an ack; the record may be re-sent");
        }
        true
    }

    /// Records with a sequence number above `after` (all with `None`), oldest first.
    pub fn pending_after(&self, after: Option<u64>) -> Vec<(u64, Pending)> {
        self.lock()
            .records
            .iter()
            .filter(|(s, _)| match after {
                None => true,
                Some(a) => *s > a,
            })
            .cloned()
            .collect()
    }

    /// Number of records waiting for their ack.
    pub fn len(&self) -> usize {
        self.lock().records.len()
    }

    /// True if nothing waits.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// `CHECK JSON\n` for a file line.
fn encode<T: Serialize>(entry: &T) -> Vec<u8> {
    let json = serde_json::to_vec(entry).unwrap_or_default();
    let mut line = check(&json).into_bytes();
    line.push(b' ');
    line.extend_from_slice(&json);
    line.push(b'\n');
    line
}

fn check(json: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, json);
    digest
        .as_ref()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Splits file bytes into the live records (acks applied), damaged bytes and the
/// number of ack lines.
fn scan(bytes: &[u8]) -> (Vec<Pending>, Vec<u8>, usize) {
    let mut records: Vec<Pending> = Vec::new();
    let mut bad = Vec::new();
    let mut tombstones = 0;
    for chunk in bytes.split_inclusive(|&b| b == b'\n') {
        match decode(chunk) {
            Some(Entry::Record(r)) => records.push(Pending::Identity(r)),
            Some(Entry::Registration(r)) => records.push(Pending::Registration(r)),
            Some(Entry::Acked { acked, of }) => {
                let kind = of.unwrap_or_default();
                records.retain(|r| !r.is(kind, &acked));
                tombstones += 1;
            }
            None => bad.extend_from_slice(chunk),
        }
    }
    (records, bad, tombstones)
}

fn decode(chunk: &[u8]) -> Option<Entry> {
    let line = chunk.strip_suffix(b"\n")?;
    let (sum, json) = (line.get(..16)?, line.get(17..)?);
    if line.get(16) != Some(&b' ') || sum != check(json).as_bytes() {
        return None;
    }
    serde_json::from_slice(json).ok()
}

fn read_all(path: &Path) -> Result<Vec<u8>, OutboxError> {
    let mut bytes = Vec::new();
    match File::open(path) {
        Ok(f) => {
            let meta = f.metadata().map_err(|e| OutboxError::io(path, e))?;
            if !meta.is_file() {
                let e = std::io::Error::other("not a regular file");
                return Err(OutboxError::io(path, e));
            }
            f.take(MAX_FILE)
                .read_to_end(&mut bytes)
                .map_err(|e| OutboxError::io(path, e))?
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
        Err(e) => return Err(OutboxError::io(path, e)),
    };
    Ok(bytes)
}

/// Replaces `path` with `records` atomically: temp file, fsync, rename, fsync dir.
fn rewrite(dir: &Path, path: &Path, records: &[Pending]) -> std::io::Result<()> {
    let bytes: Vec<u8> = records.iter().flat_map(|r| encode(&r.entry())).collect();
    durable::write_atomic(dir, path, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::{Consent, ConsentMode, Method};

    pub(crate) fn msg(id: &str) -> IdentityMsg {
        IdentityMsg {
            id: id.into(),
            at: "2026-11-25T21:00:00Z".into(),
            terminal_id: "t".into(),
            method: Method::Face,
            certificate: "MA==".into(),
            card_signature: None,
            face_score: Some(0.9),
            staff_account: None,
            consent: Consent::all(),
            consent_mode: ConsentMode::All,
            kenmen: None,
            prescription: None,
            stale: false,
            terminal_signature: None,
        }
    }

    fn ids(o: &Outbox) -> Vec<String> {
        o.pending_after(None)
            .into_iter()
            .map(|(_, r)| r.id().to_owned())
            .collect()
    }

    fn kinds(o: &Outbox) -> Vec<(AckFor, String)> {
        o.pending_after(None)
            .into_iter()
            .map(|(_, r)| (r.kind(), r.id().to_owned()))
            .collect()
    }

    fn registration(id: &str) -> RegistrationMsg {
        RegistrationMsg::new(id, "t", "2026-11-25T21:00:05Z".into())
    }

    #[test]
    fn a_registration_with_its_identitys_id_is_keyed_apart() {
        let dir = tempfile::tempdir().unwrap();
        let (o, _) = Outbox::open(dir.path()).unwrap();
        o.push(msg("a")).unwrap();
        o.push_registration(registration("a")).unwrap();
        o.push(msg("b")).unwrap();
        assert_eq!(o.len(), 3, "not dropped as a duplicate");
        // The identity's ack leaves the registration.
        assert!(o.remove("a"));
        assert!(!o.remove("a"));
        assert_eq!(
            kinds(&o),
            [
                (AckFor::Registration, "a".to_owned()),
                (AckFor::Identity, "b".to_owned())
            ]
        );
        // An ack for a registration that is not there removes nothing else.
        assert!(!o.remove_for(AckFor::Registration, "b"));
        drop(o);
        // The tombstone kinds survive a reopen (with another live record, no
        // compaction yet: the file holds both tombstone forms).
        let (o, report) = Outbox::open(dir.path()).unwrap();
        assert_eq!(report.kept, 2);
        assert_eq!(
            kinds(&o),
            [
                (AckFor::Registration, "a".to_owned()),
                (AckFor::Identity, "b".to_owned())
            ]
        );
        assert!(o.remove_for(AckFor::Registration, "a"));
        assert_eq!(kinds(&o), [(AckFor::Identity, "b".to_owned())]);
        drop(o);
        let (o, _) = Outbox::open(dir.path()).unwrap();
        assert_eq!(kinds(&o), [(AckFor::Identity, "b".to_owned())]);
    }

    #[test]
    fn registrations_round_trip_through_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let (o, _) = Outbox::open(dir.path()).unwrap();
        o.push_registration_stored_at(registration("r"), 1_700_000_000)
            .unwrap();
        drop(o);
        let (o, report) = Outbox::open(dir.path()).unwrap();
        assert_eq!(report.quarantined_bytes, 0);
        let pending = o.pending_after(None);
        assert_eq!(
            pending[0].1,
            Pending::Registration(RegistrationRecord {
                stored: 1_700_000_000,
                registration: registration("r"),
            })
        );
        // The line on disk: CHECK {"stored":…,"registration":{…}}.
        let text = std::fs::read_to_string(dir.path().join(FILE_NAME)).unwrap();
        let json: serde_json::Value = serde_json::from_str(&text[17..]).unwrap();
        assert_eq!(json["registration"]["agreed"], true);
        assert_eq!(json["registration"]["id"], "r");
    }

    #[test]
    fn a_file_of_the_previous_version_still_loads() {
        // Written by kaonin before 利用登録: identities and plain tombstones.
        let dir = tempfile::tempdir().unwrap();
        let mut bytes = Vec::new();
        for (i, id) in ["old-1", "old-2", "old-3"].iter().enumerate() {
            let json = format!(
                r#"{{"stored":{},"identity":{{"id":"{id}","at":"2026-11-25T21:00:00Z","terminal_id":"t","method":"face","certificate":"MA==","face_score":0.9,"consent":{{"medication":true,"medical_history":true,"surgery":true,"health_checkup":true}},"consent_mode":"all"}}}}"#,
                1_700_000_000 + i
            );
            bytes.extend(check(json.as_bytes()).into_bytes());
            bytes.push(b' ');
            bytes.extend(json.into_bytes());
            bytes.push(b'\n');
        }
        let ack = r#"{"acked":"old-2"}"#;
        bytes.extend(format!("{} {ack}\n", check(ack.as_bytes())).into_bytes());
        std::fs::write(dir.path().join(FILE_NAME), &bytes).unwrap();
        let (o, report) = Outbox::open(dir.path()).unwrap();
        assert_eq!(report.quarantined_bytes, 0);
        assert_eq!(report.kept, 2);
        assert_eq!(ids(&o), ["old-1", "old-3"]);
        let Pending::Identity(first) = &o.pending_after(None)[0].1 else {
            panic!("an identity");
        };
        assert_eq!(first.identity.face_score, Some(0.9));
        assert_eq!(first.stored, 1_700_000_000);
    }

    #[test]
    fn an_identity_tombstone_is_written_as_before() {
        let dir = tempfile::tempdir().unwrap();
        let (o, _) = Outbox::open(dir.path()).unwrap();
        o.push(msg("a")).unwrap();
        o.push(msg("b")).unwrap();
        o.push_registration(registration("b")).unwrap();
        assert!(o.remove("a"));
        assert!(o.remove_for(AckFor::Registration, "b"));
        let text = std::fs::read_to_string(dir.path().join(FILE_NAME)).unwrap();
        let tombstones: Vec<&str> = text
            .lines()
            .filter(|l| l.contains("acked"))
            .map(|l| &l[17..])
            .collect();
        assert_eq!(
            tombstones,
            [r#"{"acked":"a"}"#, r#"{"acked":"b","for":"registration"}"#]
        );
    }

    #[test]
    fn records_survive_reopen_in_order_and_removal_is_durable() {
        let dir = tempfile::tempdir().unwrap();
        let (o, report) = Outbox::open(dir.path()).unwrap();
        assert_eq!(report, OpenReport::default());
        for id in ["a", "b", "c"] {
            o.push(msg(id)).unwrap();
        }
        assert!(o.remove("b"));
        assert!(!o.remove("b"));
        o.push(msg("d")).unwrap();
        drop(o);
        let (o, report) = Outbox::open(dir.path()).unwrap();
        assert_eq!(report.kept, 3);
        assert_eq!(ids(&o), ["a", "c", "d"]);
    }

    #[test]
    fn acks_are_tombstones_until_compaction_and_survive_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let (o, _) = Outbox::open(dir.path()).unwrap();
        let n = COMPACT_AFTER * 3;
        for i in 0..n {
            o.push(msg(&format!("r{i}"))).unwrap();
        }
        let size = |d: &Path| std::fs::metadata(d.join(FILE_NAME)).unwrap().len();
        let full = size(dir.path());
        // Acking a few appends small tombstones; the file grows a little.
        for i in 0..10 {
            assert!(o.remove(&format!("r{i}")));
        }
        assert_eq!(o.lock().tombstones, 10);
        assert!(size(dir.path()) > full);
        drop(o);
        let (o, report) = Outbox::open(dir.path()).unwrap();
        assert_eq!(report.kept, n - 10);
        assert_eq!(report.quarantined_bytes, 0);
        assert!(size(dir.path()) < full, "reopen compacts");
        // Acking everything ends with an empty file.
        for i in 10..n {
            assert!(o.remove(&format!("r{i}")));
            assert!(o.lock().tombstones <= (n - i).max(COMPACT_AFTER));
        }
        assert_eq!(size(dir.path()), 0);
    }

    #[test]
    fn files_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let (o, _) = Outbox::open(dir.path()).unwrap();
        o.push(msg("a")).unwrap();
        o.push(msg("b")).unwrap();
        o.remove("a");
        let mode = std::fs::metadata(dir.path().join(FILE_NAME))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn a_full_disk_leaves_nothing_half_written() {
        let dir = tempfile::tempdir().unwrap();
        let (o, _) = Outbox::open(dir.path()).unwrap();
        o.push(msg("a")).unwrap();
        let size = std::fs::metadata(dir.path().join(FILE_NAME)).unwrap().len();
        o.lock().fail_after = Some(40);
        let e = o.push(msg("b")).unwrap_err();
        assert!(matches!(e, OutboxError::DiskFull { .. }), "{e}");
        assert!(e.to_string().contains("disk full"));
        assert_eq!(
            std::fs::metadata(dir.path().join(FILE_NAME)).unwrap().len(),
            size
        );
        assert_eq!(ids(&o), ["a"]);
        // The next record is whole, and a reopen finds no damage.
        o.push(msg("c")).unwrap();
        drop(o);
        let (o, report) = Outbox::open(dir.path()).unwrap();
        assert_eq!(report.quarantined_bytes, 0);
        assert_eq!(ids(&o), ["a", "c"]);
    }

    #[test]
    fn an_identity_too_long_for_one_line_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (o, _) = Outbox::open(dir.path()).unwrap();
        let mut big = msg("big");
        big.certificate = "A".repeat(crate::link::framing::MAX_LINE);
        assert!(matches!(o.push(big), Err(OutboxError::TooLarge { .. })));
        assert!(o.is_empty());
        assert_eq!(
            std::fs::metadata(dir.path().join(FILE_NAME)).unwrap().len(),
            0
        );
    }

    #[test]
    fn pending_after_gives_only_newer_records() {
        let dir = tempfile::tempdir().unwrap();
        let (o, _) = Outbox::open(dir.path()).unwrap();
        let a = o.push(msg("a")).unwrap();
        o.push(msg("b")).unwrap();
        let after: Vec<_> = o
            .pending_after(Some(a))
            .into_iter()
            .map(|(_, r)| r.id().to_owned())
            .collect();
        assert_eq!(after, ["b"]);
    }
}
