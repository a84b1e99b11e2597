//! The daemon: shared state, the accept loop, SIGHUP reload and SIGTERM
//! graceful shutdown.
//!
//! The engine and the milter settings live together behind one
//! `RwLock<Arc<Loaded>>`: a session takes the `Arc` once per message, so a
//! reload swaps them atomically between messages without dropping a
//! connection, and a message never sees half of an old config and half of
//! a new one. A config that fails to load or validate leaves the old one in
//! place.

use super::pool::{PoolConfig, WorkerPool};
use super::session;
use super::socket::{MilterListener, SocketError, SocketSpec, UnixOptions};
use super::{MilterConfig, ServeArgs, StoreKind};
use crate::config::{Config, ConfigError};
use crate::detect::recipients::Internal;
use crate::direction::{self, Trust};
use crate::quarantine::spool::SpoolStore;
use crate::quarantine::{marker, HoldStore, QuarantineError};
use crate::scan::{Engine, EngineError};
use crate::scan_worker::WorkerLimits;
use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use thiserror::Error;
use tokio::sync::Semaphore;

/// Why the daemon cannot start (or a reload was refused).
#[derive(Debug, Error)]
pub enum ServeError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error("invalid config: {0}")]
    Invalid(String),
    #[error(transparent)]
    Socket(#[from] SocketError),
    #[error("quarantine: {0}")]
    Quarantine(#[from] QuarantineError),
    #[error("data directory {dir}: {source}")]
    DataDir { dir: String, source: std::io::Error },
    #[error(transparent)]
    Private(#[from] crate::datadir::DataDirError),
    #[error("scan workers: {0}")]
    Workers(String),
    #[error(transparent)]
    Metrics(#[from] crate::metrics::http::MetricsError),
    #[error("milter stopped: {0}")]
    Io(#[from] std::io::Error),
}

/// Connections indymilter may hold beyond `max_sessions` while the
/// longest-idle ones close to make room.
const SESSION_HEADROOM: usize = 8;

/// One consistent generation of config + engine.
pub struct Loaded {
    pub engine: Engine,
    pub milter: MilterConfig,
    pub internal: Internal,
    /// What makes a transaction outgoing (`[direction]`, effective).
    pub trust: Trust,
}

impl Loaded {
    fn build(config: &Config) -> Result<Loaded, ServeError> {
        config.milter.validate().map_err(ServeError::Invalid)?;
        let (trust, unread) = Trust::from_config(config, direction::postfix_mynetworks)
            .map_err(|e| ServeError::Invalid(e.to_string()))?;
        let origin = if config.direction.trusted_networks.is_some() {
            "direction.trusted_networks"
        } else {
            "loopback + postconf mynetworks"
        };
        // The effective list, at every start and reload: the first thing to
        // read when mail from a relay is logged as inbound.
        tracing::info!(
            trusted_networks = %trust.networks_text(),
            origin,
            outbound_daemons = %trust.outbound_daemons.join(" "),
            "direction: trusted sources"
        );
        if !unread.is_empty() {
            tracing::warn!(
                ignored = %unread.join(" "),
                "mynetworks entries that are not literal networks are not trusted by dlp-milter; list the networks in [direction] trusted_networks"
            );
        }
        Ok(Loaded {
            engine: Engine::from_config(config)?,
            milter: config.milter.clone(),
            internal: Internal {
                domains: config.internal_domains(),
            },
            trust,
        })
    }
}

/// The daemon's state every session shares: the config and engine in
/// effect, the hold store, the release key and markers seen, the scan permits.
pub struct DaemonState {
    loaded: RwLock<Arc<Loaded>>,
    pub(crate) store: Arc<dyn HoldStore>,
    /// Marker master keys: the current one, then the one before the last
    /// rotation (if any).
    pub(crate) marker_keys: Vec<Vec<u8>>,
    pub(crate) scan_permits: Arc<Semaphore>,
    /// Messages between MAIL and their end.
    pub(crate) in_flight: Arc<AtomicUsize>,
    /// Scan worker processes (`serve`); without, scans run in-process.
    pub(crate) workers: Option<Arc<WorkerPool>>,
}

impl DaemonState {
    /// The config + engine in effect now.
    pub fn current(&self) -> Arc<Loaded> {
        self.loaded
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// A milter ready to run on a listener. Cheap to clone (shared state).
#[derive(Clone)]
pub struct Milter {
    shared: Arc<DaemonState>,
}

impl Milter {
    /// Builds the engine from `config`; holds go to `store`, release
    /// markers are checked with `release_key`.
    pub fn new(
        config: &Config,
        store: Arc<dyn HoldStore>,
        release_key: Vec<u8>,
    ) -> Result<Milter, ServeError> {
        Milter::build(config, store, vec![release_key], None)
    }

    /// [`Milter::new`] with the marker keys after a rotation (current first).
    pub fn with_keys(
        config: &Config,
        store: Arc<dyn HoldStore>,
        marker_keys: Vec<Vec<u8>>,
    ) -> Result<Milter, ServeError> {
        Milter::build(config, store, marker_keys, None)
    }

    /// Like [`Milter::with_keys`], scanning in `pool`'s worker processes.
    pub fn with_workers(
        config: &Config,
        store: Arc<dyn HoldStore>,
        marker_keys: Vec<Vec<u8>>,
        pool: Arc<WorkerPool>,
    ) -> Result<Milter, ServeError> {
        Milter::build(config, store, marker_keys, Some(pool))
    }

    fn build(
        config: &Config,
        store: Arc<dyn HoldStore>,
        marker_keys: Vec<Vec<u8>>,
        workers: Option<Arc<WorkerPool>>,
    ) -> Result<Milter, ServeError> {
        let loaded = Loaded::build(config)?;
        let threads = loaded.milter.scan_threads();
        Ok(Milter {
            shared: Arc::new(DaemonState {
                loaded: RwLock::new(Arc::new(loaded)),
                store,
                marker_keys,
                scan_permits: Arc::new(Semaphore::new(threads)),
                in_flight: Arc::new(AtomicUsize::new(0)),
                workers,
            }),
        })
    }

    /// Swaps in a new config and rules; on error the old ones stay.
    /// The listen address, socket settings and scan thread count only
    /// change on restart.
    pub fn reload(&self, config: &Config) -> Result<(), ServeError> {
        let new = Loaded::build(config)?;
        let mut slot = self
            .shared
            .loaded
            .write()
            .unwrap_or_else(|e| e.into_inner());
        if new.milter.listen != slot.milter.listen {
            tracing::warn!(
                listen = %new.milter.listen,
                "milter.listen changed: the new address is used after a restart"
            );
        }
        *slot = Arc::new(new);
        Ok(())
    }

    /// The engine in effect (for tests and the reload log line).
    pub fn current(&self) -> Arc<Loaded> {
        self.shared.current()
    }

    /// The session callbacks on this milter's state, to serve a transport
    /// other than [`MilterListener`] with `indymilter::run` (the milter fuzz
    /// target feeds arbitrary MTA bytes over an in-memory stream).
    pub fn callbacks(&self) -> indymilter::Callbacks<session::Session> {
        session::callbacks(self.shared.clone())
    }

    /// Messages currently between MAIL and their end.
    pub fn in_flight(&self) -> usize {
        self.shared.in_flight.load(Ordering::SeqCst)
    }

    /// Serves `listener` until `shutdown` completes, then stops accepting
    /// and lets messages in flight finish (up to `shutdown_grace_s`) before
    /// closing the remaining connections.
    pub async fn run(
        &self,
        listener: MilterListener,
        shutdown: impl Future<Output = ()>,
    ) -> std::io::Result<()> {
        let loaded = self.current();
        // The listener enforces max_sessions by closing the longest-idle
        // session; indymilter's own cap only stops accepting, which would
        // let idle connections lock everyone out, so it gets headroom.
        let listener = listener.limit_sessions(loaded.milter.max_sessions);
        let config = indymilter::Config {
            max_connections: loaded.milter.max_sessions.saturating_add(SESSION_HEADROOM),
            actions: Default::default(),
            connection_timeout: Duration::from_secs(loaded.milter.connection_timeout_s),
        };
        let control = listener.control();
        let in_flight = self.shared.in_flight.clone();
        let grace = Duration::from_secs(loaded.milter.shutdown_grace_s);
        let drained = async move {
            shutdown.await;
            control.drain();
            let start = Instant::now();
            let mut logged = false;
            loop {
                let n = in_flight.load(Ordering::SeqCst);
                if n == 0 {
                    break;
                }
                if !logged {
                    tracing::info!(in_flight = n, "shutting down: finishing messages in flight");
                    logged = true;
                }
                if start.elapsed() >= grace {
                    tracing::warn!(
                        in_flight = n,
                        "shutdown grace period over: closing; Postfix applies milter_default_action"
                    );
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        };
        let callbacks = session::callbacks(self.shared.clone());
        indymilter::run(listener, callbacks, config, drained).await
    }
}

/// The data directory, created 0700 if missing and refused if group or
/// others can read it (see [`crate::datadir`]). Without a configured one,
/// the fallback in the working directory is announced: held mail would
/// otherwise land wherever the daemon happened to be started.
fn data_dir(config: &Config) -> Result<PathBuf, ServeError> {
    let dir = config.data_dir();
    crate::datadir::prepare(&dir)?;
    if let Some(k) = &config.quarantine.audit_key {
        crate::datadir::check_key(&dir.join(k))?;
    }
    let origin = crate::datadir::origin(config.data_dir.is_some(), &dir);
    if config.data_dir.is_none() && !dir.is_absolute() {
        tracing::warn!(
            data_dir = %crate::datadir::shown(&dir).display(),
            "no data_dir configured and /var/lib/dlp-milter is not writable: \
             held mail and keys go to ./dlp-data in the working directory; \
             set data_dir in the config for a real deployment"
        );
    } else {
        tracing::info!(data_dir = %crate::datadir::shown(&dir).display(), origin, "data directory");
    }
    Ok(dir)
}

/// Where to listen and with which socket permissions. The default is a
/// unix socket in the data directory: group `postfix` and mode 0660 when
/// that group exists (and the data directory becomes 0710 group `postfix`,
/// so Postfix can reach the socket but list or read nothing), else 0600 for
/// the milter's user alone.
fn listen_on(
    config: &Config,
    dir: &std::path::Path,
) -> Result<(SocketSpec, UnixOptions), ServeError> {
    let mode = config.milter.unix_mode().map_err(ServeError::Invalid)?;
    if !config.milter.listen.trim().is_empty() {
        return Ok((
            SocketSpec::parse(&config.milter.listen)?,
            UnixOptions {
                mode: Some(mode),
                group: config.milter.socket_group.clone(),
            },
        ));
    }
    let spec = SocketSpec::Unix(dir.join(super::DEFAULT_SOCKET));
    let group = config
        .milter
        .socket_group
        .clone()
        .or_else(|| super::socket::lookup_group("postfix").map(|_| "postfix".to_string()));
    let Some(group) = group else {
        tracing::info!("no postfix group: the milter socket is for this user only (0600)");
        return Ok((
            spec,
            UnixOptions {
                mode: Some(0o600),
                group: None,
            },
        ));
    };
    let gid = super::socket::lookup_group(&group).ok_or_else(|| {
        ServeError::Invalid(format!("milter.socket_group: unknown group {group:?}"))
    })?;
    let opened = std::os::unix::fs::chown(dir, None, Some(gid)).and_then(|()| {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o710))
    });
    if let Err(e) = opened {
        tracing::warn!(group, error = %e, "cannot let the group reach the socket in the data directory; the socket is for this user only");
        return Ok((
            spec,
            UnixOptions {
                mode: Some(0o600),
                group: None,
            },
        ));
    }
    Ok((
        spec,
        UnixOptions {
            mode: Some(mode),
            group: Some(group),
        },
    ))
}

/// The scan worker pool `serve` runs: this binary, `milter.scan_workers`
/// of them, each under `worker_memory_mb` and `worker_cpu_s`.
fn worker_pool(config: &Config) -> Result<Arc<WorkerPool>, ServeError> {
    let exe = std::env::current_exe().map_err(|e| ServeError::Workers(e.to_string()))?;
    Ok(WorkerPool::new(PoolConfig {
        exe,
        workers: config.milter.scan_threads(),
        limits: WorkerLimits {
            memory_bytes: config.milter.worker_memory_mb.saturating_mul(1 << 20),
            cpu_s: config.milter.worker_cpu_s,
        },
    }))
}

/// Loads the config file named in `args` (or the defaults) with the
/// command-line overrides applied.
pub fn load(args: &ServeArgs) -> Result<Config, ServeError> {
    let mut config = match &args.config {
        Some(p) => Config::load(p)?,
        None => Config::default(),
    };
    args.apply(&mut config);
    config.milter.validate().map_err(ServeError::Invalid)?;
    config.metrics.address().map_err(ServeError::Invalid)?;
    Ok(config)
}

/// `dlp-milter serve`: binds, serves, reloads on SIGHUP, stops gracefully
/// on SIGTERM/SIGINT. `config` is the already loaded [`load`]`(args)`.
pub async fn serve(args: ServeArgs, config: Config) -> Result<(), ServeError> {
    use tokio::signal::unix::{signal, SignalKind};
    let dir = data_dir(&config)?;
    if config.notice.enabled {
        if let Some(w) = config.notice.from_warning(&config.internal_domains()) {
            tracing::warn!("{w}");
        }
    }
    let spool_dir = config
        .milter
        .spool_dir
        .clone()
        .unwrap_or_else(|| dir.join("spool"));
    let store: Arc<dyn HoldStore> = match config.milter.store {
        StoreKind::Sqlite => crate::quarantine::open(&config, &dir)?,
        StoreKind::Spool => Arc::new(SpoolStore::open(&spool_dir)?),
    };
    let key = marker::load_or_create_key(&dir).map_err(|source| ServeError::DataDir {
        dir: dir.display().to_string(),
        source,
    })?;
    let mut keys = vec![key];
    keys.extend(
        marker::load_previous_key(&dir).map_err(|source| ServeError::DataDir {
            dir: dir.display().to_string(),
            source,
        })?,
    );
    let pool = worker_pool(&config)?;
    let milter = Milter::with_workers(&config, store.clone(), keys, pool.clone())?;
    pool.warm(milter.current().engine.setup())
        .await
        .map_err(|e| ServeError::Workers(e.to_string()))?;
    let (spec, unix) = listen_on(&config, &dir)?;
    let mut listener = MilterListener::bind(&spec, &unix, config.milter.tcp_quickack).await?;
    if matches!(spec, SocketSpec::Inet { .. }) {
        let allow = super::guard::AllowList::parse(&config.milter.allow_clients)
            .map_err(ServeError::Invalid)?;
        listener = listener.allow_clients(allow);
    }
    // After the milter's socket: a `/healthz` that answers means the
    // daemon is up, its workers started and its socket bound.
    let observer = crate::metrics::http::start(&config.metrics, store).await?;
    if args.relay.is_some() {
        tracing::info!(
            "--relay is used by notices and releases; the milter itself does not send mail"
        );
    }
    let loaded = milter.current();
    tracing::info!(
        listen = %spec,
        data_dir = %dir.display(),
        store = ?config.milter.store,
        rules = loaded.engine.policy.rules.len(),
        mode = ?loaded.engine.policy.mode,
        hold_mode = ?loaded.milter.hold_mode,
        on_failure = ?loaded.milter.on_failure,
        scan_workers = loaded.milter.scan_threads(),
        "dlp-milter listening"
    );
    super::systemd::ready(&format!("listening on {spec}"));
    let watchdog = super::systemd::spawn_watchdog();

    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let mut hup = signal(SignalKind::hangup())?;
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let reloader = milter.clone();
    let signals = tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = term.recv() => { tracing::info!("SIGTERM: shutting down"); break; }
                _ = int.recv() => { tracing::info!("SIGINT: shutting down"); break; }
                _ = hup.recv() => {
                    super::systemd::reloading();
                    let outcome = load(&args).and_then(|c| reloader.reload(&c));
                    // Ready again either way: a refused config keeps the old one serving.
                    super::systemd::ready(match &outcome {
                        Ok(()) => "config and rules reloaded",
                        Err(_) => "reload refused: previous config still in effect",
                    });
                    match outcome {
                        Ok(()) => {
                            let l = reloader.current();
                            tracing::info!(
                                rules = l.engine.policy.rules.len(),
                                mode = ?l.engine.policy.mode,
                                "SIGHUP: config and rules reloaded"
                            );
                        }
                        Err(e) => tracing::error!(error = %e, "SIGHUP: reload failed; keeping the previous config"),
                    }
                }
            }
        }
        super::systemd::stopping();
        let _ = stop_tx.send(());
    });
    let result = milter
        .run(listener, async {
            let _ = stop_rx.await;
        })
        .await;
    signals.abort();
    for task in [watchdog, observer].into_iter().flatten() {
        task.abort();
    }
    tracing::info!("dlp-milter stopped");
    Ok(result?)
}
