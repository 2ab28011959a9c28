//! Test helper (not installed for users): a simulated terminal or PC as a separate
//! process, so the loss test can SIGKILL and restart either side at any instant.
//!
//! `kaonin-link-sim terminal --endpoint unix:PATH --state DIR` (or `--config FILE`,
//! which takes `[terminal]` and `[link]`, TLS included, from a kaonin config) reads commands on
//! stdin — `enqueue ID` (answers `durable ID` once fsynced), `drain` (answers
//! `drained` once the outbox is empty), `quit` — and prints `acked ID` per ack.
//! `kaonin-link-sim pc ARGS…` is `kaonin pc ARGS…`.

use clap::{Parser, Subcommand};
use kaonin::config::Config;
use kaonin::flow::{Consent, ConsentMode, Event, Identity, Method};
use kaonin::link::transport::Endpoint;
use kaonin::link::{spawn_with, ClientOptions, StatusSnapshot};
use kaonin::sim::pc_cli::PcArgs;
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
        /// A kaonin config: its [terminal] and [link] (TLS included) are used.
        #[arg(long, conflicts_with_all = ["endpoint", "state"])]
        config: Option<PathBuf>,
        #[arg(long, required_unless_present = "config")]
        endpoint: Option<String>,
        #[arg(long, required_unless_present = "config")]
        state: Option<PathBuf>,
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
        kenmen: None,
        prescription: None,
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

/// Client options from a config file, or from the endpoint and state flags.
fn options(
    config: Option<PathBuf>,
    endpoint: Option<String>,
    state: Option<PathBuf>,
    terminal_id: &str,
) -> Result<ClientOptions, String> {
    if let Some(path) = config {
        let config = Config::load(&path).map_err(|e| e.to_string())?;
        let terminal = &config.terminal;
        return ClientOptions::from_config(&config.link, &terminal.id, &terminal.state_dir)
            .map_err(|e| e.to_string());
    }
    let endpoint = Endpoint::parse(&endpoint.unwrap_or_default())?;
    let state = state.ok_or("--state is required")?;
    Ok(ClientOptions::new(endpoint, terminal_id, state))
}

async fn terminal(mut options: ClientOptions) -> Result<(), String> {
    let staff =
        Staff::open(&options.state_dir, 5, Duration::from_secs(300)).map_err(|e| e.to_string())?;
    let (tx, mut events) = mpsc::channel(256);
    let (_status, status_rx) = watch::channel(StatusSnapshot::default());
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
            config,
            endpoint,
            state,
            terminal_id,
        } => match options(config, endpoint, state, &terminal_id) {
            Ok(options) => terminal(options).await,
            Err(e) => Err(e),
        },
        Command::Pc(args) => match args.into_options() {
            Ok(options) => kaonin::sim::pc::run_pc(options)
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
