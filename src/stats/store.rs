//! The figures file `state_dir/stats.json`: its format, loading (a corrupt file is
//! set aside with [`crate::ground::quarantine`] and the counts start from zero),
//! the atomic durable write ([`crate::ground::durable`]), and the background
//! writer that saves at most every [`DEBOUNCE`] after a change and once more when
//! the last handle is dropped.

use super::counters::{Counters, State};
use super::{StatsError, DEBOUNCE, FILE_NAME, LATENCY_BUCKETS_MS};
use crate::ground::durable;
use crate::ground::quarantine::{self, Damaged};
use serde::{Deserialize, Serialize};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

/// The file format version.
const VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileFormat {
    version: u32,
    counters: Counters,
}

fn parse(text: &str) -> Result<Counters, String> {
    let file: FileFormat = serde_json::from_str(text).map_err(|e| e.to_string())?;
    if file.version != VERSION {
        return Err(format!("version {} (expected {VERSION})", file.version));
    }
    if file.counters.ack_latency.buckets.len() > LATENCY_BUCKETS_MS.len() {
        return Err("ack_latency has more buckets than this version knows".into());
    }
    Ok(file.counters)
}

/// Writes the counters atomically and durably, mode 0600.
fn write_file(path: &Path, counters: &Counters) -> io::Result<()> {
    let file = FileFormat {
        version: VERSION,
        counters: counters.clone(),
    };
    let text = serde_json::to_vec_pretty(&file).map_err(io::Error::other)?;
    let dir = path.parent().unwrap_or(Path::new(""));
    durable::write_atomic(dir, path, &text)
}

/// Loads the counters; a corrupt file is renamed aside (its new name returned).
fn load_or_quarantine(path: &Path) -> Result<(Counters, Option<PathBuf>), StatsError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok((Counters::default(), None)),
        Err(e) if e.kind() == io::ErrorKind::InvalidData => String::new(),
        Err(source) => {
            return Err(StatsError::Io {
                path: path.to_owned(),
                source,
            })
        }
    };
    match parse(&text) {
        Ok(counters) => Ok((counters, None)),
        Err(reason) => {
            let aside = match quarantine::set_aside(path, Damaged::File) {
                Ok(aside) => {
                    tracing::error!(
                        file = %path.display(),
                        moved_to = %aside.display(),
                        %reason,
                        "figures file is corrupt; quarantined, counting from zero"
                    );
                    aside
                }
                Err(e) => {
                    tracing::error!(
                        file = %path.display(),
                        %reason,
                        error = %e.source,
                        "figures file is corrupt and could not be moved aside; counting from zero"
                    );
                    e.aside
                }
            };
            Ok((Counters::default(), Some(aside)))
        }
    }
}

/// What every handle shares: the counters and the file they are saved to.
pub(super) struct Shared {
    pub(super) path: PathBuf,
    state: Mutex<State>,
    wake: Condvar,
    /// Serialises writers (the flusher and [`super::Stats::flush`]).
    writing: Mutex<()>,
    /// False for a read-only handle: nothing is ever written.
    writable: bool,
}

impl Shared {
    fn new(path: PathBuf, state: State, writable: bool) -> Shared {
        Shared {
            path,
            state: Mutex::new(state),
            wake: Condvar::new(),
            writing: Mutex::new(()),
            writable,
        }
    }

    pub(super) fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Wakes the background writer (after a change).
    pub(super) fn changed(&self) {
        self.wake.notify_all();
    }

    /// Writes the counters now if they changed since the last save.
    pub(super) fn write_now(&self) -> io::Result<()> {
        if !self.writable {
            return Ok(());
        }
        let _writing = self.writing.lock().unwrap_or_else(|e| e.into_inner());
        let snapshot = {
            let mut state = self.state();
            if !state.dirty {
                return Ok(());
            }
            state.dirty = false;
            state.counters.clone()
        };
        write_file(&self.path, &snapshot).inspect_err(|_| self.state().dirty = true)
    }
}

/// The figures behind every clone of a [`super::Stats`]: dropping the last one
/// stops the background writer after a final save.
pub(super) struct Inner {
    pub(super) shared: Arc<Shared>,
    flusher: Option<std::thread::JoinHandle<()>>,
    pub(super) quarantined: Option<PathBuf>,
}

impl Inner {
    /// Opens (or starts) the figures in `state_dir` and starts the background
    /// writer; a corrupt file is quarantined.
    pub(super) fn open(state_dir: &Path) -> Result<Inner, StatsError> {
        durable::create_state_dir(state_dir).map_err(|source| StatsError::Io {
            path: state_dir.to_owned(),
            source,
        })?;
        let path = state_dir.join(FILE_NAME);
        let (counters, quarantined) = load_or_quarantine(&path)?;
        let state = State {
            counters,
            // A quarantined file is replaced by a good one soon.
            dirty: quarantined.is_some(),
            ..State::default()
        };
        let shared = Arc::new(Shared::new(path, state, true));
        let flusher = {
            let shared = shared.clone();
            std::thread::Builder::new()
                .name("kaonin-stats".into())
                .spawn(move || flusher(shared))
                .map_err(|source| StatsError::Io {
                    path: state_dir.to_owned(),
                    source,
                })?
        };
        Ok(Inner {
            shared,
            flusher: Some(flusher),
            quarantined,
        })
    }

    /// Reads the saved figures, never to write them; a corrupt file is an error.
    pub(super) fn open_read_only(state_dir: &Path) -> Result<Inner, StatsError> {
        let path = state_dir.join(FILE_NAME);
        let counters = match std::fs::read_to_string(&path) {
            Ok(text) => parse(&text).map_err(|reason| StatsError::Corrupt {
                path: path.clone(),
                reason,
            })?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => Counters::default(),
            Err(source) => return Err(StatsError::Io { path, source }),
        };
        let state = State {
            counters,
            ..State::default()
        };
        Ok(Inner {
            shared: Arc::new(Shared::new(path, state, false)),
            flusher: None,
            quarantined: None,
        })
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.shared.state().stopping = true;
        self.shared.wake.notify_all();
        if let Some(flusher) = self.flusher.take() {
            let _ = flusher.join();
        }
    }
}

/// The background writer: after a change, waits [`DEBOUNCE`] (or until the last
/// handle goes) and saves; a failing save is logged once until one succeeds.
fn flusher(shared: Arc<Shared>) {
    let mut failing = false;
    loop {
        let stopping = {
            let state = shared.state();
            let state = shared
                .wake
                .wait_while(state, |s| !s.dirty && !s.stopping)
                .unwrap_or_else(|e| e.into_inner());
            let (state, _) = shared
                .wake
                .wait_timeout_while(state, DEBOUNCE, |s| !s.stopping)
                .unwrap_or_else(|e| e.into_inner());
            state.stopping
        };
        match shared.write_now() {
            Ok(()) => failing = false,
            Err(e) if !failing => {
                tracing::error!(file = %shared.path.display(), error = %e, "figures could not be saved");
                failing = true;
            }
            Err(_) => {}
        }
        if stopping {
            return;
        }
    }
}
