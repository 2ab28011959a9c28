//! Command and response APDUs, the status words of the My Number card, and the one
//! transmit wrapper every command goes through (GET RESPONSE for `61xx`, re-send
//! with the right Le for `6Cxx` — only for commands without side effects, never for
//! VERIFY or a signature — and READ BINARY of a whole BER-encoded file).

use super::error::{CardError, StatusKind};
use super::tlv;
use kaonin_hal::card::{CardChannel, Error as _};

/// The JPKI AP (公的個人認証AP).
pub const AID_JPKI: [u8; 10] = [0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01];
/// The 券面(事項確認)AP, which holds the card-face photo.
pub const AID_KENMEN: [u8; 10] = [0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x02];
/// The 券面事項入力補助AP (text data; not read by the daemon, known to the simulator).
pub const AID_KENHOJO: [u8; 10] = [0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x08];

/// The SHA-256 DigestInfo prefix (PKCS#1 v1.5), followed by the 32-byte hash.
pub const SHA256_DIGEST_INFO_PREFIX: [u8; 19] = [
    0x30, 0x31, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
    0x00, 0x04, 0x20,
];

/// The largest file the daemon reads (15-bit READ BINARY offsets).
pub const MAX_FILE_LEN: usize = 0x7FFF;

/// How many `61xx` rounds a single command may take before the card is declared broken.
const MAX_GET_RESPONSE: usize = 64;

/// A short command APDU.
#[derive(Clone, PartialEq, Eq)]
pub struct Command {
    /// Class byte.
    pub cla: u8,
    /// Instruction.
    pub ins: u8,
    /// Parameter 1.
    pub p1: u8,
    /// Parameter 2.
    pub p2: u8,
    /// Command data (at most 255 bytes).
    pub data: Vec<u8>,
    /// Expected response length: `None` = no Le, `Some(256)` is sent as `00`.
    pub le: Option<u16>,
}

impl core::fmt::Debug for Command {
    // Never shows the data: it may be a PIN or a 照合番号.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "Command({:02X} {:02X} {:02X} {:02X}, {} data bytes, le {:?})",
            self.cla,
            self.ins,
            self.p1,
            self.p2,
            self.data.len(),
            self.le
        )
    }
}

impl Command {
    /// SELECT of an application by its full DF name, no FCI.
    pub fn select_aid(aid: &[u8]) -> Self {
        Self::new(0x00, 0xA4, 0x04, 0x0C, aid.to_vec(), None)
    }

    /// SELECT of an EF or internal EF by its two-byte id, no FCI.
    pub fn select_ef(ef: u16) -> Self {
        Self::new(0x00, 0xA4, 0x02, 0x0C, ef.to_be_bytes().to_vec(), None)
    }

    /// READ BINARY of the current EF at `offset`, up to `len` (1..=256) bytes.
    pub fn read_binary(offset: u16, len: u16) -> Self {
        let [p1, p2] = (offset & 0x7FFF).to_be_bytes();
        Self::new(0x00, 0xB0, p1, p2, Vec::new(), Some(len))
    }

    /// VERIFY of the current internal EF; empty `secret` = query the tries left.
    pub fn verify(secret: &[u8]) -> Self {
        Self::new(0x00, 0x20, 0x00, 0x80, secret.to_vec(), None)
    }

    /// COMPUTE DIGITAL SIGNATURE over a DigestInfo with the key selected (`p2` =
    /// `80`: the JPKI key EF; `00` in the 券面AP: its internal authentication).
    pub fn sign(p2: u8, digest_info: &[u8]) -> Self {
        Self::new(0x80, 0x2A, 0x00, p2, digest_info.to_vec(), Some(256))
    }

    /// True for commands the card may see twice without consequence (READ BINARY,
    /// GET RESPONSE, SELECT, GET DATA): only these are re-sent after `6Cxx`. A
    /// VERIFY sent twice spends two tries; a signature or a change of reference
    /// data has effects of its own.
    pub fn may_resend(&self) -> bool {
        self.cla & 0x80 == 0 && matches!(self.ins, 0xB0 | 0xC0 | 0xA4 | 0xCA | 0xCB)
    }

    /// GET RESPONSE for `len` (1..=256) pending bytes.
    pub fn get_response(len: u16) -> Self {
        Self::new(0x00, 0xC0, 0x00, 0x00, Vec::new(), Some(len))
    }

    fn new(cla: u8, ins: u8, p1: u8, p2: u8, data: Vec<u8>, le: Option<u16>) -> Self {
        Command {
            cla,
            ins,
            p1,
            p2,
            data,
            le,
        }
    }

    /// The bytes on the wire (short APDU, cases 1–4). The buffer is wiped on drop
    /// because it may carry a PIN.
    pub fn encode(&self) -> zeroize::Zeroizing<Vec<u8>> {
        let mut out = zeroize::Zeroizing::new(Vec::with_capacity(self.data.len() + 6));
        out.extend_from_slice(&[self.cla, self.ins, self.p1, self.p2]);
        if !self.data.is_empty() {
            out.push(self.data.len().min(255) as u8);
            out.extend_from_slice(&self.data[..self.data.len().min(255)]);
        }
        if let Some(le) = self.le {
            out.push((le & 0xFF) as u8);
        }
        out
    }
}

impl Drop for Command {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.data);
    }
}

/// A response APDU, split into data and status word.
#[derive(Clone, PartialEq, Eq)]
pub struct Response {
    /// Response data (without SW1 SW2).
    pub data: Vec<u8>,
    /// SW1 SW2.
    pub sw: u16,
}

impl core::fmt::Debug for Response {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Response({} bytes, {:04X})", self.data.len(), self.sw)
    }
}

impl Response {
    /// Splits raw response bytes; fewer than two bytes is a protocol error (P15).
    pub fn parse(mut raw: Vec<u8>) -> Result<Self, CardError> {
        if raw.len() < 2 {
            return Err(CardError::NoStatusWord);
        }
        let sw2 = raw.pop().unwrap_or(0);
        let sw1 = raw.pop().unwrap_or(0);
        Ok(Response {
            data: raw,
            sw: u16::from_be_bytes([sw1, sw2]),
        })
    }

    /// The status word's meaning.
    pub fn kind(&self) -> StatusKind {
        StatusKind::of(self.sw)
    }

    /// `Ok(data)` on `9000`, otherwise the typed status error for `what`.
    pub fn ok(self, what: &'static str) -> Result<Vec<u8>, CardError> {
        if self.sw == 0x9000 {
            Ok(self.data)
        } else {
            Err(CardError::status(what, self.sw))
        }
    }
}

/// Sends one raw APDU and returns its response (reader errors typed).
fn send<C: CardChannel + ?Sized>(ch: &mut C, bytes: &[u8]) -> Result<Response, CardError> {
    let raw = ch
        .transmit(bytes)
        .map_err(|e| CardError::Reader(e.kind()))?;
    Response::parse(raw)
}

/// Sends `command` once and follows `61xx` (GET RESPONSE, possibly several times);
/// `6Cxx` is followed by a re-send with Le = xx only when [`Command::may_resend`]
/// (otherwise the caller sees the `6Cxx`), so the caller sees the complete response
/// and a VERIFY reaches the card exactly once.
pub fn exchange<C: CardChannel + ?Sized>(
    ch: &mut C,
    command: &Command,
) -> Result<Response, CardError> {
    let mut response = send(ch, &command.encode())?;
    if response.sw >> 8 == 0x6C && command.may_resend() {
        let mut retry = command.clone();
        retry.le = Some(le_of(response.sw));
        response = send(ch, &retry.encode())?;
    }
    let mut data = std::mem::take(&mut response.data);
    let mut rounds = 0;
    while response.sw >> 8 == 0x61 {
        rounds += 1;
        if rounds > MAX_GET_RESPONSE || data.len() > MAX_FILE_LEN {
            return Err(CardError::Malformed("endless GET RESPONSE chain"));
        }
        let get = Command::get_response(le_of(response.sw));
        response = send(ch, &get.encode())?;
        if response.sw >> 8 == 0x6C {
            response = send(ch, &Command::get_response(le_of(response.sw)).encode())?;
        }
        data.append(&mut response.data);
    }
    response.data = data;
    Ok(response)
}

/// SW2 as a length, `00` meaning 256.
fn le_of(sw: u16) -> u16 {
    match sw & 0xFF {
        0 => 256,
        n => n,
    }
}

/// Sends `command` and requires `9000`.
pub fn exchange_ok<C: CardChannel + ?Sized>(
    ch: &mut C,
    command: &Command,
    what: &'static str,
) -> Result<Vec<u8>, CardError> {
    exchange(ch, command)?.ok(what)
}

/// Reads `len` bytes of the current EF from `offset` in ≤ 256-byte chunks. A card may
/// return fewer bytes than asked; reading stops early only at end of file.
pub fn read_range<C: CardChannel + ?Sized>(
    ch: &mut C,
    offset: usize,
    len: usize,
    what: &'static str,
) -> Result<Vec<u8>, CardError> {
    let end = offset
        .checked_add(len)
        .filter(|&e| e <= MAX_FILE_LEN + 1)
        .ok_or(CardError::Malformed("file too large"))?;
    let mut out = Vec::with_capacity(len);
    let mut pos = offset;
    while pos < end {
        let chunk = (end - pos).min(256) as u16;
        let response = exchange(ch, &Command::read_binary(pos as u16, chunk))?;
        // Chunks may hold the face photo: wiped once copied.
        let data = zeroize::Zeroizing::new(response.ok(what)?);
        if data.is_empty() {
            return Err(CardError::Malformed("READ BINARY returned no data"));
        }
        let take = data.len().min(end - pos);
        out.extend_from_slice(&data[..take]);
        pos += take;
    }
    Ok(out)
}

/// Reads a whole BER-encoded EF (certificate, 券面 file): its first bytes give the
/// tag and length, then the rest is read in chunks.
pub fn read_ber_file<C: CardChannel + ?Sized>(
    ch: &mut C,
    what: &'static str,
) -> Result<Vec<u8>, CardError> {
    const PROBE: usize = 7;
    let head = exchange(ch, &Command::read_binary(0, PROBE as u16))?.ok(what)?;
    let header = tlv::parse_header(&head)?;
    let total = header.total_len();
    if total > MAX_FILE_LEN {
        return Err(CardError::Malformed("file too large"));
    }
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(head.get(..total).unwrap_or(&head));
    if out.len() < total {
        let rest = zeroize::Zeroizing::new(read_range(ch, out.len(), total - out.len(), what)?);
        out.extend_from_slice(&rest);
    }
    Ok(out)
}

/// SELECT of an application; `6A82` becomes [`CardError::NotFound`].
pub fn select_aid<C: CardChannel + ?Sized>(ch: &mut C, aid: &[u8]) -> Result<(), CardError> {
    exchange_ok(ch, &Command::select_aid(aid), "SELECT AP").map(drop)
}

/// SELECT of an EF in the current application.
pub fn select_ef<C: CardChannel + ?Sized>(ch: &mut C, ef: u16) -> Result<(), CardError> {
    exchange_ok(ch, &Command::select_ef(ef), "SELECT EF").map(drop)
}

/// The SHA-256 DigestInfo of `message`.
pub fn sha256_digest_info(message: &[u8]) -> Vec<u8> {
    let hash = ring::digest::digest(&ring::digest::SHA256, message);
    let mut out = SHA256_DIGEST_INFO_PREFIX.to_vec();
    out.extend_from_slice(hash.as_ref());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_the_four_cases() {
        assert_eq!(&*Command::verify(&[]).encode(), &[0x00, 0x20, 0x00, 0x80]);
        assert_eq!(
            &*Command::read_binary(0x0100, 256).encode(),
            &[0x00, 0xB0, 0x01, 0x00, 0x00]
        );
        assert_eq!(
            &*Command::select_ef(0x0018).encode(),
            &[0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x18]
        );
        let sign = Command::sign(0x80, &[1, 2, 3]).encode();
        assert_eq!(&*sign, &[0x80, 0x2A, 0x00, 0x80, 0x03, 1, 2, 3, 0x00]);
    }

    #[test]
    fn debug_hides_command_data() {
        let shown = format!("{:?}", Command::verify(b"1234"));
        assert!(!shown.contains("31"), "{shown}");
        assert!(shown.contains("4 data bytes"));
    }

    #[test]
    fn short_responses_are_errors() {
        assert!(matches!(
            Response::parse(vec![0x90]),
            Err(CardError::NoStatusWord)
        ));
        let r = Response::parse(vec![1, 2, 0x90, 0x00]).unwrap();
        assert_eq!((r.data.as_slice(), r.sw), (&[1u8, 2][..], 0x9000));
    }

    /// A channel that answers every command with `6C10` and records what it got.
    struct SixC(Vec<Vec<u8>>);

    impl CardChannel for SixC {
        type Error = kaonin_hal::card::ErrorKind;
        fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, Self::Error> {
            self.0.push(command.to_vec());
            Ok(vec![0x6C, 0x10])
        }
    }

    #[test]
    fn six_c_is_followed_only_for_reads() {
        let mut ch = SixC(Vec::new());
        let r = exchange(&mut ch, &Command::verify(b"1234")).unwrap();
        assert_eq!((r.sw, ch.0.len()), (0x6C10, 1), "VERIFY sent once");
        let mut ch = SixC(Vec::new());
        exchange(&mut ch, &Command::sign(0x80, &[1; 51])).unwrap();
        assert_eq!(ch.0.len(), 1, "signature sent once");
        let mut ch = SixC(Vec::new());
        exchange(&mut ch, &Command::read_binary(0, 7)).unwrap();
        assert_eq!(ch.0.len(), 2, "READ BINARY re-sent with the card's Le");
        assert_eq!(ch.0[1].last(), Some(&0x10));
        assert!(!Command::verify(&[]).may_resend());
    }

    #[test]
    fn digest_info_is_51_bytes() {
        let di = sha256_digest_info(b"abc");
        assert_eq!(di.len(), 51);
        assert_eq!(&di[..19], &SHA256_DIGEST_INFO_PREFIX);
    }
}
