//! The one card model of the project: a simulated My Number card or smartphone
//! described by a [`Profile`], answering real APDUs as a [`VirtualCard`]. In-process
//! it sits in a [`kaonin_hal::mock::MockReader`]; `kaonin vcard` ([`run_vcard`])
//! attaches it to a real pcscd through the vsmartcard vpcd driver.

mod card;
pub mod kenmen_ca;
pub mod name_image;
mod profile;
mod vpcd;

pub use card::{CardCounters, VirtualCard};
pub use kenmen_ca::{ca_public_pem, trusting_guard, vcard_trust};
pub use profile::{
    Atr, AtrName, CardType, Faults, Holder, Kenmen, Keys, Profile, ProfileError, Secret,
    EMBEDDED_PROFILES,
};
pub use vpcd::{run_vcard, run_vcard_with, VcardError, DEFAULT_VPCD};
