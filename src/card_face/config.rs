//! `[card_face]` (an extension of CONTRACT §2): where 照合番号B comes from — the
//! control socket, or a card-face camera read by OCR — and the limits of a read.
//! Its defaults and validation live here; the top-level config only puts the
//! section in the file.

use serde::Deserialize;
use std::path::PathBuf;

/// `[card_face]`: the printed card face and the 照合番号B it unlocks. Extension.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CardFaceConfig {
    /// Below this many 照合番号B tries left on the chip, nothing is sent and staff
    /// are called.
    pub counter_floor: u8,
    /// Where 照合番号B comes from: `control` (the control socket's `card_face`
    /// action only), or a card-face camera read by OCR (`images`, `v4l2`).
    pub kind: CardFaceKind,
    /// The card-face camera's V4L2 device (`kind = "v4l2"`).
    pub device: PathBuf,
    /// `kind = "images"`: an image file, or a directory whose images (sorted by
    /// name) are the successive frames.
    pub images: PathBuf,
    /// The reader gives up after this long and offers the PIN or the staff.
    pub time_limit_s: u64,
    /// At most this many frames are read per card.
    pub max_frames: u32,
    /// Directory holding `ocr/ppocrv5-rec.onnx` and its dictionary
    /// (`scripts/fetch-ocr-model.sh`).
    pub models: PathBuf,
}

impl Default for CardFaceConfig {
    fn default() -> Self {
        CardFaceConfig {
            counter_floor: 3,
            kind: CardFaceKind::Control,
            device: PathBuf::from("/dev/video1"),
            images: PathBuf::new(),
            time_limit_s: 10,
            max_frames: 8,
            models: PathBuf::from("models"),
        }
    }
}

/// Where the card-face values come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CardFaceKind {
    /// Only the control socket's `card_face` action (no camera).
    Control,
    /// Image files as the card-face camera (tests, demos, evaluation).
    Images,
    /// A V4L2 camera looking at the card tray.
    V4l2,
}

impl CardFaceConfig {
    /// Checks values that parse but cannot work: (dotted key, reason).
    /// `screen_timeout_s` is `policy.screen_timeout_s`: a camera read must end
    /// before the reading screen times out.
    pub fn validate(&self, screen_timeout_s: u64) -> Result<(), (&'static str, String)> {
        if !(1..=60).contains(&self.time_limit_s) {
            return Err(("card_face.time_limit_s", "must be 1 to 60".into()));
        }
        if self.kind != CardFaceKind::Control && self.time_limit_s >= screen_timeout_s {
            return Err((
                "card_face.time_limit_s",
                "must be less than policy.screen_timeout_s (the reading screen would time out first)".into(),
            ));
        }
        if !(2..=50).contains(&self.max_frames) {
            return Err((
                "card_face.max_frames",
                "must be 2 to 50 (two frames must agree)".into(),
            ));
        }
        if self.kind == CardFaceKind::Images && self.images.as_os_str().is_empty() {
            return Err((
                "card_face.images",
                "must name an image file or directory with kind = \"images\"".into(),
            ));
        }
        if !(1..=9).contains(&self.counter_floor) {
            return Err((
                "card_face.counter_floor",
                "must be 1 to 9 (the chip allows 10 tries)".into(),
            ));
        }
        Ok(())
    }
}
