//! Real and desktop drivers for the kaonin reader terminal: PC/SC readers (feature
//! `pcsc`), cameras (image files, V4L2), displays and inputs.

#![forbid(unsafe_code)]

pub mod image_camera;
#[cfg(feature = "pcsc")]
pub mod pcsc;
