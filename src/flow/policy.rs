//! Policy values the flow obeys: attempts and timeouts, all from the config's
//! `[policy]` section ([`PolicyConfig`], its defaults and validation).

use serde::Deserialize;
use std::time::Duration;

/// Attempts and timeouts of the reception flow.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// Failed face matches before the PIN fallback.
    pub face_attempts: u32,
    /// Guidance frames (no usable face) that count as one failed attempt.
    pub face_guidance_frames: u32,
    /// Pause between face captures.
    pub face_retry: Duration,
    /// Inactivity before a screen gives up and returns to idle.
    pub screen_timeout: Duration,
    /// Seconds on the method screen before face authentication starts by itself;
    /// `None` to wait for a choice.
    pub auto_face_after: Option<Duration>,
    /// How long visual-check mode stays armed without a confirmation.
    pub visual_timeout: Duration,
    /// How long to wait for the PC's ack before telling the patient the record
    /// will be sent later.
    pub ack_timeout: Duration,
    /// How long the done / sent-offline screens stay.
    pub done_timeout: Duration,
    /// After consent, ask paper or electronic prescription (処方箋の発行形態).
    pub prescription_choice: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            face_attempts: 3,
            face_guidance_frames: 8,
            face_retry: Duration::from_millis(700),
            screen_timeout: Duration::from_secs(60),
            auto_face_after: Some(Duration::from_secs(5)),
            visual_timeout: Duration::from_secs(180),
            ack_timeout: Duration::from_secs(10),
            done_timeout: Duration::from_secs(10),
            prescription_choice: false,
        }
    }
}

/// `[policy]`: attempts and timeouts.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PolicyConfig {
    /// Failed face matches before the PIN fallback.
    pub face_attempts: u32,
    /// Inactivity timeout of every screen, seconds.
    pub screen_timeout_s: u64,
    /// Wrong staff passcodes before the staff lockout.
    pub staff_passcode_attempts: u32,
    /// Extension: one fixed staff lock-out, seconds (the older key; give this or
    /// `staff_lockout_steps_s`, not both).
    pub staff_lockout_s: Option<u64>,
    /// Extension: the escalating staff lock-outs, seconds: the first after
    /// `staff_passcode_attempts` misses, the next after as many more, …; the last
    /// repeats (default 60, 300, 1800).
    pub staff_lockout_steps_s: Option<Vec<u64>>,
    /// Extension: seconds before face authentication starts by itself (0: never).
    pub auto_face_s: u64,
    /// Extension: guidance frames that count as one failed face attempt.
    pub face_guidance_frames: u32,
    /// Extension: pause between face captures, milliseconds.
    pub face_retry_ms: u64,
    /// Extension: how long visual-check mode stays armed, seconds.
    pub visual_timeout_s: u64,
    /// Extension: wait for the PC's ack before "sent later", seconds.
    pub ack_timeout_s: u64,
    /// Extension: how long the done screen stays, seconds.
    pub done_timeout_s: u64,
    /// Extension: after consent the patient chooses a paper or an electronic
    /// prescription; the choice travels in the identity (`prescription`).
    pub prescription_choice: bool,
}

impl Default for PolicyConfig {
    fn default() -> Self {
        let p = Policy::default();
        PolicyConfig {
            face_attempts: p.face_attempts,
            screen_timeout_s: p.screen_timeout.as_secs(),
            staff_passcode_attempts: 5,
            staff_lockout_s: None,
            staff_lockout_steps_s: None,
            auto_face_s: p.auto_face_after.map_or(0, |d| d.as_secs()),
            face_guidance_frames: p.face_guidance_frames,
            face_retry_ms: p.face_retry.as_millis() as u64,
            visual_timeout_s: p.visual_timeout.as_secs(),
            ack_timeout_s: p.ack_timeout.as_secs(),
            done_timeout_s: p.done_timeout.as_secs(),
            prescription_choice: p.prescription_choice,
        }
    }
}

impl PolicyConfig {
    /// The flow's policy.
    pub fn flow_policy(&self) -> Policy {
        Policy {
            face_attempts: self.face_attempts,
            face_guidance_frames: self.face_guidance_frames,
            face_retry: Duration::from_millis(self.face_retry_ms),
            screen_timeout: Duration::from_secs(self.screen_timeout_s),
            auto_face_after: (self.auto_face_s > 0).then(|| Duration::from_secs(self.auto_face_s)),
            visual_timeout: Duration::from_secs(self.visual_timeout_s),
            ack_timeout: Duration::from_secs(self.ack_timeout_s),
            done_timeout: Duration::from_secs(self.done_timeout_s),
            prescription_choice: self.prescription_choice,
        }
    }

    /// The staff lock-out ladder (see `staff_lockout_steps_s`).
    pub fn staff_lockout_steps(&self) -> Vec<Duration> {
        let steps = match (&self.staff_lockout_steps_s, self.staff_lockout_s) {
            (Some(steps), _) => steps.clone(),
            (None, Some(fixed)) => vec![fixed],
            (None, None) => vec![60, 300, 1800],
        };
        steps.into_iter().map(Duration::from_secs).collect()
    }

    /// Checks values that parse but cannot work: (dotted key, reason).
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        if self.staff_lockout_s.is_some() && self.staff_lockout_steps_s.is_some() {
            return Err((
                "policy.staff_lockout_s",
                "give staff_lockout_s or staff_lockout_steps_s, not both".into(),
            ));
        }
        let steps = self.staff_lockout_steps();
        if steps.is_empty() || steps.len() > 8 {
            return Err((
                "policy.staff_lockout_steps_s",
                "must hold 1 to 8 lock-out lengths".into(),
            ));
        }
        if steps.iter().any(|s| s.is_zero() || s.as_secs() > 86_400) {
            return Err((
                "policy.staff_lockout_steps_s",
                "each lock-out must be 1 to 86400 seconds".into(),
            ));
        }
        let positive = [
            ("policy.face_attempts", self.face_attempts as u64),
            ("policy.screen_timeout_s", self.screen_timeout_s),
            (
                "policy.staff_passcode_attempts",
                self.staff_passcode_attempts as u64,
            ),
            (
                "policy.face_guidance_frames",
                self.face_guidance_frames as u64,
            ),
            ("policy.visual_timeout_s", self.visual_timeout_s),
            ("policy.ack_timeout_s", self.ack_timeout_s),
            ("policy.done_timeout_s", self.done_timeout_s),
        ];
        for (key, value) in positive {
            if value == 0 {
                return Err((key, "must be at least 1".into()));
            }
        }
        if self.face_attempts > 10 {
            return Err((
                "policy.face_attempts",
                "must be at most 10 (the national face lock counts 10 misses)".into(),
            ));
        }
        if self.screen_timeout_s > 3600 {
            return Err(("policy.screen_timeout_s", "must be at most 3600".into()));
        }
        Ok(())
    }
}
