//! A display that keeps every presented frame and screen in memory.

use crate::display::{Display, ErrorKind, Framebuffer, ScreenShown};
use embedded_graphics_core::geometry::Size;
use std::sync::{Arc, Mutex};

/// The test's side of a [`MockDisplay`].
#[derive(Clone, Default)]
pub struct MockDisplayHandle {
    shown: Arc<Mutex<Vec<(ScreenShown, Framebuffer)>>>,
}

impl MockDisplayHandle {
    /// The ids of the screens shown so far, in order.
    pub fn screen_ids(&self) -> Vec<String> {
        self.lock().iter().map(|(s, _)| s.id.clone()).collect()
    }

    /// The last frame presented, with its screen.
    pub fn last(&self) -> Option<(ScreenShown, Framebuffer)> {
        self.lock().last().cloned()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(ScreenShown, Framebuffer)>> {
        self.shown.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A display panel of a given size that records what it shows.
pub struct MockDisplay {
    size: Size,
    handle: MockDisplayHandle,
}

impl MockDisplay {
    /// A `width` × `height` panel and its handle.
    pub fn new(width: u32, height: u32) -> (Self, MockDisplayHandle) {
        let handle = MockDisplayHandle::default();
        let display = MockDisplay {
            size: Size::new(width, height),
            handle: handle.clone(),
        };
        (display, handle)
    }
}

impl Display for MockDisplay {
    type Error = ErrorKind;

    fn size(&self) -> Size {
        self.size
    }

    fn present(&mut self, frame: &Framebuffer, shown: &ScreenShown) -> Result<(), ErrorKind> {
        if frame.width() != self.size.width || frame.height() != self.size.height {
            return Err(ErrorKind::Format);
        }
        self.handle.lock().push((shown.clone(), frame.clone()));
        Ok(())
    }
}
