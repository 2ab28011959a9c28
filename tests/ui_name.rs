//! The card holder's name on the screens comes from the chip's name image (券面AP
//! EF 0002 DF25), never from text: the virtual card draws its profile's name into a
//! PNG like the issuer does, the card layer reads it with the photo, and the UI
//! scales it into the name box of the consent screens. The name's text never shows
//! up in the logs of the read.

// Uses the simulators (cargo feature `sim`, on by default).
#![cfg(feature = "sim")]

use embedded_graphics::pixelcolor::RgbColor;
use kaonin::card::{self, NameImage, Reading};
use kaonin::flow::{Lang, PhotoStatus, ScreenId};
use kaonin::sim::vcard::{Profile, VirtualCard};
use kaonin::ui::draw::name_sample;
use kaonin::ui::layout::{palette, Rect};
use kaonin::ui::{samples, Extras, Ui, UiOptions};
use kaonin_hal::card::CardReader;
use kaonin_hal::display::Framebuffer;
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

fn profile(name: &str) -> Profile {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("assets/cards/{name}.toml"));
    Profile::load(&path).expect("profile loads")
}

/// A log sink shared with the subscriber.
#[derive(Clone, Default)]
struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Reads the card of `profile` through the in-process reader, with every log line
/// (TRACE and up) of this thread captured; returns the reading and the log.
fn read_logged(profile: Profile) -> (Reading, String) {
    let face = profile.printed_face();
    let card = VirtualCard::new(profile).expect("card builds");
    let (mut reader, handle) = kaonin_hal::mock::MockReader::new("mock");
    handle.insert(Box::new(card));
    let sink = Sink::default();
    let writer = sink.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let reading = tracing::subscriber::with_default(subscriber, || {
        reader.connect().expect("connect");
        let reading = card::read_card(
            &mut reader,
            Some(&face),
            &mut kaonin::sim::vcard::trusting_guard(3),
            "sid".into(),
            SystemTime::now(),
        )
        .expect("card reads");
        tracing::info!(?reading, "reading done");
        reading
    });
    let log = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
    (reading, log)
}

/// How far the drawn name box is from the chip image scaled into it: mean absolute
/// difference of the grey levels, 0–255.
fn distance_to(fb: &Framebuffer, image: Rect, name: &NameImage) -> f64 {
    let mut total = 0u64;
    for y in 0..image.h {
        for x in 0..image.w {
            let expected = i64::from(name_sample(name, image, x, y));
            let p = fb
                .pixel((image.x + x) as u32, (image.y + y) as u32)
                .unwrap();
            // Ink is drawn in the text colour over white: map back to 0–255 grey.
            let drawn = i64::from(p.g());
            let ink_expected = 255 - (255 - expected) * (255 - i64::from(palette::TEXT.g())) / 255;
            total += (drawn - ink_expected).unsigned_abs();
        }
    }
    total as f64 / f64::from((image.w * image.h).max(1) as u32)
}

#[test]
fn the_consent_screen_shows_the_name_image_read_from_the_chip() {
    let (reading, log) = read_logged(profile("alice"));
    assert_eq!(reading.facts.photo, PhotoStatus::Available);
    let name = reading
        .name_image
        .as_ref()
        .expect("the chip gave a name image");
    assert!(name.width() > 2 * name.height(), "a one-line name");
    let ink = name.pixels().iter().filter(|&&g| g < 128).count();
    assert!(ink > 200, "the name image has ink: {ink}");

    let ui = Ui::new(800, 480, UiOptions::default()).unwrap();
    for lang in Lang::ALL {
        let consent = samples::sample(ScreenId::Consent, lang);
        let scene = ui.scene_with_name(&consent, Some((name.width(), name.height())));
        let (_, image) = scene.name_image().expect("consent has a name box");
        let mut fb = Framebuffer::new(800, 480);
        let extras = Extras {
            preview: None,
            name: Some(name),
            photo: None,
        };
        ui.render_with(&consent, extras, &mut fb);
        // The box shows the chip's image, scaled.
        let own = distance_to(&fb, image, name);
        assert!(
            own < 2.0,
            "{lang:?}: drawn name differs from the chip image by {own:.1}"
        );
        // ... and not some other name: bob's chip image drawn into the same box.
        let (bob, _) = read_logged(profile("bob-pinless"));
        let bob = bob.name_image.expect("bob's name image");
        let other = distance_to(&fb, image, &bob);
        assert!(
            other > own + 10.0,
            "{lang:?}: alice {own:.1} vs bob {other:.1}"
        );
        // Without a name image there is no name box, and nothing is drawn there.
        let mut without = Framebuffer::new(800, 480);
        ui.render(&consent, &mut without);
        assert!(ui.scene(&consent).name_image().is_none());
        let blank = (image.y..image.bottom())
            .flat_map(|y| (image.x..image.right()).map(move |x| (x, y)))
            .filter(|&(x, y)| fb.pixel(x as u32, y as u32) != without.pixel(x as u32, y as u32))
            .count();
        assert!(
            blank > 200,
            "{lang:?}: the name image changed only {blank} pixels"
        );
    }

    // The log of the read is there, and holds neither the name nor its parts.
    assert!(log.contains("card classified"), "log not captured: {log}");
    assert!(
        log.contains("NameImage("),
        "the reading's Debug was logged: {log}"
    );
    for part in ["試験", "花子", "試験　花子"] {
        assert!(!log.contains(part), "the name appears in the log");
    }
}

#[test]
fn a_profile_can_give_its_own_name_png_and_a_broken_one_shows_no_name() {
    let dir = tempfile::tempdir().unwrap();
    // A 40×10 PNG, left half ink, right half paper.
    let (w, h) = (40u32, 10u32);
    let pixels: Vec<u8> = (0..w * h)
        .map(|i| if i % w < w / 2 { 0 } else { 255 })
        .collect();
    let png_path = dir.path().join("name.png");
    image::save_buffer(&png_path, &pixels, w, h, image::ExtendedColorType::L8).unwrap();
    let mut p = profile("alice");
    p.holder.name_image = Some(png_path);
    let (reading, _) = read_logged(p);
    let name = reading.name_image.expect("name image");
    assert_eq!((name.width(), name.height()), (w, h));
    assert_eq!(name.pixels(), &pixels[..]);

    // Not a PNG: the reception goes on (photo available), without a name.
    let bad_path = dir.path().join("bad.png");
    std::fs::write(&bad_path, b"not a png at all").unwrap();
    let mut p = profile("alice");
    p.holder.name_image = Some(bad_path);
    let (reading, log) = read_logged(p);
    assert_eq!(reading.facts.photo, PhotoStatus::Available);
    assert!(reading.name_image.is_none());
    assert!(log.contains("name image (DF25) unusable"));
}
