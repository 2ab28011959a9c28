//! A PIN pad on a serial port (UART or USB serial adapter), speaking the line
//! protocol of `docs/serial-keypad.md`.
//!
//! The pad sends one ASCII line per key (`K0`…`K9`, `C`, `E`, `X`) and a heartbeat
//! `H` every second. This driver turns lines into [`InputEvent::Key`]s and reports:
//! - a line that is not in the protocol as [`ErrorKind::Garbled`] (the line is
//!   dropped; the daemon clears what was typed);
//! - a pad that stops talking for longer than the heartbeat timeout, or whose
//!   device goes away, as [`ErrorKind::NotConnected`]. After an unplug the next call
//!   to [`Input::next`] tries to open the device again, so the daemon's input worker
//!   recovers by itself when the pad comes back.
//!
//! Privacy: the driver never writes to the pad (nothing is echoed), never logs or
//! formats a received line, and wipes every byte it buffered as soon as the line is
//! parsed. A digit leaves only inside the returned event.

use kaonin_hal::input::{Error as InputError, ErrorKind, Input, InputEvent, Key};
use serialport::{SerialPort, TTYPort};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use zeroize::Zeroize;

/// Heartbeat period the protocol asks of the pad.
pub const HEARTBEAT_PERIOD: Duration = Duration::from_secs(1);

/// Default heartbeat timeout: three missed heartbeats.
pub const DEFAULT_HEARTBEAT_TIMEOUT: Duration = Duration::from_secs(3);

/// The longest valid line, without its line end (`K9` is two bytes; a little slack
/// for future keys).
const LINE_MAX: usize = 8;

/// Bytes buffered while a line is incomplete.
const BUFFER: usize = 64;

/// Why the keypad failed. Messages never contain what the pad sent.
#[derive(Debug, thiserror::Error)]
pub enum KeypadError {
    /// The device could not be opened (missing, busy, no permission).
    #[error("cannot open keypad {path}: {reason}")]
    Open {
        /// The device path.
        path: PathBuf,
        /// What the serial layer said.
        reason: String,
    },
    /// The device went away (USB adapter unplugged, the other end closed).
    #[error("keypad {path} was unplugged")]
    Unplugged {
        /// The device path.
        path: PathBuf,
    },
    /// No line (not even a heartbeat) for longer than the heartbeat timeout.
    #[error("keypad {path} silent for {silent_ms} ms (no heartbeat)")]
    HeartbeatLost {
        /// The device path.
        path: PathBuf,
        /// How long the pad has been silent, in milliseconds.
        silent_ms: u128,
    },
    /// A line that is not in the protocol; it was dropped.
    #[error("keypad sent a line that is not in the protocol ({len} bytes, dropped)")]
    Garbled {
        /// Its length in bytes (the content is never kept).
        len: usize,
    },
    /// The serial port could not be set up (baud rate, timeout).
    #[error("keypad {path}: {reason}")]
    Setup {
        /// The device path.
        path: PathBuf,
        /// What the serial layer said.
        reason: String,
    },
}

impl InputError for KeypadError {
    fn kind(&self) -> ErrorKind {
        match self {
            KeypadError::Open { .. }
            | KeypadError::Unplugged { .. }
            | KeypadError::HeartbeatLost { .. } => ErrorKind::NotConnected,
            KeypadError::Garbled { .. } => ErrorKind::Garbled,
            KeypadError::Setup { .. } => ErrorKind::Other,
        }
    }
}

/// What one line of the protocol means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Line {
    /// A key.
    Key(Key),
    /// The pad is alive.
    Heartbeat,
    /// An empty line (line noise, a bare CR LF): ignored.
    Empty,
    /// Not in the protocol.
    Garbled,
}

/// Parses one line, without its `\n`; a trailing `\r` is allowed.
pub fn parse_line(line: &[u8]) -> Line {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    match line {
        [] => Line::Empty,
        b"H" => Line::Heartbeat,
        b"C" => Line::Key(Key::Clear),
        b"E" => Line::Key(Key::Enter),
        b"X" => Line::Key(Key::Cancel),
        [b'K', d @ b'0'..=b'9'] => Line::Key(Key::Digit(d - b'0')),
        _ => Line::Garbled,
    }
}

/// Bytes received but not yet parsed. Wiped as lines are taken and on drop.
struct LineBuffer {
    bytes: [u8; BUFFER],
    len: usize,
    /// A line grew past the buffer: drop bytes up to the next `\n`.
    overflowed: bool,
}

impl LineBuffer {
    fn new() -> Self {
        LineBuffer {
            bytes: [0; BUFFER],
            len: 0,
            overflowed: false,
        }
    }

    /// The free part, to read into.
    fn spare(&mut self) -> &mut [u8] {
        &mut self.bytes[self.len..]
    }

    /// Records that `n` bytes were read into [`Self::spare`].
    fn filled(&mut self, n: usize) {
        self.len = (self.len + n).min(BUFFER);
    }

    /// Takes the next complete line and parses it. A line longer than the protocol
    /// allows, or one that overflowed the buffer, is garbled.
    fn take_line(&mut self) -> Option<(Line, usize)> {
        let Some(end) = self.bytes[..self.len].iter().position(|&b| b == b'\n') else {
            if self.len == BUFFER {
                // No line end in a full buffer: drop it all and skip to the next `\n`.
                self.clear();
                self.overflowed = true;
            }
            return None;
        };
        let (content, len) = (&self.bytes[..end], end);
        let line = if self.overflowed || len > LINE_MAX + 1 {
            Line::Garbled
        } else {
            parse_line(content)
        };
        self.overflowed = false;
        self.consume(end + 1);
        Some((line, len))
    }

    /// Drops the first `n` bytes, wiping the space they leave.
    fn consume(&mut self, n: usize) {
        self.bytes.copy_within(n..self.len, 0);
        let rest = self.len - n;
        self.bytes[rest..self.len].zeroize();
        self.len = rest;
    }

    fn clear(&mut self) {
        self.bytes.zeroize();
        self.len = 0;
        self.overflowed = false;
    }
}

impl Drop for LineBuffer {
    fn drop(&mut self) {
        self.bytes.zeroize();
    }
}

/// Feeds `stream` through the pad's line buffer in reads of 1 to 64 bytes (sizes
/// drawn from `seed`), as the port delivers them, and returns the lines taken. An
/// entry point for the fuzz targets (`fuzz/`), not part of the driver's API.
#[doc(hidden)]
pub fn fuzz_lines(stream: &[u8], seed: u8) -> Vec<Line> {
    let mut buffer = LineBuffer::new();
    let mut lines = Vec::new();
    let mut rest = stream;
    let mut state = u32::from(seed);
    while !rest.is_empty() {
        state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let spare = buffer.spare();
        let n = (1 + (state >> 16) as usize % 64)
            .min(rest.len())
            .min(spare.len());
        // A full buffer here would make the driver read zero bytes (an unplug).
        assert!(n > 0, "line buffer full after taking its lines");
        spare[..n].copy_from_slice(&rest[..n]);
        buffer.filled(n);
        rest = &rest[n..];
        while let Some((line, _)) = buffer.take_line() {
            lines.push(line);
        }
    }
    lines
}

/// A PIN pad on a serial port.
pub struct SerialKeypad {
    path: PathBuf,
    baud: u32,
    heartbeat_timeout: Duration,
    port: Option<TTYPort>,
    buffer: LineBuffer,
    last_heard: Instant,
}

impl std::fmt::Debug for SerialKeypad {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SerialKeypad")
            .field("path", &self.path)
            .field("baud", &self.baud)
            .field("connected", &self.port.is_some())
            .finish_non_exhaustive()
    }
}

impl SerialKeypad {
    /// Opens the pad on `path` (8N1, no flow control, exclusive) at `baud`. The pad
    /// must send a line (a heartbeat at least) every `heartbeat_timeout`.
    pub fn open(
        path: &Path,
        baud: u32,
        heartbeat_timeout: Duration,
    ) -> Result<SerialKeypad, KeypadError> {
        let mut keypad = SerialKeypad::detached(path, baud, heartbeat_timeout);
        keypad.connect()?;
        Ok(keypad)
    }

    /// A keypad that opens `path` on the first [`Input::next`] (and again after
    /// every unplug): for a pad that may be missing when the daemon starts.
    pub fn detached(path: &Path, baud: u32, heartbeat_timeout: Duration) -> SerialKeypad {
        SerialKeypad {
            path: path.to_owned(),
            baud,
            heartbeat_timeout,
            port: None,
            buffer: LineBuffer::new(),
            last_heard: Instant::now(),
        }
    }

    /// A keypad on a port the caller opened and configured itself (e.g. with
    /// settings `open` does not offer). `path` is where to reopen it after an
    /// unplug, at `baud`.
    pub fn from_port(
        port: TTYPort,
        path: &Path,
        baud: u32,
        heartbeat_timeout: Duration,
    ) -> SerialKeypad {
        let mut keypad = SerialKeypad::detached(path, baud, heartbeat_timeout);
        keypad.port = Some(port);
        keypad
    }

    /// Whether the device is open.
    pub fn is_connected(&self) -> bool {
        self.port.is_some()
    }

    fn connect(&mut self) -> Result<(), KeypadError> {
        let port = serialport::new(self.path.to_string_lossy(), self.baud)
            .data_bits(serialport::DataBits::Eight)
            .parity(serialport::Parity::None)
            .stop_bits(serialport::StopBits::One)
            .flow_control(serialport::FlowControl::None)
            .timeout(Duration::from_millis(100))
            .open_native()
            .map_err(|e| KeypadError::Open {
                path: self.path.clone(),
                reason: e.description,
            })?;
        tracing::info!(path = %self.path.display(), baud = self.baud, "keypad opened");
        self.port = Some(port);
        self.buffer.clear();
        self.last_heard = Instant::now();
        Ok(())
    }

    fn disconnect(&mut self) -> KeypadError {
        self.port = None;
        self.buffer.clear();
        tracing::warn!(path = %self.path.display(), "keypad unplugged");
        KeypadError::Unplugged {
            path: self.path.clone(),
        }
    }

    /// Reads what the port has, waiting up to `wait`. `Ok(false)` if nothing came.
    fn fill(&mut self, wait: Duration) -> Result<bool, KeypadError> {
        let Some(port) = self.port.as_mut() else {
            return Err(self.disconnect());
        };
        // The serial layer turns a zero timeout into "wait forever" semantics on
        // some systems; never ask for less than a millisecond.
        let wait = wait.max(Duration::from_millis(1));
        if let Err(e) = port.set_timeout(wait) {
            return Err(KeypadError::Setup {
                path: self.path.clone(),
                reason: e.description,
            });
        }
        let mut chunk = [0u8; BUFFER];
        let free = self.buffer.spare().len();
        let result = port.read(&mut chunk[..free]);
        let outcome = match result {
            Ok(0) => Err(()),
            Ok(n) => {
                self.buffer.spare()[..n].copy_from_slice(&chunk[..n]);
                self.buffer.filled(n);
                Ok(true)
            }
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => Ok(false),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => Ok(false),
            Err(_) => Err(()),
        };
        chunk.zeroize();
        outcome.map_err(|()| self.disconnect())
    }
}

impl Input for SerialKeypad {
    type Error = KeypadError;

    fn next(&mut self, timeout: Duration) -> Result<Option<InputEvent>, KeypadError> {
        if self.port.is_none() {
            self.connect()?;
        }
        let deadline = Instant::now() + timeout;
        // Even with a zero timeout, look at the port once.
        let mut looked = false;
        loop {
            while let Some((line, len)) = self.buffer.take_line() {
                self.last_heard = Instant::now();
                match line {
                    Line::Key(key) => return Ok(Some(InputEvent::Key(key))),
                    Line::Heartbeat | Line::Empty => {}
                    Line::Garbled => {
                        tracing::warn!(len, "keypad sent a garbled line; dropped");
                        return Err(KeypadError::Garbled { len });
                    }
                }
            }
            let now = Instant::now();
            if now >= deadline && looked {
                let silent = now.duration_since(self.last_heard);
                if silent > self.heartbeat_timeout {
                    // A partial line from before the silence is stale.
                    self.buffer.clear();
                    return Err(KeypadError::HeartbeatLost {
                        path: self.path.clone(),
                        silent_ms: silent.as_millis(),
                    });
                }
                return Ok(None);
            }
            self.fill(deadline.saturating_duration_since(now))?;
            looked = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    struct Pad {
        master: TTYPort,
        path: PathBuf,
        // Kept open so the pty stays usable until the test closes the master.
        slave: Option<TTYPort>,
    }

    fn pad() -> Pad {
        let (master, slave) = TTYPort::pair().expect("pty pair");
        let path = PathBuf::from(slave.name().expect("pty slave has a name"));
        Pad {
            master,
            path,
            slave: Some(slave),
        }
    }

    /// qemu-user (the aarch64 test runner) lacks the termios2 ioctls that set the
    /// baud rate, so opening by path fails there with ENOSYS; real kernels have
    /// them. Under emulation the protocol tests run on the pty's own slave port.
    fn emulated(err: &KeypadError) -> bool {
        matches!(err, KeypadError::Open { reason, .. } if reason.contains("not implemented"))
    }

    fn send(pad: &mut Pad, text: &[u8]) {
        pad.master.write_all(text).expect("write to pty master");
        pad.master.flush().expect("flush pty master");
    }

    /// Waits for the next event, allowing heartbeat-free polls in between.
    fn next_event(keypad: &mut SerialKeypad) -> Result<InputEvent, KeypadError> {
        for _ in 0..50 {
            if let Some(event) = keypad.next(Duration::from_millis(200))? {
                return Ok(event);
            }
        }
        panic!("no event from the keypad");
    }

    fn open(pad: &mut Pad, heartbeat: Duration) -> SerialKeypad {
        match SerialKeypad::open(&pad.path, 9600, heartbeat) {
            Ok(keypad) => keypad,
            Err(e) if emulated(&e) => {
                let slave = pad.slave.take().expect("the pty slave");
                SerialKeypad::from_port(slave, &pad.path, 9600, heartbeat)
            }
            Err(e) => panic!("open keypad: {e}"),
        }
    }

    #[test]
    fn lines_parse_per_protocol() {
        assert_eq!(parse_line(b"K0"), Line::Key(Key::Digit(0)));
        assert_eq!(parse_line(b"K9\r"), Line::Key(Key::Digit(9)));
        assert_eq!(parse_line(b"C"), Line::Key(Key::Clear));
        assert_eq!(parse_line(b"E"), Line::Key(Key::Enter));
        assert_eq!(parse_line(b"X"), Line::Key(Key::Cancel));
        assert_eq!(parse_line(b"H"), Line::Heartbeat);
        assert_eq!(parse_line(b"\r"), Line::Empty);
        for bad in [&b"K"[..], b"KA", b"K10", b"k1", b"h", b"HH", b"\x00", b" E"] {
            assert_eq!(parse_line(bad), Line::Garbled, "{bad:?}");
        }
    }

    /// The fuzz entry takes lines as the driver does, whatever the read sizes.
    #[test]
    fn fuzz_lines_splits_as_the_driver_does() {
        let stream = b"H\nK1\nK2\r\n\r\nZZZZZZZZZZZZ\nE\n";
        for seed in [0, 1, 77, 255] {
            assert_eq!(
                fuzz_lines(stream, seed),
                [
                    Line::Heartbeat,
                    Line::Key(Key::Digit(1)),
                    Line::Key(Key::Digit(2)),
                    Line::Empty,
                    Line::Garbled,
                    Line::Key(Key::Enter),
                ]
            );
        }
        let endless = [b'7'; 300];
        assert_eq!(fuzz_lines(&endless, 3), []);
    }

    #[test]
    fn keys_arrive_in_order() {
        let mut pad = pad();
        let mut keypad = open(&mut pad, Duration::from_secs(30));
        send(&mut pad, b"H\nK1\nK2\r\nK3\nC\nK4\nE\nX\n");
        let expected = [
            Key::Digit(1),
            Key::Digit(2),
            Key::Digit(3),
            Key::Clear,
            Key::Digit(4),
            Key::Enter,
            Key::Cancel,
        ];
        for key in expected {
            assert_eq!(next_event(&mut keypad).unwrap(), InputEvent::Key(key));
        }
        assert_eq!(keypad.next(Duration::from_millis(20)).unwrap(), None);
    }

    #[test]
    fn a_line_split_across_reads_is_joined() {
        let mut pad = pad();
        let mut keypad = open(&mut pad, Duration::from_secs(30));
        send(&mut pad, b"K");
        assert_eq!(keypad.next(Duration::from_millis(50)).unwrap(), None);
        send(&mut pad, b"7\n");
        assert_eq!(
            next_event(&mut keypad).unwrap(),
            InputEvent::Key(Key::Digit(7))
        );
    }

    #[test]
    fn garbage_is_reported_and_skipped() {
        let mut pad = pad();
        let mut keypad = open(&mut pad, Duration::from_secs(30));
        send(&mut pad, b"K1\nZZ\nK2\n");
        assert_eq!(
            next_event(&mut keypad).unwrap(),
            InputEvent::Key(Key::Digit(1))
        );
        let err = next_event(&mut keypad).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Garbled);
        assert!(!err.to_string().contains("ZZ"), "the line is never echoed");
        assert_eq!(
            next_event(&mut keypad).unwrap(),
            InputEvent::Key(Key::Digit(2))
        );
    }

    #[test]
    fn an_endless_line_is_garbled_once_then_keys_resume() {
        let mut pad = pad();
        let mut keypad = open(&mut pad, Duration::from_secs(30));
        send(&mut pad, &[b'7'; 200]);
        send(&mut pad, b"\nK5\n");
        let err = next_event(&mut keypad).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Garbled);
        assert_eq!(
            next_event(&mut keypad).unwrap(),
            InputEvent::Key(Key::Digit(5))
        );
    }

    #[test]
    fn heartbeat_loss_is_reported_and_recovered() {
        let mut pad = pad();
        let mut keypad = open(&mut pad, Duration::from_millis(10));
        // Nothing at all for a 100 ms wait: longer than the 10 ms heartbeat timeout.
        let err = keypad.next(Duration::from_millis(100)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotConnected);
        assert!(matches!(err, KeypadError::HeartbeatLost { .. }));
        // The pad speaks again: keys flow.
        send(&mut pad, b"H\nK8\n");
        assert_eq!(
            next_event(&mut keypad).unwrap(),
            InputEvent::Key(Key::Digit(8))
        );
    }

    #[test]
    fn a_zero_timeout_still_reads_what_is_there() {
        let mut pad = pad();
        let mut keypad = open(&mut pad, Duration::from_secs(30));
        assert_eq!(keypad.next(Duration::ZERO).unwrap(), None);
        send(&mut pad, b"K6\n");
        // Each zero-timeout call still polls the port for a millisecond.
        let event = (0..5000).find_map(|_| keypad.next(Duration::ZERO).unwrap());
        assert_eq!(event, Some(InputEvent::Key(Key::Digit(6))));
    }

    #[test]
    fn heartbeats_keep_a_quiet_pad_connected() {
        let mut pad = pad();
        let mut keypad = open(&mut pad, Duration::from_secs(30));
        send(&mut pad, b"H\nH\nH\n");
        assert_eq!(keypad.next(Duration::from_millis(50)).unwrap(), None);
    }

    #[test]
    fn unplug_is_reported_and_the_partial_line_dropped() {
        let mut pad = pad();
        let mut keypad = open(&mut pad, Duration::from_secs(30));
        send(&mut pad, b"K1\nK");
        assert_eq!(
            next_event(&mut keypad).unwrap(),
            InputEvent::Key(Key::Digit(1))
        );
        let Pad { master, .. } = pad;
        drop(master);
        let err = next_event(&mut keypad).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotConnected);
        assert!(matches!(err, KeypadError::Unplugged { .. }), "{err}");
        assert!(!keypad.is_connected());
        // The device is gone for good: reopening fails, still "not connected".
        let err = keypad.next(Duration::from_millis(10)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotConnected);
    }

    #[test]
    fn a_missing_device_is_not_connected() {
        let path = Path::new("/dev/kaonin-no-such-keypad");
        let err = SerialKeypad::open(path, 9600, DEFAULT_HEARTBEAT_TIMEOUT).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotConnected);
        let mut keypad = SerialKeypad::detached(path, 9600, DEFAULT_HEARTBEAT_TIMEOUT);
        assert!(!keypad.is_connected());
        let err = keypad.next(Duration::from_millis(10)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotConnected);
    }

    #[test]
    fn a_detached_keypad_connects_when_the_device_appears() {
        let mut pad = pad();
        let mut keypad = SerialKeypad::detached(&pad.path, 9600, Duration::from_secs(30));
        send(&mut pad, b"K4\n");
        match next_event(&mut keypad) {
            Err(e) if emulated(&e) => return,
            event => assert_eq!(event.unwrap(), InputEvent::Key(Key::Digit(4))),
        }
        assert!(keypad.is_connected());
    }

    #[test]
    fn the_buffer_is_wiped_as_lines_are_taken() {
        let mut buffer = LineBuffer::new();
        let text = b"K1\nK2";
        buffer.spare()[..text.len()].copy_from_slice(text);
        buffer.filled(text.len());
        assert_eq!(buffer.take_line(), Some((Line::Key(Key::Digit(1)), 2)));
        assert_eq!(&buffer.bytes[..2], b"K2");
        assert!(buffer.bytes[2..].iter().all(|&b| b == 0));
    }
}
