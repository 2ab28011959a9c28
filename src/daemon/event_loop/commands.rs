//! The control socket's commands (docs/control.md): buttons, PIN and staff lines go
//! to the flow like the touchscreen's; the camera, card and device lines play the
//! world for the mock devices ([`crate::devices::Sim`]); a typed 照合番号B goes to
//! the session.

use super::Loop;
use crate::control::{self, Command};
use crate::daemon::PIN_DIGITS;
use crate::devices::LoadedCard;
use crate::flow::{Button, Device, Event};
use kaonin_hal::secret::Digits;

impl Loop {
    pub(super) fn on_control(&mut self, request: control::Request) {
        let reply = request.reply.clone();
        if let Err(message) = self.control(request.command) {
            let _ = reply.try_send(control::error_line(&message));
        }
    }

    fn control(&mut self, command: Command) -> Result<(), String> {
        match command {
            Command::Press(id) => {
                let button =
                    Button::parse(&id).ok_or_else(|| format!("unknown button \"{id}\""))?;
                self.on_event(Event::Press(button));
            }
            Command::Pin(text) => {
                let pin = Digits::parse(&text, PIN_DIGITS).map_err(|e| format!("pin: {e}"))?;
                self.on_event(Event::PinTyped(pin));
            }
            Command::StaffVisual(text) => {
                let passcode =
                    Digits::parse(&text, PIN_DIGITS).map_err(|e| format!("passcode: {e}"))?;
                self.on_event(Event::StaffVisual(passcode));
            }
            Command::StaffConfirm => self.on_event(Event::StaffConfirm),
            Command::Camera(path) => {
                let camera = self
                    .workers
                    .sim
                    .camera
                    .as_ref()
                    .ok_or("the camera is not an image camera")?;
                // The control socket admitted only an existing file under
                // `input.control_dirs`; it may have gone since.
                if path.as_ref().is_some_and(|p| !p.is_file()) {
                    return Err("camera: no such image file".into());
                }
                camera.set(path);
            }
            Command::CardInsert(profile) => self.insert_card(&profile)?,
            Command::CardRemove => {
                let sim = &self.workers.sim;
                if sim.reader.is_none() {
                    return Err("card remove: only the mock reader takes cards from here".into());
                }
                for handle in [&sim.reader, &sim.phone_reader].into_iter().flatten() {
                    handle.remove();
                }
            }
            Command::CardFace(face) => {
                // Typed by staff (or a test): wins over a card-face read under way.
                self.session.typed_face = Some(face.clone());
                if self.session.card_face_pending.is_some() {
                    self.cancel_card_face();
                    self.read_card(Some(face));
                }
            }
            Command::Device { device, plugged } => self.plug(device, plugged)?,
            Command::DebugStall(duration) => {
                if std::env::var_os("KAONIN_DEBUG_CONTROL").is_none() {
                    return Err("debug lines are disabled (KAONIN_DEBUG_CONTROL)".into());
                }
                tracing::warn!(?duration, "stalling the flow loop on request (test hook)");
                std::thread::sleep(duration);
            }
            Command::DebugFault { worker, fault } => {
                if std::env::var_os("KAONIN_DEBUG_CONTROL").is_none() {
                    return Err("debug lines are disabled (KAONIN_DEBUG_CONTROL)".into());
                }
                use crate::daemon::workers::health::{arm_fault, Fault};
                if worker == "task" {
                    tracing::warn!("panicking in an async task on request (test hook)");
                    tokio::spawn(async { panic!("test fault: an async task panics") });
                    return Ok(());
                }
                let fault = match fault {
                    crate::control::DebugFault::Panic => Fault::Panic,
                    crate::control::DebugFault::Wedge => Fault::Wedge,
                };
                tracing::warn!(
                    worker,
                    ?fault,
                    "arming a worker fault on request (test hook)"
                );
                arm_fault(&worker, fault);
            }
        }
        Ok(())
    }

    /// Pulls or restores the cable of a simulated device.
    fn plug(&mut self, device: Device, plugged: bool) -> Result<(), String> {
        let sim = &self.workers.sim;
        let reader = match device {
            Device::Reader => sim.reader.as_ref(),
            Device::PhoneReader => sim.phone_reader.as_ref(),
            Device::Camera if sim.camera.is_some() => {
                sim.camera_plugged
                    .store(plugged, std::sync::atomic::Ordering::SeqCst);
                return Ok(());
            }
            _ => None,
        };
        let reader = reader.ok_or(format!("{device:?} is not a simulated device here"))?;
        if plugged {
            reader.plug();
        } else {
            reader.unplug();
        }
        Ok(())
    }

    fn insert_card(&mut self, path: &std::path::Path) -> Result<(), String> {
        let sim = &self.workers.sim;
        let loader = sim
            .cards
            .as_ref()
            .ok_or("card insert: this build has no card simulator")?;
        let LoadedCard {
            card,
            phone,
            printed: face,
        } = loader
            .load(path)
            // The reason, never the path (the loader's message may carry it).
            .map_err(|e| {
                let reason = e
                    .to_string()
                    .replace(&path.display().to_string(), "the profile");
                format!("card insert: {reason}")
            })?;
        let handle = if phone {
            sim.phone_reader.as_ref()
        } else {
            sim.reader.as_ref()
        }
        .ok_or("card insert: only the mock reader takes cards from here")?;
        self.session.profile_face = (!phone).then_some(face);
        handle.insert(card);
        Ok(())
    }
}
