//! The staff store's files in the state directory, shared by the running daemon and
//! `kaonin passcode` (another process, perhaps another user):
//!
//! - every write is atomic (temporary file, fsync, rename) and made under an
//!   exclusive `flock` of `staff.lock`, so two writers never lose each other's change;
//! - a reader notices a change by the file's identity: every write renames a new
//!   file into place, so its inode (with size and mtime) changes, and one `stat` per
//!   check is enough to know whether to read it again;
//! - every file keeps the state directory's owner and mode 0600 whoever writes it:
//!   root's writes are handed to the directory's owner before they appear; another
//!   user is refused with a message saying whose directory it is.

use crate::ground::durable;
use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// The lock file that serialises writers.
pub const LOCK_FILE: &str = "staff.lock";

/// What identifies one version of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    dev: u64,
    ino: u64,
    size: u64,
    mtime_ns: i128,
}

/// The stamp of `path` now (`None`: no such file).
pub fn stamp(path: &Path) -> std::io::Result<Option<Stamp>> {
    match std::fs::metadata(path) {
        Ok(m) => Ok(Some(Stamp {
            dev: m.dev(),
            ino: m.ino(),
            size: m.size(),
            mtime_ns: m.mtime() as i128 * 1_000_000_000 + m.mtime_nsec() as i128,
        })),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Who owns the state directory, and whether this process may write there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Owner {
    uid: u32,
    gid: u32,
    /// This process runs as root and the directory belongs to someone else: hand
    /// every new file over.
    chown: bool,
}

/// Why this process may not write the state directory.
#[derive(Debug, thiserror::Error)]
#[error(
    "{dir} belongs to uid {owner} and this command runs as uid {me}: run it as that user \
     (e.g. `sudo -u kaonin kaonin passcode …`) or as root, so the daemon can still read \
     what it writes"
)]
pub struct NotOwner {
    dir: PathBuf,
    owner: u32,
    me: u32,
}

/// The owner of `dir`, and whether this process must hand its files over (it runs
/// as root and the directory belongs to someone else).
pub fn owner_of(dir: &Path) -> std::io::Result<Owner> {
    let m = std::fs::metadata(dir)?;
    let me = euid();
    Ok(Owner {
        uid: m.uid(),
        gid: m.gid(),
        chown: me == 0 && m.uid() != 0,
    })
}

/// Refuses a process that is neither root nor the owner of `dir`: what it wrote
/// would belong to it, and the daemon could not read it.
pub fn ensure_may_write(dir: &Path) -> Result<(), NotOwner> {
    let me = euid();
    match std::fs::metadata(dir) {
        Ok(m) if me != 0 && me != m.uid() => Err(NotOwner {
            dir: dir.into(),
            owner: m.uid(),
            me,
        }),
        _ => Ok(()),
    }
}

fn euid() -> u32 {
    rustix::process::geteuid().as_raw()
}

impl Owner {
    fn adopt(&self, file: &std::fs::File) -> std::io::Result<()> {
        if self.chown {
            std::os::unix::fs::fchown(file, Some(self.uid), Some(self.gid))?;
        }
        Ok(())
    }
}

/// An exclusive lock on the store, held until dropped.
pub struct WriteLock {
    _file: std::fs::File,
}

/// Takes the store's write lock (waits for another writer to finish).
pub fn lock(dir: &Path, owner: &Owner) -> std::io::Result<WriteLock> {
    let path = dir.join(LOCK_FILE);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(&path)?;
    owner.adopt(&file)?;
    loop {
        match rustix::fs::flock(&file, rustix::fs::FlockOperation::LockExclusive) {
            Ok(()) => return Ok(WriteLock { _file: file }),
            Err(rustix::io::Errno::INTR) => continue,
            Err(e) => return Err(e.into()),
        }
    }
}

/// Replaces `name` in `dir` with `bytes`: atomically, durably, 0600, owned by the
/// directory's owner. Hold the [`WriteLock`].
pub fn write(dir: &Path, name: &str, bytes: &[u8], owner: &Owner) -> std::io::Result<()> {
    durable::write_atomic_with(dir, &dir.join(name), bytes, |f| owner.adopt(f))
}

/// Appends `line` to `name` in `dir` (created 0600, owned by the directory's
/// owner) and fsyncs it.
pub fn append(dir: &Path, name: &str, line: &[u8], owner: &Owner) -> std::io::Result<()> {
    let mut f = durable::open_append(&dir.join(name))?;
    owner.adopt(&f)?;
    f.write_all(line)?;
    f.sync_data()
}
