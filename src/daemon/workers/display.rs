//! The display worker: renders each screen the loop shows, presents it on the
//! panel and announces it on the control socket; draws the live preview frames the
//! face worker offers through a [`PreviewTx`] (at most one in flight) and the
//! session's name image. A failing panel is reported and presented to again every
//! retry period.

use super::Commands;
use super::{NameSlot, PhotoSlot};
use crate::daemon::{Inbound, RETRY};
use crate::flow::{Device, Screen, ScreenId};
use crate::ui::{Extras, Ui};
use kaonin_hal::camera::Frame;
use kaonin_hal::display::{BoxedDisplay, Display, Framebuffer, ScreenShown};
use serde_json::json;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{RecvTimeoutError, Sender};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc::UnboundedSender;

/// A command for the display worker.
pub enum DisplayCmd {
    /// Draw and present this screen.
    Show(Screen),
    /// A camera frame for the face screen's preview (drawn once, then wiped).
    Preview(Frame),
    /// Answer once everything sent before has been drawn (the restarting screen
    /// is on the panel before the process exits).
    Flush(tokio::sync::oneshot::Sender<()>),
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

/// The session's chip photo as a grey frame, if the card gave one that decodes.
fn chip_frame(photo: &PhotoSlot) -> Option<Frame> {
    let slot = photo.lock().unwrap_or_else(|p| p.into_inner());
    let image = match crate::face::decode_chip_photo(slot.as_ref()?.bytes()) {
        Ok(image) => image,
        Err(e) => {
            tracing::warn!(error = %e, "chip photo could not be decoded for the visual check");
            return None;
        }
    };
    Frame::new(
        image.width(),
        image.height(),
        kaonin_hal::camera::PixelFormat::Gray8,
        image.pixels().to_vec(),
    )
}

/// How long an idle worker waits before looking again (only bounds shutdown).
const IDLE_WAIT: Duration = Duration::from_secs(3600);

/// Runs the display: renders each screen, presents it, and announces it on the
/// control socket; draws preview frames on the face screen, and the session's name
/// image on the screens that show it. A display that stores frames
/// ([`kaonin_hal::display::Display::stores_frames`]) gets neither.
#[allow(clippy::too_many_arguments)]
pub fn display_worker(
    ui: Arc<Ui>,
    mut display: BoxedDisplay,
    commands: Commands<DisplayCmd>,
    announce: crate::control::Announcer,
    events: UnboundedSender<Inbound>,
    name: NameSlot,
    photo: PhotoSlot,
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
        let cmd = match commands.recv_timeout(if failing { RETRY } else { IDLE_WAIT }) {
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
            DisplayCmd::Flush(done) => {
                let _ = done.send(());
                continue;
            }
            DisplayCmd::Preview(camera) => {
                preview_in_flight.store(false, Ordering::Release);
                let on_face = current.as_ref().filter(|s| s.id == ScreenId::Face);
                if let (Some(screen), true, false) = (on_face, private_ok, failing) {
                    let extras = Extras {
                        preview: Some(&camera),
                        ..Extras::default()
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
            // The chip photo, decoded only for the staff's visual check on a panel;
            // dropped (wiped) right after drawing.
            let chip = (private_ok && screen.params.staff_confirm)
                .then(|| chip_frame(&photo))
                .flatten();
            let slot = name.lock().unwrap_or_else(|p| p.into_inner());
            let extras = Extras {
                preview: None,
                name: slot.as_ref().filter(|_| private_ok),
                photo: chip.as_ref(),
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
        if crate::ui::is_pad_screen(screen.id) {
            // Extension (docs/control.md): how many ● the pin (or staff passcode)
            // screen shows.
            line["pin_dots"] = json!(screen.params.pin_dots);
        }
        announce.screen(line.to_string());
        current = Some(screen);
    }
}
