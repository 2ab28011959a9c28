//! Drivers for the kaonin reader terminal: real devices (PC/SC, V4L2, framebuffer,
//! GPIO, serial PIN pad) and desktop stand-ins, each implementing a `kaonin-hal` role.

#![deny(unsafe_code)]

pub mod gpio;
pub mod serial_keypad;
