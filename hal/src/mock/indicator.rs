//! An indicator that records the signals it was given.

use crate::indicator::{ErrorKind, Indicator, Signal};
use std::sync::{Arc, Mutex};

/// The test's side of a [`MockIndicator`].
#[derive(Clone, Default)]
pub struct MockIndicatorHandle {
    log: Arc<Mutex<Vec<Signal>>>,
}

impl MockIndicatorHandle {
    /// The signals given so far, in order.
    pub fn signals(&self) -> Vec<Signal> {
        self.log.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// A status LED and buzzer that only remember.
#[derive(Default)]
pub struct MockIndicator {
    handle: MockIndicatorHandle,
}

impl MockIndicator {
    /// An indicator and its handle.
    pub fn new() -> (Self, MockIndicatorHandle) {
        let handle = MockIndicatorHandle::default();
        (
            MockIndicator {
                handle: handle.clone(),
            },
            handle,
        )
    }
}

impl Indicator for MockIndicator {
    type Error = ErrorKind;

    fn signal(&mut self, signal: Signal) -> Result<(), ErrorKind> {
        self.handle
            .log
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(signal);
        Ok(())
    }
}
