//! The state machine itself: [`Flow`].

use super::policy::Policy;
use super::*;
use kaonin_hal::indicator::Signal;
use kaonin_hal::secret::Digits;
use std::time::Duration;

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
            State::CardError(_) | State::Done { .. } | State::SentOffline => Some(p.done_timeout),
            _ => Some(p.screen_timeout),
        }
    }

    /// States that keep the previous screen while the card or outbox answers.
    fn shows_screen(&self) -> bool {
        !matches!(
            self.state,
            State::PinQuery | State::Signing(_) | State::CertReading | State::Enqueueing
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

    // ---- event handlers ----------------------------------------------------

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

    fn on_card_present(&mut self, role: ReaderRole, out: &mut Vec<Action>) {
        let accepts = match self.state {
            State::Idle => true,
            State::PhoneWait => role == ReaderRole::Phone,
            State::VisualArmed => self.session.is_none() && role == ReaderRole::Card,
            _ => false,
        };
        if accepts {
            self.clear_card_face();
            self.present = Some(role);
            out.push(Action::Indicate(Signal::CardDetected));
            out.push(Action::ReadCard(role));
            self.enter(State::Reading(role), out);
        }
    }

    fn clear_card_face(&mut self) {
        self.card_face_guidance = None;
        self.card_face_notice = None;
        self.face_auth_marked = false;
    }

    /// Card-face progress counts only while the card (not a phone) is being read.
    fn on_card_face(&mut self, event: CardFaceEvent, out: &mut Vec<Action>) {
        if self.state != State::Reading(ReaderRole::Card) {
            return;
        }
        match event {
            CardFaceEvent::Guidance(guidance) => {
                if self.card_face_guidance != Some(guidance) {
                    self.card_face_guidance = Some(guidance);
                    self.show(out);
                }
            }
            CardFaceEvent::Refused(notice) => {
                self.card_face_notice = Some(notice);
                if self.card_face_guidance.take().is_some() {
                    self.show(out);
                }
            }
            CardFaceEvent::FaceAuthMarking => self.face_auth_marked = true,
        }
    }

    fn on_card_absent(&mut self, role: ReaderRole, out: &mut Vec<Action>) {
        if self.present == Some(role) {
            self.end_session(out);
        }
    }

    fn on_card_read(&mut self, result: Result<CardFacts, CardFailure>, out: &mut Vec<Action>) {
        let State::Reading(_) = self.state else {
            return;
        };
        let facts = match result {
            Ok(facts) => facts,
            Err(failure) => return self.card_error(failure, out),
        };
        if !facts.kind.is_phone() && facts.certificate.is_none() {
            return self.card_error(CardFailure::CertificateInvalid, out);
        }
        let kind = facts.kind;
        self.card_face_guidance = None;
        self.card_face_notice = match facts.photo {
            PhotoStatus::Available | PhotoStatus::NotOnDevice => None,
            PhotoStatus::KeyRefused => Some(CardFaceNotice::KeyRefused),
            PhotoStatus::CounterLow => Some(CardFaceNotice::CounterLow),
            PhotoStatus::NoCardFace => self.card_face_notice,
        };
        if facts.photo == PhotoStatus::CounterLow {
            out.push(Action::Indicate(Signal::StaffNeeded));
        }
        // The marking only ever removes the PIN option; its absence proves nothing.
        let marked = self.face_auth_marked && !kind.is_phone();
        self.session = Some(Session {
            pin_absent: kind == CardKind::PinLess || marked,
            facts,
            face_failures: 0,
            guidance_frames: 0,
            method: None,
            face_score: None,
            signature: None,
            staff_account: None,
            consent: Consent::default(),
            consent_mode: ConsentMode::All,
        });
        match kind {
            CardKind::Android => self.query_pin(out),
            CardKind::Iphone => self.sign(Method::Smartphone, out),
            CardKind::Standard | CardKind::PinLess if self.visual.is_some() => {
                self.enter(State::VisualArmed, out)
            }
            CardKind::Standard | CardKind::PinLess => self.enter(State::MethodSelect, out),
        }
    }

    fn on_pin_tries(&mut self, result: Result<PinStatus, CardFailure>, out: &mut Vec<Action>) {
        if self.state != State::PinQuery {
            return;
        }
        match result {
            Ok(PinStatus::Tries(n)) if n > 0 => self.enter(
                State::Pin {
                    tries: n,
                    verifying: false,
                },
                out,
            ),
            Ok(PinStatus::Tries(_)) | Ok(PinStatus::Blocked) => self.pin_locked(out),
            Ok(PinStatus::NoPin) => {
                if let Some(session) = self.session.as_mut() {
                    session.pin_absent = true;
                }
                self.enter(State::MethodSelect, out)
            }
            Err(failure) => self.card_error(failure, out),
        }
    }

    fn on_pin_typed(&mut self, pin: Digits, out: &mut Vec<Action>) {
        if let State::Pin {
            tries,
            verifying: false,
        } = self.state
        {
            if tries > 0 {
                self.state = State::Pin {
                    tries,
                    verifying: true,
                };
                out.push(Action::VerifyPin(pin));
            }
        }
    }

    fn on_pin_verified(
        &mut self,
        result: Result<VerifyOutcome, CardFailure>,
        out: &mut Vec<Action>,
    ) {
        let State::Pin {
            verifying: true, ..
        } = self.state
        else {
            return;
        };
        let phone = self.session_kind().is_some_and(CardKind::is_phone);
        match result {
            Ok(VerifyOutcome::Ok) if phone => {
                out.push(Action::ReadCertificate);
                self.enter(State::CertReading, out);
            }
            Ok(VerifyOutcome::Ok) => self.sign(Method::Pin, out),
            Ok(VerifyOutcome::Wrong { tries_left }) if tries_left > 0 => {
                out.push(Action::Indicate(Signal::TryAgain));
                self.enter(
                    State::Pin {
                        tries: tries_left,
                        verifying: false,
                    },
                    out,
                );
            }
            Ok(VerifyOutcome::Wrong { .. }) | Ok(VerifyOutcome::Blocked) => self.pin_locked(out),
            Err(failure) => self.card_error(failure, out),
        }
    }

    fn on_certificate(&mut self, result: Result<Vec<u8>, CardFailure>, out: &mut Vec<Action>) {
        if self.state != State::CertReading {
            return;
        }
        match result {
            Ok(certificate) => {
                if let Some(session) = self.session.as_mut() {
                    session.facts.certificate = Some(certificate);
                }
                self.sign(Method::Smartphone, out);
            }
            Err(failure) => self.card_error(failure, out),
        }
    }

    fn on_signed(&mut self, result: Result<Vec<u8>, CardFailure>, out: &mut Vec<Action>) {
        let State::Signing(method) = self.state else {
            return;
        };
        match (result, self.session.as_mut()) {
            (Ok(signature), Some(session)) if session.facts.certificate.is_some() => {
                session.signature = Some(signature);
                session.method = Some(method);
                out.push(Action::Indicate(Signal::Success));
                self.enter(State::Consent, out);
            }
            (Ok(_), _) => self.card_error(CardFailure::CertificateInvalid, out),
            (Err(failure), _) => self.card_error(failure, out),
        }
    }

    fn on_face(&mut self, outcome: FaceOutcome, out: &mut Vec<Action>) {
        let State::Face {
            capturing: true, ..
        } = self.state
        else {
            return;
        };
        let Some(session) = self.session.as_mut() else {
            return;
        };
        match outcome {
            FaceOutcome::Match { score } => {
                session.method = Some(Method::Face);
                session.face_score = Some(score);
                out.push(Action::Indicate(Signal::Success));
                self.enter(State::Consent, out);
            }
            FaceOutcome::NoMatch { .. } => self.face_failed(None, out),
            FaceOutcome::Guidance(guidance) => {
                session.guidance_frames += 1;
                if session.guidance_frames >= self.policy.face_guidance_frames {
                    self.face_failed(Some(guidance), out);
                } else {
                    self.state = State::Face {
                        capturing: false,
                        guidance: Some(guidance),
                    };
                    self.show(out);
                    self.retry_timer = Some(self.start_timer(self.policy.face_retry, out));
                }
            }
            FaceOutcome::Unavailable => self.face_exhausted(out),
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
                | State::StaffCall(_),
            ) => self.end_session(out),
            (Button::ConsentAll, State::Consent) => {
                if let Some(session) = self.session.as_mut() {
                    session.consent = Consent::all();
                    session.consent_mode = ConsentMode::All;
                }
                self.enqueue(out);
            }
            (Button::ConsentIndividual, State::Consent) => {
                if let Some(session) = self.session.as_mut() {
                    session.consent = Consent::default();
                    session.consent_mode = ConsentMode::Individual;
                }
                self.enter(State::ConsentItems(0), out);
            }
            (Button::Yes | Button::No, State::ConsentItems(index)) => {
                let index = *index;
                if let Some(session) = self.session.as_mut() {
                    session
                        .consent
                        .set(ConsentItem::ALL[index], button == Button::Yes);
                }
                if index + 1 < ConsentItem::ALL.len() {
                    self.enter(State::ConsentItems(index + 1), out);
                } else {
                    self.enqueue(out);
                }
            }
            _ => {}
        }
    }

    fn on_staff_visual(&mut self, passcode: Digits, out: &mut Vec<Action>) {
        if self.can_arm_visual() && !self.staff_pending {
            self.staff_pending = true;
            out.push(Action::CheckStaffPasscode(passcode));
        }
    }

    fn on_staff_checked(&mut self, check: StaffCheck, out: &mut Vec<Action>) {
        if !std::mem::take(&mut self.staff_pending) || !self.can_arm_visual() {
            return;
        }
        match check {
            StaffCheck::Accepted { account } => {
                out.push(Action::Audit(AuditEntry::VisualArmed {
                    account: account.clone(),
                }));
                out.push(Action::PcEvent {
                    kind: PcEventKind::VisualCheck,
                    detail: format!("armed by {account}"),
                });
                self.visual = Some(account);
                self.enter(State::VisualArmed, out);
            }
            StaffCheck::Rejected { attempts_left } => {
                out.push(Action::Audit(AuditEntry::StaffPasscodeRejected));
                self.notice = Some(StaffNotice::WrongPasscode { attempts_left });
                self.show(out);
            }
            StaffCheck::LockedOut => {
                out.push(Action::Audit(AuditEntry::StaffLockedOut));
                out.push(Action::Indicate(Signal::StaffNeeded));
                self.notice = Some(StaffNotice::LockedOut);
                self.show(out);
            }
        }
    }

    fn on_staff_confirm(&mut self, out: &mut Vec<Action>) {
        if self.state != State::VisualArmed {
            return;
        }
        let (Some(account), Some(session)) = (self.visual.clone(), self.session.as_mut()) else {
            return;
        };
        session.method = Some(Method::Visual);
        session.staff_account = Some(account.clone());
        out.push(Action::Audit(AuditEntry::VisualConfirmed {
            account,
            id: session.facts.session_id.clone(),
        }));
        out.push(Action::Indicate(Signal::Success));
        self.enter(State::Consent, out);
    }

    fn on_enqueued(&mut self, result: Result<(), String>, out: &mut Vec<Action>) {
        if self.state != State::Enqueueing {
            return;
        }
        match result {
            Ok(()) if self.link_up => self.enter(State::Sending, out),
            Ok(()) => self.go_offline(out),
            Err(_) => {
                out.push(Action::Indicate(Signal::StaffNeeded));
                self.enter(State::StaffCall(StaffReason::OutboxFailed), out);
            }
        }
    }

    fn on_acked(
        &mut self,
        id: &str,
        result: AckResult,
        message: Option<String>,
        out: &mut Vec<Action>,
    ) {
        let current = self
            .session
            .as_ref()
            .is_some_and(|s| s.facts.session_id == id);
        if !current || !matches!(self.state, State::Sending | State::SentOffline) {
            return;
        }
        let signal = match result {
            AckResult::Eligible => Signal::Success,
            _ => Signal::StaffNeeded,
        };
        out.push(Action::Indicate(signal));
        self.enter(
            State::Done {
                ack: result,
                message,
            },
            out,
        );
    }

    fn on_link(&mut self, up: bool, out: &mut Vec<Action>) {
        self.link_up = up;
        if !up && self.state == State::Sending {
            self.go_offline(out);
        }
    }

    // ---- steps shared by several handlers ---------------------------------

    fn start_face(&mut self, out: &mut Vec<Action>) {
        self.enter(
            State::Face {
                capturing: false,
                guidance: None,
            },
            out,
        );
        self.capture(out);
    }

    fn capture(&mut self, out: &mut Vec<Action>) {
        if let State::Face { guidance, .. } = self.state {
            self.state = State::Face {
                capturing: true,
                guidance,
            };
            out.push(Action::CaptureFace);
        }
    }

    fn face_failed(&mut self, guidance: Option<Guidance>, out: &mut Vec<Action>) {
        let Some(session) = self.session.as_mut() else {
            return;
        };
        session.face_failures += 1;
        session.guidance_frames = 0;
        if session.face_failures >= self.policy.face_attempts {
            return self.face_exhausted(out);
        }
        out.push(Action::Indicate(Signal::TryAgain));
        self.state = State::Face {
            capturing: false,
            guidance,
        };
        self.show(out);
        self.retry_timer = Some(self.start_timer(self.policy.face_retry, out));
    }

    fn face_exhausted(&mut self, out: &mut Vec<Action>) {
        if let Some(session) = self.session.as_mut() {
            session.face_failures = self.policy.face_attempts;
        }
        out.push(Action::PcEvent {
            kind: PcEventKind::FaceFailed,
            detail: format!("{} attempts", self.policy.face_attempts),
        });
        if self.pin_possible() {
            self.query_pin(out);
        } else {
            out.push(Action::Indicate(Signal::StaffNeeded));
            self.enter(State::MethodSelect, out);
        }
    }

    fn query_pin(&mut self, out: &mut Vec<Action>) {
        out.push(Action::QueryPinTries);
        self.enter(State::PinQuery, out);
    }

    fn pin_locked(&mut self, out: &mut Vec<Action>) {
        out.push(Action::PcEvent {
            kind: PcEventKind::PinLocked,
            detail: "no PIN tries left".into(),
        });
        out.push(Action::Indicate(Signal::Locked));
        self.enter(State::PinLocked, out);
    }

    fn sign(&mut self, method: Method, out: &mut Vec<Action>) {
        let Some(id) = self.session.as_ref().map(|s| s.facts.session_id.clone()) else {
            return;
        };
        out.push(Action::Sign { id });
        self.enter(State::Signing(method), out);
    }

    fn enqueue(&mut self, out: &mut Vec<Action>) {
        let Some(identity) = self.session.as_ref().and_then(identity_of) else {
            return self.end_session(out);
        };
        out.push(Action::Enqueue(identity));
        self.enter(State::Enqueueing, out);
    }

    fn go_offline(&mut self, out: &mut Vec<Action>) {
        out.push(Action::PcEvent {
            kind: PcEventKind::Offline,
            detail: "identity kept in the outbox until the PC answers".into(),
        });
        self.enter(State::SentOffline, out);
    }

    // ---- questions ---------------------------------------------------------

    fn session_kind(&self) -> Option<CardKind> {
        self.session.as_ref().map(|s| s.facts.kind)
    }

    fn face_available(&self) -> bool {
        self.session.as_ref().is_some_and(|s| {
            !s.facts.kind.is_phone()
                && s.facts.photo == PhotoStatus::Available
                && s.face_failures < self.policy.face_attempts
        })
    }

    fn pin_possible(&self) -> bool {
        self.session
            .as_ref()
            .is_some_and(|s| s.facts.kind == CardKind::Standard && !s.pin_absent)
    }

    fn can_arm_visual(&self) -> bool {
        let card_session = self.session_kind().is_some_and(|k| !k.is_phone());
        match self.state {
            State::Idle => true,
            State::MethodSelect | State::Face { .. } | State::PinLocked => card_session,
            State::Pin {
                verifying: false, ..
            } => card_session,
            _ => false,
        }
    }

    // ---- screens -----------------------------------------------------------

    fn show(&mut self, out: &mut Vec<Action>) {
        let screen = self.screen();
        self.shown = screen.id;
        out.push(Action::Show(screen));
    }

    fn screen(&self) -> Screen {
        let mut params = ScreenParams {
            staff_notice: self.notice,
            visual_armed: self.visual.is_some(),
            ..ScreenParams::default()
        };
        let mut buttons = Vec::new();
        let id = match &self.state {
            State::Idle => {
                buttons = vec![Button::Phone, Button::Lang];
                ScreenId::Idle
            }
            State::Reading(_) | State::PinQuery | State::Signing(_) | State::CertReading => {
                params.card_face_guidance = self.card_face_guidance;
                ScreenId::Reading
            }
            State::CardError(failure) => {
                params.card_error = Some(*failure);
                buttons.push(Button::Ok);
                ScreenId::CardError
            }
            State::MethodSelect => {
                if self.face_available() {
                    buttons.push(Button::Face);
                    params.auto_face_in_s = self.policy.auto_face_after.map(|d| d.as_secs() as u32);
                }
                if self.pin_possible() {
                    buttons.push(Button::Pin);
                }
                if buttons.is_empty() {
                    params.staff_reason = Some(StaffReason::NoMethodLeft);
                }
                params.card_face_notice = self.card_face_notice;
                buttons.extend([Button::Cancel, Button::Lang]);
                ScreenId::MethodSelect
            }
            State::Face { guidance, .. } => {
                params.guidance = *guidance;
                let failures = self.session.as_ref().map_or(0, |s| s.face_failures);
                params.face_attempt = Some((failures, self.policy.face_attempts));
                if self.pin_possible() {
                    buttons.push(Button::Pin);
                }
                buttons.push(Button::Cancel);
                ScreenId::Face
            }
            State::Pin { tries, .. } => {
                params.tries_left = Some(*tries);
                params.phone_pin = self.session_kind().is_some_and(CardKind::is_phone);
                buttons.push(Button::Cancel);
                ScreenId::Pin
            }
            State::PinLocked => {
                buttons.push(Button::Ok);
                ScreenId::PinLocked
            }
            State::VisualArmed => {
                buttons.push(Button::Cancel);
                ScreenId::VisualArmed
            }
            State::PhoneWait => {
                buttons.push(Button::Cancel);
                ScreenId::Phone
            }
            State::Consent | State::Enqueueing => {
                buttons = vec![
                    Button::ConsentAll,
                    Button::ConsentIndividual,
                    Button::Cancel,
                ];
                ScreenId::Consent
            }
            State::ConsentItems(index) => {
                params.consent_item = Some(ConsentItem::ALL[*index]);
                buttons = vec![Button::Yes, Button::No];
                ScreenId::ConsentItems
            }
            State::Sending => ScreenId::Sending,
            State::Done { ack, message } => {
                params.ack = Some(*ack);
                params.ack_message = message.clone();
                buttons.push(Button::Ok);
                ScreenId::Done
            }
            State::SentOffline => {
                buttons.push(Button::Ok);
                ScreenId::SentOffline
            }
            State::StaffCall(StaffReason::DeviceFault) => {
                params.staff_reason = Some(StaffReason::DeviceFault);
                params.failed_devices = self.faults.clone();
                ScreenId::StaffCall
            }
            State::StaffCall(reason) => {
                params.staff_reason = Some(*reason);
                buttons.push(Button::Ok);
                ScreenId::StaffCall
            }
        };
        Screen {
            id,
            lang: self.lang,
            buttons,
            params,
        }
    }
}

/// The identity record of a session whose method and certificate are known.
fn identity_of(session: &Session) -> Option<Identity> {
    let method = session.method?;
    Some(Identity {
        id: session.facts.session_id.clone(),
        method,
        certificate: session.facts.certificate.clone()?,
        card_signature: session.signature.clone(),
        face_score: session.face_score,
        staff_account: session.staff_account.clone(),
        consent: session.consent,
        consent_mode: session.consent_mode,
    })
}

/// The snake_case name of a serde enum value, for event details.
fn serde_plain<T: serde::Serialize>(value: T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}
