//! The outbox on disk: truncated and scribbled files keep their intact records and
//! quarantine the damaged bytes; the link then delivers what was kept.

use kaonin::flow::{Consent, ConsentMode, Method};
use kaonin::link::message::IdentityMsg;
use kaonin::link::outbox::{Outbox, FILE_NAME};
use std::path::Path;

fn msg(id: &str) -> IdentityMsg {
    IdentityMsg {
        id: id.into(),
        at: "2026-11-25T21:00:00Z".into(),
        terminal_id: "reception-1".into(),
        method: Method::Visual,
        certificate: "MAMCAQA=".into(),
        card_signature: None,
        face_score: None,
        staff_account: Some("staff-01".into()),
        consent: Consent::all(),
        consent_mode: ConsentMode::Individual,
        stale: false,
    }
}

fn fill(dir: &Path, ids: &[&str]) -> Vec<u8> {
    let (o, _) = Outbox::open(dir).unwrap();
    for id in ids {
        o.push(msg(id)).unwrap();
    }
    std::fs::read(dir.join(FILE_NAME)).unwrap()
}

fn ids(o: &Outbox) -> Vec<String> {
    o.pending_after(None)
        .into_iter()
        .map(|(_, r)| r.identity.id)
        .collect()
}

#[test]
fn a_truncated_tail_keeps_the_whole_records() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = fill(dir.path(), &["a", "b", "c"]);
    let cut = bytes.len() - 25;
    std::fs::write(dir.path().join(FILE_NAME), &bytes[..cut]).unwrap();
    let (o, report) = Outbox::open(dir.path()).unwrap();
    assert_eq!(ids(&o), ["a", "b"]);
    assert_eq!(report.kept, 2);
    let q = report.quarantine_file.expect("quarantine file");
    let start = bytes[..cut].iter().rposition(|&b| b == b'\n').unwrap() + 1;
    assert_eq!(std::fs::read(&q).unwrap(), &bytes[start..cut]);
    assert_eq!(report.quarantined_bytes, cut - start);
    // The outbox file itself is clean now: a second open reports nothing.
    drop(o);
    let (o, report) = Outbox::open(dir.path()).unwrap();
    assert_eq!(report.quarantined_bytes, 0);
    assert_eq!(ids(&o), ["a", "b"]);
}

const GARBAGE: &[u8] = b"\x00\xff garbage \x13\n";

#[test]
fn scribbled_bytes_in_the_middle_lose_only_that_record() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = fill(dir.path(), &["a", "b", "c", "d"]);
    let lines: Vec<usize> = bytes
        .iter()
        .enumerate()
        .filter(|(_, &b)| b == b'\n')
        .map(|(i, _)| i)
        .collect();
    // Flip a byte inside record "b" (keeps the JSON valid-looking but breaks its check).
    let inside_b = lines[0] + 40;
    bytes[inside_b] ^= 0x01;
    // And scribble binary garbage (with a newline) between c and d.
    let mut scribbled = bytes[..=lines[2]].to_vec();
    scribbled.extend_from_slice(GARBAGE);
    scribbled.extend_from_slice(&bytes[lines[2] + 1..]);
    std::fs::write(dir.path().join(FILE_NAME), &scribbled).unwrap();
    let (o, report) = Outbox::open(dir.path()).unwrap();
    assert_eq!(ids(&o), ["a", "c", "d"]);
    let quarantined = std::fs::read(report.quarantine_file.unwrap()).unwrap();
    assert_eq!(quarantined.len(), report.quarantined_bytes);
    assert!(quarantined.ends_with(GARBAGE));
    assert_eq!(quarantined.len(), (lines[1] - lines[0]) + GARBAGE.len());
}

#[test]
fn a_file_of_pure_garbage_opens_empty_and_keeps_the_bytes() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path()).unwrap();
    std::fs::write(dir.path().join(FILE_NAME), b"\xde\xad\xbe\xef").unwrap();
    let (o, report) = Outbox::open(dir.path()).unwrap();
    assert!(o.is_empty());
    assert_eq!(
        std::fs::read(report.quarantine_file.unwrap()).unwrap(),
        b"\xde\xad\xbe\xef"
    );
    // Still usable.
    o.push(msg("x")).unwrap();
    drop(o);
    assert_eq!(ids(&Outbox::open(dir.path()).unwrap().0), ["x"]);
}

#[test]
fn an_outbox_that_is_not_a_regular_file_is_a_clear_error() {
    // /dev/zero reads for ever: opening must refuse it rather than hang.
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink("/dev/zero", dir.path().join(FILE_NAME)).unwrap();
    let e = Outbox::open(dir.path()).err().expect("must refuse");
    assert!(e.to_string().contains("not a regular file"), "{e}");
}
