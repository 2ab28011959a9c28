//! The chip photo (券面AP DF27): JPEG 2000 (JP2 or raw codestream), decoded as the
//! daemon does before the face match.
#![no_main]

use kaonin::face::{decode_chip_photo, MAX_CHIP_SIDE};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(image) = decode_chip_photo(data) {
        assert!(image.width() > 0 && image.width() <= MAX_CHIP_SIDE);
        assert!(image.height() > 0 && image.height() <= MAX_CHIP_SIDE);
    }
});
