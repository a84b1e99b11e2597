//! `[quarantine]`: retention and the relay. [`QuarantineConfig::validate`]
//! (the relay's form) lives with the relay code in [`crate::quarantine`].

use serde::Deserialize;

/// Postfix on this host.
pub const DEFAULT_RELAY: &str = "127.0.0.1:25";

/// `[quarantine]` section of the config.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct QuarantineConfig {
    /// Days a held message's content is kept before it is erased (the record
    /// and its audit trail stay). UK schools' norm is 14–30.
    pub retention_days: u32,
    /// Where released mail and notices go by SMTP, `HOST:PORT`.
    pub relay: String,
    /// Seconds to wait for the relay at each SMTP step.
    pub relay_timeout_secs: u64,
    /// The audit chain's HMAC key file (created 0600 if missing). Default
    /// `audit.key` in the data directory; a relative path is taken in the
    /// data directory. Keep it out of database backups' reach if you can.
    pub audit_key: Option<std::path::PathBuf>,
}

impl Default for QuarantineConfig {
    fn default() -> Self {
        QuarantineConfig {
            retention_days: 30,
            relay: DEFAULT_RELAY.into(),
            relay_timeout_secs: 30,
            audit_key: None,
        }
    }
}
