//! `kaonin render`: writes screens as PNG files — one screen, or every screen ×
//! language × panel size plus a contact sheet of all screens at 800×480.
//!
//! The samples show what the daemon adds at run time with synthetic stand-ins: the
//! consent screens a name image drawn from the made-up name 見本　花子 (as the
//! virtual card draws its holder's), the face screen an empty-counter camera frame.

use crate::card::NameImage;
use crate::flow::{Lang, Screen, ScreenId};
use crate::ui::{samples, Extras, Ui, UiError, UiOptions};
use kaonin_hal::camera::Frame;
use kaonin_hal::display::Framebuffer;
use std::path::Path;

/// The made-up name of the sample name image.
pub const SAMPLE_NAME: &str = "見本　花子";

/// Stand-ins for the camera frame and the chip's name image.
struct SampleExtras {
    name: Option<NameImage>,
    camera: Frame,
    photo: Frame,
}

impl SampleExtras {
    fn new() -> SampleExtras {
        let name = crate::sim::vcard::name_image::draw_name(SAMPLE_NAME)
            .ok()
            .and_then(|(w, h, pixels)| NameImage::new(w, h, pixels));
        SampleExtras {
            name,
            camera: Frame::empty_scene(640, 480),
            photo: sample_photo(),
        }
    }

    fn draw(&self, ui: &Ui, screen: &Screen, fb: &mut Framebuffer) {
        let extras = Extras {
            preview: (screen.id == ScreenId::Face).then_some(&self.camera),
            name: self.name.as_ref(),
            photo: Some(&self.photo),
        };
        ui.render_with(screen, extras, fb);
    }
}

/// A made-up chip photo for the visual-check screen: a grey head and shoulders
/// on a pale background (never a real face).
fn sample_photo() -> Frame {
    let (w, h) = (300u32, 400u32);
    let mut data = vec![225u8; (w * h) as usize];
    for y in 0..h {
        for x in 0..w {
            let (fx, fy) = (x as f32 - 150.0, y as f32);
            let head = (fx / 80.0).powi(2) + ((fy - 160.0) / 105.0).powi(2) <= 1.0;
            let body = fy > 280.0 && (fx / 150.0).powi(2) + ((fy - 420.0) / 140.0).powi(2) <= 1.0;
            if head || body {
                data[(y * w + x) as usize] = 110;
            }
        }
    }
    Frame::new(w, h, kaonin_hal::camera::PixelFormat::Gray8, data)
        .unwrap_or_else(|| Frame::empty_scene(w, h))
}

/// The panel sizes `--all` renders.
pub const RESOLUTIONS: [(u32, u32); 3] = [(800, 480), (1024, 600), (720, 1280)];

/// Renders one screen (`screen`, 800×480, `lang` or Japanese) to the file `out`, or
/// with `all` every screen × language × resolution into the directory `out`, plus
/// `contact-sheet.png`.
pub fn render_cli(
    screen: Option<&str>,
    all: bool,
    lang: Option<&str>,
    out: &Path,
) -> Result<(), UiError> {
    let lang = match lang {
        None => None,
        Some(code) => Some(Lang::parse(code).ok_or_else(|| UiError::UnknownLang {
            lang: code.to_string(),
            valid: Lang::ALL.map(Lang::as_str).join(", "),
        })?),
    };
    if all {
        return render_all(lang, out);
    }
    let id = screen.ok_or(UiError::NothingToRender)?;
    let id = ScreenId::parse(id).ok_or_else(|| UiError::UnknownScreen {
        id: id.to_string(),
        valid: ScreenId::ALL.map(ScreenId::as_str).join(", "),
    })?;
    let ui = Ui::new(800, 480, UiOptions::default())?;
    let mut fb = Framebuffer::new(800, 480);
    SampleExtras::new().draw(&ui, &samples::sample(id, lang.unwrap_or_default()), &mut fb);
    save_png(&fb, out)
}

fn render_all(lang: Option<Lang>, dir: &Path) -> Result<(), UiError> {
    std::fs::create_dir_all(dir).map_err(|e| write_error(dir, e))?;
    let langs: Vec<Lang> = lang.map_or(Lang::ALL.to_vec(), |l| vec![l]);
    let extras = SampleExtras::new();
    for (w, h) in RESOLUTIONS {
        let ui = Ui::new(w, h, UiOptions::default())?;
        for &lang in &langs {
            for screen in samples::all(lang) {
                let mut fb = Framebuffer::new(w, h);
                extras.draw(&ui, &screen, &mut fb);
                let name = format!("{w}x{h}-{}-{}.png", screen.id.as_str(), lang.as_str());
                save_png(&fb, &dir.join(name))?;
            }
            // The visual-check screen with a card (chip photo, confirm buttons).
            let mut fb = Framebuffer::new(w, h);
            extras.draw(&ui, &samples::staff_confirm(lang), &mut fb);
            let name = format!("{w}x{h}-staff_confirm-{}.png", lang.as_str());
            save_png(&fb, &dir.join(name))?;
        }
    }
    let sheet = contact_sheet(&sheet_frames(&langs)?, 4);
    save_png(&sheet, &dir.join("contact-sheet.png"))
}

/// Every screen at 800×480, languages side by side, then the showcase variants.
fn sheet_frames(langs: &[Lang]) -> Result<Vec<Framebuffer>, UiError> {
    let ui = Ui::new(800, 480, UiOptions::default())?;
    let extras = SampleExtras::new();
    let mut frames = Vec::new();
    let per_lang: Vec<Vec<_>> = langs
        .iter()
        .map(|&l| {
            samples::all(l)
                .into_iter()
                .chain(samples::showcase(l))
                .collect()
        })
        .collect();
    let count = per_lang.first().map_or(0, Vec::len);
    for i in 0..count {
        for screens in &per_lang {
            if let Some(screen) = screens.get(i) {
                let mut fb = Framebuffer::new(800, 480);
                extras.draw(&ui, screen, &mut fb);
                frames.push(fb);
            }
        }
    }
    Ok(frames)
}

/// Tiles `frames` at half size, `columns` per row, with a thin grey gutter.
pub fn contact_sheet(frames: &[Framebuffer], columns: usize) -> Framebuffer {
    let columns = columns.max(1);
    let (fw, fh) = frames
        .first()
        .map_or((0, 0), |f| (f.width() / 2, f.height() / 2));
    let gutter = 8;
    let rows = frames.len().div_ceil(columns) as u32;
    let width = columns as u32 * (fw + gutter) + gutter;
    let height = rows * (fh + gutter) + gutter;
    let mut sheet = Framebuffer::new(width, height);
    for p in 0..width * height {
        sheet.set_pixel(
            p % width,
            p / width,
            embedded_graphics::pixelcolor::Rgb888::new(0x90, 0x90, 0x90),
        );
    }
    for (i, frame) in frames.iter().enumerate() {
        let ox = gutter + (i % columns) as u32 * (fw + gutter);
        let oy = gutter + (i / columns) as u32 * (fh + gutter);
        for y in 0..fh {
            for x in 0..fw {
                sheet.set_pixel(ox + x, oy + y, average(frame, 2 * x, 2 * y));
            }
        }
    }
    sheet
}

fn average(frame: &Framebuffer, x: u32, y: u32) -> embedded_graphics::pixelcolor::Rgb888 {
    use embedded_graphics::pixelcolor::{Rgb888, RgbColor};
    let mut sum = [0u32; 3];
    for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
        let p = frame.pixel(x + dx, y + dy).unwrap_or(Rgb888::WHITE);
        sum[0] += p.r() as u32;
        sum[1] += p.g() as u32;
        sum[2] += p.b() as u32;
    }
    Rgb888::new((sum[0] / 4) as u8, (sum[1] / 4) as u8, (sum[2] / 4) as u8)
}

/// Writes `fb` as an RGB PNG.
pub fn save_png(fb: &Framebuffer, path: &Path) -> Result<(), UiError> {
    let image = image::RgbImage::from_raw(fb.width(), fb.height(), fb.to_rgb_bytes())
        .ok_or_else(|| write_error(path, "frame size mismatch"))?;
    image
        .save_with_format(path, image::ImageFormat::Png)
        .map_err(|e| write_error(path, e))
}

fn write_error(path: &Path, e: impl std::fmt::Display) -> UiError {
    UiError::Write {
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}
