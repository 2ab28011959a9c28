//! Simulators: the hardware and peers kaonin cannot have on a desk, made to behave
//! like the real ones, for the demo, the tests, the benchmarks and integrators.
//!
//! - [`vcard`]: the one card model — a My Number card or smartphone described by a
//!   profile, answering real APDUs in-process or through pcscd (`kaonin vcard`);
//! - [`cards`]: that model plugged into the daemon's mock readers (`reader.kind = "mock"`);
//! - [`cardgen`]: synthetic printed card faces and counter captures with ground truth;
//! - [`photos`]: chip photos and counter-camera frames made from face images;
//! - [`pc`], [`pc_cli`]: the reference eligibility-PC receiver (`kaonin pc`);
//! - [`demo`]: whole receptions on simulated hardware (`kaonin demo`).
//!
//! This room is built only with the `sim` feature (on by default on the desktop,
//! off in the packaged board build). Product rooms never import it
//! (docs/ARCHITECTURE.md; `tests/architecture.rs` holds the line).

pub mod cardgen;
pub mod cards;
pub mod demo;
pub mod pc;
pub mod pc_cli;
pub mod photos;
pub mod vcard;
