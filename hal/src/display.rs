//! Display role: an embedded-graphics [`DrawTarget`] ([`Framebuffer`]) that screens
//! are drawn into, and a display that presents a finished frame and is told which
//! screen it shows.
//!
//! The framebuffer is plain RGB888 in memory; a driver converts it to its panel's
//! format (RGB565, XRGB8888, PNG) in [`Display::present`].

use embedded_graphics_core::draw_target::DrawTarget;
use embedded_graphics_core::geometry::{OriginDimensions, Size};
use embedded_graphics_core::pixelcolor::{Rgb888, RgbColor};
use embedded_graphics_core::Pixel;

/// What generic code needs to know about a display failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The device is missing or was unplugged.
    NotConnected,
    /// The frame does not fit the panel or its pixel format is unsupported.
    Format,
    /// Writing the frame failed.
    Io,
    /// Anything else.
    Other,
}

crate::role_error! {
    /// A display error with a kind.
    ErrorKind {
        NotConnected => "display not connected",
        Format => "frame does not fit the display",
        Io => "writing to the display failed",
        Other => "display failure",
    }
}

/// An in-memory RGB888 frame that embedded-graphics draws into.
#[derive(Clone, PartialEq, Eq)]
pub struct Framebuffer {
    size: Size,
    pixels: Vec<Rgb888>,
}

impl Framebuffer {
    /// A black frame of `width` × `height` pixels.
    pub fn new(width: u32, height: u32) -> Self {
        Framebuffer {
            size: Size::new(width, height),
            pixels: vec![Rgb888::BLACK; width as usize * height as usize],
        }
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.size.width
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.size.height
    }

    /// The pixel at (x, y); `None` outside the frame.
    pub fn pixel(&self, x: u32, y: u32) -> Option<Rgb888> {
        (x < self.size.width && y < self.size.height)
            .then(|| self.pixels[(y * self.size.width + x) as usize])
    }

    /// Sets the pixel at (x, y); ignored outside the frame.
    pub fn set_pixel(&mut self, x: u32, y: u32, color: Rgb888) {
        if x < self.size.width && y < self.size.height {
            self.pixels[(y * self.size.width + x) as usize] = color;
        }
    }

    /// All pixels, row-major.
    pub fn pixels(&self) -> &[Rgb888] {
        &self.pixels
    }

    /// The frame as packed R G B bytes, row-major.
    pub fn to_rgb_bytes(&self) -> Vec<u8> {
        self.pixels
            .iter()
            .flat_map(|p| [p.r(), p.g(), p.b()])
            .collect()
    }
}

impl core::fmt::Debug for Framebuffer {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Framebuffer({}x{})", self.size.width, self.size.height)
    }
}

impl OriginDimensions for Framebuffer {
    fn size(&self) -> Size {
        self.size
    }
}

impl DrawTarget for Framebuffer {
    type Color = Rgb888;
    type Error = core::convert::Infallible;

    fn draw_iter<I>(&mut self, pixels: I) -> Result<(), Self::Error>
    where
        I: IntoIterator<Item = Pixel<Self::Color>>,
    {
        for Pixel(point, color) in pixels {
            if point.x >= 0 && point.y >= 0 {
                self.set_pixel(point.x as u32, point.y as u32, color);
            }
        }
        Ok(())
    }

    fn clear(&mut self, color: Self::Color) -> Result<(), Self::Error> {
        self.pixels.fill(color);
        Ok(())
    }
}

/// Which screen a presented frame shows (for drivers that record or announce it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScreenShown {
    /// Screen id (CONTRACT §3), e.g. `idle`.
    pub id: String,
    /// Language of the text, e.g. `ja`.
    pub lang: String,
}

/// A display panel.
pub trait Display: Send {
    /// The driver's error.
    type Error: Error;
    /// The panel size in pixels; screens are drawn at this size.
    fn size(&self) -> Size;
    /// Shows `frame`, which draws the screen `shown`.
    fn present(&mut self, frame: &Framebuffer, shown: &ScreenShown) -> Result<(), Self::Error>;
    /// True if the display keeps what it is shown (e.g. writes files): personal
    /// images (the camera preview, the holder's name image) are then never drawn
    /// for it. Panels keep nothing (the default).
    fn stores_frames(&self) -> bool {
        false
    }
}

/// A display whose driver type is erased, for run-time selection.
pub type BoxedDisplay = Box<dyn Display<Error = Box<dyn Error>>>;

struct Erased<T>(T);

impl<T: Display> Display for Erased<T> {
    type Error = Box<dyn Error>;
    fn size(&self) -> Size {
        self.0.size()
    }
    fn present(&mut self, frame: &Framebuffer, shown: &ScreenShown) -> Result<(), Self::Error> {
        self.0.present(frame, shown).map_err(|e| Box::new(e) as _)
    }
    fn stores_frames(&self) -> bool {
        self.0.stores_frames()
    }
}

/// Erases the driver type of `display`.
pub fn boxed<T: Display + 'static>(display: T) -> BoxedDisplay {
    Box::new(Erased(display))
}

impl<T: Display + ?Sized> Display for Box<T> {
    type Error = T::Error;
    fn size(&self) -> Size {
        (**self).size()
    }
    fn present(&mut self, frame: &Framebuffer, shown: &ScreenShown) -> Result<(), Self::Error> {
        (**self).present(frame, shown)
    }
    fn stores_frames(&self) -> bool {
        (**self).stores_frames()
    }
}
