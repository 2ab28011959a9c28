//! The loop: it takes each [`Inbound`] message in turn, feeds the flow, and carries
//! out the actions the flow returns. It owns the parts it works with, each in its
//! own place: the device workers ([`Workers`]), the current reception
//! ([`Session`]), what goes to the PC ([`Uplink`]) and the timers ([`Timers`]).
//!
//! - [`actions`]: carrying out the flow's actions;
//! - [`input`]: touches and PIN-pad keys;
//! - [`commands`]: the control socket's commands.

mod actions;
mod commands;
mod input;

use super::session::Session;
use super::timers::Timers;
use super::uplink::Uplink;
use super::workers::{self, Failure, Workers};
use super::{notify, Inbound};
use crate::flow::{Action, Event, Flow, Lang, Policy, ReaderRole, Screen, ScreenId, StaffReason};
use crate::staff::Staff;
use crate::ui::Ui;
use std::sync::Arc;
use tokio::sync::mpsc;

/// The loop's state: the flow and the parts the loop owns.
pub struct Loop {
    flow: Flow,
    ui: Arc<Ui>,
    staff: Staff,
    /// The loop's own channel, for results of work it hands to tasks.
    tx: mpsc::UnboundedSender<Inbound>,
    workers: Workers,
    session: Session,
    uplink: Uplink,
    timers: Timers,
}

impl Loop {
    /// A loop in front of started `workers`; the flow starts in idle (shown).
    pub fn start(
        policy: Policy,
        ui: Arc<Ui>,
        staff: Staff,
        tx: mpsc::UnboundedSender<Inbound>,
        workers: Workers,
        uplink: Uplink,
    ) -> Self {
        let (flow, actions) = Flow::new(policy);
        let mut daemon = Loop {
            flow,
            ui,
            staff,
            timers: Timers::new(tx.clone()),
            tx,
            workers,
            session: Session::default(),
            uplink,
        };
        daemon.perform(actions);
        daemon
    }

    /// Runs until the channel closes, or until a device worker fails: then the
    /// failed worker and how.
    pub async fn run(
        &mut self,
        mut rx: mpsc::UnboundedReceiver<Inbound>,
    ) -> Option<(&'static str, Failure)> {
        while let Some(inbound) = rx.recv().await {
            match inbound {
                Inbound::Flow(event) => self.on_event(event),
                Inbound::Link(event, _place) => self.on_event(event),
                Inbound::Control(request, _place) => self.on_control(request),
                Inbound::Input(input, _queued) => self.on_input(input),
                Inbound::Device { device, up } => {
                    if up {
                        tracing::info!(?device, "device working again");
                    } else {
                        tracing::error!(?device, "device not working; staff called");
                    }
                    self.uplink.device(device, up);
                    self.on_event(Event::Device { device, up });
                }
                // Sent from the loop itself: a wedged loop stops the pings and
                // systemd restarts the service.
                Inbound::Watchdog => notify::notify("WATCHDOG=1"),
                Inbound::InputGarbled => self.clear_pin(),
                Inbound::KenmenKey { token, report } => self.on_card_face(token, report),
                Inbound::HealthCheck => {
                    if let Some(worker) = self.workers.health.wedged() {
                        let limit = self.workers.health.limit();
                        tracing::error!(worker, ?limit, "device worker wedged");
                        return Some((worker, Failure::Wedged));
                    }
                }
                Inbound::WorkerFailed { worker, failure } => {
                    tracing::error!(worker, %failure, "device worker failed");
                    return Some((worker, failure));
                }
            }
        }
        None
    }

    /// Ends the session (wiping its secrets) and lets the workers finish.
    pub fn stop(&mut self) {
        self.perform(vec![Action::EndSession]);
        self.workers.stop();
    }

    /// After a worker failed: ends the session (wiping its secrets), shows that the
    /// terminal is restarting and leaves the workers behind (a wedged one would
    /// never finish). The receiver completes once the screen has been drawn.
    pub fn abandon(&mut self) -> tokio::sync::oneshot::Receiver<()> {
        self.perform(vec![Action::EndSession]);
        let lang = self.session.screen.as_ref().map_or(Lang::Ja, |s| s.lang);
        self.workers
            .show(Screen::staff_call(lang, StaffReason::Restarting));
        self.uplink
            .status(ScreenId::StaffCall, self.session.presence.any());
        self.workers.flush_display()
    }

    fn on_event(&mut self, event: Event) {
        self.uplink.stats.observe_event(&event);
        if let Event::Link { up } = event {
            self.uplink.stats.set_link_up(up);
        }
        self.session.presence.observe(&event);
        match &event {
            Event::CardPresent(role) => self.uplink.card(*role, true),
            Event::CardAbsent(role) => self.uplink.card(*role, false),
            _ => {}
        }
        if let Event::CardAbsent(role) = &event {
            self.session.typed_face = None;
            // Only the card slot's card is photographed.
            if *role == ReaderRole::Card {
                self.cancel_card_face();
            }
        }
        let actions = self.flow.handle(event);
        self.perform(actions);
    }

    /// A report of the card-face worker: guidance goes to the flow; the result
    /// (value or refusal) lets the card worker read the chip.
    fn on_card_face(&mut self, token: u64, report: workers::card_face::Report) {
        use crate::flow::CardFaceEvent;
        use workers::card_face::Report;
        if self.session.card_face_pending != Some(token) {
            return;
        }
        match report {
            Report::Guidance(g) => {
                self.on_event(Event::CardFace(CardFaceEvent::Guidance(g)));
            }
            Report::Done(reading) => {
                self.session.card_face_pending = None;
                if reading.marking {
                    self.on_event(Event::CardFace(CardFaceEvent::FaceAuthMarking));
                }
                let face = match reading.face {
                    Ok(face) => Some(face),
                    Err(notice) => {
                        self.on_event(Event::CardFace(CardFaceEvent::Refused(notice)));
                        None
                    }
                };
                self.read_card(face);
            }
        }
    }
}
