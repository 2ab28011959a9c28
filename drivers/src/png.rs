//! A display that writes every presented frame as a PNG file, for desktops, the
//! demo and tests: `NNNN-<screen>-<lang>.png` in one directory, numbered from 0001,
//! and nothing else on disk.

#![forbid(unsafe_code)]

use embedded_graphics_core::geometry::Size;
use kaonin_hal::display::{self, Display, ErrorKind, Framebuffer, ScreenShown};
use std::path::{Path, PathBuf};

/// Why a frame could not be written.
#[derive(Debug, thiserror::Error)]
pub enum PngError {
    /// The output directory could not be created.
    #[error("creating {path}: {source}")]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The frame does not have the panel's size.
    #[error("frame is {got_w}x{got_h}, the panel is {width}x{height}")]
    Size {
        width: u32,
        height: u32,
        got_w: u32,
        got_h: u32,
    },
    /// Encoding or writing the PNG failed.
    #[error("writing {path}: {reason}")]
    Write { path: PathBuf, reason: String },
}

impl display::Error for PngError {
    fn kind(&self) -> ErrorKind {
        match self {
            PngError::CreateDir { .. } => ErrorKind::NotConnected,
            PngError::Size { .. } => ErrorKind::Format,
            PngError::Write { .. } => ErrorKind::Io,
        }
    }
}

/// A "panel" that is a directory of PNG files.
#[derive(Debug)]
pub struct PngDisplay {
    dir: PathBuf,
    size: Size,
    next: u32,
}

impl PngDisplay {
    /// Writes frames of `width` × `height` into `dir` (created if missing).
    pub fn new(dir: &Path, width: u32, height: u32) -> Result<PngDisplay, PngError> {
        std::fs::create_dir_all(dir).map_err(|source| PngError::CreateDir {
            path: dir.to_path_buf(),
            source,
        })?;
        Ok(PngDisplay {
            dir: dir.to_path_buf(),
            size: Size::new(width, height),
            next: 1,
        })
    }

    /// The file the next frame showing `shown` will be written to.
    pub fn next_path(&self, shown: &ScreenShown) -> PathBuf {
        self.dir.join(format!(
            "{:04}-{}-{}.png",
            self.next,
            file_safe(&shown.id),
            file_safe(&shown.lang)
        ))
    }
}

/// Keeps `[a-z0-9_]`, so an id can never leave the directory or hide a file.
fn file_safe(text: &str) -> String {
    let safe: String = text
        .chars()
        .map(|c| match c {
            'a'..='z' | '0'..='9' | '_' => c,
            'A'..='Z' => c.to_ascii_lowercase(),
            _ => '_',
        })
        .take(40)
        .collect();
    if safe.is_empty() {
        "unknown".into()
    } else {
        safe
    }
}

impl Display for PngDisplay {
    type Error = PngError;

    fn size(&self) -> Size {
        self.size
    }

    /// Every frame becomes a file: no camera preview or name image is drawn for it.
    fn stores_frames(&self) -> bool {
        true
    }

    fn present(&mut self, frame: &Framebuffer, shown: &ScreenShown) -> Result<(), PngError> {
        if frame.width() != self.size.width || frame.height() != self.size.height {
            return Err(PngError::Size {
                width: self.size.width,
                height: self.size.height,
                got_w: frame.width(),
                got_h: frame.height(),
            });
        }
        let path = self.next_path(shown);
        let write_error = |reason: String| PngError::Write {
            path: path.clone(),
            reason,
        };
        let image = image::RgbImage::from_raw(frame.width(), frame.height(), frame.to_rgb_bytes())
            .ok_or_else(|| write_error("frame buffer size mismatch".into()))?;
        image
            .save_with_format(&path, image::ImageFormat::Png)
            .map_err(|e| write_error(e.to_string()))?;
        self.next += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use embedded_graphics_core::pixelcolor::Rgb888;

    fn shown(id: &str, lang: &str) -> ScreenShown {
        ScreenShown {
            id: id.into(),
            lang: lang.into(),
        }
    }

    #[test]
    fn writes_numbered_pngs_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("screens");
        let mut display = PngDisplay::new(&out, 4, 3).unwrap();
        let mut frame = Framebuffer::new(4, 3);
        frame.set_pixel(1, 2, Rgb888::new(10, 200, 30));
        display.present(&frame, &shown("idle", "ja")).unwrap();
        display.present(&frame, &shown("../pin", "en")).unwrap();
        let mut names: Vec<String> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["0001-idle-ja.png", "0002-___pin-en.png"]);
        let image = image::open(out.join("0001-idle-ja.png")).unwrap().to_rgb8();
        assert_eq!(image.dimensions(), (4, 3));
        assert_eq!(image.get_pixel(1, 2).0, [10, 200, 30]);
    }

    #[test]
    fn rejects_a_frame_of_the_wrong_size() {
        let dir = tempfile::tempdir().unwrap();
        let mut display = PngDisplay::new(dir.path(), 4, 3).unwrap();
        let err = display
            .present(&Framebuffer::new(3, 3), &shown("idle", "ja"))
            .unwrap_err();
        assert_eq!(display::Error::kind(&err), ErrorKind::Format);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
