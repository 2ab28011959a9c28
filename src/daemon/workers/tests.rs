//! The preview path (face worker → display worker → panel) and the name slot
//! (card worker → display worker, wiped at session end), with in-memory devices.

use super::card::card_worker;
use super::display::display_worker;
use super::face::face_worker;
use super::*;
use crate::daemon::Inbound;
use crate::flow::{Event, Lang, ReaderRole, ScreenId};
use crate::sim::vcard::{Profile, VirtualCard};
use crate::ui::Ui;
use crate::ui::{samples, UiOptions};
use embedded_graphics::pixelcolor::Rgb888;
use kaonin_hal::camera::PixelFormat;
use kaonin_hal::camera::{Camera, Frame};
use kaonin_hal::display::{Framebuffer, ScreenShown};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::mpsc::Sender;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

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
            display_worker(
                ui,
                display,
                watched(rx),
                announce,
                events,
                name,
                PhotoSlot::default(),
                in_flight,
            )
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
                watched(cmd_rx),
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
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assets/cards/alice.toml");
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
                watched(cmd_rx),
                events,
                photo,
                name,
                super::card::CardOptions {
                    guard: crate::sim::vcard::trusting_guard(3),
                    deadline: std::time::Duration::from_secs(60),
                },
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

/// A worker's channel as the workers take it, watched by a health of its own.
fn watched<T>(rx: mpsc::Receiver<T>) -> super::Commands<T> {
    let health = super::Health::new(std::time::Duration::from_secs(3600));
    super::Commands::new(rx, health.pulse("test"))
}
