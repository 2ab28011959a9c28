//! Drives a simulated terminal over its control socket (docs/control.md): one whole
//! face reception — camera image, card on the reader, the patient's presses — while
//! printing every screen and record the terminal reports. This is how an integrator
//! tests PC software without hardware (or types the same lines with `socat`).
//!
//! Needs: nothing by default — it starts a terminal in-process on simulated hardware
//! (mock reader with the virtual card, image camera, PNG display, the test face
//! matcher) and the reference PC receiver, as `kaonin demo` does. With `--socket` it
//! drives a `kaonin run` you started yourself with `[input] kind = "control"` and
//! `[reader] kind = "mock"`, `[camera] kind = "images"` (feature `sim`).
//!
//! ```sh
//! cargo run --example control_drive
//! cargo run --example control_drive -- --socket /run/kaonin/control.sock
//! ```

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// A control-socket client: lines out, events in.
struct Control {
    events: BufReader<UnixStream>,
    out: UnixStream,
}

impl Control {
    fn connect(path: &Path) -> Result<Control> {
        // A terminal that is still starting binds its socket in a moment.
        for _ in 0..250 {
            if let Ok(out) = UnixStream::connect(path) {
                out.set_read_timeout(Some(Duration::from_secs(30)))?;
                let events = BufReader::new(out.try_clone()?);
                return Ok(Control { events, out });
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err(format!("no control socket at {}", path.display()).into())
    }

    fn send(&mut self, line: Value) -> Result<()> {
        println!("> {line}");
        Ok(writeln!(self.out, "{line}")?)
    }

    /// Prints events until one of the screens `ids` appears; returns its id.
    fn expect(&mut self, ids: &[&str]) -> Result<String> {
        loop {
            let mut line = String::new();
            if self.events.read_line(&mut line)? == 0 {
                return Err("the terminal closed the control socket".into());
            }
            let event: Value = serde_json::from_str(&line)?;
            match event["event"].as_str() {
                Some("screen") => {
                    let id = event["id"].as_str().unwrap_or_default().to_owned();
                    println!(
                        "screen: {id:<14} {}",
                        event["text"].as_str().unwrap_or_default()
                    );
                    if ids.contains(&id.as_str()) {
                        return Ok(id);
                    }
                }
                Some("forwarded") => println!("forwarded: {} ({})", event["id"], event["method"]),
                Some("error") => return Err(format!("control error: {}", event["message"]).into()),
                _ => {}
            }
        }
    }
}

/// Starts a terminal on simulated hardware and the reference PC, in this process;
/// returns the control socket.
fn start_terminal(dir: &Path) -> Result<PathBuf> {
    let config = kaonin::sim::demo::demo_config(dir, &dir.join("screens"));
    let socket = PathBuf::from(config.input.control.trim_start_matches("unix:"));
    let mut pc = kaonin::sim::pc::PcOptions::new(&config.link.endpoint);
    let (records, mut received) = tokio::sync::mpsc::unbounded_channel();
    pc.output = kaonin::sim::pc::PcOutput::Channel(records);
    let runtime = tokio::runtime::Runtime::new()?;
    std::thread::spawn(move || {
        runtime.block_on(async move {
            tokio::spawn(kaonin::sim::pc::run_pc(pc));
            tokio::spawn(async move {
                while let Some(record) = received.recv().await {
                    if record["type"] == "identity" {
                        println!(
                            "PC received: identity {} ({})",
                            record["id"], record["method"]
                        );
                    }
                }
            });
            if let Err(e) = kaonin::cli::run_daemon(config).await {
                eprintln!("terminal stopped: {e:#}");
            }
        })
    });
    Ok(socket)
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let work = tempfile::tempdir()?;
    let socket = match args.as_slice() {
        [flag, path] if flag == "--socket" => PathBuf::from(path),
        [] => start_terminal(work.path())?,
        _ => return Err("usage: control_drive [--socket PATH]".into()),
    };
    let mut ctl = Control::connect(&socket)?;
    let asset = kaonin::assets::path;

    ctl.expect(&["idle"])?;
    ctl.send(json!({"camera": asset("faces/alice-camera.png")}))?;
    ctl.send(json!({"card": "insert", "profile": asset("cards/alice.toml")}))?;
    ctl.expect(&["method_select"])?;
    ctl.send(json!({"press": "face"}))?;
    ctl.expect(&["consent"])?;
    ctl.send(json!({"press": "consent_all"}))?;
    // `done` once the PC acked; `sent_offline` when no PC answers in time.
    let end = ctl.expect(&["done", "sent_offline"])?;
    ctl.send(json!({"card": "remove"}))?;
    ctl.expect(&["idle"])?;
    println!("reception finished: {end}");
    Ok(())
}
