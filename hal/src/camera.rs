//! Camera role: still frames of the person at the counter (or, for a card-face
//! camera, of the printed card).
//!
//! Frames are raw pixels in memory, wiped when dropped. No frame is ever written to
//! disk or logs by kaonin.

use zeroize::Zeroizing;

/// What generic code needs to know about a camera failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The device is missing or was unplugged.
    NotConnected,
    /// The device answered, but gave no usable frame.
    NoFrame,
    /// A frame did not arrive in time.
    Timeout,
    /// The frame could not be decoded.
    Format,
    /// Anything else.
    Other,
}

crate::role_error! {
    /// A camera error with a kind.
    ErrorKind {
        NotConnected => "camera not connected",
        NoFrame => "camera gave no frame",
        Timeout => "camera timed out",
        Format => "camera frame could not be decoded",
        Other => "camera failure",
    }
}

/// Pixel layout of a [`Frame`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PixelFormat {
    /// One byte per pixel.
    Gray8,
    /// Three bytes per pixel, R G B.
    Rgb8,
}

impl PixelFormat {
    /// Bytes per pixel.
    pub fn bytes_per_pixel(self) -> usize {
        match self {
            PixelFormat::Gray8 => 1,
            PixelFormat::Rgb8 => 3,
        }
    }
}

/// One captured image, wiped from memory on drop.
pub struct Frame {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Pixel layout.
    pub format: PixelFormat,
    /// Row-major pixels, `width * height * bytes_per_pixel` bytes.
    pub data: Zeroizing<Vec<u8>>,
}

impl Frame {
    /// A frame from raw pixels; `None` if the buffer size does not match.
    pub fn new(width: u32, height: u32, format: PixelFormat, data: Vec<u8>) -> Option<Self> {
        let data = Zeroizing::new(data);
        let expected = (width as usize)
            .checked_mul(height as usize)?
            .checked_mul(format.bytes_per_pixel())?;
        (data.len() == expected).then_some(Frame {
            width,
            height,
            format,
            data,
        })
    }

    /// A uniform grey frame: what a camera sees of an empty counter.
    pub fn empty_scene(width: u32, height: u32) -> Self {
        let len = width as usize * height as usize * 3;
        Frame {
            width,
            height,
            format: PixelFormat::Rgb8,
            data: Zeroizing::new(vec![128; len]),
        }
    }

    /// Luminance of the pixel at (x, y), 0–255.
    pub fn luma(&self, x: u32, y: u32) -> u8 {
        let i = (y as usize * self.width as usize + x as usize) * self.format.bytes_per_pixel();
        match self.format {
            PixelFormat::Gray8 => self.data[i],
            PixelFormat::Rgb8 => {
                let (r, g, b) = (
                    self.data[i] as u32,
                    self.data[i + 1] as u32,
                    self.data[i + 2] as u32,
                );
                ((299 * r + 587 * g + 114 * b) / 1000) as u8
            }
        }
    }
}

impl core::fmt::Debug for Frame {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Frame({}x{} {:?})", self.width, self.height, self.format)
    }
}

/// A camera.
pub trait Camera: Send {
    /// The driver's error.
    type Error: Error;
    /// Captures one frame.
    fn capture(&mut self) -> Result<Frame, Self::Error>;
}

/// A camera whose driver type is erased, for run-time selection.
pub type BoxedCamera = Box<dyn Camera<Error = Box<dyn Error>>>;

struct Erased<T>(T);

impl<T: Camera> Camera for Erased<T> {
    type Error = Box<dyn Error>;
    fn capture(&mut self) -> Result<Frame, Self::Error> {
        self.0.capture().map_err(|e| Box::new(e) as _)
    }
}

/// Erases the driver type of `camera`.
pub fn boxed<T: Camera + 'static>(camera: T) -> BoxedCamera {
    Box::new(Erased(camera))
}

impl<T: Camera + ?Sized> Camera for Box<T> {
    type Error = T::Error;
    fn capture(&mut self) -> Result<Frame, Self::Error> {
        (**self).capture()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_size_is_checked() {
        assert!(Frame::new(2, 2, PixelFormat::Gray8, vec![0; 4]).is_some());
        assert!(Frame::new(2, 2, PixelFormat::Rgb8, vec![0; 4]).is_none());
        assert!(Frame::new(u32::MAX, u32::MAX, PixelFormat::Rgb8, vec![]).is_none());
    }

    #[test]
    fn luma_of_rgb() {
        let f = Frame::new(1, 1, PixelFormat::Rgb8, vec![255, 255, 255]).unwrap();
        assert_eq!(f.luma(0, 0), 255);
    }
}
