//! Parsers for the recognised card-face lines: the birth line
//! (`平成元年 3月31日生`), the expiry line (`2025年 3月31日まで有効`) and the
//! 4-digit security code. Input is the recogniser's text; full-width digits and
//! all spaces are normalised away first (the part of NFKC that matters here).

use super::Field;
use crate::ground::civil::{era_to_gregorian, Date, Era, EraDateError};

/// Why a line does not parse to a date the card can carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The text does not have the shape of the field.
    #[error("{0} line does not match its format")]
    Format(Field),
    /// A Western-calendar birth line (foreign residents): refused, never guessed,
    /// until the 照合番号B rule for these cards is confirmed.
    #[error("birth line in the Western calendar")]
    WesternCalendar,
    /// A day that does not exist.
    #[error("{0} date does not exist")]
    Impossible(Field),
    /// A birth date outside the era it is written in.
    #[error("birth date outside its era")]
    OutsideEra,
}

/// Full-width digits to ASCII, spaces (ASCII, ideographic) removed.
pub fn normalise(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            c => c,
        })
        .collect()
}

/// A run of 1..=max ASCII digits at the start of `s`: (value, rest).
fn digits(s: &str, max: usize) -> Option<(u32, &str)> {
    let n = s.bytes().take_while(u8::is_ascii_digit).count();
    if n == 0 || n > max {
        return None;
    }
    let (head, rest) = s.split_at(n);
    Some((head.parse().ok()?, rest))
}

/// `M月D日` at the start of `s`: (month, day, rest). Month and day are kept as read;
/// whether they exist is checked with the year.
fn month_day(s: &str, field: Field) -> Result<(u32, u32, &str), ParseError> {
    let bad = ParseError::Format(field);
    let (month, s) = digits(s, 2).ok_or(bad)?;
    let s = s.strip_prefix('月').ok_or(bad)?;
    let (day, s) = digits(s, 2).ok_or(bad)?;
    let s = s.strip_prefix('日').ok_or(bad)?;
    Ok((month, day, s))
}

/// The birth line: era, year (`元` or 1–2 digits), 年, month, 月, day, 日, and an
/// optional 生. A line that starts with a 4-digit year is the Western calendar.
pub fn birth_line(text: &str) -> Result<Date, ParseError> {
    let s = normalise(text);
    let bad = ParseError::Format(Field::Birth);
    if let Some((_, rest)) = digits(&s, 4) {
        if s.len() - rest.len() == 4 && rest.starts_with('年') {
            return Err(ParseError::WesternCalendar);
        }
    }
    let era_name: String = s.chars().take(2).collect();
    let era = Era::from_name(&era_name).ok_or(bad)?;
    let s = &s[era_name.len()..];
    let (year, s) = match s.strip_prefix('元') {
        Some(rest) => (1, rest),
        None => digits(s, 2).ok_or(bad)?,
    };
    let s = s.strip_prefix('年').ok_or(bad)?;
    let (month, day, s) = month_day(s, Field::Birth)?;
    if !(s.is_empty() || s == "生") {
        return Err(bad);
    }
    era_to_gregorian(era, year, month, day).map_err(|e| match e {
        EraDateError::Impossible => ParseError::Impossible(Field::Birth),
        EraDateError::OutsideEra => ParseError::OutsideEra,
    })
}

/// The expiry line: 4-digit year, 年, month, 月, day, 日, and optionally まで有効
/// (or its first characters, when the crop cuts the line's end).
pub fn expiry_line(text: &str) -> Result<Date, ParseError> {
    let s = normalise(text);
    let bad = ParseError::Format(Field::Expiry);
    let (year, rest) = digits(&s, 4).ok_or(bad)?;
    if s.len() - rest.len() != 4 {
        return Err(bad);
    }
    let s = rest.strip_prefix('年').ok_or(bad)?;
    let (month, day, s) = month_day(s, Field::Expiry)?;
    // The tail carries no value: it may be cut by the crop edge, so any leading
    // part of まで有効 is accepted, and nothing else.
    if !"まで有効".starts_with(s) {
        return Err(bad);
    }
    Date::new(year as i32, month, day).ok_or(ParseError::Impossible(Field::Expiry))
}

/// The security code: exactly 4 ASCII digits after normalisation.
pub fn security_code(text: &str) -> Result<String, ParseError> {
    let s = normalise(text);
    if s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit()) {
        Ok(s)
    } else {
        Err(ParseError::Format(Field::Code))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(year: i32, month: u32, day: u32) -> Date {
        Date::new(year, month, day).unwrap()
    }

    #[test]
    fn birth_lines_as_printed() {
        assert_eq!(birth_line("平成元年 3月31日生"), Ok(d(1989, 3, 31)));
        assert_eq!(birth_line("昭和55年 2月17日生"), Ok(d(1980, 2, 17)));
        assert_eq!(birth_line("令和 元年12月 1日生"), Ok(d(2019, 12, 1)));
        assert_eq!(birth_line("昭和５５年２月１７日生"), Ok(d(1980, 2, 17)));
        assert_eq!(birth_line("大正15年12月24日"), Ok(d(1926, 12, 24)));
        assert_eq!(birth_line("明治45年7月29日生"), Ok(d(1912, 7, 29)));
        assert_eq!(birth_line("平成1年1月8日生"), Ok(d(1989, 1, 8)));
    }

    #[test]
    fn birth_lines_refused() {
        let fmt = Err(ParseError::Format(Field::Birth));
        assert_eq!(
            birth_line("1980年 2月17日生"),
            Err(ParseError::WesternCalendar)
        );
        assert_eq!(birth_line("合和元年5月1日生"), fmt);
        assert_eq!(birth_line("昭和55年2月17日生まれ"), fmt);
        assert_eq!(birth_line("昭和555年2月17日生"), fmt);
        assert_eq!(birth_line("昭和年2月17日生"), fmt);
        assert_eq!(birth_line("昭和55年2月17生"), fmt);
        assert_eq!(birth_line(""), fmt);
        assert_eq!(birth_line("平成"), fmt);
        assert_eq!(
            birth_line("昭和55年2月30日生"),
            Err(ParseError::Impossible(Field::Birth))
        );
        assert_eq!(
            birth_line("昭和55年13月1日生"),
            Err(ParseError::Impossible(Field::Birth))
        );
        assert_eq!(
            birth_line("令和0年5月1日生"),
            Err(ParseError::Impossible(Field::Birth))
        );
        assert_eq!(birth_line("平成元年1月7日生"), Err(ParseError::OutsideEra));
        assert_eq!(birth_line("昭和64年1月8日生"), Err(ParseError::OutsideEra));
        assert_eq!(birth_line("令和元年4月30日生"), Err(ParseError::OutsideEra));
        assert_eq!(birth_line("平成31年5月1日生"), Err(ParseError::OutsideEra));
        assert_eq!(
            birth_line("昭和元年12月24日生"),
            Err(ParseError::OutsideEra)
        );
        assert_eq!(birth_line("大正元年7月29日生"), Err(ParseError::OutsideEra));
    }

    #[test]
    fn expiry_lines() {
        assert_eq!(expiry_line("2025年 3月31日まで有効"), Ok(d(2025, 3, 31)));
        assert_eq!(expiry_line("2035年2月17日"), Ok(d(2035, 2, 17)));
        let fmt = Err(ParseError::Format(Field::Expiry));
        assert_eq!(expiry_line("25年3月31日まで有効"), fmt);
        assert_eq!(expiry_line("20251年3月31日まで有効"), fmt);
        assert_eq!(expiry_line("2025年3月31日まで無効"), fmt);
        assert_eq!(expiry_line("令和7年3月31日まで有効"), fmt);
        assert_eq!(
            expiry_line("2025年2月29日まで有効"),
            Err(ParseError::Impossible(Field::Expiry))
        );
    }

    #[test]
    fn codes() {
        assert_eq!(security_code("0123").as_deref(), Ok("0123"));
        assert_eq!(security_code(" 01 23").as_deref(), Ok("0123"));
        assert_eq!(security_code("０１２３").as_deref(), Ok("0123"));
        assert!(security_code("012").is_err());
        assert!(security_code("01234").is_err());
        assert!(security_code("01a3").is_err());
    }
}
