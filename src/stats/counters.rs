//! Counting: the counters kept across restarts, their fixed label values, the ack
//! latency histogram, the live gauges, and what each flow [`Action`] and [`Event`]
//! counts. Only counts: no identity, no session id, no staff account (session ids
//! are held in memory, at most [`PENDING_MAX`] of them, only to time the PC's ack).

use super::{LATENCY_BUCKETS_MS, PENDING_MAX};
use crate::flow::{
    AckResult, Action, AuditEntry, CardFailure, ConsentItem, ConsentMode, Event, FaceOutcome,
    Guidance, Method, PcEventKind, PhotoStatus, ReaderRole, VerifyOutcome,
};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};
use std::time::Instant;

// ---- vocabulary ---------------------------------------------------------------

pub(super) const METHODS: [&str; 4] = ["face", "pin", "visual", "smartphone"];
pub(super) const ITEMS: [&str; 4] = ["medication", "medical_history", "surgery", "health_checkup"];
pub(super) const MODES: [&str; 2] = ["all", "individual"];
pub(super) const READERS: [&str; 2] = ["card", "phone"];
pub(super) const PHOTO: [&str; 5] = [
    "available",
    "no_card_face",
    "key_refused",
    "counter_low",
    "not_on_device",
];
pub(super) const CARD_FAILURES: [&str; 10] = [
    "not_my_number_card",
    "unreadable",
    "certificate_expired",
    "certificate_invalid",
    "not_genuine",
    "kenmen_not_genuine",
    "not_answering",
    "phone_not_authenticated",
    "removed",
    "reader_fault",
];
pub(super) const FACE_RESULTS: [&str; 2] = ["match", "no_match"];
pub(super) const GUIDANCE: [&str; 7] = [
    "no_face",
    "several_faces",
    "too_far",
    "too_dark",
    "mask",
    "head_turned",
    "hold_still",
];
pub(super) const ACKS: [&str; 5] = [
    "eligible",
    "not_eligible",
    "not_found",
    "error",
    "not_registered",
];
pub(super) const LINK_CHANGES: [&str; 2] = ["up", "down"];

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
        CardFailure::KenmenNotGenuine => "kenmen_not_genuine",
        CardFailure::NotAnswering => "not_answering",
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
        Guidance::HoldStill => "hold_still",
    }
}

fn ack_label(a: AckResult) -> &'static str {
    match a {
        AckResult::Eligible => "eligible",
        AckResult::NotEligible => "not_eligible",
        AckResult::NotFound => "not_found",
        AckResult::Error => "error",
        AckResult::NotRegistered => "not_registered",
    }
}

// ---- the counters -------------------------------------------------------------

/// Ack latency: observations per bucket (not cumulative), count and sum.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct Histogram {
    /// One count per [`LATENCY_BUCKETS_MS`] bound (observations above the last
    /// bound are only in `count`).
    pub(super) buckets: Vec<u64>,
    pub(super) count: u64,
    pub(super) sum_ms: u64,
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
    pub(super) fn cumulative(&self) -> Vec<u64> {
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
pub(super) struct Counters {
    pub(super) receptions: BTreeMap<String, u64>,
    pub(super) consent_given: BTreeMap<String, u64>,
    pub(super) consent_mode: BTreeMap<String, u64>,
    pub(super) cards_presented: BTreeMap<String, u64>,
    pub(super) card_photo: BTreeMap<String, u64>,
    pub(super) card_errors: BTreeMap<String, u64>,
    pub(super) face_attempts: BTreeMap<String, u64>,
    pub(super) face_guidance: BTreeMap<String, u64>,
    pub(super) face_unavailable: u64,
    pub(super) face_fallbacks: u64,
    pub(super) pin_wrong: u64,
    pub(super) pin_locks: u64,
    pub(super) visual_checks: u64,
    pub(super) staff_passcode_rejected: u64,
    pub(super) staff_lockouts: u64,
    pub(super) outbox_failures: u64,
    pub(super) sent_offline: u64,
    pub(super) acks: BTreeMap<String, u64>,
    pub(super) link_changes: BTreeMap<String, u64>,
    pub(super) ack_latency: Histogram,
}

fn bump(map: &mut BTreeMap<String, u64>, label: &str) {
    *map.entry(label.to_owned()).or_insert(0) += 1;
}

pub(super) fn get(map: &BTreeMap<String, u64>, label: &str) -> u64 {
    map.get(label).copied().unwrap_or(0)
}

/// What is not persisted: gauges and the acks being timed.
#[derive(Debug, Default)]
pub(super) struct Live {
    pub(super) outbox_depth: Option<u64>,
    pub(super) link_up: Option<bool>,
    pending: VecDeque<(String, Instant)>,
}

#[derive(Debug, Default)]
pub(super) struct State {
    pub(super) counters: Counters,
    pub(super) live: Live,
    /// Changed since the last save.
    pub(super) dirty: bool,
    /// The last handle is gone: the flusher saves once more and ends.
    pub(super) stopping: bool,
}

impl State {
    /// Sets the link gauge; a change is counted.
    pub(super) fn link(&mut self, up: bool) {
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

    /// Counts what a flow event says.
    pub(super) fn event(&mut self, event: &Event, now: Instant) {
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

    /// Counts what a flow action says.
    pub(super) fn action(&mut self, action: &Action, now: Instant) {
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
                AuditEntry::VisualArmed { .. }
                | AuditEntry::VisualArmedByPc { .. }
                | AuditEntry::VisualDisarmedByPc { .. }
                | AuditEntry::VisualRefused { .. }
                | AuditEntry::RegistrationOffered { .. }
                | AuditEntry::RegistrationAccepted { .. }
                | AuditEntry::RegistrationDeclined { .. } => return,
            },
            _ => return,
        }
        self.dirty = true;
    }
}
