//! Input role: what the person at the counter does — touches on the screen, keys on
//! a PIN pad, or (on desktops and in tests) whole actions from the control socket.
//!
//! Touches arrive as coordinates; the daemon maps them to the buttons of the screen
//! on display. PIN digits travel only inside [`Digits`].

use crate::secret::Digits;
use std::time::Duration;

/// What generic code needs to know about an input failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The device is missing or was unplugged.
    NotConnected,
    /// The device sent something that is not a valid input.
    Garbled,
    /// Anything else.
    Other,
}

crate::role_error! {
    /// An input error with a kind.
    ErrorKind {
        NotConnected => "input device not connected",
        Garbled => "input device sent garbage",
        Other => "input failure",
    }
}

/// A key of a hardware PIN pad.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// A digit 0–9.
    Digit(u8),
    /// Clear the digits typed so far.
    Clear,
    /// Confirm.
    Enter,
    /// Cancel.
    Cancel,
}

/// One thing the person did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputEvent {
    /// A touch at panel coordinates.
    Touch { x: i32, y: i32 },
    /// A key on a PIN pad.
    Key(Key),
    /// A button pressed, by id (e.g. `face`, `consent_all`).
    Press(String),
    /// A whole PIN typed.
    Pin(Digits),
    /// Staff ask to arm visual-check mode with a facility passcode.
    StaffVisual { passcode: Digits },
    /// Staff confirm that the card photo shows the patient.
    StaffConfirm,
}

/// An input device.
pub trait Input: Send {
    /// The driver's error.
    type Error: Error;
    /// Waits up to `timeout` for the next input; `None` if there was none.
    fn next(&mut self, timeout: Duration) -> Result<Option<InputEvent>, Self::Error>;
}

/// An input whose driver type is erased, for run-time selection.
pub type BoxedInput = Box<dyn Input<Error = Box<dyn Error>>>;

struct Erased<T>(T);

impl<T: Input> Input for Erased<T> {
    type Error = Box<dyn Error>;
    fn next(&mut self, timeout: Duration) -> Result<Option<InputEvent>, Self::Error> {
        self.0.next(timeout).map_err(|e| Box::new(e) as _)
    }
}

/// Erases the driver type of `input`.
pub fn boxed<T: Input + 'static>(input: T) -> BoxedInput {
    Box::new(Erased(input))
}
