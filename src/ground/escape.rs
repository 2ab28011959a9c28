//! Text that comes from outside the terminal (a card, a reader driver, the PC) is
//! put into a log line only through [`Escaped`]: control characters (newlines, ANSI
//! escapes, NUL), Unicode direction overrides and the backslash are written as
//! `\u{…}` escapes, and the text is cut at [`Escaped::MAX_CHARS`], so one field can
//! neither forge another log line nor hide or flood the journal.

use std::fmt;

/// A string shown escaped (`%Escaped(&s)` in a tracing field).
#[derive(Clone, Copy)]
pub struct Escaped<'a>(pub &'a str);

impl Escaped<'_> {
    /// At most this many characters are shown; the rest is replaced by `…(N more)`.
    pub const MAX_CHARS: usize = 128;
}

/// Characters a log line must not carry as they are.
fn unsafe_char(c: char) -> bool {
    c.is_control()
        || c == '\\'
        || matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (shown, c) in self.0.chars().enumerate() {
            if shown == Self::MAX_CHARS {
                let rest = self.0.chars().count() - shown;
                return write!(f, "…({rest} more)");
            }
            if unsafe_char(c) {
                write!(f, "\\u{{{:x}}}", u32::from(c))?;
            } else {
                write!(f, "{c}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Debug for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{self}\"")
    }
}

/// Bytes from a card shown as text: UTF-8 where valid (escaped), `\u{fffd}` elsewhere.
pub fn escaped_bytes(bytes: &[u8]) -> String {
    Escaped(&String::from_utf8_lossy(bytes)).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_breaks_and_terminal_escapes_are_escaped() {
        let hostile = "JPKI\n<3>kaonin: forged line\r\x1b[2J\0\\";
        let shown = Escaped(hostile).to_string();
        assert!(!shown.contains('\n') && !shown.contains('\r') && !shown.contains('\x1b'));
        assert_eq!(
            shown,
            "JPKI\\u{a}<3>kaonin: forged line\\u{d}\\u{1b}[2J\\u{0}\\u{5c}"
        );
    }

    #[test]
    fn direction_overrides_are_escaped_and_japanese_is_kept() {
        assert_eq!(Escaped("試験\u{202E}abc").to_string(), "試験\\u{202e}abc");
        assert_eq!(
            Escaped("Virtual PCD 00 00").to_string(),
            "Virtual PCD 00 00"
        );
    }

    #[test]
    fn long_text_is_cut() {
        let long = "a".repeat(Escaped::MAX_CHARS + 10);
        let shown = Escaped(&long).to_string();
        assert!(shown.ends_with("…(10 more)"), "{shown}");
        assert_eq!(escaped_bytes(b"ok\xff\n"), "ok\u{fffd}\\u{a}");
    }
}
