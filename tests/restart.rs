//! Never a frozen terminal (issue 16): a device worker that panics or wedges is
//! noticed, the panel says the terminal is restarting, the daemon exits with an
//! error (systemd's `Restart=on-failure` starts it again; its watchdog is no longer
//! fed either way), and an identity waiting in the outbox is delivered after the
//! restart. The faults are injected by the test-only `{"debug":…}` control lines.
#![cfg(feature = "sim")]

mod common;

use common::*;
use serde_json::json;

const DEBUG: &[(&str, &str)] = &[("KAONIN_DEBUG_CONTROL", "1")];

/// A terminal with the debug hooks, its stderr in `daemon.log`, and `extra` config.
fn terminal(extra: &str) -> Terminal {
    let dir = tempfile::tempdir().unwrap();
    let mut options = Options::default();
    options.extra.push_str(extra);
    let config = dir.path().join("kaonin.toml");
    std::fs::write(&config, config_text(dir.path(), &options)).unwrap();
    Terminal::start_env(dir, &config, Some("info"), DEBUG)
}

/// With no PC listening: one face reception, stored in the outbox; its id.
fn offline_reception(t: &mut Terminal) -> String {
    face_reception(t, "sent_offline");
    let id = t.forwarded.last().expect("a forwarded event")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    t.remove();
    t.expect("idle");
    id
}

/// Arms `fault` in the face worker and sets it off with a face attempt; returns
/// the restarting screen's text once the daemon has exited with an error.
fn strike_face_worker(t: &mut Terminal, fault: &str) -> String {
    t.send(json!({"debug": {fault: "face"}}));
    t.camera(Some("alice-camera.png"));
    t.insert("alice");
    t.expect("method_select");
    t.press("face");
    let screen = loop {
        let screen = t.expect("staff_call");
        let text = screen["text"].as_str().unwrap_or_default().to_owned();
        if text.contains("再起動") {
            break text;
        }
    };
    let status = t.wait_exit();
    assert!(
        !status.success(),
        "the daemon must exit with an error: {status}"
    );
    screen
}

/// The terminal restarted on the same state directory, with a PC this time: the
/// identity stored before the failure arrives.
fn restart_delivers(mut dir: Terminal, id: &str) {
    let dir = dir.take_dir();
    let config = dir.path().join("kaonin.toml");
    let t = Terminal::start_env(dir, &config, Some("info"), DEBUG);
    let mut pc = Pc::start(&t.link_socket(), &["--passcode", "staff-01=2580"]);
    pc.expect("hello");
    let identity = pc.expect("identity");
    assert_eq!(
        identity["id"], id,
        "the outbox's identity after the restart"
    );
}

#[test]
fn a_panicking_worker_restarts_the_terminal_and_loses_no_identity() {
    let mut t = terminal("");
    let id = offline_reception(&mut t);
    strike_face_worker(&mut t, "panic");
    let log = t.log();
    assert!(
        log.contains("device worker panicked") && log.contains("face"),
        "the log names the failed worker:\n{log}"
    );
    restart_delivers(t, &id);
}

#[test]
fn a_wedged_worker_is_noticed_and_the_terminal_restarts() {
    // A worker away from its commands for more than two seconds is wedged.
    let mut t = terminal("[board]\nworker_timeout_s = 2\n");
    let id = offline_reception(&mut t);
    strike_face_worker(&mut t, "wedge");
    let log = t.log();
    assert!(
        log.contains("device worker wedged"),
        "the log says a worker wedged:\n{log}"
    );
    restart_delivers(t, &id);
}

#[test]
fn a_panic_anywhere_else_ends_the_process_for_systemd_to_restart() {
    // tokio would swallow a task's panic and leave a terminal that looks alive.
    let mut t = terminal("");
    let id = offline_reception(&mut t);
    t.send(json!({"debug": {"panic": "task"}}));
    let status = t.wait_exit();
    assert!(!status.success(), "{status}");
    let log = t.log();
    assert!(log.contains("an async task panics"), "{log}");
    restart_delivers(t, &id);
}

#[test]
fn debug_faults_are_refused_without_the_debug_switch() {
    let mut t = Terminal::start(Options::default());
    t.send(json!({"debug": {"panic": "face"}}));
    let error = t.expect_error();
    assert!(error.contains("KAONIN_DEBUG_CONTROL"), "{error}");
}
