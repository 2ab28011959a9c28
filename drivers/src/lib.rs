//! Real drivers for the kaonin reader terminal.

#![forbid(unsafe_code)]

#[cfg(feature = "pcsc")]
pub mod pcsc;
