//! kaonin: the daemon of a face-authentication My Number card reader
//! (顔認証付きカードリーダー).
//!
//! Data moves one way: devices → events → [`flow`] → actions → devices and the PC
//! link. The flow is a pure state machine; the daemon only moves events and actions.

#![forbid(unsafe_code)]

pub mod config;
pub mod flow;
pub mod ui;
