//! The name image of the simulated card (券面AP EF `0002` DF25): the holder's name
//! drawn into a greyscale PNG when the profile is loaded, as the card issuer draws it
//! at issue time — black ink on white paper, one line. The reader only ever sees this
//! image; the text of the profile never reaches the daemon.

use super::profile::ProfileError;
use fontdue::{Font, FontSettings};
use std::sync::OnceLock;

/// Height of the drawn glyphs in pixels (the em size).
pub const NAME_PX: f32 = 40.0;
/// White margin around the ink, in pixels.
const MARGIN: u32 = 6;

fn font() -> Option<&'static Font> {
    static FONT: OnceLock<Option<Font>> = OnceLock::new();
    FONT.get_or_init(|| {
        Font::from_bytes(crate::ui::font::embedded_regular(), FontSettings::default()).ok()
    })
    .as_ref()
}

/// Draws `name` (one line; U+3000 between family and given name) into 8-bit grey
/// pixels: (width, height, pixels), 0 = ink, 255 = paper.
pub fn draw_name(name: &str) -> Result<(u32, u32, Vec<u8>), ProfileError> {
    let invalid = |reason: &str| ProfileError::Invalid {
        key: "holder.name",
        reason: reason.into(),
    };
    let font = font().ok_or_else(|| invalid("the built-in font does not load"))?;
    if name.trim().is_empty() || name.chars().any(char::is_control) {
        return Err(invalid("must be one non-empty line"));
    }
    let line = font
        .horizontal_line_metrics(NAME_PX)
        .ok_or_else(|| invalid("the built-in font has no line metrics"))?;
    let ascent = line.ascent.ceil() as i32;
    let descent = (-line.descent).ceil() as i32;
    let advance: f32 = name
        .chars()
        .map(|c| font.metrics(c, NAME_PX).advance_width)
        .sum();
    let width = advance.ceil() as u32 + 2 * MARGIN;
    let height = (ascent + descent) as u32 + 2 * MARGIN;
    let mut pixels = vec![255u8; width as usize * height as usize];
    let baseline = MARGIN as i32 + ascent;
    let mut pen = MARGIN as f32;
    for c in name.chars() {
        let (m, coverage) = font.rasterize(c, NAME_PX);
        let gx = pen.round() as i32 + m.xmin;
        let gy = baseline - m.ymin - m.height as i32;
        for row in 0..m.height {
            for col in 0..m.width {
                let a = coverage.get(row * m.width + col).copied().unwrap_or(0);
                let (x, y) = (gx + col as i32, gy + row as i32);
                if a == 0 || x < 0 || y < 0 || x >= width as i32 || y >= height as i32 {
                    continue;
                }
                let i = y as usize * width as usize + x as usize;
                pixels[i] = pixels[i].min(255 - a);
            }
        }
        pen += m.advance_width;
    }
    Ok((width, height, pixels))
}

/// `name` drawn by [`draw_name`] and encoded as a greyscale PNG (what DF25 holds).
pub fn name_png(name: &str) -> Result<Vec<u8>, ProfileError> {
    let (width, height, pixels) = draw_name(name)?;
    let mut out = Vec::new();
    let encoder = image::codecs::png::PngEncoder::new_with_quality(
        &mut out,
        image::codecs::png::CompressionType::Best,
        image::codecs::png::FilterType::Adaptive,
    );
    image::ImageEncoder::write_image(
        encoder,
        &pixels,
        width,
        height,
        image::ExtendedColorType::L8,
    )
    .map_err(|e| ProfileError::Invalid {
        key: "holder.name",
        reason: format!("name image: {e}"),
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::card::NameImage;

    #[test]
    fn the_name_becomes_a_png_with_ink() {
        let png = name_png("試験　花子").unwrap();
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
        let image = NameImage::from_png(&png).unwrap();
        assert!(image.width() > image.height() * 3, "one wide line");
        let ink = image.pixels().iter().filter(|&&g| g < 128).count();
        assert!(ink > 200, "the glyphs leave ink: {ink}");
        // The margins stay paper.
        assert!((0..image.height()).all(|y| image.gray(0, y) == 255));
        // A different name gives a different image.
        let other = NameImage::from_png(&name_png("試験　太郎").unwrap()).unwrap();
        assert_ne!(image.pixels(), other.pixels());
    }

    #[test]
    fn bad_names_are_refused() {
        assert!(name_png("").is_err());
        assert!(name_png("a\nb").is_err());
    }
}
