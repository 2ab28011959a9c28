//! A Linux framebuffer panel (`/dev/fbN`) in RGB565 or XRGB8888.
//!
//! The geometry comes from sysfs (`/sys/class/graphics/fbN/{virtual_size,
//! bits_per_pixel,stride}`, and `modes` for the visible size when present), so no
//! ioctl and no `unsafe` is needed. Each presented frame is converted to the
//! panel's pixel format row by row (honouring the stride) and written to the device
//! file at offset 0.

#![forbid(unsafe_code)]

use embedded_graphics_core::geometry::Size;
use embedded_graphics_core::pixelcolor::{Rgb888, RgbColor};
use kaonin_hal::display::{self, Display, ErrorKind, Framebuffer, ScreenShown};
use std::fs::{File, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Why the framebuffer could not be opened or written.
#[derive(Debug, thiserror::Error)]
pub enum FbError {
    /// The device file could not be opened.
    #[error("opening {path}: {source}")]
    Open {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A sysfs attribute is missing or unreadable.
    #[error("reading {path}: {reason}")]
    Geometry { path: PathBuf, reason: String },
    /// The panel uses a pixel format other than RGB565 / XRGB8888.
    #[error("unsupported pixel format: {bits} bits per pixel")]
    UnsupportedFormat { bits: u32 },
    /// The frame does not have the panel's size.
    #[error("frame is {got_w}x{got_h}, the panel is {width}x{height}")]
    Size {
        width: u32,
        height: u32,
        got_w: u32,
        got_h: u32,
    },
    /// Writing the frame failed.
    #[error("writing the frame: {0}")]
    Write(std::io::Error),
}

impl display::Error for FbError {
    fn kind(&self) -> ErrorKind {
        match self {
            FbError::Open { .. } | FbError::Geometry { .. } => ErrorKind::NotConnected,
            FbError::UnsupportedFormat { .. } | FbError::Size { .. } => ErrorKind::Format,
            FbError::Write(_) => ErrorKind::Io,
        }
    }
}

/// How pixels are stored in the framebuffer memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PixelLayout {
    /// 16 bits, little-endian, `RRRRRGGG GGGBBBBB`.
    Rgb565,
    /// 32 bits, little-endian: bytes B, G, R, X.
    Xrgb8888,
}

impl PixelLayout {
    /// The layout for a bit depth.
    pub fn from_bits(bits: u32) -> Result<PixelLayout, FbError> {
        match bits {
            16 => Ok(PixelLayout::Rgb565),
            32 => Ok(PixelLayout::Xrgb8888),
            bits => Err(FbError::UnsupportedFormat { bits }),
        }
    }

    /// Bytes per pixel.
    pub fn bytes(self) -> usize {
        match self {
            PixelLayout::Rgb565 => 2,
            PixelLayout::Xrgb8888 => 4,
        }
    }

    /// Appends one pixel.
    fn push(self, c: Rgb888, out: &mut Vec<u8>) {
        match self {
            PixelLayout::Rgb565 => {
                let v =
                    ((c.r() as u16 >> 3) << 11) | ((c.g() as u16 >> 2) << 5) | (c.b() as u16 >> 3);
                out.extend_from_slice(&v.to_le_bytes());
            }
            PixelLayout::Xrgb8888 => out.extend_from_slice(&[c.b(), c.g(), c.r(), 0xFF]),
        }
    }
}

/// The panel geometry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FbGeometry {
    /// Visible width in pixels.
    pub width: u32,
    /// Visible height in pixels.
    pub height: u32,
    /// Pixel layout.
    pub layout: PixelLayout,
    /// Bytes per line (≥ width × bytes per pixel).
    pub stride: usize,
}

impl FbGeometry {
    /// Reads the geometry from a sysfs directory like `/sys/class/graphics/fb0`.
    pub fn from_sysfs(dir: &Path) -> Result<FbGeometry, FbError> {
        let (vw, vh) = pair(&read_attr(dir, "virtual_size")?, ',', dir)?;
        let bits = number(&read_attr(dir, "bits_per_pixel")?, dir)?;
        let layout = PixelLayout::from_bits(bits)?;
        let stride = match read_attr(dir, "stride") {
            Ok(s) => number(&s, dir)? as usize,
            Err(_) => vw as usize * layout.bytes(),
        };
        // `modes` holds e.g. "U:800x480p-0"; the virtual size may be taller (panning).
        let (width, height) = read_attr(dir, "modes")
            .ok()
            .and_then(|m| visible_mode(&m))
            .unwrap_or((vw, vh));
        if width == 0 || height == 0 || stride < width as usize * layout.bytes() {
            return Err(FbError::Geometry {
                path: dir.to_path_buf(),
                reason: format!("impossible geometry {width}x{height}, stride {stride}"),
            });
        }
        Ok(FbGeometry {
            width,
            height,
            layout,
            stride,
        })
    }

    /// Converts `frame` to the panel's memory layout (`stride × height` bytes).
    pub fn convert(&self, frame: &Framebuffer) -> Vec<u8> {
        let row_bytes = self.width as usize * self.layout.bytes();
        let mut out = Vec::with_capacity(self.stride * self.height as usize);
        for row in frame.pixels().chunks(frame.width().max(1) as usize) {
            for &p in row.iter().take(self.width as usize) {
                self.layout.push(p, &mut out);
            }
            out.resize(out.len() + (self.stride - row_bytes), 0);
        }
        out
    }
}

fn read_attr(dir: &Path, name: &str) -> Result<String, FbError> {
    let path = dir.join(name);
    std::fs::read_to_string(&path)
        .map(|s| s.trim().to_string())
        .map_err(|e| FbError::Geometry {
            path,
            reason: e.to_string(),
        })
}

fn number(text: &str, dir: &Path) -> Result<u32, FbError> {
    text.trim().parse().map_err(|_| FbError::Geometry {
        path: dir.to_path_buf(),
        reason: format!("not a number: {text:?}"),
    })
}

fn pair(text: &str, sep: char, dir: &Path) -> Result<(u32, u32), FbError> {
    let (a, b) = text.split_once(sep).ok_or_else(|| FbError::Geometry {
        path: dir.to_path_buf(),
        reason: format!("expected `W{sep}H`, got {text:?}"),
    })?;
    Ok((number(a, dir)?, number(b, dir)?))
}

fn visible_mode(modes: &str) -> Option<(u32, u32)> {
    let first = modes.lines().next()?;
    let spec = first.split_once(':').map_or(first, |(_, s)| s);
    let (w, rest) = spec.split_once('x')?;
    let h: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
    Some((w.parse().ok()?, h.parse().ok()?))
}

/// A framebuffer device.
#[derive(Debug)]
pub struct FbDisplay {
    file: File,
    geometry: FbGeometry,
}

impl FbDisplay {
    /// Opens `/dev/fbN`, reading its geometry from `/sys/class/graphics/fbN`.
    pub fn open(device: &Path) -> Result<FbDisplay, FbError> {
        let name = device
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let sysfs = Path::new("/sys/class/graphics").join(&name);
        let geometry = FbGeometry::from_sysfs(&sysfs)?;
        FbDisplay::with_geometry(device, geometry)
    }

    /// Opens `path` (a device or a plain file) with a known geometry.
    pub fn with_geometry(path: &Path, geometry: FbGeometry) -> Result<FbDisplay, FbError> {
        let file = OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(|source| FbError::Open {
                path: path.to_path_buf(),
                source,
            })?;
        Ok(FbDisplay { file, geometry })
    }

    /// The panel geometry.
    pub fn geometry(&self) -> FbGeometry {
        self.geometry
    }
}

impl Display for FbDisplay {
    type Error = FbError;

    fn size(&self) -> Size {
        Size::new(self.geometry.width, self.geometry.height)
    }

    fn present(&mut self, frame: &Framebuffer, _shown: &ScreenShown) -> Result<(), FbError> {
        let g = self.geometry;
        if frame.width() != g.width || frame.height() != g.height {
            return Err(FbError::Size {
                width: g.width,
                height: g.height,
                got_w: frame.width(),
                got_h: frame.height(),
            });
        }
        let bytes = g.convert(frame);
        self.file.seek(SeekFrom::Start(0)).map_err(FbError::Write)?;
        self.file.write_all(&bytes).map_err(FbError::Write)?;
        self.file.flush().map_err(FbError::Write)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame() -> Framebuffer {
        let mut f = Framebuffer::new(3, 2);
        f.set_pixel(0, 0, Rgb888::new(0xFF, 0, 0));
        f.set_pixel(1, 0, Rgb888::new(0, 0xFF, 0));
        f.set_pixel(2, 0, Rgb888::new(0, 0, 0xFF));
        f.set_pixel(0, 1, Rgb888::new(0xFF, 0xFF, 0xFF));
        f.set_pixel(1, 1, Rgb888::new(0x84, 0x82, 0x08));
        f
    }

    fn shown() -> ScreenShown {
        ScreenShown {
            id: "idle".into(),
            lang: "ja".into(),
        }
    }

    #[test]
    fn rgb565_with_stride_padding_on_a_plain_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fb");
        std::fs::write(&path, []).unwrap();
        let g = FbGeometry {
            width: 3,
            height: 2,
            layout: PixelLayout::Rgb565,
            stride: 8,
        };
        let mut fb = FbDisplay::with_geometry(&path, g).unwrap();
        fb.present(&frame(), &shown()).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(
            bytes,
            [
                0x00, 0xF8, 0xE0, 0x07, 0x1F, 0x00, 0, 0, // red, green, blue, pad
                0xFF, 0xFF, 0x01, 0x84, 0x00, 0x00, 0,
                0, // white, (0x84,0x82,0x08), black, pad
            ]
        );
    }

    #[test]
    fn xrgb8888_is_bgrx_in_memory() {
        let g = FbGeometry {
            width: 3,
            height: 2,
            layout: PixelLayout::Xrgb8888,
            stride: 12,
        };
        let bytes = g.convert(&frame());
        assert_eq!(bytes.len(), 24);
        assert_eq!(&bytes[0..4], &[0, 0, 0xFF, 0xFF]);
        assert_eq!(&bytes[16..20], &[0x08, 0x82, 0x84, 0xFF]);
    }

    #[test]
    fn geometry_from_sysfs_prefers_the_visible_mode() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("virtual_size"), "800,960\n").unwrap();
        std::fs::write(dir.path().join("bits_per_pixel"), "16\n").unwrap();
        std::fs::write(dir.path().join("stride"), "1600\n").unwrap();
        std::fs::write(dir.path().join("modes"), "U:800x480p-0\n").unwrap();
        let g = FbGeometry::from_sysfs(dir.path()).unwrap();
        assert_eq!((g.width, g.height, g.stride), (800, 480, 1600));
        assert_eq!(g.layout, PixelLayout::Rgb565);
    }

    #[test]
    fn unsupported_depth_and_wrong_size_are_typed_errors() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("virtual_size"), "800,480").unwrap();
        std::fs::write(dir.path().join("bits_per_pixel"), "24").unwrap();
        let err = FbGeometry::from_sysfs(dir.path()).unwrap_err();
        assert!(matches!(err, FbError::UnsupportedFormat { bits: 24 }));
        assert_eq!(display::Error::kind(&err), ErrorKind::Format);

        let path = dir.path().join("fb");
        std::fs::write(&path, []).unwrap();
        let g = FbGeometry {
            width: 4,
            height: 2,
            layout: PixelLayout::Xrgb8888,
            stride: 16,
        };
        let mut fb = FbDisplay::with_geometry(&path, g).unwrap();
        let err = fb.present(&frame(), &shown()).unwrap_err();
        assert_eq!(display::Error::kind(&err), ErrorKind::Format);
        let missing = FbDisplay::open(Path::new("/nonexistent/fb9")).unwrap_err();
        assert_eq!(display::Error::kind(&missing), ErrorKind::NotConnected);
    }
}
