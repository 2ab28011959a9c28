//! Decoding the YuNet face detector's outputs (OpenCV Zoo `face_detection_yunet`,
//! MIT): a box and five landmarks per face.
//!
//! YuNet takes a BGR image, 0–255, NCHW, with sides that are multiples of 32, and is
//! anchor-free: for each of the strides 8, 16 and 32 it gives, per grid cell (row
//! major), a class score, an objectness score, a box (centre offset in cells, log
//! width and height in cells) and five landmarks (offsets in cells). The face score
//! is `sqrt(cls · obj)`, both clamped to 0–1. The twelve outputs come in the model's
//! order: `cls_8, cls_16, cls_32, obj_8, …, bbox_8, …, kps_8, …, kps_32`. The
//! landmark order is the one the aligner expects: the eye on the image's left first,
//! then the other eye, the nose tip, the left and the right mouth corner.

use super::detect::Detection;
use super::gray::Rect;
use super::net::Output;
use super::FaceError;

/// The strides of YuNet's three output levels.
const STRIDES: [usize; 3] = [8, 16, 32];

/// Faces (before non-maximum suppression) from YuNet's twelve outputs, for an input
/// of `width` × `height`, keeping scores above `threshold`.
pub fn decode(
    outputs: &[Output],
    width: u32,
    height: u32,
    threshold: f32,
) -> Result<Vec<Detection>, FaceError> {
    if outputs.len() != 12 {
        return Err(FaceError::Inference(format!(
            "detector gave {} outputs; a YuNet model gives 12 (is [face] detector right for this model?)",
            outputs.len()
        )));
    }
    let (in_w, in_h) = (width as f32, height as f32);
    let mut faces = Vec::new();
    for (level, &stride) in STRIDES.iter().enumerate() {
        let (cols, rows) = (width as usize / stride, height as usize / stride);
        let cells = cols * rows;
        let cls = rows_of(&outputs[level], cells, 1)?;
        let obj = rows_of(&outputs[3 + level], cells, 1)?;
        let bbox = rows_of(&outputs[6 + level], cells, 4)?;
        let kps = rows_of(&outputs[9 + level], cells, 10)?;
        let s = stride as f32;
        for i in 0..cells {
            let score = (cls[i].clamp(0.0, 1.0) * obj[i].clamp(0.0, 1.0)).sqrt();
            if score <= threshold || score.is_nan() {
                continue;
            }
            let (c, r) = ((i % cols) as f32, (i / cols) as f32);
            let b = &bbox[i * 4..i * 4 + 4];
            let (cx, cy) = ((c + b[0]) * s, (r + b[1]) * s);
            let (w, h) = (b[2].exp() * s, b[3].exp() * s);
            if !w.is_finite() || !h.is_finite() {
                continue;
            }
            let x1 = (cx - w / 2.0).clamp(0.0, in_w);
            let y1 = (cy - h / 2.0).clamp(0.0, in_h);
            let x2 = (cx + w / 2.0).clamp(0.0, in_w);
            let y2 = (cy + h / 2.0).clamp(0.0, in_h);
            let k = &kps[i * 10..i * 10 + 10];
            let mut landmarks = [[0.0f32; 2]; 5];
            for (j, p) in landmarks.iter_mut().enumerate() {
                *p = [(k[2 * j] + c) * s, (k[2 * j + 1] + r) * s];
            }
            faces.push(Detection {
                score,
                bbox: Rect {
                    x: x1,
                    y: y1,
                    w: x2 - x1,
                    h: y2 - y1,
                },
                landmarks,
            });
        }
    }
    Ok(faces)
}

/// The values of a `[1, cells, per]` output, checking its shape.
fn rows_of(o: &Output, cells: usize, per: usize) -> Result<&[f32], FaceError> {
    match o.shape.as_slice() {
        [1, n, c] if *n == cells && *c == per && o.data.len() == cells * per => Ok(&o.data),
        other => Err(FaceError::Inference(format!(
            "YuNet output of shape {other:?}, expected [1, {cells}, {per}]"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Outputs for a 32×32 input (16 + 4 + 1 cells) with every score zero.
    fn empty_outputs() -> Vec<Output> {
        let mut outs = Vec::new();
        for per in [1, 1, 4, 10] {
            for s in STRIDES {
                let cells = (32 / s) * (32 / s);
                outs.push(Output {
                    shape: vec![1, cells, per],
                    data: vec![0.0; cells * per],
                });
            }
        }
        outs
    }

    #[test]
    fn one_cell_decodes_to_its_box_and_landmarks() {
        let mut outs = empty_outputs();
        // Stride 8, cell (col 1, row 2) = index 9.
        outs[0].data[9] = 0.81;
        outs[3].data[9] = 1.0;
        outs[6].data[9 * 4..9 * 4 + 4].copy_from_slice(&[0.5, 0.5, 1.0f32.ln(), 2.0f32.ln()]);
        let marks = [0.0, 0.0, 1.0, 0.0, 0.5, 0.5, 0.25, 1.0, 0.75, 1.0];
        outs[9].data[9 * 10..9 * 10 + 10].copy_from_slice(&marks);
        let faces = decode(&outs, 32, 32, 0.5).unwrap();
        assert_eq!(faces.len(), 1);
        let f = &faces[0];
        assert!((f.score - 0.9).abs() < 1e-6, "{}", f.score);
        // Centre (1.5, 2.5) cells = (12, 20) px; 8×16 px box.
        let b = f.bbox;
        assert!(
            (b.x - 8.0).abs() < 1e-4 && (b.y - 12.0).abs() < 1e-4,
            "{b:?}"
        );
        assert!(
            (b.w - 8.0).abs() < 1e-4 && (b.h - 16.0).abs() < 1e-4,
            "{b:?}"
        );
        assert_eq!(f.landmarks[0], [8.0, 16.0]);
        assert_eq!(f.landmarks[1], [16.0, 16.0]);
        assert_eq!(f.landmarks[4], [14.0, 24.0]);
    }

    #[test]
    fn weak_cells_are_dropped_and_bad_layouts_refused() {
        let mut outs = empty_outputs();
        outs[0].data[0] = 0.2;
        outs[3].data[0] = 0.2; // score 0.2
        assert!(decode(&outs, 32, 32, 0.5).unwrap().is_empty());
        assert!(decode(&outs[..4], 32, 32, 0.5).is_err());
        // A 64×64 claim does not fit outputs made for 32×32.
        assert!(decode(&outs, 64, 64, 0.5).is_err());
    }
}
