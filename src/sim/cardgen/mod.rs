//! Synthetic card faces and camera captures with ground truth, for tests and
//! `kaonin ocr-eval`. Seeded: the same seed gives the same cards and pixels.
//!
//! A card is drawn on the approximate layout of [`super::layout`] with the UI font
//! (BIZ UDPGothic, a stand-in: the real card font is not public), with a
//! guilloche-like background, a photo placeholder, the 追記欄 (sometimes with
//! 「顔認証」 and a red seal), the serial number beside the code, and varied names,
//! birth dates across every era (元年 and era boundaries forced in) and expiry
//! dates from the 5/10th-birthday rule. A capture places it in a 640×480 frame
//! with rotation, perspective, lighting, glare, blur, noise and JPEG artefacts,
//! lying on a plain tray or (the textured set) on striped and patterned mats, wood,
//! grey and white desks, among clutter, held by a hand or half in shadow.
//!
//! These results are an upper bound (reference §4): no hologram, no real laser
//! engraving, stand-in font and layout.
//!
//! - [`rng`]: the seeded generator;
//! - [`spec`]: what is printed (holder, dates, code) and the truth it gives;
//! - [`card`]: drawing the card face;
//! - [`backdrop`]: what the card lies on and what else is in the picture;
//! - [`capture`]: photographing it with the camera's defects;
//! - here: whole cards with their captures, and sets written to disk.

mod backdrop;
mod capture;
mod card;
mod rng;
mod spec;

pub use backdrop::Backdrop;
pub use capture::{blur, capture, capture_on, Capture, Degradation, FRAME_H, FRAME_W};
pub use card::draw_card;
/// For tests elsewhere that need printed text (e.g. the recogniser's).
#[cfg(test)]
pub(crate) use card::text;
pub use rng::Rng;
pub use spec::{random_spec, spec_for, CardSpec};

use crate::ground::civil::Date;
use crate::ui::font::Fonts;
use image::RgbImage;

/// One synthetic card with its captures.
#[derive(Debug)]
pub struct SynthCard {
    pub spec: CardSpec,
    /// What the card lies on in every capture.
    pub backdrop: Backdrop,
    pub captures: Vec<Capture>,
}

/// Card `index` of the set `seed`: the same arguments give the same card.
pub fn synth_card(
    fonts: &Fonts,
    seed: u64,
    index: u64,
    frames: usize,
    deg: &Degradation,
    today: Date,
) -> SynthCard {
    let mut rng = Rng::new(seed ^ index.wrapping_mul(0xA24B_AED4_963E_E407));
    let spec = random_spec(&mut rng, today, 0.0);
    let card = draw_card(&spec, fonts, &mut rng);
    let backdrop = deg.backdrop(index);
    let captures = (0..frames)
        .map(|_| capture_on(&card, &mut rng, deg, backdrop))
        .collect();
    SynthCard {
        spec,
        backdrop,
        captures,
    }
}

/// The truth file of a set: one line per frame, tab-separated:
/// `card  frame-file  birth(YYYYMMDD|western)  expiry(YYYYMMDD)  code  [backdrop]`
/// (the sixth column, optional, names the scene kind for the report by kind).
pub const TRUTH_FILE: &str = "truth.tsv";

/// Writes `cards` synthetic cards × `frames` captures as PNG files with a
/// [`TRUTH_FILE`] into `dir` (synthetic images only: real frames are never
/// written anywhere).
pub fn write_set(
    dir: &std::path::Path,
    fonts: &Fonts,
    seed: u64,
    cards: u64,
    frames: usize,
    deg: &Degradation,
    today: Date,
) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut truth = format!(
        "# kaonin ocr-eval truth file: card, frame file, birth (YYYYMMDD or western), expiry (YYYYMMDD), code, backdrop\n\
         # synthetic set: seed {seed}, {cards} cards x {frames} frames\n# today {:04}-{:02}-{:02}\n",
        today.year, today.month, today.day
    );
    for index in 0..cards {
        let card = synth_card(fonts, seed, index, frames, deg, today);
        let birth = match card.spec.western {
            true => "western".to_string(),
            false => card.spec.birth.yyyymmdd(),
        };
        for (k, cap) in card.captures.iter().enumerate() {
            let file = format!("card{index:04}-{k}.png");
            let img =
                RgbImage::from_raw(cap.frame.width, cap.frame.height, cap.frame.data.to_vec())
                    .ok_or_else(|| std::io::Error::other("frame size"))?;
            img.save(dir.join(&file)).map_err(std::io::Error::other)?;
            truth += &format!(
                "card{index:04}\t{file}\t{birth}\t{}\t{}\t{}\n",
                card.spec.expiry.yyyymmdd(),
                card.spec.code,
                card.backdrop.name()
            );
        }
    }
    std::fs::write(dir.join(TRUTH_FILE), truth)
}

/// Draws `spec` (blurred by `card_blur` canonical pixels first, 0 for none) and
/// writes `frames` captures of it as `frame-N.png` into `dir`: the images of a
/// card-face camera for tests.
pub fn write_captures(
    spec: &CardSpec,
    fonts: &Fonts,
    seed: u64,
    frames: usize,
    deg: &Degradation,
    card_blur: f64,
    dir: &std::path::Path,
) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut rng = Rng::new(seed);
    let card = blur(&draw_card(spec, fonts, &mut rng), card_blur);
    for k in 0..frames {
        let cap = capture(&card, &mut rng, deg);
        let img = RgbImage::from_raw(cap.frame.width, cap.frame.height, cap.frame.data.to_vec())
            .ok_or_else(|| std::io::Error::other("frame size"))?;
        img.save(dir.join(format!("frame-{k}.png")))
            .map_err(std::io::Error::other)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::card_face::{check_frame, FieldText, FrameText, Policy};
    use crate::ground::civil::gregorian_to_era;

    fn fonts() -> Fonts {
        Fonts::load(None).unwrap()
    }

    const TODAY: Date = Date {
        year: 2026,
        month: 11,
        day: 25,
    };

    #[test]
    fn printed_lines_pass_the_checks_and_give_the_truth() {
        let mut rng = Rng::new(7);
        let mut eras = std::collections::HashSet::new();
        let mut gannen = 0;
        for _ in 0..400 {
            let spec = random_spec(&mut rng, TODAY, 0.0);
            let text = FrameText {
                birth: FieldText::certain(&spec.birth_line()),
                expiry: FieldText::certain(&spec.expiry_line()),
                code: FieldText::certain(&spec.code),
            };
            let face = check_frame(&text, TODAY, &Policy::default())
                .unwrap_or_else(|e| panic!("{} / {}: {e}", spec.birth_line(), spec.expiry_line()));
            assert_eq!(Some(face), spec.truth());
            eras.insert(gregorian_to_era(spec.birth).unwrap().0);
            gannen += spec.birth_line().contains("元年") as u32;
        }
        assert!(eras.len() >= 4, "{eras:?}");
        assert!(gannen > 5);
    }

    #[test]
    #[ignore = "writes sample images to $KAONIN_SYNTH_DIR for viewing"]
    fn write_samples() {
        let dir = std::env::var("KAONIN_SYNTH_DIR").unwrap_or("/tmp/kaonin-synth".into());
        write_set(
            dir.as_ref(),
            &fonts(),
            1,
            3,
            2,
            &Degradation::normal(),
            TODAY,
        )
        .unwrap();
        let truth = std::fs::read_to_string(std::path::Path::new(&dir).join(TRUTH_FILE)).unwrap();
        assert_eq!(truth.lines().filter(|l| !l.starts_with('#')).count(), 6);
        assert!(truth.contains("# today 2026-11-25\n"), "{truth}");
    }

    #[test]
    fn same_seed_same_pixels() {
        let f = fonts();
        let a = synth_card(&f, 42, 3, 1, &Degradation::normal(), TODAY);
        let b = synth_card(&f, 42, 3, 1, &Degradation::normal(), TODAY);
        let c = synth_card(&f, 43, 3, 1, &Degradation::normal(), TODAY);
        assert_eq!(a.spec, b.spec);
        assert_eq!(*a.captures[0].frame.data, *b.captures[0].frame.data);
        assert_ne!(*a.captures[0].frame.data, *c.captures[0].frame.data);
        let frame = &a.captures[0].frame;
        assert_eq!((frame.width, frame.height), (FRAME_W, FRAME_H));
        for (x, y) in a.captures[0].corners {
            assert!(x > 0.0 && y > 0.0 && x < FRAME_W as f64 && y < FRAME_H as f64);
        }
    }

    #[test]
    fn western_line_and_gannen_formatting() {
        let mut spec = random_spec(&mut Rng::new(1), TODAY, 0.0);
        spec.birth = Date::new(1989, 3, 31).unwrap();
        assert_eq!(spec.birth_line(), "平成元年 3月31日生");
        spec.birth = Date::new(1980, 2, 17).unwrap();
        assert_eq!(spec.birth_line(), "昭和55年 2月17日生");
        spec.western = true;
        assert_eq!(spec.birth_line(), "1980年 2月17日生");
        assert_eq!(spec.truth(), None);
        spec.expiry = Date::new(2025, 3, 31).unwrap();
        assert_eq!(spec.expiry_line(), "2025年 3月31日まで有効");
    }

    #[test]
    fn the_card_has_ink_in_the_field_crops_and_not_outside_the_card() {
        let f = fonts();
        let spec = random_spec(&mut Rng::new(3), TODAY, 0.0);
        let card = draw_card(&spec, &f, &mut Rng::new(3));
        let layout = crate::card_face::layout::CURRENT;
        for field in crate::card_face::Field::ALL {
            let r = layout.field(field);
            let dark = (r.y..r.y + r.h)
                .flat_map(|y| (r.x..r.x + r.w).map(move |x| (x, y)))
                .filter(|&(x, y)| card.get_pixel(x, y).0[1] < 100)
                .count();
            assert!(dark > 100, "{field}: {dark}");
        }
    }
}
