//! A touchscreen through Linux evdev (`/dev/input/eventN`).
//!
//! `struct input_event` records are read straight from the device file: a reader
//! thread decodes them with [`TouchDecoder`] and hands each completed tap to
//! [`TouchInput::next`] as [`InputEvent::Touch`] in panel pixels. A tap is reported
//! when the finger lifts (BTN_TOUCH 0, or the multi-touch slot's tracking id −1), at
//! the last position, so sliding off a button cancels it — as on phones.
//!
//! Raw axis ranges: [`TouchInput::open_with`] asks the device for them with the
//! `EVIOCGABS` ioctl (ABS_X/ABS_Y and ABS_MT_POSITION_X/Y; the only `unsafe` of this
//! module, in [`AxisRanges::query`]) and builds the [`TouchCalibration`] with
//! [`AxisRanges::calibration`]: a range given in the configuration wins, then the
//! device's, then panel pixels. The mapping itself is pure and tested.

#![deny(unsafe_code)]

use kaonin_hal::input::{self, ErrorKind, Input, InputEvent};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::Duration;

/// Event types and codes of `linux/input-event-codes.h` that matter here.
pub mod codes {
    pub const EV_SYN: u16 = 0x00;
    pub const EV_KEY: u16 = 0x01;
    pub const EV_ABS: u16 = 0x03;
    pub const SYN_REPORT: u16 = 0;
    pub const BTN_TOUCH: u16 = 0x14a;
    pub const ABS_X: u16 = 0x00;
    pub const ABS_Y: u16 = 0x01;
    pub const ABS_MT_POSITION_X: u16 = 0x35;
    pub const ABS_MT_POSITION_Y: u16 = 0x36;
    pub const ABS_MT_TRACKING_ID: u16 = 0x39;
}

/// Size of `struct input_event`: a `struct timeval` (two longs) then u16 type,
/// u16 code, i32 value.
pub const EVENT_SIZE: usize = 2 * std::mem::size_of::<std::ffi::c_long>() + 8;

/// Why the touchscreen could not be used.
#[derive(Debug, thiserror::Error)]
pub enum TouchError {
    /// The device file could not be opened.
    #[error("opening {path}: {source}")]
    Open {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The device went away (read error or end of file).
    #[error("touchscreen {path} disconnected")]
    Disconnected { path: PathBuf },
    /// The calibration is unusable (empty axis range, zero panel size).
    #[error("bad touch calibration: {0}")]
    Calibration(String),
}

impl input::Error for TouchError {
    fn kind(&self) -> ErrorKind {
        match self {
            TouchError::Open { .. } | TouchError::Disconnected { .. } => ErrorKind::NotConnected,
            TouchError::Calibration(_) => ErrorKind::Other,
        }
    }
}

/// One raw evdev record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawEvent {
    pub kind: u16,
    pub code: u16,
    pub value: i32,
}

impl RawEvent {
    /// Decodes one `struct input_event` (native endianness); `None` if short.
    pub fn parse(record: &[u8]) -> Option<RawEvent> {
        let t = EVENT_SIZE - 8;
        let field = |at: usize, n: usize| record.get(at..at + n);
        Some(RawEvent {
            kind: u16::from_ne_bytes(field(t, 2)?.try_into().ok()?),
            code: u16::from_ne_bytes(field(t + 2, 2)?.try_into().ok()?),
            value: i32::from_ne_bytes(field(t + 4, 4)?.try_into().ok()?),
        })
    }

    /// Encodes as a `struct input_event` with a zero timestamp (for tests and tools).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = vec![0u8; EVENT_SIZE - 8];
        out.extend_from_slice(&self.kind.to_ne_bytes());
        out.extend_from_slice(&self.code.to_ne_bytes());
        out.extend_from_slice(&self.value.to_ne_bytes());
        out
    }
}

/// Maps raw axis values to panel pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TouchCalibration {
    /// Raw X range (min, max) as the controller reports it.
    pub x: (i32, i32),
    /// Raw Y range.
    pub y: (i32, i32),
    /// The multi-touch position ranges (X, Y) when they differ from `x` / `y`:
    /// ABS_MT_POSITION values are then rescaled into `x` / `y` first.
    pub mt: Option<((i32, i32), (i32, i32))>,
    /// The controller's X axis runs along the panel's Y axis (rotated mounting).
    pub swap_xy: bool,
    /// Mirror X (after swapping).
    pub invert_x: bool,
    /// Mirror Y (after swapping).
    pub invert_y: bool,
}

impl TouchCalibration {
    /// Raw values already in panel pixels.
    pub fn identity(panel: (u32, u32)) -> TouchCalibration {
        TouchCalibration {
            x: (0, panel.0 as i32 - 1),
            y: (0, panel.1 as i32 - 1),
            mt: None,
            swap_xy: false,
            invert_x: false,
            invert_y: false,
        }
    }

    fn check(&self, panel: (u32, u32)) -> Result<(), TouchError> {
        let empty = |(lo, hi): (i32, i32)| hi <= lo;
        let mt_empty = self.mt.is_some_and(|(x, y)| empty(x) || empty(y));
        if empty(self.x) || empty(self.y) || mt_empty || panel.0 == 0 || panel.1 == 0 {
            return Err(TouchError::Calibration(format!(
                "axis ranges {:?} {:?} for a {}x{} panel",
                self.x, self.y, panel.0, panel.1
            )));
        }
        Ok(())
    }

    /// A multi-touch X value in the `x` range.
    fn mt_x(&self, v: i32) -> i32 {
        match self.mt {
            Some((from, _)) => rescale(v, from, self.x),
            None => v,
        }
    }

    /// A multi-touch Y value in the `y` range.
    fn mt_y(&self, v: i32) -> i32 {
        match self.mt {
            Some((_, from)) => rescale(v, from, self.y),
            None => v,
        }
    }

    /// Raw (x, y) → panel pixel, clamped to the panel.
    pub fn map(&self, raw: (i32, i32), panel: (u32, u32)) -> (i32, i32) {
        let scale = |v: i32, (lo, hi): (i32, i32), len: u32| {
            let span = (hi - lo).max(1) as i64;
            let v = (v.clamp(lo, hi) - lo) as i64;
            ((v * (len as i64 - 1) + span / 2) / span) as i32
        };
        let (rx, ry) = if self.swap_xy { (raw.1, raw.0) } else { raw };
        let (cx, cy) = if self.swap_xy {
            (self.y, self.x)
        } else {
            (self.x, self.y)
        };
        let mut x = scale(rx, cx, panel.0);
        let mut y = scale(ry, cy, panel.1);
        if self.invert_x {
            x = panel.0 as i32 - 1 - x;
        }
        if self.invert_y {
            y = panel.1 as i32 - 1 - y;
        }
        (x, y)
    }
}

/// `v` in the range `from` moved linearly into the range `to` (clamped).
fn rescale(v: i32, from: (i32, i32), to: (i32, i32)) -> i32 {
    let span = i64::from(from.1) - i64::from(from.0);
    if span <= 0 {
        return to.0;
    }
    let v = i64::from(v.clamp(from.0, from.1)) - i64::from(from.0);
    let out = i64::from(to.0) + (v * (i64::from(to.1) - i64::from(to.0)) + span / 2) / span;
    out as i32
}

/// The raw ranges (min, max) a device reports for its position axes, `None` for an
/// axis it lacks (or when it could not be asked).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AxisRanges {
    /// ABS_X.
    pub x: Option<(i32, i32)>,
    /// ABS_Y.
    pub y: Option<(i32, i32)>,
    /// ABS_MT_POSITION_X.
    pub mt_x: Option<(i32, i32)>,
    /// ABS_MT_POSITION_Y.
    pub mt_y: Option<(i32, i32)>,
}

/// What the configuration says about the touchscreen: ranges that override the
/// device's, and the mounting.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TouchSettings {
    /// Raw X range (`[input] touch_x`); `None`: ask the device.
    pub x: Option<(i32, i32)>,
    /// Raw Y range (`[input] touch_y`); `None`: ask the device.
    pub y: Option<(i32, i32)>,
    /// X and Y swapped.
    pub swap_xy: bool,
    /// Mirror X.
    pub invert_x: bool,
    /// Mirror Y.
    pub invert_y: bool,
}

/// `struct input_absinfo`: value, minimum, maximum, fuzz, flat, resolution.
const ABSINFO_SIZE: u32 = 6 * 4;

/// `EVIOCGABS(abs)` = `_IOR('E', 0x40 + abs, struct input_absinfo)` (the generic
/// Linux ioctl encoding of x86, x86-64, ARM and AArch64).
pub const fn eviocgabs(abs: u16) -> u32 {
    (2 << 30) | (ABSINFO_SIZE << 16) | ((b'E' as u32) << 8) | (0x40 + abs as u32)
}

impl AxisRanges {
    /// Asks the evdev device open as `file` for its position ranges with
    /// `EVIOCGABS`. An axis the device lacks (the ioctl fails) or reports as an
    /// empty range is `None`.
    #[cfg(target_os = "linux")]
    pub fn query(file: &std::fs::File) -> AxisRanges {
        use std::os::fd::AsRawFd;
        let fd = file.as_raw_fd();
        let range = |code: u16| -> Option<(i32, i32)> {
            let mut info = [0i32; 6];
            // SAFETY: EVIOCGABS writes one `struct input_absinfo` (six i32, 24 bytes,
            // the size encoded in the request) into `info`, which is exactly that
            // large and lives across the call; `fd` is open for the whole call.
            #[allow(unsafe_code)]
            let rc = unsafe { libc::ioctl(fd, eviocgabs(code) as _, info.as_mut_ptr()) };
            (rc >= 0 && info[2] > info[1]).then_some((info[1], info[2]))
        };
        AxisRanges {
            x: range(codes::ABS_X),
            y: range(codes::ABS_Y),
            mt_x: range(codes::ABS_MT_POSITION_X),
            mt_y: range(codes::ABS_MT_POSITION_Y),
        }
    }

    /// Not on Linux: no ranges.
    #[cfg(not(target_os = "linux"))]
    pub fn query(_file: &std::fs::File) -> AxisRanges {
        AxisRanges::default()
    }

    /// The calibration for a `panel` of (width, height): per axis, the configured
    /// range, else the device's ABS_X/ABS_Y range, else its multi-touch range, else
    /// panel pixels. Multi-touch positions whose range differs from the one chosen
    /// are rescaled into it (unless the configuration fixed that axis: then both
    /// kinds of event are taken to use the configured range).
    pub fn calibration(&self, settings: &TouchSettings, panel: (u32, u32)) -> TouchCalibration {
        let identity = TouchCalibration::identity(panel);
        let x = settings.x.or(self.x).or(self.mt_x).unwrap_or(identity.x);
        let y = settings.y.or(self.y).or(self.mt_y).unwrap_or(identity.y);
        // The multi-touch range of each axis, where it is known and not fixed.
        let mt_x = settings.x.map_or(self.mt_x, |_| None).unwrap_or(x);
        let mt_y = settings.y.map_or(self.mt_y, |_| None).unwrap_or(y);
        TouchCalibration {
            x,
            y,
            mt: (mt_x != x || mt_y != y).then_some((mt_x, mt_y)),
            swap_xy: settings.swap_xy,
            invert_x: settings.invert_x,
            invert_y: settings.invert_y,
        }
    }
}

/// Turns raw events into taps (pure; no I/O).
#[derive(Debug, Clone)]
pub struct TouchDecoder {
    panel: (u32, u32),
    calibration: TouchCalibration,
    raw: (i32, i32),
    down: bool,
    lifted: bool,
}

impl TouchDecoder {
    /// A decoder for `panel` pixels.
    pub fn new(panel: (u32, u32), calibration: TouchCalibration) -> TouchDecoder {
        TouchDecoder {
            panel,
            calibration,
            raw: (0, 0),
            down: false,
            lifted: false,
        }
    }

    /// Feeds one event; returns a tap position when a finger lifted.
    pub fn feed(&mut self, e: RawEvent) -> Option<(i32, i32)> {
        use codes::*;
        match (e.kind, e.code) {
            (EV_ABS, ABS_X) => self.raw.0 = e.value,
            (EV_ABS, ABS_Y) => self.raw.1 = e.value,
            (EV_ABS, ABS_MT_POSITION_X) => self.raw.0 = self.calibration.mt_x(e.value),
            (EV_ABS, ABS_MT_POSITION_Y) => self.raw.1 = self.calibration.mt_y(e.value),
            (EV_ABS, ABS_MT_TRACKING_ID) if e.value >= 0 => self.down = true,
            (EV_ABS, ABS_MT_TRACKING_ID) => self.lifted |= self.down,
            (EV_KEY, BTN_TOUCH) if e.value != 0 => self.down = true,
            (EV_KEY, BTN_TOUCH) => self.lifted |= self.down,
            (EV_SYN, SYN_REPORT) if self.lifted => {
                self.down = false;
                self.lifted = false;
                return Some(self.calibration.map(self.raw, self.panel));
            }
            _ => {}
        }
        None
    }
}

/// A touchscreen input.
pub struct TouchInput {
    path: PathBuf,
    taps: Receiver<(i32, i32)>,
}

impl TouchInput {
    /// Opens `device`, assuming it reports panel pixels.
    pub fn open(device: &Path, panel: (u32, u32)) -> Result<TouchInput, TouchError> {
        TouchInput::open_calibrated(device, panel, TouchCalibration::identity(panel))
    }

    /// Opens `device` with explicit raw axis ranges and orientation.
    pub fn open_calibrated(
        device: &Path,
        panel: (u32, u32),
        calibration: TouchCalibration,
    ) -> Result<TouchInput, TouchError> {
        calibration.check(panel)?;
        let file = std::fs::File::open(device).map_err(|source| TouchError::Open {
            path: device.to_path_buf(),
            source,
        })?;
        TouchInput::start(device, file, panel, calibration)
    }

    /// Opens `device`, asks it for its axis ranges (`EVIOCGABS`) and maps touches
    /// with them; ranges in `settings` override the device's (see
    /// [`AxisRanges::calibration`]).
    pub fn open_with(
        device: &Path,
        panel: (u32, u32),
        settings: &TouchSettings,
    ) -> Result<TouchInput, TouchError> {
        let file = std::fs::File::open(device).map_err(|source| TouchError::Open {
            path: device.to_path_buf(),
            source,
        })?;
        let ranges = AxisRanges::query(&file);
        let calibration = ranges.calibration(settings, panel);
        tracing::info!(?ranges, ?calibration, "touchscreen axis ranges");
        calibration.check(panel)?;
        TouchInput::start(device, file, panel, calibration)
    }

    fn start(
        device: &Path,
        mut file: std::fs::File,
        panel: (u32, u32),
        calibration: TouchCalibration,
    ) -> Result<TouchInput, TouchError> {
        let (tx, taps) = mpsc::channel();
        let mut decoder = TouchDecoder::new(panel, calibration);
        std::thread::Builder::new()
            .name("touch".into())
            .spawn(move || {
                let mut record = [0u8; EVENT_SIZE];
                while file.read_exact(&mut record).is_ok() {
                    let tap = RawEvent::parse(&record).and_then(|e| decoder.feed(e));
                    if tap.is_some_and(|t| tx.send(t).is_err()) {
                        return;
                    }
                }
                tracing::warn!("touchscreen stopped delivering events");
            })
            .map_err(|source| TouchError::Open {
                path: device.to_path_buf(),
                source,
            })?;
        Ok(TouchInput {
            path: device.to_path_buf(),
            taps,
        })
    }
}

impl Input for TouchInput {
    type Error = TouchError;

    fn next(&mut self, timeout: Duration) -> Result<Option<InputEvent>, TouchError> {
        match self.taps.recv_timeout(timeout) {
            Ok((x, y)) => Ok(Some(InputEvent::Touch { x, y })),
            Err(RecvTimeoutError::Timeout) => Ok(None),
            Err(RecvTimeoutError::Disconnected) => Err(TouchError::Disconnected {
                path: self.path.clone(),
            }),
        }
    }
}

/// The events a single-touch tap at raw (x, y) produces (for tests and tools).
pub fn tap_events(x: i32, y: i32) -> Vec<RawEvent> {
    use codes::*;
    let ev = |kind, code, value| RawEvent { kind, code, value };
    vec![
        ev(EV_ABS, ABS_MT_TRACKING_ID, 7),
        ev(EV_ABS, ABS_MT_POSITION_X, x),
        ev(EV_ABS, ABS_MT_POSITION_Y, y),
        ev(EV_KEY, BTN_TOUCH, 1),
        ev(EV_ABS, ABS_X, x),
        ev(EV_ABS, ABS_Y, y),
        ev(EV_SYN, SYN_REPORT, 0),
        ev(EV_ABS, ABS_MT_TRACKING_ID, -1),
        ev(EV_KEY, BTN_TOUCH, 0),
        ev(EV_SYN, SYN_REPORT, 0),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tap_is_reported_on_lift_at_the_last_position() {
        let mut d = TouchDecoder::new((800, 480), TouchCalibration::identity((800, 480)));
        let mut taps = Vec::new();
        let mut events = tap_events(100, 200);
        // The finger slides before lifting: the lift position counts.
        events.insert(
            7,
            RawEvent {
                kind: codes::EV_ABS,
                code: codes::ABS_X,
                value: 120,
            },
        );
        events.insert(
            8,
            RawEvent {
                kind: codes::EV_SYN,
                code: codes::SYN_REPORT,
                value: 0,
            },
        );
        for e in events {
            taps.extend(d.feed(e));
        }
        assert_eq!(taps, [(120, 200)]);
    }

    #[test]
    fn calibration_scales_swaps_and_mirrors() {
        let cal = TouchCalibration {
            x: (0, 4095),
            y: (0, 4095),
            mt: None,
            swap_xy: false,
            invert_x: false,
            invert_y: false,
        };
        assert_eq!(cal.map((0, 0), (800, 480)), (0, 0));
        assert_eq!(cal.map((4095, 4095), (800, 480)), (799, 479));
        assert_eq!(cal.map((2048, 9999), (800, 480)), (400, 479));
        let rotated = TouchCalibration {
            swap_xy: true,
            invert_y: true,
            ..cal
        };
        assert_eq!(rotated.map((0, 4095), (800, 480)), (799, 479));
    }

    const PANEL: (u32, u32) = (800, 480);

    fn taps(cal: TouchCalibration, events: &[RawEvent]) -> Vec<(i32, i32)> {
        let mut d = TouchDecoder::new(PANEL, cal);
        events.iter().filter_map(|e| d.feed(*e)).collect()
    }

    fn only_mt(x: i32, y: i32) -> Vec<RawEvent> {
        tap_events(x, y)
            .into_iter()
            .filter(|e| !(e.kind == codes::EV_ABS && matches!(e.code, codes::ABS_X | codes::ABS_Y)))
            .collect()
    }

    #[test]
    fn eviocgabs_numbers_match_the_kernel_headers() {
        // _IOR('E', 0x40 + abs, struct input_absinfo), as in linux/input.h.
        assert_eq!(eviocgabs(codes::ABS_X), 0x8018_4540);
        assert_eq!(eviocgabs(codes::ABS_Y), 0x8018_4541);
        assert_eq!(eviocgabs(codes::ABS_MT_POSITION_X), 0x8018_4575);
        assert_eq!(eviocgabs(codes::ABS_MT_POSITION_Y), 0x8018_4576);
    }

    #[test]
    fn device_ranges_map_a_non_pixel_controller_without_configuration() {
        // A resistive controller reporting 0..4095 on both axes.
        let ranges = AxisRanges {
            x: Some((0, 4095)),
            y: Some((0, 4095)),
            mt_x: Some((0, 4095)),
            mt_y: Some((0, 4095)),
        };
        let cal = ranges.calibration(&TouchSettings::default(), PANEL);
        assert_eq!((cal.x, cal.y, cal.mt), ((0, 4095), (0, 4095), None));
        assert_eq!(taps(cal, &tap_events(4095, 4095)), [(799, 479)]);
        assert_eq!(taps(cal, &tap_events(2048, 1024)), [(400, 120)]);
        // Without the device's ranges the same raw values would be clamped pixels.
        let pixels = AxisRanges::default().calibration(&TouchSettings::default(), PANEL);
        assert_eq!(pixels, TouchCalibration::identity(PANEL));
        assert_eq!(taps(pixels, &tap_events(2048, 1024)), [(799, 479)]);
    }

    #[test]
    fn configured_ranges_override_the_device() {
        let ranges = AxisRanges {
            x: Some((0, 4095)),
            y: Some((0, 4095)),
            mt_x: Some((0, 4095)),
            mt_y: Some((0, 4095)),
        };
        let settings = TouchSettings {
            x: Some((100, 3900)),
            swap_xy: false,
            ..TouchSettings::default()
        };
        let cal = ranges.calibration(&settings, PANEL);
        assert_eq!(cal.x, (100, 3900));
        assert_eq!(cal.y, (0, 4095));
        assert_eq!(taps(cal, &tap_events(100, 0)), [(0, 0)]);
        assert_eq!(taps(cal, &tap_events(3900, 4095)), [(799, 479)]);
        assert_eq!(taps(cal, &only_mt(3900, 4095)), [(799, 479)]);
        // Orientation comes from the settings.
        let rotated = TouchSettings {
            swap_xy: true,
            invert_y: true,
            ..TouchSettings::default()
        };
        let cal = ranges.calibration(&rotated, PANEL);
        assert_eq!(taps(cal, &tap_events(0, 4095)), [(799, 479)]);
    }

    #[test]
    fn multi_touch_positions_with_their_own_range_are_rescaled() {
        // ABS_X/Y in 0..1023, MT positions in 0..32767 (seen on some USB panels).
        let ranges = AxisRanges {
            x: Some((0, 1023)),
            y: Some((0, 1023)),
            mt_x: Some((0, 32767)),
            mt_y: Some((0, 32767)),
        };
        let cal = ranges.calibration(&TouchSettings::default(), PANEL);
        assert_eq!(cal.mt, Some(((0, 32767), (0, 32767))));
        assert_eq!(taps(cal, &only_mt(32767, 16384)), [(799, 240)]);
        // A device with only multi-touch axes uses them directly.
        let mt_only = AxisRanges {
            mt_x: Some((0, 32767)),
            mt_y: Some((0, 32767)),
            ..AxisRanges::default()
        };
        let cal = mt_only.calibration(&TouchSettings::default(), PANEL);
        assert_eq!((cal.x, cal.mt), ((0, 32767), None));
        assert_eq!(taps(cal, &only_mt(16384, 32767)), [(400, 479)]);
    }

    #[test]
    fn a_device_file_without_axes_falls_back_to_panel_pixels() {
        // A plain file answers EVIOCGABS with an error: no ranges, pixels assumed.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("event0");
        let mut bytes = Vec::new();
        for e in tap_events(10, 20) {
            bytes.extend(e.encode());
        }
        std::fs::write(&path, bytes).unwrap();
        let file = std::fs::File::open(&path).unwrap();
        assert_eq!(AxisRanges::query(&file), AxisRanges::default());
        let mut input = TouchInput::open_with(&path, PANEL, &TouchSettings::default()).unwrap();
        assert_eq!(
            input.next(Duration::from_secs(10)).unwrap(),
            Some(InputEvent::Touch { x: 10, y: 20 })
        );
    }

    #[test]
    fn reads_records_from_a_device_file_then_reports_disconnect() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("event0");
        let mut bytes = Vec::new();
        for e in tap_events(10, 20).into_iter().chain(tap_events(700, 400)) {
            bytes.extend(e.encode());
        }
        std::fs::write(&path, bytes).unwrap();
        let mut input = TouchInput::open(&path, (800, 480)).unwrap();
        let long = Duration::from_secs(10);
        assert_eq!(
            input.next(long).unwrap(),
            Some(InputEvent::Touch { x: 10, y: 20 })
        );
        assert_eq!(
            input.next(long).unwrap(),
            Some(InputEvent::Touch { x: 700, y: 400 })
        );
        let err = input.next(long).unwrap_err();
        assert_eq!(input::Error::kind(&err), ErrorKind::NotConnected);
    }

    #[test]
    fn bad_calibration_and_missing_device_are_typed_errors() {
        let cal = TouchCalibration {
            x: (5, 5),
            ..TouchCalibration::identity((800, 480))
        };
        let err = TouchInput::open_calibrated(Path::new("/dev/null"), (800, 480), cal)
            .err()
            .unwrap();
        assert!(matches!(err, TouchError::Calibration(_)));
        let err = TouchInput::open(Path::new("/nonexistent/event9"), (800, 480))
            .err()
            .unwrap();
        assert_eq!(input::Error::kind(&err), ErrorKind::NotConnected);
    }
}
