//! The name image through a real pcscd: `kaonin vcard` (in a thread) attached to
//! vpcd, read with the PC/SC driver, drawn on the consent screen.
//!
//! Needs a private pcscd with the vpcd driver:
//! `scripts/with-pcscd.sh cargo test --features pcsc --test ui_name_pcscd -- --ignored`.
//! Uses the vpcd slot "Virtual PCD 00 00" like `card_pcscd` (test binaries run one
//! after another); waits on reader events, never on sleeps.

// Uses the simulators (cargo feature `sim`, on by default).
#![cfg(feature = "sim")]
#![cfg(feature = "pcsc")]

mod card_support;

use card_support::{profile, Vcard};
use kaonin::card::{self, NameImage};
use kaonin::flow::{Lang, PhotoStatus, ScreenId};
use kaonin::ui::{samples, Extras, Ui, UiOptions};
use kaonin_drivers::pcsc::PcscReader;
use kaonin_hal::card::{CardReader, Presence};
use kaonin_hal::display::Framebuffer;
use std::time::{Duration, Instant, SystemTime};

const READER: &str = "Virtual PCD 00 00";
const VPCD: &str = "127.0.0.1:35963";

fn wait_for(reader: &mut PcscReader, present: bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(!left.is_zero(), "reader never reported present={present}");
        match reader.wait_change(left).expect("wait_change") {
            Some(Presence::Present { .. }) if present => return,
            Some(Presence::Absent) if !present => return,
            _ => {}
        }
    }
}

#[test]
#[ignore = "needs pcscd: run scripts/with-pcscd.sh cargo test --features pcsc -- --ignored"]
fn the_name_image_read_through_pcscd_is_the_one_the_card_drew() {
    let p = profile("alice.toml");
    let face = p.printed_face();
    let drawn = kaonin::sim::vcard::name_image::name_png(&p.holder.name).unwrap();
    let expected = NameImage::from_png(&drawn).unwrap();
    let mut reader = PcscReader::new(READER);
    wait_for(&mut reader, false);
    let vcard = Vcard::start(p, VPCD);
    vcard.send("insert");
    wait_for(&mut reader, true);
    reader.connect().expect("connect");
    let reading = card::read_card(
        &mut reader,
        Some(&face),
        &mut kaonin::sim::vcard::trusting_guard(3),
        "sid".into(),
        SystemTime::now(),
    )
    .expect("read");
    assert_eq!(reading.facts.photo, PhotoStatus::Available);
    let name = reading.name_image.expect("name image");
    assert_eq!(
        name, expected,
        "the image differs from the one the card drew"
    );
    assert_eq!(
        vcard.counters().kenmen_verifies,
        1,
        "one 照合番号B VERIFY for both"
    );

    // On the consent screen: ink inside the name box, where the layout put it.
    let ui = Ui::new(800, 480, UiOptions::default()).unwrap();
    let consent = samples::sample(ScreenId::Consent, Lang::Ja);
    let (_, image) = ui
        .scene_with_name(&consent, Some((name.width(), name.height())))
        .name_image()
        .unwrap();
    let mut fb = Framebuffer::new(800, 480);
    let extras = Extras {
        preview: None,
        name: Some(&name),
        photo: None,
    };
    ui.render_with(&consent, extras, &mut fb);
    use embedded_graphics::pixelcolor::RgbColor;
    let ink = (image.y..image.bottom())
        .flat_map(|y| (image.x..image.right()).map(move |x| (x, y)))
        .filter(|&(x, y)| fb.pixel(x as u32, y as u32).is_some_and(|p| p.g() < 100))
        .count();
    assert!(ink > 100, "only {ink} ink pixels in the name box");

    reader.disconnect().expect("disconnect");
    vcard.send("remove");
    wait_for(&mut reader, false);
}
