//! The current reception as the daemon sees it, between events: which reader the
//! session reads, the screen shown, the PIN digits being typed, where 照合番号B
//! may come from, the card-face read the loop waits for — and [`CardPresence`],
//! the one place that knows whether a card is on a reader.
//!
//! The flow keeps its own view of the session (which reader it is about, its
//! state); this is what the daemon needs to carry the flow's actions out.

use crate::card::KenmenKey;
use crate::flow::{Event, ReaderRole, Screen, ScreenId};
use zeroize::Zeroizing;

/// Which readers hold a card (or a phone) now, as the card workers report it
/// (`Event::CardPresent` / `Event::CardAbsent`; a failing reader counts as
/// empty). The status messages to the PC ask here.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CardPresence {
    card: bool,
    phone: bool,
}

impl CardPresence {
    /// Takes note of a presence event; any other event changes nothing.
    pub fn observe(&mut self, event: &Event) {
        match event {
            Event::CardPresent(role) => *self.slot(*role) = true,
            Event::CardAbsent(role) => *self.slot(*role) = false,
            _ => {}
        }
    }

    /// Whether any reader holds a card.
    pub fn any(&self) -> bool {
        self.card || self.phone
    }

    fn slot(&mut self, role: ReaderRole) -> &mut bool {
        match role {
            ReaderRole::Card => &mut self.card,
            ReaderRole::Phone => &mut self.phone,
        }
    }
}

/// What the daemon keeps of the current reception.
#[derive(Default)]
pub struct Session {
    /// The reader the session reads (set when the flow asks to read a card).
    pub role: Option<ReaderRole>,
    /// The screen shown now.
    pub screen: Option<Screen>,
    /// The PIN digits typed so far (wiped when replaced).
    pub pin: Zeroizing<String>,
    /// 照合番号B typed on the control socket: wins over the card-face camera.
    pub typed_face: Option<KenmenKey>,
    /// What the simulated card's profile has printed on its face (last card put
    /// on the mock reader): used when nothing else gives 照合番号B.
    pub profile_face: Option<KenmenKey>,
    /// Which readers hold a card.
    pub presence: CardPresence,
    /// The card-face read the loop waits for before reading the chip.
    pub card_face_pending: Option<u64>,
    card_face_tokens: u64,
    /// Keys of the PIN pad's staff sequence typed so far (docs/serial-keypad.md).
    pub staff_keys: usize,
}

impl Session {
    /// The reader to send card commands to (the card slot when no session reads).
    pub fn reader(&self) -> ReaderRole {
        self.role.unwrap_or(ReaderRole::Card)
    }

    /// Forgets the PIN digits typed so far; true if there were any.
    pub fn clear_pin(&mut self) -> bool {
        let had = !self.pin.is_empty();
        self.pin = Zeroizing::new(String::new());
        had
    }

    /// Whether the screen shown now has the digit pad (PIN or staff passcode).
    pub fn on_pad(&self) -> bool {
        self.screen
            .as_ref()
            .is_some_and(|s| crate::ui::is_pad_screen(s.id))
    }

    /// Whether the screen shown now offers `button`.
    pub fn offers(&self, button: crate::flow::Button) -> bool {
        self.screen
            .as_ref()
            .is_some_and(|s| s.buttons.contains(&button))
    }

    /// Whether the screen shown now is `id`.
    pub fn showing(&self, id: ScreenId) -> bool {
        self.screen.as_ref().is_some_and(|s| s.id == id)
    }

    /// A new token for a card-face read (reports of older reads are ignored).
    pub fn next_card_face_token(&mut self) -> u64 {
        self.card_face_tokens += 1;
        self.card_face_tokens
    }

    /// The value 照合番号B comes from without the camera: typed, else the
    /// simulated profile's.
    pub fn known_face(&self) -> Option<KenmenKey> {
        self.typed_face
            .clone()
            .or_else(|| self.profile_face.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presence_follows_each_reader() {
        let mut presence = CardPresence::default();
        assert!(!presence.any());
        presence.observe(&Event::CardPresent(ReaderRole::Phone));
        presence.observe(&Event::CardPresent(ReaderRole::Card));
        presence.observe(&Event::CardAbsent(ReaderRole::Card));
        assert!(presence.any(), "the phone is still on its reader");
        assert_eq!(
            presence,
            CardPresence {
                card: false,
                phone: true
            }
        );
        presence.observe(&Event::StaffConfirm);
        presence.observe(&Event::CardAbsent(ReaderRole::Phone));
        assert!(!presence.any());
    }
}
