//! Line breaking: Japanese text may break between any two characters except where
//! kinsoku shori forbids it (no line starts with 。、」）ー or a small kana; no line
//! ends with 「（); Latin text breaks at spaces, and a word too long for a line is
//! split as a last resort.

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
    for (i, &c) in chars.iter().enumerate() {
        if i > 0 && can_break_between(chars[i - 1], c) {
            last_break = Some(i);
        }
        width += fonts.advance(c, px, weight);
        if width > max_width && c != ' ' {
            return match last_break {
                Some(b) => b,
                None => forced_break(chars, i),
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
