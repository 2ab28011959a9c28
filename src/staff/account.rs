//! Staff account names: what a name may be (printable, at most 32 bytes) and the
//! store's bound on how many accounts it holds.

/// Longest account name, bytes of UTF-8.
pub const MAX_ACCOUNT_BYTES: usize = 32;
/// Most accounts the store holds.
pub const MAX_ACCOUNTS: usize = 64;
/// Longest name a store file may hold: names of stores written before the 32-byte
/// bound (up to 64 ASCII characters) still load, and still verify.
pub(super) const MAX_STORED_BYTES: usize = 64;

/// Why a string is not an account name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountError {
    /// Empty.
    #[error("an account name cannot be empty")]
    Empty,
    /// Longer than [`MAX_ACCOUNT_BYTES`].
    #[error("an account name is at most {MAX_ACCOUNT_BYTES} bytes (this one has {0})")]
    TooLong(usize),
    /// A character that does not print (control, format, or another invisible one).
    #[error("an account name may hold only printable characters (character {0} is not)")]
    NotPrintable(usize),
    /// Begins or ends with a space.
    #[error("an account name cannot begin or end with a space")]
    EdgeSpace,
}

/// Checks a name for a new passcode.
pub fn validate(name: &str) -> Result<(), AccountError> {
    validate_up_to(name, MAX_ACCOUNT_BYTES)
}

pub(super) fn validate_up_to(name: &str, max: usize) -> Result<(), AccountError> {
    if name.is_empty() {
        return Err(AccountError::Empty);
    }
    if name.len() > max {
        return Err(AccountError::TooLong(name.len()));
    }
    if let Some(at) = name.chars().position(|c| !printable(c)) {
        return Err(AccountError::NotPrintable(at + 1));
    }
    if name.starts_with(' ') || name.ends_with(' ') {
        return Err(AccountError::EdgeSpace);
    }
    Ok(())
}

/// ASCII letters, digits, punctuation and the space; beyond ASCII, letters and
/// digits (kanji, kana, …) only: no controls, no bidi or other format characters,
/// no invisible spaces, so a name shows in a log or on a screen as what it is.
fn printable(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_graphic() || c == ' '
    } else {
        c.is_alphanumeric()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_printable_and_bounded() {
        for good in ["staff-01", "a", "受付 山田", "Dr. Sato", &"x".repeat(32)] {
            assert_eq!(validate(good), Ok(()), "{good}");
        }
        assert_eq!(validate(""), Err(AccountError::Empty));
        assert_eq!(validate(&"x".repeat(33)), Err(AccountError::TooLong(33)));
        // 11 kanji are 33 bytes.
        assert_eq!(validate(&"山".repeat(11)), Err(AccountError::TooLong(33)));
        assert_eq!(validate("a\nb"), Err(AccountError::NotPrintable(2)));
        assert_eq!(validate("a\u{1b}[31m"), Err(AccountError::NotPrintable(2)));
        assert_eq!(validate("ab\u{202e}c"), Err(AccountError::NotPrintable(3)));
        assert_eq!(validate("a\u{3000}b"), Err(AccountError::NotPrintable(2)));
        assert_eq!(validate("a\tb"), Err(AccountError::NotPrintable(2)));
        assert_eq!(validate(" a"), Err(AccountError::EdgeSpace));
        assert_eq!(validate("a "), Err(AccountError::EdgeSpace));
    }

    #[test]
    fn the_errors_say_what_is_wrong() {
        assert_eq!(
            validate(&"x".repeat(40)).unwrap_err().to_string(),
            "an account name is at most 32 bytes (this one has 40)"
        );
        assert!(validate("a\u{7}")
            .unwrap_err()
            .to_string()
            .contains("character 2"));
    }
}
