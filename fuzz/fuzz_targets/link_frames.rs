//! The PC link's framing: a byte stream cut into reads of fuzzed sizes, split into
//! bounded lines by `LineReader`, each line parsed as a message from the PC.
//!
//! Input: a first byte that seeds the read sizes, then the stream.
#![no_main]

use kaonin::link::framing::{GarbageMeter, LineRead, LineReader, MAX_LINE};
use kaonin::link::message::parse_from_pc;
use libfuzzer_sys::fuzz_target;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, ReadBuf};

/// Hands out `data` in reads of varying sizes (1..=256 bytes, from `seed`).
struct Chunked<'a> {
    data: &'a [u8],
    seed: u32,
}

impl AsyncRead for Chunked<'_> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.seed = self.seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let want = 1 + (self.seed >> 16) as usize % 256;
        let n = want.min(self.data.len()).min(buf.remaining());
        let (head, tail) = self.data.split_at(n);
        buf.put_slice(head);
        self.data = tail;
        Poll::Ready(Ok(()))
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&seed, stream)) = data.split_first() else {
        return;
    };
    // Repeat a short input so that oversize lines are reached too.
    let repeated;
    let stream = if seed & 0x80 != 0 && !stream.is_empty() {
        repeated = stream.repeat(MAX_LINE / stream.len() + 2);
        &repeated[..]
    } else {
        stream
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let mut reader = LineReader::new(Chunked {
            data: stream,
            seed: u32::from(seed),
        });
        let mut meter = GarbageMeter::default();
        let mut total = 0usize;
        loop {
            match reader.next().await.expect("reads from memory do not fail") {
                LineRead::Line(line) => {
                    assert!(line.len() <= MAX_LINE);
                    assert!(!line.contains(&b'\n'));
                    total += line.len();
                    if parse_from_pc(&line).is_ok() {
                        meter.good();
                    } else if meter.bad() {
                        break;
                    }
                }
                LineRead::TooLong => {
                    if meter.bad() {
                        break;
                    }
                }
                LineRead::Eof => break,
            }
        }
        assert!(total <= stream.len());
    });
});
