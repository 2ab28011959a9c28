//! Lists the PC/SC readers and reads the user-authentication certificate
//! (利用者証明用電子証明書) of the My Number card on one of them, through pcscd —
//! the reader driver (`kaonin_drivers::pcsc`) and the card protocol (`kaonin::card`)
//! as the daemon uses them. Prints the card kind, the certificate's size, SHA-256
//! and validity; writes the DER with `--out`. No PIN is needed or asked for.
//!
//! Needs: the `pcsc` feature (Debian `libpcsclite-dev` to build), a running `pcscd`
//! and a reader with a card — or the virtual card: `kaonin vcard --profile
//! assets/cards/alice.toml` (type `insert`) with vsmartcard's vpcd in pcscd.
//!
//! ```sh
//! cargo run --example pcsc_certificate --features pcsc
//! cargo run --example pcsc_certificate --features pcsc -- --reader "Virtual PCD 00 00" --out cert.der
//! ```

use kaonin_drivers::pcsc::{reader_names, PcscReader};
use kaonin_hal::card::{CardReader, Presence};
use std::time::{Duration, Instant, UNIX_EPOCH};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut filter = String::new();
    let mut out = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--reader", Some(name)) => filter = name,
            ("--out", Some(path)) => out = Some(path),
            _ => {
                return Err("usage: pcsc_certificate [--reader NAME_PART] [--out FILE.der]".into())
            }
        }
    }
    let names = reader_names()?;
    println!("{} reader(s):", names.len());
    for name in &names {
        println!("  {name}");
    }

    // Empty filter: the first reader holding a card that answers SELECT of the JPKI AP.
    let mut reader = PcscReader::new(&filter);
    println!("waiting up to 30 s for a My Number card ...");
    let deadline = Instant::now() + Duration::from_secs(30);
    let atr = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match reader.wait_change(left)? {
            Some(Presence::Present { atr }) => break atr,
            _ if left.is_zero() => return Err("no card".into()),
            _ => {}
        }
    };
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02X}")).collect::<String>();
    println!("card on {}: ATR {}", reader.name(), hex(&atr));
    reader.connect()?;
    let kind = kaonin::card::classify(&mut reader)?;
    let der = kaonin::card::read_certificate(&mut reader).map_err(|e| format!("{e:?}"))?;
    reader.disconnect()?;
    let validity = kaonin::card::x509::validity(&der)?;
    let day = |t: std::time::SystemTime| {
        let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        kaonin::ground::civil::rfc3339(secs)
    };
    println!("kind: {kind:?}");
    println!("certificate: {} bytes", der.len());
    println!(
        "sha256: {}",
        hex(ring::digest::digest(&ring::digest::SHA256, &der).as_ref())
    );
    println!(
        "valid: {} .. {}",
        day(validity.not_before),
        day(validity.not_after)
    );
    if let Some(path) = out {
        std::fs::write(&path, &der)?;
        println!("written to {path}");
    }
    Ok(())
}
