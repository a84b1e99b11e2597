//! Configuration: one TOML file → validated [`Config`], immutable after load.
//! With no file at all, the built-in defaults (and the rules compiled into the
//! binary) make a working milter.

mod console;
mod direction;
mod metrics;
mod milter;
mod notice;
mod quarantine;

pub use console::{ConsoleConfig, OidcConfig, DEFAULT_CONSOLE_LISTEN, DEFAULT_LINK_VALID_DAYS};
pub use direction::{DirectionConfig, DEFAULT_OUTBOUND_DAEMONS};
pub use metrics::{MetricsConfig, PACKAGED_METRICS_LISTEN};
pub use milter::{
    FailurePolicy, HoldMode, MilterConfig, RecipientRewrite, StoreKind, DEFAULT_ALLOW,
    DEFAULT_LISTEN, DEFAULT_SOCKET, POSTFIX_SMTPD_TIMEOUT_S,
};
pub use notice::NoticeConfig;
pub use quarantine::{QuarantineConfig, DEFAULT_RELAY};

use serde::Deserialize;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// A config file that cannot be used.
#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("{file}: cannot read: {source}")]
    Io {
        file: String,
        source: std::io::Error,
    },
    #[error("{file}:{line}: {message}")]
    Invalid {
        file: String,
        line: usize,
        message: String,
    },
}

/// The whole configuration. The config is a leaf of the module graph: every
/// section is defined here (the later stages' in the submodules), and the
/// checks that need a stage's code are that stage's inherent methods
/// (`MilterConfig::validate` in [`crate::milter`], and so on).
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub organisation: Organisation,
    pub rules: RulesConfig,
    pub limits: LimitsConfig,
    pub log: LogConfig,
    /// Where the quarantine database, spool and keys live. Default:
    /// /var/lib/dlp-milter if it exists and is writable, else ./dlp-data.
    pub data_dir: Option<PathBuf>,
    pub milter: MilterConfig,
    pub quarantine: QuarantineConfig,
    pub notice: NoticeConfig,
    /// The web console (`dlp-milter console`) and the sender's link.
    pub console: ConsoleConfig,
    /// What counts as outgoing mail (the rest passes unscanned).
    pub direction: DirectionConfig,
    pub metrics: MetricsConfig,
}

/// Who "we" are: internal domains are not external recipients.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Organisation {
    /// The organisation's own mail domains (subdomains count too). With none,
    /// the From domain of each message counts as internal.
    pub domains: Vec<String>,
    /// Name used in notices ("Green Lane Primary School").
    pub name: String,
    /// IANA time zone that times shown to people are in (notices, digests,
    /// the console, `quarantine list|show`); stored times stay UTC.
    pub timezone: String,
}

/// `[organisation] timezone` when none is given (most users are UK schools).
pub const DEFAULT_TIMEZONE: &str = "Europe/London";

impl Default for Organisation {
    fn default() -> Self {
        Organisation {
            domains: Vec::new(),
            name: String::new(),
            timezone: DEFAULT_TIMEZONE.into(),
        }
    }
}

/// Where the rules come from.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct RulesConfig {
    /// A folder of `*.toml` rules files. Default: the shipped rules compiled into the binary.
    pub dir: Option<PathBuf>,
    /// Overrides the rules' `[policy] mode`: true = report only, never act.
    pub monitor_only: Option<bool>,
}

/// Hard caps on the work one message may cause. Its defaults and its
/// conversion to the parser's and extractors' limits are in [`crate::scan`],
/// which joins those stages, so the config imports neither.
#[derive(Debug, Clone, PartialEq, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsConfig {
    pub max_message_bytes: usize,
    pub max_parts: usize,
    pub max_text_bytes: usize,
    pub max_decompressed_bytes: u64,
    pub max_ratio: u64,
    pub max_depth: usize,
    pub max_archive_entries: usize,
    pub time_per_message_ms: u64,
}

/// Logging: `text` for people, `json` for log shippers.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    pub format: String,
    /// A tracing filter, e.g. `info` or `dlp_milter=debug`. RUST_LOG overrides it.
    pub level: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            format: "text".into(),
            level: "info".into(),
        }
    }
}

impl Config {
    /// Reads and validates a config file; relative paths in it are resolved
    /// against the file's folder.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let file = path.display().to_string();
        let src = std::fs::read_to_string(path).map_err(|e| ConfigError::Io {
            file: file.clone(),
            source: e,
        })?;
        let mut cfg = Self::from_toml(&file, &src)?;
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        cfg.resolve_paths(&base);
        Ok(cfg)
    }

    /// Parses config text (no path resolution).
    pub fn from_toml(file: &str, src: &str) -> Result<Config, ConfigError> {
        let cfg: Config = toml::from_str(src).map_err(|e| ConfigError::Invalid {
            file: file.to_string(),
            line: e
                .span()
                .map(|s| src[..s.start.min(src.len())].matches('\n').count() + 1)
                .unwrap_or(0),
            message: e.message().to_string(),
        })?;
        let invalid = |message: String| ConfigError::Invalid {
            file: file.to_string(),
            line: 0,
            message,
        };
        if cfg.limits.max_depth == 0
            || cfg.limits.max_ratio == 0
            || cfg.limits.time_per_message_ms == 0
        {
            return Err(invalid(
                "limits: max_depth, max_ratio and time_per_message_ms must be positive".into(),
            ));
        }
        if !matches!(cfg.log.format.as_str(), "text" | "json") {
            return Err(invalid(format!(
                "log.format must be \"text\" or \"json\", not {:?}",
                cfg.log.format
            )));
        }
        if jiff::tz::TimeZone::get(cfg.organisation.timezone.trim()).is_err() {
            return Err(invalid(format!(
                "organisation.timezone {:?} is not a known IANA time zone (e.g. \"Europe/London\")",
                cfg.organisation.timezone
            )));
        }
        cfg.console
            .check(cfg.quarantine.retention_days)
            .map_err(invalid)?;
        Ok(cfg)
    }

    fn resolve_paths(&mut self, base: &Path) {
        let fix = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        if let Some(d) = self.rules.dir.as_mut() {
            fix(d);
        }
        if let Some(d) = self.data_dir.as_mut() {
            fix(d);
        }
        if let Some(d) = self.console.templates_dir.as_mut() {
            fix(d);
        }
        if let Some(f) = self.console.oidc.client_secret_file.as_mut() {
            fix(f);
        }
    }

    /// The data directory in effect.
    pub fn data_dir(&self) -> PathBuf {
        if let Some(d) = &self.data_dir {
            return d.clone();
        }
        let system = Path::new("/var/lib/dlp-milter");
        let writable = std::fs::metadata(system)
            .map(|m| m.is_dir() && !m.permissions().readonly())
            .unwrap_or(false);
        if writable {
            system.to_path_buf()
        } else {
            PathBuf::from("dlp-data")
        }
    }

    /// Organisation domains, lower-cased.
    pub fn internal_domains(&self) -> Vec<String> {
        self.organisation
            .domains
            .iter()
            .map(|d| d.trim().trim_start_matches('@').to_ascii_lowercase())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_config_is_valid() {
        let c = Config::from_toml("c.toml", "").unwrap();
        assert_eq!(c.limits.max_depth, 8);
        assert_eq!(c.limits.max_ratio, 100);
    }

    #[test]
    fn timezone_defaults_to_london_and_must_exist() {
        let c = Config::from_toml("c.toml", "").unwrap();
        assert_eq!(c.organisation.timezone, "Europe/London");
        let c =
            Config::from_toml("c.toml", "[organisation]\ntimezone = \"Europe/Dublin\"\n").unwrap();
        assert_eq!(c.organisation.timezone, "Europe/Dublin");
        let err = Config::from_toml("c.toml", "[organisation]\ntimezone = \"BST\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("organisation.timezone"), "{err}");
    }

    #[test]
    fn console_link_lifetime_is_checked_against_retention() {
        let err = Config::from_toml(
            "c.toml",
            "[quarantine]\nretention_days = 10\n[console]\nlink_valid_days = 14\n",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("link_valid_days"), "{err}");
        let c = Config::from_toml(
            "c.toml",
            "[console]\nbase_url = \"https://dlp.school.org.uk/\"\n",
        )
        .unwrap();
        assert_eq!(c.console.base_url(), Some("https://dlp.school.org.uk"));
        assert_eq!(c.console.link_days(30), DEFAULT_LINK_VALID_DAYS);
        // A short retention without a link lifetime is fine: links follow it.
        let c = Config::from_toml("c.toml", "[quarantine]\nretention_days = 7\n").unwrap();
        assert_eq!(c.console.link_days(c.quarantine.retention_days), 7);
    }

    #[test]
    fn typo_is_reported_with_line() {
        let err = Config::from_toml("c.toml", "[organisation]\ndomians = [\"x\"]\n")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("c.toml:2:"), "{err}");
    }
}
