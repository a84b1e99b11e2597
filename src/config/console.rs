//! `[console]`: the web console (`dlp-milter console`, a separate process
//! from `serve` that shares the quarantine store), and the part the milter
//! needs too: where notices point senders (`base_url`) and how long a
//! self-service link works (`link_valid_days`). Checked at load
//! ([`ConsoleConfig::check`]) against the quarantine's retention.

use serde::Deserialize;
use std::collections::BTreeMap;
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
    /// `[console.oidc]`: single sign-on through the organisation's OpenID
    /// Connect provider (Microsoft Entra ID, Google). Off unless `issuer`
    /// is set; local accounts keep working beside it (the break-glass way in).
    pub oidc: OidcConfig,
}

/// `[console.oidc]`: who the provider is, how the console is registered
/// with it, and which of its people may sign in as what.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OidcConfig {
    /// Shown on the sign-in page: "Sign in with <provider_name>".
    pub provider_name: String,
    /// The provider's issuer URL, exactly as its ID tokens carry it (the
    /// discovery document is read from `<issuer>/.well-known/openid-configuration`).
    /// Entra ID: the tenant's own `https://login.microsoftonline.com/<tenant-id>/v2.0`
    /// (`/common` fails the issuer check); Google: `https://accounts.google.com`.
    /// Unset: single sign-on is off.
    pub issuer: Option<String>,
    /// The console's client (application) id at the provider.
    pub client_id: Option<String>,
    /// The client secret. Prefer `client_secret_file` (the config is often
    /// world-readable); when both are set the file wins.
    pub client_secret: Option<String>,
    /// A file holding the client secret (first line, trimmed).
    pub client_secret_file: Option<PathBuf>,
    /// The organisation's domain: the ID token's `hd` claim (Google
    /// Workspace) must equal it when present, and the email's domain must
    /// always be it. Required with `issuer`: a consumer account at the same
    /// provider must never get in.
    pub allowed_domain: Option<String>,
    /// The ID-token claim listing the person's roles or groups (`roles` for
    /// Entra app roles, `groups` for group ids).
    pub role_claim: String,
    /// Claim value → console role (`dpo`, `auditor` or `admin`). A person
    /// with no mapped value is refused (there is no default role); with
    /// several, the strongest wins.
    pub roles: Option<BTreeMap<String, String>>,
}

impl Default for OidcConfig {
    fn default() -> Self {
        OidcConfig {
            provider_name: "single sign-on".into(),
            issuer: None,
            client_id: None,
            client_secret: None,
            client_secret_file: None,
            allowed_domain: None,
            role_claim: "roles".into(),
            roles: None,
        }
    }
}

impl OidcConfig {
    /// Single sign-on is configured (`issuer` set and not blank).
    pub fn enabled(&self) -> bool {
        self.issuer.as_deref().is_some_and(|i| !i.trim().is_empty())
    }

    /// With `issuer` set: a client id, a secret (inline or file), an allowed
    /// domain, a role claim and at least one mapping to a known role, and a
    /// `base_url` to build the redirect URI from.
    fn check(&self, base_url: Option<&str>) -> Result<(), String> {
        if !self.enabled() {
            return Ok(());
        }
        let issuer = self.issuer.as_deref().unwrap_or_default().trim();
        // Plain http only to a provider on this machine (a test provider):
        // the discovery document and keys must not be open to tampering.
        let loopback = ["http://127.0.0.1", "http://localhost", "http://[::1]"];
        if !issuer.starts_with("https://") && !loopback.iter().any(|l| issuer.starts_with(l)) {
            return Err(format!(
                "console.oidc.issuer {issuer:?} must be an https:// address"
            ));
        }
        let blank = |v: &Option<String>| v.as_deref().is_none_or(|s| s.trim().is_empty());
        if blank(&self.client_id) {
            return Err("console.oidc.client_id is required with console.oidc.issuer".into());
        }
        if blank(&self.client_secret) && self.client_secret_file.is_none() {
            return Err(
                "console.oidc needs client_secret_file (or client_secret) with issuer".into(),
            );
        }
        match self.allowed_domain.as_deref().map(str::trim) {
            Some(d) if d.contains('.') && !d.contains(['@', ' ', '/']) => {}
            _ => {
                return Err(
                    "console.oidc.allowed_domain (the organisation's mail domain, e.g. \"school.org.uk\") is required with issuer"
                        .into(),
                )
            }
        }
        if self.role_claim.trim().is_empty() {
            return Err("console.oidc.role_claim must name a claim, e.g. \"roles\"".into());
        }
        let roles = self.roles.clone().unwrap_or_default();
        if roles.is_empty() {
            return Err(
                "console.oidc.roles must map at least one claim value to dpo, auditor or admin"
                    .into(),
            );
        }
        for (value, role) in &roles {
            if !matches!(role.as_str(), "dpo" | "auditor" | "admin") {
                return Err(format!(
                    "console.oidc.roles: {value:?} maps to {role:?}; roles are dpo, auditor and admin"
                ));
            }
        }
        if base_url.is_none() {
            return Err(
                "console.oidc needs console.base_url: the redirect URI registered with the provider is <base_url>/auth/oidc/callback"
                    .into(),
            );
        }
        Ok(())
    }
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
            oidc: OidcConfig::default(),
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
        self.oidc.check(self.base_url())
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

    #[test]
    fn single_sign_on_needs_its_whole_setup() {
        let ok = || ConsoleConfig {
            base_url: Some("https://dlp.school.org.uk".into()),
            oidc: OidcConfig {
                issuer: Some("https://login.microsoftonline.com/t/v2.0".into()),
                client_id: Some("c".into()),
                client_secret_file: Some("/etc/dlp-milter/oidc-secret".into()),
                allowed_domain: Some("school.org.uk".into()),
                roles: Some([("DLP.DPO".to_string(), "dpo".to_string())].into()),
                ..OidcConfig::default()
            },
            ..ConsoleConfig::default()
        };
        assert!(ok().check(30).is_ok());
        assert!(ok().oidc.enabled());
        assert!(!OidcConfig::default().enabled());
        let broken: [fn(&mut ConsoleConfig); 7] = [
            |c| c.base_url = None,
            |c| c.oidc.client_id = None,
            |c| c.oidc.client_secret_file = None,
            |c| c.oidc.allowed_domain = Some("@school".into()),
            |c| c.oidc.roles = None,
            |c| c.oidc.roles = Some([("Everyone".into(), "superuser".into())].into()),
            |c| c.oidc.issuer = Some("http://login.microsoftonline.com/t/v2.0".into()),
        ];
        for (i, b) in broken.iter().enumerate() {
            let mut c = ok();
            b(&mut c);
            assert!(c.check(30).is_err(), "case {i} should be refused");
        }
        // An inline secret instead of a file is accepted.
        let mut c = ok();
        c.oidc.client_secret_file = None;
        c.oidc.client_secret = Some("s".into());
        assert!(c.check(30).is_ok());
    }
}
