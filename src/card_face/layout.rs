//! The card-face layout in canonical coordinates: the card rectified to
//! 856×540 pixels (10 px/mm, ID-1 85.6×54.0 mm).
//!
//! The positions are **approximate** (reference §1: no public source gives
//! coordinates). They are the positions the synthetic generator draws with; the
//! real ones must be measured on real cards and put in a calibration file. The
//! 追記欄 is never cropped: 「顔認証」 and the dates written there look like a birth line.

use super::Field;

/// Canonical card width in pixels.
pub const CARD_W: u32 = 856;
/// Canonical card height in pixels.
pub const CARD_H: u32 = 540;

/// An axis-aligned rectangle in canonical card pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rect {
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
}

/// Where each field's text sits (baseline region with margins).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    pub birth: Rect,
    pub expiry: Rect,
    pub code: Rect,
    /// The 追記欄 (not read).
    pub notes: Rect,
}

impl Layout {
    /// The crop of `field`.
    pub fn field(&self, field: Field) -> Rect {
        match field {
            Field::Birth => self.birth,
            Field::Expiry => self.expiry,
            Field::Code => self.code,
        }
    }
}

/// Text heights and origins the generator draws with (canonical pixels).
pub mod draw {
    /// Birth line: left x, baseline y, pixel size.
    pub const BIRTH: (u32, u32, u32) = (40, 232, 30);
    /// Expiry line.
    pub const EXPIRY: (u32, u32, u32) = (40, 470, 28);
    /// Security code (right-aligned end x, baseline, size).
    pub const CODE: (u32, u32, u32) = (826, 452, 30);
    /// 製造番号 before the code (its right end is left of the code crop; baseline, size).
    pub const SERIAL: (u32, u32, u32) = (0, 452, 18);
}

/// The approximate current-card layout (see the module note).
pub const CURRENT: Layout = Layout {
    birth: Rect {
        x: 28,
        y: 192,
        w: 360,
        h: 52,
    },
    expiry: Rect {
        x: 28,
        y: 432,
        w: 400,
        h: 50,
    },
    code: Rect {
        x: 738,
        y: 414,
        w: 100,
        h: 50,
    },
    notes: Rect {
        x: 28,
        y: 262,
        w: 500,
        h: 110,
    },
};
