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
    /// Internal error or scan over its time budget: `auto`, `open`, `closed`.
    pub on_failure: FailurePolicy,
    /// How exposed To/Cc lists are rewritten: `undisclosed` or `keep-internal`.
    pub recipient_rewrite: RecipientRewrite,
    /// Concurrent milter connections (Postfix opens one per SMTP session).
    pub max_sessions: usize,
    /// Messages scanned at once; 0 = one per CPU core.
    pub scan_threads: usize,
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
            on_failure: FailurePolicy::Auto,
            recipient_rewrite: RecipientRewrite::Undisclosed,
            max_sessions: 1000,
            scan_threads: 0,
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

/// What happens when a message cannot be judged (internal error, scan over
/// its time budget, message over `max_message_bytes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailurePolicy {
    /// Fail closed when the scan had already made hold-worthy findings
    /// (verdict hold or reject), open otherwise.
    #[default]
    Auto,
    /// Accept, tagged `X-DLP-Verdict: unscanned`.
    Open,
    /// Answer TEMPFAIL (451 4.7.1): the client retries later.
    Closed,
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
