//! The PC link: the terminal's connection to the facility's eligibility-check PC.
//!
//! Protocol v1 of CONTRACT §4, documented for PC vendors in `docs/pc-link.md`.
//! - [`message`]: the messages; [`framing`]: bounded JSON Lines;
//! - [`transport`]: `unix:PATH` and `tcp://HOST:PORT` with [`tls`] (TLS 1.3, mutual,
//!   pinned by SHA-256 fingerprint);
//! - [`outbox`]: the durable outbox (fsync before an identity counts as stored);
//! - [`signature`]: the terminal's signature on every identity it sends;
//! - [`client`]: the terminal side ([`spawn`] → [`LinkHandle`]);
//! - [`cli`]: the arguments of `kaonin pair`;
//! - [`config`]: the `[link]` section of the configuration ([`LinkConfig`]).
//!
//! The reference receiver behind `kaonin pc` is a simulator: `crate::sim::pc`.

pub mod cli;
pub mod client;
pub mod config;
pub mod framing;
pub mod message;
pub mod outbox;
pub mod signature;
pub mod tls;
pub mod transport;

pub use client::{spawn, spawn_with, ClientOptions, LinkHandle, StatusSnapshot};
pub use config::LinkConfig;
pub use outbox::OutboxError;
pub use tls::{pair, Role};

use std::path::Path;

/// The software name sent in `hello`.
pub const SOFTWARE: &str = concat!("kaonin ", env!("CARGO_PKG_VERSION"));

/// A link failure.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// The endpoint text is not usable.
    #[error("link endpoint: {0}")]
    Endpoint(String),
    /// The link settings do not allow this.
    #[error("link config: {0}")]
    Config(String),
    /// Certificates, keys or the TLS handshake.
    #[error("tls: {0}")]
    Tls(String),
    /// I/O on a socket or file.
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    /// The outbox could not be opened.
    #[error(transparent)]
    Outbox(#[from] OutboxError),
    /// The process listening on the `unix:` link runs as a user or group the
    /// terminal does not accept (`[link] peer_uids` / `peer_gids`); closed unused.
    #[error(
        "{endpoint}: the process there runs as uid {uid} gid {gid} (pid {pid}), not an accepted PC \
         (link.peer_uids / link.peer_gids); connection closed"
    )]
    PeerRefused {
        endpoint: String,
        uid: u32,
        gid: u32,
        pid: i32,
    },
}

impl LinkError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        LinkError::Io {
            what: path.display().to_string(),
            source,
        }
    }
}
