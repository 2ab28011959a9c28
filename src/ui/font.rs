//! The UI typeface: BIZ UDPGothic Regular and Bold (SIL OFL 1.1, `assets/fonts/`),
//! rasterised with fontdue and cached per (glyph, size, weight).
//!
//! The fonts are embedded in the binary with `include_bytes!` so that `kaonin demo`
//! and `kaonin render` work from a fresh checkout wherever the binary is started;
//! `UiOptions::font_dir` loads other files (e.g. a different subset) at run time.

use super::UiError;
use fontdue::{Font, FontSettings};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// File name of the regular face in `assets/fonts/`.
pub const REGULAR_FILE: &str = "BIZUDPGothic-Regular.ttf";
/// File name of the bold face in `assets/fonts/`.
pub const BOLD_FILE: &str = "BIZUDPGothic-Bold.ttf";

static REGULAR: &[u8] = include_bytes!("../../assets/fonts/BIZUDPGothic-Regular.ttf");
static BOLD: &[u8] = include_bytes!("../../assets/fonts/BIZUDPGothic-Bold.ttf");

/// The embedded regular face (TrueType bytes), e.g. for the virtual card that draws
/// a holder's name the way the card issuer does.
pub fn embedded_regular() -> &'static [u8] {
    REGULAR
}

/// Regular or bold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Weight {
    Regular,
    Bold,
}

/// One rasterised glyph: coverage bytes (0–255) and placement.
#[derive(Debug)]
pub struct Glyph {
    pub width: usize,
    pub height: usize,
    /// Left bearing in pixels.
    pub xmin: i32,
    /// Bottom of the bitmap relative to the baseline (positive = above).
    pub ymin: i32,
    pub advance: f32,
    pub coverage: Vec<u8>,
}

/// Both weights and a glyph cache.
pub struct Fonts {
    regular: Font,
    bold: Font,
    cache: Mutex<HashMap<(char, u32, Weight), Arc<Glyph>>>,
}

impl std::fmt::Debug for Fonts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Fonts(BIZ UDPGothic)")
    }
}

impl Fonts {
    /// The embedded fonts, or the two files from `dir` when given.
    pub fn load(dir: Option<&Path>) -> Result<Fonts, UiError> {
        match dir {
            None => Fonts::from_bytes(REGULAR, BOLD),
            Some(dir) => {
                let regular = read_font(&dir.join(REGULAR_FILE))?;
                let bold = read_font(&dir.join(BOLD_FILE))?;
                Fonts::from_bytes(&regular, &bold)
            }
        }
    }

    fn from_bytes(regular: &[u8], bold: &[u8]) -> Result<Fonts, UiError> {
        let parse = |bytes: &[u8], name: &str| {
            Font::from_bytes(bytes, FontSettings::default()).map_err(|reason| UiError::Font {
                file: name.to_string(),
                reason: reason.to_string(),
            })
        };
        Ok(Fonts {
            regular: parse(regular, REGULAR_FILE)?,
            bold: parse(bold, BOLD_FILE)?,
            cache: Mutex::new(HashMap::new()),
        })
    }

    fn face(&self, weight: Weight) -> &Font {
        match weight {
            Weight::Regular => &self.regular,
            Weight::Bold => &self.bold,
        }
    }

    /// True if both weights have a glyph for `c` (whitespace always counts).
    pub fn has_glyph(&self, c: char) -> bool {
        c.is_whitespace()
            || (self.regular.lookup_glyph_index(c) != 0 && self.bold.lookup_glyph_index(c) != 0)
    }

    /// Advance width of `c` at `px`.
    pub fn advance(&self, c: char, px: u32, weight: Weight) -> f32 {
        self.face(weight).metrics(c, px as f32).advance_width
    }

    /// Width of `text` on one line.
    pub fn width(&self, text: &str, px: u32, weight: Weight) -> f32 {
        text.chars().map(|c| self.advance(c, px, weight)).sum()
    }

    /// Ascent (above the baseline) at `px`.
    pub fn ascent(&self, px: u32, weight: Weight) -> f32 {
        self.face(weight)
            .horizontal_line_metrics(px as f32)
            .map(|m| m.ascent)
            .unwrap_or(px as f32 * 0.88)
    }

    /// The rasterised glyph, from the cache when it was drawn before.
    pub fn glyph(&self, c: char, px: u32, weight: Weight) -> Arc<Glyph> {
        let key = (c, px, weight);
        if let Some(g) = self.cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
            return g;
        }
        let (m, coverage) = self.face(weight).rasterize(c, px as f32);
        let glyph = Arc::new(Glyph {
            width: m.width,
            height: m.height,
            xmin: m.xmin,
            ymin: m.ymin,
            advance: m.advance_width,
            coverage,
        });
        if let Ok(mut cache) = self.cache.lock() {
            cache.insert(key, glyph.clone());
        }
        glyph
    }

    /// Bytes held by the glyph cache (for the benchmark).
    pub fn cache_bytes(&self) -> usize {
        self.cache
            .lock()
            .map(|c| c.values().map(|g| g.coverage.len() + 48).sum())
            .unwrap_or(0)
    }
}

fn read_font(path: &Path) -> Result<Vec<u8>, UiError> {
    std::fs::read(path).map_err(|e| UiError::Font {
        file: path.display().to_string(),
        reason: e.to_string(),
    })
}
