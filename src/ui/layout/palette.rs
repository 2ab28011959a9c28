//! The palette, and the WCAG contrast measure its pairs are tested with: every
//! text colour pair has a contrast ratio ≥ 7:1.

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
