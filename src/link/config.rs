//! `[link]`: where the PC listens and how the link is secured and kept alive (see
//! docs/pc-link.md). Its defaults and validation live here; the top-level config only
//! puts the section in the file.

use super::tls;
use super::transport::Endpoint;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// `[link]` (see docs/pc-link.md).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LinkConfig {
    /// `unix:PATH` or `tcp://HOST:PORT`.
    pub endpoint: String,
    /// Extension: SHA-256 fingerprint of the PC's certificate (64 hex digits,
    /// `:` separators allowed); required for `tcp://` unless plain TCP is allowed.
    pub pc_fingerprint: String,
    /// Extension: allow `tcp://` without TLS — only accepted for a loopback host.
    pub allow_plain_tcp: bool,
    /// Extension: the terminal's certificate (DER); empty: `state_dir/link-terminal.cert.der`.
    pub cert: PathBuf,
    /// Extension: the terminal's private key (PKCS#8 DER); empty: `state_dir/link-terminal.key.der`.
    pub key: PathBuf,
    /// Extension: records older than this are delivered with `"stale": true`, seconds.
    pub stale_after_s: u64,
    /// Extension: a `ping` goes to the PC this often, seconds.
    pub ping_interval_s: u64,
    /// Extension: nothing received for this long drops the connection, seconds (≤ 30).
    pub idle_timeout_s: u64,
    /// Extension: a write taking longer drops the connection, seconds.
    pub write_timeout_s: u64,
    /// Extension: for `unix:`, the user ids the listening PC process may run as
    /// (checked with `SO_PEERCRED`); empty: the terminal's own user. Root always.
    pub peer_uids: Vec<u32>,
    /// Extension: for `unix:`, group ids whose processes are accepted as well.
    pub peer_gids: Vec<u32>,
}

impl Default for LinkConfig {
    fn default() -> Self {
        LinkConfig {
            endpoint: "unix:/run/kaonin/link.sock".into(),
            pc_fingerprint: String::new(),
            allow_plain_tcp: false,
            cert: PathBuf::new(),
            key: PathBuf::new(),
            stale_after_s: 86_400,
            ping_interval_s: 10,
            idle_timeout_s: 25,
            write_timeout_s: 10,
            peer_uids: Vec::new(),
            peer_gids: Vec::new(),
        }
    }
}

impl LinkConfig {
    /// The terminal's certificate and key files.
    pub fn cert_files(&self, state_dir: &Path) -> (PathBuf, PathBuf) {
        let (cert, key) = tls::default_files(state_dir, super::Role::Terminal);
        let pick = |configured: &PathBuf, default: PathBuf| {
            if configured.as_os_str().is_empty() {
                default
            } else {
                configured.clone()
            }
        };
        (pick(&self.cert, cert), pick(&self.key, key))
    }

    /// Checks values that parse but cannot work: (dotted key, reason).
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        let endpoint = Endpoint::parse(&self.endpoint).map_err(|e| ("link.endpoint", e))?;
        if let Endpoint::Tcp { .. } = endpoint {
            if self.allow_plain_tcp && !endpoint.is_loopback() {
                return Err((
                    "link.allow_plain_tcp",
                    "plain TCP is only allowed to a loopback host".into(),
                ));
            }
            if !self.allow_plain_tcp {
                tls::parse_fingerprint(&self.pc_fingerprint).map_err(|e| {
                    (
                        "link.pc_fingerprint",
                        format!("required for tcp:// (TLS): {e}"),
                    )
                })?;
            }
        }
        if !self.pc_fingerprint.is_empty() {
            tls::parse_fingerprint(&self.pc_fingerprint).map_err(|e| ("link.pc_fingerprint", e))?;
        }
        if self.peer_uids.len() > 16 || self.peer_gids.len() > 16 {
            return Err((
                "link.peer_uids",
                "at most 16 user ids and 16 group ids".into(),
            ));
        }
        let positive = [
            ("link.stale_after_s", self.stale_after_s),
            ("link.ping_interval_s", self.ping_interval_s),
            ("link.write_timeout_s", self.write_timeout_s),
        ];
        for (key, value) in positive {
            if value == 0 {
                return Err((key, "must be at least 1".into()));
            }
        }
        if self.idle_timeout_s <= self.ping_interval_s || self.idle_timeout_s > 30 {
            return Err((
                "link.idle_timeout_s",
                "must be above link.ping_interval_s and at most 30".into(),
            ));
        }
        Ok(())
    }
}
