//! Decoding the card's face photo (券面AP): a small greyscale JPEG 2000 image, either a
//! JP2 file or a raw codestream, decoded in pure Rust with `hayro-jpeg2000`.
//!
//! Colour photos are reduced to luma. The decoded pixels never leave memory.

use super::gray::{luma, GrayImage};
use super::FaceError;
use hayro_jpeg2000::{ColorSpace, DecodeSettings, DecoderContext, Image};
use zeroize::Zeroizing;

/// Largest side accepted for a chip photo: the card holds about 2 KB, so anything
/// huge is not a chip photo (and would cost memory).
pub const MAX_CHIP_SIDE: u32 = 2048;

/// Decodes a chip photo (JP2 or raw J2K codestream) to greyscale.
pub fn decode_chip_photo(jp2: &[u8]) -> Result<GrayImage, FaceError> {
    // The decoder is memory-safe, but a malformed photo must not take the daemon
    // down even if it panics somewhere deep inside: turn that into an error.
    std::panic::catch_unwind(|| decode(jp2))
        .unwrap_or_else(|_| Err(FaceError::Chip("decoder failed on malformed data".into())))
}

fn decode(jp2: &[u8]) -> Result<GrayImage, FaceError> {
    let bad = |e: &dyn core::fmt::Debug| FaceError::Chip(format!("{e:?}"));
    let image = Image::new(jp2, &DecodeSettings::default()).map_err(|e| bad(&e))?;
    let (w, h) = (image.width(), image.height());
    if w == 0 || h == 0 || w > MAX_CHIP_SIDE || h > MAX_CHIP_SIDE {
        return Err(FaceError::Chip(format!("implausible photo size {w}x{h}")));
    }
    let channels = image.color_space().num_channels() as usize + usize::from(image.has_alpha());
    let gray_like = matches!(image.color_space(), ColorSpace::Gray);
    let mut ctx = DecoderContext::default();
    let decoded = image.decode(&mut ctx).map_err(|e| bad(&e))?;
    let data = Zeroizing::new(decoded.data_u8());
    let n = w as usize * h as usize;
    if data.len() != n * channels {
        return Err(FaceError::Chip(format!(
            "decoded {} bytes for {w}x{h}x{channels}",
            data.len()
        )));
    }
    let pixels: Vec<u8> = if gray_like || channels < 3 {
        data.chunks_exact(channels).map(|p| p[0]).collect()
    } else {
        data.chunks_exact(channels).map(luma).collect()
    };
    GrayImage::new(w, h, pixels).ok_or_else(|| FaceError::Chip("empty photo".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asset(name: &str) -> Vec<u8> {
        std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/faces/").to_owned() + name)
            .unwrap()
    }

    #[test]
    fn decodes_the_synthetic_chip_photo() {
        let img = decode_chip_photo(&asset("alice-chip.jp2")).unwrap();
        assert_eq!((img.width(), img.height()), (120, 160));
        let (mean, std) = img.mean_and_std();
        assert!(mean > 60.0 && std > 10.0, "mean {mean} std {std}");
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(matches!(
            decode_chip_photo(b"not a photo"),
            Err(FaceError::Chip(_))
        ));
        assert!(decode_chip_photo(&[]).is_err());
    }

    #[test]
    fn truncated_photo_is_an_error_not_a_panic() {
        let data = asset("bob-chip.jp2");
        for cut in [12, 40, 100, data.len() / 2] {
            // Either a clean error or (for a tolerant decoder) an image: never a panic.
            let _ = decode_chip_photo(&data[..cut]);
        }
        assert!(decode_chip_photo(&data[..12]).is_err());
    }
}
