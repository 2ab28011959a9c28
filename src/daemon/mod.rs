//! The daemon: devices, flow and PC link wired together on tokio.
//!
//! Data moves one way. Device workers (threads, because the devices block), the
//! control socket, the PC link and timers turn what happens into [`Inbound`]
//! messages; the loop feeds them to the [`Flow`] and carries out the actions it
//! returns. The loop itself never blocks on a device.

mod cardface;
mod notify;
mod workers;

use crate::card::{CardFace, KenmenGuard};
use crate::config::Config;
use crate::control::{self, Command};
use crate::devices::{Devices, LoadedCard, Sim};
use crate::flow::{
    Action, Button, CardFaceEvent, Device, Event, Flow, Identity, ReaderRole, Screen, ScreenId,
};
use crate::ids::uuid_v4;
use crate::link::{self, LinkHandle, StatusSnapshot};
use crate::staff::Staff;
use crate::stats::Stats;
use crate::ui::{Hit, Ui};
use kaonin_hal::input::{InputEvent, Key};
use kaonin_hal::secret::Digits;
use serde_json::json;
use std::collections::HashMap;
use std::future::Future;
use std::path::PathBuf;
use std::sync::mpsc as std_mpsc;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use workers::{CardCmd, DisplayCmd, FaceCmd, NameSlot, PhotoSlot, PreviewTx};
use zeroize::Zeroizing;

/// How often a failed device is tried again.
pub const RETRY: Duration = Duration::from_millis(500);

/// Digits of a card PIN and of a staff passcode.
pub const PIN_DIGITS: usize = 4;

/// Something for the daemon loop.
#[derive(Debug)]
pub enum Inbound {
    /// An event for the flow.
    Flow(Event),
    /// A line from the control socket.
    Control(control::Request),
    /// Input from a touchscreen or keypad.
    Input(InputEvent),
    /// A device stopped or started working.
    Device { device: Device, up: bool },
    /// Time to tell systemd the loop is alive.
    Watchdog,
    /// The input device sent something that is not a key: drop any half-typed PIN.
    InputGarbled,
    /// The card-face worker's progress for the read `token`.
    CardFace {
        token: u64,
        report: cardface::Report,
    },
}

/// Why the daemon could not start.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    /// The operations figures could not be opened.
    #[error("operations figures: {0}")]
    Stats(#[from] crate::stats::StatsError),
    /// The screens could not be prepared (fonts, catalogs).
    #[error("screens: {0}")]
    Ui(#[from] crate::ui::UiError),
    /// The staff passcode store could not be opened.
    #[error("staff passcodes: {0}")]
    Staff(#[from] crate::staff::StaffError),
    /// The PC link could not start.
    #[error("PC link: {0}")]
    Link(#[from] crate::link::LinkError),
    /// A device could not be set up.
    #[error(transparent)]
    Device(#[from] crate::devices::DeviceError),
    /// The control socket could not be opened.
    #[error("control socket {path}: {source}")]
    Control {
        path: String,
        source: std::io::Error,
    },
}

/// Runs the daemon until `shutdown` completes; then the session is wiped and the
/// outbox left intact.
pub async fn run(
    config: &Config,
    devices: Devices,
    sim: Sim,
    shutdown: impl Future<Output = ()>,
) -> Result<(), DaemonError> {
    let (tx, rx) = mpsc::unbounded_channel::<Inbound>();
    let announce = control::Announcer::new(256);
    let (status_tx, status_rx) = watch::channel(StatusSnapshot::default());
    let ui = Arc::new(Ui::new(
        config.display.width,
        config.display.height,
        config.ui_options(),
    )?);
    let staff = Staff::open(
        &config.terminal.state_dir,
        config.policy.staff_passcode_attempts,
        Duration::from_secs(config.policy.staff_lockout_s),
    )?;
    let (link_tx, mut link_rx) = mpsc::channel::<Event>(64);
    let stats = Stats::open(&config.terminal.state_dir)?;
    let mut link_options = link::ClientOptions::from_config(
        &config.link,
        &config.terminal.id,
        &config.terminal.state_dir,
    )?;
    // The PC may ask for the operations figures (docs/pc-link.md, `stats_request`).
    link_options.stats = Some(stats.clone());
    let link = link::spawn_with(link_options, staff.clone(), link_tx, status_rx).await?;
    {
        let tx = tx.clone();
        tokio::spawn(async move {
            while let Some(event) = link_rx.recv().await {
                if tx.send(Inbound::Flow(event)).is_err() {
                    break;
                }
            }
        });
    }
    if config.input.uses_control() {
        start_control(config, tx.clone(), announce.clone()).await?;
    }
    let tx_watchdog = tx.clone();
    if let Some(addr) = config.board.metrics.addr() {
        // Bound before READY=1, so the endpoint answers as soon as systemd (or a
        // test) is told the daemon is up.
        match crate::stats::bind_metrics(addr).await {
            Ok(listener) => {
                tracing::info!(%addr, "metrics endpoint listening");
                let stats = stats.clone();
                tokio::spawn(async move {
                    if let Err(e) = crate::stats::serve_metrics_on(stats, listener).await {
                        tracing::error!(error = %e, %addr, "metrics endpoint stopped");
                    }
                });
            }
            Err(e) => tracing::error!(error = %e, %addr, "metrics endpoint unavailable"),
        }
    }
    let mut daemon = Loop::start(
        config,
        devices,
        sim,
        ui,
        staff,
        link.clone(),
        tx,
        announce,
        status_tx,
        stats.clone(),
    );
    if let Some(every) = notify::watchdog_interval() {
        let tx = tx_watchdog;
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(every);
            loop {
                ticks.tick().await;
                if tx.send(Inbound::Watchdog).is_err() {
                    break;
                }
            }
        });
    }
    notify::notify("READY=1");
    tracing::info!(terminal = %config.terminal.id, "ready");
    tokio::select! {
        _ = daemon.run(rx) => {}
        _ = shutdown => {}
    }
    notify::notify("STOPPING=1");
    daemon.stop();
    link.shutdown().await;
    if let Err(e) = stats.flush() {
        tracing::warn!(error = %e, "operations figures could not be saved");
    }
    Ok(())
}

async fn start_control(
    config: &Config,
    tx: mpsc::UnboundedSender<Inbound>,
    announce: control::Announcer,
) -> Result<(), DaemonError> {
    let path = PathBuf::from(config.input.control.trim_start_matches("unix:"));
    let listener = control::bind(&path).map_err(|source| DaemonError::Control {
        path: path.display().to_string(),
        source,
    })?;
    let (req_tx, mut req_rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        if let Err(e) = control::serve(listener, req_tx, announce).await {
            tracing::error!(error = %e, "control socket stopped");
        }
    });
    tokio::spawn(async move {
        while let Some(request) = req_rx.recv().await {
            if tx.send(Inbound::Control(request)).is_err() {
                break;
            }
        }
    });
    Ok(())
}

/// The loop's state: the flow, the channels to the device workers, and what the
/// daemon keeps between events (the PIN digits being typed, the card face).
struct Loop {
    flow: Flow,
    ui: Arc<Ui>,
    staff: Staff,
    link: LinkHandle,
    tx: mpsc::UnboundedSender<Inbound>,
    announce: control::Announcer,
    status: watch::Sender<StatusSnapshot>,
    cards: HashMap<ReaderRole, std_mpsc::Sender<CardCmd>>,
    face: std_mpsc::Sender<FaceCmd>,
    display: std_mpsc::Sender<DisplayCmd>,
    /// The display may show the camera preview (it does not store frames).
    preview: bool,
    indicator: kaonin_hal::indicator::BoxedIndicator,
    sim: Sim,
    session_role: Option<ReaderRole>,
    screen: Option<Screen>,
    pin: Zeroizing<String>,
    card_face: Option<CardFace>,
    profile_face: Option<CardFace>,
    card_present: bool,
    /// Devices not working now, for status messages.
    faults: Vec<Device>,
    /// Operations figures.
    stats: Stats,
    workers: Vec<std::thread::JoinHandle<()>>,
    /// The card-face worker (`None` without a card-face camera).
    card_face_cmd: Option<std_mpsc::Sender<cardface::CardFaceCmd>>,
    /// The card-face read the loop waits for before reading the chip.
    card_face_pending: Option<u64>,
    card_face_tokens: u64,
}

impl Loop {
    #[allow(clippy::too_many_arguments)]
    fn start(
        config: &Config,
        devices: Devices,
        sim: Sim,
        ui: Arc<Ui>,
        staff: Staff,
        link: LinkHandle,
        tx: mpsc::UnboundedSender<Inbound>,
        announce: control::Announcer,
        status: watch::Sender<StatusSnapshot>,
        stats: Stats,
    ) -> Self {
        let Devices {
            reader,
            phone_reader,
            camera,
            display,
            indicator,
            input,
            matcher,
            card_face,
        } = devices;
        let photo = PhotoSlot::default();
        let name = NameSlot::default();
        let mut workers = Vec::new();
        let mut cards = HashMap::new();
        let readers = std::iter::once((ReaderRole::Card, reader))
            .chain(phone_reader.map(|r| (ReaderRole::Phone, r)));
        for (role, reader) in readers {
            let (ctx, crx) = std_mpsc::channel();
            let (tx, photo, name) = (tx.clone(), photo.clone(), name.clone());
            let guard = KenmenGuard::new(config.card_face_floor());
            workers.push(spawn_worker("card", move || {
                workers::card_worker(role, reader, crx, tx, photo, name, guard)
            }));
            cards.insert(role, ctx);
        }
        let (display_tx, drx) = std_mpsc::channel();
        let preview = !kaonin_hal::display::Display::stores_frames(&display);
        let preview_in_flight = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (face, frx) = std_mpsc::channel();
        {
            let (tx, photo) = (tx.clone(), photo.clone());
            let preview = PreviewTx::new(display_tx.clone(), preview_in_flight.clone());
            workers.push(spawn_worker("face", move || {
                workers::face_worker(camera, matcher, frx, tx, photo, preview)
            }));
        }
        {
            let (ui, announce, tx) = (ui.clone(), announce.clone(), tx.clone());
            workers.push(spawn_worker("display", move || {
                workers::display_worker(ui, display, drx, announce, tx, name, preview_in_flight)
            }));
        }
        if let Some(input) = input {
            let tx = tx.clone();
            workers.push(spawn_worker("input", move || input_worker(input, tx)));
        }
        let card_face_cmd = card_face.map(|device| {
            let (ctx, crx) = std_mpsc::channel();
            let tx = tx.clone();
            workers.push(spawn_worker("cardface", move || {
                cardface::card_face_worker(device, crx, tx)
            }));
            ctx
        });
        let (flow, actions) = Flow::new(config.policy.flow_policy());
        let mut daemon = Loop {
            flow,
            ui,
            staff,
            link,
            tx,
            announce,
            status,
            cards,
            face,
            display: display_tx,
            preview,
            indicator,
            sim,
            session_role: None,
            screen: None,
            pin: Zeroizing::new(String::new()),
            card_face: None,
            profile_face: None,
            card_present: false,
            faults: Vec::new(),
            stats,
            workers,
            card_face_cmd,
            card_face_pending: None,
            card_face_tokens: 0,
        };
        daemon.perform(actions);
        daemon
    }

    async fn run(&mut self, mut rx: mpsc::UnboundedReceiver<Inbound>) {
        while let Some(inbound) = rx.recv().await {
            match inbound {
                Inbound::Flow(event) => self.on_event(event),
                Inbound::Control(request) => self.on_control(request),
                Inbound::Input(input) => self.on_input(input),
                Inbound::Device { device, up } => {
                    if up {
                        tracing::info!(?device, "device working again");
                    } else {
                        tracing::error!(?device, "device not working; staff called");
                    }
                    self.faults.retain(|d| *d != device);
                    if !up {
                        self.faults.push(device);
                    }
                    self.on_event(Event::Device { device, up });
                }
                // Sent from the loop itself: a wedged loop stops the pings and
                // systemd restarts the service.
                Inbound::Watchdog => notify::notify("WATCHDOG=1"),
                Inbound::InputGarbled => self.clear_pin(),
                Inbound::CardFace { token, report } => self.on_card_face(token, report),
            }
        }
    }

    /// Ends the session (wiping its secrets) and lets the workers finish.
    fn stop(&mut self) {
        self.perform(vec![Action::EndSession]);
        self.cards.clear();
        self.card_face_cmd = None;
        let (face, _) = std_mpsc::channel();
        self.face = face;
        let (display, _) = std_mpsc::channel();
        self.display = display;
        for worker in self.workers.drain(..) {
            if worker.join().is_err() {
                tracing::error!("a device worker panicked");
            }
        }
    }

    fn on_event(&mut self, event: Event) {
        self.stats.observe_event(&event);
        if let Event::Link { up } = event {
            self.stats.set_link_up(up);
        }
        match &event {
            Event::CardPresent(_) => self.card_present = true,
            Event::CardAbsent(role) => {
                self.card_present = false;
                self.card_face = None;
                // Only the card slot's card is photographed.
                if *role == ReaderRole::Card {
                    self.cancel_card_face();
                }
            }
            _ => {}
        }
        let actions = self.flow.handle(event);
        self.perform(actions);
    }

    fn perform(&mut self, actions: Vec<Action>) {
        for action in actions {
            self.perform_one(action);
        }
    }

    fn perform_one(&mut self, action: Action) {
        self.stats.observe_action(&action);
        match action {
            Action::Show(screen) => self.show(screen),
            Action::ReadCard(role) => {
                self.session_role = Some(role);
                // The control socket's value wins; then the card-face camera; then
                // the simulated profile's printed face.
                if self.card_face.is_none() && role == ReaderRole::Card {
                    if let Some(cmd) = &self.card_face_cmd {
                        self.card_face_tokens += 1;
                        let token = self.card_face_tokens;
                        if cmd.send(cardface::CardFaceCmd::Read { token }).is_ok() {
                            self.card_face_pending = Some(token);
                            return;
                        }
                        tracing::error!("card-face worker gone; reading the card without it");
                    }
                }
                let card_face = self.card_face.clone().or_else(|| self.profile_face.clone());
                self.read_card(card_face);
            }
            Action::QueryPinTries => self.send_card(CardCmd::QueryPin),
            Action::VerifyPin(pin) => self.send_card(CardCmd::Verify(pin)),
            Action::ReadCertificate => self.send_card(CardCmd::ReadCertificate),
            Action::Sign { id } => self.send_card(CardCmd::Sign(id)),
            Action::CaptureFace => {
                if self.face.send(FaceCmd::Capture).is_err() {
                    self.on_event(Event::Face(crate::flow::FaceOutcome::Unavailable));
                }
            }
            Action::CheckStaffPasscode(passcode) => self.check_staff(passcode),
            Action::Enqueue(identity) => self.enqueue(identity),
            Action::PcEvent { kind, detail } => self.link.event(kind, &detail),
            Action::Audit(entry) => {
                if let Err(e) = self.staff.audit(&entry) {
                    tracing::error!(error = %e, "audit log write failed");
                }
            }
            Action::Indicate(signal) => {
                if let Err(e) = self.indicator.signal(signal) {
                    tracing::warn!(error = %e, "indicator failed");
                }
            }
            Action::StartTimer { token, after } => {
                let tx = self.tx.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(after).await;
                    let _ = tx.send(Inbound::Flow(Event::TimerFired(token)));
                });
            }
            Action::EndSession => {
                self.cancel_card_face();
                self.pin = Zeroizing::new(String::new());
                for card in self.cards.values() {
                    let _ = card.send(CardCmd::End);
                }
                let _ = self.face.send(FaceCmd::End);
                self.session_role = None;
            }
        }
    }

    fn read_card(&mut self, card_face: Option<CardFace>) {
        self.send_card(CardCmd::Read {
            session_id: uuid_v4(),
            card_face,
        });
    }

    /// Stops a card-face read the loop was waiting for.
    fn cancel_card_face(&mut self) {
        if self.card_face_pending.take().is_some() {
            if let Some(cmd) = &self.card_face_cmd {
                let _ = cmd.send(cardface::CardFaceCmd::Cancel);
            }
        }
    }

    /// A report of the card-face worker: guidance goes to the flow; the result
    /// (value or refusal) lets the card worker read the chip.
    fn on_card_face(&mut self, token: u64, report: cardface::Report) {
        if self.card_face_pending != Some(token) {
            return;
        }
        match report {
            cardface::Report::Guidance(g) => {
                self.on_event(Event::CardFace(CardFaceEvent::Guidance(g)));
            }
            cardface::Report::Done(reading) => {
                self.card_face_pending = None;
                if reading.marking {
                    self.on_event(Event::CardFace(CardFaceEvent::FaceAuthMarking));
                }
                let face = match reading.face {
                    Ok(face) => Some(face),
                    Err(notice) => {
                        self.on_event(Event::CardFace(CardFaceEvent::Refused(notice)));
                        None
                    }
                };
                self.read_card(face);
            }
        }
    }

    fn send_card(&mut self, cmd: CardCmd) {
        let role = self.session_role.unwrap_or(ReaderRole::Card);
        let sent = self.cards.get(&role).map(|tx| tx.send(cmd).is_ok());
        if sent != Some(true) {
            tracing::error!(?role, "no worker for this reader");
            self.on_event(Event::CardRead(Err(crate::flow::CardFailure::ReaderFault)));
        }
    }

    fn show(&mut self, mut screen: Screen) {
        self.stats.set_outbox_depth(self.link.outbox_len());
        if screen.id != ScreenId::Pin {
            self.pin = Zeroizing::new(String::new());
        }
        screen.params.pin_dots = self.pin.len() as u8;
        let failed_devices = self
            .faults
            .iter()
            .filter_map(|d| serde_json::to_value(d).ok())
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect();
        let _ = self.status.send(StatusSnapshot {
            state: screen.id.as_str().into(),
            card_present: self.card_present,
            failed_devices,
        });
        // The live preview runs while the face screen is up.
        let was_face = self.screen.as_ref().is_some_and(|s| s.id == ScreenId::Face);
        if self.preview && was_face != (screen.id == ScreenId::Face) {
            let _ = self
                .face
                .send(FaceCmd::Preview(screen.id == ScreenId::Face));
        }
        let _ = self.display.send(DisplayCmd::Show(screen.clone()));
        self.screen = Some(screen);
    }

    fn check_staff(&mut self, passcode: Digits) {
        let (staff, tx) = (self.staff.clone(), self.tx.clone());
        tokio::task::spawn_blocking(move || {
            let check = staff.check(&passcode);
            let _ = tx.send(Inbound::Flow(Event::StaffChecked(check)));
        });
    }

    fn enqueue(&mut self, identity: Identity) {
        let (link, tx, announce) = (self.link.clone(), self.tx.clone(), self.announce.clone());
        tokio::spawn(async move {
            let result = link.enqueue(&identity).await;
            if result.is_ok() {
                let method = serde_json::to_value(identity.method).unwrap_or_default();
                let line = json!({"event": "forwarded", "id": identity.id, "method": method});
                announce.send(line.to_string());
            }
            let result = result.map_err(|e| {
                tracing::error!(error = %e, "identity could not be stored in the outbox");
                e.to_string()
            });
            let _ = tx.send(Inbound::Flow(Event::Enqueued(result)));
        });
    }

    // ---- input -------------------------------------------------------------

    fn on_input(&mut self, input: InputEvent) {
        match input {
            InputEvent::Touch { x, y } => {
                let hit = self.screen.as_ref().and_then(|s| self.ui.hit(s, x, y));
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
    fn clear_pin(&mut self) {
        if self.pin.is_empty() {
            return;
        }
        self.pin = Zeroizing::new(String::new());
        if let Some(screen) = self.screen.clone() {
            self.show(screen);
        }
    }

    /// A key of a PIN pad (touch or hardware): digits collect until four are typed.
    fn pin_key(&mut self, key: Key) {
        let on_pin = self.screen.as_ref().is_some_and(|s| s.id == ScreenId::Pin);
        match key {
            Key::Cancel => return self.on_event(Event::Press(Button::Cancel)),
            _ if !on_pin => return,
            Key::Digit(d) if d <= 9 && self.pin.len() < PIN_DIGITS => {
                self.pin.push(char::from(b'0' + d))
            }
            Key::Digit(_) | Key::Enter => {}
            Key::Clear => {
                self.pin.pop();
            }
        }
        if self.pin.len() == PIN_DIGITS {
            let typed = std::mem::replace(&mut self.pin, Zeroizing::new(String::new()));
            if let Ok(pin) = Digits::parse(&typed, PIN_DIGITS) {
                return self.on_event(Event::PinTyped(pin));
            }
        }
        if let Some(screen) = self.screen.clone() {
            self.show(screen);
        }
    }

    // ---- control socket ----------------------------------------------------

    fn on_control(&mut self, request: control::Request) {
        let reply = request.reply.clone();
        if let Err(message) = self.control(request.command) {
            let _ = reply.send(control::error_line(&message));
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
                    .sim
                    .camera
                    .as_ref()
                    .ok_or("the camera is not an image camera")?;
                if let Some(path) = &path {
                    if !path.is_file() {
                        return Err(format!("camera: no such image file {}", path.display()));
                    }
                }
                camera.set(path);
            }
            Command::CardInsert(profile) => self.insert_card(&profile)?,
            Command::CardRemove => {
                let mut any = false;
                for handle in [&self.sim.reader, &self.sim.phone_reader]
                    .into_iter()
                    .flatten()
                {
                    any |= handle.is_present();
                    handle.remove();
                }
                if !any && self.sim.reader.is_none() {
                    return Err("card remove: only the mock reader takes cards from here".into());
                }
            }
            Command::CardFace(face) => {
                // Typed by staff (or a test): wins over a card-face read under way.
                self.card_face = Some(face.clone());
                if self.card_face_pending.is_some() {
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
        }
        Ok(())
    }

    /// Pulls or restores the cable of a simulated device.
    fn plug(&mut self, device: Device, plugged: bool) -> Result<(), String> {
        let reader = match device {
            Device::Reader => self.sim.reader.as_ref(),
            Device::PhoneReader => self.sim.phone_reader.as_ref(),
            Device::Camera if self.sim.camera.is_some() => {
                self.sim
                    .camera_plugged
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
        let loader = self
            .sim
            .cards
            .as_ref()
            .ok_or("card insert: this build has no card simulator")?;
        let LoadedCard {
            card,
            phone,
            printed: face,
        } = loader
            .load(path)
            .map_err(|e| format!("card insert: {}: {e}", path.display()))?;
        let handle = if phone {
            self.sim.phone_reader.as_ref()
        } else {
            self.sim.reader.as_ref()
        }
        .ok_or("card insert: only the mock reader takes cards from here")?;
        self.profile_face = (!phone).then_some(face);
        handle.insert(card);
        Ok(())
    }
}

fn spawn_worker(name: &str, body: impl FnOnce() + Send + 'static) -> std::thread::JoinHandle<()> {
    std::thread::Builder::new()
        .name(format!("kaonin-{name}"))
        .spawn(body)
        .expect("spawning a device thread")
}

fn input_worker(mut input: kaonin_hal::input::BoxedInput, tx: mpsc::UnboundedSender<Inbound>) {
    let mut ok = true;
    loop {
        if tx.is_closed() {
            break;
        }
        match input.next(Duration::from_millis(200)) {
            Ok(event) => {
                if !ok {
                    ok = true;
                    let _ = tx.send(Inbound::Device {
                        device: Device::Input,
                        up: true,
                    });
                }
                if let Some(event) = event {
                    if tx.send(Inbound::Input(event)).is_err() {
                        break;
                    }
                }
            }
            Err(e) if e.kind() == kaonin_hal::input::ErrorKind::Garbled => {
                tracing::warn!("input device sent garbage; typed digits dropped");
                if tx.send(Inbound::InputGarbled).is_err() {
                    break;
                }
            }
            Err(e) => {
                if ok {
                    tracing::warn!(error = %e, "input device failed; retrying");
                    let _ = tx.send(Inbound::Device {
                        device: Device::Input,
                        up: false,
                    });
                }
                ok = false;
                std::thread::park_timeout(RETRY);
            }
        }
    }
}
