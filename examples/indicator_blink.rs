//! Blinks the status LED and sounds the buzzer: each moment of a reception
//! ([`Signal`]) played with the pattern table of `kaonin_drivers::gpio`, one after
//! the other. On a Raspberry Pi built with the `gpio` feature it drives the real pins;
//! anywhere else (or with `--console`) the same player drives a console "LED" that
//! prints every step, so the timing can be watched on a desktop.
//!
//! Needs: nothing on a desktop. On a Pi: the `gpio` feature, an LED on BCM 17 and a
//! passive buzzer on BCM 18 (change `PINS` below), and access to /dev/gpiomem.
//!
//! ```sh
//! cargo run --example indicator_blink                         # every signal, console
//! cargo run --example indicator_blink -- success try_again    # just these
//! cargo run --example indicator_blink -- --console locked     # console even on a Pi
//! cargo run --example indicator_blink --features gpio         # on the Pi: the pins
//! ```

use kaonin_drivers::gpio::{open_gpio_indicator, BuzzerKind, GpioError, GpioPins, Outputs};
use kaonin_drivers::gpio::{pattern, PatternIndicator, SIGNALS};
use kaonin_hal::indicator::{boxed, BoxedIndicator, Signal};
use std::time::{Duration, Instant};

const PINS: GpioPins = GpioPins {
    led: 17,
    buzzer: Some(18),
    buzzer_kind: BuzzerKind::Passive,
};

/// The console stand-in for the LED and buzzer pins.
struct Console(Instant);

impl Outputs for Console {
    fn set(&mut self, led: bool, tone_hz: Option<u32>) -> Result<(), GpioError> {
        let led = if led { "LED on " } else { "LED off" };
        let tone = tone_hz.map_or("silent".to_owned(), |hz| format!("tone {hz} Hz"));
        println!("{:>6} ms  {led}  {tone}", self.0.elapsed().as_millis());
        Ok(())
    }
}

fn signal_named(name: &str) -> Option<Signal> {
    SIGNALS
        .into_iter()
        .find(|s| format!("{s:?}").eq_ignore_ascii_case(&name.replace('_', "")))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut names: Vec<String> = std::env::args().skip(1).collect();
    let console = names.first().is_some_and(|a| a == "--console");
    if console {
        names.remove(0);
    }
    let signals: Vec<Signal> = if names.is_empty() {
        SIGNALS.to_vec()
    } else {
        names
            .iter()
            .map(|n| signal_named(n).ok_or_else(|| format!("unknown signal {n:?}")))
            .collect::<Result<_, _>>()?
    };
    let gpio = if console {
        Err(GpioError::Unavailable("--console".into()))
    } else {
        open_gpio_indicator(&PINS)
    };
    let mut indicator: BoxedIndicator = match gpio {
        Ok(pins) => pins,
        Err(GpioError::Unavailable(why)) => {
            println!("console indicator ({why})");
            boxed(PatternIndicator::start(Console(Instant::now())))
        }
        Err(e) => return Err(e.into()),
    };
    for signal in signals {
        let p = pattern(signal);
        println!("-- {signal:?}");
        indicator.signal(signal).map_err(|e| e.to_string())?;
        // Let the pattern play out; a repeating one (Locked, StaffNeeded) twice round.
        let once: u32 = p.steps.iter().map(|s| s.ms).sum();
        let again: u32 = p.repeat.iter().map(|s| s.ms).sum();
        std::thread::sleep(Duration::from_millis(u64::from(once + 2 * again + 100)));
    }
    Ok(())
}
