//! Operations figures: how the terminal is used, kept across restarts.
//!
//! The daemon shows every flow [`Action`] and [`Event`] to [`Stats`], which counts
//! receptions by method, consent per item (the categories of the national usage
//! statistics: 薬剤情報, 診療情報, 手術情報, 特定健診等情報), face attempts, PIN
//! locks, 照合番号B refusals, card errors by kind, PC acks and their latency, and
//! keeps two gauges (outbox depth, PC link up). Only counts: no identity, no session
//! id, no staff account ever reaches the figures or the file (session ids are held
//! in memory, at most [`PENDING_MAX`] of them, only to time the PC's ack).
//!
//! Counters live in `state_dir/stats.json`, written atomically (temporary file,
//! fsync, rename, fsync of the directory; mode 0600) by a background thread at most
//! every [`DEBOUNCE`] after a change, and once more when the last handle is dropped.
//! A corrupt file is renamed to `stats.json.corrupt-<unix time>`, reported, and the
//! counts start again from zero: never fatal.
//!
//! Two renderings: [`Stats::render_table`] for `kaonin stats`, and
//! [`Stats::render_prometheus`] (text exposition format 0.0.4), served on a
//! loopback-only port by [`serve_metrics`].

use crate::flow::{
    AckResult, Action, AuditEntry, CardFailure, ConsentItem, ConsentMode, Event, FaceOutcome,
    Guidance, Method, PcEventKind, PhotoStatus, ReaderRole, VerifyOutcome,
};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};
use std::fmt::Write as _;
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// The file under `state_dir`.
pub const FILE_NAME: &str = "stats.json";

/// The file format version.
const VERSION: u32 = 1;

/// Longest wait between a change and its write to disk.
pub const DEBOUNCE: Duration = Duration::from_secs(2);

/// Most identities awaiting an ack whose latency is timed.
pub const PENDING_MAX: usize = 64;

/// Upper bounds of the ack latency histogram buckets, in milliseconds.
pub const LATENCY_BUCKETS_MS: [u64; 9] = [50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000];

/// Why the figures could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum StatsError {
    /// The state directory could not be created or read.
    #[error("{path}: {source}")]
    Io {
        /// The path at fault.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// The file is not a valid figures file (read-only opening only; the daemon
    /// quarantines it instead).
    #[error("{path}: not a valid figures file: {reason}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

// ---- vocabulary ---------------------------------------------------------------

const METHODS: [&str; 4] = ["face", "pin", "visual", "smartphone"];
const ITEMS: [&str; 4] = ["medication", "medical_history", "surgery", "health_checkup"];
const ITEMS_JA: [&str; 4] = ["薬剤情報", "診療情報", "手術情報", "特定健診等情報"];
const MODES: [&str; 2] = ["all", "individual"];
const READERS: [&str; 2] = ["card", "phone"];
const PHOTO: [&str; 5] = [
    "available",
    "no_card_face",
    "key_refused",
    "counter_low",
    "not_on_device",
];
const CARD_FAILURES: [&str; 8] = [
    "not_my_number_card",
    "unreadable",
    "certificate_expired",
    "certificate_invalid",
    "not_genuine",
    "phone_not_authenticated",
    "removed",
    "reader_fault",
];
const FACE_RESULTS: [&str; 2] = ["match", "no_match"];
const GUIDANCE: [&str; 6] = [
    "no_face",
    "several_faces",
    "too_far",
    "too_dark",
    "mask",
    "head_turned",
];
const ACKS: [&str; 4] = ["eligible", "not_eligible", "not_found", "error"];
const LINK_CHANGES: [&str; 2] = ["up", "down"];

fn method_label(m: Method) -> &'static str {
    match m {
        Method::Face => "face",
        Method::Pin => "pin",
        Method::Visual => "visual",
        Method::Smartphone => "smartphone",
    }
}

fn item_label(i: ConsentItem) -> &'static str {
    match i {
        ConsentItem::Medication => "medication",
        ConsentItem::MedicalHistory => "medical_history",
        ConsentItem::Surgery => "surgery",
        ConsentItem::HealthCheckup => "health_checkup",
    }
}

fn mode_label(m: ConsentMode) -> &'static str {
    match m {
        ConsentMode::All => "all",
        ConsentMode::Individual => "individual",
    }
}

fn reader_label(r: ReaderRole) -> &'static str {
    match r {
        ReaderRole::Card => "card",
        ReaderRole::Phone => "phone",
    }
}

fn photo_label(p: PhotoStatus) -> &'static str {
    match p {
        PhotoStatus::Available => "available",
        PhotoStatus::NoCardFace => "no_card_face",
        PhotoStatus::KeyRefused => "key_refused",
        PhotoStatus::CounterLow => "counter_low",
        PhotoStatus::NotOnDevice => "not_on_device",
    }
}

fn failure_label(f: CardFailure) -> &'static str {
    match f {
        CardFailure::NotMyNumberCard => "not_my_number_card",
        CardFailure::Unreadable => "unreadable",
        CardFailure::CertificateExpired => "certificate_expired",
        CardFailure::CertificateInvalid => "certificate_invalid",
        CardFailure::NotGenuine => "not_genuine",
        CardFailure::PhoneNotAuthenticated => "phone_not_authenticated",
        CardFailure::Removed => "removed",
        CardFailure::ReaderFault => "reader_fault",
    }
}

fn guidance_label(g: Guidance) -> &'static str {
    match g {
        Guidance::NoFace => "no_face",
        Guidance::SeveralFaces => "several_faces",
        Guidance::TooFar => "too_far",
        Guidance::TooDark => "too_dark",
        Guidance::Mask => "mask",
        Guidance::HeadTurned => "head_turned",
    }
}

fn ack_label(a: AckResult) -> &'static str {
    match a {
        AckResult::Eligible => "eligible",
        AckResult::NotEligible => "not_eligible",
        AckResult::NotFound => "not_found",
        AckResult::Error => "error",
    }
}

// ---- the counters -------------------------------------------------------------

/// Ack latency: observations per bucket (not cumulative), count and sum.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct Histogram {
    /// One count per [`LATENCY_BUCKETS_MS`] bound (observations above the last
    /// bound are only in `count`).
    buckets: Vec<u64>,
    count: u64,
    sum_ms: u64,
}

impl Histogram {
    fn observe(&mut self, ms: u64) {
        self.buckets.resize(LATENCY_BUCKETS_MS.len(), 0);
        if let Some(i) = LATENCY_BUCKETS_MS.iter().position(|&le| ms <= le) {
            if let Some(b) = self.buckets.get_mut(i) {
                *b += 1;
            }
        }
        self.count += 1;
        self.sum_ms = self.sum_ms.saturating_add(ms);
    }

    /// Observations at or below each bound.
    fn cumulative(&self) -> Vec<u64> {
        let mut total = 0;
        (0..LATENCY_BUCKETS_MS.len())
            .map(|i| {
                total += self.buckets.get(i).copied().unwrap_or(0);
                total
            })
            .collect()
    }
}

/// The persisted counters. Labelled counters are keyed by the fixed label values
/// above; rendering reads only those, so a stray key in the file shows nowhere.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct Counters {
    receptions: BTreeMap<String, u64>,
    consent_given: BTreeMap<String, u64>,
    consent_mode: BTreeMap<String, u64>,
    cards_presented: BTreeMap<String, u64>,
    card_photo: BTreeMap<String, u64>,
    card_errors: BTreeMap<String, u64>,
    face_attempts: BTreeMap<String, u64>,
    face_guidance: BTreeMap<String, u64>,
    face_unavailable: u64,
    face_fallbacks: u64,
    pin_wrong: u64,
    pin_locks: u64,
    visual_checks: u64,
    staff_passcode_rejected: u64,
    staff_lockouts: u64,
    outbox_failures: u64,
    sent_offline: u64,
    acks: BTreeMap<String, u64>,
    link_changes: BTreeMap<String, u64>,
    ack_latency: Histogram,
}

fn bump(map: &mut BTreeMap<String, u64>, label: &str) {
    *map.entry(label.to_owned()).or_insert(0) += 1;
}

fn get(map: &BTreeMap<String, u64>, label: &str) -> u64 {
    map.get(label).copied().unwrap_or(0)
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileFormat {
    version: u32,
    counters: Counters,
}

/// What is not persisted: gauges and the acks being timed.
#[derive(Debug, Default)]
struct Live {
    outbox_depth: Option<u64>,
    link_up: Option<bool>,
    pending: VecDeque<(String, Instant)>,
}

#[derive(Debug, Default)]
struct State {
    counters: Counters,
    live: Live,
    dirty: bool,
    stopping: bool,
}

impl State {
    fn link(&mut self, up: bool) {
        if self.live.link_up != Some(up) {
            self.live.link_up = Some(up);
            bump(
                &mut self.counters.link_changes,
                if up { "up" } else { "down" },
            );
            self.dirty = true;
        }
    }

    fn card_error(&mut self, failure: CardFailure) {
        bump(&mut self.counters.card_errors, failure_label(failure));
        self.dirty = true;
    }

    fn event(&mut self, event: &Event, now: Instant) {
        let c = &mut self.counters;
        match event {
            Event::CardPresent(role) => bump(&mut c.cards_presented, reader_label(*role)),
            Event::CardRead(Ok(facts)) => bump(&mut c.card_photo, photo_label(facts.photo)),
            Event::CardRead(Err(f))
            | Event::PinTries(Err(f))
            | Event::PinVerified(Err(f))
            | Event::CertificateRead(Err(f))
            | Event::Signed(Err(f)) => return self.card_error(*f),
            // A VERIFY is only sent while tries are left, so `Blocked` is the wrong
            // PIN that spent the last try: a wrong PIN typed like the others.
            Event::PinVerified(Ok(VerifyOutcome::Wrong { .. } | VerifyOutcome::Blocked)) => {
                c.pin_wrong += 1
            }
            Event::Face(FaceOutcome::Match { .. }) => bump(&mut c.face_attempts, "match"),
            Event::Face(FaceOutcome::NoMatch { .. }) => bump(&mut c.face_attempts, "no_match"),
            Event::Face(FaceOutcome::Guidance(g)) => bump(&mut c.face_guidance, guidance_label(*g)),
            Event::Face(FaceOutcome::Unavailable) => c.face_unavailable += 1,
            Event::Enqueued(Err(_)) => c.outbox_failures += 1,
            Event::Acked { id, result, .. } => {
                bump(&mut c.acks, ack_label(*result));
                if let Some(i) = self.live.pending.iter().position(|(p, _)| p == id) {
                    if let Some((_, sent)) = self.live.pending.remove(i) {
                        let ms = now.saturating_duration_since(sent).as_millis();
                        c.ack_latency.observe(u64::try_from(ms).unwrap_or(u64::MAX));
                    }
                }
            }
            Event::Link { up } => return self.link(*up),
            _ => return,
        }
        self.dirty = true;
    }

    fn action(&mut self, action: &Action, now: Instant) {
        let c = &mut self.counters;
        match action {
            Action::Enqueue(identity) => {
                bump(&mut c.receptions, method_label(identity.method));
                for item in ConsentItem::ALL {
                    if identity.consent.get(item) {
                        bump(&mut c.consent_given, item_label(item));
                    }
                }
                bump(&mut c.consent_mode, mode_label(identity.consent_mode));
                if self.live.pending.len() >= PENDING_MAX {
                    self.live.pending.pop_front();
                }
                self.live.pending.push_back((identity.id.clone(), now));
            }
            Action::PcEvent { kind, .. } => match kind {
                PcEventKind::PinLocked => c.pin_locks += 1,
                PcEventKind::FaceFailed => c.face_fallbacks += 1,
                PcEventKind::Offline => c.sent_offline += 1,
                PcEventKind::CardError | PcEventKind::VisualCheck => return,
            },
            Action::Audit(entry) => match entry {
                AuditEntry::VisualConfirmed { .. } => c.visual_checks += 1,
                AuditEntry::StaffPasscodeRejected => c.staff_passcode_rejected += 1,
                AuditEntry::StaffLockedOut => c.staff_lockouts += 1,
                AuditEntry::VisualArmed { .. } => return,
            },
            _ => return,
        }
        self.dirty = true;
    }
}

// ---- rendering ----------------------------------------------------------------

/// One metric family, shared by both renderings.
struct Family {
    name: &'static str,
    help: &'static str,
    kind: &'static str,
    /// Title in the table.
    title: &'static str,
    label: Option<&'static str>,
    /// (label value, table note, value).
    rows: Vec<(&'static str, &'static str, u64)>,
}

fn labelled(
    name: &'static str,
    help: &'static str,
    title: &'static str,
    label: &'static str,
    values: &[&'static str],
    map: &BTreeMap<String, u64>,
) -> Family {
    Family {
        name,
        help,
        kind: "counter",
        title,
        label: Some(label),
        rows: values.iter().map(|v| (*v, "", get(map, v))).collect(),
    }
}

fn scalar(name: &'static str, help: &'static str, title: &'static str, value: u64) -> Family {
    Family {
        name,
        help,
        kind: "counter",
        title,
        label: None,
        rows: vec![("", "", value)],
    }
}

fn families(c: &Counters) -> Vec<Family> {
    let mut consent = labelled(
        "kaonin_consent_given_total",
        "Consents given, per information item.",
        "consent given (per item)",
        "item",
        &ITEMS,
        &c.consent_given,
    );
    for (row, ja) in consent.rows.iter_mut().zip(ITEMS_JA) {
        row.1 = ja;
    }
    let mut photo = labelled(
        "kaonin_card_photo_total",
        "Card reads by card photo status (key_refused: the card refused the 照合番号B).",
        "card photo status",
        "status",
        &PHOTO,
        &c.card_photo,
    );
    for row in &mut photo.rows {
        if row.0 == "key_refused" {
            row.1 = "照合番号B refused";
        }
    }
    vec![
        labelled(
            "kaonin_receptions_total",
            "Receptions forwarded to the PC, by verification method.",
            "receptions (by method)",
            "method",
            &METHODS,
            &c.receptions,
        ),
        consent,
        labelled(
            "kaonin_consent_mode_total",
            "Receptions by how consent was given (all at once or item by item).",
            "consent mode",
            "mode",
            &MODES,
            &c.consent_mode,
        ),
        labelled(
            "kaonin_cards_presented_total",
            "Cards or phones presented, by reader.",
            "cards presented (by reader)",
            "reader",
            &READERS,
            &c.cards_presented,
        ),
        photo,
        labelled(
            "kaonin_card_errors_total",
            "Card errors, by kind.",
            "card errors (by kind)",
            "kind",
            &CARD_FAILURES,
            &c.card_errors,
        ),
        labelled(
            "kaonin_face_attempts_total",
            "Face match attempts, by result.",
            "face attempts",
            "result",
            &FACE_RESULTS,
            &c.face_attempts,
        ),
        labelled(
            "kaonin_face_guidance_total",
            "Camera frames without a usable face, by the guidance shown.",
            "face guidance shown",
            "reason",
            &GUIDANCE,
            &c.face_guidance,
        ),
        scalar(
            "kaonin_face_unavailable_total",
            "Face matches that could not run (camera fault, no photo).",
            "face unavailable",
            c.face_unavailable,
        ),
        scalar(
            "kaonin_face_fallbacks_total",
            "Sessions where face authentication failed every attempt.",
            "face failed (all attempts)",
            c.face_fallbacks,
        ),
        scalar(
            "kaonin_pin_wrong_total",
            "Wrong PINs typed.",
            "wrong PINs",
            c.pin_wrong,
        ),
        scalar(
            "kaonin_pin_locks_total",
            "Sessions that met a locked PIN.",
            "PIN locks",
            c.pin_locks,
        ),
        scalar(
            "kaonin_visual_checks_total",
            "Visual checks confirmed by staff (目視確認).",
            "visual checks",
            c.visual_checks,
        ),
        scalar(
            "kaonin_staff_passcode_rejected_total",
            "Wrong staff passcodes.",
            "staff passcodes rejected",
            c.staff_passcode_rejected,
        ),
        scalar(
            "kaonin_staff_lockouts_total",
            "Staff lockouts after too many wrong passcodes.",
            "staff lockouts",
            c.staff_lockouts,
        ),
        scalar(
            "kaonin_outbox_failures_total",
            "Identities that could not be stored in the outbox.",
            "outbox write failures",
            c.outbox_failures,
        ),
        scalar(
            "kaonin_sent_offline_total",
            "Receptions finished while the PC did not answer (kept in the outbox).",
            "sent while PC offline",
            c.sent_offline,
        ),
        labelled(
            "kaonin_acks_total",
            "PC acknowledgements, by result.",
            "PC acks (by result)",
            "result",
            &ACKS,
            &c.acks,
        ),
        labelled(
            "kaonin_link_changes_total",
            "PC link state changes.",
            "PC link changes",
            "to",
            &LINK_CHANGES,
            &c.link_changes,
        ),
    ]
}

fn seconds(ms: u64) -> String {
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

fn prometheus(c: &Counters, live: &Live) -> String {
    let mut out = String::new();
    for f in families(c) {
        let _ = writeln!(out, "# HELP {} {}", f.name, f.help);
        let _ = writeln!(out, "# TYPE {} {}", f.name, f.kind);
        for (value, _, n) in &f.rows {
            match f.label {
                Some(label) => {
                    let _ = writeln!(out, "{}{{{label}=\"{value}\"}} {n}", f.name);
                }
                None => {
                    let _ = writeln!(out, "{} {n}", f.name);
                }
            }
        }
    }
    let h = &c.ack_latency;
    let name = "kaonin_ack_latency_seconds";
    let _ = writeln!(
        out,
        "# HELP {name} Time from storing an identity to the PC's ack."
    );
    let _ = writeln!(out, "# TYPE {name} histogram");
    for (le, n) in LATENCY_BUCKETS_MS.iter().zip(h.cumulative()) {
        let _ = writeln!(out, "{name}_bucket{{le=\"{}\"}} {n}", seconds(*le));
    }
    let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {}", h.count);
    let _ = writeln!(out, "{name}_sum {}", seconds(h.sum_ms));
    let _ = writeln!(out, "{name}_count {}", h.count);
    let gauges = [
        (
            "kaonin_outbox_depth",
            "Identities waiting in the outbox for the PC.",
            live.outbox_depth,
        ),
        (
            "kaonin_link_up",
            "1 while the PC link is up.",
            live.link_up.map(u64::from),
        ),
    ];
    for (name, help, value) in gauges {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} gauge");
        if let Some(v) = value {
            let _ = writeln!(out, "{name} {v}");
        }
    }
    out
}

fn figures(c: &Counters, live: &Live) -> serde_json::Value {
    use serde_json::{json, Map, Value};
    let mut out = Map::new();
    for f in families(c) {
        let value = match f.label {
            Some(_) => Value::Object(
                f.rows
                    .iter()
                    .map(|(label, _, n)| ((*label).to_owned(), json!(n)))
                    .collect(),
            ),
            None => json!(f.rows.first().map_or(0, |r| r.2)),
        };
        out.insert(f.name.to_owned(), value);
    }
    let h = &c.ack_latency;
    let le: Map<String, Value> = LATENCY_BUCKETS_MS
        .iter()
        .zip(h.cumulative())
        .map(|(le, n)| (le.to_string(), json!(n)))
        .collect();
    out.insert(
        "kaonin_ack_latency_seconds".into(),
        json!({"count": h.count, "sum_ms": h.sum_ms, "le_ms": le}),
    );
    out.insert("kaonin_outbox_depth".into(), json!(live.outbox_depth));
    out.insert("kaonin_link_up".into(), json!(live.link_up.map(u64::from)));
    Value::Object(out)
}

fn table(c: &Counters, live: &Live) -> String {
    const WIDTH: usize = 34;
    let mut out = String::from("kaonin operations figures\n");
    for f in families(c) {
        match f.label {
            None => {
                let n = f.rows.first().map_or(0, |r| r.2);
                let _ = writeln!(out, "{:<WIDTH$}{n:>8}", f.title);
            }
            Some(_) => {
                let total: u64 = f.rows.iter().map(|r| r.2).sum();
                let _ = writeln!(out, "{:<WIDTH$}{total:>8}", f.title);
                for (value, note, n) in &f.rows {
                    let note = if note.is_empty() {
                        String::new()
                    } else {
                        format!("  {note}")
                    };
                    let _ = writeln!(out, "  {value:<w$}{n:>8}{note}", w = WIDTH - 2);
                }
            }
        }
    }
    let h = &c.ack_latency;
    let mean = h
        .sum_ms
        .checked_div(h.count)
        .map_or_else(|| "-".to_owned(), |ms| format!("{ms} ms"));
    let _ = writeln!(out, "{:<WIDTH$}{:>8}", "ack latency (count)", h.count);
    let _ = writeln!(out, "  {:<w$}{mean:>8}", "mean", w = WIDTH - 2);
    for (le, n) in LATENCY_BUCKETS_MS.iter().zip(h.cumulative()) {
        let bound = format!("<= {} s", seconds(*le));
        let _ = writeln!(out, "  {bound:<w$}{n:>8}", w = WIDTH - 2);
    }
    let depth = live
        .outbox_depth
        .map_or_else(|| "unknown".to_owned(), |n| n.to_string());
    let link = match live.link_up {
        Some(true) => "up",
        Some(false) => "down",
        None => "unknown",
    };
    let _ = writeln!(out, "{:<WIDTH$}{depth:>8}", "outbox depth");
    let _ = writeln!(out, "{:<WIDTH$}{link:>8}", "PC link");
    out
}

// ---- the file -----------------------------------------------------------------

fn parse(text: &str) -> Result<Counters, String> {
    let file: FileFormat = serde_json::from_str(text).map_err(|e| e.to_string())?;
    if file.version != VERSION {
        return Err(format!("version {} (expected {VERSION})", file.version));
    }
    if file.counters.ack_latency.buckets.len() > LATENCY_BUCKETS_MS.len() {
        return Err("ack_latency has more buckets than this version knows".into());
    }
    Ok(file.counters)
}

fn write_file(path: &Path, counters: &Counters) -> io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let file = FileFormat {
        version: VERSION,
        counters: counters.clone(),
    };
    let text = serde_json::to_vec_pretty(&file).map_err(io::Error::other)?;
    let tmp = path.with_extension("json.tmp");
    let mut out = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)?;
    out.write_all(&text)?;
    out.sync_all()?;
    drop(out);
    std::fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent() {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

/// Loads the counters; a corrupt file is renamed aside (its new name returned).
fn load_or_quarantine(path: &Path) -> Result<(Counters, Option<PathBuf>), StatsError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok((Counters::default(), None)),
        Err(e) if e.kind() == io::ErrorKind::InvalidData => String::new(),
        Err(source) => {
            return Err(StatsError::Io {
                path: path.to_owned(),
                source,
            })
        }
    };
    match parse(&text) {
        Ok(counters) => Ok((counters, None)),
        Err(reason) => {
            let stamp = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            let aside = path.with_extension(format!("json.corrupt-{stamp}"));
            match std::fs::rename(path, &aside) {
                Ok(()) => tracing::error!(
                    file = %path.display(),
                    moved_to = %aside.display(),
                    %reason,
                    "figures file is corrupt; quarantined, counting from zero"
                ),
                Err(e) => tracing::error!(
                    file = %path.display(),
                    %reason,
                    error = %e,
                    "figures file is corrupt and could not be moved aside; counting from zero"
                ),
            }
            Ok((Counters::default(), Some(aside)))
        }
    }
}

// ---- the handle ---------------------------------------------------------------

struct Shared {
    path: PathBuf,
    state: Mutex<State>,
    wake: Condvar,
    /// Serialises writers (the flusher and [`Stats::flush`]).
    writing: Mutex<()>,
    /// False for a read-only handle: nothing is ever written.
    writable: bool,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn write_now(&self) -> io::Result<()> {
        if !self.writable {
            return Ok(());
        }
        let _writing = self.writing.lock().unwrap_or_else(|e| e.into_inner());
        let snapshot = {
            let mut state = self.state();
            if !state.dirty {
                return Ok(());
            }
            state.dirty = false;
            state.counters.clone()
        };
        write_file(&self.path, &snapshot).inspect_err(|_| self.state().dirty = true)
    }
}

struct Inner {
    shared: Arc<Shared>,
    flusher: Option<std::thread::JoinHandle<()>>,
    quarantined: Option<PathBuf>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.shared.state().stopping = true;
        self.shared.wake.notify_all();
        if let Some(flusher) = self.flusher.take() {
            let _ = flusher.join();
        }
    }
}

fn flusher(shared: Arc<Shared>) {
    let mut failing = false;
    loop {
        let stopping = {
            let state = shared.state();
            let state = shared
                .wake
                .wait_while(state, |s| !s.dirty && !s.stopping)
                .unwrap_or_else(|e| e.into_inner());
            let (state, _) = shared
                .wake
                .wait_timeout_while(state, DEBOUNCE, |s| !s.stopping)
                .unwrap_or_else(|e| e.into_inner());
            state.stopping
        };
        match shared.write_now() {
            Ok(()) => failing = false,
            Err(e) if !failing => {
                tracing::error!(file = %shared.path.display(), error = %e, "figures could not be saved");
                failing = true;
            }
            Err(_) => {}
        }
        if stopping {
            return;
        }
    }
}

/// The operations figures. Cheap to clone; every clone counts into the same
/// figures; safe to use from any thread.
#[derive(Clone)]
pub struct Stats {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Stats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stats")
            .field("path", &self.inner.shared.path)
            .finish_non_exhaustive()
    }
}

impl Stats {
    /// Opens (or starts) the figures in `state_dir/stats.json` and starts the
    /// background writer. A corrupt file is quarantined and reported, not fatal;
    /// only an unusable state directory is an error.
    pub fn open(state_dir: &Path) -> Result<Stats, StatsError> {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(state_dir)
            .map_err(|source| StatsError::Io {
                path: state_dir.to_owned(),
                source,
            })?;
        let path = state_dir.join(FILE_NAME);
        let (counters, quarantined) = load_or_quarantine(&path)?;
        let state = State {
            counters,
            // A quarantined file is replaced by a good one soon.
            dirty: quarantined.is_some(),
            ..State::default()
        };
        let shared = Arc::new(Shared {
            path,
            state: Mutex::new(state),
            wake: Condvar::new(),
            writing: Mutex::new(()),
            writable: true,
        });
        let flusher = {
            let shared = shared.clone();
            std::thread::Builder::new()
                .name("kaonin-stats".into())
                .spawn(move || flusher(shared))
                .map_err(|source| StatsError::Io {
                    path: state_dir.to_owned(),
                    source,
                })?
        };
        Ok(Stats {
            inner: Arc::new(Inner {
                shared,
                flusher: Some(flusher),
                quarantined,
            }),
        })
    }

    /// Reads the saved figures without ever writing (for `kaonin stats` while the
    /// daemon runs). The gauges are unknown; the counts are as of the daemon's last
    /// save (at most [`DEBOUNCE`] old). A corrupt file is an error here.
    pub fn open_read_only(state_dir: &Path) -> Result<Stats, StatsError> {
        let path = state_dir.join(FILE_NAME);
        let counters = match std::fs::read_to_string(&path) {
            Ok(text) => parse(&text).map_err(|reason| StatsError::Corrupt {
                path: path.clone(),
                reason,
            })?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => Counters::default(),
            Err(source) => return Err(StatsError::Io { path, source }),
        };
        let shared = Arc::new(Shared {
            path,
            state: Mutex::new(State {
                counters,
                ..State::default()
            }),
            wake: Condvar::new(),
            writing: Mutex::new(()),
            writable: false,
        });
        Ok(Stats {
            inner: Arc::new(Inner {
                shared,
                flusher: None,
                quarantined: None,
            }),
        })
    }

    /// Where a corrupt file found at open was moved, if one was.
    pub fn quarantined(&self) -> Option<&Path> {
        self.inner.quarantined.as_deref()
    }

    fn change(&self, f: impl FnOnce(&mut State)) {
        let dirty = {
            let mut state = self.inner.shared.state();
            f(&mut state);
            state.dirty
        };
        if dirty {
            self.inner.shared.wake.notify_all();
        }
    }

    /// Counts what a flow action says (call it for every action the flow returns).
    pub fn observe_action(&self, action: &Action) {
        self.observe_action_at(action, Instant::now());
    }

    /// [`Self::observe_action`] at a given time (for tests with a scripted clock).
    pub fn observe_action_at(&self, action: &Action, now: Instant) {
        self.change(|s| s.action(action, now));
    }

    /// Counts what a flow event says (call it for every event fed to the flow).
    pub fn observe_event(&self, event: &Event) {
        self.observe_event_at(event, Instant::now());
    }

    /// [`Self::observe_event`] at a given time (for tests with a scripted clock).
    pub fn observe_event_at(&self, event: &Event, now: Instant) {
        self.change(|s| s.event(event, now));
    }

    /// Sets the outbox depth gauge.
    pub fn set_outbox_depth(&self, n: usize) {
        self.change(|s| s.live.outbox_depth = Some(n as u64));
    }

    /// Sets the PC link gauge (a change is also counted).
    pub fn set_link_up(&self, up: bool) {
        self.change(|s| s.link(up));
    }

    /// Writes the figures now if they changed (the background writer does this by
    /// itself within [`DEBOUNCE`]).
    pub fn flush(&self) -> io::Result<()> {
        self.inner.shared.write_now()
    }

    /// The figures as a text table, for `kaonin stats`.
    pub fn render_table(&self) -> String {
        let state = self.inner.shared.state();
        table(&state.counters, &state.live)
    }

    /// The figures in the Prometheus text exposition format (0.0.4).
    pub fn render_prometheus(&self) -> String {
        let state = self.inner.shared.state();
        prometheus(&state.counters, &state.live)
    }

    /// The figures as one JSON object keyed by the Prometheus metric names (the
    /// `stats` message of the PC link, docs/pc-link.md): a labelled counter is an
    /// object of its label values (every value present, zero until counted), an
    /// unlabelled counter a number, the ack latency histogram
    /// `{"count","sum_ms","le_ms":{"50":…,…}}` (cumulative, like Prometheus), and
    /// the gauges a number or `null` while unknown.
    pub fn figures(&self) -> serde_json::Value {
        let state = self.inner.shared.state();
        figures(&state.counters, &state.live)
    }

    /// The figures as JSON (for the PC link's figures request): the saved counters
    /// plus the gauges.
    pub fn to_json(&self) -> serde_json::Value {
        let state = self.inner.shared.state();
        serde_json::json!({
            "counters": state.counters,
            "outbox_depth": state.live.outbox_depth,
            "link_up": state.live.link_up,
        })
    }
}

// ---- the metrics endpoint -----------------------------------------------------

/// Binds the metrics port; refuses any address that is not loopback.
pub async fn bind_metrics(addr: SocketAddr) -> io::Result<tokio::net::TcpListener> {
    if !addr.ip().is_loopback() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("metrics address {addr} is not loopback; refusing to listen"),
        ));
    }
    tokio::net::TcpListener::bind(addr).await
}

/// Serves `GET /metrics` on `addr` (loopback only) until the task is dropped.
pub async fn serve_metrics(stats: Stats, addr: SocketAddr) -> io::Result<()> {
    let listener = bind_metrics(addr).await?;
    tracing::info!(%addr, "metrics endpoint listening");
    serve_metrics_on(stats, listener).await
}

/// Serves `GET /metrics` on an already bound listener.
pub async fn serve_metrics_on(stats: Stats, listener: tokio::net::TcpListener) -> io::Result<()> {
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                tracing::warn!(error = %e, "metrics accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        if !peer.ip().is_loopback() {
            continue;
        }
        let stats = stats.clone();
        tokio::spawn(async move {
            let answer = tokio::time::timeout(Duration::from_secs(5), respond(stream, &stats));
            if let Ok(Err(e)) = answer.await {
                tracing::debug!(error = %e, "metrics request failed");
            }
        });
    }
}

/// The most a request head may take.
const REQUEST_MAX: usize = 8192;

async fn respond(mut stream: tokio::net::TcpStream, stats: &Stats) -> io::Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut head = Vec::with_capacity(512);
    let mut chunk = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        if head.len() > REQUEST_MAX {
            return reply(
                &mut stream,
                "431 Request Header Fields Too Large",
                "",
                false,
            )
            .await;
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        head.extend_from_slice(chunk.get(..n).unwrap_or_default());
    }
    let line = head.split(|&b| b == b'\r').next().unwrap_or_default();
    let line = std::str::from_utf8(line).unwrap_or("");
    let mut parts = line.split(' ');
    let (method, target, version) = (parts.next(), parts.next(), parts.next());
    let valid = matches!(version, Some(v) if v.starts_with("HTTP/1.")) && parts.next().is_none();
    let path = target.map(|t| t.split('?').next().unwrap_or(t));
    let result = match (valid, method, path) {
        (false, _, _) => reply(&mut stream, "400 Bad Request", "bad request\n", true).await,
        (true, Some(m @ ("GET" | "HEAD")), Some("/metrics")) => {
            let body = stats.render_prometheus();
            reply(&mut stream, "200 OK", &body, m == "GET").await
        }
        (true, Some("GET" | "HEAD"), _) => {
            reply(
                &mut stream,
                "404 Not Found",
                "only /metrics is here\n",
                true,
            )
            .await
        }
        (true, _, _) => reply(&mut stream, "405 Method Not Allowed", "GET only\n", true).await,
    };
    let _ = stream.shutdown().await;
    result
}

async fn reply(
    stream: &mut tokio::net::TcpStream,
    status: &str,
    body: &str,
    with_body: bool,
) -> io::Result<()> {
    use tokio::io::AsyncWriteExt;
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    if with_body {
        stream.write_all(body.as_bytes()).await?;
    }
    stream.flush().await
}

#[cfg(test)]
mod tests;
