//! The serial PIN pad's byte stream: reads of fuzzed sizes through the pad's line
//! buffer (overflow, split lines, CR LF) and the line protocol.
//!
//! Input: a first byte that seeds the read sizes, then the stream.
#![no_main]

use kaonin_drivers::serial_keypad::{fuzz_lines, parse_line};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = parse_line(data);
    let Some((&seed, stream)) = data.split_first() else {
        return;
    };
    let lines = fuzz_lines(stream, seed);
    let newlines = stream.iter().filter(|&&b| b == b'\n').count();
    assert!(lines.len() <= newlines);
});
