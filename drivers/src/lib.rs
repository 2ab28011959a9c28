//! Real device drivers for the kaonin reader: cameras (image files, V4L2) and, behind
//! features, PC/SC readers.

pub mod image_camera;
pub mod v4l2;
