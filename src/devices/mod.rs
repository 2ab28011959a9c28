//! The devices: the device sections of the configuration (`[reader]`, `[camera]`,
//! `[display]`, `[input]`, `[board]`) and the choice and opening of the drivers they
//! name.
//!
//! - [`config`]: `[reader]`, `[camera]`, `[display]`, `[input]`; [`board`]: `[board]`;
//! - [`open`]: [`build_devices`] opens what the sections ask for, giving the
//!   [`Devices`] the daemon runs and the [`Sim`] handles of the mock ones;
//! - [`card_face`]: the card-face camera with its OCR reader (`[card_face]`);
//! - [`lazy`]: devices that may be missing, opened on first use and again after
//!   they come back.
//!
//! The daemon's workers take the devices from here; nothing here knows the daemon.

pub mod board;
pub mod card_face;
pub mod config;
pub mod lazy;
pub mod open;

pub use board::{BoardConfig, IndicatorKind};
pub use card_face::CardFaceDevice;
pub use config::{
    CameraConfig, CameraKind, DisplayConfig, DisplayKind, InputConfig, InputKind, ReaderConfig,
    ReaderKind,
};
pub use open::build_devices;

use crate::card_face::CardFaceConfig;
use crate::face::{FaceConfig, FaceMatcher};
use kaonin_drivers::image_camera::ImageCameraHandle;
use kaonin_hal::camera::BoxedCamera;
use kaonin_hal::card::BoxedReader;
use kaonin_hal::display::BoxedDisplay;
use kaonin_hal::indicator::BoxedIndicator;
use kaonin_hal::input::BoxedInput;
use kaonin_hal::mock::{MockIndicatorHandle, MockReaderHandle};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// A device that could not be set up (one line naming the device and why).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct DeviceError(pub String);

/// The sections of the configuration the devices are opened from.
#[derive(Debug, Clone, Copy)]
pub struct DeviceSections<'a> {
    /// `[reader]`.
    pub reader: &'a ReaderConfig,
    /// `[camera]`.
    pub camera: &'a CameraConfig,
    /// `[display]`.
    pub display: &'a DisplayConfig,
    /// `[input]`.
    pub input: &'a InputConfig,
    /// `[board]`: the indicator and the serial PIN pad.
    pub board: &'a BoardConfig,
    /// `[face]`: the matcher that runs with the camera.
    pub face: &'a FaceConfig,
    /// `[card_face]`: the card-face camera, if any.
    pub card_face: &'a CardFaceConfig,
}

/// The devices the daemon runs.
pub struct Devices {
    /// The face-authentication reader's card slot.
    pub reader: BoxedReader,
    /// The generic NFC reader for smartphones, if the counter has one.
    pub phone_reader: Option<BoxedReader>,
    /// The camera facing the patient.
    pub camera: BoxedCamera,
    /// The panel.
    pub display: BoxedDisplay,
    /// The status LED and buzzer.
    pub indicator: BoxedIndicator,
    /// Touchscreen or PIN pad (`None` with the control socket).
    pub input: Option<BoxedInput>,
    /// The face matcher.
    pub matcher: Box<dyn FaceMatcher>,
    /// The card-face camera with the OCR reader (`None`: `[card_face] kind =
    /// "control"`).
    pub card_face: Option<CardFaceDevice>,
}

/// A card made from a profile file for the mock readers (`{"card":"insert"}` on the
/// control socket).
pub struct LoadedCard {
    /// The simulated chip.
    pub card: Box<dyn kaonin_hal::mock::Icc>,
    /// A smartphone (goes on the smartphone reader) rather than a card.
    pub phone: bool,
    /// What is printed on the card face (照合番号B), as a card-face scanner would read it.
    pub printed: crate::card::KenmenKey,
}

/// Turns a card profile into a [`LoadedCard`]. The simulators give one
/// (their `cards` module); a build without them has none, and the control socket then
/// refuses `card insert`.
pub trait CardLoader: Send + Sync {
    /// Loads the profile at `path`; the error is one line for the control socket.
    fn load(&self, path: &std::path::Path) -> Result<LoadedCard, String>;
}

/// Handles of the simulated devices, for the control socket and tests.
#[derive(Clone)]
pub struct Sim {
    /// The mock card reader.
    pub reader: Option<MockReaderHandle>,
    /// The mock smartphone reader.
    pub phone_reader: Option<MockReaderHandle>,
    /// The image camera.
    pub camera: Option<ImageCameraHandle>,
    /// The recording indicator.
    pub indicator: Option<MockIndicatorHandle>,
    /// Makes cards for the mock readers from profiles.
    pub cards: Option<Arc<dyn CardLoader>>,
    /// Whether the image camera is plugged in (false: every capture fails as an
    /// unplugged camera would).
    pub camera_plugged: Arc<AtomicBool>,
}

impl Default for Sim {
    fn default() -> Self {
        Sim {
            reader: None,
            phone_reader: None,
            camera: None,
            indicator: None,
            cards: None,
            camera_plugged: Arc::new(AtomicBool::new(true)),
        }
    }
}
