//! The daemon: devices, flow and PC link wired together on tokio.
//!
//! Data moves one way. Device workers (threads, because the devices block), the
//! control socket, the PC link and timers turn what happens into [`Inbound`]
//! messages; the loop feeds them to the [`Flow`](crate::flow::Flow) and carries out
//! the actions it returns. The loop itself never blocks on a device.
//!
//! - [`run`] (here): starts the screens, the staff store, the figures, the PC link,
//!   the control socket and the metrics endpoint, then the workers and the loop;
//! - `workers`: one thread per device, and the loop's handles on them;
//! - `event_loop`: the loop, over the parts it owns — `session` (the current
//!   reception, with the card presence), `uplink` (PC link, figures,
//!   announcements) and `timers`;
//! - `notify`: systemd's readiness and watchdog notifications.

mod event_loop;
mod notify;
mod relay;
mod session;
mod timers;
mod uplink;
mod workers;

use crate::config::Config;
use crate::control;
use crate::devices::{Devices, Sim};
use crate::flow::{Device, Event};
use crate::link::{self, StatusSnapshot};
use crate::staff::Staff;
use crate::stats::Stats;
use crate::ui::Ui;
use event_loop::Loop;
use kaonin_hal::input::InputEvent;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use uplink::Uplink;
use workers::Workers;

/// How often a failed device is tried again.
pub const RETRY: Duration = Duration::from_millis(500);

/// Digits of a card PIN and of a staff passcode.
pub const PIN_DIGITS: usize = 4;

/// Something for the daemon loop.
#[derive(Debug)]
pub enum Inbound {
    /// An event for the flow.
    Flow(Event),
    /// An event from the PC link, with its place in the link's bounded relay.
    Link(Event, relay::Place),
    /// A line from the control socket, with its place in the control's bounded relay.
    Control(control::Request, relay::Place),
    /// Input from a touchscreen or keypad, with its place in the bounded input queue.
    Input(InputEvent, workers::input::Queued),
    /// A device stopped or started working.
    Device { device: Device, up: bool },
    /// Time to tell systemd the loop is alive.
    Watchdog,
    /// The input device sent something that is not a key: drop any half-typed PIN.
    InputGarbled,
    /// The card-face worker's progress for the read `token`.
    KenmenKey {
        token: u64,
        report: workers::card_face::Report,
    },
    /// Time to look whether every device worker still comes back to its channel.
    HealthCheck,
    /// A device worker panicked or wedged: the terminal restarts.
    WorkerFailed {
        worker: &'static str,
        failure: workers::Failure,
    },
}

/// Why the daemon could not start.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    /// The operations figures could not be opened.
    #[error("operations figures: {0}")]
    Stats(#[from] crate::stats::StatsError),
    /// The screens could not be prepared (fonts, catalogs).
    #[error("screens: {0}")]
    Ui(#[from] crate::ui::UiError),
    /// The staff passcode store could not be opened.
    #[error("staff passcodes: {0}")]
    Staff(#[from] crate::staff::StaffError),
    /// The PC link could not start.
    #[error("PC link: {0}")]
    Link(#[from] crate::link::LinkError),
    /// A device could not be set up.
    #[error(transparent)]
    Device(#[from] crate::devices::DeviceError),
    /// The 券面AP trust anchors (`[card] kenmen_trust`) could not be read.
    #[error("[card] kenmen_trust: {0}")]
    Trust(#[from] crate::card::TrustError),
    /// The control socket could not be opened.
    #[error("control socket {path}: {source}")]
    Control {
        path: String,
        source: std::io::Error,
    },
    /// A device worker panicked or wedged; the daemon stopped so that systemd
    /// starts it again (the outbox is kept).
    #[error("the {worker} worker {failure}: restarting the terminal")]
    WorkerFailed {
        worker: &'static str,
        failure: workers::Failure,
    },
}

/// How long the restarting screen may take to reach the panel before the
/// daemon exits anyway (a wedged display never answers).
const RESTART_SCREEN_WAIT: Duration = Duration::from_secs(3);
/// How long a failing daemon waits for its control clients to be sent the last
/// screen before it exits.
const ANNOUNCE_DRAIN_WAIT: Duration = Duration::from_secs(2);

/// Makes any panic outside a device worker — the loop, the PC link, a timer, a
/// blocking task — end the process at once (after the usual panic message), so
/// systemd restarts it: tokio would otherwise swallow a task's panic and leave a
/// terminal that looks alive but never delivers. Device workers' panics are caught
/// where their threads start and restart the terminal in order (the restarting
/// screen first). Called once by `kaonin run`.
pub fn abort_on_stray_panics() {
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        report(info);
        let in_worker = std::thread::current()
            .name()
            .is_some_and(|name| name.starts_with(workers::THREAD_PREFIX));
        if !in_worker {
            std::process::abort();
        }
    }));
}

/// Runs the daemon until `shutdown` completes; then the session is wiped and the
/// outbox left intact.
pub async fn run(
    config: &Config,
    devices: Devices,
    sim: Sim,
    shutdown: impl Future<Output = ()>,
) -> Result<(), DaemonError> {
    let (tx, rx) = mpsc::unbounded_channel::<Inbound>();
    let announce = control::Announcer::new(256);
    let (status_tx, status_rx) = watch::channel(StatusSnapshot::default());
    let ui = Arc::new(Ui::new(
        config.display.width,
        config.display.height,
        config.ui_options(),
    )?);
    let staff = Staff::open_with(
        &config.terminal.state_dir,
        crate::staff::LockoutPolicy::new(
            config.policy.staff_passcode_attempts,
            config.policy.staff_lockout_steps(),
        ),
    )?;
    let (link_tx, link_rx) = mpsc::channel::<Event>(64);
    let stats = Stats::open(&config.terminal.state_dir)?;
    let mut link_options = link::ClientOptions::from_config(
        &config.link,
        &config.terminal.id,
        &config.terminal.state_dir,
    )?;
    // The PC may ask for the operations figures (docs/pc-link.md, `stats_request`).
    link_options.stats = Some(stats.clone());
    let link = link::spawn_with(link_options, staff.clone(), link_tx, status_rx).await?;
    relay::spawn(link_rx, tx.clone(), Inbound::Link);
    if config.input.uses_control() {
        start_control(config, tx.clone(), announce.clone()).await?;
    }
    let tx_watchdog = tx.clone();
    if let Some(addr) = config.board.metrics.addr() {
        // Bound before READY=1, so the endpoint answers as soon as systemd (or a
        // test) is told the daemon is up.
        match crate::stats::bind_metrics(addr).await {
            Ok(listener) => {
                tracing::info!(%addr, "metrics endpoint listening");
                let stats = stats.clone();
                tokio::spawn(async move {
                    if let Err(e) = crate::stats::serve_metrics_on(stats, listener).await {
                        tracing::error!(error = %e, %addr, "metrics endpoint stopped");
                    }
                });
            }
            Err(e) => tracing::error!(error = %e, %addr, "metrics endpoint unavailable"),
        }
    }
    let health = workers::Health::new(config.board.worker_timeout());
    let trust = config.card.trust()?;
    announce_trust(&trust);
    let card = workers::card::CardOptions {
        guard: crate::card::KenmenGuard::new(config.card_face_floor()).with_trust(trust),
        deadline: config.card.operation_timeout(),
    };
    let workers = Workers::spawn(
        devices,
        sim,
        ui.clone(),
        announce.clone(),
        tx.clone(),
        card,
        health.clone(),
    );
    let announced = announce.clone();
    let uplink = Uplink::new(link.clone(), status_tx, stats.clone(), announce);
    let mut daemon = Loop::start(config.policy.flow_policy(), ui, staff, tx, workers, uplink);
    timers::start_health_checks(tx_watchdog.clone(), health.limit());
    timers::start_watchdog(tx_watchdog);
    notify::notify("READY=1");
    tracing::info!(terminal = %config.terminal.id, "ready");
    let failed = tokio::select! {
        failed = daemon.run(rx) => failed,
        _ = shutdown => None,
    };
    notify::notify("STOPPING=1");
    if let Some((worker, failure)) = failed {
        // The watchdog is no longer fed (the loop has left); say so on the panel,
        // then exit with an error so systemd starts the terminal again. A wedged
        // worker is never joined.
        let drawn = daemon.abandon();
        let _ = tokio::time::timeout(RESTART_SCREEN_WAIT, drawn).await;
        // The control clients (a test rig, the simulator) see that screen too.
        announced.drained(ANNOUNCE_DRAIN_WAIT).await;
        link.shutdown().await;
        if let Err(e) = stats.flush() {
            tracing::warn!(error = %e, "operations figures could not be saved");
        }
        return Err(DaemonError::WorkerFailed { worker, failure });
    }
    daemon.stop();
    link.shutdown().await;
    if let Err(e) = stats.flush() {
        tracing::warn!(error = %e, "operations figures could not be saved");
    }
    Ok(())
}

async fn start_control(
    config: &Config,
    tx: mpsc::UnboundedSender<Inbound>,
    announce: control::Announcer,
) -> Result<(), DaemonError> {
    let path = PathBuf::from(config.input.control.trim_start_matches("unix:"));
    let listener = control::bind(&path).map_err(|source| DaemonError::Control {
        path: path.display().to_string(),
        source,
    })?;
    let (req_tx, req_rx) = mpsc::channel(64);
    let files = control::Files::under(&config.input.control_dirs());
    tokio::spawn(async move {
        if let Err(e) = control::serve(listener, req_tx, announce, files).await {
            tracing::error!(error = %e, "control socket stopped");
        }
    });
    relay::spawn(req_rx, tx, Inbound::Control);
    Ok(())
}

/// Says once, at start-up, which issuers card-face data may come from.
fn announce_trust(trust: &crate::card::KenmenTrust) {
    if trust.configured() == 0 {
        tracing::info!(
            "券面AP trust: the built-in J-LIS production key (5000023) only; card-face data of \
             test cards (JPKI test hierarchy, virtual cards) cannot be verified and such cards \
             are refused ([card] kenmen_trust adds keys on a test rig)"
        );
    } else {
        let names: Vec<&str> = trust.anchors().iter().map(|a| a.name.as_str()).collect();
        tracing::warn!(
            anchors = ?names,
            "券面AP trust: extra keys from [card] kenmen_trust are trusted beside the J-LIS \
             production key; a counter terminal should have none"
        );
    }
}
