//! A whole screen: the title band (with the language button), the status band,
//! and the body laid out by the screen's group (text screens, face, PIN).

use super::body::{body_text, name_box};
use super::buttons::{button_row, button_target};
use super::face::face_layout;
use super::fit::fit;
use super::pin::pin_layout;
use super::{
    palette, Align, Element, LayoutInput, Metrics, Rect, Role, Scene, TextBlock, MIN_BODY_PX,
    MIN_TARGET_H, MIN_TARGET_W, MIN_TITLE_PX, NAME_SCREENS,
};
use crate::flow::{Button, Screen, ScreenId};
use crate::ui::content::Tone;
use crate::ui::font::Weight;
use embedded_graphics::pixelcolor::Rgb888;

fn tone_color(tone: Tone) -> Rgb888 {
    match tone {
        Tone::Normal => palette::NAVY,
        Tone::Success => palette::GREEN,
        Tone::Warning => palette::BROWN,
        Tone::Error => palette::RED,
    }
}

/// Lays out `screen`.
pub fn layout(screen: &Screen, input: &LayoutInput, width: u32, height: u32) -> Scene {
    let (w, h) = (width as i32, height as i32);
    let m = input.metrics;
    let c = input.content;
    let mut el = Vec::new();

    // Title band, with the small controls (係員, language) at its right end.
    let corner: Vec<(Button, i32)> = [Button::Staff, Button::Lang]
        .into_iter()
        .filter(|b| screen.buttons.contains(b))
        .map(|b| {
            let label = (input.label)(b);
            let text_w = input.fonts.width(&label, m.button_px.min(28), Weight::Bold) as i32;
            (b, (text_w + 2 * m.gap).max(MIN_TARGET_W + 24))
        })
        .collect();
    let corner_w: i32 = corner.iter().map(|(_, w)| w + m.gap).sum();
    let title_w = w - 2 * m.margin - corner_w;
    let band_pad = (10.0 * m.scale) as i32;
    let probe = fit(
        input.fonts,
        Role::Title,
        &c.title,
        Rect::new(
            m.margin,
            band_pad,
            title_w,
            Metrics::line_height(m.title_px),
        ),
        m.title_px,
        MIN_TITLE_PX,
        Weight::Bold,
        palette::ON_DARK,
        tone_color(c.tone),
        Align::Left,
    );
    // Two (or, beside two corner controls on a narrow panel, three) lines at full
    // size rather than one squeezed line.
    let mut title_block = probe;
    for lines in 2..=3 {
        if !title_block.overflows() {
            break;
        }
        let rect = Rect::new(
            m.margin,
            band_pad,
            title_w,
            lines * Metrics::line_height(m.title_px),
        );
        title_block = fit(
            input.fonts,
            Role::Title,
            &c.title,
            rect,
            m.title_px,
            MIN_TITLE_PX,
            Weight::Bold,
            palette::ON_DARK,
            tone_color(c.tone),
            Align::Left,
        );
    }
    let band_h = (title_block.rect.h + 2 * band_pad).max(MIN_TARGET_H + 2 * band_pad.min(8));
    let title_block = TextBlock {
        rect: Rect::new(
            title_block.rect.x,
            (band_h - title_block.rect.h) / 2,
            title_block.rect.w,
            title_block.rect.h,
        ),
        ..title_block
    };
    el.push(Element::Panel {
        rect: Rect::new(0, 0, w, band_h),
        color: tone_color(c.tone),
    });
    el.push(Element::Text(title_block));
    let mut right = w - m.margin;
    for (b, bw) in corner.into_iter().rev() {
        let rect = Rect::new(right - bw, (band_h - MIN_TARGET_H) / 2, bw, MIN_TARGET_H);
        el.push(Element::Target(button_target(
            input,
            b,
            rect,
            m.button_px.min(28),
            false,
        )));
        right -= bw + m.gap;
    }

    // Status band.
    let status_h = Metrics::line_height(m.status_px) + (16.0 * m.scale) as i32;
    let status_rect = Rect::new(0, h - status_h, w, status_h);
    el.push(Element::Panel {
        rect: status_rect,
        color: palette::STATUS,
    });
    let status_text_rect = Rect::new(
        m.margin,
        status_rect.y + (status_h - Metrics::line_height(m.status_px)) / 2,
        w - 2 * m.margin,
        Metrics::line_height(m.status_px),
    );
    el.push(Element::Text(fit(
        input.fonts,
        Role::Status,
        &c.status,
        status_text_rect,
        m.status_px,
        MIN_BODY_PX,
        Weight::Regular,
        palette::TEXT,
        palette::STATUS,
        Align::Left,
    )));

    let area = Rect::new(0, band_h, w, status_rect.y - band_h);
    let buttons: Vec<Button> = screen
        .buttons
        .iter()
        .copied()
        .filter(|b| !b.is_corner())
        .collect();
    match screen.id {
        ScreenId::Pin | ScreenId::StaffPasscode => pin_layout(input, area, &buttons, &mut el),
        ScreenId::Face => face_layout(input, area, &buttons, false, &mut el),
        ScreenId::VisualArmed if screen.params.staff_confirm => {
            face_layout(input, area, &buttons, true, &mut el)
        }
        _ => {
            let body = button_row(input, area, &buttons, &mut el);
            let body = if NAME_SCREENS.contains(&screen.id) {
                name_box(input, body, &mut el)
            } else {
                body
            };
            body_text(input, body, &mut el);
        }
    }
    Scene {
        width: w,
        height: h,
        elements: el,
    }
}
