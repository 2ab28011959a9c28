//! Layout: turns a screen into a [`Scene`] — positioned panels, text blocks and
//! touch targets — for the panel size. Drawing, hit testing and the layout tests all
//! read the same scene, so what is tested is what is drawn and touched.
//!
//! Sizes are designed at 800×480 and scaled by `min(w/800, h/480)` (landscape) or
//! `min(w/600, h/1000)` (portrait). At 800×480: titles 40 px (≥ 36), body 28 px
//! (≥ 24), buttons ≥ 72 px high with ≥ 16 px gaps; large-text mode adds about 20 %.

use super::content::{Content, Tone};
use super::font::{Fonts, Weight};
use super::text::break_lines;
use super::Hit;
use crate::flow::{Button, Screen, ScreenId};
use embedded_graphics::pixelcolor::Rgb888;

/// An axis-aligned rectangle in panel pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rect {
    pub x: i32,
    pub y: i32,
    pub w: i32,
    pub h: i32,
}

impl Rect {
    pub const fn new(x: i32, y: i32, w: i32, h: i32) -> Rect {
        Rect { x, y, w, h }
    }
    pub fn right(&self) -> i32 {
        self.x + self.w
    }
    pub fn bottom(&self) -> i32 {
        self.y + self.h
    }
    pub fn contains(&self, x: i32, y: i32) -> bool {
        x >= self.x && x < self.right() && y >= self.y && y < self.bottom()
    }
    /// True if the two rectangles share any pixel.
    pub fn overlaps(&self, o: &Rect) -> bool {
        self.x < o.right() && o.x < self.right() && self.y < o.bottom() && o.y < self.bottom()
    }
    /// True if `o` lies fully inside.
    pub fn encloses(&self, o: &Rect) -> bool {
        o.x >= self.x && o.y >= self.y && o.right() <= self.right() && o.bottom() <= self.bottom()
    }
    /// Shrunk by `d` on every side.
    pub fn inset(&self, d: i32) -> Rect {
        Rect::new(
            self.x + d,
            self.y + d,
            (self.w - 2 * d).max(0),
            (self.h - 2 * d).max(0),
        )
    }
}

/// The palette. Every text colour pair has a contrast ratio ≥ 7:1 (tested).
pub mod palette {
    use embedded_graphics::pixelcolor::Rgb888;
    pub const BACKGROUND: Rgb888 = Rgb888::new(0xFF, 0xFF, 0xFF);
    pub const TEXT: Rgb888 = Rgb888::new(0x1A, 0x1A, 0x1A);
    pub const ON_DARK: Rgb888 = Rgb888::new(0xFF, 0xFF, 0xFF);
    pub const NAVY: Rgb888 = Rgb888::new(0x0B, 0x3A, 0x6E);
    pub const GREEN: Rgb888 = Rgb888::new(0x1E, 0x5B, 0x2E);
    pub const BROWN: Rgb888 = Rgb888::new(0x6B, 0x40, 0x00);
    pub const RED: Rgb888 = Rgb888::new(0x9B, 0x00, 0x00);
    pub const STATUS: Rgb888 = Rgb888::new(0xE8, 0xE8, 0xE8);
    pub const BANNER: Rgb888 = Rgb888::new(0xFF, 0xF1, 0xB8);
    pub const PREVIEW: Rgb888 = Rgb888::new(0x20, 0x20, 0x20);
    pub const FACE_FRAME: Rgb888 = Rgb888::new(0x7F, 0xE0, 0x9A);
}

/// Horizontal alignment of a text block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Center,
}

/// What a text block is, for the size minimums.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Title,
    Body,
    Button,
    Status,
}

/// Laid-out text: broken into lines at a chosen size inside `rect`.
#[derive(Debug, Clone, PartialEq)]
pub struct TextBlock {
    pub role: Role,
    pub rect: Rect,
    pub lines: Vec<String>,
    pub px: u32,
    pub line_height: i32,
    pub weight: Weight,
    pub fg: Rgb888,
    pub bg: Rgb888,
    pub align: Align,
    /// Widest line in pixels.
    pub used_width: i32,
}

impl TextBlock {
    /// Height the lines take.
    pub fn used_height(&self) -> i32 {
        self.line_height * self.lines.len() as i32
    }
    /// True if the text does not fit its rectangle.
    pub fn overflows(&self) -> bool {
        self.used_width > self.rect.w || self.used_height() > self.rect.h
    }
    /// The box the ink occupies (top-aligned, horizontally per `align`).
    pub fn ink(&self) -> Rect {
        let x = match self.align {
            Align::Left => self.rect.x,
            Align::Center => self.rect.x + (self.rect.w - self.used_width) / 2,
        };
        Rect::new(x, self.rect.y, self.used_width, self.used_height())
    }
    /// All lines joined.
    pub fn joined(&self) -> String {
        self.lines.join("")
    }
}

/// A touch target.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub rect: Rect,
    pub hit: Hit,
    pub fill: Rgb888,
    pub border: Rgb888,
    pub label: TextBlock,
}

/// One thing on the screen.
#[derive(Debug, Clone, PartialEq)]
pub enum Element {
    /// A filled band (title, status, banner background).
    Panel { rect: Rect, color: Rgb888 },
    /// Text.
    Text(TextBlock),
    /// A button or PIN-pad key.
    Target(Target),
    /// The camera preview area with its face frame.
    Preview { rect: Rect, frame: Rect },
    /// The typed-digit indicator: `typed` of `total` shown as ●.
    PinDots {
        rect: Rect,
        typed: usize,
        total: usize,
    },
    /// The holder's name as the chip's image (券面AP DF25): a paper-white box `rect`
    /// with the image scaled (aspect kept) into `image`. The image itself is given
    /// at drawing time; the scene only knows its size.
    NameImage { rect: Rect, image: Rect },
    /// A round badge over the camera preview counting down the face attempts left
    /// before the fallback (PIN, or staff); `rect` is the circle's square.
    Badge { rect: Rect, label: TextBlock },
}

/// Screens on which the patient confirms who they are: the holder's name image
/// from the chip is shown there when the card gave one.
pub const NAME_SCREENS: [ScreenId; 2] = [ScreenId::Consent, ScreenId::ConsentItems];

/// A screen laid out for one panel.
#[derive(Debug, Clone, PartialEq)]
pub struct Scene {
    pub width: i32,
    pub height: i32,
    pub elements: Vec<Element>,
}

impl Scene {
    /// Every text block, including button and badge labels.
    pub fn texts(&self) -> impl Iterator<Item = &TextBlock> {
        self.elements.iter().filter_map(|e| match e {
            Element::Text(t) => Some(t),
            Element::Target(t) => Some(&t.label),
            Element::Badge { label, .. } => Some(label),
            _ => None,
        })
    }
    /// The name-image box and the image's place in it, if the scene has one.
    pub fn name_image(&self) -> Option<(Rect, Rect)> {
        self.elements.iter().find_map(|e| match e {
            Element::NameImage { rect, image } => Some((*rect, *image)),
            _ => None,
        })
    }
    /// The camera preview box and its face frame, if the scene has one.
    pub fn preview(&self) -> Option<(Rect, Rect)> {
        self.elements.iter().find_map(|e| match e {
            Element::Preview { rect, frame } => Some((*rect, *frame)),
            _ => None,
        })
    }
    /// Every touch target.
    pub fn targets(&self) -> impl Iterator<Item = &Target> {
        self.elements.iter().filter_map(|e| match e {
            Element::Target(t) => Some(t),
            _ => None,
        })
    }
    /// The title block.
    pub fn title(&self) -> Option<&TextBlock> {
        self.texts().find(|t| t.role == Role::Title)
    }
    /// What is at (x, y).
    pub fn hit(&self, x: i32, y: i32) -> Option<Hit> {
        self.targets()
            .find(|t| t.rect.contains(x, y))
            .map(|t| t.hit)
    }
}

/// Size rules for one panel and mode.
#[derive(Debug, Clone, Copy)]
pub struct Metrics {
    pub scale: f32,
    pub portrait: bool,
    pub title_px: u32,
    pub body_px: u32,
    pub button_px: u32,
    pub status_px: u32,
    pub margin: i32,
    pub gap: i32,
    pub button_h: i32,
    pub key_h: i32,
    /// Height of the name-image box.
    pub name_h: i32,
}

/// Smallest sizes allowed at any panel (issue 6).
pub const MIN_TITLE_PX: u32 = 36;
pub const MIN_BODY_PX: u32 = 24;
pub const MIN_TARGET_W: i32 = 96;
pub const MIN_TARGET_H: i32 = 72;
pub const MIN_GAP: i32 = 16;

impl Metrics {
    pub fn new(width: u32, height: u32, large_text: bool) -> Metrics {
        let portrait = height > width;
        let scale = if portrait {
            (width as f32 / 600.0).min(height as f32 / 1000.0)
        } else {
            (width as f32 / 800.0).min(height as f32 / 480.0)
        }
        .max(1.0);
        let px = |base: f32, large: f32| {
            let v = if large_text { large } else { base };
            (v * scale).round() as u32
        };
        let len = |v: f32| (v * scale).round() as i32;
        Metrics {
            scale,
            portrait,
            title_px: px(40.0, 46.0),
            body_px: px(28.0, 34.0),
            button_px: px(30.0, 34.0),
            status_px: px(24.0, 26.0),
            margin: len(24.0),
            gap: len(16.0).max(MIN_GAP),
            button_h: len(if large_text { 96.0 } else { 84.0 }).max(MIN_TARGET_H),
            key_h: len(80.0).max(MIN_TARGET_H),
            name_h: len(if large_text { 64.0 } else { 56.0 }),
        }
    }
    fn line_height(px: u32) -> i32 {
        (px as f32 * 1.3).ceil() as i32
    }
}

/// Everything the layout needs besides the screen.
pub struct LayoutInput<'a> {
    pub fonts: &'a Fonts,
    pub metrics: Metrics,
    pub content: &'a Content,
    /// Button labels in the screen's language.
    pub label: &'a dyn Fn(Button) -> String,
    pub delete_label: &'a str,
    pub preview_label: &'a str,
    /// PIN-pad digit order: slot → digit (slots 0–8 the first three rows, 9 the last).
    pub pad: [u8; 10],
    pub typed: usize,
    /// Size (width, height) of the holder's name image when the card gave one; it is
    /// shown on the [`NAME_SCREENS`].
    pub name: Option<(u32, u32)>,
    /// Face screen: attempts left before the fallback (the preview's countdown).
    pub attempts_left: Option<u32>,
}

/// Fits `text` into `rect`, trying sizes from `px` down to `min_px`.
#[allow(clippy::too_many_arguments)]
fn fit(
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
fn set(
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

    // Title band, with the language button at its right end.
    let lang = screen.buttons.contains(&Button::Lang);
    let lang_w = if lang {
        let label = (input.label)(Button::Lang);
        let text_w = input.fonts.width(&label, m.button_px.min(28), Weight::Bold) as i32;
        (text_w + 2 * m.gap).max(MIN_TARGET_W + 24)
    } else {
        0
    };
    let title_w = w - 2 * m.margin - if lang { lang_w + m.gap } else { 0 };
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
    let title_block = if probe.overflows() {
        // Two lines at full size rather than one squeezed line.
        let rect = Rect::new(
            m.margin,
            band_pad,
            title_w,
            2 * Metrics::line_height(m.title_px),
        );
        fit(
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
        )
    } else {
        probe
    };
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
    if lang {
        let rect = Rect::new(
            w - m.margin - lang_w,
            (band_h - MIN_TARGET_H) / 2,
            lang_w,
            MIN_TARGET_H,
        );
        el.push(Element::Target(button_target(
            input,
            Button::Lang,
            rect,
            m.button_px.min(28),
            false,
        )));
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
        .filter(|b| *b != Button::Lang)
        .collect();
    match screen.id {
        ScreenId::Pin => pin_layout(input, area, &buttons, &mut el),
        ScreenId::Face => face_layout(input, area, &buttons, &mut el),
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

fn button_target(
    input: &LayoutInput,
    button: Button,
    rect: Rect,
    px: u32,
    secondary: bool,
) -> Target {
    let (fill, fg) = if secondary || button == Button::Lang {
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

fn centered_label(
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

fn is_secondary(b: Button) -> bool {
    matches!(
        b,
        Button::Cancel | Button::No | Button::ConsentIndividual | Button::Pin | Button::Phone
    )
}

/// Lays a row of buttons at the bottom of `area`; returns the space above it.
fn button_row(input: &LayoutInput, area: Rect, buttons: &[Button], el: &mut Vec<Element>) -> Rect {
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

/// Banner, instruction and detail stacked in `rect`, shrinking to fit.
fn body_text(input: &LayoutInput, rect: Rect, el: &mut Vec<Element>) {
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
fn name_box(input: &LayoutInput, body: Rect, el: &mut Vec<Element>) -> Rect {
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

/// Face screen: camera preview on the left (top in portrait), text beside it.
fn face_layout(input: &LayoutInput, area: Rect, buttons: &[Button], el: &mut Vec<Element>) {
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

/// PIN screen: the pad on the right (below in portrait), text and dots beside it.
/// The last button (the flow's Cancel) takes the free key slot right of 0, as on
/// a bank terminal; any further buttons go in a row beside the pad.
fn pin_layout(input: &LayoutInput, area: Rect, buttons: &[Button], el: &mut Vec<Element>) {
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

/// WCAG relative luminance of a colour.
pub fn luminance(c: Rgb888) -> f64 {
    use embedded_graphics::pixelcolor::RgbColor;
    let lin = |v: u8| {
        let v = v as f64 / 255.0;
        if v <= 0.03928 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * lin(c.r()) + 0.7152 * lin(c.g()) + 0.0722 * lin(c.b())
}

/// WCAG contrast ratio of two colours (1–21).
pub fn contrast(a: Rgb888, b: Rgb888) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}
