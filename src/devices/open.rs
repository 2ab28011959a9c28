//! Opening the devices the configuration asks for: the driver each section's `kind`
//! names, and the handles through which the control socket plays the world for the
//! mock ones ([`Sim`]).

use super::lazy::{Lazy, LazyDisplay};
use super::{
    CameraKind, DeviceError, DeviceSections, Devices, DisplayKind, IndicatorKind, InputKind,
    ReaderConfig, ReaderKind, Sim,
};
use embedded_graphics::geometry::Size;
use kaonin_drivers::image_camera::ImageCamera;
use kaonin_hal::camera::{BoxedCamera, Camera, ErrorKind as CameraErrorKind, Frame};
use kaonin_hal::card::BoxedReader;
use kaonin_hal::indicator::BoxedIndicator;
use kaonin_hal::mock::{MockIndicator, MockReader};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

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

/// Builds the devices the sections of `config` ask for.
pub fn build_devices(config: &DeviceSections<'_>) -> Result<(Devices, Sim), DeviceError> {
    let mut sim = Sim::default();
    let (reader, phone_reader) = readers(config.reader, &mut sim)?;
    let camera = match config.camera.kind {
        CameraKind::Images => {
            let (camera, handle) = ImageCamera::new(640, 480);
            sim.camera = Some(handle);
            kaonin_hal::camera::boxed(SimCamera {
                inner: camera,
                plugged: sim.camera_plugged.clone(),
            })
        }
        CameraKind::V4l2 => v4l2_camera(&config.camera.device),
    };
    let display = match config.display.kind {
        DisplayKind::Png => {
            let display = kaonin_drivers::png::PngDisplay::new(
                &config.display.dir,
                config.display.width,
                config.display.height,
            )
            .map_err(|e| DeviceError(format!("display: {e}")))?;
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
            let settings = config.input.touch_settings();
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
    let indicator = indicator(config.board, &mut sim);
    let matcher = crate::face::matcher_from_config(config.face)
        .map_err(|e| DeviceError(format!("face matcher: {e}")))?;
    let card_face = super::card_face::open(config.card_face)?;
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

fn indicator(board: &super::BoardConfig, sim: &mut Sim) -> BoxedIndicator {
    use kaonin_drivers::gpio::{open_gpio_indicator, LogIndicator};
    match board.indicator {
        IndicatorKind::Mock => {
            let (indicator, handle) = MockIndicator::new();
            sim.indicator = Some(handle);
            kaonin_hal::indicator::boxed(indicator)
        }
        IndicatorKind::Log => kaonin_hal::indicator::boxed(LogIndicator),
        IndicatorKind::Gpio => open_gpio_indicator(&board.gpio.pins()).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "GPIO indicator unavailable; logging signals instead");
            kaonin_hal::indicator::boxed(LogIndicator)
        }),
    }
}

fn readers(
    config: &ReaderConfig,
    sim: &mut Sim,
) -> Result<(BoxedReader, Option<BoxedReader>), DeviceError> {
    match config.kind {
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
fn pcsc_readers(config: &ReaderConfig) -> Result<(BoxedReader, Option<BoxedReader>), DeviceError> {
    use kaonin_drivers::pcsc::PcscReader;
    // A phone lying on the smartphone reader answers the JPKI SELECT too: keep the
    // card slot off that reader when it is named.
    let mut card = PcscReader::new(&config.name_contains);
    if !config.phone_name_contains.is_empty() {
        card = card.excluding(&config.phone_name_contains);
    }
    let reader = kaonin_hal::card::boxed(card);
    let phone = (!config.phone_name_contains.is_empty())
        .then(|| kaonin_hal::card::boxed(PcscReader::new(&config.phone_name_contains)));
    Ok((reader, phone))
}

#[cfg(not(feature = "pcsc"))]
fn pcsc_readers(_config: &ReaderConfig) -> Result<(BoxedReader, Option<BoxedReader>), DeviceError> {
    Err(DeviceError(
        "reader.kind = \"pcsc\" needs a build with the `pcsc` feature".into(),
    ))
}

fn v4l2_camera(device: &std::path::Path) -> BoxedCamera {
    let device = device.to_path_buf();
    let camera = Lazy::new(device.display().to_string(), move || open_v4l2(&device));
    kaonin_hal::camera::boxed(camera)
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
