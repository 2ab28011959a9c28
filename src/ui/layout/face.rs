//! The face screen: the camera preview with its face frame and the countdown of
//! attempts, the text and buttons beside it; the visual-check screen lays the chip
//! photo out the same way, for staff to compare with the patient.

use super::body::body_text;
use super::buttons::button_row;
use super::fit::centered_label;
use super::{palette, Element, LayoutInput, Rect, Role};
use crate::flow::Button;

/// Face screen: camera preview on the left (top in portrait), text beside it.
/// With `photo`, the box is the chip photo (visual check), without face frame or
/// countdown.
pub(super) fn face_layout(
    input: &LayoutInput,
    area: Rect,
    buttons: &[Button],
    photo: bool,
    el: &mut Vec<Element>,
) {
    let m = input.metrics;
    let (preview, text) = if m.portrait {
        let body = button_row(input, area, buttons, el);
        let ph = (body.w * 4 / 3).min(body.h * 3 / 5);
        let pw = ph * 3 / 4;
        (
            Rect::new(body.x + (body.w - pw) / 2, body.y, pw, ph),
            Rect::new(body.x, body.y + ph + m.gap, body.w, body.h - ph - m.gap),
        )
    } else {
        // A tall 3:4 preview over the whole height (a face is taller than wide);
        // text and buttons share the column to its right.
        let ph = area.h - 2 * m.margin;
        let pw = (ph * 3 / 4).min(area.w * 2 / 5);
        let preview = Rect::new(area.x + m.margin, area.y + m.margin, pw, ph);
        let column = Rect::new(
            preview.right(),
            area.y,
            area.right() - preview.right(),
            area.h,
        );
        (preview, button_row(input, column, buttons, el))
    };
    if photo {
        el.push(Element::Photo { rect: preview });
        body_text(input, text, el);
        return;
    }
    let fh = preview.h * 4 / 5;
    let fw = (fh * 3 / 4).min(preview.w * 4 / 5);
    let frame = Rect::new(
        preview.x + (preview.w - fw) / 2,
        preview.y + (preview.h - fh) / 2,
        fw,
        fh,
    );
    el.push(Element::Preview {
        rect: preview,
        frame,
    });
    if let Some(left) = input.attempts_left {
        // Top right of the preview, clear of the face frame.
        let d = ((48.0 * m.scale) as i32).min(preview.w / 4);
        let inset = (6.0 * m.scale) as i32;
        let rect = Rect::new(preview.right() - inset - d, preview.y + inset, d, d);
        let mut label = centered_label(
            input.fonts,
            &left.to_string(),
            rect,
            m.body_px,
            palette::ON_DARK,
            palette::NAVY,
        );
        label.role = Role::Body;
        el.push(Element::Badge { rect, label });
    }
    body_text(input, text, el);
}
