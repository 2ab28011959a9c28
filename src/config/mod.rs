//! The TOML configuration (CONTRACT §2), validated with precise errors.
//!
//! Each room owns its section — its types, defaults and validation: `[link]` in
//! [`crate::link::config`], `[face]` in [`crate::face::config`], `[card_face]` in
//! [`crate::card_face::config`], `[card]` in [`crate::card::config`],
//! `[policy]` in [`crate::flow::PolicyConfig`], the
//! device sections (`[reader]`, `[camera]`, `[display]`, `[input]`, `[board]`) in
//! [`crate::devices`]. This module only composes them with `[terminal]`, loads the
//! file and reports errors.
//!
//! Every key has a sane default, so a file only needs what differs. Unknown keys,
//! wrong types and impossible values are errors that name the file, the key and the
//! reason in one line: a typo must never silently change behaviour.

use crate::card::CardConfig;
use crate::card_face::CardFaceConfig;
use crate::devices::{
    BoardConfig, CameraConfig, DeviceSections, DisplayConfig, InputConfig, ReaderConfig,
};
use crate::face::{FaceConfig, MatcherKind};
use crate::flow::PolicyConfig;
use crate::link::LinkConfig;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Default location of the config file.
pub const DEFAULT_PATH: &str = "/etc/kaonin/kaonin.toml";

/// A configuration problem: which file, which key, and why.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {key}: {reason}")]
pub struct ConfigError {
    /// The file read.
    pub file: String,
    /// The key at fault (dotted path), or `-` for the whole file.
    pub key: String,
    /// What is wrong.
    pub reason: String,
}

/// The whole configuration.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub terminal: TerminalConfig,
    pub reader: ReaderConfig,
    pub camera: CameraConfig,
    pub display: DisplayConfig,
    pub input: InputConfig,
    pub link: LinkConfig,
    pub policy: PolicyConfig,
    pub card_face: CardFaceConfig,
    /// The card protocol: 券面AP trust anchors, operation deadline (`[card]`).
    pub card: CardConfig,
    /// Extension: face matching (`[face]`).
    pub face: FaceConfig,
    /// Extension: board hardware (`[board]`: indicator, GPIO pins, serial PIN pad,
    /// metrics endpoint).
    pub board: BoardConfig,
}

/// `[terminal]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TerminalConfig {
    /// Appears in every message to the PC.
    pub id: String,
    /// Outbox, passcodes, audit log.
    pub state_dir: PathBuf,
}

impl Default for TerminalConfig {
    fn default() -> Self {
        TerminalConfig {
            id: "reception-1".into(),
            state_dir: PathBuf::from("/var/lib/kaonin"),
        }
    }
}

impl TerminalConfig {
    /// Checks values that parse but cannot work: (dotted key, reason).
    fn validate(&self) -> Result<(), (&'static str, String)> {
        if self.id.trim().is_empty() {
            return Err(("terminal.id", "must not be empty".into()));
        }
        Ok(())
    }
}

impl Config {
    /// Switches face matching to the deterministic test-only matcher (the demo's
    /// synthetic faces are not real faces).
    pub fn use_test_face_matcher(&mut self) {
        self.face.matcher = MatcherKind::TestThumbnail;
    }

    /// The 照合番号B counter floor.
    pub fn card_face_floor(&self) -> u8 {
        self.card_face.counter_floor
    }

    /// The sections [`crate::devices::build_devices`] opens the devices from.
    pub fn devices(&self) -> DeviceSections<'_> {
        DeviceSections {
            reader: &self.reader,
            camera: &self.camera,
            display: &self.display,
            input: &self.input,
            board: &self.board,
            face: &self.face,
            card_face: &self.card_face,
        }
    }

    /// The screens' options (`[display]`: text size, PIN pad, fonts).
    pub fn ui_options(&self) -> crate::ui::UiOptions {
        self.display.ui_options()
    }

    /// Reads and validates the config at `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            file: file.clone(),
            key: "-".into(),
            reason: format!("cannot read: {e}"),
        })?;
        Config::parse(&text, &file)
    }

    /// Parses and validates config text; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Config, ConfigError> {
        let deserializer = toml::Deserializer::new(text);
        let config: Config = serde_path_to_error::deserialize(deserializer).map_err(|e| {
            let key = e.path().to_string();
            let inner = e.into_inner();
            let reason = inner.message().trim().replace('\n', " ");
            let line = inner
                .span()
                .map(|s| text[..s.start.min(text.len())].lines().count().max(1));
            ConfigError {
                file: match line {
                    Some(line) => format!("{file}:{line}"),
                    None => file.to_owned(),
                },
                key: if key == "." { "-".into() } else { key },
                reason,
            }
        })?;
        config.validate().map_err(|(key, reason)| ConfigError {
            file: file.to_owned(),
            key: key.into(),
            reason,
        })?;
        Ok(config)
    }

    /// Checks values that parse but cannot work: each section's own checks, one
    /// section after the other (the first error found is reported).
    fn validate(&self) -> Result<(), (&'static str, String)> {
        self.policy.validate()?;
        self.card_face.validate(self.policy.screen_timeout_s)?;
        self.card.validate()?;
        self.terminal.validate()?;
        self.reader.validate()?;
        self.display.validate()?;
        self.input.validate()?;
        self.input.validate_control(&self.reader, &self.camera)?;
        self.link.validate()?;
        self.face.validate()?;
        self.board.validate()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
