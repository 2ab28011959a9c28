//! Drivers for the kaonin reader terminal: real and desktop devices behind the
//! `kaonin-hal` roles — PC/SC readers (feature `pcsc`), cameras (image files, V4L2),
//! displays (framebuffer, PNG) and inputs (touchscreen). Drivers depend on
//! `kaonin-hal` only, never on the `kaonin` crate.

#![forbid(unsafe_code)]

pub mod framebuffer;
pub mod image_camera;
#[cfg(feature = "pcsc")]
pub mod pcsc;
pub mod png;
pub mod touch;
