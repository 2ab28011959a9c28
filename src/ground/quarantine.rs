//! Setting a corrupt state file aside instead of failing: the whole file is renamed
//! to `<file name>.corrupt-<unix time>` (the figures, the staff passcodes), or the
//! damaged bytes cut out of it are kept in `<file stem>.quarantine-<unix time>`
//! (the outbox, which keeps its intact records). Either way in the same directory,
//! mode 0600, and the directory is fsynced. Reporting it is the caller's job.

use super::civil::unix_now;
use super::durable::{open_append, sync_dir};
use std::io::Write;
use std::path::{Path, PathBuf};

/// What of a state file is set aside.
#[derive(Debug, Clone, Copy)]
pub enum Damaged<'a> {
    /// The whole file: it is renamed to `<file name>.corrupt-<unix time>`.
    File,
    /// Bytes cut out of it: they are appended to `<file stem>.quarantine-<unix
    /// time>` (the file itself is left to the caller to rewrite).
    Bytes(&'a [u8]),
}

/// Setting aside failed; `aside` is where it was going.
#[derive(Debug, thiserror::Error)]
#[error("{}: {source}", aside.display())]
pub struct QuarantineError {
    /// The name the file or bytes were to get.
    pub aside: PathBuf,
    /// The I/O error.
    #[source]
    pub source: std::io::Error,
}

/// Sets `damaged` of the state file `path` aside, now; returns where it went.
pub fn set_aside(path: &Path, damaged: Damaged<'_>) -> Result<PathBuf, QuarantineError> {
    set_aside_at(path, damaged, unix_now())
}

/// [`set_aside`] stamped with `now` (Unix seconds).
pub fn set_aside_at(
    path: &Path,
    damaged: Damaged<'_>,
    now: u64,
) -> Result<PathBuf, QuarantineError> {
    let aside = aside_path(path, damaged, now);
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let moved = match damaged {
        Damaged::File => std::fs::rename(path, &aside),
        Damaged::Bytes(bytes) => open_append(&aside).and_then(|mut f| {
            f.write_all(bytes)?;
            f.sync_all()
        }),
    };
    match moved.and_then(|()| sync_dir(dir)) {
        Ok(()) => Ok(aside),
        Err(source) => Err(QuarantineError { aside, source }),
    }
}

/// The name `damaged` of `path` gets when set aside at `now`.
pub fn aside_path(path: &Path, damaged: Damaged<'_>, now: u64) -> PathBuf {
    let name = match damaged {
        Damaged::File => path.file_name(),
        Damaged::Bytes(_) => path.file_stem(),
    };
    let name = name.map_or_else(|| "state".into(), |n| n.to_string_lossy());
    let tag = match damaged {
        Damaged::File => "corrupt",
        Damaged::Bytes(_) => "quarantine",
    };
    path.with_file_name(format!("{name}.{tag}-{now}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn names_as_the_state_files_have_them() {
        let dir = Path::new("/var/lib/kaonin");
        assert_eq!(
            aside_path(&dir.join("stats.json"), Damaged::File, 7),
            dir.join("stats.json.corrupt-7")
        );
        assert_eq!(
            aside_path(&dir.join("staff.json"), Damaged::File, 7),
            dir.join("staff.json.corrupt-7")
        );
        assert_eq!(
            aside_path(&dir.join("outbox.jsonl"), Damaged::Bytes(b""), 7),
            dir.join("outbox.quarantine-7")
        );
    }

    #[test]
    fn a_corrupt_file_is_renamed_aside() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("staff.json");
        std::fs::write(&path, b"{").unwrap();
        let aside = set_aside_at(&path, Damaged::File, 42).unwrap();
        assert_eq!(aside, dir.path().join("staff.json.corrupt-42"));
        assert!(!path.exists());
        assert_eq!(std::fs::read(&aside).unwrap(), b"{");
    }

    #[test]
    fn damaged_bytes_are_kept_privately() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("outbox.jsonl");
        std::fs::write(&path, b"good\n").unwrap();
        let aside = set_aside_at(&path, Damaged::Bytes(b"bad\n"), 42).unwrap();
        assert_eq!(aside, dir.path().join("outbox.quarantine-42"));
        assert_eq!(std::fs::read(&aside).unwrap(), b"bad\n");
        assert_eq!(std::fs::read(&path).unwrap(), b"good\n");
        let mode = std::fs::metadata(&aside).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn a_file_that_cannot_move_says_where_it_was_going() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("stats.json");
        let err = set_aside_at(&path, Damaged::File, 1).unwrap_err();
        assert_eq!(err.aside, dir.path().join("stats.json.corrupt-1"));
        assert_eq!(err.source.kind(), std::io::ErrorKind::NotFound);
    }
}
