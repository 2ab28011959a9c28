//! Similarity alignment of a face onto the ArcFace 112×112 five-point template, and
//! the embedder's input tensor built from the aligned face.

use super::config::EmbedderTemplate;
use super::rgb::RgbImage;

/// The five-point template of 112×112 ArcFace-style embedders: eyes, nose tip, mouth
/// corners.
pub const TEMPLATE_112: [[f32; 2]; 5] = [
    [38.2946, 51.6963],
    [73.5318, 51.5014],
    [56.0252, 71.7366],
    [41.5493, 92.3655],
    [70.7299, 92.2041],
];

/// A 2-D similarity transform `p ↦ [a −b; b a]·p + t` (rotation, uniform scale, shift).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Similarity {
    pub a: f32,
    pub b: f32,
    pub tx: f32,
    pub ty: f32,
}

impl Similarity {
    /// Least-squares similarity mapping `src` points onto `dst` points (Umeyama in 2-D,
    /// no reflection). `None` when the source points coincide.
    pub fn estimate(src: &[[f32; 2]], dst: &[[f32; 2]]) -> Option<Similarity> {
        let n = src.len().min(dst.len());
        if n < 2 {
            return None;
        }
        let mean = |pts: &[[f32; 2]]| {
            let (sx, sy) = pts[..n]
                .iter()
                .fold((0.0, 0.0), |(x, y), p| (x + p[0], y + p[1]));
            [sx / n as f32, sy / n as f32]
        };
        let (ms, md) = (mean(src), mean(dst));
        let (mut num_re, mut num_im, mut den) = (0.0f32, 0.0f32, 0.0f32);
        for (s, d) in src.iter().zip(dst).take(n) {
            let (sx, sy) = (s[0] - ms[0], s[1] - ms[1]);
            let (dx, dy) = (d[0] - md[0], d[1] - md[1]);
            // (dx + i dy) · conj(sx + i sy)
            num_re += dx * sx + dy * sy;
            num_im += dy * sx - dx * sy;
            den += sx * sx + sy * sy;
        }
        if den <= f32::EPSILON {
            return None;
        }
        let (a, b) = (num_re / den, num_im / den);
        Some(Similarity {
            a,
            b,
            tx: md[0] - (a * ms[0] - b * ms[1]),
            ty: md[1] - (b * ms[0] + a * ms[1]),
        })
    }

    /// Applies the transform.
    pub fn apply(&self, p: [f32; 2]) -> [f32; 2] {
        [
            self.a * p[0] - self.b * p[1] + self.tx,
            self.b * p[0] + self.a * p[1] + self.ty,
        ]
    }

    /// The inverse transform (`None` for a degenerate one).
    pub fn inverse(&self) -> Option<Similarity> {
        let d = self.a * self.a + self.b * self.b;
        if d <= f32::EPSILON {
            return None;
        }
        let (a, b) = (self.a / d, -self.b / d);
        Some(Similarity {
            a,
            b,
            tx: -(a * self.tx - b * self.ty),
            ty: -(b * self.tx + a * self.ty),
        })
    }

    /// Scale factor.
    pub fn scale(&self) -> f32 {
        (self.a * self.a + self.b * self.b).sqrt()
    }
}

/// dlib's 150×150 face chip (`get_face_chip_details`, padding 0.25) in kaonin's five
/// points, pixel indices: the eye centres are the midpoints of dlib's eye corners
/// (exact), nose tip and mouth corners come from the mean face shape in dlib's source
/// (estimates); derivation in assets/models/dlib-resnet.md.
pub const TEMPLATE_DLIB_150: [[f32; 2]; 5] = [
    [47.233, 46.640],
    [99.781, 46.623],
    [73.513, 76.063],
    [49.915, 102.523],
    [97.110, 102.523],
];

/// The `kind` template scaled to a `size` × `size` crop.
pub fn template_for(kind: EmbedderTemplate, size: u32) -> [[f32; 2]; 5] {
    let (points, side) = match kind {
        EmbedderTemplate::Arcface => (TEMPLATE_112, 112.0),
        EmbedderTemplate::Dlib => (TEMPLATE_DLIB_150, 150.0),
    };
    let k = size as f32 / side;
    points.map(|[x, y]| [x * k, y * k])
}

/// Warps the face with `landmarks` onto `template` (points in the crop): a `size` × `size` RGB crop, NCHW
/// planes, each value `(pixel - mean) / scale`. With `grey`, every plane holds the
/// luma (BT.601) of the warped colour, so a colour frame needs no greyscale copy.
/// `None` for degenerate landmarks.
pub fn aligned_input(
    image: &RgbImage,
    landmarks: &[[f32; 2]; 5],
    template: &[[f32; 2]; 5],
    size: u32,
    mean: f32,
    scale: f32,
    grey: bool,
) -> Option<Vec<f32>> {
    let to_template = Similarity::estimate(landmarks, template)?;
    let to_image = to_template.inverse()?;
    let n = size as usize;
    let mut out = vec![0.0f32; 3 * n * n];
    // When the face is much larger than the crop, average a few taps per pixel.
    let taps = (to_image.scale().ceil() as usize).clamp(1, 3);
    for v in 0..n {
        for u in 0..n {
            let mut acc = [0.0f32; 3];
            for ty in 0..taps {
                for tx in 0..taps {
                    let q = [
                        u as f32 + (tx as f32 + 0.5) / taps as f32 - 0.5,
                        v as f32 + (ty as f32 + 0.5) / taps as f32 - 0.5,
                    ];
                    let [x, y] = to_image.apply(q);
                    let p = image.sample(x, y, [0.0; 3]);
                    for c in 0..3 {
                        acc[c] += p[c];
                    }
                }
            }
            let k = (taps * taps) as f32;
            if grey {
                let y = (0.299 * acc[0] + 0.587 * acc[1] + 0.114 * acc[2]) / k;
                acc = [y * k; 3];
            }
            for c in 0..3 {
                out[c * n * n + v * n + u] = (acc[c] / k - mean) / scale;
            }
        }
    }
    Some(out)
}

/// The left–right mirror image of an aligned input (`[3, side, side]` planes): the
/// same face seen in a mirror, as the template is symmetric about its vertical axis.
pub fn mirrored(input: &[f32], side: usize) -> Vec<f32> {
    let mut out = input.to_vec();
    if side > 0 {
        for row in out.chunks_mut(side) {
            row.reverse();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimate_recovers_a_known_similarity() {
        let truth = Similarity {
            a: 0.8,
            b: 0.3,
            tx: 5.0,
            ty: -2.0,
        };
        let src = [
            [10.0, 10.0],
            [50.0, 12.0],
            [30.0, 30.0],
            [15.0, 50.0],
            [45.0, 52.0],
        ];
        let dst = src.map(|p| truth.apply(p));
        let est = Similarity::estimate(&src, &dst).unwrap();
        for (x, y) in [
            (est.a, truth.a),
            (est.b, truth.b),
            (est.tx, truth.tx),
            (est.ty, truth.ty),
        ] {
            assert!((x - y).abs() < 1e-3, "{est:?}");
        }
        let back = est.inverse().unwrap().apply(dst[2]);
        assert!((back[0] - src[2][0]).abs() < 1e-3 && (back[1] - src[2][1]).abs() < 1e-3);
    }

    #[test]
    fn templates_scale_to_the_crop() {
        assert_eq!(template_for(EmbedderTemplate::Dlib, 150), TEMPLATE_DLIB_150);
        assert_eq!(template_for(EmbedderTemplate::Arcface, 112), TEMPLATE_112);
        let half = template_for(EmbedderTemplate::Arcface, 56);
        assert!((half[0][0] - TEMPLATE_112[0][0] / 2.0).abs() < 1e-5);
        // dlib's chip is symmetric about its centre line: the eyes sit level, either
        // side of x = 73.5.
        let [l, r, ..] = TEMPLATE_DLIB_150;
        assert!(((l[0] + r[0]) / 2.0 - 73.507).abs() < 0.01 && (l[1] - r[1]).abs() < 0.05);
    }

    #[test]
    fn mirroring_reverses_each_row_of_each_plane() {
        // Two planes of 2x2: [[1,2],[3,4]] and [[5,6],[7,8]].
        let input = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0];
        assert_eq!(
            mirrored(&input, 2),
            vec![2.0, 1.0, 4.0, 3.0, 6.0, 5.0, 8.0, 7.0]
        );
        assert_eq!(mirrored(&mirrored(&input, 2), 2), input.to_vec());
    }

    #[test]
    fn coincident_points_are_degenerate() {
        assert!(Similarity::estimate(&[[1.0, 1.0]; 5], &TEMPLATE_112).is_none());
    }

    #[test]
    fn template_landmarks_align_to_themselves() {
        let img = RgbImage::new(112, 112, vec![200; 112 * 112 * 3]).unwrap();
        let input =
            aligned_input(&img, &TEMPLATE_112, &TEMPLATE_112, 112, 127.0, 128.0, false).unwrap();
        assert_eq!(input.len(), 3 * 112 * 112);
        assert!(input.iter().all(|&v| (v - 73.0 / 128.0).abs() < 1e-4));
    }

    #[test]
    fn grey_alignment_writes_the_luma_to_every_plane() {
        let px: Vec<u8> = (0..112 * 112).flat_map(|_| [200u8, 100, 50]).collect();
        let img = RgbImage::new(112, 112, px).unwrap();
        let input = aligned_input(&img, &TEMPLATE_112, &TEMPLATE_112, 112, 0.0, 1.0, true).unwrap();
        let luma = 0.299 * 200.0 + 0.587 * 100.0 + 0.114 * 50.0;
        assert!(input.iter().all(|&v| (v - luma).abs() < 1e-3));
    }
}
