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

use super::detect::Detection;
use super::gray::GrayImage;
use super::pipeline::OnnxMatcher;
use super::rgb::RgbImage;
use super::{cosine, decode_chip_photo, FaceError, Template};
use crate::config::{Config, FaceConfig};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

/// Arguments of `kaonin face-eval`.
#[derive(Debug, Clone, clap::Args)]
pub struct FaceEvalArgs {
    /// Config file whose `[face]` section names the models and threshold
    /// (default: built-in defaults, models in ./models).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Pairs file: LFW pairs.txt, or CSV `image_a,image_b,same` (same = 1/0/true/false).
    #[arg(long)]
    pub pairs: Option<PathBuf>,
    /// Directory image paths are relative to (default: the pairs file's directory).
    #[arg(long)]
    pub root: Option<PathBuf>,
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
}

impl Default for FaceEvalArgs {
    fn default() -> Self {
        FaceEvalArgs {
            config: None,
            pairs: None,
            root: None,
            thresholds: Vec::new(),
            target_far: vec![0.01, 0.001],
            roc_png: None,
            chip_a: false,
            detector: "640x480".into(),
            chip_in: None,
            chip_out: None,
            chip_size: "150x200".into(),
            chip_bytes: 1900,
            list_faces: Vec::new(),
        }
    }
}

/// One labelled pair of images.
#[derive(Debug, Clone, PartialEq)]
pub struct Pair {
    /// First image (the card side with `--chip-a`), with an optional `#k` face index.
    pub a: String,
    /// Second image.
    pub b: String,
    /// Same person?
    pub same: bool,
}

/// Runs `kaonin face-eval`; returns the report text.
pub fn face_eval_cli(args: &FaceEvalArgs) -> Result<String, FaceError> {
    let mut face = match &args.config {
        Some(path) => {
            Config::load(path)
                .map_err(|e| FaceError::Input(e.to_string()))?
                .face
        }
        None => FaceConfig::default(),
    };
    let (dw, dh) = parse_size(&args.detector)?;
    if dw % 32 != 0 || dh % 32 != 0 {
        return Err(FaceError::Input(
            "--detector sides must be multiples of 32".into(),
        ));
    }
    face.detector_width = dw;
    face.detector_height = dh;
    let (cw, ch) = parse_size(&args.chip_size)?;
    let mut report = String::new();
    if args.chip_in.is_none() && args.pairs.is_none() && args.list_faces.is_empty() {
        return Err(FaceError::Input(
            "nothing to do: give --pairs, --chip-in/--chip-out or --list-faces".into(),
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
            let _ = write!(report, "  #{k} {:.0},{:.0} {:.0}x{:.0}", b.x, b.y, b.w, b.h);
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
    if let Some(pairs_path) = &args.pairs {
        let text =
            std::fs::read_to_string(pairs_path).map_err(|e| file_err(pairs_path, e.to_string()))?;
        let pairs = parse_pairs(&text)?;
        let root = args
            .root
            .clone()
            .or_else(|| pairs_path.parent().map(Path::to_path_buf))
            .unwrap_or_default();
        let chip = args.chip_a.then_some((cw, ch, args.chip_bytes));
        let scores = score_pairs(&matcher, &pairs, &root, chip)?;
        let mut thresholds = vec![face.threshold];
        thresholds.extend(&args.thresholds);
        report.push_str(&scores.report(&thresholds, &args.target_far));
        if let Some(png) = &args.roc_png {
            write_roc_png(&scores, png)?;
            let _ = writeln!(report, "ROC plot written to {}", png.display());
        }
    }
    Ok(report)
}

fn file_err(path: &Path, reason: String) -> FaceError {
    FaceError::File {
        path: path.to_owned(),
        reason,
    }
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

/// Parses LFW `pairs.txt` or the CSV format.
pub fn parse_pairs(text: &str) -> Result<Vec<Pair>, FaceError> {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    let lfw = lines
        .iter()
        .skip(1)
        .take(1)
        .all(|l| !l.contains(',') && l.split_whitespace().count() >= 3);
    let is_header = |l: &str| l.split_whitespace().all(|w| w.parse::<u64>().is_ok());
    let mut pairs = Vec::new();
    for (n, line) in lines.iter().enumerate() {
        let err = |why: &str| FaceError::Input(format!("pairs line {}: {why}: {line:?}", n + 1));
        if lfw && !line.contains(',') {
            let f: Vec<&str> = line.split_whitespace().collect();
            let img = |name: &str, idx: &str| -> Result<String, FaceError> {
                let i: u32 = idx.parse().map_err(|_| err("bad image number"))?;
                Ok(format!("{name}/{name}_{i:04}.jpg"))
            };
            match f.as_slice() {
                _ if n == 0 && is_header(line) => {}
                [name, i, j] => pairs.push(Pair {
                    a: img(name, i)?,
                    b: img(name, j)?,
                    same: true,
                }),
                [n1, i, n2, j] => pairs.push(Pair {
                    a: img(n1, i)?,
                    b: img(n2, j)?,
                    same: false,
                }),
                _ => return Err(err("expected `name i j` or `name1 i name2 j`")),
            }
            continue;
        }
        let f: Vec<&str> = line.split(',').map(str::trim).collect();
        let [a, b, same] = f.as_slice() else {
            return Err(err("expected image_a,image_b,same"));
        };
        let same = match same.to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" => true,
            "0" | "false" | "no" => false,
            _ if n == 0 => continue, // header line
            _ => return Err(err("`same` must be 1/0/true/false")),
        };
        pairs.push(Pair {
            a: a.to_string(),
            b: b.to_string(),
            same,
        });
    }
    if pairs.is_empty() {
        return Err(FaceError::Input("no pairs in the pairs file".into()));
    }
    Ok(pairs)
}

/// Scores of all pairs, split by label.
#[derive(Debug, Clone, Default)]
pub struct Scores {
    /// Same-person scores.
    pub genuine: Vec<f32>,
    /// Different-person scores.
    pub impostor: Vec<f32>,
    /// Images where no face could be found or embedded.
    pub failed_images: Vec<String>,
    /// Pairs skipped because an image failed.
    pub skipped_pairs: usize,
}

/// Embeds every image once and scores every pair.
pub fn score_pairs(
    matcher: &OnnxMatcher,
    pairs: &[Pair],
    root: &Path,
    chip: Option<(u32, u32, usize)>,
) -> Result<Scores, FaceError> {
    let mut cache: HashMap<(String, bool), Option<Zeroizing<Vec<f32>>>> = HashMap::new();
    let mut scores = Scores::default();
    for pair in pairs {
        let mut embedding = |name: &str, as_chip: bool| -> Zeroizing<Vec<f32>> {
            let key = (name.to_owned(), as_chip);
            let entry = cache.entry(key).or_insert_with(|| {
                let got = embed_entry(matcher, root, name, as_chip.then_some(chip).flatten());
                got.ok()
            });
            entry.clone().unwrap_or_default()
        };
        let ea = embedding(&pair.a, chip.is_some());
        let eb = embedding(&pair.b, false);
        if ea.is_empty() || eb.is_empty() {
            scores.skipped_pairs += 1;
            continue;
        }
        let s = cosine(&ea, &eb);
        if pair.same {
            scores.genuine.push(s);
        } else {
            scores.impostor.push(s);
        }
    }
    scores.failed_images = cache
        .iter()
        .filter(|(_, v)| v.is_none())
        .map(|((k, chip), _)| {
            if *chip {
                format!("{k} (as chip)")
            } else {
                k.clone()
            }
        })
        .collect();
    scores.failed_images.sort();
    Ok(scores)
}

/// `path#k` → (path, Some(k)).
fn split_selector(name: &str) -> (&str, Option<usize>) {
    match name.rsplit_once('#') {
        Some((path, k)) => match k.parse() {
            Ok(k) => (path, Some(k)),
            Err(_) => (name, None),
        },
        None => (name, None),
    }
}

/// The embedding of one pair entry (optionally through a simulated chip photo).
fn embed_entry(
    matcher: &OnnxMatcher,
    root: &Path,
    name: &str,
    chip: Option<(u32, u32, usize)>,
) -> Result<Zeroizing<Vec<f32>>, FaceError> {
    let (path, index) = split_selector(name);
    let path = root.join(path);
    let image = RgbImage::open(&path).map_err(|reason| file_err(&path, reason))?;
    let faces = matcher.detect(&image)?;
    let face = pick_face(&faces, index, &image)
        .ok_or_else(|| FaceError::Input(format!("{name}: no face")))?;
    match chip {
        None => matcher.embed_face(&image, face),
        Some((w, h, bytes)) => {
            let crop = chip_crop(&image, face, w, h);
            let jp2 = encode_jp2(&crop, bytes)?;
            let reference =
                matcher.enroll_image(&RgbImage::from_gray(&decode_chip_photo(&jp2)?))?;
            match reference.template {
                Template::Embedding(e) | Template::Thumbnail(e) => Ok(e),
            }
        }
    }
}

/// Face `index` counted from the left, or the patient (largest centred) face.
pub fn pick_face<'a>(
    faces: &'a [Detection],
    index: Option<usize>,
    image: &RgbImage,
) -> Option<&'a Detection> {
    match index {
        Some(k) => {
            let mut order: Vec<&Detection> = faces.iter().collect();
            order.sort_by(|a, b| a.bbox.x.total_cmp(&b.bbox.x));
            order.get(k).copied()
        }
        None => super::quality::choose_patient(faces, image.width(), image.height())
            .and_then(|i| faces.get(i)),
    }
}

/// A chip-style JPEG 2000 photo of the (largest centred) face in `image`: passport
/// framing, greyscale, `w`×`h`, about `bytes` long. Without a matcher the whole image
/// is used.
pub fn simulate_chip(
    image: &RgbImage,
    matcher: Option<&OnnxMatcher>,
    w: u32,
    h: u32,
    bytes: usize,
) -> Result<Vec<u8>, FaceError> {
    let crop = match matcher {
        Some(m) => {
            let faces = m.detect(image)?;
            let face = pick_face(&faces, None, image)
                .ok_or_else(|| FaceError::Input("no face in the image".into()))?;
            chip_crop(image, face, w, h)
        }
        None => whole_image_gray(image, w, h),
    };
    encode_jp2(&crop, bytes)
}

/// What a `w`×`h` counter camera sees of the largest face in a photo: the face about a
/// third of the frame wide, centred, in colour (outside the photo: mid grey). For
/// tests and benchmarks that need camera frames of a known person.
pub fn simulate_counter(
    matcher: &OnnxMatcher,
    image: &RgbImage,
    w: u32,
    h: u32,
) -> Result<RgbImage, FaceError> {
    let faces = matcher.detect(image)?;
    let face = faces
        .iter()
        .max_by(|a, b| a.area().total_cmp(&b.area()))
        .ok_or_else(|| FaceError::Input("no face in the image".into()))?;
    let (cx, cy) = (
        face.bbox.x + face.bbox.w / 2.0,
        face.bbox.y + face.bbox.h / 2.0,
    );
    let fw = face.bbox.w * 3.0;
    let fh = fw * h as f32 / w as f32;
    let mut px = Vec::with_capacity(w as usize * h as usize * 3);
    for v in 0..h {
        for u in 0..w {
            let x = cx - fw / 2.0 + (u as f32 + 0.5) * fw / w as f32 - 0.5;
            let y = cy - fh / 2.0 + (v as f32 + 0.5) * fh / h as f32 - 0.5;
            let p = image.sample(x, y, [128.0; 3]);
            px.extend(p.iter().map(|c| c.round().clamp(0.0, 255.0) as u8));
        }
    }
    RgbImage::new(w, h, px).ok_or_else(|| FaceError::Input("empty counter frame".into()))
}

/// Passport-style framing around a face: eyes at 45 % of the height, the photo about
/// 4.6 eye distances tall, greyscale, resampled to `w`×`h`.
fn chip_crop(image: &RgbImage, face: &Detection, w: u32, h: u32) -> GrayImage {
    let [le, re, ..] = face.landmarks;
    let d = face.eye_distance().max(4.0);
    let ch = 4.6 * d;
    let cw = ch * w as f32 / h as f32;
    let cx = (le[0] + re[0]) / 2.0;
    let top = (le[1] + re[1]) / 2.0 - 0.45 * ch;
    let gray = image.to_gray();
    let rect = super::gray::Rect {
        x: cx - cw / 2.0,
        y: top,
        w: cw,
        h: ch,
    };
    let px = gray.resample(rect, w, h);
    GrayImage::new(
        w,
        h,
        px.iter()
            .map(|v| v.round().clamp(0.0, 255.0) as u8)
            .collect(),
    )
    .unwrap_or_else(|| whole_image_gray(image, w, h))
}

fn whole_image_gray(image: &RgbImage, w: u32, h: u32) -> GrayImage {
    let gray = image.to_gray();
    let rect = super::gray::Rect {
        x: 0.0,
        y: 0.0,
        w: gray.width() as f32,
        h: gray.height() as f32,
    };
    let px = gray.resample(rect, w, h);
    GrayImage::new(
        w,
        h,
        px.iter()
            .map(|v| v.round().clamp(0.0, 255.0) as u8)
            .collect(),
    )
    .expect("size matches")
}

/// Encodes a greyscale image as JP2 of about `bytes` bytes with `opj_compress`.
pub fn encode_jp2(image: &GrayImage, bytes: usize) -> Result<Vec<u8>, FaceError> {
    let dir = tempfile::Builder::new()
        .prefix("kaonin-chip-")
        .tempdir()
        .map_err(|e| FaceError::Input(format!("temporary directory: {e}")))?;
    let pgm = dir.path().join("face.pgm");
    let jp2 = dir.path().join("chip.jp2");
    let mut data =
        Zeroizing::new(format!("P5\n{} {}\n255\n", image.width(), image.height()).into_bytes());
    data.extend_from_slice(image.pixels());
    std::fs::write(&pgm, &*data).map_err(|e| file_err(&pgm, e.to_string()))?;
    let raw = image.pixels().len() as f32;
    let ratio = (raw / bytes.max(200) as f32).max(1.0);
    let out = std::process::Command::new("opj_compress")
        .arg("-i")
        .arg(&pgm)
        .arg("-o")
        .arg(&jp2)
        .arg("-r")
        .arg(format!("{ratio:.2}"))
        .output()
        .map_err(|e| {
            FaceError::Unavailable(format!(
                "opj_compress could not run ({e}): install Debian package libopenjp2-tools"
            ))
        })?;
    let _ = std::fs::remove_file(&pgm);
    if !out.status.success() {
        return Err(FaceError::Inference(format!(
            "opj_compress failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    let encoded = std::fs::read(&jp2).map_err(|e| file_err(&jp2, e.to_string()))?;
    let _ = std::fs::remove_file(&jp2);
    Ok(encoded)
}

/// A few numbers describing a score distribution.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Summary {
    pub n: usize,
    pub mean: f32,
    pub sd: f32,
    pub min: f32,
    pub p1: f32,
    pub median: f32,
    pub p99: f32,
    pub max: f32,
}

/// Summary of `values`.
pub fn summarize(values: &[f32]) -> Summary {
    if values.is_empty() {
        return Summary::default();
    }
    let mut v = values.to_vec();
    v.sort_by(f32::total_cmp);
    let q = |p: f32| v[((v.len() - 1) as f32 * p).round() as usize];
    let (mean, sd) = super::gray::mean_and_std(v.iter().copied());
    Summary {
        n: v.len(),
        mean,
        sd,
        min: v[0],
        p1: q(0.01),
        median: q(0.5),
        p99: q(0.99),
        max: v[v.len() - 1],
    }
}

impl Scores {
    /// False accept rate at `t`: impostor scores at or above it.
    pub fn far(&self, t: f32) -> f64 {
        rate(
            self.impostor.iter().filter(|&&s| s >= t).count(),
            self.impostor.len(),
        )
    }

    /// False reject rate at `t`: genuine scores below it.
    pub fn frr(&self, t: f32) -> f64 {
        rate(
            self.genuine.iter().filter(|&&s| s < t).count(),
            self.genuine.len(),
        )
    }

    /// Equal error rate and its threshold (`None` without both kinds of pairs).
    pub fn eer(&self) -> Option<(f64, f32)> {
        if self.genuine.is_empty() || self.impostor.is_empty() {
            return None;
        }
        let mut candidates: Vec<f32> = self.genuine.iter().chain(&self.impostor).copied().collect();
        candidates.push(f32::INFINITY);
        candidates
            .into_iter()
            .map(|t| {
                let (far, frr) = (self.far(t), self.frr(t));
                ((far - frr).abs(), (far + frr) / 2.0, t)
            })
            .min_by(|a, b| a.0.total_cmp(&b.0).then(a.2.total_cmp(&b.2)))
            .map(|(_, eer, t)| (eer, t))
    }

    /// The lowest threshold whose FAR is at most `target`, and whether the data can
    /// support that target at all (needs at least 1/target impostor pairs).
    pub fn threshold_for_far(&self, target: f64) -> Option<(f32, bool)> {
        if self.impostor.is_empty() {
            return None;
        }
        let mut imp = self.impostor.clone();
        imp.sort_by(|a, b| b.total_cmp(a));
        let allowed = (target * imp.len() as f64).floor() as usize;
        let enough = imp.len() as f64 * target >= 1.0;
        // Accepting `allowed` impostors: the threshold sits just above the next one.
        let t = imp.get(allowed).map_or(f32::NEG_INFINITY, |s| next_up(*s));
        Some((t, enough))
    }

    /// The text report.
    pub fn report(&self, thresholds: &[f32], target_far: &[f64]) -> String {
        let mut r = String::new();
        let line = |name: &str, s: Summary| {
            format!(
                "{name:9} n={:5}  mean {:.3}  sd {:.3}  min {:.3}  p1 {:.3}  median {:.3}  p99 {:.3}  max {:.3}\n",
                s.n, s.mean, s.sd, s.min, s.p1, s.median, s.p99, s.max
            )
        };
        r.push_str("face-eval: cosine scores\n");
        r.push_str(&line("genuine", summarize(&self.genuine)));
        r.push_str(&line("impostor", summarize(&self.impostor)));
        if !self.failed_images.is_empty() {
            let _ = writeln!(
                r,
                "no face found/embedded in {} image(s), {} pair(s) skipped: {}",
                self.failed_images.len(),
                self.skipped_pairs,
                self.failed_images.join(", ")
            );
        }
        for &t in thresholds {
            let _ = writeln!(
                r,
                "threshold {t:.3}: FAR {:.4} ({}/{})  FRR {:.4} ({}/{})",
                self.far(t),
                self.impostor.iter().filter(|&&s| s >= t).count(),
                self.impostor.len(),
                self.frr(t),
                self.genuine.iter().filter(|&&s| s < t).count(),
                self.genuine.len()
            );
        }
        match self.eer() {
            Some((eer, t)) => {
                let _ = writeln!(r, "EER {eer:.4} at threshold {t:.3}");
            }
            None => r.push_str("EER: needs genuine and impostor pairs\n"),
        }
        for &target in target_far {
            if let Some((t, enough)) = self.threshold_for_far(target) {
                let _ = writeln!(
                    r,
                    "threshold for FAR <= {target}: {t:.3} (FRR there {:.4}){}",
                    self.frr(t),
                    if enough {
                        String::new()
                    } else {
                        format!(
                            "  [only {} impostor pairs: at least {:.0} needed to support this target]",
                            self.impostor.len(),
                            (1.0 / target).ceil()
                        )
                    }
                );
            }
        }
        if self.genuine.len() < 100 {
            let _ = writeln!(
                r,
                "note: {} genuine pairs are far too few for an FRR claim; use consented local data",
                self.genuine.len()
            );
        }
        r
    }
}

fn rate(k: usize, n: usize) -> f64 {
    if n == 0 {
        0.0
    } else {
        k as f64 / n as f64
    }
}

fn next_up(x: f32) -> f32 {
    if x.is_nan() || x == f32::INFINITY {
        return x;
    }
    let bits = x.to_bits();
    let next = if x == 0.0 {
        1
    } else if x > 0.0 {
        bits + 1
    } else {
        bits - 1
    };
    f32::from_bits(next)
}

/// Draws the ROC (TAR against FAR on a log axis from 1e-4 to 1) as a PNG.
pub fn write_roc_png(scores: &Scores, path: &Path) -> Result<(), FaceError> {
    const W: u32 = 480;
    const H: u32 = 360;
    const M: u32 = 40;
    let mut img = image::RgbImage::from_pixel(W, H, image::Rgb([255, 255, 255]));
    let to_px = |far: f64, tar: f64| -> (i64, i64) {
        let lx = (far.max(1e-4).log10() + 4.0) / 4.0;
        let x = M as f64 + lx * (W - 2 * M) as f64;
        let y = (H - M) as f64 - tar * (H - 2 * M) as f64;
        (x.round() as i64, y.round() as i64)
    };
    // Axes and decade grid.
    for decade in 0..=4 {
        let (x, _) = to_px(10f64.powi(decade - 4), 0.0);
        line(
            &mut img,
            (x, M as i64),
            (x, (H - M) as i64),
            [220, 220, 220],
        );
    }
    for tenth in 0..=10 {
        let (_, y) = to_px(1e-4, tenth as f64 / 10.0);
        line(
            &mut img,
            (M as i64, y),
            ((W - M) as i64, y),
            [235, 235, 235],
        );
    }
    line(
        &mut img,
        (M as i64, (H - M) as i64),
        ((W - M) as i64, (H - M) as i64),
        [0, 0, 0],
    );
    line(
        &mut img,
        (M as i64, M as i64),
        (M as i64, (H - M) as i64),
        [0, 0, 0],
    );
    let mut thresholds: Vec<f32> = scores
        .genuine
        .iter()
        .chain(&scores.impostor)
        .copied()
        .collect();
    thresholds.sort_by(|a, b| b.total_cmp(a));
    let mut prev: Option<(i64, i64)> = None;
    for t in thresholds {
        let p = to_px(scores.far(t), 1.0 - scores.frr(t));
        if let Some(q) = prev {
            line(&mut img, q, p, [200, 30, 30]);
        }
        prev = Some(p);
    }
    img.save(path).map_err(|e| file_err(path, e.to_string()))
}

fn line(img: &mut image::RgbImage, (x0, y0): (i64, i64), (x1, y1): (i64, i64), colour: [u8; 3]) {
    let steps = (x1 - x0).abs().max((y1 - y0).abs()).max(1);
    for i in 0..=steps {
        let x = x0 + (x1 - x0) * i / steps;
        let y = y0 + (y1 - y0) * i / steps;
        if x >= 0 && y >= 0 && (x as u32) < img.width() && (y as u32) < img.height() {
            img.put_pixel(x as u32, y as u32, image::Rgb(colour));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_pairs_with_header_and_selectors() {
        let p =
            parse_pairs("image_a,image_b,same\na.jpg#1,b.jpg,1\nc.jpg, d.jpg ,false\n").unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(
            p[0],
            Pair {
                a: "a.jpg#1".into(),
                b: "b.jpg".into(),
                same: true
            }
        );
        assert!(!p[1].same && p[1].b == "d.jpg");
        assert_eq!(split_selector("x/y.jpg#2"), ("x/y.jpg", Some(2)));
        assert_eq!(split_selector("x#y.jpg"), ("x#y.jpg", None));
    }

    #[test]
    fn lfw_pairs() {
        let p =
            parse_pairs("10 300\nAbel_Pacheco 1 4\nAbdel_Madi_Shabneh 1 Dean_Barker 1\n").unwrap();
        assert_eq!(p[0].a, "Abel_Pacheco/Abel_Pacheco_0001.jpg");
        assert_eq!(p[0].b, "Abel_Pacheco/Abel_Pacheco_0004.jpg");
        assert!(p[0].same && !p[1].same);
        assert_eq!(p[1].b, "Dean_Barker/Dean_Barker_0001.jpg");
    }

    #[test]
    fn bad_pairs_are_errors() {
        assert!(parse_pairs("").is_err());
        assert!(parse_pairs("a.jpg,b.jpg\n").is_err());
        assert!(parse_pairs("h1,h2,h3\na.jpg,b.jpg,maybe\n").is_err());
    }

    #[test]
    fn rates_eer_and_far_threshold() {
        let s = Scores {
            genuine: vec![0.7, 0.8, 0.9, 0.4],
            impostor: vec![0.1, 0.2, 0.3, 0.5, 0.0, -0.1, 0.05, 0.15, 0.25, 0.35],
            ..Scores::default()
        };
        assert_eq!(s.far(0.45), 0.1);
        assert_eq!(s.frr(0.45), 0.25);
        let (eer, _) = s.eer().unwrap();
        assert!(eer <= 0.25, "{eer}");
        let (t, enough) = s.threshold_for_far(0.1).unwrap();
        assert!(enough && s.far(t) <= 0.1 && t <= 0.5 && t > 0.35, "{t}");
        let (t, enough) = s.threshold_for_far(0.001).unwrap();
        assert!(!enough && s.far(t) == 0.0 && t > 0.5);
    }

    #[test]
    fn summary_quantiles() {
        let s = summarize(&[3.0, 1.0, 2.0]);
        assert_eq!((s.n, s.min, s.median, s.max), (3, 1.0, 2.0, 3.0));
        assert_eq!(summarize(&[]).n, 0);
    }

    #[test]
    fn size_parsing() {
        assert_eq!(parse_size("640x480").unwrap(), (640, 480));
        assert!(parse_size("640").is_err());
        assert!(parse_size("0x5").is_err());
    }

    #[test]
    fn chip_encoding_round_trips_near_the_target_size() {
        let px: Vec<u8> = (0..150 * 200).map(|i| ((i * 7) % 251) as u8).collect();
        let img = GrayImage::new(150, 200, px).unwrap();
        let jp2 = encode_jp2(&img, 1900).unwrap();
        assert!(jp2.len() < 2600 && jp2.len() > 800, "{} bytes", jp2.len());
        let back = decode_chip_photo(&jp2).unwrap();
        assert_eq!((back.width(), back.height()), (150, 200));
    }

    #[test]
    fn roc_png_is_written() {
        let s = Scores {
            genuine: vec![0.6, 0.7],
            impostor: vec![0.1, 0.2, 0.5],
            ..Scores::default()
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("roc.png");
        write_roc_png(&s, &path).unwrap();
        let img = image::open(&path).unwrap().to_rgb8();
        assert_eq!(img.dimensions(), (480, 360));
        assert!(img.pixels().any(|p| p.0 == [200, 30, 30]));
    }
}
