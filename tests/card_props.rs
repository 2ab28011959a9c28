//! Property tests: random and truncated answers into the card protocol, random bytes
//! into the TLV / certificate parsers and random APDUs into the card model. Nothing
//! may panic; every failure is a typed error.

// Uses the simulators (cargo feature `sim`, on by default).
#![cfg(feature = "sim")]

mod card_support;

use card_support::{profile, Rig};
use kaonin::card::{self, kenmen, tlv, x509};
use kaonin::sim::vcard::VirtualCard;
use kaonin_hal::card::{CardChannel, ErrorKind};
use kaonin_hal::mock::Icc;
use kaonin_hal::secret::Digits;
use proptest::prelude::*;
use std::collections::VecDeque;
use std::time::SystemTime;

/// Answers from a list; then the card is gone.
struct Replay(VecDeque<Vec<u8>>);

impl CardChannel for Replay {
    type Error = ErrorKind;
    fn transmit(&mut self, _: &[u8]) -> Result<Vec<u8>, ErrorKind> {
        self.0.pop_front().ok_or(ErrorKind::Removed)
    }
}

/// Runs every protocol operation against `ch`; only checks that it returns.
fn exercise<C: CardChannel>(ch: &mut C) {
    let face = profile_face();
    let mut guard = kaonin::sim::vcard::trusting_guard(3);
    let _ = card::read_card(ch, Some(&face), &mut guard, "s".into(), SystemTime::now());
    let _ = card::query_pin_tries(ch);
    let _ = card::verify_pin(ch, &Digits::parse("1234", 4).unwrap());
    let _ = card::read_certificate(ch);
    let _ = card::sign(ch, "id");
}

fn profile_face() -> card::KenmenKey {
    card::KenmenKey {
        birth: "19850412".into(),
        expiry: "20350412".into(),
        security_code: "4821".into(),
    }
}

/// Plausible answers: status words the card uses, sometimes with data.
fn answer() -> impl Strategy<Value = Vec<u8>> {
    let sw = prop::sample::select(vec![
        [0x90, 0x00],
        [0x63, 0xC3],
        [0x63, 0xC0],
        [0x69, 0x84],
        [0x69, 0x82],
        [0x6A, 0x82],
        [0x6B, 0x00],
        [0x61, 0x10],
        [0x61, 0x00],
        [0x6C, 0x05],
        [0x67, 0x00],
        [0x63, 0x00],
    ]);
    (
        prop::collection::vec(any::<u8>(), 0..300),
        sw,
        any::<bool>(),
    )
        .prop_map(|(data, sw, with)| {
            let mut out = if with { data } else { Vec::new() };
            out.extend_from_slice(&sw);
            out
        })
}

/// A real session's answers, recorded from the card model (once).
fn recorded_session() -> Vec<Vec<u8>> {
    static SESSION: std::sync::OnceLock<Vec<Vec<u8>>> = std::sync::OnceLock::new();
    SESSION.get_or_init(record_session).clone()
}

fn record_session() -> Vec<Vec<u8>> {
    struct Recorder<'a>(&'a mut kaonin_hal::mock::MockReader, Vec<Vec<u8>>);
    impl CardChannel for Recorder<'_> {
        type Error = ErrorKind;
        fn transmit(&mut self, c: &[u8]) -> Result<Vec<u8>, ErrorKind> {
            let r = self.0.transmit(c)?;
            self.1.push(r.clone());
            Ok(r)
        }
    }
    let mut rig = Rig::new(profile("alice.toml"));
    let mut rec = Recorder(&mut rig.reader, Vec::new());
    exercise(&mut rec);
    rec.1
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn random_bytes_as_answers(answers in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..40), 0..40)) {
        exercise(&mut Replay(answers.into()));
    }

    #[test]
    fn plausible_answers(answers in prop::collection::vec(answer(), 0..60)) {
        exercise(&mut Replay(answers.into()));
    }

    #[test]
    fn truncated_and_mutated_real_answers(cut in any::<prop::sample::Index>(), at in any::<prop::sample::Index>(), keep in any::<prop::sample::Index>(), flip in any::<u8>()) {
        let mut answers = recorded_session();
        let i = cut.index(answers.len());
        let a = &mut answers[i];
        if !a.is_empty() {
            let j = at.index(a.len());
            a[j] ^= flip;
            let k = keep.index(a.len() + 1);
            a.truncate(k);
        }
        exercise(&mut Replay(answers.into()));
    }

    #[test]
    fn sessions_cut_short(len in any::<prop::sample::Index>()) {
        let mut answers = recorded_session();
        answers.truncate(len.index(answers.len() + 1));
        exercise(&mut Replay(answers.into()));
    }

    #[test]
    fn tlv_parsers_take_any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        let _ = tlv::parse_header(&bytes);
        let _ = tlv::parse_all(&bytes);
        let _ = kenmen::parse_face_file(&bytes);
        let _ = x509::validity(&bytes);
        let _ = x509::rsa_public_key(&bytes);
        let _ = x509::serial(&bytes);
    }

    #[test]
    fn truncated_face_file_and_certificate(cut in any::<prop::sample::Index>(), flip_at in any::<prop::sample::Index>(), flip in any::<u8>()) {
        let cert = card_support::asset("cards/keys/alice-auth.crt.der");
        let c = cut.index(cert.len());
        prop_assert!(x509::validity(&cert[..c]).is_err());
        let mut bad = cert.clone();
        let i = flip_at.index(bad.len());
        bad[i] ^= flip;
        let _ = x509::validity(&bad);
        let _ = x509::rsa_public_key(&bad);
        let mut wrapped = tlv::encode(0xDF22, b"19850412");
        wrapped.extend(tlv::encode(0xDF27, &cert));
        let file = tlv::encode(0xFF20, &wrapped);
        let c = cut.index(file.len());
        prop_assert!(kenmen::parse_face_file(&file[..c]).is_err());
    }

    #[test]
    fn card_model_takes_any_apdu(apdus in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..270), 1..30)) {
        let mut card = VirtualCard::new(profile("alice.toml")).unwrap();
        for apdu in &apdus {
            if let Some(r) = card.process(apdu) {
                prop_assert!(r.len() >= 2);
            }
        }
        let c = card.state().lock().unwrap().clone();
        prop_assert!(c.pin_tries <= 3 && c.kenmen_b_tries <= 10);
    }
}
