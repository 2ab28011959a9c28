//! The device workers: one thread per blocking device (each card reader, the camera
//! with the face matcher, the display with the renderer, the touchscreen or PIN pad,
//! the card-face camera with the OCR reader). Each takes commands from the daemon
//! and reports back as [`Inbound`] messages, so devices never block the flow loop.
//! [`Workers`] is the loop's side of them: their command channels and threads, and
//! the devices the loop drives itself (the indicator, the mock devices' handles).
//!
//! - [`card`]: a card reader; [`face`]: the camera and the matcher; [`display`]:
//!   the panel; [`input`]: touchscreen or PIN pad; [`card_face`]: the card-face camera.
//!
//! Live preview: while the face screen is up the face worker captures frames at most
//! every [`face::PREVIEW_INTERVAL`] and offers them to the display worker through a
//! [`PreviewTx`], which holds at most one frame in flight: a frame offered while the
//! previous one is still waiting is dropped (and wiped), so a slow panel never
//! queues frames or blocks the camera, and a stale frame never reaches another
//! screen. The display worker draws each frame once and drops it.
//!
//! Name image: the card worker leaves the chip's name image in a [`NameSlot`] for
//! the display worker, which draws it on the screens that show it; the slot is
//! emptied (wiped) at session end and when the card leaves.

pub mod card;
pub mod card_face;
pub mod display;
pub mod face;
pub mod health;
pub mod input;

pub use card::CardCmd;
pub use card_face::CardFaceCmd;
pub use display::{DisplayCmd, PreviewTx};
pub use face::FaceCmd;
pub use health::{Commands, Failure, Health};

use super::Inbound;
use crate::card::{ChipPhoto, NameImage};
use crate::control::Announcer;
use crate::devices::{Devices, Sim};
use crate::flow::{ReaderRole, Screen};
use crate::ui::Ui;
use kaonin_hal::indicator::BoxedIndicator;
use std::collections::HashMap;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc::{self as std_mpsc, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use tokio::sync::mpsc::UnboundedSender;

/// The chip photo of the current session, handed from the card worker to the face
/// worker; wiped (dropped, zeroized) when the session ends.
pub type PhotoSlot = Arc<Mutex<Option<ChipPhoto>>>;

/// The chip's name image of the current session, handed from the card worker to the
/// display worker; wiped (dropped, zeroized) when the session ends.
pub type NameSlot = Arc<Mutex<Option<NameImage>>>;

/// The device side of the loop: a command channel per worker, the workers'
/// threads, and the devices the loop drives itself.
pub struct Workers {
    cards: HashMap<ReaderRole, Sender<CardCmd>>,
    face: Sender<FaceCmd>,
    display: Sender<DisplayCmd>,
    /// The card-face worker (`None` without a card-face camera).
    card_face: Option<Sender<CardFaceCmd>>,
    /// The display may show the camera preview (it does not store frames).
    preview: bool,
    /// The status LED and buzzer.
    pub indicator: BoxedIndicator,
    /// The mock devices' handles, for the control socket.
    pub sim: Sim,
    /// Whether each worker still comes back to its channel.
    pub health: Health,
    threads: Vec<JoinHandle<()>>,
}

impl Workers {
    /// Starts one worker per device. `card` says how every card reader reads cards
    /// (照合番号B guard with its trust anchors, operation deadline); a worker away
    /// from its channel longer than `health`'s limit is wedged.
    pub fn spawn(
        devices: Devices,
        sim: Sim,
        ui: Arc<Ui>,
        announce: Announcer,
        tx: UnboundedSender<Inbound>,
        card: card::CardOptions,
        health: Health,
    ) -> Workers {
        let Devices {
            reader,
            phone_reader,
            camera,
            display,
            indicator,
            input,
            matcher,
            card_face,
        } = devices;
        let photo = PhotoSlot::default();
        let name = NameSlot::default();
        let mut threads = Vec::new();
        let mut cards = HashMap::new();
        let readers = std::iter::once((ReaderRole::Card, reader))
            .chain(phone_reader.map(|r| (ReaderRole::Phone, r)));
        for (role, reader) in readers {
            let (ctx, crx) = std_mpsc::channel();
            let crx = Commands::new(crx, health.pulse("card"));
            let (events, photo, name) = (tx.clone(), photo.clone(), name.clone());
            let options = card.clone();
            threads.push(spawn_worker("card", &tx, move || {
                card::card_worker(role, reader, crx, events, photo, name, options)
            }));
            cards.insert(role, ctx);
        }
        let (display_tx, drx) = std_mpsc::channel();
        let preview = !kaonin_hal::display::Display::stores_frames(&display);
        let preview_in_flight = Arc::new(AtomicBool::new(false));
        let drx = Commands::new(drx, health.pulse("display"));
        let (face, frx) = std_mpsc::channel();
        let frx = Commands::new(frx, health.pulse("face"));
        {
            let (events, photo) = (tx.clone(), photo.clone());
            let preview = PreviewTx::new(display_tx.clone(), preview_in_flight.clone());
            threads.push(spawn_worker("face", &tx, move || {
                face::face_worker(camera, matcher, frx, events, photo, preview)
            }));
        }
        {
            let (ui, events, photo) = (ui.clone(), tx.clone(), photo.clone());
            threads.push(spawn_worker("display", &tx, move || {
                display::display_worker(
                    ui,
                    display,
                    drx,
                    announce,
                    events,
                    name,
                    photo,
                    preview_in_flight,
                )
            }));
        }
        if let Some(input) = input {
            let events = tx.clone();
            threads.push(spawn_worker("input", &tx, move || {
                input::input_worker(input, events)
            }));
        }
        let card_face = card_face.map(|device| {
            let (ctx, crx) = std_mpsc::channel();
            let crx = Commands::new(crx, health.pulse("card_face"));
            let events = tx.clone();
            threads.push(spawn_worker("card_face", &tx, move || {
                card_face::card_face_worker(device, crx, events)
            }));
            ctx
        });
        Workers {
            cards,
            face,
            display: display_tx,
            card_face,
            preview,
            indicator,
            sim,
            health,
            threads,
        }
    }

    /// Sends `cmd` to the worker of the `role` reader; false if there is none.
    pub fn send_card(&self, role: ReaderRole, cmd: CardCmd) -> bool {
        self.cards.get(&role).is_some_and(|tx| tx.send(cmd).is_ok())
    }

    /// Asks the face worker for one capture and match; false if it is gone.
    pub fn capture_face(&self) -> bool {
        self.face.send(FaceCmd::Capture).is_ok()
    }

    /// Starts or stops the live preview, if the display may show it.
    pub fn set_preview(&self, on: bool) {
        if self.preview {
            let _ = self.face.send(FaceCmd::Preview(on));
        }
    }

    /// Hands a screen to the display worker.
    pub fn show(&self, screen: Screen) {
        let _ = self.display.send(DisplayCmd::Show(screen));
    }

    /// Whether a card-face camera is there to read the printed card face.
    pub fn has_card_face(&self) -> bool {
        self.card_face.is_some()
    }

    /// Asks the card-face worker to read the card face, its reports carrying
    /// `token`; false if there is no card-face worker (any more).
    pub fn read_card_face(&self, token: u64) -> bool {
        self.card_face
            .as_ref()
            .is_some_and(|cmd| cmd.send(CardFaceCmd::Read { token }).is_ok())
    }

    /// Stops a card-face read.
    pub fn cancel_card_face(&self) {
        if let Some(cmd) = &self.card_face {
            let _ = cmd.send(CardFaceCmd::Cancel);
        }
    }

    /// End of session: every reader unpowers its card, the face worker forgets the
    /// enrolled photo.
    pub fn end_session(&self) {
        for card in self.cards.values() {
            let _ = card.send(CardCmd::End);
        }
        let _ = self.face.send(FaceCmd::End);
    }

    /// Asks the display worker to confirm it has drawn everything sent so far.
    pub fn flush_display(&self) -> tokio::sync::oneshot::Receiver<()> {
        let (done, drawn) = tokio::sync::oneshot::channel();
        let _ = self.display.send(DisplayCmd::Flush(done));
        drawn
    }

    /// Closes every command channel and waits for the workers to finish.
    pub fn stop(&mut self) {
        self.cards.clear();
        self.card_face = None;
        let (face, _) = std_mpsc::channel();
        self.face = face;
        let (display, _) = std_mpsc::channel();
        self.display = display;
        for worker in self.threads.drain(..) {
            if worker.join().is_err() {
                tracing::error!("a device worker panicked");
            }
        }
    }
}

/// The name of every device worker thread starts with this.
pub const THREAD_PREFIX: &str = "kaonin-";

/// Starts a worker thread; a panic in it is caught and reported to the loop as
/// [`Inbound::WorkerFailed`] (the loop then restarts the terminal).
fn spawn_worker(
    name: &'static str,
    loop_tx: &UnboundedSender<Inbound>,
    body: impl FnOnce() + Send + 'static,
) -> JoinHandle<()> {
    let loop_tx = loop_tx.clone();
    std::thread::Builder::new()
        .name(format!("{THREAD_PREFIX}{name}"))
        .spawn(move || {
            if std::panic::catch_unwind(std::panic::AssertUnwindSafe(body)).is_err() {
                tracing::error!(worker = name, "device worker panicked");
                let _ = loop_tx.send(Inbound::WorkerFailed {
                    worker: name,
                    failure: Failure::Panicked,
                });
            }
        })
        .expect("spawning a device thread")
}

#[cfg(all(test, feature = "sim"))]
mod tests;
