//! Link delivery over a Unix socket: the outbox waits for a PC that starts later,
//! dedup by id, re-send after reconnect, and the PC's requests.

// Uses the simulators (cargo feature `sim`, on by default).
#![cfg(feature = "sim")]

use kaonin::flow::{AckResult, Consent, ConsentMode, Event, Identity, Method};
use kaonin::link::transport::Endpoint;
use kaonin::link::{spawn_with, ClientOptions, LinkHandle, StatusSnapshot};
use kaonin::sim::pc::{PcOptions, PcOutput, PcServer};
use kaonin::staff::Staff;
use kaonin_hal::secret::Digits;
use serde_json::{json, Value};
use std::path::Path;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::UnixListener;
use tokio::sync::{mpsc, watch};

fn identity(id: &str) -> Identity {
    Identity {
        id: id.into(),
        method: Method::Pin,
        certificate: vec![0x30, 0x03, 0x02, 0x01, 0x00],
        card_signature: Some(vec![9; 256]),
        face_score: None,
        staff_account: None,
        consent: Consent::all(),
        consent_mode: ConsentMode::All,
        kenmen: None,
        prescription: None,
    }
}

struct Terminal {
    link: LinkHandle,
    events: mpsc::Receiver<Event>,
    status: watch::Sender<StatusSnapshot>,
    staff: Staff,
}

async fn terminal(sock: &Path, state: &Path) -> Terminal {
    let staff = Staff::open(state, 5, Duration::from_secs(300)).unwrap();
    let (tx, events) = mpsc::channel(64);
    let (status, status_rx) = watch::channel(StatusSnapshot::default());
    let mut options = ClientOptions::new(Endpoint::Unix(sock.into()), "reception-1", state.into());
    options.max_backoff = Duration::from_millis(200);
    let link = spawn_with(options, staff.clone(), tx, status_rx)
        .await
        .unwrap();
    Terminal {
        link,
        events,
        status,
        staff,
    }
}

/// The next event matching `want`, skipping others.
async fn next_event(events: &mut mpsc::Receiver<Event>, want: impl Fn(&Event) -> bool) -> Event {
    loop {
        let e = events.recv().await.expect("link task ended");
        if want(&e) {
            return e;
        }
    }
}

async fn pc(
    sock: &Path,
    options: impl FnOnce(&mut PcOptions),
) -> (mpsc::UnboundedReceiver<Value>, tokio::task::JoinHandle<()>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let mut o = PcOptions::new(&format!("unix:{}", sock.display()));
    o.output = PcOutput::Channel(tx);
    options(&mut o);
    let server = PcServer::bind(o).await.unwrap();
    let task = tokio::spawn(async move {
        let _ = server.serve().await;
    });
    (rx, task)
}

async fn next_of_type(rx: &mut mpsc::UnboundedReceiver<Value>, kind: &str) -> Value {
    loop {
        let v = rx.recv().await.expect("pc ended");
        if v["type"] == kind {
            return v;
        }
    }
}

#[tokio::test]
async fn record_waits_for_a_pc_that_starts_later() {
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("link.sock");
    let state = dir.path().join("state");
    let mut t = terminal(&sock, &state).await;
    next_event(&mut t.events, |e| matches!(e, Event::Link { up: false })).await;
    t.link.enqueue(&identity("id-1")).await.unwrap();
    assert_eq!(t.link.outbox_len(), 1);

    let (mut seen, _pc) = pc(&sock, |o| o.result = AckResult::NotFound).await;
    let hello = next_of_type(&mut seen, "hello").await;
    assert_eq!(
        hello,
        json!({"type":"hello","protocol":1,"terminal_id":"reception-1","software":kaonin::link::SOFTWARE})
    );
    let got = next_of_type(&mut seen, "identity").await;
    assert_eq!(got["id"], "id-1");
    assert_eq!(got["terminal_id"], "reception-1");
    assert_eq!(got["method"], "pin");
    let acked = next_event(&mut t.events, |e| matches!(e, Event::Acked { .. })).await;
    match acked {
        Event::Acked {
            id,
            result,
            message,
        } => {
            assert_eq!(id, "id-1");
            assert_eq!(result, AckResult::NotFound);
            assert!(message.unwrap().contains("資格情報が確認できませんでした"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(t.link.outbox_len(), 0);
    t.link.shutdown().await;
    // The outbox on disk is empty too.
    let (outbox, _) = kaonin::link::outbox::Outbox::open(&state).unwrap();
    assert!(outbox.is_empty());
}

#[tokio::test]
async fn unacked_records_are_resent_in_order_after_reconnect() {
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("link.sock");
    let state = dir.path().join("state");
    let listener = UnixListener::bind(&sock).unwrap();
    let mut t = terminal(&sock, &state).await;
    for id in ["a", "b", "c"] {
        t.link.enqueue(&identity(id)).await.unwrap();
    }
    // A PC that reads but never acks, then hangs up.
    let ids_on = |lines: &[Value]| -> Vec<String> {
        lines
            .iter()
            .filter(|v| v["type"] == "identity")
            .map(|v| v["id"].as_str().unwrap().to_owned())
            .collect()
    };
    for round in 0..2 {
        let (stream, _) = listener.accept().await.unwrap();
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read).lines();
        let mut got = Vec::new();
        while ids_on(&got).len() < 3 {
            let line = lines.next_line().await.unwrap().unwrap();
            got.push(serde_json::from_str(&line).unwrap());
        }
        assert_eq!(got[0]["type"], "hello", "round {round}");
        assert_eq!(ids_on(&got), ["a", "b", "c"], "round {round}");
        if round == 1 {
            write
                .write_all(b"{\"type\":\"ack\",\"id\":\"b\",\"result\":\"eligible\"}\n")
                .await
                .unwrap();
            let e = next_event(&mut t.events, |e| matches!(e, Event::Acked { .. })).await;
            assert!(matches!(e, Event::Acked { id, .. } if id == "b"));
        }
        drop(write);
    }
    assert_eq!(t.link.outbox_len(), 2);
    // Third connection: only a and c, still in order.
    let (stream, _) = listener.accept().await.unwrap();
    let mut lines = BufReader::new(stream).lines();
    let mut got = Vec::new();
    while ids_on(&got).len() < 2 {
        got.push(serde_json::from_str(&lines.next_line().await.unwrap().unwrap()).unwrap());
    }
    assert_eq!(ids_on(&got), ["a", "c"]);
    t.link.shutdown().await;
}

#[tokio::test]
async fn the_pc_dedups_by_id_and_acks_repeats_again() {
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("pc.sock");
    let ledger = dir.path().join("ledger");
    let (mut seen, pc_task) = pc(&sock, |o| o.ledger = Some(ledger.clone())).await;
    let line = serde_json::to_string(&kaonin::link::message::ReaderMsg::Identity(
        kaonin::link::message::IdentityMsg::from_identity(
            &identity("dup"),
            "t",
            "2026-11-25T00:00:00Z".into(),
        ),
    ))
    .unwrap();
    let stream = tokio::net::UnixStream::connect(&sock).await.unwrap();
    let (read, mut write) = stream.into_split();
    let mut replies = BufReader::new(read).lines();
    for _ in 0..3 {
        write
            .write_all(format!("{line}\n").as_bytes())
            .await
            .unwrap();
        let ack: Value =
            serde_json::from_str(&replies.next_line().await.unwrap().unwrap()).unwrap();
        assert_eq!(ack["type"], "ack");
        assert_eq!(ack["id"], "dup");
        assert_eq!(ack["result"], "eligible");
    }
    for _ in 0..3 {
        assert_eq!(next_of_type(&mut seen, "identity").await["id"], "dup");
    }
    assert_eq!(std::fs::read_to_string(&ledger).unwrap(), "dup\n");
    pc_task.abort();
    let _ = pc_task.await;
    // A restarted receiver still knows the id.
    std::fs::remove_file(&sock).ok();
    let mut o = PcOptions::new(&format!("unix:{}", sock.display()));
    o.ledger = Some(ledger.clone());
    let server = PcServer::bind(o).await.unwrap();
    assert_eq!(server.distinct_ids(), 1);
}

/// The next line that is not a ping.
async fn next(lines: &mut tokio::io::Lines<BufReader<tokio::net::unix::OwnedReadHalf>>) -> Value {
    loop {
        let v: Value = serde_json::from_str(&lines.next_line().await.unwrap().unwrap()).unwrap();
        if v["type"] != "ping" {
            return v;
        }
    }
}

#[tokio::test]
async fn pc_provisions_passcodes_asks_status_and_cancels() {
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("link.sock");
    let state = dir.path().join("state");
    let listener = UnixListener::bind(&sock).unwrap();
    let mut t = terminal(&sock, &state).await;
    t.status.send_replace(StatusSnapshot {
        state: "pin".into(),
        card_present: true,
        ..Default::default()
    });
    let (stream, _) = listener.accept().await.unwrap();
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    assert_eq!(next(&mut lines).await["type"], "hello");
    assert_eq!(
        next(&mut lines).await,
        json!({"type":"status","state":"pin","card_present":true,"outbox":0})
    );
    write
        .write_all(b"{\"type\":\"set_passcode\",\"account\":\"staff-01\",\"passcode\":\"2468\"}\n")
        .await
        .unwrap();
    assert_eq!(
        next(&mut lines).await,
        json!({"type":"ok","of":"set_passcode","account":"staff-01"})
    );
    let code = Digits::parse("2468", 4).unwrap();
    assert_eq!(
        t.staff.check(&code),
        kaonin::flow::StaffCheck::Accepted {
            account: "staff-01".into()
        }
    );

    write
        .write_all(b"{\"type\":\"set_passcode\",\"account\":\"staff-02\",\"passcode\":\"12\"}\n")
        .await
        .unwrap();
    assert_eq!(next(&mut lines).await["type"], "error");

    write
        .write_all(b"{\"type\":\"status_request\"}\n")
        .await
        .unwrap();
    assert_eq!(
        next(&mut lines).await,
        json!({"type":"status","state":"pin","card_present":true,"outbox":0})
    );

    write
        .write_all(b"{\"type\":\"revoke_passcode\",\"account\":\"staff-01\"}\n")
        .await
        .unwrap();
    assert_eq!(
        next(&mut lines).await,
        json!({"type":"ok","of":"revoke_passcode","account":"staff-01"})
    );
    assert!(matches!(
        t.staff.check(&code),
        kaonin::flow::StaffCheck::Rejected { .. }
    ));

    write.write_all(b"{\"type\":\"cancel\"}\n").await.unwrap();
    next_event(&mut t.events, |e| matches!(e, Event::PcCancel)).await;

    t.link
        .event(kaonin::flow::PcEventKind::PinLocked, "tries 0");
    let ev = next(&mut lines).await;
    assert_eq!(ev["type"], "event");
    assert_eq!(ev["kind"], "pin_locked");
    assert_eq!(ev["detail"], "tries 0");

    t.status.send_replace(StatusSnapshot {
        state: "idle".into(),
        card_present: false,
        ..Default::default()
    });
    assert_eq!(
        next(&mut lines).await,
        json!({"type":"status","state":"idle","card_present":false,"outbox":0})
    );

    let audit = std::fs::read_to_string(state.join("audit.jsonl")).unwrap();
    assert!(audit.contains("\"what\":\"passcode_set\""), "{audit}");
    assert!(audit.contains("\"what\":\"passcode_revoked\""), "{audit}");
    assert!(!audit.contains("2468"));
    t.link.shutdown().await;
}

#[tokio::test]
async fn one_receiver_serves_many_terminals_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("pc.sock");
    let (mut seen, _pc) = pc(&sock, |_| {}).await;
    let mut terminals = Vec::new();
    for t in 0..10 {
        let term = terminal(&sock, &dir.path().join(format!("state-{t}"))).await;
        for n in 0..5 {
            term.link
                .enqueue(&identity(&format!("t{t}-{n}")))
                .await
                .unwrap();
        }
        terminals.push(term);
    }
    for term in &mut terminals {
        let mut acked = 0;
        while acked < 5 {
            if let Event::Acked { .. } = term.events.recv().await.unwrap() {
                acked += 1;
            }
        }
        assert_eq!(term.link.outbox_len(), 0);
    }
    let mut ids = std::collections::BTreeSet::new();
    while ids.len() < 50 {
        let v = next_of_type(&mut seen, "identity").await;
        ids.insert(v["id"].as_str().unwrap().to_owned());
    }
    assert!(ids.contains("t9-4") && ids.contains("t0-0"));
    for term in terminals {
        term.link.shutdown().await;
    }
}

#[tokio::test]
async fn events_raised_offline_arrive_after_the_pc_comes_up() {
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("link.sock");
    let mut t = terminal(&sock, &dir.path().join("state")).await;
    next_event(&mut t.events, |e| matches!(e, Event::Link { up: false })).await;
    t.link.event(kaonin::flow::PcEventKind::Offline, "no PC");
    let (mut seen, _pc) = pc(&sock, |_| {}).await;
    next_event(&mut t.events, |e| matches!(e, Event::Link { up: true })).await;
    let ev = next_of_type(&mut seen, "event").await;
    assert_eq!(ev["kind"], "offline");
    assert_eq!(ev["detail"], "no PC");
    assert!(ev["at"].as_str().unwrap().ends_with('Z'));
    t.link.shutdown().await;
}

/// 利用登録: a registration with its identity's id is sent after it, survives an
/// ack without `for` (what a PC without the extension sends for that id), is sent
/// again on the next connection, and goes with `"for":"registration"`.
#[tokio::test]
async fn a_registration_is_acked_apart_from_its_identity() {
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("link.sock");
    let state = dir.path().join("state");
    let listener = UnixListener::bind(&sock).unwrap();
    let mut t = terminal(&sock, &state).await;
    let (stream, _) = listener.accept().await.unwrap();
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    assert_eq!(next(&mut lines).await["type"], "hello");
    assert_eq!(next(&mut lines).await["type"], "status");
    t.link.enqueue(&identity("id-r")).await.unwrap();
    assert_eq!(next(&mut lines).await["type"], "identity");
    write
        .write_all(b"{\"type\":\"ack\",\"id\":\"id-r\",\"result\":\"not_registered\"}\n")
        .await
        .unwrap();
    let acked = next_event(&mut t.events, |e| matches!(e, Event::Acked { .. })).await;
    assert!(
        matches!(&acked, Event::Acked { id, result: AckResult::NotRegistered, .. } if id == "id-r"),
        "{acked:?}"
    );
    t.link.enqueue_registration("id-r").await.unwrap();
    let registration = next(&mut lines).await;
    assert_eq!(registration["type"], "registration", "{registration}");
    assert_eq!(registration["id"], "id-r");
    assert_eq!(registration["agreed"], true);
    assert_eq!(registration["terminal_id"], "reception-1");
    // A plain ack for the id (an identity's) leaves the registration waiting.
    write
        .write_all(b"{\"type\":\"ack\",\"id\":\"id-r\",\"result\":\"eligible\"}\n{\"type\":\"status_request\"}\n")
        .await
        .unwrap();
    assert_eq!(next(&mut lines).await["outbox"], 1);
    assert_eq!(t.link.outbox_len(), 1);
    // The next connection gets it again (and not the acked identity).
    drop((lines, write));
    let (stream, _) = listener.accept().await.unwrap();
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    assert_eq!(next(&mut lines).await["type"], "hello");
    assert_eq!(next(&mut lines).await["outbox"], 1);
    let again = next(&mut lines).await;
    assert_eq!(again["type"], "registration", "{again}");
    assert_eq!(again["id"], "id-r");
    write
        .write_all(b"{\"type\":\"ack\",\"id\":\"id-r\",\"for\":\"registration\",\"result\":\"eligible\"}\n{\"type\":\"status_request\"}\n")
        .await
        .unwrap();
    assert_eq!(next(&mut lines).await["outbox"], 0);
    assert_eq!(t.link.outbox_len(), 0);
    // The registration's ack is not an identity's answer for the flow.
    while let Ok(e) = t.events.try_recv() {
        assert!(!matches!(e, Event::Acked { .. }), "{e:?}");
    }
    t.link.shutdown().await;
}

/// The reference PC answers `not_registered` when told to, acks a registration with
/// `"for":"registration"`, and counts it apart from the identity with the same id
/// (ledger line `registration ID`, so a restarted receiver still knows both).
#[tokio::test]
async fn the_pc_acks_registrations_apart_and_keeps_them_in_its_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("pc.sock");
    let ledger = dir.path().join("ledger");
    let (mut seen, pc_task) = pc(&sock, |o| {
        o.ledger = Some(ledger.clone());
        o.result = AckResult::NotRegistered;
    })
    .await;
    use kaonin::link::message::{IdentityMsg, ReaderMsg, RegistrationMsg};
    let identity_line = serde_json::to_string(&ReaderMsg::Identity(IdentityMsg::from_identity(
        &identity("reg-1"),
        "t",
        "2026-11-25T00:00:00Z".into(),
    )))
    .unwrap();
    let registration_line = serde_json::to_string(&ReaderMsg::Registration(RegistrationMsg::new(
        "reg-1",
        "t",
        "2026-11-25T00:00:09Z".into(),
    )))
    .unwrap();
    let stream = tokio::net::UnixStream::connect(&sock).await.unwrap();
    let (read, mut write) = stream.into_split();
    let mut replies = BufReader::new(read).lines();
    for line in [&identity_line, &registration_line, &registration_line] {
        write
            .write_all(format!("{line}\n").as_bytes())
            .await
            .unwrap();
        let ack: Value =
            serde_json::from_str(&replies.next_line().await.unwrap().unwrap()).unwrap();
        assert_eq!(ack["type"], "ack", "{ack}");
        assert_eq!(ack["id"], "reg-1", "{ack}");
        if line == &identity_line {
            assert_eq!(ack["result"], "not_registered", "{ack}");
            assert!(ack.get("for").is_none(), "{ack}");
        } else {
            assert_eq!(ack["for"], "registration", "{ack}");
            assert_eq!(ack["result"], "eligible", "{ack}");
        }
    }
    assert_eq!(next_of_type(&mut seen, "identity").await["id"], "reg-1");
    let printed = next_of_type(&mut seen, "registration").await;
    assert_eq!(printed["agreed"], true);
    assert_eq!(
        std::fs::read_to_string(&ledger).unwrap(),
        "reg-1\nregistration reg-1\n",
        "the duplicate registration is not written twice"
    );
    pc_task.abort();
    let _ = pc_task.await;
    std::fs::remove_file(&sock).ok();
    let mut o = PcOptions::new(&format!("unix:{}", sock.display()));
    o.ledger = Some(ledger.clone());
    let server = PcServer::bind(o).await.unwrap();
    assert_eq!(server.distinct_ids(), 1);
    assert_eq!(server.distinct_registrations(), 1);
}
