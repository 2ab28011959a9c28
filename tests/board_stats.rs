//! Operations figures through the real daemon: a scripted day of receptions (every
//! method, every consent choice for the four items, a PIN lock, a 照合番号B refusal,
//! card errors, a wrong staff passcode), after which the metrics endpoint, the PC
//! link's `stats` answer, `kaonin stats` and `kaonin stats --prometheus` all report
//! exactly the expected numbers; and they are the same after a restart.
//!
//! Not compared exactly (and why): the ack latency buckets and sum (time), and the
//! PC link changes (whether the terminal's first connection attempt comes before
//! the test's PC listens is a race). Their presence and the ack count are checked.

mod common;

use common::*;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;

/// Series name (`name{label="value"}` or `name`) → value.
type Series = BTreeMap<String, String>;

/// Parses the Prometheus text format.
fn parse_prometheus(text: &str) -> Series {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (name, value) = l.rsplit_once(' ').unwrap_or_else(|| panic!("bad line {l}"));
            (name.to_owned(), value.to_owned())
        })
        .collect()
}

/// The counters this test compares exactly: everything but latency and link
/// changes (see the module comment) and the gauges.
fn exact(series: &Series) -> Series {
    series
        .iter()
        .filter(|(name, _)| {
            !name.starts_with("kaonin_ack_latency_seconds")
                && !name.starts_with("kaonin_link_changes_total")
                && !name.starts_with("kaonin_outbox_depth")
                && !name.starts_with("kaonin_link_up")
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn scrape(port: u16) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("metrics endpoint");
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").expect("an HTTP answer");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    body.to_owned()
}

/// The figures of a PC-link `stats` message as Prometheus series.
fn series_of_figures(figures: &Value) -> Series {
    let label_of = |name: &str| -> &'static str {
        match name {
            "kaonin_receptions_total" => "method",
            "kaonin_consent_given_total" => "item",
            "kaonin_consent_mode_total" => "mode",
            "kaonin_cards_presented_total" => "reader",
            "kaonin_card_photo_total" => "status",
            "kaonin_card_errors_total" => "kind",
            "kaonin_face_attempts_total" => "result",
            "kaonin_face_guidance_total" => "reason",
            "kaonin_acks_total" => "result",
            "kaonin_link_changes_total" => "to",
            other => panic!("unexpected labelled figure {other}"),
        }
    };
    let mut out = Series::new();
    for (name, value) in figures.as_object().expect("figures object") {
        match value {
            Value::Object(map) if name == "kaonin_ack_latency_seconds" => {
                out.insert(format!("{name}_count"), map["count"].to_string());
            }
            Value::Object(map) => {
                for (label, n) in map {
                    out.insert(
                        format!("{name}{{{}=\"{label}\"}}", label_of(name)),
                        n.to_string(),
                    );
                }
            }
            other => {
                out.insert(name.clone(), other.to_string());
            }
        }
    }
    out
}

/// The numbers the scripted day must produce; every other series is 0.
fn expected(all: &Series) -> Series {
    let mut want: Series = exact(all)
        .keys()
        .map(|k| (k.clone(), "0".to_owned()))
        .collect();
    let nonzero: &[(&str, u64)] = &[
        // face, PIN (after face failed), visual (after a PIN lock), 2 smartphones,
        // and a PIN reception on the card whose 照合番号B was refused.
        ("kaonin_receptions_total{method=\"face\"}", 1),
        ("kaonin_receptions_total{method=\"pin\"}", 2),
        ("kaonin_receptions_total{method=\"visual\"}", 1),
        ("kaonin_receptions_total{method=\"smartphone\"}", 2),
        // all (face, android, iphone, refused-B pin) = 4 each; individual:
        // pin yes/no/no/yes, visual no/yes/yes/no.
        ("kaonin_consent_given_total{item=\"medication\"}", 5),
        ("kaonin_consent_given_total{item=\"medical_history\"}", 5),
        ("kaonin_consent_given_total{item=\"surgery\"}", 5),
        ("kaonin_consent_given_total{item=\"health_checkup\"}", 5),
        ("kaonin_consent_mode_total{mode=\"all\"}", 4),
        ("kaonin_consent_mode_total{mode=\"individual\"}", 2),
        // alice ×4 (face, pin, lock, refused B), expired, clone; two phones.
        ("kaonin_cards_presented_total{reader=\"card\"}", 6),
        ("kaonin_cards_presented_total{reader=\"phone\"}", 2),
        ("kaonin_card_photo_total{status=\"available\"}", 3),
        ("kaonin_card_photo_total{status=\"key_refused\"}", 1),
        ("kaonin_card_photo_total{status=\"not_on_device\"}", 2),
        ("kaonin_card_errors_total{kind=\"certificate_expired\"}", 1),
        ("kaonin_card_errors_total{kind=\"not_genuine\"}", 1),
        ("kaonin_face_attempts_total{result=\"match\"}", 1),
        ("kaonin_face_attempts_total{result=\"no_match\"}", 3),
        ("kaonin_face_fallbacks_total", 1),
        ("kaonin_pin_wrong_total", 3),
        ("kaonin_pin_locks_total", 1),
        ("kaonin_visual_checks_total", 1),
        ("kaonin_staff_passcode_rejected_total", 1),
        ("kaonin_acks_total{result=\"eligible\"}", 6),
    ];
    for (name, n) in nonzero {
        assert!(want.contains_key(*name), "no series {name}");
        want.insert((*name).to_owned(), n.to_string());
    }
    want
}

fn assert_same(what: &str, got: &Series, want: &Series) {
    let diff: Vec<String> = want
        .iter()
        .filter(|(k, v)| got.get(*k) != Some(v))
        .map(|(k, v)| format!("{k}: want {v}, got {:?}", got.get(k)))
        .chain(
            got.keys()
                .filter(|k| !want.contains_key(*k))
                .map(|k| format!("{k}: not expected")),
        )
        .collect();
    assert!(diff.is_empty(), "{what}:\n{}", diff.join("\n"));
}

fn consent_items(t: &mut Terminal, answers: [&str; 4]) {
    t.expect("consent");
    t.press("consent_individual");
    for answer in answers {
        t.expect("consent_items");
        t.press(answer);
    }
    t.expect("done");
}

fn finish(t: &mut Terminal) {
    t.remove();
    t.expect("idle");
}

/// The scripted day. Returns the number of identities forwarded.
fn a_day(t: &mut Terminal, pc: &mut Pc) -> usize {
    // 1. Face.
    face_reception(t, "done");
    finish(t);
    // 2. Face fails three times, then the PIN; consent item by item.
    t.camera(Some("bob.png"));
    t.insert("alice");
    t.expect("method_select");
    t.press("face");
    t.expect("pin");
    t.send(json!({"pin": "1234"}));
    consent_items(t, ["yes", "no", "no", "yes"]);
    finish(t);
    // 3. Three wrong PINs lock the card; a wrong staff passcode, then the right one;
    //    visual check; consent item by item.
    t.insert("alice");
    t.expect("method_select");
    t.press("pin");
    lock_pin(t, "0000");
    t.send(json!({"staff": "visual", "passcode": "1111"}));
    t.expect("pin_locked");
    t.send(json!({"staff": "visual", "passcode": "2580"}));
    t.expect("visual_armed");
    t.send(json!({"staff": "confirm"}));
    consent_items(t, ["no", "yes", "yes", "no"]);
    finish(t);
    // 4. Smartphones: Android with its PIN, iPhone with Face ID.
    t.press("phone");
    t.expect("phone");
    t.insert("carol-android");
    t.expect("pin");
    t.send(json!({"pin": "2468"}));
    consent_all(t);
    finish(t);
    t.press("phone");
    t.expect("phone");
    t.insert("carol-iphone");
    consent_all(t);
    finish(t);
    // 5. Card errors: an expired certificate, a cloned chip.
    for profile in ["alice-expired", "alice-clone"] {
        t.insert(profile);
        t.expect("card_error");
        finish(t);
    }
    // 6. The card face was misread: the card refuses the 照合番号B (no photo, no
    //    face button); the patient uses the PIN.
    t.send(
        json!({"card_face": {"birth": "19850412", "expiry": "20350412", "security_code": "0000"}}),
    );
    t.insert("alice");
    let screen = t.expect("method_select");
    assert!(
        !screen["buttons"]
            .as_array()
            .unwrap()
            .contains(&json!("face")),
        "{screen}"
    );
    t.press("pin");
    t.expect("pin");
    t.send(json!({"pin": "1234"}));
    consent_all(t);
    finish(t);
    for _ in 0..6 {
        pc.expect("identity");
    }
    t.forwarded.len()
}

fn kaonin_stats(config: &Path, prometheus: bool) -> String {
    let mut cmd = kaonin();
    cmd.arg("stats").arg("--config").arg(config);
    if prometheus {
        cmd.arg("--prometheus");
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// `kaonin stats` (the table): `(section title, row label)` → count.
fn table_rows(table: &str) -> BTreeMap<(String, String), u64> {
    let mut rows = BTreeMap::new();
    let mut section = String::new();
    for line in table.lines().skip(1) {
        if line.starts_with("  ") {
            // "  label   N  note": the label is one word (latency rows are skipped).
            let mut words = line.split_whitespace();
            let (Some(label), Some(n)) = (words.next(), words.next()) else {
                continue;
            };
            if let Ok(n) = n.parse::<u64>() {
                rows.insert((section.clone(), label.to_owned()), n);
            }
        } else if let Some((title, n)) = line.trim_end().rsplit_once(' ') {
            section = title.trim().to_owned();
            if let Ok(n) = n.parse::<u64>() {
                rows.insert((section.clone(), String::new()), n);
            }
        }
    }
    rows
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn a_scripted_day_is_counted_exactly_and_survives_a_restart() {
    let port = free_port();
    let options = Options {
        extra: format!(
            "[face]\nmatcher = \"test-thumbnail\"\n[board.metrics]\nlisten = \"127.0.0.1:{port}\"\n"
        ),
        ..Options::default()
    };
    let (mut t, mut pc) = terminal_and_pc(options);
    // Before the day: all zero, every series present.
    let before = parse_prometheus(&scrape(port));
    assert!(exact(&before).values().all(|v| v == "0"), "{before:?}");

    let forwarded = a_day(&mut t, &mut pc);
    assert_eq!(forwarded, 6, "{:?}", t.forwarded);

    // The metrics endpoint (live figures).
    let live = parse_prometheus(&scrape(port));
    let want = expected(&live);
    assert_same("metrics endpoint", &exact(&live), &want);
    assert_eq!(live["kaonin_ack_latency_seconds_count"], "6");
    assert_eq!(live["kaonin_ack_latency_seconds_bucket{le=\"+Inf\"}"], "6");
    assert_eq!(live["kaonin_outbox_depth"], "0");
    assert_eq!(live["kaonin_link_up"], "1");
    assert_ne!(live["kaonin_link_changes_total{to=\"up\"}"], "0");

    // The PC asks over the link (extension `stats_request`).
    drop(pc);
    let mut pc = Pc::start(&t.link_socket(), &["--ask-stats"]);
    pc.expect("hello");
    let stats = pc.expect("stats");
    assert!(stats["at"].as_str().is_some_and(|at| at.ends_with('Z')));
    let text = stats.to_string();
    assert!(!text.contains("staff-01"), "no staff account: {text}");
    for forwarded in &t.forwarded {
        let id = forwarded["id"].as_str().unwrap();
        assert!(!text.contains(id), "no session id: {text}");
    }
    let figures = series_of_figures(&stats["figures"]);
    assert_same("PC link stats", &exact(&figures), &want);
    assert_eq!(figures["kaonin_ack_latency_seconds_count"], "6");
    assert_eq!(figures["kaonin_outbox_depth"], "0");

    // Stopped: the figures are on disk; `kaonin stats` reads them.
    let status = t.terminate();
    assert!(status.success(), "{status}");
    let config = t.dir.path().join("kaonin.toml");
    let saved = parse_prometheus(&kaonin_stats(&config, true));
    assert_same("kaonin stats --prometheus", &exact(&saved), &want);
    assert_eq!(saved["kaonin_ack_latency_seconds_count"], "6");
    let table = table_rows(&kaonin_stats(&config, false));
    for ((section, label), n) in [
        (("receptions (by method)", ""), 6),
        (("receptions (by method)", "face"), 1),
        (("receptions (by method)", "pin"), 2),
        (("receptions (by method)", "visual"), 1),
        (("receptions (by method)", "smartphone"), 2),
        (("consent given (per item)", "medication"), 5),
        (("consent given (per item)", "health_checkup"), 5),
        (("card errors (by kind)", ""), 2),
        (("card photo status", "key_refused"), 1),
        (("PIN locks", ""), 1),
        (("wrong PINs", ""), 3),
        (("visual checks", ""), 1),
    ] {
        assert_eq!(
            table.get(&(section.to_owned(), label.to_owned())),
            Some(&n),
            "table row {section}/{label}: {table:?}"
        );
    }

    // Restarted on the same state: the same figures, before anything happens.
    let dir = std::mem::replace(&mut t.dir, tempfile::tempdir().unwrap());
    let t2 = Terminal::start_with(dir, &config);
    let restarted = parse_prometheus(&scrape(port));
    assert_same("after a restart", &exact(&restarted), &want);
    assert_eq!(restarted["kaonin_ack_latency_seconds_count"], "6");
    drop(t2);
}
