//! Presentation-attack check with a small anti-spoofing classifier (MiniFASNet-style,
//! `fr_liveness.onnx`): the face with generous context (2.7× its box) scaled to
//! 128×128 raw RGB, three classes, softmax. Behind `[face] liveness` (default off:
//! see docs/face.md for what was measured and what was not).

use super::detect::Detection;
use super::net::{Backend, Net};
use super::rgb::RgbImage;
use super::FaceError;
use std::path::Path;

/// Input side of the classifier.
const SIDE: usize = 128;
/// How much context around the face box the classifier expects.
const CONTEXT: f32 = 2.7;

/// The loaded classifier.
#[derive(Debug)]
pub struct Liveness {
    net: Net,
    live_class: usize,
}

impl Liveness {
    /// Loads the classifier; `live_class` is the output index meaning "real face".
    pub fn load(backend: &Backend, path: &Path, live_class: usize) -> Result<Liveness, FaceError> {
        Ok(Liveness {
            net: Net::load_with(backend, path, [1, 3, SIDE, SIDE])?,
            live_class,
        })
    }

    /// Probability (0–1) that `face` in `image` is a live face rather than an artefact.
    pub fn live_probability(&self, image: &RgbImage, face: &Detection) -> Result<f32, FaceError> {
        let input = crop(image, face);
        let out = self.net.run(input)?;
        let logits = out
            .first()
            .map(|o| o.data.as_slice())
            .filter(|d| d.len() > self.live_class)
            .ok_or_else(|| FaceError::Inference("liveness output too short".into()))?;
        Ok(softmax(logits)[self.live_class])
    }
}

/// The face box widened by [`CONTEXT`] (kept inside the image), as NCHW 0–255 RGB.
fn crop(image: &RgbImage, face: &Detection) -> Vec<f32> {
    let b = face.bbox;
    let (iw, ih) = (image.width() as f32, image.height() as f32);
    let k = CONTEXT
        .min((ih - 1.0) / b.h.max(1.0))
        .min((iw - 1.0) / b.w.max(1.0));
    let (w, h) = (b.w * k, b.h * k);
    let x = (b.x + b.w / 2.0 - w / 2.0).clamp(0.0, (iw - w).max(0.0));
    let y = (b.y + b.h / 2.0 - h / 2.0).clamp(0.0, (ih - h).max(0.0));
    let mut out = vec![0.0f32; 3 * SIDE * SIDE];
    for v in 0..SIDE {
        for u in 0..SIDE {
            let sx = x + (u as f32 + 0.5) * w / SIDE as f32 - 0.5;
            let sy = y + (v as f32 + 0.5) * h / SIDE as f32 - 0.5;
            let p = image.sample(sx, sy, [0.0; 3]);
            for c in 0..3 {
                out[c * SIDE * SIDE + v * SIDE + u] = p[c];
            }
        }
    }
    out
}

/// Softmax of logits.
pub fn softmax(logits: &[f32]) -> Vec<f32> {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let exp: Vec<f32> = logits.iter().map(|v| (v - max).exp()).collect();
    let sum: f32 = exp.iter().sum();
    exp.iter().map(|e| e / sum).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn softmax_sums_to_one() {
        let p = softmax(&[1.0, 2.0, 3.0]);
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert!(p[2] > p[1] && p[1] > p[0]);
    }
}
