//! Buttons: one button's touch target and label, and a row of them at the bottom
//! of an area.

use super::fit::centered_label;
use super::{palette, Element, LayoutInput, Rect, Target};
use crate::flow::Button;
use crate::ui::Hit;

pub(super) fn button_target(
    input: &LayoutInput,
    button: Button,
    rect: Rect,
    px: u32,
    secondary: bool,
) -> Target {
    let (fill, fg) = if secondary || button.is_corner() {
        (palette::BACKGROUND, palette::NAVY)
    } else {
        (palette::NAVY, palette::ON_DARK)
    };
    let label = (input.label)(button);
    Target {
        rect,
        hit: Hit::Button(button),
        fill,
        border: palette::NAVY,
        label: centered_label(input.fonts, &label, rect, px, fg, fill),
    }
}

pub(super) fn is_secondary(b: Button) -> bool {
    matches!(
        b,
        Button::Cancel
            | Button::No
            | Button::ConsentIndividual
            | Button::Pin
            | Button::Phone
            | Button::NotPatient
    )
}

/// Lays a row of buttons at the bottom of `area`; returns the space above it.
pub(super) fn button_row(
    input: &LayoutInput,
    area: Rect,
    buttons: &[Button],
    el: &mut Vec<Element>,
) -> Rect {
    let m = input.metrics;
    if buttons.is_empty() {
        return area.inset(m.margin);
    }
    let y = area.bottom() - m.margin - m.button_h;
    let n = buttons.len() as i32;
    let avail = area.w - 2 * m.margin;
    let bw = ((avail - (n - 1) * m.gap) / n).min((340.0 * m.scale) as i32);
    let total = n * bw + (n - 1) * m.gap;
    let mut x = area.x + (area.w - total) / 2;
    for &b in buttons {
        let rect = Rect::new(x, y, bw, m.button_h);
        el.push(Element::Target(button_target(
            input,
            b,
            rect,
            m.button_px,
            is_secondary(b),
        )));
        x += bw + m.gap;
    }
    Rect::new(
        area.x + m.margin,
        area.y + m.margin,
        area.w - 2 * m.margin,
        y - m.gap - area.y - m.margin,
    )
}
