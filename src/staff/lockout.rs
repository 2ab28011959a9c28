//! The staff lock-out: wrong passcodes are counted, and every `max_attempts` misses
//! in a row lock staff out for the next step of an escalating ladder (by default 1
//! minute, then 5, then 30, then 30 again). A right passcode starts from the bottom
//! again. The state is persisted (`staff-lockout.json`), so a restart buys no
//! guesses; a lock-out that reaches further into the future than its own step (a
//! clock that jumped back) is cut to that step.

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The default ladder, seconds.
pub const DEFAULT_STEPS_S: [u64; 3] = [60, 300, 1800];

/// How many misses lock staff out, and for how long each time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockoutPolicy {
    /// Misses in a row before a lock-out (≥ 1).
    pub max_attempts: u32,
    /// Lock-out lengths, one per lock-out in a row; the last repeats. Never empty.
    pub steps: Vec<Duration>,
}

impl LockoutPolicy {
    /// `max_attempts` misses, then the default ladder.
    pub fn escalating(max_attempts: u32) -> Self {
        Self::new(
            max_attempts,
            DEFAULT_STEPS_S
                .iter()
                .map(|s| Duration::from_secs(*s))
                .collect(),
        )
    }

    /// `max_attempts` misses, then `steps` (empty: the default ladder).
    pub fn new(max_attempts: u32, steps: Vec<Duration>) -> Self {
        let steps = if steps.is_empty() {
            DEFAULT_STEPS_S
                .iter()
                .map(|s| Duration::from_secs(*s))
                .collect()
        } else {
            steps
        };
        LockoutPolicy {
            max_attempts: max_attempts.max(1),
            steps,
        }
    }

    fn step_s(&self, level: u32) -> u64 {
        let i = (level as usize).min(self.steps.len() - 1);
        self.steps[i].as_secs()
    }
}

/// The persisted state: misses since the last lock-out, lock-outs in a row, and
/// the end of the current one (Unix seconds).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockoutState {
    /// Misses in a row (since the last lock-out ended or a right passcode).
    pub failures: u32,
    /// Lock-outs in a row without a right passcode in between.
    #[serde(default)]
    pub level: u32,
    /// The current lock-out ends then.
    pub locked_until: Option<u64>,
}

/// What a miss did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Miss {
    /// Still this many tries.
    TriesLeft(u32),
    /// Locked out for this many seconds.
    LockedFor(u64),
}

impl LockoutState {
    /// Seconds until staff may try again at `now`, if locked out. A lock-out that
    /// has ended is cleared (the misses start again from zero, the level stays).
    pub fn remaining(&mut self, policy: &LockoutPolicy, now: u64) -> Option<u64> {
        let until = self.locked_until?;
        // The step this lock-out was given (level already counts it).
        let step = policy.step_s(self.level.saturating_sub(1));
        let until = until.min(now.saturating_add(step));
        if now < until {
            return Some(until - now);
        }
        self.locked_until = None;
        self.failures = 0;
        None
    }

    /// Counts a miss at `now`.
    pub fn miss(&mut self, policy: &LockoutPolicy, now: u64) -> Miss {
        self.failures = self.failures.saturating_add(1);
        if self.failures >= policy.max_attempts {
            let step = policy.step_s(self.level);
            self.level = self.level.saturating_add(1);
            self.failures = 0;
            self.locked_until = Some(now.saturating_add(step));
            Miss::LockedFor(step)
        } else {
            Miss::TriesLeft(policy.max_attempts - self.failures)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_misses_lock_for_one_minute_then_five_then_thirty() {
        let policy = LockoutPolicy::escalating(3);
        let mut s = LockoutState::default();
        let mut now = 1_000;
        for expected in [60, 300, 1800, 1800] {
            assert_eq!(s.miss(&policy, now), Miss::TriesLeft(2));
            assert_eq!(s.miss(&policy, now), Miss::TriesLeft(1));
            assert_eq!(s.miss(&policy, now), Miss::LockedFor(expected));
            assert_eq!(s.remaining(&policy, now + 1), Some(expected - 1));
            now += expected;
            assert_eq!(s.remaining(&policy, now), None);
        }
    }

    #[test]
    fn a_clock_that_jumps_back_does_not_stretch_a_lockout() {
        let policy = LockoutPolicy::new(1, vec![Duration::from_secs(60)]);
        let mut s = LockoutState::default();
        assert_eq!(s.miss(&policy, 10_000), Miss::LockedFor(60));
        assert_eq!(s.remaining(&policy, 0), Some(60));
    }

    #[test]
    fn old_state_files_without_a_level_load() {
        let s: LockoutState =
            serde_json::from_str(r#"{"failures":2,"locked_until":null}"#).unwrap();
        assert_eq!(s.level, 0);
        assert_eq!(s.failures, 2);
    }
}
