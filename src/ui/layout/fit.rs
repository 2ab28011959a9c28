//! Setting text: lines broken at a size inside a rectangle, shrunk down to a
//! minimum size until they fit, or centred as a button label.

use super::{Align, Metrics, Rect, Role, TextBlock, MIN_BODY_PX};
use crate::ui::font::{Fonts, Weight};
use crate::ui::text::break_lines;
use embedded_graphics::pixelcolor::Rgb888;

/// Fits `text` into `rect`, trying sizes from `px` down to `min_px`.
#[allow(clippy::too_many_arguments)]
pub(super) fn fit(
    fonts: &Fonts,
    role: Role,
    text: &str,
    rect: Rect,
    px: u32,
    min_px: u32,
    weight: Weight,
    fg: Rgb888,
    bg: Rgb888,
    align: Align,
) -> TextBlock {
    let mut size = px.max(min_px);
    loop {
        let block = set(fonts, role, text, rect, size, weight, fg, bg, align);
        if !block.overflows() || size <= min_px {
            return block;
        }
        size -= 1;
    }
}

#[allow(clippy::too_many_arguments)]
pub(super) fn set(
    fonts: &Fonts,
    role: Role,
    text: &str,
    rect: Rect,
    px: u32,
    weight: Weight,
    fg: Rgb888,
    bg: Rgb888,
    align: Align,
) -> TextBlock {
    let lines = break_lines(fonts, text, px, weight, rect.w as f32);
    let used_width = lines
        .iter()
        .map(|l| fonts.width(l, px, weight).ceil() as i32)
        .max()
        .unwrap_or(0);
    TextBlock {
        role,
        rect,
        lines,
        px,
        line_height: Metrics::line_height(px),
        weight,
        fg,
        bg,
        align,
        used_width,
    }
}

pub(super) fn centered_label(
    fonts: &Fonts,
    label: &str,
    rect: Rect,
    px: u32,
    fg: Rgb888,
    bg: Rgb888,
) -> TextBlock {
    let inner = rect.inset(8);
    let mut block = fit(
        fonts,
        Role::Button,
        label,
        inner,
        px,
        MIN_BODY_PX,
        Weight::Bold,
        fg,
        bg,
        Align::Center,
    );
    let used = block.used_height().min(inner.h);
    block.rect = Rect::new(
        inner.x,
        inner.y + (inner.h - used) / 2,
        inner.w,
        used.max(block.used_height()),
    );
    block
}
