//! `[console]`: the web console (`dlp-milter console`, a separate process
//! from `serve` that shares the quarantine store), and the part the milter
//! needs too: where notices point senders (`base_url`) and how long a
//! self-service link works (`link_valid_days`). Checked at load
//! ([`ConsoleConfig::check`]) against the quarantine's retention.

use serde::Deserialize;
use std::path::PathBuf;

/// Loopback only by default: the console is meant to sit behind the
/// organisation's reverse proxy, which terminates TLS.
pub const DEFAULT_CONSOLE_LISTEN: &str = "127.0.0.1:8025";

/// Default lifetime of a self-service link, in days.
pub const DEFAULT_LINK_VALID_DAYS: u32 = 14;

/// `[console]` section of the config.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConsoleConfig {
    /// `HOST:PORT` the console listens on (`--listen` overrides it).
    pub listen: String,
    /// The address people reach the console at, e.g.
    /// `https://dlp.school.org.uk` (put into notices; `https` also marks
    /// the session cookie `Secure`). None: the console is reached directly.
    pub base_url: Option<String>,
    /// Days a self-service link in a hold notice works. At most the
    /// quarantine's retention (the message is gone after that anyway).
    /// Unset: [`DEFAULT_LINK_VALID_DAYS`], or the retention if shorter.
    pub link_valid_days: Option<u32>,
    /// A session unused this long is signed out.
    pub session_idle_minutes: u64,
    /// A session ends this long after sign-in, used or not.
    pub session_max_hours: u64,
    /// Sign-in throttling: the wait after the first failure, in seconds; it
    /// doubles with every further failure for the same account or address.
    pub login_delay_secs: u64,
    /// The longest wait between sign-in attempts: a delay, never a lock,
    /// so an attacker guessing cannot keep the DPO out for longer than this.
    pub login_delay_max_secs: u64,
    /// Behind a reverse proxy: take the client's address (for sign-in
    /// throttling and the log) from the last `X-Forwarded-For` entry, which
    /// the proxy appends. Only with a proxy in front that sets it; otherwise
    /// anyone could choose the address their failures count against.
    pub trust_forwarded_for: bool,
    /// Rows per queue page (and per API page by default).
    pub page_size: usize,
    /// Folder of templates overriding the shipped ones (templates/console/),
    /// file by file.
    pub templates_dir: Option<PathBuf>,
}

impl Default for ConsoleConfig {
    fn default() -> Self {
        ConsoleConfig {
            listen: DEFAULT_CONSOLE_LISTEN.into(),
            base_url: None,
            link_valid_days: None,
            session_idle_minutes: 30,
            session_max_hours: 12,
            login_delay_secs: 1,
            login_delay_max_secs: 60,
            trust_forwarded_for: false,
            page_size: 50,
            templates_dir: None,
        }
    }
}

impl ConsoleConfig {
    /// `base_url` without a trailing slash, or None when unset or blank.
    pub fn base_url(&self) -> Option<&str> {
        self.base_url
            .as_deref()
            .map(|u| u.trim().trim_end_matches('/'))
            .filter(|u| !u.is_empty())
    }

    /// Days a link works, given the quarantine's retention.
    pub fn link_days(&self, retention_days: u32) -> u32 {
        self.link_valid_days
            .unwrap_or(DEFAULT_LINK_VALID_DAYS.min(retention_days))
    }

    /// The section's own rules: an http(s) base URL without query or
    /// fragment, a link lifetime of 1 day up to `retention_days`.
    pub fn check(&self, retention_days: u32) -> Result<(), String> {
        if let Some(u) = self.base_url() {
            let rest = u
                .strip_prefix("https://")
                .or_else(|| u.strip_prefix("http://"));
            match rest {
                Some(host) if !host.is_empty() && !host.contains(['?', '#', ' ', '"', '<', '>']) => {}
                _ => {
                    return Err(format!(
                        "console.base_url {u:?} must be an http:// or https:// address without ? or #, e.g. \"https://mail-safety.school.org.uk\""
                    ))
                }
            }
        }
        if let Some(d) = self.link_valid_days {
            if d == 0 || d > retention_days {
                return Err(format!(
                    "console.link_valid_days must be from 1 to quarantine.retention_days ({retention_days}), not {d}"
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_forms() {
        let c = |u: &str| ConsoleConfig {
            base_url: Some(u.into()),
            ..ConsoleConfig::default()
        };
        assert_eq!(c("https://x.org/").base_url(), Some("https://x.org"));
        assert_eq!(c("  ").base_url(), None);
        assert!(c("https://x.org/dlp").check(30).is_ok());
        assert!(c("ftp://x.org").check(30).is_err());
        assert!(c("https://").check(30).is_err());
        assert!(c("https://x.org/?a=1").check(30).is_err());
        assert!(ConsoleConfig::default().check(30).is_ok());
    }

    #[test]
    fn link_lifetime_within_retention() {
        let c = |d: u32| ConsoleConfig {
            link_valid_days: Some(d),
            ..ConsoleConfig::default()
        };
        assert!(c(14).check(14).is_ok());
        assert!(c(15).check(14).is_err());
        assert!(c(0).check(30).is_err());
        // Unset: 14 days, or the retention when that is shorter.
        let unset = ConsoleConfig::default();
        assert!(unset.check(7).is_ok());
        assert_eq!(unset.link_days(30), 14);
        assert_eq!(unset.link_days(7), 7);
        assert_eq!(c(3).link_days(30), 3);
    }
}
