//! Devices chosen by the configuration, and the handles through which the control
//! socket plays the world for the mock ones.

use super::DaemonError;
use crate::config::{CameraKind, Config, DisplayKind, InputKind, ReaderKind};
use crate::face::FaceMatcher;
use kaonin_drivers::image_camera::{ImageCamera, ImageCameraHandle};
use kaonin_hal::camera::BoxedCamera;
use kaonin_hal::card::BoxedReader;
use kaonin_hal::display::BoxedDisplay;
use kaonin_hal::indicator::BoxedIndicator;
use kaonin_hal::input::BoxedInput;
use kaonin_hal::mock::{MockIndicator, MockIndicatorHandle, MockReader, MockReaderHandle};

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
}

/// Handles of the simulated devices, for the control socket and tests.
#[derive(Default, Clone)]
pub struct Sim {
    /// The mock card reader.
    pub reader: Option<MockReaderHandle>,
    /// The mock smartphone reader.
    pub phone_reader: Option<MockReaderHandle>,
    /// The image camera.
    pub camera: Option<ImageCameraHandle>,
    /// The recording indicator.
    pub indicator: Option<MockIndicatorHandle>,
}

/// Builds the devices `config` asks for.
pub fn build_devices(config: &Config) -> Result<(Devices, Sim), DaemonError> {
    let mut sim = Sim::default();
    let (reader, phone_reader) = readers(config, &mut sim)?;
    let camera = match config.camera.kind {
        CameraKind::Images => {
            let (camera, handle) = ImageCamera::new(640, 480);
            sim.camera = Some(handle);
            kaonin_hal::camera::boxed(camera)
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
            let display = kaonin_drivers::framebuffer::FbDisplay::open(&config.display.device)
                .map_err(|e| {
                    DaemonError::Device(format!("display {}: {e}", config.display.device.display()))
                })?;
            kaonin_hal::display::boxed(display)
        }
    };
    let input = match config.input.kind {
        InputKind::Control => None,
        InputKind::Touch => {
            let panel = (config.display.width, config.display.height);
            let touch = kaonin_drivers::touch::TouchInput::open(&config.input.device, panel)
                .map_err(|e| {
                    DaemonError::Device(format!("input {}: {e}", config.input.device.display()))
                })?;
            Some(kaonin_hal::input::boxed(touch))
        }
        InputKind::SerialKeypad => {
            return Err(DaemonError::Device(
                "input.kind = \"serial-keypad\" is not supported by this build yet".into(),
            ))
        }
    };
    let (indicator, indicator_handle) = MockIndicator::new();
    sim.indicator = Some(indicator_handle);
    let matcher = crate::face::matcher_from_config(config)
        .map_err(|e| DaemonError::Device(format!("face matcher: {e}")))?;
    let devices = Devices {
        reader,
        phone_reader,
        camera,
        display,
        indicator: kaonin_hal::indicator::boxed(indicator),
        input,
        matcher,
    };
    Ok((devices, sim))
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
    let reader = kaonin_hal::card::boxed(PcscReader::new(&config.reader.name_contains));
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
    Err(DaemonError::Device(format!(
        "camera {}: the V4L2 driver is not part of this build yet",
        config.camera.device.display()
    )))
}
