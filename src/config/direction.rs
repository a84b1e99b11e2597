//! `[direction]`: what makes a transaction outgoing. The checks and the
//! decision itself live in [`crate::direction`]; this module only says what
//! the section holds, so the config depends on no stage of the flow.

use serde::Deserialize;

/// The default `outbound_daemons`: the names admins give Postfix services
/// that carry only staff mail (`-o milter_macro_daemon_name=...` in
/// master.cf). `ORIGINATING` is the name OpenDKIM and amavis already use for
/// outgoing mail. Postfix's own default daemon name is `$myhostname`, so a
/// service is only counted as outbound when the admin named it so.
pub const DEFAULT_OUTBOUND_DAEMONS: [&str; 3] = ["submission", "submissions", "ORIGINATING"];

/// `[direction]` section of the config.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DirectionConfig {
    /// Networks whose clients may send outgoing mail without logging in
    /// (a relay, the MIS server, a multifunction printer). Unset: loopback
    /// plus Postfix's `mynetworks`, read with `postconf -h mynetworks` at
    /// start. Set: exactly this list (add `127.0.0.0/8` and `::1` for
    /// sendmail(1) and webmail on the host).
    pub trusted_networks: Option<Vec<String>>,
    /// `{daemon_name}` values (`milter_macro_daemon_name` of a master.cf
    /// service) whose mail is outgoing whoever the client is.
    pub outbound_daemons: Vec<String>,
}

impl Default for DirectionConfig {
    fn default() -> Self {
        DirectionConfig {
            trusted_networks: None,
            outbound_daemons: DEFAULT_OUTBOUND_DAEMONS
                .iter()
                .map(|s| s.to_string())
                .collect(),
        }
    }
}
