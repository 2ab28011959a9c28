//! Several frames, one decision: a face attempt gathers the embeddings of the good
//! frames it captures (each one passed the quality checks) and compares their mean
//! with the chip photo once.
//!
//! Why the mean and not the best frame: the best of n frames gives an impostor n
//! chances at the threshold, so its false accepts grow with n. The mean of n
//! embeddings is one comparison; averaging cancels what differs between frames
//! (expression, blur, light), so a genuine patient's score rises, while an impostor's
//! stays near the typical score between two different people with less spread. The
//! threshold is therefore checked against *fused* scores
//! (`kaonin face-eval --receptions`, docs/face-eval/lfw.md), not assumed.

use super::cosine;
use zeroize::Zeroizing;

/// The good frames of one attempt, summed; wiped on drop.
#[derive(Default)]
pub struct Fusion {
    sum: Zeroizing<Vec<f32>>,
    frames: u32,
}

impl core::fmt::Debug for Fusion {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Fusion({} frames, hidden)", self.frames)
    }
}

impl Fusion {
    /// Adds the unit-length embedding of one good frame. One of another length than
    /// the frames before is ignored (it cannot come from the same embedder).
    pub fn add(&mut self, embedding: &[f32]) {
        if self.sum.is_empty() {
            self.sum.resize(embedding.len(), 0.0);
        } else if self.sum.len() != embedding.len() {
            return;
        }
        for (s, x) in self.sum.iter_mut().zip(embedding) {
            *s += x;
        }
        self.frames += 1;
    }

    /// Good frames so far.
    pub fn frames(&self) -> u32 {
        self.frames
    }

    /// Cosine between `reference` and the mean of the good frames; `None` without one.
    pub fn score(&self, reference: &[f32]) -> Option<f32> {
        (self.frames > 0).then(|| cosine(reference, &self.sum))
    }
}

/// The fused score of `reference` against several unit-length embeddings (what an
/// attempt with these good frames scores); `None` when there are none.
pub fn fused_score<'a>(
    reference: &[f32],
    frames: impl IntoIterator<Item = &'a [f32]>,
) -> Option<f32> {
    let mut fusion = Fusion::default();
    for e in frames {
        fusion.add(e);
    }
    fusion.score(reference)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(v: &[f32]) -> Vec<f32> {
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.iter().map(|x| x / n).collect()
    }

    #[test]
    fn one_frame_scores_like_a_single_comparison() {
        let r = unit(&[1.0, 0.2, -0.3]);
        let a = unit(&[0.8, 0.1, 0.1]);
        let fused = fused_score(&r, [a.as_slice()]).unwrap();
        assert!((fused - cosine(&r, &a)).abs() < 1e-6);
    }

    #[test]
    fn the_mean_cancels_what_differs_between_frames() {
        // Two frames of the reference, each off in another direction: each alone
        // scores about 0.71, their mean is the reference itself.
        let r = unit(&[1.0, 0.0, 0.0]);
        let a = unit(&[1.0, 1.0, 0.0]);
        let b = unit(&[1.0, -1.0, 0.0]);
        let single = cosine(&r, &a);
        let fused = fused_score(&r, [a.as_slice(), b.as_slice()]).unwrap();
        assert!(
            (single - std::f32::consts::FRAC_1_SQRT_2).abs() < 1e-3,
            "{single}"
        );
        assert!((fused - 1.0).abs() < 1e-6, "{fused}");
    }

    #[test]
    fn the_mean_is_not_the_best_frame() {
        // One frame close to the reference, one far: the best would be 1.0, the
        // mean stays below it (no second chance for an impostor's lucky frame).
        let r = unit(&[1.0, 0.0]);
        let close = unit(&[1.0, 0.0]);
        let far = unit(&[0.0, 1.0]);
        let fused = fused_score(&r, [close.as_slice(), far.as_slice()]).unwrap();
        assert!(fused < 0.75 && fused > 0.7, "{fused}");
    }

    #[test]
    fn no_good_frame_gives_no_score() {
        let f = Fusion::default();
        assert_eq!(f.score(&[1.0, 0.0]), None);
        assert_eq!(f.frames(), 0);
    }

    #[test]
    fn an_embedding_of_another_length_is_ignored() {
        let mut f = Fusion::default();
        f.add(&[1.0, 0.0]);
        f.add(&[0.0, 1.0, 0.0]);
        assert_eq!(f.frames(), 1);
        assert!((f.score(&[1.0, 0.0]).unwrap() - 1.0).abs() < 1e-6);
        assert!(!format!("{f:?}").contains("1.0"));
    }
}
