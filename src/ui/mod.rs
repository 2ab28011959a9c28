//! The reader's screens: renders a flow [`Screen`] into the panel's
//! [`Framebuffer`] and maps touches back to buttons and PIN-pad keys.
//!
//! Each screen has a title band, one instruction (plus an emphasised detail or a
//! banner when the params call for one), at most three large buttons and a status
//! line. Text comes from the catalogs in `assets/i18n/`, set in BIZ UDPGothic
//! (`assets/fonts/`, SIL OFL) with Japanese line-breaking rules. Layout, drawing and
//! hit testing share one [`layout::Scene`], so tests check exactly what is drawn.

pub mod catalog;
pub mod content;
pub mod draw;
pub mod font;
pub mod layout;
pub mod samples;
pub mod text;

use crate::card::NameImage;
use crate::flow::{Button, Lang, Screen, ScreenId};
use catalog::Catalog;
use content::{button_key, content, Content};
use font::Fonts;
use kaonin_hal::camera::Frame;
use kaonin_hal::display::Framebuffer;
use layout::{layout, LayoutInput, Metrics, Scene};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// How the UI looks; `Default` is normal text, ordered PIN pad, embedded fonts.
/// The daemon takes them from the config's `[display]` section.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UiOptions {
    /// About 20 % larger text and buttons.
    pub large_text: bool,
    /// Shuffle the PIN-pad digits (against shoulder surfing); see [`Ui::shuffle_pin_pad`].
    pub scrambled_pin: bool,
    /// Load `BIZUDPGothic-Regular.ttf` and `-Bold.ttf` from here instead of the
    /// copies embedded in the binary.
    pub font_dir: Option<PathBuf>,
}

/// What the daemon adds to a flow screen when drawing it: the live camera frame (face
/// screen) and the holder's name image from the chip (on [`layout::NAME_SCREENS`]).
///
/// Privacy: both are personal data. Draw them only for a panel (never for a display
/// that stores frames), and drop them after drawing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Extras<'a> {
    /// The camera frame for the preview box (face screen).
    pub preview: Option<&'a Frame>,
    /// The name image for the name box.
    pub name: Option<&'a NameImage>,
    /// The chip photo (decoded, grey) for the visual-check screen's photo box.
    pub photo: Option<&'a Frame>,
}

/// What a touch landed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Hit {
    /// A button of the screen.
    Button(Button),
    /// A PIN-pad digit (pin screen).
    Digit(u8),
    /// The PIN-pad delete key (pin screen).
    Delete,
}

/// Why the UI could not start or render.
#[derive(Debug, thiserror::Error)]
pub enum UiError {
    /// A font file could not be read or parsed.
    #[error("font {file}: {reason}")]
    Font { file: String, reason: String },
    /// A text catalog is malformed, incomplete or uses glyphs the font lacks.
    #[error("text catalog `{lang}`: {reason}")]
    Catalog { lang: String, reason: String },
    /// The panel is smaller than the layouts support.
    #[error(
        "panel {width}x{height} is too small (landscape needs at least 800x480, portrait 600x1000)"
    )]
    PanelTooSmall { width: u32, height: u32 },
    /// `kaonin render --screen` named no screen.
    #[error("unknown screen `{id}`; valid screens: {valid}")]
    UnknownScreen { id: String, valid: String },
    /// `kaonin render --lang` named no language.
    #[error("unknown language `{lang}`; valid languages: {valid}")]
    UnknownLang { lang: String, valid: String },
    /// `kaonin render` needs `--screen ID` or `--all`.
    #[error("nothing to render: give --screen ID or --all")]
    NothingToRender,
    /// Writing an image failed.
    #[error("writing {path}: {reason}")]
    Write { path: String, reason: String },
}

/// The screen renderer for one panel.
#[derive(Debug)]
pub struct Ui {
    width: u32,
    height: u32,
    options: UiOptions,
    fonts: Fonts,
    catalogs: Vec<Catalog>,
    pad: Mutex<[u8; 10]>,
    /// Digits typed on the pin screen (see [`Ui::set_pin_typed`]).
    typed: AtomicUsize,
    /// The id of the screen drawn last, to notice the pin screen appearing.
    last_drawn: Mutex<Option<ScreenId>>,
}

/// The longest PC message shown (characters, before the ellipsis).
pub const MAX_MESSAGE_CHARS: usize = 60;

/// The ordered PIN pad: 1–9 in three rows, 0 in the middle of the last.
pub const ORDERED_PAD: [u8; 10] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 0];

impl Ui {
    /// Loads the fonts and checks every catalog against them.
    pub fn new(width: u32, height: u32, options: UiOptions) -> Result<Ui, UiError> {
        let portrait = height > width;
        if (!portrait && (width < 800 || height < 480))
            || (portrait && (width < 600 || height < 1000))
        {
            return Err(UiError::PanelTooSmall { width, height });
        }
        let fonts = Fonts::load(options.font_dir.as_deref())?;
        let catalogs = Lang::ALL
            .into_iter()
            .map(|lang| Catalog::parse(lang, catalog::source(lang), &fonts))
            .collect::<Result<Vec<_>, _>>()?;
        let ui = Ui {
            width,
            height,
            options,
            fonts,
            catalogs,
            pad: Mutex::new(ORDERED_PAD),
            typed: AtomicUsize::new(0),
            last_drawn: Mutex::new(None),
        };
        ui.shuffle_pin_pad();
        Ok(ui)
    }

    /// Panel size.
    pub fn size(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    /// The options in use.
    pub fn options(&self) -> &UiOptions {
        &self.options
    }

    /// The fonts (for benchmarks and tests).
    pub fn fonts(&self) -> &Fonts {
        &self.fonts
    }

    /// The checked catalog of `lang`.
    pub fn catalog(&self, lang: Lang) -> &Catalog {
        self.catalogs
            .iter()
            .find(|c| c.lang() == lang)
            .unwrap_or(&self.catalogs[0])
    }

    /// Draws `screen`. On the pin screen the digits typed so far
    /// (`params.pin_dots`, or [`Ui::set_pin_typed`]) show as ●; when the pin screen appears (drawn after
    /// another screen) a scrambled pad gets a new order.
    pub fn render(&self, screen: &Screen, fb: &mut Framebuffer) {
        self.render_full(screen, self.typed_for(screen), Extras::default(), fb);
    }

    /// Draws `screen` with the daemon's [`Extras`]: the camera frame in the face
    /// screen's preview box, the name image in the name box of the screens that show
    /// it. Buttons and touch targets are the same as without them.
    pub fn render_with(&self, screen: &Screen, extras: Extras<'_>, fb: &mut Framebuffer) {
        self.render_full(screen, self.typed_for(screen), extras, fb);
    }

    /// Tells the UI how many PIN digits have been typed (0–4), for the ● row of the
    /// pin screen. Drawing any other screen resets it to 0.
    pub fn set_pin_typed(&self, typed: usize) {
        self.typed.store(typed.min(4), Ordering::Relaxed);
    }

    /// Dots to show: `params.pin_dots` (set by the daemon) or [`Ui::set_pin_typed`].
    fn typed_for(&self, screen: &Screen) -> usize {
        if is_pad_screen(screen.id) {
            let stored = self.typed.load(Ordering::Relaxed);
            stored.max(screen.params.pin_dots as usize).min(4)
        } else {
            0
        }
    }

    /// Notes that `screen` is being drawn: reshuffles a scrambled pad when the pin
    /// screen appears, and forgets typed digits when another screen is drawn.
    fn note_drawn(&self, screen: &Screen) {
        let previous = self
            .last_drawn
            .lock()
            .ok()
            .and_then(|mut last| last.replace(screen.id));
        if is_pad_screen(screen.id) && previous != Some(screen.id) {
            self.shuffle_pin_pad();
        }
        if !is_pad_screen(screen.id) {
            self.typed.store(0, Ordering::Relaxed);
        }
    }

    /// Draws `screen`; on the face screen `preview` fills the camera box.
    ///
    /// Privacy: a frame drawn with a preview contains the patient's face. Present it
    /// only on a real panel (framebuffer), never on a display that stores frames
    /// (`PngDisplay`), and wipe the framebuffer when the face screen is left.
    pub fn render_with_preview(
        &self,
        screen: &Screen,
        preview: Option<&Frame>,
        fb: &mut Framebuffer,
    ) {
        let extras = Extras {
            preview,
            ..Extras::default()
        };
        self.render_full(screen, self.typed_for(screen), extras, fb);
    }

    /// Draws the pin screen with `typed` digits shown as ●.
    pub fn render_pin_progress(&self, screen: &Screen, typed: usize, fb: &mut Framebuffer) {
        self.render_full(screen, typed, Extras::default(), fb);
    }

    fn render_full(&self, screen: &Screen, typed: usize, extras: Extras<'_>, fb: &mut Framebuffer) {
        self.note_drawn(screen);
        let name = extras.name.map(|n| (n.width(), n.height()));
        let scene = self.scene_full(screen, typed, name);
        draw::draw_with(&scene, &self.fonts, extras, fb);
    }

    /// The words of `screen`.
    pub fn content(&self, screen: &Screen) -> Content {
        let cat = self.catalog(screen.lang);
        match &screen.params.ack_message {
            Some(message) => {
                let mut cleaned = screen.clone();
                cleaned.params.ack_message = Some(self.displayable(message));
                content(&cleaned, cat)
            }
            None => content(screen, cat),
        }
    }

    /// Text from outside the catalogs (the PC's message) made safe to draw: control
    /// characters become spaces, characters the font lacks become 〓 (the geta mark
    /// Japanese systems use for a missing character — never ●, which would read as
    /// a masked digit), and it is cut to [`MAX_MESSAGE_CHARS`] with an ellipsis.
    pub fn displayable(&self, text: &str) -> String {
        let mut out: String = text
            .chars()
            .map(|c| match c {
                c if c.is_control() => ' ',
                c if self.fonts.has_glyph(c) => c,
                _ => '〓',
            })
            .take(MAX_MESSAGE_CHARS)
            .collect();
        if text.chars().count() > MAX_MESSAGE_CHARS {
            out.push('…');
        }
        out
    }

    /// Title, instruction and detail in `screen.lang` on one line (control socket).
    pub fn text(&self, screen: &Screen) -> String {
        let c = self.content(screen);
        let mut parts = vec![c.title, c.instruction];
        parts.extend(c.detail);
        // A notice on top (a wrong staff passcode, the lock-out and its time).
        parts.extend(c.banner);
        parts.join(" ").replace('\n', " ")
    }

    /// What a touch at (x, y) hits on `screen`.
    pub fn hit(&self, screen: &Screen, x: i32, y: i32) -> Option<Hit> {
        self.scene(screen).hit(x, y)
    }

    /// The laid-out scene of `screen` (what `render` draws and `hit` tests).
    pub fn scene(&self, screen: &Screen) -> Scene {
        self.scene_full(screen, self.typed_for(screen), None)
    }

    /// The scene of `screen` drawn with a name image of `name` = (width, height)
    /// (what [`Ui::render_with`] draws when given a name image).
    pub fn scene_with_name(&self, screen: &Screen, name: Option<(u32, u32)>) -> Scene {
        self.scene_full(screen, self.typed_for(screen), name)
    }

    fn scene_full(&self, screen: &Screen, typed: usize, name: Option<(u32, u32)>) -> Scene {
        let cat = self.catalog(screen.lang);
        let content = self.content(screen);
        let label = |b: Button| cat.get(button_key(b)).to_string();
        let input = LayoutInput {
            fonts: &self.fonts,
            metrics: Metrics::new(self.width, self.height, self.options.large_text),
            content: &content,
            label: &label,
            delete_label: cat.get("common.pin_delete"),
            preview_label: cat.get("common.preview"),
            pad: self.pin_pad(),
            typed: typed.min(4),
            name,
            attempts_left: match (screen.id, screen.params.face_attempt) {
                (ScreenId::Face, Some((failed, allowed))) => Some(allowed.saturating_sub(failed)),
                _ => None,
            },
        };
        layout(screen, &input, self.width, self.height)
    }

    /// The PIN-pad order in use (slot → digit).
    pub fn pin_pad(&self) -> [u8; 10] {
        self.pad.lock().map(|p| *p).unwrap_or(ORDERED_PAD)
    }

    /// Draws a new digit order when `scrambled_pin` is on (call on entering the pin
    /// screen); keeps 1–9,0 otherwise.
    pub fn shuffle_pin_pad(&self) {
        if !self.options.scrambled_pin {
            return;
        }
        let order = shuffled_pad();
        if let Ok(mut pad) = self.pad.lock() {
            *pad = order;
        }
    }
}

/// Screens with the digit pad: the patient's PIN, and the staff passcode.
pub fn is_pad_screen(id: ScreenId) -> bool {
    matches!(id, ScreenId::Pin | ScreenId::StaffPasscode)
}

/// A uniformly shuffled pad (Fisher–Yates with the system RNG).
fn shuffled_pad() -> [u8; 10] {
    use ring::rand::{SecureRandom, SystemRandom};
    let mut pad = ORDERED_PAD;
    let rng = SystemRandom::new();
    for i in (1..pad.len()).rev() {
        let mut b = [0u8; 4];
        if rng.fill(&mut b).is_err() {
            return ORDERED_PAD;
        }
        let j = (u32::from_le_bytes(b) % (i as u32 + 1)) as usize;
        pad.swap(i, j);
    }
    pad
}
