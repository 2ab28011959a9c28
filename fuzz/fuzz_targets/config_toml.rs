//! The configuration file (TOML), loaded and validated as at start-up.
#![no_main]

use kaonin::config::Config;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Config::parse(text, "fuzz.toml") {
        Ok(config) => {
            let _ = config.devices();
            let _ = config.ui_options();
            let _ = config.card_face_floor();
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
