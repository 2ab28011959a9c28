//! The card-face worker: when a card is on the reader and no 照合番号B came from
//! the control socket, it photographs the printed card face with the card-face
//! camera (`[card_face]`), reads it frame by frame with the OCR pipeline
//! ([`crate::card_face`]), tells the patient how to help (place the card flat, hold
//! still, glare) and hands back a value only when two frames agree on all 14
//! digits and pass every check. It gives up after the time limit or the frame
//! budget; the flow then offers the PIN or the staff.
//!
//! Frames live only in memory and are wiped when dropped (the camera's frames
//! are zeroizing buffers); nothing read from the card face is logged.

use super::Commands;
use crate::card::KenmenKey;
use crate::card_face::{check_frame, marking, CardFaceRefusal, Date, Vote};
use crate::daemon::Inbound;
use crate::devices::CardFaceDevice;
use crate::flow::{CardFaceGuidance, CardFaceNotice};
use kaonin_hal::camera::Camera;
use std::sync::mpsc::TryRecvError;
use std::time::Instant;
use tokio::sync::mpsc::UnboundedSender;

/// A command for the card-face worker.
pub enum CardFaceCmd {
    /// Read the card face now; reports carry `token`.
    Read { token: u64 },
    /// Stop reading (card removed, value typed, session over).
    Cancel,
}

/// What the card-face reader found.
pub struct FaceReading {
    /// The agreed value, or why there is none.
    pub face: Result<KenmenKey, CardFaceNotice>,
    /// 「顔認証」 is written in the 追記欄 (read even when the value is refused,
    /// e.g. on a foreign resident's PIN-less card).
    pub marking: bool,
}

impl std::fmt::Debug for FaceReading {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaceReading")
            .field("marking", &self.marking)
            .finish_non_exhaustive()
    }
}

/// A report of the card-face worker to the loop.
#[derive(Debug)]
pub enum Report {
    /// Tell the patient how to help.
    Guidance(CardFaceGuidance),
    /// Finished: an agreed value or why there is none, and the marking.
    Done(FaceReading),
}

/// The guidance a frame's refusal asks for, if any.
pub fn guidance_of(refusal: CardFaceRefusal) -> Option<CardFaceGuidance> {
    match refusal {
        CardFaceRefusal::NoCard => Some(CardFaceGuidance::PlaceFlat),
        CardFaceRefusal::Blurred => Some(CardFaceGuidance::HoldStill),
        CardFaceRefusal::Glare => Some(CardFaceGuidance::Glare),
        _ => None,
    }
}

/// What the patient is told when no value came: a Western-calendar birth line
/// and a card face that does not fit the layout are refused as such; anything
/// else is "could not be read".
pub fn notice_of(refusal: CardFaceRefusal) -> CardFaceNotice {
    match refusal {
        CardFaceRefusal::WesternCalendar => CardFaceNotice::WesternCalendar,
        CardFaceRefusal::Unreadable(_) => CardFaceNotice::UnknownLayout,
        _ => CardFaceNotice::Unreadable,
    }
}

/// Runs the card-face camera and reader until the daemon drops the channel.
pub fn card_face_worker(
    mut device: CardFaceDevice,
    commands: Commands<CardFaceCmd>,
    events: UnboundedSender<Inbound>,
) {
    let mut next: Option<u64> = None;
    loop {
        let token = match next.take() {
            Some(token) => token,
            None => match commands.recv() {
                Ok(CardFaceCmd::Read { token }) => token,
                Ok(CardFaceCmd::Cancel) => continue,
                Err(_) => break,
            },
        };
        device.rewind();
        let report = |report: Report| {
            let _ = events.send(Inbound::KenmenKey { token, report });
        };
        let outcome = read_one_card(&mut device, &commands, &report);
        // The OCR's tensors are freed: give their pages back (kaonin_drivers::heap).
        kaonin_drivers::heap::release_free();
        match outcome {
            Outcome::Done(result) => report(Report::Done(result)),
            // The loop no longer waits for this card.
            Outcome::Cancelled => {}
            Outcome::Restart(token) => next = Some(token),
        }
    }
}

/// How a read ended.
enum Outcome {
    Done(FaceReading),
    Cancelled,
    /// A new read was asked for before this one ended: drop this one.
    Restart(u64),
}

/// Reads one card.
fn read_one_card(
    device: &mut CardFaceDevice,
    commands: &Commands<CardFaceCmd>,
    report: &dyn Fn(Report),
) -> Outcome {
    let started = Instant::now();
    let done = |face, marking: Option<bool>| {
        Outcome::Done(FaceReading {
            face,
            marking: marking.unwrap_or(false),
        })
    };
    let today = Date::today_jst();
    let mut vote = Vote::new();
    let mut marking: Option<bool> = None;
    let mut shown: Option<CardFaceGuidance> = None;
    let mut frames = 0;
    while frames < device.max_frames && started.elapsed() < device.time_limit {
        match commands.try_recv() {
            Ok(CardFaceCmd::Cancel) | Err(TryRecvError::Disconnected) => return Outcome::Cancelled,
            Ok(CardFaceCmd::Read { token }) => return Outcome::Restart(token),
            Err(TryRecvError::Empty) => {}
        }
        let frame = match device.camera.capture() {
            Ok(frame) => frame,
            Err(e) => {
                tracing::warn!(error = %e, "card-face camera failed");
                return done(Err(CardFaceNotice::Unreadable), marking);
            }
        };
        frames += 1;
        let text = device.reader.read_frame(&frame);
        if text.is_ok() && marking.is_none() {
            marking = marking::frame_has_marking(&device.reader, &frame);
        }
        drop(frame);
        let checked = text.and_then(|t| check_frame(&t, today, &device.reader.policy));
        let guidance = checked.as_ref().err().and_then(|r| guidance_of(*r));
        if guidance.is_some() && guidance != shown {
            shown = guidance;
            if let Some(g) = guidance {
                report(Report::Guidance(g));
            }
        }
        if let Err(CardFaceRefusal::WesternCalendar) = checked {
            // A person has to type it; more frames will not help.
            tracing::info!("card face: Western-calendar birth line; refused");
            return done(Err(CardFaceNotice::WesternCalendar), marking);
        }
        if let Some(face) = vote.push(checked) {
            tracing::info!(frames, "card face read: two frames agree");
            return done(Ok(face), marking);
        }
    }
    let refusal = vote.refusal();
    tracing::info!(frames, reason = %refusal, "card face not read; PIN or staff");
    done(Err(notice_of(refusal)), marking)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_map_to_guidance_and_notices() {
        assert_eq!(
            guidance_of(CardFaceRefusal::NoCard),
            Some(CardFaceGuidance::PlaceFlat)
        );
        assert_eq!(
            guidance_of(CardFaceRefusal::Glare),
            Some(CardFaceGuidance::Glare)
        );
        assert_eq!(
            guidance_of(CardFaceRefusal::Blurred),
            Some(CardFaceGuidance::HoldStill)
        );
        assert_eq!(guidance_of(CardFaceRefusal::NoAgreement), None);
        assert_eq!(
            notice_of(CardFaceRefusal::WesternCalendar),
            CardFaceNotice::WesternCalendar
        );
        assert_eq!(
            notice_of(CardFaceRefusal::Unreadable(crate::card_face::Field::Birth)),
            CardFaceNotice::UnknownLayout
        );
        assert_eq!(
            notice_of(CardFaceRefusal::Blurred),
            CardFaceNotice::Unreadable
        );
    }
}
