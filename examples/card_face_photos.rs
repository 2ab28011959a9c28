//! Photographs of a card profile's printed card face, as a card-face camera above
//! the reader would take them: the card drawn from the profile's `[card_face]`
//! (birth date, expiry, security code), then captured on a plain tray with mild
//! blur, noise and tilt. Point `[card_face] kind = "images"` at the directory and
//! `kaonin run` reads 照合番号B from these frames by OCR, as from a real camera.
//!
//! Needs: feature `sim` (default). Writes `frame-0.png` … `frame-N.png`.
//!
//! ```sh
//! cargo run --example card_face_photos -- assets/cards/alice.toml /tmp/alice-face 3
//! ```

use kaonin::sim::cardgen::{spec_for, write_captures, Degradation};
use kaonin::sim::vcard::Profile;
use kaonin::ui::font::Fonts;
use std::path::Path;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (profile, dir, frames) = match args.as_slice() {
        [p, d] => (p, d, 3),
        [p, d, n] => (p, d, n.parse::<usize>().map_err(|_| "FRAMES: a number")?),
        _ => return Err("usage: card_face_photos PROFILE.toml DIR [FRAMES]".into()),
    };
    let profile = Profile::load(Path::new(profile))?;
    let face = profile.printed_face();
    let spec = spec_for(&face, false).ok_or("the profile's card-face dates are not dates")?;
    // A sharp capture without glare: the camera in a good place.
    let clean = Degradation {
        blur: (0.3, 0.6),
        glare: 0.0,
        rotation: 2.0,
        ..Degradation::normal()
    };
    let fonts = Fonts::load(None)?;
    write_captures(&spec, &fonts, 7, frames.max(1), &clean, 0.0, Path::new(dir))?;
    println!(
        "{} frame(s) of the card face (birth {}, expiry {}) in {dir}",
        frames.max(1),
        face.birth,
        face.expiry
    );
    Ok(())
}
