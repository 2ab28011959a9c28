//! The card-face camera and its OCR reader, opened from `[card_face]`: a V4L2
//! camera looking at the card tray, or image files standing in for it (`images`: a
//! file is every frame, a directory gives its images in name order). The daemon's
//! card-face worker reads cards with it.

use super::lazy::Lazy;
use super::DeviceError;
use crate::card_face::{CardFaceConfig, CardFaceKind, CardFaceReader};
use kaonin_drivers::image_camera::{ImageCamera, ImageCameraHandle};
use kaonin_hal::camera::{BoxedCamera, Camera, Frame};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Frame size of the card-face camera.
pub const FRAME_W: u32 = 640;
/// Frame height of the card-face camera.
pub const FRAME_H: u32 = 480;

/// The card-face camera and the OCR reader, built from `[card_face]`.
pub struct CardFaceDevice {
    pub camera: BoxedCamera,
    pub reader: CardFaceReader,
    pub time_limit: Duration,
    pub max_frames: u32,
    /// Restarts an image sequence at its first file for each card.
    restart: Option<Arc<AtomicUsize>>,
}

impl CardFaceDevice {
    /// Makes the next card start from the first frame (an image sequence starts
    /// again at its first file; a live camera has nothing to rewind).
    pub fn rewind(&self) {
        if let Some(first) = &self.restart {
            first.store(0, Ordering::SeqCst);
        }
    }
}

/// Builds the card-face camera and loads the OCR model for `kind = "images"` or
/// `"v4l2"`; `None` for `"control"`. A missing model is a start-up error naming
/// the file and the fix.
pub fn open(c: &CardFaceConfig) -> Result<Option<CardFaceDevice>, DeviceError> {
    let (camera, restart) = match c.kind {
        CardFaceKind::Control => return Ok(None),
        CardFaceKind::Images => {
            let (camera, handle) = ImageCamera::new(FRAME_W, FRAME_H);
            let next = Arc::new(AtomicUsize::new(0));
            let seq = ImageSequence {
                camera,
                handle,
                source: c.images.clone(),
                next: next.clone(),
            };
            (kaonin_hal::camera::boxed(seq), Some(next))
        }
        CardFaceKind::V4l2 => (v4l2_camera(&c.device), None),
    };
    let mut reader = CardFaceReader::load(&c.models)
        .map_err(|e| DeviceError(format!("card-face OCR model ([card_face] models): {e}")))?;
    reader.check_quality = true;
    Ok(Some(CardFaceDevice {
        camera,
        reader,
        time_limit: Duration::from_secs(c.time_limit_s),
        max_frames: c.max_frames,
        restart,
    }))
}

#[cfg(feature = "v4l2")]
fn v4l2_camera(device: &Path) -> BoxedCamera {
    let device = device.to_path_buf();
    let camera = Lazy::new(device.display().to_string(), move || {
        kaonin_drivers::v4l2::V4l2Camera::open(&device, FRAME_W, FRAME_H)
            .map(kaonin_hal::camera::boxed)
            .map_err(|e| e.to_string())
    });
    kaonin_hal::camera::boxed(camera)
}

#[cfg(not(feature = "v4l2"))]
fn v4l2_camera(device: &Path) -> BoxedCamera {
    let device = device.to_path_buf();
    let camera = Lazy::new(device.display().to_string(), move || {
        Err::<BoxedCamera, String>(format!(
            "{}: this build has no V4L2 driver (build with --features v4l2)",
            device.display()
        ))
    });
    kaonin_hal::camera::boxed(camera)
}

/// Image files as successive frames: a file is every frame; a directory gives its
/// images in name order, then starts again.
struct ImageSequence {
    camera: ImageCamera,
    handle: ImageCameraHandle,
    source: PathBuf,
    next: Arc<AtomicUsize>,
}

fn is_image(path: &Path) -> bool {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    matches!(ext.as_deref(), Some("png" | "jpg" | "jpeg" | "bmp"))
}

impl Camera for ImageSequence {
    type Error = kaonin_drivers::image_camera::ImageCameraError;

    fn capture(&mut self) -> Result<Frame, Self::Error> {
        let view = if self.source.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(&self.source)
                .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
                .unwrap_or_default();
            files.retain(|p| is_image(p));
            files.sort();
            let i = self.next.fetch_add(1, Ordering::SeqCst);
            (!files.is_empty()).then(|| files[i % files.len()].clone())
        } else {
            self.source.is_file().then(|| self.source.clone())
        };
        self.handle.set(view);
        self.camera.capture()
    }
}
