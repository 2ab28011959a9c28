//! The device workers: one thread per blocking device (each card reader, the camera
//! with the face matcher, the display with the renderer). Each takes commands from
//! the daemon and reports back as flow events, so devices never block the flow loop.

use super::Inbound;
use crate::card::{self, CardFace, ChipPhoto, KenmenGuard};
use crate::face::{FaceMatcher, Reference};
use crate::flow::{CardFailure, Device, Event, FaceOutcome, ReaderRole, Screen, ScreenId};
use crate::ui::Ui;
use kaonin_hal::camera::BoxedCamera;
use kaonin_hal::camera::Camera;
use kaonin_hal::card::{BoxedReader, CardReader, Error as _, ErrorKind, Presence};
use kaonin_hal::display::{BoxedDisplay, Display, Framebuffer, ScreenShown};
use kaonin_hal::secret::Digits;
use serde_json::json;
use std::sync::mpsc::{Receiver, RecvTimeoutError, TryRecvError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};
use tokio::sync::mpsc::UnboundedSender;

/// The chip photo of the current session, handed from the card worker to the face
/// worker; wiped (dropped, zeroized) when the session ends.
pub type PhotoSlot = Arc<Mutex<Option<ChipPhoto>>>;

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
    mut guard: KenmenGuard,
) {
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
                if let Some(event) = card_command(&mut reader, cmd, &mut guard, &photo) {
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
                wipe(&photo);
                send(Event::CardAbsent(role));
            }
            Ok(None) => {}
            Err(e) => {
                if reader_ok {
                    tracing::warn!(reader = %reader.name(), error = %e, "card reader unavailable; retrying");
                    // Whatever was on it is gone for the flow.
                    wipe(&photo);
                    send(Event::CardAbsent(role));
                    health(false);
                }
                reader_ok = false;
                // Back off without spinning: wait for a command or the retry slice.
                match commands.recv_timeout(super::RETRY) {
                    Ok(cmd) => {
                        if let Some(event) = card_command(&mut reader, cmd, &mut guard, &photo) {
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
    wipe(&photo);
}

fn wipe(photo: &PhotoSlot) {
    photo.lock().unwrap_or_else(|p| p.into_inner()).take();
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
    photo: &PhotoSlot,
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
                *photo.lock().unwrap_or_else(|p| p.into_inner()) = reading.photo;
                reading.facts
            }))
        }
        CardCmd::QueryPin => Event::PinTries(card::query_pin_tries(reader)),
        CardCmd::Verify(pin) => Event::PinVerified(card::verify_pin(reader, &pin)),
        CardCmd::ReadCertificate => Event::CertificateRead(card::read_certificate(reader)),
        CardCmd::Sign(id) => Event::Signed(card::sign(reader, &id)),
        CardCmd::End => {
            let _ = reader.disconnect();
            wipe(photo);
            return None;
        }
    })
}

/// A command for the face worker.
pub enum FaceCmd {
    /// Capture a frame and match it.
    Capture,
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
) {
    let mut reference: Option<Reference> = None;
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
        // While the camera is down, probe it every retry period.
        let cmd = if camera_ok {
            commands.recv().map_err(|_| RecvTimeoutError::Disconnected)
        } else {
            commands.recv_timeout(super::RETRY)
        };
        match cmd {
            Err(RecvTimeoutError::Disconnected) => break,
            Err(RecvTimeoutError::Timeout) => {
                if camera.capture().is_ok() {
                    camera_ok = true;
                    tracing::info!("camera back");
                    health(true);
                }
            }
            Ok(FaceCmd::End) => reference = None,
            Ok(FaceCmd::Capture) => {
                let outcome = attempt(
                    &mut camera,
                    matcher.as_mut(),
                    &mut reference,
                    &photo,
                    &mut camera_ok,
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
    match reference {
        Some(r) => matcher.attempt(r, &frame),
        None => FaceOutcome::Unavailable,
    }
}

/// Runs the display: renders each screen, presents it, and announces it on the
/// control socket.
pub fn display_worker(
    ui: Arc<Ui>,
    mut display: BoxedDisplay,
    commands: Receiver<Screen>,
    announce: crate::control::Announcer,
    events: UnboundedSender<Inbound>,
) {
    let size = display.size();
    let mut frame = Framebuffer::new(size.width, size.height);
    let mut failing = false;
    let mut shown = ScreenShown {
        id: String::new(),
        lang: String::new(),
    };
    loop {
        // While the panel fails, present the last frame again every retry period.
        let screen = match commands.recv_timeout(if failing { super::RETRY } else { IDLE_WAIT }) {
            Ok(screen) => screen,
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
        ui.render(&screen, &mut frame);
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
    }
}
