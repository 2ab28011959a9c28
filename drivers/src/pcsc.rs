//! A PC/SC card reader through pcscd (crate `pcsc`).
//!
//! - The context is established lazily and again after pcscd went away
//!   (`NoService` / `ServiceStopped` / an invalid handle drop it; the next call
//!   re-establishes it).
//! - The reader is the first one whose name contains `name_contains`; with an empty
//!   filter, the first reader holding a card that answers SELECT of the JPKI AID.
//! - Presence comes from `SCardGetStatusChange` (plus the PnP pseudo-reader for
//!   readers coming and going); `wait_change(timeout)` is one such wait, no polling.
//! - `connect` opens the card in exclusive mode; `disconnect` unpowers it so no
//!   verified PIN survives the session (pitfall P13).
//! - A response shorter than a status word is reported as `Removed` (pitfall P15).

use kaonin_hal::card::{CardChannel, CardReader, Error, ErrorKind, Presence};
use pcsc::{Card, Context, Disposition, Protocols, ReaderState, Scope, ShareMode, State};
use std::collections::HashMap;
use std::ffi::{CStr, CString};
use std::time::{Duration, Instant};

/// SELECT of the JPKI AP (full 10-byte AID, no FCI).
const SELECT_JPKI: [u8; 15] = [
    0x00, 0xA4, 0x04, 0x0C, 0x0A, 0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01,
];

/// A PC/SC failure with its kind.
#[derive(Debug, thiserror::Error)]
pub enum PcscError {
    /// A PC/SC call failed.
    #[error("{op}: {source}")]
    Pcsc {
        /// The call.
        op: &'static str,
        /// What PC/SC said.
        source: pcsc::Error,
    },
    /// No card is connected (call `connect` first, or the card was removed).
    #[error("no card connected")]
    NotConnected,
    /// No present card on a matching reader.
    #[error("no card on a matching reader")]
    NoCard,
    /// The card answered with fewer than two bytes (no status word).
    #[error("response without a status word")]
    ShortResponse,
    /// A call failed and the context is no longer valid: pcscd went away.
    #[error("{op}: pcscd went away ({source})")]
    ServiceLost {
        /// The call.
        op: &'static str,
        /// What PC/SC said.
        source: pcsc::Error,
    },
}

impl PcscError {
    /// The reader-role kind of this failure.
    pub fn kind(&self) -> ErrorKind {
        Error::kind(self)
    }
}

impl Error for PcscError {
    fn kind(&self) -> ErrorKind {
        match self {
            PcscError::Pcsc { source, .. } => kind_of(*source),
            PcscError::NotConnected | PcscError::NoCard => ErrorKind::NoCard,
            PcscError::ShortResponse => ErrorKind::Removed,
            PcscError::ServiceLost { .. } => ErrorKind::NoService,
        }
    }
}

/// The reader-role kind of a PC/SC error.
pub fn kind_of(e: pcsc::Error) -> ErrorKind {
    use pcsc::Error as E;
    match e {
        E::NoService | E::ServiceStopped | E::InvalidHandle | E::CommError | E::Shutdown => {
            ErrorKind::NoService
        }
        E::UnknownReader | E::ReaderUnavailable | E::ReaderUnsupported | E::NoReadersAvailable => {
            ErrorKind::NoReader
        }
        E::NoSmartcard => ErrorKind::NoCard,
        // NotTransacted: the reader driver lost the card mid-exchange (vpcd: the card
        // closed its connection).
        E::RemovedCard | E::ResetCard | E::UnpoweredCard | E::NotTransacted => ErrorKind::Removed,
        E::UnresponsiveCard | E::UnsupportedCard | E::ProtoMismatch | E::InvalidAtr => {
            ErrorKind::Protocol
        }
        E::Timeout => ErrorKind::Timeout,
        _ => ErrorKind::Other,
    }
}

/// The names of the readers pcscd knows now (empty when none is plugged in), for
/// choosing a `name_contains` filter.
pub fn reader_names() -> Result<Vec<String>, PcscError> {
    let fail = |op, source| PcscError::Pcsc { op, source };
    let ctx = Context::establish(Scope::User).map_err(|e| fail("establish", e))?;
    match ctx.list_readers_owned() {
        Ok(names) => Ok(names
            .iter()
            .map(|n| n.to_string_lossy().into_owned())
            .collect()),
        Err(pcsc::Error::NoReadersAvailable) => Ok(Vec::new()),
        Err(e) => Err(fail("list readers", e)),
    }
}

/// A contactless (or contact) reader driven through pcscd.
pub struct PcscReader {
    name_contains: String,
    /// Readers whose name contains this are never used (e.g. the smartphone reader
    /// when this one is chosen by an empty filter).
    exclude: Option<String>,
    ctx: Option<Context>,
    /// Index 0: the PnP pseudo-reader; then the matching readers.
    states: Vec<ReaderState>,
    /// The reader whose card was last reported present, and that card's event count.
    current: Option<(CString, u32)>,
    /// What the last report said: `None` before the first report.
    reported_present: Option<bool>,
    /// Readers whose present card failed the JPKI probe, at that event count.
    rejected: HashMap<CString, u32>,
    card: Option<Card>,
    /// The connected card stopped answering (removed): it is released with
    /// `LeaveCard`, since a reset or power-off sent to a card that is already gone
    /// confuses pcscd's own removal detection (seen with vpcd).
    gone: bool,
    buffer: Vec<u8>,
}

impl std::fmt::Debug for PcscReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PcscReader")
            .field("name_contains", &self.name_contains)
            .field("current", &self.current)
            .field("connected", &self.card.is_some())
            .finish_non_exhaustive()
    }
}

impl PcscReader {
    /// A reader chosen by `name_contains` (empty: the first reader holding a JPKI
    /// card). Nothing is opened until the first call.
    pub fn new(name_contains: &str) -> Self {
        PcscReader {
            name_contains: name_contains.to_owned(),
            exclude: None,
            ctx: None,
            states: Vec::new(),
            current: None,
            reported_present: None,
            rejected: HashMap::new(),
            card: None,
            gone: false,
            buffer: vec![0; pcsc::MAX_BUFFER_SIZE_EXTENDED],
        }
    }

    /// Never uses readers whose name contains `name_contains` (empty: no exclusion).
    /// For the card reader chosen by an empty filter next to a configured smartphone
    /// reader, so a phone on that reader is not taken for a card.
    pub fn excluding(mut self, name_contains: &str) -> Self {
        self.exclude = (!name_contains.is_empty()).then(|| name_contains.to_owned());
        self
    }

    fn fail(&mut self, op: &'static str, source: pcsc::Error) -> PcscError {
        if kind_of(source) == ErrorKind::NoService {
            tracing::warn!(%source, "pcscd went away; the context is re-established on the next call");
            self.ctx = None;
            self.states.clear();
            let _ = self.release_card();
            self.current = None;
        }
        PcscError::Pcsc { op, source }
    }

    fn context(&mut self) -> Result<Context, PcscError> {
        if let Some(ctx) = &self.ctx {
            return Ok(ctx.clone());
        }
        let ctx = Context::establish(Scope::User).map_err(|e| self.fail("establish", e))?;
        tracing::info!("PC/SC context established");
        self.ctx = Some(ctx.clone());
        Ok(ctx)
    }

    fn matches(&self, name: &CStr) -> bool {
        let name = name.to_string_lossy();
        let excluded = self.exclude.as_deref().is_some_and(|x| name.contains(x));
        !excluded && (self.name_contains.is_empty() || name.contains(self.name_contains.as_str()))
    }

    /// Rebuilds the watched reader list, keeping the known states.
    fn refresh_readers(&mut self, ctx: &Context) -> Result<(), PcscError> {
        let names = match ctx.list_readers_owned() {
            Ok(names) => names,
            Err(pcsc::Error::NoReadersAvailable) => Vec::new(),
            Err(e) => return Err(self.fail("list readers", e)),
        };
        let mut old: Vec<ReaderState> = self.states.drain(..).collect();
        let pnp = match old
            .iter()
            .position(|s| s.name() == pcsc::PNP_NOTIFICATION())
        {
            Some(i) => old.swap_remove(i),
            None => ReaderState::new(pcsc::PNP_NOTIFICATION(), State::UNAWARE),
        };
        self.states.push(pnp);
        let wanted: Vec<CString> = names.into_iter().filter(|n| self.matches(n)).collect();
        for name in wanted {
            let state = match old.iter().position(|s| s.name() == name.as_c_str()) {
                Some(i) => old.swap_remove(i),
                None => ReaderState::new(name, State::UNAWARE),
            };
            self.states.push(state);
        }
        Ok(())
    }

    /// Lets go of the connection: unpowers a live card, leaves a gone one alone.
    fn release_card(&mut self) -> Result<(), PcscError> {
        let Some(card) = self.card.take() else {
            return Ok(());
        };
        let disposition = if std::mem::take(&mut self.gone) {
            Disposition::LeaveCard
        } else {
            Disposition::UnpowerCard
        };
        match card.disconnect(disposition) {
            Ok(()) => Ok(()),
            Err((card, e)) => {
                // Dropping would reset the card: leave it instead, ignoring errors.
                let _ = card.disconnect(Disposition::LeaveCard);
                match kind_of(e) {
                    ErrorKind::Removed | ErrorKind::NoCard | ErrorKind::NoService => Ok(()),
                    _ => Err(PcscError::Pcsc {
                        op: "disconnect",
                        source: e,
                    }),
                }
            }
        }
    }

    /// One `SCardGetStatusChange`; `Ok(false)` on timeout.
    fn wait_status(&mut self, ctx: &Context, timeout: Duration) -> Result<bool, PcscError> {
        for state in &mut self.states {
            state.sync_current_state();
        }
        match ctx.get_status_change(timeout, &mut self.states) {
            Ok(()) => {}
            Err(pcsc::Error::Timeout) => return Ok(false),
            // pcsc-lite reports a daemon that died during the wait with various codes
            // (seen: SecurityViolation): start afresh, and call it NoService if pcscd
            // cannot be reached any more.
            Err(e) => {
                let _ = self.fail("get_status_change", pcsc::Error::NoService);
                let alive = Context::establish(Scope::User).is_ok();
                return Err(if alive && kind_of(e) != ErrorKind::NoService {
                    PcscError::Pcsc {
                        op: "get_status_change",
                        source: e,
                    }
                } else {
                    PcscError::ServiceLost {
                        op: "get_status_change",
                        source: e,
                    }
                });
            }
        }
        let pnp_changed = self
            .states
            .first()
            .is_some_and(|s| s.event_state().contains(State::CHANGED));
        if pnp_changed {
            self.refresh_readers(ctx)?;
            // New readers start UNAWARE: learn their state at once.
            for state in self.states.iter_mut().skip(1) {
                state.sync_current_state();
            }
        }
        Ok(true)
    }

    /// True if the card on `reader` answers SELECT of the JPKI AP with 9000.
    fn holds_jpki(&mut self, ctx: &Context, reader: &CStr) -> bool {
        let Ok(card) = ctx.connect(reader, ShareMode::Shared, Protocols::ANY) else {
            return false;
        };
        let mut buf = [0u8; 258];
        let ok = matches!(card.transmit(&SELECT_JPKI, &mut buf), Ok([.., 0x90, 0x00]));
        let _ = card.disconnect(Disposition::LeaveCard);
        ok
    }

    /// What is on the reader now, from the last status.
    fn presence_now(&mut self, ctx: &Context) -> Option<(CString, u32, Vec<u8>)> {
        if let Some((name, count)) = &self.current {
            let still = self
                .states
                .iter()
                .skip(1)
                .find(|s| s.name() == name.as_c_str());
            return match still {
                Some(s) if present(s) && s.event_count() == *count => {
                    Some((name.clone(), *count, s.atr().to_vec()))
                }
                _ => None,
            };
        }
        let candidates: Vec<(CString, u32, Vec<u8>)> = self
            .states
            .iter()
            .skip(1)
            .filter(|s| present(s))
            .map(|s| (s.name().to_owned(), s.event_count(), s.atr().to_vec()))
            .collect();
        for (name, count, atr) in candidates {
            if !self.name_contains.is_empty() {
                return Some((name, count, atr));
            }
            if self.rejected.get(&name) == Some(&count) {
                continue;
            }
            if self.holds_jpki(ctx, &name) {
                return Some((name, count, atr));
            }
            tracing::debug!(reader = %name.to_string_lossy(), "card is not a JPKI card");
            self.rejected.insert(name, count);
        }
        None
    }

    /// Compares what is on the reader with the last report.
    fn change(&mut self, ctx: &Context) -> Option<Presence> {
        match self.presence_now(ctx) {
            Some((name, count, atr)) => {
                let same = self
                    .current
                    .as_ref()
                    .is_some_and(|(n, c)| *n == name && *c == count);
                if same && self.reported_present == Some(true) {
                    return None;
                }
                tracing::info!(reader = %name.to_string_lossy(), "card present");
                self.current = Some((name, count));
                self.reported_present = Some(true);
                Some(Presence::Present { atr })
            }
            None => {
                self.current = None;
                if self.reported_present == Some(false) {
                    return None;
                }
                self.reported_present = Some(false);
                if self.card.is_some() {
                    self.gone = true;
                    let _ = self.release_card();
                }
                Some(Presence::Absent)
            }
        }
    }
}

fn present(state: &ReaderState) -> bool {
    let s = state.event_state();
    s.contains(State::PRESENT) && !s.contains(State::MUTE)
}

impl CardChannel for PcscReader {
    type Error = PcscError;

    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, PcscError> {
        let card = self.card.as_ref().ok_or(PcscError::NotConnected)?;
        if self.gone {
            return Err(PcscError::Pcsc {
                op: "transmit",
                source: pcsc::Error::RemovedCard,
            });
        }
        let result = match card.transmit(command, &mut self.buffer) {
            Ok(response) => Ok(response.to_vec()),
            Err(e) => Err(e),
        };
        // Responses may carry the face photo: leave no copy in the reusable buffer.
        if let Ok(response) = &result {
            zeroize::Zeroize::zeroize(&mut self.buffer[..response.len()]);
        }
        match result {
            Ok(response) if response.len() >= 2 => Ok(response),
            Ok(_) => {
                // P15: a yanked card may answer once with nothing.
                self.gone = true;
                Err(PcscError::ShortResponse)
            }
            Err(e) => {
                if matches!(kind_of(e), ErrorKind::Removed | ErrorKind::NoCard) {
                    self.gone = true;
                }
                Err(self.fail("transmit", e))
            }
        }
    }
}

impl CardReader for PcscReader {
    fn name(&self) -> String {
        match &self.current {
            Some((name, _)) => name.to_string_lossy().into_owned(),
            None => self.name_contains.clone(),
        }
    }

    fn wait_change(&mut self, timeout: Duration) -> Result<Option<Presence>, PcscError> {
        let deadline = Instant::now() + timeout;
        let ctx = self.context()?;
        if self.states.is_empty() {
            self.refresh_readers(&ctx)?;
            self.wait_status(&ctx, Duration::ZERO)?;
        }
        loop {
            if let Some(change) = self.change(&ctx) {
                return Ok(Some(change));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if !self.wait_status(&ctx, left)? {
                return Ok(None);
            }
            if left.is_zero() {
                return Ok(self.change(&ctx));
            }
        }
    }

    fn connect(&mut self) -> Result<Vec<u8>, PcscError> {
        let ctx = self.context()?;
        let (reader, _) = self.current.clone().ok_or(PcscError::NoCard)?;
        self.release_card()?;
        let card = ctx
            .connect(&reader, ShareMode::Exclusive, Protocols::ANY)
            .map_err(|e| self.fail("connect", e))?;
        let atr = card
            .status2_owned()
            .map_err(|e| self.fail("card status", e))?
            .atr()
            .to_vec();
        self.card = Some(card);
        Ok(atr)
    }

    fn disconnect(&mut self) -> Result<(), PcscError> {
        self.release_card()
    }
}

impl Drop for PcscReader {
    fn drop(&mut self) {
        let _ = self.release_card();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pcsc_errors_have_the_flow_kinds() {
        use pcsc::Error as E;
        let table = [
            (E::NoService, ErrorKind::NoService),
            (E::ServiceStopped, ErrorKind::NoService),
            (E::InvalidHandle, ErrorKind::NoService),
            (E::NoSmartcard, ErrorKind::NoCard),
            (E::RemovedCard, ErrorKind::Removed),
            (E::ResetCard, ErrorKind::Removed),
            (E::NotTransacted, ErrorKind::Removed),
            (E::UnknownReader, ErrorKind::NoReader),
            (E::ReaderUnavailable, ErrorKind::NoReader),
            (E::UnresponsiveCard, ErrorKind::Protocol),
            (E::Timeout, ErrorKind::Timeout),
            (E::SharingViolation, ErrorKind::Other),
        ];
        for (error, kind) in table {
            assert_eq!(kind_of(error), kind, "{error:?}");
        }
        assert_eq!(PcscError::ShortResponse.kind(), ErrorKind::Removed);
        assert_eq!(PcscError::NotConnected.kind(), ErrorKind::NoCard);
        let lost = PcscError::ServiceLost {
            op: "x",
            source: E::SecurityViolation,
        };
        assert_eq!(lost.kind(), ErrorKind::NoService);
    }

    #[test]
    fn reader_filters() {
        let any = PcscReader::new("");
        let card = PcscReader::new("Sony").excluding("");
        let not_phone = PcscReader::new("").excluding("00 01");
        let name = |s: &str| CString::new(s).unwrap();
        assert!(any.matches(&name("Virtual PCD 00 01")));
        assert!(card.matches(&name("Sony FeliCa Port/PaSoRi 4.0")));
        assert!(!card.matches(&name("Virtual PCD 00 00")));
        assert!(not_phone.matches(&name("Virtual PCD 00 00")));
        assert!(!not_phone.matches(&name("Virtual PCD 00 01")));
    }

    #[test]
    fn transmit_without_connection_is_no_card() {
        let mut reader = PcscReader::new("nothing");
        let err = reader.transmit(&[0x00, 0xA4, 0x04, 0x0C]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NoCard);
        assert!(reader.disconnect().is_ok());
    }
}
