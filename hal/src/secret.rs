//! Short secrets typed by people: PIN digits and staff passcodes.
//!
//! A [`Digits`] value is zeroized when dropped and never prints its content: `Debug`
//! shows only how many digits it holds. It is the one type through which a PIN moves
//! from the input driver to the VERIFY APDU.

use core::fmt;
use zeroize::Zeroizing;

/// A string of ASCII digits that is wiped from memory on drop.
#[derive(Clone, PartialEq, Eq)]
pub struct Digits(Zeroizing<String>);

/// Why a string is not acceptable as [`Digits`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DigitsError {
    /// A character other than `0`–`9` was present.
    #[error("only the digits 0-9 are allowed")]
    NotDigits,
    /// The number of digits is not the one required.
    #[error("expected {expected} digits, got {got}")]
    Length { expected: usize, got: usize },
}

impl Digits {
    /// Takes `text` if it is exactly `len` ASCII digits. The caller's copy is not
    /// wiped by this function; pass a `Zeroizing` string where it matters.
    pub fn parse(text: &str, len: usize) -> Result<Self, DigitsError> {
        if !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(DigitsError::NotDigits);
        }
        if text.len() != len {
            return Err(DigitsError::Length {
                expected: len,
                got: text.len(),
            });
        }
        Ok(Self(Zeroizing::new(text.to_owned())))
    }

    /// The digits as ASCII bytes, for the VERIFY APDU or a hash.
    pub fn expose(&self) -> &[u8] {
        self.0.as_bytes()
    }

    /// Number of digits.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True if no digits are held.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Digits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digits({} hidden)", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_digits() {
        let d = Digits::parse("1234", 4).unwrap();
        let shown = format!("{d:?}");
        assert!(!shown.contains("1234"));
        assert_eq!(shown, "Digits(4 hidden)");
    }

    #[test]
    fn rejects_wrong_input() {
        assert_eq!(Digits::parse("12a4", 4), Err(DigitsError::NotDigits));
        assert_eq!(
            Digits::parse("123", 4),
            Err(DigitsError::Length {
                expected: 4,
                got: 3
            })
        );
    }
}
