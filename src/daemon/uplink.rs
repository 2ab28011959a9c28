//! What goes out of the terminal besides the screens: the PC link (identities into
//! the outbox, events, the `status` the link sends), the operations figures, and the
//! control socket's announcements. It also keeps the devices not working now, which
//! the status reports.

use super::Inbound;
use crate::control::Announcer;
use crate::flow::{Device, Event, Identity, PcEventKind, ScreenId};
use crate::link::{LinkHandle, StatusSnapshot};
use crate::stats::Stats;
use serde_json::json;
use tokio::sync::{mpsc, watch};

/// The loop's handles on the PC link, the figures and the announcements.
pub struct Uplink {
    /// The PC link (outbox, events).
    link: LinkHandle,
    /// The status the link sends the PC.
    status: watch::Sender<StatusSnapshot>,
    /// Operations figures.
    pub stats: Stats,
    /// The control socket's announcements.
    announce: Announcer,
    /// Devices not working now, for status messages.
    faults: Vec<Device>,
}

impl Uplink {
    /// The handles, no device failing yet.
    pub fn new(
        link: LinkHandle,
        status: watch::Sender<StatusSnapshot>,
        stats: Stats,
        announce: Announcer,
    ) -> Uplink {
        Uplink {
            link,
            status,
            stats,
            announce,
            faults: Vec::new(),
        }
    }

    /// Takes note of a device going down or coming back.
    pub fn device(&mut self, device: Device, up: bool) {
        self.faults.retain(|d| *d != device);
        if !up {
            self.faults.push(device);
        }
    }

    /// Tells the PC (and the figures) the screen now shown and whether a card is
    /// present.
    pub fn status(&self, screen: ScreenId, card_present: bool) {
        self.stats.set_outbox_depth(self.link.outbox_len());
        let failed_devices = self
            .faults
            .iter()
            .filter_map(|d| serde_json::to_value(d).ok())
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect();
        let _ = self.status.send(StatusSnapshot {
            state: screen.as_str().into(),
            card_present,
            failed_devices,
        });
    }

    /// Announces on the control socket that a card (or phone) arrived on or left
    /// the `role` reader: `{"event":"card","reader":"card"|"phone","present":B}`.
    pub fn card(&self, role: crate::flow::ReaderRole, present: bool) {
        let reader = match role {
            crate::flow::ReaderRole::Card => "card",
            crate::flow::ReaderRole::Phone => "phone",
        };
        let line = json!({"event": "card", "reader": reader, "present": present});
        self.announce.send(line.to_string());
    }

    /// A best-effort event for the PC.
    pub fn event(&self, kind: PcEventKind, detail: &str) {
        self.link.event(kind, detail);
    }

    /// Answers a request of the PC: `ok` (with `of` and the account), or `error`.
    pub fn answer(&self, of: &str, account: Option<String>, refused: Option<String>) {
        use crate::link::message::ReaderMsg;
        self.link.reply(match refused {
            None => ReaderMsg::Ok {
                of: of.into(),
                account,
            },
            Some(reason) => ReaderMsg::Error {
                message: format!("{of}: {reason}"),
            },
        });
    }

    /// Stores `identity` in the outbox for the PC (announcing it on the control
    /// socket), then tells the loop through `tx` (`Event::Enqueued`).
    pub fn enqueue(&self, identity: Identity, tx: mpsc::UnboundedSender<Inbound>) {
        let (link, announce) = (self.link.clone(), self.announce.clone());
        tokio::spawn(async move {
            let result = link.enqueue(&identity).await;
            if result.is_ok() {
                let method = serde_json::to_value(identity.method).unwrap_or_default();
                let line = json!({"event": "forwarded", "id": identity.id, "method": method});
                announce.send(line.to_string());
            }
            let result = result.map_err(|e| {
                tracing::error!(error = %e, "identity could not be stored in the outbox");
                e.to_string()
            });
            let _ = tx.send(Inbound::Flow(Event::Enqueued(result)));
        });
    }

    /// Stores a `registration` for the identity `id` in the outbox for the PC,
    /// then tells the loop through `tx` (`Event::Enqueued`, as for an identity).
    pub fn enqueue_registration(&self, id: String, tx: mpsc::UnboundedSender<Inbound>) {
        let link = self.link.clone();
        tokio::spawn(async move {
            let result = link.enqueue_registration(&id).await.map_err(|e| {
                tracing::error!(error = %e, "registration could not be stored in the outbox");
                e.to_string()
            });
            let _ = tx.send(Inbound::Flow(Event::Enqueued(result)));
        });
    }
}
