//! Test helper (not installed for users): a simulated terminal or PC as a separate
//! process, so the loss test can SIGKILL and restart either side at any instant.
//!
//! `kaonin-link-sim terminal --endpoint unix:PATH --state DIR` reads commands on
//! stdin — `enqueue ID` (answers `durable ID` once fsynced), `drain` (answers
//! `drained` once the outbox is empty), `quit` — and prints `acked ID` per ack.
//! `kaonin-link-sim pc ARGS…` is `kaonin pc ARGS…`.

use clap::{Parser, Subcommand};
use kaonin::flow::{Consent, ConsentMode, Event, Identity, Method};
use kaonin::link::cli::PcArgs;
use kaonin::link::transport::Endpoint;
use kaonin::link::{spawn_with, ClientOptions, StatusSnapshot};
use kaonin::staff::Staff;
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// A terminal driven by stdin.
    Terminal {
        #[arg(long)]
        endpoint: String,
        #[arg(long)]
        state: PathBuf,
        #[arg(long, default_value = "sim-1")]
        terminal_id: String,
    },
    /// The reference receiver.
    Pc(PcArgs),
}

fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

fn identity(id: &str) -> Identity {
    Identity {
        id: id.into(),
        method: Method::Face,
        certificate: vec![0x30, 0x03, 0x02, 0x01, 0x00],
        card_signature: None,
        face_score: Some(0.93),
        staff_account: None,
        consent: Consent::all(),
        consent_mode: ConsentMode::All,
    }
}

/// Lines of stdin, read by a thread.
fn stdin_lines() -> mpsc::UnboundedReceiver<String> {
    let (tx, rx) = mpsc::unbounded_channel();
    std::thread::spawn(move || {
        for line in std::io::stdin().lines() {
            let Ok(line) = line else { return };
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    rx
}

async fn terminal(endpoint: &str, state: PathBuf, terminal_id: &str) -> Result<(), String> {
    let endpoint = Endpoint::parse(endpoint)?;
    let staff = Staff::open(&state, 5, Duration::from_secs(300)).map_err(|e| e.to_string())?;
    let (tx, mut events) = mpsc::channel(256);
    let (_status, status_rx) = watch::channel(StatusSnapshot::default());
    let mut options = ClientOptions::new(endpoint, terminal_id, state);
    options.max_backoff = Duration::from_millis(500);
    let link = spawn_with(options, staff, tx, status_rx)
        .await
        .map_err(|e| e.to_string())?;
    let mut stdin = stdin_lines();
    let mut draining = false;
    loop {
        tokio::select! {
            line = stdin.recv() => {
                let Some(line) = line else { break };
                let mut words = line.split_whitespace();
                match (words.next(), words.next()) {
                    (Some("enqueue"), Some(id)) => match link.enqueue(&identity(id)).await {
                        Ok(()) => say(&format!("durable {id}")),
                        Err(e) => say(&format!("failed {id} {e}")),
                    },
                    (Some("drain"), None) => draining = true,
                    (Some("quit"), None) => break,
                    _ => say("error unknown command"),
                }
            }
            event = events.recv() => match event {
                Some(Event::Acked { id, .. }) => say(&format!("acked {id}")),
                Some(_) => {}
                None => break,
            },
        }
        if draining && link.outbox_len() == 0 {
            draining = false;
            say("drained");
        }
    }
    link.shutdown().await;
    Ok(())
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let result = match Cli::parse().command {
        Command::Terminal {
            endpoint,
            state,
            terminal_id,
        } => terminal(&endpoint, state, &terminal_id).await,
        Command::Pc(args) => match args.into_options() {
            Ok(options) => kaonin::link::run_pc(options)
                .await
                .map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        },
    };
    if let Err(e) = result {
        eprintln!("kaonin-link-sim: {e}");
        std::process::exit(1);
    }
}
