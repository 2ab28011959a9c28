//! Relays from the PC link and the control socket into the loop's channel, bounded.
//!
//! The loop's own channel (`Inbound`) has no capacity: the device workers answer only
//! the loop's commands, one at a time, and the input worker holds its own bound. The
//! two peers that can talk unasked — the PC and a control client — are relayed here:
//! each relay holds [`RELAY_DEPTH`] places, a message waits in the loop's channel only
//! with a place ([`Place`], given back when the loop drops it), and while every place
//! is taken the relay stops taking from its source. The sources (the link client, the
//! control server) then wait on their own 64-deep channels, and so stop reading from
//! their sockets: a flooding peer is slowed, nothing it sent is dropped, and the
//! channel to the loop never holds more than the bound.

use crate::daemon::Inbound;
use std::sync::Arc;
use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore};

/// How many messages of one relay may wait for the loop at once.
pub const RELAY_DEPTH: usize = 64;

/// A relayed message's place in the loop's queue: given back when dropped.
#[derive(Debug)]
pub struct Place(#[allow(dead_code)] OwnedSemaphorePermit);

/// Moves what comes out of `source` into the loop's channel as `wrap(message,
/// place)`, waiting for a free place first. Ends when either side closes.
pub fn spawn<T: Send + 'static>(
    mut source: mpsc::Receiver<T>,
    tx: mpsc::UnboundedSender<Inbound>,
    wrap: fn(T, Place) -> Inbound,
) -> tokio::task::JoinHandle<()> {
    let places = Arc::new(Semaphore::new(RELAY_DEPTH));
    tokio::spawn(async move {
        loop {
            let Ok(permit) = places.clone().acquire_owned().await else {
                break;
            };
            let Some(message) = source.recv().await else {
                break;
            };
            if tx.send(wrap(message, Place(permit))).is_err() {
                break;
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::Event;
    use std::time::Duration;

    fn wrap(event: Event, place: Place) -> Inbound {
        Inbound::Link(event, place)
    }

    /// With the clock paused, a `timeout` fires only once every task is blocked: if
    /// it fires, the relay had nothing more it could do.
    async fn blocked(rx: &mut mpsc::UnboundedReceiver<Inbound>) -> bool {
        tokio::time::timeout(Duration::from_secs(3600), rx.recv())
            .await
            .is_err()
    }

    #[tokio::test(start_paused = true)]
    async fn a_flooding_peer_waits_once_the_loop_holds_the_bound() {
        let (source_tx, source) = mpsc::channel(64);
        let (tx, mut rx) = mpsc::unbounded_channel();
        spawn(source, tx, wrap);
        let sent = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = sent.clone();
        tokio::spawn(async move {
            for _ in 0..1000 {
                if source_tx.send(Event::PcCancel).await.is_err() {
                    break;
                }
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
        });
        let mut held = Vec::new();
        for _ in 0..RELAY_DEPTH {
            match rx.recv().await.expect("the relay runs") {
                Inbound::Link(Event::PcCancel, place) => held.push(place),
                other => panic!("unexpected {other:?}"),
            }
        }
        // Every place is held by the loop: nothing more comes, and the peer is held
        // back by the source's own 64 places (plus the one the relay took).
        assert!(blocked(&mut rx).await, "a message came past the bound");
        let through = sent.load(std::sync::atomic::Ordering::SeqCst);
        assert!(
            through <= RELAY_DEPTH + 64 + 1,
            "the peer was not slowed: {through}"
        );
        // One place given back: exactly one more message, and none is lost.
        held.pop();
        match rx.recv().await {
            Some(Inbound::Link(_, place)) => held.push(place),
            other => panic!("expected one more message, got {other:?}"),
        }
        assert!(blocked(&mut rx).await, "a message came past the bound");
        drop(held);
        let mut rest = 0;
        while let Ok(Some(_)) = tokio::time::timeout(Duration::from_secs(3600), rx.recv()).await {
            rest += 1;
        }
        assert_eq!(
            RELAY_DEPTH + 1 + rest,
            1000,
            "every message arrives once places are free"
        );
    }
}
