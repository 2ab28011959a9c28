//! Every command line the README shows, run as written (against temporary config and
//! state directories), so the README cannot drift from the binary.
//!
//! The commands are read from README.md: every line of a ```sh block, and every
//! inline code span whose program is `kaonin`, `cargo`, `cross` or a `scripts/*.sh`
//! (after `NAME=value` settings). [`COVERED`] names the test that runs each one; a
//! README command missing from it, or an entry no longer in the README, fails
//! [`every_readme_command_is_covered`]. The few too heavy for a test (the test command
//! itself, cross builds, packaging) say why, and their scripts, files and cargo
//! features are checked to exist instead.

mod common;

use common::{kaonin, Options, Terminal};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const README: &str = include_str!("../README.md");
const THIS_FILE: &str = include_str!("readme_commands.rs");
const MANIFEST: &str = env!("CARGO_MANIFEST_DIR");

/// How a README command is covered.
enum Cover {
    /// Run by the test of this name (in this file).
    Test(&'static str),
    /// Not run here, for this reason; its scripts, files and features are checked.
    Heavy(&'static str),
}
use Cover::{Heavy, Test};

/// Every command of the README (as extracted: whitespace collapsed, `\|` as `|`).
const COVERED: &[(&str, Cover)] = &[
    // The two commands.
    ("cargo run -- demo --out demo-screens", Test("demo_as_the_readme_runs_it")),
    ("scripts/test.sh", Heavy("the README's test command: the whole suite, this test included \
        (about 40 min on 2 cores); scripts/fresh-debian-check.sh runs it in a fresh Debian 12")),
    ("cargo test", Heavy("the whole suite without root, this test included")),
    ("scripts/fresh-debian-check.sh", Heavy("debootstraps a Debian 12 root and installs \
        packages and models in it (minutes, root, the network)")),
    ("scripts/install-deps.sh --check", Test("install_deps_check_lists_what_is_missing")),
    // The command-line table.
    ("kaonin run [--config FILE]", Test("run_starts_and_stops_on_sigterm")),
    ("kaonin demo [--out DIR]", Test("demo_with_its_default_out")),
    ("kaonin vcard --profile FILE [--vpcd HOST:PORT]", Test("vcard_answers_a_vpcd")),
    ("kaonin pc --listen ADDR [--passcode ACCOUNT=DDDD]… [--result R]", Test("pc_provisions_prints_and_acks")),
    ("kaonin render --screen ID [--lang ja|en] --out FILE.png", Test("render_one_screen")),
    ("kaonin check-config FILE", Test("check_config_says_ok")),
    ("kaonin pair [--pc] [--state-dir DIR]", Test("pair_prints_stable_fingerprints")),
    ("kaonin passcode set|revoke ACCOUNT [--config FILE]", Test("passcode_lines_as_written")),
    ("kaonin passcode list [--config FILE]", Test("passcode_lines_as_written")),
    ("kaonin stats [--prometheus] [--config FILE]", Test("stats_table_and_prometheus")),
    ("kaonin face-eval …", Test("face_eval_lists_faces_and_makes_a_chip_photo")),
    ("kaonin render --all --out DIR", Test("render_all_screens")),
    ("kaonin ocr-eval --dir DIR | --generate N [--seed S] [--stress] [--backdrops plain|textured|KIND] [--out DIR]", Test("ocr_eval_generates_a_set")),
    // The architecture section names the virtual card's command.
    ("kaonin vcard", Test("vcard_answers_a_vpcd")),
    // Building for a clinic: what CI runs.
    ("scripts/cross-setup.sh", Heavy("installs the arm64 cross toolchain system-wide (apt, rustup \
        target); CI's install step runs it")),
    ("scripts/cross-test.sh", Heavy("an aarch64 release build and qemu runs, tens of minutes; \
        CI's cross step")),
    ("cargo install cargo-deb --version 3.8.0 --locked", Heavy("builds and installs a tool from \
        crates.io; CI's cargo-deb step (the same version: cargo_deb_version_matches_ci)")),
    ("DEB_TARGET=aarch64-unknown-linux-gnu DEB_NO_BUILD=1 scripts/package.sh", Heavy("packages \
        the aarch64 binary that scripts/cross-test.sh built; CI's package step")),
    ("cargo build --release --target aarch64-unknown-linux-gnu --features pcsc,gpio", Heavy("the \
        aarch64 release build, which scripts/cross-test.sh runs")),
    ("CROSS_CONFIG=cross.toml cross build --release --target aarch64-unknown-linux-gnu --features pcsc,gpio",
        Heavy("needs Docker or Podman; the README says CI does not run it")),
    ("scripts/bench-ops.sh", Heavy("release builds for two targets and timed runs under qemu")),
];

fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `NAME=value`, a setting before the program.
fn is_setting(word: &str) -> bool {
    word.split_once('=').is_some_and(|(name, _)| {
        !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
    })
}

/// The program of a command line (after its settings).
fn program(command: &str) -> Option<&str> {
    command.split_whitespace().find(|w| !is_setting(w))
}

fn is_command(span: &str) -> bool {
    match program(span) {
        Some("kaonin" | "cargo" | "cross") => true,
        Some(p) => p.starts_with("scripts/") && p.ends_with(".sh"),
        None => false,
    }
}

/// The README's command lines, in order.
fn readme_commands() -> Vec<String> {
    let mut commands = Vec::new();
    let mut prose = String::new();
    let mut fence: Option<String> = None;
    for line in README.lines() {
        if let Some(info) = line.trim_start().strip_prefix("```") {
            fence = match fence {
                None => Some(info.trim().to_owned()),
                Some(_) => None,
            };
            continue;
        }
        match fence.as_deref() {
            Some("sh") => {
                let command = line.split(" #").next().unwrap_or_default().trim();
                if !command.is_empty() && !command.starts_with('#') {
                    commands.push(collapse(command));
                }
            }
            Some(_) => {}
            None => {
                prose.push_str(line);
                prose.push('\n');
            }
        }
    }
    // Inline code spans may run over a line break.
    let mut rest = prose.as_str();
    while let Some(start) = rest.find('`') {
        let after = &rest[start + 1..];
        let Some(end) = after.find('`') else { break };
        let span = collapse(&after[..end].replace("\\|", "|"));
        if is_command(&span) {
            commands.push(span);
        }
        rest = &after[end + 1..];
    }
    commands
}

#[test]
fn every_readme_command_is_covered() {
    let commands = readme_commands();
    assert!(commands.len() >= 20, "few commands found: {commands:#?}");
    let known: Vec<&str> = COVERED.iter().map(|(c, _)| *c).collect();
    let untested: Vec<&String> = commands
        .iter()
        .filter(|c| !known.contains(&c.as_str()))
        .collect();
    assert!(
        untested.is_empty(),
        "README commands without a test (add one to COVERED in tests/readme_commands.rs): {untested:#?}"
    );
    let stale: Vec<&&str> = known
        .iter()
        .filter(|k| !commands.iter().any(|c| c == *k))
        .collect();
    assert!(
        stale.is_empty(),
        "COVERED names commands the README no longer shows: {stale:#?}"
    );
    for (command, cover) in COVERED {
        if let Test(name) = cover {
            assert!(
                THIS_FILE.contains(&format!("fn {name}()")),
                "{command}: no test function {name}"
            );
        }
    }
}

/// What the heavy commands need is there: scripts executable, files present, cargo
/// features defined.
#[test]
fn heavy_commands_have_their_scripts_files_and_features() {
    let cargo_toml = std::fs::read_to_string(Path::new(MANIFEST).join("Cargo.toml")).unwrap();
    for (command, cover) in COVERED {
        let Heavy(reason) = cover else { continue };
        assert!(!reason.is_empty());
        let words: Vec<&str> = command.split_whitespace().collect();
        for (i, word) in words.iter().enumerate() {
            let value = word.split_once('=').map_or(*word, |(_, v)| v);
            if value.starts_with("scripts/") {
                let mode = std::fs::metadata(Path::new(MANIFEST).join(value))
                    .unwrap_or_else(|e| panic!("{command}: {value}: {e}"))
                    .permissions()
                    .mode();
                assert!(mode & 0o111 != 0, "{command}: {value} is not executable");
            }
            if value.ends_with(".toml") {
                assert!(
                    Path::new(MANIFEST).join(value).is_file(),
                    "{command}: {value}"
                );
            }
            if *word == "--features" {
                for feature in words[i + 1].split(',') {
                    assert!(
                        cargo_toml.contains(&format!("\n{feature} = [")),
                        "{command}: no cargo feature {feature}"
                    );
                }
            }
        }
    }
    // The aarch64 build recipe the plain-cargo build line relies on.
    assert!(Path::new(MANIFEST).join(".cargo/config.toml").is_file());
}

#[test]
fn cargo_deb_version_matches_ci() {
    let ci = std::fs::read_to_string(Path::new(MANIFEST).join(".ci/run")).unwrap();
    assert!(
        ci.contains("CARGO_DEB_VERSION=3.8.0"),
        "README and .ci/run disagree"
    );
}

// ---- helpers --------------------------------------------------------------------

/// `kaonin ARGS` with `stdin`; returns its output (any exit status).
fn kaonin_in(dir: &Path, args: &[&str], stdin: &str) -> Output {
    let mut cmd = kaonin();
    cmd.args(args).current_dir(dir);
    common::output_with_stdin(cmd, stdin)
}

/// `kaonin ARGS`, which must succeed; returns stdout.
fn ok(dir: &Path, args: &[&str]) -> String {
    ok_with(dir, args, "")
}

fn ok_with(dir: &Path, args: &[&str], stdin: &str) -> String {
    let out = kaonin_in(dir, args, stdin);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "kaonin {args:?}: {}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// A config whose state directory is inside `dir`; returns its path as text.
fn config_in(dir: &Path) -> String {
    let path = dir.join("kaonin.toml");
    std::fs::write(
        &path,
        format!(
            "[terminal]\nstate_dir = \"{}\"\n",
            dir.join("state").display()
        ),
    )
    .unwrap();
    path.display().to_string()
}

fn png_count(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "png")
        })
        .count()
}

fn models() -> PathBuf {
    Path::new(MANIFEST).join("models")
}

// ---- the commands ---------------------------------------------------------------

/// `cargo run -- demo --out demo-screens` is the built `kaonin` with those arguments,
/// run from a directory of its own (the README's relative `demo-screens`).
#[test]
fn demo_as_the_readme_runs_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = ok(dir.path(), &["demo", "--out", "demo-screens"]);
    for method in ["\"face\"", "\"pin\"", "\"visual\""] {
        assert!(out.contains(method), "a PC record with {method}: {out}");
    }
    assert!(out.contains("all three receptions completed"), "{out}");
    assert!(png_count(&dir.path().join("demo-screens")) > 10);
}

#[test]
fn demo_with_its_default_out() {
    let dir = tempfile::tempdir().unwrap();
    let out = ok(dir.path(), &["demo"]);
    assert!(out.contains("all three receptions completed"), "{out}");
    assert!(png_count(&dir.path().join("kaonin-demo")) > 10);
}

#[test]
fn install_deps_check_lists_what_is_missing() {
    let out = Command::new(Path::new(MANIFEST).join("scripts/install-deps.sh"))
        .arg("--check")
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    match out.status.code() {
        Some(0) => assert!(said.contains("every Debian package is installed"), "{said}"),
        Some(1) => assert!(said.contains("install-deps: missing: "), "{said}"),
        other => panic!("exit {other:?}: {said}"),
    }
}

#[test]
fn run_starts_and_stops_on_sigterm() {
    // `kaonin run --config FILE` on simulated hardware, up to READY=1 and the idle
    // screen (tests/common), then SIGTERM: a clean exit.
    let mut terminal = Terminal::start(Options::default());
    assert!(terminal.screens.contains(&"idle".to_owned()));
    let status = terminal.terminate();
    assert!(status.success(), "{status}");
}

/// `kaonin vcard --profile FILE --vpcd HOST:PORT` against a stand-in vpcd: the card
/// connects on `insert`, gives its ATR and answers SELECT of the JPKI AP.
#[test]
fn vcard_answers_a_vpcd() {
    let vpcd = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = vpcd.local_addr().unwrap().to_string();
    let profile = common::profile("alice");
    let mut child = kaonin()
        .args(["vcard", "--profile", &profile, "--vpcd", &address])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "insert").unwrap();
    let (mut card, _) = vpcd.accept().unwrap();
    card.set_read_timeout(Some(common::DEADLINE)).unwrap();
    let mut ask = |payload: &[u8]| -> Vec<u8> {
        let mut frame = (payload.len() as u16).to_be_bytes().to_vec();
        frame.extend_from_slice(payload);
        card.write_all(&frame).unwrap();
        let mut len = [0u8; 2];
        card.read_exact(&mut len).unwrap();
        let mut answer = vec![0u8; usize::from(u16::from_be_bytes(len))];
        card.read_exact(&mut answer).unwrap();
        answer
    };
    let atr = ask(&[0x04]);
    assert_eq!(atr.first(), Some(&0x3B), "an ATR: {atr:02X?}");
    let select_jpki = [
        0x00, 0xA4, 0x04, 0x0C, 0x0A, 0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01,
    ];
    assert_eq!(ask(&select_jpki), [0x90, 0x00]);
    writeln!(stdin, "quit").unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("vcard: inserted"));
}

/// `kaonin pc --listen unix:SOCK --passcode staff-01=2580 --result not_found`, with a
/// hand-written terminal on the socket.
#[test]
fn pc_provisions_prints_and_acks() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("link.sock");
    let listen = format!("unix:{}", socket.display());
    let mut pc = kaonin()
        .args([
            "pc",
            "--listen",
            &listen,
            "--passcode",
            "staff-01=2580",
            "--result",
            "not_found",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stream = None;
    for _ in 0..500 {
        if let Ok(s) = std::os::unix::net::UnixStream::connect(&socket) {
            stream = Some(s);
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let mut stream = stream.expect("kaonin pc listens");
    stream.set_read_timeout(Some(common::DEADLINE)).unwrap();
    let mut answers = BufReader::new(stream.try_clone().unwrap()).lines();
    let mut next = || -> Value { serde_json::from_str(&answers.next().unwrap().unwrap()).unwrap() };
    let hello =
        json!({"type": "hello", "protocol": 1, "terminal_id": "readme-1", "software": "test"});
    writeln!(stream, "{hello}").unwrap();
    let provision = next();
    assert_eq!(provision["type"], "set_passcode");
    assert_eq!(provision["account"], "staff-01");
    assert_eq!(provision["passcode"], "2580");
    let identity = json!({
        "type": "identity", "id": "8f3a3f0e-4b7e-4d43-9c1e-2f9f5b0b6a11",
        "at": "2026-11-25T21:30:22Z", "terminal_id": "readme-1", "method": "face",
        "certificate": "MAMCAQA=", "face_score": 0.93,
        "consent": {"medication": true, "medical_history": true, "surgery": true, "health_checkup": true},
        "consent_mode": "all"
    });
    writeln!(stream, "{identity}").unwrap();
    let ack = loop {
        let message = next();
        if message["type"] == "ack" {
            break message;
        }
    };
    assert_eq!(ack["id"], identity["id"]);
    assert_eq!(ack["result"], "not_found");
    drop(stream);
    let _ = pc.kill();
    let mut printed = String::new();
    pc.stdout
        .take()
        .unwrap()
        .read_to_string(&mut printed)
        .unwrap();
    let _ = pc.wait();
    assert!(printed.contains("\"type\":\"hello\""), "{printed}");
    assert!(
        printed.contains("8f3a3f0e-4b7e-4d43-9c1e-2f9f5b0b6a11"),
        "{printed}"
    );
}

#[test]
fn render_one_screen() {
    let dir = tempfile::tempdir().unwrap();
    ok(
        dir.path(),
        &[
            "render", "--screen", "pin", "--lang", "en", "--out", "pin.png",
        ],
    );
    ok(
        dir.path(),
        &["render", "--screen", "consent", "--out", "consent.png"],
    );
    for file in ["pin.png", "consent.png"] {
        let image = image::open(dir.path().join(file)).unwrap();
        assert_eq!((image.width(), image.height()), (800, 480), "{file}");
    }
}

#[test]
fn render_all_screens() {
    let dir = tempfile::tempdir().unwrap();
    ok(dir.path(), &["render", "--all", "--out", "all"]);
    let all = dir.path().join("all");
    assert!(all.join("contact-sheet.png").is_file());
    assert!(all.join("800x480-pin-ja.png").is_file());
    assert!(all.join("720x1280-done-en.png").is_file());
    assert!(png_count(&all) > 60);
}

#[test]
fn check_config_says_ok() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_in(dir.path());
    let out = ok(dir.path(), &["check-config", &config]);
    assert_eq!(out.trim(), format!("{config}: ok"));
}

#[test]
fn pair_prints_stable_fingerprints() {
    let dir = tempfile::tempdir().unwrap();
    let terminal = ok(dir.path(), &["pair", "--state-dir", "t"]);
    let pc = ok(dir.path(), &["pair", "--pc", "--state-dir", "p"]);
    for fingerprint in [&terminal, &pc] {
        let hex = fingerprint.trim();
        assert_eq!(hex.len(), 64, "{hex}");
        assert!(hex.chars().all(|c| c.is_ascii_hexdigit()), "{hex}");
    }
    assert_ne!(terminal, pc);
    assert_eq!(
        ok(dir.path(), &["pair", "--state-dir", "t"]),
        terminal,
        "same key pair again"
    );
    assert!(dir.path().join("t/link-terminal.cert.der").is_file());
    assert!(dir.path().join("p/link-pc.cert.der").is_file());
}

/// The README's lines exactly: `kaonin passcode set|revoke ACCOUNT --config FILE`
/// (the option after the action) and `kaonin passcode list --config FILE`.
#[test]
fn passcode_lines_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_in(dir.path());
    let d = dir.path();
    let set = ok_with(
        d,
        &["passcode", "set", "staff-07", "--config", &config],
        "2580\n",
    );
    assert_eq!(set.trim(), "staff-07: passcode set");
    let list = ok(d, &["passcode", "list", "--config", &config]);
    assert_eq!(list.trim(), "staff-07");
    let revoke = ok(d, &["passcode", "revoke", "staff-07", "--config", &config]);
    assert_eq!(revoke.trim(), "staff-07: passcode revoked");
    assert_eq!(ok(d, &["passcode", "list", "--config", &config]).trim(), "");
    // Not four digits: a usage error, nothing stored.
    let bad = kaonin_in(
        d,
        &["passcode", "set", "staff-08", "--config", &config],
        "12a4\n",
    );
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn stats_table_and_prometheus() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_in(dir.path());
    let table = ok(dir.path(), &["stats", "--config", &config]);
    assert!(!table.trim().is_empty());
    assert!(table.to_lowercase().contains("face"), "{table}");
    let prometheus = ok(dir.path(), &["stats", "--prometheus", "--config", &config]);
    assert!(
        prometheus.contains("kaonin_receptions_total{method=\"face\"} 0"),
        "{prometheus}"
    );
}

/// `kaonin face-eval …`: without the models it says which file is missing and how to
/// fetch it; with them it lists faces and makes a chip photo (JPEG 2000).
#[test]
fn face_eval_lists_faces_and_makes_a_chip_photo() {
    let dir = tempfile::tempdir().unwrap();
    let alice = Path::new(MANIFEST).join("assets/faces/alice.png");
    let alice = alice.to_str().unwrap();
    let no_models = [
        "face-eval",
        "--config",
        &config_in(dir.path()),
        "--list-faces",
        alice,
    ];
    let out = kaonin_in(dir.path(), &no_models, "");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(said.contains("scripts/fetch-models.sh"), "{said}");

    if !models()
        .join(kaonin::face::DetectorKind::default().file_name())
        .is_file()
    {
        eprintln!("models/ not fetched: face-eval with models is left to scripts/test.sh");
        return;
    }
    let photo = models().join("photos/face_recognition/obama.jpg");
    let listed = ok(
        Path::new(MANIFEST),
        &["face-eval", "--list-faces", photo.to_str().unwrap()],
    );
    assert!(listed.contains("obama.jpg 1"), "{listed}");
    let chip = dir.path().join("chip.jp2");
    let chip_s = chip.to_str().unwrap();
    let photo_s = photo.to_str().unwrap();
    ok(
        Path::new(MANIFEST),
        &["face-eval", "--chip-in", photo_s, "--chip-out", chip_s],
    );
    let jp2 = std::fs::read(&chip).unwrap();
    assert_eq!(&jp2[4..8], b"jP  ", "a JP2 signature box");
}

/// `kaonin ocr-eval --generate N --seed S --stress --backdrops KIND --out DIR` writes
/// a set; with the OCR model, `kaonin ocr-eval --dir DIR` evaluates it.
#[test]
fn ocr_eval_generates_a_set() {
    let dir = tempfile::tempdir().unwrap();
    let written = ok(
        dir.path(),
        &[
            "ocr-eval",
            "--generate",
            "2",
            "--seed",
            "7",
            "--stress",
            "--backdrops",
            "white-desk",
            "--out",
            "set",
        ],
    );
    assert!(!written.trim().is_empty());
    let truth = std::fs::read_to_string(dir.path().join("set/truth.tsv")).unwrap();
    let rows: Vec<&str> = truth.lines().filter(|l| !l.starts_with('#')).collect();
    assert!(rows.len() >= 2, "{truth}");
    assert!(rows.iter().all(|r| r.ends_with("\twhite-desk")), "{truth}");
    let usage = kaonin_in(dir.path(), &["ocr-eval"], "");
    assert_eq!(usage.status.code(), Some(2));

    let model = models().join("ocr/ppocrv5-rec.onnx");
    if !model.is_file() {
        eprintln!("models/ocr not fetched: ocr-eval --dir is left to scripts/test.sh");
        return;
    }
    let set = dir.path().join("set");
    let report = ok(
        Path::new(MANIFEST),
        &["ocr-eval", "--dir", set.to_str().unwrap()],
    );
    assert!(report.contains("cards "), "{report}");
}
