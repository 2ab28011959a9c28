//! A whole card session against a card that answers with fuzzed responses: reading
//! (classify, certificate, 券面AP photo under 照合番号B, genuineness challenge), the
//! PIN counter, VERIFY and the signature. Exercises the APDU layer's GET RESPONSE /
//! `6Cxx` handling, BER file reads and every parser behind them.
//!
//! Input: the card's answers in order, each a length byte `L` and `L` bytes (`L` =
//! 255: a two-byte big-endian length follows). When the answers run out the card
//! is gone (every later command fails as removed).
#![no_main]

use kaonin::card::{self, kenmen::KenmenGuard, kenmen::KenmenKey};
use kaonin_hal::card::{CardChannel, ErrorKind};
use kaonin_hal::secret::Digits;
use libfuzzer_sys::fuzz_target;
use std::time::{Duration, UNIX_EPOCH};

/// A card whose answers come from the fuzz input.
struct ScriptedCard<'a> {
    script: &'a [u8],
    commands: usize,
    /// VERIFY commands that carried a PIN or a key (not the bare counter query).
    verifies: usize,
}

/// INS of VERIFY.
const VERIFY: u8 = 0x20;

impl ScriptedCard<'_> {
    fn next_answer(&mut self) -> Option<Vec<u8>> {
        let (&len, rest) = self.script.split_first()?;
        let (len, rest) = if len == 255 {
            let (hi_lo, rest) = (rest.get(..2)?, rest.get(2..)?);
            (usize::from(u16::from_be_bytes([hi_lo[0], hi_lo[1]])), rest)
        } else {
            (usize::from(len), rest)
        };
        let len = len.min(rest.len());
        let (answer, rest) = rest.split_at(len);
        self.script = rest;
        Some(answer.to_vec())
    }
}

impl CardChannel for ScriptedCard<'_> {
    type Error = ErrorKind;

    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, ErrorKind> {
        assert!(command.len() >= 4, "a command APDU has a header");
        self.commands += 1;
        assert!(self.commands < 100_000, "the card layer loops");
        if command[1] == VERIFY && command.len() > 5 {
            self.verifies += 1;
        }
        self.next_answer().ok_or(ErrorKind::Removed)
    }
}

fuzz_target!(|data: &[u8]| {
    let mut card = ScriptedCard {
        script: data,
        commands: 0,
        verifies: 0,
    };
    let face = KenmenKey {
        birth: "19800217".into(),
        expiry: "20350217".into(),
        security_code: "1234".into(),
    };
    let mut guard = KenmenGuard::new(3);
    // A fixed "now" inside the virtual card's certificate validity.
    let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    // A secret is presented at most once per step, whatever the card answers
    // (`6Cxx`, `61xx`, garbage): a second VERIFY would cost the patient a try.
    let _ = card::read_card(&mut card, Some(&face), &mut guard, "s".into(), now);
    assert!(
        card.verifies <= 1,
        "read_card sent {} VERIFYs",
        card.verifies
    );
    let _ = card::query_pin_tries(&mut card);
    let pin = Digits::parse("1234", 4).expect("4 digits");
    let before = card.verifies;
    let _ = card::verify_pin(&mut card, &pin);
    assert!(card.verifies - before <= 1, "verify_pin sent the PIN twice");
    if let Ok(signature) = card::sign(&mut card, "fuzz-session") {
        assert!(!signature.is_empty());
    }
});
