//! Liveness: a silent (half-open) PC is detected by the missing answers to `ping`
//! and the terminal reconnects; a PC that answers `ping` with `error` (it does not
//! know the extension) keeps its connection.

// Uses the simulators (cargo feature `sim`, on by default).
#![cfg(feature = "sim")]

use kaonin::link::transport::Endpoint;
use kaonin::link::{spawn_with, ClientOptions, LinkHandle, StatusSnapshot};
use kaonin::sim::pc::{PcOptions, PcServer};
use kaonin::staff::Staff;
use serde_json::Value;
use std::path::Path;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{mpsc, watch};

const PING: Duration = Duration::from_millis(40);
const IDLE: Duration = Duration::from_millis(150);

async fn terminal(sock: &Path, state: &Path) -> (LinkHandle, watch::Sender<StatusSnapshot>) {
    let staff = Staff::open(state, 5, Duration::from_secs(300)).unwrap();
    let (tx, events) = mpsc::channel(64);
    std::mem::forget(events);
    let (status, status_rx) = watch::channel(StatusSnapshot::default());
    let mut options = ClientOptions::new(Endpoint::Unix(sock.into()), "t", state.into());
    options.ping_interval = PING;
    options.idle_timeout = IDLE;
    options.max_backoff = Duration::from_millis(100);
    (
        spawn_with(options, staff, tx, status_rx).await.unwrap(),
        status,
    )
}

#[tokio::test]
async fn a_silent_pc_is_dropped_and_the_terminal_reconnects() {
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("link.sock");
    let listener = UnixListener::bind(&sock).unwrap();
    let (link, _status) = terminal(&sock, &dir.path().join("s")).await;
    // First connection: read everything, answer nothing (a half-open peer).
    let (first, _) = listener.accept().await.unwrap();
    let mut lines = BufReader::new(first).lines();
    let mut pings = 0;
    while let Ok(Some(line)) = lines.next_line().await {
        let v: Value = serde_json::from_str(&line).unwrap();
        if v["type"] == "ping" {
            pings += 1;
        }
    }
    // The terminal gave up on it (end of stream) after pinging, and comes back.
    assert!(pings >= 1);
    let (second, _) = listener.accept().await.unwrap();
    let mut lines = BufReader::new(second).lines();
    let hello: Value = serde_json::from_str(&lines.next_line().await.unwrap().unwrap()).unwrap();
    assert_eq!(hello["type"], "hello");
    link.shutdown().await;
}

#[tokio::test]
async fn a_pc_that_answers_ping_with_error_stays_connected() {
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("link.sock");
    let listener = UnixListener::bind(&sock).unwrap();
    let (link, _status) = terminal(&sock, &dir.path().join("s")).await;
    let (stream, _) = listener.accept().await.unwrap();
    let (r, mut w) = stream.into_split();
    let mut lines = BufReader::new(r).lines();
    // Twelve pings on one connection span 12 × 40 ms, well beyond the 150 ms idle
    // timeout: the error answers keep it alive.
    let mut pings = 0;
    while pings < 12 {
        let line = lines.next_line().await.unwrap().expect("still connected");
        let v: Value = serde_json::from_str(&line).unwrap();
        if v["type"] == "ping" {
            pings += 1;
            w.write_all(b"{\"type\":\"error\",\"message\":\"unknown type `ping`\"}\n")
                .await
                .unwrap();
        }
    }
    link.shutdown().await;
}

#[tokio::test]
async fn the_pc_drops_a_silent_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("pc.sock");
    let mut o = PcOptions::new(&format!("unix:{}", sock.display()));
    o.idle_timeout = IDLE;
    let server = PcServer::bind(o).await.unwrap();
    tokio::spawn(server.serve());
    let stream = UnixStream::connect(&sock).await.unwrap();
    let mut lines = BufReader::new(stream).lines();
    // We never write; the PC hangs up.
    assert!(lines.next_line().await.unwrap().is_none());
}
