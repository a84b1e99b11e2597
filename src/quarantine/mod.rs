//! The quarantine: held messages, stored durably before the MTA is answered.
//! PLACEHOLDER: built by the hold-workflow issue (SQLite store, release, retention).

use crate::message::Envelope;
use crate::policy::Action;
use crate::scan::ScanReport;
use serde::Deserialize;
use thiserror::Error;

/// `[quarantine]` section of the config.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct QuarantineConfig {}

/// Storage failed: the milter must answer TEMPFAIL, never accept.
#[derive(Debug, Error)]
pub enum QuarantineError {
    #[error("quarantine I/O error: {0}")]
    Io(#[from] std::io::Error),
    #[error("quarantine: {0}")]
    Other(String),
}

/// What the milter hands over when it holds (or rewrites/rejects) a message.
pub struct HoldRequest<'a> {
    /// The message exactly as received (headers + body).
    pub raw: &'a [u8],
    pub envelope: &'a Envelope,
    pub report: &'a ScanReport,
}

/// Proof that a held message is durably stored.
#[derive(Debug, Clone)]
pub struct HoldReceipt {
    /// Reference id given to the sender and the DPO.
    pub id: String,
}

/// The milter's view of the quarantine. Implementations must not return
/// from `hold` before the message and its record are durable (fsync'd).
pub trait HoldStore: Send + Sync {
    fn hold(&self, req: &HoldRequest<'_>) -> Result<HoldReceipt, QuarantineError>;
    /// Audits a decision that did not hold the message (rewrite, reject, tag).
    fn record_decision(
        &self,
        req: &HoldRequest<'_>,
        verdict: Action,
    ) -> Result<(), QuarantineError>;
}

/// Arguments of `dlp-milter quarantine ...`.
#[derive(Debug, Clone, clap::Args)]
pub struct QuarantineArgs {
    #[arg(long)]
    pub config: Option<std::path::PathBuf>,
    #[arg(long)]
    pub data_dir: Option<std::path::PathBuf>,
}

/// Marking released mail so the milter lets it through once, unscanned:
/// an HMAC over the message id with a key only the milter knows. Never an
/// open bypass: a forged or copied header does not verify for another message.
pub mod marker {
    /// The header released mail carries (stripped by the milter on the way out).
    pub const RELEASE_HEADER: &str = "X-DLP-Release";

    /// True when `headers` carry a valid release marker for this message.
    /// PLACEHOLDER: always false until the hold-workflow issue lands.
    pub fn verify_released(headers: &[(String, String)], key: &[u8]) -> bool {
        let _ = (headers, key);
        false
    }

    /// Loads the HMAC key from the data directory, creating it (mode 0600) if missing.
    pub fn load_or_create_key(data_dir: &std::path::Path) -> std::io::Result<Vec<u8>> {
        let _ = data_dir;
        Ok(Vec::new())
    }
}
