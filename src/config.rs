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
    pub card_face: CardFaceConfig,
    /// Extension: face matching (`[face]`).
    pub face: FaceConfig,
    /// Extension: board hardware (`[board]`: indicator, GPIO pins, serial PIN pad,
    /// metrics endpoint).
    pub board: crate::config_board::Board,
}

/// `[card_face]`: the printed card face and the 照合番号B it unlocks. Extension.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CardFaceConfig {
    /// Below this many 照合番号B tries left on the chip, nothing is sent and staff
    /// are called.
    pub counter_floor: u8,
    /// Where 照合番号B comes from: `control` (the control socket's `card_face`
    /// action only), or a card-face camera read by OCR (`images`, `v4l2`).
    pub kind: CardFaceKind,
    /// The card-face camera's V4L2 device (`kind = "v4l2"`).
    pub device: PathBuf,
    /// `kind = "images"`: an image file, or a directory whose images (sorted by
    /// name) are the successive frames.
    pub images: PathBuf,
    /// The reader gives up after this long and offers the PIN or the staff.
    pub time_limit_s: u64,
    /// At most this many frames are read per card.
    pub max_frames: u32,
    /// Directory holding `ocr/ppocrv5-rec.onnx` and its dictionary
    /// (`scripts/fetch-ocr-model.sh`).
    pub models: PathBuf,
}

impl Default for CardFaceConfig {
    fn default() -> Self {
        CardFaceConfig {
            counter_floor: 3,
            kind: CardFaceKind::Control,
            device: PathBuf::from("/dev/video1"),
            images: PathBuf::new(),
            time_limit_s: 10,
            max_frames: 8,
            models: PathBuf::from("models"),
        }
    }
}

/// Where the card-face values come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CardFaceKind {
    /// Only the control socket's `card_face` action (no camera).
    Control,
    /// Image files as the card-face camera (tests, demos, evaluation).
    Images,
    /// A V4L2 camera looking at the card tray.
    V4l2,
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
    /// Extension: raw touch X range `[min, max]` (empty = the range the device
    /// reports, else the panel's pixels).
    pub touch_x: Vec<i32>,
    /// Extension: raw touch Y range `[min, max]` (empty = the range the device
    /// reports, else the panel's pixels).
    pub touch_y: Vec<i32>,
    /// Extension: the touch controller is mounted rotated (X and Y swapped).
    pub touch_swap_xy: bool,
    /// Extension: mirror touch X.
    pub touch_invert_x: bool,
    /// Extension: mirror touch Y.
    pub touch_invert_y: bool,
    /// Extension: also open the control socket (`control`) next to a touchscreen or
    /// PIN pad, e.g. a serial pad for the PIN and the control socket standing in for
    /// the touch panel and the simulated reader on a test rig. Off by default.
    pub also_control: bool,
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
            also_control: false,
        }
    }
}

/// `[link]` (see docs/pc-link.md).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Link {
    /// `unix:PATH` or `tcp://HOST:PORT`.
    pub endpoint: String,
    /// Extension: SHA-256 fingerprint of the PC's certificate (64 hex digits,
    /// `:` separators allowed); required for `tcp://` unless plain TCP is allowed.
    pub pc_fingerprint: String,
    /// Extension: allow `tcp://` without TLS — only accepted for a loopback host.
    pub allow_plain_tcp: bool,
    /// Extension: the terminal's certificate (DER); empty: `state_dir/link-terminal.cert.der`.
    pub cert: PathBuf,
    /// Extension: the terminal's private key (PKCS#8 DER); empty: `state_dir/link-terminal.key.der`.
    pub key: PathBuf,
    /// Extension: records older than this are delivered with `"stale": true`, seconds.
    pub stale_after_s: u64,
    /// Extension: a `ping` goes to the PC this often, seconds.
    pub ping_interval_s: u64,
    /// Extension: nothing received for this long drops the connection, seconds (≤ 30).
    pub idle_timeout_s: u64,
    /// Extension: a write taking longer drops the connection, seconds.
    pub write_timeout_s: u64,
}

impl Default for Link {
    fn default() -> Self {
        Link {
            endpoint: "unix:/run/kaonin/link.sock".into(),
            pc_fingerprint: String::new(),
            allow_plain_tcp: false,
            cert: PathBuf::new(),
            key: PathBuf::new(),
            stale_after_s: 86_400,
            ping_interval_s: 10,
            idle_timeout_s: 25,
            write_timeout_s: 10,
        }
    }
}

impl Link {
    /// The terminal's certificate and key files.
    pub fn cert_files(&self, state_dir: &Path) -> (PathBuf, PathBuf) {
        let (cert, key) = crate::link::tls::default_files(state_dir, crate::link::Role::Terminal);
        let pick = |configured: &PathBuf, default: PathBuf| {
            if configured.as_os_str().is_empty() {
                default
            } else {
                configured.clone()
            }
        };
        (pick(&self.cert, cert), pick(&self.key, key))
    }

    /// Checks the link settings.
    fn validate(&self) -> Result<(), (&'static str, String)> {
        use crate::link::transport::Endpoint;
        let endpoint = Endpoint::parse(&self.endpoint).map_err(|e| ("link.endpoint", e))?;
        if let Endpoint::Tcp { .. } = endpoint {
            if self.allow_plain_tcp && !endpoint.is_loopback() {
                return Err((
                    "link.allow_plain_tcp",
                    "plain TCP is only allowed to a loopback host".into(),
                ));
            }
            if !self.allow_plain_tcp {
                crate::link::tls::parse_fingerprint(&self.pc_fingerprint).map_err(|e| {
                    (
                        "link.pc_fingerprint",
                        format!("required for tcp:// (TLS): {e}"),
                    )
                })?;
            }
        }
        if !self.pc_fingerprint.is_empty() {
            crate::link::tls::parse_fingerprint(&self.pc_fingerprint)
                .map_err(|e| ("link.pc_fingerprint", e))?;
        }
        let positive = [
            ("link.stale_after_s", self.stale_after_s),
            ("link.ping_interval_s", self.ping_interval_s),
            ("link.write_timeout_s", self.write_timeout_s),
        ];
        for (key, value) in positive {
            if value == 0 {
                return Err((key, "must be at least 1".into()));
            }
        }
        if self.idle_timeout_s <= self.ping_interval_s || self.idle_timeout_s > 30 {
            return Err((
                "link.idle_timeout_s",
                "must be above link.ping_interval_s and at most 30".into(),
            ));
        }
        Ok(())
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

/// Which face matcher.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MatcherKind {
    /// The real pipeline: ONNX detector + embedder on the CPU (tract).
    Onnx,
    /// The deterministic thumbnail matcher: for tests and the no-model demo only.
    TestThumbnail,
}

/// Which inference runtime runs the face models.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FaceRuntime {
    /// `tract-onnx`: pure Rust, always built.
    #[default]
    Tract,
    /// ONNX Runtime through the `ort` crate (cargo feature `ort`), loading
    /// `onnxruntime_library` at start-up.
    Ort,
}

/// `[face]` (extension of CONTRACT §2): the face matcher, its models and thresholds.
///
/// Relative model paths are taken from the working directory; `scripts/fetch-models.sh`
/// puts the pinned development models in `models/`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FaceConfig {
    pub matcher: MatcherKind,
    /// Face detector with 5 landmarks (CenterFace layout).
    pub detector_model: PathBuf,
    /// Detector input width and height (multiples of 32); frames are scaled to fit.
    pub detector_width: u32,
    pub detector_height: u32,
    /// Minimum detector confidence of a face.
    pub detector_threshold: f32,
    /// Embedder (ArcFace-style: aligned square RGB in, one vector out).
    pub embedder_model: PathBuf,
    /// Embedder input side in pixels (the alignment template is scaled to it).
    pub embedder_size: u32,
    /// Embedder input normalisation: (pixel - mean) / scale.
    pub embedder_mean: f32,
    pub embedder_scale: f32,
    /// Cosine similarity at or above which a face matches. Belongs to the embedder.
    pub threshold: f32,
    /// Score threshold of the test-only thumbnail matcher.
    pub thumbnail_threshold: f32,
    /// Smallest accepted face: distance between the eyes, in frame pixels.
    pub min_eye_distance_px: f32,
    /// Largest accepted head turn, as a landmark asymmetry ratio (0 frontal, 1 profile).
    pub max_head_turn: f32,
    /// Darkest accepted mean face brightness (0-255).
    pub min_face_brightness: f32,
    /// Presentation-attack check with the liveness model.
    pub liveness: bool,
    pub liveness_model: PathBuf,
    /// Minimum "real face" probability when `liveness` is on.
    pub liveness_threshold: f32,
    /// Which liveness output means "real face".
    pub liveness_class: usize,
    /// Embed camera faces in greyscale, like the chip photo.
    pub grey_embedding: bool,
    /// Inference runtime for the models (`tract`, or `ort` in builds with that feature).
    pub runtime: FaceRuntime,
    /// `libonnxruntime.so` loaded when `runtime = "ort"` (scripts/fetch-onnxruntime.sh).
    pub onnxruntime_library: PathBuf,
}

impl Default for FaceConfig {
    fn default() -> Self {
        FaceConfig {
            matcher: MatcherKind::Onnx,
            detector_model: PathBuf::from("models/centerface.onnx"),
            detector_width: 320,
            detector_height: 256,
            detector_threshold: 0.5,
            embedder_model: PathBuf::from("models/fr_feature.onnx"),
            embedder_size: 112,
            embedder_mean: 127.0,
            embedder_scale: 128.0,
            threshold: 0.5,
            thumbnail_threshold: 0.85,
            min_eye_distance_px: 28.0,
            max_head_turn: 0.45,
            min_face_brightness: 50.0,
            liveness: false,
            liveness_model: PathBuf::from("models/fr_liveness.onnx"),
            liveness_threshold: 0.5,
            liveness_class: 1,
            grey_embedding: true,
            runtime: FaceRuntime::Tract,
            onnxruntime_library: PathBuf::from("models/libonnxruntime.so.1.32.0"),
        }
    }
}

impl FaceConfig {
    fn validate(&self) -> Result<(), (&'static str, String)> {
        let dims = [
            ("face.detector_width", self.detector_width),
            ("face.detector_height", self.detector_height),
        ];
        for (key, v) in dims {
            if v == 0 || v % 32 != 0 || v > 1920 {
                return Err((key, "must be a multiple of 32 between 32 and 1920".into()));
            }
        }
        if self.liveness_class > 2 {
            return Err(("face.liveness_class", "must be 0, 1 or 2".into()));
        }
        if !(16..=512).contains(&self.embedder_size) {
            return Err(("face.embedder_size", "must be between 16 and 512".into()));
        }
        let unit = [
            ("face.detector_threshold", self.detector_threshold),
            ("face.threshold", self.threshold),
            ("face.thumbnail_threshold", self.thumbnail_threshold),
            ("face.max_head_turn", self.max_head_turn),
            ("face.liveness_threshold", self.liveness_threshold),
        ];
        for (key, v) in unit {
            if !(0.0..=1.0).contains(&v) || v.is_nan() {
                return Err((key, "must be between 0 and 1".into()));
            }
        }
        if self.embedder_scale.is_nan() || self.embedder_scale <= 0.0 {
            return Err(("face.embedder_scale", "must be positive".into()));
        }
        if !(0.0..=255.0).contains(&self.min_face_brightness) {
            return Err((
                "face.min_face_brightness",
                "must be between 0 and 255".into(),
            ));
        }
        if self.min_eye_distance_px.is_nan() || self.min_eye_distance_px < 4.0 {
            return Err(("face.min_eye_distance_px", "must be at least 4".into()));
        }
        Ok(())
    }
}

impl Config {
    /// Switches face matching to the deterministic test-only matcher (the demo's
    /// synthetic faces are not real faces).
    pub fn use_test_face_matcher(&mut self) {
        self.face.matcher = MatcherKind::TestThumbnail;
    }

    /// The 照合番号B counter floor.
    pub fn card_face_floor(&self) -> u8 {
        self.card_face.counter_floor
    }

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
        if !(1..=60).contains(&self.card_face.time_limit_s) {
            return Err(("card_face.time_limit_s", "must be 1 to 60".into()));
        }
        if self.card_face.kind != CardFaceKind::Control
            && self.card_face.time_limit_s >= p.screen_timeout_s
        {
            return Err((
                "card_face.time_limit_s",
                "must be less than policy.screen_timeout_s (the reading screen would time out first)".into(),
            ));
        }
        if !(2..=50).contains(&self.card_face.max_frames) {
            return Err((
                "card_face.max_frames",
                "must be 2 to 50 (two frames must agree)".into(),
            ));
        }
        if self.card_face.kind == CardFaceKind::Images
            && self.card_face.images.as_os_str().is_empty()
        {
            return Err((
                "card_face.images",
                "must name an image file or directory with kind = \"images\"".into(),
            ));
        }
        if !(1..=9).contains(&self.card_face.counter_floor) {
            return Err((
                "card_face.counter_floor",
                "must be 1 to 9 (the chip allows 10 tries)".into(),
            ));
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
        let control = self.input.kind == InputKind::Control || self.input.also_control;
        if control && !self.input.control.starts_with("unix:") {
            return Err(("input.control", "must be unix:PATH".into()));
        }
        self.link.validate()?;
        self.face.validate()?;
        self.board.validate()?;
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
    fn face_section_defaults_and_validation() {
        let c = Config::parse("[face]\nmatcher = \"test-thumbnail\"\n", "k.toml").unwrap();
        assert_eq!(c.face.matcher, MatcherKind::TestThumbnail);
        assert_eq!(Config::default().face.matcher, MatcherKind::Onnx);
        assert!(err("[face]\nthreshold = 1.5\n").contains("face.threshold"));
        assert!(err("[face]\ndetector_width = 300\n").contains("face.detector_width"));
        assert!(err("[face]\nmatcher = \"magic\"\n").contains("face.matcher"));
        assert!(err("[face]\nembedder_scale = 0.0\n").contains("face.embedder_scale"));
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
