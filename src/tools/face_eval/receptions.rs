//! Receptions, not pairs: one chip photo against a patient's several camera frames,
//! judged the way the daemon judges them. Each frame goes through the run-time
//! checks (detection, quality, mask, liveness when on); the good frames are taken in
//! order, `frames_per_attempt` to an attempt ([`fused_score`]), for at most the
//! `attempts` the flow allows. A reception is accepted when any attempt reaches the
//! threshold, so its score is the best attempt's; a reception with no good frame at
//! all scores −1 (the patient is turned away to the PIN).
//!
//! File format (CSV): `chip,frames,same`, frames separated by `;`, e.g.
//! `A/A_0001.jpg,A/A_0002.jpg;A/A_0003.jpg,1`.

use super::pairs::{embed_entry, parse_same, EmbeddingCache};
use super::Scores;
use crate::face::{
    fused_score, motion_blur as smeared, FaceError, NoEmbedding, OnnxMatcher, RgbImage, Timings,
};
use crate::sim::photos::file_err;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use zeroize::Zeroizing;

/// The score of a reception without a single good frame.
pub const NO_GOOD_FRAME: f32 = -1.0;

/// One labelled reception.
#[derive(Debug, Clone, PartialEq)]
pub struct Reception {
    /// The image that becomes the chip photo.
    pub chip: String,
    /// The camera frames, in the order the camera would take them.
    pub frames: Vec<String>,
    /// The chip's holder at the counter?
    pub same: bool,
}

/// How receptions are run: the flow's attempts and each attempt's frames.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReceptionRules {
    /// Good frames fused per attempt (`[face] attempt_frames`).
    pub frames_per_attempt: usize,
    /// Attempts per reception (`[policy] face_attempts`).
    pub attempts: usize,
    /// Each attempt fuses its good frames with those of the reception's earlier
    /// attempts (`[face] fuse_attempts`), instead of its own alone.
    pub cumulative: bool,
    /// Every frame is smeared along its rows by a box this long first (simulated
    /// motion blur; 0 or 1: none). Frames are judged once per run, so one value.
    pub motion_blur: usize,
}

/// Reception scores, and what the frames gave.
#[derive(Debug, Clone, Default)]
pub struct ReceptionScores {
    /// Best-attempt scores by label (−1: no good frame); skipped receptions counted.
    pub scores: Scores,
    /// Genuine receptions where no frame passed the checks.
    pub genuine_without_frame: usize,
    /// Good frames used, over all scored receptions.
    pub frames_used: usize,
    /// Attempts made, over all scored receptions.
    pub attempts_made: usize,
    /// What the frames judged for this set (not judged before) gave.
    pub tally: FrameTally,
}

/// What the run-time checks made of the frames judged.
#[derive(Debug, Clone, Default)]
pub struct FrameTally {
    /// Frames judged.
    pub judged: usize,
    /// Frames that passed every check.
    pub passed: usize,
    /// Frames refused, by reason (the guidance, or "unreadable", "not live").
    pub refused: BTreeMap<String, usize>,
    /// The sharpness of every frame whose face was aligned (passed, or refused as
    /// smeared).
    pub sharpness: Vec<f32>,
}

impl FrameTally {
    /// One line of counts and one of the sharpness distribution.
    pub fn summary(&self) -> String {
        let refused: Vec<String> = self
            .refused
            .iter()
            .map(|(why, n)| format!("{why} {n}"))
            .collect();
        let mut s = self.sharpness.clone();
        s.sort_by(f32::total_cmp);
        let q = |p: f64| {
            s.get(((s.len() as f64 - 1.0) * p).round() as usize)
                .copied()
                .unwrap_or(f32::NAN)
        };
        format!(
            "frames judged: {} ({} passed; refused: {})\n\
             sharpness of aligned faces (n={}): p1 {:.3}  p5 {:.3}  p10 {:.3}  median {:.3}  p90 {:.3}\n",
            self.judged,
            self.passed,
            if refused.is_empty() { "none".into() } else { refused.join(", ") },
            s.len(),
            q(0.01),
            q(0.05),
            q(0.10),
            q(0.5),
            q(0.9),
        )
    }
}

/// Parses the receptions CSV (a first line that is not a reception is a header).
pub fn parse_receptions(text: &str) -> Result<Vec<Reception>, FaceError> {
    let mut out = Vec::new();
    for (n, line) in text.lines().map(str::trim).enumerate() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let err =
            |why: &str| FaceError::Input(format!("receptions line {}: {why}: {line:?}", n + 1));
        let f: Vec<&str> = line.split(',').map(str::trim).collect();
        let [chip, frames, same] = f.as_slice() else {
            return Err(err("expected chip,frames,same"));
        };
        let same = match parse_same(same) {
            Some(same) => same,
            None if n == 0 => continue, // header line
            None => return Err(err("`same` must be 1/0/true/false")),
        };
        let frames: Vec<String> = frames
            .split(';')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect();
        if frames.is_empty() || chip.is_empty() {
            return Err(err("a reception needs a chip image and at least one frame"));
        }
        out.push(Reception {
            chip: chip.to_string(),
            frames,
            same,
        });
    }
    if out.is_empty() {
        return Err(FaceError::Input("no receptions in the file".into()));
    }
    Ok(out)
}

/// The best attempt's fused score of `chip` against `frames` (`None` entries: frames
/// that did not pass the checks), under `rules`; with the frames and attempts used.
pub fn reception_score(
    chip: &[f32],
    frames: &[Option<&[f32]>],
    rules: ReceptionRules,
) -> (f32, usize, usize) {
    let good: Vec<&[f32]> = frames.iter().flatten().copied().collect();
    let per = rules.frames_per_attempt.max(1);
    let mut best = NO_GOOD_FRAME;
    let mut used = 0;
    let mut attempts = 0;
    for attempt in good.chunks(per).take(rules.attempts.max(1)) {
        used += attempt.len();
        attempts += 1;
        let fused = if rules.cumulative {
            &good[..used]
        } else {
            attempt
        };
        if let Some(s) = fused_score(chip, fused.iter().copied()) {
            best = best.max(s);
        }
    }
    (best, used, attempts)
}

/// Camera frames already judged: the embedding, or `None` when the frame did not
/// pass the run-time checks.
pub type FrameCache = HashMap<String, Option<Zeroizing<Vec<f32>>>>;

/// Scores every reception; chip embeddings share `cache` with the pair sets, frames
/// are judged once into `frames`.
pub fn score_receptions(
    matcher: &OnnxMatcher,
    receptions: &[Reception],
    root: &Path,
    chip: (u32, u32, usize),
    rules: ReceptionRules,
    cache: &mut EmbeddingCache,
    frames: &mut FrameCache,
) -> ReceptionScores {
    let mut out = ReceptionScores::default();
    let mut failed_chips = Vec::new();
    for rec in receptions {
        let key = (rec.chip.clone(), true);
        let c = cache
            .entry(key)
            .or_insert_with(|| embed_entry(matcher, root, &rec.chip, Some(chip)).ok())
            .clone();
        let Some(c) = c else {
            out.scores.skipped_pairs += 1;
            failed_chips.push(format!("{} (as chip)", rec.chip));
            continue;
        };
        for f in &rec.frames {
            if !frames.contains_key(f) {
                if !frames.is_empty() && frames.len() % 1000 == 0 {
                    eprintln!("face-eval: {} frames judged", frames.len());
                }
                let judged = judged_frame(matcher, root, f, rules.motion_blur, &mut out.tally);
                frames.insert(f.clone(), judged);
            }
        }
        let looks: Vec<Option<&[f32]>> = rec
            .frames
            .iter()
            .map(|f| frames.get(f).and_then(|e| e.as_ref()).map(|e| e.as_slice()))
            .collect();
        let (score, used, attempts) = reception_score(&c, &looks, rules);
        if rec.same && used == 0 {
            out.genuine_without_frame += 1;
        }
        out.frames_used += used;
        out.attempts_made += attempts;
        if rec.same {
            out.scores.genuine.push(score);
        } else {
            out.scores.impostor.push(score);
        }
    }
    failed_chips.sort();
    failed_chips.dedup();
    out.scores.failed_images = failed_chips;
    out
}

/// A frame through the run-time checks: its embedding, or `None` (no usable face);
/// counted in `tally`.
fn judged_frame(
    matcher: &OnnxMatcher,
    root: &Path,
    name: &str,
    motion_blur: usize,
    tally: &mut FrameTally,
) -> Option<Zeroizing<Vec<f32>>> {
    tally.judged += 1;
    let path = root.join(name);
    let refuse = |tally: &mut FrameTally, why: String| {
        *tally.refused.entry(why).or_default() += 1;
        None
    };
    let image = match RgbImage::open(&path) {
        Ok(image) if motion_blur > 1 => smeared(&image, motion_blur),
        Ok(image) => image,
        Err(reason) => {
            eprintln!("face-eval: {}", file_err(&path, reason));
            return refuse(tally, "unreadable".into());
        }
    };
    match matcher.probe(&image, &mut Timings::default()) {
        Ok((Ok(embedding), figures, _)) => {
            tally.passed += 1;
            tally.sharpness.push(figures.sharpness);
            Some(embedding)
        }
        Ok((Err(NoEmbedding::Guidance(g)), figures, _)) => {
            if g == crate::flow::Guidance::HoldStill {
                tally.sharpness.push(figures.sharpness);
            }
            refuse(tally, format!("{g:?}"))
        }
        Ok((Err(NoEmbedding::NotLive(_)), _, _)) => refuse(tally, "not live".into()),
        Err(_) => refuse(tally, "unreadable".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: ReceptionRules = ReceptionRules {
        frames_per_attempt: 2,
        attempts: 2,
        cumulative: false,
        motion_blur: 0,
    };

    #[test]
    fn receptions_csv() {
        let r =
            parse_receptions("chip,frames,same\na.jpg,b.jpg; c.jpg ,1\nd.jpg,e.jpg,0\n").unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].frames, vec!["b.jpg".to_string(), "c.jpg".into()]);
        assert!(r[0].same && !r[1].same);
        assert!(parse_receptions("a.jpg,,1\n").is_err());
        assert!(parse_receptions("a.jpg,b.jpg\n").is_err());
        assert!(parse_receptions("h,h,h\na,b,maybe\n").is_err());
        assert!(parse_receptions("").is_err());
    }

    #[test]
    fn good_frames_are_fused_per_attempt_and_the_best_attempt_counts() {
        let chip = [1.0, 0.0];
        let far = [0.0, 1.0];
        let near = [1.0, 0.0];
        // Attempt 1: far + (skipped) + far → 0; attempt 2: near + near → 1.
        let frames = [
            Some(&far[..]),
            None,
            Some(&far[..]),
            Some(&near[..]),
            Some(&near[..]),
        ];
        let (score, used, attempts) = reception_score(&chip, &frames, RULES);
        assert!((score - 1.0).abs() < 1e-6, "{score}");
        assert_eq!((used, attempts), (4, 2));
    }

    #[test]
    fn frames_past_the_allowed_attempts_are_not_used() {
        let chip = [1.0, 0.0];
        let far = [0.0, 1.0];
        let near = [1.0, 0.0];
        let frames = [
            Some(&far[..]),
            Some(&far[..]),
            Some(&far[..]),
            Some(&far[..]),
            Some(&near[..]),
        ];
        let (score, used, attempts) = reception_score(&chip, &frames, RULES);
        assert!(score.abs() < 1e-6, "{score}");
        assert_eq!((used, attempts), (4, 2));
    }

    #[test]
    fn cumulative_attempts_fuse_every_good_frame_so_far() {
        let chip = [1.0, 0.0];
        let a = [0.6, 0.8];
        let b = [0.6, -0.8];
        // Alone, each attempt of one frame scores 0.6; the second attempt fused with
        // the first cancels the off-axis parts: 1.0.
        let frames = [Some(&a[..]), Some(&b[..])];
        let one_each = ReceptionRules {
            frames_per_attempt: 1,
            ..RULES
        };
        let (alone, _, _) = reception_score(&chip, &frames, one_each);
        let cumulative = ReceptionRules {
            cumulative: true,
            ..one_each
        };
        let (fused, used, attempts) = reception_score(&chip, &frames, cumulative);
        assert!((alone - 0.6).abs() < 1e-6, "{alone}");
        assert!((fused - 1.0).abs() < 1e-6, "{fused}");
        assert_eq!((used, attempts), (2, 2));
    }

    #[test]
    fn no_good_frame_turns_the_patient_away() {
        let (score, used, attempts) = reception_score(&[1.0], &[None, None], RULES);
        assert_eq!((score, used, attempts), (NO_GOOD_FRAME, 0, 0));
    }
}
