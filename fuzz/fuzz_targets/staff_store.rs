//! The staff passcode store (`staff.json`) and its lockout state
//! (`staff-lockout.json`), opened as the daemon opens them.
//!
//! Input: the store's bytes, a NUL, the lockout file's bytes.
#![no_main]

use kaonin::staff::{Staff, FILE_NAME, LOCKOUT_FILE};
use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

/// A private directory for this process (on tmpfs when there is one).
fn dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let base = std::path::Path::new("/dev/shm");
        let base = if base.is_dir() {
            base.to_owned()
        } else {
            std::env::temp_dir()
        };
        base.join(format!("kaonin-fuzz-staff-{}", std::process::id()))
    })
}

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(2, |&b| b == 0);
    let store = parts.next().unwrap_or_default();
    let lockout = parts.next();
    let dir = dir();
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).expect("state dir");
    std::fs::write(dir.join(FILE_NAME), store).expect("write store");
    if let Some(lockout) = lockout {
        std::fs::write(dir.join(LOCKOUT_FILE), lockout).expect("write lockout");
    }
    let staff = Staff::open(dir, 5, Duration::from_secs(60)).expect("a corrupt store is set aside");
    let accounts = staff.accounts();
    drop(staff);
    // Whatever was kept opens again the same.
    let again = Staff::open(dir, 5, Duration::from_secs(60)).expect("reopen");
    assert_eq!(again.accounts(), accounts);
});
