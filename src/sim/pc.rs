//! The reference eligibility-PC receiver behind `kaonin pc`.
//!
//! Listens on `unix:PATH` or `tcp://HOST:PORT` (TLS with pinned terminal
//! certificates), serves many terminals at once, prints every message it receives
//! as one JSON line (stdout by default), acks identities with a chosen result, and
//! provisions staff passcodes on every connect. Identities are deduplicated by `id`:
//! every copy is printed and acked again with the same result, but only the first
//! is counted as new (and appended to the optional ledger file, so dedup survives a
//! restart of the receiver). Registrations (利用登録, extension) are printed,
//! deduplicated the same way (ledger lines `registration ID`) and acked with
//! `"for":"registration"`.

use crate::flow::AckResult;
use crate::link::client::{read_frames, Conn};
use crate::link::framing::{GarbageMeter, LineRead, LineReader, MAX_LINE};
use crate::link::message::{parse_from_reader, AckFor, PcMsg, ReaderMsg};
use crate::link::signature;
use crate::link::tls::{self, KeyPair, Role};
use crate::link::transport::{Endpoint, Listener};
use crate::link::LinkError;
use kaonin_hal::secret::Digits;
use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;

/// Where received messages go.
#[derive(Clone, Default)]
pub enum PcOutput {
    /// One JSON line per message on stdout.
    #[default]
    Stdout,
    /// Each message as a JSON value into a channel (tests, embedding).
    Channel(mpsc::UnboundedSender<serde_json::Value>),
}

/// Options of the reference receiver.
#[derive(Clone)]
pub struct PcOptions {
    /// `unix:PATH` or `tcp://HOST:PORT`.
    pub listen: String,
    /// Passcodes to provision (`set_passcode`) on every connect.
    pub passcodes: Vec<(String, Digits)>,
    /// The result every identity is acked with.
    pub result: AckResult,
    /// TLS: this PC's certificate (DER); default `<state_dir>/link-pc.cert.der`.
    pub cert: Option<PathBuf>,
    /// TLS: this PC's key (PKCS#8 DER); default `<state_dir>/link-pc.key.der`.
    pub key: Option<PathBuf>,
    /// TLS: where `kaonin pair --pc` put the key pair.
    pub state_dir: Option<PathBuf>,
    /// TLS: the pinned terminal certificate fingerprints.
    pub terminal_fingerprints: Vec<String>,
    /// Allow plain TCP (loopback only).
    pub allow_plain_tcp: bool,
    /// Processed ids, one per line, appended with fsync: dedup across restarts.
    pub ledger: Option<PathBuf>,
    /// Nothing from a terminal for this long: drop it (terminals ping every 10 s).
    pub idle_timeout: Duration,
    /// Where messages are printed.
    pub output: PcOutput,
    /// Extension: ask every terminal for its operations figures (`stats_request`)
    /// after its `hello`; the `stats` answer is printed like every message.
    pub ask_stats: bool,
    /// Terminals' public keys (uncompressed P-256 points): when any is given, every
    /// identity's `terminal_signature` is checked, the verdict printed with it
    /// (`terminal_signature_check`) and an identity that fails is acked `error`.
    pub terminal_keys: Vec<Vec<u8>>,
    /// Extension: every line read on stdin is sent as it is to every connected
    /// terminal (an operator's console: `arm_visual`, `disarm`, `cancel`, …).
    pub stdin_console: bool,
}

impl PcOptions {
    /// Defaults for `listen`: ack `eligible`, no TLS files, no passcodes.
    pub fn new(listen: &str) -> PcOptions {
        PcOptions {
            listen: listen.into(),
            passcodes: Vec::new(),
            result: AckResult::Eligible,
            cert: None,
            key: None,
            state_dir: None,
            terminal_fingerprints: Vec::new(),
            allow_plain_tcp: false,
            ledger: None,
            idle_timeout: Duration::from_secs(30),
            output: PcOutput::Stdout,
            ask_stats: false,
            terminal_keys: Vec::new(),
            stdin_console: false,
        }
    }
}

/// A receiver failure.
#[derive(Debug, thiserror::Error)]
pub enum PcError {
    /// Listening, TLS setup.
    #[error(transparent)]
    Link(#[from] LinkError),
    /// Options that cannot work.
    #[error("{0}")]
    Options(String),
}

/// The guidance a patient sees for each result.
pub fn ack_message(result: AckResult) -> &'static str {
    match result {
        AckResult::Eligible => "受付が完了しました。",
        AckResult::NotEligible => "有効な資格が確認できませんでした。窓口へお声がけください。",
        AckResult::NotFound => "資格情報が確認できませんでした。窓口へお声がけください。",
        AckResult::Error => "資格確認ができませんでした。窓口へお声がけください。",
        AckResult::NotRegistered => "マイナンバーカードの健康保険証利用登録がありません。",
    }
}

struct Shared {
    options: PcOptions,
    seen: Mutex<HashMap<String, u32>>,
    /// Registration ids seen, and how often.
    registrations: Mutex<HashMap<String, u32>>,
    /// Lines for every connected terminal (the stdin console).
    console: tokio::sync::broadcast::Sender<Arc<Vec<u8>>>,
}

/// A bound receiver.
pub struct PcServer {
    listener: Listener,
    shared: Arc<Shared>,
}

impl PcServer {
    /// Binds the listening socket (and loads TLS material for `tcp://`).
    pub async fn bind(options: PcOptions) -> Result<PcServer, PcError> {
        let endpoint = Endpoint::parse(&options.listen).map_err(LinkError::Endpoint)?;
        let tls = server_tls(&options, &endpoint)?;
        let listener = Listener::bind(&endpoint, tls, options.allow_plain_tcp).await?;
        let (seen, registrations) = load_ledger(&options)?;
        Ok(PcServer {
            listener,
            shared: Arc::new(Shared {
                options,
                seen: Mutex::new(seen),
                registrations: Mutex::new(registrations),
                console: tokio::sync::broadcast::channel(64).0,
            }),
        })
    }

    /// The bound address (`tcp://127.0.0.1:PORT` after binding port 0).
    pub fn local_endpoint(&self) -> Option<Endpoint> {
        self.listener.local_endpoint()
    }

    /// How many distinct identity ids were received.
    pub fn distinct_ids(&self) -> usize {
        self.shared.seen.lock().map_or(0, |s| s.len())
    }

    /// How many distinct registrations (利用登録) were received.
    pub fn distinct_registrations(&self) -> usize {
        self.shared.registrations.lock().map_or(0, |s| s.len())
    }

    /// Sends `line` (one JSON object, without newline) to every connected
    /// terminal; returns how many got it.
    pub fn broadcast(&self, line: &[u8]) -> usize {
        let mut line = line.to_vec();
        line.push(b'\n');
        self.shared.console.send(Arc::new(line)).unwrap_or(0)
    }

    /// With `stdin_console`: a thread that sends each line of stdin to every
    /// connected terminal.
    fn start_console(&self) {
        if !self.shared.options.stdin_console {
            return;
        }
        let console = self.shared.console.clone();
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::stdin().lock().lines() {
                let Ok(line) = line else { break };
                if line.trim().is_empty() {
                    continue;
                }
                let mut bytes = line.into_bytes();
                bytes.push(b'\n');
                let n = console.send(Arc::new(bytes)).unwrap_or(0);
                tracing::info!(terminals = n, "console line sent");
            }
        });
    }

    /// Accepts terminals for ever.
    pub async fn serve(self) -> Result<(), PcError> {
        self.start_console();
        loop {
            let (accepted, peer) = match self.listener.accept().await {
                Ok(a) => a,
                Err(e) => {
                    // E.g. out of file descriptors: pause instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    continue;
                }
            };
            let shared = self.shared.clone();
            tokio::spawn(async move {
                match accepted.finish().await {
                    Ok((stream, fp)) => {
                        tracing::info!(%peer, fingerprint = fp.as_deref().unwrap_or("-"), "terminal connected");
                        let why = serve_terminal(stream, &shared).await;
                        tracing::info!(%peer, reason = %why, "terminal disconnected");
                    }
                    Err(e) => tracing::warn!(%peer, error = %e, "terminal refused"),
                }
            });
        }
    }
}

/// Runs the receiver until killed.
pub async fn run_pc(options: PcOptions) -> Result<(), PcError> {
    if options.terminal_keys.is_empty() {
        tracing::info!("terminal signatures are not checked (no --terminal-key)");
    } else {
        tracing::info!(
            keys = options.terminal_keys.len(),
            "terminal signatures are checked; an identity that fails is acked `error`"
        );
    }
    let server = PcServer::bind(options).await?;
    if let Some(e) = server.local_endpoint() {
        tracing::info!(endpoint = %e, "pc receiver listening");
    }
    server.serve().await
}

fn server_tls(
    options: &PcOptions,
    endpoint: &Endpoint,
) -> Result<Option<Arc<rustls::ServerConfig>>, PcError> {
    if matches!(endpoint, Endpoint::Unix(_)) || (options.allow_plain_tcp && endpoint.is_loopback())
    {
        return Ok(None);
    }
    if options.terminal_fingerprints.is_empty() {
        return Err(PcError::Options(
            "TLS needs at least one --terminal-fingerprint".into(),
        ));
    }
    let pins = options
        .terminal_fingerprints
        .iter()
        .map(|f| tls::parse_fingerprint(f).map_err(|e| PcError::Options(format!("{f}: {e}"))))
        .collect::<Result<Vec<_>, _>>()?;
    let (dcert, dkey) = match &options.state_dir {
        Some(dir) => tls::default_files(dir, Role::Pc),
        None => (PathBuf::new(), PathBuf::new()),
    };
    let cert = options.cert.clone().unwrap_or(dcert);
    let key = options.key.clone().unwrap_or(dkey);
    if cert.as_os_str().is_empty() || key.as_os_str().is_empty() {
        return Err(PcError::Options(
            "TLS needs --cert and --key, or --state-dir with a paired key".into(),
        ));
    }
    Ok(Some(tls::server_config(KeyPair::load(&cert, &key)?, pins)?))
}

/// Ids seen: identities, and registrations (lines `registration ID`).
type Seen = HashMap<String, u32>;

fn load_ledger(options: &PcOptions) -> Result<(Seen, Seen), PcError> {
    let (mut seen, mut registrations) = (HashMap::new(), HashMap::new());
    if let Some(path) = &options.ledger {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                for line in text.lines().filter(|l| !l.is_empty()) {
                    match line.strip_prefix(REGISTRATION_PREFIX) {
                        Some(id) => registrations.insert(id.to_owned(), 1),
                        None => seen.insert(line.to_owned(), 1),
                    };
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(LinkError::io(path, e).into()),
        }
    }
    Ok((seen, registrations))
}

/// The ledger line of a registration: this prefix and the id.
const REGISTRATION_PREFIX: &str = "registration ";

async fn serve_terminal(stream: crate::link::transport::BoxStream, shared: &Shared) -> String {
    let (read, write) = tokio::io::split(stream);
    let (tx, mut frames) = mpsc::channel(16);
    let reader = tokio::spawn(read_frames(LineReader::new(read), tx));
    let mut conn = Conn {
        write,
        timeout: Duration::from_secs(10),
    };
    let why = converse(&mut conn, &mut frames, shared).await;
    reader.abort();
    why
}

async fn converse<W: tokio::io::AsyncWrite + Unpin>(
    conn: &mut Conn<W>,
    frames: &mut mpsc::Receiver<std::io::Result<LineRead>>,
    shared: &Shared,
) -> String {
    for (account, passcode) in &shared.options.passcodes {
        // Built by hand so the digits pass through no extra String.
        let line = provision_line(account, passcode);
        if let Err(e) = conn.send_raw(&line).await {
            return e;
        }
    }
    let mut garbage = GarbageMeter::default();
    let mut console = shared.console.subscribe();
    loop {
        let next = tokio::select! {
            line = console.recv() => {
                if let Ok(line) = line {
                    if let Err(e) = conn.send_raw(&line).await {
                        return e;
                    }
                }
                continue;
            }
            next = tokio::time::timeout(shared.options.idle_timeout, frames.recv()) => next,
        };
        let frame = match next {
            Err(_) => return "idle timeout".into(),
            Ok(None) | Ok(Some(Ok(LineRead::Eof))) => return "closed".into(),
            Ok(Some(Err(e))) => return format!("read: {e}"),
            Ok(Some(Ok(frame))) => frame,
        };
        let result = match frame {
            LineRead::Line(line) if line.iter().all(u8::is_ascii_whitespace) => Ok(()),
            LineRead::Line(line) => match parse_from_reader(&line) {
                Ok(msg) => {
                    garbage.good();
                    on_message(conn, shared, msg, &line).await
                }
                Err(e) => bad_line(conn, &mut garbage, e.to_string()).await,
            },
            LineRead::TooLong => {
                bad_line(
                    conn,
                    &mut garbage,
                    format!("line longer than {MAX_LINE} bytes"),
                )
                .await
            }
            LineRead::Eof => Ok(()),
        };
        if let Err(e) = result {
            return e;
        }
    }
}

fn provision_line(account: &str, passcode: &Digits) -> zeroize::Zeroizing<Vec<u8>> {
    let mut line = zeroize::Zeroizing::new(Vec::with_capacity(96));
    line.extend_from_slice(br#"{"type":"set_passcode","account":"#);
    line.extend_from_slice(
        serde_json::to_string(account)
            .unwrap_or_default()
            .as_bytes(),
    );
    line.extend_from_slice(br#","passcode":""#);
    line.extend_from_slice(passcode.expose());
    line.extend_from_slice(b"\"}\n");
    line
}

async fn bad_line<W: tokio::io::AsyncWrite + Unpin>(
    conn: &mut Conn<W>,
    garbage: &mut GarbageMeter,
    message: String,
) -> Result<(), String> {
    tracing::debug!(%message, "bad line from a terminal");
    conn.send(&PcMsg::Error { message }).await?;
    if garbage.bad() {
        tracing::warn!("terminal sent only garbage; disconnecting");
        return Err("too many bad lines".into());
    }
    Ok(())
}

fn print(shared: &Shared, line: &[u8], check: Option<&str>) {
    let Ok(mut value) = serde_json::from_slice::<serde_json::Value>(line) else {
        return;
    };
    if let (Some(check), Some(object)) = (check, value.as_object_mut()) {
        object.insert("terminal_signature_check".into(), check.into());
    }
    match &shared.options.output {
        PcOutput::Stdout => {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{value}");
            let _ = out.flush();
        }
        PcOutput::Channel(tx) => {
            let _ = tx.send(value);
        }
    }
}

async fn on_message<W: tokio::io::AsyncWrite + Unpin>(
    conn: &mut Conn<W>,
    shared: &Shared,
    msg: ReaderMsg,
    line: &[u8],
) -> Result<(), String> {
    // An identity is recorded (ledger) before it is shown, and shown before it is
    // acked: whoever reads the output knows the ledger already holds it.
    let mut check = None;
    if let ReaderMsg::Identity(identity) = &msg {
        if !record(shared, &shared.seen, "", &identity.id) {
            tracing::info!(id = %identity.id, "duplicate identity; acked again, not counted");
        }
        check = check_signature(shared, line);
    }
    if let ReaderMsg::Registration(registration) = &msg {
        let first = record(
            shared,
            &shared.registrations,
            REGISTRATION_PREFIX,
            &registration.id,
        );
        if !first {
            tracing::info!(id = %registration.id, "duplicate registration; acked again, not counted");
        }
        check = check_signature(shared, line);
    }
    print(shared, line, check.as_ref().map(|c| c.as_str()));
    match msg {
        ReaderMsg::Hello {
            terminal_id,
            protocol,
            ..
        } => {
            tracing::info!(%terminal_id, protocol, "hello");
            if shared.options.ask_stats {
                // Extension: the terminal answers with one `stats` line (printed).
                conn.send(&PcMsg::StatsRequest).await?;
            }
            Ok(())
        }
        ReaderMsg::Identity(identity) => {
            let (result, message) = match &check {
                Some(SignatureCheck::Failed(why)) => {
                    tracing::warn!(id = %identity.id, reason = %why, "identity refused: terminal signature");
                    (AckResult::Error, format!("terminal_signature: {why}"))
                }
                _ => (
                    shared.options.result,
                    ack_message(shared.options.result).into(),
                ),
            };
            conn.send(&PcMsg::Ack {
                id: identity.id,
                result,
                message: Some(message),
                of: None,
            })
            .await
        }
        ReaderMsg::Registration(registration) => {
            // The reference PC registers the card and answers the registration
            // with `eligible` (as a real PC would after checking again).
            let (result, message) = match &check {
                Some(SignatureCheck::Failed(why)) => {
                    tracing::warn!(id = %registration.id, reason = %why, "registration refused: terminal signature");
                    (AckResult::Error, format!("terminal_signature: {why}"))
                }
                _ => (AckResult::Eligible, "利用登録を受け付けました。".into()),
            };
            conn.send(&PcMsg::Ack {
                id: registration.id,
                result,
                message: Some(message),
                of: Some(AckFor::Registration),
            })
            .await
        }
        ReaderMsg::Ping => conn.send(&PcMsg::Pong).await,
        ReaderMsg::Event { .. }
        | ReaderMsg::Status { .. }
        | ReaderMsg::Ok { .. }
        | ReaderMsg::Error { .. }
        | ReaderMsg::Pong
        | ReaderMsg::Stats { .. } => Ok(()),
    }
}

/// What the receiver found about an identity's `terminal_signature`.
enum SignatureCheck {
    /// It verifies with one of the configured terminal keys.
    Verified,
    /// Missing, malformed, or verifies with none of them.
    Failed(String),
}

impl SignatureCheck {
    fn as_str(&self) -> &str {
        match self {
            SignatureCheck::Verified => "verified",
            SignatureCheck::Failed(why) => why,
        }
    }
}

/// Checks the identity line's signature when terminal keys are configured.
fn check_signature(shared: &Shared, line: &[u8]) -> Option<SignatureCheck> {
    let keys = &shared.options.terminal_keys;
    if keys.is_empty() {
        return None;
    }
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(line) else {
        return Some(SignatureCheck::Failed("not JSON".into()));
    };
    let mut last = None;
    for key in keys {
        match signature::verify(&value, key) {
            Ok(()) => return Some(SignatureCheck::Verified),
            Err(e) => last = Some(e),
        }
    }
    Some(SignatureCheck::Failed(
        last.map_or_else(String::new, |e| e.to_string()),
    ))
}

/// Counts `id` in `seen`; true the first time. The ledger (a line of `prefix`
/// and the id) is written before the ack.
fn record(shared: &Shared, seen: &Mutex<Seen>, prefix: &str, id: &str) -> bool {
    let mut seen = seen.lock().unwrap_or_else(|p| p.into_inner());
    let count = seen.entry(id.to_owned()).or_insert(0);
    *count += 1;
    let first = *count == 1;
    if first && id.chars().any(char::is_control) {
        tracing::warn!("identity id with control characters; not written to the ledger");
    } else if first {
        if let Some(path) = &shared.options.ledger {
            let mut line = prefix.as_bytes().to_vec();
            line.extend_from_slice(id.as_bytes());
            line.push(b'\n');
            if let Err(e) = crate::ground::durable::append_line_durably(path, &line) {
                tracing::warn!(error = %e, "cannot write the ledger");
            }
        }
    }
    first
}
