//! The unix PC link checks who listens at the other end (`SO_PEERCRED`): a process
//! of another user (here `nobody`, a forked child that drops to uid/gid 65534 before
//! it listens) is refused and gets nothing; the terminal's own user and configured
//! ids are accepted. Needs root (as the tests run here) to drop to another uid; as
//! another user the test says so and passes without checking.

use kaonin::link::transport::{connect, ClientSecurity, Endpoint, PeerPolicy};
use kaonin::link::LinkError;
use std::os::fd::AsRawFd;
use std::path::Path;

const NOBODY: u32 = 65534;

/// A socket bound at `path` whose `listen()` is made by a child running as
/// `nobody`: the kernel records the listener's credentials at listen time. The
/// child is killed on drop.
struct NobodyListener {
    pid: libc::pid_t,
}

impl NobodyListener {
    fn start(path: &Path) -> NobodyListener {
        let socket = socket2::Socket::new(socket2::Domain::UNIX, socket2::Type::STREAM, None)
            .expect("a unix socket");
        socket
            .bind(&socket2::SockAddr::unix(path).unwrap())
            .expect("bind");
        let fd = socket.as_raw_fd();
        // SAFETY: the child calls only async-signal-safe functions (setgroups,
        // setgid, setuid, listen, pause, _exit) before it is killed.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0, "fork failed");
        if pid == 0 {
            unsafe {
                let ok = libc::setgroups(0, std::ptr::null()) == 0
                    && libc::setgid(NOBODY) == 0
                    && libc::setuid(NOBODY) == 0
                    && libc::listen(fd, 8) == 0;
                if !ok {
                    libc::_exit(3);
                }
                loop {
                    libc::pause();
                }
            }
        }
        drop(socket);
        NobodyListener { pid }
    }
}

impl Drop for NobodyListener {
    fn drop(&mut self) {
        unsafe {
            libc::kill(self.pid, libc::SIGKILL);
            libc::waitpid(self.pid, std::ptr::null_mut(), 0);
        }
    }
}

fn is_root() -> bool {
    unsafe { libc::geteuid() == 0 }
}

/// Waits until the child listens (a connect succeeds): no sleep, a bounded retry on
/// `ECONNREFUSED`.
async fn wait_listening(path: &Path) {
    for _ in 0..10_000 {
        match tokio::net::UnixStream::connect(path).await {
            Ok(_) => return,
            Err(_) => tokio::task::yield_now().await,
        }
    }
    panic!("the nobody child never listened");
}

#[tokio::test]
async fn a_listener_of_another_uid_is_refused_and_the_own_user_accepted() {
    if !is_root() {
        eprintln!("skipped: needs root to run a listener as nobody");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("link.sock");
    let child = NobodyListener::start(&path);
    wait_listening(&path).await;
    let endpoint = Endpoint::Unix(path.clone());

    // The default (what `ClientOptions::new` and an empty config give): refused.
    match connect(&endpoint, &ClientSecurity::Plain).await {
        Err(LinkError::PeerRefused { uid, gid, pid, .. }) => {
            assert_eq!((uid, gid, pid), (NOBODY, NOBODY, child.pid));
        }
        other => panic!("expected a refusal, got {:?}", other.err()),
    }
    // What the config gives with `peer_uids` naming someone else: refused too.
    let other = PeerPolicy::configured(&[1234], &[]);
    let err = connect(&endpoint, &ClientSecurity::UnixPeer(other))
        .await
        .err()
        .expect("refused");
    let text = err.to_string();
    assert!(
        text.contains("uid 65534") && text.contains("link.peer_uids"),
        "{text}"
    );
    // Naming nobody's uid, or its group, lets it through.
    for policy in [
        PeerPolicy::configured(&[NOBODY], &[]),
        PeerPolicy::configured(&[1234], &[NOBODY]),
    ] {
        assert!(connect(&endpoint, &ClientSecurity::UnixPeer(policy))
            .await
            .is_ok());
    }
    drop(child);

    // A listener of the terminal's own user (root here) is accepted by default.
    let own = dir.path().join("own.sock");
    let _listener = tokio::net::UnixListener::bind(&own).unwrap();
    assert!(connect(&Endpoint::Unix(own), &ClientSecurity::Plain)
        .await
        .is_ok());
}
