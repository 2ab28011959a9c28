//! Policy values the flow obeys: attempts and timeouts, all from the config.

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
        }
    }
}
