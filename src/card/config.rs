//! `[card]` (CONTRACT §2, extended): the trust anchors for the 券面AP's card-face data
//! (`kenmen_trust`) and the deadline of one card operation (`operation_timeout_s`).
//! Its defaults and validation live here; the top-level config only composes it.

use super::trust::{KenmenTrust, TrustError};
use serde::Deserialize;
use std::path::PathBuf;
use std::time::Duration;

/// `[card]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CardConfig {
    /// PEM file of extra RSA public keys (SubjectPublicKeyInfo, one or more) that may
    /// sign the 券面AP's EF `0004` certificate, beside the built-in J-LIS production
    /// key. Empty: none.
    pub kenmen_trust: PathBuf,
    /// Extension: one card operation (reading a card, a PIN query, a VERIFY, a
    /// signature) that takes longer than this is abandoned; the reception returns
    /// to idle with "card not answering".
    pub operation_timeout_s: u64,
}

impl Default for CardConfig {
    fn default() -> Self {
        CardConfig {
            kenmen_trust: PathBuf::new(),
            operation_timeout_s: 15,
        }
    }
}

impl CardConfig {
    /// Checks values that parse but cannot work: (dotted key, reason). Reads the
    /// trust file, so a broken one is reported by `kaonin check-config`.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        if !(1..=120).contains(&self.operation_timeout_s) {
            return Err(("card.operation_timeout_s", "must be 1 to 120".into()));
        }
        self.trust()
            .map(drop)
            .map_err(|e| ("card.kenmen_trust", e.to_string()))
    }

    /// The trust anchors: the built-in ones and those of `kenmen_trust`.
    pub fn trust(&self) -> Result<KenmenTrust, TrustError> {
        if self.kenmen_trust.as_os_str().is_empty() {
            Ok(KenmenTrust::built_in())
        } else {
            KenmenTrust::load(&self.kenmen_trust)
        }
    }

    /// The deadline of one card operation.
    pub fn operation_timeout(&self) -> Duration {
        Duration::from_secs(self.operation_timeout_s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_trust_only_the_built_in_key() {
        let c = CardConfig::default();
        assert_eq!(c.validate(), Ok(()));
        assert_eq!(c.trust().unwrap().configured(), 0);
        assert_eq!(c.operation_timeout(), Duration::from_secs(15));
    }

    #[test]
    fn bad_values_name_their_key() {
        let c = CardConfig {
            operation_timeout_s: 0,
            ..CardConfig::default()
        };
        assert_eq!(c.validate().unwrap_err().0, "card.operation_timeout_s");
        let c = CardConfig {
            kenmen_trust: PathBuf::from("/nonexistent/trust.pem"),
            ..CardConfig::default()
        };
        let (key, reason) = c.validate().unwrap_err();
        assert_eq!(key, "card.kenmen_trust");
        assert!(reason.contains("/nonexistent/trust.pem"), "{reason}");
    }

    #[test]
    fn the_virtual_cards_ca_is_a_valid_trust_file() {
        let c = CardConfig {
            kenmen_trust: concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/assets/cards/keys/kenmen-ca.pub.pem"
            )
            .into(),
            ..CardConfig::default()
        };
        assert_eq!(c.validate(), Ok(()));
        assert_eq!(c.trust().unwrap().configured(), 1);
    }
}
