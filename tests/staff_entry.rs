//! Staff entry from the reader's own touch panel (issue 15): a real `kaonin run`
//! with `input.kind = "touch"` reads evdev records from a FIFO the test writes
//! (the touch driver's own input path: record decoding, tap on lift, hit testing
//! against the drawn scene). The control socket runs alongside (`also_control`)
//! for the camera, the mock reader and the consent buttons.
//!
//! The patient's face fails three times, their PIN gets locked; staff touch 係員,
//! type a wrong and then a right passcode on the touch pad, touch
//! 本人であることを確認しました, and the PC receives a `visual` identity naming the
//! staff account. The pcscd variant does the same with `kaonin vcard` behind a real
//! pcscd (`scripts/with-pcscd.sh`).

// Uses the simulators (cargo feature `sim`, on by default).
#![cfg(feature = "sim")]

mod common;

use common::*;
use kaonin::flow::{Button, Lang, Screen, ScreenId};
use kaonin::ui::{samples, Hit, Ui, UiOptions};
use kaonin_drivers::touch::tap_events;
use serde_json::{json, Value};
use std::fs::File;
use std::io::Write;
use std::path::Path;

/// The touch panel: the write end of the FIFO the daemon reads as its evdev node.
struct Panel {
    fifo: File,
    ui: Ui,
}

impl Panel {
    fn make(path: &Path) {
        let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a plain libc call with a NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
    }

    /// Opens the FIFO read-write (never blocks, whenever the daemon opens it).
    fn open(path: &Path) -> Panel {
        let fifo = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .unwrap();
        Panel {
            fifo,
            ui: Ui::new(800, 480, UiOptions::default()).unwrap(),
        }
    }

    /// A tap at panel pixel (x, y): the records a touchscreen sends, in one write.
    fn tap_at(&mut self, (x, y): (i32, i32)) {
        let bytes: Vec<u8> = tap_events(x, y).iter().flat_map(|e| e.encode()).collect();
        self.fifo.write_all(&bytes).unwrap();
        self.fifo.flush().unwrap();
    }

    /// Taps the centre of what `hit` is on `screen` as the UI lays it out.
    fn tap(&mut self, screen: &Screen, hit: Hit) {
        let scene = self.ui.scene(screen);
        let target = scene
            .targets()
            .find(|t| t.hit == hit)
            .unwrap_or_else(|| panic!("{hit:?} is not on {:?}", screen.id));
        let r = target.rect;
        self.tap_at((r.x + r.w / 2, r.y + r.h / 2));
    }
}

/// A terminal reading touches from the FIFO `touch`, with a PC receiver.
fn touch_terminal(options: Options, touch: &Path) -> (Terminal, Pc) {
    let device = format!(
        "[input]\nkind = \"touch\"\ndevice = \"{}\"\nalso_control = true\n",
        touch.display()
    );
    let t = Terminal::start_edited(
        options,
        &[("[input]\nkind = \"control\"\n", device.as_str())],
        None,
    );
    let mut pc = Pc::start(&t.link_socket(), &["--passcode", "staff-01=2580"]);
    pc.expect("hello");
    pc.expect("ok");
    (t, pc)
}

/// Waits for the staff passcode screen showing `dots` ●.
fn expect_staff_dots(t: &mut Terminal, dots: u64) -> Value {
    loop {
        let screen = t.expect("staff_passcode");
        if screen["pin_dots"] == json!(dots) {
            return screen;
        }
    }
}

/// From the pin screen after the failed faces: three wrong PINs, then 係員, a wrong passcode, the right one, the photo
/// screen's confirmation, consent; returns the PC's identity.
fn staff_visual_by_touch(t: &mut Terminal, pc: &mut Pc, panel: &mut Panel) -> Value {
    // Three wrong PINs lock the card.
    t.expect("pin");
    for _ in 0..2 {
        t.send(json!({"pin": "9999"}));
        t.expect("pin");
    }
    t.send(json!({"pin": "9999"}));
    let locked = t.expect("pin_locked");
    assert!(buttons(&locked).contains(&"staff".to_string()), "{locked}");
    panel.tap(
        &samples::sample(ScreenId::PinLocked, Lang::Ja),
        Hit::Button(Button::Staff),
    );
    let entry = expect_staff_dots(t, 0);
    let text = entry["text"].as_str().unwrap();
    assert!(
        text.contains("残り 5 回"),
        "tries before the lock-out: {entry}"
    );
    let pad = samples::sample(ScreenId::StaffPasscode, Lang::Ja);
    for (i, d) in [1u8, 1, 1, 1].into_iter().enumerate() {
        panel.tap(&pad, Hit::Digit(d));
        if i < 3 {
            expect_staff_dots(t, i as u64 + 1);
        }
    }
    // Wrong: the same screen, the notice with the tries left.
    let again = loop {
        let s = t.expect("staff_passcode");
        if s["text"].as_str().unwrap().contains("4") {
            break s;
        }
    };
    assert_eq!(again["pin_dots"], json!(0), "{again}");
    for d in [2u8, 5, 8, 0] {
        panel.tap(&pad, Hit::Digit(d));
    }
    let confirm = t.expect("visual_armed");
    assert_eq!(buttons(&confirm), ["confirm", "not_patient"], "{confirm}");
    panel.tap(
        &samples::staff_confirm(Lang::Ja),
        Hit::Button(Button::Confirm),
    );
    consent_all(t);
    pc.expect("identity")
}

fn audit(t: &Terminal) -> String {
    std::fs::read_to_string(t.dir.path().join("state/audit.jsonl")).unwrap()
}

#[test]
fn face_fails_pin_locked_staff_enter_on_the_touch_panel() {
    let fifos = tempfile::tempdir().unwrap();
    let touch = fifos.path().join("touch");
    Panel::make(&touch);
    let mut panel = Panel::open(&touch);
    let (mut t, mut pc) = touch_terminal(Options::default(), &touch);
    t.camera(Some("bob.png"));
    t.insert("alice");
    t.expect("method_select");
    t.press("face");
    let id = staff_visual_by_touch(&mut t, &mut pc, &mut panel);
    assert_eq!(id["method"], "visual");
    assert_eq!(id["staff_account"], "staff-01");
    let faces = t.screens.iter().filter(|s| *s == "face").count();
    assert!(faces >= 3, "three face attempts: {:?}", t.screens);
    let audit = audit(&t);
    assert!(
        audit.contains("\"staff_passcode_rejected\""),
        "the wrong passcode is audited: {audit}"
    );
    assert!(
        audit.contains("\"visual_armed\"") && audit.contains("\"visual_confirmed\""),
        "{audit}"
    );
    assert!(audit.contains("staff-01"), "{audit}");
    t.remove();
    t.expect("idle");
}

#[test]
fn not_the_patient_on_the_touch_panel_forwards_nothing() {
    let fifos = tempfile::tempdir().unwrap();
    let touch = fifos.path().join("touch");
    Panel::make(&touch);
    let mut panel = Panel::open(&touch);
    let (mut t, _pc) = touch_terminal(Options::default(), &touch);
    t.insert("alice");
    let method = t.expect("method_select");
    // On the method screen the control sits left of the language button.
    let mut screen = samples::sample(ScreenId::MethodSelect, Lang::Ja);
    screen.buttons = vec![
        Button::Face,
        Button::Pin,
        Button::Cancel,
        Button::Staff,
        Button::Lang,
    ];
    assert_eq!(
        buttons(&method),
        ["face", "pin", "cancel", "staff", "lang"],
        "{method}"
    );
    panel.tap(&screen, Hit::Button(Button::Staff));
    t.expect("staff_passcode");
    let pad = samples::sample(ScreenId::StaffPasscode, Lang::Ja);
    for d in [2u8, 5, 8, 0] {
        panel.tap(&pad, Hit::Digit(d));
    }
    t.expect("visual_armed");
    panel.tap(
        &samples::staff_confirm(Lang::Ja),
        Hit::Button(Button::NotPatient),
    );
    t.expect("idle");
    assert!(t.forwarded.is_empty(), "{:?}", t.forwarded);
    assert!(audit(&t).contains("\"visual_refused\""));
    // Disarmed: the card (taken off and placed again) goes to the method screen.
    t.remove();
    t.insert("alice");
    t.expect("method_select");
    assert!(t.forwarded.is_empty(), "{:?}", t.forwarded);
}

#[cfg(feature = "pcsc")]
#[test]
#[ignore = "needs pcscd with vpcd: scripts/with-pcscd.sh"]
fn through_pcscd_face_fails_pin_locked_staff_enter_on_the_touch_panel() {
    let fifos = tempfile::tempdir().unwrap();
    let touch = fifos.path().join("touch");
    Panel::make(&touch);
    let mut panel = Panel::open(&touch);
    let (mut t, mut pc) = touch_terminal(pcsc_options(), &touch);
    t.camera(Some("bob.png"));
    t.card_face("alice");
    let mut card = Vcard::start(profile("alice"), VPCD_CARD);
    card.say("insert");
    t.expect("method_select");
    t.press("face");
    let id = staff_visual_by_touch(&mut t, &mut pc, &mut panel);
    assert_eq!(id["method"], "visual");
    assert_eq!(id["staff_account"], "staff-01");
    // The card's PIN stays locked: a visual check resets no counter.
    card.say("remove");
    t.expect("idle");
    card.say("insert");
    t.expect("method_select");
    t.press("pin");
    t.expect("pin_locked");
}
