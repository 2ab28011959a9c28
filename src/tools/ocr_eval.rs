//! `kaonin ocr-eval`: runs the card-face pipeline on a directory of images with a
//! truth file (or on a freshly generated synthetic set) and reports the exact
//! 照合番号B rate per card, per-field accuracy per frame, how many wrong values
//! would have been sent to the chip, refusals, and latency.
//!
//! Truth file ([`super::synth::TRUTH_FILE`], UTF-8, tab-separated, one line per
//! frame): `card  frame-file  birth(YYYYMMDD|western)  expiry(YYYYMMDD)  code
//! [backdrop]`; with the sixth column the report also counts by backdrop kind.
//! Lines of one card are consecutive; its frames are used in file order, as a
//! camera would deliver them. `#` starts a comment line; `# today YYYY-MM-DD` sets
//! the date the expiry window is checked against (the generator writes it; the
//! `--today` flag overrides it; default: today in Japan). Format: docs/ocr.md.

use crate::card::KenmenKey;
use crate::card_face::{
    check_frame, CardFaceReader, CardFaceRefusal, Date, FrameText, OcrError, Vote,
};
use crate::sim::cardgen::{synth_card, write_set, Backdrop, Degradation, TRUTH_FILE};
use crate::ui::font::Fonts;
use kaonin_hal::camera::{Frame, PixelFormat};
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Where the evaluation images come from.
#[derive(Clone, Debug, PartialEq)]
pub enum EvalSource {
    /// A directory with images and a truth file.
    Dir(PathBuf),
    /// Generated on the fly: `cards` cards × `frames` captures from `seed`.
    Synth {
        seed: u64,
        cards: u64,
        frames: usize,
        stress: bool,
        /// What the cards lie on (card `i` on `backdrops[i % len]`).
        backdrops: &'static [Backdrop],
    },
}

/// Arguments of `kaonin ocr-eval`.
#[derive(Clone, Debug, PartialEq)]
pub struct OcrEvalArgs {
    /// Directory holding `ocr/ppocrv5-rec.onnx` (default `models`).
    pub models: PathBuf,
    pub source: EvalSource,
    /// The date the expiry window is checked against (`None`: the truth file's
    /// `# today` line, else today in Japan).
    pub today: Option<(i32, u32, u32)>,
}

/// The command line of `kaonin ocr-eval`.
#[derive(Clone, Debug, Default, PartialEq, clap::Args)]
pub struct OcrEvalCmd {
    /// Evaluate the images of DIR against DIR/truth.tsv.
    #[arg(long, conflicts_with = "generate")]
    pub dir: Option<PathBuf>,
    /// Generate N synthetic cards (with --out: write them and their truth file
    /// there and stop; without: evaluate them in memory).
    #[arg(long, value_name = "N")]
    pub generate: Option<u64>,
    /// Seed of the generated set.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Captures per generated card.
    #[arg(long, default_value_t = 3)]
    pub frames: usize,
    /// Heavier blur, noise, lighting and glare, lower JPEG quality.
    #[arg(long)]
    pub stress: bool,
    /// What generated cards lie on: plain (a dark or grey tray), textured (mats,
    /// wood, grey and white desks, a hand, a shadow, clutter, in turn) or one
    /// kind: stripes, pattern, wood, grey-desk, white-desk, hand, shadow, clutter
    /// (default plain).
    #[arg(long, value_name = "KIND", value_parser = parse_backdrops)]
    pub backdrops: Option<&'static [Backdrop]>,
    /// Where --generate writes the set.
    #[arg(long, requires = "generate")]
    pub out: Option<PathBuf>,
    /// Directory holding ocr/ppocrv5-rec.onnx.
    #[arg(long, default_value = "models")]
    pub models: PathBuf,
    /// The date expiry is checked against, YYYY-MM-DD.
    #[arg(long, value_parser = parse_day)]
    pub today: Option<(i32, u32, u32)>,
}

/// Parses a `--backdrops` value.
fn parse_backdrops(s: &str) -> Result<&'static [Backdrop], String> {
    Backdrop::set_named(s).ok_or_else(|| {
        let kinds: Vec<&str> = Backdrop::ALL.iter().map(|b| b.name()).collect();
        format!("expected textured or one of {}", kinds.join(", "))
    })
}

/// Parses `YYYY-MM-DD`.
pub fn parse_day(s: &str) -> Result<(i32, u32, u32), String> {
    let mut it = s.trim().splitn(3, '-');
    let mut next = || it.next().and_then(|p| p.parse::<i64>().ok());
    let (Some(y), Some(m), Some(d)) = (next(), next(), next()) else {
        return Err(format!("{s:?} is not YYYY-MM-DD"));
    };
    let ymd = (y as i32, m as u32, d as u32);
    Date::from_ymd(ymd)
        .map(Date::ymd)
        .ok_or_else(|| format!("{s:?} is not a date"))
}

/// What `kaonin ocr-eval` did.
#[derive(Debug)]
pub enum OcrEvalOutcome {
    /// A set was written: its directory, cards and frames.
    Written {
        dir: PathBuf,
        cards: u64,
        frames: u64,
    },
    /// An evaluation ran.
    Report(Box<EvalReport>),
}

impl fmt::Display for OcrEvalOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OcrEvalOutcome::Written { dir, cards, frames } => write!(
                f,
                "wrote {cards} cards ({frames} frames) and {TRUTH_FILE} to {}",
                dir.display()
            ),
            OcrEvalOutcome::Report(r) => write!(f, "{r}"),
        }
    }
}

/// Runs `kaonin ocr-eval` from its command line.
pub fn ocr_eval_command(cmd: &OcrEvalCmd) -> Result<OcrEvalOutcome, EvalError> {
    if cmd.generate.is_none() && (cmd.backdrops.is_some() || cmd.out.is_some()) {
        return Err(EvalError::Usage(
            "--backdrops and --out apply to --generate N only".into(),
        ));
    }
    let backdrops = cmd.backdrops.unwrap_or(&[Backdrop::Plain]);
    let deg = degradation(cmd.stress, backdrops);
    if let (Some(cards), Some(out)) = (cmd.generate, &cmd.out) {
        let today = cmd.today.unwrap_or_else(|| Date::today_jst().ymd());
        let today = Date::from_ymd(today).ok_or(EvalError::BadToday)?;
        let fonts = Fonts::load(None).map_err(|e| EvalError::Fonts(e.to_string()))?;
        write_set(out, &fonts, cmd.seed, cards, cmd.frames, &deg, today).map_err(|e| {
            EvalError::Input {
                path: out.clone(),
                reason: e.to_string(),
            }
        })?;
        return Ok(OcrEvalOutcome::Written {
            dir: out.clone(),
            cards,
            frames: cards * cmd.frames as u64,
        });
    }
    let source = match (cmd.generate, &cmd.dir) {
        (Some(cards), _) => EvalSource::Synth {
            seed: cmd.seed,
            cards,
            frames: cmd.frames,
            stress: cmd.stress,
            backdrops,
        },
        (None, Some(dir)) => EvalSource::Dir(dir.clone()),
        (None, None) => return Err(EvalError::Usage("give --dir DIR or --generate N".into())),
    };
    let args = OcrEvalArgs {
        models: cmd.models.clone(),
        source,
        today: cmd.today,
    };
    Ok(OcrEvalOutcome::Report(Box::new(ocr_eval_cli(&args)?)))
}

/// The capture setting: normal or stress, on `backdrops`.
fn degradation(stress: bool, backdrops: &'static [Backdrop]) -> Degradation {
    let base = if stress {
        Degradation::stress()
    } else {
        Degradation::normal()
    };
    Degradation { backdrops, ..base }
}

/// Why the evaluation could not run.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error(transparent)]
    Model(#[from] OcrError),
    #[error("{path}: {reason}")]
    Input { path: PathBuf, reason: String },
    #[error("today is not a date")]
    BadToday,
    #[error("fonts: {0}")]
    Fonts(String),
    #[error("{0}")]
    Usage(String),
}

/// What the evaluation measured.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EvalReport {
    pub cards: usize,
    pub frames: usize,
    /// Cards whose accepted value equals the truth.
    pub exact_cards: usize,
    /// Cards whose accepted value differs from the truth (would spend a chip try).
    pub wrong_sent: usize,
    /// Cards with no accepted value, by reason.
    pub refused: BTreeMap<String, usize>,
    /// Frames that did not pass the checks, by reason.
    pub frame_refusals: BTreeMap<String, usize>,
    /// Cards where two passing frames gave different values.
    pub conflicting_cards: usize,
    /// Western-calendar cards, and how many were refused as such.
    pub western_cards: usize,
    pub western_refused: usize,
    /// Frames whose raw reading gives the right value for each field.
    pub birth_ok: usize,
    pub expiry_ok: usize,
    pub code_ok: usize,
    /// Frames with all three right.
    pub frame_exact: usize,
    /// Frames that passed every check with a wrong value (single-frame danger).
    pub frame_wrong_passing: usize,
    pub load: Duration,
    pub locate: Vec<Duration>,
    pub recognise: Vec<Duration>,
    /// Per card: the time from its first frame until a value was accepted (or all
    /// its frames were used), frames read strictly one after another.
    pub per_card: Vec<Duration>,
    /// Frames read per card before the decision.
    pub frames_used: usize,
    /// Per backdrop kind (cards that name one).
    pub by_backdrop: BTreeMap<String, KindTally>,
}

/// One backdrop kind's share of the evaluation.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct KindTally {
    pub cards: usize,
    /// Japanese-calendar cards read exactly.
    pub exact: usize,
    /// Japanese-calendar cards.
    pub national: usize,
    /// Cards whose accepted value was wrong.
    pub wrong: usize,
    pub frames: usize,
    /// Frames in which no card was found.
    pub no_card: usize,
}

fn pct(n: usize, d: usize) -> f64 {
    if d == 0 {
        0.0
    } else {
        100.0 * n as f64 / d as f64
    }
}

/// Median and p99 in milliseconds.
fn quantiles(v: &[Duration]) -> (f64, f64) {
    let mut ms: Vec<f64> = v.iter().map(|d| d.as_secs_f64() * 1e3).collect();
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| {
        ms.get(((ms.len() as f64 - 1.0) * q).round() as usize)
            .copied()
            .unwrap_or(0.0)
    };
    (at(0.5), at(0.99))
}

impl fmt::Display for EvalReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let national = self.cards - self.western_cards;
        writeln!(
            f,
            "cards {} ({} frames), western-calendar cards {}",
            self.cards, self.frames, self.western_cards
        )?;
        writeln!(
            f,
            "exact 照合番号B: {} / {} cards ({:.1} %)",
            self.exact_cards,
            national,
            pct(self.exact_cards, national)
        )?;
        writeln!(f, "WRONG values sent to the chip: {}", self.wrong_sent)?;
        writeln!(
            f,
            "western cards refused as such: {} / {}",
            self.western_refused, self.western_cards
        )?;
        let refused: usize = self.refused.values().sum();
        writeln!(f, "refused cards: {refused}")?;
        for (reason, n) in &self.refused {
            writeln!(f, "  {reason}: {n}")?;
        }
        writeln!(
            f,
            "cards where two passing frames disagreed: {}",
            self.conflicting_cards
        )?;
        let frame_refused: usize = self.frame_refusals.values().sum();
        writeln!(f, "refused frames: {frame_refused}")?;
        for (reason, n) in &self.frame_refusals {
            writeln!(f, "  {reason}: {n}")?;
        }
        let nf = self.frames;
        writeln!(
            f,
            "per frame: birth {:.1} %, expiry {:.1} %, code {:.1} %, all three {:.1} %, wrong but passing checks {}",
            pct(self.birth_ok, nf),
            pct(self.expiry_ok, nf),
            pct(self.code_ok, nf),
            pct(self.frame_exact, nf),
            self.frame_wrong_passing
        )?;
        let (lm, lp) = quantiles(&self.locate);
        let (rm, rp) = quantiles(&self.recognise);
        writeln!(f, "model load {:.0} ms", self.load.as_secs_f64() * 1e3)?;
        writeln!(f, "localise per frame: median {lm:.1} ms, p99 {lp:.1} ms")?;
        writeln!(f, "recognise per frame: median {rm:.1} ms, p99 {rp:.1} ms")?;
        let (cm, cp) = quantiles(&self.per_card);
        write!(
            f,
            "per card until decided: median {cm:.1} ms, p99 {cp:.1} ms ({:.2} frames read on average)",
            self.frames_used as f64 / self.cards.max(1) as f64
        )?;
        if !self.by_backdrop.is_empty() {
            write!(f, "\nby backdrop:")?;
        }
        for (kind, t) in &self.by_backdrop {
            write!(
                f,
                "\n  {kind:<11} exact {:>4} / {:<4} ({:5.1} %)  wrong {}  no card found in {} / {} frames",
                t.exact,
                t.national,
                pct(t.exact, t.national),
                t.wrong,
                t.no_card,
                t.frames
            )?;
        }
        Ok(())
    }
}

/// One card to evaluate: truth (`None` = Western calendar, must be refused) and frames.
struct EvalCard {
    truth: Option<KenmenKey>,
    frames: Vec<Frame>,
    /// The backdrop kind, when the set names it.
    backdrop: Option<String>,
}

fn field_values(text: &FrameText) -> (Option<String>, Option<String>, Option<String>) {
    let birth = crate::card_face::parse::birth_line(&text.birth.text)
        .ok()
        .map(Date::yyyymmdd);
    let expiry = crate::card_face::parse::expiry_line(&text.expiry.text)
        .ok()
        .map(Date::yyyymmdd);
    let code = crate::card_face::parse::security_code(&text.code.text).ok();
    (birth, expiry, code)
}

impl EvalReport {
    fn add_card(&mut self, reader: &CardFaceReader, card: &EvalCard, today: Date) {
        let before = (self.exact_cards, self.wrong_sent, self.no_card_frames());
        self.read_card(reader, card, today);
        let Some(kind) = &card.backdrop else {
            return;
        };
        let no_card = self.no_card_frames();
        let t = self.by_backdrop.entry(kind.clone()).or_default();
        t.cards += 1;
        t.national += card.truth.is_some() as usize;
        t.exact += self.exact_cards - before.0;
        t.wrong += self.wrong_sent - before.1;
        t.frames += card.frames.len();
        t.no_card += no_card - before.2;
    }

    /// Frames refused so far because no card was found in them.
    fn no_card_frames(&self) -> usize {
        let key = CardFaceRefusal::NoCard.to_string();
        self.frame_refusals.get(&key).copied().unwrap_or(0)
    }

    fn read_card(&mut self, reader: &CardFaceReader, card: &EvalCard, today: Date) {
        self.cards += 1;
        self.western_cards += card.truth.is_none() as usize;
        let mut vote = Vote::new();
        let mut accepted = None;
        let mut until_decided = Duration::ZERO;
        for frame in &card.frames {
            self.frames += 1;
            let (text, timing) = reader.read_frame_timed(frame);
            if accepted.is_none() {
                until_decided += timing.locate + timing.recognise;
                self.frames_used += 1;
            }
            self.locate.push(timing.locate);
            if timing.recognise > Duration::ZERO {
                self.recognise.push(timing.recognise);
            }
            let checked = text.and_then(|t| {
                if let Some(truth) = &card.truth {
                    let (b, e, c) = field_values(&t);
                    let ok = [
                        b.as_deref() == Some(&truth.birth),
                        e.as_deref() == Some(&truth.expiry),
                        c.as_deref() == Some(&truth.security_code),
                    ];
                    self.birth_ok += ok[0] as usize;
                    self.expiry_ok += ok[1] as usize;
                    self.code_ok += ok[2] as usize;
                    self.frame_exact += ok.iter().all(|&x| x) as usize;
                }
                check_frame(&t, today, &reader.policy)
            });
            match &checked {
                Ok(face) if card.truth.as_ref() != Some(face) => self.frame_wrong_passing += 1,
                Ok(_) => {}
                Err(reason) => *self.frame_refusals.entry(reason.to_string()).or_default() += 1,
            }
            if accepted.is_none() {
                accepted = vote.push(checked);
            }
        }
        self.per_card.push(until_decided);
        self.conflicting_cards += vote.conflicting() as usize;
        match (accepted, &card.truth) {
            (Some(face), Some(truth)) if face == *truth => self.exact_cards += 1,
            (Some(_), _) => self.wrong_sent += 1,
            (None, truth) => {
                let reason = vote.refusal();
                if truth.is_none() && reason == CardFaceRefusal::WesternCalendar {
                    self.western_refused += 1;
                }
                *self.refused.entry(reason.to_string()).or_default() += 1;
            }
        }
    }
}

fn load_frame(path: &Path) -> Result<Frame, EvalError> {
    let img = image::open(path)
        .map_err(|e| EvalError::Input {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?
        .to_rgb8();
    let (w, h) = img.dimensions();
    Frame::new(w, h, PixelFormat::Rgb8, img.into_raw()).ok_or_else(|| EvalError::Input {
        path: path.to_path_buf(),
        reason: "bad frame size".into(),
    })
}

/// The `# today YYYY-MM-DD` line of a truth file, if any.
fn truth_today(text: &str) -> Option<(i32, u32, u32)> {
    text.lines()
        .filter_map(|l| l.strip_prefix('#'))
        .filter_map(|l| l.trim().strip_prefix("today"))
        .find_map(|d| parse_day(d).ok())
}

/// One line of a truth file.
#[derive(Debug)]
struct TruthRow {
    card: String,
    file: PathBuf,
    truth: Option<KenmenKey>,
    backdrop: Option<String>,
}

/// Parses a truth file into rows.
fn parse_truth(dir: &Path, text: &str) -> Result<Vec<TruthRow>, EvalError> {
    let path = dir.join(TRUTH_FILE);
    let mut rows = Vec::new();
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.starts_with('#'))
    {
        let cols: Vec<&str> = line.trim_end_matches('\r').split('\t').collect();
        let (card, file, birth, expiry, code, backdrop) = match cols[..] {
            [card, file, birth, expiry, code] => (card, file, birth, expiry, code, None),
            [card, file, birth, expiry, code, kind] => {
                (card, file, birth, expiry, code, Some(kind))
            }
            _ => {
                return Err(EvalError::Input {
                    path,
                    reason: format!("line {}: expected 5 or 6 tab-separated columns", n + 1),
                })
            }
        };
        let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
        if !(birth == "western" || digits(birth, 8)) || !digits(expiry, 8) || !digits(code, 4) {
            return Err(EvalError::Input {
                path,
                reason: format!(
                    "line {}: birth must be YYYYMMDD or western, expiry YYYYMMDD, code 4 digits",
                    n + 1
                ),
            });
        }
        let truth = (birth != "western").then(|| KenmenKey {
            birth: birth.to_string(),
            expiry: expiry.to_string(),
            security_code: code.to_string(),
        });
        rows.push(TruthRow {
            card: card.to_string(),
            file: dir.join(file),
            truth,
            backdrop: backdrop.map(str::to_string),
        });
    }
    Ok(rows)
}

/// Runs the evaluation and returns its report (print it with `{}`).
pub fn ocr_eval_cli(args: &OcrEvalArgs) -> Result<EvalReport, EvalError> {
    let truth_text = match &args.source {
        EvalSource::Dir(dir) => {
            let path = dir.join(TRUTH_FILE);
            Some(
                std::fs::read_to_string(&path).map_err(|e| EvalError::Input {
                    path: path.clone(),
                    reason: e.to_string(),
                })?,
            )
        }
        EvalSource::Synth { .. } => None,
    };
    let today = args
        .today
        .or_else(|| truth_text.as_deref().and_then(truth_today))
        .unwrap_or_else(|| Date::today_jst().ymd());
    let today = Date::from_ymd(today).ok_or(EvalError::BadToday)?;
    let start = Instant::now();
    let reader = CardFaceReader::load(&args.models)?;
    let mut report = EvalReport {
        load: start.elapsed(),
        ..EvalReport::default()
    };
    match &args.source {
        EvalSource::Dir(dir) => {
            let text = truth_text.unwrap_or_default();
            // Group the rows by card; load one card's frames at a time.
            let mut cards: Vec<(TruthRow, Vec<PathBuf>)> = Vec::new();
            for row in parse_truth(dir, &text)? {
                match cards.last_mut() {
                    Some((first, files)) if first.card == row.card => files.push(row.file),
                    _ => {
                        let file = row.file.clone();
                        cards.push((row, vec![file]));
                    }
                }
            }
            for (row, files) in cards {
                let frames = files
                    .iter()
                    .map(|f| load_frame(f))
                    .collect::<Result<Vec<_>, _>>()?;
                let card = EvalCard {
                    truth: row.truth,
                    frames,
                    backdrop: row.backdrop,
                };
                report.add_card(&reader, &card, today);
            }
        }
        EvalSource::Synth {
            seed,
            cards,
            frames,
            stress,
            backdrops,
        } => {
            let fonts = Fonts::load(None).map_err(|e| EvalError::Fonts(e.to_string()))?;
            let deg = degradation(*stress, backdrops);
            for index in 0..*cards {
                let synth = synth_card(&fonts, *seed, index, *frames, &deg, today);
                let card = EvalCard {
                    truth: synth.spec.truth(),
                    backdrop: Some(synth.backdrop.name().to_string()),
                    frames: synth.captures.into_iter().map(|c| c.frame).collect(),
                };
                report.add_card(&reader, &card, today);
            }
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truth_file_rows() {
        let dir = Path::new("/x");
        let rows = parse_truth(
            dir,
            "# c\ncard1\ta.png\t19800217\t20300217\t1234\ncard2\tb.png\twestern\t20300217\t0001\n",
        )
        .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].file, Path::new("/x/a.png"));
        assert_eq!(rows[0].truth.as_ref().unwrap().security_code, "1234");
        assert!(rows[1].truth.is_none());
        assert_eq!(rows[0].backdrop, None);
        assert!(parse_truth(dir, "card1\ta.png\t1980").is_err());
        // The optional sixth column names the backdrop kind; a seventh is refused.
        let rows = parse_truth(dir, "c\ta.png\t19800217\t20300217\t1234\twood\n").unwrap();
        assert_eq!(rows[0].backdrop.as_deref(), Some("wood"));
        assert!(parse_truth(dir, "c\ta.png\t19800217\t20300217\t1234\twood\tx\n").is_err());
        // Malformed values are refused with the line number, never guessed.
        for bad in [
            "c\ta.png\t1980021\t20300217\t1234",
            "c\ta.png\t19800217\t20300217\t123",
            "c\ta.png\t19800217\t2030-02-17\t1234",
        ] {
            let err = parse_truth(dir, bad).unwrap_err().to_string();
            assert!(err.contains("line 1"), "{err}");
        }
        // CRLF line ends are accepted.
        let rows = parse_truth(dir, "c\ta.png\t19800217\t20300217\t1234\r\n").unwrap();
        assert_eq!(rows[0].truth.as_ref().unwrap().security_code, "1234");
    }

    #[test]
    fn today_line_and_day_flag() {
        assert_eq!(
            truth_today("# x\n# today 2026-11-25\nc\ta\t1\t2\t3\n"),
            Some((2026, 11, 25))
        );
        assert_eq!(truth_today("c\ta\t1\t2\t3\n"), None);
        assert_eq!(parse_day("2024-02-29"), Ok((2024, 2, 29)));
        assert!(parse_day("2023-02-29").is_err());
        assert!(parse_day("20231129").is_err());
    }

    #[test]
    fn nothing_to_evaluate_is_a_usage_error() {
        let err = ocr_eval_command(&OcrEvalCmd::default()).unwrap_err();
        assert!(matches!(err, EvalError::Usage(_)), "{err}");
        // A generator setting without --generate is a mistake, not ignored.
        let cmd = OcrEvalCmd {
            dir: Some("/x".into()),
            backdrops: Some(Backdrop::TEXTURED),
            ..OcrEvalCmd::default()
        };
        let err = ocr_eval_command(&cmd).unwrap_err();
        assert!(matches!(err, EvalError::Usage(_)), "{err}");
    }

    #[test]
    fn quantiles_of_durations() {
        let v: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        let (m, p) = quantiles(&v);
        assert!(
            (m - 50.0).abs() <= 1.0 && (p - 99.0).abs() <= 1.0,
            "{m} {p}"
        );
        assert_eq!(quantiles(&[]), (0.0, 0.0));
    }

    /// Generated cards, three frames each, today 2026-11-25, the fetched models.
    fn synth_args(
        seed: u64,
        cards: u64,
        stress: bool,
        backdrops: &'static [Backdrop],
    ) -> OcrEvalArgs {
        OcrEvalArgs {
            models: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models"),
            source: EvalSource::Synth {
                seed,
                cards,
                frames: 3,
                stress,
                backdrops,
            },
            today: Some((2026, 11, 25)),
        }
    }

    /// The CI-sized acceptance run (the full one: scripts/ocr-acceptance.sh).
    #[test]
    #[ignore = "needs models: scripts/fetch-ocr-model.sh"]
    fn thirty_cards_nothing_wrong_sent() {
        let args = synth_args(20261125, 30, false, &[Backdrop::Plain]);
        let report = ocr_eval_cli(&args).unwrap();
        println!("{report}");
        assert_eq!(report.cards, 30);
        assert_eq!(report.frames, 90);
        assert_eq!(report.wrong_sent, 0, "{report}");
        assert!(report.exact_cards >= 28, "{report}");
        // Every refused card is accounted for by a reason.
        let refused: usize = report.refused.values().sum();
        assert_eq!(report.exact_cards + refused, 30, "{report}");
    }

    /// One card on each textured backdrop: nothing wrong is sent, the report
    /// accounts for every kind, and most cards are read.
    #[test]
    #[ignore = "needs models: scripts/fetch-ocr-model.sh"]
    fn textured_counters_send_nothing_wrong() {
        let args = synth_args(1204, 8, false, Backdrop::TEXTURED);
        let report = ocr_eval_cli(&args).unwrap();
        println!("{report}");
        assert_eq!(report.wrong_sent, 0, "{report}");
        let kinds: Vec<&str> = report.by_backdrop.keys().map(String::as_str).collect();
        let mut want: Vec<&str> = Backdrop::TEXTURED.iter().map(|b| b.name()).collect();
        want.sort_unstable();
        assert_eq!(kinds, want);
        assert!(report
            .by_backdrop
            .values()
            .all(|t| t.cards == 1 && t.frames == 3));
        let exact: usize = report.by_backdrop.values().map(|t| t.exact).sum();
        assert_eq!(exact, report.exact_cards);
        assert!(report.exact_cards >= 6, "{report}");
    }

    #[test]
    #[ignore = "needs models: scripts/fetch-ocr-model.sh"]
    fn stress_setting_sends_nothing_wrong() {
        let args = synth_args(77, 10, true, &[Backdrop::Plain]);
        let report = ocr_eval_cli(&args).unwrap();
        println!("{report}");
        assert_eq!(report.wrong_sent, 0, "{report}");
    }
}
