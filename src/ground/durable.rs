//! Durable state files: the atomic durable write (temporary file, fsync, rename,
//! fsync of the directory), the durable append of a line, the state directory, and
//! owner-only permissions. Every state file is created mode 0600.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// Replaces `path` (inside `dir`) with `bytes` atomically and durably: write a
/// temporary file `.NAME.tmp` (0600), fsync it, rename it over `path`, fsync `dir`.
/// A crash at any instant leaves either the old or the new content; a failed write
/// leaves no temporary file behind.
pub fn write_atomic(dir: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_atomic_with(dir, path, bytes, |_| Ok(()))
}

/// [`write_atomic`], with `prepare` run on the temporary file before anything is
/// written to it (e.g. handing it to another owner).
pub fn write_atomic_with(
    dir: &Path,
    path: &Path,
    bytes: &[u8],
    prepare: impl FnOnce(&File) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "state".into());
    let tmp = dir.join(format!(".{name}.tmp"));
    let result = (|| {
        let mut f = OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)?;
        prepare(&f)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        sync_dir(dir)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// fsyncs a directory so a rename or a new file in it is durable.
pub fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Opens `path` for appending, creating it mode 0600.
pub fn open_append(path: &Path) -> std::io::Result<File> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)
}

/// Appends `line` to `path` (created 0600) and fsyncs it.
pub fn append_line_durably(path: &Path, line: &[u8]) -> std::io::Result<()> {
    let mut f = open_append(path)?;
    f.write_all(line)?;
    f.sync_data()
}

/// Creates the state directory (and its parents) owner-only (0700); an existing
/// directory is left as it is.
pub fn create_state_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

/// Makes `path` readable and writable by its owner only (0600).
pub fn set_owner_only(path: &Path) -> std::io::Result<()> {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn atomic_write_replaces_privately_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        write_atomic(dir.path(), &path, b"one").unwrap();
        write_atomic(dir.path(), &path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        assert_eq!(mode(&path), 0o600);
        assert!(!dir.path().join(".state.json.tmp").exists());
    }

    #[test]
    fn a_failed_atomic_write_leaves_the_old_content() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        write_atomic(dir.path(), &path, b"old").unwrap();
        // The temporary file goes in a directory that does not exist.
        let missing = dir.path().join("missing");
        assert!(write_atomic(&missing, &path, b"new").is_err());
        assert_eq!(std::fs::read(&path).unwrap(), b"old");
    }

    #[test]
    fn appended_lines_accumulate_privately() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.jsonl");
        append_line_durably(&path, b"a\n").unwrap();
        append_line_durably(&path, b"b\n").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"a\nb\n");
        assert_eq!(mode(&path), 0o600);
    }

    #[test]
    fn state_dir_and_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("a/b");
        create_state_dir(&state).unwrap();
        assert_eq!(mode(&state), 0o700);
        create_state_dir(&state).unwrap();
        let file = state.join("f");
        std::fs::write(&file, b"x").unwrap();
        set_owner_only(&file).unwrap();
        assert_eq!(mode(&file), 0o600);
    }
}
