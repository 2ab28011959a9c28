//! The state machine itself: [`Flow`], its states, the dispatch of each event,
//! and the steps every phase shares (entering a state, timers, ending the session,
//! device faults). Each phase's transitions live in a file of their own below
//! `machine/`, as `impl Flow` blocks:
//!
//! - [`reading`]: a card or phone arrives, is read, or leaves;
//! - [`face`]: face authentication and its fallback;
//! - [`pin`]: the PIN retry counter, VERIFY, the locked card;
//! - [`signing`]: the card's signature and the phone's certificate;
//! - [`visual`]: the staff visual check;
//! - [`consent`]: the consent screens;
//! - [`sending`]: the outbox, the PC's answer, offline;
//! - [`registration`]: 利用登録 offered after a `not_registered` answer;
//! - [`view`]: the screen each state shows.

use super::{
    AckResult, Action, Button, CardFaceGuidance, CardFaceNotice, CardFacts, CardFailure, CardKind,
    Consent, ConsentMode, Device, Event, Guidance, Lang, Method, PcEventKind, Policy, ReaderRole,
    ScreenId, StaffNotice, StaffReason, TimerToken,
};
use kaonin_hal::indicator::Signal;
use std::time::Duration;

mod consent;
mod face;
mod pin;
mod reading;
mod registration;
mod sending;
mod signing;
mod view;
mod visual;

/// The state of the reception, without its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StateName {
    Idle,
    Reading,
    CardError,
    MethodSelect,
    Face,
    PinQuery,
    Pin,
    Signing,
    CertReading,
    PinLocked,
    VisualArmed,
    PhoneWait,
    Consent,
    ConsentItems,
    Enqueueing,
    Sending,
    Done,
    SentOffline,
    StaffCall,
    StaffPasscode,
    Prescription,
    Registration,
    RegistrationEnqueueing,
    RegistrationSent,
}

#[derive(Debug, Clone, PartialEq)]
enum State {
    Idle,
    Reading(ReaderRole),
    CardError(CardFailure),
    MethodSelect,
    Face {
        capturing: bool,
        guidance: Option<Guidance>,
    },
    PinQuery,
    Pin {
        tries: u8,
        verifying: bool,
    },
    Signing(Method),
    CertReading,
    PinLocked,
    VisualArmed,
    PhoneWait,
    Consent,
    ConsentItems(usize),
    Enqueueing,
    Sending,
    Done {
        ack: AckResult,
        message: Option<String>,
    },
    SentOffline,
    StaffCall(StaffReason),
    /// Staff type their passcode on the reader (entered from its own inputs).
    StaffPasscode,
    /// Paper or electronic prescription, after consent (policy).
    Prescription,
    /// 利用登録 offered after the PC answered `not_registered` (the ack's message
    /// kept for the usual finish when the patient declines).
    Registration {
        message: Option<String>,
    },
    /// The patient agreed; the registration is being stored (screen kept).
    RegistrationEnqueueing {
        message: Option<String>,
    },
    /// The registration is stored for the PC; staff will guide the patient.
    RegistrationSent,
}

/// What the flow knows about the card of the current session.
#[derive(Debug, Clone)]
struct Session {
    facts: CardFacts,
    pin_absent: bool,
    face_failures: u32,
    guidance_frames: u32,
    method: Option<Method>,
    face_score: Option<f32>,
    signature: Option<Vec<u8>>,
    staff_account: Option<String>,
    consent: Consent,
    consent_mode: ConsentMode,
    prescription: Option<super::Prescription>,
}

/// The reception flow.
#[derive(Debug)]
pub struct Flow {
    policy: Policy,
    lang: Lang,
    state: State,
    session: Option<Session>,
    /// The reader whose card or phone this session is about.
    present: Option<ReaderRole>,
    /// Staff account that armed visual-check mode (one patient only).
    visual: Option<String>,
    staff_pending: bool,
    notice: Option<StaffNotice>,
    link_up: bool,
    /// Devices not working now.
    faults: Vec<Device>,
    next_token: u64,
    screen_timer: Option<TimerToken>,
    retry_timer: Option<TimerToken>,
    shown: ScreenId,
    /// Card-face camera guidance while the card is read.
    card_face_guidance: Option<CardFaceGuidance>,
    /// Why the card face gave no photo (reported by the card-face reader).
    card_face_notice: Option<CardFaceNotice>,
    /// 「顔認証」 seen in the 追記欄: treat the card as PIN-less.
    face_auth_marked: bool,
}

impl Flow {
    /// A flow in the idle state, and the actions that show it.
    pub fn new(policy: Policy) -> (Self, Vec<Action>) {
        let mut flow = Flow {
            policy,
            lang: Lang::default(),
            state: State::Idle,
            session: None,
            present: None,
            visual: None,
            staff_pending: false,
            notice: None,
            link_up: false,
            faults: Vec::new(),
            next_token: 0,
            screen_timer: None,
            retry_timer: None,
            shown: ScreenId::Idle,
            card_face_guidance: None,
            card_face_notice: None,
            face_auth_marked: false,
        };
        let mut out = Vec::new();
        flow.show(&mut out);
        out.push(Action::Indicate(Signal::Ready));
        (flow, out)
    }

    /// The current state.
    pub fn state(&self) -> StateName {
        match self.state {
            State::Idle => StateName::Idle,
            State::Reading(_) => StateName::Reading,
            State::CardError(_) => StateName::CardError,
            State::MethodSelect => StateName::MethodSelect,
            State::Face { .. } => StateName::Face,
            State::PinQuery => StateName::PinQuery,
            State::Pin { .. } => StateName::Pin,
            State::Signing(_) => StateName::Signing,
            State::CertReading => StateName::CertReading,
            State::PinLocked => StateName::PinLocked,
            State::VisualArmed => StateName::VisualArmed,
            State::PhoneWait => StateName::PhoneWait,
            State::Consent => StateName::Consent,
            State::ConsentItems(_) => StateName::ConsentItems,
            State::Enqueueing => StateName::Enqueueing,
            State::Sending => StateName::Sending,
            State::Done { .. } => StateName::Done,
            State::SentOffline => StateName::SentOffline,
            State::StaffCall(_) => StateName::StaffCall,
            State::StaffPasscode => StateName::StaffPasscode,
            State::Prescription => StateName::Prescription,
            State::Registration { .. } => StateName::Registration,
            State::RegistrationEnqueueing { .. } => StateName::RegistrationEnqueueing,
            State::RegistrationSent => StateName::RegistrationSent,
        }
    }

    /// The screen on display.
    pub fn screen_id(&self) -> ScreenId {
        self.shown
    }

    /// The language on display.
    pub fn lang(&self) -> Lang {
        self.lang
    }

    /// True while a card or phone session is open.
    pub fn in_session(&self) -> bool {
        self.session.is_some()
    }

    /// Handles one event and returns what to do.
    pub fn handle(&mut self, event: Event) -> Vec<Action> {
        let mut out = Vec::new();
        match event {
            Event::TimerFired(token) => self.on_timer(token, &mut out),
            Event::CardPresent(role) => self.on_card_present(role, &mut out),
            Event::CardAbsent(role) => self.on_card_absent(role, &mut out),
            Event::CardRead(result) => self.on_card_read(result, &mut out),
            Event::PinTries(result) => self.on_pin_tries(result, &mut out),
            Event::PinVerified(result) => self.on_pin_verified(result, &mut out),
            Event::CertificateRead(result) => self.on_certificate(result, &mut out),
            Event::Signed(result) => self.on_signed(result, &mut out),
            Event::Face(outcome) => self.on_face(outcome, &mut out),
            Event::Press(button) => self.on_press(button, &mut out),
            Event::PinTyped(pin) => self.on_pin_typed(pin, &mut out),
            Event::StaffVisual(passcode) => self.on_staff_visual(passcode, &mut out),
            Event::StaffEntry => self.on_staff_entry(&mut out),
            Event::StaffChecked(check) => self.on_staff_checked(check, &mut out),
            Event::StaffConfirm => self.on_staff_confirm(&mut out),
            Event::Enqueued(result) => self.on_enqueued(result, &mut out),
            Event::Acked {
                id,
                result,
                message,
            } => self.on_acked(&id, result, message, &mut out),
            Event::Link { up } => self.on_link(up, &mut out),
            Event::PcCancel => self.end_session(&mut out),
            Event::PcArmVisual { account } => self.on_pc_arm_visual(account, &mut out),
            Event::PcDisarm => self.on_pc_disarm(&mut out),
            Event::Device { device, up } => self.on_device(device, up, &mut out),
            Event::CardFace(event) => self.on_card_face(event, &mut out),
        }
        out
    }

    // ---- transitions -------------------------------------------------------

    fn enter(&mut self, state: State, out: &mut Vec<Action>) {
        self.state = state;
        self.notice = None;
        self.retry_timer = None;
        let timeout = self.timeout_of_state();
        self.screen_timer = timeout.map(|after| self.start_timer(after, out));
        if self.shows_screen() {
            self.show(out);
        }
        if matches!(self.state, State::MethodSelect) && self.face_available() {
            if let Some(after) = self.policy.auto_face_after {
                self.retry_timer = Some(self.start_timer(after, out));
            }
        }
    }

    fn timeout_of_state(&self) -> Option<Duration> {
        let p = &self.policy;
        match self.state {
            State::Idle | State::StaffCall(StaffReason::DeviceFault) => None,
            State::VisualArmed => Some(p.visual_timeout),
            State::Sending => Some(p.ack_timeout),
            State::CardError(_)
            | State::Done { .. }
            | State::SentOffline
            | State::RegistrationSent => Some(p.done_timeout),
            _ => Some(p.screen_timeout),
        }
    }

    /// States that keep the previous screen while the card or outbox answers.
    fn shows_screen(&self) -> bool {
        !matches!(
            self.state,
            State::PinQuery
                | State::Signing(_)
                | State::CertReading
                | State::Enqueueing
                | State::RegistrationEnqueueing { .. }
        )
    }

    fn start_timer(&mut self, after: Duration, out: &mut Vec<Action>) -> TimerToken {
        self.next_token += 1;
        let token = TimerToken(self.next_token);
        out.push(Action::StartTimer { token, after });
        token
    }

    /// The terminal is out of order while an essential device is down.
    fn out_of_order(&self) -> bool {
        self.faults.iter().any(|d| d.is_essential())
    }

    fn on_device(&mut self, device: Device, up: bool, out: &mut Vec<Action>) {
        let known = self.faults.contains(&device);
        match (up, known) {
            (false, false) => self.faults.push(device),
            (true, true) => self.faults.retain(|d| *d != device),
            _ => return,
        }
        self.faults.sort();
        let showing = self.state == State::StaffCall(StaffReason::DeviceFault);
        if self.out_of_order() {
            // The session (if any) cannot go on: wipe it and call staff.
            if self.present.is_some() || self.session.is_some() || self.visual.is_some() {
                out.push(Action::EndSession);
            }
            self.session = None;
            self.present = None;
            self.visual = None;
            self.staff_pending = false;
            if !showing {
                out.push(Action::Indicate(Signal::StaffNeeded));
            }
            self.enter(State::StaffCall(StaffReason::DeviceFault), out);
        } else if showing {
            self.end_session(out);
        }
    }

    fn end_session(&mut self, out: &mut Vec<Action>) {
        if self.present.is_some() || !matches!(self.state, State::Idle) || self.visual.is_some() {
            out.push(Action::EndSession);
        }
        self.session = None;
        self.present = None;
        self.visual = None;
        self.staff_pending = false;
        self.lang = Lang::default();
        self.clear_card_face();
        if self.out_of_order() {
            self.enter(State::StaffCall(StaffReason::DeviceFault), out);
            return;
        }
        self.enter(State::Idle, out);
        out.push(Action::Indicate(Signal::Ready));
    }

    fn card_error(&mut self, failure: CardFailure, out: &mut Vec<Action>) {
        if failure == CardFailure::Removed {
            return self.end_session(out);
        }
        out.push(Action::PcEvent {
            kind: PcEventKind::CardError,
            detail: serde_plain(failure),
        });
        out.push(Action::Indicate(Signal::StaffNeeded));
        self.visual = None;
        self.enter(State::CardError(failure), out);
    }

    // ---- events of every state ---------------------------------------------

    fn on_timer(&mut self, token: TimerToken, out: &mut Vec<Action>) {
        if self.screen_timer == Some(token) {
            self.screen_timer = None;
            match self.state {
                State::Sending => self.go_offline(out),
                State::Face { .. } => self.face_exhausted(out),
                _ => self.end_session(out),
            }
        } else if self.retry_timer == Some(token) {
            self.retry_timer = None;
            match self.state {
                State::MethodSelect => self.start_face(out),
                State::Face {
                    capturing: false, ..
                } => self.capture(out),
                _ => {}
            }
        }
    }

    fn on_press(&mut self, button: Button, out: &mut Vec<Action>) {
        match (button, &self.state) {
            (Button::Lang, _) => {
                self.lang = self.lang.next();
                if self.shows_screen() {
                    self.show(out);
                }
            }
            (Button::Cancel, State::Idle) => {}
            (Button::Cancel, _) => self.end_session(out),
            (Button::Phone, State::Idle) => self.enter(State::PhoneWait, out),
            (Button::Face, State::MethodSelect) if self.face_available() => self.start_face(out),
            (Button::Pin, State::MethodSelect | State::Face { .. }) if self.pin_possible() => {
                self.query_pin(out)
            }
            (
                Button::Ok,
                State::CardError(_)
                | State::PinLocked
                | State::Done { .. }
                | State::SentOffline
                | State::RegistrationSent
                | State::StaffCall(_),
            ) => self.end_session(out),
            (Button::Staff, _) => self.on_staff_entry(out),
            (Button::Confirm, State::VisualArmed) => self.on_staff_confirm(out),
            (Button::NotPatient, State::VisualArmed) => self.on_not_patient(out),
            (Button::Paper, State::Prescription) => {
                self.prescription_chosen(super::Prescription::Paper, out)
            }
            (Button::Electronic, State::Prescription) => {
                self.prescription_chosen(super::Prescription::Electronic, out)
            }
            (Button::ConsentAll, State::Consent) => self.consent_all(out),
            (Button::ConsentIndividual, State::Consent) => self.consent_individually(out),
            (Button::Yes, State::Registration { .. }) => self.registration_accepted(out),
            (Button::No, State::Registration { .. }) => self.registration_declined(out),
            (Button::Yes | Button::No, State::ConsentItems(index)) => {
                let index = *index;
                self.consent_answer(index, button == Button::Yes, out);
            }
            _ => {}
        }
    }

    // ---- questions ---------------------------------------------------------

    fn session_kind(&self) -> Option<CardKind> {
        self.session.as_ref().map(|s| s.facts.kind)
    }
}

/// The snake_case name of a serde enum value, for event details.
fn serde_plain<T: serde::Serialize>(value: T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}
