//! A camera whose "view" is an image file (PNG or JPEG), for the desktop demo and tests.
//!
//! A cloneable [`ImageCameraHandle`] chooses which file the camera sees now; with no
//! file it sees an empty counter (uniform grey). Each capture decodes the file and fits
//! it into the camera's frame size, keeping its aspect ratio and filling the rest with
//! the empty-counter grey (letterbox). The file is only read; nothing is written, and the
//! decoded pixels live only in the returned [`Frame`], which wipes itself on drop.

use image::imageops::FilterType;
use kaonin_hal::camera::{Camera, Error, ErrorKind, Frame, PixelFormat};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use zeroize::Zeroize;

/// Grey level of the empty counter and of the letterbox bars.
pub const EMPTY_GREY: u8 = 128;

/// Why a capture failed.
#[derive(Debug, thiserror::Error)]
pub enum ImageCameraError {
    /// The file could not be read or decoded as an image.
    #[error("camera image {path}: {reason}")]
    Unreadable {
        /// The file the camera was pointed at.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// The camera was created with a zero or absurd frame size.
    #[error("camera frame size {width}x{height} is not usable")]
    BadSize {
        /// Requested width.
        width: u32,
        /// Requested height.
        height: u32,
    },
}

impl Error for ImageCameraError {
    fn kind(&self) -> ErrorKind {
        ErrorKind::Format
    }
}

/// The test's (or control socket's) side of an [`ImageCamera`].
#[derive(Clone, Debug)]
pub struct ImageCameraHandle {
    view: Arc<Mutex<Option<PathBuf>>>,
}

impl ImageCameraHandle {
    /// The camera now sees the image in `path`; `None`: the empty counter.
    pub fn set(&self, path: Option<PathBuf>) {
        *lock(&self.view) = path;
    }

    /// The file the camera sees now, if any.
    pub fn current(&self) -> Option<PathBuf> {
        lock(&self.view).clone()
    }
}

/// A camera of `width` × `height` RGB frames taken from image files.
pub struct ImageCamera {
    width: u32,
    height: u32,
    view: Arc<Mutex<Option<PathBuf>>>,
}

impl ImageCamera {
    /// A camera that sees the empty counter, and the handle that changes its view.
    pub fn new(width: u32, height: u32) -> (ImageCamera, ImageCameraHandle) {
        let view = Arc::new(Mutex::new(None));
        let camera = ImageCamera {
            width,
            height,
            view: view.clone(),
        };
        (camera, ImageCameraHandle { view })
    }
}

impl Camera for ImageCamera {
    type Error = ImageCameraError;

    fn capture(&mut self) -> Result<Frame, ImageCameraError> {
        let bad_size = ImageCameraError::BadSize {
            width: self.width,
            height: self.height,
        };
        if self.width == 0 || self.height == 0 || self.width > 8192 || self.height > 8192 {
            return Err(bad_size);
        }
        let view = lock(&self.view).clone();
        match view {
            None => Ok(Frame::empty_scene(self.width, self.height)),
            Some(path) => {
                let data = letterboxed_rgb(&path, self.width, self.height)?;
                Frame::new(self.width, self.height, PixelFormat::Rgb8, data).ok_or(bad_size)
            }
        }
    }
}

fn lock(view: &Mutex<Option<PathBuf>>) -> MutexGuard<'_, Option<PathBuf>> {
    view.lock().unwrap_or_else(|p| p.into_inner())
}

/// Decodes `path` and fits it into `width` × `height` RGB bytes, centred, aspect kept.
fn letterboxed_rgb(path: &Path, width: u32, height: u32) -> Result<Vec<u8>, ImageCameraError> {
    let unreadable = |reason: String| ImageCameraError::Unreadable {
        path: path.to_owned(),
        reason,
    };
    let bytes = std::fs::read(path).map_err(|e| unreadable(e.to_string()))?;
    let decoded = image::load_from_memory(&bytes).map_err(|e| unreadable(e.to_string()))?;
    let mut rgb = decoded.to_rgb8();
    drop(decoded);
    let (w, h) = (rgb.width().max(1), rgb.height().max(1));
    // Scale so the whole picture fits: min(width / w, height / h).
    let (fit_w, fit_h) = if u64::from(width) * u64::from(h) <= u64::from(height) * u64::from(w) {
        (
            width,
            ((u64::from(h) * u64::from(width)) / u64::from(w)).max(1) as u32,
        )
    } else {
        (
            ((u64::from(w) * u64::from(height)) / u64::from(h)).max(1) as u32,
            height,
        )
    };
    let mut scaled = image::imageops::resize(&rgb, fit_w, fit_h, FilterType::Triangle);
    rgb.as_mut().zeroize();
    let mut out = vec![EMPTY_GREY; width as usize * height as usize * 3];
    let (x0, y0) = ((width - fit_w) / 2, (height - fit_h) / 2);
    let row_bytes = fit_w as usize * 3;
    for (y, src_row) in scaled.as_raw().chunks_exact(row_bytes).enumerate() {
        let start = ((y0 as usize + y) * width as usize + x0 as usize) * 3;
        if let Some(dst) = out.get_mut(start..start + row_bytes) {
            dst.copy_from_slice(src_row);
        }
    }
    scaled.as_mut().zeroize();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn faces() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../assets/faces")
    }

    #[test]
    fn empty_view_is_uniform_grey() {
        let (mut camera, _handle) = ImageCamera::new(64, 48);
        let frame = camera.capture().unwrap();
        assert_eq!((frame.width, frame.height), (64, 48));
        assert!(frame.data.iter().all(|&b| b == EMPTY_GREY));
    }

    #[test]
    fn portrait_image_is_letterboxed_into_landscape_frame() {
        let (mut camera, handle) = ImageCamera::new(640, 480);
        handle.set(Some(faces().join("alice.png")));
        let frame = camera.capture().unwrap();
        assert_eq!(
            (frame.width, frame.height, frame.format),
            (640, 480, PixelFormat::Rgb8)
        );
        // 480x640 fits as 360x480, centred: bars of 140 px on each side.
        let px = |x: usize, y: usize| &frame.data[(y * 640 + x) * 3..(y * 640 + x) * 3 + 3];
        assert_eq!(px(10, 240), [EMPTY_GREY; 3]);
        assert_eq!(px(630, 240), [EMPTY_GREY; 3]);
        assert_ne!(px(320, 10), [EMPTY_GREY; 3], "picture background inside");
    }

    #[test]
    fn handle_switches_view_and_back() {
        let (mut camera, handle) = ImageCamera::new(32, 32);
        handle.set(Some(faces().join("bob.png")));
        assert!(camera
            .capture()
            .unwrap()
            .data
            .iter()
            .any(|&b| b != EMPTY_GREY));
        handle.set(None);
        assert!(camera
            .capture()
            .unwrap()
            .data
            .iter()
            .all(|&b| b == EMPTY_GREY));
        assert_eq!(handle.current(), None);
    }

    #[test]
    fn unreadable_file_is_a_format_error() {
        let (mut camera, handle) = ImageCamera::new(32, 32);
        handle.set(Some(faces().join("README.md")));
        let err = camera.capture().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Format);
        handle.set(Some(faces().join("no-such-file.png")));
        assert_eq!(camera.capture().unwrap_err().kind(), ErrorKind::Format);
    }

    #[test]
    fn zero_size_camera_is_an_error_not_a_panic() {
        let (mut camera, _) = ImageCamera::new(0, 10);
        assert!(camera.capture().is_err());
    }
}
