//! The PIN screen and its pad: ten digit keys (in the order the UI chose), the
//! delete key, the flow's last button in the free slot, and the ● row.

use super::body::body_text;
use super::buttons::{button_row, button_target, is_secondary};
use super::fit::centered_label;
use super::{palette, Element, LayoutInput, Rect, Target, MIN_TARGET_H, MIN_TARGET_W};
use crate::flow::Button;
use crate::ui::Hit;

/// PIN screen: the pad on the right (below in portrait), text and dots beside it.
/// The last button (the flow's Cancel) takes the free key slot right of 0, as on
/// a bank terminal; any further buttons go in a row beside the pad.
pub(super) fn pin_layout(
    input: &LayoutInput,
    area: Rect,
    buttons: &[Button],
    el: &mut Vec<Element>,
) {
    let m = input.metrics;
    let key_w = ((120.0 * m.scale) as i32).max(MIN_TARGET_W);
    let pad_w = 3 * key_w + 2 * m.gap;
    let (slot_button, others) = match buttons.split_last() {
        Some((last, rest)) => (Some(*last), rest),
        None => (None, buttons),
    };
    let (pad_area, side) = if m.portrait {
        let key_h = m.key_h;
        let pad_h = 4 * key_h + 3 * m.gap;
        let rest = button_row(input, area, others, el);
        let pad = Rect::new(
            area.x + (area.w - pad_w) / 2,
            rest.bottom() - pad_h,
            pad_w,
            pad_h,
        );
        (
            pad,
            Rect::new(rest.x, rest.y, rest.w, pad.y - m.gap - rest.y),
        )
    } else {
        let v = (8.0 * m.scale) as i32;
        let avail_h = area.h - 2 * v;
        let key_h = ((avail_h - 3 * m.gap) / 4).clamp(MIN_TARGET_H, m.key_h);
        let pad_h = 4 * key_h + 3 * m.gap;
        let pad = Rect::new(
            area.right() - m.margin - pad_w,
            area.y + (area.h - pad_h) / 2,
            pad_w,
            pad_h,
        );
        let left = Rect::new(area.x, area.y, pad.x - area.x, area.h);
        (pad, button_row(input, left, others, el))
    };
    let key_h = (pad_area.h - 3 * m.gap) / 4;
    // Digits typed so far, as dots, under the text.
    let dots_h = (40.0 * m.scale) as i32;
    let text = Rect::new(side.x, side.y, side.w, side.h - dots_h - m.gap);
    body_text(input, text, el);
    el.push(Element::PinDots {
        rect: Rect::new(
            side.x,
            side.bottom() - dots_h,
            side.w.min(dots_h * 6),
            dots_h,
        ),
        typed: input.typed,
        total: 4,
    });
    for (slot, &digit) in input.pad.iter().enumerate() {
        let (row, col) = if slot < 9 {
            (slot / 3, slot % 3)
        } else {
            (3, 1)
        };
        let rect = key_rect(pad_area, row as i32, col as i32, key_w, key_h, m.gap);
        let label = digit.to_string();
        el.push(Element::Target(key_target(
            input,
            Hit::Digit(digit),
            &label,
            rect,
            m.button_px,
        )));
    }
    let small = m.button_px.min(28);
    let del = key_rect(pad_area, 3, 0, key_w, key_h, m.gap);
    el.push(Element::Target(key_target(
        input,
        Hit::Delete,
        input.delete_label,
        del,
        small,
    )));
    if let Some(b) = slot_button {
        let rect = key_rect(pad_area, 3, 2, key_w, key_h, m.gap);
        el.push(Element::Target(button_target(
            input,
            b,
            rect,
            small,
            is_secondary(b),
        )));
    }
}

fn key_rect(pad: Rect, row: i32, col: i32, kw: i32, kh: i32, gap: i32) -> Rect {
    Rect::new(pad.x + col * (kw + gap), pad.y + row * (kh + gap), kw, kh)
}

fn key_target(input: &LayoutInput, hit: Hit, label: &str, rect: Rect, px: u32) -> Target {
    Target {
        rect,
        hit,
        fill: palette::BACKGROUND,
        border: palette::NAVY,
        label: centered_label(
            input.fonts,
            label,
            rect,
            px,
            palette::TEXT,
            palette::BACKGROUND,
        ),
    }
}
