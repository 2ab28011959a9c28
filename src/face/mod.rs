//! Face verification: the camera face against the photo read from the card's chip.
//!
//! A [`FaceMatcher`] first *enrolls* the chip photo (a small greyscale JPEG 2000 image)
//! into a [`Reference`], then judges camera frames against it, one
//! [`FaceOutcome`](crate::flow::FaceOutcome) per attempt: a match or non-match with its
//! score, or guidance for the patient (no face, too far, too dark, mask, …).
//!
//! Two matchers exist:
//! - the real pipeline (`matcher = "onnx"`): face detection with landmarks, similarity
//!   alignment, an embedding network and a cosine score, on the CPU;
//! - [`TestOnlyThumbnailMatcher`] (`matcher = "test-thumbnail"`): a deterministic
//!   thumbnail correlation for tests and the no-model demo. It is not face recognition.
//!
//! Privacy: photos, frames and embeddings stay in memory, are wiped on drop and are
//! never logged ([`Reference`]'s `Debug` shows no content).

mod align;
mod chip;
pub mod config;
mod detect;
mod fusion;
mod gray;
mod liveness;
mod net;
mod pipeline;
mod prelu;
mod quality;
mod rgb;
mod sharpness;
mod thumbnail;
mod yunet;

pub use align::{Similarity, TEMPLATE_112, TEMPLATE_DLIB_150};
pub use detect::Detection;
pub use fusion::{fused_score, Fusion};
pub use pipeline::{AttemptReport, NoEmbedding, OnnxMatcher, Timings};
pub use quality::{choose_patient, head_turn, lower_face_skin_share, QualityFigures};
pub use rgb::RgbImage;
pub use sharpness::{motion_blur, sharpness};

pub use chip::{decode_chip_photo, MAX_CHIP_SIDE};
pub use config::{DetectorKind, EmbedderTemplate, FaceConfig, FaceRuntime, MatcherKind};
pub use gray::{mean_and_std, GrayImage, Rect};
pub use thumbnail::TestOnlyThumbnailMatcher;

use crate::flow::FaceOutcome;
use kaonin_hal::camera::Frame;
use std::path::PathBuf;
use zeroize::Zeroizing;

/// A face-matching failure outside a single attempt (set-up, enrolment, evaluation).
#[derive(Debug, thiserror::Error)]
pub enum FaceError {
    /// The chip photo could not be decoded.
    #[error("chip photo could not be decoded: {0}")]
    Chip(String),
    /// The chip photo decoded, but holds no usable face.
    #[error("chip photo holds no usable face: {0}")]
    NoFaceInChip(String),
    /// A model file is missing.
    #[error("face model {path} is missing: run scripts/fetch-models.sh (or set [face] paths in the config)")]
    ModelMissing {
        /// The file looked for.
        path: PathBuf,
    },
    /// A model file exists but cannot be used.
    #[error(
        "face model {path} cannot be loaded ({reason}): run scripts/fetch-models.sh to restore it"
    )]
    ModelInvalid {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// Inference failed at run time.
    #[error("face inference failed: {0}")]
    Inference(String),
    /// This matcher cannot be built in this binary.
    #[error("face matcher unavailable: {0}")]
    Unavailable(String),
    /// A file for the evaluation tool could not be read or written.
    #[error("{path}: {reason}")]
    File {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// Bad input to the evaluation tool.
    #[error("{0}")]
    Input(String),
}

/// What a matcher keeps of an enrolled chip photo.
pub(crate) enum Template {
    /// Normalised thumbnail (test-only matcher).
    Thumbnail(Zeroizing<Vec<f32>>),
    /// Unit-length embedding (real pipeline).
    Embedding(Zeroizing<Vec<f32>>),
}

/// The enrolled chip photo, prepared for matching, and the good frames the
/// reception's attempts have seen so far (`[face] fuse_attempts`). Wiped on drop;
/// `Debug` hides it.
pub struct Reference {
    pub(crate) template: Template,
    pub(crate) seen: Fusion,
}

impl Reference {
    pub(crate) fn new(template: Template) -> Reference {
        Reference {
            template,
            seen: Fusion::default(),
        }
    }
}

impl core::fmt::Debug for Reference {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let kind = match self.template {
            Template::Thumbnail(_) => "thumbnail",
            Template::Embedding(_) => "embedding",
        };
        write!(f, "Reference({kind}, hidden)")
    }
}

/// Judges camera frames against an enrolled chip photo.
pub trait FaceMatcher: Send {
    /// Decodes and prepares the chip photo (JP2 or J2K).
    fn enroll(&mut self, chip_jp2: &[u8]) -> Result<Reference, FaceError>;
    /// One attempt: `Match`/`NoMatch` with the score, `Guidance` when the frame holds
    /// no usable face, `Unavailable` when matching cannot run.
    fn attempt(&mut self, reference: &Reference, frame: &Frame) -> FaceOutcome;
    /// One attempt over several frames of one sitting, each pulled from `next`
    /// (`None`: the camera failed). The default judges the first frame alone; the
    /// real pipeline fuses its good frames (`[face] attempt_frames`, [`Fusion`]),
    /// with `[face] fuse_attempts` also those of the reception's earlier attempts,
    /// kept in `reference`.
    fn attempt_frames(
        &mut self,
        reference: &mut Reference,
        next: &mut dyn FnMut() -> Option<Frame>,
    ) -> FaceOutcome {
        match next() {
            Some(frame) => self.attempt(reference, &frame),
            None => FaceOutcome::Unavailable,
        }
    }
}

/// The matcher selected by `[face] matcher`. A missing or corrupt model is an error
/// naming the file and the fix.
pub fn matcher_from_config(face: &FaceConfig) -> Result<Box<dyn FaceMatcher>, FaceError> {
    match face.matcher {
        MatcherKind::TestThumbnail => Ok(Box::new(TestOnlyThumbnailMatcher::new(
            face.thumbnail_threshold,
        ))),
        MatcherKind::Onnx => Ok(Box::new(OnnxMatcher::from_config(face)?)),
    }
}

/// A clear error if a configured model file is missing or empty.
pub(crate) fn check_model(path: &std::path::Path) -> Result<(), FaceError> {
    match std::fs::metadata(path) {
        Err(_) => Err(FaceError::ModelMissing {
            path: path.to_owned(),
        }),
        Ok(m) if m.len() == 0 || !m.is_file() => Err(FaceError::ModelInvalid {
            path: path.to_owned(),
            reason: "empty or not a file".into(),
        }),
        Ok(_) => Ok(()),
    }
}

/// Cosine similarity of two vectors (0 when either is empty or zero).
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let (mut dot, mut na, mut nb) = (0.0f64, 0.0f64, 0.0f64);
    for (x, y) in a.iter().zip(b) {
        dot += f64::from(*x) * f64::from(*y);
        na += f64::from(*x) * f64::from(*x);
        nb += f64::from(*y) * f64::from(*y);
    }
    if a.len() != b.len() || na == 0.0 || nb == 0.0 {
        return 0.0;
    }
    (dot / (na.sqrt() * nb.sqrt())) as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_model_names_file_and_fix() {
        let config = FaceConfig {
            detector_model: PathBuf::from("/nonexistent/centerface.onnx"),
            ..FaceConfig::default()
        };
        let err = matcher_from_config(&config).err().unwrap().to_string();
        assert!(err.contains("/nonexistent/centerface.onnx"), "{err}");
        assert!(err.contains("scripts/fetch-models.sh"), "{err}");
    }

    #[test]
    fn reference_debug_hides_content() {
        let r = Reference::new(Template::Embedding(Zeroizing::new(vec![0.25; 4])));
        let text = format!("{r:?}");
        assert!(!text.contains("0.25"), "{text}");
    }

    #[test]
    fn cosine_basics() {
        assert!((cosine(&[1.0, 0.0], &[1.0, 0.0]) - 1.0).abs() < 1e-6);
        assert!(cosine(&[1.0, 0.0], &[0.0, 1.0]).abs() < 1e-6);
        assert_eq!(cosine(&[1.0], &[1.0, 2.0]), 0.0);
        assert_eq!(cosine(&[0.0, 0.0], &[1.0, 2.0]), 0.0);
    }
}
