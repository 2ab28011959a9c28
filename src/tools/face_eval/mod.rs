//! `kaonin face-eval`: measures the configured face pipeline on a labelled set of
//! image pairs (genuine/impostor score distributions, FAR/FRR at thresholds, EER, the
//! threshold for a target FAR, an optional ROC plot), and simulates a chip photo
//! (greyscale, chip-sized JPEG 2000) from any face image.
//!
//! It is the tool a facility runs on its own consented data. Pairs come as the LFW
//! `pairs.txt` format or a CSV `image_a,image_b,same`. An image path may end in `#k` to
//! pick the k-th face from the left in a group photo; without it the largest centred
//! face is used. `--chip-a` turns each `image_a` into a simulated chip photo first, as
//! the card would hold it.
//!
//! JPEG 2000 *encoding* has no pure-Rust implementation: the chip simulation runs
//! OpenJPEG's `opj_compress` (Debian package `libopenjp2-tools`) on a greyscale file in
//! a private temporary directory that is deleted at once. This is the only place where
//! kaonin puts a face on disk, and only for evaluation data the operator supplied.

mod metrics;
mod pairs;
mod receptions;

pub use metrics::pct;
pub use metrics::{summarize, write_roc_png, Summary};
pub use pairs::{parse_pairs, score_pairs, score_pairs_cached, EmbeddingCache, Pair, Scores};
pub use receptions::{
    parse_receptions, reception_score, score_receptions, FrameCache, FrameTally, Reception,
    ReceptionRules, ReceptionScores, NO_GOOD_FRAME,
};

use crate::config::Config;
use crate::face::{DetectorKind, FaceConfig};
use crate::face::{FaceError, OnnxMatcher, RgbImage};
use crate::sim::photos::{file_err, simulate_chip};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Arguments of `kaonin face-eval`.
#[derive(Debug, Clone, clap::Args)]
pub struct FaceEvalArgs {
    /// Config file whose `[face]` section names the models and threshold
    /// (default: built-in defaults, models in ./models).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Pairs file: LFW pairs.txt, or CSV `image_a,image_b,same` (same = 1/0/true/false).
    /// Several files are reported one after the other; each image is embedded once
    /// for all of them. LFW `pairs.txt` also gets its per-fold table.
    #[arg(long, num_args = 1..)]
    pub pairs: Vec<PathBuf>,
    /// Receptions file(s), CSV `chip,frames,same` (frames separated by `;`): each
    /// chip image (always turned into a chip photo) against its frames, judged like
    /// the daemon — run-time quality checks, good frames fused per attempt, at most
    /// the flow's attempts, accepted when any attempt matches. Calibrated and
    /// reported per reception, like `--pairs` per comparison.
    #[arg(long, num_args = 1..)]
    pub receptions: Vec<PathBuf>,
    /// Good frames fused per attempt (default: the config's `[face] attempt_frames`);
    /// several values (`1,2,3`) report each in turn, every frame judged once.
    #[arg(long, value_delimiter = ',')]
    pub attempt_frames: Vec<usize>,
    /// Attempts per reception (default: the config's `[policy] face_attempts`).
    #[arg(long)]
    pub attempts: Option<usize>,
    /// Directory image paths are relative to (default: each pairs file's directory).
    #[arg(long)]
    pub root: Option<PathBuf>,
    /// Calibrate: take the threshold for this FAR from the FIRST pairs file, and
    /// report every other file at it (tune on one set, report on the others).
    #[arg(long)]
    pub calibrate_far: Option<f64>,
    /// Detector network, overriding the config: `yunet` or `centerface` (with its
    /// model in the default place unless the config names one of that kind).
    #[arg(long, value_parser = ["yunet", "centerface"])]
    pub face_detector: Option<String>,
    /// Extra thresholds to report FAR/FRR at (the configured one is always reported).
    #[arg(long = "threshold", value_delimiter = ',')]
    pub thresholds: Vec<f32>,
    /// Target FARs to find thresholds for.
    #[arg(
        long = "target-far",
        value_delimiter = ',',
        default_value = "0.01,0.001"
    )]
    pub target_far: Vec<f64>,
    /// Write a ROC plot (TAR against log FAR) to this PNG.
    #[arg(long)]
    pub roc_png: Option<PathBuf>,
    /// Turn every `image_a` into a simulated chip photo before matching.
    #[arg(long)]
    pub chip_a: bool,
    /// Embedder, overriding the config: `dlib` (the dlib ResNet converted by
    /// `scripts/fetch-models.sh --dlib`: `models/dlib_resnet_v1.onnx`, 150×150, dlib's
    /// chip template) or `fr-feature` (the default).
    #[arg(long, value_parser = ["dlib", "fr-feature"])]
    pub embedder: Option<String>,
    /// Enrol chip photos with their mirror image too (`[face] mirror_chip = true`).
    #[arg(long)]
    pub mirror_chip: bool,
    /// Detector input for evaluation photos, WxH (multiples of 32; large photos with
    /// small faces need more than the camera setting).
    #[arg(long, default_value = "640x480")]
    pub detector: String,
    /// Simulate a chip photo: read this face image ...
    #[arg(long, requires = "chip_out")]
    pub chip_in: Option<PathBuf>,
    /// ... and write the JPEG 2000 chip photo here.
    #[arg(long)]
    pub chip_out: Option<PathBuf>,
    /// Chip photo size, WxH.
    #[arg(long, default_value = "150x200")]
    pub chip_size: String,
    /// Chip photo target size in bytes.
    #[arg(long, default_value_t = 1900)]
    pub chip_bytes: usize,
    /// List the faces found in these images (count, and boxes from the left, as the
    /// `#k` selectors of a pairs file count them), to help write a pairs file.
    #[arg(long, num_args = 1..)]
    pub list_faces: Vec<PathBuf>,
    /// How attempts fuse, one or more of `attempt` (each attempt its own good frames)
    /// and `reception` (each attempt every good frame of the reception so far);
    /// default: `[face] fuse_attempts`.
    #[arg(long, value_delimiter = ',', value_parser = ["attempt", "reception"])]
    pub fusion: Vec<String>,
    /// Least sharpness of a camera face (overrides `[face] min_face_sharpness`; 0
    /// turns the check off), to compare settings.
    #[arg(long)]
    pub min_sharpness: Option<f32>,
    /// Smear every camera frame of `--receptions` along its rows by a box of PX
    /// pixels first (motion blur), to see what the sharpness check does with it.
    #[arg(long, value_name = "PX", default_value_t = 0)]
    pub motion_blur: usize,
}

impl Default for FaceEvalArgs {
    fn default() -> Self {
        FaceEvalArgs {
            config: None,
            pairs: Vec::new(),
            receptions: Vec::new(),
            attempt_frames: Vec::new(),
            attempts: None,
            root: None,
            calibrate_far: None,
            face_detector: None,
            thresholds: Vec::new(),
            target_far: vec![0.01, 0.001],
            roc_png: None,
            chip_a: false,
            mirror_chip: false,
            embedder: None,
            detector: "640x480".into(),
            chip_in: None,
            chip_out: None,
            chip_size: "150x200".into(),
            chip_bytes: 1900,
            list_faces: Vec::new(),
            fusion: Vec::new(),
            min_sharpness: None,
            motion_blur: 0,
        }
    }
}

/// Runs `kaonin face-eval`; returns the report text.
pub fn face_eval_cli(args: &FaceEvalArgs) -> Result<String, FaceError> {
    let (mut face, face_attempts) = match &args.config {
        Some(path) => {
            let config = Config::load(path).map_err(|e| FaceError::Input(e.to_string()))?;
            (config.face, config.policy.face_attempts)
        }
        None => (
            FaceConfig::default(),
            crate::flow::Policy::default().face_attempts,
        ),
    };
    let (dw, dh) = parse_size(&args.detector)?;
    if dw % 32 != 0 || dh % 32 != 0 {
        return Err(FaceError::Input(
            "--detector sides must be multiples of 32".into(),
        ));
    }
    face.detector_width = dw;
    face.detector_height = dh;
    face.mirror_chip |= args.mirror_chip;
    if let Some(s) = args.min_sharpness {
        if !(0.0..=1.0).contains(&s) {
            return Err(FaceError::Input(
                "--min-sharpness must be between 0 and 1".into(),
            ));
        }
        face.min_face_sharpness = s;
    }
    match args.embedder.as_deref() {
        Some("dlib") => face.use_dlib_embedder(PathBuf::from("models/dlib_resnet_v1.onnx")),
        Some(_) => face.use_default_embedder(),
        None => {}
    }
    if let Some(name) = &args.face_detector {
        let kind = match name.as_str() {
            "centerface" => DetectorKind::Centerface,
            _ => DetectorKind::Yunet,
        };
        if kind != face.detector {
            face.detector = kind;
            face.detector_model = kind.default_model();
        }
    }
    let (cw, ch) = parse_size(&args.chip_size)?;
    let mut report = String::new();
    if args.chip_in.is_none()
        && args.pairs.is_empty()
        && args.receptions.is_empty()
        && args.list_faces.is_empty()
    {
        return Err(FaceError::Input(
            "nothing to do: give --pairs, --receptions, --chip-in/--chip-out or --list-faces"
                .into(),
        ));
    }
    let matcher = OnnxMatcher::from_config(&face)?;
    for path in &args.list_faces {
        let image = RgbImage::open(path).map_err(|reason| file_err(path, reason))?;
        let mut faces = matcher.detect(&image)?;
        faces.sort_by(|a, b| a.bbox.x.total_cmp(&b.bbox.x));
        let _ = write!(report, "faces: {} {}", path.display(), faces.len());
        for (k, f) in faces.iter().enumerate() {
            let b = f.bbox;
            let _ = write!(
                report,
                "  #{k} {:.0},{:.0} {:.0}x{:.0} ({:.2})",
                b.x, b.y, b.w, b.h, f.score
            );
        }
        report.push('\n');
    }
    if let (Some(input), Some(output)) = (&args.chip_in, &args.chip_out) {
        let image = RgbImage::open(input).map_err(|reason| file_err(input, reason))?;
        let jp2 = simulate_chip(&image, Some(&matcher), cw, ch, args.chip_bytes)?;
        std::fs::write(output, &jp2).map_err(|e| file_err(output, e.to_string()))?;
        let _ = writeln!(
            report,
            "chip photo: {} -> {} ({cw}x{ch} greyscale JPEG 2000, {} bytes)",
            input.display(),
            output.display(),
            jp2.len()
        );
    }
    let chip = args.chip_a.then_some((cw, ch, args.chip_bytes));
    let mut cache = EmbeddingCache::new();
    let mut calibrated: Option<f32> = None;
    for (n, pairs_path) in args.pairs.iter().enumerate() {
        let text =
            std::fs::read_to_string(pairs_path).map_err(|e| file_err(pairs_path, e.to_string()))?;
        let pairs = parse_pairs(&text)?;
        let root = args
            .root
            .clone()
            .or_else(|| pairs_path.parent().map(Path::to_path_buf))
            .unwrap_or_default();
        let scores = score_pairs_cached(&matcher, &pairs, &root, chip, &mut cache)?;
        if args.pairs.len() > 1 {
            let _ = writeln!(report, "== {} ==", pairs_path.display());
        }
        let first = n == 0;
        operating_points(
            &mut report,
            &scores,
            Unit::Pairs,
            pairs_path,
            face.threshold,
            args,
            first,
            &mut calibrated,
        )?;
        if let Some(png) = &args.roc_png {
            let png = if n == 0 {
                png.clone()
            } else {
                png.with_extension(format!("{n}.png"))
            };
            write_roc_png(&scores, &png)?;
            let _ = writeln!(report, "ROC plot written to {}", png.display());
        }
    }
    let per_attempt = if args.attempt_frames.is_empty() {
        vec![face.attempt_frames as usize]
    } else {
        args.attempt_frames.clone()
    };
    let attempts = args.attempts.unwrap_or(face_attempts as usize);
    let chip = (cw, ch, args.chip_bytes);
    let mut sets = Vec::new();
    for path in &args.receptions {
        let text = std::fs::read_to_string(path).map_err(|e| file_err(path, e.to_string()))?;
        let root = args
            .root
            .clone()
            .or_else(|| path.parent().map(Path::to_path_buf))
            .unwrap_or_default();
        sets.push((path, parse_receptions(&text)?, root));
    }
    let fusions: Vec<bool> = if args.fusion.is_empty() {
        vec![face.fuse_attempts]
    } else {
        args.fusion.iter().map(|f| f == "reception").collect()
    };
    let settings: Vec<(usize, bool)> = per_attempt
        .iter()
        .flat_map(|&n| fusions.iter().map(move |&c| (n, c)))
        .collect();
    let mut frames = FrameCache::new();
    for (frames_per_attempt, cumulative) in settings {
        let rules = ReceptionRules {
            frames_per_attempt,
            attempts,
            cumulative,
            motion_blur: args.motion_blur,
        };
        let fusion = if cumulative {
            ", fused over the reception"
        } else {
            ""
        };
        let mut calibrated: Option<f32> = None;
        for (n, (path, receptions, root)) in sets.iter().enumerate() {
            let got = score_receptions(
                &matcher,
                receptions,
                root,
                chip,
                rules,
                &mut cache,
                &mut frames,
            );
            let _ = writeln!(
                report,
                "== receptions {} ({frames_per_attempt} good frame(s) per attempt, {attempts} attempt(s){fusion}) ==",
                path.display(),
            );
            reception_report(
                &mut report,
                path,
                &got,
                &face,
                args,
                n == 0,
                &mut calibrated,
            )?;
        }
    }
    Ok(report)
}

/// The per-reception part of the report (calibrating on the first set when asked).
fn reception_report(
    report: &mut String,
    path: &Path,
    got: &ReceptionScores,
    face: &FaceConfig,
    args: &FaceEvalArgs,
    first: bool,
    calibrated: &mut Option<f32>,
) -> Result<(), FaceError> {
    let scores = &got.scores;
    let receptions = scores.genuine.len() + scores.impostor.len();
    let _ = writeln!(
        report,
        "{} genuine and {} impostor receptions; {} good frames in {} attempts; \
         {} genuine reception(s) without a good frame (score {NO_GOOD_FRAME})",
        scores.genuine.len(),
        scores.impostor.len(),
        got.frames_used,
        got.attempts_made,
        got.genuine_without_frame,
    );
    if got.tally.judged > 0 {
        report.push_str(&got.tally.summary());
    }
    if receptions == 0 {
        return Err(FaceError::Input("no reception could be scored".into()));
    }
    operating_points(
        report,
        scores,
        Unit::Receptions,
        path,
        face.threshold,
        args,
        first,
        calibrated,
    )
}

/// What the scores of a set are of.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Unit {
    /// One comparison each.
    Pairs,
    /// Whole receptions (the best attempt's fused score).
    Receptions,
}

/// The operating points of one scored set. With `--calibrate-far`, the first set
/// (`first`) sets the threshold (`calibrated`) this and every later set is reported
/// at, the configured one beside it.
#[allow(clippy::too_many_arguments)]
fn operating_points(
    report: &mut String,
    scores: &Scores,
    unit: Unit,
    set: &Path,
    configured: f32,
    args: &FaceEvalArgs,
    first: bool,
    calibrated: &mut Option<f32>,
) -> Result<(), FaceError> {
    let (plural, per) = match unit {
        Unit::Pairs => ("pairs", ""),
        Unit::Receptions => ("receptions", " per reception"),
    };
    let mut extra = args.thresholds.clone();
    let mut at = configured;
    if let Some(target) = args.calibrate_far {
        if first {
            let Some((t, enough)) = scores.threshold_for_far(target) else {
                return Err(FaceError::Input(format!(
                    "--calibrate-far: {} has no impostor {plural}",
                    set.display()
                )));
            };
            let short = if enough {
                String::new()
            } else {
                format!("  [too few impostor {plural} to support it]")
            };
            let _ = writeln!(
                report,
                "calibrated threshold {t:.3}: FAR <= {}{per} on this set (the tuning set){short}",
                pct(target),
            );
            *calibrated = Some(t);
        }
        if let Some(t) = *calibrated {
            extra.insert(0, at);
            at = t;
        }
    }
    let mut text = scores.report(at, &extra, &args.target_far);
    if unit == Unit::Receptions {
        text = text
            .replace("cosine scores", "best fused score per reception")
            .replace("pair(s) skipped", "reception(s) skipped")
            .replace("impostor pairs", "impostor receptions")
            .replace("genuine pairs", "genuine receptions");
    }
    if calibrated.is_some() {
        // The first operating point is the calibrated one, not the config's.
        text = text.replacen("configured threshold", "calibrated threshold", 1);
    }
    report.push_str(&text);
    Ok(())
}

/// `WxH` → (W, H).
pub fn parse_size(text: &str) -> Result<(u32, u32), FaceError> {
    let bad = || FaceError::Input(format!("size {text:?}: expected WxH, e.g. 640x480"));
    let (w, h) = text.split_once(['x', 'X']).ok_or_else(bad)?;
    let (w, h) = (
        w.trim().parse::<u32>().map_err(|_| bad())?,
        h.trim().parse::<u32>().map_err(|_| bad())?,
    );
    if w == 0 || h == 0 || w > 4096 || h > 4096 {
        return Err(bad());
    }
    Ok((w, h))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_parsing() {
        assert_eq!(parse_size("640x480").unwrap(), (640, 480));
        assert!(parse_size("640").is_err());
        assert!(parse_size("0x5").is_err());
    }
}
