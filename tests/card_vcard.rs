//! `kaonin vcard` against a stand-in for vpcd (a loopback TCP listener speaking the
//! vpcd protocol), and profile loading errors.

// Uses the simulators (cargo feature `sim`, on by default).
#![cfg(feature = "sim")]

mod card_support;

use card_support::{cards_dir, profile, Vcard};
use kaonin::sim::vcard::{run_vcard, Profile, ProfileError, VcardError, VirtualCard};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};

const CONTACTLESS_ATR: [u8; 13] = [
    0x3B, 0x88, 0x80, 0x01, 0x00, 0x00, 0x05, 0xE0, 0xB3, 0x81, 0xA1, 0x00, 0x7F,
];

/// vpcd's side of one inserted card.
struct Slot(TcpStream);

impl Slot {
    fn accept(listener: &TcpListener) -> Slot {
        Slot(listener.accept().expect("card connects").0)
    }

    fn send(&mut self, payload: &[u8]) {
        let mut frame = (payload.len() as u16).to_be_bytes().to_vec();
        frame.extend_from_slice(payload);
        self.0.write_all(&frame).unwrap();
    }

    fn receive(&mut self) -> Option<Vec<u8>> {
        let mut len = [0u8; 2];
        self.0.read_exact(&mut len).ok()?;
        let mut payload = vec![0; usize::from(u16::from_be_bytes(len))];
        self.0.read_exact(&mut payload).ok()?;
        Some(payload)
    }

    fn apdu(&mut self, apdu: &[u8]) -> Vec<u8> {
        self.send(apdu);
        self.receive().expect("response")
    }

    fn closed(&mut self) -> bool {
        let mut byte = [0u8; 1];
        matches!(self.0.read(&mut byte), Ok(0) | Err(_))
    }
}

const SELECT_JPKI: [u8; 15] = [
    0x00, 0xA4, 0x04, 0x0C, 0x0A, 0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01,
];
const VERIFY_SFI: [u8; 9] = [0x00, 0x20, 0x00, 0x98, 0x04, b'1', b'2', b'3', b'4'];
const SELECT_KEY: [u8; 7] = [0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x17];

fn sign_apdu() -> Vec<u8> {
    let mut apdu = vec![0x80, 0x2A, 0x00, 0x80, 0x33];
    apdu.extend_from_slice(&kaonin::card::apdu::sha256_digest_info(b"x"));
    apdu.push(0x00);
    apdu
}

fn listener() -> (TcpListener, String) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap().to_string();
    (l, addr)
}

#[test]
fn speaks_the_vpcd_protocol() {
    let (l, addr) = listener();
    let vcard = Vcard::start(profile("alice.toml"), &addr);
    vcard.send("insert");
    let mut slot = Slot::accept(&l);
    slot.send(&[0x04]);
    assert_eq!(slot.receive().unwrap(), CONTACTLESS_ATR);
    slot.send(&[0x01]); // power on: no answer
    assert_eq!(slot.apdu(&SELECT_JPKI), [0x90, 0x00]);
    assert_eq!(slot.apdu(&VERIFY_SFI), [0x90, 0x00]);
    assert_eq!(slot.apdu(&SELECT_KEY), [0x90, 0x00]);
    let signed = slot.apdu(&sign_apdu());
    assert_eq!((signed.len(), &signed[256..]), (258, &[0x90, 0x00][..]));
    // Reset clears the selected DF and the verified PIN.
    slot.send(&[0x02]);
    slot.send(&[0x04]);
    assert_eq!(
        slot.receive().unwrap(),
        CONTACTLESS_ATR,
        "control bytes need no answer"
    );
    assert_eq!(slot.apdu(&SELECT_JPKI), [0x90, 0x00]);
    assert_eq!(slot.apdu(&SELECT_KEY), [0x90, 0x00]);
    assert_eq!(slot.apdu(&sign_apdu()), [0x69, 0x82]);
    // Power off does the same.
    assert_eq!(slot.apdu(&VERIFY_SFI), [0x90, 0x00]);
    slot.send(&[0x00]);
    assert_ne!(slot.apdu(&sign_apdu())[..], [0x90, 0x00]);
    // remove = the card closes its connection; insert = a new one.
    vcard.send("remove");
    assert!(slot.closed());
    vcard.send("insert");
    let mut slot = Slot::accept(&l);
    assert_eq!(slot.apdu(&SELECT_JPKI), [0x90, 0x00]);
    // The card keeps its counters across insertions.
    assert_eq!(
        slot.apdu(&[0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x18]),
        [0x90, 0x00]
    );
    assert_eq!(
        slot.apdu(&[0x00, 0x20, 0x00, 0x80, 0x04, b'0', b'0', b'0', b'0']),
        [0x63, 0xC2]
    );
    vcard.send("remove");
    assert!(slot.closed());
    vcard.send("insert");
    let mut slot = Slot::accept(&l);
    slot.apdu(&SELECT_JPKI);
    assert_eq!(slot.apdu(&[0x00, 0x20, 0x00, 0x98]), [0x63, 0xC2]);
    assert_eq!(vcard.counters().pin_tries, 2);
    vcard.quit().expect("quit");
    assert!(slot.closed());
}

#[test]
fn removal_fault_closes_the_connection() {
    let (l, addr) = listener();
    let mut p = profile("alice.toml");
    p.faults.remove_at_apdu = Some(2);
    let vcard = Vcard::start(p, &addr);
    vcard.send("insert");
    let mut slot = Slot::accept(&l);
    assert_eq!(slot.apdu(&SELECT_JPKI), [0x90, 0x00]);
    slot.send(&SELECT_KEY);
    assert_eq!(slot.receive(), None, "no answer: the card left");
    // The card can be presented again; the fault fired once.
    vcard.send("insert");
    let mut slot = Slot::accept(&l);
    assert_eq!(slot.apdu(&SELECT_JPKI), [0x90, 0x00]);
    vcard.quit().expect("quit");
}

#[test]
fn commands_and_end_of_input() {
    let (l, addr) = listener();
    drop(l);
    let card = || VirtualCard::new(profile("alice.toml")).unwrap();
    // EOF is quit; an unreachable vpcd is reported, not fatal.
    let input: &[u8] = b"insert\n\nremove\n";
    kaonin::sim::vcard::run_vcard_with(card(), &addr, input).expect("EOF ends cleanly");
    let input: &[u8] = b"eject\n";
    match kaonin::sim::vcard::run_vcard_with(card(), &addr, input) {
        Err(VcardError::UnknownCommand(c)) => assert_eq!(c, "eject"),
        other => panic!("{other:?}"),
    }
    let input: &[u8] = b"quit\ninsert\n";
    kaonin::sim::vcard::run_vcard_with(card(), &addr, input).expect("quit");
}

#[test]
fn run_vcard_loads_the_profile() {
    let missing = cards_dir().join("nobody.toml");
    let input: &[u8] = b"";
    match run_vcard(&missing, "127.0.0.1:9", input) {
        Err(VcardError::Profile(ProfileError::Io { path, .. })) => assert_eq!(path, missing),
        other => panic!("{other:?}"),
    }
    let input: &[u8] = b"quit\n";
    run_vcard(&cards_dir().join("alice.toml"), "127.0.0.1:9", input).expect("alice loads");
}

fn load_text(text: &str) -> Result<Profile, ProfileError> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.toml");
    std::fs::write(&path, text).unwrap();
    Profile::load(&path)
}

#[test]
fn profile_errors_name_the_key() {
    let alice = std::fs::read_to_string(cards_dir().join("alice.toml")).unwrap();
    let err = load_text(&alice.replace("type = \"standard\"", "type = \"passport\"")).unwrap_err();
    assert!(
        matches!(err, ProfileError::Toml { .. }) && err.to_string().contains("type"),
        "{err}"
    );
    let err = load_text(&alice.replace("[pin]", "[pin]\ncolour = 1")).unwrap_err();
    assert!(err.to_string().contains("colour"), "{err}");
    let err = load_text(&alice.replace("value = \"1234\"", "value = \"12345\"")).unwrap_err();
    assert!(
        matches!(
            err,
            ProfileError::Invalid {
                key: "pin.value",
                ..
            }
        ),
        "{err}"
    );
    let err = load_text(&alice.replace("tries = 10", "tries = 11")).unwrap_err();
    assert!(
        matches!(
            err,
            ProfileError::Invalid {
                key: "kenmen.tries",
                ..
            }
        ),
        "{err}"
    );
    let err = load_text(&alice.replace("security_code = \"4821\"", "security_code = \"48\""))
        .unwrap_err();
    assert!(
        matches!(
            err,
            ProfileError::Invalid {
                key: "card_face",
                ..
            }
        ),
        "{err}"
    );
    let err = load_text(&alice.replace("atr = \"contactless\"", "atr = \"zz\"")).unwrap_err();
    assert!(
        matches!(err, ProfileError::Invalid { key: "atr", .. }),
        "{err}"
    );
    // Relative paths resolve against the profile's directory: here they are missing.
    let p = load_text(&alice).expect("valid text");
    assert!(matches!(VirtualCard::new(p), Err(ProfileError::Io { .. })));
}

#[test]
fn profile_atr_forms() {
    let alice = std::fs::read_to_string(cards_dir().join("alice.toml")).unwrap();
    let contact = load_text(&alice.replace("atr = \"contactless\"", "atr = \"contact\"")).unwrap();
    assert_eq!(
        contact.atr.bytes().unwrap(),
        [0x3B, 0xE0, 0x00, 0xFF, 0x81, 0x31, 0xFE, 0x45, 0x14]
    );
    let hex = load_text(&alice.replace(
        "atr = \"contactless\"",
        "atr = \"3B:88:80:01:00:00:41:E0:B3:81:A1:00:3B\"",
    ))
    .unwrap();
    assert_eq!(hex.atr.bytes().unwrap()[6], 0x41);
    let card = VirtualCard::new(profile("alice.toml")).unwrap();
    use kaonin_hal::mock::Icc;
    assert_eq!(card.atr(), CONTACTLESS_ATR);
}

#[test]
fn printed_face_is_the_profile_card_face() {
    let p = profile("alice.toml");
    let face = p.printed_face();
    assert_eq!(
        (
            face.birth.as_str(),
            face.expiry.as_str(),
            face.security_code.as_str()
        ),
        ("19850412", "20350412", "4821")
    );
    // 昭和60年4月12日 + 2035 + 4821
    assert_eq!(face.key_b().unwrap().as_slice(), b"60041220354821");
}

#[test]
fn embedded_profiles_match_the_files() {
    use kaonin::sim::vcard::EMBEDDED_PROFILES;
    for name in EMBEDDED_PROFILES {
        let embedded = Profile::embedded(name).expect("embedded profile");
        let file = profile(&format!("{name}.toml"));
        assert_eq!(embedded.card_type, file.card_type, "{name}");
        let card = VirtualCard::new(embedded).expect("embedded card builds");
        let mut rig_card: Box<dyn kaonin_hal::mock::Icc> = Box::new(card);
        // SELECT JPKI AP works on every embedded card.
        let r = rig_card.process(&[
            0x00, 0xA4, 0x04, 0x0C, 0x0A, 0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00,
            0x01,
        ]);
        assert_eq!(r, Some(vec![0x90, 0x00]), "{name}");
    }
    assert!(Profile::embedded("mallory").is_err());
    // The embedded alice reads like the file one.
    let mut rig = card_support::Rig::new(Profile::embedded("alice").unwrap());
    let face = profile("alice.toml").printed_face();
    let reading = kaonin::card::read_card(
        &mut rig.reader,
        Some(&face),
        &mut kaonin::sim::vcard::trusting_guard(3),
        "s".into(),
        std::time::SystemTime::now(),
    )
    .unwrap();
    assert_eq!(
        reading.photo.unwrap().bytes(),
        card_support::asset("faces/alice-chip.jp2")
    );
}

/// `kaonin vcard --write-kenmen-trust` writes the public key of the CA that signs the
/// profile's 券面AP certificate: the checked-in key the test configs name, and for a
/// profile with its own CA, that CA's key (which a terminal then does not trust).
#[test]
fn write_kenmen_trust_writes_the_profiles_ca_key() {
    let dir = tempfile::tempdir().unwrap();
    let run = |name: &str| {
        let out = dir.path().join(format!("{name}.pem"));
        let status = std::process::Command::new(env!("CARGO_BIN_EXE_kaonin"))
            .args(["vcard", "--profile"])
            .arg(cards_dir().join(format!("{name}.toml")))
            .arg("--write-kenmen-trust")
            .arg(&out)
            .env("KAONIN_LOG", "warn")
            .status()
            .unwrap();
        assert!(status.success(), "{name}: {status}");
        std::fs::read_to_string(out).unwrap()
    };
    let checked_in = std::fs::read_to_string(cards_dir().join("keys/kenmen-ca.pub.pem")).unwrap();
    assert_eq!(run("alice"), checked_in);
    let forged = run("mallory-forged");
    assert_ne!(forged, checked_in);
    assert!(forged.starts_with("-----BEGIN PUBLIC KEY-----\n"));
}
