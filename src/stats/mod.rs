//! Operations figures: how the terminal is used, kept across restarts.
//!
//! The daemon shows every flow [`Action`] and [`Event`] to [`Stats`], which counts
//! receptions by method, consent per item (the categories of the national usage
//! statistics: 薬剤情報, 診療情報, 手術情報, 特定健診等情報), face attempts, PIN
//! locks, 照合番号B refusals, card errors by kind, PC acks and their latency, and
//! keeps two gauges (outbox depth, PC link up). Only counts: no identity, no session
//! id, no staff account ever reaches the figures or the file (session ids are held
//! in memory, at most [`PENDING_MAX`] of them, only to time the PC's ack).
//!
//! Counters live in `state_dir/stats.json`, written atomically (temporary file,
//! fsync, rename, fsync of the directory; mode 0600) by a background thread at most
//! every [`DEBOUNCE`] after a change, and once more when the last handle is dropped.
//! A corrupt file is renamed to `stats.json.corrupt-<unix time>`, reported, and the
//! counts start again from zero: never fatal.
//!
//! Two renderings: [`Stats::render_table`] for `kaonin stats`, and
//! [`Stats::render_prometheus`] (text exposition format 0.0.4), served on a
//! loopback-only port by [`serve_metrics`].
//!
//! By job: `counters` (what each action and event counts), `store` (the file and
//! its background writer), `report` (the text table and the JSON figures),
//! `prometheus` (the exposition format and the endpoint); this module holds the
//! [`Stats`] handle.

mod counters;
mod prometheus;
mod report;
mod store;

pub use prometheus::{bind_metrics, serve_metrics, serve_metrics_on};

use crate::flow::{Action, Event};
use counters::State;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The file under `state_dir`.
pub const FILE_NAME: &str = "stats.json";

/// Longest wait between a change and its write to disk.
pub const DEBOUNCE: Duration = Duration::from_secs(2);

/// Most identities awaiting an ack whose latency is timed.
pub const PENDING_MAX: usize = 64;

/// Upper bounds of the ack latency histogram buckets, in milliseconds.
pub const LATENCY_BUCKETS_MS: [u64; 9] = [50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000];

/// Why the figures could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum StatsError {
    /// The state directory could not be created or read.
    #[error("{path}: {source}")]
    Io {
        /// The path at fault.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// The file is not a valid figures file (read-only opening only; the daemon
    /// quarantines it instead).
    #[error("{path}: not a valid figures file: {reason}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

// ---- the handle ---------------------------------------------------------------

/// The operations figures. Cheap to clone; every clone counts into the same
/// figures; safe to use from any thread.
#[derive(Clone)]
pub struct Stats {
    inner: Arc<store::Inner>,
}

impl std::fmt::Debug for Stats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stats")
            .field("path", &self.inner.shared.path)
            .finish_non_exhaustive()
    }
}

impl Stats {
    /// Opens (or starts) the figures in `state_dir/stats.json` and starts the
    /// background writer. A corrupt file is quarantined and reported, not fatal;
    /// only an unusable state directory is an error.
    pub fn open(state_dir: &Path) -> Result<Stats, StatsError> {
        Ok(Stats {
            inner: Arc::new(store::Inner::open(state_dir)?),
        })
    }

    /// Reads the saved figures without ever writing (for `kaonin stats` while the
    /// daemon runs). The gauges are unknown; the counts are as of the daemon's last
    /// save (at most [`DEBOUNCE`] old). A corrupt file is an error here.
    pub fn open_read_only(state_dir: &Path) -> Result<Stats, StatsError> {
        Ok(Stats {
            inner: Arc::new(store::Inner::open_read_only(state_dir)?),
        })
    }

    /// Where a corrupt file found at open was moved, if one was.
    pub fn quarantined(&self) -> Option<&Path> {
        self.inner.quarantined.as_deref()
    }

    fn change(&self, f: impl FnOnce(&mut State)) {
        let dirty = {
            let mut state = self.inner.shared.state();
            f(&mut state);
            state.dirty
        };
        if dirty {
            self.inner.shared.changed();
        }
    }

    /// Counts what a flow action says (call it for every action the flow returns).
    pub fn observe_action(&self, action: &Action) {
        self.observe_action_at(action, Instant::now());
    }

    /// [`Self::observe_action`] at a given time (for tests with a scripted clock).
    pub fn observe_action_at(&self, action: &Action, now: Instant) {
        self.change(|s| s.action(action, now));
    }

    /// Counts what a flow event says (call it for every event fed to the flow).
    pub fn observe_event(&self, event: &Event) {
        self.observe_event_at(event, Instant::now());
    }

    /// [`Self::observe_event`] at a given time (for tests with a scripted clock).
    pub fn observe_event_at(&self, event: &Event, now: Instant) {
        self.change(|s| s.event(event, now));
    }

    /// Sets the outbox depth gauge.
    pub fn set_outbox_depth(&self, n: usize) {
        self.change(|s| s.live.outbox_depth = Some(n as u64));
    }

    /// Sets the PC link gauge (a change is also counted).
    pub fn set_link_up(&self, up: bool) {
        self.change(|s| s.link(up));
    }

    /// Writes the figures now if they changed (the background writer does this by
    /// itself within [`DEBOUNCE`]).
    pub fn flush(&self) -> io::Result<()> {
        self.inner.shared.write_now()
    }

    /// The figures as a text table, for `kaonin stats`.
    pub fn render_table(&self) -> String {
        let state = self.inner.shared.state();
        report::table(&state.counters, &state.live)
    }

    /// The figures in the Prometheus text exposition format (0.0.4).
    pub fn render_prometheus(&self) -> String {
        let state = self.inner.shared.state();
        prometheus::render(&state.counters, &state.live)
    }

    /// The figures as one JSON object keyed by the Prometheus metric names (the
    /// `stats` message of the PC link, docs/pc-link.md): a labelled counter is an
    /// object of its label values (every value present, zero until counted), an
    /// unlabelled counter a number, the ack latency histogram
    /// `{"count","sum_ms","le_ms":{"50":…,…}}` (cumulative, like Prometheus), and
    /// the gauges a number or `null` while unknown.
    pub fn figures(&self) -> serde_json::Value {
        let state = self.inner.shared.state();
        report::figures(&state.counters, &state.live)
    }

    /// The figures as JSON (for the PC link's figures request): the saved counters
    /// plus the gauges.
    pub fn to_json(&self) -> serde_json::Value {
        let state = self.inner.shared.state();
        serde_json::json!({
            "counters": state.counters,
            "outbox_depth": state.live.outbox_depth,
            "link_up": state.live.link_up,
        })
    }
}

#[cfg(test)]
mod tests;
