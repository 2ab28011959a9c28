//! A minimal eligibility-check PC (資格確認端末) receiver for the PC link, protocol 1
//! (docs/pc-link.md): listens on a Unix socket, prints each verified identity the
//! terminal sends, and acknowledges it. What a PC vendor writes first — here with
//! kaonin's own message types (`kaonin::link::message`); any JSON library will do.
//!
//! Needs: a terminal that connects to the socket: `kaonin run` with
//! `[link] endpoint = "unix:/tmp/pc.sock"`, or the link simulator
//! (`kaonin-link-sim terminal --endpoint unix:/tmp/pc.sock --state DIR`, then type
//! `enqueue ID`). The reference receiver with every option is `kaonin pc`.
//!
//! ```sh
//! cargo run --example pc_receiver -- /tmp/pc.sock        # until Ctrl-C
//! cargo run --example pc_receiver -- /tmp/pc.sock 1      # stop after one identity
//! ```

use kaonin::flow::AckResult;
use kaonin::link::message::{parse_from_reader, to_line, PcMsg, ReaderMsg};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixListener;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: pc_receiver SOCKET [COUNT]")?;
    let mut left: Option<usize> = std::env::args().nth(2).map(|n| n.parse()).transpose()?;
    let _ = std::fs::remove_file(&path);
    let listener = UnixListener::bind(&path)?;
    println!("listening on unix:{path}");
    // One terminal at a time; a terminal reconnects by itself after a drop.
    for stream in listener.incoming() {
        let mut stream = stream?;
        for line in BufReader::new(stream.try_clone()?).lines() {
            let answer = match parse_from_reader(line?.as_bytes()) {
                Ok(ReaderMsg::Hello { terminal_id, .. }) => {
                    println!("hello from {terminal_id}");
                    None
                }
                Ok(ReaderMsg::Identity(identity)) => {
                    // A real PC records `id` durably first: identities come at least once.
                    println!(
                        "identity {} method={:?} terminal={} stale={}",
                        identity.id, identity.method, identity.terminal_id, identity.stale
                    );
                    left = left.map(|n| n.saturating_sub(1));
                    Some(PcMsg::Ack {
                        id: identity.id,
                        result: AckResult::Eligible,
                        message: None,
                        of: None,
                    })
                }
                Ok(ReaderMsg::Ping) => Some(PcMsg::Pong),
                Ok(other) => {
                    println!("{other:?}");
                    None
                }
                Err(e) => Some(PcMsg::Error {
                    message: e.to_string(),
                }),
            };
            if let Some(answer) = answer {
                stream.write_all(&to_line(&answer))?;
            }
            if left == Some(0) {
                println!("done");
                return Ok(());
            }
        }
    }
    Ok(())
}
