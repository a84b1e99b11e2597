//! The milter daemon: Postfix ↔ Sendmail milter protocol ↔ the engine.
//!
//! Stage 1 of the flow (sessions collect one message per transaction:
//! envelope, headers, body) and the carrying-out of stage 5 (the
//! [`crate::action::Plan`] is replayed to the MTA: header edits, body
//! replacement, hold, reject). The protocol itself is `indymilter`'s; the
//! scanning is [`crate::scan::Engine::scan`], the same code path as the
//! `scan` command, run on a bounded pool of blocking threads so one large
//! attachment never stalls the I/O threads.
//!
//! - [`socket`]: `inet:`/`unix:` listeners and the TCP stall cure.
//! - [`session`]: the callbacks, per-message state, end-of-message logic.
//! - [`server`]: the daemon: shared state, reload, graceful shutdown.
//! - [`spool`]: a durable spool-directory [`crate::quarantine::HoldStore`].
//! - [`systemd`]: `Type=notify` readiness, reload, stop and watchdog.

pub mod guard;
pub mod server;
pub mod session;
pub mod socket;
pub mod spool;
pub mod systemd;

pub use server::{serve, Milter, ServeError};
pub use socket::{MilterListener, SocketSpec, UnixOptions};

use crate::action::RecipientRewrite;
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
            allow_clients: guard::DEFAULT_ALLOW.iter().map(|s| s.to_string()).collect(),
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

impl MilterConfig {
    /// Checks what serde cannot; the message names the key.
    pub fn validate(&self) -> Result<(), String> {
        if !self.listen.trim().is_empty() {
            SocketSpec::parse(&self.listen).map_err(|e| format!("milter.listen: {e}"))?;
        }
        guard::AllowList::parse(&self.allow_clients)?;
        self.unix_mode()?;
        if self.io_threads == 0 {
            return Err("milter.io_threads must be positive".into());
        }
        if self.max_sessions == 0 {
            return Err("milter.max_sessions must be positive".into());
        }
        if self.scan_timeout_ms == 0 || self.connection_timeout_s == 0 {
            return Err(
                "milter.scan_timeout_ms and milter.connection_timeout_s must be positive".into(),
            );
        }
        if self.connection_timeout_s <= POSTFIX_SMTPD_TIMEOUT_S {
            return Err(format!(
                "milter.connection_timeout_s must be above Postfix's smtpd_timeout ({POSTFIX_SMTPD_TIMEOUT_S} s): a milter connection is idle while a slow client uploads"
            ));
        }
        if self.max_message_bytes < 1024 {
            return Err("milter.max_message_bytes must be at least 1024".into());
        }
        Ok(())
    }

    /// The unix socket mode as bits.
    pub fn unix_mode(&self) -> Result<u32, String> {
        let s = self.socket_mode.trim().trim_start_matches("0o");
        u32::from_str_radix(s, 8)
            .ok()
            .filter(|m| *m <= 0o777)
            .ok_or_else(|| {
                format!(
                    "milter.socket_mode {:?} is not an octal mode",
                    self.socket_mode
                )
            })
    }

    /// Scan threads in effect.
    pub fn scan_threads(&self) -> usize {
        if self.scan_threads > 0 {
            self.scan_threads
        } else {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2)
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
    /// [`spool::SpoolStore`].
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

/// Arguments of `dlp-milter serve`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ServeArgs {
    /// Config file (TOML). Without one, built-in defaults are used.
    #[arg(long)]
    pub config: Option<std::path::PathBuf>,
    /// Socket to listen on, Postfix notation (overrides the config).
    #[arg(long)]
    pub listen: Option<String>,
    /// Data directory (overrides the config).
    #[arg(long)]
    pub data_dir: Option<std::path::PathBuf>,
    /// SMTP relay for notices and released mail, HOST:PORT (overrides the config).
    #[arg(long)]
    pub relay: Option<String>,
}

impl ServeArgs {
    /// Applies the command-line overrides to a loaded config.
    pub fn apply(&self, config: &mut crate::config::Config) {
        if let Some(l) = &self.listen {
            config.milter.listen = l.clone();
        }
        if let Some(d) = &self.data_dir {
            config.data_dir = Some(d.clone());
        }
        if let Some(r) = &self.relay {
            config.quarantine.relay = r.clone();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    #[test]
    fn defaults_are_valid_and_documented_values() {
        let c = MilterConfig::default();
        c.validate().unwrap();
        assert_eq!(c.unix_mode().unwrap(), 0o660);
        // A unix socket in the data directory, not a TCP port any local user
        // can reach (issue 21).
        assert_eq!(c.listen, "");
        assert_eq!(c.allow_clients, ["127.0.0.0/8", "::1/128"]);
    }

    #[test]
    fn milter_section_parses() {
        let c = Config::from_toml(
            "c.toml",
            "[milter]\nlisten = \"unix:/run/x.sock\"\nhold_mode = \"postfix-hold\"\non_failure = \"closed\"\nrecipient_rewrite = \"keep-internal\"\nsocket_mode = \"0600\"\n",
        )
        .unwrap();
        assert_eq!(c.milter.hold_mode, HoldMode::PostfixHold);
        assert_eq!(c.milter.on_failure, FailurePolicy::Closed);
        assert_eq!(c.milter.recipient_rewrite, RecipientRewrite::KeepInternal);
        assert_eq!(c.milter.unix_mode().unwrap(), 0o600);
        c.milter.validate().unwrap();
    }

    #[test]
    fn bad_values_are_named() {
        let mut c = MilterConfig {
            socket_mode: "rw".into(),
            ..Default::default()
        };
        assert!(c.validate().unwrap_err().contains("socket_mode"));
        c.socket_mode = "0660".into();
        c.listen = "tcp:1".into();
        assert!(c.validate().unwrap_err().contains("milter.listen"));
        assert!(Config::from_toml("c.toml", "[milter]\nhold_mode = \"drop\"\n").is_err());
    }
}
