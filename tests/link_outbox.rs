//! The outbox on disk: truncated and scribbled files keep their intact records and
//! quarantine the damaged bytes; the link then delivers what was kept.

// Uses the simulators (cargo feature `sim`, on by default).
#![cfg(feature = "sim")]

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
        kenmen: None,
        prescription: None,
        stale: false,
        terminal_signature: None,
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
        .map(|(_, r)| r.id().to_owned())
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

mod through_the_link {
    use super::*;
    use kaonin::flow::Event;
    use kaonin::link::transport::Endpoint;
    use kaonin::link::{spawn_with, ClientOptions, StatusSnapshot};
    use kaonin::sim::pc::{PcOptions, PcOutput, PcServer};
    use kaonin::staff::Staff;
    use std::time::Duration;
    use tokio::sync::{mpsc, watch};

    /// The terminal starts on a damaged outbox, reports the damage, and delivers
    /// the intact records; a record older than `stale_after` goes out flagged.
    #[tokio::test]
    async fn the_link_starts_on_a_damaged_outbox_and_delivers_what_was_kept() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state");
        {
            let (o, _) = Outbox::open(&state).unwrap();
            let two_days_ago = kaonin::ground::civil::unix_now() - 2 * 86_400;
            o.push_stored_at(msg("old"), two_days_ago).unwrap();
            o.push(msg("fresh")).unwrap();
            o.push(msg("torn")).unwrap();
        }
        let path = state.join(FILE_NAME);
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() - 10]).unwrap();

        let sock = dir.path().join("pc.sock");
        let (tx, mut seen) = mpsc::unbounded_channel();
        let mut o = PcOptions::new(&format!("unix:{}", sock.display()));
        o.output = PcOutput::Channel(tx);
        let server = PcServer::bind(o).await.unwrap();
        tokio::spawn(server.serve());

        let staff = Staff::open(&state, 5, Duration::from_secs(300)).unwrap();
        let (etx, mut events) = mpsc::channel(16);
        let (_status, status_rx) = watch::channel(StatusSnapshot::default());
        let options = ClientOptions::new(Endpoint::Unix(sock), "t", state.clone());
        let link = spawn_with(options, staff, etx, status_rx).await.unwrap();
        let report = link.outbox_report().clone();
        assert_eq!(report.kept, 2);
        assert!(report.quarantined_bytes > 0);
        assert!(report.quarantine_file.unwrap().exists());

        let mut identities = Vec::new();
        while identities.len() < 2 {
            let v = seen.recv().await.unwrap();
            if v["type"] == "identity" {
                identities.push(v);
            }
        }
        assert_eq!(identities[0]["id"], "old");
        assert_eq!(identities[0]["stale"], true);
        assert_eq!(identities[1]["id"], "fresh");
        assert!(identities[1].get("stale").is_none());
        let mut acked = 0;
        while acked < 2 {
            if let Event::Acked { .. } = events.recv().await.unwrap() {
                acked += 1;
            }
        }
        assert_eq!(link.outbox_len(), 0);
        link.shutdown().await;
    }
}
