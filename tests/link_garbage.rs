//! Garbage on the wire, at both ends: random bytes, oversize lines, malformed JSON,
//! unknown types and missing fields. Each bad line gets exactly one `error` reply,
//! nothing panics, and the same connection then carries valid traffic. A peer
//! that sends nothing but garbage is disconnected.

// Uses the simulators (cargo feature `sim`, on by default).
#![cfg(feature = "sim")]

use kaonin::link::framing::{GARBAGE_LIMIT, MAX_LINE};
use kaonin::link::transport::Endpoint;
use kaonin::link::{spawn_with, ClientOptions, StatusSnapshot};
use kaonin::sim::pc::{PcOptions, PcOutput, PcServer};
use kaonin::staff::Staff;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::Value;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::net::unix::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{mpsc, watch};

/// One bad line (without its newline), never blank.
fn bad_line() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        // Random bytes (no newline), starting with a non-blank byte.
        proptest::collection::vec(
            any::<u8>().prop_filter("no newline", |b| *b != b'\n'),
            0..200
        )
        .prop_map(|mut v| {
            v.insert(0, b'#');
            v
        }),
        // Oversize.
        (MAX_LINE + 1..MAX_LINE + 5000).prop_map(|n| vec![b'x'; n]),
        // Malformed JSON.
        "\\{[a-z\":, ]{0,40}".prop_map(|s| s.into_bytes()),
        // Valid JSON, not an object.
        Just(b"[1,2,3]".to_vec()),
        Just(b"42".to_vec()),
        // Unknown type.
        "[a-z_]{1,20}"
            .prop_filter("not a known type", |t| !KNOWN.contains(&t.as_str()))
            .prop_map(|t| format!("{{\"type\":\"{t}\"}}").into_bytes()),
        // Known type, missing or wrong fields.
        Just(br#"{"type":"identity","id":"x"}"#.to_vec()),
        Just(br#"{"type":"ack","result":"eligible"}"#.to_vec()),
        Just(br#"{"type":"ack","id":"x","result":"perhaps"}"#.to_vec()),
        Just(br#"{"type":"set_passcode","account":"a"}"#.to_vec()),
        Just(br#"{"type":"hello","protocol":"one"}"#.to_vec()),
        Just(br#"{"type":null}"#.to_vec()),
    ]
}

const KNOWN: [&str; 14] = [
    "hello",
    "identity",
    "event",
    "status",
    "ok",
    "error",
    "ping",
    "pong",
    "ack",
    "set_passcode",
    "revoke_passcode",
    "status_request",
    "stats",
    "stats_request",
];

fn garbage() -> impl Strategy<Value = Vec<Vec<u8>>> {
    proptest::collection::vec(bad_line(), 1..(GARBAGE_LIMIT as usize - 1))
}

async fn write_lines(w: &mut OwnedWriteHalf, lines: &[Vec<u8>]) {
    for l in lines {
        w.write_all(l).await.unwrap();
        w.write_all(b"\n").await.unwrap();
    }
    w.flush().await.unwrap();
}

/// Reads replies until one of type `want`; returns how many `error`s came first.
async fn errors_before(lines: &mut Lines<BufReader<OwnedReadHalf>>, want: &str) -> usize {
    let mut errors = 0;
    loop {
        let line = lines.next_line().await.unwrap().expect("connection kept");
        let v: Value = serde_json::from_str(&line).unwrap();
        match v["type"].as_str().unwrap() {
            t if t == want => return errors,
            "error" => errors += 1,
            "ping" | "pong" | "status" | "hello" => {}
            other => panic!("unexpected {other}: {line}"),
        }
    }
}

fn runner() -> TestRunner {
    TestRunner::new(Config {
        cases: 48,
        failure_persistence: None,
        ..Config::default()
    })
}

#[test]
fn the_pc_survives_garbage_and_keeps_the_connection() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("pc.sock");
    let (tx, printed) = mpsc::unbounded_channel();
    let (read, write) = rt.block_on(async {
        let mut o = PcOptions::new(&format!("unix:{}", sock.display()));
        o.output = PcOutput::Channel(tx);
        let server = PcServer::bind(o).await.unwrap();
        tokio::spawn(server.serve());
        let (r, w) = UnixStream::connect(&sock).await.unwrap().into_split();
        (BufReader::new(r).lines(), w)
    });
    let case = std::cell::Cell::new(0u32);
    let conn = std::cell::RefCell::new((read, write, printed));
    runner()
        .run(&garbage(), |lines| {
            case.set(case.get() + 1);
            let id = format!("g-{}", case.get());
            let (read, write, printed) = &mut *conn.borrow_mut();
            rt.block_on(async {
                write_lines(write, &lines).await;
                let valid = format!(
                    "{{\"type\":\"identity\",\"id\":\"{id}\",\"at\":\"2026-11-25T00:00:00Z\",\"terminal_id\":\"t\",\"method\":\"face\",\"certificate\":\"AA==\",\"face_score\":0.9,\"consent\":{{\"medication\":true,\"medical_history\":true,\"surgery\":true,\"health_checkup\":true}},\"consent_mode\":\"all\"}}"
                );
                write_lines(write, &[valid.into_bytes()]).await;
                let errors = errors_before(read, "ack").await;
                prop_assert_eq!(errors, lines.len());
                let shown = printed.recv().await.unwrap();
                prop_assert_eq!(shown["id"].as_str(), Some(id.as_str()));
                Ok(())
            })
        })
        .unwrap();
}

#[test]
fn the_terminal_survives_garbage_and_keeps_the_connection() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("link.sock");
    let state = dir.path().join("state");
    let (read, write, _link, _status) = rt.block_on(async {
        let listener = UnixListener::bind(&sock).unwrap();
        let staff = Staff::open(&state, 5, Duration::from_secs(300)).unwrap();
        let (tx, events) = mpsc::channel(64);
        std::mem::forget(events);
        let (status, status_rx) = watch::channel(StatusSnapshot::default());
        let options = ClientOptions::new(Endpoint::Unix(sock.clone()), "t", state.clone());
        let link = spawn_with(options, staff, tx, status_rx).await.unwrap();
        let (stream, _) = listener.accept().await.unwrap();
        let (r, w) = stream.into_split();
        (BufReader::new(r).lines(), w, link, status)
    });
    let conn = std::cell::RefCell::new((read, write));
    runner()
        .run(&garbage(), |lines| {
            let (read, write) = &mut *conn.borrow_mut();
            rt.block_on(async {
                write_lines(write, &lines).await;
                write_lines(write, &[br#"{"type":"ping"}"#.to_vec()]).await;
                let errors = errors_before(read, "pong").await;
                prop_assert_eq!(errors, lines.len());
                Ok(())
            })
        })
        .unwrap();
}

/// Arbitrary bytes, newlines included (fewer lines than the garbage limit).
fn blob() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 0..3000).prop_filter("under the garbage limit", |b| {
        b.iter().filter(|&&c| c == b'\n').count() < GARBAGE_LIMIT as usize - 2
    })
}

#[test]
fn raw_random_bytes_with_newlines_do_not_break_either_end() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let pc_sock = dir.path().join("pc.sock");
    let link_sock = dir.path().join("link.sock");
    let state = dir.path().join("state");
    let (pc_conn, link_conn, _link) = rt.block_on(async {
        let (printed, mut drain) = mpsc::unbounded_channel();
        tokio::spawn(async move { while drain.recv().await.is_some() {} });
        let mut o = PcOptions::new(&format!("unix:{}", pc_sock.display()));
        o.output = PcOutput::Channel(printed);
        let server = PcServer::bind(o).await.unwrap();
        tokio::spawn(server.serve());
        let (r, w) = UnixStream::connect(&pc_sock).await.unwrap().into_split();
        let listener = UnixListener::bind(&link_sock).unwrap();
        let staff = Staff::open(&state, 5, Duration::from_secs(300)).unwrap();
        let (tx, events) = mpsc::channel(64);
        std::mem::forget(events);
        let (status, status_rx) = watch::channel(StatusSnapshot::default());
        std::mem::forget(status);
        let options = ClientOptions::new(Endpoint::Unix(link_sock.clone()), "t", state.clone());
        let link = spawn_with(options, staff, tx, status_rx).await.unwrap();
        let (stream, _) = listener.accept().await.unwrap();
        let (lr, lw) = stream.into_split();
        (
            (BufReader::new(r).lines(), w),
            (BufReader::new(lr).lines(), lw),
            link,
        )
    });
    let conns = std::cell::RefCell::new((pc_conn, link_conn));
    runner()
        .run(&blob(), |bytes| {
            let ((pc_read, pc_write), (link_read, link_write)) = &mut *conns.borrow_mut();
            rt.block_on(async {
                for (write, read) in [
                    (&mut *pc_write, &mut *pc_read),
                    (&mut *link_write, &mut *link_read),
                ] {
                    write.write_all(&bytes).await.unwrap();
                    write.write_all(b"\n{\"type\":\"ping\"}\n").await.unwrap();
                    // Whatever the bytes did, the ping behind them is answered on
                    // the same connection.
                    loop {
                        let line = read.next_line().await.unwrap().expect("connection kept");
                        let v: Value = serde_json::from_str(&line).unwrap();
                        if v["type"] == "pong" {
                            break;
                        }
                        prop_assert!(
                            ["error", "hello", "status", "ping"]
                                .contains(&v["type"].as_str().unwrap()),
                            "{}",
                            line
                        );
                    }
                }
                Ok(())
            })
        })
        .unwrap();
}

#[tokio::test]
async fn a_pc_sending_only_garbage_is_disconnected_by_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("link.sock");
    let state = dir.path().join("state");
    let listener = UnixListener::bind(&sock).unwrap();
    let staff = Staff::open(&state, 5, Duration::from_secs(300)).unwrap();
    let (tx, _events) = mpsc::channel(64);
    let (_status, status_rx) = watch::channel(StatusSnapshot::default());
    let options = ClientOptions::new(Endpoint::Unix(sock.clone()), "t", state.clone());
    let link = spawn_with(options, staff, tx, status_rx).await.unwrap();
    let (stream, _) = listener.accept().await.unwrap();
    let (r, mut w) = stream.into_split();
    let garbage: Vec<Vec<u8>> = (0..GARBAGE_LIMIT)
        .map(|i| format!("junk {i}").into_bytes())
        .collect();
    write_lines(&mut w, &garbage).await;
    let mut lines = BufReader::new(r).lines();
    let mut errors = 0;
    while let Ok(Some(line)) = lines.next_line().await {
        if line.contains("\"error\"") {
            errors += 1;
        }
    }
    assert_eq!(
        errors, GARBAGE_LIMIT,
        "one error per line, then the hang-up"
    );
    // The terminal reconnects afterwards: the link is not broken for good.
    let (again, _) = listener.accept().await.unwrap();
    let mut lines = BufReader::new(again).lines();
    let hello: Value = serde_json::from_str(&lines.next_line().await.unwrap().unwrap()).unwrap();
    assert_eq!(hello["type"], "hello");
    link.shutdown().await;
}

#[tokio::test]
async fn a_terminal_sending_only_garbage_is_disconnected_by_the_pc() {
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("pc.sock");
    let server = PcServer::bind(PcOptions::new(&format!("unix:{}", sock.display())))
        .await
        .unwrap();
    tokio::spawn(server.serve());
    let (r, mut w) = UnixStream::connect(&sock).await.unwrap().into_split();
    let garbage: Vec<Vec<u8>> = (0..GARBAGE_LIMIT + 5)
        .map(|i| format!("{{bad {i}").into_bytes())
        .collect();
    // Written from another task (the PC may hang up mid-way: errors are fine).
    let _writer = tokio::spawn(async move {
        for line in garbage {
            if w.write_all(&line).await.is_err() || w.write_all(b"\n").await.is_err() {
                break;
            }
        }
        w
    });
    let mut lines = BufReader::new(r).lines();
    let mut errors = 0;
    while let Ok(Some(_)) = lines.next_line().await {
        errors += 1;
    }
    assert_eq!(errors, GARBAGE_LIMIT);
}
