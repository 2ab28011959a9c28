//! The input worker: the touchscreen or the serial PIN pad. It turns what the device
//! reports into [`Inbound::Input`], reports the device going down and coming back,
//! and drops any half-typed PIN when the device sends garbage.

use crate::daemon::{Inbound, RETRY};
use crate::flow::Device;
use kaonin_hal::input::Error as _;
use std::time::Duration;
use tokio::sync::mpsc;

/// Runs the input device until the loop is gone.
pub fn input_worker(mut input: kaonin_hal::input::BoxedInput, tx: mpsc::UnboundedSender<Inbound>) {
    let mut ok = true;
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
                if let Some(event) = event {
                    if tx.send(Inbound::Input(event)).is_err() {
                        break;
                    }
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
