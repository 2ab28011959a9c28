//! The real face matcher: detect (CenterFace or YuNet, 5 landmarks) → judge capture quality →
//! optional liveness → align onto the ArcFace template → check the aligned face is
//! sharp → embed → cosine against the enrolled chip photo.
//!
//! The chip photo is greyscale, so camera faces are embedded in greyscale as well
//! (`[face] grey_embedding`, default on): colour would only add a difference the
//! reference cannot have.

use super::align::{aligned_input, mirrored, template_for};
use super::config::FaceConfig;
use super::detect::{Detection, Detector};
use super::liveness::Liveness;
use super::net::{Backend, Net};
use super::quality::{choose_patient, judge, QualityFigures, QualityLimits};
use super::rgb::RgbImage;
use super::sharpness::sharpness;
use super::{cosine, decode_chip_photo, FaceError, FaceMatcher, Fusion, Reference, Template};
use crate::flow::{FaceOutcome, Guidance};
use kaonin_hal::camera::Frame;
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

/// Time spent in each stage of one attempt.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Timings {
    /// Frame → RGB image.
    pub decode: Duration,
    /// Face detection.
    pub detect: Duration,
    /// Quality checks (incl. mask).
    pub quality: Duration,
    /// Liveness classifier (when on).
    pub liveness: Duration,
    /// Alignment onto the template.
    pub align: Duration,
    /// Embedding network.
    pub embed: Duration,
    /// Cosine and decision.
    pub compare: Duration,
}

/// Everything one attempt found, for benchmarks, evaluation and logs (no pixels).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AttemptReport {
    /// What the flow gets.
    pub outcome: FaceOutcome,
    /// Quality measurements of the patient's face.
    pub figures: QualityFigures,
    /// Liveness probability, when checked.
    pub live: Option<f32>,
    /// Stage timings.
    pub timings: Timings,
}

/// Why an image yields no embedding.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NoEmbedding {
    /// Guidance for the patient.
    Guidance(Guidance),
    /// The liveness check refused the face (probability given).
    NotLive(f32),
}

/// The real pipeline (see the module documentation).
pub struct OnnxMatcher {
    detector: Detector,
    embedder: Net,
    liveness: Option<Liveness>,
    config: FaceConfig,
    limits: QualityLimits,
}

impl core::fmt::Debug for OnnxMatcher {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "OnnxMatcher(threshold {})", self.config.threshold)
    }
}

impl OnnxMatcher {
    /// Loads the models named in `config`; a missing file is an error naming it.
    pub fn from_config(config: &FaceConfig) -> Result<OnnxMatcher, FaceError> {
        let backend = Backend::from_config(config);
        let detector = Detector::load(
            config.detector,
            &backend,
            &config.detector_model,
            config.detector_width,
            config.detector_height,
            config.detector_threshold,
        )?;
        let side = config.embedder_size as usize;
        let embedder = Net::load_with(&backend, &config.embedder_model, [1, 3, side, side])?;
        let liveness = if config.liveness {
            Some(Liveness::load(
                &backend,
                &config.liveness_model,
                config.liveness_class,
            )?)
        } else {
            None
        };
        Ok(OnnxMatcher {
            detector,
            embedder,
            liveness,
            limits: QualityLimits {
                min_eye_distance_px: config.min_eye_distance_px,
                max_head_turn: config.max_head_turn,
                min_face_brightness: config.min_face_brightness,
            },
            config: config.clone(),
        })
    }

    /// The configured match threshold.
    pub fn threshold(&self) -> f32 {
        self.config.threshold
    }

    /// All faces in an image (for evaluation and tests).
    pub fn detect(&self, image: &RgbImage) -> Result<Vec<Detection>, FaceError> {
        self.detector.detect(image)
    }

    /// The unit-length embedding of `face` in `image`.
    pub fn embed_face(
        &self,
        image: &RgbImage,
        face: &Detection,
    ) -> Result<Zeroizing<Vec<f32>>, FaceError> {
        self.embed_aligned(image, face, false)
    }

    /// [`Self::embed_face`]; with `mirror`, the unit-length mean of the embeddings of
    /// the face and of its mirror image.
    fn embed_aligned(
        &self,
        image: &RgbImage,
        face: &Detection,
        mirror: bool,
    ) -> Result<Zeroizing<Vec<f32>>, FaceError> {
        let input = self
            .align(image, &face.landmarks)
            .ok_or_else(|| FaceError::Inference("degenerate landmarks".into()))?;
        if !mirror {
            return self.embed_input(input);
        }
        let flipped = mirrored(&input, self.config.embedder_size as usize);
        let mut sum = self.embed_input(input)?;
        let other = self.embed_input(flipped)?;
        sum.iter_mut().zip(other.iter()).for_each(|(a, b)| *a += b);
        let norm = sum.iter().map(|x| x * x).sum::<f32>().sqrt();
        sum.iter_mut()
            .for_each(|x| *x /= norm.max(f32::MIN_POSITIVE));
        Ok(sum)
    }

    /// The embedder's input: `landmarks` in `image` warped onto its template.
    fn align(&self, image: &RgbImage, landmarks: &[[f32; 2]; 5]) -> Option<Vec<f32>> {
        let c = &self.config;
        let template = template_for(c.embedder_template, c.embedder_size);
        aligned_input(
            image,
            landmarks,
            &template,
            c.embedder_size,
            c.embedder_mean,
            c.embedder_scale,
            c.grey_embedding,
        )
    }

    /// How sharp an aligned input is (see `face::sharpness`).
    fn sharpness(&self, input: &[f32]) -> f32 {
        let c = &self.config;
        let template = template_for(c.embedder_template, c.embedder_size);
        sharpness(input, c.embedder_size as usize, &template)
    }

    fn embed_input(&self, input: Vec<f32>) -> Result<Zeroizing<Vec<f32>>, FaceError> {
        let out = self.embedder.run(input)?;
        let mut v = Zeroizing::new(
            out.into_iter()
                .next()
                .map(|o| o.data)
                .ok_or_else(|| FaceError::Inference("embedder gave no output".into()))?,
        );
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        if v.is_empty() || !norm.is_finite() || norm == 0.0 {
            return Err(FaceError::Inference("embedder gave a zero vector".into()));
        }
        v.iter_mut().for_each(|x| *x /= norm);
        Ok(v)
    }

    /// The reference embedding of a chip-style photo already decoded: the largest face.
    pub fn enroll_image(&self, image: &RgbImage) -> Result<Reference, FaceError> {
        let faces = self.detector.detect(image)?;
        let patient = choose_patient(&faces, image.width(), image.height())
            .and_then(|i| faces.get(i))
            .ok_or_else(|| FaceError::NoFaceInChip("no face detected".into()))?;
        let embedding = self.embed_aligned(image, patient, self.config.mirror_chip)?;
        Ok(Reference::new(Template::Embedding(embedding)))
    }

    /// One attempt with its measurements and timings.
    pub fn attempt_report(&mut self, reference: &Reference, frame: &Frame) -> AttemptReport {
        let mut timings = Timings::default();
        let t = Instant::now();
        let image = RgbImage::from_frame(frame);
        timings.decode = t.elapsed();
        let Some(image) = image else {
            return report(
                FaceOutcome::Unavailable,
                QualityFigures::default(),
                None,
                timings,
            );
        };
        match self.probe(&image, &mut timings) {
            Err(e) => {
                tracing::warn!(error = %e, "face attempt failed");
                report(
                    FaceOutcome::Unavailable,
                    QualityFigures::default(),
                    None,
                    timings,
                )
            }
            Ok((Err(NoEmbedding::Guidance(g)), figures, live)) => {
                report(FaceOutcome::Guidance(g), figures, live, timings)
            }
            Ok((Err(NoEmbedding::NotLive(p)), figures, live)) => {
                tracing::warn!(live = p, "presentation attack suspected; face not matched");
                report(FaceOutcome::NoMatch { score: 0.0 }, figures, live, timings)
            }
            Ok((Ok(probe), figures, live)) => {
                let t = Instant::now();
                let Template::Embedding(r) = &reference.template else {
                    return report(FaceOutcome::Unavailable, figures, live, timings);
                };
                let score = cosine(r, &probe);
                let outcome = if score >= self.config.threshold {
                    FaceOutcome::Match { score }
                } else {
                    FaceOutcome::NoMatch { score }
                };
                timings.compare = t.elapsed();
                report(outcome, figures, live, timings)
            }
        }
    }

    /// Detection, quality, liveness and embedding of the patient's face in `image`.
    #[allow(clippy::type_complexity)]
    pub fn probe(
        &self,
        image: &RgbImage,
        timings: &mut Timings,
    ) -> Result<
        (
            Result<Zeroizing<Vec<f32>>, NoEmbedding>,
            QualityFigures,
            Option<f32>,
        ),
        FaceError,
    > {
        let mut figures = QualityFigures::default();
        if image.mean_luma_sparse() < self.config.min_face_brightness * 0.6 {
            return Ok((Err(NoEmbedding::Guidance(Guidance::TooDark)), figures, None));
        }
        let t = Instant::now();
        let faces = self.detector.detect(image)?;
        timings.detect = t.elapsed();
        let t = Instant::now();
        let Some(patient) = choose_patient(&faces, image.width(), image.height()) else {
            return Ok((Err(NoEmbedding::Guidance(Guidance::NoFace)), figures, None));
        };
        let judged = judge(image, &faces, patient, &self.limits, &mut figures);
        timings.quality = t.elapsed();
        if faces.len() > 1 {
            tracing::debug!(others = faces.len() - 1, "other faces in view, ignored");
        }
        if let Err(g) = judged {
            return Ok((Err(NoEmbedding::Guidance(g)), figures, None));
        }
        let face = &faces[patient];
        let mut live = None;
        if let Some(liveness) = &self.liveness {
            let t = Instant::now();
            let p = liveness.live_probability(image, face)?;
            timings.liveness = t.elapsed();
            live = Some(p);
            if p < self.config.liveness_threshold {
                return Ok((Err(NoEmbedding::NotLive(p)), figures, live));
            }
        }
        let t = Instant::now();
        let input = self.align(image, &face.landmarks);
        timings.align = t.elapsed();
        let Some(input) = input else {
            return Ok((
                Err(NoEmbedding::Guidance(Guidance::HeadTurned)),
                figures,
                live,
            ));
        };
        let t = Instant::now();
        figures.sharpness = self.sharpness(&input);
        timings.quality += t.elapsed();
        if figures.sharpness < self.config.min_face_sharpness {
            return Ok((
                Err(NoEmbedding::Guidance(Guidance::HoldStill)),
                figures,
                live,
            ));
        }
        let t = Instant::now();
        let embedding = self.embed_input(input)?;
        timings.embed = t.elapsed();
        Ok((Ok(embedding), figures, live))
    }
}

fn report(
    outcome: FaceOutcome,
    figures: QualityFigures,
    live: Option<f32>,
    timings: Timings,
) -> AttemptReport {
    AttemptReport {
        outcome,
        figures,
        live,
        timings,
    }
}

impl FaceMatcher for OnnxMatcher {
    fn enroll(&mut self, chip_jp2: &[u8]) -> Result<Reference, FaceError> {
        let photo = decode_chip_photo(chip_jp2)?;
        self.enroll_image(&RgbImage::from_gray(&photo))
    }

    fn attempt(&mut self, reference: &Reference, frame: &Frame) -> FaceOutcome {
        self.attempt_report(reference, frame).outcome
    }

    /// A first frame without a usable face ends the attempt at once with its guidance
    /// (the patient sees it, as with one frame per attempt). From the first good
    /// frame on, the attempt captures until `attempt_frames` good frames are in or
    /// `attempt_captures` frames were taken, passing over unusable ones, and decides
    /// once on their fused score ([`Fusion`]) — with `fuse_attempts`, on the fused
    /// score of every good frame of the reception so far. A frame identical to the
    /// one before (a still camera feed) adds nothing and is not judged again.
    fn attempt_frames(
        &mut self,
        reference: &mut Reference,
        next: &mut dyn FnMut() -> Option<Frame>,
    ) -> FaceOutcome {
        let Template::Embedding(r) = &reference.template else {
            return FaceOutcome::Unavailable;
        };
        let seen = &mut reference.seen;
        let cumulative = self.config.fuse_attempts;
        let mut fusion = Fusion::default();
        let mut previous = None;
        for _ in 0..self.config.attempt_captures.max(1) {
            let Some(frame) = next() else {
                break;
            };
            let digest = frame_digest(&frame);
            if previous.replace(digest) == Some(digest) {
                continue;
            }
            match self.look(&frame) {
                Look::Good(embedding) => {
                    fusion.add(&embedding);
                    if cumulative {
                        seen.add(&embedding);
                    }
                }
                Look::Skip(guidance) if fusion.frames() == 0 => {
                    return FaceOutcome::Guidance(guidance)
                }
                Look::Skip(_) | Look::Failed => {}
                Look::NotLive => return FaceOutcome::NoMatch { score: 0.0 },
            }
            if fusion.frames() >= self.config.attempt_frames.max(1) {
                break;
            }
        }
        // No good frame in this attempt: nothing new to decide on.
        let fused = if cumulative && fusion.frames() > 0 {
            seen.score(r)
        } else {
            fusion.score(r)
        };
        match fused {
            Some(score) if score >= self.config.threshold => FaceOutcome::Match { score },
            Some(score) => FaceOutcome::NoMatch { score },
            // No good frame: the camera failed, or no frame could be judged.
            None => FaceOutcome::Unavailable,
        }
    }
}

/// What one frame of an attempt gave.
enum Look {
    /// A usable face: its embedding.
    Good(Zeroizing<Vec<f32>>),
    /// No usable face, and why.
    Skip(Guidance),
    /// The liveness check refused the face.
    NotLive,
    /// The frame could not be judged (bad format, inference error).
    Failed,
}

impl OnnxMatcher {
    fn look(&self, frame: &Frame) -> Look {
        let Some(image) = RgbImage::from_frame(frame) else {
            return Look::Failed;
        };
        match self.probe(&image, &mut Timings::default()) {
            Ok((Ok(embedding), _, _)) => Look::Good(embedding),
            Ok((Err(NoEmbedding::Guidance(g)), _, _)) => Look::Skip(g),
            Ok((Err(NoEmbedding::NotLive(p)), _, _)) => {
                tracing::warn!(live = p, "presentation attack suspected; face not matched");
                Look::NotLive
            }
            Err(e) => {
                tracing::warn!(error = %e, "face frame could not be judged");
                Look::Failed
            }
        }
    }
}

/// A digest of a frame's pixels, to notice a frame repeated unchanged.
fn frame_digest(frame: &Frame) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (frame.width, frame.height).hash(&mut h);
    frame.data.hash(&mut h);
    h.finish()
}
