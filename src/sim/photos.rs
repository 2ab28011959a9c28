//! Simulated photos of a face: the chip photo a card would hold (passport framing,
//! greyscale, chip-sized JPEG 2000) and the frame a counter camera would see, made
//! from any face image. Used by `kaonin face-eval --chip-a`/`--chip-in`, the tests
//! and the benchmarks.
//!
//! JPEG 2000 *encoding* has no pure-Rust implementation: the chip simulation runs
//! OpenJPEG's `opj_compress` (Debian package `libopenjp2-tools`) on a greyscale file in
//! a private temporary directory that is deleted at once. This is the only place where
//! kaonin puts a face on disk, and only for evaluation data the operator supplied.

use crate::face::{choose_patient, Detection, FaceError, GrayImage, OnnxMatcher, Rect, RgbImage};
use std::path::Path;
use zeroize::Zeroizing;

/// Face `index` counted from the left, or the patient (largest centred) face.
pub fn pick_face<'a>(
    faces: &'a [Detection],
    index: Option<usize>,
    image: &RgbImage,
) -> Option<&'a Detection> {
    match index {
        Some(k) => {
            let mut order: Vec<&Detection> = faces.iter().collect();
            order.sort_by(|a, b| a.bbox.x.total_cmp(&b.bbox.x));
            order.get(k).copied()
        }
        None => choose_patient(faces, image.width(), image.height()).and_then(|i| faces.get(i)),
    }
}

/// A chip-style JPEG 2000 photo of the (largest centred) face in `image`: passport
/// framing, greyscale, `w`×`h`, about `bytes` long. Without a matcher the whole image
/// is used.
pub fn simulate_chip(
    image: &RgbImage,
    matcher: Option<&OnnxMatcher>,
    w: u32,
    h: u32,
    bytes: usize,
) -> Result<Vec<u8>, FaceError> {
    let crop = match matcher {
        Some(m) => {
            let faces = m.detect(image)?;
            let face = pick_face(&faces, None, image)
                .ok_or_else(|| FaceError::Input("no face in the image".into()))?;
            chip_crop(image, face, w, h)
        }
        None => whole_image_gray(image, w, h),
    };
    encode_jp2(&crop, bytes)
}

/// What a `w`×`h` counter camera sees of the largest face in a photo: the face about a
/// third of the frame wide, centred, in colour (outside the photo: mid grey). For
/// tests and benchmarks that need camera frames of a known person.
pub fn simulate_counter(
    matcher: &OnnxMatcher,
    image: &RgbImage,
    w: u32,
    h: u32,
) -> Result<RgbImage, FaceError> {
    let faces = matcher.detect(image)?;
    let face = faces
        .iter()
        .max_by(|a, b| a.area().total_cmp(&b.area()))
        .ok_or_else(|| FaceError::Input("no face in the image".into()))?;
    let (cx, cy) = (
        face.bbox.x + face.bbox.w / 2.0,
        face.bbox.y + face.bbox.h / 2.0,
    );
    let fw = face.bbox.w * 3.0;
    let fh = fw * h as f32 / w as f32;
    let mut px = Vec::with_capacity(w as usize * h as usize * 3);
    for v in 0..h {
        for u in 0..w {
            let x = cx - fw / 2.0 + (u as f32 + 0.5) * fw / w as f32 - 0.5;
            let y = cy - fh / 2.0 + (v as f32 + 0.5) * fh / h as f32 - 0.5;
            let p = image.sample(x, y, [128.0; 3]);
            px.extend(p.iter().map(|c| c.round().clamp(0.0, 255.0) as u8));
        }
    }
    RgbImage::new(w, h, px).ok_or_else(|| FaceError::Input("empty counter frame".into()))
}

/// Passport-style framing around a face: eyes at 45 % of the height, the photo about
/// 4.6 eye distances tall, greyscale, resampled to `w`×`h`.
pub fn chip_crop(image: &RgbImage, face: &Detection, w: u32, h: u32) -> GrayImage {
    let [le, re, ..] = face.landmarks;
    let d = face.eye_distance().max(4.0);
    let ch = 4.6 * d;
    let cw = ch * w as f32 / h as f32;
    let cx = (le[0] + re[0]) / 2.0;
    let top = (le[1] + re[1]) / 2.0 - 0.45 * ch;
    let gray = image.to_gray();
    let rect = Rect {
        x: cx - cw / 2.0,
        y: top,
        w: cw,
        h: ch,
    };
    let px = gray.resample(rect, w, h);
    GrayImage::new(
        w,
        h,
        px.iter()
            .map(|v| v.round().clamp(0.0, 255.0) as u8)
            .collect(),
    )
    .unwrap_or_else(|| whole_image_gray(image, w, h))
}

fn whole_image_gray(image: &RgbImage, w: u32, h: u32) -> GrayImage {
    let gray = image.to_gray();
    let rect = Rect {
        x: 0.0,
        y: 0.0,
        w: gray.width() as f32,
        h: gray.height() as f32,
    };
    let px = gray.resample(rect, w, h);
    GrayImage::new(
        w,
        h,
        px.iter()
            .map(|v| v.round().clamp(0.0, 255.0) as u8)
            .collect(),
    )
    .expect("size matches")
}

/// Encodes a greyscale image as JP2 of about `bytes` bytes with `opj_compress`.
pub fn encode_jp2(image: &GrayImage, bytes: usize) -> Result<Vec<u8>, FaceError> {
    let dir = tempfile::Builder::new()
        .prefix("kaonin-chip-")
        .tempdir()
        .map_err(|e| FaceError::Input(format!("temporary directory: {e}")))?;
    let pgm = dir.path().join("face.pgm");
    let jp2 = dir.path().join("chip.jp2");
    let mut data =
        Zeroizing::new(format!("P5\n{} {}\n255\n", image.width(), image.height()).into_bytes());
    data.extend_from_slice(image.pixels());
    std::fs::write(&pgm, &*data).map_err(|e| file_err(&pgm, e.to_string()))?;
    let raw = image.pixels().len() as f32;
    let ratio = (raw / bytes.max(200) as f32).max(1.0);
    let out = std::process::Command::new("opj_compress")
        .arg("-i")
        .arg(&pgm)
        .arg("-o")
        .arg(&jp2)
        .arg("-r")
        .arg(format!("{ratio:.2}"))
        .output()
        .map_err(|e| {
            FaceError::Unavailable(format!(
                "opj_compress could not run ({e}): install Debian package libopenjp2-tools"
            ))
        })?;
    let _ = std::fs::remove_file(&pgm);
    if !out.status.success() {
        return Err(FaceError::Inference(format!(
            "opj_compress failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    let encoded = std::fs::read(&jp2).map_err(|e| file_err(&jp2, e.to_string()))?;
    let _ = std::fs::remove_file(&jp2);
    Ok(encoded)
}

/// A file error naming the path.
pub fn file_err(path: &Path, reason: String) -> FaceError {
    FaceError::File {
        path: path.to_owned(),
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::face::decode_chip_photo;

    #[test]
    fn chip_encoding_round_trips_near_the_target_size() {
        let px: Vec<u8> = (0..150 * 200).map(|i| ((i * 7) % 251) as u8).collect();
        let img = GrayImage::new(150, 200, px).unwrap();
        let jp2 = encode_jp2(&img, 1900).unwrap();
        assert!(jp2.len() < 2600 && jp2.len() > 800, "{} bytes", jp2.len());
        let back = decode_chip_photo(&jp2).unwrap();
        assert_eq!((back.width(), back.height()), (150, 200));
    }
}
