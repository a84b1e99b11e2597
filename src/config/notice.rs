//! `[notice]`: who is told what, from which address, with which templates.
//! [`NoticeConfig::validate`] (addresses must parse as mailboxes) lives with
//! the notice code in [`crate::notice`].

use serde::Deserialize;
use std::path::PathBuf;

/// `[notice]` section of the config.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NoticeConfig {
    /// Send anything at all (off: holds are only recorded).
    pub enabled: bool,
    /// The From of every notice, e.g. `"Data Protection <dpo@school.org.uk>"`.
    pub from: String,
    /// The DPO's address for alerts and the digest. None: no DPO mail.
    pub dpo: Option<String>,
    /// Tell the sender at once about every hold.
    pub notify_on_hold: bool,
    /// Tell the sender when their message was changed (BCC fix, subject, password).
    pub notify_on_rewrite: bool,
    /// Alert the DPO for holds of this severity or higher: `low`, `medium`, `high`.
    pub dpo_alert_min_severity: String,
    /// Send the DPO a daily digest (`dlp-milter quarantine digest`, run daily by a timer).
    pub digest: bool,
    /// Folder of templates overriding the shipped ones, file by file
    /// (`hold.txt`, `hold.html`, `rewrite.*`, `dpo_alert.*`, `digest.*`).
    pub templates_dir: Option<PathBuf>,
    /// How a sender releases a hold themselves, where the rule allows it.
    pub self_release_instructions: String,
    /// Give up on a notice the relay has refused for this long.
    pub give_up_after_hours: u64,
}

impl Default for NoticeConfig {
    fn default() -> Self {
        NoticeConfig {
            enabled: true,
            from: "Email safety checks <postmaster@localhost>".into(),
            dpo: None,
            notify_on_hold: true,
            notify_on_rewrite: false,
            dpo_alert_min_severity: "high".into(),
            digest: true,
            templates_dir: None,
            self_release_instructions:
                "ask the school office or IT team to release it on your behalf, quoting the reference and your reason."
                    .into(),
            give_up_after_hours: 72,
        }
    }
}
