//! Devices that may be missing: opened on first use, and opened again after they
//! report being unplugged. A terminal whose camera, panel or touchscreen is absent at
//! start (or pulled during the day) keeps running, reports the device as down, and
//! picks it up again when it returns.

use kaonin_hal::{camera, display, input};
use std::time::Duration;

type Opener<T> = Box<dyn FnMut() -> Result<T, String> + Send>;

/// A device of type `T`, opened on demand.
pub struct Lazy<T> {
    name: String,
    open: Opener<T>,
    device: Option<T>,
    warned: bool,
}

impl<T> Lazy<T> {
    /// A device called `name` (for logs) that `open` opens.
    pub fn new(name: String, open: impl FnMut() -> Result<T, String> + Send + 'static) -> Self {
        Lazy {
            name,
            open: Box::new(open),
            device: None,
            warned: false,
        }
    }

    fn get(&mut self) -> Option<&mut T> {
        if self.device.is_none() {
            match (self.open)() {
                Ok(device) => {
                    tracing::info!(device = %self.name, "device opened");
                    self.device = Some(device);
                    self.warned = false;
                }
                Err(e) => {
                    if !self.warned {
                        tracing::warn!(device = %self.name, error = %e, "device cannot be opened; will retry");
                        self.warned = true;
                    }
                }
            }
        }
        self.device.as_mut()
    }
}

impl camera::Camera for Lazy<camera::BoxedCamera> {
    type Error = camera::ErrorKind;

    fn capture(&mut self) -> Result<camera::Frame, camera::ErrorKind> {
        let device = self.get().ok_or(camera::ErrorKind::NotConnected)?;
        device.capture().map_err(|e| {
            let kind = camera::Error::kind(&e);
            if kind == camera::ErrorKind::NotConnected {
                self.device = None;
            }
            kind
        })
    }
}

/// A display that may be missing; its size is the configured panel size.
pub struct LazyDisplay {
    pub inner: Lazy<display::BoxedDisplay>,
    pub size: embedded_graphics::geometry::Size,
}

impl display::Display for LazyDisplay {
    type Error = display::ErrorKind;

    fn size(&self) -> embedded_graphics::geometry::Size {
        self.size
    }

    fn present(
        &mut self,
        frame: &display::Framebuffer,
        shown: &display::ScreenShown,
    ) -> Result<(), display::ErrorKind> {
        let device = self.inner.get().ok_or(display::ErrorKind::NotConnected)?;
        device.present(frame, shown).map_err(|e| {
            let kind = display::Error::kind(&e);
            if matches!(
                kind,
                display::ErrorKind::NotConnected | display::ErrorKind::Io
            ) {
                self.inner.device = None;
            }
            kind
        })
    }
}

impl input::Input for Lazy<input::BoxedInput> {
    type Error = input::ErrorKind;

    fn next(&mut self, timeout: Duration) -> Result<Option<input::InputEvent>, input::ErrorKind> {
        let device = self.get().ok_or(input::ErrorKind::NotConnected)?;
        device.next(timeout).map_err(|e| {
            let kind = input::Error::kind(&e);
            if kind == input::ErrorKind::NotConnected {
                self.device = None;
            }
            kind
        })
    }
}
