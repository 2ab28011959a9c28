//! In-memory devices that behave like the hardware, for tests and the desktop demo.
//!
//! Each mock comes with a cloneable handle that a test (or the control socket) uses
//! to act as the world: put a card on the reader, show the camera a face, read back
//! what the display showed.

mod camera;
mod display;
mod indicator;
mod reader;

pub use camera::{MockCamera, MockCameraHandle};
pub use display::{MockDisplay, MockDisplayHandle};
pub use indicator::{MockIndicator, MockIndicatorHandle};
pub use reader::{Icc, MockReader, MockReaderHandle};
