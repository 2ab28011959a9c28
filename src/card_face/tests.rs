//! Tests of the frame checks and the two-frame agreement rule.

use super::*;

const TODAY: (i32, u32, u32) = (2026, 11, 25);

fn today() -> Date {
    Date::from_ymd(TODAY).unwrap()
}

fn frame(birth: &str, expiry: &str, code: &str) -> FrameText {
    FrameText {
        birth: FieldText::certain(birth),
        expiry: FieldText::certain(expiry),
        code: FieldText::certain(code),
    }
}

fn good() -> FrameText {
    frame("昭和55年 2月17日生", "2030年 2月17日まで有効", "1234")
}

fn check(f: &FrameText) -> Result<KenmenKey, CardFaceRefusal> {
    check_frame(f, today(), &Policy::default())
}

#[test]
fn a_good_frame_gives_the_same_key_as_the_card_module() {
    let face = check(&good()).unwrap();
    assert_eq!(face.birth, "19800217");
    assert_eq!(face.expiry, "20300217");
    assert_eq!(face.security_code, "1234");
    assert_eq!(face.key_b().unwrap().as_slice(), b"55021720301234");
}

#[test]
fn gannen_key() {
    let face = check(&frame(
        "平成元年 3月31日生",
        "2027年 3月31日まで有効",
        "0042",
    ))
    .unwrap();
    assert_eq!(face.key_b().unwrap().as_slice(), b"01033120270042");
    let face = check(&frame(
        "令和元年 5月 1日生",
        "2029年 5月 1日まで有効",
        "9999",
    ))
    .unwrap();
    assert_eq!(face.key_b().unwrap().as_slice(), b"01050120299999");
}

#[test]
fn era_boundary_keys() {
    // The last day of 昭和 and the first of 平成, each with a card valid today.
    let f = frame("昭和64年 1月 7日生", "2029年 1月 7日まで有効", "1111");
    assert_eq!(
        check(&f).unwrap().key_b().unwrap().as_slice(),
        b"64010720291111"
    );
    let f = frame("平成元年 1月 8日生", "2029年 1月 8日まで有効", "1111");
    assert_eq!(
        check(&f).unwrap().key_b().unwrap().as_slice(),
        b"01010820291111"
    );
    let f = frame("平成31年 4月30日生", "2029年 4月30日まで有効", "2222");
    assert_eq!(
        check(&f).unwrap().key_b().unwrap().as_slice(),
        b"31043020292222"
    );
    let f = frame("大正15年12月24日生", "2027年12月24日まで有効", "3333");
    assert_eq!(
        check(&f).unwrap().key_b().unwrap().as_slice(),
        b"15122420273333"
    );
    let f = frame("昭和元年12月25日生", "2027年12月25日まで有効", "3333");
    assert_eq!(
        check(&f).unwrap().key_b().unwrap().as_slice(),
        b"01122520273333"
    );
}

#[test]
fn refusals_of_dates() {
    let cases = [
        (
            frame("1980年 2月17日生", "2030年 2月17日まで有効", "1234"),
            CardFaceRefusal::WesternCalendar,
        ),
        (
            frame("昭和55年 2月30日生", "2030年 2月30日まで有効", "1234"),
            CardFaceRefusal::ImpossibleDate(Field::Birth),
        ),
        (
            frame("平成元年 1月 7日生", "2030年 1月 7日まで有効", "1234"),
            CardFaceRefusal::OutsideEra,
        ),
        (
            frame("令和元年 4月30日生", "2030年 4月30日まで有効", "1234"),
            CardFaceRefusal::OutsideEra,
        ),
        (
            frame("昭和55年 2月17日生", "2030年 2月18日まで有効", "1234"),
            CardFaceRefusal::MonthDayMismatch,
        ),
        (
            frame("昭和55年 2月17日生", "2026年 2月17日まで有効", "1234"),
            CardFaceRefusal::ExpiryOutOfRange,
        ),
        (
            frame("昭和55年11月26日生", "2036年11月26日まで有効", "1234"),
            CardFaceRefusal::ExpiryOutOfRange,
        ),
        (
            frame("令和 8年11月26日生", "2031年11月26日まで有効", "1234"),
            CardFaceRefusal::BirthInFuture,
        ),
        (
            frame("令和 5年 2月17日生", "2027年 2月17日まで有効", "1234"),
            CardFaceRefusal::ValidityTooShort,
        ),
        (
            frame("昭和55年 2月17日生", "2030年 2月17日まで有効", "123"),
            CardFaceRefusal::Unreadable(Field::Code),
        ),
        (
            frame("昭和55年 2月17日", "2030年 2月まで有効", "1234"),
            CardFaceRefusal::Unreadable(Field::Expiry),
        ),
        (
            frame("合和 2年 2月17日生", "2030年 2月17日まで有効", "1234"),
            CardFaceRefusal::Unreadable(Field::Birth),
        ),
    ];
    for (f, want) in cases {
        assert_eq!(check(&f).map(drop), Err(want), "{want:?}");
    }
}

#[test]
fn expiry_window_edges() {
    // Today itself and today + 10 years are inside; one day either side is not.
    let f = frame("昭和55年11月25日生", "2026年11月25日まで有効", "1234");
    assert!(check(&f).is_ok());
    let f = frame("昭和55年11月24日生", "2026年11月24日まで有効", "1234");
    assert_eq!(check(&f).map(drop), Err(CardFaceRefusal::ExpiryOutOfRange));
    let f = frame("昭和55年11月25日生", "2036年11月25日まで有効", "1234");
    assert!(check(&f).is_ok());
    let f = frame("昭和55年11月26日生", "2036年11月26日まで有効", "1234");
    assert_eq!(check(&f).map(drop), Err(CardFaceRefusal::ExpiryOutOfRange));
}

#[test]
fn leap_day_birthday() {
    let f = frame("昭和55年 2月29日生", "2028年 2月29日まで有効", "1234");
    assert!(check(&f).is_ok());
    let f = frame("昭和55年 2月29日生", "2027年 2月28日まで有効", "1234");
    assert!(check(&f).is_ok());
    let f = frame("昭和55年 2月29日生", "2027年 3月 1日まで有効", "1234");
    assert!(check(&f).is_ok());
    let f = frame("昭和55年 2月29日生", "2028年 2月28日まで有効", "1234");
    assert_eq!(check(&f).map(drop), Err(CardFaceRefusal::MonthDayMismatch));
    let f = frame("昭和54年 2月29日生", "2028年 2月29日まで有効", "1234");
    assert_eq!(
        check(&f).map(drop),
        Err(CardFaceRefusal::ImpossibleDate(Field::Birth))
    );
}

#[test]
fn any_character_below_the_floor_is_refused() {
    let mut f = good();
    f.code.probs[2] = 0.49;
    assert_eq!(
        check(&f).map(drop),
        Err(CardFaceRefusal::LowConfidence(Field::Code))
    );
    let mut f = good();
    f.birth.probs[0] = 0.3;
    assert_eq!(
        check(&f).map(drop),
        Err(CardFaceRefusal::LowConfidence(Field::Birth))
    );
    let mut f = good();
    f.expiry.probs.clear();
    assert_eq!(
        check(&f).map(drop),
        Err(CardFaceRefusal::LowConfidence(Field::Expiry))
    );
    let mut f = good();
    f.code.probs[2] = 0.5;
    assert!(check(&f).is_ok());
}

#[test]
fn western_calendar_is_refused_even_when_unsure() {
    let mut f = frame("1980年 2月17日生", "2030年 2月17日まで有効", "1234");
    f.code.probs[0] = 0.1;
    assert_eq!(check(&f).map(drop), Err(CardFaceRefusal::WesternCalendar));
}

#[test]
fn two_frames_must_agree_on_all_digits() {
    let other = frame("昭和55年 2月17日生", "2030年 2月17日まで有効", "1284");
    assert_eq!(
        agree(&[good()], TODAY, &Policy::default()).map(drop),
        Err(CardFaceRefusal::NoAgreement)
    );
    assert_eq!(
        agree(&[good(), other.clone()], TODAY, &Policy::default()).map(drop),
        Err(CardFaceRefusal::NoAgreement)
    );
    let face = agree(&[good(), other.clone(), good()], TODAY, &Policy::default()).unwrap();
    assert_eq!(face.security_code, "1234");
    // Two against two is a tie: nothing is sent.
    let frames = [good(), other.clone(), other.clone(), good()];
    let mut vote = Vote::new();
    let mut accepted = Vec::new();
    for f in &frames {
        accepted.push(vote.push(check(f)).is_some());
    }
    assert_eq!(accepted, [false, false, true, false]);
    assert!(vote.conflicting());
}

#[test]
fn a_failing_frame_does_not_vote() {
    let mut weak = good();
    weak.code.probs[0] = 0.2;
    assert_eq!(
        agree(&[good(), weak.clone(), weak], TODAY, &Policy::default()).map(drop),
        Err(CardFaceRefusal::NoAgreement)
    );
    let mut weak = good();
    weak.code.probs[0] = 0.2;
    assert_eq!(
        agree(&[weak.clone(), weak], TODAY, &Policy::default()).map(drop),
        Err(CardFaceRefusal::LowConfidence(Field::Code))
    );
    assert_eq!(
        agree(&[], TODAY, &Policy::default()).map(drop),
        Err(CardFaceRefusal::NoCard)
    );
    assert_eq!(
        agree(&[good(), good()], (2026, 2, 30), &Policy::default()).map(drop),
        Err(CardFaceRefusal::BadToday)
    );
}

#[test]
fn debug_output_hides_digits() {
    let f = good();
    let text = format!("{f:?}");
    assert!(!text.contains("1234") && !text.contains("55"), "{text}");
    let mut vote = Vote::new();
    vote.push(check(&f));
    assert!(!format!("{vote:?}").contains("1234"));
}

#[test]
fn era_years_past_the_era_and_impossible_expiry() {
    // An era year after the era ended, and year 0, are refused (never wrapped).
    for birth in [
        "平成32年 1月 1日生",
        "昭和65年 1月 1日生",
        "大正16年 1月 1日生",
        "令和 0年 5月 1日生",
    ] {
        let f = frame(birth, "2030年 1月 1日まで有効", "1234");
        let got = check(&f).map(drop);
        assert!(
            matches!(
                got,
                Err(CardFaceRefusal::OutsideEra
                    | CardFaceRefusal::ImpossibleDate(Field::Birth)
                    | CardFaceRefusal::Unreadable(Field::Birth))
            ),
            "{birth}: {got:?}"
        );
    }
    let f = frame("昭和55年 4月31日生", "2030年 4月31日まで有効", "1234");
    assert_eq!(
        check(&f).map(drop),
        Err(CardFaceRefusal::ImpossibleDate(Field::Birth))
    );
    let f = frame("昭和55年 4月30日生", "2030年 4月31日まで有効", "1234");
    assert_eq!(
        check(&f).map(drop),
        Err(CardFaceRefusal::ImpossibleDate(Field::Expiry))
    );
    let f = frame("昭和55年13月 1日生", "2030年13月 1日まで有効", "1234");
    assert_eq!(
        check(&f).map(drop),
        Err(CardFaceRefusal::ImpossibleDate(Field::Birth))
    );
}

#[test]
fn the_floor_covers_every_value_character_and_not_the_fixed_tail() {
    // A weak 効 (cut by the crop edge) does not refuse the frame ...
    let mut f = good();
    let last = f.expiry.probs.len() - 1;
    f.expiry.probs[last] = 0.2;
    assert!(check(&f).is_ok());
    // ... nor does a cut tail, but a weak 日 or digit does.
    let mut f = frame("昭和55年 2月17日生", "2030年 2月17日まで有", "1234");
    assert!(check(&f).is_ok());
    let day_mark = f.expiry.text.chars().position(|c| c == '日').unwrap();
    f.expiry.probs[day_mark] = 0.4;
    assert_eq!(
        check(&f).map(drop),
        Err(CardFaceRefusal::LowConfidence(Field::Expiry))
    );
    let mut f = good();
    let day_digit = f.birth.text.chars().position(|c| c == '日').unwrap() - 1;
    f.birth.probs[day_digit] = 0.4;
    assert_eq!(
        check(&f).map(drop),
        Err(CardFaceRefusal::LowConfidence(Field::Birth))
    );
    // A weak 生 is only decoration.
    let mut f = good();
    let last = f.birth.probs.len() - 1;
    f.birth.probs[last] = 0.1;
    assert!(check(&f).is_ok());
    // Anything but a leading part of まで有効 after 日 is not an expiry line.
    for tail in ["有効", "まで効", "まで有効5", "5"] {
        let f = frame(
            "昭和55年 2月17日生",
            &format!("2030年 2月17日{tail}"),
            "1234",
        );
        assert_eq!(
            check(&f).map(drop),
            Err(CardFaceRefusal::Unreadable(Field::Expiry)),
            "{tail}"
        );
    }
}
