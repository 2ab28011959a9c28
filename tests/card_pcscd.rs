//! End to end through a real pcscd: `kaonin vcard` (in a thread) attached to vpcd,
//! read with the PC/SC driver and with OpenSC.
//!
//! These tests need a private pcscd with the vpcd driver; run them with
//! `scripts/with-pcscd.sh cargo test --features pcsc --test card_pcscd -- --ignored`
//! (the `pcsc` feature builds the PC/SC driver; without it this file is empty).
//! They share the one vpcd slot "Virtual PCD 00 00" (127.0.0.1:35963), so they take a
//! lock and run one at a time. They wait on reader events (`SCardGetStatusChange`),
//! never on sleeps. `pcscd_restart_while_idle` stops the script's pcscd (pid from
//! /run/pcscd/pcscd.pid) and starts a new one, which the script's cleanup stops.

// Uses the simulators (cargo feature `sim`, on by default).
#![cfg(feature = "sim")]
#![cfg(feature = "pcsc")]

mod card_support;

use card_support::{asset, profile, verify_signature, Vcard};
use kaonin::card::{self, KenmenKey};
use kaonin::flow::{CardFailure, CardKind, PhotoStatus, PinStatus, VerifyOutcome};
use kaonin::sim::vcard::{Atr, AtrName, Profile};
use kaonin_drivers::pcsc::PcscReader;
use kaonin_hal::card::{CardReader, ErrorKind, Presence};
use kaonin_hal::secret::Digits;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

const READER: &str = "Virtual PCD 00 00";
const VPCD: &str = "127.0.0.1:35963";
const PATIENCE: Duration = Duration::from_secs(20);

static SLOT: Mutex<()> = Mutex::new(());

fn slot() -> MutexGuard<'static, ()> {
    SLOT.lock().unwrap_or_else(|p| p.into_inner())
}

/// Waits for the reader to report a card (true) or an empty slot (false).
fn wait_for(reader: &mut PcscReader, present: bool) -> Presence {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(!left.is_zero(), "reader never reported present={present}");
        let change = reader.wait_change(left).expect("wait_change");
        match change {
            Some(p @ Presence::Present { .. }) if present => return p,
            Some(Presence::Absent) if !present => return Presence::Absent,
            _ => {}
        }
    }
}

/// A card on the reader, connected.
struct Session {
    reader: PcscReader,
    vcard: Vcard,
    atr: Vec<u8>,
}

impl Session {
    fn insert(profile: Profile) -> Session {
        let mut reader = PcscReader::new(READER);
        wait_for(&mut reader, false);
        let vcard = Vcard::start(profile, VPCD);
        vcard.send("insert");
        let Presence::Present { atr } = wait_for(&mut reader, true) else {
            unreachable!()
        };
        assert_eq!(reader.connect().expect("connect"), atr);
        Session { reader, vcard, atr }
    }

    fn finish(mut self) {
        self.reader.disconnect().expect("disconnect");
        self.vcard.send("remove");
        wait_for(&mut self.reader, false);
    }
}

fn read(s: &mut Session, face: Option<&KenmenKey>) -> Result<card::Reading, CardFailure> {
    let mut guard = kaonin::sim::vcard::trusting_guard(3);
    card::read_card(
        &mut s.reader,
        face,
        &mut guard,
        "sid".into(),
        SystemTime::now(),
    )
}

#[test]
#[ignore = "needs pcscd: run scripts/with-pcscd.sh cargo test --features pcsc -- --ignored"]
fn standard_card_certificate_and_photo() {
    let _slot = slot();
    let p = profile("alice.toml");
    let face = p.printed_face();
    let mut s = Session::insert(p);
    assert_eq!(s.atr, Atr::Named(AtrName::Contactless).bytes().unwrap());
    let reading = read(&mut s, Some(&face)).expect("read");
    assert_eq!(reading.facts.kind, CardKind::Standard);
    assert_eq!(reading.facts.photo, PhotoStatus::Available);
    assert_eq!(
        reading.facts.certificate.as_deref(),
        Some(&asset("cards/keys/alice-auth.crt.der")[..])
    );
    assert_eq!(
        reading.photo.expect("photo").bytes(),
        asset("faces/alice-chip.jp2")
    );
    let c = s.vcard.counters();
    assert_eq!(
        (c.kenmen_verifies, c.kenmen_b_tries, c.pin_verifies),
        (1, 10, 0)
    );
    s.finish();
}

#[test]
#[ignore = "needs pcscd: run scripts/with-pcscd.sh cargo test --features pcsc -- --ignored"]
fn pin_path_and_signature() {
    let _slot = slot();
    let mut s = Session::insert(profile("alice.toml"));
    assert_eq!(
        card::query_pin_tries(&mut s.reader),
        Ok(PinStatus::Tries(3))
    );
    let wrong = Digits::parse("0000", 4).unwrap();
    assert_eq!(
        card::verify_pin(&mut s.reader, &wrong),
        Ok(VerifyOutcome::Wrong { tries_left: 2 })
    );
    let right = Digits::parse("1234", 4).unwrap();
    assert_eq!(
        card::verify_pin(&mut s.reader, &right),
        Ok(VerifyOutcome::Ok)
    );
    let id = "0b6e2a8e-3c1f-4f7a-9d0e-6f1b2c3d4e5f";
    let signature = card::sign(&mut s.reader, id).expect("sign");
    let cert = card::read_certificate(&mut s.reader).expect("certificate");
    verify_signature(&cert, id.as_bytes(), &signature);
    let c = s.vcard.counters();
    assert_eq!((c.pin_tries, c.pin_verifies, c.signatures), (3, 2, 1));
    s.finish();
}

#[test]
#[ignore = "needs pcscd: run scripts/with-pcscd.sh cargo test --features pcsc -- --ignored"]
fn android_certificate_after_pin() {
    let _slot = slot();
    let mut s = Session::insert(profile("carol-android.toml"));
    let reading = read(&mut s, None).expect("read");
    assert_eq!(reading.facts.kind, CardKind::Android);
    assert_eq!(reading.facts.certificate, None);
    assert_eq!(reading.facts.photo, PhotoStatus::NotOnDevice);
    assert_eq!(
        card::read_certificate(&mut s.reader),
        Err(CardFailure::Unreadable)
    );
    let pin = Digits::parse("2468", 4).unwrap();
    assert_eq!(card::verify_pin(&mut s.reader, &pin), Ok(VerifyOutcome::Ok));
    let cert = card::read_certificate(&mut s.reader).expect("certificate after PIN");
    assert_eq!(cert, asset("cards/keys/carol-auth.crt.der"));
    let signature = card::sign(&mut s.reader, "android-id").expect("sign");
    verify_signature(&cert, b"android-id", &signature);
    s.finish();
}

#[test]
#[ignore = "needs pcscd: run scripts/with-pcscd.sh cargo test --features pcsc -- --ignored"]
fn iphone_with_and_without_face_id() {
    let _slot = slot();
    let mut s = Session::insert(profile("carol-iphone.toml"));
    let reading = read(&mut s, None).expect("read");
    assert_eq!(reading.facts.kind, CardKind::Iphone);
    assert_eq!(reading.facts.photo, PhotoStatus::NotOnDevice);
    let cert = reading.facts.certificate.expect("certificate");
    assert_eq!(card::query_pin_tries(&mut s.reader), Ok(PinStatus::NoPin));
    let signature = card::sign(&mut s.reader, "iphone-id").expect("sign");
    verify_signature(&cert, b"iphone-id", &signature);
    s.finish();

    let mut locked = profile("carol-iphone.toml");
    locked.face_id = false;
    let mut s = Session::insert(locked);
    read(&mut s, None).expect("read");
    assert_eq!(
        card::sign(&mut s.reader, "iphone-id"),
        Err(CardFailure::PhoneNotAuthenticated)
    );
    s.finish();
}

#[test]
#[ignore = "needs pcscd: run scripts/with-pcscd.sh cargo test --features pcsc -- --ignored"]
fn removal_mid_read() {
    let _slot = slot();
    let p = profile("alice.toml");
    let face = p.printed_face();
    // The standard read takes 22 APDUs: AP and token (1-4), certificate (5-10),
    // 券面AP and 照合番号B (11-14), card-face file (15-21), internal auth (22).
    for n in [1u64, 3, 6, 9, 12, 14, 16, 20, 22] {
        let mut p = p.clone();
        p.faults.remove_at_apdu = Some(n);
        let mut s = Session::insert(p);
        let result = read(&mut s, Some(&face));
        assert_eq!(
            result.map(drop),
            Err(CardFailure::Removed),
            "removed at APDU {n}"
        );
        // The card is gone: the reader says so by itself, and later exchanges fail typed.
        wait_for(&mut s.reader, false);
        let again = card::query_pin_tries(&mut s.reader);
        assert!(
            matches!(again, Err(CardFailure::Removed)),
            "{again:?} after removal at {n}"
        );
        s.reader.disconnect().expect("disconnect after removal");
    }
}

#[test]
#[ignore = "needs pcscd: run scripts/with-pcscd.sh cargo test --features pcsc -- --ignored"]
fn pcscd_restart_while_idle() {
    let _slot = slot();
    let mut reader = PcscReader::new(READER);
    wait_for(&mut reader, false);
    let pid = std::fs::read_to_string("/run/pcscd/pcscd.pid")
        .expect("pcscd pid file (run inside scripts/with-pcscd.sh)");
    let killed = Command::new("kill")
        .arg(pid.trim_matches(|c: char| c == '\0' || c.is_whitespace()))
        .status()
        .expect("kill");
    assert!(killed.success());
    // The pending status wait ends when pcscd goes away.
    let err = loop {
        match reader.wait_change(PATIENCE) {
            Err(e) => break e,
            Ok(None) => panic!("pcscd stop not noticed"),
            Ok(Some(_)) => {}
        }
    };
    assert_eq!(err.kind(), ErrorKind::NoService, "{err}");
    start_pcscd();
    let p = profile("alice.toml");
    let face = p.printed_face();
    let vcard = Vcard::start(p, VPCD);
    vcard.send("insert");
    let deadline = Instant::now() + PATIENCE;
    loop {
        assert!(
            Instant::now() < deadline,
            "card not seen after the pcscd restart"
        );
        if let Ok(Some(Presence::Present { .. })) = reader.wait_change(PATIENCE) {
            break;
        }
    }
    reader.connect().expect("connect after restart");
    let mut guard = kaonin::sim::vcard::trusting_guard(3);
    let reading = card::read_card(
        &mut reader,
        Some(&face),
        &mut guard,
        "sid".into(),
        SystemTime::now(),
    )
    .expect("read after restart");
    assert_eq!(reading.facts.photo, PhotoStatus::Available);
    reader.disconnect().expect("disconnect");
    vcard.send("remove");
    wait_for(&mut reader, false);
}

/// Starts a new pcscd whose log goes to the script's log file, and returns once it
/// says it is ready (read from its output: no polling).
fn start_pcscd() {
    let log = std::env::var("KAONIN_PCSCD_LOG").unwrap_or_else(|_| "/dev/null".into());
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(r#"exec pcscd --foreground --info --apdu 2>&1 | tee -p -a "$0""#)
        .arg(log)
        .stdout(Stdio::piped())
        .spawn()
        .expect("start pcscd");
    let mut lines = BufReader::new(child.stdout.take().expect("pcscd output")).lines();
    for line in lines.by_ref() {
        if line.expect("pcscd output").contains("daemon ready") {
            break;
        }
    }
    // Keep draining so pcscd never blocks on a full pipe; `tee -p` keeps logging to
    // the file after this process ends.
    std::thread::spawn(move || {
        lines.for_each(drop);
        let _ = child.wait();
    });
}

#[test]
#[ignore = "needs pcscd: run scripts/with-pcscd.sh cargo test --features pcsc -- --ignored"]
fn opensc_agrees_with_the_virtual_card() {
    let _slot = slot();
    let mut p = profile("alice.toml");
    p.pin.tries = 2;
    let mut reader = PcscReader::new(READER);
    wait_for(&mut reader, false);
    let vcard = Vcard::start(p, VPCD);
    vcard.send("insert");
    wait_for(&mut reader, true);

    let certs = pkcs15_tool(&["--list-certificates"]);
    assert!(certs.contains("User Authentication Certificate"), "{certs}");
    let pem = pkcs15_tool(&["--read-certificate", "01"]);
    assert_eq!(
        pem_to_der(&pem),
        asset("cards/keys/alice-auth.crt.der"),
        "{pem}"
    );
    let pins = pkcs15_tool(&["--list-pins"]);
    let tries = tries_left(&pins);
    assert_eq!(tries, vec![2, 5], "{pins}");
    let c = vcard.counters();
    assert_eq!((c.pin_tries, c.pin_verifies), (2, 0));
    vcard.send("remove");
    wait_for(&mut reader, false);
}

fn pkcs15_tool(args: &[&str]) -> String {
    let out = Command::new("pkcs15-tool")
        .args(["--reader", "0"])
        .args(args)
        .output()
        .expect("pkcs15-tool (apt-get install opensc)");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "pkcs15-tool {args:?}: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

/// "Tries left" of each PIN, in the order listed.
fn tries_left(listing: &str) -> Vec<u32> {
    listing
        .lines()
        .filter(|l| l.trim_start().starts_with("Tries left"))
        .filter_map(|l| l.split(':').nth(1)?.trim().parse().ok())
        .collect()
}

fn pem_to_der(pem: &str) -> Vec<u8> {
    use base64::Engine;
    let body: String = pem
        .lines()
        .skip_while(|l| !l.starts_with("-----BEGIN"))
        .skip(1)
        .take_while(|l| !l.starts_with("-----END"))
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .expect("PEM base64")
}

#[test]
#[ignore = "needs pcscd: run scripts/with-pcscd.sh cargo test --features pcsc -- --ignored"]
fn empty_name_finds_the_reader_holding_a_jpki_card() {
    let _slot = slot();
    // The card goes into the second slot ("Virtual PCD 00 01", port 35964).
    let mut reader = PcscReader::new("");
    let first = reader.wait_change(Duration::ZERO).expect("wait_change");
    assert!(matches!(first, Some(Presence::Absent) | None), "{first:?}");
    let p = profile("carol-iphone.toml");
    let vcard = Vcard::start(p, "127.0.0.1:35964");
    vcard.send("insert");
    wait_for(&mut reader, true);
    assert_eq!(reader.name(), "Virtual PCD 00 01");
    reader.connect().expect("connect");
    let mut guard = kaonin::sim::vcard::trusting_guard(3);
    let reading = card::read_card(&mut reader, None, &mut guard, "s".into(), SystemTime::now())
        .expect("read");
    assert_eq!(reading.facts.kind, CardKind::Iphone);
    reader.disconnect().expect("disconnect");
    vcard.send("remove");
    wait_for(&mut reader, false);
    // Excluding that reader: a card there is never reported.
    let mut others = PcscReader::new("").excluding("00 01");
    assert!(matches!(
        others.wait_change(Duration::ZERO).expect("wait"),
        Some(Presence::Absent) | None
    ));
    vcard.send("insert");
    wait_for(&mut reader, true);
    // pcscd already knows the card is there: a zero-timeout look is enough.
    let seen = others.wait_change(Duration::ZERO).expect("wait");
    assert!(seen.is_none(), "{seen:?}");
    vcard.send("remove");
    wait_for(&mut reader, false);
}
