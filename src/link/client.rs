//! The terminal side of the link: one task that keeps a connection to the PC.
//!
//! It connects (backoff from 100 ms doubling to 5 s, for ever), sends `hello` and a
//! `status`, then every outbox record in order, then new records, events and status changes as
//! they come. It answers the PC's requests, turns acks into [`Event::Acked`] (after
//! removing the record from the outbox) and reports the link going up and down.
//! Liveness: a `ping` goes out every `ping_interval`; if nothing at all arrives for
//! `idle_timeout` (any line counts, even an `error` from a PC that does not know
//! `ping`) the connection is dropped and re-made.

use super::config::LinkConfig;
use super::framing::{GarbageMeter, LineRead, LineReader, MAX_LINE};
use super::message::{
    parse_from_pc, to_line, AckFor, IdentityMsg, PcMsg, ReaderMsg, RegistrationMsg, PROTOCOL,
};
use super::outbox::{OpenReport, Outbox, OutboxError, Pending, Record, RegistrationRecord};
use super::signature::TerminalSigner;
use super::tls::{self, KeyPair};
use super::transport::{connect, BoxStream, ClientSecurity, Endpoint};
use super::{LinkError, SOFTWARE};
use crate::flow::{Event, Identity, PcEventKind};
use crate::ground::civil::{now_rfc3339, unix_now};
use crate::ground::escape::Escaped;
use crate::staff::Staff;
use kaonin_hal::secret::Digits;
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncWrite, AsyncWriteExt, WriteHalf};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use zeroize::Zeroizing;

/// What the flow's screen and the card slot show, for `status` messages.
#[derive(Clone, Debug, Default)]
pub struct StatusSnapshot {
    /// The screen id (CONTRACT §3).
    pub state: String,
    /// Whether a card is on the reader.
    pub card_present: bool,
    /// Devices not working now (`reader`, `camera`, …).
    pub failed_devices: Vec<String>,
}

/// Everything the client task needs, resolved from the config.
#[derive(Clone)]
pub struct ClientOptions {
    /// Where the PC listens.
    pub endpoint: Endpoint,
    /// TLS or plain.
    pub security: ClientSecurity,
    /// Sent in `hello` and every identity.
    pub terminal_id: String,
    /// Holds the outbox.
    pub state_dir: PathBuf,
    /// Records older than this are sent with `"stale": true`.
    pub stale_after: Duration,
    /// A `ping` goes out this often.
    pub ping_interval: Duration,
    /// Nothing received for this long: the connection is dead.
    pub idle_timeout: Duration,
    /// A write that takes longer fails the connection.
    pub write_timeout: Duration,
    /// Longest pause between connection attempts.
    pub max_backoff: Duration,
    /// Extension: the operations figures a `stats_request` is answered from
    /// (`None`: the request gets an `error`).
    pub stats: Option<crate::stats::Stats>,
    /// Extension: signs every identity as it is sent (`terminal_signature`);
    /// `None`: identities go unsigned.
    pub signer: Option<Arc<TerminalSigner>>,
}

impl ClientOptions {
    /// Options from a validated `[link]` section, for the terminal `terminal_id`
    /// whose outbox (and default key pair) lives in `state_dir`; loads the TLS key
    /// pair for `tcp://`.
    pub fn from_config(
        link: &LinkConfig,
        terminal_id: &str,
        state_dir: &Path,
    ) -> Result<ClientOptions, LinkError> {
        let endpoint = Endpoint::parse(&link.endpoint).map_err(LinkError::Endpoint)?;
        let state_dir = state_dir.to_path_buf();
        let (security, signer) = match &endpoint {
            Endpoint::Unix(_) => (
                ClientSecurity::UnixPeer(super::transport::PeerPolicy::configured(
                    &link.peer_uids,
                    &link.peer_gids,
                )),
                TerminalSigner::load_or_create(&state_dir),
            ),
            Endpoint::Tcp { .. } if link.allow_plain_tcp && endpoint.is_loopback() => (
                ClientSecurity::Plain,
                TerminalSigner::load_or_create(&state_dir),
            ),
            Endpoint::Tcp { .. } => {
                let pc = tls::parse_fingerprint(&link.pc_fingerprint)
                    .map_err(|e| LinkError::Config(format!("link.pc_fingerprint: {e}")))?;
                let (cert, key) = link.cert_files(&state_dir);
                let security =
                    ClientSecurity::Tls(tls::client_config(KeyPair::load(&cert, &key)?, pc)?);
                (security, TerminalSigner::for_link_key(&key, &state_dir))
            }
        };
        let signer = signer.map_err(|e| LinkError::Config(format!("terminal signature: {e}")))?;
        tracing::info!(
            key = %signer.path().display(),
            public_key = %signer.public_key_hex(),
            "identities are signed (terminal_signature)"
        );
        Ok(ClientOptions {
            endpoint,
            security,
            terminal_id: terminal_id.into(),
            state_dir,
            stale_after: Duration::from_secs(link.stale_after_s),
            ping_interval: Duration::from_secs(link.ping_interval_s),
            idle_timeout: Duration::from_secs(link.idle_timeout_s),
            write_timeout: Duration::from_secs(link.write_timeout_s),
            max_backoff: Duration::from_secs(5),
            stats: None,
            signer: Some(Arc::new(signer)),
        })
    }

    /// Plain options for `endpoint` with the default timings.
    pub fn new(endpoint: Endpoint, terminal_id: &str, state_dir: PathBuf) -> ClientOptions {
        ClientOptions {
            endpoint,
            security: ClientSecurity::Plain,
            terminal_id: terminal_id.into(),
            state_dir,
            stale_after: Duration::from_secs(86_400),
            ping_interval: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(25),
            write_timeout: Duration::from_secs(10),
            max_backoff: Duration::from_secs(5),
            stats: None,
            signer: None,
        }
    }
}

enum Cmd {
    /// A best-effort event.
    Event(ReaderMsg),
    /// Stop the task.
    Shutdown,
}

/// The flow's handle on the link. Cheap to clone.
#[derive(Clone)]
pub struct LinkHandle {
    cmds: mpsc::Sender<Cmd>,
    /// New records are in the outbox (coalesced: one wake-up however many).
    wake: Arc<tokio::sync::Notify>,
    outbox: Outbox,
    report: OpenReport,
    terminal_id: String,
    task: Arc<Mutex<Option<JoinHandle<()>>>>,
}

/// Starts the link client for a `[link]` section (see [`spawn_with`]).
pub async fn spawn(
    link: &LinkConfig,
    terminal_id: &str,
    state_dir: &Path,
    staff: Staff,
    events: mpsc::Sender<Event>,
    status: watch::Receiver<StatusSnapshot>,
) -> Result<LinkHandle, LinkError> {
    let options = ClientOptions::from_config(link, terminal_id, state_dir)?;
    spawn_with(options, staff, events, status).await
}

/// Opens the outbox (a damaged tail is quarantined and logged) and starts the
/// client task.
pub async fn spawn_with(
    options: ClientOptions,
    staff: Staff,
    events: mpsc::Sender<Event>,
    status: watch::Receiver<StatusSnapshot>,
) -> Result<LinkHandle, LinkError> {
    let dir = options.state_dir.clone();
    let (outbox, report) = tokio::task::spawn_blocking(move || Outbox::open(&dir))
        .await
        .map_err(|e| LinkError::Config(format!("outbox open task failed: {e}")))??;
    if report.kept > 0 {
        tracing::info!(
            records = report.kept,
            "outbox has records waiting for the PC"
        );
    }
    let (tx, rx) = mpsc::channel(CMD_QUEUE);
    let wake = Arc::new(tokio::sync::Notify::new());
    let terminal_id = options.terminal_id.clone();
    let client = Client {
        options,
        outbox: outbox.clone(),
        staff,
        events,
        status,
        cmds: rx,
        wake: wake.clone(),
        held_events: VecDeque::new(),
        reported_up: None,
        last_status: None,
    };
    let task = tokio::spawn(client.run());
    Ok(LinkHandle {
        cmds: tx,
        wake,
        outbox,
        report,
        terminal_id,
        task: Arc::new(Mutex::new(Some(task))),
    })
}

impl LinkHandle {
    /// Stores the identity durably (fsync) and queues it for the PC. Returns only
    /// after the record is on disk.
    pub async fn enqueue(&self, identity: &Identity) -> Result<(), OutboxError> {
        let msg = IdentityMsg::from_identity(identity, &self.terminal_id, now_rfc3339());
        self.enqueue_msg(msg).await
    }

    /// [`LinkHandle::enqueue`] for a ready wire message (keeps its `at`).
    pub async fn enqueue_msg(&self, msg: IdentityMsg) -> Result<(), OutboxError> {
        let outbox = self.outbox.clone();
        tokio::task::spawn_blocking(move || outbox.push(msg))
            .await
            .map_err(|_| OutboxError::Closed)??;
        self.wake.notify_one();
        Ok(())
    }

    /// Extension: stores a `registration` for the identity `id` durably (fsync)
    /// and queues it for the PC. Returns only after the record is on disk.
    pub async fn enqueue_registration(&self, id: &str) -> Result<(), OutboxError> {
        let msg = RegistrationMsg::new(id, &self.terminal_id, now_rfc3339());
        let outbox = self.outbox.clone();
        tokio::task::spawn_blocking(move || outbox.push_registration(msg))
            .await
            .map_err(|_| OutboxError::Closed)??;
        self.wake.notify_one();
        Ok(())
    }

    /// Sends an event to the PC, best effort (held briefly while offline).
    pub fn event(&self, kind: PcEventKind, detail: &str) {
        let event = Cmd::Event(ReaderMsg::Event {
            kind,
            at: now_rfc3339(),
            detail: detail.into(),
        });
        if self.cmds.try_send(event).is_err() {
            tracing::debug!("PC event dropped: the link's queue is full");
        }
    }

    /// Answers a request of the PC (`ok` or `error`), best effort like an event.
    pub fn reply(&self, msg: ReaderMsg) {
        if self.cmds.try_send(Cmd::Event(msg)).is_err() {
            tracing::debug!("PC answer dropped: the link's queue is full");
        }
    }

    /// What opening the outbox found (damaged bytes quarantined, records kept).
    pub fn outbox_report(&self) -> &OpenReport {
        &self.report
    }

    /// Records waiting for their ack.
    pub fn outbox_len(&self) -> usize {
        self.outbox.len()
    }

    /// Stops the client task and waits for it.
    pub async fn shutdown(self) {
        let _ = tokio::time::timeout(Duration::from_secs(2), self.cmds.send(Cmd::Shutdown)).await;
        let task = self.task.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(mut task) = task {
            // A connection attempt in progress may hold the task up to the
            // handshake timeout; don't wait that long.
            if tokio::time::timeout(Duration::from_secs(2), &mut task)
                .await
                .is_err()
            {
                task.abort();
                let _ = task.await;
            }
        }
    }
}

/// Events held while offline, at most this many (oldest dropped).
const HELD_EVENTS: usize = 64;
/// Events and the stop waiting for the client task; beyond, events are dropped
/// (best effort, like the held ones).
const CMD_QUEUE: usize = 256;

struct Client {
    options: ClientOptions,
    outbox: Outbox,
    staff: Staff,
    events: mpsc::Sender<Event>,
    status: watch::Receiver<StatusSnapshot>,
    cmds: mpsc::Receiver<Cmd>,
    wake: Arc<tokio::sync::Notify>,
    held_events: VecDeque<ReaderMsg>,
    reported_up: Option<bool>,
    /// The last `status` sent on the current connection.
    last_status: Option<ReaderMsg>,
}

/// Why a session ended.
enum End {
    Dropped(String),
    Shutdown,
}

impl Client {
    async fn run(mut self) {
        let mut backoff = Duration::from_millis(100);
        let mut failures = 0u32;
        loop {
            match connect(&self.options.endpoint, &self.options.security).await {
                Ok(stream) => {
                    tracing::info!(endpoint = %self.options.endpoint, "link up");
                    failures = 0;
                    self.report(true).await;
                    let began = Instant::now();
                    let end = self.session(stream).await;
                    self.report(false).await;
                    // A PC that hangs up at once must not make us spin: only a
                    // connection that lasted resets the backoff.
                    if began.elapsed() >= self.options.max_backoff {
                        backoff = Duration::from_millis(100);
                    }
                    match end {
                        End::Shutdown => return,
                        End::Dropped(why) => tracing::warn!(reason = %Escaped(&why), "link down"),
                    }
                }
                Err(e) => {
                    if failures == 0 {
                        tracing::warn!(error = %e, "cannot reach the PC; retrying");
                    } else {
                        tracing::debug!(error = %e, "cannot reach the PC");
                    }
                    failures += 1;
                    self.report(false).await;
                }
            }
            if self.pause(backoff).await {
                return;
            }
            backoff = (backoff * 2).min(self.options.max_backoff);
        }
    }

    /// Tells the flow about a link change (only changes).
    async fn report(&mut self, up: bool) {
        if self.reported_up != Some(up) {
            self.reported_up = Some(up);
            let _ = self.events.send(Event::Link { up }).await;
        }
    }

    /// Waits `delay`, handling commands; true on shutdown.
    async fn pause(&mut self, delay: Duration) -> bool {
        let deadline = Instant::now() + delay;
        loop {
            tokio::select! {
                _ = tokio::time::sleep_until(deadline) => return false,
                cmd = self.cmds.recv() => match cmd {
                    None | Some(Cmd::Shutdown) => return true,
                    Some(Cmd::Event(e)) => self.hold(e),
                },
            }
        }
    }

    fn hold(&mut self, event: ReaderMsg) {
        if self.held_events.len() >= HELD_EVENTS {
            self.held_events.pop_front();
        }
        self.held_events.push_back(event);
    }

    async fn session(&mut self, stream: BoxStream) -> End {
        let (read, write) = tokio::io::split(stream);
        let (frames_tx, mut frames) = mpsc::channel(16);
        let reader = tokio::spawn(read_frames(LineReader::new(read), frames_tx));
        let mut conn = Conn {
            write,
            timeout: self.options.write_timeout,
        };
        let end = self.converse(&mut conn, &mut frames).await;
        reader.abort();
        let _ = tokio::time::timeout(Duration::from_secs(1), conn.write.shutdown()).await;
        end
    }

    async fn converse(
        &mut self,
        conn: &mut Conn<WriteHalf<BoxStream>>,
        frames: &mut mpsc::Receiver<std::io::Result<LineRead>>,
    ) -> End {
        let hello = ReaderMsg::Hello {
            protocol: PROTOCOL,
            terminal_id: self.options.terminal_id.clone(),
            software: SOFTWARE.into(),
        };
        if let Err(e) = conn.send(&hello).await {
            return End::Dropped(e);
        }
        self.last_status = None;
        if let Err(e) = self.send_status(conn, true).await {
            return End::Dropped(e);
        }
        let mut last_sent = None;
        if let Err(e) = self.send_records(conn, &mut last_sent).await {
            return End::Dropped(e);
        }
        while let Some(event) = self.held_events.pop_front() {
            if let Err(e) = conn.send(&event).await {
                return End::Dropped(e);
            }
        }
        let mut last_rx = Instant::now();
        let mut next_ping = Instant::now() + self.options.ping_interval;
        let mut garbage = GarbageMeter::default();
        let mut status_open = true;
        loop {
            let idle_deadline = last_rx + self.options.idle_timeout;
            let result = tokio::select! {
                frame = frames.recv() => {
                    last_rx = Instant::now();
                    match frame {
                        None | Some(Ok(LineRead::Eof)) => return End::Dropped("the PC closed the connection".into()),
                        Some(Err(e)) => return End::Dropped(format!("read: {e}")),
                        Some(Ok(frame)) => self.on_frame(conn, frame, &mut garbage).await,
                    }
                }
                cmd = self.cmds.recv() => match cmd {
                    None | Some(Cmd::Shutdown) => return End::Shutdown,
                    Some(Cmd::Event(e)) => conn.send(&e).await,
                },
                _ = self.wake.notified() => self.send_records(conn, &mut last_sent).await,
                changed = self.status.changed(), if status_open => match changed {
                    Ok(()) => self.send_status(conn, false).await,
                    Err(_) => { status_open = false; Ok(()) }
                },
                _ = tokio::time::sleep_until(next_ping) => {
                    next_ping = Instant::now() + self.options.ping_interval;
                    conn.send(&ReaderMsg::Ping).await
                }
                _ = tokio::time::sleep_until(idle_deadline) => {
                    return End::Dropped(format!("nothing received for {:?}", self.options.idle_timeout));
                }
            };
            if let Err(e) = result {
                return End::Dropped(e);
            }
        }
    }

    /// Sends outbox records newer than `last_sent`, in order.
    async fn send_records(
        &mut self,
        conn: &mut Conn<WriteHalf<BoxStream>>,
        last_sent: &mut Option<u64>,
    ) -> Result<(), String> {
        for (seq, record) in self.outbox.pending_after(*last_sent) {
            let msg = match record {
                Pending::Identity(record) => ReaderMsg::Identity(self.wire(record)),
                Pending::Registration(record) => {
                    ReaderMsg::Registration(self.wire_registration(record))
                }
            };
            conn.send(&msg).await?;
            *last_sent = Some(seq);
        }
        Ok(())
    }

    /// The wire form of a stored record, flagged stale if it waited too long.
    fn wire(&self, record: Record) -> IdentityMsg {
        let age = unix_now().saturating_sub(record.stored);
        let mut msg = record.identity;
        msg.stale = age > self.options.stale_after.as_secs();
        match &self.options.signer {
            Some(signer) => signer.sign(msg.clone()).unwrap_or_else(|e| {
                tracing::warn!(error = %e, "identity sent without terminal_signature");
                IdentityMsg {
                    terminal_signature: None,
                    ..msg
                }
            }),
            None => msg,
        }
    }

    /// The wire form of a stored registration (stale flag and signature as for
    /// identities).
    fn wire_registration(&self, record: RegistrationRecord) -> RegistrationMsg {
        let age = unix_now().saturating_sub(record.stored);
        let mut msg = record.registration;
        msg.stale = age > self.options.stale_after.as_secs();
        match &self.options.signer {
            Some(signer) => signer.sign_registration(msg.clone()).unwrap_or_else(|e| {
                tracing::warn!(error = %e, "registration sent without terminal_signature");
                RegistrationMsg {
                    terminal_signature: None,
                    ..msg
                }
            }),
            None => msg,
        }
    }

    /// Sends a `status`; unless `force`, only if it differs from the last one sent
    /// on this connection.
    async fn send_status(
        &mut self,
        conn: &mut Conn<WriteHalf<BoxStream>>,
        force: bool,
    ) -> Result<(), String> {
        let snapshot = self.status.borrow_and_update().clone();
        let status = ReaderMsg::Status {
            state: if snapshot.state.is_empty() {
                "idle".into()
            } else {
                snapshot.state
            },
            card_present: snapshot.card_present,
            outbox: self.outbox.len(),
            failed_devices: snapshot.failed_devices,
        };
        if !force && self.last_status.as_ref() == Some(&status) {
            return Ok(());
        }
        conn.send(&status).await?;
        self.last_status = Some(status);
        Ok(())
    }

    async fn on_frame(
        &mut self,
        conn: &mut Conn<WriteHalf<BoxStream>>,
        frame: LineRead,
        garbage: &mut GarbageMeter,
    ) -> Result<(), String> {
        let parsed = match frame {
            LineRead::Line(line) if line.iter().all(u8::is_ascii_whitespace) => return Ok(()),
            LineRead::Line(line) => {
                // The line may carry a staff passcode: wipe it once parsed.
                let line = Zeroizing::new(line);
                parse_from_pc(&line).map_err(|e| e.to_string())
            }
            LineRead::TooLong => Err(format!("line longer than {MAX_LINE} bytes")),
            LineRead::Eof => return Ok(()),
        };
        match parsed {
            Ok(msg) => {
                garbage.good();
                self.on_message(conn, msg).await
            }
            Err(message) => {
                tracing::debug!(message = %Escaped(&message), "bad line from the PC");
                conn.send(&ReaderMsg::Error { message }).await?;
                if garbage.bad() {
                    tracing::warn!("the PC sent only garbage; disconnecting");
                    return Err("too many bad lines from the PC".into());
                }
                Ok(())
            }
        }
    }

    async fn on_message(
        &mut self,
        conn: &mut Conn<WriteHalf<BoxStream>>,
        msg: PcMsg,
    ) -> Result<(), String> {
        match msg {
            PcMsg::Ack {
                id,
                result,
                message,
                of,
            } => {
                let kind = of.unwrap_or_default();
                let outbox = self.outbox.clone();
                let acked = id.clone();
                let removed = tokio::task::spawn_blocking(move || outbox.remove_for(kind, &acked))
                    .await
                    .unwrap_or(false);
                if removed && kind == AckFor::Registration {
                    // The patient was already told to wait for staff: nothing to
                    // show; the PC's answer is only logged.
                    tracing::info!(id = %Escaped(&id), ?result, "the PC acked a registration");
                } else if removed {
                    let _ = self
                        .events
                        .send(Event::Acked {
                            id,
                            result,
                            message,
                        })
                        .await;
                } else {
                    tracing::debug!(id = %Escaped(&id), "ack for a record not in the outbox (already acked)");
                }
                Ok(())
            }
            PcMsg::SetPasscode { account, passcode } => {
                let passcode = Zeroizing::new(passcode);
                let reply = self.set_passcode(&account, &passcode).await;
                conn.send(&reply).await
            }
            PcMsg::RevokePasscode { account } => {
                let staff = self.staff.clone();
                let name = account.clone();
                let reply = match tokio::task::spawn_blocking(move || staff.revoke(&name)).await {
                    Ok(Ok(_)) => ReaderMsg::Ok {
                        of: "revoke_passcode".into(),
                        account: Some(account),
                    },
                    Ok(Err(e)) => ReaderMsg::Error {
                        message: format!("revoke_passcode: {e}"),
                    },
                    Err(e) => ReaderMsg::Error {
                        message: format!("revoke_passcode: {e}"),
                    },
                };
                conn.send(&reply).await
            }
            PcMsg::StatusRequest => self.send_status(conn, true).await,
            PcMsg::StatsRequest => {
                let reply = match &self.options.stats {
                    Some(stats) => ReaderMsg::Stats {
                        at: now_rfc3339(),
                        figures: stats.figures(),
                    },
                    None => ReaderMsg::Error {
                        message: "this terminal keeps no operations figures".into(),
                    },
                };
                conn.send(&reply).await
            }
            PcMsg::Cancel => {
                let _ = self.events.send(Event::PcCancel).await;
                Ok(())
            }
            PcMsg::ArmVisual { account } => {
                // The flow answers (`ok` or `error`) through `LinkHandle::reply`.
                if let Err(e) = crate::staff::account::validate(&account) {
                    let message = format!("arm_visual: {e}");
                    return conn.send(&ReaderMsg::Error { message }).await;
                }
                tracing::info!(account = %Escaped(&account), "the PC arms visual-check mode");
                let _ = self.events.send(Event::PcArmVisual { account }).await;
                Ok(())
            }
            PcMsg::Disarm => {
                let _ = self.events.send(Event::PcDisarm).await;
                Ok(())
            }
            PcMsg::Ping => conn.send(&ReaderMsg::Pong).await,
            PcMsg::Pong | PcMsg::Ok { .. } => Ok(()),
            PcMsg::Error { message } => {
                tracing::debug!(message = %Escaped(&message), "the PC reported an error");
                Ok(())
            }
        }
    }

    async fn set_passcode(&self, account: &str, passcode: &str) -> ReaderMsg {
        let digits = match Digits::parse(passcode, crate::staff::PASSCODE_DIGITS) {
            Ok(d) => d,
            Err(e) => {
                return ReaderMsg::Error {
                    message: format!("set_passcode: {e}"),
                }
            }
        };
        let staff = self.staff.clone();
        let name = account.to_owned();
        match tokio::task::spawn_blocking(move || staff.set_passcode(&name, &digits)).await {
            Ok(Ok(())) => {
                tracing::info!(%account, "staff passcode set by the PC");
                ReaderMsg::Ok {
                    of: "set_passcode".into(),
                    account: Some(account.into()),
                }
            }
            Ok(Err(e)) => ReaderMsg::Error {
                message: format!("set_passcode: {e}"),
            },
            Err(e) => ReaderMsg::Error {
                message: format!("set_passcode: {e}"),
            },
        }
    }
}

/// The write side of a connection, with a timeout on every line.
pub(crate) struct Conn<W> {
    pub(crate) write: W,
    pub(crate) timeout: Duration,
}

impl<W: AsyncWrite + Unpin> Conn<W> {
    pub(crate) async fn send<T: serde::Serialize>(&mut self, msg: &T) -> Result<(), String> {
        self.send_raw(&to_line(msg)).await
    }

    pub(crate) async fn send_raw(&mut self, line: &[u8]) -> Result<(), String> {
        let work = async {
            self.write.write_all(line).await?;
            self.write.flush().await
        };
        match tokio::time::timeout(self.timeout, work).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(format!("write: {e}")),
            Err(_) => Err(format!("write timed out after {:?}", self.timeout)),
        }
    }
}

/// Feeds frames from `reader` into `tx` until end of stream or an error.
pub(crate) async fn read_frames<R: tokio::io::AsyncRead + Unpin>(
    mut reader: LineReader<R>,
    tx: mpsc::Sender<std::io::Result<LineRead>>,
) {
    loop {
        let frame = reader.next().await;
        let last = matches!(frame, Ok(LineRead::Eof) | Err(_));
        if tx.send(frame).await.is_err() || last {
            return;
        }
    }
}

/// The terminal's certificate fingerprint (for pairing), from the files `[link]`
/// names (or their defaults in `state_dir`).
pub fn terminal_fingerprint(link: &LinkConfig, state_dir: &Path) -> Result<String, LinkError> {
    let (cert, key) = link.cert_files(state_dir);
    KeyPair::load(&cert, &key).map(|k| k.fingerprint_hex())
}
