//! Layout: turns a screen into a [`Scene`] — positioned panels, text blocks and
//! touch targets — for the panel size. Drawing, hit testing and the layout tests all
//! read the same scene, so what is tested is what is drawn and touched.
//!
//! Sizes are designed at 800×480 and scaled by `min(w/800, h/480)` (landscape) or
//! `min(w/600, h/1000)` (portrait). At 800×480: titles 40 px (≥ 36), body 28 px
//! (≥ 24), buttons ≥ 72 px high with ≥ 16 px gaps; large-text mode adds about 20 %.
//!
//! - [`frame`]: the whole screen (title band, status band) and the body by screen;
//! - [`fit`]: text set at a size and shrunk to fit;
//! - [`buttons`]: button targets and the button row;
//! - [`body`]: the text screens' body and the name image;
//! - [`face`]: the face screen's preview;
//! - [`pin`]: the PIN screen's pad;
//! - [`palette`]: the colours and their contrast.

mod body;
mod buttons;
mod face;
mod fit;
mod frame;
pub mod palette;
mod pin;

pub use frame::layout;
pub use palette::{contrast, luminance};

use super::content::Content;
use super::font::{Fonts, Weight};
use super::Hit;
use crate::flow::{Button, ScreenId};
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
    /// The chip photo, large, for the staff's visual check (given at drawing time,
    /// like the name image; a grey box without it).
    Photo { rect: Rect },
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
    /// The chip-photo box of the visual check, if the scene has one.
    pub fn photo(&self) -> Option<Rect> {
        self.elements.iter().find_map(|e| match e {
            Element::Photo { rect } => Some(*rect),
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
