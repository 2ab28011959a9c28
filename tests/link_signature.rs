//! `terminal_signature` end to end: a terminal configured as the daemon configures
//! it signs every identity (state-directory key on a unix socket, the pairing key
//! over TLS), and the reference PC (`kaonin pc --terminal-key`) verifies it, acking
//! `error` when the signature is missing or made with another key.

// Uses the simulators (cargo feature `sim`, on by default).
#![cfg(feature = "sim")]

use kaonin::flow::{AckResult, Consent, ConsentMode, Event, Identity, Method};
use kaonin::link::signature::{parse_public_key, PUBLIC_KEY_FILE};
use kaonin::link::tls::{self, Role};
use kaonin::link::transport::Endpoint;
use kaonin::link::{spawn_with, ClientOptions, LinkConfig, LinkHandle, StatusSnapshot};
use kaonin::sim::pc::{PcOptions, PcOutput, PcServer};
use kaonin::staff::Staff;
use serde_json::Value;
use std::path::Path;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

fn identity(id: &str) -> Identity {
    Identity {
        id: id.into(),
        method: Method::Face,
        certificate: vec![0x30, 0x03, 0x02, 0x01, 0x00],
        card_signature: None,
        face_score: Some(0.83),
        staff_account: None,
        consent: Consent::all(),
        consent_mode: ConsentMode::All,
        kenmen: None,
        prescription: None,
    }
}

async fn start_pc(
    listen: &str,
    options: impl FnOnce(&mut PcOptions),
) -> (Endpoint, mpsc::UnboundedReceiver<Value>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let mut o = PcOptions::new(listen);
    o.output = PcOutput::Channel(tx);
    options(&mut o);
    let server = PcServer::bind(o).await.unwrap();
    let endpoint = server.local_endpoint().unwrap();
    tokio::spawn(server.serve());
    (endpoint, rx)
}

async fn start_terminal(options: ClientOptions, state: &Path) -> Terminal {
    let staff = Staff::open(state, 5, Duration::from_secs(300)).unwrap();
    let (tx, events) = mpsc::channel(64);
    let (status, status_rx) = watch::channel(StatusSnapshot::default());
    let link = spawn_with(options, staff, tx, status_rx).await.unwrap();
    Terminal {
        link,
        events,
        _status: status,
    }
}

struct Terminal {
    link: LinkHandle,
    events: mpsc::Receiver<Event>,
    _status: watch::Sender<StatusSnapshot>,
}

/// The ack the terminal got for `id`.
async fn ack_of(events: &mut mpsc::Receiver<Event>, want: &str) -> (AckResult, String) {
    loop {
        if let Event::Acked {
            id,
            result,
            message,
        } = events.recv().await.expect("link task ended")
        {
            assert_eq!(id, want);
            return (result, message.unwrap_or_default());
        }
    }
}

async fn next_identity(rx: &mut mpsc::UnboundedReceiver<Value>) -> Value {
    loop {
        let v = rx.recv().await.expect("pc ended");
        if v["type"] == "identity" {
            return v;
        }
    }
}

fn unix_options(sock: &Path, state: &Path) -> ClientOptions {
    let link = LinkConfig {
        endpoint: format!("unix:{}", sock.display()),
        ..LinkConfig::default()
    };
    ClientOptions::from_config(&link, "reception-1", state).unwrap()
}

#[tokio::test]
async fn a_unix_terminal_signs_with_its_state_dir_key_and_the_pc_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let (sock, state) = (dir.path().join("link.sock"), dir.path().join("state"));
    let options = unix_options(&sock, &state);
    // The daemon's options made the key on first start and wrote its public key.
    let public = std::fs::read_to_string(state.join(PUBLIC_KEY_FILE)).unwrap();
    let key = parse_public_key(&public).unwrap();
    let (_pc, mut seen) = start_pc(&format!("unix:{}", sock.display()), |o| {
        o.terminal_keys = vec![key];
    })
    .await;
    let Terminal {
        link,
        mut events,
        _status,
    } = start_terminal(options, &state).await;
    link.enqueue(&identity("sig-1")).await.unwrap();
    let got = next_identity(&mut seen).await;
    assert!(got["terminal_signature"].is_string());
    assert_eq!(got["terminal_signature_check"], "verified");
    assert_eq!(ack_of(&mut events, "sig-1").await.0, AckResult::Eligible);
    link.shutdown().await;
}

#[tokio::test]
async fn the_pc_refuses_an_identity_signed_with_another_key() {
    let dir = tempfile::tempdir().unwrap();
    let (sock, state) = (dir.path().join("link.sock"), dir.path().join("state"));
    let other =
        kaonin::link::signature::TerminalSigner::load_or_create(&dir.path().join("other")).unwrap();
    let (_pc, mut seen) = start_pc(&format!("unix:{}", sock.display()), |o| {
        o.terminal_keys = vec![other.public_key().to_vec()];
    })
    .await;
    let Terminal {
        link,
        mut events,
        _status,
    } = start_terminal(unix_options(&sock, &state), &state).await;
    link.enqueue(&identity("sig-2")).await.unwrap();
    let got = next_identity(&mut seen).await;
    assert_eq!(
        got["terminal_signature_check"],
        "terminal_signature does not verify"
    );
    let (result, message) = ack_of(&mut events, "sig-2").await;
    assert_eq!(result, AckResult::Error);
    assert!(message.contains("terminal_signature"), "{message}");
    assert_eq!(
        link.outbox_len(),
        0,
        "an answered identity leaves the outbox"
    );
    link.shutdown().await;
}

#[tokio::test]
async fn the_pc_refuses_an_unsigned_identity_when_it_knows_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let (sock, state) = (dir.path().join("link.sock"), dir.path().join("state"));
    let key = kaonin::link::signature::TerminalSigner::load_or_create(&state).unwrap();
    let (_pc, mut seen) = start_pc(&format!("unix:{}", sock.display()), |o| {
        o.terminal_keys = vec![key.public_key().to_vec()];
    })
    .await;
    // Options without a signer: identities go unsigned.
    let options = ClientOptions::new(Endpoint::Unix(sock.clone()), "reception-1", state.clone());
    let Terminal {
        link,
        mut events,
        _status,
    } = start_terminal(options, &state).await;
    link.enqueue(&identity("sig-3")).await.unwrap();
    let got = next_identity(&mut seen).await;
    assert!(got.get("terminal_signature").is_none());
    assert_eq!(
        got["terminal_signature_check"],
        "identity has no terminal_signature"
    );
    assert_eq!(ack_of(&mut events, "sig-3").await.0, AckResult::Error);
    link.shutdown().await;
}

#[tokio::test]
async fn without_a_key_the_pc_does_not_check_and_says_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (sock, state) = (dir.path().join("link.sock"), dir.path().join("state"));
    let (_pc, mut seen) = start_pc(&format!("unix:{}", sock.display()), |_| {}).await;
    let Terminal {
        link,
        mut events,
        _status,
    } = start_terminal(unix_options(&sock, &state), &state).await;
    link.enqueue(&identity("sig-4")).await.unwrap();
    let got = next_identity(&mut seen).await;
    assert!(got["terminal_signature"].is_string());
    assert!(got.get("terminal_signature_check").is_none());
    assert_eq!(ack_of(&mut events, "sig-4").await.0, AckResult::Eligible);
    link.shutdown().await;
}

/// Over TLS the pairing key signs; the PC takes the public key from the terminal
/// certificate it pins.
#[tokio::test]
async fn a_tls_terminal_signs_with_its_pairing_key() {
    let (terminal_dir, pc_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let terminal_fp = tls::pair(terminal_dir.path(), Role::Terminal).unwrap();
    let pc_fp = tls::pair(pc_dir.path(), Role::Pc).unwrap();
    let (cert, _) = tls::default_files(terminal_dir.path(), Role::Terminal);
    let key = parse_public_key(cert.to_str().unwrap()).unwrap();
    let (endpoint, mut seen) = start_pc("tcp://127.0.0.1:0", |o| {
        o.state_dir = Some(pc_dir.path().into());
        o.terminal_fingerprints = vec![terminal_fp];
        o.terminal_keys = vec![key];
    })
    .await;
    let link_config = LinkConfig {
        endpoint: endpoint.to_string(),
        pc_fingerprint: pc_fp,
        ..LinkConfig::default()
    };
    let options =
        ClientOptions::from_config(&link_config, "reception-tls", terminal_dir.path()).unwrap();
    let Terminal {
        link,
        mut events,
        _status,
    } = start_terminal(options, terminal_dir.path()).await;
    link.enqueue(&identity("sig-tls")).await.unwrap();
    let got = next_identity(&mut seen).await;
    assert_eq!(got["terminal_signature_check"], "verified");
    assert_eq!(ack_of(&mut events, "sig-tls").await.0, AckResult::Eligible);
    assert!(
        !terminal_dir
            .path()
            .join(kaonin::link::signature::KEY_FILE)
            .exists(),
        "no separate key made when the pairing key is P-256"
    );
    link.shutdown().await;
}
