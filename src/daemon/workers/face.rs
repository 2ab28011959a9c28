//! The face worker: the camera facing the patient with the face matcher. It
//! enrols the session's chip photo; on each [`FaceCmd::Capture`] it runs one
//! attempt over the frames the matcher asks for (`[face] attempt_frames`); while
//! the face screen is up it feeds the live preview (at most every
//! [`PREVIEW_INTERVAL`]) to the display worker. A camera that is
//! missing or unplugged is reported and probed again every retry period.

use super::display::PreviewTx;
use super::Commands;
use super::PhotoSlot;
use crate::daemon::{Inbound, RETRY};
use crate::face::{FaceMatcher, Reference};
use crate::flow::{Device, Event, FaceOutcome};
use kaonin_hal::camera::{BoxedCamera, Camera, Error as _, Frame};
use std::sync::mpsc::RecvTimeoutError;
use std::time::Duration;
use tokio::sync::mpsc::UnboundedSender;

/// The shortest time between two preview frames (at most about 15 per second).
pub const PREVIEW_INTERVAL: Duration = Duration::from_millis(66);

/// A copy of `frame` for the preview (the original goes to the matcher).
fn copy_frame(frame: &Frame) -> Option<Frame> {
    Frame::new(frame.width, frame.height, frame.format, frame.data.to_vec())
}

/// A command for the face worker.
pub enum FaceCmd {
    /// Capture frames and match them: one face attempt.
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
    commands: Commands<FaceCmd>,
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
            commands.recv_timeout(RETRY)
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
                // The networks' tensors are freed: give their pages back
                // (kaonin_drivers::heap), so two readers' peaks do not add up.
                kaonin_drivers::heap::release_free();
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
        // A copy: the photo stays in the slot for the staff's visual check, and is
        // wiped with the session.
        let Some(chip) = photo.lock().unwrap_or_else(|p| p.into_inner()).clone() else {
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
    let Some(r) = reference.as_mut() else {
        return FaceOutcome::Unavailable;
    };
    // Frames of one sitting; the patient sees each frame being judged.
    let mut next = || match camera.capture() {
        Ok(frame) => {
            if let (Some(preview), Some(copy)) = (preview, copy_frame(&frame)) {
                preview.offer(copy);
            }
            Some(frame)
        }
        Err(e) => {
            tracing::warn!(error = %e, "camera failed");
            if e.kind() == kaonin_hal::camera::ErrorKind::NotConnected {
                *camera_ok = false;
            }
            None
        }
    };
    matcher.attempt_frames(r, &mut next)
}
