//! `[milter]`: the daemon's settings. The checks that need the socket code
//! ([`MilterConfig::validate`]) live with it in [`crate::milter`]; this
//! module only says what the section holds, so the config depends on no
//! stage of the flow.

use serde::Deserialize;
use std::path::PathBuf;

/// The default listen address: empty = a unix socket in the data directory
/// ([`DEFAULT_SOCKET`]), so no other local user can talk to the milter
/// unless given the socket's group (`postfix`, when it exists).
pub const DEFAULT_LISTEN: &str = "";
/// File name of the default socket under the data directory.
pub const DEFAULT_SOCKET: &str = "milter.sock";
/// Postfix's `smtpd_timeout` default: a milter connection is legitimately
/// idle that long during a slow upload, so the idle timeout stays above it.
pub const POSTFIX_SMTPD_TIMEOUT_S: u64 = 300;
/// The default `allow_clients`: loopback only.
pub const DEFAULT_ALLOW: [&str; 2] = ["127.0.0.0/8", "::1/128"];

/// `[milter]` section of the config. Every field has a default that works.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MilterConfig {
    /// Postfix notation: `unix:/run/dlp-milter/milter.sock` or
    /// `inet:127.0.0.1:7357`. Empty (the default): `unix:<data_dir>/milter.sock`.
    pub listen: String,
    /// Client addresses or networks an `inet:` listener serves (default
    /// loopback); other clients are closed at accept.
    pub allow_clients: Vec<String>,
    /// Permission bits of a unix socket, octal (`"0660"`): Postfix must be
    /// able to connect, which a umask of 077 silently prevents.
    pub socket_mode: String,
    /// Group owning a unix socket (e.g. `postfix`).
    pub socket_group: Option<String>,
    /// What "hold" means: `quarantine` (store here, answer DISCARD) or
    /// `postfix-hold` (answer QUARANTINE: Postfix's hold queue keeps it).
    pub hold_mode: HoldMode,
    /// A message that could not be checked (scan failed, timed out, over a
    /// size or other limit, a document that could not be opened): `hold`
    /// (the default), `tempfail` or `accept` (tagged). See [`FailurePolicy`].
    pub on_failure: FailurePolicy,
    /// How exposed To/Cc lists are rewritten: `undisclosed` or `keep-internal`.
    pub recipient_rewrite: RecipientRewrite,
    /// Concurrent milter connections (Postfix opens one per SMTP session).
    pub max_sessions: usize,
    /// Former name of `scan_workers`, still read: used when `scan_workers`
    /// is 0.
    pub scan_threads: usize,
    /// Scan worker processes, i.e. messages scanned at once; 0 = one per
    /// CPU core. Each scan runs in a separate `dlp-milter scan-worker`
    /// process the daemon kills when it overruns `scan_timeout_ms`, so a
    /// hostile attachment costs only its own message.
    pub scan_workers: usize,
    /// Memory limit of one scan worker (RLIMIT_DATA, MiB). A scan that
    /// needs more dies and its message gets `on_failure`.
    pub worker_memory_mb: u64,
    /// CPU-time limit of one scan worker (RLIMIT_CPU, seconds), a backstop
    /// behind `scan_timeout_ms`. The daemon replaces a worker well before
    /// its accumulated CPU time reaches this.
    pub worker_cpu_s: u64,
    /// Tests only: the header whose value (`hang`, `memory`, `panic`,
    /// `crash`) makes a scan worker misbehave. Ignored unless the daemon
    /// was started with `DLP_MILTER_TEST_FAULTS=1` in its environment,
    /// which mail cannot set: a production config never has both.
    pub test_fault_header: Option<String>,
    /// Threads serving the milter connections (reading commands, answering).
    /// The work there is light (scans run on the scan threads). With one
    /// (the default) the daemon runs a current-thread runtime: accepting,
    /// reading and answering all happen on the thread that polls the
    /// sockets, which cut the context switches per message behind Postfix
    /// from 17.6 to 10.8 (they are most of the milter's CPU cost there).
    /// Raise it only for thousands of concurrent sessions.
    pub io_threads: usize,
    /// Wall-clock budget for one scan, after which `on_failure` applies.
    pub scan_timeout_ms: u64,
    /// Messages larger than this are not collected in memory; `on_failure` applies.
    pub max_message_bytes: usize,
    /// Idle time after which a silent MTA connection is closed.
    pub connection_timeout_s: u64,
    /// On SIGTERM, how long messages in flight may take to finish.
    pub shutdown_grace_s: u64,
    /// Re-arm TCP_QUICKACK after every read on inet sockets (see `socket`).
    pub tcp_quickack: bool,
    /// Where held messages go: `sqlite` (the quarantine: records, audit
    /// trail, notices, release) or `spool` (a bare directory of fsync'd
    /// files, for sites that only want Postfix-independent holding).
    pub store: StoreKind,
    /// Spool directory of the `spool` store; default `<data_dir>/spool`.
    pub spool_dir: Option<PathBuf>,
}

impl Default for MilterConfig {
    fn default() -> Self {
        MilterConfig {
            listen: DEFAULT_LISTEN.into(),
            allow_clients: DEFAULT_ALLOW.iter().map(|s| s.to_string()).collect(),
            socket_mode: "0660".into(),
            socket_group: None,
            hold_mode: HoldMode::Quarantine,
            on_failure: FailurePolicy::Hold,
            recipient_rewrite: RecipientRewrite::Undisclosed,
            max_sessions: 1000,
            scan_threads: 0,
            scan_workers: 0,
            worker_memory_mb: 1024,
            worker_cpu_s: 300,
            test_fault_header: None,
            io_threads: 1,
            scan_timeout_ms: 10_000,
            max_message_bytes: 64 * 1024 * 1024,
            connection_timeout_s: 900,
            shutdown_grace_s: 30,
            tcp_quickack: true,
            store: StoreKind::Sqlite,
            spool_dir: None,
        }
    }
}

/// The [`crate::quarantine::HoldStore`] behind `hold_mode = "quarantine"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StoreKind {
    /// The SQLite quarantine under the data directory.
    #[default]
    Sqlite,
    /// The `spool` store (`crate::quarantine::spool::SpoolStore`): durable
    /// holding with no review workflow.
    Spool,
}

/// What the milter does with a message the policy holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HoldMode {
    /// Store it durably in our quarantine, then answer DISCARD (the sender's
    /// SMTP transaction succeeds; the message does not leave).
    #[default]
    Quarantine,
    /// Answer QUARANTINE: Postfix keeps it in its hold queue
    /// (`postqueue -j`, released with `postsuper -H`).
    PostfixHold,
}

/// What happens to a message that could not be checked: the scan failed
/// (a crash or panic), overran `scan_timeout_ms`, died on its memory limit,
/// the message was over `max_message_bytes`, or the report says something
/// hit a limit or could not be opened. Postfix's `milter_default_action`
/// covers the other case, the milter itself being down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailurePolicy {
    /// Hold it ("could not be checked") for review, like a policy hold: in
    /// the quarantine, or Postfix's hold queue with `hold_mode =
    /// "postfix-hold"` (and for a message too large to have been kept). A
    /// hold that cannot be stored is a TEMPFAIL.
    #[default]
    Hold,
    /// Answer TEMPFAIL (451 4.7.1): the client retries later.
    Tempfail,
    /// Accept, tagged `X-DLP-Verdict: unscanned`: mail flows unchecked.
    Accept,
    /// Older name, now the same as `hold`: it used to accept unless the
    /// failed scan had already found something hold-worthy, which a failed
    /// scan never reported, so unscanned mail left.
    Auto,
    /// Older name of `accept`.
    Open,
    /// Older name of `tempfail`.
    Closed,
}

impl FailurePolicy {
    /// The policy an older name stands for.
    pub fn effective(self) -> FailurePolicy {
        match self {
            FailurePolicy::Auto | FailurePolicy::Hold => FailurePolicy::Hold,
            FailurePolicy::Closed | FailurePolicy::Tempfail => FailurePolicy::Tempfail,
            FailurePolicy::Open | FailurePolicy::Accept => FailurePolicy::Accept,
        }
    }
}

/// How exposed To/Cc lists are rewritten.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RecipientRewrite {
    /// To: `undisclosed-recipients:;`, Cc removed.
    #[default]
    Undisclosed,
    /// Keep the organisation's own addresses visible, hide the rest.
    KeepInternal,
}
