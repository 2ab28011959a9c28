//! Drivers for the kaonin reader terminal: real and desktop devices behind the
//! `kaonin-hal` roles — PC/SC readers (feature `pcsc`), cameras (image files, V4L2),
//! displays (framebuffer, PNG), inputs (touchscreen, serial PIN pad) and the GPIO
//! indicator (feature `gpio`). Drivers depend on `kaonin-hal` only, never on the
//! `kaonin` crate.

#![deny(unsafe_code)]

pub mod framebuffer;
pub mod gpio;
pub mod heap;
pub mod image_camera;
#[cfg(feature = "pcsc")]
pub mod pcsc;
pub mod png;
pub mod serial_keypad;
pub mod touch;
pub mod v4l2;
