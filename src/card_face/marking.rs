//! The 「顔認証」 marking in the 追記欄: a card whose holder chose face
//! authentication only (顔認証マイナンバーカード) has 「顔認証」, a date and the
//! town office's seal written there (reference §1). Real readers then offer no
//! PIN. Its absence proves nothing: an unreadable or stamped-over 追記欄 and an
//! unmarked PIN-less card look the same, so only the chip decides that a PIN
//! exists.
//!
//! Method: the text lines of the 追記欄 are found by their ink (a row profile,
//! then gaps between columns split a line into pieces, so a seal beside the text
//! is read apart), and each piece is recognised with the marking's characters
//! only. The marking counts when 「顔認証」 is read with every character above the
//! confidence floor.

use super::layout::{Layout, Rect};
use super::locate::{find_card, gray_frame, rectify};
use super::rec::OcrError;
use super::CardFaceReader;
use image::GrayImage;
use kaonin_hal::camera::Frame;
use zeroize::Zeroize;

/// The marking's text.
pub const MARK: &str = "顔認証";

/// What may be written with it (date in 和暦 or 西暦).
const CHARS: &str = "顔認証0123456789令和平成年月日 ";

/// The border of the 追記欄 box left out of the search, in canonical pixels.
const INSET: u32 = 6;

/// Dark pixels of a row (or column) before it counts as ink.
const MIN_INK: u32 = 2;

fn dark_threshold(card: &GrayImage, r: Rect) -> u8 {
    let mut values: Vec<u8> = (r.y..r.y + r.h)
        .flat_map(|y| (r.x..r.x + r.w).map(move |x| (x, y)))
        .filter(|&(x, y)| x < card.width() && y < card.height())
        .map(|(x, y)| card.get_pixel(x, y).0[0])
        .collect();
    if values.is_empty() {
        return 0;
    }
    values.sort_unstable();
    let median = values[values.len() / 2] as u32;
    (median * 6 / 10) as u8
}

/// Runs of indices whose value is ≥ `min`, merging gaps up to `gap`.
fn runs(profile: &[u32], min: u32, gap: usize) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = Vec::new();
    for (i, &v) in profile.iter().enumerate() {
        if v < min {
            continue;
        }
        match out.last_mut() {
            Some((_, end)) if i <= *end + gap + 1 => *end = i,
            _ => out.push((i, i)),
        }
    }
    out
}

/// The pieces of text in `area` of a rectified card: lines by rows, split by
/// wide column gaps, each cut tight to its ink.
pub fn text_pieces(card: &GrayImage, area: Rect) -> Vec<Rect> {
    let r = Rect {
        x: area.x + INSET,
        y: area.y + INSET,
        w: area.w.saturating_sub(2 * INSET),
        h: area.h.saturating_sub(2 * INSET),
    };
    if r.w == 0 || r.h == 0 || r.x + r.w > card.width() || r.y + r.h > card.height() {
        return Vec::new();
    }
    let t = dark_threshold(card, r);
    let dark = |x: u32, y: u32| card.get_pixel(x, y).0[0] < t;
    let rows: Vec<u32> = (r.y..r.y + r.h)
        .map(|y| (r.x..r.x + r.w).filter(|&x| dark(x, y)).count() as u32)
        .collect();
    let mut pieces = Vec::new();
    for (y0, y1) in runs(&rows, MIN_INK, 2) {
        let (y0, y1) = (r.y + y0 as u32, r.y + y1 as u32);
        let line_h = y1 - y0 + 1;
        if line_h < 10 {
            continue;
        }
        let cols: Vec<u32> = (r.x..r.x + r.w)
            .map(|x| (y0..=y1).filter(|&y| dark(x, y)).count() as u32)
            .collect();
        let gap = (line_h as usize).max(12);
        for (x0, x1) in runs(&cols, 1, gap) {
            let (x0, x1) = (r.x + x0 as u32, r.x + x1 as u32);
            // Tight vertical extent of this piece.
            let ink_rows: Vec<u32> = (y0..=y1)
                .filter(|&y| (x0..=x1).any(|x| dark(x, y)))
                .collect();
            let (Some(&top), Some(&bottom)) = (ink_rows.first(), ink_rows.last()) else {
                continue;
            };
            let h = bottom - top + 1;
            if h < 10 || x1 - x0 + 1 < h {
                continue;
            }
            let pad = (h / 5).max(3);
            let x = x0.saturating_sub(pad);
            let y = top.saturating_sub(pad);
            pieces.push(Rect {
                x,
                y,
                w: (x1 + pad + 1).min(card.width()) - x,
                h: (bottom + pad + 1).min(card.height()) - y,
            });
        }
    }
    pieces
}

/// Stretches the grey levels of a crop so its darkest 2 % are black and its
/// brightest 2 % white (the 追記欄 ink is often faint in a capture).
fn stretch(img: &mut GrayImage) {
    let mut hist = [0u32; 256];
    for p in img.pixels() {
        hist[p.0[0] as usize] += 1;
    }
    let n: u32 = hist.iter().sum();
    let cut = n / 50;
    let (mut acc, mut lo) = (0u32, 0u8);
    for (v, &c) in hist.iter().enumerate() {
        acc += c;
        if acc > cut {
            lo = v as u8;
            break;
        }
    }
    let (mut acc, mut hi) = (0u32, 255u8);
    for (v, &c) in hist.iter().enumerate().rev() {
        acc += c;
        if acc > cut {
            hi = v as u8;
            break;
        }
    }
    if hi <= lo.saturating_add(8) {
        return;
    }
    let span = (hi - lo) as f32;
    for p in img.pixels_mut() {
        let v = (p.0[0].saturating_sub(lo)) as f32 / span;
        p.0[0] = (v * 255.0).clamp(0.0, 255.0) as u8;
    }
}

/// The least probability of each character of 「顔認証」. The model is unsure of
/// 顔 and 証 at the marking's small size even when they are clearly printed
/// (0.1–0.3 measured on synthetic captures), so the bar is low for them and the
/// floor applies to the best-read one.
const MIN_EACH: f32 = 0.1;

/// Whether a piece's reading holds 「顔認証」: every character at or above
/// [`MIN_EACH`] and at least one at or above `floor`.
fn marking_read(text: &str, probs: &[f32], floor: f32) -> bool {
    let chars: Vec<char> = text.chars().collect();
    chars.windows(3).enumerate().any(|(i, w)| {
        w == ['顔', '認', '証']
            && probs
                .get(i..i + 3)
                .is_some_and(|p| p.iter().all(|&p| p >= MIN_EACH) && p.iter().any(|&p| p >= floor))
    })
}

/// Whether 「顔認証」 is written in the 追記欄 of a rectified card.
pub fn card_has_marking(
    reader: &CardFaceReader,
    card: &GrayImage,
    layout: &Layout,
) -> Result<bool, OcrError> {
    let floor = reader.policy.confidence_floor;
    for piece in text_pieces(card, layout.notes) {
        let mut crop =
            image::imageops::crop_imm(card, piece.x, piece.y, piece.w, piece.h).to_image();
        stretch(&mut crop);
        let read = reader.recognizer().recognise_chars(&crop, CHARS);
        crop.into_raw().zeroize();
        let text = read?;
        if marking_read(&text.text, &text.probs, floor) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Whether the card in `frame` carries the marking; `None` when no card is found.
pub fn frame_has_marking(reader: &CardFaceReader, frame: &Frame) -> Option<bool> {
    let gray = gray_frame(frame)?;
    let card = find_card(&gray).and_then(|c| rectify(&gray, &c));
    gray.into_raw().zeroize();
    let card = card?;
    let found = card_has_marking(reader, &card, &reader.layout);
    card.into_raw().zeroize();
    match found {
        Ok(found) => Some(found),
        Err(e) => {
            tracing::warn!(error = %e, "追記欄 recognition failed");
            Some(false)
        }
    }
}

#[cfg(all(test, feature = "sim"))]
mod tests {
    use super::super::layout::CURRENT;
    use super::*;
    use crate::card_face::Date;
    use crate::sim::cardgen::{capture, draw_card, random_spec, Degradation, Rng};
    use crate::ui::font::Fonts;
    use std::path::Path;

    const TODAY: Date = Date {
        year: 2026,
        month: 11,
        day: 25,
    };

    #[test]
    fn the_marking_needs_all_three_characters() {
        assert!(marking_read(
            "顔認証令和3年",
            &[0.2, 0.9, 0.9, 1.0, 1.0, 1.0, 1.0],
            0.5
        ));
        assert!(!marking_read("顔認証", &[0.2, 0.4, 0.3], 0.5));
        assert!(!marking_read("顔認証", &[0.05, 0.9, 0.9], 0.5));
        assert!(!marking_read("認証令和", &[0.9, 0.9, 0.9, 0.9], 0.5));
        assert!(!marking_read("顔証", &[0.9, 0.9], 0.5));
    }

    #[test]
    fn runs_merge_small_gaps() {
        assert_eq!(
            runs(&[0, 3, 3, 0, 3, 0, 0, 0, 3], 2, 1),
            vec![(1, 4), (8, 8)]
        );
        assert!(runs(&[0, 1, 0], 2, 1).is_empty());
    }

    #[test]
    fn pieces_only_where_something_is_written() {
        let fonts = Fonts::load(None).unwrap();
        let mut spec = random_spec(&mut Rng::new(5), TODAY, 0.0);
        spec.face_auth_mark = false;
        let plain = draw_card(&spec, &fonts, &mut Rng::new(5));
        let grey = |img: &image::RgbImage| image::imageops::grayscale(img);
        assert!(text_pieces(&grey(&plain), CURRENT.notes).is_empty());
        spec.face_auth_mark = true;
        let marked = draw_card(&spec, &fonts, &mut Rng::new(5));
        assert!(!text_pieces(&grey(&marked), CURRENT.notes).is_empty());
    }

    #[test]
    #[ignore = "needs models: scripts/fetch-ocr-model.sh"]
    fn the_marking_is_found_on_marked_cards_only() {
        let fonts = Fonts::load(None).unwrap();
        let models = Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
        let reader = CardFaceReader::load(&models).unwrap();
        // The marking is drawn small (24 px on the 856 px card): it is read on
        // sharp captures; a missed marking only leaves the chip to decide.
        let deg = Degradation {
            glare: 0.0,
            blur: (0.3, 0.6),
            ..Degradation::normal()
        };
        for seed in 0..4u64 {
            for marked in [true, false] {
                let mut rng = Rng::new(900 + seed);
                let mut spec = random_spec(&mut rng, TODAY, 0.0);
                spec.face_auth_mark = marked;
                let card = draw_card(&spec, &fonts, &mut rng);
                let frame = capture(&card, &mut rng, &deg).frame;
                assert_eq!(
                    frame_has_marking(&reader, &frame),
                    Some(marked),
                    "seed {seed} marked {marked}"
                );
            }
        }
    }
}
