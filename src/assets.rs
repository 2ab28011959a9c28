//! Where kaonin finds its read-only files (fonts, text catalogs, card profiles,
//! models): `$KAONIN_ASSETS`, else the source tree it was built from, else the
//! packaged location.

use std::path::PathBuf;

/// Packaged location of the assets.
pub const INSTALLED: &str = "/usr/share/kaonin";

/// The assets directory.
pub fn dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("KAONIN_ASSETS") {
        return PathBuf::from(dir);
    }
    let built = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/assets"));
    if built.is_dir() {
        return built;
    }
    PathBuf::from(INSTALLED)
}

/// A file under the assets directory.
pub fn path(relative: &str) -> PathBuf {
    dir().join(relative)
}
