//! Text-line recognition with the pinned PP-OCRv5 mobile model in tract, and
//! greedy CTC decoding restricted to each field's characters.
//!
//! One concrete tract plan, 384 wide (a symbolic width runs ~10× slower). A crop
//! is scaled to height 48 (squeezed to 384 if wider), normalised to
//! `(v/255 − 0.5)/0.5` on three equal channels and right-padded with 0. There was
//! a second plan, 96 wide, for the 照合番号B crop: it held the 16.5 MB network's
//! packed weights a second time (18 MiB resident) to save at most about 20 ms per
//! frame; the wide plan reads the evaluation sets as exactly (docs/ocr.md).
//!
//! The probability kept for a character is the **unrestricted** softmax
//! probability of the chosen class (never renormalised over the whitelist), the
//! highest over the timesteps of its CTC run.

use super::{Field, FieldText};
use image::imageops::{resize, FilterType};
use image::GrayImage;
use std::path::{Path, PathBuf};
use tract_onnx::prelude::*;
use tract_onnx::tract_hir::tract_ndarray::{Array2, ArrayView2, Axis, Ix3};

/// Input height of the recognition model.
pub const REC_HEIGHT: u32 = 48;
/// Input width of the plan: the widest field, the date lines (~384); the
/// 照合番号B crop (~96) is padded to it.
pub const REC_WIDTH: u32 = 384;
/// Model file under the models directory.
pub const REC_FILE: &str = "ocr/ppocrv5-rec.onnx";
/// Dictionary file under the models directory.
pub const DICT_FILE: &str = "ocr/ppocrv5_dict.txt";

/// Why the recogniser could not be loaded or run.
#[derive(Debug, thiserror::Error)]
pub enum OcrError {
    #[error("cannot read {path}: {reason} (run scripts/fetch-ocr-model.sh)")]
    Missing { path: PathBuf, reason: String },
    #[error("OCR model {path}: {reason}")]
    Model { path: PathBuf, reason: String },
    #[error("OCR inference failed: {0}")]
    Run(String),
    #[error("dictionary has {got} entries, the model outputs {want} classes")]
    Dictionary { got: usize, want: usize },
}

/// The characters a field can hold.
pub fn whitelist(field: Field) -> &'static str {
    match field {
        Field::Birth => "0123456789 明治大正昭和平成令元年月日生",
        Field::Expiry => "0123456789 年月日まで有効",
        Field::Code => "0123456789",
    }
}

/// The loaded recogniser: the plan and the class → character table.
pub struct Recognizer {
    plan: Arc<TypedRunnableModel>,
    /// Class index → character; index 0 is the CTC blank (`None`).
    classes: Vec<Option<char>>,
    /// Allowed class indices per field (blank included).
    allowed: [Vec<usize>; 3],
}

impl std::fmt::Debug for Recognizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Recognizer(width {REC_WIDTH}, {} classes)",
            self.classes.len()
        )
    }
}

fn field_index(field: Field) -> usize {
    match field {
        Field::Birth => 0,
        Field::Expiry => 1,
        Field::Code => 2,
    }
}

impl Recognizer {
    /// Loads `models_dir/ocr/ppocrv5-rec.onnx` and its dictionary and builds the
    /// plan, [`REC_WIDTH`] wide.
    pub fn load(models_dir: &Path) -> Result<Recognizer, OcrError> {
        let model_path = models_dir.join(REC_FILE);
        let dict_path = models_dir.join(DICT_FILE);
        let dict = std::fs::read_to_string(&dict_path).map_err(|e| OcrError::Missing {
            path: dict_path.clone(),
            reason: e.to_string(),
        })?;
        let bytes = std::fs::read(&model_path).map_err(|e| OcrError::Missing {
            path: model_path.clone(),
            reason: e.to_string(),
        })?;
        let model_err = |e: TractError| OcrError::Model {
            path: model_path.clone(),
            reason: format!("{e:#}"),
        };
        let shape = [1, 3, REC_HEIGHT as usize, REC_WIDTH as usize];
        let plan = tract_onnx::onnx()
            .model_for_read(&mut bytes.as_slice())
            .and_then(|m| m.with_input_fact(0, f32::fact(shape).into()))
            .and_then(|m| m.into_optimized())
            .and_then(|m| m.into_runnable())
            .map_err(model_err)?;
        drop(bytes);
        // blank + dictionary lines + space.
        let mut classes: Vec<Option<char>> = vec![None];
        classes.extend(dict.lines().map(|l| l.chars().next()));
        classes.push(Some(' '));
        let allowed = Field::ALL.map(|f| {
            let chars = whitelist(f);
            std::iter::once(0)
                .chain(
                    (1..classes.len()).filter(|&i| classes[i].is_some_and(|c| chars.contains(c))),
                )
                .collect()
        });
        let rec = Recognizer {
            plan,
            classes,
            allowed,
        };
        rec.check_classes()?;
        Ok(rec)
    }

    fn check_classes(&self) -> Result<(), OcrError> {
        let blank = GrayImage::from_pixel(96, REC_HEIGHT, image::Luma([255]));
        let want = self.run(&blank, |steps| steps.ncols())?;
        if want != self.classes.len() {
            return Err(OcrError::Dictionary {
                got: self.classes.len(),
                want,
            });
        }
        Ok(())
    }

    /// Runs the network on a grey crop and hands `read` its output in place: one
    /// row per timestep, one column per class (18,385 of them: 7 MB for a full
    /// crop, which is why it is not copied).
    fn run<R>(
        &self,
        crop: &GrayImage,
        read: impl FnOnce(ArrayView2<f32>) -> R,
    ) -> Result<R, OcrError> {
        let (cw, ch) = crop.dimensions();
        if cw == 0 || ch == 0 {
            return Ok(read(Array2::zeros((0, self.classes.len())).view()));
        }
        let scaled_w =
            ((REC_HEIGHT as f64 * cw as f64 / ch as f64).round() as u32).clamp(8, REC_WIDTH);
        let scaled = resize(crop, scaled_w, REC_HEIGHT, FilterType::Triangle);
        let (w, h) = (REC_WIDTH as usize, REC_HEIGHT as usize);
        let mut data = vec![0f32; 3 * h * w];
        for (x, y, p) in scaled.enumerate_pixels() {
            let v = (p.0[0] as f32 / 255.0 - 0.5) / 0.5;
            for c in 0..3 {
                data[c * h * w + y as usize * w + x as usize] = v;
            }
        }
        let input = Tensor::from_shape(&[1, 3, h, w], &data)
            .map_err(|e| OcrError::Run(format!("{e:#}")))?;
        let out = self
            .plan
            .run(tvec!(input.into()))
            .map_err(|e| OcrError::Run(format!("{e:#}")))?;
        let view = out
            .first()
            .ok_or_else(|| OcrError::Run("no output".into()))?
            .to_plain_array_view::<f32>()
            .map_err(|e| OcrError::Run(format!("{e:#}")))?;
        let shape = view.shape().to_vec();
        let steps = view
            .into_dimensionality::<Ix3>()
            .ok()
            .filter(|v| v.shape()[0] == 1)
            .ok_or_else(|| OcrError::Run(format!("output shape {shape:?}")))?;
        Ok(read(steps.index_axis_move(Axis(0), 0)))
    }

    /// Reads one field's crop, decoding only the field's characters.
    pub fn recognise(&self, crop: &GrayImage, field: Field) -> Result<FieldText, OcrError> {
        let allowed = &self.allowed[field_index(field)];
        self.run(crop, |steps| ctc_decode(steps, allowed, &self.classes))
    }
}

/// Greedy CTC over the `allowed` classes: per timestep the best allowed class;
/// runs collapsed, blanks dropped; each character's probability is the highest
/// unrestricted probability over its run.
pub fn ctc_decode(
    steps: ArrayView2<f32>,
    allowed: &[usize],
    classes: &[Option<char>],
) -> FieldText {
    let mut text = String::new();
    let mut probs: Vec<f32> = Vec::new();
    let mut prev = 0usize;
    for step in steps.rows() {
        let best = allowed
            .iter()
            .copied()
            .filter(|&i| i < step.len())
            .max_by(|&a, &b| step[a].total_cmp(&step[b]))
            .unwrap_or(0);
        let p = step.get(best).copied().unwrap_or(0.0);
        if best != 0 && best == prev {
            if let Some(last) = probs.last_mut() {
                *last = last.max(p);
            }
        } else if best != 0 {
            if let Some(Some(c)) = classes.get(best) {
                text.push(*c);
                probs.push(p);
            }
        }
        prev = best;
    }
    FieldText::new(&text, probs)
}

impl Recognizer {
    /// Reads a crop decoding only `chars` (and the blank): for text outside the
    /// three fields, such as the 「顔認証」 marking in the 追記欄.
    pub fn recognise_chars(&self, crop: &GrayImage, chars: &str) -> Result<FieldText, OcrError> {
        let allowed: Vec<usize> = std::iter::once(0)
            .chain(
                (1..self.classes.len())
                    .filter(|&i| self.classes[i].is_some_and(|c| chars.contains(c))),
            )
            .collect();
        self.run(crop, |steps| ctc_decode(steps, &allowed, &self.classes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ctc_collapses_runs_and_respects_the_whitelist() {
        // classes: blank, '1', '2', 'X'
        let classes = vec![None, Some('1'), Some('2'), Some('X')];
        let steps = tract_ndarray::arr2(&[
            [0.1, 0.8, 0.05, 0.05],
            [0.1, 0.6, 0.1, 0.2],
            [0.9, 0.05, 0.03, 0.02],
            [0.1, 0.7, 0.1, 0.1],
            [0.05, 0.05, 0.1, 0.8], // X is best but not allowed
        ]);
        let out = ctc_decode(steps.view(), &[0, 1, 2], &classes);
        assert_eq!(out.text.as_str(), "112");
        assert_eq!(out.probs, vec![0.8, 0.7, 0.1]);
        let open = ctc_decode(steps.view(), &[0, 1, 2, 3], &classes);
        assert_eq!(open.text.as_str(), "11X");
    }

    /// A black-on-white text line as the card face prints it, `px` high glyphs
    /// (drawn by the card-face generator).
    #[cfg(feature = "sim")]
    fn printed(text: &str, px: u32) -> GrayImage {
        let fonts = crate::ui::font::Fonts::load(None).unwrap();
        let margin = (px / 3) as f32;
        let width = fonts.width(text, px, crate::ui::font::Weight::Regular) + 2.0 * margin;
        let ascent = fonts.ascent(px, crate::ui::font::Weight::Regular);
        let mut img = image::RgbImage::from_pixel(
            width.ceil() as u32,
            px + 2 * margin as u32,
            image::Rgb([255; 3]),
        );
        crate::sim::cardgen::text(
            &mut img,
            &fonts,
            text,
            (margin, margin + ascent),
            px,
            [0; 3],
        );
        image::imageops::grayscale(&img)
    }

    #[test]
    #[cfg(feature = "sim")]
    #[ignore = "needs the OCR model: scripts/fetch-ocr-model.sh"]
    fn narrow_and_wide_fields_read_through_the_one_plan() {
        let models = Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
        let rec = Recognizer::load(&models).unwrap();
        // The 照合番号B crop fills at most half of the plan (a quarter on a card),
        // the rest is padding; the expiry line nearly all of it.
        for (text, field, max_w) in [
            ("2580", Field::Code, REC_WIDTH / 2),
            ("2030年3月31日まで有効", Field::Expiry, REC_WIDTH),
        ] {
            let crop = printed(text, 32);
            let scaled = REC_HEIGHT * crop.width() / crop.height();
            assert!(
                scaled <= max_w,
                "{text}: {scaled} px wide at the model's height"
            );
            let read = rec.recognise(&crop, field).unwrap();
            assert_eq!(read.text.as_str(), text);
            assert!(
                read.probs.iter().all(|&p| p > 0.5),
                "{text}: {:?}",
                read.probs
            );
        }
    }

    #[test]
    fn whitelists_hold_what_the_parsers_need() {
        for c in "令和元年12月31日生".chars() {
            assert!(whitelist(Field::Birth).contains(c));
        }
        assert!(!whitelist(Field::Code).contains('年'));
        assert!(whitelist(Field::Expiry).contains('効'));
    }
}
