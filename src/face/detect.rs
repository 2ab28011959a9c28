//! Face detection with five landmarks (eyes, nose tip, mouth corners), run on a
//! letterboxed copy of the frame: CenterFace (the default) or YuNet (decoded in
//! `yunet.rs`), chosen by `[face] detector`.
//!
//! Both networks take 0–255 pixels in NCHW at a size that is a multiple of 32 (YuNet
//! in BGR order, CenterFace in RGB). CenterFace gives four maps at ¼ resolution: a
//! centre heatmap, log box scales, centre offsets and landmark offsets; decoding
//! follows the model's published reference decoder.

use super::config::DetectorKind;
use super::gray::Rect;
use super::net::{Backend, Net, Output};
use super::rgb::RgbImage;
use super::FaceError;
use std::path::Path;

/// One detected face, in the coordinates of the image given to [`Detector::detect`].
#[derive(Debug, Clone, PartialEq)]
pub struct Detection {
    /// Detector confidence, 0–1.
    pub score: f32,
    /// Face box.
    pub bbox: Rect,
    /// Left eye, right eye (as seen in the image), nose tip, left and right mouth corner.
    pub landmarks: [[f32; 2]; 5],
}

impl Detection {
    /// Distance between the eyes, in pixels.
    pub fn eye_distance(&self) -> f32 {
        let [l, r, ..] = self.landmarks;
        ((r[0] - l[0]).powi(2) + (r[1] - l[1]).powi(2)).sqrt()
    }

    /// Box area in square pixels.
    pub fn area(&self) -> f32 {
        self.bbox.w.max(0.0) * self.bbox.h.max(0.0)
    }
}

/// The detector network and its decoding parameters.
#[derive(Debug)]
pub struct Detector {
    kind: DetectorKind,
    net: Net,
    width: u32,
    height: u32,
    threshold: f32,
}

/// Downscales by a whole `k` into the NCHW `input` (`w`×`h` planes, top-left
/// `fit_w`×`fit_h` filled): each value is the mean of a k×k block — the same as the
/// general path's k×k bilinear taps, which land exactly on pixel centres, but read
/// straight from the bytes.
fn box_downscale(
    image: &RgbImage,
    k: usize,
    fit_w: usize,
    fit_h: usize,
    w: usize,
    h: usize,
    input: &mut [f32],
) {
    let iw = image.width() as usize;
    let px = image.pixels();
    let fit_w = fit_w.min(iw / k);
    let fit_h = fit_h.min(image.height() as usize / k);
    let plane = w * h;
    let norm = 1.0 / (k * k) as f32;
    let mut acc = vec![0u32; fit_w * 3];
    for y in 0..fit_h {
        acc.iter_mut().for_each(|a| *a = 0);
        for sy in y * k..(y + 1) * k {
            let row = &px[sy * iw * 3..sy * iw * 3 + fit_w * k * 3];
            for (x, block) in row.chunks_exact(3 * k).enumerate() {
                for p in block.chunks_exact(3) {
                    acc[x * 3] += u32::from(p[0]);
                    acc[x * 3 + 1] += u32::from(p[1]);
                    acc[x * 3 + 2] += u32::from(p[2]);
                }
            }
        }
        for x in 0..fit_w {
            for c in 0..3 {
                input[c * plane + y * w + x] = acc[x * 3 + c] as f32 * norm;
            }
        }
    }
}

/// The image scaled to fit a `width` × `height` input (aspect kept, top-left, zero
/// padding), NCHW, and the scale used. A whole-number reduction (640×480 into 320×256
/// or 224×160) is an exact box average.
fn letterbox(image: &RgbImage, width: u32, height: u32) -> (Vec<f32>, f32) {
    let (w, h) = (width as usize, height as usize);
    let scale = (width as f32 / image.width() as f32).min(height as f32 / image.height() as f32);
    let mut input = vec![0.0f32; 3 * w * h];
    let fit_w = ((image.width() as f32 * scale).round() as usize).min(w);
    let fit_h = ((image.height() as f32 * scale).round() as usize).min(h);
    let factor = (1.0 / scale).round();
    if factor >= 2.0 && (1.0 / scale - factor).abs() < 1e-3 {
        box_downscale(image, factor as usize, fit_w, fit_h, w, h, &mut input);
        return (input, scale);
    }
    // Downscaling by more than 2 aliases with plain bilinear: average a few taps.
    let taps = ((1.0 / scale).ceil() as usize).clamp(1, 4);
    for y in 0..fit_h {
        for x in 0..fit_w {
            let mut acc = [0.0f32; 3];
            for ty in 0..taps {
                for tx in 0..taps {
                    let sx = (x as f32 + (tx as f32 + 0.5) / taps as f32) / scale - 0.5;
                    let sy = (y as f32 + (ty as f32 + 0.5) / taps as f32) / scale - 0.5;
                    let p = image.sample(sx, sy, [0.0; 3]);
                    for c in 0..3 {
                        acc[c] += p[c];
                    }
                }
            }
            let n = (taps * taps) as f32;
            for c in 0..3 {
                input[c * w * h + y * w + x] = acc[c] / n;
            }
        }
    }
    (input, scale)
}

/// Overlap above which the weaker of two boxes is dropped.
const NMS_IOU: f32 = 0.3;

impl Detector {
    /// Loads the detector for `width` × `height` inputs (multiples of 32).
    pub fn load(
        kind: DetectorKind,
        backend: &Backend,
        path: &Path,
        width: u32,
        height: u32,
        threshold: f32,
    ) -> Result<Detector, FaceError> {
        let net = Net::load_with(backend, path, [1, 3, height as usize, width as usize])?;
        let detector = Detector {
            kind,
            net,
            width,
            height,
            threshold,
        };
        // One run on a blank input: a model of the other layout (`[face] detector`
        // not matching `detector_model`) is refused at start-up, naming the file.
        let blank = RgbImage::new(width, height, vec![0; (width * height * 3) as usize])
            .ok_or_else(|| FaceError::Input("detector input size".into()))?;
        detector
            .detect(&blank)
            .map_err(|e| FaceError::ModelInvalid {
                path: path.to_owned(),
                reason: format!("not a {kind:?} detector: {e}"),
            })?;
        Ok(detector)
    }

    /// All faces in `image`, strongest first.
    pub fn detect(&self, image: &RgbImage) -> Result<Vec<Detection>, FaceError> {
        let (mut input, scale) = letterbox(image, self.width, self.height);
        if self.kind == DetectorKind::Yunet {
            // YuNet was trained on OpenCV's BGR images: swap the R and B planes.
            let plane = input.len() / 3;
            let (r, rest) = input.split_at_mut(plane);
            r.swap_with_slice(&mut rest[plane..]);
        }
        let outputs = self.net.run(input)?;
        let faces = match self.kind {
            DetectorKind::Yunet => {
                super::yunet::decode(&outputs, self.width, self.height, self.threshold)?
            }
            DetectorKind::Centerface => self.decode(&outputs)?,
        };
        let mut faces = non_max_suppression(faces);
        for f in &mut faces {
            f.bbox = Rect {
                x: f.bbox.x / scale,
                y: f.bbox.y / scale,
                w: f.bbox.w / scale,
                h: f.bbox.h / scale,
            };
            for p in &mut f.landmarks {
                p[0] /= scale;
                p[1] /= scale;
            }
        }
        Ok(faces)
    }

    /// Faces from CenterFace's four output maps (before non-maximum suppression).
    fn decode(&self, outputs: &[Output]) -> Result<Vec<Detection>, FaceError> {
        let [heat, scale, offset, marks] = outputs else {
            return Err(FaceError::Inference(format!(
                "detector gave {} outputs; a CenterFace model gives 4 (heatmap, scale, offset, landmarks; is [face] detector right for this model?)",
                outputs.len()
            )));
        };
        let (mh, mw) = map_size(heat, 1)?;
        for (o, c) in [(scale, 2), (offset, 2), (marks, 10)] {
            if map_size(o, c)? != (mh, mw) {
                return Err(FaceError::Inference(
                    "detector output maps differ in size".into(),
                ));
            }
        }
        let plane = mh * mw;
        let at = |o: &Output, c: usize, i: usize| o.data[c * plane + i];
        let (in_w, in_h) = (self.width as f32, self.height as f32);
        let mut faces = Vec::new();
        for (i, &s) in heat.data.iter().enumerate().take(plane) {
            if s <= self.threshold {
                continue;
            }
            let (row, col) = ((i / mw) as f32, (i % mw) as f32);
            let bh = at(scale, 0, i).exp() * 4.0;
            let bw = at(scale, 1, i).exp() * 4.0;
            let (oy, ox) = (at(offset, 0, i), at(offset, 1, i));
            let x1 = ((col + ox + 0.5) * 4.0 - bw / 2.0).clamp(0.0, in_w);
            let y1 = ((row + oy + 0.5) * 4.0 - bh / 2.0).clamp(0.0, in_h);
            let x2 = (x1 + bw).min(in_w);
            let y2 = (y1 + bh).min(in_h);
            let mut landmarks = [[0.0f32; 2]; 5];
            for (j, p) in landmarks.iter_mut().enumerate() {
                *p = [
                    at(marks, 2 * j + 1, i) * bw + x1,
                    at(marks, 2 * j, i) * bh + y1,
                ];
            }
            faces.push(Detection {
                score: s,
                bbox: Rect {
                    x: x1,
                    y: y1,
                    w: x2 - x1,
                    h: y2 - y1,
                },
                landmarks,
            });
        }
        Ok(faces)
    }
}

/// (height, width) of a [1, channels, h, w] map, checking its size.
fn map_size(o: &Output, channels: usize) -> Result<(usize, usize), FaceError> {
    match o.shape.as_slice() {
        [1, c, h, w] if *c == channels && o.data.len() == c * h * w => Ok((*h, *w)),
        other => Err(FaceError::Inference(format!(
            "detector output of shape {other:?}, expected [1, {channels}, h, w]"
        ))),
    }
}

/// Keeps the strongest of overlapping boxes.
pub fn non_max_suppression(mut faces: Vec<Detection>) -> Vec<Detection> {
    faces.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut kept: Vec<Detection> = Vec::new();
    for f in faces {
        if kept.iter().all(|k| iou(&k.bbox, &f.bbox) < NMS_IOU) {
            kept.push(f);
        }
    }
    kept
}

/// Intersection over union of two boxes.
pub fn iou(a: &Rect, b: &Rect) -> f32 {
    let w = ((a.x + a.w).min(b.x + b.w) - a.x.max(b.x)).max(0.0);
    let h = ((a.y + a.h).min(b.y + b.h) - a.y.max(b.y)).max(0.0);
    let inter = w * h;
    let union = a.w * a.h + b.w * b.h - inter;
    if union <= 0.0 {
        0.0
    } else {
        inter / union
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn det(score: f32, x: f32) -> Detection {
        Detection {
            score,
            bbox: Rect {
                x,
                y: 0.0,
                w: 10.0,
                h: 10.0,
            },
            landmarks: [[0.0; 2]; 5],
        }
    }

    #[test]
    fn nms_keeps_strongest_of_overlaps() {
        let kept = non_max_suppression(vec![det(0.6, 0.0), det(0.9, 1.0), det(0.7, 50.0)]);
        let scores: Vec<f32> = kept.iter().map(|d| d.score).collect();
        assert_eq!(scores, vec![0.9, 0.7]);
    }

    #[test]
    fn iou_of_identical_and_disjoint() {
        let a = Rect {
            x: 0.0,
            y: 0.0,
            w: 2.0,
            h: 2.0,
        };
        assert_eq!(iou(&a, &a), 1.0);
        assert_eq!(iou(&a, &Rect { x: 5.0, ..a }), 0.0);
    }

    #[test]
    fn a_vga_frame_is_box_averaged_by_three_into_224_by_160() {
        let (w, h) = (640u32, 480u32);
        let px: Vec<u8> = (0..w * h * 3).map(|i| (i * 7 % 251) as u8).collect();
        let image = RgbImage::new(w, h, px.clone()).unwrap();
        let (input, scale) = letterbox(&image, 224, 160);
        assert!((scale - 1.0 / 3.0).abs() < 1e-6);
        let plane = 224 * 160;
        for (x, y, c) in [(0usize, 0usize, 0usize), (212, 159, 2), (100, 77, 1)] {
            let mut sum = 0u32;
            for sy in 3 * y..3 * y + 3 {
                for sx in 3 * x..3 * x + 3 {
                    sum += u32::from(px[(sy * w as usize + sx) * 3 + c]);
                }
            }
            let want = sum as f32 / 9.0;
            assert!(
                (input[c * plane + y * 224 + x] - want).abs() < 1e-4,
                "({x},{y},{c})"
            );
        }
        // 640 / 3 leaves 213 columns: the rest of each row is padding.
        assert!((0..160).all(|y| (213..224).all(|x| input[y * 224 + x] == 0.0)));
    }

    #[test]
    fn wrong_output_layout_is_an_error() {
        let o = Output {
            shape: vec![1, 3, 2, 2],
            data: vec![0.0; 12],
        };
        assert!(map_size(&o, 1).is_err());
        let o = Output {
            shape: vec![1, 1, 2, 2],
            data: vec![0.0; 3],
        };
        assert!(map_size(&o, 1).is_err());
    }
}
