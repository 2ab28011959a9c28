//! The TOML configuration (CONTRACT §2), validated with precise errors.
//!
//! Every key has a sane default, so a file only needs what differs. Unknown keys,
//! wrong types and impossible values are errors that name the file, the key and the
//! reason in one line: a typo must never silently change behaviour.

use crate::flow::Policy;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Default location of the config file.
pub const DEFAULT_PATH: &str = "/etc/kaonin/kaonin.toml";

/// A configuration problem: which file, which key, and why.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {key}: {reason}")]
pub struct ConfigError {
    /// The file read.
    pub file: String,
    /// The key at fault (dotted path), or `-` for the whole file.
    pub key: String,
    /// What is wrong.
    pub reason: String,
}

/// The whole configuration.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub terminal: Terminal,
    pub reader: Reader,
    pub camera: Camera,
    pub display: Display,
    pub input: Input,
    pub link: Link,
    pub policy: PolicyConfig,
}

/// `[terminal]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Terminal {
    /// Appears in every message to the PC.
    pub id: String,
    /// Outbox, passcodes, audit log.
    pub state_dir: PathBuf,
}

impl Default for Terminal {
    fn default() -> Self {
        Terminal {
            id: "reception-1".into(),
            state_dir: PathBuf::from("/var/lib/kaonin"),
        }
    }
}

/// Which card reader driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReaderKind {
    /// A PC/SC reader through pcscd.
    Pcsc,
    /// The in-process mock reader, fed by the control socket.
    Mock,
}

/// `[reader]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Reader {
    pub kind: ReaderKind,
    /// Pick the PC/SC reader whose name contains this; empty: the first reader
    /// holding a JPKI card.
    pub name_contains: String,
    /// Extension: the generic NFC reader for smartphones (name substring); empty:
    /// no smartphone reader.
    pub phone_name_contains: String,
}

impl Default for Reader {
    fn default() -> Self {
        Reader {
            kind: ReaderKind::Pcsc,
            name_contains: String::new(),
            phone_name_contains: String::new(),
        }
    }
}

/// Which camera driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CameraKind {
    /// A V4L2 device.
    V4l2,
    /// Frames from image files (desktop, tests), chosen by the control socket.
    Images,
}

/// `[camera]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Camera {
    pub kind: CameraKind,
    pub device: PathBuf,
}

impl Default for Camera {
    fn default() -> Self {
        Camera {
            kind: CameraKind::V4l2,
            device: PathBuf::from("/dev/video0"),
        }
    }
}

/// Which display driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DisplayKind {
    /// A Linux framebuffer device.
    Framebuffer,
    /// One PNG file per screen, in `dir`.
    Png,
}

/// `[display]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Display {
    pub kind: DisplayKind,
    /// For `png`: where screens are written.
    pub dir: PathBuf,
    /// Extension: the framebuffer device.
    pub device: PathBuf,
    /// Extension: panel width in pixels.
    pub width: u32,
    /// Extension: panel height in pixels.
    pub height: u32,
    /// Extension: larger text and buttons (about +20 %).
    pub large_text: bool,
    /// Extension: shuffle the PIN-pad digits on every PIN screen.
    pub scrambled_pin: bool,
    /// Extension: load BIZUDPGothic-{Regular,Bold}.ttf from here instead of the
    /// copies built into the binary (empty = built-in).
    pub font_dir: PathBuf,
}

impl Default for Display {
    fn default() -> Self {
        Display {
            kind: DisplayKind::Framebuffer,
            dir: PathBuf::new(),
            device: PathBuf::from("/dev/fb0"),
            width: 800,
            height: 480,
            large_text: false,
            scrambled_pin: false,
            font_dir: PathBuf::new(),
        }
    }
}

/// Which input driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum InputKind {
    /// A touchscreen (evdev).
    Touch,
    /// A PIN pad on a serial port.
    SerialKeypad,
    /// The control socket (desktop, tests).
    Control,
}

/// `[input]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Input {
    pub kind: InputKind,
    /// For `control`: `unix:PATH` of the control socket.
    pub control: String,
    /// Extension: the evdev or serial device.
    pub device: PathBuf,
    /// Extension: raw touch X range `[min, max]` (empty = the panel's pixels).
    pub touch_x: Vec<i32>,
    /// Extension: raw touch Y range `[min, max]` (empty = the panel's pixels).
    pub touch_y: Vec<i32>,
    /// Extension: the touch controller is mounted rotated (X and Y swapped).
    pub touch_swap_xy: bool,
    /// Extension: mirror touch X.
    pub touch_invert_x: bool,
    /// Extension: mirror touch Y.
    pub touch_invert_y: bool,
}

impl Default for Input {
    fn default() -> Self {
        Input {
            kind: InputKind::Touch,
            control: "unix:/run/kaonin/control.sock".into(),
            device: PathBuf::from("/dev/input/event0"),
            touch_x: Vec::new(),
            touch_y: Vec::new(),
            touch_swap_xy: false,
            touch_invert_x: false,
            touch_invert_y: false,
        }
    }
}

/// `[link]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Link {
    /// `unix:PATH` or `tcp://HOST:PORT`.
    pub endpoint: String,
}

impl Default for Link {
    fn default() -> Self {
        Link {
            endpoint: "unix:/run/kaonin/link.sock".into(),
        }
    }
}

/// `[policy]`: attempts and timeouts.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PolicyConfig {
    /// Failed face matches before the PIN fallback.
    pub face_attempts: u32,
    /// Inactivity timeout of every screen, seconds.
    pub screen_timeout_s: u64,
    /// Wrong staff passcodes before the staff lockout.
    pub staff_passcode_attempts: u32,
    /// Extension: how long the staff lockout lasts, seconds.
    pub staff_lockout_s: u64,
    /// Extension: seconds before face authentication starts by itself (0: never).
    pub auto_face_s: u64,
    /// Extension: guidance frames that count as one failed face attempt.
    pub face_guidance_frames: u32,
    /// Extension: pause between face captures, milliseconds.
    pub face_retry_ms: u64,
    /// Extension: how long visual-check mode stays armed, seconds.
    pub visual_timeout_s: u64,
    /// Extension: wait for the PC's ack before "sent later", seconds.
    pub ack_timeout_s: u64,
    /// Extension: how long the done screen stays, seconds.
    pub done_timeout_s: u64,
}

impl Default for PolicyConfig {
    fn default() -> Self {
        let p = Policy::default();
        PolicyConfig {
            face_attempts: p.face_attempts,
            screen_timeout_s: p.screen_timeout.as_secs(),
            staff_passcode_attempts: 5,
            staff_lockout_s: 300,
            auto_face_s: p.auto_face_after.map_or(0, |d| d.as_secs()),
            face_guidance_frames: p.face_guidance_frames,
            face_retry_ms: p.face_retry.as_millis() as u64,
            visual_timeout_s: p.visual_timeout.as_secs(),
            ack_timeout_s: p.ack_timeout.as_secs(),
            done_timeout_s: p.done_timeout.as_secs(),
        }
    }
}

impl PolicyConfig {
    /// The flow's policy.
    pub fn flow_policy(&self) -> Policy {
        Policy {
            face_attempts: self.face_attempts,
            face_guidance_frames: self.face_guidance_frames,
            face_retry: Duration::from_millis(self.face_retry_ms),
            screen_timeout: Duration::from_secs(self.screen_timeout_s),
            auto_face_after: (self.auto_face_s > 0).then(|| Duration::from_secs(self.auto_face_s)),
            visual_timeout: Duration::from_secs(self.visual_timeout_s),
            ack_timeout: Duration::from_secs(self.ack_timeout_s),
            done_timeout: Duration::from_secs(self.done_timeout_s),
        }
    }
}

impl Config {
    /// Reads and validates the config at `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            file: file.clone(),
            key: "-".into(),
            reason: format!("cannot read: {e}"),
        })?;
        Config::parse(&text, &file)
    }

    /// Parses and validates config text; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Config, ConfigError> {
        let deserializer = toml::Deserializer::new(text);
        let config: Config = serde_path_to_error::deserialize(deserializer).map_err(|e| {
            let key = e.path().to_string();
            let inner = e.into_inner();
            let reason = inner.message().trim().replace('\n', " ");
            let line = inner
                .span()
                .map(|s| text[..s.start.min(text.len())].lines().count().max(1));
            ConfigError {
                file: match line {
                    Some(line) => format!("{file}:{line}"),
                    None => file.to_owned(),
                },
                key: if key == "." { "-".into() } else { key },
                reason,
            }
        })?;
        config.validate().map_err(|(key, reason)| ConfigError {
            file: file.to_owned(),
            key: key.into(),
            reason,
        })?;
        Ok(config)
    }

    /// Checks values that parse but cannot work.
    fn validate(&self) -> Result<(), (&'static str, String)> {
        let p = &self.policy;
        let positive = [
            ("policy.face_attempts", p.face_attempts as u64),
            ("policy.screen_timeout_s", p.screen_timeout_s),
            (
                "policy.staff_passcode_attempts",
                p.staff_passcode_attempts as u64,
            ),
            ("policy.face_guidance_frames", p.face_guidance_frames as u64),
            ("policy.visual_timeout_s", p.visual_timeout_s),
            ("policy.ack_timeout_s", p.ack_timeout_s),
            ("policy.done_timeout_s", p.done_timeout_s),
        ];
        for (key, value) in positive {
            if value == 0 {
                return Err((key, "must be at least 1".into()));
            }
        }
        if p.face_attempts > 10 {
            return Err((
                "policy.face_attempts",
                "must be at most 10 (the national face lock counts 10 misses)".into(),
            ));
        }
        if p.screen_timeout_s > 3600 {
            return Err(("policy.screen_timeout_s", "must be at most 3600".into()));
        }
        if self.terminal.id.trim().is_empty() {
            return Err(("terminal.id", "must not be empty".into()));
        }
        let (w, h) = (self.display.width, self.display.height);
        if (w >= h && (w < 800 || h < 480)) || (h > w && (w < 600 || h < 1000)) {
            return Err((
                "display.width",
                "the screens need at least 800x480 (landscape) or 600x1000 (portrait)".into(),
            ));
        }
        for (key, range) in [
            ("input.touch_x", &self.input.touch_x),
            ("input.touch_y", &self.input.touch_y),
        ] {
            if !(range.is_empty() || (range.len() == 2 && range[0] < range[1])) {
                return Err((key, "must be [min, max] with min < max".into()));
            }
        }
        if self.display.kind == DisplayKind::Png && self.display.dir.as_os_str().is_empty() {
            return Err(("display.dir", "required when display.kind = \"png\"".into()));
        }
        if self.input.kind == InputKind::Control && !self.input.control.starts_with("unix:") {
            return Err(("input.control", "must be unix:PATH".into()));
        }
        let e = &self.link.endpoint;
        if !(e.starts_with("unix:") || e.starts_with("tcp://")) {
            return Err((
                "link.endpoint",
                "must be unix:PATH or tcp://HOST:PORT".into(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    }
}
