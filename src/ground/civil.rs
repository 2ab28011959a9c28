//! Civil dates without a calendar crate: the system clock in Unix seconds, the
//! Unix day number ↔ proleptic Gregorian date (Howard Hinnant's algorithms), UTC
//! timestamps in RFC 3339, and the Japanese eras (明治 … 令和) with era ↔ Gregorian
//! conversion from one table ([`ERAS`]).
//!
//! Used for the link's and the audit log's timestamps, certificate validity, the
//! Japan date the card-face checks compare with, and the era birth date in
//! 照合番号B.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

// ---- the clock and day numbers ------------------------------------------------

/// Seconds since the Unix epoch, now (0 if the clock is before 1970).
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// (year, month 1..=12, day 1..=31) of day `days` counted from 1970-01-01
/// (negative before it).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    // Over 400-year cycles of 146 097 days, years starting in March.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (negative before it); the
/// inverse of [`civil_from_days`].
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = year - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

// ---- UTC timestamps -----------------------------------------------------------

/// The current time as RFC 3339 UTC.
pub fn now_rfc3339() -> String {
    rfc3339(unix_now())
}

/// `secs` since the Unix epoch as RFC 3339 UTC with second precision, e.g.
/// `1970-01-01T00:00:00Z`.
pub fn rfc3339(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

// ---- Gregorian dates ----------------------------------------------------------

/// A Gregorian calendar date. Ordering is chronological.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

impl fmt::Debug for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl Date {
    /// A date that exists in the Gregorian calendar, or `None` (month 13, 2/30,
    /// 2/29 in a common year, day 0, …).
    pub fn new(year: i32, month: u32, day: u32) -> Option<Date> {
        let ok = (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month);
        ok.then_some(Date { year, month, day })
    }

    /// From a `(year, month, day)` tuple, e.g. today's date.
    pub fn from_ymd((year, month, day): (i32, u32, u32)) -> Option<Date> {
        Date::new(year, month, day)
    }

    /// `YYYYMMDD`, the form the card's face data (`card::KenmenKey`) holds.
    pub fn yyyymmdd(self) -> String {
        format!("{:04}{:02}{:02}", self.year, self.month, self.day)
    }

    /// The same month and day `years` later, as a tuple for comparisons (it may be a
    /// 2/29 that does not exist; tuple order still places it correctly).
    pub fn plus_years(self, years: i32) -> (i32, u32, u32) {
        (self.year + years, self.month, self.day)
    }

    /// Today in Japan (UTC+9, no daylight saving), from the system clock.
    pub fn today_jst() -> Date {
        let secs = unix_now();
        Date::from_days_since_epoch(((secs + 9 * 3600) / 86_400) as i64)
    }

    /// The date `days` after 1970-01-01 (proleptic Gregorian).
    pub fn from_days_since_epoch(days: i64) -> Date {
        let (year, month, day) = civil_from_days(days);
        Date {
            year: year as i32,
            month,
            day,
        }
    }

    /// As a comparable tuple.
    pub fn ymd(self) -> (i32, u32, u32) {
        (self.year, self.month, self.day)
    }

    /// The day before.
    fn pred(self) -> Date {
        Date::from_days_since_epoch(days_from_civil(i64::from(self.year), self.month, self.day) - 1)
    }
}

/// Gregorian leap year.
pub fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Days in `month` of `year` (0 for a month that does not exist).
pub fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

// ---- Japanese eras ------------------------------------------------------------

/// The Japanese eras printed on the current card's birth line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Era {
    Meiji,
    Taisho,
    Showa,
    Heisei,
    Reiwa,
}

/// The one era table, oldest first: each era's two kanji and first day
/// (Gregorian). An era ends the day before the next one starts. 明治 starts on
/// 1868-10-23 (the proclamation); dates before 1873 were lunar, which cannot
/// matter for a living holder.
pub const ERAS: [(Era, &str, (i32, u32, u32)); 5] = [
    (Era::Meiji, "明治", (1868, 10, 23)),
    (Era::Taisho, "大正", (1912, 7, 30)),
    (Era::Showa, "昭和", (1926, 12, 25)),
    (Era::Heisei, "平成", (1989, 1, 8)),
    (Era::Reiwa, "令和", (2019, 5, 1)),
];

impl Era {
    /// Every era, oldest first.
    pub const ALL: [Era; 5] = [Era::Meiji, Era::Taisho, Era::Showa, Era::Heisei, Era::Reiwa];

    /// This era's row in [`ERAS`] (the enum is in table order).
    fn index(self) -> usize {
        self as usize
    }

    /// The two kanji printed on the card.
    pub fn name(self) -> &'static str {
        ERAS[self.index()].1
    }

    /// The era whose name is `name`.
    pub fn from_name(name: &str) -> Option<Era> {
        ERAS.iter().find(|e| e.1 == name).map(|e| e.0)
    }

    /// First day (Gregorian).
    pub fn first_day(self) -> Date {
        let (year, month, day) = ERAS[self.index()].2;
        Date { year, month, day }
    }

    /// Last day, `None` for the current era.
    pub fn last_day(self) -> Option<Date> {
        let (_, _, (year, month, day)) = *ERAS.get(self.index() + 1)?;
        Some(Date { year, month, day }.pred())
    }

    /// Whether `date` falls within this era.
    pub fn contains(self, date: Date) -> bool {
        date >= self.first_day() && self.last_day().map_or(true, |last| date <= last)
    }

    /// The era that `date` falls in, if any.
    pub fn of(date: Date) -> Option<Era> {
        Era::of_ymd(date.ymd())
    }

    /// The era a `(year, month, day)` falls in by first days alone (the day need
    /// not exist in the calendar); `None` before 明治.
    pub fn of_ymd(ymd: (i32, u32, u32)) -> Option<Era> {
        ERAS.iter().rev().find(|e| ymd >= e.2).map(|e| e.0)
    }
}

/// Why an era date cannot be converted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EraDateError {
    /// No such day in the calendar (2/30, month 13, era year 0, …).
    #[error("the date does not exist")]
    Impossible,
    /// The day exists but not in that era (e.g. 平成元年1月7日, 昭和65年).
    #[error("the date is outside its era")]
    OutsideEra,
}

/// An era date (`era_year` 1 = 元年) as a Gregorian date.
pub fn era_to_gregorian(
    era: Era,
    era_year: u32,
    month: u32,
    day: u32,
) -> Result<Date, EraDateError> {
    if era_year == 0 || era_year > 99 {
        return Err(EraDateError::Impossible);
    }
    let year = era.first_day().year + era_year as i32 - 1;
    let date = Date::new(year, month, day).ok_or(EraDateError::Impossible)?;
    if era.contains(date) {
        Ok(date)
    } else {
        Err(EraDateError::OutsideEra)
    }
}

/// A Gregorian date as (era, era year); `None` before 明治.
pub fn gregorian_to_era(date: Date) -> Option<(Era, u32)> {
    let era = Era::of(date)?;
    Some((era, (date.year - era.first_day().year + 1) as u32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_days() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(-25_567), (1900, 1, 1));
        assert_eq!(civil_from_days(47_482), (2100, 1, 1));
    }

    #[test]
    fn civil_days() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(2026, 11, 25), 20_782);
        for days in [-25_567, -1, 0, 11_016, 20_782, 47_482] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn known_instants() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339(1_709_251_199), "2024-02-29T23:59:59Z");
        assert_eq!(rfc3339(4_102_444_800), "2100-01-01T00:00:00Z");
    }

    #[test]
    fn now_has_the_right_shape() {
        let t = now_rfc3339();
        assert_eq!(t.len(), 20);
        assert!(t.ends_with('Z'));
        assert_eq!(&t[10..11], "T");
    }

    fn d(year: i32, month: u32, day: u32) -> Date {
        Date::new(year, month, day).unwrap()
    }

    #[test]
    fn impossible_gregorian_dates() {
        assert!(Date::new(2023, 2, 29).is_none());
        assert!(Date::new(2024, 2, 29).is_some());
        assert!(Date::new(1900, 2, 29).is_none());
        assert!(Date::new(2000, 2, 29).is_some());
        assert!(Date::new(2024, 4, 31).is_none());
        assert!(Date::new(2024, 13, 1).is_none());
        assert!(Date::new(2024, 0, 1).is_none());
        assert!(Date::new(2024, 1, 0).is_none());
        assert!(Date::new(2024, 12, 31).is_some());
    }

    /// (era, previous era, its last year, first day, day before).
    type Boundary = (Era, Era, u32, (i32, u32, u32), (i32, u32, u32));
    const BOUNDARIES: [Boundary; 4] = [
        (Era::Taisho, Era::Meiji, 45, (1912, 7, 30), (1912, 7, 29)),
        (Era::Showa, Era::Taisho, 15, (1926, 12, 25), (1926, 12, 24)),
        (Era::Heisei, Era::Showa, 64, (1989, 1, 8), (1989, 1, 7)),
        (Era::Reiwa, Era::Heisei, 31, (2019, 5, 1), (2019, 4, 30)),
    ];

    #[test]
    fn every_era_boundary_day_before_and_first_day() {
        for (era, prev, prev_year, (y, m, dd), before) in BOUNDARIES {
            let first = d(y, m, dd);
            assert_eq!(era.first_day(), first);
            assert_eq!(gregorian_to_era(first), Some((era, 1)), "{era:?}");
            assert_eq!(era_to_gregorian(era, 1, m, dd), Ok(first));
            let before = Date::from_ymd(before).unwrap();
            assert_eq!(prev.last_day(), Some(before));
            assert_eq!(
                gregorian_to_era(before),
                Some((prev, prev_year)),
                "{prev:?}"
            );
            assert_eq!(
                era_to_gregorian(prev, prev_year, before.month, before.day),
                Ok(before)
            );
            // The day before, written in the new era, and the first day written in
            // the old era are both outside their era.
            assert_eq!(
                era_to_gregorian(era, 1, before.month, before.day),
                Err(EraDateError::OutsideEra)
            );
            assert_eq!(
                era_to_gregorian(prev, prev_year, m, dd),
                Err(EraDateError::OutsideEra)
            );
        }
    }

    #[test]
    fn meiji_first_day_and_before() {
        assert_eq!(gregorian_to_era(d(1868, 10, 23)), Some((Era::Meiji, 1)));
        assert_eq!(gregorian_to_era(d(1868, 10, 22)), None);
        assert_eq!(
            era_to_gregorian(Era::Meiji, 1, 10, 22),
            Err(EraDateError::OutsideEra)
        );
        assert_eq!(era_to_gregorian(Era::Meiji, 45, 7, 29), Ok(d(1912, 7, 29)));
    }

    #[test]
    fn gannen_and_late_years() {
        assert_eq!(era_to_gregorian(Era::Heisei, 1, 3, 31), Ok(d(1989, 3, 31)));
        assert_eq!(era_to_gregorian(Era::Reiwa, 1, 12, 31), Ok(d(2019, 12, 31)));
        assert_eq!(
            era_to_gregorian(Era::Showa, 63, 12, 31),
            Ok(d(1988, 12, 31))
        );
        assert_eq!(
            era_to_gregorian(Era::Showa, 65, 1, 1),
            Err(EraDateError::OutsideEra)
        );
        assert_eq!(
            era_to_gregorian(Era::Heisei, 32, 1, 1),
            Err(EraDateError::OutsideEra)
        );
        assert_eq!(
            era_to_gregorian(Era::Reiwa, 0, 1, 1),
            Err(EraDateError::Impossible)
        );
        assert_eq!(era_to_gregorian(Era::Reiwa, 6, 2, 29), Ok(d(2024, 2, 29)));
        assert_eq!(
            era_to_gregorian(Era::Reiwa, 5, 2, 29),
            Err(EraDateError::Impossible)
        );
        assert_eq!(
            era_to_gregorian(Era::Showa, 50, 4, 31),
            Err(EraDateError::Impossible)
        );
    }

    #[test]
    fn days_since_epoch() {
        assert_eq!(Date::from_days_since_epoch(0), d(1970, 1, 1));
        assert_eq!(Date::from_days_since_epoch(-1), d(1969, 12, 31));
        // 2000-02-29 (a 400-year leap day) and 2026-11-25.
        assert_eq!(Date::from_days_since_epoch(11_016), d(2000, 2, 29));
        assert_eq!(Date::from_days_since_epoch(20_782), d(2026, 11, 25));
        assert_eq!(Date::from_days_since_epoch(-25_567), d(1900, 1, 1));
        let today = Date::today_jst();
        assert!(today.year >= 2025, "{today:?}");
    }

    #[test]
    fn the_table_is_in_enum_order() {
        for (row, era) in ERAS.iter().zip(Era::ALL) {
            assert_eq!(row.0, era);
        }
        assert_eq!(Era::Reiwa.last_day(), None);
        assert_eq!(Era::of_ymd((1868, 10, 22)), None);
        // By first days alone: a day that does not exist still has an era.
        assert_eq!(Era::of_ymd((1989, 2, 31)), Some(Era::Heisei));
    }

    #[test]
    fn names_round_trip() {
        for era in Era::ALL {
            assert_eq!(Era::from_name(era.name()), Some(era));
        }
        assert_eq!(Era::from_name("合和"), None);
    }
}
