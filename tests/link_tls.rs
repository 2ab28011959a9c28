//! TLS over loopback TCP: pinned peers talk; an unpinned PC or terminal is refused;
//! a plain-TCP peer gets nothing from a TLS endpoint.

// Uses the simulators (cargo feature `sim`, on by default).
#![cfg(feature = "sim")]

use kaonin::flow::{Consent, ConsentMode, Event, Identity, Method};
use kaonin::link::tls::{self, KeyPair, Role};
use kaonin::link::transport::{connect, ClientSecurity, Endpoint};
use kaonin::link::{spawn_with, ClientOptions, StatusSnapshot};
use kaonin::sim::pc::{PcOptions, PcOutput, PcServer};
use kaonin::staff::Staff;
use serde_json::Value;
use std::path::Path;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{mpsc, watch};

struct Keys {
    dir: tempfile::TempDir,
    fingerprint: String,
}

fn keys(role: Role) -> Keys {
    let dir = tempfile::tempdir().unwrap();
    let fingerprint = tls::pair(dir.path(), role).unwrap();
    Keys { dir, fingerprint }
}

fn key_pair(dir: &Path, role: Role) -> KeyPair {
    let (cert, key) = tls::default_files(dir, role);
    KeyPair::load(&cert, &key).unwrap()
}

async fn pc(pc_keys: &Keys, pinned_terminal: &str) -> (Endpoint, mpsc::UnboundedReceiver<Value>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let mut o = PcOptions::new("tcp://127.0.0.1:0");
    o.state_dir = Some(pc_keys.dir.path().into());
    o.terminal_fingerprints = vec![pinned_terminal.into()];
    o.output = PcOutput::Channel(tx);
    let server = PcServer::bind(o).await.unwrap();
    let endpoint = server.local_endpoint().unwrap();
    tokio::spawn(server.serve());
    (endpoint, rx)
}

fn client_security(terminal: &Keys, pinned_pc: &str) -> ClientSecurity {
    let pin = tls::parse_fingerprint(pinned_pc).unwrap();
    ClientSecurity::Tls(
        tls::client_config(key_pair(terminal.dir.path(), Role::Terminal), pin).unwrap(),
    )
}

#[tokio::test]
async fn pinned_peers_deliver_an_identity_over_tls() {
    let (terminal, pc_keys) = (keys(Role::Terminal), keys(Role::Pc));
    let (endpoint, mut seen) = pc(&pc_keys, &terminal.fingerprint).await;
    let state = tempfile::tempdir().unwrap();
    let mut options = ClientOptions::new(endpoint, "reception-tls", state.path().into());
    options.security = client_security(&terminal, &pc_keys.fingerprint);
    let staff = Staff::open(state.path(), 5, Duration::from_secs(300)).unwrap();
    let (tx, mut events) = mpsc::channel(16);
    let (_status, status_rx) = watch::channel(StatusSnapshot::default());
    let link = spawn_with(options, staff, tx, status_rx).await.unwrap();
    link.enqueue(&Identity {
        id: "tls-1".into(),
        method: Method::Face,
        certificate: vec![1, 2, 3],
        card_signature: None,
        face_score: Some(0.9),
        staff_account: None,
        consent: Consent::all(),
        consent_mode: ConsentMode::All,
        kenmen: None,
        prescription: None,
    })
    .await
    .unwrap();
    loop {
        match events.recv().await.unwrap() {
            Event::Acked { id, .. } => {
                assert_eq!(id, "tls-1");
                break;
            }
            _ => continue,
        }
    }
    let hello = seen.recv().await.unwrap();
    assert_eq!(hello["terminal_id"], "reception-tls");
    assert_eq!(link.outbox_len(), 0);
    link.shutdown().await;
}

#[tokio::test]
async fn a_pc_with_an_unpinned_certificate_is_refused() {
    let (terminal, pc_keys, impostor) = (keys(Role::Terminal), keys(Role::Pc), keys(Role::Pc));
    // The PC would accept the terminal, but presents a certificate the terminal
    // did not pin.
    let (endpoint, mut seen) = pc(&impostor, &terminal.fingerprint).await;
    let security = client_security(&terminal, &pc_keys.fingerprint);
    let err = connect(&endpoint, &security).await.err().expect("refused");
    let text = err.to_string();
    assert!(
        text.contains("certificate") || text.contains("Certificate"),
        "{text}"
    );
    assert!(seen.try_recv().is_err(), "the impostor PC heard nothing");
}

#[tokio::test]
async fn a_terminal_with_an_unpinned_certificate_is_refused_by_the_pc() {
    let (terminal, stranger, pc_keys) =
        (keys(Role::Terminal), keys(Role::Terminal), keys(Role::Pc));
    let (endpoint, mut seen) = pc(&pc_keys, &terminal.fingerprint).await;
    let security = client_security(&stranger, &pc_keys.fingerprint);
    // In TLS 1.3 the client may finish its side before the server's verdict
    // arrives; then the first read shows the refusal.
    if let Ok(mut stream) = connect(&endpoint, &security).await {
        // A hello and a ping: a PC that accepted the stranger would answer the ping.
        let hello =
            b"{\"type\":\"hello\",\"protocol\":1,\"terminal_id\":\"x\",\"software\":\"x\"}\n{\"type\":\"ping\"}\n";
        let _ = stream.write_all(hello).await;
        let _ = stream.flush().await;
        let mut buf = [0u8; 64];
        let read = stream.read(&mut buf).await;
        assert!(
            matches!(read, Ok(0) | Err(_)),
            "the stranger got data: {read:?}"
        );
    }
    assert!(
        seen.try_recv().is_err(),
        "the PC printed nothing from the stranger"
    );
}

#[tokio::test]
async fn a_plain_tcp_peer_gets_nothing_from_a_tls_pc() {
    let (terminal, pc_keys) = (keys(Role::Terminal), keys(Role::Pc));
    let (endpoint, mut seen) = pc(&pc_keys, &terminal.fingerprint).await;
    let Endpoint::Tcp { host, port } = endpoint else {
        unreachable!()
    };
    let mut raw = tokio::net::TcpStream::connect((host.as_str(), port))
        .await
        .unwrap();
    raw.write_all(
        b"{\"type\":\"hello\",\"protocol\":1,\"terminal_id\":\"p\",\"software\":\"p\"}\n",
    )
    .await
    .unwrap();
    let mut got = Vec::new();
    let _ = raw.read_to_end(&mut got).await;
    // At most a TLS alert record; never a protocol line.
    assert!(!got.contains(&b'{'), "plain peer got {got:?}");
    assert!(
        got.is_empty() || got[0] == 0x15,
        "only an alert may come back: {got:?}"
    );
    assert!(seen.try_recv().is_err());
}

#[tokio::test]
async fn a_plain_tcp_pc_gets_nothing_from_a_tls_terminal() {
    let terminal = keys(Role::Terminal);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let security = client_security(&terminal, &"ab".repeat(32));
    let server = tokio::spawn(async move {
        let (mut s, _) = listener.accept().await.unwrap();
        let _ = s.write_all(b"{\"type\":\"status_request\"}\n").await;
        let mut got = Vec::new();
        let _ = s.read_to_end(&mut got).await;
        got
    });
    let endpoint = Endpoint::Tcp {
        host: "127.0.0.1".into(),
        port,
    };
    assert!(connect(&endpoint, &security).await.is_err());
    let got = server.await.unwrap();
    // The terminal sent a TLS ClientHello (and maybe an alert), never JSON.
    assert!(!got.is_empty() && got[0] == 0x16, "{got:?}");
    assert!(!got.windows(7).any(|w| w == b"\"type\":"));
}

#[tokio::test]
async fn plain_tcp_is_refused_off_loopback_and_without_permission() {
    use kaonin::config::Config;
    let e = Config::parse(
        "[link]\nendpoint = \"tcp://192.0.2.10:7000\"\nallow_plain_tcp = true\n",
        "k.toml",
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("link.allow_plain_tcp"), "{e}");
    let e = Config::parse("[link]\nendpoint = \"tcp://127.0.0.1:7000\"\n", "k.toml")
        .unwrap_err()
        .to_string();
    assert!(e.contains("link.pc_fingerprint"), "{e}");
    Config::parse(
        "[link]\nendpoint = \"tcp://127.0.0.1:7000\"\nallow_plain_tcp = true\n",
        "k.toml",
    )
    .unwrap();
    // The receiver refuses to listen in plain text unless both hold.
    let mut o = PcOptions::new("tcp://127.0.0.1:0");
    o.terminal_fingerprints = vec![];
    assert!(PcServer::bind(o.clone()).await.is_err());
    o.allow_plain_tcp = true;
    assert!(PcServer::bind(o).await.is_ok());
}
