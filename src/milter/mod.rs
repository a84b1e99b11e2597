//! The milter daemon: Postfix ↔ Sendmail milter protocol ↔ the engine.
//!
//! Stage 1 (sessions collect a message per transaction) and stage 5 (the
//! decision is carried out: headers, rewrites, hold, reject).
//! PLACEHOLDER: built by the milter issue.

use serde::Deserialize;

/// `[milter]` section of the config.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MilterConfig {
    /// Postfix notation: `inet:127.0.0.1:7357` or `unix:/run/dlp-milter/milter.sock`.
    pub listen: String,
}

impl Default for MilterConfig {
    fn default() -> Self {
        MilterConfig {
            listen: "inet:127.0.0.1:7357".into(),
        }
    }
}

/// Arguments of `dlp-milter serve`.
#[derive(Debug, Clone, clap::Args)]
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
