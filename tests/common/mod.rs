//! Test harness: a real `kaonin run` process on simulated hardware, driven over its
//! control socket, and a real `kaonin pc` receiver process on the PC-link socket.
//!
//! Waiting is always for an event (a line on a socket or a pipe), bounded by a
//! generous deadline so a broken build fails instead of hanging; nothing is timed.

#![allow(dead_code)]

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::{UnixDatagram, UnixStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

/// The longest any single expectation waits before the test fails.
pub const DEADLINE: Duration = Duration::from_secs(30);

pub fn kaonin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kaonin"));
    cmd.env("KAONIN_LOG", "warn");
    cmd
}

/// Runs `cmd` with `stdin` written to it; returns its output (any exit status).
#[allow(dead_code)] // not every test binary that includes this module uses it
pub fn output_with_stdin(mut cmd: Command, stdin: &str) -> std::process::Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A command that refuses its arguments exits without reading its input: the
    // write then meets a closed pipe, which is that command's answer, not a failure.
    let written = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    if let Err(e) = written {
        assert_eq!(
            e.kind(),
            std::io::ErrorKind::BrokenPipe,
            "writing stdin: {e}"
        );
    }
    child.wait_with_output().unwrap()
}

pub fn asset(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("assets")
        .join(relative)
}

pub fn profile(name: &str) -> String {
    asset(&format!("cards/{name}.toml")).display().to_string()
}

pub fn face(name: &str) -> String {
    asset(&format!("faces/{name}")).display().to_string()
}

/// Lines read from a child's pipe or a socket, delivered through a channel.
fn line_channel(read: impl std::io::Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(read).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

fn next_json(rx: &Receiver<String>, deadline: Instant, what: &str) -> Value {
    let left = deadline.saturating_duration_since(Instant::now());
    let line = rx
        .recv_timeout(left)
        .unwrap_or_else(|e| panic!("waiting for {what}: {e}"));
    serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"))
}

/// Options for a terminal under test.
#[derive(Clone)]
pub struct Options {
    pub policy: Vec<(&'static str, i64)>,
    /// The `[reader]` table's body.
    pub reader: String,
    pub extra: String,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            policy: vec![("face_retry_ms", 50), ("auto_face_s", 0)],
            reader: "kind = \"mock\"".into(),
            // The synthetic test faces are drawings: the deterministic test matcher.
            extra: "[face]\nmatcher = \"test-thumbnail\"\n".into(),
        }
    }
}

/// The `[card]` section of test configs: the virtual cards' 券面 CA is trusted
/// (`kaonin vcard --write-kenmen-trust` writes the same key).
pub fn card_section() -> String {
    format!(
        "[card]\nkenmen_trust = \"{}\"\n",
        asset("cards/keys/kenmen-ca.pub.pem").display()
    )
}

/// The text of a test config in `dir` (state, PNG screens and sockets inside it;
/// mock-hardware defaults, then `options`' reader, policy and extra sections; the
/// [`card_section`] unless `extra` has its own `[card]`).
pub fn config_text(dir: &Path, options: &Options) -> String {
    std::fs::create_dir_all(dir.join("screens")).unwrap();
    let card = if options.extra.contains("[card]") {
        String::new()
    } else {
        card_section()
    };
    let policy: String = options
        .policy
        .iter()
        .map(|(k, v)| format!("{k} = {v}\n"))
        .collect();
    format!(
        r#"[terminal]
id = "test-terminal"
state_dir = "{state}"
[reader]
{reader}
[camera]
kind = "images"
[display]
kind = "png"
dir = "{screens}"
[input]
kind = "control"
control = "unix:{control}"
control_dirs = ["{assets}", "{tmp}"]
control_with_real_hardware = {real}
[link]
endpoint = "unix:{link}"
[policy]
{policy}
{card}
{extra}
"#,
        state = dir.join("state").display(),
        screens = dir.join("screens").display(),
        control = dir.join("control.sock").display(),
        link = dir.join("link.sock").display(),
        reader = options.reader,
        extra = options.extra,
        // The profiles and photos tests make live in temporary directories.
        assets = asset("").display(),
        tmp = std::env::temp_dir().display(),
        // A PC/SC reader or a V4L2 camera is real hardware to the daemon.
        real = options.reader.contains("pcsc") || options.extra.contains("v4l2"),
    )
}

/// A `kaonin run` process on mock hardware.
pub struct Terminal {
    pub dir: tempfile::TempDir,
    child: Child,
    events: Receiver<String>,
    control: UnixStream,
    /// Every screen id seen so far.
    pub screens: Vec<String>,
    /// Every `forwarded` event seen so far.
    pub forwarded: Vec<Value>,
}

impl Terminal {
    pub fn start(options: Options) -> Terminal {
        Terminal::start_replacing(options, "")
    }

    /// Starts a terminal whose config has `remove` (a part of the default config)
    /// taken out, so `options.extra` can say it differently.
    pub fn start_replacing(options: Options, remove: &str) -> Terminal {
        Terminal::start_edited(options, &[(remove, "")], None)
    }

    /// Starts a terminal whose config has each `(from, to)` of `edits` applied once
    /// (`from` empty: nothing). With `log` (a `KAONIN_LOG` filter) the daemon's
    /// stderr goes to [`Terminal::log_path`] instead of the test's.
    pub fn start_edited(options: Options, edits: &[(&str, &str)], log: Option<&str>) -> Terminal {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let mut config = config_text(d, &options);
        for (from, to) in edits {
            if !from.is_empty() {
                assert!(config.contains(from), "the config has no {from:?}");
                config = config.replacen(from, to, 1);
            }
        }
        let config_path = d.join("kaonin.toml");
        std::fs::write(&config_path, config).unwrap();
        Terminal::start_logged(dir, &config_path, log)
    }

    /// Starts `kaonin run` with an existing config in `dir`.
    pub fn start_with(dir: tempfile::TempDir, config_path: &Path) -> Terminal {
        Terminal::start_logged(dir, config_path, None)
    }

    /// Where a terminal started with a `log` filter writes its stderr and stdout
    /// (appended to across restarts on the same directory).
    pub fn log_path(&self) -> PathBuf {
        self.dir.path().join("daemon.log")
    }

    /// Everything the daemon wrote to stderr so far (see [`Terminal::start_edited`]).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    /// Starts `kaonin run` with an existing config in `dir`; with `log` (a
    /// `KAONIN_LOG` filter) its stderr is appended to `dir/daemon.log`.
    pub fn start_logged(dir: tempfile::TempDir, config_path: &Path, log: Option<&str>) -> Terminal {
        Terminal::start_env(dir, config_path, log, &[])
    }

    /// [`Terminal::start_logged`] with extra environment variables for the daemon.
    pub fn start_env(
        dir: tempfile::TempDir,
        config_path: &Path,
        log: Option<&str>,
        env: &[(&str, &str)],
    ) -> Terminal {
        // The daemon says READY=1 (sd_notify) once its devices and sockets are up.
        let notify_path = dir.path().join("notify.sock");
        let _ = std::fs::remove_file(&notify_path);
        let notify = UnixDatagram::bind(&notify_path).unwrap();
        notify.set_read_timeout(Some(DEADLINE)).unwrap();
        let mut command = kaonin();
        command
            .args(["run", "--config"])
            .arg(config_path)
            .env("NOTIFY_SOCKET", &notify_path)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null());
        if let Some(filter) = log {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(dir.path().join("daemon.log"))
                .unwrap();
            let out = file.try_clone().unwrap();
            command.env("KAONIN_LOG", filter).stderr(file).stdout(out);
        }
        let child = command.spawn().unwrap();
        let mut buf = [0u8; 256];
        let n = notify
            .recv(&mut buf)
            .expect("kaonin run never said READY=1");
        assert_eq!(&buf[..n], b"READY=1");
        let control = UnixStream::connect(dir.path().join("control.sock")).unwrap();
        let events = line_channel(control.try_clone().unwrap());
        let mut terminal = Terminal {
            dir,
            child,
            events,
            control,
            screens: Vec::new(),
            forwarded: Vec::new(),
        };
        terminal.expect("idle");
        terminal
    }

    pub fn link_socket(&self) -> PathBuf {
        self.dir.path().join("link.sock")
    }

    pub fn send(&mut self, line: Value) {
        writeln!(self.control, "{line}").unwrap();
    }

    pub fn press(&mut self, id: &str) {
        self.send(json!({ "press": id }));
    }

    pub fn insert(&mut self, name: &str) {
        self.send(json!({"card": "insert", "profile": profile(name)}));
    }

    pub fn remove(&mut self) {
        self.send(json!({"card": "remove"}));
    }

    pub fn camera(&mut self, name: Option<&str>) {
        self.send(json!({ "camera": name.map(face) }));
    }

    /// Tells the simulated card-face scanner what it reads from the card of the
    /// profile file `path`: birth date, expiry and security code (照合番号B).
    #[cfg(feature = "sim")]
    pub fn card_face_of(&mut self, path: &Path) {
        let face = kaonin::sim::vcard::Profile::load(path)
            .unwrap()
            .printed_face();
        self.send(json!({"card_face": {
            "birth": face.birth, "expiry": face.expiry, "security_code": face.security_code
        }}));
    }

    /// [`Terminal::card_face_of`] for an embedded profile (see [`profile`]).
    #[cfg(feature = "sim")]
    pub fn card_face(&mut self, name: &str) {
        self.card_face_of(Path::new(&profile(name)));
    }

    /// The next event line of any kind.
    pub fn next_event(&mut self) -> Value {
        let event = next_json(&self.events, Instant::now() + DEADLINE, "a control event");
        match event["event"].as_str() {
            Some("screen") => self.screens.push(event["id"].as_str().unwrap().to_owned()),
            Some("forwarded") => self.forwarded.push(event.clone()),
            _ => {}
        }
        event
    }

    /// Waits for the screen `id` and returns its event; fails on a control error.
    pub fn expect(&mut self, id: &str) -> Value {
        loop {
            let event = self.next_event();
            match event["event"].as_str() {
                Some("screen") if event["id"] == id => return event,
                Some("error") => panic!("control error while waiting for {id}: {event}"),
                _ => {}
            }
        }
    }

    /// Waits for an `{"event":"error"}` line.
    pub fn expect_error(&mut self) -> String {
        loop {
            let event = self.next_event();
            if event["event"] == "error" {
                return event["message"].as_str().unwrap().to_owned();
            }
        }
    }

    /// Waits (up to the deadline) for the daemon to exit by itself.
    pub fn wait_exit(&mut self) -> std::process::ExitStatus {
        let deadline = Instant::now() + DEADLINE;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "kaonin run did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Takes the terminal's directory (state, config, outbox) for a restart; the
    /// process is killed if still running.
    pub fn take_dir(&mut self) -> tempfile::TempDir {
        self.kill();
        std::mem::replace(&mut self.dir, tempfile::tempdir().unwrap())
    }

    /// Kills the daemon abruptly.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Stops the daemon with SIGTERM and returns its exit status.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        self.child.wait().unwrap()
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A `kaonin pc` reference receiver process.
pub struct Pc {
    child: Child,
    lines: Receiver<String>,
    /// The operator's console (`--stdin-console`), when started with one.
    console: Option<std::process::ChildStdin>,
}

impl Pc {
    pub fn start(socket: &Path, args: &[&str]) -> Pc {
        let mut child = kaonin()
            .arg("pc")
            .arg("--listen")
            .arg(format!("unix:{}", socket.display()))
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let lines = line_channel(child.stdout.take().unwrap());
        Pc {
            child,
            lines,
            console: None,
        }
    }

    /// A receiver with `--stdin-console`: [`Pc::say`] sends lines to the terminals.
    pub fn start_console(socket: &Path, args: &[&str]) -> Pc {
        let mut child = kaonin()
            .arg("pc")
            .arg("--listen")
            .arg(format!("unix:{}", socket.display()))
            .arg("--stdin-console")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let lines = line_channel(child.stdout.take().unwrap());
        let console = child.stdin.take();
        Pc {
            child,
            lines,
            console,
        }
    }

    /// Sends `line` to every connected terminal (a receiver with a console).
    pub fn say(&mut self, line: Value) {
        let console = self.console.as_mut().expect("started with start_console");
        writeln!(console, "{line}").unwrap();
        console.flush().unwrap();
    }

    /// The next message of `type`, skipping others.
    /// The next message, whatever its type.
    pub fn next(&mut self) -> Value {
        next_json(&self.lines, Instant::now() + DEADLINE, "a PC message")
    }

    pub fn expect(&mut self, kind: &str) -> Value {
        let deadline = Instant::now() + DEADLINE;
        loop {
            let message = next_json(&self.lines, deadline, kind);
            if message["type"] == kind {
                return message;
            }
        }
    }
}

impl Drop for Pc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A terminal and a PC receiver provisioning `staff-01=2580`, linked up.
pub fn terminal_and_pc(options: Options) -> (Terminal, Pc) {
    let terminal = Terminal::start(options);
    let mut pc = Pc::start(&terminal.link_socket(), &["--passcode", "staff-01=2580"]);
    pc.expect("hello");
    // The reader confirms the provisioned passcode before anything else happens.
    pc.expect("ok");
    (terminal, pc)
}

/// Gives consent to everything and waits for the done screen.
pub fn consent_all(terminal: &mut Terminal) {
    terminal.expect("consent");
    terminal.press("consent_all");
    terminal.expect("done");
}

/// The staff's confirmation screen with the card on the reader (the chip photo,
/// 確認しました / 本人ではない): staff confirm it is the patient.
pub fn confirm_visual(terminal: &mut Terminal) {
    let confirm = terminal.expect("visual_armed");
    assert_eq!(
        confirm["buttons"],
        json!(["confirm", "not_patient"]),
        "{confirm}"
    );
    terminal.press("confirm");
}

/// From the PIN screen's request: three wrong PINs, up to the pin_locked screen.
pub fn lock_pin(terminal: &mut Terminal, wrong: &str) {
    terminal.expect("pin");
    for _ in 0..2 {
        terminal.send(json!({ "pin": wrong }));
        terminal.expect("pin");
    }
    terminal.send(json!({ "pin": wrong }));
    terminal.expect("pin_locked");
}

/// Alice's card, a matching face, consent to everything; returns once the record
/// is in the outbox and the terminal shows `after` (`done` or `sent_offline`).
pub fn face_reception(terminal: &mut Terminal, after: &str) {
    up_to_consent(terminal);
    terminal.expect(after);
}

/// Alice's card and a matching face, up to and including the press of
/// 全てに同意; returns without waiting for what follows.
pub fn up_to_consent(terminal: &mut Terminal) {
    terminal.camera(Some("alice-camera.png"));
    terminal.insert("alice");
    terminal.expect("method_select");
    terminal.press("face");
    terminal.expect("consent");
    terminal.press("consent_all");
}

/// The ids of a screen event's buttons.
pub fn buttons(screen: &Value) -> Vec<String> {
    screen["buttons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b.as_str().unwrap().to_owned())
        .collect()
}

// ---- real pcscd with the vsmartcard virtual readers (scripts/with-pcscd.sh) ----------

/// vpcd's port for the card slot ("Virtual PCD 00 00").
pub const VPCD_CARD: u16 = 35963;
/// vpcd's port for the smartphone reader ("Virtual PCD 00 01").
pub const VPCD_PHONE: u16 = 35964;

/// `[reader]` settings for the PC/SC driver on the two virtual readers.
pub fn pcsc_options() -> Options {
    Options {
        reader: "kind = \"pcsc\"\nname_contains = \"Virtual PCD 00 00\"\nphone_name_contains = \"Virtual PCD 00 01\"".into(),
        ..Options::default()
    }
}

/// A `kaonin vcard` process: the card of a profile file on a vpcd port. `say`
/// sends it `insert`, `remove`, …; dropping it ends the process.
pub struct Vcard {
    child: Child,
    stdin: std::process::ChildStdin,
}

impl Vcard {
    /// Starts the card of the profile file `profile` (see [`profile`]) on `port`.
    pub fn start(profile: impl AsRef<std::ffi::OsStr>, port: u16) -> Vcard {
        let mut child = kaonin()
            .args(["vcard", "--profile"])
            .arg(profile)
            .arg("--vpcd")
            .arg(format!("127.0.0.1:{port}"))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        Vcard { child, stdin }
    }

    pub fn say(&mut self, command: &str) {
        writeln!(self.stdin, "{command}").unwrap();
    }
}

impl Drop for Vcard {
    fn drop(&mut self) {
        let _ = writeln!(self.stdin, "quit");
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A PIN VERIFY carrying digits (a VERIFY without data only asks the tries left).
pub const PIN_VERIFY: &str = "00 20 00 80 04 ";
/// A 照合番号B VERIFY (14 digits).
pub const KENMEN_VERIFY: &str = "00 20 00 80 0E ";

/// The status words answering each APDU that starts with `header`, in the order
/// they reached the card, from pcscd's APDU log (`KAONIN_PCSCD_LOG`).
pub fn pcscd_answers(header: &str) -> Vec<String> {
    let log = std::env::var("KAONIN_PCSCD_LOG").expect("run under scripts/with-pcscd.sh");
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let wanted = format!("APDU: {header}");
    let mut lines = text.lines();
    let mut answers = Vec::new();
    while let Some(line) = lines.next() {
        if line.contains(&wanted) {
            let sw = lines
                .by_ref()
                .find_map(|l| l.split_once("SW: ").map(|(_, sw)| sw.trim().to_owned()))
                .unwrap_or_default();
            answers.push(sw);
        }
    }
    answers
}
