//! Card reading speed: APDU count and time from "card inserted" to certificate and
//! photo read (`read_card` with a card face), median and p99 of 50 runs.
//!
//! - In-process: the virtual card in the mock reader (always).
//! - Through a real pcscd + vpcd + `kaonin vcard` when `KAONIN_PCSCD=1` (set by
//!   `scripts/with-pcscd.sh`): `scripts/with-pcscd.sh cargo bench --features pcsc --bench card`.
//!   Two figures there: from the card's TCP connect to vpcd (includes pcscd's ~0.4 s
//!   presence polling) and from `connect` to the end of the read.

use kaonin::card::read_card;
use kaonin::flow::PhotoStatus;
use kaonin::sim::vcard::{Profile, VirtualCard};
use kaonin_hal::card::{CardReader, Presence};
use kaonin_hal::mock::MockReader;
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

const RUNS: usize = 50;

fn alice() -> Profile {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assets/cards/alice.toml");
    Profile::load(&path).expect("alice profile")
}

fn report(what: &str, mut times: Vec<Duration>, apdus: u64) {
    times.sort();
    let median = times[times.len() / 2];
    let p99 = times[((times.len() * 99).div_ceil(100)).saturating_sub(1)];
    println!(
        "{what}: {apdus} APDUs, median {:.3} ms, p99 {:.3} ms ({} runs)",
        median.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3,
        times.len()
    );
}

fn wait_for<R: CardReader>(reader: &mut R, present: bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        match reader.wait_change(Duration::from_secs(5)) {
            Ok(Some(Presence::Present { .. })) if present => return,
            Ok(Some(Presence::Absent)) if !present => return,
            Ok(_) => {}
            Err(e) => panic!("wait_change: {e}"),
        }
    }
    panic!("reader never reported present={present}");
}

fn in_process() {
    let profile = alice();
    let face = profile.printed_face();
    let (mut reader, handle) = MockReader::new("bench");
    wait_for(&mut reader, false);
    let mut times = Vec::with_capacity(RUNS);
    let mut apdus = 0;
    for _ in 0..RUNS {
        let card = VirtualCard::new(profile.clone()).expect("card");
        let state = card.state();
        let start = Instant::now();
        handle.insert(Box::new(card));
        wait_for(&mut reader, true);
        reader.connect().expect("connect");
        let mut guard = kaonin::sim::vcard::trusting_guard(3);
        let reading = read_card(
            &mut reader,
            Some(&face),
            &mut guard,
            "b".into(),
            SystemTime::now(),
        )
        .expect("read");
        times.push(start.elapsed());
        assert_eq!(reading.facts.photo, PhotoStatus::Available);
        apdus = state.lock().unwrap().apdus;
        reader.disconnect().expect("disconnect");
        handle.remove();
        wait_for(&mut reader, false);
    }
    report("in-process (mock reader)", times, apdus);
}

#[cfg(feature = "pcsc")]
fn through_pcscd() {
    use kaonin::sim::vcard::run_vcard_with;
    use kaonin_drivers::pcsc::PcscReader;
    use std::io::Write;

    let profile = alice();
    let face = profile.printed_face();
    let card = VirtualCard::new(profile).expect("card");
    let state = card.state();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let mut control = Control(tx);
    let vcard = std::thread::spawn(move || {
        let input = std::io::BufReader::new(Lines {
            rx,
            pending: Vec::new(),
        });
        run_vcard_with(card, "127.0.0.1:35963", input)
    });
    let mut reader = PcscReader::new("Virtual PCD 00 00");
    wait_for(&mut reader, false);
    let mut from_insert = Vec::with_capacity(RUNS);
    let mut from_connect = Vec::with_capacity(RUNS);
    let mut apdus = 0;
    for _ in 0..RUNS {
        let before = state.lock().unwrap().apdus;
        let start = Instant::now();
        writeln!(control, "insert").expect("vcard");
        wait_for(&mut reader, true);
        let connected = Instant::now();
        reader.connect().expect("connect");
        let mut guard = kaonin::sim::vcard::trusting_guard(3);
        let reading = read_card(
            &mut reader,
            Some(&face),
            &mut guard,
            "b".into(),
            SystemTime::now(),
        )
        .expect("read");
        from_insert.push(start.elapsed());
        from_connect.push(connected.elapsed());
        assert_eq!(reading.facts.photo, PhotoStatus::Available);
        apdus = state.lock().unwrap().apdus - before;
        reader.disconnect().expect("disconnect");
        writeln!(control, "remove").expect("vcard");
        wait_for(&mut reader, false);
    }
    writeln!(control, "quit").expect("vcard");
    vcard.join().expect("vcard thread").expect("vcard");
    report("pcscd, card connect to read done", from_insert, apdus);
    report("pcscd, SCardConnect to read done", from_connect, apdus);
}

/// The vcard's stdin, fed from a channel (EOF when the sender drops).
#[cfg(feature = "pcsc")]
struct Lines {
    rx: std::sync::mpsc::Receiver<String>,
    pending: Vec<u8>,
}

#[cfg(feature = "pcsc")]
impl std::io::Read for Lines {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.pending.is_empty() {
            match self.rx.recv() {
                Ok(text) => self.pending = text.into_bytes(),
                Err(_) => return Ok(0),
            }
        }
        let n = buf.len().min(self.pending.len());
        buf[..n].copy_from_slice(&self.pending[..n]);
        self.pending.drain(..n);
        Ok(n)
    }
}

/// Writes command lines to the vcard.
#[cfg(feature = "pcsc")]
struct Control(std::sync::mpsc::Sender<String>);

#[cfg(feature = "pcsc")]
impl std::io::Write for Control {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf).into_owned();
        self.0
            .send(text)
            .map_err(|_| std::io::Error::other("vcard ended"))?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn main() {
    in_process();
    if std::env::var("KAONIN_PCSCD").as_deref() == Ok("1") {
        #[cfg(feature = "pcsc")]
        through_pcscd();
        #[cfg(not(feature = "pcsc"))]
        println!("pcscd figures need the `pcsc` feature");
    } else {
        println!("(through pcscd: scripts/with-pcscd.sh cargo bench --features pcsc --bench card)");
    }
}
