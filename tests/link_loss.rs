//! Loss test (issue 4): 200 receptions while the PC and the terminal are each
//! killed with SIGKILL and restarted at random points. Afterwards every identity
//! was delivered at least once and, after the PC's dedup by id, each id was
//! processed (acked as new) exactly once; none lost.
//!
//! Both sides are real processes (`kaonin-link-sim`), joined by a Unix socket.
//! The random points come from a seeded generator: set `LINK_LOSS_SEED` to replay a
//! run; the seed is printed.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;

const RECEPTIONS: usize = 200;
const SIM: &str = env!("CARGO_BIN_EXE_kaonin-link-sim");

/// splitmix64: small, seeded, reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// True with probability `percent`/100.
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// What the PC processes printed: (type, id) of every message.
type Seen = mpsc::Sender<String>;

struct Pc {
    child: Child,
}

impl Pc {
    fn start(sock: &Path, ledger: &Path, seen: Seen) -> Pc {
        let mut child = Command::new(SIM)
            .args(["pc", "--listen"])
            .arg(format!("unix:{}", sock.display()))
            .arg("--ledger")
            .arg(ledger)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start pc");
        let out = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { return };
                let v: serde_json::Value =
                    serde_json::from_str(&line).expect("pc prints JSON lines");
                if v["type"] == "identity" {
                    let _ = seen.send(v["id"].as_str().unwrap().to_owned());
                }
            }
        });
        // Wait until it listens: the socket accepts.
        while std::os::unix::net::UnixStream::connect(sock).is_err() {
            if let Ok(Some(status)) = child.try_wait() {
                panic!("pc exited: {status}");
            }
            std::thread::yield_now();
        }
        Pc { child }
    }

    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

struct Terminal {
    child: Child,
    stdin: ChildStdin,
    lines: mpsc::Receiver<String>,
}

impl Terminal {
    fn start(sock: &Path, state: &Path) -> Terminal {
        let mut child = Command::new(SIM)
            .args(["terminal", "--endpoint"])
            .arg(format!("unix:{}", sock.display()))
            .arg("--state")
            .arg(state)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start terminal");
        let stdin = child.stdin.take().unwrap();
        let out = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { return };
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        Terminal {
            child,
            stdin,
            lines,
        }
    }

    fn send(&mut self, command: &str) {
        writeln!(self.stdin, "{command}").unwrap();
        self.stdin.flush().unwrap();
    }

    /// Waits for a line starting with `prefix`; `None` if the process ended.
    fn wait_for(&mut self, prefix: &str) -> Option<String> {
        loop {
            let line = self.lines.recv().ok()?;
            if line.starts_with(prefix) {
                return Some(line);
            }
            assert!(!line.starts_with("failed"), "{line}");
        }
    }

    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

fn ledger_ids(path: &PathBuf) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn nothing_is_lost_when_both_sides_are_killed_at_random() {
    let seed = std::env::var("LINK_LOSS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x6b61_6f6e_696e_u64);
    eprintln!("LINK_LOSS_SEED={seed}");
    let mut rng = Rng(seed);
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("pc.sock");
    let state = dir.path().join("terminal");
    let ledger = dir.path().join("ledger");
    let (seen_tx, seen_rx) = mpsc::channel();

    let mut pc = Some(Pc::start(&sock, &ledger, seen_tx.clone()));
    let mut terminal = Terminal::start(&sock, &state);
    let (mut pc_kills, mut terminal_kills, mut torn_receptions) = (0, 0, 0);
    let ids: Vec<String> = (0..RECEPTIONS).map(|i| format!("loss-{i:04}")).collect();

    for id in &ids {
        // The PC dies or comes back at random points.
        if pc.is_some() && rng.chance(12) {
            pc.take().unwrap().kill();
            pc_kills += 1;
        } else if pc.is_none() && rng.chance(35) {
            pc = Some(Pc::start(&sock, &ledger, seen_tx.clone()));
        }
        // The terminal dies at random points, sometimes in the middle of storing a
        // record; then the reception is done again (the patient was never told
        // it was sent), as staff would.
        loop {
            if rng.chance(8) {
                terminal.kill();
                terminal_kills += 1;
                terminal = Terminal::start(&sock, &state);
            }
            terminal.send(&format!("enqueue {id}"));
            if rng.chance(6) {
                terminal.kill();
                terminal_kills += 1;
                torn_receptions += 1;
                terminal = Terminal::start(&sock, &state);
                continue;
            }
            let line = terminal
                .wait_for("durable")
                .expect("terminal died unexpectedly");
            assert_eq!(line, format!("durable {id}"));
            break;
        }
    }
    if pc.is_none() {
        pc = Some(Pc::start(&sock, &ledger, seen_tx.clone()));
    }
    terminal.send("drain");
    terminal.wait_for("drained").expect("outbox drained");
    terminal.kill();
    pc.take().unwrap().kill();
    drop(seen_tx);

    let mut delivered: BTreeMap<String, usize> = BTreeMap::new();
    for id in seen_rx.iter() {
        *delivered.entry(id).or_default() += 1;
    }
    let wanted: BTreeSet<&String> = ids.iter().collect();
    let got: BTreeSet<&String> = delivered.keys().collect();
    assert_eq!(
        got, wanted,
        "every identity delivered at least once, nothing else"
    );
    let ledger = ledger_ids(&ledger);
    let processed: BTreeSet<&String> = ledger.iter().collect();
    assert_eq!(
        ledger.len(),
        RECEPTIONS,
        "each id processed exactly once after dedup"
    );
    assert_eq!(processed, wanted);
    let copies: usize = delivered.values().sum();
    eprintln!(
        "pc kills {pc_kills}, terminal kills {terminal_kills} ({torn_receptions} mid-store), \
         deliveries {copies} for {RECEPTIONS} identities"
    );
    assert!(
        pc_kills > 0 && terminal_kills > 0,
        "the seed must exercise both kinds of kill"
    );
}
