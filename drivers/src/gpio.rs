//! The status LED and buzzer: one light pattern and tone sequence per flow moment
//! ([`Signal`]), played on Raspberry Pi GPIO pins through `rppal`.
//!
//! - [`pattern`] is the table (pure, tested on any machine): which blinks and tones
//!   each signal gets.
//! - [`play`] runs a pattern on any [`Outputs`] with an injected wait, so the timing
//!   logic is tested without a Pi and without sleeping.
//! - [`PatternIndicator`] plays patterns on its own thread, so
//!   [`Indicator::signal`] never blocks the flow loop; a new signal cuts the current
//!   pattern short.
//! - [`open_gpio_indicator`] opens the pins. It works only in builds with the `gpio`
//!   feature for an ARM target; elsewhere it returns [`GpioError::Unavailable`], so
//!   desktops never need a Pi.
//! - [`LogIndicator`] logs each signal at debug level, for desktops without a mock.

use kaonin_hal::indicator::{
    BoxedIndicator, Error as IndicatorError, ErrorKind, Indicator, Signal,
};
use std::sync::mpsc;
use std::time::Duration;

/// One step of a pattern: the LED state and the buzzer tone for `ms` milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    /// LED lit.
    pub led: bool,
    /// Buzzer tone in Hz (`None`: silent).
    pub tone_hz: Option<u32>,
    /// How long, in milliseconds.
    pub ms: u32,
}

const fn lit(ms: u32) -> Step {
    Step {
        led: true,
        tone_hz: None,
        ms,
    }
}

const fn dark(ms: u32) -> Step {
    Step {
        led: false,
        tone_hz: None,
        ms,
    }
}

/// A beep: LED dark (so the tone is also seen as a blink) and a tone.
const fn beep(hz: u32, ms: u32) -> Step {
    Step {
        led: false,
        tone_hz: Some(hz),
        ms,
    }
}

/// What a signal looks and sounds like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pattern {
    /// Played once.
    pub steps: &'static [Step],
    /// Then played over and over until the next signal (empty: none).
    pub repeat: &'static [Step],
    /// The LED state held after `steps` when nothing repeats (the buzzer is silent).
    pub rest_led: bool,
}

const CARD_DETECTED: [Step; 1] = [beep(2000, 80)];
const SUCCESS: [Step; 3] = [beep(1568, 120), lit(40), beep(2093, 200)];
const TRY_AGAIN: [Step; 3] = [beep(880, 150), lit(100), beep(880, 150)];
const LOCKED: [Step; 1] = [beep(440, 600)];
const SLOW_BLINK: [Step; 2] = [dark(500), lit(500)];
const STAFF_NEEDED: [Step; 5] = [
    beep(1000, 200),
    lit(150),
    beep(1000, 200),
    lit(150),
    beep(1000, 200),
];
const FAST_BLINK: [Step; 2] = [dark(250), lit(250)];

/// The pattern table. The LED rests lit while the terminal is usable; a beep is a
/// short dark blink with a tone; the two moments that need a person (PIN locked,
/// staff needed) keep blinking until the next signal.
pub const fn pattern(signal: Signal) -> Pattern {
    let (steps, repeat): (&'static [Step], &'static [Step]) = match signal {
        // Steady light, silent: the terminal waits for the next patient.
        Signal::Ready => (&[], &[]),
        // One short high beep: "got your card".
        Signal::CardDetected => (&CARD_DETECTED, &[]),
        // Two rising tones (G6, C7): "done".
        Signal::Success => (&SUCCESS, &[]),
        // Two low beeps: "once more, please".
        Signal::TryAgain => (&TRY_AGAIN, &[]),
        // One long low tone, then a slow blink until the session ends.
        Signal::Locked => (&LOCKED, &SLOW_BLINK),
        // Three beeps, then a fast blink until staff have dealt with it.
        Signal::StaffNeeded => (&STAFF_NEEDED, &FAST_BLINK),
    };
    Pattern {
        steps,
        repeat,
        rest_led: true,
    }
}

/// Every signal, for tables and tests.
pub const SIGNALS: [Signal; 6] = [
    Signal::Ready,
    Signal::CardDetected,
    Signal::Success,
    Signal::TryAgain,
    Signal::Locked,
    Signal::StaffNeeded,
];

/// Why the GPIO indicator failed.
#[derive(Debug, thiserror::Error)]
pub enum GpioError {
    /// No GPIO here: not a Raspberry Pi, no `/dev/gpiomem`, or a build without the
    /// `gpio` feature for an ARM target.
    #[error("GPIO unavailable: {0}")]
    Unavailable(String),
    /// A pin could not be claimed or driven.
    #[error("GPIO pin {pin}: {reason}")]
    Pin {
        /// BCM pin number.
        pin: u8,
        /// What went wrong.
        reason: String,
    },
    /// The player thread is gone.
    #[error("indicator thread stopped")]
    Stopped,
}

impl IndicatorError for GpioError {
    fn kind(&self) -> ErrorKind {
        match self {
            GpioError::Unavailable(_) => ErrorKind::NotConnected,
            GpioError::Pin { .. } | GpioError::Stopped => ErrorKind::Other,
        }
    }
}

/// The LED and buzzer lines a pattern drives.
pub trait Outputs: Send + 'static {
    /// Sets the LED and the buzzer tone (`None`: silent).
    fn set(&mut self, led: bool, tone_hz: Option<u32>) -> Result<(), GpioError>;
}

/// Plays `pattern` on `out`. `wait(d)` waits up to `d` and returns `true` when the
/// pattern must stop (a new signal came). Returns `true` if it was cut short. A
/// repeating pattern only ends that way.
pub fn play<O: Outputs + ?Sized>(
    pattern: &Pattern,
    out: &mut O,
    mut wait: impl FnMut(Duration) -> bool,
) -> Result<bool, GpioError> {
    let mut run = |steps: &[Step], out: &mut O| -> Result<bool, GpioError> {
        for step in steps {
            out.set(step.led, step.tone_hz)?;
            if wait(Duration::from_millis(u64::from(step.ms))) {
                return Ok(true);
            }
        }
        Ok(false)
    };
    if run(pattern.steps, out)? {
        return Ok(true);
    }
    if pattern.repeat.is_empty() {
        out.set(pattern.rest_led, None)?;
        return Ok(false);
    }
    loop {
        if run(pattern.repeat, out)? {
            return Ok(true);
        }
    }
}

/// An indicator that plays [`pattern`]s on `O` from its own thread.
pub struct PatternIndicator {
    tx: Option<mpsc::Sender<Signal>>,
    worker: Option<std::thread::JoinHandle<()>>,
}

impl PatternIndicator {
    /// Starts the player thread on `outputs`.
    pub fn start<O: Outputs>(outputs: O) -> PatternIndicator {
        let (tx, rx) = mpsc::channel();
        let worker = std::thread::Builder::new()
            .name("kaonin-indicator".into())
            .spawn(move || player(rx, outputs))
            .ok();
        if worker.is_none() {
            tracing::error!("could not start the indicator thread");
        }
        PatternIndicator {
            tx: Some(tx),
            worker,
        }
    }
}

impl Indicator for PatternIndicator {
    type Error = GpioError;

    fn signal(&mut self, signal: Signal) -> Result<(), GpioError> {
        let tx = self.tx.as_ref().ok_or(GpioError::Stopped)?;
        tx.send(signal).map_err(|_| GpioError::Stopped)
    }
}

impl Drop for PatternIndicator {
    /// Stops the thread, which turns the LED and buzzer off.
    fn drop(&mut self) {
        self.tx = None;
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}

fn player<O: Outputs>(rx: mpsc::Receiver<Signal>, mut out: O) {
    let mut next = rx.recv().ok();
    let mut failing = false;
    while let Some(signal) = next.take() {
        let mut stop = false;
        let result = play(&pattern(signal), &mut out, |d| {
            match rx.recv_timeout(d) {
                Ok(newer) => next = Some(newer),
                Err(mpsc::RecvTimeoutError::Timeout) => return false,
                Err(mpsc::RecvTimeoutError::Disconnected) => stop = true,
            }
            true
        });
        match result {
            Err(e) if !failing => {
                tracing::warn!(error = %e, "indicator output failed");
                failing = true;
            }
            Err(_) => {}
            Ok(_) => failing = false,
        }
        if stop {
            break;
        }
        if next.is_none() {
            next = rx.recv().ok();
        }
    }
    let _ = out.set(false, None);
}

/// How the buzzer makes a sound.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BuzzerKind {
    /// A passive piezo: driven with a square wave at the tone's frequency.
    #[default]
    Passive,
    /// An active buzzer with its own oscillator: on or off, one pitch.
    Active,
}

/// The pins of the indicator (BCM numbering).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GpioPins {
    /// The status LED (lit when high).
    pub led: u8,
    /// The buzzer, if fitted.
    pub buzzer: Option<u8>,
    /// What kind of buzzer.
    pub buzzer_kind: BuzzerKind,
}

/// Opens the LED and buzzer pins and starts the pattern player.
pub fn open_gpio_indicator(pins: &GpioPins) -> Result<BoxedIndicator, GpioError> {
    pi::open(pins).map(kaonin_hal::indicator::boxed)
}

#[cfg(all(feature = "gpio", any(target_arch = "aarch64", target_arch = "arm")))]
mod pi {
    //! The rppal back end.

    use super::{BuzzerKind, GpioError, GpioPins, Outputs, PatternIndicator};
    use rppal::gpio::{Gpio, OutputPin};

    struct PiOutputs {
        led: OutputPin,
        buzzer: Option<(u8, OutputPin)>,
        kind: BuzzerKind,
        tone: Option<u32>,
    }

    fn claim(gpio: &Gpio, pin: u8) -> Result<OutputPin, GpioError> {
        gpio.get(pin)
            .map(|p| p.into_output_low())
            .map_err(|e| GpioError::Pin {
                pin,
                reason: e.to_string(),
            })
    }

    pub(super) fn open(pins: &GpioPins) -> Result<PatternIndicator, GpioError> {
        let gpio = Gpio::new().map_err(|e| GpioError::Unavailable(e.to_string()))?;
        let led = claim(&gpio, pins.led)?;
        let buzzer = match pins.buzzer {
            Some(pin) => Some((pin, claim(&gpio, pin)?)),
            None => None,
        };
        Ok(PatternIndicator::start(PiOutputs {
            led,
            buzzer,
            kind: pins.buzzer_kind,
            tone: None,
        }))
    }

    impl Outputs for PiOutputs {
        fn set(&mut self, led: bool, tone_hz: Option<u32>) -> Result<(), GpioError> {
            if led {
                self.led.set_high();
            } else {
                self.led.set_low();
            }
            if self.tone == tone_hz {
                return Ok(());
            }
            self.tone = tone_hz;
            let Some((pin, buzzer)) = self.buzzer.as_mut() else {
                return Ok(());
            };
            let fail = |e: rppal::gpio::Error| GpioError::Pin {
                pin: *pin,
                reason: e.to_string(),
            };
            match (self.kind, tone_hz) {
                (BuzzerKind::Passive, Some(hz)) => {
                    buzzer.set_pwm_frequency(f64::from(hz), 0.5).map_err(fail)
                }
                (BuzzerKind::Passive, None) => {
                    let result = buzzer.clear_pwm().map_err(fail);
                    buzzer.set_low();
                    result
                }
                (BuzzerKind::Active, Some(_)) => {
                    buzzer.set_high();
                    Ok(())
                }
                (BuzzerKind::Active, None) => {
                    buzzer.set_low();
                    Ok(())
                }
            }
        }
    }
}

#[cfg(not(all(feature = "gpio", any(target_arch = "aarch64", target_arch = "arm"))))]
mod pi {
    //! Builds without GPIO support.

    use super::{GpioError, GpioPins, PatternIndicator};

    pub(super) fn open(_pins: &GpioPins) -> Result<PatternIndicator, GpioError> {
        Err(GpioError::Unavailable(
            "this build has no GPIO support (needs the `gpio` feature and an ARM target)".into(),
        ))
    }
}

/// An indicator that only logs the signals (debug level): for desktops.
#[derive(Debug, Default, Clone, Copy)]
pub struct LogIndicator;

impl Indicator for LogIndicator {
    type Error = ErrorKind;

    fn signal(&mut self, signal: Signal) -> Result<(), ErrorKind> {
        tracing::debug!(?signal, "indicator");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::Receiver;

    /// One call to [`Outputs::set`].
    type Set = (bool, Option<u32>);

    #[derive(Default)]
    struct Recorded(Vec<Set>);

    impl Outputs for Recorded {
        fn set(&mut self, led: bool, tone_hz: Option<u32>) -> Result<(), GpioError> {
            self.0.push((led, tone_hz));
            Ok(())
        }
    }

    struct Channel(mpsc::Sender<Set>);

    impl Outputs for Channel {
        fn set(&mut self, led: bool, tone_hz: Option<u32>) -> Result<(), GpioError> {
            let _ = self.0.send((led, tone_hz));
            Ok(())
        }
    }

    fn tones(signal: Signal) -> Vec<u32> {
        pattern(signal)
            .steps
            .iter()
            .chain(pattern(signal).repeat)
            .filter_map(|s| s.tone_hz)
            .collect()
    }

    /// Plays `signal` without waiting; a repeating pattern is cut after `cycles`
    /// passes of its loop.
    fn played(signal: Signal, cycles: usize) -> (Vec<Set>, Vec<u32>, bool) {
        let mut out = Recorded::default();
        let mut waits = Vec::new();
        let p = pattern(signal);
        let limit = p.steps.len() + cycles * p.repeat.len();
        let cut = play(&p, &mut out, |d| {
            waits.push(d.as_millis() as u32);
            waits.len() >= limit && !p.repeat.is_empty()
        })
        .unwrap();
        (out.0, waits, cut)
    }

    #[test]
    fn every_signal_sounds_and_looks_different() {
        for (i, a) in SIGNALS.iter().enumerate() {
            for b in &SIGNALS[i + 1..] {
                assert_ne!(pattern(*a), pattern(*b), "{a:?} vs {b:?}");
                assert_ne!(tones(*a), tones(*b), "{a:?} and {b:?} sound the same");
            }
        }
    }

    #[test]
    fn ready_is_silent_and_steady() {
        let (out, waits, cut) = played(Signal::Ready, 0);
        assert_eq!(out, vec![(true, None)]);
        assert!(waits.is_empty());
        assert!(!cut);
    }

    #[test]
    fn success_plays_two_rising_tones_then_rests_lit() {
        let (out, waits, cut) = played(Signal::Success, 0);
        assert_eq!(
            out,
            vec![
                (false, Some(1568)),
                (true, None),
                (false, Some(2093)),
                (true, None)
            ]
        );
        assert_eq!(waits, vec![120, 40, 200]);
        assert!(!cut);
    }

    #[test]
    fn attention_signals_blink_until_the_next_signal() {
        for signal in [Signal::Locked, Signal::StaffNeeded] {
            let p = pattern(signal);
            assert!(!p.repeat.is_empty(), "{signal:?}");
            let (out, _, cut) = played(signal, 3);
            assert!(cut, "{signal:?} only ends when interrupted");
            assert_eq!(out.len(), p.steps.len() + 3 * p.repeat.len());
            let blinks = &out[p.steps.len()..];
            assert!(
                blinks.iter().all(|(_, tone)| tone.is_none()),
                "silent blink"
            );
            assert!(blinks.iter().any(|(led, _)| *led) && blinks.iter().any(|(led, _)| !*led));
        }
        for signal in [
            Signal::Ready,
            Signal::CardDetected,
            Signal::Success,
            Signal::TryAgain,
        ] {
            assert!(pattern(signal).repeat.is_empty(), "{signal:?}");
        }
    }

    #[test]
    fn one_shot_patterns_are_short() {
        for signal in SIGNALS {
            let total: u32 = pattern(signal).steps.iter().map(|s| s.ms).sum();
            assert!(total <= 1500, "{signal:?} takes {total} ms before it rests");
        }
    }

    #[test]
    fn a_face_reception_sounds_card_then_success() {
        // The signals the flow emits on the face path, in order.
        let path = [
            Signal::Ready,
            Signal::CardDetected,
            Signal::Success,
            Signal::Ready,
        ];
        let sounds: Vec<u32> = path.iter().flat_map(|s| tones(*s)).collect();
        assert_eq!(sounds, vec![2000, 1568, 2093]);
    }

    fn recv_n(rx: &Receiver<Set>, n: usize) -> Vec<Set> {
        (0..n).map(|_| rx.recv().expect("player output")).collect()
    }

    #[test]
    fn the_player_thread_cuts_a_blink_short_for_the_next_signal() {
        let (tx, rx) = mpsc::channel();
        let mut indicator = PatternIndicator::start(Channel(tx));
        indicator.signal(Signal::StaffNeeded).unwrap();
        let p = pattern(Signal::StaffNeeded);
        // The whole intro and the first blink step have been played.
        let seen = recv_n(&rx, p.steps.len() + 1);
        assert_eq!(seen[0], (false, Some(1000)));
        assert_eq!(seen[p.steps.len()], (false, None));
        indicator.signal(Signal::Ready).unwrap();
        drop(indicator);
        let rest: Vec<_> = rx.iter().collect();
        // Ready rests lit, then the thread turns everything off as it stops.
        assert_eq!(rest[rest.len() - 2..], [(true, None), (false, None)]);
    }

    #[test]
    fn off_a_raspberry_pi_opening_says_unavailable() {
        // Without GPIO support in the build, or on a machine that is not a Pi
        // (rppal says "Unknown Raspberry Pi model", also under qemu-user).
        let model = std::fs::read_to_string("/proc/device-tree/model").unwrap_or_default();
        if model.contains("Raspberry Pi") {
            return;
        }
        let pins = GpioPins {
            led: 17,
            buzzer: Some(18),
            buzzer_kind: BuzzerKind::Passive,
        };
        let err = open_gpio_indicator(&pins)
            .err()
            .expect("no GPIO in this build");
        assert_eq!(err.kind(), ErrorKind::NotConnected);
    }

    #[test]
    fn the_log_indicator_accepts_every_signal() {
        let mut log = LogIndicator;
        for signal in SIGNALS {
            assert_eq!(log.signal(signal), Ok(()));
        }
    }
}
