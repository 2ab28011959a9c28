//! JSON Lines framing: reading bounded lines and counting garbage.
//!
//! A line is at most [`MAX_LINE`] bytes (without its `\n`). A longer line is
//! discarded up to its end and reported as [`LineRead::TooLong`], so one oversize
//! message costs the peer an `error` reply, not the connection. [`GarbageMeter`]
//! decides when a peer that sends nothing valid has had enough chances.

use tokio::io::{AsyncRead, AsyncReadExt};

/// The longest line either side accepts, in bytes (64 KiB).
pub const MAX_LINE: usize = 64 * 1024;

/// How many bad lines in a row end the connection.
pub const GARBAGE_LIMIT: u32 = 32;

/// What the next read produced.
#[derive(Debug, PartialEq, Eq)]
pub enum LineRead {
    /// One line, without the `\n` (and without a trailing `\r`).
    Line(Vec<u8>),
    /// A line longer than [`MAX_LINE`]; its bytes were dropped.
    TooLong,
    /// The peer closed the connection.
    Eof,
}

/// Reads `\n`-terminated lines of at most [`MAX_LINE`] bytes.
pub struct LineReader<R> {
    inner: R,
    buf: Vec<u8>,
    /// Bytes of `buf` already known to hold no `\n`.
    scanned: usize,
    /// Inside an oversize line: dropping bytes up to the next `\n`.
    discarding: bool,
}

impl<R: AsyncRead + Unpin> LineReader<R> {
    /// Wraps a byte stream.
    pub fn new(inner: R) -> Self {
        LineReader {
            inner,
            buf: Vec::with_capacity(4096),
            scanned: 0,
            discarding: false,
        }
    }

    /// The next frame. Cancel-safe: bytes read are kept in the reader.
    pub async fn next(&mut self) -> std::io::Result<LineRead> {
        loop {
            if let Some(frame) = self.take_buffered() {
                return Ok(frame);
            }
            let mut chunk = [0u8; 8192];
            let n = self.inner.read(&mut chunk).await?;
            if n == 0 {
                return Ok(self.at_eof());
            }
            self.buf
                .extend_from_slice(chunk.get(..n).unwrap_or_default());
        }
    }

    /// A frame from what is already buffered, if there is one.
    fn take_buffered(&mut self) -> Option<LineRead> {
        let newline = self
            .buf
            .get(self.scanned..)
            .and_then(|rest| rest.iter().position(|&b| b == b'\n'))
            .map(|i| i + self.scanned);
        match newline {
            Some(end) => {
                let mut line: Vec<u8> = self.buf.drain(..=end).collect();
                self.scanned = 0;
                line.pop();
                if self.discarding || line.len() > MAX_LINE + 1 {
                    self.discarding = false;
                    return Some(LineRead::TooLong);
                }
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                if line.len() > MAX_LINE {
                    return Some(LineRead::TooLong);
                }
                Some(LineRead::Line(line))
            }
            None if self.buf.len() > MAX_LINE + 1 => {
                // Oversize: drop what we have, keep dropping to the next newline.
                self.buf.clear();
                self.scanned = 0;
                self.discarding = true;
                None
            }
            None => {
                self.scanned = self.buf.len();
                None
            }
        }
    }

    /// The frame at end of stream: an unterminated last line is still a line.
    fn at_eof(&mut self) -> LineRead {
        if self.discarding {
            self.discarding = false;
            self.buf.clear();
            return LineRead::TooLong;
        }
        if self.buf.is_empty() {
            return LineRead::Eof;
        }
        let line = std::mem::take(&mut self.buf);
        self.scanned = 0;
        if line.len() > MAX_LINE {
            LineRead::TooLong
        } else {
            LineRead::Line(line)
        }
    }
}

/// Counts bad lines in a row; a good line resets it.
#[derive(Debug, Default)]
pub struct GarbageMeter {
    in_a_row: u32,
}

impl GarbageMeter {
    /// A valid line arrived.
    pub fn good(&mut self) {
        self.in_a_row = 0;
    }

    /// A bad line arrived; true when the peer should be disconnected.
    pub fn bad(&mut self) -> bool {
        self.in_a_row += 1;
        self.in_a_row >= GARBAGE_LIMIT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn frames(input: Vec<u8>) -> Vec<LineRead> {
        let mut reader = LineReader::new(&input[..]);
        let mut out = Vec::new();
        loop {
            let frame = reader.next().await.unwrap();
            if frame == LineRead::Eof {
                return out;
            }
            out.push(frame);
        }
    }

    fn run<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn splits_lines_and_strips_cr() {
        let got = run(frames(b"a\r\nbc\n\nlast".to_vec()));
        assert_eq!(
            got,
            vec![
                LineRead::Line(b"a".to_vec()),
                LineRead::Line(b"bc".to_vec()),
                LineRead::Line(vec![]),
                LineRead::Line(b"last".to_vec()),
            ]
        );
    }

    #[test]
    fn oversize_line_is_skipped_and_the_next_line_survives() {
        let mut input = vec![b'x'; MAX_LINE * 3];
        input.extend_from_slice(b"\n{\"type\":\"cancel\"}\n");
        let got = run(frames(input));
        assert_eq!(
            got,
            vec![
                LineRead::TooLong,
                LineRead::Line(b"{\"type\":\"cancel\"}".to_vec())
            ]
        );
    }

    #[test]
    fn exactly_max_is_accepted_one_more_is_not() {
        let mut input = vec![b'y'; MAX_LINE];
        input.push(b'\n');
        input.extend(vec![b'z'; MAX_LINE + 1]);
        input.push(b'\n');
        let got = run(frames(input));
        assert_eq!(got.len(), 2);
        assert!(matches!(&got[0], LineRead::Line(l) if l.len() == MAX_LINE));
        assert_eq!(got[1], LineRead::TooLong);
    }

    #[test]
    fn oversize_unterminated_tail_is_too_long() {
        let got = run(frames(vec![b'q'; MAX_LINE * 2]));
        assert_eq!(got, vec![LineRead::TooLong]);
    }

    #[test]
    fn invalid_utf8_is_still_a_line_for_the_parser_to_refuse() {
        let got = run(frames(b"\xff\xfe\n".to_vec()));
        assert_eq!(got, vec![LineRead::Line(vec![0xff, 0xfe])]);
        let e = super::super::message::parse_from_pc(&[0xff, 0xfe]).unwrap_err();
        assert_eq!(e, super::super::message::MessageError::NotUtf8);
    }

    #[test]
    fn garbage_meter_trips_after_the_limit_and_resets() {
        let mut m = GarbageMeter::default();
        for _ in 0..GARBAGE_LIMIT - 1 {
            assert!(!m.bad());
        }
        m.good();
        for _ in 0..GARBAGE_LIMIT - 1 {
            assert!(!m.bad());
        }
        assert!(m.bad());
    }
}
