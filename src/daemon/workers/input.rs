//! The input worker: the touchscreen or the serial PIN pad. It turns what the device
//! reports into [`Inbound::Input`], reports the device going down and coming back,
//! and drops any half-typed PIN when the device sends garbage. A device that
//! reports faster than the loop takes its events (a shorted panel, a pad stuck
//! repeating) is treated the same way: at most [`MAX_QUEUED_INPUT`] of its events wait
//! in the loop's queue, the rest are dropped and the half-typed PIN with them.

use crate::daemon::{Inbound, RETRY};
use crate::flow::Device;
use kaonin_hal::input::Error as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// How many input events may wait for the loop at once.
pub const MAX_QUEUED_INPUT: usize = 256;

/// One input event's place in the loop's queue: given back when the loop has
/// taken the event (the ticket is dropped with it).
#[derive(Debug)]
pub struct Queued(Arc<AtomicUsize>);

impl Drop for Queued {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Counts the input events in the loop's queue and refuses more than the bound.
#[derive(Debug, Default)]
struct Queue {
    waiting: Arc<AtomicUsize>,
    flooded: bool,
}

impl Queue {
    /// A ticket for one more event, or `None` while [`MAX_QUEUED_INPUT`] wait.
    fn ticket(&mut self) -> Option<Queued> {
        if self.waiting.load(Ordering::Acquire) >= MAX_QUEUED_INPUT {
            return None;
        }
        self.flooded = false;
        self.waiting.fetch_add(1, Ordering::AcqRel);
        Some(Queued(self.waiting.clone()))
    }
}

/// Runs the input device until the loop is gone.
pub fn input_worker(mut input: kaonin_hal::input::BoxedInput, tx: mpsc::UnboundedSender<Inbound>) {
    let mut ok = true;
    let mut queue = Queue::default();
    loop {
        if tx.is_closed() {
            break;
        }
        match input.next(Duration::from_millis(200)) {
            Ok(event) => {
                if !ok {
                    ok = true;
                    let _ = tx.send(Inbound::Device {
                        device: Device::Input,
                        up: true,
                    });
                }
                let Some(event) = event else { continue };
                let sent = match queue.ticket() {
                    Some(ticket) => tx.send(Inbound::Input(event, ticket)),
                    None if !std::mem::replace(&mut queue.flooded, true) => {
                        tracing::warn!("input device floods the terminal; typed digits dropped");
                        tx.send(Inbound::InputGarbled)
                    }
                    None => Ok(()),
                };
                if sent.is_err() {
                    break;
                }
            }
            Err(e) if e.kind() == kaonin_hal::input::ErrorKind::Garbled => {
                tracing::warn!("input device sent garbage; typed digits dropped");
                if tx.send(Inbound::InputGarbled).is_err() {
                    break;
                }
            }
            Err(e) => {
                if ok {
                    tracing::warn!(error = %e, "input device failed; retrying");
                    let _ = tx.send(Inbound::Device {
                        device: Device::Input,
                        up: false,
                    });
                }
                ok = false;
                std::thread::park_timeout(RETRY);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kaonin_hal::input::{ErrorKind, InputEvent, Key};

    /// A device that reports `keys` presses as fast as it is read, then is unplugged.
    struct Flood {
        keys: usize,
    }

    impl kaonin_hal::input::Input for Flood {
        type Error = ErrorKind;
        fn next(&mut self, _: Duration) -> Result<Option<InputEvent>, ErrorKind> {
            if self.keys == 0 {
                return Err(ErrorKind::NotConnected);
            }
            self.keys -= 1;
            Ok(Some(InputEvent::Key(Key::Digit(1))))
        }
    }

    #[test]
    fn a_flooding_device_fills_the_queue_only_to_its_bound() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let worker = std::thread::spawn(move || {
            input_worker(kaonin_hal::input::boxed(Flood { keys: 1000 }), tx);
        });
        let (mut inputs, mut garbled, mut tickets) = (0, 0, Vec::new());
        // The worker reports the device down after the flood: everything before it
        // is in the queue by then.
        loop {
            match rx.blocking_recv().expect("the worker runs") {
                Inbound::Input(_, ticket) => {
                    inputs += 1;
                    tickets.push(ticket);
                }
                Inbound::InputGarbled => garbled += 1,
                Inbound::Device { up: false, .. } => break,
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(inputs, MAX_QUEUED_INPUT);
        assert_eq!(garbled, 1, "one garbled notice per flood");
        drop(rx);
        drop(tickets);
        worker
            .join()
            .expect("the worker ends when the loop is gone");
    }
}
