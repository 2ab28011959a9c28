//! One line of the control socket (desktop input for the simulated hardware).
#![no_main]

use kaonin::control;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(line) = std::str::from_utf8(data) else {
        return;
    };
    match control::parse(line) {
        Ok(command) => {
            let _ = format!("{command:?}");
        }
        Err(message) => {
            // The error goes back to the client as one line.
            let reply = control::error_line(&message);
            assert!(!reply.trim_end().contains('\n'), "error reply is one line");
        }
    }
});
