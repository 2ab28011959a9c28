//! Calendar arithmetic for the card face: Gregorian dates, the Japanese eras
//! (明治 … 令和) with their first and last days, and era ↔ Gregorian conversion.
//!
//! The era table agrees with [`crate::card::kenmen::era_yymmdd`], which builds the birth
//! part of 照合番号B; a test checks both at every boundary.

use std::fmt;

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

    /// `YYYYMMDD`, the form [`crate::card::CardFace`] holds.
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
        let secs = crate::civil::unix_now();
        Date::from_days_since_epoch(((secs + 9 * 3600) / 86_400) as i64)
    }

    /// The date `days` after 1970-01-01 (proleptic Gregorian).
    pub fn from_days_since_epoch(days: i64) -> Date {
        let (year, month, day) = crate::civil::civil_from_days(days);
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

/// The Japanese eras printed on the current card's birth line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Era {
    Meiji,
    Taisho,
    Showa,
    Heisei,
    Reiwa,
}

impl Era {
    /// Every era, oldest first.
    pub const ALL: [Era; 5] = [Era::Meiji, Era::Taisho, Era::Showa, Era::Heisei, Era::Reiwa];

    /// The two kanji printed on the card.
    pub fn name(self) -> &'static str {
        match self {
            Era::Meiji => "明治",
            Era::Taisho => "大正",
            Era::Showa => "昭和",
            Era::Heisei => "平成",
            Era::Reiwa => "令和",
        }
    }

    /// The era whose name is `name`.
    pub fn from_name(name: &str) -> Option<Era> {
        Era::ALL.into_iter().find(|e| e.name() == name)
    }

    /// First day (Gregorian). 明治 starts on 1868-10-23 (the proclamation), as in
    /// [`crate::card::kenmen::era_yymmdd`]; dates before 1873 were lunar, which cannot matter
    /// for a living holder.
    pub fn first_day(self) -> Date {
        let (year, month, day) = match self {
            Era::Meiji => (1868, 10, 23),
            Era::Taisho => (1912, 7, 30),
            Era::Showa => (1926, 12, 25),
            Era::Heisei => (1989, 1, 8),
            Era::Reiwa => (2019, 5, 1),
        };
        Date { year, month, day }
    }

    /// Last day, `None` for the current era.
    pub fn last_day(self) -> Option<Date> {
        let (year, month, day) = match self {
            Era::Meiji => (1912, 7, 29),
            Era::Taisho => (1926, 12, 24),
            Era::Showa => (1989, 1, 7),
            Era::Heisei => (2019, 4, 30),
            Era::Reiwa => return None,
        };
        Some(Date { year, month, day })
    }

    /// Whether `date` falls within this era.
    pub fn contains(self, date: Date) -> bool {
        date >= self.first_day() && self.last_day().map_or(true, |last| date <= last)
    }

    /// The era that `date` falls in, if any.
    pub fn of(date: Date) -> Option<Era> {
        Era::ALL.into_iter().find(|e| e.contains(date))
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
    use crate::card::kenmen::era_yymmdd;

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

    /// The era table here and the one that builds 照合番号B agree on every
    /// boundary and around it.
    #[test]
    fn agrees_with_card_era_yymmdd() {
        for era in Era::ALL {
            let mut days = vec![era.first_day()];
            days.extend(era.last_day());
            for date in days {
                let (e, year) = gregorian_to_era(date).unwrap();
                assert_eq!(e, era);
                let want = format!("{year:02}{:02}{:02}", date.month, date.day);
                assert_eq!(era_yymmdd(&date.yyyymmdd()).unwrap(), want, "{date:?}");
            }
        }
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
    fn names_round_trip() {
        for era in Era::ALL {
            assert_eq!(Era::from_name(era.name()), Some(era));
        }
        assert_eq!(Era::from_name("合和"), None);
    }
}
