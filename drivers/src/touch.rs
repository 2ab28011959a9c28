//! A touchscreen through Linux evdev (`/dev/input/eventN`).
//!
//! `struct input_event` records are read straight from the device file (no ioctl,
//! no `unsafe`): a reader thread decodes them with [`TouchDecoder`] and hands each
//! completed tap to [`TouchInput::next`] as [`InputEvent::Touch`] in panel pixels. A
//! tap is reported when the finger lifts (BTN_TOUCH 0, or the multi-touch slot's
//! tracking id −1), at the last position, so sliding off a button cancels it — as on
//! phones. Raw axis ranges come from [`TouchCalibration`] (the default assumes the
//! controller reports panel pixels, as most HDMI/DSI kiosk panels do).

#![forbid(unsafe_code)]

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
            swap_xy: false,
            invert_x: false,
            invert_y: false,
        }
    }

    fn check(&self, panel: (u32, u32)) -> Result<(), TouchError> {
        if self.x.1 <= self.x.0 || self.y.1 <= self.y.0 || panel.0 == 0 || panel.1 == 0 {
            return Err(TouchError::Calibration(format!(
                "axis ranges {:?} {:?} for a {}x{} panel",
                self.x, self.y, panel.0, panel.1
            )));
        }
        Ok(())
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
            (EV_ABS, ABS_X | ABS_MT_POSITION_X) => self.raw.0 = e.value,
            (EV_ABS, ABS_Y | ABS_MT_POSITION_Y) => self.raw.1 = e.value,
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
        let mut file = std::fs::File::open(device).map_err(|source| TouchError::Open {
            path: device.to_path_buf(),
            source,
        })?;
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
