//! The reading pipeline for one card: per frame, localise → rectify → crop the
//! three fields by the layout → recognise; then the checks and the two-frame
//! agreement rule. Intermediate images are wiped after use.

use super::layout::{Layout, Rect, CURRENT};
use super::rec::{OcrError, Recognizer};
use super::{check_frame, CardFaceRefusal, Date, Field, FrameText, Policy, Vote};
use crate::card::KenmenKey;
use image::GrayImage;
use kaonin_hal::camera::Frame;
use std::path::Path;
use std::time::{Duration, Instant};
use zeroize::Zeroize;

/// The card-face reader: the recogniser, the layout and the check thresholds.
#[derive(Debug)]
pub struct CardFaceReader {
    rec: Recognizer,
    pub layout: Layout,
    pub policy: Policy,
    /// Refuse frames with glare over a field or too blurred to read
    /// ([`super::quality`]) before recognising them (the daemon turns these into
    /// guidance). Off by default.
    pub check_quality: bool,
}

/// Time spent on one frame.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct FrameTiming {
    pub locate: Duration,
    pub recognise: Duration,
}

fn wipe(img: GrayImage) {
    img.into_raw().zeroize();
}

fn crop(card: &GrayImage, r: Rect) -> GrayImage {
    image::imageops::crop_imm(card, r.x, r.y, r.w, r.h).to_image()
}

impl CardFaceReader {
    /// Loads the recogniser from `models_dir` (see `scripts/fetch-ocr-model.sh`)
    /// with the approximate current-card layout and the default policy.
    pub fn load(models_dir: &Path) -> Result<CardFaceReader, OcrError> {
        Ok(CardFaceReader {
            rec: Recognizer::load(models_dir)?,
            layout: CURRENT,
            policy: Policy::default(),
            check_quality: false,
        })
    }

    /// The recogniser (for text outside the three fields, e.g. the 追記欄).
    pub(crate) fn recognizer(&self) -> &Recognizer {
        &self.rec
    }

    fn quality_issue(&self, card: &GrayImage) -> Option<CardFaceRefusal> {
        if !self.check_quality {
            return None;
        }
        super::quality::assess(card, &self.layout).map(|issue| match issue {
            super::quality::Issue::Glare => CardFaceRefusal::Glare,
            super::quality::Issue::Blurred => CardFaceRefusal::Blurred,
        })
    }

    /// Reads the three fields of one frame.
    pub fn read_frame(&self, frame: &Frame) -> Result<FrameText, CardFaceRefusal> {
        self.read_frame_timed(frame).0
    }

    /// [`Self::read_frame`] with the time spent.
    pub fn read_frame_timed(
        &self,
        frame: &Frame,
    ) -> (Result<FrameText, CardFaceRefusal>, FrameTiming) {
        let start = Instant::now();
        let mut timing = FrameTiming::default();
        let Some(gray) = super::locate::gray_frame(frame) else {
            return (Err(CardFaceRefusal::NoCard), timing);
        };
        let card = super::locate::find_card(&gray).and_then(|c| super::locate::rectify(&gray, &c));
        wipe(gray);
        timing.locate = start.elapsed();
        let Some(card) = card else {
            return (Err(CardFaceRefusal::NoCard), timing);
        };
        if let Some(issue) = self.quality_issue(&card) {
            wipe(card);
            return (Err(issue), timing);
        }
        let start = Instant::now();
        let mut text = FrameText::default();
        let mut result = Ok(());
        for field in Field::ALL {
            let piece = crop(&card, self.layout.field(field));
            let read = self.rec.recognise(&piece, field);
            wipe(piece);
            match read {
                Ok(t) => match field {
                    Field::Birth => text.birth = t,
                    Field::Expiry => text.expiry = t,
                    Field::Code => text.code = t,
                },
                Err(e) => {
                    tracing::warn!(error = %e, "card-face recognition failed");
                    result = Err(CardFaceRefusal::Unreadable(field));
                    break;
                }
            }
        }
        wipe(card);
        timing.recognise = start.elapsed();
        (result.map(|()| text), timing)
    }
}

/// Reads 照合番号B's inputs from card-face frames: each frame is localised,
/// recognised and checked; the value is returned only when two frames agree on
/// all 14 digits (see [`Vote`]). Stops at the first agreement. `today` is the
/// local date `(year, month, day)`.
pub fn read_card_face(
    reader: &CardFaceReader,
    frames: &[Frame],
    today: (i32, u32, u32),
) -> Result<KenmenKey, CardFaceRefusal> {
    let today = Date::from_ymd(today).ok_or(CardFaceRefusal::BadToday)?;
    let mut vote = Vote::new();
    for frame in frames {
        let checked = reader
            .read_frame(frame)
            .and_then(|text| check_frame(&text, today, &reader.policy));
        if let Some(face) = vote.push(checked) {
            return Ok(face);
        }
    }
    Err(vote.refusal())
}

#[cfg(all(test, feature = "sim"))]
mod tests {
    use super::*;
    use crate::sim::cardgen::{synth_card, Degradation};
    use crate::ui::font::Fonts;

    const TODAY: (i32, u32, u32) = (2026, 11, 25);

    fn reader() -> CardFaceReader {
        let models = Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
        CardFaceReader::load(&models).expect("scripts/fetch-ocr-model.sh")
    }

    #[test]
    fn a_missing_model_is_a_typed_error() {
        let err = CardFaceReader::load(Path::new("/nonexistent")).unwrap_err();
        assert!(matches!(err, OcrError::Missing { .. }), "{err}");
    }

    #[test]
    #[ignore = "needs models: scripts/fetch-ocr-model.sh"]
    fn reads_a_synthetic_card_and_refuses_a_western_one() {
        let fonts = Fonts::load(None).unwrap();
        let today = Date::from_ymd(TODAY).unwrap();
        let reader = reader();
        let card = synth_card(&fonts, 5, 0, 3, &Degradation::normal(), today);
        let frames: Vec<Frame> = card.captures.into_iter().map(|c| c.frame).collect();
        assert_eq!(
            read_card_face(&reader, &frames, TODAY).ok(),
            card.spec.truth()
        );
        // One frame alone is never enough.
        assert!(read_card_face(&reader, &frames[..1], TODAY).is_err());
        // A blank scene: no card.
        let blank = [Frame::empty_scene(640, 480), Frame::empty_scene(640, 480)];
        assert_eq!(
            read_card_face(&reader, &blank, TODAY),
            Err(CardFaceRefusal::NoCard)
        );
    }
}
