//! The `[board]` section of the configuration (an extension of CONTRACT §2): what a
//! Raspberry Pi-class board adds — the status LED and buzzer on GPIO, the serial
//! PIN pad, and the loopback metrics port. Every key has a default; a file only
//! needs what differs:
//!
//! ```toml
//! [board]
//! indicator = "gpio"          # "mock" | "log" | "gpio"
//! worker_timeout_s = 60       # a device worker busy this long is wedged: restart
//!
//! [board.gpio]
//! led_pin = 17                # BCM numbers
//! buzzer_pin = 18             # -1: no buzzer
//! buzzer = "passive"          # "passive" (piezo, tones) | "active" (one pitch)
//!
//! [board.keypad]              # used when input.kind = "serial-keypad"
//! device = "/dev/serial0"
//! baud = 9600
//! heartbeat_timeout_ms = 3000
//!
//! [board.metrics]
//! listen = ""                 # e.g. "127.0.0.1:9464"; "" = off; loopback only
//! ```

use kaonin_drivers::gpio::{BuzzerKind, GpioPins};
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Which indicator driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IndicatorKind {
    /// The recording mock (desktop, tests; the control socket can read it).
    Mock,
    /// Log each signal at debug level.
    Log,
    /// LED and buzzer on GPIO (needs a build with the `gpio` feature on ARM).
    Gpio,
}

/// `[board]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BoardConfig {
    /// The indicator driver.
    pub indicator: IndicatorKind,
    /// A device worker away from its commands this long (a card that never
    /// answers, a driver stuck in the kernel) is wedged: the terminal shows that it
    /// is restarting and exits for systemd to start it again.
    pub worker_timeout_s: u64,
    /// `[board.gpio]`.
    pub gpio: GpioConfig,
    /// `[board.keypad]`.
    pub keypad: KeypadConfig,
    /// `[board.metrics]`.
    pub metrics: MetricsConfig,
}

impl Default for BoardConfig {
    fn default() -> Self {
        BoardConfig {
            indicator: IndicatorKind::Mock,
            worker_timeout_s: 60,
            gpio: GpioConfig::default(),
            keypad: KeypadConfig::default(),
            metrics: MetricsConfig::default(),
        }
    }
}

/// How the buzzer makes its sound (config spelling of [`BuzzerKind`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Buzzer {
    /// A passive piezo, driven at each tone's frequency.
    Passive,
    /// An active buzzer: on or off, one pitch.
    Active,
}

/// `[board.gpio]`: BCM pin numbers.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GpioConfig {
    /// The status LED.
    pub led_pin: u8,
    /// The buzzer; -1 when none is fitted.
    pub buzzer_pin: i16,
    /// The kind of buzzer.
    pub buzzer: Buzzer,
}

impl Default for GpioConfig {
    fn default() -> Self {
        GpioConfig {
            led_pin: 17,
            buzzer_pin: 18,
            buzzer: Buzzer::Passive,
        }
    }
}

impl GpioConfig {
    /// The pins for [`kaonin_drivers::gpio::open_gpio_indicator`].
    pub fn pins(&self) -> GpioPins {
        GpioPins {
            led: self.led_pin,
            buzzer: u8::try_from(self.buzzer_pin).ok(),
            buzzer_kind: match self.buzzer {
                Buzzer::Passive => BuzzerKind::Passive,
                Buzzer::Active => BuzzerKind::Active,
            },
        }
    }
}

/// `[board.keypad]`: the serial PIN pad (`input.kind = "serial-keypad"`).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KeypadConfig {
    /// The serial device (`/dev/serial0` is the Pi's primary UART; a USB adapter
    /// is better named by `/dev/serial/by-id/…`).
    pub device: PathBuf,
    /// Baud rate (8N1, no flow control).
    pub baud: u32,
    /// Silence after which the pad counts as unplugged, milliseconds (the pad
    /// sends a heartbeat every second).
    pub heartbeat_timeout_ms: u64,
}

impl Default for KeypadConfig {
    fn default() -> Self {
        KeypadConfig {
            device: PathBuf::from("/dev/serial0"),
            baud: 9600,
            heartbeat_timeout_ms: 3000,
        }
    }
}

impl KeypadConfig {
    /// The heartbeat timeout.
    pub fn heartbeat_timeout(&self) -> Duration {
        Duration::from_millis(self.heartbeat_timeout_ms)
    }
}

/// `[board.metrics]`: the Prometheus endpoint.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsConfig {
    /// `HOST:PORT` on loopback; empty: no endpoint (the default).
    pub listen: String,
}

impl MetricsConfig {
    /// The address to serve on, or `None` when off. Call after validation.
    pub fn addr(&self) -> Option<SocketAddr> {
        self.listen.parse().ok()
    }
}

/// Baud rates a UART PIN pad may use.
pub const BAUD_RATES: [u32; 7] = [1200, 2400, 4800, 9600, 19200, 38400, 115200];

impl BoardConfig {
    /// How long a device worker may stay busy before it is taken as wedged.
    pub fn worker_timeout(&self) -> Duration {
        Duration::from_secs(self.worker_timeout_s)
    }

    /// Checks values that parse but cannot work: (dotted key, reason).
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        if !(1..=3600).contains(&self.worker_timeout_s) {
            return Err((
                "board.worker_timeout_s",
                "must be 1 to 3600 seconds (longer than any card read or face attempt)".into(),
            ));
        }
        let g = &self.gpio;
        if g.led_pin > 27 {
            return Err(("board.gpio.led_pin", "must be a BCM pin 0 to 27".into()));
        }
        if !(-1..=27).contains(&g.buzzer_pin) {
            return Err((
                "board.gpio.buzzer_pin",
                "must be a BCM pin 0 to 27, or -1 for none".into(),
            ));
        }
        if i16::from(g.led_pin) == g.buzzer_pin {
            return Err((
                "board.gpio.buzzer_pin",
                "must differ from board.gpio.led_pin".into(),
            ));
        }
        let k = &self.keypad;
        if !BAUD_RATES.contains(&k.baud) {
            return Err((
                "board.keypad.baud",
                format!("must be one of {BAUD_RATES:?}"),
            ));
        }
        if !(1500..=60_000).contains(&k.heartbeat_timeout_ms) {
            return Err((
                "board.keypad.heartbeat_timeout_ms",
                "must be 1500 to 60000 (the pad beats every 1000 ms)".into(),
            ));
        }
        if k.device.as_os_str().is_empty() {
            return Err(("board.keypad.device", "must not be empty".into()));
        }
        let listen = self.metrics.listen.trim();
        if !listen.is_empty() {
            let addr: SocketAddr = listen.parse().map_err(|_| {
                (
                    "board.metrics.listen",
                    "must be HOST:PORT with an IP address, e.g. 127.0.0.1:9464".to_owned(),
                )
            })?;
            if !addr.ip().is_loopback() {
                return Err((
                    "board.metrics.listen",
                    "must be a loopback address (127.0.0.1 or ::1)".into(),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Doc {
        #[serde(default)]
        board: BoardConfig,
    }

    fn parse(text: &str) -> Result<BoardConfig, String> {
        let doc: Doc = toml::from_str(text).map_err(|e| e.to_string())?;
        doc.board
            .validate()
            .map_err(|(key, reason)| format!("{key}: {reason}"))?;
        Ok(doc.board)
    }

    #[test]
    fn a_worker_timeout_outside_its_range_is_refused() {
        for text in [
            "[board]\nworker_timeout_s = 0",
            "[board]\nworker_timeout_s = 3601",
        ] {
            let err = parse(text).unwrap_err();
            assert!(err.starts_with("board.worker_timeout_s:"), "{err}");
        }
        assert_eq!(
            parse("[board]\nworker_timeout_s = 5")
                .unwrap()
                .worker_timeout_s,
            5
        );
    }

    #[test]
    fn defaults_are_valid_and_metrics_off() {
        let board = parse("").unwrap();
        assert_eq!(board.indicator, IndicatorKind::Mock);
        assert_eq!(board.metrics.addr(), None);
        assert_eq!(board.keypad.heartbeat_timeout(), Duration::from_secs(3));
        let pins = board.gpio.pins();
        assert_eq!((pins.led, pins.buzzer), (17, Some(18)));
    }

    #[test]
    fn the_documented_example_parses() {
        let text = r#"
[board]
indicator = "gpio"
[board.gpio]
led_pin = 5
buzzer_pin = -1
buzzer = "active"
[board.keypad]
device = "/dev/ttyUSB0"
baud = 115200
heartbeat_timeout_ms = 5000
[board.metrics]
listen = "127.0.0.1:9464"
"#;
        let board = parse(text).unwrap();
        assert_eq!(board.indicator, IndicatorKind::Gpio);
        assert_eq!(board.gpio.pins().buzzer, None);
        assert_eq!(board.gpio.pins().buzzer_kind, BuzzerKind::Active);
        assert_eq!(board.keypad.baud, 115200);
        assert_eq!(
            board.metrics.addr(),
            Some("127.0.0.1:9464".parse().unwrap())
        );
    }

    #[test]
    fn the_packaged_config_has_a_valid_board_section() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/packaging/kaonin.toml");
        let text = std::fs::read_to_string(path).unwrap();
        let mut table: toml::Table = toml::from_str(&text).unwrap();
        let board = table.remove("board").expect("a [board] section");
        let board: BoardConfig = board.try_into().unwrap();
        board.validate().unwrap();
        assert_eq!(board.indicator, IndicatorKind::Gpio);
        assert_eq!(board.metrics.addr(), None, "metrics are off by default");
    }

    #[test]
    fn impossible_values_name_their_key() {
        for (text, key) in [
            ("[board.gpio]\nled_pin = 40", "board.gpio.led_pin"),
            ("[board.gpio]\nled_pin = 18", "board.gpio.buzzer_pin"),
            ("[board.gpio]\nbuzzer_pin = 99", "board.gpio.buzzer_pin"),
            ("[board.keypad]\nbaud = 1234", "board.keypad.baud"),
            (
                "[board.keypad]\nheartbeat_timeout_ms = 100",
                "board.keypad.heartbeat_timeout_ms",
            ),
            (
                "[board.metrics]\nlisten = \"0.0.0.0:9464\"",
                "board.metrics.listen",
            ),
            (
                "[board.metrics]\nlisten = \"localhost:9464\"",
                "board.metrics.listen",
            ),
        ] {
            let err = parse(text).unwrap_err();
            assert!(err.starts_with(key), "{text}: {err}");
        }
        assert!(parse("[board]\nindicator = \"lamp\"").is_err());
        assert!(parse("[board.gpio]\nled = 3").is_err());
    }
}
