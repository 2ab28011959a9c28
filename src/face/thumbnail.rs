//! TEST-ONLY matcher: normalised cross-correlation of small greyscale thumbnails.
//!
//! It is deterministic and needs no model, so the flow, the daemon and the demo can be
//! tested with the synthetic faces in `assets/faces/`. It is **not** face recognition:
//! it finds the subject as "whatever differs from the background at the frame's
//! border", crops it to the chip photo's 3:4 shape, shrinks it to 24×32 and correlates.
//! Never configure it on a real counter.

use super::gray::{GrayImage, Rect};
use super::{cosine, decode_chip_photo, FaceError, FaceMatcher, Reference, Template};
use crate::flow::{FaceOutcome, Guidance};
use kaonin_hal::camera::Frame;
use zeroize::Zeroizing;

/// Thumbnail width.
const THUMB_W: u32 = 24;
/// Thumbnail height (3:4, like the chip photo).
const THUMB_H: u32 = 32;
/// Mean luma below which a frame is too dark.
const DARK_MEAN: f32 = 40.0;
/// Luma spread below which a frame is an empty scene.
const FLAT_STD: f32 = 4.0;
/// Histogram bin width for background levels.
const BIN: usize = 8;
/// Share of the border a grey level needs to count as background.
const BACKGROUND_SHARE: f32 = 0.1;
/// Share of the frame the subject must cover.
const MIN_SUBJECT_SHARE: f32 = 0.005;

/// The deterministic, test-only matcher (see the module documentation).
#[derive(Debug, Clone)]
pub struct TestOnlyThumbnailMatcher {
    threshold: f32,
}

impl TestOnlyThumbnailMatcher {
    /// Default correlation threshold.
    pub const DEFAULT_THRESHOLD: f32 = 0.85;

    /// A matcher accepting correlations at or above `threshold`.
    pub fn new(threshold: f32) -> Self {
        TestOnlyThumbnailMatcher { threshold }
    }

    /// The normalised thumbnail of the subject in `image`, or the guidance to give.
    pub fn thumbnail(image: &GrayImage) -> Result<Zeroizing<Vec<f32>>, Guidance> {
        let (mean, std) = image.mean_and_std();
        if mean < DARK_MEAN {
            return Err(Guidance::TooDark);
        }
        if std < FLAT_STD {
            return Err(Guidance::NoFace);
        }
        let rect = subject_box(image).ok_or(Guidance::NoFace)?;
        let mut thumb = Zeroizing::new(image.resample(rect, THUMB_W, THUMB_H));
        let (m, s) = super::gray::mean_and_std(thumb.iter().copied());
        if s < 1.0 {
            return Err(Guidance::NoFace);
        }
        thumb.iter_mut().for_each(|v| *v = (*v - m) / s);
        Ok(thumb)
    }
}

impl Default for TestOnlyThumbnailMatcher {
    fn default() -> Self {
        TestOnlyThumbnailMatcher::new(Self::DEFAULT_THRESHOLD)
    }
}

impl FaceMatcher for TestOnlyThumbnailMatcher {
    fn enroll(&mut self, chip_jp2: &[u8]) -> Result<Reference, FaceError> {
        let photo = decode_chip_photo(chip_jp2)?;
        let thumb =
            Self::thumbnail(&photo).map_err(|g| FaceError::NoFaceInChip(format!("{g:?}")))?;
        Ok(Reference::new(Template::Thumbnail(thumb)))
    }

    fn attempt(&mut self, reference: &Reference, frame: &Frame) -> FaceOutcome {
        let Template::Thumbnail(reference) = &reference.template else {
            return FaceOutcome::Unavailable;
        };
        let Some(gray) = GrayImage::from_frame(frame) else {
            return FaceOutcome::Unavailable;
        };
        match Self::thumbnail(&gray) {
            Err(guidance) => FaceOutcome::Guidance(guidance),
            Ok(probe) => {
                let score = cosine(reference, &probe);
                if score >= self.threshold {
                    FaceOutcome::Match { score }
                } else {
                    FaceOutcome::NoMatch { score }
                }
            }
        }
    }
}

/// The subject's box, widened to 3:4 around its centre; `None` if there is none.
fn subject_box(image: &GrayImage) -> Option<Rect> {
    let background = background_bins(image);
    let is_background = |p: u8| {
        let b = p as usize / BIN;
        (b.saturating_sub(2)..=b + 2).any(|i| background.get(i) == Some(&true))
    };
    let w = image.width() as usize;
    let (mut x0, mut y0, mut x1, mut y1, mut count) = (usize::MAX, usize::MAX, 0, 0, 0usize);
    for (i, &p) in image.pixels().iter().enumerate() {
        if !is_background(p) {
            let (x, y) = (i % w, i / w);
            x0 = x0.min(x);
            y0 = y0.min(y);
            x1 = x1.max(x);
            y1 = y1.max(y);
            count += 1;
        }
    }
    if (count as f32) < MIN_SUBJECT_SHARE * image.pixels().len() as f32 {
        return None;
    }
    let (bw, bh) = ((x1 - x0 + 1) as f32, (y1 - y0 + 1) as f32);
    let (cx, cy) = (x0 as f32 + bw / 2.0, y0 as f32 + bh / 2.0);
    let (w, h) = if bw * 4.0 > bh * 3.0 {
        (bw, bw * 4.0 / 3.0)
    } else {
        (bh * 3.0 / 4.0, bh)
    };
    Some(Rect {
        x: cx - w / 2.0,
        y: cy - h / 2.0,
        w,
        h,
    })
}

/// Which grey-level bins make up the frame's border (the background, letterbox bars).
fn background_bins(image: &GrayImage) -> [bool; 256 / BIN] {
    let mut hist = [0usize; 256 / BIN];
    let mut total = 0usize;
    for p in image.border() {
        hist[p as usize / BIN] += 1;
        total += 1;
    }
    let mut bins = [false; 256 / BIN];
    for (bin, &n) in bins.iter_mut().zip(&hist) {
        *bin = n as f32 >= BACKGROUND_SHARE * total as f32;
    }
    bins
}

#[cfg(test)]
mod tests {
    use super::*;
    use kaonin_hal::camera::PixelFormat;

    const FACES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/faces/");

    fn chip(name: &str) -> Vec<u8> {
        std::fs::read(format!("{FACES}{name}-chip.jp2")).unwrap()
    }

    /// The picture as an image-file camera shows it: fitted into 640x480 with grey bars.
    fn camera_frame(file: &str) -> Frame {
        let img = image::open(format!("{FACES}{file}")).unwrap().to_rgb8();
        let scaled = image::imageops::resize(&img, 360, 480, image::imageops::FilterType::Triangle);
        let mut data = vec![128u8; 640 * 480 * 3];
        for (y, row) in scaled.as_raw().chunks_exact(360 * 3).enumerate() {
            let start = (y * 640 + 140) * 3;
            data[start..start + 360 * 3].copy_from_slice(row);
        }
        Frame::new(640, 480, PixelFormat::Rgb8, data).unwrap()
    }

    fn outcome(reference: &str, file: &str) -> FaceOutcome {
        let mut m = TestOnlyThumbnailMatcher::default();
        let r = m.enroll(&chip(reference)).unwrap();
        m.attempt(&r, &camera_frame(file))
    }

    #[test]
    fn alice_matches_her_chip_photo() {
        for file in ["alice.png", "alice-camera.png"] {
            let o = outcome("alice", file);
            assert!(matches!(o, FaceOutcome::Match { .. }), "{file}: {o:?}");
        }
    }

    #[test]
    fn others_do_not_match_alice() {
        for file in ["bob.png", "carol.png"] {
            let o = outcome("alice", file);
            assert!(matches!(o, FaceOutcome::NoMatch { .. }), "{file}: {o:?}");
        }
        let o = outcome("bob", "alice-camera.png");
        assert!(matches!(o, FaceOutcome::NoMatch { .. }), "{o:?}");
    }

    #[test]
    fn each_person_matches_only_their_own_chip() {
        for (i, who) in ["alice", "bob", "carol"].iter().enumerate() {
            for (j, other) in ["alice", "bob", "carol"].iter().enumerate() {
                let o = outcome(who, &format!("{other}.png"));
                assert_eq!(
                    matches!(o, FaceOutcome::Match { .. }),
                    i == j,
                    "{who} vs {other}: {o:?}"
                );
            }
        }
    }

    #[test]
    fn empty_scene_asks_for_a_face() {
        let mut m = TestOnlyThumbnailMatcher::default();
        let r = m.enroll(&chip("alice")).unwrap();
        let o = m.attempt(&r, &Frame::empty_scene(640, 480));
        assert_eq!(o, FaceOutcome::Guidance(Guidance::NoFace));
    }

    #[test]
    fn dark_frame_asks_for_light() {
        let mut m = TestOnlyThumbnailMatcher::default();
        let r = m.enroll(&chip("alice")).unwrap();
        let mut frame = camera_frame("alice.png");
        frame.data.iter_mut().for_each(|p| *p /= 8);
        assert_eq!(
            m.attempt(&r, &frame),
            FaceOutcome::Guidance(Guidance::TooDark)
        );
    }

    #[test]
    fn bad_chip_is_an_error() {
        let mut m = TestOnlyThumbnailMatcher::default();
        assert!(m.enroll(b"junk").is_err());
    }
}
