//! Tests of the operations figures: a scripted day, persistence, the endpoint.

use super::*;
use crate::flow::{
    AckResult, AuditEntry, CardFacts, CardFailure, CardKind, Consent, ConsentMode, FaceOutcome,
    Guidance, Identity, Method, PcEventKind, PhotoStatus, PinStatus, ReaderRole, TimerToken,
    VerifyOutcome,
};
use std::net::SocketAddr;

fn identity(id: &str, method: Method, consent: Consent, mode: ConsentMode) -> Action {
    Action::Enqueue(Identity {
        id: id.into(),
        method,
        certificate: vec![0x30, 0x82],
        card_signature: None,
        face_score: None,
        staff_account: None,
        consent,
        consent_mode: mode,
        kenmen: None,
        prescription: None,
    })
}

fn read(photo: PhotoStatus) -> Event {
    Event::CardRead(Ok(CardFacts {
        session_id: "s".into(),
        kind: CardKind::Standard,
        certificate: Some(vec![1, 2, 3]),
        photo,
        kenmen: None,
    }))
}

fn acked(id: &str, result: AckResult) -> Event {
    Event::Acked {
        id: id.into(),
        result,
        message: None,
    }
}

fn pc(kind: PcEventKind) -> Action {
    Action::PcEvent {
        kind,
        detail: "x".into(),
    }
}

enum Step {
    E(Event),
    A(Action),
}

/// A day at the counter: every method, every consent choice, locks and errors.
/// Times are milliseconds from the start of the day.
fn day() -> Vec<(u64, Step)> {
    use Step::{A, E};
    let some = Consent {
        medication: true,
        surgery: true,
        ..Consent::default()
    };
    vec![
        (0, E(Event::Link { up: true })),
        // 1. Face, consent to all. The ack comes 300 ms later.
        (1000, E(Event::CardPresent(ReaderRole::Card))),
        (1100, E(read(PhotoStatus::Available))),
        (1200, E(Event::Face(FaceOutcome::Guidance(Guidance::Mask)))),
        (1300, E(Event::Face(FaceOutcome::NoMatch { score: 0.2 }))),
        (1400, E(Event::Face(FaceOutcome::Match { score: 0.9 }))),
        (
            1500,
            A(identity(
                "id-1",
                Method::Face,
                Consent::all(),
                ConsentMode::All,
            )),
        ),
        (1500, E(Event::Enqueued(Ok(())))),
        (1800, E(acked("id-1", AckResult::Eligible))),
        (
            1800,
            A(Action::Indicate(kaonin_hal::indicator::Signal::Success)),
        ),
        // 2. 照合番号B refused, face fails, one wrong PIN, then PIN; two items.
        (2000, E(Event::CardPresent(ReaderRole::Card))),
        (2100, E(read(PhotoStatus::KeyRefused))),
        (2200, E(Event::Face(FaceOutcome::Unavailable))),
        (2200, A(pc(PcEventKind::FaceFailed))),
        (2300, E(Event::PinTries(Ok(PinStatus::Tries(3))))),
        (
            2400,
            E(Event::PinVerified(Ok(VerifyOutcome::Wrong {
                tries_left: 2,
            }))),
        ),
        (2500, E(Event::PinVerified(Ok(VerifyOutcome::Ok)))),
        (
            2600,
            A(identity("id-2", Method::Pin, some, ConsentMode::Individual)),
        ),
        (3800, E(acked("id-2", AckResult::NotFound))),
        // 3. PIN locked; a wrong staff passcode, then a visual check; the PC is
        //    away for a while and acks 40 ms after it is back.
        (4000, E(Event::CardPresent(ReaderRole::Card))),
        (4100, E(read(PhotoStatus::Available))),
        (4200, E(Event::PinTries(Ok(PinStatus::Blocked)))),
        (4200, A(pc(PcEventKind::PinLocked))),
        (4300, A(Action::Audit(AuditEntry::StaffPasscodeRejected))),
        (
            4400,
            A(Action::Audit(AuditEntry::VisualArmed {
                account: "staff-a".into(),
            })),
        ),
        (
            4500,
            A(Action::Audit(AuditEntry::VisualConfirmed {
                account: "staff-a".into(),
                id: "id-3".into(),
            })),
        ),
        (4500, A(pc(PcEventKind::VisualCheck))),
        (4600, E(Event::Link { up: false })),
        (
            4600,
            A(identity(
                "id-3",
                Method::Visual,
                Consent::all(),
                ConsentMode::All,
            )),
        ),
        (4700, A(pc(PcEventKind::Offline))),
        (4800, E(Event::Link { up: false })),
        (9000, E(Event::Link { up: true })),
        (9040, E(acked("id-3", AckResult::Eligible))),
        // 4. A smartphone, consenting to nothing item by item; slow ack (7 s).
        (10000, E(Event::CardPresent(ReaderRole::Phone))),
        (10100, E(read(PhotoStatus::NotOnDevice))),
        (
            10200,
            A(identity(
                "id-4",
                Method::Smartphone,
                Consent::default(),
                ConsentMode::Individual,
            )),
        ),
        (17200, E(acked("id-4", AckResult::Eligible))),
        // 5. Errors: a foreign card, an unreadable one, a card pulled while signing,
        //    a 照合番号B counter too low, a full disk, a staff lockout, and an ack
        //    for a record of yesterday (counted, not timed).
        (20000, E(Event::CardPresent(ReaderRole::Card))),
        (20100, E(Event::CardRead(Err(CardFailure::NotMyNumberCard)))),
        (20200, A(pc(PcEventKind::CardError))),
        (21000, E(Event::CardRead(Err(CardFailure::Unreadable)))),
        (22000, E(Event::Signed(Err(CardFailure::Removed)))),
        (23000, E(read(PhotoStatus::CounterLow))),
        (24000, E(Event::Enqueued(Err("disk full".into())))),
        (25000, A(Action::Audit(AuditEntry::StaffLockedOut))),
        (26000, E(acked("yesterday", AckResult::Error))),
        (27000, E(Event::TimerFired(TimerToken(1)))),
        (27000, A(Action::EndSession)),
    ]
}

fn run_day(stats: &Stats) {
    let start = Instant::now();
    for (ms, step) in day() {
        let at = start + Duration::from_millis(ms);
        match step {
            Step::E(event) => stats.observe_event_at(&event, at),
            Step::A(action) => stats.observe_action_at(&action, at),
        }
    }
    stats.set_outbox_depth(2);
}

const EXPECTED_SAMPLES: &str = r#"kaonin_receptions_total{method="face"} 1
kaonin_receptions_total{method="pin"} 1
kaonin_receptions_total{method="visual"} 1
kaonin_receptions_total{method="smartphone"} 1
kaonin_consent_given_total{item="medication"} 3
kaonin_consent_given_total{item="medical_history"} 2
kaonin_consent_given_total{item="surgery"} 3
kaonin_consent_given_total{item="health_checkup"} 2
kaonin_consent_mode_total{mode="all"} 2
kaonin_consent_mode_total{mode="individual"} 2
kaonin_cards_presented_total{reader="card"} 4
kaonin_cards_presented_total{reader="phone"} 1
kaonin_card_photo_total{status="available"} 2
kaonin_card_photo_total{status="no_card_face"} 0
kaonin_card_photo_total{status="key_refused"} 1
kaonin_card_photo_total{status="counter_low"} 1
kaonin_card_photo_total{status="not_on_device"} 1
kaonin_card_errors_total{kind="not_my_number_card"} 1
kaonin_card_errors_total{kind="unreadable"} 1
kaonin_card_errors_total{kind="certificate_expired"} 0
kaonin_card_errors_total{kind="certificate_invalid"} 0
kaonin_card_errors_total{kind="not_genuine"} 0
kaonin_card_errors_total{kind="kenmen_not_genuine"} 0
kaonin_card_errors_total{kind="not_answering"} 0
kaonin_card_errors_total{kind="phone_not_authenticated"} 0
kaonin_card_errors_total{kind="removed"} 1
kaonin_card_errors_total{kind="reader_fault"} 0
kaonin_face_attempts_total{result="match"} 1
kaonin_face_attempts_total{result="no_match"} 1
kaonin_face_guidance_total{reason="no_face"} 0
kaonin_face_guidance_total{reason="several_faces"} 0
kaonin_face_guidance_total{reason="too_far"} 0
kaonin_face_guidance_total{reason="too_dark"} 0
kaonin_face_guidance_total{reason="mask"} 1
kaonin_face_guidance_total{reason="head_turned"} 0
kaonin_face_guidance_total{reason="hold_still"} 0
kaonin_face_unavailable_total 1
kaonin_face_fallbacks_total 1
kaonin_pin_wrong_total 1
kaonin_pin_locks_total 1
kaonin_visual_checks_total 1
kaonin_staff_passcode_rejected_total 1
kaonin_staff_lockouts_total 1
kaonin_outbox_failures_total 1
kaonin_sent_offline_total 1
kaonin_acks_total{result="eligible"} 3
kaonin_acks_total{result="not_eligible"} 0
kaonin_acks_total{result="not_found"} 1
kaonin_acks_total{result="error"} 1
kaonin_acks_total{result="not_registered"} 0
kaonin_link_changes_total{to="up"} 2
kaonin_link_changes_total{to="down"} 1
kaonin_ack_latency_seconds_bucket{le="0.050"} 0
kaonin_ack_latency_seconds_bucket{le="0.100"} 0
kaonin_ack_latency_seconds_bucket{le="0.250"} 0
kaonin_ack_latency_seconds_bucket{le="0.500"} 1
kaonin_ack_latency_seconds_bucket{le="1.000"} 1
kaonin_ack_latency_seconds_bucket{le="2.500"} 2
kaonin_ack_latency_seconds_bucket{le="5.000"} 3
kaonin_ack_latency_seconds_bucket{le="10.000"} 4
kaonin_ack_latency_seconds_bucket{le="30.000"} 4
kaonin_ack_latency_seconds_bucket{le="+Inf"} 4
kaonin_ack_latency_seconds_sum 12.940
kaonin_ack_latency_seconds_count 4
"#;

/// The sample lines (no comments) of a Prometheus text.
fn samples(text: &str) -> Vec<&str> {
    text.lines().filter(|l| !l.starts_with('#')).collect()
}

fn counter_samples(text: &str) -> Vec<&str> {
    samples(text)
        .into_iter()
        .filter(|l| !l.starts_with("kaonin_outbox_depth") && !l.starts_with("kaonin_link_up"))
        .collect()
}

/// The table as "section / label value" (or "section value") lines.
fn table_rows(table: &str) -> Vec<String> {
    let mut section = String::new();
    let mut rows = Vec::new();
    for line in table.lines().skip(1) {
        let words: Vec<&str> = line.split_whitespace().collect();
        if line.starts_with("  ") {
            rows.push(format!("{section} / {}", words.join(" ")));
        } else {
            section = words[..words.len() - 1].join(" ");
            rows.push(words.join(" "));
        }
    }
    rows
}

#[test]
fn a_scripted_day_gives_exact_figures_in_both_renderings() {
    let dir = tempfile::tempdir().unwrap();
    let stats = Stats::open(dir.path()).unwrap();
    run_day(&stats);
    let text = stats.render_prometheus();
    assert_eq!(counter_samples(&text), samples(EXPECTED_SAMPLES));
    assert!(samples(&text).contains(&"kaonin_outbox_depth 2"));
    assert!(samples(&text).contains(&"kaonin_link_up 1"));
    assert!(text.contains("# TYPE kaonin_ack_latency_seconds histogram"));
    assert!(text.contains("# TYPE kaonin_outbox_depth gauge"));

    let rows = table_rows(&stats.render_table());
    for expected in [
        "receptions (by method) 4",
        "receptions (by method) / face 1",
        "receptions (by method) / smartphone 1",
        "consent given (per item) 10",
        "consent given (per item) / medication 3 薬剤情報",
        "consent given (per item) / medical_history 2 診療情報",
        "consent given (per item) / surgery 3 手術情報",
        "consent given (per item) / health_checkup 2 特定健診等情報",
        "consent mode / individual 2",
        "card photo status / key_refused 1 照合番号B refused",
        "card errors (by kind) 3",
        "card errors (by kind) / removed 1",
        "face attempts 2",
        "face attempts / no_match 1",
        "PIN locks 1",
        "wrong PINs 1",
        "visual checks 1",
        "PC acks (by result) / eligible 3",
        "ack latency (count) 4",
        "ack latency (count) / mean 3235 ms",
        "ack latency (count) / <= 2.500 s 2",
        "outbox depth 2",
        "PC link up",
    ] {
        assert!(
            rows.iter().any(|r| r == expected),
            "missing row {expected:?} in {rows:#?}"
        );
    }
}

#[test]
fn figures_survive_a_restart_and_hold_nothing_personal() {
    let dir = tempfile::tempdir().unwrap();
    let before = {
        let stats = Stats::open(dir.path()).unwrap();
        run_day(&stats);
        stats.render_prometheus()
    }; // dropped: the last handle writes the file
    let file = std::fs::read_to_string(dir.path().join(FILE_NAME)).unwrap();
    for personal in ["id-1", "id-3", "staff-a", "yesterday", "disk full"] {
        assert!(!file.contains(personal), "{personal} leaked into the file");
    }
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(dir.path().join(FILE_NAME))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    assert!(!dir.path().join(".stats.json.tmp").exists());

    let stats = Stats::open(dir.path()).unwrap();
    let after = stats.render_prometheus();
    assert_eq!(counter_samples(&after), counter_samples(&before));
    assert!(samples(&after).contains(&"kaonin_receptions_total{method=\"face\"} 1"));
    // Gauges are not carried over: they are unknown until the daemon sets them.
    assert!(!samples(&after)
        .iter()
        .any(|l| l.starts_with("kaonin_outbox_depth")));
    // And the counts go on from there.
    stats.observe_action(&identity(
        "id-5",
        Method::Face,
        Consent::all(),
        ConsentMode::All,
    ));
    stats.flush().unwrap();
    let read_only = Stats::open_read_only(dir.path()).unwrap();
    assert!(samples(&read_only.render_prometheus())
        .contains(&"kaonin_receptions_total{method=\"face\"} 2"));
}

#[test]
fn a_corrupt_file_is_quarantined_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(FILE_NAME),
        b"{\"version\": 1, \"counters\": [",
    )
    .unwrap();
    assert!(matches!(
        Stats::open_read_only(dir.path()),
        Err(StatsError::Corrupt { .. })
    ));
    let stats = Stats::open(dir.path()).unwrap();
    let aside = stats.quarantined().expect("quarantined").to_owned();
    assert!(aside.exists());
    assert_eq!(
        std::fs::read(&aside).unwrap(),
        b"{\"version\": 1, \"counters\": [".to_vec()
    );
    assert!(samples(&stats.render_prometheus()).contains(&"kaonin_pin_locks_total 0"));
    stats.flush().unwrap();
    // A good file replaces it.
    assert!(Stats::open_read_only(dir.path()).is_ok());
}

#[test]
fn an_unknown_version_is_quarantined() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(FILE_NAME),
        br#"{"version": 99, "counters": {}}"#,
    )
    .unwrap();
    let stats = Stats::open(dir.path()).unwrap();
    assert!(stats.quarantined().is_some());
}

#[test]
fn acks_waiting_to_be_timed_are_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let stats = Stats::open(dir.path()).unwrap();
    let start = Instant::now();
    for i in 0..(PENDING_MAX + 10) {
        let id = format!("id-{i}");
        stats.observe_action_at(
            &identity(&id, Method::Pin, Consent::all(), ConsentMode::All),
            start,
        );
    }
    // The oldest were forgotten: their acks are counted but not timed.
    let later = start + Duration::from_millis(100);
    stats.observe_event_at(&acked("id-0", AckResult::Eligible), later);
    stats.observe_event_at(
        &acked(&format!("id-{}", PENDING_MAX + 9), AckResult::Eligible),
        later,
    );
    let text = stats.render_prometheus();
    assert!(samples(&text).contains(&"kaonin_acks_total{result=\"eligible\"} 2"));
    assert!(samples(&text).contains(&"kaonin_ack_latency_seconds_count 1"));
}

async fn http(addr: SocketAddr, request: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    answer
}

#[tokio::test]
async fn the_endpoint_serves_the_same_figures_on_loopback_only() {
    let dir = tempfile::tempdir().unwrap();
    let stats = Stats::open(dir.path()).unwrap();
    run_day(&stats);
    let refused = serve_metrics(stats.clone(), "0.0.0.0:0".parse().unwrap()).await;
    assert_eq!(refused.unwrap_err().kind(), io::ErrorKind::InvalidInput);

    let listener = bind_metrics("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(serve_metrics_on(stats.clone(), listener));

    let answer = http(addr, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n").await;
    let (head, body) = answer.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
    assert!(head.contains("text/plain; version=0.0.4"));
    assert!(head.contains(&format!("Content-Length: {}", body.len())));
    assert_eq!(body, stats.render_prometheus());
    assert_eq!(counter_samples(body), samples(EXPECTED_SAMPLES));

    let head_only = http(addr, "HEAD /metrics HTTP/1.0\r\n\r\n").await;
    assert!(head_only.starts_with("HTTP/1.1 200 OK"));
    assert!(head_only.ends_with("\r\n\r\n"));
    assert!(http(addr, "GET / HTTP/1.1\r\n\r\n")
        .await
        .starts_with("HTTP/1.1 404"));
    assert!(http(addr, "POST /metrics HTTP/1.1\r\n\r\n")
        .await
        .starts_with("HTTP/1.1 405"));
    assert!(http(addr, "hello\r\n\r\n")
        .await
        .starts_with("HTTP/1.1 400"));
    server.abort();
}

#[test]
fn the_wrong_pin_that_locks_the_card_is_a_wrong_pin_too() {
    let dir = tempfile::tempdir().unwrap();
    let stats = Stats::open(dir.path()).unwrap();
    for tries_left in [2, 1] {
        stats.observe_event(&Event::PinVerified(Ok(VerifyOutcome::Wrong { tries_left })));
    }
    stats.observe_event(&Event::PinVerified(Ok(VerifyOutcome::Blocked)));
    stats.observe_action(&pc(PcEventKind::PinLocked));
    let figures = stats.figures();
    assert_eq!(figures["kaonin_pin_wrong_total"], 3);
    assert_eq!(figures["kaonin_pin_locks_total"], 1);
    assert_eq!(figures["kaonin_receptions_total"]["face"], 0);
    assert_eq!(figures["kaonin_ack_latency_seconds"]["count"], 0);
    assert!(figures["kaonin_link_up"].is_null());
}
