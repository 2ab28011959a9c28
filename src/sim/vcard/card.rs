//! The simulated chip: JPKI AP, 券面AP, PIN EFs with retry counters, signing, and the
//! faults a profile asks for. It implements [`Icc`], so the in-process
//! [`kaonin_hal::mock::MockReader`] and the vpcd bridge drive the very same model.

use super::kenmen_ca;
use super::profile::{CardType, Profile, ProfileError};
use crate::card::apdu::{AID_JPKI, AID_KENMEN};
use crate::card::tlv::encode;
use crate::card::{self as proto};
use kaonin_hal::mock::Icc;
use rsa::pkcs8::DecodePrivateKey;
use rsa::traits::PublicKeyParts;
use rsa::{Pkcs1v15Sign, RsaPrivateKey};
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use zeroize::Zeroizing;

/// Counters a test reads after the card was moved into a reader.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CardCounters {
    /// Tries left on the user-authentication PIN (EF 0018).
    pub pin_tries: u8,
    /// Tries left on the signature password (EF 001B).
    pub sign_password_tries: u8,
    /// Tries left on 照合番号B (券面AP EF 0012).
    pub kenmen_b_tries: u8,
    /// Tries left on 照合番号A (券面AP EF 0013).
    pub kenmen_a_tries: u8,
    /// Every APDU received.
    pub apdus: u64,
    /// VERIFY commands with data on EF 0018 (tries spent or PIN accepted).
    pub pin_verifies: u32,
    /// VERIFY commands with data on 照合番号B.
    pub kenmen_verifies: u32,
    /// Empty VERIFY commands (counter queries), any EF.
    pub empty_verifies: u32,
    /// Signatures made with the user-authentication key.
    pub signatures: u32,
    /// Power-offs and resets seen.
    pub power_cycles: u32,
}

/// Which application is selected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Ap {
    Jpki,
    Kenmen,
}

/// A secret held by an internal EF.
struct PinEf {
    value: Zeroizing<Vec<u8>>,
    max: u8,
    counter: fn(&mut CardCounters) -> &mut u8,
}

/// A key held by an internal EF.
struct KeyEf {
    key: Box<RsaPrivateKey>,
    /// PIN EFs any one of which opens the key (empty: free).
    needs: &'static [u16],
}

/// A readable file.
struct BinEf {
    data: Vec<u8>,
    /// PIN EFs any one of which opens the file (empty: free).
    needs: &'static [u16],
}

enum Ef {
    Bin(BinEf),
    Pin(PinEf),
    Key(KeyEf),
}

/// The simulated My Number card (or phone).
pub struct VirtualCard {
    card_type: CardType,
    face_id: bool,
    atr: Vec<u8>,
    files: HashMap<(Ap, u16), Ef>,
    faults: super::profile::Faults,
    counters: Arc<Mutex<CardCounters>>,
    // Volatile state, lost at power-off and reset.
    ap: Option<Ap>,
    ef: Option<u16>,
    verified: HashSet<u16>,
    pending: Vec<u8>,
    awaiting_le_retry: Option<Vec<u8>>,
    removal_fired: bool,
    stalled: bool,
}

impl std::fmt::Debug for VirtualCard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VirtualCard")
            .field("type", &self.card_type)
            .finish_non_exhaustive()
    }
}

pub(super) fn load_key(profile: &Profile, path: &Path) -> Result<RsaPrivateKey, ProfileError> {
    let pem = profile.read(path)?;
    let text = String::from_utf8(pem).map_err(|_| ProfileError::Key {
        path: profile.resolve(path),
    })?;
    RsaPrivateKey::from_pkcs8_pem(&text).map_err(|_| ProfileError::Key {
        path: profile.resolve(path),
    })
}

fn token_file(name: &str) -> Vec<u8> {
    let mut data = name.as_bytes().to_vec();
    data.resize(32, b' ');
    data.resize(160, 0x00);
    data
}

fn secret(value: &str, max: u8, counter: fn(&mut CardCounters) -> &mut u8) -> Ef {
    Ef::Pin(PinEf {
        value: Zeroizing::new(value.as_bytes().to_vec()),
        max,
        counter,
    })
}

fn bin(data: Vec<u8>, needs: &'static [u16]) -> Ef {
    Ef::Bin(BinEf { data, needs })
}

impl VirtualCard {
    /// Builds the card described by `profile` (reads its keys, certificates, photo).
    pub fn new(profile: Profile) -> Result<Self, ProfileError> {
        profile.validate()?;
        let auth_key = load_key(&profile, &profile.keys.auth_key)?;
        let auth_cert = profile.read(&profile.keys.auth_cert)?;
        let ca_cert = profile.read(&profile.keys.ca_cert)?;
        let counters = CardCounters {
            pin_tries: profile.pin.tries,
            sign_password_tries: profile.sign_password.tries,
            kenmen_b_tries: profile.kenmen.as_ref().map_or(0, |k| k.tries),
            kenmen_a_tries: profile.kenmen.as_ref().map_or(0, |_| 10),
            ..CardCounters::default()
        };
        let mut files = HashMap::new();
        let token = match profile.card_type {
            CardType::Standard | CardType::Pinless => proto::TOKEN_CARD,
            CardType::Android => proto::TOKEN_ANDROID,
            CardType::Iphone => proto::TOKEN_IPHONE,
        };
        let j = |ef| (Ap::Jpki, ef);
        files.insert(j(proto::EF_TOKEN), bin(token_file(token), &[]));
        let cert_needs: &'static [u16] = match profile.card_type {
            CardType::Android => &[proto::EF_AUTH_PIN],
            _ => &[],
        };
        files.insert(j(proto::EF_AUTH_CERT), bin(auth_cert.clone(), cert_needs));
        files.insert(j(proto::EF_AUTH_CA), bin(ca_cert.clone(), &[]));
        if matches!(profile.card_type, CardType::Standard | CardType::Android) {
            files.insert(
                j(proto::EF_AUTH_PIN),
                secret(&profile.pin.value, 3, |c| &mut c.pin_tries),
            );
        }
        let key_needs: &'static [u16] = match profile.card_type {
            CardType::Standard | CardType::Android => &[proto::EF_AUTH_PIN],
            // Pin-less cards have no PIN to open the key; the iPhone opens it by
            // Face ID (checked when signing).
            CardType::Pinless => &[0xFFFF],
            CardType::Iphone => &[],
        };
        files.insert(
            j(proto::EF_AUTH_KEY),
            Ef::Key(KeyEf {
                key: Box::new(auth_key.clone()),
                needs: key_needs,
            }),
        );
        if matches!(profile.card_type, CardType::Standard | CardType::Pinless) {
            files.insert(
                j(proto::EF_SIGN_PIN),
                secret(&profile.sign_password.value, 5, |c| {
                    &mut c.sign_password_tries
                }),
            );
            files.insert(
                j(proto::EF_SIGN_CERT),
                bin(auth_cert, &[proto::EF_SIGN_PIN]),
            );
            files.insert(j(proto::EF_SIGN_CA), bin(ca_cert, &[]));
            files.insert(
                j(proto::EF_SIGN_KEY),
                Ef::Key(KeyEf {
                    key: Box::new(auth_key),
                    needs: &[proto::EF_SIGN_PIN],
                }),
            );
        }
        if let Some(kenmen) = &profile.kenmen {
            Self::add_kenmen(&profile, kenmen, &mut files)?;
        }
        Ok(VirtualCard {
            card_type: profile.card_type,
            face_id: profile.face_id,
            atr: profile.atr.bytes()?,
            files,
            faults: profile.faults.clone(),
            counters: Arc::new(Mutex::new(counters)),
            ap: None,
            ef: None,
            verified: HashSet::new(),
            pending: Vec::new(),
            awaiting_le_retry: None,
            removal_fired: false,
            stalled: false,
        })
    }

    fn add_kenmen(
        profile: &Profile,
        kenmen: &super::profile::Kenmen,
        files: &mut HashMap<(Ap, u16), Ef>,
    ) -> Result<(), ProfileError> {
        use crate::card::kenmen::{EF_CERT, EF_FACE, EF_KEY_A, EF_KEY_B};
        use kenmen_ca::{face_file, FaceImages};
        let key = load_key(profile, &kenmen.key)?;
        let public = match &kenmen.df24_key {
            Some(path) => load_key(profile, path)?.to_public_key(),
            None => key.to_public_key(),
        };
        let photo = profile.read(&kenmen.photo)?;
        let signed_photo = match &profile.faults.df28_photo {
            Some(path) => profile.read(path)?,
            None => photo.clone(),
        };
        let key_b = profile
            .card_face
            .key_b()
            .map_err(|e| ProfileError::Invalid {
                key: "card_face",
                reason: e.to_string(),
            })?;
        let name_png = match &profile.holder.name_image {
            Some(path) => profile.read(path)?,
            None => super::name_image::name_png(&profile.holder.name)?,
        };
        let images = FaceImages {
            name: &name_png,
            // The reader never uses the address: its text stands in for the image
            // (drawing it would only lengthen every read of the file).
            address: profile.holder.address.as_bytes(),
            photo: &photo,
            signed_photo: &signed_photo,
        };
        let issuer = kenmen_ca::issuer_key_of(profile, kenmen)?;
        let face = face_file(
            profile,
            &issuer,
            &public,
            &images,
            profile.faults.corrupt_tlv,
        );
        let ca = kenmen_ca::ca_key_of(profile, kenmen)?;
        let cert =
            kenmen_ca::certificate(&ca, kenmen_ca::ca_id_of(kenmen), &issuer.to_public_key());
        let k = |ef| (Ap::Kenmen, ef);
        files.insert(
            k(EF_KEY_B),
            Ef::Pin(PinEf {
                value: key_b,
                max: 10,
                counter: |c| &mut c.kenmen_b_tries,
            }),
        );
        files.insert(
            k(EF_KEY_A),
            secret(&kenmen.my_number, 10, |c| &mut c.kenmen_a_tries),
        );
        files.insert(k(EF_FACE), bin(face, &[EF_KEY_A, EF_KEY_B]));
        files.insert(k(EF_CERT), bin(cert, &[]));
        let basic = encode(0xFF30, &encode(0xDF31, b"131016"));
        files.insert(k(0x0003), bin(basic, &[]));
        // The AP's key: internal authentication needs no credential.
        files.insert(
            k(0x0017),
            Ef::Key(KeyEf {
                key: Box::new(key),
                needs: &[],
            }),
        );
        Ok(())
    }

    /// True once the `stall_at_apdu` fault fired: the card answers nothing more until
    /// it leaves the reader.
    pub fn is_stalled(&self) -> bool {
        self.stalled
    }

    /// The counters, shared: readable after the card was moved into a reader.
    pub fn state(&self) -> Arc<Mutex<CardCounters>> {
        self.counters.clone()
    }

    fn counters(&self) -> MutexGuard<'_, CardCounters> {
        self.counters.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn clear_volatile(&mut self) {
        self.ap = None;
        self.ef = None;
        self.verified.clear();
        self.pending.clear();
        self.awaiting_le_retry = None;
    }

    /// One APDU, faults applied; `None` = the card left the field.
    fn respond(&mut self, command: &[u8]) -> Option<Vec<u8>> {
        let count = {
            let mut c = self.counters();
            c.apdus += 1;
            c.apdus
        };
        if self.faults.remove_at_apdu == Some(count) && !self.removal_fired {
            self.removal_fired = true;
            self.clear_volatile();
            return None;
        }
        if self.stalled || self.faults.stall_at_apdu == Some(count) {
            self.stalled = true;
            return None;
        }
        if self.faults.delay_ms > 0 {
            // Simulated card latency, not synchronisation.
            std::thread::sleep(std::time::Duration::from_millis(self.faults.delay_ms));
        }
        let Some(apdu) = Apdu::parse(command) else {
            return Some(sw(0x6700));
        };
        if apdu.cla == 0x00 && apdu.ins == 0xC0 {
            return Some(self.get_response(&apdu));
        }
        self.pending.clear();
        let (mut data, status) = self.execute(&apdu);
        if self.faults.verify_6cxx && apdu.ins == 0x20 && !apdu.data.is_empty() {
            // Carried out (a wrong value spent a try), then answered as a length error.
            return Some(sw(0x6C00));
        }
        if status == 0x9000 && !data.is_empty() {
            // Only READ BINARY: a reader may re-send a read, never a VERIFY or a signature.
            if self.faults.wrong_le_6cxx && apdu.ins == 0xB0 && apdu.le.is_some() {
                let key = command
                    .get(..command.len() - 1)
                    .unwrap_or_default()
                    .to_vec();
                let exact = data.len().min(256);
                let asked = apdu.le.map(usize::from).unwrap_or(0);
                if self.awaiting_le_retry.as_deref() != Some(&key[..]) || asked != exact {
                    self.awaiting_le_retry = Some(key);
                    return Some(sw(0x6C00 | (exact & 0xFF) as u16));
                }
                self.awaiting_le_retry = None;
            }
            if let Some(le) = apdu.le {
                data.truncate(usize::from(le));
            }
            if self.faults.chain_61xx {
                self.pending = data;
                return Some(sw(0x6100 | (self.pending.len().min(256) & 0xFF) as u16));
            }
        }
        data.extend_from_slice(&status.to_be_bytes());
        Some(data)
    }

    fn get_response(&mut self, apdu: &Apdu) -> Vec<u8> {
        if self.pending.is_empty() {
            return sw(0x6985);
        }
        let asked = apdu.le.map_or(256, usize::from);
        let n = asked.min(self.pending.len()).min(128);
        let mut out: Vec<u8> = self.pending.drain(..n).collect();
        let status = match self.pending.len() {
            0 => 0x9000,
            left => 0x6100 | (left.min(256) & 0xFF) as u16,
        };
        out.extend_from_slice(&u16::to_be_bytes(status));
        out
    }

    fn execute(&mut self, apdu: &Apdu) -> (Vec<u8>, u16) {
        match (apdu.cla, apdu.ins) {
            (0x00, 0xA4) => (Vec::new(), self.select(apdu)),
            (0x00, 0xB0) => self.read_binary(apdu),
            (0x00, 0x20) => (Vec::new(), self.verify(apdu)),
            (0x80, 0x2A) => self.sign(apdu),
            (0x80, 0xFC) if self.card_type == CardType::Iphone => (Vec::new(), 0x9000),
            (0x80, 0xFC) => (Vec::new(), 0x6700),
            (0x00 | 0x80, _) => (Vec::new(), 0x6D00),
            (0x08 | 0x0C, _) => (Vec::new(), 0x6882),
            _ => (Vec::new(), 0x6E00),
        }
    }

    fn has_ap(&self, ap: Ap) -> bool {
        self.files.keys().any(|(a, _)| *a == ap)
    }

    fn select(&mut self, apdu: &Apdu) -> u16 {
        match apdu.p1 {
            0x04 => {
                let name = &apdu.data;
                let found = [(Ap::Jpki, &AID_JPKI), (Ap::Kenmen, &AID_KENMEN)]
                    .into_iter()
                    .find(|(ap, aid)| name.len() >= 5 && aid.starts_with(name) && self.has_ap(*ap));
                match found {
                    Some((ap, _)) => {
                        self.ap = Some(ap);
                        self.ef = None;
                        self.verified.clear();
                        0x9000
                    }
                    None => 0x6A82,
                }
            }
            0x02 => {
                let (Some(ap), [hi, lo]) = (self.ap, apdu.data.as_slice()) else {
                    return if self.ap.is_none() { 0x6A82 } else { 0x6700 };
                };
                let ef = u16::from_be_bytes([*hi, *lo]);
                if self.files.contains_key(&(ap, ef)) {
                    self.ef = Some(ef);
                    0x9000
                } else {
                    0x6A82
                }
            }
            _ => 0x6A86,
        }
    }

    /// The EF named by an SFI in P1/P2 (`80 | SFI`), selected as a side effect.
    fn ef_by_sfi(&mut self, sfi: u8) -> Result<u16, u16> {
        let ap = self.ap.ok_or(0x6A82u16)?;
        let ef = u16::from(sfi & 0x1F);
        if self.files.contains_key(&(ap, ef)) {
            self.ef = Some(ef);
            Ok(ef)
        } else {
            Err(0x6A82)
        }
    }

    fn opened(&self, needs: &[u16]) -> bool {
        needs.is_empty() || needs.iter().any(|ef| self.verified.contains(ef))
    }

    fn read_binary(&mut self, apdu: &Apdu) -> (Vec<u8>, u16) {
        let (ef, offset) = if apdu.p1 & 0x80 != 0 {
            match self.ef_by_sfi(apdu.p1) {
                Ok(ef) => (ef, usize::from(apdu.p2)),
                Err(status) => return (Vec::new(), status),
            }
        } else {
            match self.ef {
                Some(ef) => (ef, usize::from(u16::from_be_bytes([apdu.p1, apdu.p2]))),
                None => return (Vec::new(), 0x6986),
            }
        };
        let Some(ap) = self.ap else {
            return (Vec::new(), 0x6986);
        };
        match self.files.get(&(ap, ef)) {
            Some(Ef::Bin(file)) if !self.opened(file.needs) => (Vec::new(), 0x6982),
            Some(Ef::Bin(file)) if offset >= file.data.len() => (Vec::new(), 0x6B00),
            Some(Ef::Bin(file)) => {
                let want = apdu.le.map_or(256, usize::from);
                let end = (offset + want).min(file.data.len());
                (
                    file.data.get(offset..end).unwrap_or_default().to_vec(),
                    0x9000,
                )
            }
            Some(_) => (Vec::new(), 0x6981),
            None => (Vec::new(), 0x6A82),
        }
    }

    fn verify(&mut self, apdu: &Apdu) -> u16 {
        let ef = match apdu.p2 {
            0x80 => match self.ef {
                Some(ef) => ef,
                None => return 0x6986,
            },
            p2 if p2 & 0x80 != 0 => match self.ef_by_sfi(p2) {
                Ok(ef) => ef,
                Err(status) => return status,
            },
            _ => return 0x6A86,
        };
        let Some(ap) = self.ap else { return 0x6986 };
        let Some(Ef::Pin(pin)) = self.files.get(&(ap, ef)) else {
            return 0x6981;
        };
        let (max, counter) = (pin.max, pin.counter);
        let matches = apdu.data.as_slice() == pin.value.as_slice();
        let mut c = self.counters.lock().unwrap_or_else(|p| p.into_inner());
        if apdu.data.is_empty() {
            c.empty_verifies += 1;
            let left = *counter(&mut c);
            return if left == 0 {
                0x6984
            } else {
                0x63C0 | u16::from(left)
            };
        }
        match ef {
            proto::EF_AUTH_PIN => c.pin_verifies += 1,
            crate::card::kenmen::EF_KEY_B => c.kenmen_verifies += 1,
            _ => {}
        }
        let left = counter(&mut c);
        if *left == 0 {
            return 0x6984;
        }
        if matches {
            *left = max;
            drop(c);
            self.verified.insert(ef);
            0x9000
        } else {
            *left -= 1;
            0x63C0 | u16::from(*left)
        }
    }

    fn sign(&mut self, apdu: &Apdu) -> (Vec<u8>, u16) {
        if apdu.p1 != 0x00 {
            return (Vec::new(), 0x6A86);
        }
        let (ap, ef) = match (self.ap, apdu.p2) {
            (Some(Ap::Kenmen), 0x00) => (Ap::Kenmen, 0x0017),
            (Some(Ap::Jpki), 0x80) => match self.ef {
                Some(ef) => (Ap::Jpki, ef),
                None => return (Vec::new(), 0x6986),
            },
            (Some(_), _) => return (Vec::new(), 0x6A86),
            (None, _) => return (Vec::new(), 0x6986),
        };
        let Some(Ef::Key(key)) = self.files.get(&(ap, ef)) else {
            return (Vec::new(), 0x6981);
        };
        let iphone_locked = self.card_type == CardType::Iphone && !self.face_id && ap == Ap::Jpki;
        if !self.opened(key.needs) || iphone_locked {
            return (Vec::new(), 0x6982);
        }
        if apdu.data.is_empty() || apdu.data.len() + 11 > key.key.size() {
            return (Vec::new(), 0x6700);
        }
        match key.key.sign(Pkcs1v15Sign::new_unprefixed(), &apdu.data) {
            Ok(signature) => {
                if ap == Ap::Jpki {
                    self.counters().signatures += 1;
                }
                (signature, 0x9000)
            }
            Err(_) => (Vec::new(), 0x6985),
        }
    }
}

fn sw(status: u16) -> Vec<u8> {
    status.to_be_bytes().to_vec()
}

/// A parsed short command APDU.
struct Apdu {
    cla: u8,
    ins: u8,
    p1: u8,
    p2: u8,
    data: Zeroizing<Vec<u8>>,
    le: Option<u16>,
}

impl Apdu {
    /// Cases 1–4, short form only; `None` for anything else.
    fn parse(raw: &[u8]) -> Option<Apdu> {
        let &[cla, ins, p1, p2] = raw.first_chunk::<4>()?;
        let body = raw.get(4..)?;
        let le_of = |b: u8| if b == 0 { 256 } else { u16::from(b) };
        let (data, le) = match body {
            [] => (Vec::new(), None),
            [le] => (Vec::new(), Some(le_of(*le))),
            [0, ..] => return None,
            [lc, rest @ ..] if rest.len() == usize::from(*lc) => (rest.to_vec(), None),
            [lc, rest @ ..] if rest.len() == usize::from(*lc) + 1 => {
                let (data, le) = rest.split_at(usize::from(*lc));
                (data.to_vec(), le.first().map(|b| le_of(*b)))
            }
            _ => return None,
        };
        Some(Apdu {
            cla,
            ins,
            p1,
            p2,
            data: Zeroizing::new(data),
            le,
        })
    }
}

impl Icc for VirtualCard {
    fn atr(&self) -> Vec<u8> {
        self.atr.clone()
    }

    fn power_off(&mut self) {
        self.clear_volatile();
        self.stalled = false;
        self.counters().power_cycles += 1;
    }

    fn reset(&mut self) {
        self.clear_volatile();
        self.stalled = false;
        self.counters().power_cycles += 1;
    }

    fn process(&mut self, command: &[u8]) -> Option<Vec<u8>> {
        self.respond(command)
    }
}
