//! Listening sockets in Postfix's notation (`inet:host:port`, `unix:/path`)
//! and the connection wrapper that cures the TCP loopback stall.
//!
//! Why the wrapper: Postfix writes milter commands in several small writes
//! (a macro packet, then the command) and, with the `SMFIP_NR_*` no-reply
//! options, often does not wait for an answer between them. Its second
//! small write then waits (Nagle) for the ACK of the first, and Linux delays
//! that ACK by up to 40 ms because the milter has nothing to send back. Every
//! message paid that stall several times over inet. Re-arming
//! `TCP_QUICKACK` after every read makes the kernel ACK at once; the
//! milter's own replies go out with `TCP_NODELAY`, since an end-of-message
//! reply sequence is several small writes too. Unix sockets have neither
//! problem.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use thiserror::Error;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream, UnixListener, UnixStream};

/// A socket address in Postfix's notation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SocketSpec {
    /// `inet:host:port` (host may be a name, an IPv4 address or `[IPv6]`).
    Inet { host: String, port: u16 },
    /// `unix:/path` (also `local:/path`, or a bare absolute path).
    Unix(PathBuf),
}

/// A listen address that cannot be used.
#[derive(Debug, Error)]
pub enum SocketError {
    #[error("invalid socket {0:?}: use inet:HOST:PORT or unix:/PATH")]
    Syntax(String),
    #[error("cannot listen on {spec}: {source}")]
    Bind { spec: String, source: io::Error },
    #[error("socket {path}: {message}")]
    Permissions { path: String, message: String },
}

impl SocketSpec {
    /// Parses `inet:127.0.0.1:7357`, `inet:[::1]:7357`, `inet:7357`
    /// (loopback), `unix:/run/x.sock`, `local:/run/x.sock` or `/run/x.sock`.
    pub fn parse(s: &str) -> Result<SocketSpec, SocketError> {
        let s = s.trim();
        let bad = || SocketError::Syntax(s.to_string());
        if let Some(rest) = s.strip_prefix("inet:").or_else(|| s.strip_prefix("inet6:")) {
            let (host, port) = match rest.rsplit_once(':') {
                Some((h, p)) => (h.trim_start_matches('[').trim_end_matches(']'), p),
                None => ("127.0.0.1", rest),
            };
            let port: u16 = port.parse().map_err(|_| bad())?;
            if host.is_empty() {
                return Err(bad());
            }
            return Ok(SocketSpec::Inet {
                host: host.to_string(),
                port,
            });
        }
        let path = s
            .strip_prefix("unix:")
            .or_else(|| s.strip_prefix("local:"))
            .unwrap_or(s);
        if path.starts_with('/') {
            Ok(SocketSpec::Unix(PathBuf::from(path)))
        } else {
            Err(bad())
        }
    }
}

impl std::fmt::Display for SocketSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SocketSpec::Inet { host, port } if host.contains(':') => {
                write!(f, "inet:[{host}]:{port}")
            }
            SocketSpec::Inet { host, port } => write!(f, "inet:{host}:{port}"),
            SocketSpec::Unix(p) => write!(f, "unix:{}", p.display()),
        }
    }
}

/// Options for the socket file of a `unix:` listener.
#[derive(Debug, Clone, Default)]
pub struct UnixOptions {
    /// Permission bits, e.g. 0o660 so Postfix's group can connect.
    pub mode: Option<u32>,
    /// Group name or number to own the socket (Postfix runs as `postfix`).
    pub group: Option<String>,
}

/// Shared switch that makes the listener stop accepting (graceful shutdown)
/// and counts live connections.
#[derive(Debug, Default)]
pub struct ListenerControl {
    draining: AtomicBool,
    waker: Mutex<Option<Waker>>,
    live: Arc<AtomicUsize>,
}

impl ListenerControl {
    /// Stops accepting new connections; the listening socket is closed.
    pub fn drain(&self) {
        self.draining.store(true, Ordering::SeqCst);
        if let Some(w) = self.waker.lock().unwrap_or_else(|e| e.into_inner()).take() {
            w.wake();
        }
    }

    /// Connections currently open.
    pub fn live_connections(&self) -> usize {
        self.live.load(Ordering::SeqCst)
    }
}

enum Inner {
    Tcp(TcpListener),
    Unix(UnixListener, PathBuf),
}

/// The daemon's listener: TCP or unix, with the stall cure on TCP.
pub struct MilterListener {
    inner: Option<Inner>,
    quickack: bool,
    control: Arc<ListenerControl>,
    /// TCP clients served (None: any; `serve` always sets one for inet).
    allow: Option<super::guard::AllowList>,
    /// Live sessions, for evicting the longest-idle one at the limit.
    sessions: Option<Arc<super::guard::SessionTable>>,
    /// Pause after a failed accept (see [`MilterListener::poll_accept`]).
    backoff: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl MilterListener {
    /// Binds `spec`. A stale unix socket file (left by a crash) is removed
    /// first; a path that is not a socket is never touched.
    pub async fn bind(
        spec: &SocketSpec,
        unix: &UnixOptions,
        quickack: bool,
    ) -> Result<MilterListener, SocketError> {
        let bind_err = |source| SocketError::Bind {
            spec: spec.to_string(),
            source,
        };
        let inner = match spec {
            SocketSpec::Inet { host, port } => {
                let l = TcpListener::bind((host.as_str(), *port))
                    .await
                    .map_err(bind_err)?;
                Inner::Tcp(l)
            }
            SocketSpec::Unix(path) => {
                remove_stale_socket(path).map_err(bind_err)?;
                if let Some(parent) = path.parent() {
                    if !parent.as_os_str().is_empty() && !parent.exists() {
                        std::fs::create_dir_all(parent).map_err(bind_err)?;
                    }
                }
                let l = UnixListener::bind(path).map_err(bind_err)?;
                set_socket_permissions(path, unix)?;
                Inner::Unix(l, path.clone())
            }
        };
        Ok(MilterListener {
            inner: Some(inner),
            quickack,
            control: Arc::new(ListenerControl::default()),
            allow: None,
            sessions: None,
            backoff: None,
        })
    }

    /// Serves only TCP clients whose address `allow` allows; others are
    /// closed at accept (see [`super::guard`]).
    pub fn allow_clients(mut self, allow: super::guard::AllowList) -> MilterListener {
        self.allow = Some(allow);
        self
    }

    /// Keeps at most `max` sessions, closing the longest-idle one to make
    /// room for a new connection (see [`super::guard::SessionTable`]).
    pub fn limit_sessions(mut self, max: usize) -> MilterListener {
        self.sessions = Some(Arc::new(super::guard::SessionTable::new(max)));
        self
    }

    /// The handle used to drain this listener.
    pub fn control(&self) -> Arc<ListenerControl> {
        self.control.clone()
    }

    /// The bound TCP address (tests bind port 0).
    pub fn local_addr(&self) -> Option<SocketAddr> {
        match &self.inner {
            Some(Inner::Tcp(l)) => l.local_addr().ok(),
            _ => None,
        }
    }

    fn close(&mut self) {
        if let Some(Inner::Unix(_, path)) = self.inner.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

impl Drop for MilterListener {
    fn drop(&mut self) {
        self.close();
    }
}

/// Removes `path` if it is a socket nobody listens on any more.
fn remove_stale_socket(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::FileTypeExt;
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_socket() => {
            if std::os::unix::net::UnixStream::connect(path).is_ok() {
                return Err(io::Error::new(
                    io::ErrorKind::AddrInUse,
                    "another process is listening on this socket",
                ));
            }
            std::fs::remove_file(path)
        }
        Ok(_) => Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            "path exists and is not a socket",
        )),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

fn set_socket_permissions(path: &Path, o: &UnixOptions) -> Result<(), SocketError> {
    use std::os::unix::fs::PermissionsExt;
    let perm = |message: String| SocketError::Permissions {
        path: path.display().to_string(),
        message,
    };
    if let Some(group) = &o.group {
        let gid = lookup_group(group).ok_or_else(|| perm(format!("unknown group {group:?}")))?;
        std::os::unix::fs::chown(path, None, Some(gid))
            .map_err(|e| perm(format!("cannot give it to group {group}: {e}")))?;
    }
    if let Some(mode) = o.mode {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
            .map_err(|e| perm(format!("cannot set mode {mode:o}: {e}")))?;
    }
    Ok(())
}

/// A group's id from its name (via /etc/group) or number.
pub(crate) fn lookup_group(group: &str) -> Option<u32> {
    if let Ok(n) = group.parse() {
        return Some(n);
    }
    let text = std::fs::read_to_string("/etc/group").ok()?;
    text.lines().find_map(|l| {
        let mut f = l.split(':');
        let name = f.next()?;
        let _pw = f.next()?;
        let gid = f.next()?;
        (name == group).then(|| gid.parse().ok()).flatten()
    })
}

impl MilterListener {
    /// A failed accept (the client gave up before we accepted, or the
    /// process is out of descriptors for a moment) must not end the daemon,
    /// but indymilter treats an accept error as fatal: log it, pause 100 ms
    /// and try again.
    fn accept_failed(
        &mut self,
        e: io::Error,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<MilterStream>> {
        tracing::warn!(error = %e, "cannot accept a milter connection; retrying");
        let mut sleep = Box::pin(tokio::time::sleep(std::time::Duration::from_millis(100)));
        let _ = sleep.as_mut().poll(cx);
        self.backoff = Some(sleep);
        Poll::Pending
    }
}

impl indymilter::Listener for MilterListener {
    type Io = MilterStream;

    fn poll_accept(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<MilterStream>> {
        if self.control.draining.load(Ordering::SeqCst) {
            // Closing the socket makes Postfix apply milter_default_action to
            // new sessions at once instead of waiting for a timeout.
            self.close();
            return Poll::Pending;
        }
        *self.control.waker.lock().unwrap_or_else(|e| e.into_inner()) = Some(cx.waker().clone());
        if let Some(sleep) = self.backoff.as_mut() {
            if sleep.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            self.backoff = None;
        }
        let live = self.control.live.clone();
        let stream = loop {
            match &mut self.inner {
                None => return Poll::Pending,
                Some(Inner::Tcp(l)) => match TcpListener::poll_accept(l, cx) {
                    Poll::Ready(Ok((s, peer))) => {
                        if let Some(allow) = &self.allow {
                            if !allow.allows(peer.ip()) {
                                // Closed before a byte is read: only listed
                                // clients may submit mail for judging.
                                tracing::warn!(client = %peer, "milter connection refused: client not in milter.allow_clients");
                                drop(s);
                                continue;
                            }
                        }
                        let _ = s.set_nodelay(true);
                        break Kind::Tcp(s);
                    }
                    Poll::Ready(Err(e)) => return self.accept_failed(e, cx),
                    Poll::Pending => return Poll::Pending,
                },
                Some(Inner::Unix(l, _)) => match UnixListener::poll_accept(l, cx) {
                    Poll::Ready(Ok((s, _))) => break Kind::Unix(s),
                    Poll::Ready(Err(e)) => return self.accept_failed(e, cx),
                    Poll::Pending => return Poll::Pending,
                },
            }
        };
        let session = self.sessions.as_ref().map(|t| {
            let (slot, evicted) = t.admit();
            if evicted > 0 {
                tracing::warn!(
                    evicted,
                    "milter session limit reached: closed the longest-idle session(s)"
                );
            }
            (t.clone(), slot)
        });
        live.fetch_add(1, Ordering::SeqCst);
        Poll::Ready(Ok(MilterStream {
            kind: stream,
            quickack: self.quickack,
            live,
            session,
        }))
    }
}

enum Kind {
    Tcp(TcpStream),
    Unix(UnixStream),
}

/// One milter connection.
pub struct MilterStream {
    kind: Kind,
    quickack: bool,
    live: Arc<AtomicUsize>,
    /// Its place in the session table, when the listener limits sessions.
    session: Option<(Arc<super::guard::SessionTable>, Arc<super::guard::Slot>)>,
}

impl MilterStream {
    fn read_some(&self) {
        if let Some((t, s)) = &self.session {
            s.read(t.now_ms());
        }
    }

    fn wrote_some(&self) {
        if let Some((t, s)) = &self.session {
            s.wrote(t.now_ms());
        }
    }
}

impl Drop for MilterStream {
    fn drop(&mut self) {
        self.live.fetch_sub(1, Ordering::SeqCst);
    }
}

impl AsyncRead for MilterStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if let Some((_, slot)) = &this.session {
            if slot.evicted() {
                // End of stream: indymilter closes the session.
                return Poll::Ready(Ok(()));
            }
        }
        let before = buf.filled().len();
        let r = match &mut this.kind {
            Kind::Tcp(s) => {
                let r = Pin::new(&mut *s).poll_read(cx, buf);
                if this.quickack && matches!(r, Poll::Ready(Ok(()))) {
                    // Linux leaves quick-ACK mode on its own; re-arm it after
                    // every read (see the module comment).
                    let _ = socket2::SockRef::from(&*s).set_quickack(true);
                }
                r
            }
            Kind::Unix(s) => Pin::new(s).poll_read(cx, buf),
        };
        match &r {
            Poll::Ready(Ok(())) if buf.filled().len() > before => this.read_some(),
            Poll::Pending => {
                if let Some((_, slot)) = &this.session {
                    slot.park(cx.waker());
                    // Evicted between the check above and parking.
                    if slot.evicted() {
                        return Poll::Ready(Ok(()));
                    }
                }
            }
            _ => {}
        }
        r
    }
}

impl AsyncWrite for MilterStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let r = match &mut this.kind {
            Kind::Tcp(s) => Pin::new(s).poll_write(cx, buf),
            Kind::Unix(s) => Pin::new(s).poll_write(cx, buf),
        };
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            this.wrote_some();
        }
        r
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let r = match &mut this.kind {
            Kind::Tcp(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Kind::Unix(s) => Pin::new(s).poll_write_vectored(cx, bufs),
        };
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            this.wrote_some();
        }
        r
    }

    fn is_write_vectored(&self) -> bool {
        match &self.kind {
            Kind::Tcp(s) => s.is_write_vectored(),
            Kind::Unix(s) => s.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.get_mut().kind {
            Kind::Tcp(s) => Pin::new(s).poll_flush(cx),
            Kind::Unix(s) => Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.get_mut().kind {
            Kind::Tcp(s) => Pin::new(s).poll_shutdown(cx),
            Kind::Unix(s) => Pin::new(s).poll_shutdown(cx),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_postfix_notation() {
        assert_eq!(
            SocketSpec::parse("inet:127.0.0.1:7357").unwrap(),
            SocketSpec::Inet {
                host: "127.0.0.1".into(),
                port: 7357
            }
        );
        assert_eq!(
            SocketSpec::parse("inet:[::1]:25").unwrap(),
            SocketSpec::Inet {
                host: "::1".into(),
                port: 25
            }
        );
        assert_eq!(
            SocketSpec::parse("unix:/run/dlp/milter.sock").unwrap(),
            SocketSpec::Unix("/run/dlp/milter.sock".into())
        );
        assert_eq!(
            SocketSpec::parse("inet:localhost:7357")
                .unwrap()
                .to_string(),
            "inet:localhost:7357"
        );
        for bad in [
            "inet:host:port",
            "unix:relative",
            "tcp:1.2.3.4:5",
            "inet::5",
        ] {
            assert!(SocketSpec::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn finds_groups() {
        assert_eq!(lookup_group("0"), Some(0));
        assert_eq!(lookup_group("root"), Some(0));
        assert_eq!(lookup_group("no-such-group-here"), None);
    }

    #[tokio::test]
    async fn stale_socket_is_replaced_but_files_are_not() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.sock");
        let spec = SocketSpec::Unix(path.clone());
        let opts = UnixOptions {
            mode: Some(0o660),
            group: None,
        };
        drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
        let l = MilterListener::bind(&spec, &opts, true).await.unwrap();
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o660);
        // A live listener is not stolen.
        assert!(MilterListener::bind(&spec, &opts, true).await.is_err());
        drop(l);
        assert!(!path.exists(), "socket removed on close");
        std::fs::write(&path, b"x").unwrap();
        assert!(MilterListener::bind(&spec, &opts, true).await.is_err());
        assert!(path.exists());
    }
}
