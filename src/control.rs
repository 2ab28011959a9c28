//! The control socket (CONTRACT §3): JSON Lines over a Unix socket, for desktops and
//! tests. Each line in is one user action (or, for the mock hardware, what the world
//! does: a card put on the reader, a face in front of the camera); each line out is
//! one thing the terminal did (a screen shown, an identity forwarded, an error).
//!
//! This module only parses lines and serves connections; the daemon decides what a
//! command means for the devices it has. The socket is owner-only (0600), for
//! simulated hardware (the config refuses it next to a real reader or camera unless
//! `input.control_with_real_hardware` says otherwise), and the files its `camera`
//! and `card` lines name must lie in the configured directories ([`Files`]); an
//! error never repeats the path it was given.

use crate::card::KenmenKey;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{broadcast, mpsc};

/// Longest control line accepted.
pub const MAX_LINE: usize = 64 * 1024;

/// One understood control line.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// `{"press":"BUTTON_ID"}`.
    Press(String),
    /// `{"pin":"1234"}` (kept only until it becomes `Digits`).
    Pin(zeroize::Zeroizing<String>),
    /// `{"staff":"visual","passcode":"1234"}`.
    StaffVisual(zeroize::Zeroizing<String>),
    /// `{"staff":"confirm"}`.
    StaffConfirm,
    /// `{"camera":"PATH"}` or `{"camera":null}`.
    Camera(Option<PathBuf>),
    /// `{"card":"insert","profile":"PATH"}`.
    CardInsert(PathBuf),
    /// `{"card":"remove"}`.
    CardRemove,
    /// `{"card_face":{...}}`.
    CardFace(KenmenKey),
    /// Extension for the mock hardware: `{"device":"reader"|"phone_reader"|"camera",
    /// "state":"unplugged"|"plugged"}`.
    Device {
        device: crate::flow::Device,
        plugged: bool,
    },
    /// `{"debug":{"stall_ms":N}}`: block the flow loop (a test hook for the
    /// watchdog; refused unless `KAONIN_DEBUG_CONTROL` is set).
    DebugStall(std::time::Duration),
    /// `{"debug":{"panic":WORKER}}` or `{"debug":{"wedge":WORKER}}`: the device
    /// worker (`card`, `face`, `display`, `card_face`) panics or wedges at its next
    /// command (a test hook for the restart on a failed worker; refused unless
    /// `KAONIN_DEBUG_CONTROL` is set).
    DebugFault {
        /// The worker's name.
        worker: String,
        /// What happens to it.
        fault: DebugFault,
    },
}

/// A fault a `{"debug":…}` line injects into a device worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DebugFault {
    /// The worker panics.
    Panic,
    /// The worker never comes back to its commands.
    Wedge,
}

/// Device workers a debug fault may name.
/// (`"task"` for `panic`: a task of the async runtime panics at once.)
pub const DEBUG_WORKERS: [&str; 5] = ["card", "face", "display", "card_face", "task"];

/// Parses one control line; the error is the message for `{"event":"error"}`.
pub fn parse(line: &str) -> Result<Command, String> {
    let value: Value = serde_json::from_str(line).map_err(|e| format!("not a JSON object: {e}"))?;
    let obj = value
        .as_object()
        .ok_or_else(|| "not a JSON object".to_string())?;
    let text = |key: &str| -> Result<String, String> {
        obj.get(key)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| format!("\"{key}\" must be a string"))
    };
    if obj.contains_key("press") {
        return Ok(Command::Press(text("press")?));
    }
    if obj.contains_key("pin") {
        return Ok(Command::Pin(zeroize::Zeroizing::new(text("pin")?)));
    }
    if obj.contains_key("staff") {
        return match text("staff")?.as_str() {
            "visual" => Ok(Command::StaffVisual(zeroize::Zeroizing::new(text(
                "passcode",
            )?))),
            "confirm" => Ok(Command::StaffConfirm),
            other => Err(format!("unknown staff action \"{other}\"")),
        };
    }
    if let Some(camera) = obj.get("camera") {
        return match camera {
            Value::Null => Ok(Command::Camera(None)),
            Value::String(path) => Ok(Command::Camera(Some(PathBuf::from(path)))),
            _ => Err("\"camera\" must be a path or null".into()),
        };
    }
    if obj.contains_key("card") {
        return match text("card")?.as_str() {
            "insert" => Ok(Command::CardInsert(PathBuf::from(text("profile")?))),
            "remove" => Ok(Command::CardRemove),
            other => Err(format!("unknown card action \"{other}\"")),
        };
    }
    if let Some(face) = obj.get("card_face") {
        let face: KenmenKey =
            serde_json::from_value(face.clone()).map_err(|e| format!("\"card_face\": {e}"))?;
        return Ok(Command::CardFace(face));
    }
    if obj.contains_key("device") {
        let device: crate::flow::Device = serde_json::from_value(obj["device"].clone())
            .map_err(|_| "\"device\" must be reader, phone_reader or camera".to_string())?;
        let plugged = match text("state")?.as_str() {
            "plugged" => true,
            "unplugged" => false,
            other => return Err(format!("unknown device state \"{other}\"")),
        };
        return Ok(Command::Device { device, plugged });
    }
    if let Some(debug) = obj.get("debug") {
        for (key, fault) in [("panic", DebugFault::Panic), ("wedge", DebugFault::Wedge)] {
            if let Some(worker) = debug.get(key) {
                let worker = worker
                    .as_str()
                    .filter(|w| DEBUG_WORKERS.contains(w))
                    .ok_or(format!("\"{key}\" names a worker: {DEBUG_WORKERS:?}"))?;
                return Ok(Command::DebugFault {
                    worker: worker.to_owned(),
                    fault,
                });
            }
        }
        let ms = debug
            .get("stall_ms")
            .and_then(Value::as_u64)
            .filter(|ms| *ms <= 60_000)
            .ok_or("\"debug\" takes {\"stall_ms\": 0..60000}, {\"panic\": WORKER} or {\"wedge\": WORKER}")?;
        return Ok(Command::DebugStall(std::time::Duration::from_millis(ms)));
    }
    Err("unknown control line (expected press, pin, staff, camera, card or card_face)".into())
}

/// The directories whose files the control socket may name (`[input] control_dirs`).
#[derive(Debug, Clone, Default)]
pub struct Files {
    dirs: Vec<PathBuf>,
}

impl Files {
    /// Files under `dirs` only (each resolved once; a directory that does not
    /// exist admits nothing).
    pub fn under(dirs: &[PathBuf]) -> Files {
        Files {
            dirs: dirs
                .iter()
                .filter_map(|d| std::fs::canonicalize(d).ok())
                .collect(),
        }
    }

    /// `path` resolved (symbolic links and `..` followed), if it is an existing
    /// regular file inside one of the directories. The error names `what`, never
    /// the path.
    pub fn admit(&self, path: &Path, what: &str) -> Result<PathBuf, String> {
        let real = std::fs::canonicalize(path)
            .ok()
            .filter(|p| self.dirs.iter().any(|d| p.starts_with(d)));
        match real {
            Some(p) if p.is_file() => Ok(p),
            Some(_) => Err(format!("{what}: no such file")),
            None => Err(format!(
                "{what}: no such file in the directories the control socket may read (input.control_dirs)"
            )),
        }
    }

    /// The command with its file checked and resolved (other commands unchanged).
    pub fn admit_command(&self, command: Command) -> Result<Command, String> {
        match command {
            Command::Camera(Some(path)) => {
                Ok(Command::Camera(Some(self.admit(&path, "camera image")?)))
            }
            Command::CardInsert(path) => {
                Ok(Command::CardInsert(self.admit(&path, "card profile")?))
            }
            other => Ok(other),
        }
    }
}

/// The `{"event":"error"}` line for a control line that was not understood.
pub fn error_line(message: &str) -> String {
    json!({"event": "error", "message": message}).to_string()
}

/// A command from one client, with the way to answer that client alone.
#[derive(Debug)]
pub struct Request {
    /// What the client asked.
    pub command: Command,
    /// Where to send an error line for this command (bounded: a client that does
    /// not read its replies loses them, the daemon never waits).
    pub reply: mpsc::Sender<String>,
}

/// Binds the control socket at `path` (replacing a stale socket file), owner-only.
pub fn bind(path: &Path) -> std::io::Result<UnixListener> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let _ = std::fs::remove_file(path);
    let listener = UnixListener::bind(path)?;
    crate::ground::durable::set_owner_only(path)?;
    Ok(listener)
}

/// The events every client gets, and the screen on display now (sent first to a
/// client that connects, so it knows where the terminal is).
#[derive(Clone)]
pub struct Announcer {
    events: broadcast::Sender<String>,
    state: std::sync::Arc<std::sync::Mutex<Announced>>,
}

/// What the announcer has sent, and how far each client has written it.
#[derive(Default)]
struct Announced {
    /// The screen on display now.
    current: Option<String>,
    /// Events sent so far.
    sent: u64,
    /// Per connected client: the events it has written to its socket (or lost for
    /// being too slow), counted from 0 like `sent`.
    clients: Vec<std::sync::Weak<AtomicU64>>,
}

impl Announcer {
    /// An announcer with room for `capacity` events per slow client.
    pub fn new(capacity: usize) -> Self {
        Announcer {
            events: broadcast::channel(capacity).0,
            state: Default::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Announced> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Sends `line` to every client.
    pub fn send(&self, line: String) {
        let mut state = self.lock();
        state.sent += 1;
        let _ = self.events.send(line);
    }

    /// Sends a screen event to every client and remembers it as the current one.
    pub fn screen(&self, line: String) {
        let mut state = self.lock();
        state.current = Some(line.clone());
        state.sent += 1;
        let _ = self.events.send(line);
    }

    /// A new client's events, the screen on display now, and its progress counter.
    /// Under the same lock as `send`: every event is either in `current`'s past or
    /// in the receiver, and the counter starts at what was sent before.
    fn subscribe(&self) -> (broadcast::Receiver<String>, Option<String>, Arc<AtomicU64>) {
        let mut state = self.lock();
        let rx = self.events.subscribe();
        let written = Arc::new(AtomicU64::new(state.sent));
        state.clients.retain(|c| c.strong_count() > 0);
        state.clients.push(Arc::downgrade(&written));
        (rx, state.current.clone(), written)
    }

    /// Waits, at most `limit`, until every connected client has written every event
    /// sent so far: before the process exits on a failure, so the last screen
    /// ("restarting") reaches the control clients. True when they all have.
    pub async fn drained(&self, limit: std::time::Duration) -> bool {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let behind = {
                let state = self.lock();
                let sent = state.sent;
                state
                    .clients
                    .iter()
                    .filter_map(std::sync::Weak::upgrade)
                    .any(|c| c.load(Ordering::Acquire) < sent)
            };
            if !behind {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }
}

/// Most clients served at once; more wait in the listen queue.
pub const MAX_CLIENTS: usize = 16;
/// Replies (errors, the current screen) queued for one client before more are dropped.
const REPLY_QUEUE: usize = 64;

/// Serves every client of `listener`: understood lines whose files lie under
/// `files` go to `requests`, every announced line goes to every client.
pub async fn serve(
    listener: UnixListener,
    requests: mpsc::Sender<Request>,
    announcer: Announcer,
    files: Files,
) -> std::io::Result<()> {
    let files = std::sync::Arc::new(files);
    let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(MAX_CLIENTS));
    loop {
        let slot = slots
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| std::io::Error::other("control socket closed"))?;
        let (stream, _) = listener.accept().await?;
        let (events, current, written) = announcer.subscribe();
        let (requests, files) = (requests.clone(), files.clone());
        tokio::spawn(async move {
            client(stream, requests, (events, current, written), &files).await;
            drop(slot);
        });
    }
}

/// A client's announcements: the events, the screen on display when it connected,
/// and the count of events it has written.
type Subscription = (broadcast::Receiver<String>, Option<String>, Arc<AtomicU64>);

async fn client(
    stream: UnixStream,
    requests: mpsc::Sender<Request>,
    (mut events, current, written): Subscription,
    files: &Files,
) {
    let (read, mut write) = stream.into_split();
    let (reply_tx, mut reply_rx) = mpsc::channel::<String>(REPLY_QUEUE);
    if let Some(line) = current {
        let _ = reply_tx.try_send(line);
    }
    let writer = tokio::spawn(async move {
        loop {
            // How many events this line accounts for once written.
            let (line, events_done) = tokio::select! {
                r = reply_rx.recv() => match r { Some(l) => (l, 0), None => break },
                e = events.recv() => match e {
                    Ok(l) => (l, 1),
                    Err(broadcast::error::RecvError::Lagged(n)) => {
                        (error_line(&format!("{n} events dropped: client too slow")), n)
                    }
                    Err(broadcast::error::RecvError::Closed) => break,
                },
            };
            if write
                .write_all(format!("{line}\n").as_bytes())
                .await
                .is_err()
            {
                break;
            }
            written.fetch_add(events_done, Ordering::AcqRel);
        }
    });
    let mut lines = BufReader::new(read);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match (&mut lines)
            .take(MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut buf)
            .await
        {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        if buf.len() > MAX_LINE {
            let _ = reply_tx.try_send(error_line("line longer than 64 KiB"));
            // Skip the rest of the overlong line.
            let mut rest = Vec::new();
            if lines.read_until(b'\n', &mut rest).await.is_err() {
                break;
            }
            continue;
        }
        let Ok(text) = std::str::from_utf8(&buf) else {
            let _ = reply_tx.try_send(error_line("line is not UTF-8"));
            continue;
        };
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        match parse(text).and_then(|c| files.admit_command(c)) {
            Ok(command) => {
                let request = Request {
                    command,
                    reply: reply_tx.clone(),
                };
                // Waits while the daemon is behind: one client cannot queue
                // without bound.
                if requests.send(request).await.is_err() {
                    break;
                }
            }
            Err(message) => {
                let _ = reply_tx.try_send(error_line(&message));
            }
        }
    }
    drop(reply_tx);
    writer.abort();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_contract_line() {
        assert_eq!(
            parse(r#"{"press":"face"}"#),
            Ok(Command::Press("face".into()))
        );
        assert!(matches!(parse(r#"{"pin":"1234"}"#), Ok(Command::Pin(p)) if p.as_str() == "1234"));
        assert!(matches!(
            parse(r#"{"staff":"visual","passcode":"4321"}"#),
            Ok(Command::StaffVisual(p)) if p.as_str() == "4321"
        ));
        assert_eq!(parse(r#"{"staff":"confirm"}"#), Ok(Command::StaffConfirm));
        assert_eq!(
            parse(r#"{"camera":"/tmp/a.png"}"#),
            Ok(Command::Camera(Some("/tmp/a.png".into())))
        );
        assert_eq!(parse(r#"{"camera":null}"#), Ok(Command::Camera(None)));
        assert_eq!(
            parse(r#"{"card":"insert","profile":"p.toml"}"#),
            Ok(Command::CardInsert("p.toml".into()))
        );
        assert_eq!(parse(r#"{"card":"remove"}"#), Ok(Command::CardRemove));
        assert_eq!(
            parse(r#"{"device":"camera","state":"unplugged"}"#),
            Ok(Command::Device {
                device: crate::flow::Device::Camera,
                plugged: false
            })
        );
        let face = parse(
            r#"{"card_face":{"birth":"19800217","expiry":"20350217","security_code":"1234"}}"#,
        );
        assert!(matches!(face, Ok(Command::CardFace(f)) if f.security_code == "1234"));
    }

    #[test]
    fn debug_faults_name_a_device_worker() {
        assert_eq!(
            parse(r#"{"debug":{"panic":"face"}}"#),
            Ok(Command::DebugFault {
                worker: "face".into(),
                fault: DebugFault::Panic
            })
        );
        assert_eq!(
            parse(r#"{"debug":{"wedge":"card"}}"#),
            Ok(Command::DebugFault {
                worker: "card".into(),
                fault: DebugFault::Wedge
            })
        );
    }

    #[test]
    fn bad_lines_get_a_reason() {
        for (line, needle) in [
            ("garbage", "not a JSON object"),
            ("[1,2]", "not a JSON object"),
            (r#"{"press":3}"#, "\"press\" must be a string"),
            (r#"{"staff":"dance"}"#, "unknown staff action"),
            (r#"{"staff":"visual"}"#, "\"passcode\" must be a string"),
            (r#"{"card":"insert"}"#, "\"profile\" must be a string"),
            (r#"{"camera":5}"#, "path or null"),
            (r#"{"card_face":{"birth":1}}"#, "card_face"),
            (r#"{"hello":1}"#, "unknown control line"),
            (r#"{"debug":{"panic":"link"}}"#, "names a worker"),
            (r#"{"debug":{"wedge":7}}"#, "names a worker"),
        ] {
            let err = parse(line).unwrap_err();
            assert!(err.contains(needle), "{line}: {err}");
        }
    }

    #[test]
    fn files_outside_the_configured_directories_are_refused_without_their_path() {
        let allowed = tempfile::tempdir().unwrap();
        let other = tempfile::tempdir().unwrap();
        let inside = allowed.path().join("alice.png");
        let outside = other.path().join("secret.png");
        std::fs::write(&inside, b"x").unwrap();
        std::fs::write(&outside, b"x").unwrap();
        let link = allowed.path().join("link.png");
        std::os::unix::fs::symlink(&outside, &link).unwrap();
        let files = Files::under(&[allowed.path().to_path_buf()]);
        assert_eq!(
            files.admit(&inside, "camera image").unwrap(),
            std::fs::canonicalize(&inside).unwrap()
        );
        let dotdot = allowed
            .path()
            .join("..")
            .join(other.path().file_name().unwrap())
            .join("secret.png");
        for path in [outside.clone(), link, dotdot, "/etc/shadow".into()] {
            let err = files.admit(&path, "camera image").unwrap_err();
            assert!(err.contains("input.control_dirs"), "{err}");
            assert!(!err.contains(&*path.to_string_lossy()), "{err}");
            assert!(!err.contains("secret"), "{err}");
        }
        // A directory, or a file that does not exist, inside: refused, path not echoed.
        let err = files.admit(allowed.path(), "card profile").unwrap_err();
        assert_eq!(err, "card profile: no such file");
        // The command is resolved; other commands pass unchanged.
        let cmd = parse(&format!(
            r#"{{"card":"insert","profile":"{}"}}"#,
            outside.display()
        ))
        .unwrap();
        assert!(files.admit_command(cmd).is_err());
        let cmd = parse(&format!(r#"{{"camera":"{}"}}"#, inside.display())).unwrap();
        assert!(matches!(
            files.admit_command(cmd),
            Ok(Command::Camera(Some(_)))
        ));
        assert_eq!(
            files.admit_command(Command::Camera(None)),
            Ok(Command::Camera(None))
        );
        // No directory configured that exists: nothing is admitted.
        let none = Files::under(&[other.path().join("missing")]);
        assert!(none.admit(&outside, "camera image").is_err());
    }

    proptest::proptest! {
        #[test]
        fn never_panics_on_any_text(line in ".{0,200}") {
            let _ = parse(&line);
        }
    }

    /// A control server on a socket in `dir`, and one client connected to it (whose
    /// subscription is in place once the current screen has reached it).
    async fn server_and_client(dir: &Path, announcer: &Announcer) -> tokio::net::UnixStream {
        let path = dir.join("control.sock");
        let listener = bind(&path).unwrap();
        let (requests, _) = mpsc::channel(1);
        tokio::spawn(serve(
            listener,
            requests,
            announcer.clone(),
            Files::under(&[]),
        ));
        let mut client = tokio::net::UnixStream::connect(&path).await.unwrap();
        let mut first = [0u8; 64];
        let n = client.read(&mut first).await.unwrap();
        assert_eq!(&first[..n], b"{\"screen\":\"idle\"}\n");
        client
    }

    #[tokio::test]
    async fn drained_means_every_client_has_the_last_event_in_its_socket() {
        let dir = tempfile::tempdir().unwrap();
        let announcer = Announcer::new(16);
        announcer.screen(r#"{"screen":"idle"}"#.into());
        let client = server_and_client(dir.path(), &announcer).await;
        announcer.screen(r#"{"screen":"staff_call"}"#.into());
        assert!(announcer.drained(std::time::Duration::from_secs(30)).await);
        // Written before `drained` returned: already readable, without waiting.
        let mut buf = [0u8; 64];
        let n = client
            .try_read(&mut buf)
            .expect("the line is in the socket");
        assert_eq!(&buf[..n], b"{\"screen\":\"staff_call\"}\n");
    }

    #[tokio::test(start_paused = true)]
    async fn a_client_that_never_reads_is_waited_for_only_up_to_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let announcer = Announcer::new(64);
        announcer.screen(r#"{"screen":"idle"}"#.into());
        let _client = server_and_client(dir.path(), &announcer).await;
        // More than a socket buffer holds: the server's writes block.
        let big = format!("{{\"event\":\"{}\"}}", "x".repeat(60_000));
        for _ in 0..40 {
            announcer.send(big.clone());
        }
        assert!(!announcer.drained(std::time::Duration::from_secs(2)).await);
    }
}
