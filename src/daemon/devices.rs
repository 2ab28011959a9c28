//! Devices chosen by the configuration, and the handles through which the control
//! socket plays the world for the mock ones.

use super::lazy::{Lazy, LazyDisplay};
use super::DaemonError;
use crate::config::{CameraKind, Config, DisplayKind, InputKind, ReaderKind};
use crate::face::FaceMatcher;
use embedded_graphics::geometry::Size;
use kaonin_drivers::image_camera::{ImageCamera, ImageCameraHandle};
use kaonin_hal::camera::{BoxedCamera, Camera, ErrorKind as CameraErrorKind, Frame};
use kaonin_hal::card::BoxedReader;
use kaonin_hal::display::BoxedDisplay;
use kaonin_hal::indicator::BoxedIndicator;
use kaonin_hal::input::BoxedInput;
use kaonin_hal::mock::{MockIndicator, MockIndicatorHandle, MockReader, MockReaderHandle};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

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
    pub card_face: Option<super::cardface::CardFaceDevice>,
}

/// A card made from a profile file for the mock readers (`{"card":"insert"}` on the
/// control socket).
pub struct LoadedCard {
    /// The simulated chip.
    pub card: Box<dyn kaonin_hal::mock::Icc>,
    /// A smartphone (goes on the smartphone reader) rather than a card.
    pub phone: bool,
    /// What is printed on the card face (照合番号B), as a card-face scanner would read it.
    pub printed: crate::card::CardFace,
}

/// Turns a card profile into a [`LoadedCard`]. The simulators give one
/// (`crate::sim::cards`); a build without them has none, and the control socket then
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

/// The image camera, with a cable the control socket can pull.
struct SimCamera {
    inner: ImageCamera,
    plugged: Arc<AtomicBool>,
}

impl Camera for SimCamera {
    type Error = Box<dyn kaonin_hal::camera::Error>;

    fn capture(&mut self) -> Result<Frame, Self::Error> {
        if !self.plugged.load(Ordering::SeqCst) {
            return Err(Box::new(CameraErrorKind::NotConnected));
        }
        self.inner.capture().map_err(|e| Box::new(e) as _)
    }
}

/// Builds the devices `config` asks for.
pub fn build_devices(config: &Config) -> Result<(Devices, Sim), DaemonError> {
    let mut sim = Sim::default();
    let (reader, phone_reader) = readers(config, &mut sim)?;
    let camera = match config.camera.kind {
        CameraKind::Images => {
            let (camera, handle) = ImageCamera::new(640, 480);
            sim.camera = Some(handle);
            kaonin_hal::camera::boxed(SimCamera {
                inner: camera,
                plugged: sim.camera_plugged.clone(),
            })
        }
        CameraKind::V4l2 => v4l2_camera(config)?,
    };
    let display = match config.display.kind {
        DisplayKind::Png => {
            let display = kaonin_drivers::png::PngDisplay::new(
                &config.display.dir,
                config.display.width,
                config.display.height,
            )
            .map_err(|e| DaemonError::Device(format!("display: {e}")))?;
            kaonin_hal::display::boxed(display)
        }
        DisplayKind::Framebuffer => {
            let device = config.display.device.clone();
            let inner = Lazy::new(device.display().to_string(), move || {
                kaonin_drivers::framebuffer::FbDisplay::open(&device)
                    .map(kaonin_hal::display::boxed)
                    .map_err(|e| e.to_string())
            });
            let size = Size::new(config.display.width, config.display.height);
            kaonin_hal::display::boxed(LazyDisplay { inner, size })
        }
    };
    let input = match config.input.kind {
        InputKind::Control => None,
        InputKind::Touch => {
            let panel = (config.display.width, config.display.height);
            let device = config.input.device.clone();
            let settings = crate::ui::touch_settings(&config.input);
            let touch = Lazy::new(device.display().to_string(), move || {
                kaonin_drivers::touch::TouchInput::open_with(&device, panel, &settings)
                    .map(kaonin_hal::input::boxed)
                    .map_err(|e| e.to_string())
            });
            Some(kaonin_hal::input::boxed(touch))
        }
        InputKind::SerialKeypad => {
            let pad = &config.board.keypad;
            let keypad = kaonin_drivers::serial_keypad::SerialKeypad::detached(
                &pad.device,
                pad.baud,
                pad.heartbeat_timeout(),
            );
            Some(kaonin_hal::input::boxed(keypad))
        }
    };
    let indicator = indicator(config, &mut sim);
    let matcher = crate::face::matcher_from_config(config)
        .map_err(|e| DaemonError::Device(format!("face matcher: {e}")))?;
    let card_face = super::cardface::build(config)?;
    let devices = Devices {
        reader,
        phone_reader,
        camera,
        display,
        indicator,
        input,
        matcher,
        card_face,
    };
    Ok((devices, sim))
}

fn indicator(config: &Config, sim: &mut Sim) -> BoxedIndicator {
    use crate::config_board::IndicatorKind;
    use kaonin_drivers::gpio::{open_gpio_indicator, LogIndicator};
    match config.board.indicator {
        IndicatorKind::Mock => {
            let (indicator, handle) = MockIndicator::new();
            sim.indicator = Some(handle);
            kaonin_hal::indicator::boxed(indicator)
        }
        IndicatorKind::Log => kaonin_hal::indicator::boxed(LogIndicator),
        IndicatorKind::Gpio => open_gpio_indicator(&config.board.gpio.pins()).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "GPIO indicator unavailable; logging signals instead");
            kaonin_hal::indicator::boxed(LogIndicator)
        }),
    }
}

fn readers(
    config: &Config,
    sim: &mut Sim,
) -> Result<(BoxedReader, Option<BoxedReader>), DaemonError> {
    match config.reader.kind {
        ReaderKind::Mock => {
            let (reader, handle) = MockReader::new("kaonin mock reader");
            let (phone, phone_handle) = MockReader::new("kaonin mock smartphone reader");
            sim.reader = Some(handle);
            sim.phone_reader = Some(phone_handle);
            Ok((
                kaonin_hal::card::boxed(reader),
                Some(kaonin_hal::card::boxed(phone)),
            ))
        }
        ReaderKind::Pcsc => pcsc_readers(config),
    }
}

#[cfg(feature = "pcsc")]
fn pcsc_readers(config: &Config) -> Result<(BoxedReader, Option<BoxedReader>), DaemonError> {
    use kaonin_drivers::pcsc::PcscReader;
    // A phone lying on the smartphone reader answers the JPKI SELECT too: keep the
    // card slot off that reader when it is named.
    let mut card = PcscReader::new(&config.reader.name_contains);
    if !config.reader.phone_name_contains.is_empty() {
        card = card.excluding(&config.reader.phone_name_contains);
    }
    let reader = kaonin_hal::card::boxed(card);
    let phone = (!config.reader.phone_name_contains.is_empty())
        .then(|| kaonin_hal::card::boxed(PcscReader::new(&config.reader.phone_name_contains)));
    Ok((reader, phone))
}

#[cfg(not(feature = "pcsc"))]
fn pcsc_readers(_config: &Config) -> Result<(BoxedReader, Option<BoxedReader>), DaemonError> {
    Err(DaemonError::Device(
        "reader.kind = \"pcsc\" needs a build with the `pcsc` feature".into(),
    ))
}

fn v4l2_camera(config: &Config) -> Result<BoxedCamera, DaemonError> {
    let device = config.camera.device.clone();
    let camera = Lazy::new(device.display().to_string(), move || open_v4l2(&device));
    Ok(kaonin_hal::camera::boxed(camera))
}

#[cfg(feature = "v4l2")]
fn open_v4l2(device: &std::path::Path) -> Result<BoxedCamera, String> {
    kaonin_drivers::v4l2::V4l2Camera::open(device, 640, 480)
        .map(kaonin_hal::camera::boxed)
        .map_err(|e| e.to_string())
}

#[cfg(not(feature = "v4l2"))]
fn open_v4l2(device: &std::path::Path) -> Result<BoxedCamera, String> {
    Err(format!(
        "{}: this build has no V4L2 driver (build with --features v4l2)",
        device.display()
    ))
}
