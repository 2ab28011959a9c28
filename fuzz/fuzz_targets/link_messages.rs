//! One PC link line, as the terminal reads it from the PC and as the reference PC
//! reads it from the terminal; what parses is written out again and re-read.
#![no_main]

use kaonin::link::message::{parse_from_pc, parse_from_reader, to_line};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(msg) = parse_from_pc(data) {
        let line = to_line(&msg);
        assert_eq!(line.last(), Some(&b'\n'));
        parse_from_pc(&line[..line.len() - 1]).expect("own PC line parses");
    }
    if let Ok(msg) = parse_from_reader(data) {
        let line = to_line(&msg);
        parse_from_reader(&line[..line.len() - 1]).expect("own reader line parses");
    }
});
