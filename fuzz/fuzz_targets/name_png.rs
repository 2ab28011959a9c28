//! The holder's name image (券面AP DF25): a PNG from the card.
#![no_main]

use kaonin::card::kenmen::NameImage;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(image) = NameImage::from_png(data) {
        let (w, h) = (image.width(), image.height());
        assert_eq!(image.pixels().len() as u64, u64::from(w) * u64::from(h));
        let _ = image.gray(w - 1, h - 1);
        let _ = image.gray(w, h);
    }
});
