//! kaonin: the daemon of a face-authentication My Number card reader
//! (顔認証付きカードリーダー).
//!
//! Data moves one way: devices → events → [`flow`] → actions → devices and the PC
//! link. The flow is a pure state machine; the [`daemon`] only moves events and
//! actions between it, the device workers, the control socket and the PC link.

#![forbid(unsafe_code)]

pub mod assets;
pub mod card;
pub mod card_face;
pub mod cli;
pub mod config;
pub mod control;
pub mod daemon;
pub mod devices;
pub mod face;
pub mod flow;
pub mod ground;
pub mod link;
pub mod logs;
#[cfg(feature = "sim")]
pub mod sim;
pub mod staff;
pub mod stats;
#[cfg(feature = "tools")]
pub mod tools;
pub mod ui;
