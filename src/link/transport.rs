//! Transports: `unix:PATH` and `tcp://HOST:PORT` (TLS 1.3, or plain TCP only on
//! loopback when the config explicitly allows it). On `unix:` the terminal asks the
//! kernel who listens at the other end (`SO_PEERCRED`) and talks only to a process
//! of an accepted user or group ([`PeerPolicy`]): a socket file another local user
//! managed to put in place gets no identity and cannot set passcodes.

use super::LinkError;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream, UnixListener, UnixStream};

/// Where the PC listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// A Unix socket (access by file permissions).
    Unix(PathBuf),
    /// A TCP address.
    Tcp { host: String, port: u16 },
}

impl Endpoint {
    /// Parses `unix:PATH` or `tcp://HOST:PORT` (IPv6 hosts in brackets).
    pub fn parse(text: &str) -> Result<Endpoint, String> {
        if let Some(path) = text.strip_prefix("unix:") {
            if path.is_empty() {
                return Err("unix: needs a path".into());
            }
            return Ok(Endpoint::Unix(PathBuf::from(path)));
        }
        let rest = text
            .strip_prefix("tcp://")
            .ok_or("must be unix:PATH or tcp://HOST:PORT")?;
        let (host, port) = rest
            .rsplit_once(':')
            .ok_or("tcp://HOST:PORT needs a port")?;
        let port: u16 = port
            .parse()
            .map_err(|_| format!("`{port}` is not a port number"))?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() {
            return Err("tcp://HOST:PORT needs a host".into());
        }
        Ok(Endpoint::Tcp {
            host: host.to_owned(),
            port,
        })
    }

    /// True for a TCP endpoint on the loopback interface (`localhost`, 127/8, ::1).
    pub fn is_loopback(&self) -> bool {
        match self {
            Endpoint::Unix(_) => false,
            Endpoint::Tcp { host, .. } => {
                host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
            }
        }
    }
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Endpoint::Unix(p) => write!(f, "unix:{}", p.display()),
            Endpoint::Tcp { host, port } if host.contains(':') => {
                write!(f, "tcp://[{host}]:{port}")
            }
            Endpoint::Tcp { host, port } => write!(f, "tcp://{host}:{port}"),
        }
    }
}

/// A byte stream of any transport.
pub trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

/// A boxed byte stream.
pub type BoxStream = Box<dyn Stream>;

/// Which local processes may be the PC at the other end of a `unix:` link: root,
/// and those whose uid is in `uids` or whose gid is in `gids`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerPolicy {
    /// Accepted user ids (root is always accepted: it can read the terminal's
    /// memory anyway).
    pub uids: Vec<u32>,
    /// Accepted group ids.
    pub gids: Vec<u32>,
}

impl PeerPolicy {
    /// Root and the terminal's own user.
    pub fn own_user() -> Self {
        PeerPolicy {
            uids: vec![rustix::process::geteuid().as_raw()],
            gids: Vec::new(),
        }
    }

    /// `[link] peer_uids` / `peer_gids`; no uid given: the terminal's own user.
    pub fn configured(uids: &[u32], gids: &[u32]) -> Self {
        let mut policy = if uids.is_empty() {
            Self::own_user()
        } else {
            PeerPolicy {
                uids: uids.to_vec(),
                gids: Vec::new(),
            }
        };
        policy.gids = gids.to_vec();
        policy
    }

    /// Whether a peer running as `uid`:`gid` is accepted.
    pub fn allows(&self, uid: u32, gid: u32) -> bool {
        uid == 0 || self.uids.contains(&uid) || self.gids.contains(&gid)
    }

    /// Checks the process at the other end of `stream` (a refusal is logged, with
    /// ids only, and the stream is dropped by the caller).
    pub fn check(&self, stream: &UnixStream, endpoint: &Endpoint) -> Result<(), LinkError> {
        let cred = stream.peer_cred().map_err(|e| LinkError::Io {
            what: format!("{endpoint} (peer credentials)"),
            source: e,
        })?;
        if self.allows(cred.uid(), cred.gid()) {
            return Ok(());
        }
        let (uid, gid, pid) = (cred.uid(), cred.gid(), cred.pid().unwrap_or(0));
        tracing::warn!(%endpoint, uid, gid, pid, "PC link peer refused: not an accepted user or group");
        Err(LinkError::PeerRefused {
            endpoint: endpoint.to_string(),
            uid,
            gid,
            pid,
        })
    }
}

/// How the client protects a connection.
#[derive(Clone)]
pub enum ClientSecurity {
    /// No TLS (Unix sockets, whose peer is checked against [`PeerPolicy::own_user`];
    /// loopback TCP when explicitly allowed).
    Plain,
    /// A Unix socket whose peer must satisfy this policy.
    UnixPeer(PeerPolicy),
    /// TLS 1.3 with pinning.
    Tls(Arc<rustls::ClientConfig>),
}

/// How long connecting and the TLS handshake may take.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Connects to `endpoint` (and completes the TLS handshake).
pub async fn connect(
    endpoint: &Endpoint,
    security: &ClientSecurity,
) -> Result<BoxStream, LinkError> {
    let work = async {
        match endpoint {
            Endpoint::Unix(path) => {
                let s = UnixStream::connect(path)
                    .await
                    .map_err(|e| LinkError::io(path, e))?;
                match security {
                    ClientSecurity::UnixPeer(policy) => policy.check(&s, endpoint)?,
                    _ => PeerPolicy::own_user().check(&s, endpoint)?,
                }
                Ok::<BoxStream, LinkError>(Box::new(s))
            }
            Endpoint::Tcp { host, port } => {
                let tcp = TcpStream::connect((host.as_str(), *port))
                    .await
                    .map_err(|e| LinkError::Io {
                        what: endpoint.to_string(),
                        source: e,
                    })?;
                let _ = tcp.set_nodelay(true);
                match security {
                    ClientSecurity::Plain | ClientSecurity::UnixPeer(_) => {
                        Ok(Box::new(tcp) as BoxStream)
                    }
                    ClientSecurity::Tls(config) => {
                        let name = rustls::pki_types::ServerName::try_from(host.clone())
                            .map_err(|e| LinkError::Endpoint(format!("{host}: {e}")))?;
                        let tls = tokio_rustls::TlsConnector::from(config.clone())
                            .connect(name, tcp)
                            .await
                            .map_err(|e| {
                                LinkError::Tls(format!("handshake with {endpoint}: {e}"))
                            })?;
                        Ok(Box::new(tls) as BoxStream)
                    }
                }
            }
        }
    };
    tokio::time::timeout(HANDSHAKE_TIMEOUT, work)
        .await
        .map_err(|_| LinkError::Tls(format!("connecting to {endpoint} timed out")))?
}

/// A listening socket for the PC side.
pub enum Listener {
    /// Unix socket.
    Unix(UnixListener, PathBuf),
    /// TCP, with TLS unless `None`.
    Tcp(TcpListener, Option<tokio_rustls::TlsAcceptor>),
}

/// A connection accepted but not yet through its TLS handshake.
pub enum Accepted {
    /// Ready to use.
    Ready(BoxStream),
    /// Needs the TLS handshake (run it in the connection's own task).
    Tls(TcpStream, tokio_rustls::TlsAcceptor),
}

impl Accepted {
    /// Completes the handshake (bounded by [`HANDSHAKE_TIMEOUT`]); returns the
    /// stream and the peer certificate's fingerprint, if any.
    pub async fn finish(self) -> Result<(BoxStream, Option<String>), LinkError> {
        match self {
            Accepted::Ready(s) => Ok((s, None)),
            Accepted::Tls(tcp, acceptor) => {
                let tls = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp))
                    .await
                    .map_err(|_| LinkError::Tls("handshake timed out".into()))?
                    .map_err(|e| LinkError::Tls(format!("handshake: {e}")))?;
                let fp = tls
                    .get_ref()
                    .1
                    .peer_certificates()
                    .and_then(|c| c.first())
                    .map(|c| super::tls::fingerprint_hex(c.as_ref()));
                Ok((Box::new(tls), fp))
            }
        }
    }
}

impl Listener {
    /// Binds `endpoint`. A stale Unix socket file is replaced. `tls` is required for
    /// TCP unless the endpoint is loopback and `allow_plain` is set.
    pub async fn bind(
        endpoint: &Endpoint,
        tls: Option<Arc<rustls::ServerConfig>>,
        allow_plain: bool,
    ) -> Result<Listener, LinkError> {
        match endpoint {
            Endpoint::Unix(path) => {
                if std::fs::symlink_metadata(path)
                    .is_ok_and(|m| std::os::unix::fs::FileTypeExt::is_socket(&m.file_type()))
                {
                    let _ = std::fs::remove_file(path);
                }
                let l = UnixListener::bind(path).map_err(|e| LinkError::io(path, e))?;
                Ok(Listener::Unix(l, path.clone()))
            }
            Endpoint::Tcp { host, port } => {
                if tls.is_none() && !(allow_plain && endpoint.is_loopback()) {
                    return Err(LinkError::Config(
                        "plain TCP is only allowed on loopback and when explicitly enabled".into(),
                    ));
                }
                let l = TcpListener::bind((host.as_str(), *port))
                    .await
                    .map_err(|e| LinkError::Io {
                        what: endpoint.to_string(),
                        source: e,
                    })?;
                Ok(Listener::Tcp(l, tls.map(tokio_rustls::TlsAcceptor::from)))
            }
        }
    }

    /// The bound address (useful with port 0).
    pub fn local_endpoint(&self) -> Option<Endpoint> {
        match self {
            Listener::Unix(_, p) => Some(Endpoint::Unix(p.clone())),
            Listener::Tcp(l, _) => l.local_addr().ok().map(|a| Endpoint::Tcp {
                host: a.ip().to_string(),
                port: a.port(),
            }),
        }
    }

    /// Waits for the next connection; returns it with a peer description.
    pub async fn accept(&self) -> std::io::Result<(Accepted, String)> {
        match self {
            Listener::Unix(l, p) => {
                let (s, _) = l.accept().await?;
                Ok((
                    Accepted::Ready(Box::new(s)),
                    format!("unix:{}", p.display()),
                ))
            }
            Listener::Tcp(l, tls) => {
                let (s, addr) = l.accept().await?;
                let _ = s.set_nodelay(true);
                let accepted = match tls {
                    Some(a) => Accepted::Tls(s, a.clone()),
                    None => Accepted::Ready(Box::new(s)),
                };
                Ok((accepted, addr.to_string()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peers_are_root_the_own_user_or_configured_ids() {
        let me = rustix::process::geteuid().as_raw();
        let own = PeerPolicy::configured(&[], &[]);
        assert!(own.allows(0, 0));
        assert!(own.allows(me, 12345));
        assert!(me == 65534 || !own.allows(65534, 65534));
        let pc = PeerPolicy::configured(&[1001], &[2002]);
        assert!(pc.allows(1001, 1));
        assert!(pc.allows(3003, 2002));
        assert!(pc.allows(0, 0));
        assert!(!pc.allows(3003, 3003));
        assert!(
            me == 1001 || me == 0 || !pc.allows(me, 3003),
            "configured uids replace the own user"
        );
    }

    #[test]
    fn endpoints_parse() {
        assert_eq!(
            Endpoint::parse("unix:/run/k.sock"),
            Ok(Endpoint::Unix("/run/k.sock".into()))
        );
        let e = Endpoint::parse("tcp://127.0.0.1:4000").unwrap();
        assert!(e.is_loopback());
        assert_eq!(e.to_string(), "tcp://127.0.0.1:4000");
        let e = Endpoint::parse("tcp://[::1]:4000").unwrap();
        assert!(e.is_loopback());
        assert_eq!(e.to_string(), "tcp://[::1]:4000");
        assert!(!Endpoint::parse("tcp://192.0.2.1:4000")
            .unwrap()
            .is_loopback());
        assert!(Endpoint::parse("tcp://host").is_err());
        assert!(Endpoint::parse("tcp://:80").is_err());
        assert!(Endpoint::parse("http://x").is_err());
        assert!(Endpoint::parse("unix:").is_err());
    }
}
