//! Timers: the flow's timers (`Action::StartTimer`, answered by
//! `Event::TimerFired` through the loop's channel) and the systemd watchdog's
//! ticks. Both are tokio tasks that only send to the loop.

use super::{notify, Inbound};
use crate::flow::{Event, TimerToken};
use std::time::Duration;
use tokio::sync::mpsc::UnboundedSender;

/// Starts the flow's timers.
pub struct Timers {
    tx: UnboundedSender<Inbound>,
}

impl Timers {
    /// Timers that fire into the loop's channel `tx`.
    pub fn new(tx: UnboundedSender<Inbound>) -> Timers {
        Timers { tx }
    }

    /// Sends `Event::TimerFired(token)` to the loop after `after`.
    pub fn start(&self, token: TimerToken, after: Duration) {
        let tx = self.tx.clone();
        tokio::spawn(async move {
            tokio::time::sleep(after).await;
            let _ = tx.send(Inbound::Flow(Event::TimerFired(token)));
        });
    }
}

/// Under systemd with a watchdog: sends [`Inbound::Watchdog`] to the loop at half
/// the watchdog period, so a wedged loop stops the pings and systemd restarts the
/// service.
pub fn start_watchdog(tx: UnboundedSender<Inbound>) {
    if let Some(every) = notify::watchdog_interval() {
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(every);
            loop {
                ticks.tick().await;
                if tx.send(Inbound::Watchdog).is_err() {
                    break;
                }
            }
        });
    }
}

/// Sends [`Inbound::HealthCheck`] to the loop a few times per `limit`, so a
/// worker wedged for longer than `limit` is noticed soon after.
pub fn start_health_checks(tx: UnboundedSender<Inbound>, limit: Duration) {
    let every = (limit / 4).max(Duration::from_millis(100));
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            if tx.send(Inbound::HealthCheck).is_err() {
                break;
            }
        }
    });
}
