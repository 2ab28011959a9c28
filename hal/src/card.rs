//! Card reader role: the presence of a card (or phone) on a contactless reader, and
//! an APDU channel to it.
//!
//! The reader owns at most one connection. `connect` powers the card and opens it for
//! this process alone; `disconnect` unpowers it, so no PIN-verified state survives the
//! session. A card that leaves the reader makes every later `transmit` fail with
//! [`ErrorKind::Removed`]; a response shorter than a status word is never returned.

use std::time::Duration;

/// What generic code needs to know about a reader failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The card service (pcscd) is not running or went away.
    NoService,
    /// The configured reader is not attached.
    NoReader,
    /// No card is on the reader.
    NoCard,
    /// The card left the reader during the exchange.
    Removed,
    /// The card answered something that is not an APDU response.
    Protocol,
    /// The reader or card did not answer in time.
    Timeout,
    /// Anything else.
    Other,
}

crate::role_error! {
    /// A reader error with a kind.
    ErrorKind {
        NoService => "card service not available",
        NoReader => "card reader not attached",
        NoCard => "no card on the reader",
        Removed => "card removed",
        Protocol => "malformed response from the card",
        Timeout => "card did not answer in time",
        Other => "card reader failure",
    }
}

/// A change of what is on the reader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Presence {
    /// A card or phone arrived; its answer-to-reset.
    Present { atr: Vec<u8> },
    /// The reader is empty.
    Absent,
}

/// An exchange of APDUs with the connected card.
pub trait CardChannel {
    /// The driver's error.
    type Error: Error;
    /// Sends one command APDU and returns the response (data + SW1 SW2; at least two
    /// bytes).
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, Self::Error>;
}

/// A contactless reader.
pub trait CardReader: CardChannel + Send {
    /// A name for logs and status (e.g. the PC/SC reader name).
    fn name(&self) -> String;
    /// Waits up to `timeout` for what is on the reader to change; `None` if nothing
    /// changed. The first call reports the current state.
    fn wait_change(&mut self, timeout: Duration) -> Result<Option<Presence>, Self::Error>;
    /// Powers the present card and opens it exclusively; returns its ATR.
    fn connect(&mut self) -> Result<Vec<u8>, Self::Error>;
    /// Closes the connection and unpowers the card (clears any verified PIN state).
    fn disconnect(&mut self) -> Result<(), Self::Error>;
}

/// A reader whose driver type is erased, for run-time selection.
pub type BoxedReader = Box<dyn CardReader<Error = Box<dyn Error>>>;

struct Erased<T>(T);

impl<T: CardReader> CardChannel for Erased<T> {
    type Error = Box<dyn Error>;
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, Self::Error> {
        self.0.transmit(command).map_err(|e| Box::new(e) as _)
    }
}

impl<T: CardReader> CardReader for Erased<T> {
    fn name(&self) -> String {
        self.0.name()
    }
    fn wait_change(&mut self, timeout: Duration) -> Result<Option<Presence>, Self::Error> {
        self.0.wait_change(timeout).map_err(|e| Box::new(e) as _)
    }
    fn connect(&mut self) -> Result<Vec<u8>, Self::Error> {
        self.0.connect().map_err(|e| Box::new(e) as _)
    }
    fn disconnect(&mut self) -> Result<(), Self::Error> {
        self.0.disconnect().map_err(|e| Box::new(e) as _)
    }
}

/// Erases the driver type of `reader`.
pub fn boxed<T: CardReader + 'static>(reader: T) -> BoxedReader {
    Box::new(Erased(reader))
}

impl<T: CardChannel + ?Sized> CardChannel for Box<T> {
    type Error = T::Error;
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, Self::Error> {
        (**self).transmit(command)
    }
}

impl<T: CardReader + ?Sized> CardReader for Box<T> {
    fn name(&self) -> String {
        (**self).name()
    }
    fn wait_change(&mut self, timeout: Duration) -> Result<Option<Presence>, Self::Error> {
        (**self).wait_change(timeout)
    }
    fn connect(&mut self) -> Result<Vec<u8>, Self::Error> {
        (**self).connect()
    }
    fn disconnect(&mut self) -> Result<(), Self::Error> {
        (**self).disconnect()
    }
}
