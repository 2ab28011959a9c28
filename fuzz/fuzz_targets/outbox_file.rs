//! The outbox (`outbox.jsonl`): checksummed JSON lines of identities (and
//! registrations, 利用登録) waiting for the PC, and ack tombstones. Damaged bytes are quarantined, intact records kept.
//!
//! Input: lines; a line whose first byte is odd gets a valid checksum in front of
//! the rest (so the fuzzer reaches the JSON behind the checksum), others are
//! written as they are.
#![no_main]

use kaonin::link::message::AckFor;
use kaonin::link::outbox::{Outbox, FILE_NAME};
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
        base.join(format!("kaonin-fuzz-outbox-{}", std::process::id()))
    })
}

/// The outbox's line checksum: the first 8 bytes of SHA-256, in hex.
fn check(json: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, json);
    digest.as_ref()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let mut file = Vec::new();
    for line in data.split_inclusive(|&b| b == b'\n') {
        match line.split_first() {
            Some((&first, rest)) if first & 1 == 1 => {
                let json = rest.strip_suffix(b"\n").unwrap_or(rest);
                file.extend_from_slice(check(json).as_bytes());
                file.push(b' ');
                file.extend_from_slice(json);
                file.push(b'\n');
            }
            _ => file.extend_from_slice(line),
        }
    }
    let dir = dir();
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).expect("state dir");
    std::fs::write(dir.join(FILE_NAME), &file).expect("write outbox");
    let (outbox, report) = Outbox::open(dir).expect("damage is quarantined, not fatal");
    assert_eq!(report.kept, outbox.len());
    let kept: Vec<(AckFor, String)> = outbox
        .pending_after(None)
        .into_iter()
        .map(|(_, r)| (r.kind(), r.id().to_owned()))
        .collect();
    drop(outbox);
    // After quarantine and rewrite the file is clean: the same records, nothing set aside.
    let (again, report) = Outbox::open(dir).expect("reopen");
    assert_eq!(
        report.quarantined_bytes, 0,
        "the rewritten outbox is damaged"
    );
    let kept_again: Vec<(AckFor, String)> = again
        .pending_after(None)
        .into_iter()
        .map(|(_, r)| (r.kind(), r.id().to_owned()))
        .collect();
    assert_eq!(kept, kept_again);
});
