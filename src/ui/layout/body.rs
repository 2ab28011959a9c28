//! The body of the text screens: banner, instruction and detail stacked and
//! shrunk to fit, under the holder's name image on the screens that show it.

use super::fit::set;
use super::{palette, Align, Element, LayoutInput, Rect, Role, MIN_BODY_PX};
use crate::ui::content::Tone;
use crate::ui::font::Weight;

/// Banner, instruction and detail stacked in `rect`, shrinking to fit.
pub(super) fn body_text(input: &LayoutInput, rect: Rect, el: &mut Vec<Element>) {
    let m = input.metrics;
    let mut px = m.body_px;
    loop {
        let (blocks, used) = stack_body(input, rect, px);
        if used <= rect.h || px <= MIN_BODY_PX {
            el.extend(blocks);
            return;
        }
        px -= 1;
    }
}

fn stack_body(input: &LayoutInput, rect: Rect, px: u32) -> (Vec<Element>, i32) {
    let c = input.content;
    let fonts = input.fonts;
    let gap = input.metrics.gap;
    let mut out = Vec::new();
    let mut y = rect.y;
    let tall = Rect::new(rect.x, y, rect.w, i32::MAX / 4);
    if let Some(banner) = &c.banner {
        let pad = gap / 2;
        let inner = Rect::new(rect.x + pad, y + pad, rect.w - 2 * pad, tall.h);
        let mut t = set(
            fonts,
            Role::Body,
            banner,
            inner,
            px,
            Weight::Bold,
            palette::TEXT,
            palette::BANNER,
            Align::Left,
        );
        t.rect.h = t.used_height();
        let panel = Rect::new(rect.x, y, rect.w, t.rect.h + 2 * pad);
        out.push(Element::Panel {
            rect: panel,
            color: palette::BANNER,
        });
        out.push(Element::Text(t));
        y = panel.bottom() + gap;
    }
    let mut t = set(
        fonts,
        Role::Body,
        &c.instruction,
        Rect::new(rect.x, y, rect.w, tall.h),
        px,
        Weight::Regular,
        palette::TEXT,
        palette::BACKGROUND,
        Align::Left,
    );
    t.rect.h = t.used_height();
    y = t.rect.bottom() + gap;
    out.push(Element::Text(t));
    if let Some(detail) = &c.detail {
        let color = if c.tone == Tone::Normal {
            palette::NAVY
        } else {
            palette::RED
        };
        let mut t = set(
            fonts,
            Role::Body,
            detail,
            Rect::new(rect.x, y, rect.w, tall.h),
            px,
            Weight::Bold,
            color,
            palette::BACKGROUND,
            Align::Left,
        );
        t.rect.h = t.used_height();
        y = t.rect.bottom() + gap;
        out.push(Element::Text(t));
    }
    let used = y - gap - rect.y;
    // Clamp the blocks to the area so an overflow shows up as a too-small rect.
    for e in out.iter_mut() {
        if let Element::Text(t) = e {
            if t.rect.bottom() > rect.bottom() {
                t.rect.h = (rect.bottom() - t.rect.y).max(0);
            }
        }
    }
    (out, used)
}

/// The name image at the top of `body`, as large as the box allows with its aspect
/// kept; returns the space left under it. Without a name image, `body` unchanged.
pub(super) fn name_box(input: &LayoutInput, body: Rect, el: &mut Vec<Element>) -> Rect {
    let Some((iw, ih)) = input.name.filter(|&(w, h)| w > 0 && h > 0) else {
        return body;
    };
    let m = input.metrics;
    let pad = (6.0 * m.scale) as i32;
    // Never more than a third of the body, and smaller still (down to 36 px) when
    // the instruction would not fit under it: the words keep their room.
    let rest = |h: i32| Rect::new(body.x, body.y + h + m.gap, body.w, body.h - h - m.gap);
    let nominal = m.name_h.min(body.h / 3).max(2 * pad + 8);
    let min_h = (36.0 * m.scale) as i32;
    let fits = |h: i32, px: u32| stack_body(input, rest(h), px).1 <= rest(h).h;
    // The largest box under which the text keeps its full size, else the largest
    // under which it fits at the minimum size.
    let h = [m.body_px, MIN_BODY_PX]
        .into_iter()
        .find_map(|px| (min_h..=nominal).rev().step_by(2).find(|&h| fits(h, px)))
        .unwrap_or(min_h.min(nominal));
    let inner_h = i64::from(h - 2 * pad);
    let max_w = i64::from((body.w - 2 * pad).max(1));
    let (iw, ih) = (i64::from(iw), i64::from(ih));
    let (mut img_w, mut img_h) = (inner_h * iw / ih, inner_h);
    if img_w > max_w {
        img_w = max_w;
        img_h = (max_w * ih / iw).max(1);
    }
    let (img_w, img_h) = (img_w.max(1) as i32, img_h as i32);
    let rect = Rect::new(body.x, body.y, img_w + 2 * pad, h);
    let image = Rect::new(rect.x + pad, rect.y + (h - img_h) / 2, img_w, img_h);
    el.push(Element::NameImage { rect, image });
    let top = rect.bottom() + m.gap;
    Rect::new(body.x, top, body.w, body.bottom() - top)
}
