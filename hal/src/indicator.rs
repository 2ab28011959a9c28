//! Indicator role: the status LED and buzzer of the terminal.
//!
//! The flow names a moment ([`Signal`]); a driver turns it into its own light
//! pattern and tones.

/// What generic code needs to know about an indicator failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The device is missing.
    NotConnected,
    /// Anything else.
    Other,
}

crate::role_error! {
    /// An indicator error with a kind.
    ErrorKind {
        NotConnected => "indicator not connected",
        Other => "indicator failure",
    }
}

/// A moment of the reception worth a light or a tone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Signal {
    /// Idle and ready for the next patient.
    Ready,
    /// A card or phone was detected.
    CardDetected,
    /// Identity confirmed / reception complete.
    Success,
    /// Something to repeat (a face attempt, a wrong PIN).
    TryAgain,
    /// The PIN is locked.
    Locked,
    /// Staff are needed at the terminal.
    StaffNeeded,
}

/// A status LED and buzzer.
pub trait Indicator: Send {
    /// The driver's error.
    type Error: Error;
    /// Shows the pattern and plays the tone of `signal`.
    fn signal(&mut self, signal: Signal) -> Result<(), Self::Error>;
}

/// An indicator whose driver type is erased, for run-time selection.
pub type BoxedIndicator = Box<dyn Indicator<Error = Box<dyn Error>>>;

struct Erased<T>(T);

impl<T: Indicator> Indicator for Erased<T> {
    type Error = Box<dyn Error>;
    fn signal(&mut self, signal: Signal) -> Result<(), Self::Error> {
        self.0.signal(signal).map_err(|e| Box::new(e) as _)
    }
}

/// Erases the driver type of `indicator`.
pub fn boxed<T: Indicator + 'static>(indicator: T) -> BoxedIndicator {
    Box::new(Erased(indicator))
}
