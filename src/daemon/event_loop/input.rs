//! Touches and keys from the touchscreen or the PIN pad: a touch becomes a button
//! or a PIN-pad key of the screen shown; PIN digits collect in the session until
//! four are typed, then go to the flow (as the patient's PIN on the pin screen, as
//! the staff passcode on the staff_passcode screen). On a screen offering 係員, the
//! PIN pad's staff sequence [`STAFF_KEYS`] stands for that control.

use super::Loop;
use crate::daemon::PIN_DIGITS;
use crate::flow::{Button, Event, ScreenId};
use crate::ui::Hit;
use kaonin_hal::input::{InputEvent, Key};
use kaonin_hal::secret::Digits;
use zeroize::Zeroizing;

/// The PIN pad's staff sequence: 訂正 確定 訂正 確定 (`C E C E`), nothing else in
/// between, on a screen that offers the 係員 control (docs/serial-keypad.md).
pub const STAFF_KEYS: [Key; 4] = [Key::Clear, Key::Enter, Key::Clear, Key::Enter];

impl Loop {
    pub(super) fn on_input(&mut self, input: InputEvent) {
        match input {
            InputEvent::Touch { x, y } => {
                let hit = self
                    .session
                    .screen
                    .as_ref()
                    .and_then(|s| self.ui.hit(s, x, y));
                match hit {
                    Some(Hit::Button(button)) => self.on_event(Event::Press(button)),
                    Some(Hit::Digit(d)) => self.pin_key(Key::Digit(d)),
                    Some(Hit::Delete) => self.pin_key(Key::Clear),
                    None => {}
                }
            }
            InputEvent::Key(key) => self.pin_key(key),
            InputEvent::Press(id) => match Button::parse(&id) {
                Some(button) => self.on_event(Event::Press(button)),
                None => tracing::warn!(button = %id, "unknown button from input"),
            },
            InputEvent::Pin(pin) => self.on_event(Event::PinTyped(pin)),
            InputEvent::StaffVisual { passcode } => self.on_event(Event::StaffVisual(passcode)),
            InputEvent::StaffConfirm => self.on_event(Event::StaffConfirm),
        }
    }

    /// Forgets the digits typed so far (no VERIFY, no try spent) and redraws.
    pub(super) fn clear_pin(&mut self) {
        if !self.session.clear_pin() {
            return;
        }
        if let Some(screen) = self.session.screen.clone() {
            self.show(screen);
        }
    }

    /// Follows the pad's staff sequence on screens offering 係員; true when a key
    /// completed it.
    fn staff_sequence(&mut self, key: Key) -> bool {
        if !self.session.offers(Button::Staff) {
            self.session.staff_keys = 0;
            return false;
        }
        let typed = self.session.staff_keys;
        self.session.staff_keys = if STAFF_KEYS[typed] == key {
            typed + 1
        } else {
            usize::from(STAFF_KEYS[0] == key)
        };
        if self.session.staff_keys == STAFF_KEYS.len() {
            self.session.staff_keys = 0;
            return true;
        }
        false
    }

    /// A key of a PIN pad (touch or hardware): digits collect until four are typed.
    fn pin_key(&mut self, key: Key) {
        let on_pad = self.session.on_pad();
        let staff = self.session.showing(ScreenId::StaffPasscode);
        if !on_pad && self.staff_sequence(key) {
            return self.on_event(Event::StaffEntry);
        }
        let pin = &mut self.session.pin;
        match key {
            Key::Cancel => return self.on_event(Event::Press(Button::Cancel)),
            _ if !on_pad => return,
            Key::Digit(d) if d <= 9 && pin.len() < PIN_DIGITS => pin.push(char::from(b'0' + d)),
            Key::Digit(_) | Key::Enter => {}
            Key::Clear => {
                pin.pop();
            }
        }
        if pin.len() == PIN_DIGITS {
            let typed = std::mem::replace(pin, Zeroizing::new(String::new()));
            if let Ok(pin) = Digits::parse(&typed, PIN_DIGITS) {
                return self.on_event(if staff {
                    Event::StaffVisual(pin)
                } else {
                    Event::PinTyped(pin)
                });
            }
        }
        if let Some(screen) = self.session.screen.clone() {
            self.show(screen);
        }
    }
}
