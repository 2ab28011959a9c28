//! Drivers for the kaonin reader terminal: real devices behind the `kaonin-hal`
//! roles. Drivers depend on `kaonin-hal` only, never on the `kaonin` crate.

pub mod framebuffer;
pub mod png;
pub mod touch;
