//! The operations figures file (`stats.json`), read as `kaonin stats` and the daemon
//! read it, then rendered as the table, Prometheus text and JSON.
#![no_main]

use kaonin::stats::{Stats, FILE_NAME};
use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;
use std::sync::OnceLock;

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
        base.join(format!("kaonin-fuzz-stats-{}", std::process::id()))
    })
}

fuzz_target!(|data: &[u8]| {
    let dir = dir();
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).expect("state dir");
    std::fs::write(dir.join(FILE_NAME), data).expect("write stats file");
    match Stats::open_read_only(dir) {
        Ok(stats) => {
            let _ = stats.render_table();
            let _ = stats.render_prometheus();
            let _ = stats.to_json();
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
    // The daemon's way: a corrupt file is quarantined, and the next start is clean.
    let stats = Stats::open(dir).expect("an unusable file is quarantined, not fatal");
    let _ = stats.to_json();
    drop(stats);
    let again = Stats::open(dir).expect("reopen");
    assert!(again.quarantined().is_none(), "a file quarantined twice");
});
