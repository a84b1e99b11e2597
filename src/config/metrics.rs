//! `[metrics]`: the Prometheus `/metrics` and `/healthz` listener of
//! `serve`. Its check ([`MetricsConfig::validate`]) lives with the listener
//! in [`crate::metrics`]; this module only says what the section holds.

use serde::Deserialize;

/// The address the packaged config turns the listener on at: loopback, so
/// only a Prometheus (or an agent) on the host itself can scrape it.
pub const PACKAGED_METRICS_LISTEN: &str = "127.0.0.1:9357";

/// `[metrics]` section of the config.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsConfig {
    /// `HOST:PORT` to serve `/metrics` and `/healthz` on over plain HTTP,
    /// e.g. `127.0.0.1:9357`. Empty (the default): no listener. The pages
    /// carry counts, rule ids and detector names, never addresses or
    /// message content, and take no credentials: bind to loopback or a
    /// management network.
    pub listen: String,
}
