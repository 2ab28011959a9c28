//! The programs of `examples/` (docs/examples.md), run as a reader runs them, with
//! their output checked — not only their exit status.
//!
//! A whole `cargo test` builds the examples (to check they compile), but
//! `cargo test --test examples_run` alone does not: build them first with
//! `cargo build --examples --features pcsc` (scripts/test.sh's build step,
//! `--all-targets`, does). The binaries are looked up beside this test's own
//! (`<target>/<profile>/examples/`), so `CARGO_TARGET_DIR` and the profile need no
//! setting; a missing or older-than-its-source example fails with the build command.
//!
//! Hardware-free examples always run. `face_compare` needs the models
//! (`scripts/fetch-models.sh`) and `pcsc_certificate` a private pcscd with the vpcd
//! virtual reader (`scripts/with-pcscd.sh`): both are `#[ignore]`d, and
//! scripts/test.sh runs them with `--include-ignored`.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

const MANIFEST: &str = env!("CARGO_MANIFEST_DIR");
/// The longest one example may run.
const DEADLINE: Duration = Duration::from_secs(60);

/// `<target>/<profile>/examples`, from this test binary's own place
/// (`<target>/<profile>/deps/examples_run-HASH`), else `$CARGO_TARGET_DIR/debug/examples`.
fn examples_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    let beside = exe
        .parent()
        .and_then(Path::parent)
        .map(|p| p.join("examples"));
    match beside {
        Some(dir) if dir.is_dir() => dir,
        _ => {
            let target = std::env::var_os("CARGO_TARGET_DIR")
                .map_or_else(|| Path::new(MANIFEST).join("target"), PathBuf::from);
            target.join("debug/examples")
        }
    }
}

/// The built example `name`, run from the source tree.
fn example(name: &str) -> Command {
    let binary = examples_dir().join(name);
    let build = "build the examples first: cargo build --examples --features pcsc";
    let built = std::fs::metadata(&binary)
        .and_then(|m| m.modified())
        .unwrap_or_else(|_| panic!("{} is missing: {build}", binary.display()));
    let source = Path::new(MANIFEST).join(format!("examples/{name}.rs"));
    let edited = std::fs::metadata(&source)
        .and_then(|m| m.modified())
        .unwrap();
    assert!(
        built >= edited,
        "{} is older than {}: {build}",
        binary.display(),
        source.display()
    );
    let mut command = Command::new(binary);
    command.current_dir(MANIFEST).env("KAONIN_LOG", "warn");
    command
}

/// Runs `command` to its end (killed after [`DEADLINE`]); fails on a non-zero exit.
fn run(mut command: Command) -> String {
    let child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = finish(child);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{command:?}: {}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Waits for `child` (killed after [`DEADLINE`]) and collects its output.
fn finish(child: Child) -> Output {
    let pid = child.id() as libc::pid_t;
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(DEADLINE) {
        Ok(out) => out.unwrap(),
        Err(_) => {
            // SAFETY: `pid` is our own child, not yet reaped (its waiter is still waiting).
            unsafe { libc::kill(pid, libc::SIGKILL) };
            panic!("example still running after {DEADLINE:?}");
        }
    }
}

/// Lines of a pipe, through a channel.
#[cfg_attr(not(feature = "sim"), allow(dead_code))]
fn lines(read: impl std::io::Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(read).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Waits for a line containing `wanted`, returning the lines seen up to it.
#[cfg_attr(not(feature = "sim"), allow(dead_code))]
fn wait_for(rx: &Receiver<String>, wanted: &str) -> Vec<String> {
    let deadline = Instant::now() + DEADLINE;
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => {
                let found = line.contains(wanted);
                seen.push(line);
                if found {
                    return seen;
                }
            }
            Err(e) => panic!("waiting for {wanted:?} ({e}); saw {seen:#?}"),
        }
    }
}

#[cfg_attr(not(feature = "sim"), allow(dead_code))]
fn sha256_hex(bytes: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, bytes)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg_attr(not(feature = "sim"), allow(dead_code))]
fn alice_certificate_sha256() -> String {
    let der = std::fs::read(Path::new(MANIFEST).join("assets/cards/keys/alice-auth.crt.der"));
    sha256_hex(&der.unwrap())
}

#[test]
fn render_screen_draws_the_screen_and_prints_its_text() {
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("pin.png");
    let mut command = example("render_screen");
    command.args(["pin", "en"]).arg(&png);
    let out = run(command);
    assert!(out.contains("3 tries left"), "{out}");
    assert!(out.contains("buttons: cancel"), "{out}");
    let image = image::open(&png).unwrap();
    assert_eq!((image.width(), image.height()), (800, 480));

    let png = dir.path().join("consent.png");
    let mut command = example("render_screen");
    command.args(["consent", "1024x600"]).arg(&png);
    let out = run(command);
    assert!(out.contains("consent (ja, 1024x600)"), "{out}");
    assert!(out.contains("consent_all"), "{out}");
    let image = image::open(&png).unwrap();
    assert_eq!((image.width(), image.height()), (1024, 600));
}

#[cfg(feature = "sim")]
#[test]
fn card_face_photos_writes_frames_the_reader_finds_the_card_in() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = example("card_face_photos");
    command
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/cards/alice.toml"))
        .arg(dir.path())
        .arg("2");
    let out = run(command);
    assert!(out.contains("2 frame(s) of the card face"), "{out}");
    for k in 0..2 {
        let grey = image::open(dir.path().join(format!("frame-{k}.png")))
            .unwrap()
            .to_luma8();
        assert!(
            kaonin::card_face::locate::find_card(&grey).is_some(),
            "frame {k}: no card found"
        );
    }
    assert!(!dir.path().join("frame-2.png").exists());
}

#[test]
fn indicator_blink_plays_the_patterns_on_the_console() {
    let mut command = example("indicator_blink");
    command.args(["--console", "card_detected", "success"]);
    let out = run(command);
    assert!(out.contains("console indicator"), "{out}");
    assert!(out.contains("-- CardDetected"), "{out}");
    assert!(out.contains("-- Success"), "{out}");
    // CardDetected: one high beep; Success: G6 then C7.
    for tone in ["tone 2000 Hz", "tone 1568 Hz", "tone 2093 Hz"] {
        assert!(out.contains(tone), "{tone}: {out}");
    }
    assert!(out.contains("LED on"), "{out}");
}

#[cfg(feature = "sim")]
#[test]
fn virtual_card_apdus_answers_raw_and_protocol_commands() {
    let out = run(example("virtual_card_apdus"));
    assert!(
        out.contains("SELECT JPKI AP  > 00 A4 04 0C 0A D3 92 F0"),
        "{out}"
    );
    assert!(out.contains("< 90 00"), "{out}");
    // The token EF names a My Number card (JPKIAPICCTOKEN2).
    assert!(
        out.contains("4A 50 4B 49 41 50 49 43 43 54 4F 4B 45 4E 32"),
        "{out}"
    );
    assert!(out.contains("card kind: Standard"), "{out}");
    assert!(
        out.contains("VERIFY 0000: Wrong { tries_left: 2 }"),
        "{out}"
    );
    assert!(out.contains("VERIFY 1234: Ok"), "{out}");
    assert!(
        out.contains("signature over \"demo-record-1\": 256 bytes"),
        "{out}"
    );
    let sha = alice_certificate_sha256().to_uppercase();
    assert!(
        out.contains(&sha),
        "the certificate of alice.toml ({sha}): {out}"
    );

    let mut command = example("virtual_card_apdus");
    command.arg("bob-pinless");
    let out = run(command);
    assert!(out.contains("card kind: PinLess"), "{out}");
    assert!(out.contains("PIN: NoPin"), "{out}");
    assert!(!out.contains("VERIFY"), "no PIN to verify: {out}");
}

#[cfg(feature = "sim")]
#[test]
fn pc_receiver_prints_and_acks_what_the_link_simulator_sends() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("pc.sock");
    let mut command = example("pc_receiver");
    let mut receiver = command
        .arg(&socket)
        .arg("2")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let printed = lines(receiver.stdout.take().unwrap());
    wait_for(&printed, "listening on");

    let mut terminal = Command::new(env!("CARGO_BIN_EXE_kaonin-link-sim"))
        .args(["terminal", "--endpoint"])
        .arg(format!("unix:{}", socket.display()))
        .arg("--state")
        .arg(dir.path().join("state"))
        .env("KAONIN_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let said = lines(terminal.stdout.take().unwrap());
    let mut stdin = terminal.stdin.take().unwrap();
    use std::io::Write;
    writeln!(stdin, "enqueue rec-1\nenqueue rec-2").unwrap();
    wait_for(&said, "acked rec-1");
    wait_for(&said, "acked rec-2");
    writeln!(stdin, "quit").unwrap();
    drop(stdin);

    let seen = wait_for(&printed, "done");
    let seen = seen.join("\n");
    assert!(seen.contains("hello from sim-1"), "{seen}");
    assert!(
        seen.contains("identity rec-1 method=Face terminal=sim-1"),
        "{seen}"
    );
    assert!(
        seen.contains("identity rec-2 method=Face terminal=sim-1"),
        "{seen}"
    );
    assert!(finish(receiver).status.success());
    assert!(finish(terminal).status.success());
}

#[cfg(feature = "sim")]
#[test]
fn control_drive_runs_a_face_reception_on_its_own_terminal() {
    let out = run(example("control_drive"));
    for wanted in [
        "screen: idle",
        "screen: method_select",
        "> {\"press\":\"face\"}",
        "screen: consent",
        "forwarded: ",
        "\"face\"",
        "screen: done",
        "reception finished: done",
    ] {
        assert!(out.contains(wanted), "{wanted}: {out}");
    }
}

#[cfg(feature = "sim")]
#[test]
fn control_drive_drives_a_running_kaonin_run() {
    let (terminal, mut pc) = common::terminal_and_pc(common::Options::default());
    let mut command = example("control_drive");
    command
        .arg("--socket")
        .arg(terminal.dir.path().join("control.sock"));
    let out = run(command);
    assert!(out.contains("reception finished: done"), "{out}");
    let identity = pc.expect("identity");
    assert_eq!(identity["method"], "face");
    assert_eq!(identity["terminal_id"], "test-terminal");
    let id = identity["id"].as_str().unwrap();
    assert!(out.contains(&format!("forwarded: \"{id}\"")), "{out}");
}

#[test]
#[ignore = "needs models: scripts/fetch-models.sh"]
fn face_compare_tells_same_from_different_people() {
    let photo = |name: &str| format!("models/photos/face_recognition/{name}");
    let mut same = example("face_compare");
    same.args([photo("obama.jpg"), photo("obama2.jpg")]);
    let out = run(same);
    assert!(out.contains(": same person"), "{out}");
    assert!(out.contains("obama2.jpg: 1 face(s)"), "{out}");

    let mut different = example("face_compare");
    different.args([photo("obama.jpg"), photo("biden.jpg")]);
    different.args(["--models", "models"]);
    let out = run(different);
    assert!(out.contains(": different people"), "{out}");
}

#[cfg(feature = "pcsc")]
#[test]
#[ignore = "needs pcscd with vpcd: scripts/with-pcscd.sh"]
fn pcsc_certificate_lists_readers_and_reads_the_virtual_card() {
    let mut card = common::Vcard::start(common::profile("alice"), common::VPCD_CARD);
    card.say("insert");
    let mut command = example("pcsc_certificate");
    command.args(["--reader", "Virtual PCD 00 00"]);
    let out = run(command);
    assert!(
        out.contains("  Virtual PCD 00 00"),
        "the reader list: {out}"
    );
    assert!(out.contains("kind: Standard"), "{out}");
    assert!(out.contains("certificate: "), "{out}");
    let sha = alice_certificate_sha256().to_uppercase();
    assert!(out.contains(&format!("sha256: {sha}")), "{out}");
    assert!(out.contains("valid: "), "{out}");
}
