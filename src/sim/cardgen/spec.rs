//! What is printed on a card: names, addresses, birth dates across every era (元年
//! and era boundaries forced in), expiry dates from the 5/10th-birthday rule, the
//! lines as printed, and the 照合番号B they give.

use super::Rng;
use crate::card::KenmenKey;
use crate::ground::civil::{days_in_month, gregorian_to_era, Date, Era};

/// What is printed on one synthetic card.
#[derive(Clone, Debug, PartialEq)]
pub struct CardSpec {
    pub name: String,
    pub address: String,
    pub birth: Date,
    /// Birth line in the Western calendar (a foreign resident's card).
    pub western: bool,
    pub female: bool,
    pub expiry: Date,
    pub code: String,
    pub serial: String,
    /// 「顔認証」 with a seal in the 追記欄.
    pub face_auth_mark: bool,
}

impl CardSpec {
    /// The birth line as printed, e.g. `平成元年 3月31日生`.
    pub fn birth_line(&self) -> String {
        let md = format!("{:>2}月{:>2}日生", self.birth.month, self.birth.day);
        match (self.western, gregorian_to_era(self.birth)) {
            (false, Some((era, 1))) => format!("{}元年{md}", era.name()),
            (false, Some((era, year))) => format!("{}{year:>2}年{md}", era.name()),
            _ => format!("{}年{md}", self.birth.year),
        }
    }

    /// The expiry line as printed, e.g. `2025年 3月31日まで有効`.
    pub fn expiry_line(&self) -> String {
        let e = self.expiry;
        format!("{}年{:>2}月{:>2}日まで有効", e.year, e.month, e.day)
    }

    /// The values for 照合番号B (`None` for a Western-calendar card, which must
    /// be refused).
    pub fn truth(&self) -> Option<KenmenKey> {
        (!self.western).then(|| KenmenKey {
            birth: self.birth.yyyymmdd(),
            expiry: self.expiry.yyyymmdd(),
            security_code: self.code.clone(),
        })
    }
}

const FAMILY: [&str; 12] = [
    "山田", "佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "中村", "小林", "加藤", "吉田", "松本",
];
const GIVEN: [&str; 12] = [
    "太郎", "花子", "一郎", "美咲", "健", "直子", "誠", "由美", "大輔", "恵", "翔太", "陽子",
];
const ADDRESS: [&str; 6] = [
    "東京都千代田区永田町一丁目7番1号",
    "大阪府大阪市北区中之島一丁目3番20号",
    "北海道札幌市中央区北一条西二丁目",
    "福岡県福岡市中央区天神一丁目8番1号",
    "愛知県名古屋市中区三の丸三丁目1番1号",
    "宮城県仙台市青葉区国分町三丁目7番1号",
];

/// A birth date: uniform over 1925–(today − 1 year), with era first/last days
/// and 元年 dates forced in.
fn random_birth(rng: &mut Rng, today: Date) -> Date {
    let special = rng.below(10);
    if special < 2 {
        let era = *rng.pick(&Era::ALL[2..]);
        if let Some(last) = era.last_day().filter(|_| rng.chance(0.5)) {
            return last;
        }
        return era.first_day();
    }
    loop {
        let (year, month, day) = if special == 2 {
            let era = *rng.pick(&Era::ALL[2..]);
            let first = era.first_day();
            (
                first.year,
                1 + rng.below(12) as u32,
                1 + rng.below(31) as u32,
            )
        } else {
            let year = 1925 + rng.below((today.year - 1925) as u64) as i32;
            (year, 1 + rng.below(12) as u32, 1 + rng.below(31) as u32)
        };
        if let Some(d) = Date::new(year, month, day) {
            if Era::of(d).is_some() && d.year < today.year {
                return d;
            }
        }
    }
}

/// The `n`th birthday after `issue` (month/day of `birth`; 2/29 → 3/1 in
/// common years).
fn nth_birthday_after(birth: Date, issue: Date, n: i32) -> Date {
    let on = |year: i32| {
        Date::new(year, birth.month, birth.day)
            .or_else(|| Date::new(year, 3, 1))
            .unwrap_or(birth)
    };
    let first = if on(issue.year) > issue {
        issue.year
    } else {
        issue.year + 1
    };
    on(first + n - 1)
}

/// An expiry from the issue rule, valid today.
fn random_expiry(rng: &mut Rng, birth: Date, today: Date) -> Date {
    for _ in 0..100 {
        let back = rng.below(10 * 365) as i64;
        let issue = days_before(today, back);
        if issue <= birth {
            continue;
        }
        let adult = (issue.year - birth.year) >= 19;
        let expiry = nth_birthday_after(birth, issue, if adult { 10 } else { 5 });
        if expiry >= today && expiry.ymd() <= today.plus_years(10) && expiry.year - birth.year >= 5
        {
            return expiry;
        }
    }
    nth_birthday_after(birth, today, 10)
}

fn days_before(date: Date, days: i64) -> Date {
    let mut d = date;
    for _ in 0..days {
        d = if d.day > 1 {
            Date {
                day: d.day - 1,
                ..d
            }
        } else if d.month > 1 {
            let month = d.month - 1;
            Date {
                month,
                day: days_in_month(d.year, month),
                ..d
            }
        } else {
            Date {
                year: d.year - 1,
                month: 12,
                day: 31,
            }
        };
    }
    d
}

/// A random card valid on `today`; `western_p` of them foreign-resident cards.
pub fn random_spec(rng: &mut Rng, today: Date, western_p: f64) -> CardSpec {
    let birth = random_birth(rng, today);
    let expiry = random_expiry(rng, birth, today);
    let serial: String = (0..16)
        .map(|_| *rng.pick(&b"0123456789ABCDEF"[..]) as char)
        .collect();
    CardSpec {
        name: format!("{} {}", rng.pick(&FAMILY), rng.pick(&GIVEN)),
        address: rng.pick(&ADDRESS).to_string(),
        birth,
        western: rng.chance(western_p),
        female: rng.chance(0.5),
        expiry,
        code: format!("{:04}", rng.below(10_000)),
        serial,
        face_auth_mark: rng.chance(0.4),
    }
}

/// The card of a known holder (e.g. a virtual card's profile): birth and
/// expiry `YYYYMMDD`, the security code; `None` if a date is not a date.
pub fn spec_for(face: &KenmenKey, face_auth_mark: bool) -> Option<CardSpec> {
    let date = |s: &str| {
        let n: u32 = s.parse().ok()?;
        Date::new((n / 10_000) as i32, n / 100 % 100, n % 100)
    };
    Some(CardSpec {
        name: "試験 花子".into(),
        address: ADDRESS[0].into(),
        birth: date(&face.birth)?,
        western: false,
        female: true,
        expiry: date(&face.expiry)?,
        code: face.security_code.clone(),
        serial: "0123456789ABCDEF".into(),
        face_auth_mark,
    })
}
