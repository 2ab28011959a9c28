//! `kaonin demo`: three whole receptions on simulated hardware — face, face fails
//! then PIN, and a staff visual check — with the reference PC receiver, printing
//! every screen as it appears. The PC receiver prints each record it gets.
//!
//! It drives the real daemon through the real control socket, exactly as a test or
//! an integrator with `socat` would.

use crate::assets;
use crate::config::Config;
use crate::devices::{CameraKind, DisplayKind, InputKind, ReaderKind};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::net::unix::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::UnixStream;

/// How long one step may wait for the screen it expects.
const STEP_TIMEOUT: Duration = Duration::from_secs(20);

/// Why the demo failed.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("setting up {0}: {1}")]
    Setup(String, String),
    #[error("waiting for screen `{expected}`: {reason}")]
    Step { expected: String, reason: String },
    #[error("control socket: {0}")]
    Io(#[from] std::io::Error),
}

/// The demo's configuration: everything simulated, in `work` (where it writes the
/// virtual cards' trust file), screens into `out`.
pub fn demo_config(work: &Path, out: &Path) -> Config {
    let mut config = Config::default();
    config.terminal.id = "demo-reception".into();
    config.terminal.state_dir = work.join("state");
    config.reader.kind = ReaderKind::Mock;
    config.camera.kind = CameraKind::Images;
    config.display.kind = DisplayKind::Png;
    config.display.dir = out.to_path_buf();
    config.input.kind = InputKind::Control;
    config.input.control = format!("unix:{}", work.join("control.sock").display());
    config.link.endpoint = format!("unix:{}", work.join("link.sock").display());
    config.policy.face_retry_ms = 200;
    config.policy.auto_face_s = 0;
    config.use_test_face_matcher();
    // The simulated cards' 券面 data is signed by the virtual cards' own CA: its
    // public key goes into `work` for [card] kenmen_trust (if it cannot be written,
    // the daemon says so at start).
    let trust = work.join("kenmen-trust.pem");
    let pem = super::vcard::kenmen_ca::ca_public_pem_default();
    if let Err(e) = std::fs::create_dir_all(work).and_then(|_| std::fs::write(&trust, pem)) {
        tracing::error!(path = %trust.display(), error = %e, "cannot write the demo's trust file");
    }
    config.card.kenmen_trust = trust;
    config
}

/// Runs the demo, writing screen PNGs to `out`.
pub async fn run(out: &Path) -> anyhow::Result<()> {
    // A fresh directory of our own (random name, mode 0700, removed on the way
    // out): a name another user could guess and create first would let them
    // plant the sockets and state the demo uses.
    let dir = tempfile::Builder::new()
        .prefix("kaonin-demo-")
        .tempdir()
        .map_err(|e| DemoError::Setup(std::env::temp_dir().display().to_string(), e.to_string()))?;
    let work = dir.path().to_path_buf();
    std::fs::create_dir_all(out)
        .map_err(|e| DemoError::Setup(out.display().to_string(), e.to_string()))?;
    let config = demo_config(&work, out);
    println!("kaonin demo: screens are written to {}", out.display());
    println!("face matcher: the deterministic TEST-ONLY thumbnail matcher on synthetic faces");

    let mut pc = super::pc::PcOptions::new(&config.link.endpoint);
    pc.passcodes = vec![super::pc_cli::parse_passcode("staff-01=2580")?];
    let pc_task = tokio::spawn(super::pc::run_pc(pc));
    let (devices, mut sim) = crate::devices::build_devices(&config.devices())?;
    super::cards::attach(&mut sim);
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let daemon_config = config.clone();
    let daemon = tokio::spawn(async move {
        crate::daemon::run(&daemon_config, devices, sim, async {
            let _ = stop_rx.await;
        })
        .await
    });

    let result = script(&config).await;
    let _ = stop_tx.send(());
    let stopped = daemon.await;
    pc_task.abort();
    drop(dir);
    result?;
    stopped??;
    println!("kaonin demo: all three receptions completed");
    Ok(())
}

/// The three receptions.
async fn script(config: &Config) -> Result<(), DemoError> {
    let socket = PathBuf::from(config.input.control.trim_start_matches("unix:"));
    let mut ctl = Control::connect(&socket).await?;
    let faces = assets::path("faces");
    let alice = assets::path("cards/alice.toml");
    let camera = |name: &str| json!({"camera": faces.join(name)});
    let insert = json!({"card": "insert", "profile": alice});
    let remove = json!({"card": "remove"});
    let press = |id: &str| json!({"press": id});

    ctl.expect("idle").await?;
    println!("-- reception 1: face authentication");
    ctl.send(camera("alice-camera.png")).await?;
    ctl.send(insert.clone()).await?;
    ctl.expect("method_select").await?;
    ctl.send(press("face")).await?;
    ctl.expect("consent").await?;
    ctl.send(press("consent_all")).await?;
    ctl.expect("done").await?;
    ctl.send(remove.clone()).await?;
    ctl.expect("idle").await?;

    println!("-- reception 2: the face does not match, the PIN does");
    ctl.send(camera("bob.png")).await?;
    ctl.send(insert.clone()).await?;
    ctl.expect("method_select").await?;
    ctl.send(press("face")).await?;
    ctl.expect("pin").await?;
    ctl.send(json!({"pin": "1234"})).await?;
    ctl.expect("consent").await?;
    ctl.send(press("consent_individual")).await?;
    for answer in ["yes", "no", "yes", "yes"] {
        ctl.expect("consent_items").await?;
        ctl.send(press(answer)).await?;
    }
    ctl.expect("done").await?;
    ctl.send(remove.clone()).await?;
    ctl.expect("idle").await?;

    println!("-- reception 3: staff visual check (目視確認)");
    ctl.send(json!({"camera": null})).await?;
    ctl.send(insert).await?;
    ctl.expect("method_select").await?;
    ctl.send(json!({"staff": "visual", "passcode": "2580"}))
        .await?;
    ctl.expect("visual_armed").await?;
    ctl.send(json!({"staff": "confirm"})).await?;
    ctl.expect("consent").await?;
    ctl.send(press("consent_all")).await?;
    ctl.expect("done").await?;
    ctl.send(remove).await?;
    ctl.expect("idle").await?;
    Ok(())
}

/// A control-socket client that prints what the terminal does.
struct Control {
    lines: Lines<BufReader<OwnedReadHalf>>,
    write: OwnedWriteHalf,
}

impl Control {
    async fn connect(path: &Path) -> Result<Self, DemoError> {
        // The daemon binds the socket while starting; give it a bounded moment.
        let mut last = None;
        for _ in 0..250 {
            match UnixStream::connect(path).await {
                Ok(stream) => {
                    let (read, write) = stream.into_split();
                    return Ok(Control {
                        lines: BufReader::new(read).lines(),
                        write,
                    });
                }
                Err(e) => last = Some(e),
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Err(DemoError::Io(
            last.unwrap_or_else(|| std::io::Error::other("no socket")),
        ))
    }

    async fn send(&mut self, line: Value) -> Result<(), DemoError> {
        self.write
            .write_all(format!("{line}\n").as_bytes())
            .await
            .map_err(DemoError::Io)
    }

    /// Waits for the screen `id`, printing every event on the way.
    async fn expect(&mut self, id: &str) -> Result<(), DemoError> {
        let fail = |reason: String| DemoError::Step {
            expected: id.into(),
            reason,
        };
        let deadline = tokio::time::Instant::now() + STEP_TIMEOUT;
        loop {
            let line = tokio::time::timeout_at(deadline, self.lines.next_line())
                .await
                .map_err(|_| fail("timed out".into()))?
                .map_err(|e| fail(e.to_string()))?
                .ok_or_else(|| fail("the daemon closed the control socket".into()))?;
            let event: Value = serde_json::from_str(&line).map_err(|e| fail(e.to_string()))?;
            match event["event"].as_str() {
                Some("screen") => {
                    let shown = event["id"].as_str().unwrap_or("?");
                    println!(
                        "screen: {shown:<14} {}",
                        event["text"].as_str().unwrap_or("")
                    );
                    if shown == id {
                        return Ok(());
                    }
                }
                Some("forwarded") => println!(
                    "forwarded: {} ({})",
                    event["id"].as_str().unwrap_or("?"),
                    event["method"].as_str().unwrap_or("?")
                ),
                Some("error") => return Err(fail(format!("control error: {}", event["message"]))),
                _ => {}
            }
        }
    }
}
