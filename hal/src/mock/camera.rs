//! A camera that shows whatever frame the test put in front of it.

use crate::camera::{Camera, ErrorKind, Frame, PixelFormat};
use std::sync::{Arc, Mutex};

#[derive(Clone)]
enum Scene {
    /// Nothing in view: the camera sees an empty counter.
    Empty,
    /// A picture, kept as raw pixels.
    Image {
        width: u32,
        height: u32,
        format: PixelFormat,
        data: Arc<zeroize::Zeroizing<Vec<u8>>>,
    },
    /// The camera is broken or unplugged.
    Failing(ErrorKind),
}

/// The test's side of a [`MockCamera`].
#[derive(Clone)]
pub struct MockCameraHandle {
    scene: Arc<Mutex<Scene>>,
}

impl MockCameraHandle {
    /// The camera now sees `frame`.
    pub fn show(&self, frame: Frame) {
        let Frame {
            width,
            height,
            format,
            data,
        } = frame;
        *self.lock() = Scene::Image {
            width,
            height,
            format,
            data: Arc::new(data),
        };
    }

    /// The camera now sees nothing but the empty counter.
    pub fn clear(&self) {
        *self.lock() = Scene::Empty;
    }

    /// Every capture now fails with `kind`.
    pub fn fail(&self, kind: ErrorKind) {
        *self.lock() = Scene::Failing(kind);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Scene> {
        self.scene.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A camera of `width` × `height` frames.
pub struct MockCamera {
    width: u32,
    height: u32,
    scene: Arc<Mutex<Scene>>,
}

impl MockCamera {
    /// A camera that sees an empty counter, and its handle.
    pub fn new(width: u32, height: u32) -> (Self, MockCameraHandle) {
        let scene = Arc::new(Mutex::new(Scene::Empty));
        let camera = MockCamera {
            width,
            height,
            scene: scene.clone(),
        };
        (camera, MockCameraHandle { scene })
    }
}

impl Camera for MockCamera {
    type Error = ErrorKind;

    fn capture(&mut self) -> Result<Frame, ErrorKind> {
        let scene = self.scene.lock().unwrap_or_else(|p| p.into_inner()).clone();
        match scene {
            Scene::Empty => Ok(Frame::empty_scene(self.width, self.height)),
            Scene::Image {
                width,
                height,
                format,
                data,
            } => Frame::new(width, height, format, data.to_vec()).ok_or(ErrorKind::Format),
            Scene::Failing(kind) => Err(kind),
        }
    }
}
