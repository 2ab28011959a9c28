//! Drawing the card face at its canonical 856×540 size: guilloche-like
//! background, labels and values on the layout's baselines, the 追記欄 (sometimes
//! with 「顔認証」 and a red seal), the photo placeholder, the serial and the code.

use super::{CardSpec, Rng};
use crate::card_face::layout::{draw, CARD_H, CARD_W};
use crate::ui::font::{Fonts, Weight};
use image::{Rgb, RgbImage};

/// Draws `text` with its baseline at `(x, y)`; returns the pen's end x.
pub(crate) fn text(
    img: &mut RgbImage,
    fonts: &Fonts,
    s: &str,
    (x, y): (f32, f32),
    px: u32,
    ink: [u8; 3],
) -> f32 {
    let mut pen = x;
    for c in s.chars() {
        let g = fonts.glyph(c, px, Weight::Regular);
        let left = (pen + g.xmin as f32).round() as i64;
        let top = (y - g.ymin as f32 - g.height as f32).round() as i64;
        for gy in 0..g.height {
            for gx in 0..g.width {
                let a = g.coverage.get(gy * g.width + gx).copied().unwrap_or(0) as f32 / 255.0;
                let (px_x, px_y) = (left + gx as i64, top + gy as i64);
                if a == 0.0 || px_x < 0 || px_y < 0 {
                    continue;
                }
                if let Some(p) = img.get_pixel_mut_checked(px_x as u32, px_y as u32) {
                    for (v, k) in p.0.iter_mut().zip(ink) {
                        *v = (*v as f32 * (1.0 - a) + k as f32 * a) as u8;
                    }
                }
            }
        }
        pen += g.advance;
    }
    pen
}

fn fill_rect(
    img: &mut RgbImage,
    (x0, y0, x1, y1): (u32, u32, u32, u32),
    colour: [u8; 3],
    border: bool,
) {
    for y in y0..y1.min(img.height()) {
        for x in x0..x1.min(img.width()) {
            let edge = x < x0 + 2 || x + 2 >= x1 || y < y0 + 2 || y + 2 >= y1;
            if !border || edge {
                img.put_pixel(x, y, Rgb(colour));
            }
        }
    }
}

const INK: [u8; 3] = [38, 36, 40];
const LABEL: [u8; 3] = [70, 90, 120];

/// Draws the card face at the canonical 856×540 size.
pub fn draw_card(spec: &CardSpec, fonts: &Fonts, rng: &mut Rng) -> RgbImage {
    let phase = rng.range(0.0, 6.0);
    let mut img = RgbImage::from_fn(CARD_W, CARD_H, |x, y| {
        let (xf, yf) = (x as f64, y as f64);
        let wave = (xf * 0.045 + 2.5 * (yf * 0.021 + phase).sin()).sin();
        let wave2 = (yf * 0.05 + 2.0 * (xf * 0.017 + phase).cos()).sin();
        if wave.abs() < 0.06 || wave2.abs() < 0.05 {
            Rgb([214, 222, 232])
        } else {
            Rgb([240, 241, 238])
        }
    });
    text(&mut img, fonts, "氏名", (40.0, 70.0), 20, LABEL);
    text(&mut img, fonts, &spec.name, (110.0, 74.0), 40, INK);
    text(&mut img, fonts, "住所", (40.0, 140.0), 20, LABEL);
    text(&mut img, fonts, &spec.address, (110.0, 142.0), 24, INK);
    let (bx, by, bs) = draw::BIRTH;
    let end = text(
        &mut img,
        fonts,
        &spec.birth_line(),
        (bx as f32, by as f32),
        bs,
        INK,
    );
    let sex = if spec.female {
        "性別 女"
    } else {
        "性別 男"
    };
    text(
        &mut img,
        fonts,
        sex,
        (end.max(390.0) + 20.0, by as f32),
        24,
        INK,
    );
    fill_rect(&mut img, (28, 262, 528, 372), [170, 170, 175], true);
    if spec.face_auth_mark {
        let era_date = format!(
            "顔認証 令和{}年{}月{}日",
            1 + rng.below(7),
            1 + rng.below(12),
            1 + rng.below(28)
        );
        text(&mut img, fonts, &era_date, (44.0, 306.0), 24, INK);
        draw_seal(&mut img, (440.0, 310.0), 30.0);
    }
    let (ex, ey, es) = draw::EXPIRY;
    let end = text(
        &mut img,
        fonts,
        &spec.expiry_line(),
        (ex as f32, ey as f32),
        es,
        INK,
    );
    // The issuer stays right of the expiry crop.
    let issuer_x = (end + 18.0).max(
        crate::card_face::layout::CURRENT.expiry.x as f32
            + crate::card_face::layout::CURRENT.expiry.w as f32
            + 12.0,
    );
    text(&mut img, fonts, "○○市長", (issuer_x, ey as f32), 22, INK);
    draw_photo(&mut img);
    let (cx, cy, cs) = draw::CODE;
    let code_x = cx as f32 - fonts.width(&spec.code, cs, Weight::Regular);
    text(&mut img, fonts, &spec.code, (code_x, cy as f32), cs, INK);
    // The serial ends well left of the code crop.
    let (_, sy, ss) = draw::SERIAL;
    let serial_w = fonts.width(&spec.serial, ss, Weight::Regular);
    let serial_x = crate::card_face::layout::CURRENT.code.x as f32 - 14.0 - serial_w;
    text(
        &mut img,
        fonts,
        &spec.serial,
        (serial_x, sy as f32),
        ss,
        INK,
    );
    img
}

fn draw_seal(img: &mut RgbImage, (cx, cy): (f32, f32), r: f32) {
    for y in (cy - r) as u32..(cy + r) as u32 {
        for x in (cx - r) as u32..(cx + r) as u32 {
            let d = ((x as f32 - cx).powi(2) + (y as f32 - cy).powi(2)).sqrt();
            if (d - r + 4.0).abs() < 3.0 || (d < r - 10.0 && (x + y) % 7 < 2) {
                if let Some(p) = img.get_pixel_mut_checked(x, y) {
                    *p = Rgb([200, 40, 40]);
                }
            }
        }
    }
}

fn draw_photo(img: &mut RgbImage) {
    fill_rect(img, (590, 60, 826, 380), [205, 208, 212], false);
    for y in 60..380u32 {
        for x in 590..826u32 {
            let head = ((x as f32 - 708.0) / 60.0).powi(2) + ((y as f32 - 180.0) / 78.0).powi(2);
            let body = ((x as f32 - 708.0) / 110.0).powi(2) + ((y as f32 - 390.0) / 110.0).powi(2);
            if head < 1.0 || body < 1.0 {
                img.put_pixel(x, y, Rgb([95, 90, 92]));
            }
        }
    }
}
