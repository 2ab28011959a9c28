//! Developer and evaluation tools: measuring the face matcher and the card-face
//! reader on labelled data, and drawing every screen for review.
//!
//! - [`face_eval`]: `kaonin face-eval` (FAR/FRR, EER, thresholds, ROC);
//! - [`ocr_eval`]: `kaonin ocr-eval` (照合番号B reading on real or generated sets);
//! - [`render`]: `kaonin render` (one screen, or all of them with a contact sheet).
//!
//! Built only with the `tools` feature (on by default on the desktop, off in the
//! packaged board build); tools may use the simulators, product rooms never import
//! either.

pub mod face_eval;
pub mod ocr_eval;
pub mod render;
