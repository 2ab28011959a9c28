//! The systemd protocol: READY=1 once the devices are up, then WATCHDOG=1 pings that
//! come from the flow loop itself, so they stop when the loop is stalled.

mod common;

use common::*;
use std::os::unix::net::UnixDatagram;
use std::process::Stdio;
use std::time::Duration;

#[test]
fn ready_then_pings_that_stop_while_the_loop_is_stalled() {
    let t = Terminal::start(Options::default());
    // A second daemon on the same config would fight over the sockets: stop the
    // harness's one and start ours with a watchdog.
    let config = t.dir.path().join("kaonin.toml");
    let control = t.dir.path().join("control.sock");
    let notify_path = t.dir.path().join("watchdog.sock");
    let mut t = t;
    t.kill();

    let notify = UnixDatagram::bind(&notify_path).unwrap();
    let mut child = kaonin()
        .args(["run", "--config"])
        .arg(&config)
        .env("NOTIFY_SOCKET", &notify_path)
        .env("WATCHDOG_USEC", "200000")
        .env("KAONIN_DEBUG_CONTROL", "1")
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut buf = [0u8; 64];
    notify.set_read_timeout(Some(DEADLINE)).unwrap();
    let n = notify.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"READY=1");
    for _ in 0..3 {
        let n = notify.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"WATCHDOG=1");
    }

    // Stall the loop for 6 s: pings already queued may still arrive, then none.
    let mut ctl = std::os::unix::net::UnixStream::connect(&control).unwrap();
    use std::io::Write;
    writeln!(ctl, r#"{{"debug":{{"stall_ms":6000}}}}"#).unwrap();
    notify
        .set_read_timeout(Some(Duration::from_millis(1500)))
        .unwrap();
    let stopped = (0..20).any(|_| notify.recv(&mut buf).is_err());
    assert!(stopped, "pings kept coming while the loop was stalled");

    // After the stall the loop pings again.
    notify.set_read_timeout(Some(DEADLINE)).unwrap();
    let n = notify.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"WATCHDOG=1");
    let _ = child.kill();
    let _ = child.wait();
}
