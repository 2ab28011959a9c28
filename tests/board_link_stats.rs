//! The PC asks a terminal for its operations figures over the link (extension
//! `stats_request` → `stats`, docs/pc-link.md), at the protocol level: a raw PC
//! socket against the real link client, and a raw terminal against the reference
//! receiver's `--ask-stats`. (`tests/board_stats.rs` does it through the daemon and
//! `kaonin pc --ask-stats` after a day of receptions.)

// Uses the simulators (cargo feature `sim`, on by default).
#![cfg(feature = "sim")]

use kaonin::flow::{Event, VerifyOutcome};
use kaonin::link::transport::Endpoint;
use kaonin::link::{spawn_with, ClientOptions, StatusSnapshot};
use kaonin::sim::pc::{PcOptions, PcOutput, PcServer};
use kaonin::staff::Staff;
use kaonin::stats::Stats;
use serde_json::Value;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::net::unix::OwnedReadHalf;
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{mpsc, watch};

const DEADLINE: Duration = Duration::from_secs(30);

/// The next line of type `want`, skipping hello, status and ping.
async fn next_of(lines: &mut Lines<BufReader<OwnedReadHalf>>, want: &str) -> Value {
    loop {
        let line = tokio::time::timeout(DEADLINE, lines.next_line())
            .await
            .expect("a line in time")
            .unwrap()
            .expect("connection kept");
        let v: Value = serde_json::from_str(&line).unwrap();
        match v["type"].as_str().unwrap() {
            t if t == want => return v,
            "hello" | "status" | "ping" => {}
            other => panic!("unexpected {other} while waiting for {want}: {line}"),
        }
    }
}

/// A link client (with `stats`, or without) connected to a raw PC socket.
async fn terminal(
    dir: &std::path::Path,
    stats: Option<Stats>,
) -> (
    Lines<BufReader<OwnedReadHalf>>,
    tokio::net::unix::OwnedWriteHalf,
    kaonin::link::LinkHandle,
    watch::Sender<StatusSnapshot>,
) {
    let sock = dir.join("link.sock");
    let state = dir.join("state");
    let listener = UnixListener::bind(&sock).unwrap();
    let staff = Staff::open(&state, 5, Duration::from_secs(300)).unwrap();
    let (tx, events) = mpsc::channel(64);
    std::mem::forget(events);
    let (status, status_rx) = watch::channel(StatusSnapshot::default());
    let mut options = ClientOptions::new(Endpoint::Unix(sock), "t-1", state);
    options.stats = stats;
    let link = spawn_with(options, staff, tx, status_rx).await.unwrap();
    let (stream, _) = listener.accept().await.unwrap();
    let (r, w) = stream.into_split();
    (BufReader::new(r).lines(), w, link, status)
}

#[test]
fn the_terminal_answers_stats_request_with_every_figure() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let stats = Stats::open(&dir.path().join("figures")).unwrap();
    stats.observe_event(&Event::PinVerified(Ok(VerifyOutcome::Wrong {
        tries_left: 2,
    })));
    stats.set_outbox_depth(0);
    rt.block_on(async {
        let (mut read, mut write, _link, _status) = terminal(dir.path(), Some(stats.clone())).await;
        next_of(&mut read, "hello").await;
        write
            .write_all(b"{\"type\":\"stats_request\"}\n")
            .await
            .unwrap();
        let answer = next_of(&mut read, "stats").await;
        let at = answer["at"].as_str().unwrap();
        assert!(at.len() == 20 && at.ends_with('Z'), "RFC 3339 UTC: {at}");
        let figures = &answer["figures"];
        assert_eq!(figures["kaonin_pin_wrong_total"], 1);
        assert_eq!(figures["kaonin_receptions_total"]["smartphone"], 0);
        assert_eq!(figures["kaonin_outbox_depth"], 0);
        // Exactly the families of the Prometheus rendering, under the same names.
        let prometheus = stats.render_prometheus();
        let mut names: Vec<&str> = prometheus
            .lines()
            .filter_map(|l| l.strip_prefix("# TYPE "))
            .filter_map(|l| l.split(' ').next())
            .collect();
        names.sort();
        let mut keys: Vec<&str> = figures
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort();
        assert_eq!(keys, names);
        // A second request sees a change since the first.
        stats.observe_event(&Event::PinVerified(Ok(VerifyOutcome::Blocked)));
        write
            .write_all(b"{\"type\":\"stats_request\"}\n")
            .await
            .unwrap();
        let again = next_of(&mut read, "stats").await;
        assert_eq!(again["figures"]["kaonin_pin_wrong_total"], 2);
    });
}

#[test]
fn a_terminal_without_figures_answers_an_error_and_stays_connected() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    rt.block_on(async {
        let (mut read, mut write, _link, _status) = terminal(dir.path(), None).await;
        next_of(&mut read, "hello").await;
        write
            .write_all(b"{\"type\":\"stats_request\"}\n")
            .await
            .unwrap();
        let error = next_of(&mut read, "error").await;
        assert!(
            error["message"].as_str().unwrap().contains("figures"),
            "{error}"
        );
        write.write_all(b"{\"type\":\"ping\"}\n").await.unwrap();
        next_of(&mut read, "pong").await;
    });
}

#[test]
fn the_reference_receiver_asks_after_hello_and_prints_the_answer() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("pc.sock");
    rt.block_on(async {
        let (tx, mut printed) = mpsc::unbounded_channel();
        let mut options = PcOptions::new(&format!("unix:{}", sock.display()));
        options.output = PcOutput::Channel(tx);
        options.ask_stats = true;
        let server = PcServer::bind(options).await.unwrap();
        tokio::spawn(server.serve());
        let (r, mut w) = UnixStream::connect(&sock).await.unwrap().into_split();
        let mut read = BufReader::new(r).lines();
        w.write_all(
            b"{\"type\":\"hello\",\"protocol\":1,\"terminal_id\":\"t-1\",\"software\":\"x\"}\n",
        )
        .await
        .unwrap();
        let line = tokio::time::timeout(DEADLINE, read.next_line())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert_eq!(line, "{\"type\":\"stats_request\"}");
        w.write_all(b"{\"type\":\"stats\",\"at\":\"2026-11-26T00:00:00Z\",\"figures\":{\"kaonin_pin_locks_total\":4}}\n")
            .await
            .unwrap();
        let hello = printed.recv().await.unwrap();
        assert_eq!(hello["type"], "hello");
        let stats = printed.recv().await.unwrap();
        assert_eq!(stats["type"], "stats");
        assert_eq!(stats["figures"]["kaonin_pin_locks_total"], 4);
    });
}
