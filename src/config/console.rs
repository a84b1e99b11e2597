//! `[console]`: the DPO's web console (`dlp-milter console`), a separate
//! process from `serve` that shares the quarantine store.

use serde::Deserialize;
use std::path::PathBuf;

/// Loopback only by default: the console is meant to sit behind the
/// organisation's reverse proxy, which terminates TLS.
pub const DEFAULT_CONSOLE_LISTEN: &str = "127.0.0.1:8025";

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
