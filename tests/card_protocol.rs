//! The card protocol against the project's one card model (`VirtualCard`) in the
//! in-process mock reader, and against scripted answers for every status word.

// Uses the simulators (cargo feature `sim`, on by default).
#![cfg(feature = "sim")]

mod card_support;

use card_support::{asset, profile, verify_signature, Rig, Script};
use kaonin::card::apdu::{self, Command, AID_JPKI, AID_KENMEN};
use kaonin::card::{self, KenmenGuard, KenmenKey, Reading};
use kaonin::flow::{CardFailure, CardKind, PhotoStatus, PinStatus, VerifyOutcome};
use kaonin_hal::secret::Digits;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

fn read(
    rig: &mut Rig,
    face: Option<&KenmenKey>,
    guard: &mut KenmenGuard,
) -> Result<Reading, CardFailure> {
    card::read_card(
        &mut rig.reader,
        face,
        guard,
        "sid".into(),
        SystemTime::now(),
    )
}

fn pin(text: &str) -> Digits {
    Digits::parse(text, text.len()).unwrap()
}

fn sw(value: u16) -> Vec<u8> {
    value.to_be_bytes().to_vec()
}

// ---------------------------------------------------------------- the standard card

#[test]
fn standard_card_gives_certificate_and_genuine_photo() {
    let p = profile("alice.toml");
    let face = p.printed_face();
    let mut rig = Rig::new(p);
    let mut guard = kaonin::sim::vcard::trusting_guard(3);
    let reading = read(&mut rig, Some(&face), &mut guard).unwrap();
    assert_eq!(reading.facts.session_id, "sid");
    assert_eq!(reading.facts.kind, CardKind::Standard);
    assert_eq!(reading.facts.photo, PhotoStatus::Available);
    assert_eq!(
        reading.facts.certificate,
        Some(asset("cards/keys/alice-auth.crt.der"))
    );
    assert_eq!(
        reading.photo.unwrap().bytes(),
        asset("faces/alice-chip.jp2")
    );
    let c = rig.counters();
    assert_eq!(c.kenmen_verifies, 1, "one 照合番号B VERIFY");
    assert_eq!(
        c.kenmen_b_tries, 10,
        "the right value restores nothing and spends nothing"
    );
    assert_eq!((c.pin_verifies, c.pin_tries), (0, 3), "no PIN touched");
}

#[test]
fn photo_debug_hides_the_image() {
    let p = profile("alice.toml");
    let face = p.printed_face();
    let mut rig = Rig::new(p);
    let reading = read(
        &mut rig,
        Some(&face),
        &mut kaonin::sim::vcard::trusting_guard(3),
    )
    .unwrap();
    let shown = format!("{reading:?}");
    assert!(shown.contains("bytes hidden"), "{shown}");
    assert!(
        !shown.contains("106, 80, 32, 32"),
        "JP2 signature bytes leaked: {shown}"
    );
    assert!(
        !shown.contains("48, 130"),
        "certificate bytes leaked: {shown}"
    );
}

#[test]
fn no_card_face_reads_no_photo_and_touches_no_counter() {
    let mut rig = Rig::new(profile("alice.toml"));
    let reading = read(&mut rig, None, &mut kaonin::sim::vcard::trusting_guard(3)).unwrap();
    assert_eq!(reading.facts.photo, PhotoStatus::NoCardFace);
    assert!(reading.photo.is_none());
    let c = rig.counters();
    assert_eq!((c.kenmen_verifies, c.empty_verifies), (0, 0));
}

#[test]
fn unusable_card_face_sends_nothing() {
    let p = profile("alice.toml");
    let mut face = p.printed_face();
    face.security_code = "12".into();
    let mut rig = Rig::new(p);
    let reading = read(
        &mut rig,
        Some(&face),
        &mut kaonin::sim::vcard::trusting_guard(3),
    )
    .unwrap();
    assert_eq!(reading.facts.photo, PhotoStatus::NoCardFace);
    assert_eq!(rig.counters().kenmen_verifies, 0);
}

#[test]
fn pin_query_verify_and_sign() {
    let mut rig = Rig::new(profile("alice.toml"));
    assert_eq!(
        card::query_pin_tries(&mut rig.reader),
        Ok(PinStatus::Tries(3))
    );
    assert_eq!(rig.counters().pin_tries, 3, "the query spends no try");
    assert_eq!(
        card::verify_pin(&mut rig.reader, &pin("9999")),
        Ok(VerifyOutcome::Wrong { tries_left: 2 })
    );
    assert_eq!(
        card::query_pin_tries(&mut rig.reader),
        Ok(PinStatus::Tries(2))
    );
    assert_eq!(
        card::verify_pin(&mut rig.reader, &pin("1234")),
        Ok(VerifyOutcome::Ok)
    );
    assert_eq!(
        rig.counters().pin_tries,
        3,
        "a right PIN resets the counter"
    );
    let id = "5f0c3e9a-7d1b-4c2e-8a6f-1e2d3c4b5a69";
    let signature = card::sign(&mut rig.reader, id).unwrap();
    assert_eq!(signature.len(), 256);
    let cert = card::read_certificate(&mut rig.reader).unwrap();
    verify_signature(&cert, id.as_bytes(), &signature);
    assert_eq!(rig.counters().signatures, 1);
}

#[test]
fn signing_without_pin_is_refused() {
    let mut rig = Rig::new(profile("alice.toml"));
    read(&mut rig, None, &mut kaonin::sim::vcard::trusting_guard(3)).unwrap();
    assert!(card::sign(&mut rig.reader, "x").is_err());
    assert_eq!(rig.counters().signatures, 0);
}

#[test]
fn verified_pin_does_not_survive_a_power_cycle() {
    let mut rig = Rig::new(profile("alice.toml"));
    assert_eq!(
        card::verify_pin(&mut rig.reader, &pin("1234")),
        Ok(VerifyOutcome::Ok)
    );
    rig.reconnect();
    assert!(card::sign(&mut rig.reader, "x").is_err());
    assert_eq!(rig.counters().signatures, 0);
}

#[test]
fn three_wrong_pins_lock_and_nothing_is_sent_at_zero() {
    let mut rig = Rig::new(profile("alice.toml"));
    let wrong = pin("0000");
    assert_eq!(
        card::verify_pin(&mut rig.reader, &wrong),
        Ok(VerifyOutcome::Wrong { tries_left: 2 })
    );
    assert_eq!(
        card::verify_pin(&mut rig.reader, &wrong),
        Ok(VerifyOutcome::Wrong { tries_left: 1 })
    );
    assert_eq!(
        card::verify_pin(&mut rig.reader, &wrong),
        Ok(VerifyOutcome::Blocked)
    );
    assert_eq!(rig.counters().pin_verifies, 3);
    assert_eq!(
        card::query_pin_tries(&mut rig.reader),
        Ok(PinStatus::Blocked)
    );
    // Even the right PIN is not sent to a blocked card.
    assert_eq!(
        card::verify_pin(&mut rig.reader, &pin("1234")),
        Ok(VerifyOutcome::Blocked)
    );
    assert_eq!(rig.counters().pin_verifies, 3);
}

#[test]
fn pin_at_zero_tries_is_never_verified() {
    let mut p = profile("alice.toml");
    p.pin.tries = 0;
    let mut rig = Rig::new(p);
    assert_eq!(
        card::query_pin_tries(&mut rig.reader),
        Ok(PinStatus::Blocked)
    );
    assert_eq!(
        card::verify_pin(&mut rig.reader, &pin("1234")),
        Ok(VerifyOutcome::Blocked)
    );
    let c = rig.counters();
    assert_eq!((c.pin_verifies, c.pin_tries), (0, 0));
}

#[test]
fn pin_of_wrong_length_is_not_sent() {
    let mut rig = Rig::new(profile("alice.toml"));
    assert!(card::verify_pin(&mut rig.reader, &pin("12345")).is_err());
    assert_eq!(rig.counters().pin_verifies, 0);
}

// ---------------------------------------------------------------- other kinds

#[test]
fn pinless_card() {
    let p = profile("bob-pinless.toml");
    let face = p.printed_face();
    let mut rig = Rig::new(p);
    let reading = read(
        &mut rig,
        Some(&face),
        &mut kaonin::sim::vcard::trusting_guard(3),
    )
    .unwrap();
    assert_eq!(reading.facts.kind, CardKind::PinLess);
    assert_eq!(reading.facts.photo, PhotoStatus::Available);
    assert_eq!(reading.photo.unwrap().bytes(), asset("faces/bob-chip.jp2"));
    assert_eq!(card::query_pin_tries(&mut rig.reader), Ok(PinStatus::NoPin));
    assert!(card::verify_pin(&mut rig.reader, &pin("0000")).is_err());
    assert_eq!(rig.counters().pin_verifies, 0);
}

#[test]
fn android_certificate_only_after_pin() {
    let mut rig = Rig::new(profile("carol-android.toml"));
    let reading = read(
        &mut rig,
        Some(&profile("alice.toml").printed_face()),
        &mut kaonin::sim::vcard::trusting_guard(3),
    )
    .unwrap();
    assert_eq!(reading.facts.kind, CardKind::Android);
    assert_eq!(reading.facts.certificate, None);
    assert_eq!(reading.facts.photo, PhotoStatus::NotOnDevice);
    assert_eq!(rig.counters().kenmen_verifies, 0);
    assert_eq!(
        card::read_certificate(&mut rig.reader),
        Err(CardFailure::Unreadable)
    );
    assert_eq!(
        card::query_pin_tries(&mut rig.reader),
        Ok(PinStatus::Tries(3))
    );
    assert_eq!(
        card::verify_pin(&mut rig.reader, &pin("2468")),
        Ok(VerifyOutcome::Ok)
    );
    let cert = card::read_certificate(&mut rig.reader).unwrap();
    assert_eq!(cert, asset("cards/keys/carol-auth.crt.der"));
    let signature = card::sign(&mut rig.reader, "android").unwrap();
    verify_signature(&cert, b"android", &signature);
}

#[test]
fn iphone_signs_with_face_id() {
    let mut rig = Rig::new(profile("carol-iphone.toml"));
    let reading = read(&mut rig, None, &mut kaonin::sim::vcard::trusting_guard(3)).unwrap();
    assert_eq!(reading.facts.kind, CardKind::Iphone);
    assert_eq!(reading.facts.photo, PhotoStatus::NotOnDevice);
    let cert = reading.facts.certificate.unwrap();
    assert_eq!(card::query_pin_tries(&mut rig.reader), Ok(PinStatus::NoPin));
    let signature = card::sign(&mut rig.reader, "iphone").unwrap();
    verify_signature(&cert, b"iphone", &signature);
}

#[test]
fn iphone_without_face_id_is_not_authenticated() {
    let mut p = profile("carol-iphone.toml");
    p.face_id = false;
    let mut rig = Rig::new(p);
    read(&mut rig, None, &mut kaonin::sim::vcard::trusting_guard(3)).unwrap();
    assert_eq!(
        card::sign(&mut rig.reader, "iphone"),
        Err(CardFailure::PhoneNotAuthenticated)
    );
}

#[test]
fn expired_certificate() {
    let p = profile("alice-expired.toml");
    let face = p.printed_face();
    let mut rig = Rig::new(p);
    assert_eq!(
        read(
            &mut rig,
            Some(&face),
            &mut kaonin::sim::vcard::trusting_guard(3)
        )
        .map(drop),
        Err(CardFailure::CertificateExpired)
    );
    assert_eq!(
        rig.counters().kenmen_verifies,
        0,
        "no photo read for an expired card"
    );
}

#[test]
fn certificate_not_yet_valid_is_invalid() {
    let p = profile("alice.toml");
    let mut rig = Rig::new(p);
    let early = UNIX_EPOCH + Duration::from_secs(1_600_000_000); // 2020
    let got = card::read_card(
        &mut rig.reader,
        None,
        &mut kaonin::sim::vcard::trusting_guard(3),
        "s".into(),
        early,
    );
    assert_eq!(got.map(drop), Err(CardFailure::CertificateInvalid));
}

#[test]
fn corrupted_card_face_file_is_unreadable() {
    let mut p = profile("alice.toml");
    p.faults.corrupt_tlv = true;
    let face = p.printed_face();
    let mut rig = Rig::new(p);
    assert_eq!(
        read(
            &mut rig,
            Some(&face),
            &mut kaonin::sim::vcard::trusting_guard(3)
        )
        .map(drop),
        Err(CardFailure::Unreadable)
    );
    assert_eq!(rig.counters().kenmen_b_tries, 10);
}

#[test]
fn cloned_chip_fails_the_genuineness_check() {
    let p = profile("alice-clone.toml");
    let face = p.printed_face();
    let mut rig = Rig::new(p);
    assert_eq!(
        read(
            &mut rig,
            Some(&face),
            &mut kaonin::sim::vcard::trusting_guard(3)
        )
        .map(drop),
        Err(CardFailure::NotGenuine)
    );
}

// ---------------------------------------------------------------- 照合番号B guard

#[test]
fn wrong_security_code_costs_exactly_one_try_once() {
    let p = profile("alice.toml");
    let mut misread = p.printed_face();
    misread.security_code = "4827".into();
    let mut rig = Rig::new(p);
    let mut guard = kaonin::sim::vcard::trusting_guard(3);
    let first = read(&mut rig, Some(&misread), &mut guard).unwrap();
    assert_eq!(first.facts.photo, PhotoStatus::KeyRefused);
    assert!(first.photo.is_none());
    let c = rig.counters();
    assert_eq!(
        (c.kenmen_verifies, c.kenmen_b_tries),
        (1, 9),
        "exactly one VERIFY, one try"
    );

    // The same card, the same misread, a new session: nothing is sent.
    rig.reconnect();
    let second = read(&mut rig, Some(&misread), &mut guard).unwrap();
    assert_eq!(second.facts.photo, PhotoStatus::KeyRefused);
    let c = rig.counters();
    assert_eq!((c.kenmen_verifies, c.kenmen_b_tries), (1, 9));
    assert_eq!(guard.remembered(), 1);

    // A correct reading still works (and restores the counter).
    let good = read(
        &mut rig,
        Some(&profile("alice.toml").printed_face()),
        &mut guard,
    )
    .unwrap();
    assert_eq!(good.facts.photo, PhotoStatus::Available);
    assert_eq!(rig.counters().kenmen_b_tries, 10);
}

#[test]
fn guard_memory_is_per_card() {
    let mut misread = profile("bob-pinless.toml").printed_face();
    misread.security_code = "0000".into();
    let mut guard = kaonin::sim::vcard::trusting_guard(3);
    let mut alice = Rig::new(profile("alice.toml"));
    let mut bob = Rig::new(profile("bob-pinless.toml"));
    read(&mut alice, Some(&misread), &mut guard).unwrap();
    assert_eq!(alice.counters().kenmen_verifies, 1);
    // Another card has not refused this value: it may be tried there once.
    let r = read(&mut bob, Some(&misread), &mut guard).unwrap();
    assert_eq!(r.facts.photo, PhotoStatus::KeyRefused);
    assert_eq!(bob.counters().kenmen_verifies, 1);
}

#[test]
fn counter_below_floor_sends_nothing() {
    let mut p = profile("alice.toml");
    p.kenmen.as_mut().unwrap().tries = 2;
    let face = p.printed_face();
    let mut rig = Rig::new(p);
    let reading = read(
        &mut rig,
        Some(&face),
        &mut kaonin::sim::vcard::trusting_guard(3),
    )
    .unwrap();
    assert_eq!(reading.facts.photo, PhotoStatus::CounterLow);
    let c = rig.counters();
    assert_eq!((c.kenmen_verifies, c.kenmen_b_tries), (0, 2));
    assert!(c.empty_verifies >= 1, "the counter was queried");
}

#[test]
fn counter_at_floor_is_still_used() {
    let mut p = profile("alice.toml");
    p.kenmen.as_mut().unwrap().tries = 3;
    let face = p.printed_face();
    let mut rig = Rig::new(p);
    let reading = read(
        &mut rig,
        Some(&face),
        &mut kaonin::sim::vcard::trusting_guard(3),
    )
    .unwrap();
    assert_eq!(reading.facts.photo, PhotoStatus::Available);
}

#[test]
fn blocked_key_b_is_counter_low() {
    let mut p = profile("alice.toml");
    p.kenmen.as_mut().unwrap().tries = 0;
    let face = p.printed_face();
    let mut rig = Rig::new(p);
    let reading = read(
        &mut rig,
        Some(&face),
        &mut kaonin::sim::vcard::trusting_guard(0),
    )
    .unwrap();
    assert_eq!(reading.facts.photo, PhotoStatus::CounterLow);
    assert_eq!(rig.counters().kenmen_verifies, 0);
}

// ---------------------------------------------------------------- transport faults

fn full_session(rig: &mut Rig, face: &KenmenKey) -> (Reading, Vec<u8>) {
    let reading = read(rig, Some(face), &mut kaonin::sim::vcard::trusting_guard(3)).unwrap();
    assert_eq!(
        card::verify_pin(&mut rig.reader, &pin("1234")),
        Ok(VerifyOutcome::Ok)
    );
    let signature = card::sign(&mut rig.reader, "chained").unwrap();
    (reading, signature)
}

#[test]
fn chained_61xx_responses_are_collected() {
    let mut p = profile("alice.toml");
    p.faults.chain_61xx = true;
    let face = p.printed_face();
    let mut rig = Rig::new(p);
    let (reading, signature) = full_session(&mut rig, &face);
    assert_eq!(reading.facts.photo, PhotoStatus::Available);
    assert_eq!(
        reading.photo.unwrap().bytes(),
        asset("faces/alice-chip.jp2")
    );
    let cert = reading.facts.certificate.unwrap();
    assert_eq!(cert, asset("cards/keys/alice-auth.crt.der"));
    verify_signature(&cert, b"chained", &signature);
}

#[test]
fn wrong_le_6cxx_is_resent() {
    let mut p = profile("alice.toml");
    p.faults.wrong_le_6cxx = true;
    let face = p.printed_face();
    let mut rig = Rig::new(p);
    let (reading, signature) = full_session(&mut rig, &face);
    assert_eq!(
        reading.photo.unwrap().bytes(),
        asset("faces/alice-chip.jp2")
    );
    verify_signature(&reading.facts.certificate.unwrap(), b"chained", &signature);
}

#[test]
fn both_transport_faults_together() {
    let mut p = profile("alice.toml");
    p.faults.wrong_le_6cxx = true;
    p.faults.chain_61xx = true;
    let face = p.printed_face();
    let mut rig = Rig::new(p);
    let (reading, _) = full_session(&mut rig, &face);
    assert_eq!(reading.facts.photo, PhotoStatus::Available);
}

#[test]
fn slow_card_still_reads() {
    let mut p = profile("alice.toml");
    p.faults.delay_ms = 1;
    let face = p.printed_face();
    let mut rig = Rig::new(p);
    let (reading, _) = full_session(&mut rig, &face);
    assert_eq!(reading.facts.photo, PhotoStatus::Available);
}

#[test]
fn removal_at_every_apdu_is_a_typed_removed_error() {
    let p = profile("alice.toml");
    let face = p.printed_face();
    let total = {
        let mut rig = Rig::new(p.clone());
        full_session(&mut rig, &face);
        rig.counters().apdus
    };
    assert!(total > 20, "a full session takes {total} APDUs");
    for n in 1..=total {
        let mut p = p.clone();
        p.faults.remove_at_apdu = Some(n);
        let mut rig = Rig::new(p);
        let mut guard = kaonin::sim::vcard::trusting_guard(3);
        let mut failures = Vec::new();
        if let Err(e) = read(&mut rig, Some(&face), &mut guard) {
            failures.push(e);
        }
        if let Err(e) = card::query_pin_tries(&mut rig.reader) {
            failures.push(e);
        }
        if let Err(e) = card::verify_pin(&mut rig.reader, &pin("1234")) {
            failures.push(e);
        }
        if let Err(e) = card::sign(&mut rig.reader, "x") {
            failures.push(e);
        }
        assert!(!failures.is_empty(), "removal at APDU {n} went unnoticed");
        assert!(
            failures.iter().all(|f| *f == CardFailure::Removed),
            "removal at APDU {n}: {failures:?}"
        );
        assert!(
            !rig.handle.is_present(),
            "the card left the reader at APDU {n}"
        );
    }
}

// ---------------------------------------------------------------- the card model itself

fn raw(rig: &mut Rig, bytes: &[u8]) -> Vec<u8> {
    use kaonin_hal::card::CardChannel;
    rig.reader.transmit(bytes).unwrap()
}

fn status(response: &[u8]) -> u16 {
    u16::from_be_bytes([response[response.len() - 2], response[response.len() - 1]])
}

#[test]
fn model_answers_the_reference_status_words() {
    let mut rig = Rig::new(profile("alice.toml"));
    // Unknown application and file.
    assert_eq!(
        status(&raw(
            &mut rig,
            &[0x00, 0xA4, 0x04, 0x0C, 0x07, 0xA0, 0, 0, 0, 0x79, 1, 1]
        )),
        0x6A82
    );
    let select_jpki = Command::select_aid(&AID_JPKI).encode().to_vec();
    assert_eq!(status(&raw(&mut rig, &select_jpki)), 0x9000);
    assert_eq!(
        status(&raw(&mut rig, &Command::select_ef(0x0F0F).encode())),
        0x6A82
    );
    // Empty VERIFY on both JPKI PIN EFs.
    for (ef, tries) in [(0x0018u16, 0x63C3u16), (0x001B, 0x63C5)] {
        assert_eq!(
            status(&raw(&mut rig, &Command::select_ef(ef).encode())),
            0x9000
        );
        assert_eq!(
            status(&raw(&mut rig, &[0x00, 0x20, 0x00, 0x80])),
            tries,
            "EF {ef:04X}"
        );
    }
    // The signature certificate needs its password.
    assert_eq!(
        status(&raw(&mut rig, &Command::select_ef(0x0001).encode())),
        0x9000
    );
    assert_eq!(
        status(&raw(&mut rig, &Command::read_binary(0, 4).encode())),
        0x6982
    );
    // Past the end of the certificate.
    assert_eq!(
        status(&raw(&mut rig, &Command::select_ef(0x000A).encode())),
        0x9000
    );
    assert_eq!(
        status(&raw(&mut rig, &Command::read_binary(0x7000, 4).encode())),
        0x6B00
    );
    // READ BINARY by SFI selects the EF.
    let by_sfi = raw(&mut rig, &[0x00, 0xB0, 0x8A, 0x00, 0x04]);
    assert_eq!(by_sfi[..2], [0x30, 0x82]);
    // 券面AP: PIN EFs answer 63Cx, the face file needs 照合番号.
    let select_kenmen = Command::select_aid(&AID_KENMEN).encode().to_vec();
    assert_eq!(status(&raw(&mut rig, &select_kenmen)), 0x9000);
    for ef in [0x0012u16, 0x0013] {
        assert_eq!(
            status(&raw(&mut rig, &Command::select_ef(ef).encode())),
            0x9000
        );
        assert_eq!(
            status(&raw(&mut rig, &[0x00, 0x20, 0x00, 0x80])),
            0x63CA,
            "EF {ef:04X}"
        );
    }
    assert_eq!(
        status(&raw(&mut rig, &Command::select_ef(0x0002).encode())),
        0x9000
    );
    assert_eq!(
        status(&raw(&mut rig, &Command::read_binary(0, 7).encode())),
        0x6982
    );
    // Unknown instruction and class; SELECT MF.
    assert_eq!(
        status(&raw(&mut rig, &[0x00, 0xCA, 0x00, 0x00, 0x00])),
        0x6D00
    );
    assert_eq!(status(&raw(&mut rig, &[0xA0, 0xA4, 0x00, 0x00])), 0x6E00);
    assert_eq!(status(&raw(&mut rig, &[0x00, 0xA4, 0x00, 0x00])), 0x6A86);
    // A malformed APDU.
    assert_eq!(
        status(&raw(&mut rig, &[0x00, 0xA4, 0x04, 0x0C, 0x05, 0xD3])),
        0x6700
    );
    let c = rig.counters();
    assert_eq!(
        (
            c.pin_tries,
            c.sign_password_tries,
            c.kenmen_b_tries,
            c.kenmen_a_tries
        ),
        (3, 5, 10, 10)
    );
}

#[test]
fn model_verify_by_sfi_without_select() {
    let mut rig = Rig::new(profile("alice.toml"));
    assert_eq!(
        status(&raw(&mut rig, &Command::select_aid(&AID_JPKI).encode())),
        0x9000
    );
    // VERIFY 0018 by SFI (P2 = 0x98), then sign.
    assert_eq!(
        status(&raw(
            &mut rig,
            &[0x00, 0x20, 0x00, 0x98, 0x04, b'1', b'2', b'3', b'4']
        )),
        0x9000
    );
    assert_eq!(card::sign(&mut rig.reader, "sfi").map(|s| s.len()), Ok(256));
}

#[test]
fn model_leaving_the_application_clears_verification() {
    let mut rig = Rig::new(profile("alice.toml"));
    assert_eq!(
        card::verify_pin(&mut rig.reader, &pin("1234")),
        Ok(VerifyOutcome::Ok)
    );
    assert_eq!(
        status(&raw(&mut rig, &Command::select_aid(&AID_KENMEN).encode())),
        0x9000
    );
    assert!(card::sign(&mut rig.reader, "x").is_err());
}

#[test]
fn iphone_last_command_indicator() {
    let mut phone = Rig::new(profile("carol-iphone.toml"));
    assert_eq!(status(&raw(&mut phone, &[0x80, 0xFC, 0x00, 0x00])), 0x9000);
    let mut card = Rig::new(profile("alice.toml"));
    assert_eq!(status(&raw(&mut card, &[0x80, 0xFC, 0x00, 0x00])), 0x6700);
}

// ---------------------------------------------------------------- status word mapping

/// Answers for SELECT JPKI + SELECT 0018 before a query.
fn pin_ef_selected() -> Vec<Vec<u8>> {
    vec![sw(0x9000), sw(0x9000)]
}

#[test]
fn query_maps_every_counter_answer() {
    for (answer, want) in [
        (0x63C3, Ok(PinStatus::Tries(3))),
        (0x63C1, Ok(PinStatus::Tries(1))),
        (0x63C0, Ok(PinStatus::Blocked)),
        (0x6984, Ok(PinStatus::Blocked)),
        (0x6983, Ok(PinStatus::Blocked)),
        (0x6982, Err(CardFailure::Unreadable)),
        (0x6F00, Err(CardFailure::Unreadable)),
    ] {
        let mut answers = pin_ef_selected();
        answers.push(sw(answer));
        let mut script = Script::new(answers);
        assert_eq!(card::query_pin_tries(&mut script), want, "{answer:04X}");
        assert_eq!(script.sent.last().unwrap(), &vec![0x00, 0x20, 0x00, 0x80]);
    }
    let mut script = Script::new([sw(0x9000), sw(0x6A82)]);
    assert_eq!(card::query_pin_tries(&mut script), Ok(PinStatus::NoPin));
    let mut script = Script::new([sw(0x6A82)]);
    assert_eq!(
        card::query_pin_tries(&mut script),
        Err(CardFailure::NotMyNumberCard)
    );
}

#[test]
fn verify_maps_every_answer() {
    for (answer, want) in [
        (0x9000, Ok(VerifyOutcome::Ok)),
        (0x63C2, Ok(VerifyOutcome::Wrong { tries_left: 2 })),
        (0x63C1, Ok(VerifyOutcome::Wrong { tries_left: 1 })),
        (0x63C0, Ok(VerifyOutcome::Blocked)),
        (0x6984, Ok(VerifyOutcome::Blocked)),
        (0x6983, Ok(VerifyOutcome::Blocked)),
        (0x6700, Err(CardFailure::Unreadable)),
    ] {
        let mut answers = pin_ef_selected();
        answers.push(sw(0x63C3));
        answers.push(sw(answer));
        let mut script = Script::new(answers);
        assert_eq!(
            card::verify_pin(&mut script, &pin("1234")),
            want,
            "{answer:04X}"
        );
        assert_eq!(
            script.sent.last().unwrap(),
            &vec![0x00, 0x20, 0x00, 0x80, 0x04, b'1', b'2', b'3', b'4']
        );
    }
    // Blocked in the query: the PIN is never sent.
    for blocked in [0x63C0u16, 0x6984, 0x6983] {
        let mut answers = pin_ef_selected();
        answers.push(sw(blocked));
        let mut script = Script::new(answers);
        assert_eq!(
            card::verify_pin(&mut script, &pin("1234")),
            Ok(VerifyOutcome::Blocked)
        );
        assert_eq!(script.sent.len(), 3, "only the query was sent");
    }
}

#[test]
fn sign_maps_answers() {
    let signature = vec![0x5A; 256];
    let mut ok = signature.clone();
    ok.extend_from_slice(&sw(0x9000));
    let mut script = Script::new([sw(0x9000), ok]);
    assert_eq!(card::sign(&mut script, "id"), Ok(signature));
    let sent = &script.sent[1];
    assert_eq!(sent[..5], [0x80, 0x2A, 0x00, 0x80, 0x33]);
    assert_eq!(sent[5..24], apdu::SHA256_DIGEST_INFO_PREFIX);
    assert_eq!(*sent.last().unwrap(), 0x00, "Le present");
    for (answer, want) in [
        (0x6982, CardFailure::PhoneNotAuthenticated),
        (0x6985, CardFailure::Unreadable),
        (0x6A86, CardFailure::Unreadable),
        (0x9000, CardFailure::Unreadable), // no signature bytes
    ] {
        let mut script = Script::new([sw(0x9000), sw(answer)]);
        assert_eq!(card::sign(&mut script, "id"), Err(want), "{answer:04X}");
    }
    // Key EF unknown in the current DF: the JPKI AP is selected and the EF again.
    let mut script = Script::new([sw(0x6A82), sw(0x9000), sw(0x9000), sw(0x6982)]);
    assert_eq!(
        card::sign(&mut script, "id"),
        Err(CardFailure::PhoneNotAuthenticated)
    );
    assert_eq!(script.sent[1][..5], [0x00, 0xA4, 0x04, 0x0C, 0x0A]);
}

#[test]
fn read_card_maps_classification_answers() {
    let now = SystemTime::now();
    let mut guard = kaonin::sim::vcard::trusting_guard(3);
    let mut run = |answers: Vec<Vec<u8>>| {
        let mut script = Script::new(answers);
        card::read_card(&mut script, None, &mut guard, "s".into(), now).map(|r| r.facts.kind)
    };
    assert_eq!(run(vec![sw(0x6A82)]), Err(CardFailure::NotMyNumberCard));
    assert_eq!(run(vec![sw(0x6D00)]), Err(CardFailure::NotMyNumberCard));
    let token = |name: &str| {
        let mut t = name.as_bytes().to_vec();
        t.resize(32, b' ');
        t.extend_from_slice(&sw(0x9000));
        t
    };
    assert_eq!(
        run(vec![sw(0x9000), sw(0x9000), token("SOMETHINGELSE")]),
        Err(CardFailure::NotMyNumberCard)
    );
    assert_eq!(
        run(vec![sw(0x9000), sw(0x9000), token("JPKIAPICCTOKEN")]),
        Err(CardFailure::NotMyNumberCard),
        "住基カード"
    );
    assert_eq!(
        run(vec![sw(0x9000), sw(0x9000), token("JPKIAPGPSETOKEN")]),
        Ok(CardKind::Android)
    );
    assert_eq!(
        run(vec![sw(0x9000), sw(0x6A82)]),
        Err(CardFailure::Unreadable)
    );
    assert_eq!(
        run(vec![sw(0x9000), sw(0x9000), sw(0x6982)]),
        Err(CardFailure::Unreadable)
    );
    // Card removed during the exchange.
    assert_eq!(run(vec![sw(0x9000)]), Err(CardFailure::Removed));
    // A response without a status word.
    assert_eq!(run(vec![vec![0x90]]), Err(CardFailure::Unreadable));
}

#[test]
fn reader_failures_map_to_flow_failures() {
    use kaonin_hal::card::{CardChannel, ErrorKind};
    struct Failing(ErrorKind);
    impl CardChannel for Failing {
        type Error = ErrorKind;
        fn transmit(&mut self, _: &[u8]) -> Result<Vec<u8>, ErrorKind> {
            Err(self.0)
        }
    }
    for (kind, want) in [
        (ErrorKind::Removed, CardFailure::Removed),
        (ErrorKind::NoCard, CardFailure::Removed),
        (ErrorKind::NoService, CardFailure::ReaderFault),
        (ErrorKind::NoReader, CardFailure::ReaderFault),
        (ErrorKind::Other, CardFailure::ReaderFault),
        (ErrorKind::Protocol, CardFailure::Unreadable),
        (ErrorKind::Timeout, CardFailure::Unreadable),
    ] {
        assert_eq!(
            card::query_pin_tries(&mut Failing(kind)),
            Err(want),
            "{kind:?}"
        );
        assert_eq!(
            card::read_certificate(&mut Failing(kind)),
            Err(want),
            "{kind:?}"
        );
    }
}

#[test]
fn get_response_chain_is_bounded() {
    // A card that answers 61 01 forever.
    let answers = std::iter::repeat(vec![0xAA, 0x61, 0x01]).take(500);
    let mut script = Script::new(answers);
    let got = apdu::exchange(&mut script, &Command::select_ef(0x000A));
    assert!(got.is_err());
    assert!(script.sent.len() < 100, "{} APDUs", script.sent.len());
}

#[test]
fn read_binary_uses_256_byte_chunks_and_ber_length() {
    let p = profile("alice.toml");
    let face = p.printed_face();
    let mut rig = Rig::new(p);
    // Record the APDUs through a tap.
    struct Tap<'a>(&'a mut kaonin_hal::mock::MockReader, Vec<Vec<u8>>);
    impl kaonin_hal::card::CardChannel for Tap<'_> {
        type Error = kaonin_hal::card::ErrorKind;
        fn transmit(&mut self, c: &[u8]) -> Result<Vec<u8>, Self::Error> {
            self.1.push(c.to_vec());
            self.0.transmit(c)
        }
    }
    let mut tap = Tap(&mut rig.reader, Vec::new());
    let reading = card::read_card(
        &mut tap,
        Some(&face),
        &mut kaonin::sim::vcard::trusting_guard(3),
        "s".into(),
        SystemTime::now(),
    )
    .unwrap();
    let cert_len = reading.facts.certificate.unwrap().len();
    let reads: Vec<&Vec<u8>> = tap.1.iter().filter(|c| c[1] == 0xB0).collect();
    for r in &reads {
        assert_eq!(r.len(), 5, "short READ BINARY");
        let le = if r[4] == 0 { 256 } else { usize::from(r[4]) };
        assert!(le <= 256);
    }
    // token + certificate (7-byte head, then ≤256 chunks) + 券面 file
    let cert_reads = 1 + (cert_len - 7).div_ceil(256);
    assert!(reads.len() >= 1 + cert_reads + 2, "{} reads", reads.len());
}
