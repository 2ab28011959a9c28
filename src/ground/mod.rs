//! The ground floor: plumbing every room uses, importing nothing of the crate.
//!
//! - [`durable`]: atomic durable writes, durable appends, the state directory and
//!   owner-only permissions on state files;
//! - [`quarantine`]: setting a corrupt state file (or its damaged bytes) aside;
//! - [`civil`]: civil dates, UTC timestamps and the Japanese eras (one table);
//! - [`ids`]: random identifiers;
//! - [`escape`]: text from outside (a card, a reader, the PC) made safe for a log line.
//!
//! Only `std` and external crates here: a room above may use any of this, and
//! nothing here may use a room above.

pub mod civil;
pub mod durable;
pub mod escape;
pub mod ids;
pub mod quarantine;
