//! Compares the faces in two photos with the real face pipeline (CenterFace
//! detection, alignment, the embedding network, cosine score) and says whether the
//! terminal would take them for the same person at the configured threshold.
//!
//! Needs: the pinned models in `models/` (`scripts/fetch-models.sh`, which also
//! fetches test photos to `models/photos/`), or `--models DIR`. Photos: JPEG or PNG;
//! the largest face of each is used.
//!
//! ```sh
//! scripts/fetch-models.sh
//! cargo run --example face_compare -- models/photos/face_recognition/obama.jpg \
//!     models/photos/face_recognition/obama2.jpg
//! cargo run --example face_compare -- a.jpg b.png --models /usr/share/kaonin/models
//! ```

use kaonin::face::{cosine, OnnxMatcher, RgbImage};
use kaonin::face::{DetectorKind, FaceConfig};
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (photos, models) = match args.as_slice() {
        [a, b] => ([a, b], None),
        [a, b, flag, dir] if flag == "--models" => ([a, b], Some(PathBuf::from(dir))),
        _ => return Err("usage: face_compare PHOTO_A PHOTO_B [--models DIR]".into()),
    };
    let mut config = FaceConfig::default();
    if let Some(dir) = models {
        config.detector_model = dir.join(DetectorKind::default().file_name());
        config.embedder_model = dir.join("fr_feature.onnx");
        config.liveness_model = dir.join("fr_liveness.onnx");
    }
    // Whole photos (not counter-camera frames): a larger detector input.
    (config.detector_width, config.detector_height) = (960, 960);
    let matcher = OnnxMatcher::from_config(&config)?;

    let mut embeddings = Vec::new();
    for path in photos {
        let image = RgbImage::open(path.as_ref())?;
        let faces = matcher.detect(&image)?;
        let face = faces
            .iter()
            .max_by(|a, b| a.area().total_cmp(&b.area()))
            .ok_or_else(|| format!("{path}: no face found"))?;
        println!(
            "{path}: {} face(s), eyes {:.0} px apart",
            faces.len(),
            face.eye_distance()
        );
        embeddings.push(matcher.embed_face(&image, face)?);
    }
    let score = cosine(&embeddings[0], &embeddings[1]);
    let verdict = if score >= matcher.threshold() {
        "same person"
    } else {
        "different people"
    };
    println!(
        "score {score:.3} (threshold {:.3}): {verdict}",
        matcher.threshold()
    );
    Ok(())
}
