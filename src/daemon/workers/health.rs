//! Whether the device workers are alive: a worker that panics or wedges must not
//! leave a frozen terminal behind a watchdog that is still fed.
//!
//! Each worker takes its commands through [`Commands`], which keeps the worker's
//! [`Pulse`]: *waiting* while the worker blocks on its channel, *working since T*
//! from the moment it returns from it (a `try_recv` counts as a beat). [`Health`]
//! holds every pulse; a worker working for longer than the configured limit without
//! coming back to its channel is **wedged** (a card that never answers, a driver
//! stuck in the kernel). A panic is caught where the thread starts
//! ([`super::spawn_worker`]). Either way the loop is told
//! ([`Inbound::WorkerFailed`](crate::daemon::Inbound)), shows that the terminal is
//! restarting, stops feeding the systemd watchdog and exits with an error, so
//! systemd starts it again; the outbox is on disk and loses nothing.
//!
//! Test hooks ([`arm_fault`]): a worker can be made to panic or wedge at its next
//! command, from a `{"debug":…}` control line (only with `KAONIN_DEBUG_CONTROL`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvError, RecvTimeoutError, TryRecvError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How a worker failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The worker's thread panicked.
    Panicked,
    /// The worker has been busy longer than the limit without coming back.
    Wedged,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Failure::Panicked => "panicked",
            Failure::Wedged => "wedged",
        })
    }
}

/// `state` value of a worker blocked on its channel.
const WAITING: u64 = 0;

/// One worker's sign of life.
#[derive(Debug, Clone)]
pub struct Pulse {
    name: &'static str,
    epoch: Instant,
    /// [`WAITING`], or 1 + the milliseconds since `epoch` at which the worker
    /// last came back from its channel.
    state: Arc<AtomicU64>,
}

impl Pulse {
    /// The worker's name (`card`, `face`, …).
    pub fn name(&self) -> &'static str {
        self.name
    }

    fn waiting(&self) {
        self.state.store(WAITING, Ordering::Release);
    }

    fn working(&self) {
        let ms = self.epoch.elapsed().as_millis() as u64;
        self.state.store(ms + 1, Ordering::Release);
    }

    /// How long the worker has been working without coming back to its channel.
    fn busy_for(&self, now: Instant) -> Option<Duration> {
        match self.state.load(Ordering::Acquire) {
            WAITING => None,
            since => {
                let since = self.epoch + Duration::from_millis(since - 1);
                Some(now.saturating_duration_since(since))
            }
        }
    }
}

/// Every worker's pulse, and the limit past which a busy worker is wedged.
#[derive(Debug, Clone)]
pub struct Health {
    epoch: Instant,
    limit: Duration,
    pulses: Arc<Mutex<Vec<Pulse>>>,
}

impl Health {
    /// Health with `limit` as the longest a worker may stay away from its channel.
    pub fn new(limit: Duration) -> Health {
        Health {
            epoch: Instant::now(),
            limit,
            pulses: Arc::default(),
        }
    }

    /// The longest a worker may stay away from its channel.
    pub fn limit(&self) -> Duration {
        self.limit
    }

    /// A pulse for the worker `name`, watched from now on (working from now).
    pub fn pulse(&self, name: &'static str) -> Pulse {
        let pulse = Pulse {
            name,
            epoch: self.epoch,
            state: Arc::new(AtomicU64::new(WAITING)),
        };
        pulse.working();
        self.pulses
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(pulse.clone());
        pulse
    }

    /// The first worker busy for longer than the limit at `now`, if any.
    pub fn wedged_at(&self, now: Instant) -> Option<&'static str> {
        let pulses = self.pulses.lock().unwrap_or_else(|p| p.into_inner());
        pulses
            .iter()
            .find(|p| p.busy_for(now).is_some_and(|busy| busy > self.limit))
            .map(Pulse::name)
    }

    /// The first wedged worker now.
    pub fn wedged(&self) -> Option<&'static str> {
        self.wedged_at(Instant::now())
    }
}

/// A worker's command channel that keeps its pulse: the worker is waiting while
/// blocked here and working from the moment a call returns.
#[derive(Debug)]
pub struct Commands<T> {
    rx: Receiver<T>,
    pulse: Pulse,
}

impl<T> Commands<T> {
    /// Watches `rx` with `pulse`.
    pub fn new(rx: Receiver<T>, pulse: Pulse) -> Self {
        Commands { rx, pulse }
    }

    /// Blocks for the next command.
    pub fn recv(&self) -> Result<T, RecvError> {
        self.pulse.waiting();
        let got = self.rx.recv();
        self.back(got.is_ok());
        got
    }

    /// Blocks for the next command, at most `timeout`.
    pub fn recv_timeout(&self, timeout: Duration) -> Result<T, RecvTimeoutError> {
        self.pulse.waiting();
        let got = self.rx.recv_timeout(timeout);
        self.back(got.is_ok());
        got
    }

    /// The next command if there is one; a beat either way.
    pub fn try_recv(&self) -> Result<T, TryRecvError> {
        let got = self.rx.try_recv();
        self.back(got.is_ok());
        got
    }

    fn back(&self, command: bool) {
        self.pulse.working();
        if command {
            fault_point(self.pulse.name);
        }
    }
}

/// A test fault to inject into a worker at its next command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The worker panics.
    Panic,
    /// The worker never comes back to its channel.
    Wedge,
}

static ARMED: Mutex<Option<(String, Fault)>> = Mutex::new(None);

/// Arms `fault` for the worker `name` (test hook, `{"debug":…}` control lines).
pub fn arm_fault(name: &str, fault: Fault) {
    *ARMED.lock().unwrap_or_else(|p| p.into_inner()) = Some((name.to_owned(), fault));
}

/// Where an armed fault strikes: a worker taking a command.
fn fault_point(name: &str) {
    let fault = {
        let mut armed = ARMED.lock().unwrap_or_else(|p| p.into_inner());
        match armed.as_ref() {
            Some((worker, _)) if worker == name => armed.take().map(|(_, f)| f),
            _ => None,
        }
    };
    match fault {
        Some(Fault::Panic) => panic!("test fault: the {name} worker panics"),
        Some(Fault::Wedge) => {
            tracing::warn!(worker = name, "test fault: wedging this worker");
            loop {
                std::thread::park();
            }
        }
        None => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    #[test]
    fn a_worker_waiting_on_its_channel_is_never_wedged() {
        let health = Health::new(Duration::from_secs(1));
        let (_tx, rx) = mpsc::channel::<u8>();
        let commands = Commands::new(rx, health.pulse("face"));
        let _ = commands.recv_timeout(Duration::ZERO);
        commands.pulse.waiting();
        let later = Instant::now() + Duration::from_secs(3600);
        assert_eq!(health.wedged_at(later), None);
    }

    #[test]
    fn a_worker_busy_past_the_limit_is_wedged_by_name() {
        let health = Health::new(Duration::from_secs(10));
        let _card = health.pulse("card");
        let now = Instant::now();
        assert_eq!(health.wedged_at(now + Duration::from_secs(5)), None);
        assert_eq!(
            health.wedged_at(now + Duration::from_secs(11)),
            Some("card")
        );
    }

    #[test]
    fn each_return_from_the_channel_is_a_beat() {
        let health = Health::new(Duration::from_secs(1));
        let (tx, rx) = mpsc::channel::<u8>();
        let commands = Commands::new(rx, health.pulse("display"));
        // Working since the epoch: two seconds later it is wedged.
        commands.pulse.state.store(1, Ordering::Release);
        let t0 = Instant::now();
        assert_eq!(
            health.wedged_at(t0 + Duration::from_secs(2)),
            Some("display")
        );
        tx.send(1).unwrap();
        assert_eq!(commands.try_recv(), Ok(1));
        // Working since t0 at the earliest (to the millisecond): not yet wedged.
        assert_eq!(health.wedged_at(t0 + Duration::from_millis(900)), None);
    }

    #[test]
    fn an_armed_panic_strikes_only_its_worker_and_only_once() {
        let health = Health::new(Duration::from_secs(10));
        let (tx, rx) = mpsc::channel::<u8>();
        let other = {
            let (tx2, rx2) = mpsc::channel::<u8>();
            tx2.send(0).unwrap();
            (Commands::new(rx2, health.pulse("unit-other")), tx2)
        };
        arm_fault("unit-panic", Fault::Panic);
        assert_eq!(other.0.try_recv(), Ok(0), "another worker is untouched");
        let commands = Commands::new(rx, health.pulse("unit-panic"));
        tx.send(7).unwrap();
        tx.send(8).unwrap();
        let hit = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| commands.try_recv()));
        assert!(hit.is_err(), "the armed worker panics at its next command");
        assert_eq!(commands.try_recv(), Ok(8), "the fault strikes once");
    }
}
