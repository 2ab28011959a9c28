//! Talks APDUs to the virtual My Number card: the card model of the simulators
//! (`kaonin vcard`, the mock reader) answering real ISO 7816 commands in-process.
//!
//! Shows the card protocol two ways: raw command APDUs with their answers (hex), then
//! the same card through kaonin's card protocol on a mock reader — classify, PIN tries,
//! a wrong and a right PIN, the certificate, and a signature over a record id.
//!
//! Needs: nothing but the source tree (the embedded test profiles; feature `sim`,
//! on by default).
//!
//! ```sh
//! cargo run --example virtual_card_apdus              # alice, a standard card
//! cargo run --example virtual_card_apdus -- bob-pinless
//! ```

use kaonin::card::{self, apdu::Command};
use kaonin::sim::vcard::{Profile, VirtualCard};
use kaonin_hal::card::CardReader;
use kaonin_hal::mock::{Icc, MockReader};
use kaonin_hal::secret::Digits;

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let name = std::env::args().nth(1).unwrap_or_else(|| "alice".into());
    let profile = Profile::embedded(&name)?;
    let pin = profile.pin.value.clone();

    // 1. Raw APDUs straight into the card model.
    let mut raw = VirtualCard::new(profile.clone())?;
    println!("ATR        {}", hex(&raw.atr()));
    for (what, command) in [
        ("SELECT JPKI AP", Command::select_aid(&card::apdu::AID_JPKI)),
        ("SELECT EF 0006", Command::select_ef(card::EF_TOKEN)),
        ("READ BINARY 20", Command::read_binary(0, 0x20)),
    ] {
        let answer = raw
            .process(&command.encode())
            .ok_or("card left the field")?;
        println!("{what:<15} > {}", hex(&command.encode()));
        println!("{:<15} < {}", "", hex(&answer));
    }

    // 2. The card protocol over a (mock) reader, as the daemon uses it.
    let (mut reader, slot) = MockReader::new("mock reader");
    slot.insert(Box::new(VirtualCard::new(profile)?));
    reader.connect().map_err(|e| format!("connect: {e:?}"))?;
    let kind = card::classify(&mut reader)?;
    println!("card kind: {kind:?}");
    println!(
        "PIN: {:?}",
        card::query_pin_tries(&mut reader).map_err(|e| format!("{e:?}"))?
    );
    if kind == kaonin::flow::CardKind::Standard {
        let wrong = Digits::parse("0000", 4)?;
        let right = Digits::parse(&pin, 4)?;
        println!(
            "VERIFY 0000: {:?}",
            card::verify_pin(&mut reader, &wrong).map_err(|e| format!("{e:?}"))?
        );
        println!(
            "VERIFY {pin}: {:?}",
            card::verify_pin(&mut reader, &right).map_err(|e| format!("{e:?}"))?
        );
        let signature = card::sign(&mut reader, "demo-record-1").map_err(|e| format!("{e:?}"))?;
        println!(
            "signature over \"demo-record-1\": {} bytes",
            signature.len()
        );
    }
    let der = card::read_certificate(&mut reader).map_err(|e| format!("{e:?}"))?;
    let fingerprint = ring::digest::digest(&ring::digest::SHA256, &der);
    println!(
        "certificate: {} bytes, SHA-256 {}",
        der.len(),
        hex(fingerprint.as_ref()).replace(' ', "")
    );
    Ok(())
}
