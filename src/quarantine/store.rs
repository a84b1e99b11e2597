//! The storage boundary: what the quarantine keeps and the few operations it
//! needs, as a trait. SQLite ([`super::sqlite::SqliteStore`]) implements it
//! today; a PostgreSQL backend for several milter hosts sharing one
//! quarantine implements the same trait and nothing above it changes.
//!
//! Every method that changes something also appends its audit entry in the
//! same transaction: a record never exists without the entry that explains
//! it, and an entry never claims a change that did not happen.
//!
//! For a server backend (PostgreSQL): `update` maps to `SELECT ... FOR
//! UPDATE` then the check; appending to the audit chain must be serialised
//! across hosts (e.g. `LOCK TABLE audit IN EXCLUSIVE MODE` or an advisory
//! lock inside the transaction), because each entry hashes the previous one.

use super::QuarantineError;
use crate::audit;
use serde::{Deserialize, Serialize};

/// Where a record stands. Holds go `held → released | deleted | expired`;
/// decisions that did not hold are `delivered` (rewritten or tagged, the mail
/// went out) or `rejected`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Held,
    Released,
    Deleted,
    Expired,
    Delivered,
    Rejected,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Held => "held",
            State::Released => "released",
            State::Deleted => "deleted",
            State::Expired => "expired",
            State::Delivered => "delivered",
            State::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<State> {
        Some(match s {
            "held" => State::Held,
            "released" => State::Released,
            "deleted" => State::Deleted,
            "expired" => State::Expired,
            "delivered" => State::Delivered,
            "rejected" => State::Rejected,
            _ => return None,
        })
    }
}

/// One finding as kept: masked evidence only, with the rule that caught it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredFinding {
    pub rule: String,
    pub policy: String,
    pub category: String,
    pub detector: String,
    /// `subject`, `body`, `header:To`, `attachment:<path>`.
    pub location: String,
    pub confidence: String,
    /// Masked, as the engine produced it.
    pub evidence: String,
    pub count: usize,
    pub severity: String,
    pub fix: String,
    pub sender_may_release: bool,
}

/// One incident: a held message, or a decision that did not hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// Reference id, given to the sender and the DPO (`Q-20261123-1A2B3C4D`).
    pub id: String,
    /// What the milter did: `hold`, `rewrite`, `reject`, `tag`.
    pub action: String,
    pub state: State,
    pub created_at: i64,
    /// When the content is erased (holds only).
    pub expires_at: Option<i64>,
    pub queue_id: Option<String>,
    pub sender: String,
    /// Emptied when the content is erased; `recipient_count` stays.
    pub recipients: Vec<String>,
    pub recipient_count: usize,
    pub auth_user: Option<String>,
    pub client_addr: Option<String>,
    pub message_id: Option<String>,
    /// Erased with the content.
    pub subject: Option<String>,
    pub severity: Option<String>,
    pub rule_ids: Vec<String>,
    pub findings: Vec<StoredFinding>,
    pub raw_sha256: Option<String>,
    pub raw_size: u64,
    /// Whether the original bytes are still stored.
    pub has_content: bool,
    pub content_erased_at: Option<i64>,
    pub state_changed_at: Option<i64>,
    pub state_changed_by: Option<String>,
    pub state_reason: Option<String>,
    /// Set while a release is in progress and after it succeeded.
    pub release_id: Option<String>,
    pub release_started_at: Option<i64>,
    /// The sender asked the DPO to release it (from the self-service page),
    /// with their justification; the DPO's queue shows it.
    #[serde(default)]
    pub release_request: Option<ReleaseRequest>,
}

/// A sender's request that the DPO release their held message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseRequest {
    pub at: i64,
    /// The sender's justification, in their words.
    pub reason: String,
}

/// A self-service link as stored: the SHA-256 of its token (the token itself
/// is only in the notice), the one record it opens, and its life.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelfServiceLink {
    /// Hex SHA-256 of the token.
    pub token_sha256: String,
    pub record_id: String,
    pub created_at: i64,
    pub expires_at: i64,
    /// When an action (release, delete) used it up.
    pub used_at: Option<i64>,
    /// Which action: `released`, `deleted`.
    pub used_for: Option<String>,
}

impl Record {
    /// The sender may release this hold: every finding's rule allows it and
    /// none is high severity.
    pub fn sender_may_release(&self) -> bool {
        !self.findings.is_empty()
            && self.findings.iter().all(|f| f.sender_may_release)
            && self.severity.as_deref() != Some("high")
    }
}

/// A change to one record. `None` fields are left alone.
#[derive(Debug, Clone, Default)]
pub struct Change {
    pub state: Option<State>,
    pub at: i64,
    pub by: Option<String>,
    pub reason: Option<String>,
    /// Drop the original bytes, the subject and the recipient list.
    pub erase_content: bool,
    pub release_id: Option<Option<String>>,
    pub release_started_at: Option<Option<i64>>,
    /// Record the sender's release request.
    pub release_request: Option<ReleaseRequest>,
}

/// Which records to list.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Created at or after (unix seconds).
    pub since: Option<i64>,
    /// Created before.
    pub until: Option<i64>,
    /// Case-insensitive substring of the envelope sender.
    pub sender: Option<String>,
    /// A rule id that fired.
    pub rule: Option<String>,
    pub state: Option<State>,
    /// Only holds (the default for `list`), or every decision.
    pub holds_only: bool,
    pub limit: Option<usize>,
}

/// What a page of records is sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    #[default]
    Created,
    Sender,
    /// high > medium > low > none.
    Severity,
    State,
}

/// One page of records (the console's queue, the API's list).
#[derive(Debug, Clone, Default)]
pub struct PageQuery {
    /// Which records; its `limit` is ignored (see `limit` here).
    pub filter: Filter,
    /// Only records of this severity (`low`, `medium`, `high`).
    pub severity: Option<String>,
    /// Case-insensitive substring of the sender, or of the subject where
    /// no finding was made in it: a search must not reveal, by what it
    /// matches, a subject the masked view withholds.
    pub text: Option<String>,
    pub sort: SortKey,
    pub descending: bool,
    pub offset: usize,
    pub limit: usize,
}

/// A page of records and how many match in all.
#[derive(Debug, Clone, Default)]
pub struct Page {
    pub records: Vec<Record>,
    pub total: usize,
}

impl Record {
    /// A finding was made in the subject: the masked views withhold it.
    pub fn subject_has_finding(&self) -> bool {
        self.findings.iter().any(|f| f.location == "subject")
    }

    /// The free-text search of [`PageQuery::text`] (`needle` lower-cased).
    pub fn matches_text(&self, needle: &str) -> bool {
        self.sender.to_lowercase().contains(needle)
            || (!self.subject_has_finding()
                && self
                    .subject
                    .as_deref()
                    .is_some_and(|s| s.to_lowercase().contains(needle)))
    }
}

fn severity_rank(s: Option<&str>) -> u8 {
    match s {
        Some("high") => 3,
        Some("medium") => 2,
        Some("low") => 1,
        _ => 0,
    }
}

/// One hold as the reports count it: when, what became of it, which rules
/// and categories. The message, recipients and findings' text are not read:
/// the reports page counts every hold of the weeks it shows (~100,000 on a
/// busy server), and decoding whole records for a count was most of its time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRow {
    pub created_at: i64,
    pub state: State,
    pub state_changed_at: Option<i64>,
    pub rule_ids: Vec<String>,
    /// The categories of its findings, each once, in the order first found.
    pub categories: Vec<String>,
}

impl ReportRow {
    /// The counted facts of `r`.
    pub fn of(r: &Record) -> ReportRow {
        let mut categories: Vec<String> = Vec::new();
        for f in &r.findings {
            if !categories.contains(&f.category) {
                categories.push(f.category.clone());
            }
        }
        ReportRow {
            created_at: r.created_at,
            state: r.state,
            state_changed_at: r.state_changed_at,
            rule_ids: r.rule_ids.clone(),
            categories,
        }
    }
}

/// [`Store::page`] over [`Store::list`], in memory: correct for any store,
/// fast enough for a small one. A database store answers it in SQL.
pub fn page_in_memory<S: Store + ?Sized>(
    store: &S,
    q: &PageQuery,
) -> Result<Page, QuarantineError> {
    let mut filter = q.filter.clone();
    filter.limit = None;
    let needle = q.text.as_deref().map(str::to_lowercase);
    let mut all: Vec<Record> = store
        .list(&filter)?
        .into_iter()
        .filter(|r| q.severity.is_none() || r.severity == q.severity)
        .filter(|r| needle.as_deref().is_none_or(|n| r.matches_text(n)))
        .collect();
    all.sort_by(|a, b| {
        let o = match q.sort {
            SortKey::Created => a.created_at.cmp(&b.created_at),
            SortKey::Sender => a.sender.to_lowercase().cmp(&b.sender.to_lowercase()),
            SortKey::Severity => {
                severity_rank(a.severity.as_deref()).cmp(&severity_rank(b.severity.as_deref()))
            }
            SortKey::State => a.state.as_str().cmp(b.state.as_str()),
        }
        .then_with(|| a.created_at.cmp(&b.created_at))
        .then_with(|| a.id.cmp(&b.id));
        if q.descending {
            o.reverse()
        } else {
            o
        }
    });
    let total = all.len();
    let records = all.into_iter().skip(q.offset).take(q.limit).collect();
    Ok(Page { records, total })
}

/// A notice waiting in the outbox. `bytes` are the rendered message without
/// its marker header: the marker is signed at send time, so a notice retried
/// hours later still carries a fresh one.
#[derive(Debug, Clone)]
pub struct NewNotice {
    /// `sender_hold`, `sender_rewrite`, `dpo_alert`, `dpo_digest`.
    pub kind: String,
    pub reference: Option<String>,
    pub recipient: String,
    /// Envelope sender; empty = null sender (`MAIL FROM:<>`), so a notice never bounces back into a loop.
    pub envelope_from: String,
    pub bytes: Vec<u8>,
}

/// A queued notice.
#[derive(Debug, Clone)]
pub struct QueuedNotice {
    pub id: i64,
    pub notice: NewNotice,
    pub created_at: i64,
    pub attempts: u32,
}

/// The storage operations the quarantine needs.
pub trait Store: Send + Sync {
    /// Stores a record, its original bytes (holds only), its audit entry,
    /// the notices it causes and the self-service link those carry,
    /// atomically and durably (fsync'd) before returning.
    fn insert(
        &self,
        record: &Record,
        raw: Option<&[u8]>,
        audit: &audit::NewEntry,
        notices: &[NewNotice],
        link: Option<&SelfServiceLink>,
    ) -> Result<(), QuarantineError>;

    /// The self-service link whose token hashes to `token_sha256`.
    fn link(&self, token_sha256: &str) -> Result<Option<SelfServiceLink>, QuarantineError>;

    /// Marks an unused, unexpired link used for `used_for` at `at`, in one
    /// transaction: false when it was used (or expired) already, so two
    /// clicks cannot both act.
    fn claim_link(
        &self,
        token_sha256: &str,
        used_for: &str,
        at: i64,
    ) -> Result<bool, QuarantineError>;

    /// Gives a claimed link back (the action it was claimed for failed
    /// without changing anything, e.g. the relay refused the release).
    fn unclaim_link(&self, token_sha256: &str) -> Result<(), QuarantineError>;

    fn get(&self, id: &str) -> Result<Option<Record>, QuarantineError>;

    /// The id of a record still held, created at or after `since`, with the
    /// same message bytes (`raw_sha256`), sender and recipients as `record`:
    /// a client retrying one message (after a tempfail or a milter restart)
    /// is one hold, not two, and its sender one notice.
    fn held_duplicate(
        &self,
        record: &Record,
        since: i64,
    ) -> Result<Option<String>, QuarantineError>;

    /// The original bytes, if still stored.
    fn raw(&self, id: &str) -> Result<Option<Vec<u8>>, QuarantineError>;

    /// Records matching `filter`, oldest first.
    fn list(&self, filter: &Filter) -> Result<Vec<Record>, QuarantineError>;

    /// One page of the records a query matches, with their total.
    fn page(&self, q: &PageQuery) -> Result<Page, QuarantineError> {
        page_in_memory(self, q)
    }

    /// The holds created at or after `since`, in no particular order, as
    /// the reports count them. A database store reads only those columns.
    fn report_rows(&self, since: i64) -> Result<Vec<ReportRow>, QuarantineError> {
        Ok(self
            .list(&Filter {
                since: Some(since),
                holds_only: true,
                ..Filter::default()
            })?
            .iter()
            .map(ReportRow::of)
            .collect())
    }

    /// How many records are in each state (holds only, or every decision).
    fn count_by_state(&self, holds_only: bool) -> Result<Vec<(State, usize)>, QuarantineError> {
        let mut out: Vec<(State, usize)> = Vec::new();
        for r in self.list(&Filter {
            holds_only,
            ..Filter::default()
        })? {
            match out.iter_mut().find(|(s, _)| *s == r.state) {
                Some((_, n)) => *n += 1,
                None => out.push((r.state, 1)),
            }
        }
        Ok(out)
    }

    /// Applies `change` to a record in one transaction, after `check` accepts
    /// the record as it is inside that transaction (so two concurrent releases
    /// cannot both pass), and appends `audit`. Returns the updated record.
    fn update(
        &self,
        id: &str,
        check: &dyn Fn(&Record) -> Result<(), QuarantineError>,
        change: &Change,
        audit: &audit::NewEntry,
    ) -> Result<Record, QuarantineError>;

    /// Appends an entry that goes with no record change (viewed, exported).
    fn append_audit(&self, entry: &audit::NewEntry) -> Result<(), QuarantineError>;

    /// The whole audit log, in order.
    fn audit_entries(&self) -> Result<Vec<audit::Entry>, QuarantineError>;

    /// The last audit entry (the chain's head), if any, without reading the rest.
    fn audit_last(&self) -> Result<Option<audit::Entry>, QuarantineError>;

    /// The key the audit chain is MAC'd with (None: an unkeyed store).
    fn audit_key(&self) -> Option<Vec<u8>>;

    /// The audit entries about one record.
    fn audit_for(&self, id: &str) -> Result<Vec<audit::Entry>, QuarantineError>;

    /// Ids of records whose content should be erased at `now`.
    fn due_for_expiry(&self, now: i64) -> Result<Vec<String>, QuarantineError>;

    fn enqueue_notice(&self, notice: &NewNotice, now: i64) -> Result<i64, QuarantineError>;

    /// Queued notices due at `now`, oldest first.
    fn due_notices(&self, now: i64, limit: usize) -> Result<Vec<QueuedNotice>, QuarantineError>;

    /// The time the next queued notice is due, if any.
    fn next_notice_due(&self) -> Result<Option<i64>, QuarantineError>;

    /// See [`crate::quarantine::HoldStore::claim_marker`]; expired ids are forgotten.
    fn claim_marker(&self, used_key: &str, until: i64, now: i64) -> Result<bool, QuarantineError>;

    /// Notices of `kind` queued for `recipient` (case-insensitive) at or
    /// after `since`, whatever became of them: the per-sender rate limit
    /// ([`crate::notice::gate`]).
    fn notices_to_since(
        &self,
        recipient: &str,
        kind: &str,
        since: i64,
    ) -> Result<usize, QuarantineError>;

    /// Marks a notice sent and audits it.
    fn notice_sent(&self, id: i64, audit: &audit::NewEntry) -> Result<(), QuarantineError>;

    /// Records a failed attempt: retry at `retry_at`, or give up (`None`, audited).
    fn notice_failed(
        &self,
        id: i64,
        error: &str,
        retry_at: Option<i64>,
        audit: Option<&audit::NewEntry>,
    ) -> Result<(), QuarantineError>;

    /// Commits one small write (the time of the last health check) the
    /// way a hold commits, so `/healthz` fails when a hold would. Not
    /// audited: it records nothing about any message.
    fn probe_write(&self, now: i64) -> Result<(), QuarantineError>;

    /// Held records and queued notices, counted for the metrics.
    fn gauges(&self) -> Result<super::StoreGauges, QuarantineError>;
}
