//! Shared helpers of the card integration tests: profiles from `assets/cards`, and a
//! `kaonin vcard` running in a thread, driven through a channel instead of stdin.

#![allow(dead_code)]

use kaonin::sim::vcard::{run_vcard_with, CardCounters, Profile, VcardError, VirtualCard};
use std::io::{BufReader, Read};
use std::path::PathBuf;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// The repository's `assets/cards` directory.
pub fn cards_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assets/cards")
}

/// A profile from `assets/cards`.
pub fn profile(name: &str) -> Profile {
    Profile::load(&cards_dir().join(name)).expect("profile loads")
}

/// A file from `assets/`.
pub fn asset(path: &str) -> Vec<u8> {
    std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("assets")
            .join(path),
    )
    .expect("asset readable")
}

/// Lines sent through a channel, read as a byte stream (EOF when the sender drops).
struct ChannelInput {
    rx: Receiver<String>,
    pending: Vec<u8>,
}

impl Read for ChannelInput {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.pending.is_empty() {
            match self.rx.recv() {
                Ok(line) => self.pending = format!("{line}\n").into_bytes(),
                Err(_) => return Ok(0),
            }
        }
        let n = buf.len().min(self.pending.len());
        buf[..n].copy_from_slice(&self.pending[..n]);
        self.pending.drain(..n);
        Ok(n)
    }
}

/// `kaonin vcard` in a thread.
pub struct Vcard {
    tx: Option<Sender<String>>,
    thread: Option<JoinHandle<Result<(), VcardError>>>,
    /// The card's counters.
    pub state: Arc<Mutex<CardCounters>>,
}

impl Vcard {
    /// Starts the card of `profile` against vpcd at `addr` (not inserted yet).
    pub fn start(profile: Profile, addr: &str) -> Vcard {
        let card = VirtualCard::new(profile).expect("card builds");
        let state = card.state();
        let (tx, rx) = channel();
        let addr = addr.to_owned();
        let thread = std::thread::spawn(move || {
            let input = BufReader::new(ChannelInput {
                rx,
                pending: Vec::new(),
            });
            run_vcard_with(card, &addr, input)
        });
        Vcard {
            tx: Some(tx),
            thread: Some(thread),
            state,
        }
    }

    /// Sends a command line (`insert`, `remove`).
    pub fn send(&self, command: &str) {
        if let Some(tx) = &self.tx {
            tx.send(command.to_owned()).expect("vcard running");
        }
    }

    /// A copy of the counters.
    pub fn counters(&self) -> CardCounters {
        self.state.lock().unwrap().clone()
    }

    /// Quits and returns run_vcard's result.
    pub fn quit(mut self) -> Result<(), VcardError> {
        self.stop()
    }

    fn stop(&mut self) -> Result<(), VcardError> {
        if let Some(tx) = self.tx.take() {
            let _ = tx.send("quit".into());
        }
        match self.thread.take() {
            Some(t) => t.join().expect("vcard thread"),
            None => Ok(()),
        }
    }
}

impl Drop for Vcard {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

/// A virtual card in the in-process mock reader, connected.
pub struct Rig {
    pub reader: kaonin_hal::mock::MockReader,
    pub handle: kaonin_hal::mock::MockReaderHandle,
    pub state: Arc<Mutex<CardCounters>>,
}

impl Rig {
    /// Inserts the card of `profile` and connects.
    pub fn new(profile: Profile) -> Rig {
        use kaonin_hal::card::CardReader;
        let card = VirtualCard::new(profile).expect("card builds");
        let state = card.state();
        let (mut reader, handle) = kaonin_hal::mock::MockReader::new("mock");
        handle.insert(Box::new(card));
        reader.connect().expect("connect");
        Rig {
            reader,
            handle,
            state,
        }
    }

    /// A copy of the card's counters.
    pub fn counters(&self) -> CardCounters {
        self.state.lock().unwrap().clone()
    }

    /// Unpowers and powers the card again (a new session with the same card).
    pub fn reconnect(&mut self) {
        use kaonin_hal::card::CardReader;
        self.reader.disconnect().expect("disconnect");
        self.reader.connect().expect("connect");
    }
}

/// A channel that answers from a script and records what it was sent.
pub struct Script {
    pub answers: std::collections::VecDeque<Vec<u8>>,
    pub sent: Vec<Vec<u8>>,
}

impl Script {
    /// Answers `answers` in order; after them, the card is gone.
    pub fn new<I: IntoIterator<Item = Vec<u8>>>(answers: I) -> Script {
        Script {
            answers: answers.into_iter().collect(),
            sent: Vec::new(),
        }
    }
}

impl kaonin_hal::card::CardChannel for Script {
    type Error = kaonin_hal::card::ErrorKind;

    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, Self::Error> {
        self.sent.push(command.to_vec());
        self.answers
            .pop_front()
            .ok_or(kaonin_hal::card::ErrorKind::Removed)
    }
}

/// Checks `signature` over `message` with the certificate's RSA key (ring).
pub fn verify_signature(cert: &[u8], message: &[u8], signature: &[u8]) {
    let key = kaonin::card::x509::rsa_public_key(cert).expect("certificate key");
    ring::signature::UnparsedPublicKey::new(&ring::signature::RSA_PKCS1_2048_8192_SHA256, key)
        .verify(message, signature)
        .expect("signature verifies with the certificate's key");
}
