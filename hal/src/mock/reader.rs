//! A contactless reader whose cards are in-process card models ([`Icc`]).

use crate::card::{CardChannel, CardReader, ErrorKind, Presence};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// A card model as a reader sees it: power, reset, and APDUs.
pub trait Icc: Send {
    /// The answer-to-reset.
    fn atr(&self) -> Vec<u8>;
    /// Power removed: all volatile state (selected DF, verified PINs) is lost.
    fn power_off(&mut self);
    /// Warm reset: volatile state is lost as at power-off.
    fn reset(&mut self);
    /// Processes one command APDU. `None` means the card left the field while
    /// answering (a yank at this very APDU).
    fn process(&mut self, command: &[u8]) -> Option<Vec<u8>>;
}

struct Slot {
    card: Option<Box<dyn Icc>>,
    /// Bumped at every insert and removal, so a connection notices a swap.
    generation: u64,
    /// The generation the reader last reported through `wait_change`.
    reported: Option<u64>,
    /// False while the reader itself is unplugged.
    plugged: bool,
}

struct Shared {
    slot: Mutex<Slot>,
    changed: Condvar,
}

fn lock(shared: &Shared) -> MutexGuard<'_, Slot> {
    shared
        .slot
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The test's side of a [`MockReader`]: puts cards on it and takes them off.
#[derive(Clone)]
pub struct MockReaderHandle {
    shared: Arc<Shared>,
}

impl MockReaderHandle {
    /// Places `card` on the reader (replacing any card there).
    pub fn insert(&self, card: Box<dyn Icc>) {
        let mut slot = lock(&self.shared);
        slot.card = Some(card);
        slot.generation += 1;
        self.shared.changed.notify_all();
    }

    /// Takes the card off the reader.
    pub fn remove(&self) {
        let mut slot = lock(&self.shared);
        if slot.card.take().is_some() {
            slot.generation += 1;
            self.shared.changed.notify_all();
        }
    }

    /// True if a card is on the reader.
    pub fn is_present(&self) -> bool {
        lock(&self.shared).card.is_some()
    }

    /// Unplugs the reader itself (a USB cable pulled): any card is gone, and every
    /// call fails with [`ErrorKind::NoReader`] until [`plug`](Self::plug).
    pub fn unplug(&self) {
        let mut slot = lock(&self.shared);
        slot.plugged = false;
        slot.card = None;
        slot.generation += 1;
        self.shared.changed.notify_all();
    }

    /// Plugs the reader back in, empty.
    pub fn plug(&self) {
        let mut slot = lock(&self.shared);
        slot.plugged = true;
        slot.reported = None;
        self.shared.changed.notify_all();
    }
}

/// A reader whose cards are [`Icc`] models.
pub struct MockReader {
    name: String,
    shared: Arc<Shared>,
    /// The generation of the card this reader is connected to.
    connected: Option<u64>,
}

impl MockReader {
    /// An empty reader called `name`, and the handle that puts cards on it.
    pub fn new(name: &str) -> (Self, MockReaderHandle) {
        let shared = Arc::new(Shared {
            slot: Mutex::new(Slot {
                card: None,
                generation: 0,
                reported: None,
                plugged: true,
            }),
            changed: Condvar::new(),
        });
        let reader = MockReader {
            name: name.to_owned(),
            shared: shared.clone(),
            connected: None,
        };
        (reader, MockReaderHandle { shared })
    }
}

impl CardChannel for MockReader {
    type Error = ErrorKind;

    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, ErrorKind> {
        let mut slot = lock(&self.shared);
        if !slot.plugged {
            self.connected = None;
            return Err(ErrorKind::NoReader);
        }
        let generation = slot.generation;
        match (self.connected, slot.card.as_mut()) {
            (Some(g), Some(card)) if g == generation => match card.process(command) {
                Some(response) if response.len() >= 2 => Ok(response),
                Some(_) => Err(ErrorKind::Protocol),
                None => {
                    // The card left the field: the reader becomes empty.
                    slot.card = None;
                    slot.generation += 1;
                    self.shared.changed.notify_all();
                    self.connected = None;
                    Err(ErrorKind::Removed)
                }
            },
            (Some(_), _) => {
                self.connected = None;
                Err(ErrorKind::Removed)
            }
            (None, _) => Err(ErrorKind::NoCard),
        }
    }
}

impl CardReader for MockReader {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn wait_change(&mut self, timeout: Duration) -> Result<Option<Presence>, ErrorKind> {
        let deadline = Instant::now() + timeout;
        let mut slot = lock(&self.shared);
        loop {
            if !slot.plugged {
                return Err(ErrorKind::NoReader);
            }
            if slot.reported != Some(slot.generation) {
                slot.reported = Some(slot.generation);
                let presence = match &slot.card {
                    Some(card) => Presence::Present { atr: card.atr() },
                    None => Presence::Absent,
                };
                return Ok(Some(presence));
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(None);
            }
            slot = self
                .shared
                .changed
                .wait_timeout(slot, deadline - now)
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .0;
        }
    }

    fn connect(&mut self) -> Result<Vec<u8>, ErrorKind> {
        let mut slot = lock(&self.shared);
        if !slot.plugged {
            return Err(ErrorKind::NoReader);
        }
        let generation = slot.generation;
        let card = slot.card.as_mut().ok_or(ErrorKind::NoCard)?;
        card.reset();
        self.connected = Some(generation);
        Ok(card.atr())
    }

    fn disconnect(&mut self) -> Result<(), ErrorKind> {
        let mut slot = lock(&self.shared);
        let generation = slot.generation;
        if self.connected.take() == Some(generation) {
            if let Some(card) = slot.card.as_mut() {
                card.power_off();
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A card that answers 9000 to everything and yanks itself at APDU `yank_at`.
    struct Echo {
        powered_offs: Arc<Mutex<u32>>,
        count: u32,
        yank_at: u32,
    }

    impl Icc for Echo {
        fn atr(&self) -> Vec<u8> {
            vec![0x3B, 0x00]
        }
        fn power_off(&mut self) {
            *self.powered_offs.lock().unwrap() += 1;
        }
        fn reset(&mut self) {}
        fn process(&mut self, _command: &[u8]) -> Option<Vec<u8>> {
            self.count += 1;
            (self.count != self.yank_at).then(|| vec![0x90, 0x00])
        }
    }

    fn echo(yank_at: u32) -> (Box<dyn Icc>, Arc<Mutex<u32>>) {
        let offs = Arc::new(Mutex::new(0));
        let card = Echo {
            powered_offs: offs.clone(),
            count: 0,
            yank_at,
        };
        (Box::new(card), offs)
    }

    #[test]
    fn reports_insert_and_remove_once_each() {
        let (mut reader, handle) = MockReader::new("mock");
        let short = Duration::from_millis(1);
        assert_eq!(reader.wait_change(short).unwrap(), Some(Presence::Absent));
        assert_eq!(reader.wait_change(short).unwrap(), None);
        handle.insert(echo(0).0);
        assert!(matches!(
            reader.wait_change(short).unwrap(),
            Some(Presence::Present { .. })
        ));
        handle.remove();
        assert_eq!(reader.wait_change(short).unwrap(), Some(Presence::Absent));
    }

    #[test]
    fn removal_fails_every_later_transmit() {
        let (mut reader, handle) = MockReader::new("mock");
        handle.insert(echo(0).0);
        reader.connect().unwrap();
        assert_eq!(reader.transmit(&[0, 0xA4]).unwrap(), vec![0x90, 0x00]);
        handle.remove();
        assert_eq!(reader.transmit(&[0, 0xA4]), Err(ErrorKind::Removed));
        assert_eq!(reader.transmit(&[0, 0xA4]), Err(ErrorKind::NoCard));
    }

    #[test]
    fn swapped_card_is_not_the_connected_one() {
        let (mut reader, handle) = MockReader::new("mock");
        handle.insert(echo(0).0);
        reader.connect().unwrap();
        handle.insert(echo(0).0);
        assert_eq!(reader.transmit(&[0]), Err(ErrorKind::Removed));
    }

    #[test]
    fn yank_mid_apdu_empties_the_reader() {
        let (mut reader, handle) = MockReader::new("mock");
        handle.insert(echo(2).0);
        reader.connect().unwrap();
        assert!(reader.transmit(&[0]).is_ok());
        assert_eq!(reader.transmit(&[0]), Err(ErrorKind::Removed));
        assert!(!handle.is_present());
    }

    #[test]
    fn unplugged_reader_fails_until_plugged_again() {
        let (mut reader, handle) = MockReader::new("mock");
        let short = Duration::from_millis(1);
        handle.insert(echo(0).0);
        reader.connect().unwrap();
        handle.unplug();
        assert_eq!(reader.wait_change(short), Err(ErrorKind::NoReader));
        assert_eq!(reader.transmit(&[0]), Err(ErrorKind::NoReader));
        assert_eq!(reader.connect(), Err(ErrorKind::NoReader));
        handle.plug();
        assert_eq!(reader.wait_change(short).unwrap(), Some(Presence::Absent));
    }

    #[test]
    fn disconnect_unpowers() {
        let (mut reader, handle) = MockReader::new("mock");
        let (card, offs) = echo(0);
        handle.insert(card);
        reader.connect().unwrap();
        reader.disconnect().unwrap();
        assert_eq!(*offs.lock().unwrap(), 1);
    }
}
