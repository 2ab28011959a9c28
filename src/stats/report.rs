//! The figures as the families both renderings share (name, help, table title,
//! label values), the text table of `kaonin stats` and the JSON figures of the PC
//! link's `stats` message.

use super::counters::{
    get, Counters, Live, ACKS, CARD_FAILURES, FACE_RESULTS, GUIDANCE, ITEMS, LINK_CHANGES, METHODS,
    MODES, PHOTO, READERS,
};
use super::LATENCY_BUCKETS_MS;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The table's notes for the consent items: the categories of the national usage
/// statistics.
const ITEMS_JA: [&str; 4] = ["薬剤情報", "診療情報", "手術情報", "特定健診等情報"];

/// One metric family, shared by both renderings.
pub(super) struct Family {
    pub(super) name: &'static str,
    pub(super) help: &'static str,
    pub(super) kind: &'static str,
    /// Title in the table.
    pub(super) title: &'static str,
    pub(super) label: Option<&'static str>,
    /// (label value, table note, value).
    pub(super) rows: Vec<(&'static str, &'static str, u64)>,
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

pub(super) fn families(c: &Counters) -> Vec<Family> {
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

/// Milliseconds as seconds with three decimals.
pub(super) fn seconds(ms: u64) -> String {
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

/// The figures as one JSON object keyed by the Prometheus metric names.
pub(super) fn figures(c: &Counters, live: &Live) -> serde_json::Value {
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

/// The text table of `kaonin stats`.
pub(super) fn table(c: &Counters, live: &Live) -> String {
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
