//! PC-link benchmark (not a test): how many identities per second one reference
//! receiver sustains from 50 terminals over TLS 1.3 on loopback, and the latency from
//! an identity written to its ack received.
//!
//! Three phases, all with 50 terminals, each with its own pinned key pair:
//! 1. throughput: protocol-level terminals pipeline identities (16 in flight each);
//! 2. latency: protocol-level terminals send one identity at a time;
//! 3. full stack: real link clients (`LinkHandle::enqueue`, outbox fsync included),
//!    one identity at a time, latency from `enqueue` called to `Event::Acked`.
//!
//! Run: `cargo bench --bench link` (optionally `-- TERMINALS PER_TERMINAL`).

use kaonin::flow::{Consent, ConsentMode, Event, Identity, Method};
use kaonin::link::message::{to_line, IdentityMsg, ReaderMsg};
use kaonin::link::tls::{self, KeyPair, Role};
use kaonin::link::transport::{connect, ClientSecurity, Endpoint};
use kaonin::link::{spawn_with, ClientOptions, StatusSnapshot};
use kaonin::sim::pc::{PcOptions, PcOutput, PcServer};
use kaonin::staff::Staff;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::sync::{mpsc, watch, Barrier};

struct Terminal {
    dir: tempfile::TempDir,
    fingerprint: String,
}

fn identity(id: String) -> Identity {
    Identity {
        id,
        method: Method::Pin,
        // About the size of a real user-authentication certificate and signature.
        certificate: vec![0x5a; 1400],
        card_signature: Some(vec![0xa5; 256]),
        face_score: None,
        staff_account: None,
        consent: Consent::all(),
        consent_mode: ConsentMode::All,
        kenmen: None,
        prescription: None,
    }
}

fn security(dir: &Path, pc_fp: &str) -> ClientSecurity {
    let (cert, key) = tls::default_files(dir, Role::Terminal);
    let pin = tls::parse_fingerprint(pc_fp).unwrap();
    ClientSecurity::Tls(tls::client_config(KeyPair::load(&cert, &key).unwrap(), pin).unwrap())
}

/// One protocol-level terminal: sends `count` identities with `window` in flight;
/// returns the write→ack latency of each.
async fn raw_terminal(
    endpoint: Endpoint,
    security: ClientSecurity,
    name: String,
    count: usize,
    window: usize,
    ready: Arc<Barrier>,
) -> Vec<Duration> {
    let stream = connect(&endpoint, &security).await.unwrap();
    // Handshakes are not part of the measurement: everyone starts together.
    ready.wait().await;
    let (read, mut write) = tokio::io::split(stream);
    let mut acks = BufReader::new(read).lines();
    let hello = ReaderMsg::Hello {
        protocol: 1,
        terminal_id: name.clone(),
        software: "bench".into(),
    };
    write.write_all(&to_line(&hello)).await.unwrap();
    let mut sent_at = std::collections::VecDeque::new();
    let mut latencies = Vec::with_capacity(count);
    let mut next = 0;
    while latencies.len() < count {
        while next < count && sent_at.len() < window {
            let msg = IdentityMsg::from_identity(
                &identity(format!("{name}-{next}")),
                &name,
                "2026-11-25T00:00:00Z".into(),
            );
            write
                .write_all(&to_line(&ReaderMsg::Identity(msg)))
                .await
                .unwrap();
            sent_at.push_back(Instant::now());
            next += 1;
        }
        write.flush().await.unwrap();
        let line = acks.next_line().await.unwrap().expect("ack");
        if line.contains("\"ack\"") {
            latencies.push(sent_at.pop_front().unwrap().elapsed());
        }
    }
    latencies
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn report(label: &str, mut latencies: Vec<Duration>, elapsed: Duration) {
    latencies.sort();
    let n = latencies.len();
    println!(
        "{label}: {n} identities in {:.2} s = {:.0} identities/s; write->ack median {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        elapsed.as_secs_f64(),
        n as f64 / elapsed.as_secs_f64(),
        percentile(&latencies, 0.5).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        latencies.last().unwrap().as_secs_f64() * 1e3,
    );
}

async fn raw_phase(
    label: &str,
    endpoint: &Endpoint,
    terminals: &[Terminal],
    pc_fp: &str,
    per_terminal: usize,
    window: usize,
) {
    let ready = Arc::new(Barrier::new(terminals.len() + 1));
    let tasks: Vec<_> = terminals
        .iter()
        .enumerate()
        .map(|(i, t)| {
            tokio::spawn(raw_terminal(
                endpoint.clone(),
                security(t.dir.path(), pc_fp),
                format!("{label}-t{i}"),
                per_terminal,
                window,
                ready.clone(),
            ))
        })
        .collect();
    ready.wait().await;
    let start = Instant::now();
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    report(label, all, start.elapsed());
}

async fn full_stack_phase(
    endpoint: &Endpoint,
    terminals: &[Terminal],
    pc_fp: &str,
    per_terminal: usize,
) {
    let start = Instant::now();
    let tasks: Vec<_> = terminals
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let state = t.dir.path().join(format!("state-{i}"));
            let mut options =
                ClientOptions::new(endpoint.clone(), &format!("full-t{i}"), state.clone());
            options.security = security(t.dir.path(), pc_fp);
            tokio::spawn(async move {
                let staff = Staff::open(&state, 5, Duration::from_secs(300)).unwrap();
                let (tx, mut events) = mpsc::channel(64);
                let (_status, status_rx) = watch::channel(StatusSnapshot::default());
                let link = spawn_with(options, staff, tx, status_rx).await.unwrap();
                let mut latencies = Vec::new();
                for n in 0..per_terminal {
                    let begun = Instant::now();
                    link.enqueue(&identity(format!("full-t{i}-{n}")))
                        .await
                        .unwrap();
                    loop {
                        if let Event::Acked { .. } = events.recv().await.unwrap() {
                            break;
                        }
                    }
                    latencies.push(begun.elapsed());
                }
                link.shutdown().await;
                latencies
            })
        })
        .collect();
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    report(
        "full stack (enqueue+fsync -> Acked event)",
        all,
        start.elapsed(),
    );
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let terminals_n = args.first().copied().unwrap_or(50);
    let per_terminal = args.get(1).copied().unwrap_or(400);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let pc_dir = tempfile::tempdir().unwrap();
        let pc_fp = tls::pair(pc_dir.path(), Role::Pc).unwrap();
        let terminals: Vec<Terminal> = (0..terminals_n)
            .map(|_| {
                let dir = tempfile::tempdir().unwrap();
                let fingerprint = tls::pair(dir.path(), Role::Terminal).unwrap();
                Terminal { dir, fingerprint }
            })
            .collect();
        let (tx, mut printed) = mpsc::unbounded_channel();
        tokio::spawn(async move { while printed.recv().await.is_some() {} });
        let mut o = PcOptions::new("tcp://127.0.0.1:0");
        o.state_dir = Some(pc_dir.path().into());
        o.terminal_fingerprints = terminals.iter().map(|t| t.fingerprint.clone()).collect();
        o.output = PcOutput::Channel(tx);
        let server = PcServer::bind(o).await.unwrap();
        let endpoint = server.local_endpoint().unwrap();
        tokio::spawn(server.serve());
        println!(
            "link bench: {terminals_n} terminals over TLS 1.3 on loopback, identity line ~{} bytes",
            to_line(&ReaderMsg::Identity(IdentityMsg::from_identity(
                &identity("x".repeat(36)),
                "reception-1",
                "2026-11-25T00:00:00Z".into()
            )))
            .len()
        );
        raw_phase(
            "throughput (16 in flight per terminal)",
            &endpoint,
            &terminals,
            &pc_fp,
            per_terminal,
            16,
        )
        .await;
        raw_phase(
            "latency (1 in flight per terminal)",
            &endpoint,
            &terminals,
            &pc_fp,
            per_terminal / 4,
            1,
        )
        .await;
        full_stack_phase(&endpoint, &terminals, &pc_fp, (per_terminal / 20).max(1)).await;
    });
}
