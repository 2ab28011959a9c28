//! The serial PIN pad end to end: a real `kaonin run` with `input.kind =
//! "serial-keypad"` reads its pad on a pseudo-terminal; the test holds the other
//! end (the pty master) and types the protocol of `docs/serial-keypad.md` into it.
//! The control socket runs alongside (`input.also_control`) standing in for the
//! touch panel's buttons and the mock reader.
//!
//! The daemon opens the pad by a symlink in a test directory, so "plugging in
//! another pad" is pointing the symlink at a new pty pair.

mod common;

use common::*;
use kaonin_drivers::serial_keypad::HEARTBEAT_PERIOD;
use serde_json::{json, Value};
use std::fs::File;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::io::{AsRawFd, FromRawFd};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A PIN pad on one end of a pty pair. Like a real pad it sends a heartbeat `H`
/// every second (the pad's own clock, from a thread) until it is unplugged.
struct Pad {
    /// The pty master: the pad's end of the cable. `None` once unplugged.
    master: Arc<Mutex<Option<File>>>,
    /// The slave is held open too, so its node stays until the test drops it.
    _slave: File,
    /// While set, the heartbeat thread sends nothing (a pad gone silent).
    quiet: Arc<AtomicBool>,
}

/// A pty pair, both ends close-on-exec (a master inherited by the daemon or any
/// other child would keep the cable "plugged in" after the test closes it).
fn pty_pair() -> (File, File, PathBuf) {
    // SAFETY: plain libc calls on a descriptor this function owns; the name
    // buffer is large enough and NUL-terminated by ptsname_r.
    unsafe {
        let fd = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC);
        assert!(fd >= 0, "posix_openpt: {}", std::io::Error::last_os_error());
        let master = File::from_raw_fd(fd);
        assert_eq!(libc::grantpt(fd), 0, "grantpt");
        assert_eq!(libc::unlockpt(fd), 0, "unlockpt");
        let mut name = [0 as libc::c_char; 128];
        assert_eq!(libc::ptsname_r(fd, name.as_mut_ptr(), name.len()), 0);
        let path = PathBuf::from(
            std::ffi::CStr::from_ptr(name.as_ptr())
                .to_str()
                .unwrap()
                .to_owned(),
        );
        // std opens with O_CLOEXEC.
        let slave = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NOCTTY)
            .open(&path)
            .unwrap();
        // Raw, no echo: what the pad sends is never sent back.
        let mut termios = std::mem::zeroed::<libc::termios>();
        assert_eq!(libc::tcgetattr(slave.as_raw_fd(), &mut termios), 0);
        libc::cfmakeraw(&mut termios);
        assert_eq!(
            libc::tcsetattr(slave.as_raw_fd(), libc::TCSANOW, &termios),
            0
        );
        (master, slave, path)
    }
}

impl Pad {
    /// A new pty pair; `link` (the path the daemon opens) now points at its slave.
    fn plug(link: &Path) -> Pad {
        Pad::plug_beating(link, HEARTBEAT_PERIOD)
    }

    /// [`Pad::plug`] with a heartbeat every `period`.
    fn plug_beating(link: &Path, period: Duration) -> Pad {
        let (master, slave, name) = pty_pair();
        let tmp = link.with_extension("new");
        let _ = std::fs::remove_file(&tmp);
        std::os::unix::fs::symlink(&name, &tmp).unwrap();
        std::fs::rename(&tmp, link).unwrap();
        let master = Arc::new(Mutex::new(Some(master)));
        let beating = Arc::downgrade(&master);
        let quiet = Arc::new(AtomicBool::new(false));
        let hush = quiet.clone();
        std::thread::spawn(move || {
            while let Some(master) = beating.upgrade() {
                let mut master = master.lock().unwrap();
                let Some(port) = master.as_mut() else { break };
                if !hush.load(Ordering::SeqCst) && port.write_all(b"H\n").is_err() {
                    break;
                }
                drop(master);
                std::thread::sleep(period);
            }
        });
        Pad {
            master,
            _slave: slave,
            quiet,
        }
    }

    /// Sends protocol lines (each followed by `\n`).
    fn send(&mut self, lines: &[&str]) {
        for line in lines {
            self.raw(format!("{line}\n").as_bytes());
        }
    }

    fn raw(&mut self, bytes: &[u8]) {
        let mut master = self.master.lock().unwrap();
        let port = master.as_mut().expect("the pad is plugged in");
        port.write_all(bytes).expect("write to the pad's pty");
        port.flush().unwrap();
    }

    /// Stops (or restarts) the heartbeat; keys can still be sent.
    fn quiet(&self, quiet: bool) {
        self.quiet.store(quiet, Ordering::SeqCst);
    }

    /// Pulls the cable: the pty master closes.
    fn unplug(self) {
        self.master.lock().unwrap().take();
    }
}

/// A terminal whose PIN comes from a serial pad on `pad_link`; its logs (every
/// level of kaonin's own crates) are kept for the privacy checks.
fn keypad_terminal(pad_link: &Path) -> (Terminal, Pc) {
    keypad_terminal_with(pad_link, 60_000)
}

/// [`keypad_terminal`] with the pad counted as gone after `heartbeat_ms` of silence.
fn keypad_terminal_with(pad_link: &Path, heartbeat_ms: u64) -> (Terminal, Pc) {
    let extra = format!(
        "[face]\nmatcher = \"test-thumbnail\"\n[board.keypad]\ndevice = \"{}\"\nheartbeat_timeout_ms = {heartbeat_ms}\n",
        pad_link.display()
    );
    let options = Options {
        extra,
        ..Options::default()
    };
    let t = Terminal::start_edited(
        options,
        &[(
            "[input]\nkind = \"control\"\n",
            "[input]\nkind = \"serial-keypad\"\nalso_control = true\n",
        )],
        Some("debug,kaonin=trace,kaonin_drivers=trace,kaonin_hal=trace"),
    );
    let mut pc = Pc::start(&t.link_socket(), &["--passcode", "staff-01=2580"]);
    pc.expect("hello");
    pc.expect("ok");
    (t, pc)
}

/// Waits for the pin screen showing `dots` ●.
fn expect_dots(t: &mut Terminal, dots: u64) -> Value {
    loop {
        let screen = t.expect("pin");
        if screen["pin_dots"] == json!(dots) {
            return screen;
        }
    }
}

/// True if `needle` occurs in `text` as a number of its own (no digit either side).
fn has_number(text: &str, needle: &str) -> bool {
    text.match_indices(needle).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + needle.len()..].chars().next();
        !before.is_some_and(|c| c.is_ascii_digit()) && !after.is_some_and(|c| c.is_ascii_digit())
    })
}

/// The daemon's log without each line's leading timestamp and with the test's
/// temporary paths (random names such as `/tmp/.tmp7QbK4A`, which may hold "K4" or
/// digits by chance) replaced by `<tmp>`.
fn log_without_times(t: &Terminal) -> String {
    t.log()
        .lines()
        .map(|line| line.split_once(' ').map_or(line, |(_, rest)| rest))
        .map(|line| {
            line.split(' ')
                .map(|word| {
                    if word.contains("/tmp/") {
                        "<tmp>"
                    } else {
                        word
                    }
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Neither the PIN nor a key event appears in anything the daemon printed.
fn assert_pin_not_logged(t: &Terminal, pin: &str) {
    let log = log_without_times(t);
    assert!(
        log.contains("keypad opened"),
        "the log was captured (trace level): {log}"
    );
    assert!(
        !has_number(&log, pin),
        "the PIN is in the daemon's log:\n{log}"
    );
    for leak in ["Digit(", "K1", "K2", "K3", "K4"] {
        assert!(!log.contains(leak), "{leak} in the daemon's log:\n{log}");
    }
}

fn pad_link() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("pad");
    (dir, link)
}

#[test]
fn a_pin_typed_on_the_pad_reaches_verify_and_completes() {
    let (_pads, link) = pad_link();
    let mut pad = Pad::plug(&link);
    let (mut t, mut pc) = keypad_terminal(&link);
    t.insert("alice");
    t.expect("method_select");
    t.press("pin");
    let screen = expect_dots(&mut t, 0);
    assert!(screen["text"].as_str().unwrap().contains('3'), "{screen}");
    // 1, 2, 9 by mistake, clear, 3, 4: the fourth digit sends the PIN.
    pad.send(&["H", "K1"]);
    expect_dots(&mut t, 1);
    pad.send(&["K2"]);
    expect_dots(&mut t, 2);
    pad.send(&["K9"]);
    expect_dots(&mut t, 3);
    pad.send(&["C", "H"]);
    expect_dots(&mut t, 2);
    pad.send(&["K3"]);
    expect_dots(&mut t, 3);
    pad.send(&["K4", "E"]);
    t.expect("consent");
    t.press("consent_all");
    t.expect("done");
    let id = pc.expect("identity");
    assert_eq!(id["method"], "pin");
    assert!(
        id["card_signature"].as_str().is_some_and(|s| !s.is_empty()),
        "the card signed after VERIFY: {id}"
    );
    assert_eq!(t.forwarded.len(), 1);
    // The cancel key works from the pad too, and the next patient starts clean.
    t.remove();
    t.expect("idle");
    t.insert("alice");
    t.expect("method_select");
    t.press("pin");
    expect_dots(&mut t, 0);
    pad.send(&["X"]);
    t.expect("idle");
    t.remove();
    assert_pin_not_logged(&t, "1234");
}

#[test]
fn garbage_from_the_pad_clears_the_pin_and_costs_no_try() {
    let (_pads, link) = pad_link();
    let mut pad = Pad::plug(&link);
    let (mut t, mut pc) = keypad_terminal(&link);
    t.insert("alice");
    t.expect("method_select");
    t.press("pin");
    expect_dots(&mut t, 0);
    pad.send(&["K1", "K2"]);
    expect_dots(&mut t, 2);
    // A line outside the protocol: what was typed is dropped, the screen is clear.
    pad.send(&["ZZ"]);
    expect_dots(&mut t, 0);
    // Two digits again, then an endless line without a line end (line noise).
    pad.send(&["K1", "K2"]);
    expect_dots(&mut t, 2);
    pad.raw(&[b'7'; 100]);
    pad.raw(b"\n");
    expect_dots(&mut t, 0);
    // Had anything survived, these four would not be the PIN and the card would
    // answer with a try spent; instead VERIFY succeeds at the first attempt.
    pad.send(&["K1", "K2", "K3", "K4"]);
    t.expect("consent");
    t.press("consent_all");
    t.expect("done");
    assert_eq!(pc.expect("identity")["method"], "pin");
    let pins: Vec<&String> = t.screens.iter().filter(|s| *s == "pin").collect();
    assert!(!pins.is_empty());
    // The card still has all its tries.
    t.remove();
    t.expect("idle");
    t.insert("alice");
    t.expect("method_select");
    t.press("pin");
    let screen = expect_dots(&mut t, 0);
    assert!(
        screen["text"].as_str().unwrap().contains('3'),
        "three tries left: {screen}"
    );
    let log = log_without_times(&t);
    assert!(log.contains("garbled"), "the garbage is reported: {log}");
    assert!(
        !log.contains("ZZ"),
        "the garbled line is never echoed: {log}"
    );
    assert_pin_not_logged(&t, "1234");
}

#[test]
fn a_pad_unplugged_mid_pin_calls_staff_spends_no_try_and_service_resumes() {
    let (_pads, link) = pad_link();
    let mut pad = Pad::plug(&link);
    let (mut t, mut pc) = keypad_terminal(&link);
    t.insert("alice");
    t.expect("method_select");
    t.press("pin");
    expect_dots(&mut t, 0);
    pad.send(&["K1", "K2", "K3"]);
    expect_dots(&mut t, 3);
    // The cable is pulled with three digits typed.
    pad.unplug();
    let screen = t.expect("staff_call");
    assert!(
        screen["text"].as_str().unwrap().contains("テンキー"),
        "the screen names the pad: {screen}"
    );
    loop {
        let status = pc.expect("status");
        if status["failed_devices"] == json!(["input"]) {
            break;
        }
    }
    // Another pad is plugged in: the daemon finds it by itself.
    let mut pad = Pad::plug(&link);
    t.expect("idle");
    t.remove();
    t.insert("alice");
    t.expect("method_select");
    t.press("pin");
    let screen = expect_dots(&mut t, 0);
    assert!(
        screen["text"].as_str().unwrap().contains('3'),
        "no VERIFY was sent for the half-typed PIN: three tries left: {screen}"
    );
    // The digits typed before the unplug are gone: one more would otherwise
    // complete a wrong PIN.
    pad.send(&["K4"]);
    expect_dots(&mut t, 1);
    pad.send(&["C"]);
    expect_dots(&mut t, 0);
    pad.send(&["K1", "K2", "K3", "K4"]);
    t.expect("consent");
    t.press("consent_all");
    t.expect("done");
    assert_eq!(t.forwarded.len(), 1, "{:?}", t.forwarded);
    let id = pc.expect("identity");
    assert_eq!(id["id"], t.forwarded[0]["id"]);
    assert_eq!(id["method"], "pin");
    assert_pin_not_logged(&t, "1234");
}

#[test]
fn a_pad_that_falls_silent_mid_pin_is_treated_as_unplugged_until_it_speaks() {
    let (_pads, link) = pad_link();
    // Beats five times a second against the shortest timeout the config allows
    // (1.5 s), so only a real silence trips it.
    let mut pad = Pad::plug_beating(&link, Duration::from_millis(200));
    let (mut t, mut pc) = keypad_terminal_with(&link, 1500);
    t.insert("alice");
    t.expect("method_select");
    t.press("pin");
    expect_dots(&mut t, 0);
    pad.send(&["K1", "K2"]);
    expect_dots(&mut t, 2);
    // The pad's firmware hangs: no heartbeat, no key.
    pad.quiet(true);
    let screen = t.expect("staff_call");
    assert!(
        screen["text"].as_str().unwrap().contains("テンキー"),
        "{screen}"
    );
    loop {
        if pc.expect("status")["failed_devices"] == json!(["input"]) {
            break;
        }
    }
    pad.quiet(false);
    t.expect("idle");
    t.remove();
    t.insert("alice");
    t.expect("method_select");
    t.press("pin");
    let screen = expect_dots(&mut t, 0);
    assert!(screen["text"].as_str().unwrap().contains('3'), "{screen}");
    pad.send(&["K1", "K2", "K3", "K4"]);
    t.expect("consent");
    t.press("consent_all");
    t.expect("done");
    assert_eq!(pc.expect("identity")["method"], "pin");
    assert_eq!(t.forwarded.len(), 1);
}

// ---- through a real pcscd ------------------------------------------------------

/// The virtual readers are shared: one pcscd test at a time.
#[cfg(feature = "pcsc")]
static READERS: Mutex<()> = Mutex::new(());

/// A terminal on the virtual readers with its PIN pad on `link` (the touch
/// panel's buttons and the simulated camera still on the control socket).
#[cfg(feature = "pcsc")]
fn pcscd_pad_terminal(link: &Path) -> Terminal {
    let extra = format!(
        "[face]\nmatcher = \"test-thumbnail\"\n[board.keypad]\ndevice = \"{}\"\nheartbeat_timeout_ms = 60000\n",
        link.display()
    );
    let options = Options {
        extra,
        ..pcsc_options()
    };
    Terminal::start_edited(
        options,
        &[(
            "[input]\nkind = \"control\"\n",
            "[input]\nkind = \"serial-keypad\"\nalso_control = true\n",
        )],
        Some("debug,kaonin=trace,kaonin_drivers=trace,kaonin_hal=trace"),
    )
}

#[cfg(feature = "pcsc")]
#[test]
#[ignore = "needs pcscd with vpcd: scripts/with-pcscd.sh"]
fn through_pcscd_an_unplug_sends_no_verify_and_the_pad_pin_verifies_once() {
    let _lock = READERS.lock().unwrap_or_else(|p| p.into_inner());
    let (_pads, link) = pad_link();
    let mut pad = Pad::plug(&link);
    let mut t = pcscd_pad_terminal(&link);
    let mut pc = Pc::start(&t.link_socket(), &[]);
    pc.expect("hello");
    let before = pcscd_answers(PIN_VERIFY).len();
    let mut card = Vcard::start(profile("alice"), VPCD_CARD);
    card.say("insert");
    t.expect("method_select");
    t.press("pin");
    expect_dots(&mut t, 0);
    pad.send(&["K1", "K2", "K3"]);
    expect_dots(&mut t, 3);
    pad.unplug();
    t.expect("staff_call");
    let mut pad = Pad::plug(&link);
    t.expect("idle");
    assert_eq!(
        pcscd_answers(PIN_VERIFY).len(),
        before,
        "no VERIFY for a PIN cut short by the unplug"
    );
    card.say("remove");
    card.say("insert");
    t.expect("method_select");
    t.press("pin");
    let screen = expect_dots(&mut t, 0);
    assert!(
        screen["text"].as_str().unwrap().contains('3'),
        "the card still has three tries: {screen}"
    );
    pad.send(&["K1", "K2", "K3", "K4"]);
    t.expect("consent");
    t.press("consent_all");
    t.expect("done");
    assert_eq!(pc.expect("identity")["method"], "pin");
    // Exactly one VERIFY with the PIN reached the card, and it was accepted.
    assert_eq!(pcscd_answers(PIN_VERIFY)[before..], ["90 00"]);
    card.say("remove");
    t.expect("idle");
    assert_pin_not_logged(&t, "1234");
}

/// From the pin screen: three wrong PINs (control socket), then the pad's staff
/// sequence `C E C E` on pin_locked, the passcode on the pad's digit keys, the
/// staff's confirmation and consent; returns the PC's identity.
fn staff_visual_from_the_pad(t: &mut Terminal, pc: &mut Pc, pad: &mut Pad) -> Value {
    let pin = expect_dots(t, 0);
    // On the PIN screen the sequence is nothing but clear and enter.
    pad.send(&["C", "E", "C", "E", "K7"]);
    expect_dots(t, 1);
    assert!(
        !t.screens.contains(&"staff_passcode".to_string()),
        "C E C E on the PIN screen opened the staff screen: {:?}",
        t.screens
    );
    assert!(pin["text"].as_str().unwrap().contains('3'), "{pin}");
    pad.send(&["C"]);
    expect_dots(t, 0);
    for _ in 0..2 {
        t.send(json!({"pin": "9999"}));
        t.expect("pin");
    }
    t.send(json!({"pin": "9999"}));
    let locked = t.expect("pin_locked");
    assert!(
        locked["buttons"]
            .as_array()
            .unwrap()
            .contains(&json!("staff")),
        "{locked}"
    );
    // A digit in between starts the sequence again; heartbeats do not matter.
    pad.send(&["C", "E", "K1", "C", "H", "E", "C", "H", "E"]);
    let entry = t.expect("staff_passcode");
    assert_eq!(entry["pin_dots"], json!(0), "{entry}");
    assert!(
        entry["text"].as_str().unwrap().contains("残り 5 回"),
        "{entry}"
    );
    pad.send(&["K2", "K5"]);
    loop {
        let s = t.expect("staff_passcode");
        if s["pin_dots"] == json!(2) {
            break;
        }
    }
    pad.send(&["K8", "K0"]);
    confirm_visual(t);
    consent_all(t);
    pc.expect("identity")
}

#[test]
fn the_pad_staff_sequence_opens_the_passcode_screen_and_arms_the_visual_check() {
    let (_pads, link) = pad_link();
    let mut pad = Pad::plug(&link);
    let (mut t, mut pc) = keypad_terminal(&link);
    t.camera(Some("bob.png"));
    t.insert("alice");
    t.expect("method_select");
    t.press("face");
    let id = staff_visual_from_the_pad(&mut t, &mut pc, &mut pad);
    assert_eq!(id["method"], "visual");
    assert_eq!(id["staff_account"], "staff-01");
    assert!(t.screens.iter().filter(|s| *s == "face").count() >= 3);
    // The passcode typed on the pad is never logged.
    assert_pin_not_logged(&t, "2580");
}

#[cfg(all(feature = "pcsc", feature = "sim"))]
#[test]
#[ignore = "needs pcscd with vpcd: scripts/with-pcscd.sh"]
fn through_pcscd_face_fails_pin_locked_staff_enter_on_the_pad() {
    let _lock = READERS.lock().unwrap_or_else(|p| p.into_inner());
    let (_pads, link) = pad_link();
    let mut pad = Pad::plug(&link);
    let mut t = pcscd_pad_terminal(&link);
    let mut pc = Pc::start(&t.link_socket(), &["--passcode", "staff-01=2580"]);
    pc.expect("hello");
    pc.expect("ok");
    t.camera(Some("bob.png"));
    t.card_face("alice");
    let mut card = Vcard::start(profile("alice"), VPCD_CARD);
    card.say("insert");
    t.expect("method_select");
    t.press("face");
    let id = staff_visual_from_the_pad(&mut t, &mut pc, &mut pad);
    assert_eq!(id["method"], "visual");
    assert_eq!(id["staff_account"], "staff-01");
    card.say("remove");
    t.expect("idle");
    assert_pin_not_logged(&t, "2580");
}
