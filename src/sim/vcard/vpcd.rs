//! `kaonin vcard`: a [`VirtualCard`] attached to pcscd through the vsmartcard vpcd
//! driver. vpcd listens (default 127.0.0.1:35963); connecting inserts the card,
//! closing the connection removes it. Both directions frame messages with a 2-byte
//! big-endian length. One-byte messages from vpcd are control bytes (`00` power off,
//! `01` power on, `02` reset, `04` send the ATR); longer ones are command APDUs.
//!
//! Commands on stdin: `insert`, `remove`, `quit` (EOF = quit). Logs go to stderr.

use super::{Profile, ProfileError, VirtualCard};
use kaonin_hal::mock::Icc;
use std::io::{BufRead, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// The default vpcd address (first slot, "Virtual PCD 00 00").
pub const DEFAULT_VPCD: &str = "127.0.0.1:35963";

/// Why `kaonin vcard` stopped.
#[derive(Debug, thiserror::Error)]
pub enum VcardError {
    /// The profile could not be loaded.
    #[error(transparent)]
    Profile(#[from] ProfileError),
    /// Reading the commands failed.
    #[error("reading commands: {0}")]
    Commands(std::io::Error),
    /// An unknown command on stdin.
    #[error("unknown command {0:?} (insert, remove, quit)")]
    UnknownCommand(String),
}

/// Runs the card of `profile` against vpcd at `vpcd`, driven by `commands`.
pub fn run_vcard(profile: &Path, vpcd: &str, commands: impl BufRead) -> Result<(), VcardError> {
    let card = VirtualCard::new(Profile::load(profile)?)?;
    run_vcard_with(card, vpcd, commands)
}

/// Like [`run_vcard`] with a card built by the caller (tests keep its
/// [`VirtualCard::state`]).
pub fn run_vcard_with(
    card: VirtualCard,
    vpcd: &str,
    commands: impl BufRead,
) -> Result<(), VcardError> {
    let card = Arc::new(Mutex::new(card));
    let mut link: Option<Link> = None;
    for line in commands.lines() {
        let line = line.map_err(VcardError::Commands)?;
        match line.trim() {
            "" => {}
            "insert" => {
                if let Some(old) = link.take() {
                    old.close();
                }
                link = Link::open(vpcd, card.clone());
            }
            "remove" => {
                if let Some(old) = link.take() {
                    old.close();
                }
                eprintln!("vcard: removed");
            }
            "quit" => break,
            other => {
                if let Some(old) = link.take() {
                    old.close();
                }
                return Err(VcardError::UnknownCommand(other.to_owned()));
            }
        }
    }
    if let Some(old) = link.take() {
        old.close();
    }
    Ok(())
}

/// One insertion: the connection to vpcd and the thread serving it.
struct Link {
    stream: TcpStream,
    thread: JoinHandle<()>,
}

impl Link {
    fn open(vpcd: &str, card: Arc<Mutex<VirtualCard>>) -> Option<Link> {
        let stream = match TcpStream::connect(vpcd) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("vcard: cannot connect to vpcd at {vpcd}: {e}");
                return None;
            }
        };
        if let Err(e) = stream.set_nodelay(true) {
            eprintln!("vcard: TCP_NODELAY: {e}");
        }
        let reader = stream.try_clone().ok()?;
        let thread = std::thread::spawn(move || serve(reader, card));
        eprintln!("vcard: inserted");
        Some(Link { stream, thread })
    }

    fn close(self) {
        let _ = self.stream.shutdown(Shutdown::Both);
        let _ = self.thread.join();
    }
}

/// Re-arms TCP_QUICKACK (it is not sticky): vpcd writes length and payload in two
/// sends, and a delayed ACK would add ~40 ms per APDU (pitfall P16).
fn quickack(stream: &TcpStream) {
    #[cfg(target_os = "linux")]
    {
        let _ = socket2::SockRef::from(stream).set_tcp_quickack(true);
    }
    #[cfg(not(target_os = "linux"))]
    let _ = stream;
}

fn read_message(stream: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    let mut len = [0u8; 2];
    stream.read_exact(&mut len)?;
    quickack(stream);
    let mut payload = vec![0u8; usize::from(u16::from_be_bytes(len))];
    stream.read_exact(&mut payload)?;
    quickack(stream);
    Ok(payload)
}

fn write_message(stream: &mut TcpStream, payload: &[u8]) -> std::io::Result<()> {
    let len = u16::try_from(payload.len()).unwrap_or(u16::MAX);
    let mut frame = Vec::with_capacity(payload.len() + 2);
    frame.extend_from_slice(&len.to_be_bytes());
    frame.extend_from_slice(payload);
    stream.write_all(&frame)
}

fn serve(mut stream: TcpStream, card: Arc<Mutex<VirtualCard>>) {
    loop {
        let message = match read_message(&mut stream) {
            Ok(m) => m,
            Err(_) => {
                eprintln!("vcard: vpcd closed the connection");
                return;
            }
        };
        let mut card = card.lock().unwrap_or_else(|p| p.into_inner());
        let reply = match message.as_slice() {
            [0x00] => {
                card.power_off();
                None
            }
            [0x01] => None,
            [0x02] => {
                card.reset();
                None
            }
            [0x04] => Some(card.atr()),
            [_] | [] => None,
            apdu => match card.process(apdu) {
                Some(response) => Some(response),
                None if card.is_stalled() => {
                    eprintln!("vcard: stalled (fault): no answer until removed");
                    drop(card);
                    // Silent until vpcd or `remove` closes the connection.
                    while read_message(&mut stream).is_ok() {}
                    return;
                }
                None => {
                    eprintln!("vcard: card left the field (fault)");
                    let _ = stream.shutdown(Shutdown::Both);
                    return;
                }
            },
        };
        drop(card);
        if let Some(reply) = reply {
            if write_message(&mut stream, &reply).is_err() {
                return;
            }
        }
    }
}
