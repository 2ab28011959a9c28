//! V4L2 camera (`/dev/videoN`): MJPEG or YUYV frames, 640×480 by default, converted to
//! RGB [`Frame`]s.
//!
//! The pixel conversions ([`yuyv_to_rgb`], [`mjpeg_to_rgb`]) are plain code, always
//! built and tested on synthetic buffers. The device itself is behind the cargo feature
//! `v4l2`, which uses the `v4l` crate; its bindings are generated with bindgen at build
//! time, so that feature needs `apt-get install libclang-dev` (and Linux headers).
//!
//! Privacy: converted frames are wiped on drop (the `Frame` type does this) and the
//! intermediate decode buffers are wiped here. The kernel's mmap capture buffers are
//! reused by the driver for the next frames; kaonin never copies them anywhere else.

use zeroize::Zeroize;

/// Why a raw camera buffer could not be turned into RGB.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConvertError {
    /// The buffer is shorter than the frame size requires.
    #[error("frame buffer of {got} bytes, {need} needed for {width}x{height}")]
    Short {
        got: usize,
        need: usize,
        width: u32,
        height: u32,
    },
    /// YUYV needs an even width.
    #[error("YUYV frame width {0} is odd")]
    OddWidth(u32),
    /// The MJPEG frame did not decode.
    #[error("MJPEG frame: {0}")]
    Jpeg(String),
    /// The MJPEG frame has another size than negotiated.
    #[error("MJPEG frame is {got_w}x{got_h}, expected {width}x{height}")]
    Size {
        got_w: u32,
        got_h: u32,
        width: u32,
        height: u32,
    },
}

/// Converts packed YUYV 4:2:2 (Y0 U Y1 V, BT.601 limited range) to RGB.
/// `stride` is the bytes per line (at least `2 * width`; drivers may pad).
pub fn yuyv_to_rgb(
    width: u32,
    height: u32,
    stride: usize,
    data: &[u8],
) -> Result<Vec<u8>, ConvertError> {
    if width % 2 != 0 {
        return Err(ConvertError::OddWidth(width));
    }
    let (w, h) = (width as usize, height as usize);
    let stride = stride.max(2 * w);
    let need = stride * h.saturating_sub(1) + 2 * w;
    if h == 0 || data.len() < need {
        return Err(ConvertError::Short {
            got: data.len(),
            need,
            width,
            height,
        });
    }
    let mut out = vec![0u8; w * h * 3];
    for (y, row) in out.chunks_exact_mut(w * 3).enumerate() {
        let src = &data[y * stride..y * stride + 2 * w];
        for (quad, px) in src.chunks_exact(4).zip(row.chunks_exact_mut(6)) {
            let (y0, u, y1, v) = (quad[0], quad[1], quad[2], quad[3]);
            px[..3].copy_from_slice(&ycbcr_to_rgb(y0, u, v));
            px[3..].copy_from_slice(&ycbcr_to_rgb(y1, u, v));
        }
    }
    Ok(out)
}

/// BT.601 limited-range YCbCr → RGB, in integer arithmetic.
fn ycbcr_to_rgb(y: u8, u: u8, v: u8) -> [u8; 3] {
    let c = (i32::from(y) - 16).max(0) * 298;
    let d = i32::from(u) - 128;
    let e = i32::from(v) - 128;
    let clamp = |x: i32| ((x + 128) >> 8).clamp(0, 255) as u8;
    [
        clamp(c + 409 * e),
        clamp(c - 100 * d - 208 * e),
        clamp(c + 516 * d),
    ]
}

/// Decodes one MJPEG frame (a JPEG image; UVC cameras may omit the Huffman tables,
/// which the decoder then takes from the JPEG standard) to RGB of the expected size.
pub fn mjpeg_to_rgb(width: u32, height: u32, data: &[u8]) -> Result<Vec<u8>, ConvertError> {
    let data = with_standard_huffman_tables(data);
    let decoded = image::load_from_memory_with_format(&data, image::ImageFormat::Jpeg)
        .map_err(|e| ConvertError::Jpeg(e.to_string()))?;
    let mut rgb = decoded.to_rgb8();
    drop(decoded);
    if rgb.dimensions() != (width, height) {
        let (got_w, got_h) = rgb.dimensions();
        rgb.as_mut().zeroize();
        return Err(ConvertError::Size {
            got_w,
            got_h,
            width,
            height,
        });
    }
    Ok(rgb.into_raw())
}

/// The Huffman tables of the JPEG standard (ITU T.81 Annex K.3), as one DHT segment:
/// luminance DC, chrominance DC, luminance AC, chrominance AC. UVC cameras send
/// MJPEG frames without a DHT and expect the decoder to use these.
fn standard_dht() -> Vec<u8> {
    const LUMA_DC_BITS: [u8; 16] = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0];
    const CHROMA_DC_BITS: [u8; 16] = [0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0];
    const LUMA_AC_BITS: [u8; 16] = [0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7d];
    const CHROMA_AC_BITS: [u8; 16] = [0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77];
    const LUMA_AC: [u8; 162] = [
        0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61,
        0x07, 0x22, 0x71, 0x14, 0x32, 0x81, 0x91, 0xa1, 0x08, 0x23, 0x42, 0xb1, 0xc1, 0x15, 0x52,
        0xd1, 0xf0, 0x24, 0x33, 0x62, 0x72, 0x82, 0x09, 0x0a, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x25,
        0x26, 0x27, 0x28, 0x29, 0x2a, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45,
        0x46, 0x47, 0x48, 0x49, 0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63, 0x64,
        0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x83,
        0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99,
        0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6,
        0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3,
        0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe1, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8,
        0xe9, 0xea, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa,
    ];
    const CHROMA_AC: [u8; 162] = [
        0x00, 0x01, 0x02, 0x03, 0x11, 0x04, 0x05, 0x21, 0x31, 0x06, 0x12, 0x41, 0x51, 0x07, 0x61,
        0x71, 0x13, 0x22, 0x32, 0x81, 0x08, 0x14, 0x42, 0x91, 0xa1, 0xb1, 0xc1, 0x09, 0x23, 0x33,
        0x52, 0xf0, 0x15, 0x62, 0x72, 0xd1, 0x0a, 0x16, 0x24, 0x34, 0xe1, 0x25, 0xf1, 0x17, 0x18,
        0x19, 0x1a, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44,
        0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63,
        0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a,
        0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97,
        0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4,
        0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca,
        0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7,
        0xe8, 0xe9, 0xea, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa,
    ];
    let dc_values: Vec<u8> = (0..12).collect();
    let tables: [(u8, &[u8; 16], &[u8]); 4] = [
        (0x00, &LUMA_DC_BITS, &dc_values),
        (0x01, &CHROMA_DC_BITS, &dc_values),
        (0x10, &LUMA_AC_BITS, &LUMA_AC),
        (0x11, &CHROMA_AC_BITS, &CHROMA_AC),
    ];
    let mut body = Vec::new();
    for (class_id, bits, values) in tables {
        body.push(class_id);
        body.extend_from_slice(bits);
        body.extend_from_slice(values);
    }
    let len = (body.len() + 2) as u16;
    let mut segment = vec![0xFF, 0xC4];
    segment.extend_from_slice(&len.to_be_bytes());
    segment.extend_from_slice(&body);
    segment
}

/// `data` with the standard Huffman tables inserted before the scan if the frame
/// has none of its own (borrowed unchanged otherwise, or if it is not a JPEG).
fn with_standard_huffman_tables(data: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    use std::borrow::Cow;
    if data.get(..2) != Some(&[0xFF, 0xD8]) {
        return Cow::Borrowed(data);
    }
    let mut i = 2;
    while i + 4 <= data.len() {
        if data[i] != 0xFF {
            return Cow::Borrowed(data);
        }
        match data[i + 1] {
            0xC4 => return Cow::Borrowed(data),
            0xDA => {
                let mut fixed = Vec::with_capacity(data.len() + 432);
                fixed.extend_from_slice(&data[..i]);
                fixed.extend_from_slice(&standard_dht());
                fixed.extend_from_slice(&data[i..]);
                return Cow::Owned(fixed);
            }
            _ => {
                let len = usize::from(data[i + 2]) << 8 | usize::from(data[i + 3]);
                i += 2 + len;
            }
        }
    }
    Cow::Borrowed(data)
}

#[cfg(feature = "v4l2")]
pub use device::{V4l2Camera, V4l2Error};

#[cfg(feature = "v4l2")]
mod device {
    use super::{mjpeg_to_rgb, yuyv_to_rgb, ConvertError};
    use kaonin_hal::camera::{Camera, Error, ErrorKind, Frame, PixelFormat};
    use std::path::Path;
    use std::time::Duration;
    use v4l::buffer::Type;
    use v4l::io::mmap::Stream;
    use v4l::io::traits::CaptureStream;
    use v4l::video::Capture;
    use v4l::{Device, FourCC};

    /// A V4L2 capture failure.
    #[derive(Debug, thiserror::Error)]
    pub enum V4l2Error {
        /// Opening or configuring the device failed.
        #[error("camera {device}: {source}")]
        Device {
            device: String,
            source: std::io::Error,
        },
        /// The device offers neither MJPEG nor YUYV at any size.
        #[error("camera {0}: neither MJPEG nor YUYV is offered")]
        NoFormat(String),
        /// Dequeuing a frame failed or timed out.
        #[error("camera capture: {0}")]
        Capture(std::io::Error),
        /// The frame could not be converted.
        #[error("camera frame: {0}")]
        Convert(#[from] ConvertError),
    }

    impl Error for V4l2Error {
        fn kind(&self) -> ErrorKind {
            match self {
                V4l2Error::Device { source, .. }
                    if source.kind() == std::io::ErrorKind::NotFound =>
                {
                    ErrorKind::NotConnected
                }
                V4l2Error::Device { .. } | V4l2Error::NoFormat(_) => ErrorKind::Other,
                V4l2Error::Capture(e) if e.kind() == std::io::ErrorKind::TimedOut => {
                    ErrorKind::Timeout
                }
                V4l2Error::Capture(_) => ErrorKind::NoFrame,
                V4l2Error::Convert(_) => ErrorKind::Format,
            }
        }
    }

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Wire {
        Mjpeg,
        Yuyv { stride: usize },
    }

    /// A V4L2 webcam streaming through mmap buffers.
    pub struct V4l2Camera {
        // Field order matters: the stream must drop before the device.
        stream: Stream<'static>,
        _device: Device,
        width: u32,
        height: u32,
        wire: Wire,
    }

    impl V4l2Camera {
        /// Opens `path` and negotiates MJPEG (preferred) or YUYV at `width`×`height`.
        pub fn open(path: &Path, width: u32, height: u32) -> Result<V4l2Camera, V4l2Error> {
            let name = path.display().to_string();
            let dev_err = |source| V4l2Error::Device {
                device: name.clone(),
                source,
            };
            let device = Device::with_path(path).map_err(dev_err)?;
            let mut chosen = None;
            for (fourcc, wire) in [(b"MJPG", Wire::Mjpeg), (b"YUYV", Wire::Yuyv { stride: 0 })] {
                let mut fmt = device.format().map_err(dev_err)?;
                fmt.width = width;
                fmt.height = height;
                fmt.fourcc = FourCC::new(fourcc);
                let got = device.set_format(&fmt).map_err(dev_err)?;
                if got.fourcc == FourCC::new(fourcc) {
                    let wire = match wire {
                        Wire::Yuyv { .. } => Wire::Yuyv {
                            stride: got.stride as usize,
                        },
                        w => w,
                    };
                    chosen = Some((got.width, got.height, wire));
                    break;
                }
            }
            let (width, height, wire) = chosen.ok_or_else(|| V4l2Error::NoFormat(name.clone()))?;
            let mut stream =
                Stream::with_buffers(&device, Type::VideoCapture, 4).map_err(dev_err)?;
            stream.set_timeout(Duration::from_secs(2));
            tracing::info!(device = %name, width, height, format = ?wire, "camera opened");
            Ok(V4l2Camera {
                stream,
                _device: device,
                width,
                height,
                wire,
            })
        }
    }

    impl Camera for V4l2Camera {
        type Error = V4l2Error;

        fn capture(&mut self) -> Result<Frame, V4l2Error> {
            let (buf, meta) = self.stream.next().map_err(V4l2Error::Capture)?;
            let used = (meta.bytesused as usize).min(buf.len());
            let data = &buf[..if used == 0 { buf.len() } else { used }];
            let rgb = match self.wire {
                Wire::Mjpeg => mjpeg_to_rgb(self.width, self.height, data)?,
                Wire::Yuyv { stride } => yuyv_to_rgb(self.width, self.height, stride, data)?,
            };
            Frame::new(self.width, self.height, PixelFormat::Rgb8, rgb).ok_or(V4l2Error::Convert(
                ConvertError::Short {
                    got: 0,
                    need: 0,
                    width: self.width,
                    height: self.height,
                },
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yuyv_grey_white_black() {
        // Two pixels per quad: (Y=16 black, Y=235 white) with neutral chroma.
        let rgb = yuyv_to_rgb(2, 1, 4, &[16, 128, 235, 128]).unwrap();
        assert_eq!(rgb, vec![0, 0, 0, 255, 255, 255]);
        let rgb = yuyv_to_rgb(2, 1, 4, &[126, 128, 126, 128]).unwrap();
        assert!(rgb.iter().all(|&c| (127..=129).contains(&c)), "{rgb:?}");
    }

    #[test]
    fn yuyv_red_has_red() {
        // BT.601 limited-range pure red: Y=81, Cb=90, Cr=240.
        let rgb = yuyv_to_rgb(2, 1, 4, &[81, 90, 81, 240]).unwrap();
        assert!(rgb[0] > 250 && rgb[1] < 5 && rgb[2] < 5, "{rgb:?}");
    }

    #[test]
    fn yuyv_honours_stride_and_checks_size() {
        let mut data = vec![0u8; 2 * 8];
        data[8..12].copy_from_slice(&[235, 128, 235, 128]); // second row after padding
        let rgb = yuyv_to_rgb(2, 2, 8, &data).unwrap();
        assert_eq!(&rgb[6..], &[255; 6]);
        assert!(matches!(
            yuyv_to_rgb(2, 2, 8, &data[..10]),
            Err(ConvertError::Short { .. })
        ));
        assert_eq!(
            yuyv_to_rgb(3, 1, 6, &[0; 6]),
            Err(ConvertError::OddWidth(3))
        );
    }

    fn test_jpeg(w: u32, h: u32) -> Vec<u8> {
        let img =
            image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x * 8) as u8, (y * 8) as u8, 128]));
        let mut out = std::io::Cursor::new(Vec::new());
        image::DynamicImage::ImageRgb8(img)
            .write_to(&mut out, image::ImageFormat::Jpeg)
            .unwrap();
        out.into_inner()
    }

    #[test]
    fn mjpeg_decodes_and_checks_size() {
        let jpeg = test_jpeg(32, 16);
        let rgb = mjpeg_to_rgb(32, 16, &jpeg).unwrap();
        assert_eq!(rgb.len(), 32 * 16 * 3);
        assert!(rgb[(8 * 32 + 16) * 3] > 100, "gradient survives");
        assert!(matches!(
            mjpeg_to_rgb(16, 16, &jpeg),
            Err(ConvertError::Size { .. })
        ));
        assert!(matches!(
            mjpeg_to_rgb(32, 16, b"\xff\xd8junk"),
            Err(ConvertError::Jpeg(_))
        ));
    }

    /// Removes every DHT segment (FF C4), as UVC cameras do for MJPEG.
    fn strip_huffman_tables(jpeg: &[u8]) -> Vec<u8> {
        let mut out = jpeg[..2].to_vec();
        let mut i = 2;
        while i + 4 <= jpeg.len() && jpeg[i] == 0xFF {
            let marker = jpeg[i + 1];
            let len = usize::from(jpeg[i + 2]) << 8 | usize::from(jpeg[i + 3]);
            if marker == 0xDA {
                out.extend_from_slice(&jpeg[i..]);
                return out;
            }
            if marker != 0xC4 {
                out.extend_from_slice(&jpeg[i..i + 2 + len]);
            }
            i += 2 + len;
        }
        out
    }

    #[test]
    fn mjpeg_without_huffman_tables_decodes() {
        let jpeg = test_jpeg(32, 16);
        let stripped = strip_huffman_tables(&jpeg);
        assert!(stripped.len() < jpeg.len(), "DHT segments were removed");
        assert!(!stripped
            .windows(2)
            .take_while(|w| w != &[0xFF, 0xDA])
            .any(|w| w == [0xFF, 0xC4]));
        match mjpeg_to_rgb(32, 16, &stripped) {
            // The standard tables decode exactly what the encoder's own tables did.
            Ok(rgb) => assert_eq!(rgb, mjpeg_to_rgb(32, 16, &jpeg).unwrap()),
            Err(e) => panic!("UVC-style MJPEG without DHT should decode: {e}"),
        }
    }
}
