//! The quarantine: held messages, stored durably before the MTA is answered,
//! then reviewed (released, deleted) by the DPO or expired by retention.
//!
//! Stage 6 of the flow. The milter sees only [`HoldStore`]; behind it,
//! [`Quarantine`] keeps records in a [`store::Store`] (SQLite by default),
//! appends every change to the hash-chained [`crate::audit`] log in the same
//! transaction, queues notices ([`crate::notice`]) and re-injects released
//! mail over SMTP ([`relay`]) with a [`marker`] the milter honours once.
//! [`spool::SpoolStore`] is the other [`HoldStore`]: durable holding with no
//! review workflow (`[milter] store = "spool"`).

pub mod audit_check;
pub mod export;
pub mod marker;
pub mod record_state;
pub mod relay;
mod service;
pub mod spool;
pub mod sqlite;
pub mod store;
pub mod view;

pub use crate::dates::parse_when;
pub use service::{
    open, token_sha256, DigestOutcome, LinkRefused, OpenLink, Quarantine, ReleaseOptions, Released,
    SelfServiceError, Shown, DEFAULT_RELAY, MAX_JUSTIFICATION_CHARS,
};
pub use store::{
    Filter, Page, PageQuery, Record, ReleaseRequest, ReportRow, SelfServiceLink, SortKey, State,
    Store, StoredFinding,
};

pub use crate::config::QuarantineConfig;

use crate::message::Envelope;
use crate::policy::Action;
use crate::scan::ScanReport;
use thiserror::Error;

impl QuarantineConfig {
    /// Checks the section (the relay's form); called when the quarantine
    /// opens, and usable by a config test.
    pub fn validate(&self) -> Result<(), QuarantineError> {
        relay::parse_relay(&self.relay)?;
        Ok(())
    }
}

/// Why a quarantine operation failed. From [`HoldStore::hold`], any error
/// means the message is *not* stored: the milter must answer TEMPFAIL.
#[derive(Debug, Error)]
pub enum QuarantineError {
    #[error("quarantine I/O error: {0}")]
    Io(#[from] std::io::Error),
    #[error("quarantine database: {0}")]
    Db(String),
    #[error("no message with reference {0}")]
    NotFound(String),
    /// Release/delete of a message that is not held (released, deleted,
    /// expired, or never held). Nothing was changed.
    #[error("{id}: {message}; nothing was changed")]
    WrongState { id: String, message: String },
    #[error("{id}: a release started at {started} (release id {release_id}) did not finish; look for Message-ID {message_id} in the mail log from that time, then rerun with --retry-interrupted only if it was not delivered; nothing was changed")]
    ReleaseInterrupted {
        id: String,
        release_id: String,
        started: String,
        message_id: String,
    },
    #[error("{id}: the relay did not confirm the release ({error}); the message may have been delivered: look for Message-ID {message_id} in the mail log, then rerun with --retry-interrupted only if it was not (release id {release_id})")]
    ReleaseUncertain {
        id: String,
        release_id: String,
        error: String,
        message_id: String,
    },
    #[error("{0}: its content has been erased")]
    NoContent(String),
    #[error("a reason is required")]
    ReasonRequired,
    #[error("not allowed: {0}")]
    NotAllowed(String),
    #[error("release failed, the message stays held: {0}")]
    Relay(#[from] relay::RelayError),
    #[error(transparent)]
    Notice(#[from] crate::notice::NoticeError),
    #[error("quarantine config: {0}")]
    Config(String),
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
    /// Records that the marker `used_key` was honoured and keeps it until
    /// `until` (unix time); false when it was already recorded. Durable, so
    /// a release or notice marker passes once, also across restarts.
    fn claim_marker(&self, used_key: &str, until: i64, now: i64) -> Result<bool, QuarantineError>;
    /// Proves the store can durably write now: a small write committed
    /// (fsync'd) the way a hold is, so a full disk, a read-only file
    /// system or a lock another process keeps shows before a hold fails.
    /// For `/healthz` ([`crate::metrics`]).
    fn probe_write(&self) -> Result<(), QuarantineError>;
    /// The counts a metrics scrape reads; cheap (an indexed count).
    fn gauges(&self) -> Result<StoreGauges, QuarantineError>;
}

/// What a metrics scrape reads from a hold store.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreGauges {
    /// Messages held, awaiting release or deletion.
    pub holds_pending: u64,
    /// Notices queued in the outbox, waiting to be sent or retried.
    pub notices_queued: u64,
}

/// Arguments every `dlp-milter quarantine ...` / `audit ...` command takes.
#[derive(Debug, Clone, clap::Args)]
pub struct QuarantineArgs {
    /// Config file (TOML). Without one, built-in defaults are used.
    #[arg(long)]
    pub config: Option<std::path::PathBuf>,
    /// Data directory (overrides the config).
    #[arg(long)]
    pub data_dir: Option<std::path::PathBuf>,
}
