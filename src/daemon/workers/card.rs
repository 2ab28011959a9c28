//! The card worker: one thread per reader (the card slot, the smartphone reader).
//! It watches the reader for cards coming and going, carries out the loop's
//! [`CardCmd`]s (read, PIN, certificate, signature) and answers with flow events;
//! the chip photo and name image it reads go to the other workers through the
//! session's slots, wiped at session end and when the card leaves.

use super::Commands;
use super::{NameSlot, PhotoSlot};
use crate::card::{self, KenmenGuard, KenmenKey};
use crate::daemon::{Inbound, RETRY};
use crate::flow::{CardFailure, Device, Event, ReaderRole};
use kaonin_hal::card::{BoxedReader, CardReader, Error as _, ErrorKind, Presence};
use kaonin_hal::secret::Digits;
use std::sync::mpsc::{RecvTimeoutError, TryRecvError};
use std::time::{Duration, SystemTime};
use tokio::sync::mpsc::UnboundedSender;

/// How long a reader waits for a presence change before looking at its commands.
const PRESENCE_SLICE: Duration = Duration::from_millis(25);

/// A command for a card worker.
pub enum CardCmd {
    /// Read the card now on the reader.
    Read {
        session_id: String,
        card_face: Option<KenmenKey>,
    },
    /// Read the PIN retry counter.
    QueryPin,
    /// Verify the PIN.
    Verify(Digits),
    /// Read the certificate (phones, after the PIN).
    ReadCertificate,
    /// Sign SHA-256 of the id.
    Sign(String),
    /// End of session: unpower the card, wipe the photo.
    End,
}

/// Runs one reader until the daemon drops its command channel.
pub fn card_worker(
    role: ReaderRole,
    mut reader: BoxedReader,
    commands: Commands<CardCmd>,
    events: UnboundedSender<Inbound>,
    photo: PhotoSlot,
    name: NameSlot,
    mut guard: KenmenGuard,
) {
    let session = SessionSlots { photo, name };
    let send = |event: Event| {
        let _ = events.send(Inbound::Flow(event));
    };
    let device = match role {
        ReaderRole::Card => Device::Reader,
        ReaderRole::Phone => Device::PhoneReader,
    };
    let health = |up: bool| {
        let _ = events.send(Inbound::Device { device, up });
    };
    let mut reader_ok = true;
    loop {
        match commands.try_recv() {
            Ok(cmd) => {
                if let Some(event) = card_command(&mut reader, cmd, &mut guard, &session) {
                    send(event);
                }
                continue;
            }
            Err(TryRecvError::Disconnected) => break,
            Err(TryRecvError::Empty) => {}
        }
        let change = reader.wait_change(PRESENCE_SLICE);
        if change.is_ok() && !reader_ok {
            reader_ok = true;
            tracing::info!(reader = %reader.name(), "card reader back");
            health(true);
        }
        match change {
            Ok(Some(Presence::Present { .. })) => send(Event::CardPresent(role)),
            Ok(Some(Presence::Absent)) => {
                let _ = reader.disconnect();
                session.wipe();
                send(Event::CardAbsent(role));
            }
            Ok(None) => {}
            Err(e) => {
                if reader_ok {
                    tracing::warn!(reader = %reader.name(), error = %e, "card reader unavailable; retrying");
                    // Whatever was on it is gone for the flow.
                    session.wipe();
                    send(Event::CardAbsent(role));
                    health(false);
                }
                reader_ok = false;
                // Back off without spinning: wait for a command or the retry slice.
                match commands.recv_timeout(RETRY) {
                    Ok(cmd) => {
                        if let Some(event) = card_command(&mut reader, cmd, &mut guard, &session) {
                            send(event);
                        }
                    }
                    Err(RecvTimeoutError::Disconnected) => break,
                    Err(RecvTimeoutError::Timeout) => {}
                }
            }
        }
    }
    let _ = reader.disconnect();
    session.wipe();
}

/// What a card read leaves for the other workers during a session.
struct SessionSlots {
    photo: PhotoSlot,
    name: NameSlot,
}

impl SessionSlots {
    /// Drops (and so zeroizes) the photo and the name image.
    fn wipe(&self) {
        self.photo.lock().unwrap_or_else(|p| p.into_inner()).take();
        self.name.lock().unwrap_or_else(|p| p.into_inner()).take();
    }
}

fn failure_of(kind: ErrorKind) -> CardFailure {
    match kind {
        ErrorKind::Removed | ErrorKind::NoCard => CardFailure::Removed,
        _ => CardFailure::ReaderFault,
    }
}

fn card_command(
    reader: &mut BoxedReader,
    cmd: CardCmd,
    guard: &mut KenmenGuard,
    session: &SessionSlots,
) -> Option<Event> {
    Some(match cmd {
        CardCmd::Read {
            session_id,
            card_face,
        } => {
            if let Err(e) = reader.connect() {
                return Some(Event::CardRead(Err(failure_of(e.kind()))));
            }
            let result = card::read_card(
                reader,
                card_face.as_ref(),
                guard,
                session_id,
                SystemTime::now(),
            );
            Event::CardRead(result.map(|reading| {
                *session.photo.lock().unwrap_or_else(|p| p.into_inner()) = reading.photo;
                *session.name.lock().unwrap_or_else(|p| p.into_inner()) = reading.name_image;
                reading.facts
            }))
        }
        CardCmd::QueryPin => Event::PinTries(card::query_pin_tries(reader)),
        CardCmd::Verify(pin) => Event::PinVerified(card::verify_pin(reader, &pin)),
        CardCmd::ReadCertificate => Event::CertificateRead(card::read_certificate(reader)),
        CardCmd::Sign(id) => Event::Signed(card::sign(reader, &id)),
        CardCmd::End => {
            let _ = reader.disconnect();
            session.wipe();
            return None;
        }
    })
}
