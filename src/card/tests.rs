//! Protocol tests against the in-process virtual card through the mock reader.

use super::sim::{CardCounters, Profile, VirtualCard};
use super::*;
use kaonin_hal::card::{CardReader, ErrorKind};
use kaonin_hal::mock::{MockReader, MockReaderHandle};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

fn profile(name: &str) -> Profile {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("assets/cards")
        .join(name);
    Profile::load(&path).expect("profile loads")
}

struct Rig {
    reader: MockReader,
    _handle: MockReaderHandle,
    state: Arc<Mutex<CardCounters>>,
}

impl Rig {
    fn new(profile: Profile) -> Rig {
        let card = VirtualCard::new(profile).expect("card builds");
        let state = card.state();
        let (mut reader, handle) = MockReader::new("mock");
        handle.insert(Box::new(card));
        reader.connect().expect("connect");
        Rig {
            reader,
            _handle: handle,
            state,
        }
    }

    fn counters(&self) -> CardCounters {
        self.state.lock().unwrap().clone()
    }
}

fn read(
    rig: &mut Rig,
    face: Option<&CardFace>,
    guard: &mut KenmenGuard,
) -> Result<Reading, CardFailure> {
    read_card(
        &mut rig.reader,
        face,
        guard,
        "sid".into(),
        SystemTime::now(),
    )
}

#[test]
fn standard_card_reads_certificate_and_photo() {
    let p = profile("alice.toml");
    let face = p.printed_face();
    let mut rig = Rig::new(p);
    let mut guard = KenmenGuard::new(3);
    let reading = read(&mut rig, Some(&face), &mut guard).unwrap();
    assert_eq!(reading.facts.kind, CardKind::Standard);
    assert_eq!(reading.facts.photo, PhotoStatus::Available);
    let photo = reading.photo.expect("photo");
    let jp2 = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/assets/faces/alice-chip.jp2"
    ))
    .unwrap();
    assert_eq!(photo.bytes(), jp2.as_slice());
    let cert = reading.facts.certificate.expect("certificate");
    let want = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/assets/cards/keys/alice-auth.crt.der"
    ))
    .unwrap();
    assert_eq!(cert, want);
    let c = rig.counters();
    assert_eq!((c.kenmen_verifies, c.kenmen_b_tries), (1, 10));
}

#[test]
fn pin_and_sign() {
    let mut rig = Rig::new(profile("alice.toml"));
    assert_eq!(query_pin_tries(&mut rig.reader), Ok(PinStatus::Tries(3)));
    let pin = Digits::parse("1234", 4).unwrap();
    assert_eq!(verify_pin(&mut rig.reader, &pin), Ok(VerifyOutcome::Ok));
    let sig = sign(&mut rig.reader, "id-1").unwrap();
    let cert = read_certificate(&mut rig.reader).unwrap();
    let key = x509::rsa_public_key(&cert).unwrap();
    ring::signature::UnparsedPublicKey::new(&ring::signature::RSA_PKCS1_2048_8192_SHA256, &key)
        .verify(b"id-1", &sig)
        .expect("signature verifies");
    let _ = ErrorKind::Removed;
}
