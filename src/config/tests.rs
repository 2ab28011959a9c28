//! The whole file through [`Config::parse`]: defaults, the CONTRACT example, and
//! errors naming file, key and reason.

use super::*;
use crate::devices::ReaderKind;

fn err(text: &str) -> String {
    Config::parse(text, "k.toml").unwrap_err().to_string()
}

#[test]
fn empty_file_gives_defaults() {
    let c = Config::parse("", "k.toml").unwrap();
    assert_eq!(c.terminal.id, "reception-1");
    assert_eq!(c.policy.face_attempts, 3);
    assert_eq!(c.reader.kind, ReaderKind::Pcsc);
}

#[test]
fn contract_example_parses() {
    let text = r#"
[terminal]
id = "reception-1"
state_dir = "/var/lib/kaonin"
[reader]
kind = "pcsc"
name_contains = ""
[camera]
kind = "v4l2"
device = "/dev/video0"
[display]
kind = "framebuffer"
dir = ""
[input]
kind = "touch"
control = "unix:/run/kaonin/control.sock"
[link]
endpoint = "unix:/run/kaonin/link.sock"
[policy]
face_attempts = 3
screen_timeout_s = 60
staff_passcode_attempts = 5
"#;
    Config::parse(text, "k.toml").unwrap();
}

#[test]
fn unknown_key_names_file_and_key() {
    let e = err("[policy]\nface_atempts = 3\n");
    assert!(e.starts_with("k.toml:"), "{e}");
    assert!(
        e.contains(": policy.face_atempts: unknown field `face_atempts`"),
        "{e}"
    );
}

#[test]
fn unknown_section_is_an_error() {
    let e = err("[polcy]\n");
    assert!(e.contains("unknown field `polcy`"), "{e}");
}

#[test]
fn wrong_type_names_the_key() {
    let e = err("[policy]\nface_attempts = \"three\"\n");
    assert!(e.contains("policy.face_attempts"), "{e}");
    assert!(e.contains("invalid type"), "{e}");
}

#[test]
fn wrong_variant_names_the_key() {
    let e = err("[reader]\nkind = \"usb\"\n");
    assert!(e.contains("reader.kind"), "{e}");
}

#[test]
fn impossible_values_are_rejected() {
    assert_eq!(
        err("[policy]\nface_attempts = 0\n"),
        "k.toml: policy.face_attempts: must be at least 1"
    );
    assert!(err("[policy]\nface_attempts = 11\n").contains("at most 10"));
    assert!(err("[link]\nendpoint = \"http://x\"\n").contains("link.endpoint"));
    assert!(err("[display]\nkind = \"png\"\n").contains("display.dir"));
    assert!(err("[terminal]\nid = \" \"\n").contains("terminal.id"));
}

#[test]
fn face_section_defaults_and_validation() {
    let c = Config::parse("[face]\nmatcher = \"test-thumbnail\"\n", "k.toml").unwrap();
    assert_eq!(c.face.matcher, MatcherKind::TestThumbnail);
    assert_eq!(Config::default().face.matcher, MatcherKind::Onnx);
    assert!(err("[face]\nthreshold = 1.5\n").contains("face.threshold"));
    assert!(err("[face]\ndetector_width = 300\n").contains("face.detector_width"));
    assert!(err("[face]\nmatcher = \"magic\"\n").contains("face.matcher"));
    assert!(err("[face]\nembedder_scale = 0.0\n").contains("face.embedder_scale"));
    assert!(err("[face]\nattempt_frames = 0\n").contains("face.attempt_frames"));
    assert!(
        err("[face]\nattempt_frames = 4\nattempt_captures = 3\n").contains("face.attempt_captures")
    );
    assert!(err("[face]\nembedder_template = \"sphere\"\n").contains("face.embedder_template"));
    let dlib = Config::parse("[face]\nembedder_template = \"dlib\"\n", "k.toml").unwrap();
    assert_eq!(
        dlib.face.embedder_template,
        crate::face::EmbedderTemplate::Dlib
    );
    assert_eq!((c.face.attempt_frames, c.face.attempt_captures), (2, 8));
}

#[test]
fn negative_number_is_a_type_error() {
    let e = err("[policy]\nscreen_timeout_s = -1\n");
    assert!(e.contains("policy.screen_timeout_s"), "{e}");
}

#[test]
fn broken_toml_is_an_error_with_a_line() {
    let e = err("[policy\n");
    assert!(e.starts_with("k.toml:1:"), "{e}");
}

#[test]
fn display_and_touch_extensions() {
    let c = Config::parse(
        "[display]\nlarge_text = true\nscrambled_pin = true\nfont_dir = \"/opt/fonts\"\n[input]\ntouch_x = [0, 4095]\ntouch_swap_xy = true\n",
        "k.toml",
    )
    .unwrap();
    assert!(c.display.large_text && c.display.scrambled_pin && c.input.touch_swap_xy);
    assert_eq!(c.input.touch_x, [0, 4095]);
    assert!(err("[input]\ntouch_y = [5, 5]\n").contains("input.touch_y"));
    assert!(err("[display]\nwidth = 640\nheight = 480\n").contains("display.width"));
    Config::parse("[display]\nwidth = 720\nheight = 1280\n", "k.toml").unwrap();
    assert!(err("[display]\nwidth = 100000\nheight = 480\n").contains("at most 3840"));
    assert!(err("[display]\nwidth = 1000\nheight = 4000000000\n").contains("display.width"));
    Config::parse("[display]\nwidth = 3840\nheight = 2160\n", "k.toml").unwrap();
}

#[cfg(feature = "sim")]
#[test]
fn the_mock_reader_is_accepted_with_the_simulators() {
    let c = Config::parse("[reader]\nkind = \"mock\"\n", "k.toml").unwrap();
    assert_eq!(c.reader.kind, ReaderKind::Mock);
}

#[cfg(not(feature = "sim"))]
#[test]
fn a_simulated_device_is_an_error_in_a_build_without_simulators() {
    assert_eq!(
        err("[reader]\nkind = \"mock\"\n"),
        "k.toml: reader.kind: this build has no simulators (\"mock\" needs the cargo feature `sim`)"
    );
}

#[test]
fn the_control_socket_needs_simulated_hardware_or_an_explicit_key() {
    let real_reader = "[reader]\nkind = \"pcsc\"\n[camera]\nkind = \"images\"\n";
    let e = err(&format!("{real_reader}[input]\nkind = \"control\"\n"));
    assert!(
        e.contains("input.kind") && e.contains("control_with_real_hardware"),
        "{e}"
    );
    let real_camera = "[reader]\nkind = \"mock\"\n[camera]\nkind = \"v4l2\"\n";
    assert!(err(&format!("{real_camera}[input]\nkind = \"control\"\n")).contains("input.kind"));
    assert!(err(&format!(
        "{real_reader}[input]\nkind = \"touch\"\nalso_control = true\n"
    ))
    .contains("input.kind"));
    for ok in [
        format!("{real_reader}[input]\nkind = \"control\"\ncontrol_with_real_hardware = true\n"),
        format!("{real_reader}[input]\nkind = \"touch\"\n"),
    ] {
        Config::parse(&ok, "k.toml").unwrap();
    }
}

#[test]
fn staff_lockout_steps_and_link_peers() {
    let c = Config::default();
    assert_eq!(
        c.policy.staff_lockout_steps(),
        [60, 300, 1800].map(std::time::Duration::from_secs)
    );
    let c = Config::parse("[policy]\nstaff_lockout_s = 120\n", "k.toml").unwrap();
    assert_eq!(
        c.policy.staff_lockout_steps(),
        [std::time::Duration::from_secs(120)]
    );
    let c = Config::parse(
        "[policy]\nstaff_lockout_steps_s = [30, 90]\n[link]\npeer_uids = [1001]\npeer_gids = [1002]\n",
        "k.toml",
    )
    .unwrap();
    assert_eq!(c.policy.staff_lockout_steps().len(), 2);
    assert_eq!(
        (c.link.peer_uids, c.link.peer_gids),
        (vec![1001], vec![1002])
    );
    assert!(
        err("[policy]\nstaff_lockout_s = 60\nstaff_lockout_steps_s = [60]\n").contains("not both")
    );
    assert!(err("[policy]\nstaff_lockout_steps_s = []\n").contains("1 to 8"));
    assert!(err("[policy]\nstaff_lockout_steps_s = [0]\n").contains("1 to 86400"));
}
