//! The card worker: one thread per reader (the card slot, the smartphone reader).
//! It watches the reader for cards coming and going, carries out the loop's
//! [`CardCmd`]s (read, PIN, certificate, signature) and answers with flow events;
//! the chip photo and name image it reads go to the other workers through the
//! session's slots, wiped at session end and when the card leaves.
//!
//! Every command runs under a deadline (`[card] operation_timeout_s`): the exchange
//! runs on a short-lived thread holding the reader, and a card that does not answer
//! in time gets the command answered with [`CardFailure::NotAnswering`] (the
//! reception returns to idle). The reader stays with the stalled exchange until it
//! ends (the card answers or leaves); commands meanwhile are answered the same way.

use super::Commands;
use super::{NameSlot, PhotoSlot};
use crate::card::{self, ChipPhoto, KenmenGuard, KenmenKey, NameImage};
use crate::daemon::{Inbound, RETRY};
use crate::flow::{CardFailure, Device, Event, ReaderRole};
use crate::ground::escape::Escaped;
use kaonin_hal::card::{BoxedReader, CardReader, Error as _, ErrorKind, Presence};
use kaonin_hal::secret::Digits;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, TryRecvError};
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

impl CardCmd {
    /// The answer when the card does not answer in time (`None`: nothing to answer).
    fn not_answering(&self) -> Option<Event> {
        let e = CardFailure::NotAnswering;
        Some(match self {
            CardCmd::Read { .. } => Event::CardRead(Err(e)),
            CardCmd::QueryPin => Event::PinTries(Err(e)),
            CardCmd::Verify(_) => Event::PinVerified(Err(e)),
            CardCmd::ReadCertificate => Event::CertificateRead(Err(e)),
            CardCmd::Sign(_) => Event::Signed(Err(e)),
            CardCmd::End => return None,
        })
    }
}

/// How a card worker reads cards: the 券面AP guard (counter floor, trust anchors)
/// and the deadline of one operation.
#[derive(Debug, Clone)]
pub struct CardOptions {
    /// The 照合番号B guard, with the trust anchors.
    pub guard: KenmenGuard,
    /// One command that takes longer is abandoned.
    pub deadline: Duration,
}

/// What a command's thread holds while it runs.
struct Held {
    reader: BoxedReader,
    guard: KenmenGuard,
}

/// What a command's thread hands back with the reader.
struct Done {
    /// The answer for the flow.
    event: Option<Event>,
    /// A card read's photo and name image, for the session's slots: put there
    /// only when the answer came in time (a late read belongs to no session).
    read: Option<(Option<ChipPhoto>, Option<NameImage>)>,
}

/// The exchange that overran its deadline hands the reader back on this channel.
type Stalled = Receiver<(Held, Done)>;

/// Where the reader is.
enum Slot {
    /// Here, between commands.
    Here(Held),
    /// With an exchange that overran its deadline.
    Away(Stalled),
    /// Lost with a command thread that panicked.
    Lost,
}

/// Runs one reader until the daemon drops its command channel.
pub fn card_worker(
    role: ReaderRole,
    reader: BoxedReader,
    commands: Commands<CardCmd>,
    events: UnboundedSender<Inbound>,
    photo: PhotoSlot,
    name: NameSlot,
    options: CardOptions,
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
    let mut slot = Slot::Here(Held {
        reader,
        guard: options.guard,
    });
    let run = |slot: &mut Slot, cmd: CardCmd| {
        if let Some(event) = run_command(slot, cmd, &session, options.deadline) {
            send(event);
        }
    };
    let mut reader_ok = true;
    loop {
        let held = match &mut slot {
            Slot::Here(held) => held,
            Slot::Lost => {
                health(false);
                session.wipe();
                tracing::error!("card reader lost with a failed card operation; worker stops");
                return;
            }
            Slot::Away(stalled) => {
                match stalled.recv_timeout(PRESENCE_SLICE) {
                    Ok((mut held, _late)) => {
                        tracing::info!(reader = %Escaped(&held.reader.name()), "stalled card operation ended; reader back");
                        let _ = held.reader.disconnect();
                        session.wipe();
                        slot = Slot::Here(held);
                    }
                    Err(RecvTimeoutError::Timeout) => {}
                    Err(RecvTimeoutError::Disconnected) => slot = Slot::Lost,
                }
                match commands.try_recv() {
                    Ok(cmd) => run(&mut slot, cmd),
                    Err(TryRecvError::Disconnected) => break,
                    Err(TryRecvError::Empty) => {}
                }
                continue;
            }
        };
        match commands.try_recv() {
            Ok(cmd) => {
                run(&mut slot, cmd);
                continue;
            }
            Err(TryRecvError::Disconnected) => break,
            Err(TryRecvError::Empty) => {}
        }
        let change = held.reader.wait_change(PRESENCE_SLICE);
        if change.is_ok() && !reader_ok {
            reader_ok = true;
            tracing::info!(reader = %Escaped(&held.reader.name()), "card reader back");
            health(true);
        }
        match change {
            Ok(Some(Presence::Present { .. })) => send(Event::CardPresent(role)),
            Ok(Some(Presence::Absent)) => {
                let _ = held.reader.disconnect();
                session.wipe();
                send(Event::CardAbsent(role));
            }
            Ok(None) => {}
            Err(e) => {
                if reader_ok {
                    tracing::warn!(reader = %Escaped(&held.reader.name()), error = %e, "card reader unavailable; retrying");
                    // Whatever was on it is gone for the flow.
                    session.wipe();
                    send(Event::CardAbsent(role));
                    health(false);
                }
                reader_ok = false;
                // Back off without spinning: wait for a command or the retry slice.
                match commands.recv_timeout(RETRY) {
                    Ok(cmd) => run(&mut slot, cmd),
                    Err(RecvTimeoutError::Disconnected) => break,
                    Err(RecvTimeoutError::Timeout) => {}
                }
            }
        }
    }
    if let Slot::Here(held) = &mut slot {
        let _ = held.reader.disconnect();
    }
    session.wipe();
}

/// Carries out `cmd` on a thread of its own holding the reader, waiting at most
/// `deadline` for it. While the reader is away with an earlier stalled exchange,
/// the command is answered "not answering" at once (End only wipes the session).
fn run_command(
    slot: &mut Slot,
    cmd: CardCmd,
    session: &SessionSlots,
    deadline: Duration,
) -> Option<Event> {
    let on_timeout = cmd.not_answering();
    let mut held = match std::mem::replace(slot, Slot::Lost) {
        Slot::Here(held) => held,
        away => {
            *slot = away;
            if matches!(cmd, CardCmd::End) {
                session.wipe();
            }
            return on_timeout;
        }
    };
    let end = matches!(cmd, CardCmd::End);
    let (tx, rx) = mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("card-op".into())
        .spawn(move || {
            let done = card_command(&mut held, cmd);
            let _ = tx.send((held, done));
        });
    if let Err(e) = spawned {
        tracing::error!(error = %e, "no thread for a card operation");
        return on_timeout;
    }
    if end {
        // Whatever the card does, the session's images go now.
        session.wipe();
    }
    match rx.recv_timeout(deadline) {
        Ok((held, done)) => {
            *slot = Slot::Here(held);
            if let Some((photo, name)) = done.read {
                *session.photo.lock().unwrap_or_else(|p| p.into_inner()) = photo;
                *session.name.lock().unwrap_or_else(|p| p.into_inner()) = name;
            }
            done.event
        }
        Err(RecvTimeoutError::Timeout) => {
            tracing::warn!(
                deadline_s = deadline.as_secs_f32(),
                "card not answering; operation abandoned"
            );
            *slot = Slot::Away(rx);
            on_timeout
        }
        Err(RecvTimeoutError::Disconnected) => {
            tracing::error!("card operation failed (thread panicked)");
            on_timeout
        }
    }
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

fn card_command(held: &mut Held, cmd: CardCmd) -> Done {
    let Held { reader, guard } = held;
    let answer = |event| Done {
        event: Some(event),
        read: None,
    };
    match cmd {
        CardCmd::Read {
            session_id,
            card_face,
        } => {
            if let Err(e) = reader.connect() {
                return answer(Event::CardRead(Err(failure_of(e.kind()))));
            }
            let result = card::read_card(
                reader,
                card_face.as_ref(),
                guard,
                session_id,
                SystemTime::now(),
            );
            match result {
                Ok(reading) => Done {
                    event: Some(Event::CardRead(Ok(reading.facts))),
                    read: Some((reading.photo, reading.name_image)),
                },
                Err(failure) => answer(Event::CardRead(Err(failure))),
            }
        }
        CardCmd::QueryPin => answer(Event::PinTries(card::query_pin_tries(reader))),
        CardCmd::Verify(pin) => answer(Event::PinVerified(card::verify_pin(reader, &pin))),
        CardCmd::ReadCertificate => answer(Event::CertificateRead(card::read_certificate(reader))),
        CardCmd::Sign(id) => answer(Event::Signed(card::sign(reader, &id))),
        CardCmd::End => {
            let _ = reader.disconnect();
            Done {
                event: None,
                read: None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kaonin_hal::card::CardChannel;
    use std::sync::mpsc::Sender;

    /// A reader whose card never answers until `release` is dropped (then every
    /// exchange fails as removed). Its presence wait blocks on a channel nobody
    /// sends on, as a real reader's wait blocks on the hardware.
    struct Silent {
        release: Receiver<()>,
        idle: (Sender<()>, Receiver<()>),
        reported: bool,
    }

    impl CardChannel for Silent {
        type Error = ErrorKind;
        fn transmit(&mut self, _: &[u8]) -> Result<Vec<u8>, ErrorKind> {
            let _ = self.release.recv();
            Err(ErrorKind::Removed)
        }
    }

    impl CardReader for Silent {
        fn name(&self) -> String {
            "silent\nreader".into()
        }
        fn wait_change(&mut self, timeout: Duration) -> Result<Option<Presence>, ErrorKind> {
            if !std::mem::replace(&mut self.reported, true) {
                return Ok(Some(Presence::Present { atr: vec![0x3B] }));
            }
            let _ = self.idle.1.recv_timeout(timeout);
            Ok(None)
        }
        fn connect(&mut self) -> Result<Vec<u8>, ErrorKind> {
            Ok(vec![0x3B])
        }
        fn disconnect(&mut self) -> Result<(), ErrorKind> {
            Ok(())
        }
    }

    #[test]
    fn a_silent_card_is_answered_not_answering_and_the_reader_comes_back() {
        let (release_tx, release) = mpsc::channel();
        let reader = kaonin_hal::card::boxed(Silent {
            release,
            idle: mpsc::channel(),
            reported: false,
        });
        let (cmd_tx, cmd_rx) = mpsc::channel();
        let (events, mut inbound) = tokio::sync::mpsc::unbounded_channel();
        let photo = PhotoSlot::default();
        let worker = {
            let photo = photo.clone();
            std::thread::spawn(move || {
                card_worker(
                    ReaderRole::Card,
                    reader,
                    crate::daemon::workers::Commands::new(
                        cmd_rx,
                        crate::daemon::workers::Health::new(Duration::from_secs(3600))
                            .pulse("card"),
                    ),
                    events,
                    photo,
                    NameSlot::default(),
                    CardOptions {
                        guard: KenmenGuard::new(3),
                        deadline: Duration::from_millis(50),
                    },
                )
            })
        };
        let mut next = || loop {
            match inbound.blocking_recv().expect("worker alive") {
                Inbound::Flow(Event::CardPresent(_)) => continue,
                Inbound::Flow(event) => return event,
                _ => continue,
            }
        };
        let read = CardCmd::Read {
            session_id: "s".into(),
            card_face: None,
        };
        cmd_tx.send(read).unwrap();
        assert!(matches!(
            next(),
            Event::CardRead(Err(CardFailure::NotAnswering))
        ));
        // The reader is still with the stalled exchange: answered at once.
        cmd_tx.send(CardCmd::QueryPin).unwrap();
        assert!(matches!(
            next(),
            Event::PinTries(Err(CardFailure::NotAnswering))
        ));
        // The card leaves: the exchange ends, the reader serves commands again.
        drop(release_tx);
        let answer = loop {
            cmd_tx.send(CardCmd::QueryPin).unwrap();
            match next() {
                Event::PinTries(Err(CardFailure::NotAnswering)) => continue,
                other => break other,
            }
        };
        assert!(
            matches!(answer, Event::PinTries(Err(CardFailure::Removed))),
            "{answer:?}"
        );
        assert!(
            photo.lock().unwrap().is_none(),
            "a late read reached a session"
        );
        drop(cmd_tx);
        worker.join().unwrap();
    }
}
