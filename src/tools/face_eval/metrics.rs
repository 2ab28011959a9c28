//! What a face evaluation reports: score distributions, FAR/FRR at thresholds, the
//! equal error rate, the threshold for a target FAR, and the ROC plot.

use super::Scores;
use crate::face::FaceError;
use crate::sim::photos::file_err;
use std::fmt::Write as _;
use std::path::Path;

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
    let (mean, sd) = crate::face::mean_and_std(v.iter().copied());
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
    /// support that target (at least 3/target impostor pairs: fewer, and the threshold
    /// rests on one or two impostor scores).
    pub fn threshold_for_far(&self, target: f64) -> Option<(f32, bool)> {
        if self.impostor.is_empty() {
            return None;
        }
        let mut imp = self.impostor.clone();
        imp.sort_by(|a, b| b.total_cmp(a));
        let allowed = (target * imp.len() as f64).floor() as usize;
        let enough = imp.len() as f64 * target >= 3.0 - 1e-9;
        // Accepting `allowed` impostors: the threshold sits just above the next one.
        let t = imp.get(allowed).map_or(f32::NEG_INFINITY, |s| next_up(*s));
        Some((t, enough))
    }

    /// Accuracy (share of pairs decided right) at `t`.
    pub fn accuracy(&self, t: f32) -> f64 {
        let right = self.genuine.iter().filter(|&&s| s >= t).count()
            + self.impostor.iter().filter(|&&s| s < t).count();
        rate(right, self.genuine.len() + self.impostor.len())
    }

    /// The threshold with the best accuracy on these scores.
    pub fn best_accuracy_threshold(&self) -> f32 {
        let mut candidates: Vec<f32> = self.genuine.iter().chain(&self.impostor).copied().collect();
        candidates.sort_by(f32::total_cmp);
        candidates.dedup();
        candidates
            .into_iter()
            .map(|t| (self.accuracy(t), t))
            .max_by(|a, b| a.0.total_cmp(&b.0).then(b.1.total_cmp(&a.1)))
            .map_or(0.5, |(_, t)| t)
    }

    /// One line: FAR and FRR at `t`, with counts.
    pub fn operating_point(&self, t: f32) -> String {
        format!(
            "FAR {} ({}/{})  FRR {} ({}/{})",
            pct(self.far(t)),
            self.impostor.iter().filter(|&&s| s >= t).count(),
            self.impostor.len(),
            pct(self.frr(t)),
            self.genuine.iter().filter(|&&s| s < t).count(),
            self.genuine.len()
        )
    }

    /// The text report: distributions, the operating point at the configured
    /// threshold and at `extra` ones, the EER, and the threshold for each target FAR
    /// (with a warning when the set has too few impostor pairs to support it).
    pub fn report(&self, configured: f32, extra: &[f32], target_far: &[f64]) -> String {
        let mut r = String::new();
        let line = |name: &str, s: Summary| {
            format!(
                "{name:9} n={:6}  mean {:.3}  sd {:.3}  min {:.3}  p1 {:.3}  median {:.3}  p99 {:.3}  max {:.3}\n",
                s.n, s.mean, s.sd, s.min, s.p1, s.median, s.p99, s.max
            )
        };
        r.push_str("face-eval: cosine scores\n");
        r.push_str(&line("genuine", summarize(&self.genuine)));
        r.push_str(&line("impostor", summarize(&self.impostor)));
        if !self.failed_images.is_empty() {
            let shown = self
                .failed_images
                .iter()
                .take(20)
                .cloned()
                .collect::<Vec<_>>();
            let more = self.failed_images.len().saturating_sub(shown.len());
            let _ = writeln!(
                r,
                "no face found/embedded in {} image(s), {} pair(s) skipped: {}{}",
                self.failed_images.len(),
                self.skipped_pairs,
                shown.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            );
        }
        let _ = writeln!(
            r,
            "configured threshold {configured:.3}: {}",
            self.operating_point(configured)
        );
        for &t in extra {
            let _ = writeln!(r, "threshold {t:.3}: {}", self.operating_point(t));
        }
        match self.eer() {
            Some((eer, t)) => {
                let _ = writeln!(r, "EER {} at threshold {t:.3}", pct(eer));
            }
            None => r.push_str("EER: needs genuine and impostor pairs\n"),
        }
        for &target in target_far {
            if let Some((t, enough)) = self.threshold_for_far(target) {
                let _ = writeln!(
                    r,
                    "threshold for FAR <= {}: {t:.3} (FRR there {}, FAR there {})",
                    pct(target),
                    pct(self.frr(t)),
                    pct(self.far(t))
                );
                if !enough {
                    let _ = writeln!(
                        r,
                        "warning: only {} impostor pairs: at least {:.0} (3/FAR) are needed to support FAR <= {}",
                        self.impostor.len(),
                        (3.0 / target).ceil(),
                        pct(target)
                    );
                }
            }
        }
        if self.genuine.len() < 100 {
            let _ = writeln!(
                r,
                "note: {} genuine pairs are far too few for an FRR claim; use consented local data",
                self.genuine.len()
            );
        }
        if !self.folds.is_empty() {
            r.push_str(&self.fold_table(configured));
        }
        r
    }

    /// The per-fold table of a cross-validation set (LFW `pairs.txt`): FAR, FRR and
    /// accuracy at `t`, the fold's EER, and the standard protocol's accuracy (threshold
    /// of best accuracy on the other folds, applied to this one).
    pub fn fold_table(&self, t: f32) -> String {
        let mut r = String::new();
        let _ = writeln!(
            r,
            "fold  genuine impostor   FAR@{t:.3}   FRR@{t:.3}   acc@{t:.3}    EER      10-fold thr  10-fold acc"
        );
        let mut accs = Vec::new();
        let mut fixed = Vec::new();
        for (k, fold) in self.folds.iter().enumerate() {
            let mut others = Scores::default();
            for (j, f) in self.folds.iter().enumerate() {
                if j != k {
                    others.genuine.extend(&f.genuine);
                    others.impostor.extend(&f.impostor);
                }
            }
            let cv_t = others.best_accuracy_threshold();
            let acc = fold.accuracy(cv_t);
            accs.push(acc as f32);
            fixed.push(fold.accuracy(t) as f32);
            let _ = writeln!(
                r,
                "{:4}  {:7} {:8}  {:>9}  {:>9}  {:>9}  {:>9}  {:11.3}  {:>11}",
                k + 1,
                fold.genuine.len(),
                fold.impostor.len(),
                pct(fold.far(t)),
                pct(fold.frr(t)),
                pct(fold.accuracy(t)),
                fold.eer().map_or("-".into(), |(e, _)| pct(e)),
                cv_t,
                pct(acc)
            );
        }
        let (m, sd) = crate::face::mean_and_std(accs.iter().copied());
        let (fm, fsd) = crate::face::mean_and_std(fixed.iter().copied());
        let _ = writeln!(
            r,
            "accuracy at {t:.3}: {:.2} % ± {:.2}; 10-fold protocol accuracy: {:.2} % ± {:.2}",
            fm * 100.0,
            fsd * 100.0,
            m * 100.0,
            sd * 100.0
        );
        r
    }
}

/// A rate as a percentage with enough digits for 1 in 100,000.
pub fn pct(rate: f64) -> String {
    format!("{:.3} %", rate * 100.0)
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
        let (t, enough) = s.threshold_for_far(0.3).unwrap();
        assert!(enough && s.far(t) <= 0.3 && t > 0.25 && t < 0.3, "{t}");
        // 10 impostors support FAR 0.3 (3/0.3 = 10) but not 0.1 (needs 30).
        let (t, enough) = s.threshold_for_far(0.1).unwrap();
        assert!(!enough && s.far(t) <= 0.1 && t <= 0.5 && t > 0.35, "{t}");
        let (t, enough) = s.threshold_for_far(0.001).unwrap();
        assert!(!enough && s.far(t) == 0.0 && t > 0.5);
        let text = s.report(0.45, &[], &[0.1]);
        assert!(
            text.contains("configured threshold 0.450: FAR 10.000 % (1/10)  FRR 25.000 % (1/4)"),
            "{text}"
        );
        assert!(
            text.contains("warning: only 10 impostor pairs: at least 30"),
            "{text}"
        );
    }

    #[test]
    fn folds_table_uses_the_other_folds_threshold() {
        let fold = |g: Vec<f32>, i: Vec<f32>| Scores {
            genuine: g,
            impostor: i,
            ..Scores::default()
        };
        let s = Scores {
            folds: vec![
                fold(vec![0.6, 0.7], vec![0.1, 0.2]),
                fold(vec![0.8, 0.3], vec![0.0, 0.4]),
            ],
            ..Scores::default()
        };
        assert_eq!(s.folds[0].accuracy(0.5), 1.0);
        assert_eq!(s.folds[1].accuracy(0.5), 0.75);
        let text = s.fold_table(0.5);
        assert_eq!(text.lines().count(), 4, "{text}");
        assert!(text.contains("accuracy at 0.500: 87.50 %"), "{text}");
    }

    #[test]
    fn summary_quantiles() {
        let s = summarize(&[3.0, 1.0, 2.0]);
        assert_eq!((s.n, s.min, s.median, s.max), (3, 1.0, 2.0, 3.0));
        assert_eq!(summarize(&[]).n, 0);
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
