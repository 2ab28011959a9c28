//! Writes the seed corpora of the fuzz targets (`fuzz/corpus/<target>/`) from the
//! project's own simulators and sample files, so seeds start deep inside each
//! parser: a recorded virtual-card session, its EF 0002, its certificate, a chip
//! photo, the name PNG, link lines, control lines, a config, state files.
//!
//! `cargo run --features seeds --bin make_seeds [DIR]` in `fuzz/` (not a fuzz
//! target; needs the simulators). The checked-in seeds were made with it, then
//! minimised with `cargo fuzz cmin`.

use kaonin::card::{self, kenmen::KenmenGuard};
use kaonin::flow::{Consent, ConsentMode, Identity, Method};
use kaonin::link::message::{to_line, IdentityMsg, PcMsg, ReaderMsg};
use kaonin::sim::vcard::{Profile, VirtualCard};
use kaonin_hal::card::{CardChannel, ErrorKind};
use kaonin_hal::mock::Icc;
use kaonin_hal::secret::Digits;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// A virtual card that remembers every command and answer.
struct Recorder {
    card: VirtualCard,
    exchanges: Vec<(Vec<u8>, Vec<u8>)>,
}

impl CardChannel for Recorder {
    type Error = ErrorKind;

    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, ErrorKind> {
        let answer = self.card.process(command).ok_or(ErrorKind::Removed)?;
        self.exchanges.push((command.to_vec(), answer.clone()));
        Ok(answer)
    }
}

/// The card_session target's input format: each answer as a length byte (255: a
/// two-byte length follows) and the bytes.
fn script(answers: impl Iterator<Item = Vec<u8>>) -> Vec<u8> {
    let mut out = Vec::new();
    for a in answers {
        if a.len() < 255 {
            out.push(a.len() as u8);
        } else {
            out.push(255);
            out.extend_from_slice(&(a.len() as u16).to_be_bytes());
        }
        out.extend_from_slice(&a);
    }
    out
}

fn write(root: &Path, target: &str, name: &str, bytes: &[u8]) {
    let dir = root.join(target);
    std::fs::create_dir_all(&dir).expect("corpus dir");
    std::fs::write(dir.join(name), bytes).expect("seed");
}

/// The answer to the first command whose INS and P1 P2 match (file reads).
fn answers_to(exchanges: &[(Vec<u8>, Vec<u8>)], ins: u8) -> Vec<Vec<u8>> {
    exchanges
        .iter()
        .filter(|(c, _)| c.get(1) == Some(&ins))
        .map(|(_, a)| a.clone())
        .collect()
}

fn main() {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = std::env::args()
        .nth(1)
        .map_or_else(|| here.join("corpus"), PathBuf::from);
    generate(&root, &here.join("../assets"));
}

/// Writes every target's seeds under `root` (`root/<target>/<name>`), reading the
/// project's sample files from `assets`.
pub fn generate(root: &Path, assets: &Path) {
    // A whole session with each embedded card profile.
    for name in ["alice", "bob-pinless", "carol-android"] {
        let profile = Profile::embedded(name).expect("profile");
        let face = profile.printed_face();
        let mut rec = Recorder {
            card: VirtualCard::new(profile).expect("card"),
            exchanges: Vec::new(),
        };
        let mut guard = KenmenGuard::new(3);
        let reading = card::read_card(
            &mut rec,
            Some(&face),
            &mut guard,
            "s".into(),
            SystemTime::now(),
        );
        let _ = card::query_pin_tries(&mut rec);
        let _ = card::verify_pin(&mut rec, &Digits::parse("1234", 4).expect("digits"));
        let _ = card::sign(&mut rec, "seed");
        eprintln!(
            "{name}: {} exchanges, read {}",
            rec.exchanges.len(),
            reading.is_ok()
        );
        let answers = rec.exchanges.iter().map(|(_, a)| a.clone());
        write(root, "card_session", name, &script(answers));
        if name == "alice" {
            // READ BINARY answers: the certificate and EF 0002 (券面) in pieces.
            let reads: Vec<u8> = answers_to(&rec.exchanges, 0xB0).concat();
            write(root, "apdu_tlv", "reads", &reads);
            if let Ok(reading) = reading {
                if let Some(cert) = reading.facts.certificate {
                    write(root, "apdu_tlv", "certificate", &cert);
                }
            }
        }
    }
    // EF 0002 itself, from the profile's card (read again, whole).
    {
        let profile = Profile::embedded("alice").expect("profile");
        let key = profile.printed_face().key_b().expect("key");
        let mut rec = Recorder {
            card: VirtualCard::new(profile).expect("card"),
            exchanges: Vec::new(),
        };
        use kaonin::card::apdu::{self, Command};
        apdu::select_aid(&mut rec, &apdu::AID_KENMEN).expect("select");
        apdu::select_ef(&mut rec, card::kenmen::EF_KEY_B).expect("select");
        apdu::exchange(&mut rec, &Command::verify(&key)).expect("verify");
        apdu::select_ef(&mut rec, card::kenmen::EF_FACE).expect("select");
        let file = apdu::read_ber_file(&mut rec, "seed").expect("read");
        write(root, "kenmen_file", "alice-ef0002", &file);
        write(root, "kenmen_file", "dates", b"19800217,20350217,1234");
        if let Ok(face) = card::kenmen::parse_face_file(&file) {
            if let Ok(items) =
                card::tlv::parse_all(card::tlv::parse_one(&file).expect("tlv").0.value)
            {
                if let Ok(png) = card::tlv::find(&items, 0xDF25) {
                    write(root, "name_png", "alice-name.png", png);
                }
            }
            let _ = face;
        }
    }
    for name in ["alice-chip.jp2", "bob-chip.jp2"] {
        let bytes = std::fs::read(assets.join("faces").join(name)).expect("chip photo");
        write(root, "chip_jpeg2000", name, &bytes);
    }

    // PC link lines, both directions.
    let identity = Identity {
        id: "3f0d6c1e-8a52-4b8e-9a57-2f1c7d0b9e44".into(),
        method: Method::Face,
        certificate: vec![0x30, 0x03, 0x02, 0x01, 0x00],
        card_signature: Some(vec![7; 8]),
        face_score: Some(0.83),
        staff_account: None,
        consent: Consent::all(),
        consent_mode: ConsentMode::All,
        kenmen: None,
        prescription: None,
    };
    let msg = IdentityMsg::from_identity(&identity, "reception-1", "2026-11-25T21:30:22Z".into());
    let reader_lines = [
        to_line(&ReaderMsg::Hello {
            protocol: 1,
            terminal_id: "reception-1".into(),
            software: "kaonin".into(),
        }),
        to_line(&ReaderMsg::Identity(msg.clone())),
        to_line(&ReaderMsg::Ping),
    ];
    let pc_lines = [
        br#"{"type":"ack","id":"3f0d6c1e-8a52-4b8e-9a57-2f1c7d0b9e44","result":"eligible","message":"ok"}"#.to_vec(),
        br#"{"type":"set_passcode","account":"nurse-1","passcode":"4821"}"#.to_vec(),
        br#"{"type":"revoke_passcode","account":"nurse-1"}"#.to_vec(),
        to_line(&PcMsg::StatsRequest),
    ];
    for (i, line) in reader_lines.iter().enumerate() {
        write(
            root,
            "link_messages",
            &format!("reader-{i}"),
            line.strip_suffix(b"\n").unwrap_or(line),
        );
    }
    for (i, line) in pc_lines.iter().enumerate() {
        write(
            root,
            "link_messages",
            &format!("pc-{i}"),
            line.strip_suffix(b"\n").unwrap_or(line),
        );
    }
    // 利用登録 (extension): the registration, the ack result and the ack's `for`.
    let registration = to_line(&ReaderMsg::Registration(
        kaonin::link::message::RegistrationMsg::new(
            &msg.id,
            "reception-1",
            "2026-11-25T21:30:40Z".into(),
        ),
    ));
    write(
        root,
        "link_messages",
        &format!("reader-{}", reader_lines.len()),
        registration.strip_suffix(b"\n").unwrap_or(&registration),
    );
    let registration_acks: [&[u8]; 2] = [
        br#"{"type":"ack","id":"3f0d6c1e-8a52-4b8e-9a57-2f1c7d0b9e44","result":"not_registered"}"#,
        br#"{"type":"ack","id":"3f0d6c1e-8a52-4b8e-9a57-2f1c7d0b9e44","for":"registration","result":"eligible"}"#,
    ];
    for (i, line) in registration_acks.iter().enumerate() {
        write(
            root,
            "link_messages",
            &format!("pc-{}", pc_lines.len() + i),
            line,
        );
    }
    let mut stream = vec![7u8];
    for line in &pc_lines {
        stream.extend_from_slice(line.strip_suffix(b"\n").unwrap_or(line));
        stream.extend_from_slice(b"\r\n");
    }
    stream.extend_from_slice(b"{\"type\":\"ping\"}");
    write(root, "link_frames", "session", &stream);

    // Control socket lines.
    for (i, line) in [
        r#"{"press":"start"}"#,
        r#"{"pin":"1234"}"#,
        r#"{"card":"insert","profile":"alice"}"#,
        r#"{"card":"remove"}"#,
        r#"{"card_face":{"birth":"19800217","expiry":"20350217","security_code":"1234"}}"#,
        r#"{"camera":"alice.png"}"#,
        r#"{"staff":"visual","passcode":"4821"}"#,
        r#"{"device":"camera","state":"unplugged"}"#,
        r#"{"debug":{"stall_ms":10}}"#,
    ]
    .iter()
    .enumerate()
    {
        write(root, "control_line", &format!("line-{i}"), line.as_bytes());
    }

    // Config: the packaged one and a short desktop one.
    let packaged = std::fs::read(assets.join("../packaging/kaonin.toml")).expect("config");
    write(root, "config_toml", "packaged", &packaged);
    write(
        &root,
        "config_toml",
        "short",
        b"[terminal]\nid = \"reception-1\"\n[link]\nendpoint = \"unix:/run/kaonin/link.sock\"\n[policy]\nface_threshold = 0.6\n",
    );

    // State files.
    let record = format!(
        "{}\n{{\"acked\":\"x\"}}\n",
        serde_json::to_string(&kaonin::link::outbox::Record {
            stored: 1_764_000_000,
            identity: msg.clone(),
        })
        .expect("json")
    );
    // The outbox_file target adds the checksum to lines whose first byte is odd.
    let mut outbox = Vec::new();
    for line in record.lines() {
        outbox.push(b'1');
        outbox.extend_from_slice(line.as_bytes());
        outbox.push(b'\n');
    }
    write(root, "outbox_file", "records", &outbox);
    // 利用登録: an identity, its registration (same id), the identity's ack and the
    // registration's ack (`for`).
    let registration = format!(
        "{}\n{}\n{{\"acked\":\"{id}\"}}\n{{\"acked\":\"{id}\",\"for\":\"registration\"}}\n",
        serde_json::to_string(&kaonin::link::outbox::Record {
            stored: 1_764_000_000,
            identity: msg.clone(),
        })
        .expect("json"),
        serde_json::to_string(&kaonin::link::outbox::RegistrationRecord {
            stored: 1_764_000_005,
            registration: kaonin::link::message::RegistrationMsg::new(
                &msg.id,
                &msg.terminal_id,
                "2026-11-25T21:30:40Z".into(),
            ),
        })
        .expect("json"),
        id = msg.id,
    );
    let mut outbox = Vec::new();
    for line in registration.lines() {
        outbox.push(b'1');
        outbox.extend_from_slice(line.as_bytes());
        outbox.push(b'\n');
    }
    write(root, "outbox_file", "registration", &outbox);
    write(
        &root,
        "staff_store",
        "store",
        b"{\"version\":1,\"entries\":[{\"account\":\"nurse-1\",\"iterations\":100000,\"salt\":\"c2FsdHNhbHRzYWx0c2FsdA==\",\"hash\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"}]}\0{\"failures\":2,\"locked_until\":1764000000}",
    );
    write(
        &root,
        "stats_file",
        "stats",
        b"{\"version\":1,\"counters\":{}}",
    );
    write(
        root,
        "serial_pad",
        "keys",
        b"\x03H\nK1\nK2\r\nK3\nC\nK4\nE\nX\n\r\nZZZZZZZZZZZZ\nK5\n",
    );
    write(
        root,
        "apdu_tlv",
        "tlv",
        &[0xFF, 0x20, 0x05, 0xDF, 0x21, 0x02, 0x41, 0x42, 0x90, 0x00],
    );
}
