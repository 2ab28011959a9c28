//! Drawing a [`Scene`] into the framebuffer: panels and buttons with
//! embedded-graphics primitives, text as anti-aliased glyph coverage blended over
//! what is already there, the camera preview scaled into its box, and the holder's
//! name image from the chip scaled (area-averaged) into the name box.

use super::font::Fonts;
use super::layout::{palette, Align, Element, Rect, Scene, Target, TextBlock};
use super::Extras;
use crate::card::NameImage;
use embedded_graphics::pixelcolor::{Rgb888, RgbColor};
use embedded_graphics::prelude::*;
use embedded_graphics::primitives::{
    Circle, PrimitiveStyle, PrimitiveStyleBuilder, Rectangle, RoundedRectangle, StrokeAlignment,
};
use kaonin_hal::camera::{Frame, PixelFormat};
use kaonin_hal::display::Framebuffer;

fn eg_rect(r: Rect) -> Rectangle {
    Rectangle::new(
        Point::new(r.x, r.y),
        Size::new(r.w.max(0) as u32, r.h.max(0) as u32),
    )
}

/// Draws `scene`, with `preview` in the preview box when given.
pub fn draw(scene: &Scene, fonts: &Fonts, preview: Option<&Frame>, fb: &mut Framebuffer) {
    let extras = Extras {
        preview,
        ..Extras::default()
    };
    draw_with(scene, fonts, extras, fb);
}

/// Draws `scene` with the camera frame and the name image of `extras`.
pub fn draw_with(scene: &Scene, fonts: &Fonts, extras: Extras<'_>, fb: &mut Framebuffer) {
    let preview = extras.preview;
    let _ = fb.clear(palette::BACKGROUND);
    for e in &scene.elements {
        match e {
            Element::Panel { rect, color } => {
                let _ = eg_rect(*rect)
                    .into_styled(PrimitiveStyle::with_fill(*color))
                    .draw(fb);
            }
            Element::Text(t) => draw_text(t, fonts, fb),
            Element::Target(t) => draw_target(t, fonts, fb),
            Element::Preview { rect, frame } => draw_preview(*rect, *frame, preview, fb),
            Element::Photo { rect } => {
                let _ = eg_rect(*rect)
                    .into_styled(PrimitiveStyle::with_fill(palette::PREVIEW))
                    .draw(fb);
                if let Some(photo) = extras.photo {
                    blit_scaled(photo, *rect, false, fb);
                }
            }
            Element::PinDots { rect, typed, total } => draw_dots(*rect, *typed, *total, fb),
            Element::NameImage { rect, image } => draw_name(*rect, *image, extras.name, fb),
            Element::Badge { rect, label } => {
                let _ = Circle::new(Point::new(rect.x, rect.y), rect.w.min(rect.h) as u32)
                    .into_styled(PrimitiveStyle::with_fill(label.bg))
                    .draw(fb);
                draw_text(label, fonts, fb);
            }
        }
    }
}

/// The name box: paper white with a navy border, the chip's image scaled into
/// `image` by area averaging (each panel pixel is the mean of the image pixels it
/// covers), ink drawn in the text colour.
fn draw_name(rect: Rect, image: Rect, name: Option<&NameImage>, fb: &mut Framebuffer) {
    let style = PrimitiveStyleBuilder::new()
        .fill_color(palette::BACKGROUND)
        .stroke_color(palette::NAVY)
        .stroke_width(2)
        .stroke_alignment(StrokeAlignment::Inside)
        .build();
    let _ = eg_rect(rect).into_styled(style).draw(fb);
    let Some(name) = name else {
        return;
    };
    for y in 0..image.h.max(0) {
        for x in 0..image.w.max(0) {
            let g = name_sample(name, image, x, y);
            let ink = 255 - g;
            if ink == 0 {
                continue;
            }
            let (px, py) = ((image.x + x) as u32, (image.y + y) as u32);
            if let Some(bg) = fb.pixel(px, py) {
                fb.set_pixel(px, py, blend(bg, palette::TEXT, ink));
            }
        }
    }
}

/// The grey value of `name` for the panel pixel (x, y) of the box `image`: the mean
/// of the image pixels that pixel covers (at least the nearest one).
pub fn name_sample(name: &NameImage, image: Rect, x: i32, y: i32) -> u8 {
    let (nw, nh) = (i64::from(name.width()), i64::from(name.height()));
    let (bw, bh) = (i64::from(image.w.max(1)), i64::from(image.h.max(1)));
    let (x, y) = (i64::from(x), i64::from(y));
    let x0 = x * nw / bw;
    let x1 = ((x + 1) * nw / bw).max(x0 + 1).min(nw);
    let y0 = y * nh / bh;
    let y1 = ((y + 1) * nh / bh).max(y0 + 1).min(nh);
    let (mut sum, mut n) = (0u64, 0u64);
    for sy in y0..y1 {
        for sx in x0..x1 {
            sum += u64::from(name.gray(sx as u32, sy as u32));
            n += 1;
        }
    }
    (sum + n / 2).checked_div(n).map_or(255, |v| v as u8)
}

fn draw_target(t: &Target, fonts: &Fonts, fb: &mut Framebuffer) {
    let style = PrimitiveStyleBuilder::new()
        .fill_color(t.fill)
        .stroke_color(t.border)
        .stroke_width(3)
        .stroke_alignment(StrokeAlignment::Inside)
        .build();
    let _ = RoundedRectangle::with_equal_corners(eg_rect(t.rect), Size::new(12, 12))
        .into_styled(style)
        .draw(fb);
    draw_text(&t.label, fonts, fb);
}

fn draw_dots(rect: Rect, typed: usize, total: usize, fb: &mut Framebuffer) {
    // Diameter d, spacing d/2: total * 1.5 * d fits the width.
    let d = rect.h.min(rect.w * 2 / (3 * total.max(1) as i32)).max(8);
    for i in 0..total {
        let x = rect.x + i as i32 * (d + d / 2);
        let circle = Circle::new(Point::new(x, rect.y + (rect.h - d) / 2), d as u32);
        let style = PrimitiveStyleBuilder::new()
            .stroke_color(palette::NAVY)
            .stroke_width(3)
            .stroke_alignment(StrokeAlignment::Inside);
        let style = if i < typed {
            style.fill_color(palette::NAVY).build()
        } else {
            style.build()
        };
        let _ = circle.into_styled(style).draw(fb);
    }
}

fn draw_preview(rect: Rect, frame_box: Rect, preview: Option<&Frame>, fb: &mut Framebuffer) {
    let _ = eg_rect(rect)
        .into_styled(PrimitiveStyle::with_fill(palette::PREVIEW))
        .draw(fb);
    if let Some(frame) = preview {
        blit_scaled(frame, rect, true, fb);
    }
    draw_face_frame(frame_box, 5, palette::FACE_FRAME, fb);
}

/// An elliptical ring inside `r`, `thickness` px wide (embedded-graphics' ellipse
/// overflows its integer maths on portrait-size boxes, so it is drawn here).
fn draw_face_frame(r: Rect, thickness: i32, color: Rgb888, fb: &mut Framebuffer) {
    let (a, b) = (r.w as f32 / 2.0, r.h as f32 / 2.0);
    if a <= thickness as f32 || b <= thickness as f32 {
        return;
    }
    let (cx, cy) = (r.x as f32 + a, r.y as f32 + b);
    let (ia, ib) = (a - thickness as f32, b - thickness as f32);
    for y in r.y.max(0)..r.bottom() {
        for x in r.x.max(0)..r.right() {
            let (dx, dy) = (x as f32 + 0.5 - cx, y as f32 + 0.5 - cy);
            let outer = (dx / a).powi(2) + (dy / b).powi(2);
            let inner = (dx / ia).powi(2) + (dy / ib).powi(2);
            if outer <= 1.0 && inner >= 1.0 {
                fb.set_pixel(x as u32, y as u32, color);
            }
        }
    }
}

/// Scales `frame` to cover `rect` (centre crop), nearest neighbour; `mirror`ed for
/// the camera, so the patient moves the way they expect (never for the chip photo).
fn blit_scaled(frame: &Frame, rect: Rect, mirror: bool, fb: &mut Framebuffer) {
    let (fw, fh) = (frame.width as i64, frame.height as i64);
    if fw == 0 || fh == 0 || rect.w <= 0 || rect.h <= 0 {
        return;
    }
    let bpp = frame.format.bytes_per_pixel();
    // Scale so the frame covers the box; crop the overflow evenly.
    let (rw, rh) = (rect.w as i64, rect.h as i64);
    let (num, den) = if fw * rh > fh * rw {
        (fh, rh)
    } else {
        (fw, rw)
    };
    let off_x = (fw - rw * num / den) / 2;
    let off_y = (fh - rh * num / den) / 2;
    for y in 0..rh {
        let sy = (off_y + y * num / den).clamp(0, fh - 1);
        for x in 0..rw {
            let sx = off_x + x * num / den;
            let sx = if mirror { fw - 1 - sx } else { sx }.clamp(0, fw - 1);
            let i = ((sy * fw + sx) as usize) * bpp;
            let color = match frame.format {
                PixelFormat::Gray8 => frame.data.get(i).map(|&g| Rgb888::new(g, g, g)),
                PixelFormat::Rgb8 => frame
                    .data
                    .get(i..i + 3)
                    .map(|p| Rgb888::new(p[0], p[1], p[2])),
            };
            if let Some(c) = color {
                fb.set_pixel((rect.x as i64 + x) as u32, (rect.y as i64 + y) as u32, c);
            }
        }
    }
}

fn blend(bg: Rgb888, fg: Rgb888, a: u8) -> Rgb888 {
    let mix =
        |b: u8, f: u8| ((f as u32 * a as u32 + b as u32 * (255 - a as u32) + 127) / 255) as u8;
    Rgb888::new(
        mix(bg.r(), fg.r()),
        mix(bg.g(), fg.g()),
        mix(bg.b(), fg.b()),
    )
}

/// Draws the lines of `t`, clipped to its rectangle.
pub fn draw_text(t: &TextBlock, fonts: &Fonts, fb: &mut Framebuffer) {
    let ascent = fonts.ascent(t.px, t.weight).round() as i32;
    let lead = (t.line_height - t.px as i32) / 2;
    for (i, line) in t.lines.iter().enumerate() {
        let width = fonts.width(line, t.px, t.weight).ceil() as i32;
        let mut pen = match t.align {
            Align::Left => t.rect.x as f32,
            Align::Center => (t.rect.x + (t.rect.w - width) / 2) as f32,
        };
        let baseline = t.rect.y + i as i32 * t.line_height + lead + ascent;
        for ch in line.chars() {
            let g = fonts.glyph(ch, t.px, t.weight);
            let gx = pen.round() as i32 + g.xmin;
            let gy = baseline - g.ymin - g.height as i32;
            for row in 0..g.height {
                for col in 0..g.width {
                    let a = g.coverage.get(row * g.width + col).copied().unwrap_or(0);
                    if a == 0 {
                        continue;
                    }
                    let (px, py) = (gx + col as i32, gy + row as i32);
                    if px < 0 || py < 0 {
                        continue;
                    }
                    if let Some(bg) = fb.pixel(px as u32, py as u32) {
                        fb.set_pixel(px as u32, py as u32, blend(bg, t.fg, a));
                    }
                }
            }
            pen += g.advance;
        }
    }
}
