//! Line breaking: Japanese text may break between any two characters except where
//! kinsoku shori forbids it (no line starts with 。、」）ー or a small kana; no line
//! ends with 「（); Latin text breaks at spaces, and a word too long for a line is
//! split as a last resort.
//!
//! Among the allowed breaks, phrase boundaries are preferred — after punctuation,
//! before an opening bracket, and where hiragana (particles, okurigana) meets a
//! kanji, katakana or Latin word — as long as the line stays at least half full, so
//! that 「置いてください」 is not split into 「置いてくだ／さい」.

use super::font::{Fonts, Weight};

/// Characters that must not start a line (行頭禁則).
const NO_LINE_START: &str = "、。，．・：；？！ー―‐～…‥」』）］｝〕〉》】〙〗'\"”’),.:;?!%ゃゅょぁぃぅぇぉっゎゕゖャュョァィゥェォッヮヵヶㇰㇱㇲㇳㇴㇵㇶㇷㇸㇹㇺㇻㇼㇽㇾㇿ々ゝゞヽヾ";
/// Characters that must not end a line (行末禁則).
const NO_LINE_END: &str = "「『（［｛〔〈《【〘〖“‘(";

/// True if no line may begin with `c`.
pub fn no_line_start(c: char) -> bool {
    NO_LINE_START.contains(c)
}

/// True if no line may end with `c`.
pub fn no_line_end(c: char) -> bool {
    NO_LINE_END.contains(c)
}

/// Wide (CJK) characters allow a break on either side.
fn is_wide(c: char) -> bool {
    matches!(c as u32,
        0x2E80..=0x9FFF | 0xAC00..=0xD7AF | 0xF900..=0xFAFF | 0xFF00..=0xFFEF)
}

/// May a line break fall between `a` and `b`?
fn can_break_between(a: char, b: char) -> bool {
    if no_line_start(b) || no_line_end(a) {
        return false;
    }
    a == ' ' || (is_wide(a) || is_wide(b)) && b != ' '
}

fn is_hiragana(c: char) -> bool {
    ('\u{3041}'..='\u{309F}').contains(&c)
}

/// A break between `a` and `b` that falls on a phrase boundary.
fn is_phrase_break(a: char, b: char) -> bool {
    "、。，．！？」』）".contains(a)
        || "「『（".contains(b)
        || (is_hiragana(a) && !is_hiragana(b) && !no_line_start(b) && b != ' ')
}

/// Breaks `text` into lines no wider than `max_width` at `px`. Explicit `\n` always
/// breaks. Spaces at a break are dropped.
pub fn break_lines(
    fonts: &Fonts,
    text: &str,
    px: u32,
    weight: Weight,
    max_width: f32,
) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        break_paragraph(fonts, paragraph, px, weight, max_width, &mut lines);
    }
    lines
}

fn break_paragraph(
    fonts: &Fonts,
    text: &str,
    px: u32,
    weight: Weight,
    max_width: f32,
    lines: &mut Vec<String>,
) {
    let chars: Vec<char> = text.chars().collect();
    let mut start = 0;
    while start < chars.len() {
        let end = line_end(fonts, &chars[start..], px, weight, max_width) + start;
        let line: String = chars[start..end].iter().collect();
        lines.push(line.trim_end().to_string());
        start = end;
        while chars.get(start) == Some(&' ') {
            start += 1;
        }
    }
    if chars.is_empty() {
        lines.push(String::new());
    }
}

/// How many chars of `chars` go on the next line (at least one).
fn line_end(fonts: &Fonts, chars: &[char], px: u32, weight: Weight, max_width: f32) -> usize {
    let mut width = 0.0;
    let mut last_break = None;
    let mut last_phrase = None;
    for (i, &c) in chars.iter().enumerate() {
        if i > 0 && can_break_between(chars[i - 1], c) {
            last_break = Some(i);
            if is_phrase_break(chars[i - 1], c) && width >= max_width / 2.0 {
                last_phrase = Some(i);
            }
        }
        width += fonts.advance(c, px, weight);
        if width > max_width && c != ' ' {
            return match (last_phrase, last_break) {
                (Some(p), _) => p,
                (None, Some(b)) => b,
                (None, None) => forced_break(chars, i),
            };
        }
    }
    chars.len()
}

/// A break inside an unbreakable run: still keep kinsoku where possible.
fn forced_break(chars: &[char], overflow_at: usize) -> usize {
    let mut i = overflow_at.max(1);
    while i > 1 && no_line_start(chars[i]) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::OnceLock;

    fn fonts() -> &'static Fonts {
        static FONTS: OnceLock<Fonts> = OnceLock::new();
        FONTS.get_or_init(|| Fonts::load(None).expect("embedded fonts"))
    }

    fn em(n: f32) -> f32 {
        n * 28.0
    }

    #[test]
    fn japanese_never_starts_a_line_with_closing_punctuation_or_small_kana() {
        let text = "カードを置いてください。「暗証番号」を押してください、ちょっと待ってください。";
        for width in 3..20 {
            let lines = break_lines(fonts(), text, 28, Weight::Regular, em(width as f32));
            assert_eq!(lines.concat(), text, "no character lost at width {width}");
            for line in &lines[1..] {
                let first = line.chars().next().unwrap();
                assert!(
                    !no_line_start(first),
                    "line {line:?} starts with {first:?} (width {width})"
                );
            }
            for line in &lines {
                let last = line.chars().last().unwrap();
                assert!(
                    !no_line_end(last),
                    "line {line:?} ends with {last:?} (width {width})"
                );
            }
        }
    }

    #[test]
    fn japanese_prefers_phrase_boundaries() {
        let text = "顔写真のある面を上にして、カードを読み取り部に置いてください。";
        let lines = break_lines(fonts(), text, 28, Weight::Regular, em(26.0));
        assert_eq!(
            lines,
            [
                "顔写真のある面を上にして、カードを読み取り部に",
                "置いてください。"
            ]
        );
    }

    #[test]
    fn english_breaks_at_spaces() {
        let text = "Please place your My Number Card on the reader.";
        let lines = break_lines(fonts(), text, 28, Weight::Regular, 300.0);
        assert!(lines.len() > 1);
        let words: Vec<&str> = text.split(' ').collect();
        for line in &lines {
            for word in line.split(' ') {
                assert!(words.contains(&word), "{word:?} was split");
            }
            assert!(fonts().width(line, 28, Weight::Regular) <= 300.0);
        }
        assert_eq!(lines.join(" "), text);
    }

    #[test]
    fn explicit_newlines_break_and_too_long_words_are_split() {
        let lines = break_lines(fonts(), "ab\ncd", 28, Weight::Regular, 1000.0);
        assert_eq!(lines, ["ab", "cd"]);
        let long = "x".repeat(100);
        let lines = break_lines(fonts(), &long, 28, Weight::Regular, 200.0);
        assert!(lines.len() > 1);
        assert_eq!(lines.concat(), long);
    }
}
