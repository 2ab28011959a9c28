//! The reception flow: a pure state machine, events in, actions out.
//!
//! Nothing here does I/O or reads a clock. Devices, the PC link and timers turn
//! what happens into [`Event`]s; [`Flow::handle`] answers each with the
//! [`Action`]s to carry out, and the daemon carries them out. Every path of the
//! reception (DESIGN §3) is therefore a sequence of function calls a test can make.
//!
//! Rules that hold in every state:
//! - the card leaving the reader, an inactivity timeout, a cancel by staff or the PC
//!   end the session (its secrets are wiped by [`Action::EndSession`]) and show idle;
//! - a PIN VERIFY is only ever asked for when the card last reported tries left;
//! - an identity is only enqueued after a face match, a PIN VERIFY (with the card's
//!   signature), a smartphone authentication, or a confirmed visual check armed by a
//!   valid staff passcode;
//! - visual-check mode serves one patient and disarms itself.

mod action;
mod event;
mod identity;
mod machine;
mod policy;
mod screen;

pub use action::*;
pub use event::*;
pub use identity::*;
pub use machine::{Flow, StateName};
pub use policy::{Policy, PolicyConfig};
pub use screen::*;

#[cfg(test)]
mod tests;
