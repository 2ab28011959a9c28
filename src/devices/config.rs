//! The device sections of the configuration: `[reader]`, `[camera]`, `[display]`
//! and `[input]` (CONTRACT §2), with their defaults and validation, and what they
//! say to the screens ([`DisplayConfig::ui_options`]) and to the touchscreen driver
//! ([`InputConfig::touch_settings`]). `[board]` is in [`super::board`].

use crate::ui::UiOptions;
use kaonin_drivers::touch::{AxisRanges, TouchCalibration, TouchSettings};
use serde::Deserialize;
use std::path::PathBuf;

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
pub struct ReaderConfig {
    pub kind: ReaderKind,
    /// Pick the PC/SC reader whose name contains this; empty: the first reader
    /// holding a JPKI card.
    pub name_contains: String,
    /// Extension: the generic NFC reader for smartphones (name substring); empty:
    /// no smartphone reader.
    pub phone_name_contains: String,
}

impl Default for ReaderConfig {
    fn default() -> Self {
        ReaderConfig {
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
pub struct CameraConfig {
    pub kind: CameraKind,
    pub device: PathBuf,
}

impl Default for CameraConfig {
    fn default() -> Self {
        CameraConfig {
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
pub struct DisplayConfig {
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

impl Default for DisplayConfig {
    fn default() -> Self {
        DisplayConfig {
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
pub struct InputConfig {
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
    /// Extension: the only directories whose files the control socket's `camera`
    /// and `card` lines may name (images, card profiles); empty: the assets
    /// directory (its `faces/` and `cards/`).
    pub control_dirs: Vec<PathBuf>,
    /// Extension: open the control socket even though the reader (`pcsc`) or the
    /// camera (`v4l2`) is real hardware — a test rig, never a counter. Off by default:
    /// such a config is refused.
    pub control_with_real_hardware: bool,
}

impl Default for InputConfig {
    fn default() -> Self {
        InputConfig {
            kind: InputKind::Touch,
            control: "unix:/run/kaonin/control.sock".into(),
            device: PathBuf::from("/dev/input/event0"),
            touch_x: Vec::new(),
            touch_y: Vec::new(),
            touch_swap_xy: false,
            touch_invert_x: false,
            touch_invert_y: false,
            also_control: false,
            control_dirs: Vec::new(),
            control_with_real_hardware: false,
        }
    }
}

impl ReaderConfig {
    /// Checks values that parse but cannot work: (dotted key, reason).
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        // The mock reader only takes cards from the simulators.
        if cfg!(not(feature = "sim")) && self.kind == ReaderKind::Mock {
            return Err((
                "reader.kind",
                "this build has no simulators (\"mock\" needs the cargo feature `sim`)".into(),
            ));
        }
        Ok(())
    }
}

/// The largest panel side the screens are drawn for (a 4K panel).
pub const MAX_PANEL_SIDE: u32 = 3840;

impl DisplayConfig {
    /// Checks values that parse but cannot work: (dotted key, reason).
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        let (w, h) = (self.width, self.height);
        if (w >= h && (w < 800 || h < 480)) || (h > w && (w < 600 || h < 1000)) {
            return Err((
                "display.width",
                "the screens need at least 800x480 (landscape) or 600x1000 (portrait)".into(),
            ));
        }
        if w > MAX_PANEL_SIDE || h > MAX_PANEL_SIDE {
            // Each screen is a w×h frame in memory: a typo must not cost the board
            // gigabytes before the first screen.
            return Err((
                "display.width",
                format!("at most {MAX_PANEL_SIDE} pixels a side (got {w}x{h})"),
            ));
        }
        if self.kind == DisplayKind::Png && self.dir.as_os_str().is_empty() {
            return Err(("display.dir", "required when display.kind = \"png\"".into()));
        }
        Ok(())
    }

    /// The screens' options (`font_dir = ""` means the built-in fonts).
    pub fn ui_options(&self) -> UiOptions {
        UiOptions {
            large_text: self.large_text,
            scrambled_pin: self.scrambled_pin,
            font_dir: (!self.font_dir.as_os_str().is_empty()).then(|| self.font_dir.clone()),
        }
    }
}

impl InputConfig {
    /// Checks values that parse but cannot work: (dotted key, reason).
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        for (key, range) in [
            ("input.touch_x", &self.touch_x),
            ("input.touch_y", &self.touch_y),
        ] {
            if !(range.is_empty() || (range.len() == 2 && range[0] < range[1])) {
                return Err((key, "must be [min, max] with min < max".into()));
            }
        }
        if self.uses_control() && !self.control.starts_with("unix:") {
            return Err(("input.control", "must be unix:PATH".into()));
        }
        Ok(())
    }

    /// The directories the control socket may read files from (`control_dirs`,
    /// else the assets directory).
    pub fn control_dirs(&self) -> Vec<PathBuf> {
        if self.control_dirs.is_empty() {
            vec![crate::assets::dir()]
        } else {
            self.control_dirs.clone()
        }
    }

    /// Refuses the control socket next to real hardware unless
    /// `control_with_real_hardware` says so: on a counter, whoever reaches the
    /// socket would press the patient's buttons.
    pub fn validate_control(
        &self,
        reader: &ReaderConfig,
        camera: &CameraConfig,
    ) -> Result<(), (&'static str, String)> {
        let real = reader.kind == ReaderKind::Pcsc || camera.kind == CameraKind::V4l2;
        if self.uses_control() && real && !self.control_with_real_hardware {
            return Err((
                "input.kind",
                "the control socket is for simulated hardware: with reader.kind = \"pcsc\" or \
                 camera.kind = \"v4l2\" it needs input.control_with_real_hardware = true (a test rig)"
                    .into(),
            ));
        }
        if self.control_dirs.len() > 16 {
            return Err(("input.control_dirs", "at most 16 directories".into()));
        }
        Ok(())
    }

    /// Whether the control socket is opened (`kind = "control"` or `also_control`).
    pub fn uses_control(&self) -> bool {
        self.kind == InputKind::Control || self.also_control
    }

    /// The touchscreen settings: `touch_x` / `touch_y` override the axis ranges the
    /// device reports (`[]`: ask the device), and the mounting.
    pub fn touch_settings(&self) -> TouchSettings {
        let range = |r: &[i32]| match r {
            [lo, hi] => Some((*lo, *hi)),
            _ => None,
        };
        TouchSettings {
            x: range(&self.touch_x),
            y: range(&self.touch_y),
            swap_xy: self.touch_swap_xy,
            invert_x: self.touch_invert_x,
            invert_y: self.touch_invert_y,
        }
    }

    /// The touchscreen calibration for a `panel` of (width, height) when the
    /// device's own ranges are not known: raw ranges `touch_x` / `touch_y`
    /// (default: the panel's pixels) and orientation. The daemon asks the device
    /// ([`kaonin_drivers::touch::TouchInput::open_with`]) instead.
    pub fn touch_calibration(&self, panel: (u32, u32)) -> TouchCalibration {
        AxisRanges::default().calibration(&self.touch_settings(), panel)
    }
}
