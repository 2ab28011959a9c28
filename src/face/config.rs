//! `[face]` (an extension of CONTRACT §2): which matcher, its models, thresholds and
//! runtime. Its defaults and validation live here; the top-level config only puts the
//! section in the file.

use serde::Deserialize;
use std::path::PathBuf;

/// The shipped `min_face_sharpness`: from LFW's tuning people (docs/face.md,
/// "Sharp frames").
pub const MIN_FACE_SHARPNESS: f32 = 0.35;

/// Which face matcher.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MatcherKind {
    /// The real pipeline: ONNX detector + embedder on the CPU (tract).
    Onnx,
    /// The deterministic thumbnail matcher: for tests and the no-model demo only.
    TestThumbnail,
}

/// Which face detector network `detector_model` is (both give a box and five
/// landmarks: eyes, nose tip, mouth corners).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DetectorKind {
    /// YuNet (OpenCV Zoo, MIT): 230 KB, anchor-free outputs at strides 8/16/32, BGR
    /// input. Not yet the default: its LFW DevTrain figures are pending and on the
    /// registry photos it lets one impostor reach 0.51 and misses masks that
    /// CenterFace catches (docs/face.md).
    Yunet,
    /// CenterFace (Star-Clouds, MIT): heatmap, scale, offset and landmark maps.
    #[default]
    Centerface,
}

impl DetectorKind {
    /// The file name of this detector's pinned model (`scripts/fetch-models.sh`).
    pub fn file_name(self) -> &'static str {
        match self {
            DetectorKind::Yunet => "face_detection_yunet_2026may.onnx",
            DetectorKind::Centerface => "centerface.onnx",
        }
    }

    /// Where `scripts/fetch-models.sh` puts this detector's pinned model.
    pub fn default_model(self) -> PathBuf {
        PathBuf::from("models").join(self.file_name())
    }
}

/// Where the embedder expects the five landmarks in its square input crop.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EmbedderTemplate {
    /// The ArcFace 112×112 template (`fr_feature.onnx` and other ArcFace-style models).
    #[default]
    Arcface,
    /// dlib's 150×150 face chip (padding 0.25), for the dlib ResNet
    /// (`dlib_resnet_v1.onnx`, `scripts/fetch-models.sh --dlib`).
    Dlib,
}

/// Which inference runtime runs the face models.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FaceRuntime {
    /// `tract-onnx`: pure Rust, always built.
    #[default]
    Tract,
    /// ONNX Runtime through the `ort` crate (cargo feature `ort`), loading
    /// `onnxruntime_library` at start-up.
    Ort,
}

/// `[face]` (extension of CONTRACT §2): the face matcher, its models and thresholds.
///
/// Relative model paths are taken from the working directory; `scripts/fetch-models.sh`
/// puts the pinned development models in `models/`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FaceConfig {
    pub matcher: MatcherKind,
    /// Which detector network `detector_model` is.
    pub detector: DetectorKind,
    /// Face detector with 5 landmarks, of the `detector` kind.
    pub detector_model: PathBuf,
    /// Detector input width and height (multiples of 32); frames are scaled to fit.
    pub detector_width: u32,
    pub detector_height: u32,
    /// Minimum detector confidence of a face.
    pub detector_threshold: f32,
    /// Embedder (ArcFace-style: aligned square RGB in, one vector out).
    pub embedder_model: PathBuf,
    /// Embedder input side in pixels (the alignment template is scaled to it).
    pub embedder_size: u32,
    /// Embedder input normalisation: (pixel - mean) / scale.
    pub embedder_mean: f32,
    pub embedder_scale: f32,
    /// Where the embedder expects the landmarks (scaled to `embedder_size`).
    pub embedder_template: EmbedderTemplate,
    /// Cosine similarity at or above which a face matches. Belongs to the embedder.
    pub threshold: f32,
    /// Good frames (passing the quality checks) one face attempt fuses before it
    /// decides (`face::Fusion`: their mean embedding against the chip photo).
    pub attempt_frames: u32,
    /// Each attempt fuses its good frames with those of the reception's earlier
    /// attempts (the mean of every good frame so far against the chip photo), not
    /// its own alone.
    pub fuse_attempts: bool,
    /// Most frames one attempt captures, from its first good frame on, while it waits
    /// for `attempt_frames` good ones; with fewer it decides on those. (A first frame
    /// without a usable face ends the attempt at once with its guidance.)
    pub attempt_captures: u32,
    /// Score threshold of the test-only thumbnail matcher.
    pub thumbnail_threshold: f32,
    /// Smallest accepted face: distance between the eyes, in frame pixels.
    pub min_eye_distance_px: f32,
    /// Largest accepted head turn, as a landmark asymmetry ratio (0 frontal, 1 profile).
    pub max_head_turn: f32,
    /// Darkest accepted mean face brightness (0-255).
    pub min_face_brightness: f32,
    /// Least accepted sharpness of the aligned face (0-1, `face::sharpness`): a
    /// smeared frame is passed over, an attempt of smeared frames asks to hold still.
    /// 0 turns the check off.
    pub min_face_sharpness: f32,
    /// Presentation-attack check with the liveness model.
    pub liveness: bool,
    pub liveness_model: PathBuf,
    /// Minimum "real face" probability when `liveness` is on.
    pub liveness_threshold: f32,
    /// Which liveness output means "real face".
    pub liveness_class: usize,
    /// Embed camera faces in greyscale, like the chip photo.
    pub grey_embedding: bool,
    /// Enrol the chip photo as the mean of its embedding and its mirror image's (one
    /// more embedding per session, none per frame).
    pub mirror_chip: bool,
    /// Inference runtime for the models (`tract`, or `ort` in builds with that feature).
    pub runtime: FaceRuntime,
    /// `libonnxruntime.so` loaded when `runtime = "ort"` (scripts/fetch-onnxruntime.sh).
    pub onnxruntime_library: PathBuf,
}

impl Default for FaceConfig {
    fn default() -> Self {
        FaceConfig {
            matcher: MatcherKind::Onnx,
            detector: DetectorKind::Centerface,
            detector_model: DetectorKind::Centerface.default_model(),
            detector_width: 320,
            detector_height: 256,
            detector_threshold: 0.5,
            embedder_model: PathBuf::from("models/fr_feature.onnx"),
            embedder_size: 112,
            embedder_mean: 127.0,
            embedder_scale: 128.0,
            embedder_template: EmbedderTemplate::Arcface,
            threshold: 0.45,
            attempt_frames: 2,
            attempt_captures: 8,
            fuse_attempts: true,
            thumbnail_threshold: 0.85,
            min_eye_distance_px: 28.0,
            max_head_turn: 0.45,
            min_face_brightness: 50.0,
            min_face_sharpness: MIN_FACE_SHARPNESS,
            liveness: false,
            liveness_model: PathBuf::from("models/fr_liveness.onnx"),
            liveness_threshold: 0.5,
            liveness_class: 1,
            grey_embedding: true,
            mirror_chip: false,
            runtime: FaceRuntime::Tract,
            onnxruntime_library: PathBuf::from("models/libonnxruntime.so.1.32.0"),
        }
    }
}

impl FaceConfig {
    /// The dlib ResNet (`scripts/fetch-models.sh --dlib`) at `model` as the embedder:
    /// 150×150 RGB 0–255 (its normalisation is inside the graph), dlib's chip template.
    /// The threshold is left alone: the embedder needs its own.
    pub fn use_dlib_embedder(&mut self, model: PathBuf) {
        self.embedder_model = model;
        self.embedder_size = 150;
        self.embedder_mean = 0.0;
        self.embedder_scale = 1.0;
        self.embedder_template = EmbedderTemplate::Dlib;
    }

    /// The default embedder (`fr_feature.onnx`) with its input settings.
    pub fn use_default_embedder(&mut self) {
        let d = FaceConfig::default();
        self.embedder_model = d.embedder_model;
        self.embedder_size = d.embedder_size;
        self.embedder_mean = d.embedder_mean;
        self.embedder_scale = d.embedder_scale;
        self.embedder_template = d.embedder_template;
    }

    /// Checks values that parse but cannot work: (dotted key, reason).
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        let dims = [
            ("face.detector_width", self.detector_width),
            ("face.detector_height", self.detector_height),
        ];
        for (key, v) in dims {
            if v == 0 || v % 32 != 0 || v > 1920 {
                return Err((key, "must be a multiple of 32 between 32 and 1920".into()));
            }
        }
        if self.liveness_class > 2 {
            return Err(("face.liveness_class", "must be 0, 1 or 2".into()));
        }
        if !(16..=512).contains(&self.embedder_size) {
            return Err(("face.embedder_size", "must be between 16 and 512".into()));
        }
        let unit = [
            ("face.detector_threshold", self.detector_threshold),
            ("face.threshold", self.threshold),
            ("face.thumbnail_threshold", self.thumbnail_threshold),
            ("face.max_head_turn", self.max_head_turn),
            ("face.liveness_threshold", self.liveness_threshold),
            ("face.min_face_sharpness", self.min_face_sharpness),
        ];
        for (key, v) in unit {
            if !(0.0..=1.0).contains(&v) || v.is_nan() {
                return Err((key, "must be between 0 and 1".into()));
            }
        }
        if !(1..=10).contains(&self.attempt_frames) {
            return Err(("face.attempt_frames", "must be between 1 and 10".into()));
        }
        if self.attempt_captures < self.attempt_frames || self.attempt_captures > 30 {
            return Err((
                "face.attempt_captures",
                "must be at least face.attempt_frames and at most 30".into(),
            ));
        }
        if self.embedder_scale.is_nan() || self.embedder_scale <= 0.0 {
            return Err(("face.embedder_scale", "must be positive".into()));
        }
        if !(0.0..=255.0).contains(&self.min_face_brightness) {
            return Err((
                "face.min_face_brightness",
                "must be between 0 and 255".into(),
            ));
        }
        if self.min_eye_distance_px.is_nan() || self.min_eye_distance_px < 4.0 {
            return Err(("face.min_eye_distance_px", "must be at least 4".into()));
        }
        Ok(())
    }
}
