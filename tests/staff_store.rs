//! The passcode store as staff meet it: `kaonin passcode` beside a running daemon
//! (a revoke applies at the next try, no restart), the escalating lock-out shown
//! with its time and kept across a restart, the files' owner and mode whoever runs
//! the command line, and its clear refusals.

mod common;

use common::{kaonin, output_with_stdin, Options, Terminal};
use serde_json::json;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

/// `kaonin passcode ARGS --config CONFIG` with `stdin`: (exit code, stdout, stderr).
fn passcode(config: &Path, args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut cmd = kaonin();
    cmd.arg("passcode").args(args).arg("--config").arg(config);
    let out = output_with_stdin(cmd, stdin);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_passcode_revoked_on_the_command_line_is_refused_by_the_running_daemon() {
    let mut t = Terminal::start(Options::default());
    let config = t.dir.path().join("kaonin.toml");
    assert_eq!(passcode(&config, &["set", "staff-09"], "4321\n").0, 0);
    // Set while the daemon runs: accepted at once.
    t.send(json!({"staff": "visual", "passcode": "4321"}));
    t.expect("visual_armed");
    t.press("cancel");
    t.expect("idle");
    // Revoked on the command line: the very next try is refused, no restart.
    let (code, out, _) = passcode(&config, &["revoke", "staff-09"], "");
    assert_eq!((code, out.trim()), (0, "staff-09: passcode revoked"));
    t.send(json!({"staff": "visual", "passcode": "4321"}));
    let screen = t.expect("idle");
    assert!(
        screen["text"]
            .as_str()
            .unwrap_or("")
            .contains("パスコードが違います"),
        "{screen}"
    );
    let audit = std::fs::read_to_string(t.dir.path().join("state/audit.jsonl")).unwrap();
    assert!(
        audit
            .trim_end()
            .ends_with(r#""what":"staff_passcode_rejected"}"#),
        "{audit}"
    );
}

#[test]
fn the_lockout_shows_its_time_escalates_and_survives_a_restart() {
    let mut options = Options::default();
    options.policy.push(("staff_passcode_attempts", 2));
    let mut t = Terminal::start(options);
    let config = t.dir.path().join("kaonin.toml");
    assert_eq!(passcode(&config, &["set", "staff-01"], "2580\n").0, 0);
    t.send(json!({"staff": "visual", "passcode": "1111"}));
    t.expect("idle");
    t.send(json!({"staff": "visual", "passcode": "1111"}));
    // The second miss locks staff out for the first step: 1 minute.
    let screen = loop {
        let s = t.expect("idle");
        if s["text"].as_str().unwrap_or("").contains("入力できません") {
            break s;
        }
    };
    assert!(
        screen["text"].as_str().unwrap().contains("1 分間"),
        "{screen}"
    );
    // The command line tells too.
    let (_, _, err) = passcode(&config, &["list"], "");
    assert!(err.contains("locked out for another"), "{err}");
    // Restarted: still locked, even for the right passcode.
    let status = t.terminate();
    assert!(status.success(), "{status}");
    let dir = std::mem::replace(&mut t.dir, tempfile::tempdir().unwrap());
    let mut t2 = Terminal::start_with(dir, &config);
    t2.send(json!({"staff": "visual", "passcode": "2580"}));
    let screen = loop {
        let s = t2.expect("idle");
        if s["text"].as_str().unwrap_or("").contains("入力できません") {
            break s;
        }
    };
    assert!(
        !t2.screens.contains(&"visual_armed".to_string()),
        "{screen}"
    );
    let state: serde_json::Value = serde_json::from_slice(
        &std::fs::read(t2.dir.path().join("state/staff-lockout.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(state["level"], 1, "{state}");
}

#[test]
fn the_command_line_keeps_the_daemons_owner_and_mode_or_refuses() {
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("skipped: needs root to play the daemon's user and another user");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    std::fs::create_dir(&state).unwrap();
    std::fs::set_permissions(&state, std::fs::Permissions::from_mode(0o700)).unwrap();
    // The daemon's user: here `nobody` owns the state directory.
    let (uid, gid) = (65534, 65534);
    std::os::unix::fs::chown(&state, Some(uid), Some(gid)).unwrap();
    let config = dir.path().join("k.toml");
    std::fs::write(
        &config,
        format!("[terminal]\nstate_dir = \"{}\"\n", state.display()),
    )
    .unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o644)).unwrap();
    // Root sets a passcode: every file it leaves belongs to the directory's owner, 0600.
    assert_eq!(passcode(&config, &["set", "staff-01"], "2580\n").0, 0);
    let files: Vec<_> = std::fs::read_dir(&state)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(files.iter().any(|p| p.ends_with("staff.json")), "{files:?}");
    for path in &files {
        let m = std::fs::metadata(path).unwrap();
        assert_eq!((m.uid(), m.gid()), (uid, gid), "{}", path.display());
        assert_eq!(m.mode() & 0o777, 0o600, "{}", path.display());
    }
    // Another user (daemon: a uid that owns nothing here) is refused with the reason.
    let mut cmd = kaonin();
    std::os::unix::process::CommandExt::uid(&mut cmd, 4242);
    std::os::unix::process::CommandExt::gid(&mut cmd, 4242);
    cmd.args(["passcode", "revoke", "staff-01", "--config"])
        .arg(&config);
    let out = output_with_stdin(cmd, "");
    let err = String::from_utf8_lossy(&out.stderr);
    if out.status.code() == Some(1) && err.contains("belongs to uid 65534") {
        assert!(err.contains("runs as uid 4242"), "{err}");
    } else {
        // The binary could not be run as 4242 (a target dir it cannot enter).
        assert!(
            err.contains("ermission denied") || err.contains("os error 13"),
            "{err}"
        );
    }
    // Nothing was revoked.
    assert!(std::fs::read_to_string(state.join("staff.json"))
        .unwrap()
        .contains("staff-01"));
}

#[test]
fn bad_account_names_are_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("k.toml");
    std::fs::write(
        &config,
        format!(
            "[terminal]\nstate_dir = \"{}\"\n",
            dir.path().join("state").display()
        ),
    )
    .unwrap();
    let long = "x".repeat(33);
    for (name, reason) in [
        (long.as_str(), "at most 32 bytes"),
        ("a\u{7}b", "printable"),
        (" a", "begin or end with a space"),
    ] {
        let (code, _, err) = passcode(&config, &["set", name], "1234\n");
        assert_eq!(code, 2, "{name:?}: {err}");
        assert!(err.contains(reason), "{name:?}: {err}");
    }
    let (code, out, _) = passcode(&config, &["set", "受付 山田"], "1234\n");
    assert_eq!(code, 0);
    assert_eq!(out.trim(), "受付 山田: passcode set");
    assert_eq!(passcode(&config, &["list"], "").1.trim(), "受付 山田");
}

#[test]
fn the_bench_prints_the_time_per_guess_and_for_all_10000() {
    let mut cmd = kaonin();
    cmd.args(["passcode", "bench", "--rounds", "1"]);
    let out = output_with_stdin(cmd, "");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("argon2id m=65536 KiB t=1 p=1: ")
            && text.contains("ms per guess")
            && text.contains("all 10,000 passcodes"),
        "{text}"
    );
}
