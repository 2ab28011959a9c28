//! Synthetic card faces and camera captures with ground truth, for tests and
//! `kaonin ocr-eval`. Seeded: the same seed gives the same cards and pixels.
//!
//! A card is drawn on the approximate layout of [`super::layout`] with the UI font
//! (BIZ UDPGothic, a stand-in: the real card font is not public), with a
//! guilloche-like background, a photo placeholder, the 追記欄 (sometimes with
//! 「顔認証」 and a red seal), the serial number beside the code, and varied names,
//! birth dates across every era (元年 and era boundaries forced in) and expiry
//! dates from the 5/10th-birthday rule. A capture places it in a 640×480 frame
//! with rotation, perspective, lighting, glare, blur, noise and JPEG artefacts.
//!
//! These results are an upper bound (reference §4): no hologram, no real laser
//! engraving, stand-in font and layout.

use crate::card::CardFace;
use crate::cardface::geom::{warp_rgb_onto, Homography, Point};
use crate::cardface::layout::{draw, CARD_H, CARD_W};
use crate::ground::civil::{days_in_month, gregorian_to_era, Date, Era};
use crate::ui::font::{Fonts, Weight};
use image::{Rgb, RgbImage};
use kaonin_hal::camera::{Frame, PixelFormat};

/// A small seeded generator (SplitMix64); enough for test data.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [lo, hi).
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    /// Uniform integer in [0, n) (0 when n is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next_u64() % n
        }
    }

    /// True with probability p.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Standard normal (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let u = self.unit().max(1e-12);
        let v = self.unit();
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

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
    pub fn truth(&self) -> Option<CardFace> {
        (!self.western).then(|| CardFace {
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

/// Draws `text` with its baseline at `(x, y)`; returns the pen's end x.
fn text(
    img: &mut RgbImage,
    fonts: &Fonts,
    s: &str,
    (x, y): (f32, f32),
    px: u32,
    ink: [u8; 3],
) -> f32 {
    let mut pen = x;
    for c in s.chars() {
        let g = fonts.glyph(c, px, Weight::Regular);
        let left = (pen + g.xmin as f32).round() as i64;
        let top = (y - g.ymin as f32 - g.height as f32).round() as i64;
        for gy in 0..g.height {
            for gx in 0..g.width {
                let a = g.coverage.get(gy * g.width + gx).copied().unwrap_or(0) as f32 / 255.0;
                let (px_x, px_y) = (left + gx as i64, top + gy as i64);
                if a == 0.0 || px_x < 0 || px_y < 0 {
                    continue;
                }
                if let Some(p) = img.get_pixel_mut_checked(px_x as u32, px_y as u32) {
                    for (v, k) in p.0.iter_mut().zip(ink) {
                        *v = (*v as f32 * (1.0 - a) + k as f32 * a) as u8;
                    }
                }
            }
        }
        pen += g.advance;
    }
    pen
}

fn fill_rect(
    img: &mut RgbImage,
    (x0, y0, x1, y1): (u32, u32, u32, u32),
    colour: [u8; 3],
    border: bool,
) {
    for y in y0..y1.min(img.height()) {
        for x in x0..x1.min(img.width()) {
            let edge = x < x0 + 2 || x + 2 >= x1 || y < y0 + 2 || y + 2 >= y1;
            if !border || edge {
                img.put_pixel(x, y, Rgb(colour));
            }
        }
    }
}

const INK: [u8; 3] = [38, 36, 40];
const LABEL: [u8; 3] = [70, 90, 120];

/// Draws the card face at the canonical 856×540 size.
pub fn draw_card(spec: &CardSpec, fonts: &Fonts, rng: &mut Rng) -> RgbImage {
    let phase = rng.range(0.0, 6.0);
    let mut img = RgbImage::from_fn(CARD_W, CARD_H, |x, y| {
        let (xf, yf) = (x as f64, y as f64);
        let wave = (xf * 0.045 + 2.5 * (yf * 0.021 + phase).sin()).sin();
        let wave2 = (yf * 0.05 + 2.0 * (xf * 0.017 + phase).cos()).sin();
        if wave.abs() < 0.06 || wave2.abs() < 0.05 {
            Rgb([214, 222, 232])
        } else {
            Rgb([240, 241, 238])
        }
    });
    text(&mut img, fonts, "氏名", (40.0, 70.0), 20, LABEL);
    text(&mut img, fonts, &spec.name, (110.0, 74.0), 40, INK);
    text(&mut img, fonts, "住所", (40.0, 140.0), 20, LABEL);
    text(&mut img, fonts, &spec.address, (110.0, 142.0), 24, INK);
    let (bx, by, bs) = draw::BIRTH;
    let end = text(
        &mut img,
        fonts,
        &spec.birth_line(),
        (bx as f32, by as f32),
        bs,
        INK,
    );
    let sex = if spec.female {
        "性別 女"
    } else {
        "性別 男"
    };
    text(
        &mut img,
        fonts,
        sex,
        (end.max(390.0) + 20.0, by as f32),
        24,
        INK,
    );
    fill_rect(&mut img, (28, 262, 528, 372), [170, 170, 175], true);
    if spec.face_auth_mark {
        let era_date = format!(
            "顔認証 令和{}年{}月{}日",
            1 + rng.below(7),
            1 + rng.below(12),
            1 + rng.below(28)
        );
        text(&mut img, fonts, &era_date, (44.0, 306.0), 24, INK);
        draw_seal(&mut img, (440.0, 310.0), 30.0);
    }
    let (ex, ey, es) = draw::EXPIRY;
    let end = text(
        &mut img,
        fonts,
        &spec.expiry_line(),
        (ex as f32, ey as f32),
        es,
        INK,
    );
    // The issuer stays right of the expiry crop.
    let issuer_x = (end + 18.0).max(
        crate::cardface::layout::CURRENT.expiry.x as f32
            + crate::cardface::layout::CURRENT.expiry.w as f32
            + 12.0,
    );
    text(&mut img, fonts, "○○市長", (issuer_x, ey as f32), 22, INK);
    draw_photo(&mut img);
    let (cx, cy, cs) = draw::CODE;
    let code_x = cx as f32 - fonts.width(&spec.code, cs, Weight::Regular);
    text(&mut img, fonts, &spec.code, (code_x, cy as f32), cs, INK);
    // The serial ends well left of the code crop.
    let (_, sy, ss) = draw::SERIAL;
    let serial_w = fonts.width(&spec.serial, ss, Weight::Regular);
    let serial_x = crate::cardface::layout::CURRENT.code.x as f32 - 14.0 - serial_w;
    text(
        &mut img,
        fonts,
        &spec.serial,
        (serial_x, sy as f32),
        ss,
        INK,
    );
    img
}

fn draw_seal(img: &mut RgbImage, (cx, cy): (f32, f32), r: f32) {
    for y in (cy - r) as u32..(cy + r) as u32 {
        for x in (cx - r) as u32..(cx + r) as u32 {
            let d = ((x as f32 - cx).powi(2) + (y as f32 - cy).powi(2)).sqrt();
            if (d - r + 4.0).abs() < 3.0 || (d < r - 10.0 && (x + y) % 7 < 2) {
                if let Some(p) = img.get_pixel_mut_checked(x, y) {
                    *p = Rgb([200, 40, 40]);
                }
            }
        }
    }
}

fn draw_photo(img: &mut RgbImage) {
    fill_rect(img, (590, 60, 826, 380), [205, 208, 212], false);
    for y in 60..380u32 {
        for x in 590..826u32 {
            let head = ((x as f32 - 708.0) / 60.0).powi(2) + ((y as f32 - 180.0) / 78.0).powi(2);
            let body = ((x as f32 - 708.0) / 110.0).powi(2) + ((y as f32 - 390.0) / 110.0).powi(2);
            if head < 1.0 || body < 1.0 {
                img.put_pixel(x, y, Rgb([95, 90, 92]));
            }
        }
    }
}

/// How hard a capture is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Degradation {
    /// Gaussian blur σ range (pixels).
    pub blur: (f64, f64),
    /// Additive noise σ range (grey levels).
    pub noise: (f64, f64),
    /// JPEG quality range.
    pub jpeg: (u8, u8),
    /// Chance of a glare spot.
    pub glare: f64,
    /// Lighting gradient strength (0 = flat).
    pub lighting: f64,
    /// Rotation range in degrees (±).
    pub rotation: f64,
    /// Corner jitter as a fraction of the card width (±).
    pub jitter: f64,
}

impl Degradation {
    /// The reference's test setting.
    pub fn normal() -> Degradation {
        Degradation {
            blur: (0.3, 1.4),
            noise: (1.0, 5.0),
            jpeg: (40, 90),
            glare: 0.3,
            lighting: 0.25,
            rotation: 5.0,
            jitter: 0.02,
        }
    }

    /// The reference's stress setting: blur, noise, lighting ×1.6, JPEG 25–70.
    pub fn stress() -> Degradation {
        let n = Degradation::normal();
        Degradation {
            blur: (n.blur.0 * 1.6, n.blur.1 * 1.6),
            noise: (n.noise.0 * 1.6, n.noise.1 * 1.6),
            jpeg: (25, 70),
            glare: 0.5,
            lighting: n.lighting * 1.6,
            ..n
        }
    }
}

/// Capture frame size.
pub const FRAME_W: u32 = 640;
/// Capture frame height.
pub const FRAME_H: u32 = 480;

/// One capture: the frame and where the card's corners landed (TL, TR, BR, BL).
#[derive(Debug)]
pub struct Capture {
    pub frame: Frame,
    pub corners: [Point; 4],
}

/// Photographs `card` into a 640×480 frame.
pub fn capture(card: &RgbImage, rng: &mut Rng, deg: &Degradation) -> Capture {
    // Dark, wood-like or grey tray backgrounds.
    let base = [
        rng.range(30.0, 130.0),
        rng.range(30.0, 115.0),
        rng.range(30.0, 100.0),
    ];
    let mut img = RgbImage::from_fn(FRAME_W, FRAME_H, |x, y| {
        let t = (x as f64 / FRAME_W as f64 + y as f64 / FRAME_H as f64) * 0.5;
        let v = |b: f64| (b * (0.8 + 0.4 * t)).clamp(0.0, 255.0) as u8;
        Rgb([v(base[0]), v(base[1]), v(base[2])])
    });
    let corners = place(rng, deg);
    let canon = [
        (0.0, 0.0),
        ((CARD_W - 1) as f64, 0.0),
        ((CARD_W - 1) as f64, (CARD_H - 1) as f64),
        (0.0, (CARD_H - 1) as f64),
    ];
    if let Some(h) = Homography::from_points(corners, canon) {
        warp_rgb_onto(card, &h, &mut img);
    }
    light(&mut img, rng, deg, &corners);
    let sigma = rng.range(deg.blur.0, deg.blur.1);
    let mut img = blur(&img, sigma);
    let noise = rng.range(deg.noise.0, deg.noise.1);
    for p in img.pixels_mut() {
        for k in 0..3 {
            p.0[k] = (p.0[k] as f64 + rng.normal() * noise).clamp(0.0, 255.0) as u8;
        }
    }
    let quality = deg.jpeg.0 + rng.below((deg.jpeg.1.saturating_sub(deg.jpeg.0) + 1) as u64) as u8;
    let img = jpeg_round_trip(img, quality);
    let data = img.into_raw();
    let frame = Frame::new(FRAME_W, FRAME_H, PixelFormat::Rgb8, data)
        .unwrap_or_else(|| Frame::empty_scene(FRAME_W, FRAME_H));
    Capture { frame, corners }
}

/// The card's corners in the frame: 80–94 % of the width, rotated, jittered.
fn place(rng: &mut Rng, deg: &Degradation) -> [Point; 4] {
    let w = FRAME_W as f64 * rng.range(0.80, 0.94);
    let h = w * CARD_H as f64 / CARD_W as f64;
    let angle = rng.range(-deg.rotation, deg.rotation).to_radians();
    let (s, c) = angle.sin_cos();
    let slack_x = (FRAME_W as f64 - w) / 2.0 - h * s.abs() / 2.0;
    let slack_y = (FRAME_H as f64 - h) / 2.0 - w * s.abs() / 2.0;
    let cx = FRAME_W as f64 / 2.0 + rng.range(-0.5, 0.5) * slack_x.max(0.0);
    let cy = FRAME_H as f64 / 2.0 + rng.range(-0.5, 0.5) * slack_y.max(0.0);
    let mut out = [(0.0, 0.0); 4];
    for (i, (dx, dy)) in [(-0.5, -0.5), (0.5, -0.5), (0.5, 0.5), (-0.5, 0.5)]
        .into_iter()
        .enumerate()
    {
        let (x, y) = (dx * w, dy * h);
        let jx = rng.range(-deg.jitter, deg.jitter) * w;
        let jy = rng.range(-deg.jitter, deg.jitter) * w;
        out[i] = (cx + x * c - y * s + jx, cy + x * s + y * c + jy);
    }
    out
}

/// Whether `p` is inside the convex quadrilateral `q` (corners in order).
fn inside(q: &[Point; 4], p: Point) -> bool {
    let side = |a: Point, b: Point| (b.0 - a.0) * (p.1 - a.1) - (b.1 - a.1) * (p.0 - a.0);
    let s: Vec<f64> = (0..4).map(|i| side(q[i], q[(i + 1) % 4])).collect();
    s.iter().all(|&v| v >= 0.0) || s.iter().all(|&v| v <= 0.0)
}

/// Lighting gradient, vignette and sometimes a glare spot.
fn light(img: &mut RgbImage, rng: &mut Rng, deg: &Degradation, card: &[Point; 4]) {
    let (gx, gy) = (
        rng.range(-1.0, 1.0) * deg.lighting,
        rng.range(-1.0, 1.0) * deg.lighting,
    );
    let glare = rng.chance(deg.glare).then(|| {
        (
            rng.range(0.0, FRAME_W as f64),
            rng.range(0.0, FRAME_H as f64),
            rng.range(20.0, 60.0),
            rng.range(80.0, 170.0),
        )
    });
    let (w, h) = (FRAME_W as f64, FRAME_H as f64);
    for (x, y, p) in img.enumerate_pixels_mut() {
        let (u, v) = (x as f64 / w - 0.5, y as f64 / h - 0.5);
        let gain = 1.0 + gx * u + gy * v - 0.3 * (u * u + v * v);
        // Glare is a reflection on the glossy card, not on the tray.
        let on_card = inside(card, (x as f64, y as f64));
        let add = glare.filter(|_| on_card).map_or(0.0, |(cx, cy, r, a)| {
            a * (-((x as f64 - cx).powi(2) + (y as f64 - cy).powi(2)) / (2.0 * r * r)).exp()
        });
        for k in 0..3 {
            p.0[k] = (p.0[k] as f64 * gain + add).clamp(0.0, 255.0) as u8;
        }
    }
}

/// Separable Gaussian blur.
pub fn blur(img: &RgbImage, sigma: f64) -> RgbImage {
    if sigma < 0.1 {
        return img.clone();
    }
    let r = (sigma * 3.0).ceil() as i64;
    let kernel: Vec<f64> = (-r..=r)
        .map(|i| (-(i * i) as f64 / (2.0 * sigma * sigma)).exp())
        .collect();
    let sum: f64 = kernel.iter().sum();
    let (w, h) = (img.width() as i64, img.height() as i64);
    let pass = |src: &RgbImage, horizontal: bool| {
        RgbImage::from_fn(w as u32, h as u32, |x, y| {
            let mut acc = [0.0f64; 3];
            for (i, k) in kernel.iter().enumerate() {
                let o = i as i64 - r;
                let (sx, sy) = if horizontal {
                    ((x as i64 + o).clamp(0, w - 1), y as i64)
                } else {
                    (x as i64, (y as i64 + o).clamp(0, h - 1))
                };
                let p = src.get_pixel(sx as u32, sy as u32).0;
                for c in 0..3 {
                    acc[c] += p[c] as f64 * k;
                }
            }
            Rgb(acc.map(|a| (a / sum).round().clamp(0.0, 255.0) as u8))
        })
    };
    pass(&pass(img, true), false)
}

fn jpeg_round_trip(img: RgbImage, quality: u8) -> RgbImage {
    let mut buf = Vec::new();
    let encoded =
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut buf, quality.clamp(1, 100))
            .encode_image(&img);
    if encoded.is_err() {
        return img;
    }
    image::load_from_memory_with_format(&buf, image::ImageFormat::Jpeg)
        .map(|d| d.to_rgb8())
        .unwrap_or(img)
}

/// One synthetic card with its captures.
#[derive(Debug)]
pub struct SynthCard {
    pub spec: CardSpec,
    pub captures: Vec<Capture>,
}

/// Card `index` of the set `seed`: the same arguments give the same card.
pub fn synth_card(
    fonts: &Fonts,
    seed: u64,
    index: u64,
    frames: usize,
    deg: &Degradation,
    today: Date,
) -> SynthCard {
    let mut rng = Rng::new(seed ^ index.wrapping_mul(0xA24B_AED4_963E_E407));
    let spec = random_spec(&mut rng, today, 0.0);
    let card = draw_card(&spec, fonts, &mut rng);
    let captures = (0..frames).map(|_| capture(&card, &mut rng, deg)).collect();
    SynthCard { spec, captures }
}

/// The truth file of a set: one line per frame, tab-separated:
/// `card  frame-file  birth(YYYYMMDD|western)  expiry(YYYYMMDD)  code`.
pub const TRUTH_FILE: &str = "truth.tsv";

/// Writes `cards` synthetic cards × `frames` captures as PNG files with a
/// [`TRUTH_FILE`] into `dir` (synthetic images only: real frames are never
/// written anywhere).
pub fn write_set(
    dir: &std::path::Path,
    fonts: &Fonts,
    seed: u64,
    cards: u64,
    frames: usize,
    deg: &Degradation,
    today: Date,
) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut truth = format!(
        "# kaonin ocr-eval truth file: card, frame file, birth (YYYYMMDD or western), expiry (YYYYMMDD), code\n\
         # synthetic set: seed {seed}, {cards} cards x {frames} frames\n# today {:04}-{:02}-{:02}\n",
        today.year, today.month, today.day
    );
    for index in 0..cards {
        let card = synth_card(fonts, seed, index, frames, deg, today);
        let birth = match card.spec.western {
            true => "western".to_string(),
            false => card.spec.birth.yyyymmdd(),
        };
        for (k, cap) in card.captures.iter().enumerate() {
            let file = format!("card{index:04}-{k}.png");
            let img =
                RgbImage::from_raw(cap.frame.width, cap.frame.height, cap.frame.data.to_vec())
                    .ok_or_else(|| std::io::Error::other("frame size"))?;
            img.save(dir.join(&file)).map_err(std::io::Error::other)?;
            truth += &format!(
                "card{index:04}\t{file}\t{birth}\t{}\t{}\n",
                card.spec.expiry.yyyymmdd(),
                card.spec.code
            );
        }
    }
    std::fs::write(dir.join(TRUTH_FILE), truth)
}

/// The card of a known holder (e.g. a virtual card's profile): birth and
/// expiry `YYYYMMDD`, the security code; `None` if a date is not a date.
pub fn spec_for(face: &CardFace, face_auth_mark: bool) -> Option<CardSpec> {
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

/// Draws `spec` (blurred by `card_blur` canonical pixels first, 0 for none) and
/// writes `frames` captures of it as `frame-N.png` into `dir`: the images of a
/// card-face camera for tests.
pub fn write_captures(
    spec: &CardSpec,
    fonts: &Fonts,
    seed: u64,
    frames: usize,
    deg: &Degradation,
    card_blur: f64,
    dir: &std::path::Path,
) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut rng = Rng::new(seed);
    let card = blur(&draw_card(spec, fonts, &mut rng), card_blur);
    for k in 0..frames {
        let cap = capture(&card, &mut rng, deg);
        let img = RgbImage::from_raw(cap.frame.width, cap.frame.height, cap.frame.data.to_vec())
            .ok_or_else(|| std::io::Error::other("frame size"))?;
        img.save(dir.join(format!("frame-{k}.png")))
            .map_err(std::io::Error::other)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cardface::{check_frame, FieldText, FrameText, Policy};

    fn fonts() -> Fonts {
        Fonts::load(None).unwrap()
    }

    const TODAY: Date = Date {
        year: 2026,
        month: 11,
        day: 25,
    };

    #[test]
    fn printed_lines_pass_the_checks_and_give_the_truth() {
        let mut rng = Rng::new(7);
        let mut eras = std::collections::HashSet::new();
        let mut gannen = 0;
        for _ in 0..400 {
            let spec = random_spec(&mut rng, TODAY, 0.0);
            let text = FrameText {
                birth: FieldText::certain(&spec.birth_line()),
                expiry: FieldText::certain(&spec.expiry_line()),
                code: FieldText::certain(&spec.code),
            };
            let face = check_frame(&text, TODAY, &Policy::default())
                .unwrap_or_else(|e| panic!("{} / {}: {e}", spec.birth_line(), spec.expiry_line()));
            assert_eq!(Some(face), spec.truth());
            eras.insert(gregorian_to_era(spec.birth).unwrap().0);
            gannen += spec.birth_line().contains("元年") as u32;
        }
        assert!(eras.len() >= 4, "{eras:?}");
        assert!(gannen > 5);
    }

    #[test]
    #[ignore = "writes sample images to $KAONIN_SYNTH_DIR for viewing"]
    fn write_samples() {
        let dir = std::env::var("KAONIN_SYNTH_DIR").unwrap_or("/tmp/kaonin-synth".into());
        write_set(
            dir.as_ref(),
            &fonts(),
            1,
            3,
            2,
            &Degradation::normal(),
            TODAY,
        )
        .unwrap();
        let truth = std::fs::read_to_string(std::path::Path::new(&dir).join(TRUTH_FILE)).unwrap();
        assert_eq!(truth.lines().filter(|l| !l.starts_with('#')).count(), 6);
        assert!(truth.contains("# today 2026-11-25\n"), "{truth}");
    }

    #[test]
    fn same_seed_same_pixels() {
        let f = fonts();
        let a = synth_card(&f, 42, 3, 1, &Degradation::normal(), TODAY);
        let b = synth_card(&f, 42, 3, 1, &Degradation::normal(), TODAY);
        let c = synth_card(&f, 43, 3, 1, &Degradation::normal(), TODAY);
        assert_eq!(a.spec, b.spec);
        assert_eq!(*a.captures[0].frame.data, *b.captures[0].frame.data);
        assert_ne!(*a.captures[0].frame.data, *c.captures[0].frame.data);
        let frame = &a.captures[0].frame;
        assert_eq!((frame.width, frame.height), (FRAME_W, FRAME_H));
        for (x, y) in a.captures[0].corners {
            assert!(x > 0.0 && y > 0.0 && x < FRAME_W as f64 && y < FRAME_H as f64);
        }
    }

    #[test]
    fn western_line_and_gannen_formatting() {
        let mut spec = random_spec(&mut Rng::new(1), TODAY, 0.0);
        spec.birth = Date::new(1989, 3, 31).unwrap();
        assert_eq!(spec.birth_line(), "平成元年 3月31日生");
        spec.birth = Date::new(1980, 2, 17).unwrap();
        assert_eq!(spec.birth_line(), "昭和55年 2月17日生");
        spec.western = true;
        assert_eq!(spec.birth_line(), "1980年 2月17日生");
        assert_eq!(spec.truth(), None);
        spec.expiry = Date::new(2025, 3, 31).unwrap();
        assert_eq!(spec.expiry_line(), "2025年 3月31日まで有効");
    }

    #[test]
    fn the_card_has_ink_in_the_field_crops_and_not_outside_the_card() {
        let f = fonts();
        let spec = random_spec(&mut Rng::new(3), TODAY, 0.0);
        let card = draw_card(&spec, &f, &mut Rng::new(3));
        let layout = crate::cardface::layout::CURRENT;
        for field in crate::cardface::Field::ALL {
            let r = layout.field(field);
            let dark = (r.y..r.y + r.h)
                .flat_map(|y| (r.x..r.x + r.w).map(move |x| (x, y)))
                .filter(|&(x, y)| card.get_pixel(x, y).0[1] < 100)
                .count();
            assert!(dark > 100, "{field}: {dark}");
        }
    }
}
