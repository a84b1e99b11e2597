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
//! - [`systemd`]: `Type=notify` readiness, reload, stop and watchdog.

pub mod failure;
pub mod guard;
pub mod pool;
pub mod server;
pub mod session;
pub mod socket;
pub mod systemd;

pub use server::{serve, Milter, ServeError};
pub use socket::{MilterListener, SocketSpec, UnixOptions};

pub use crate::config::{
    FailurePolicy, HoldMode, MilterConfig, StoreKind, DEFAULT_LISTEN, DEFAULT_SOCKET,
    POSTFIX_SMTPD_TIMEOUT_S,
};

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
        if self.worker_memory_mb < 64 || self.worker_cpu_s < 10 {
            return Err(
                "milter.worker_memory_mb must be at least 64 and milter.worker_cpu_s at least 10"
                    .into(),
            );
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

    /// Scan workers (or in-process scan threads) in effect: `scan_workers`,
    /// else the older `scan_threads`, else one per CPU core.
    pub fn scan_threads(&self) -> usize {
        if self.scan_workers > 0 {
            self.scan_workers
        } else if self.scan_threads > 0 {
            self.scan_threads
        } else {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2)
        }
    }
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
    use crate::config::{Config, RecipientRewrite};

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
