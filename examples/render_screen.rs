//! Draws one screen of the reception to a PNG file, without the daemon: the UI room
//! (`kaonin::ui`) on a plain framebuffer, with the sample parameters `kaonin render`
//! uses (tries left, guidance, …). Prints the screen's text and its buttons.
//!
//! Needs: nothing but the source tree (the fonts are built in).
//!
//! ```sh
//! cargo run --example render_screen -- pin pin.png               # Japanese, 800×480
//! cargo run --example render_screen -- consent en 1024x600 consent.png
//! ```
//!
//! Screen ids: idle, reading, card_error, method_select, face, pin, pin_locked,
//! visual_armed, phone, consent, consent_items, sending, done, sent_offline, staff_call.
//! Every screen in every size at once, with a contact sheet: `kaonin render --all`.

use kaonin::flow::{Lang, ScreenId};
use kaonin::ui::{samples, Ui, UiOptions};
use kaonin_hal::display::Framebuffer;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (id, rest) = args
        .split_first()
        .ok_or("usage: render_screen SCREEN [ja|en] [WxH] OUT.png")?;
    let (out, options) = rest.split_last().ok_or("missing OUT.png")?;
    let id = ScreenId::parse(id).ok_or_else(|| format!("unknown screen {id:?}"))?;
    let mut lang = Lang::Ja;
    let (mut width, mut height) = (800, 480);
    for option in options {
        if let Some(l) = Lang::parse(option) {
            lang = l;
        } else if let Some((w, h)) = option.split_once('x') {
            (width, height) = (w.parse()?, h.parse()?);
        } else {
            return Err(format!("neither a language nor WxH: {option:?}").into());
        }
    }

    let ui = Ui::new(width, height, UiOptions::default())?;
    let screen = samples::sample(id, lang);
    let mut fb = Framebuffer::new(width, height);
    ui.render(&screen, &mut fb);
    let png = image::RgbImage::from_raw(width, height, fb.to_rgb_bytes()).ok_or("frame size")?;
    png.save_with_format(out, image::ImageFormat::Png)?;

    println!(
        "{} ({}, {width}x{height}) -> {out}",
        id.as_str(),
        lang.as_str()
    );
    println!("text: {}", ui.text(&screen));
    let buttons: Vec<&str> = screen.buttons.iter().map(|b| b.as_str()).collect();
    println!("buttons: {}", buttons.join(", "));
    Ok(())
}
