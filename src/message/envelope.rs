//! The SMTP envelope, as the milter sees it (the `scan` command has none).

use serde::{Deserialize, Serialize};

/// Envelope of one transaction. Bcc'd recipients are in `recipients` but in no header.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    /// MAIL FROM, without angle brackets (empty for the null sender).
    pub sender: String,
    /// RCPT TO addresses, without angle brackets.
    pub recipients: Vec<String>,
    /// SASL login name (`{auth_authen}`), if the client authenticated.
    pub auth_user: Option<String>,
    /// Postfix queue id (`{i}`).
    pub queue_id: Option<String>,
    /// Client address (`{client_addr}` or the connect callback's).
    pub client_addr: Option<String>,
}

/// Strips `<` `>` and surrounding space from an SMTP path (`non_smtpd_milters`
/// sends them without brackets, smtpd with).
pub fn clean_path(s: &str) -> String {
    s.trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim()
        .to_ascii_lowercase()
}
