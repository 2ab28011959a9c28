//! Short secrets typed by people: PIN digits and staff passcodes.
//!
//! A [`Digits`] value is zeroized when dropped and never prints its content: `Debug`
//! shows only how many digits it holds. It is the one type through which a PIN moves
//! from the input driver to the VERIFY APDU.
//!
//! The digits live in a buffer of their own, aligned to and as large as a memory
//! page (16 KiB, which covers 4 KiB and 16 KiB pages), locked in RAM with `mlock`
//! where the platform allows, so they are never written to swap; unlocked after
//! they are wiped. Best effort: a refusal (no `CAP_IPC_LOCK` and the
//! `RLIMIT_MEMLOCK` used up) leaves the digits working, only swappable
//! ([`Digits::memory_locked`] tells).

use core::fmt;
use zeroize::Zeroize;

/// Size and alignment of the buffer that holds one [`Digits`].
const PAGE: usize = 16 * 1024;
/// Most digits a [`Digits`] holds.
pub const MAX_DIGITS: usize = 64;

#[repr(C, align(16384))]
struct Page([u8; PAGE]);

/// A string of ASCII digits that is wiped from memory on drop.
pub struct Digits {
    page: Box<Page>,
    len: usize,
    locked: bool,
}

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
    /// Takes `text` if it is exactly `len` ASCII digits (at most [`MAX_DIGITS`]).
    /// The caller's copy is not wiped by this function; pass a `Zeroizing` string
    /// where it matters.
    pub fn parse(text: &str, len: usize) -> Result<Self, DigitsError> {
        if !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(DigitsError::NotDigits);
        }
        if text.len() != len || len > MAX_DIGITS {
            return Err(DigitsError::Length {
                expected: len,
                got: text.len(),
            });
        }
        Ok(Self::from_bytes(text.as_bytes()))
    }

    fn from_bytes(bytes: &[u8]) -> Self {
        let mut page = Box::new(Page([0; PAGE]));
        let locked = lock::lock(&page.0);
        page.0[..bytes.len()].copy_from_slice(bytes);
        Digits {
            page,
            len: bytes.len(),
            locked,
        }
    }

    /// The digits as ASCII bytes, for the VERIFY APDU or a hash.
    pub fn expose(&self) -> &[u8] {
        &self.page.0[..self.len]
    }

    /// Number of digits.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True if no digits are held.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether the digits' memory is locked in RAM (never swapped).
    pub fn memory_locked(&self) -> bool {
        self.locked
    }
}

impl Clone for Digits {
    fn clone(&self) -> Self {
        Self::from_bytes(self.expose())
    }
}

impl PartialEq for Digits {
    fn eq(&self, other: &Self) -> bool {
        self.expose() == other.expose()
    }
}

impl Eq for Digits {}

impl Drop for Digits {
    fn drop(&mut self) {
        self.page.0.zeroize();
        if self.locked {
            lock::unlock(&self.page.0);
        }
    }
}

/// mlock / munlock of a page this module owns.
#[allow(unsafe_code)]
mod lock {
    /// Locks `page` in RAM; false if the system refuses.
    pub(super) fn lock(page: &[u8]) -> bool {
        // SAFETY: the range is one live allocation of ours; mlock reads no memory,
        // it only pins the pages that hold it.
        unsafe { libc::mlock(page.as_ptr().cast(), page.len()) == 0 }
    }

    /// Unlocks `page` (already wiped).
    pub(super) fn unlock(page: &[u8]) {
        // SAFETY: as for `lock`; the range is still allocated.
        unsafe {
            libc::munlock(page.as_ptr().cast(), page.len());
        }
    }
}

impl fmt::Debug for Digits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digits({} hidden)", self.len)
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
    fn the_digits_sit_in_a_page_of_their_own_locked_when_allowed() {
        let d = Digits::parse("1234", 4).unwrap();
        let addr = d.expose().as_ptr() as usize;
        assert_eq!(addr % PAGE, 0, "page-aligned");
        assert_eq!(d.expose(), b"1234");
        let e = d.clone();
        assert_eq!(d, e);
        assert_ne!(e.expose().as_ptr(), d.expose().as_ptr());
        // As root (the tests here) or within RLIMIT_MEMLOCK (8 MiB by default on
        // Linux), mlock succeeds: the page is pinned.
        assert!(d.memory_locked() && e.memory_locked());
    }

    #[test]
    fn too_many_digits_are_refused() {
        let long = "1".repeat(MAX_DIGITS + 1);
        assert!(Digits::parse(&long, MAX_DIGITS + 1).is_err());
        assert!(Digits::parse(&"1".repeat(MAX_DIGITS), MAX_DIGITS).is_ok());
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
