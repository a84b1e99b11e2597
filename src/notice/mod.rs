//! Notices: plain-words hold notices to the sender, alerts and digests to the DPO.
//! PLACEHOLDER: built by the hold-workflow issue.

use serde::Deserialize;

/// `[notice]` section of the config.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct NoticeConfig {}
