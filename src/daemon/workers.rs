//! The device workers: one thread per blocking device (each card reader, the camera
//! with the face matcher, the display with the renderer). Each takes commands from
//! the daemon and reports back as flow events, so devices never block the flow loop.
//!
//! Live preview: while the face screen is up the face worker captures frames at most
//! every [`PREVIEW_INTERVAL`] and offers them to the display worker through a
//! [`PreviewTx`], which holds at most one frame in flight: a frame offered while the
//! previous one is still waiting is dropped (and wiped), so a slow panel never
//! queues frames or blocks the camera, and a stale frame never reaches another
//! screen. The display worker draws each frame once and drops it.
//!
//! Name image: the card worker leaves the chip's name image in a [`NameSlot`] for
//! the display worker, which draws it on the screens that show it; the slot is
//! emptied (wiped) at session end and when the card leaves.

use super::Inbound;
use crate::card::{self, CardFace, ChipPhoto, KenmenGuard, NameImage};
use crate::face::{FaceMatcher, Reference};
use crate::flow::{CardFailure, Device, Event, FaceOutcome, ReaderRole, Screen, ScreenId};
use crate::ui::{Extras, Ui};
use kaonin_hal::camera::BoxedCamera;
use kaonin_hal::camera::{Camera, Frame};
use kaonin_hal::card::{BoxedReader, CardReader, Error as _, ErrorKind, Presence};
use kaonin_hal::display::{BoxedDisplay, Display, Framebuffer, ScreenShown};
use kaonin_hal::secret::Digits;
use serde_json::json;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, TryRecvError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};
use tokio::sync::mpsc::UnboundedSender;

/// The chip photo of the current session, handed from the card worker to the face
/// worker; wiped (dropped, zeroized) when the session ends.
pub type PhotoSlot = Arc<Mutex<Option<ChipPhoto>>>;

/// The chip's name image of the current session, handed from the card worker to the
/// display worker; wiped (dropped, zeroized) when the session ends.
pub type NameSlot = Arc<Mutex<Option<NameImage>>>;

/// The shortest time between two preview frames (at most about 15 per second).
pub const PREVIEW_INTERVAL: Duration = Duration::from_millis(66);

/// A command for the display worker.
pub enum DisplayCmd {
    /// Draw and present this screen.
    Show(Screen),
    /// A camera frame for the face screen's preview (drawn once, then wiped).
    Preview(Frame),
}

/// The face worker's side of the preview: at most one frame in flight to the
/// display worker; [`PreviewTx::offer`] never blocks.
#[derive(Clone)]
pub struct PreviewTx {
    tx: Sender<DisplayCmd>,
    in_flight: Arc<AtomicBool>,
}

impl PreviewTx {
    /// A preview sender into the display worker's command channel. The display
    /// worker gets the same `in_flight` flag and clears it when it took a frame.
    pub fn new(tx: Sender<DisplayCmd>, in_flight: Arc<AtomicBool>) -> Self {
        PreviewTx { tx, in_flight }
    }

    /// Hands `frame` to the display worker unless one is still waiting there; a
    /// refused frame is dropped (wiped). True if the frame was sent.
    pub fn offer(&self, frame: Frame) -> bool {
        if self.in_flight.swap(true, Ordering::AcqRel) {
            return false;
        }
        if self.tx.send(DisplayCmd::Preview(frame)).is_err() {
            self.in_flight.store(false, Ordering::Release);
            return false;
        }
        true
    }
}

/// A copy of `frame` for the preview (the original goes to the matcher).
fn copy_frame(frame: &Frame) -> Option<Frame> {
    Frame::new(frame.width, frame.height, frame.format, frame.data.to_vec())
}

/// How long an idle worker waits before looking again (only bounds shutdown).
const IDLE_WAIT: Duration = Duration::from_secs(3600);

/// How long a reader waits for a presence change before looking at its commands.
const PRESENCE_SLICE: Duration = Duration::from_millis(25);

/// A command for a card worker.
pub enum CardCmd {
    /// Read the card now on the reader.
    Read {
        session_id: String,
        card_face: Option<CardFace>,
    },
    /// Read the PIN retry counter.
    QueryPin,
    /// Verify the PIN.
    Verify(Digits),
    /// Read the certificate (phones, after the PIN).
    ReadCertificate,
    /// Sign SHA-256 of the id.
    Sign(String),
    /// End of session: unpower the card, wipe the photo.
    End,
}

/// Runs one reader until the daemon drops its command channel.
pub fn card_worker(
    role: ReaderRole,
    mut reader: BoxedReader,
    commands: Receiver<CardCmd>,
    events: UnboundedSender<Inbound>,
    photo: PhotoSlot,
    name: NameSlot,
    mut guard: KenmenGuard,
) {
    let session = Session { photo, name };
    let send = |event: Event| {
        let _ = events.send(Inbound::Flow(event));
    };
    let device = match role {
        ReaderRole::Card => Device::Reader,
        ReaderRole::Phone => Device::PhoneReader,
    };
    let health = |up: bool| {
        let _ = events.send(Inbound::Device { device, up });
    };
    let mut reader_ok = true;
    loop {
        match commands.try_recv() {
            Ok(cmd) => {
                if let Some(event) = card_command(&mut reader, cmd, &mut guard, &session) {
                    send(event);
                }
                continue;
            }
            Err(TryRecvError::Disconnected) => break,
            Err(TryRecvError::Empty) => {}
        }
        let change = reader.wait_change(PRESENCE_SLICE);
        if change.is_ok() && !reader_ok {
            reader_ok = true;
            tracing::info!(reader = %reader.name(), "card reader back");
            health(true);
        }
        match change {
            Ok(Some(Presence::Present { .. })) => send(Event::CardPresent(role)),
            Ok(Some(Presence::Absent)) => {
                let _ = reader.disconnect();
                session.wipe();
                send(Event::CardAbsent(role));
            }
            Ok(None) => {}
            Err(e) => {
                if reader_ok {
                    tracing::warn!(reader = %reader.name(), error = %e, "card reader unavailable; retrying");
                    // Whatever was on it is gone for the flow.
                    session.wipe();
                    send(Event::CardAbsent(role));
                    health(false);
                }
                reader_ok = false;
                // Back off without spinning: wait for a command or the retry slice.
                match commands.recv_timeout(super::RETRY) {
                    Ok(cmd) => {
                        if let Some(event) = card_command(&mut reader, cmd, &mut guard, &session) {
                            send(event);
                        }
                    }
                    Err(RecvTimeoutError::Disconnected) => break,
                    Err(RecvTimeoutError::Timeout) => {}
                }
            }
        }
    }
    let _ = reader.disconnect();
    session.wipe();
}

/// What a card read leaves for the other workers during a session.
struct Session {
    photo: PhotoSlot,
    name: NameSlot,
}

impl Session {
    /// Drops (and so zeroizes) the photo and the name image.
    fn wipe(&self) {
        self.photo.lock().unwrap_or_else(|p| p.into_inner()).take();
        self.name.lock().unwrap_or_else(|p| p.into_inner()).take();
    }
}

fn failure_of(kind: ErrorKind) -> CardFailure {
    match kind {
        ErrorKind::Removed | ErrorKind::NoCard => CardFailure::Removed,
        _ => CardFailure::ReaderFault,
    }
}

fn card_command(
    reader: &mut BoxedReader,
    cmd: CardCmd,
    guard: &mut KenmenGuard,
    session: &Session,
) -> Option<Event> {
    Some(match cmd {
        CardCmd::Read {
            session_id,
            card_face,
        } => {
            if let Err(e) = reader.connect() {
                return Some(Event::CardRead(Err(failure_of(e.kind()))));
            }
            let result = card::read_card(
                reader,
                card_face.as_ref(),
                guard,
                session_id,
                SystemTime::now(),
            );
            Event::CardRead(result.map(|reading| {
                *session.photo.lock().unwrap_or_else(|p| p.into_inner()) = reading.photo;
                *session.name.lock().unwrap_or_else(|p| p.into_inner()) = reading.name_image;
                reading.facts
            }))
        }
        CardCmd::QueryPin => Event::PinTries(card::query_pin_tries(reader)),
        CardCmd::Verify(pin) => Event::PinVerified(card::verify_pin(reader, &pin)),
        CardCmd::ReadCertificate => Event::CertificateRead(card::read_certificate(reader)),
        CardCmd::Sign(id) => Event::Signed(card::sign(reader, &id)),
        CardCmd::End => {
            let _ = reader.disconnect();
            session.wipe();
            return None;
        }
    })
}

/// A command for the face worker.
pub enum FaceCmd {
    /// Capture a frame and match it.
    Capture,
    /// Start (true) or stop (false) the live preview: the face screen is up.
    Preview(bool),
    /// End of session: forget the enrolled photo.
    End,
}

/// Runs the camera and the matcher until the daemon drops its command channel.
pub fn face_worker(
    mut camera: BoxedCamera,
    mut matcher: Box<dyn FaceMatcher>,
    commands: Receiver<FaceCmd>,
    events: UnboundedSender<Inbound>,
    photo: PhotoSlot,
    preview: PreviewTx,
) {
    let mut reference: Option<Reference> = None;
    let mut previewing = false;
    let health = |up: bool| {
        let _ = events.send(Inbound::Device {
            device: Device::Camera,
            up,
        });
    };
    // A first look at start, so a missing camera is reported before a patient comes.
    let mut camera_ok = !matches!(
        camera.capture().map_err(|e| e.kind()),
        Err(kaonin_hal::camera::ErrorKind::NotConnected)
    );
    if !camera_ok {
        health(false);
    }
    loop {
        // While the camera is down, probe it every retry period; while the face
        // screen is up, capture a preview frame every preview interval.
        let cmd = if !camera_ok {
            commands.recv_timeout(super::RETRY)
        } else if previewing {
            commands.recv_timeout(PREVIEW_INTERVAL)
        } else {
            commands.recv().map_err(|_| RecvTimeoutError::Disconnected)
        };
        match cmd {
            Err(RecvTimeoutError::Disconnected) => break,
            Err(RecvTimeoutError::Timeout) if camera_ok => {
                // Preview frame; a failure here is left to the next attempt to report.
                if let Ok(frame) = camera.capture() {
                    preview.offer(frame);
                }
            }
            Err(RecvTimeoutError::Timeout) => {
                if camera.capture().is_ok() {
                    camera_ok = true;
                    tracing::info!("camera back");
                    health(true);
                }
            }
            Ok(FaceCmd::Preview(on)) => previewing = on,
            Ok(FaceCmd::End) => {
                reference = None;
                previewing = false;
            }
            Ok(FaceCmd::Capture) => {
                let outcome = attempt(
                    &mut camera,
                    matcher.as_mut(),
                    &mut reference,
                    &photo,
                    &mut camera_ok,
                    previewing.then_some(&preview),
                );
                if !camera_ok {
                    health(false);
                }
                let _ = events.send(Inbound::Flow(Event::Face(outcome)));
            }
        }
    }
}

fn attempt(
    camera: &mut BoxedCamera,
    matcher: &mut dyn FaceMatcher,
    reference: &mut Option<Reference>,
    photo: &PhotoSlot,
    camera_ok: &mut bool,
    preview: Option<&PreviewTx>,
) -> FaceOutcome {
    if reference.is_none() {
        let Some(chip) = photo.lock().unwrap_or_else(|p| p.into_inner()).take() else {
            tracing::warn!("face attempt without a chip photo");
            return FaceOutcome::Unavailable;
        };
        match matcher.enroll(chip.bytes()) {
            Ok(r) => *reference = Some(r),
            Err(e) => {
                tracing::warn!(error = %e, "chip photo could not be enrolled");
                return FaceOutcome::Unavailable;
            }
        }
    }
    let frame = match camera.capture() {
        Ok(frame) => frame,
        Err(e) => {
            tracing::warn!(error = %e, "camera failed");
            if e.kind() == kaonin_hal::camera::ErrorKind::NotConnected {
                *camera_ok = false;
            }
            return FaceOutcome::Unavailable;
        }
    };
    // The patient sees the very frame being matched.
    if let (Some(preview), Some(copy)) = (preview, copy_frame(&frame)) {
        preview.offer(copy);
    }
    match reference {
        Some(r) => matcher.attempt(r, &frame),
        None => FaceOutcome::Unavailable,
    }
}

/// Runs the display: renders each screen, presents it, and announces it on the
/// control socket; draws preview frames on the face screen, and the session's name
/// image on the screens that show it. A display that stores frames
/// ([`kaonin_hal::display::Display::stores_frames`]) gets neither.
pub fn display_worker(
    ui: Arc<Ui>,
    mut display: BoxedDisplay,
    commands: Receiver<DisplayCmd>,
    announce: crate::control::Announcer,
    events: UnboundedSender<Inbound>,
    name: NameSlot,
    preview_in_flight: Arc<AtomicBool>,
) {
    let size = display.size();
    let private_ok = !display.stores_frames();
    let mut frame = Framebuffer::new(size.width, size.height);
    let mut failing = false;
    let mut shown = ScreenShown {
        id: String::new(),
        lang: String::new(),
    };
    let mut current: Option<Screen> = None;
    loop {
        // While the panel fails, present the last frame again every retry period.
        let cmd = match commands.recv_timeout(if failing { super::RETRY } else { IDLE_WAIT }) {
            Ok(cmd) => cmd,
            Err(RecvTimeoutError::Disconnected) => break,
            Err(RecvTimeoutError::Timeout) => {
                if failing && display.present(&frame, &shown).is_ok() {
                    failing = false;
                    tracing::info!("display back");
                    let _ = events.send(Inbound::Device {
                        device: Device::Display,
                        up: true,
                    });
                }
                continue;
            }
        };
        let screen = match cmd {
            DisplayCmd::Show(screen) => screen,
            DisplayCmd::Preview(camera) => {
                preview_in_flight.store(false, Ordering::Release);
                let on_face = current.as_ref().filter(|s| s.id == ScreenId::Face);
                if let (Some(screen), true, false) = (on_face, private_ok, failing) {
                    let extras = Extras {
                        preview: Some(&camera),
                        name: None,
                    };
                    ui.render_with(screen, extras, &mut frame);
                    if let Err(e) = display.present(&frame, &shown) {
                        tracing::debug!(error = %e, "preview frame not presented");
                    }
                }
                // `camera` is dropped (wiped) here, drawn or not.
                continue;
            }
        };
        {
            let slot = name.lock().unwrap_or_else(|p| p.into_inner());
            let extras = Extras {
                preview: None,
                name: slot.as_ref().filter(|_| private_ok),
            };
            ui.render_with(&screen, extras, &mut frame);
        }
        shown = ScreenShown {
            id: screen.id.as_str().into(),
            lang: screen.lang.as_str().into(),
        };
        match (display.present(&frame, &shown), failing) {
            (Ok(()), true) => {
                failing = false;
                let _ = events.send(Inbound::Device {
                    device: Device::Display,
                    up: true,
                });
            }
            (Err(e), false) => {
                failing = true;
                tracing::error!(error = %e, "display failed; retrying");
                let _ = events.send(Inbound::Device {
                    device: Device::Display,
                    up: false,
                });
            }
            _ => {}
        }
        let buttons: Vec<&str> = screen.buttons.iter().map(|b| b.as_str()).collect();
        let mut line = json!({
            "event": "screen",
            "id": shown.id,
            "lang": shown.lang,
            "buttons": buttons,
            "text": ui.text(&screen),
        });
        if screen.id == ScreenId::Pin {
            // Extension (docs/control.md): how many ● the pin screen shows.
            line["pin_dots"] = json!(screen.params.pin_dots);
        }
        announce.screen(line.to_string());
        current = Some(screen);
    }
}

#[cfg(all(test, feature = "sim"))]
mod tests {
    //! The preview path (face worker → display worker → panel) and the name slot
    //! (card worker → display worker, wiped at session end), with in-memory devices.

    use super::*;
    use crate::flow::{Event, Lang};
    use crate::sim::vcard::{Profile, VirtualCard};
    use crate::ui::{samples, UiOptions};
    use embedded_graphics::pixelcolor::Rgb888;
    use kaonin_hal::camera::PixelFormat;
    use std::sync::mpsc;
    use std::thread::JoinHandle;

    const WAIT: Duration = Duration::from_secs(30);
    const CAMERA: Rgb888 = Rgb888::new(10, 200, 30);

    /// A panel that hands every presented frame to the test.
    struct Panel {
        tx: mpsc::Sender<(String, Framebuffer)>,
        stores: bool,
    }

    impl kaonin_hal::display::Display for Panel {
        type Error = kaonin_hal::display::ErrorKind;
        fn size(&self) -> embedded_graphics::geometry::Size {
            embedded_graphics::geometry::Size::new(800, 480)
        }
        fn present(&mut self, frame: &Framebuffer, shown: &ScreenShown) -> Result<(), Self::Error> {
            let _ = self.tx.send((shown.id.clone(), frame.clone()));
            Ok(())
        }
        fn stores_frames(&self) -> bool {
            self.stores
        }
    }

    /// A camera that sees one flat colour.
    struct Flat;

    impl Camera for Flat {
        type Error = kaonin_hal::camera::ErrorKind;
        fn capture(&mut self) -> Result<Frame, Self::Error> {
            let data = [CAMERA.r(), CAMERA.g(), CAMERA.b()].repeat(64 * 48);
            Ok(Frame::new(64, 48, PixelFormat::Rgb8, data).unwrap())
        }
    }

    use embedded_graphics::pixelcolor::RgbColor;

    fn flat_frame() -> Frame {
        Flat.capture().unwrap()
    }

    struct DisplayRig {
        ui: Arc<Ui>,
        tx: Sender<DisplayCmd>,
        shown: mpsc::Receiver<(String, Framebuffer)>,
        in_flight: Arc<AtomicBool>,
        name: NameSlot,
        worker: JoinHandle<()>,
    }

    fn display_rig(stores: bool) -> DisplayRig {
        let ui = Arc::new(Ui::new(800, 480, UiOptions::default()).unwrap());
        let (tx, rx) = mpsc::channel();
        let (ptx, shown) = mpsc::channel();
        let (events, _) = tokio::sync::mpsc::unbounded_channel();
        let in_flight = Arc::new(AtomicBool::new(false));
        let name = NameSlot::default();
        let display = kaonin_hal::display::boxed(Panel { tx: ptx, stores });
        let worker = {
            let (ui, name, in_flight) = (ui.clone(), name.clone(), in_flight.clone());
            let announce = crate::control::Announcer::new(16);
            std::thread::spawn(move || {
                display_worker(ui, display, rx, announce, events, name, in_flight)
            })
        };
        DisplayRig {
            ui,
            tx,
            shown,
            in_flight,
            name,
            worker,
        }
    }

    impl DisplayRig {
        fn next(&self) -> (String, Framebuffer) {
            self.shown.recv_timeout(WAIT).expect("a frame is presented")
        }
        /// Stops the worker and returns every frame presented since the last `next`.
        fn finish(self) -> Vec<(String, Framebuffer)> {
            drop(self.tx);
            self.worker.join().unwrap();
            self.shown.try_iter().collect()
        }
    }

    fn preview_box(ui: &Ui) -> (i32, i32) {
        let face = samples::sample(ScreenId::Face, Lang::Ja);
        let (rect, _) = ui.scene(&face).preview().unwrap();
        // Lower left of the box: away from the frame ring and the badge.
        (rect.x + 4, rect.bottom() - 4)
    }

    #[test]
    fn the_preview_tx_keeps_at_most_one_frame_in_flight() {
        let (tx, rx) = mpsc::channel();
        let flag = Arc::new(AtomicBool::new(false));
        let preview = PreviewTx::new(tx, flag.clone());
        assert!(preview.offer(flat_frame()));
        assert!(
            !preview.offer(flat_frame()),
            "a second frame queued behind the first"
        );
        assert_eq!(rx.try_iter().count(), 1);
        flag.store(false, Ordering::Release);
        assert!(preview.offer(flat_frame()));
        drop(rx);
        flag.store(false, Ordering::Release);
        assert!(!preview.offer(flat_frame()), "sent into a closed channel");
        assert!(
            !flag.load(Ordering::Acquire),
            "a failed send leaves nothing in flight"
        );
    }

    #[test]
    fn camera_frames_from_the_face_worker_fill_the_preview_box() {
        let rig = display_rig(false);
        let face_screen = samples::sample(ScreenId::Face, Lang::Ja);
        rig.tx.send(DisplayCmd::Show(face_screen)).unwrap();
        let (id, first) = rig.next();
        assert_eq!(id, "face");
        let (px, py) = preview_box(&rig.ui);
        assert_eq!(
            first.pixel(px as u32, py as u32),
            Some(crate::ui::layout::palette::PREVIEW)
        );

        let (cmd_tx, cmd_rx) = mpsc::channel();
        let (events, _keep) = tokio::sync::mpsc::unbounded_channel();
        let face = {
            let preview = PreviewTx::new(rig.tx.clone(), rig.in_flight.clone());
            let matcher = Box::new(crate::face::TestOnlyThumbnailMatcher::new(0.5));
            let camera = kaonin_hal::camera::boxed(Flat);
            std::thread::spawn(move || {
                face_worker(
                    camera,
                    matcher,
                    cmd_rx,
                    events,
                    PhotoSlot::default(),
                    preview,
                )
            })
        };
        cmd_tx.send(FaceCmd::Preview(true)).unwrap();
        // Live: several frames in a row come with the camera's pixels in the box.
        for _ in 0..3 {
            let (id, frame) = rig.next();
            assert_eq!(id, "face");
            assert_eq!(frame.pixel(px as u32, py as u32), Some(CAMERA));
        }
        cmd_tx.send(FaceCmd::Preview(false)).unwrap();
        drop(cmd_tx);
        face.join().unwrap();
        // Another screen: whatever preview frame was still on its way is not drawn.
        rig.tx
            .send(DisplayCmd::Show(samples::sample(ScreenId::Pin, Lang::Ja)))
            .unwrap();
        let ui = rig.ui.clone();
        let rest = rig.finish();
        let last = rest.last().expect("the pin screen");
        assert_eq!(last.0, "pin");
        assert!(
            !last.1.pixels().contains(&CAMERA),
            "camera pixels on the pin screen"
        );
        drop(ui);
    }

    #[test]
    fn stale_frames_and_storing_displays_get_no_preview() {
        // A frame for a screen that is no longer the face screen is dropped.
        let rig = display_rig(false);
        rig.in_flight.store(true, Ordering::Release);
        let pin = samples::sample(ScreenId::Pin, Lang::Ja);
        rig.tx.send(DisplayCmd::Show(pin)).unwrap();
        rig.tx.send(DisplayCmd::Preview(flat_frame())).unwrap();
        rig.tx
            .send(DisplayCmd::Show(samples::sample(ScreenId::Idle, Lang::Ja)))
            .unwrap();
        let in_flight = rig.in_flight.clone();
        let shown = rig.finish();
        let ids: Vec<&str> = shown.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(ids, ["pin", "idle"]);
        assert!(
            !in_flight.load(Ordering::Acquire),
            "the dropped frame still counts"
        );

        // A display that stores frames never gets the camera's pixels.
        let rig = display_rig(true);
        rig.tx
            .send(DisplayCmd::Show(samples::sample(ScreenId::Face, Lang::Ja)))
            .unwrap();
        rig.tx.send(DisplayCmd::Preview(flat_frame())).unwrap();
        let shown = rig.finish();
        assert_eq!(shown.len(), 1, "a preview frame was presented");
        assert!(!shown[0].1.pixels().contains(&CAMERA));
    }

    fn alice() -> Profile {
        let path =
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assets/cards/alice.toml");
        Profile::load(&path).unwrap()
    }

    #[test]
    fn the_name_image_goes_from_the_card_worker_to_the_screen_and_is_wiped_at_the_end() {
        let profile = alice();
        let card_face = profile.printed_face();
        let (reader, handle) = kaonin_hal::mock::MockReader::new("mock");
        handle.insert(Box::new(VirtualCard::new(profile).unwrap()));
        let rig = display_rig(false);
        let (cmd_tx, cmd_rx) = mpsc::channel();
        let (events, mut inbound) = tokio::sync::mpsc::unbounded_channel();
        let photo = PhotoSlot::default();
        let card = {
            let (photo, name) = (photo.clone(), rig.name.clone());
            let reader = kaonin_hal::card::boxed(reader);
            std::thread::spawn(move || {
                card_worker(
                    ReaderRole::Card,
                    reader,
                    cmd_rx,
                    events,
                    photo,
                    name,
                    KenmenGuard::new(3),
                )
            })
        };
        let mut next_flow = || loop {
            match inbound.blocking_recv().expect("card worker alive") {
                Inbound::Flow(Event::CardPresent(_)) => continue,
                Inbound::Flow(event) => return event,
                _ => continue,
            }
        };
        cmd_tx
            .send(CardCmd::Read {
                session_id: "s".into(),
                card_face: Some(card_face),
            })
            .unwrap();
        assert!(matches!(next_flow(), Event::CardRead(Ok(_))));
        let (w, h) = {
            let slot = rig.name.lock().unwrap();
            let name = slot.as_ref().expect("name image in the slot");
            (name.width(), name.height())
        };
        let consent = samples::sample(ScreenId::Consent, Lang::Ja);
        let (_, image) = rig
            .ui
            .scene_with_name(&consent, Some((w, h)))
            .name_image()
            .unwrap();
        rig.tx.send(DisplayCmd::Show(consent.clone())).unwrap();
        let (_, with_name) = rig.next();
        let dark = |fb: &Framebuffer| {
            (image.y..image.bottom())
                .flat_map(|y| (image.x..image.right()).map(move |x| (x, y)))
                .filter(|&(x, y)| fb.pixel(x as u32, y as u32).is_some_and(|p| p.g() < 100))
                .count()
        };
        assert!(dark(&with_name) > 100, "no name ink in the name box");

        // End of session: the slot is emptied (a later command's answer shows the
        // End was handled), and the screen has no name any more.
        cmd_tx.send(CardCmd::End).unwrap();
        cmd_tx.send(CardCmd::QueryPin).unwrap();
        assert!(matches!(next_flow(), Event::PinTries(_)));
        assert!(
            rig.name.lock().unwrap().is_none(),
            "name image kept after the session"
        );
        assert!(
            photo.lock().unwrap().is_none(),
            "photo kept after the session"
        );
        rig.tx.send(DisplayCmd::Show(consent)).unwrap();
        let (_, without) = rig.next();
        assert!(without != with_name);
        assert!(rig
            .ui
            .scene(&samples::sample(ScreenId::Consent, Lang::Ja))
            .name_image()
            .is_none());
        drop(cmd_tx);
        card.join().unwrap();
        rig.finish();
    }
}
