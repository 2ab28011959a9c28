//! Reading 照合番号B from the printed card face (`reference/ocr-card-face.md`).
//!
//! The pure part lives here: the recognised text of the three fields (birth line,
//! expiry line, security code, each with a probability per character) is parsed
//! ([`parse`]), checked against the calendar and against each other
//! ([`check_frame`]), and a value is accepted only when two frames agree on all 14
//! digits ([`Vote`]). Anything doubtful is a typed [`CardFaceRefusal`]: the reader
//! then asks for the value to be typed or falls back to PIN/staff, because every
//! wrong 照合番号B sent to the chip spends one of its tries.
//!
//! Synthetic card faces for tests and `ocr-eval` are drawn by `crate::sim::cardgen`.
//!
//! Privacy: card-face values are not secret but are never logged; refusals carry
//! no digits, and the agreed keys are held in wiped buffers.

pub mod config;
pub mod geom;
pub mod layout;
pub mod locate;
pub mod marking;
mod masks;
pub mod parse;
pub mod quality;
mod read;
pub mod rec;

pub use config::{CardFaceConfig, CardFaceKind};
pub use read::{read_card_face, CardFaceReader, FrameTiming};
pub use rec::OcrError;

use crate::card::KenmenKey;
pub use crate::ground::civil::{Date, Era};
use parse::ParseError;
use std::fmt;
use zeroize::Zeroizing;

/// The three fields read from the card face.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Field {
    Birth,
    Expiry,
    Code,
}

impl Field {
    /// Every field, in reading order.
    pub const ALL: [Field; 3] = [Field::Birth, Field::Expiry, Field::Code];
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Field::Birth => "birth",
            Field::Expiry => "expiry",
            Field::Code => "security code",
        })
    }
}

/// One field as the recogniser read it: the text and, per character, the
/// (unrestricted softmax) probability of the chosen character. The text is wiped
/// on drop and hidden from `Debug`.
#[derive(Clone, Default, PartialEq)]
pub struct FieldText {
    pub text: Zeroizing<String>,
    pub probs: Vec<f32>,
}

impl FieldText {
    /// Text with per-character probabilities.
    pub fn new(text: &str, probs: Vec<f32>) -> FieldText {
        FieldText {
            text: Zeroizing::new(text.to_string()),
            probs,
        }
    }

    /// Text read with certainty (typed, or in tests).
    pub fn certain(text: &str) -> FieldText {
        FieldText::new(text, vec![1.0; text.chars().count()])
    }

    /// The lowest character probability (0 for an empty read).
    pub fn min_prob(&self) -> f32 {
        if self.probs.is_empty() {
            return 0.0;
        }
        self.probs.iter().copied().fold(f32::INFINITY, f32::min)
    }

    /// The lowest probability over the characters up to and including the first
    /// `end` character (the ones that carry the value; the tail after it — 生,
    /// まで有効 — is fixed text the parser checks by shape). Without `end` in the
    /// text: over every character.
    pub fn min_prob_through(&self, end: char) -> f32 {
        match self.text.chars().position(|c| c == end) {
            Some(i) if i < self.probs.len() => self.probs[..=i]
                .iter()
                .copied()
                .fold(f32::INFINITY, f32::min),
            _ => self.min_prob(),
        }
    }
}

impl fmt::Debug for FieldText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "FieldText({} chars hidden, min p {:.2})",
            self.text.chars().count(),
            self.min_prob()
        )
    }
}

/// The three fields of one frame.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FrameText {
    pub birth: FieldText,
    pub expiry: FieldText,
    pub code: FieldText,
}

impl FrameText {
    fn field(&self, field: Field) -> &FieldText {
        match field {
            Field::Birth => &self.birth,
            Field::Expiry => &self.expiry,
            Field::Code => &self.code,
        }
    }
}

/// Thresholds of the checks.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Policy {
    /// Every character of every field must reach this probability (reference: 0.5).
    pub confidence_floor: f32,
    /// The latest expiry accepted, in years after today (10).
    pub max_expiry_years: i32,
    /// The least gap between birth year and expiry year (5: the shortest validity).
    pub min_validity_years: i32,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            confidence_floor: 0.5,
            max_expiry_years: 10,
            min_validity_years: 5,
        }
    }
}

/// Why no 照合番号B is taken from the card face. None of these carries digits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CardFaceRefusal {
    /// No card rectangle found in the frame (ask to place the card flat).
    #[error("no card found in the frame")]
    NoCard,
    /// A field could not be read at all or has the wrong shape.
    #[error("{0} field unreadable")]
    Unreadable(Field),
    /// A character of a field is below the confidence floor.
    #[error("{0} field below the confidence floor")]
    LowConfidence(Field),
    /// Birth line in the Western calendar (foreign resident): type the value.
    #[error("birth date in the Western calendar (foreign resident card)")]
    WesternCalendar,
    /// A date that does not exist.
    #[error("{0} date does not exist")]
    ImpossibleDate(Field),
    /// A birth date outside the era it is written in.
    #[error("birth date outside its era")]
    OutsideEra,
    /// A birth date after today.
    #[error("birth date in the future")]
    BirthInFuture,
    /// Expiry before today or more than the policy's years after it.
    #[error("expiry outside today … today + 10 years")]
    ExpiryOutOfRange,
    /// Expiry month/day differ from the birth month/day.
    #[error("expiry month/day differ from the birthday")]
    MonthDayMismatch,
    /// Expiry less than the shortest validity after birth.
    #[error("expiry too soon after birth")]
    ValidityTooShort,
    /// The frames read so far do not agree on one value.
    #[error("no two frames agree")]
    NoAgreement,
    /// Today's date given to the reader is not a date.
    #[error("today is not a valid date")]
    BadToday,
    /// A reflection hides part of a field (ask to tilt the card).
    #[error("glare over a field")]
    Glare,
    /// The picture is too blurred to read (ask to hold still).
    #[error("frame too blurred")]
    Blurred,
}

impl From<ParseError> for CardFaceRefusal {
    fn from(e: ParseError) -> Self {
        match e {
            ParseError::Format(field) => CardFaceRefusal::Unreadable(field),
            ParseError::WesternCalendar => CardFaceRefusal::WesternCalendar,
            ParseError::Impossible(field) => CardFaceRefusal::ImpossibleDate(field),
            ParseError::OutsideEra => CardFaceRefusal::OutsideEra,
        }
    }
}

/// Whether the expiry's month/day fit the birthday. A 2/29 birthday in a common
/// expiry year may expire on 2/28 or 3/1 (the printed rule is not public).
fn birthday_matches(birth: Date, expiry: Date) -> bool {
    if (birth.month, birth.day) == (expiry.month, expiry.day) {
        return true;
    }
    let leap_birthday = (birth.month, birth.day) == (2, 29);
    leap_birthday
        && !crate::ground::civil::is_leap(expiry.year)
        && matches!((expiry.month, expiry.day), (2, 28) | (3, 1))
}

/// Parses and checks one frame's fields. Order: the Western-calendar refusal first
/// (it needs a person, not another frame), then confidence, then shape and dates.
pub fn check_frame(
    text: &FrameText,
    today: Date,
    policy: &Policy,
) -> Result<KenmenKey, CardFaceRefusal> {
    if parse::birth_line(&text.birth.text) == Err(ParseError::WesternCalendar) {
        return Err(CardFaceRefusal::WesternCalendar);
    }
    // Every character that carries the value must reach the floor: the whole code,
    // and the date lines through 日 (their fixed tails are checked by the parser).
    let value_prob = |f: Field| match f {
        Field::Birth | Field::Expiry => text.field(f).min_prob_through('日'),
        Field::Code => text.field(f).min_prob(),
    };
    if let Some(field) = Field::ALL
        .into_iter()
        .find(|&f| value_prob(f) < policy.confidence_floor)
    {
        return Err(CardFaceRefusal::LowConfidence(field));
    }
    let birth = parse::birth_line(&text.birth.text)?;
    let expiry = parse::expiry_line(&text.expiry.text)?;
    let code = Zeroizing::new(parse::security_code(&text.code.text)?);
    if birth > today {
        return Err(CardFaceRefusal::BirthInFuture);
    }
    if expiry < today || expiry.ymd() > today.plus_years(policy.max_expiry_years) {
        return Err(CardFaceRefusal::ExpiryOutOfRange);
    }
    if !birthday_matches(birth, expiry) {
        return Err(CardFaceRefusal::MonthDayMismatch);
    }
    if expiry.year - birth.year < policy.min_validity_years {
        return Err(CardFaceRefusal::ValidityTooShort);
    }
    let face = KenmenKey {
        birth: birth.yyyymmdd(),
        expiry: expiry.yyyymmdd(),
        security_code: code.to_string(),
    };
    // The same conversion the chip guard uses; a failure here is a bug in the
    // checks above, refused rather than sent.
    face.key_b()
        .map_err(|_| CardFaceRefusal::Unreadable(Field::Birth))?;
    Ok(face)
}

/// The two-frame agreement rule: feed each frame's [`check_frame`] result; a
/// value is accepted once two passing frames give the same 14 digits and no other
/// value has as many votes. Keys are held in wiped buffers.
#[derive(Default)]
pub struct Vote {
    /// (照合番号B, the face, votes).
    seen: Vec<(Zeroizing<Vec<u8>>, KenmenKey, u32)>,
    refusals: Vec<CardFaceRefusal>,
}

impl fmt::Debug for Vote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Vote")
            .field("values", &self.seen.len())
            .field("refusals", &self.refusals)
            .finish()
    }
}

impl Vote {
    /// An empty vote.
    pub fn new() -> Vote {
        Vote::default()
    }

    /// Adds one frame's result; returns the accepted face when the rule is met.
    pub fn push(&mut self, frame: Result<KenmenKey, CardFaceRefusal>) -> Option<KenmenKey> {
        let face = match frame {
            Ok(face) => face,
            Err(refusal) => {
                self.refusals.push(refusal);
                return None;
            }
        };
        let Ok(key) = face.key_b() else {
            self.refusals
                .push(CardFaceRefusal::Unreadable(Field::Birth));
            return None;
        };
        match self.seen.iter_mut().find(|(k, _, _)| *k == key) {
            Some(entry) => entry.2 += 1,
            None => self.seen.push((key, face, 1)),
        }
        self.accepted()
    }

    /// The accepted value, if any: ≥ 2 votes and strictly more than any other.
    pub fn accepted(&self) -> Option<KenmenKey> {
        let best = self.seen.iter().max_by_key(|(_, _, n)| *n)?;
        let ties = self.seen.iter().filter(|(_, _, n)| *n == best.2).count();
        (best.2 >= 2 && ties == 1).then(|| best.1.clone())
    }

    /// Why nothing was accepted: the most frequent frame refusal, or
    /// [`CardFaceRefusal::NoAgreement`] when frames passed but did not agree.
    pub fn refusal(&self) -> CardFaceRefusal {
        if !self.seen.is_empty() {
            return CardFaceRefusal::NoAgreement;
        }
        let mut best = (0, CardFaceRefusal::NoCard);
        for r in &self.refusals {
            let n = self.refusals.iter().filter(|x| *x == r).count();
            if n > best.0 {
                best = (n, *r);
            }
        }
        best.1
    }

    /// Whether any two passing frames disagreed (a sign of a misread).
    pub fn conflicting(&self) -> bool {
        self.seen.len() > 1
    }
}

/// Checks every frame's text and applies the two-frame agreement rule.
pub fn agree(
    frames: &[FrameText],
    today: (i32, u32, u32),
    policy: &Policy,
) -> Result<KenmenKey, CardFaceRefusal> {
    let today = Date::from_ymd(today).ok_or(CardFaceRefusal::BadToday)?;
    let mut vote = Vote::new();
    for frame in frames {
        if let Some(face) = vote.push(check_frame(frame, today, policy)) {
            return Ok(face);
        }
    }
    Err(vote.refusal())
}

#[cfg(test)]
mod tests;
