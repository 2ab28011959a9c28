//! The card model plugged into the daemon's mock readers: `{"card":"insert",
//! "profile":PATH}` on the control socket loads the profile into a virtual card
//! (the daemon asks through [`CardLoader`], so it never imports the simulators).

use super::vcard::{CardType, Profile, VirtualCard};
use crate::devices::{CardLoader, LoadedCard, Sim};
use std::path::Path;
use std::sync::Arc;

/// Loads card profiles into [`VirtualCard`]s.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProfileCards;

impl CardLoader for ProfileCards {
    fn load(&self, path: &Path) -> Result<LoadedCard, String> {
        let profile = Profile::load(path).map_err(|e| e.to_string())?;
        let phone = matches!(profile.card_type, CardType::Android | CardType::Iphone);
        let printed = profile.printed_face();
        let card = VirtualCard::new(profile).map_err(|e| e.to_string())?;
        Ok(LoadedCard {
            card: Box::new(card),
            phone,
            printed,
        })
    }
}

/// Gives the daemon's mock readers (if any) the virtual card model.
pub fn attach(sim: &mut Sim) {
    if sim.reader.is_some() || sim.phone_reader.is_some() {
        sim.cards = Some(Arc::new(ProfileCards));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_profile_becomes_a_card_and_a_phone_goes_to_the_phone_reader() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/cards");
        let card = ProfileCards.load(&dir.join("alice.toml")).expect("alice");
        assert!(!card.phone);
        assert_eq!(card.printed.birth.len(), 8);
        let phone = ProfileCards
            .load(&dir.join("carol-android.toml"))
            .expect("android");
        assert!(phone.phone);
        let err = ProfileCards
            .load(&dir.join("no-such-profile.toml"))
            .err()
            .expect("missing profile");
        assert!(err.contains("no-such-profile"), "{err}");
    }

    #[test]
    fn only_a_terminal_with_mock_readers_gets_the_card_model() {
        let mut sim = Sim::default();
        attach(&mut sim);
        assert!(sim.cards.is_none());
    }
}
