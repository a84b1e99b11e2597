//! The quarantine service: what holding, releasing, deleting and expiring
//! mean, on top of any [`Store`]. The milter calls [`HoldStore`]; the
//! `quarantine` commands call the rest.

use super::export::{self, Incident};
use super::marker;
use super::relay;
use super::store::{Change, Filter, NewNotice, Record, State, Store, StoredFinding};
use super::{HoldReceipt, HoldRequest, HoldStore, QuarantineConfig, QuarantineError};
use crate::audit::{self, Event, NewEntry};
use crate::config::Config;
use crate::notice::gate::{gate_sender, SenderNotice};
use crate::notice::{self, outbox, NoticeConfig, Templates};
use crate::policy::{Action, PlannedAction, Severity};
use sha2::{Digest, Sha256};
use std::path::Path;
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

/// Postfix on this host.
pub const DEFAULT_RELAY: &str = "127.0.0.1:25";
const DAY: i64 = 86_400;
/// How long an identical message (same bytes, sender and recipients) still
/// counts as a retry of a held one rather than a new send: SMTP clients
/// retry a tempfailed message within minutes to hours.
const RETRY_WINDOW_SECS: i64 = DAY;

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

fn severity_str(s: Severity) -> &'static str {
    match s {
        Severity::Low => "low",
        Severity::Medium => "medium",
        Severity::High => "high",
    }
}

fn severity_rank(s: &str) -> Option<u8> {
    match s {
        "low" => Some(0),
        "medium" => Some(1),
        "high" => Some(2),
        _ => None,
    }
}

/// RFC 3339 in UTC, for messages and exports.
pub fn rfc3339(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| unix.to_string())
}

/// Parses `YYYY-MM-DD` (midnight UTC; with `end_of_day`, the midnight after)
/// or an RFC 3339 time, to unix seconds.
pub fn parse_when(s: &str, end_of_day: bool) -> Option<i64> {
    let s = s.trim();
    if let Ok(t) = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339) {
        return Some(t.unix_timestamp());
    }
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    let d = time::Date::parse(s, &fmt).ok()?;
    let t = d.midnight().assume_utc().unix_timestamp();
    Some(if end_of_day { t + DAY } else { t })
}

/// A new reference id: `Q-YYYYMMDD-` and 10 random hex digits.
fn new_reference(at: i64) -> String {
    let date = time::OffsetDateTime::from_unix_timestamp(at)
        .map(|t| format!("{:04}{:02}{:02}", t.year(), u8::from(t.month()), t.day()))
        .unwrap_or_else(|_| "00000000".into());
    format!("Q-{date}-{}", hex::encode_upper(rand::random::<[u8; 5]>()))
}

/// The quarantine service.
pub struct Quarantine {
    store: Arc<dyn Store>,
    config: QuarantineConfig,
    notice: NoticeConfig,
    dpo_alert_rank: u8,
    org: String,
    key: Arc<Vec<u8>>,
    templates: Templates,
    /// Which senders may be told about their own messages, and how often.
    gate: notice::gate::NoticeGate,
    /// Held from counting a sender's recent notices to storing the hold, so
    /// concurrent holds from one sender cannot all see room under the limit.
    notice_count: Mutex<()>,
    /// Nudges the notice thread, once started.
    wake: Mutex<Option<mpsc::Sender<()>>>,
}

/// Options of a release.
#[derive(Debug, Clone, Default)]
pub struct ReleaseOptions {
    /// Relay to use instead of the configured one.
    pub relay: Option<String>,
    /// Send again although an earlier release did not finish (it may have
    /// been delivered: check the relay's log first).
    pub retry_interrupted: bool,
    /// The sender releases their own message (rule must allow it; never high severity).
    pub as_sender: bool,
}

/// A finished release.
#[derive(Debug, Clone)]
pub struct Released {
    pub record: Record,
    pub release_id: String,
    pub relay: String,
}

/// What `show` returns.
#[derive(Debug, Clone)]
pub struct Shown {
    pub record: Record,
    pub audit: Vec<audit::Entry>,
    /// The original bytes, only when revealed.
    pub raw: Option<Vec<u8>>,
}

/// What `digest` did.
#[derive(Debug, Clone)]
pub struct DigestOutcome {
    pub rendered: notice::Rendered,
    pub items: usize,
    pub pass: Option<outbox::Pass>,
}

/// Opens the quarantine under `data_dir` for the milter, with the notice
/// thread running (notices, retries, hourly retention).
pub fn open(config: &Config, data_dir: &Path) -> Result<Arc<dyn HoldStore>, QuarantineError> {
    let q = Quarantine::open(config, data_dir)?;
    q.start_notifier()?;
    Ok(Arc::new(q))
}

impl Quarantine {
    /// Opens (creating, migrating) the SQLite store and the marker key under
    /// `data_dir`. No thread is started: see [`Quarantine::start_notifier`].
    pub fn open(config: &Config, data_dir: &Path) -> Result<Quarantine, QuarantineError> {
        let store = Arc::new(super::sqlite::SqliteStore::open_with_audit_key(
            data_dir,
            config.quarantine.audit_key.as_deref(),
        )?);
        let key = marker::load_or_create_key(data_dir)?;
        Quarantine::with_store(store, config, key)
    }

    /// A service over any store (a PostgreSQL one, a test double).
    pub fn with_store(
        store: Arc<dyn Store>,
        config: &Config,
        key: Vec<u8>,
    ) -> Result<Quarantine, QuarantineError> {
        let n = &config.notice;
        n.validate()?;
        config.quarantine.validate()?;
        let dpo_alert_rank = severity_rank(&n.dpo_alert_min_severity).unwrap_or(2);
        let (templates, warnings) = Templates::load(n.templates_dir.as_deref());
        for w in warnings {
            tracing::warn!("{w}");
        }
        Ok(Quarantine {
            store,
            config: config.quarantine.clone(),
            notice: n.clone(),
            dpo_alert_rank,
            org: if config.organisation.name.trim().is_empty() {
                "your organisation".into()
            } else {
                config.organisation.name.clone()
            },
            key: Arc::new(key),
            templates,
            gate: notice::gate::NoticeGate::new(config.organisation.domains.clone()),
            notice_count: Mutex::new(()),
            wake: Mutex::new(None),
        })
    }

    /// Overrides the relay (`--relay HOST:PORT`).
    pub fn set_relay(&mut self, relay: &str) -> Result<(), QuarantineError> {
        relay::parse_relay(relay)?;
        self.config.relay = relay.to_string();
        Ok(())
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The marker key (the milter needs it for [`marker::verify_released`]).
    pub fn key(&self) -> &[u8] {
        &self.key
    }

    fn outbox(&self) -> outbox::Outbox {
        outbox::Outbox {
            store: self.store.clone(),
            key: self.key.clone(),
            relay: self.config.relay.clone(),
            timeout: Duration::from_secs(self.config.relay_timeout_secs.max(1)),
            give_up_after_secs: (self.notice.give_up_after_hours as i64).saturating_mul(3600),
        }
    }

    /// Starts the notice thread (idempotent).
    pub fn start_notifier(&self) -> Result<(), QuarantineError> {
        let mut wake = self.wake.lock().unwrap_or_else(|p| p.into_inner());
        if wake.is_none() {
            let store = self.store.clone();
            let housekeeping = Box::new(move |now: i64| {
                match expire_due(store.as_ref(), now) {
                    Ok(ids) if !ids.is_empty() => {
                        tracing::info!(count = ids.len(), "retention: content erased")
                    }
                    Ok(_) => {}
                    Err(e) => tracing::error!(error = %e, "retention pass failed"),
                }
                // Hourly, the audit head into the system log: an anchor
                // outside the database for `audit verify --anchor`.
                match super::audit_check::head(store.as_ref()) {
                    Ok(line) => tracing::info!("{line}"),
                    Err(e) => tracing::error!(error = %e, "cannot read the audit head"),
                }
            });
            *wake = Some(outbox::spawn(self.outbox(), housekeeping)?);
        }
        Ok(())
    }

    fn nudge(&self) {
        let wake = self.wake.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(tx) = wake.as_ref() {
            let _ = tx.send(());
        }
    }

    /// Sends whatever notices are due now (the commands call this; `serve`
    /// has the thread).
    pub fn flush_outbox(&self) -> Result<outbox::Pass, QuarantineError> {
        self.flush_outbox_at(now())
    }

    /// Sends whatever notices are due at `at` (tests use a later time to
    /// reach a retry without waiting for the backoff).
    pub fn flush_outbox_at(&self, at: i64) -> Result<outbox::Pass, QuarantineError> {
        self.outbox().deliver_due(at)
    }

    fn record_from(&self, req: &HoldRequest<'_>, action: Action, at: i64) -> Record {
        let d = &req.report.decision;
        let env = req.envelope;
        let findings: Vec<StoredFinding> = d
            .findings
            .iter()
            .map(|m| StoredFinding {
                rule: m.rule.clone(),
                policy: m.policy.clone(),
                category: m.finding.category.as_str().to_string(),
                detector: m.finding.detector.to_string(),
                location: m.finding.location.to_string(),
                confidence: m.finding.confidence.as_str().to_string(),
                evidence: m.finding.evidence.clone(),
                count: m.finding.count,
                severity: severity_str(m.severity).to_string(),
                fix: m.fix.clone(),
                sender_may_release: m.sender_may_release,
            })
            .collect();
        let hold = action == Action::Hold;
        let recipient_count = if env.recipients.is_empty() {
            req.report.recipient_count
        } else {
            env.recipients.len()
        };
        Record {
            id: new_reference(at),
            action: action.as_str().to_string(),
            state: match action {
                Action::Hold => State::Held,
                Action::Reject => State::Rejected,
                _ => State::Delivered,
            },
            created_at: at,
            expires_at: hold
                .then(|| at.saturating_add(i64::from(self.config.retention_days) * DAY)),
            queue_id: env.queue_id.clone(),
            sender: env.sender.clone(),
            recipients: env.recipients.clone(),
            recipient_count,
            auth_user: env.auth_user.clone(),
            client_addr: env.client_addr.clone(),
            message_id: req.report.message_id.clone(),
            // Only a held message keeps its subject (it is content: erased
            // with it); for mail that went out, the record is enough.
            subject: if hold {
                req.report.subject.clone()
            } else {
                None
            },
            severity: d.severity.map(|s| severity_str(s).to_string()),
            rule_ids: d.rule_ids(),
            findings,
            raw_sha256: hold.then(|| hex::encode(Sha256::digest(req.raw))),
            raw_size: if hold { req.raw.len() as u64 } else { 0 },
            has_content: hold,
            content_erased_at: None,
            state_changed_at: None,
            state_changed_by: None,
            state_reason: None,
            release_id: None,
            release_started_at: None,
        }
    }

    /// A notice for `to`, or None (logged) when it cannot be built: a notice
    /// problem never fails a hold.
    fn notice_for<S: serde::Serialize>(
        &self,
        kind: &str,
        template: &'static str,
        reference: Option<&str>,
        to: &str,
        ctx: &S,
    ) -> Option<NewNotice> {
        let built = self
            .templates
            .render(template, ctx)
            .and_then(|r| notice::build_mime(&self.notice.from, to, &r));
        match built {
            Ok(bytes) => Some(NewNotice {
                kind: kind.to_string(),
                reference: reference.map(str::to_string),
                recipient: to.to_string(),
                envelope_from: String::new(),
                bytes,
            }),
            Err(e) => {
                tracing::warn!(kind, reference = ?reference, error = %e, "notice not queued");
                None
            }
        }
    }

    /// What the sender of this hold gets ([`notice::gate`]).
    fn sender_hold_notice(&self, rec: &Record, at: i64) -> Result<SenderNotice, QuarantineError> {
        if !self.notice.enabled || !self.notice.notify_on_hold {
            return Ok(SenderNotice::Withheld(notice::gate::Withheld::Disabled));
        }
        notice::gate::decide_hold_notice(&self.gate, self.store.as_ref(), rec, at)
    }

    fn summary_notice(&self, rec: &Record) -> Option<NewNotice> {
        let ctx = notice::gate::SummaryContext::new(&self.org, rec, self.notice.dpo.clone());
        self.notice_for(
            notice::gate::SUMMARY_KIND,
            "hold_summary",
            Some(&rec.id),
            &rec.sender,
            &ctx,
        )
    }

    fn hold_notices(&self, rec: &Record, to_sender: SenderNotice) -> Vec<NewNotice> {
        let mut out = Vec::new();
        if !self.notice.enabled {
            return out;
        }
        let rules = notice::rule_views(&rec.findings, &rec.rule_ids);
        let expires_on = rec.expires_at.map(notice::human_date).unwrap_or_default();
        if to_sender == SenderNotice::Summary {
            out.extend(self.summary_notice(rec));
        }
        if to_sender == SenderNotice::Notice {
            let ctx = notice::HoldContext {
                org: self.org.clone(),
                reference: rec.id.clone(),
                held_at: notice::human_time(rec.created_at),
                subject: notice::safe_subject(rec),
                recipient_count: rec.recipient_count,
                rules: rules.clone(),
                may_self_release: rec.sender_may_release(),
                self_release_instructions: self.notice.self_release_instructions.clone(),
                dpo: self.notice.dpo.clone(),
                expires_on: expires_on.clone(),
            };
            out.extend(self.notice_for("sender_hold", "hold", Some(&rec.id), &rec.sender, &ctx));
        }
        let rank = rec.severity.as_deref().and_then(severity_rank);
        if let (Some(dpo), Some(rank)) = (&self.notice.dpo, rank) {
            if rank >= self.dpo_alert_rank {
                let ctx = notice::AlertContext {
                    reference: rec.id.clone(),
                    held_at: notice::human_time(rec.created_at),
                    sender: rec.sender.clone(),
                    recipient_count: rec.recipient_count,
                    severity: rec.severity.clone().unwrap_or_default(),
                    rules,
                    expires_on,
                };
                out.extend(self.notice_for("dpo_alert", "dpo_alert", Some(&rec.id), dpo, &ctx));
            }
        }
        out
    }

    fn rewrite_notices(&self, rec: &Record, actions: &[PlannedAction]) -> Vec<NewNotice> {
        if !self.notice.enabled
            || !self.notice.notify_on_rewrite
            || self.gate.may_notify(&gate_sender(rec)).is_err()
        {
            return Vec::new();
        }
        let changes: Vec<String> = actions
            .iter()
            .filter_map(|a| match a {
                PlannedAction::RewriteRecipients { external_hidden, .. } => Some(format!(
                    "{external_hidden} recipient address(es) outside the organisation were hidden from the other recipients (as if sent by BCC)"
                )),
                PlannedAction::ReplaceSubject { .. } => {
                    Some("the subject line was replaced, because it contained personal information".into())
                }
                PlannedAction::RedactPassword { count, .. } => {
                    Some(format!("{count} password(s) were removed from the text"))
                }
                _ => None,
            })
            .collect();
        let ctx = notice::RewriteContext {
            org: self.org.clone(),
            reference: rec.id.clone(),
            sent_at: notice::human_time(rec.created_at),
            recipient_count: rec.recipient_count,
            changes,
            rules: notice::rule_views(&rec.findings, &rec.rule_ids),
        };
        self.notice_for(
            "sender_rewrite",
            "rewrite",
            Some(&rec.id),
            &rec.sender,
            &ctx,
        )
        .into_iter()
        .collect()
    }

    /// A record by reference.
    pub fn get(&self, id: &str) -> Result<Record, QuarantineError> {
        self.store
            .get(id)?
            .ok_or_else(|| QuarantineError::NotFound(id.to_string()))
    }

    pub fn list(&self, filter: &Filter) -> Result<Vec<Record>, QuarantineError> {
        self.store.list(filter)
    }

    /// A record with its audit trail, audited as viewed (or revealed, with
    /// the original bytes).
    pub fn show(&self, id: &str, actor: &str, reveal: bool) -> Result<Shown, QuarantineError> {
        let record = self.get(id)?;
        let raw = if reveal {
            Some(
                self.store
                    .raw(id)?
                    .ok_or_else(|| QuarantineError::NoContent(id.to_string()))?,
            )
        } else {
            None
        };
        self.store.append_audit(&NewEntry::new(
            now(),
            if reveal {
                Event::Revealed
            } else {
                Event::Viewed
            },
            Some(id),
            actor,
            serde_json::json!({}),
        ))?;
        let audit = self.store.audit_for(id)?;
        Ok(Shown { record, audit, raw })
    }

    /// Releases a held message: re-injects the original bytes, with a release
    /// marker, to the relay with the original envelope. The state changes
    /// only once the relay has accepted it; a failed send leaves it held.
    pub fn release(
        &self,
        id: &str,
        actor: &str,
        reason: &str,
        opts: &ReleaseOptions,
    ) -> Result<Released, QuarantineError> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(QuarantineError::ReasonRequired);
        }
        let relay_addr = opts
            .relay
            .clone()
            .unwrap_or_else(|| self.config.relay.clone());
        relay::parse_relay(&relay_addr)?;
        let at = now();
        let release_id = format!("R-{}", hex::encode_upper(rand::random::<[u8; 6]>()));
        let as_sender = opts.as_sender;
        let retry = opts.retry_interrupted;
        let check = move |r: &Record| -> Result<(), QuarantineError> {
            must_be_held(r)?;
            if let (Some(started), Some(rid)) = (r.release_started_at, &r.release_id) {
                if !retry {
                    return Err(QuarantineError::ReleaseInterrupted {
                        id: r.id.clone(),
                        release_id: rid.clone(),
                        started: rfc3339(started),
                        message_id: r.message_id.clone().unwrap_or_else(|| "(none)".into()),
                    });
                }
            }
            if as_sender && !r.sender_may_release() {
                return Err(QuarantineError::NotAllowed(format!(
                    "{}: the rules that held it do not let the sender release it",
                    r.id
                )));
            }
            Ok(())
        };
        let actor = if as_sender {
            let rec = self.get(id)?;
            format!("sender:{}", rec.sender)
        } else {
            actor.to_string()
        };
        let started = self.store.update(
            id,
            &check,
            &Change {
                at,
                release_id: Some(Some(release_id.clone())),
                release_started_at: Some(Some(at)),
                ..Change::default()
            },
            &NewEntry::new(
                at,
                Event::ReleaseStarted,
                Some(id),
                &actor,
                serde_json::json!({ "release_id": release_id, "relay": relay_addr, "reason": reason }),
            ),
        )?;
        // From here on, any failure is recorded and undoes the start, so a
        // message is never left "being released" by an error we saw.
        let sent = self
            .store
            .raw(id)
            .and_then(|raw| raw.ok_or_else(|| QuarantineError::NoContent(id.to_string())))
            .and_then(|raw| release_bytes(&raw, &self.key, &release_id, &started, at))
            .and_then(|bytes| {
                relay::send(
                    &relay_addr,
                    &started.sender,
                    &started.recipients,
                    &bytes,
                    Duration::from_secs(self.config.relay_timeout_secs.max(1)),
                )
                .map_err(QuarantineError::from)
            });
        let ours = {
            let rid = release_id.clone();
            move |r: &Record| -> Result<(), QuarantineError> {
                if r.release_id.as_deref() != Some(rid.as_str()) {
                    return Err(QuarantineError::Other(format!(
                        "{}: another release took over while sending",
                        r.id
                    )));
                }
                Ok(())
            }
        };
        match sent {
            Ok(()) => {
                let done = now();
                let record = self.store.update(
                    id,
                    &ours,
                    &Change {
                        state: Some(State::Released),
                        at: done,
                        by: Some(actor.clone()),
                        reason: Some(reason.to_string()),
                        release_started_at: Some(None),
                        ..Change::default()
                    },
                    &NewEntry::new(
                        done,
                        Event::Released,
                        Some(id),
                        &actor,
                        serde_json::json!({
                            "release_id": release_id,
                            "relay": relay_addr,
                            "reason": reason,
                            "recipients": started.recipient_count,
                        }),
                    ),
                )?;
                tracing::info!(reference = id, release_id, by = actor, "released");
                Ok(Released {
                    record,
                    release_id,
                    relay: relay_addr,
                })
            }
            Err(QuarantineError::Relay(e)) if !e.is_definite() => {
                // It may have gone out: leave the release "started" so a
                // second release refuses until someone checked the relay log.
                let failed = now();
                self.store.append_audit(&NewEntry::new(
                    failed,
                    Event::ReleaseFailed,
                    Some(id),
                    &actor,
                    serde_json::json!({
                        "release_id": release_id,
                        "relay": relay_addr,
                        "error": e.to_string(),
                        "outcome": "unknown",
                    }),
                ))?;
                Err(QuarantineError::ReleaseUncertain {
                    id: id.to_string(),
                    release_id,
                    error: e.to_string(),
                    message_id: started
                        .message_id
                        .clone()
                        .unwrap_or_else(|| "(none)".into()),
                })
            }
            Err(e) => {
                let failed = now();
                self.store.update(
                    id,
                    &ours,
                    &Change {
                        at: failed,
                        release_id: Some(None),
                        release_started_at: Some(None),
                        ..Change::default()
                    },
                    &NewEntry::new(
                        failed,
                        Event::ReleaseFailed,
                        Some(id),
                        &actor,
                        serde_json::json!({ "release_id": release_id, "relay": relay_addr, "error": e.to_string() }),
                    ),
                )?;
                Err(e)
            }
        }
    }

    /// Deletes a held message: its content is erased at once; the record
    /// and audit trail stay.
    pub fn delete(&self, id: &str, actor: &str, reason: &str) -> Result<Record, QuarantineError> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(QuarantineError::ReasonRequired);
        }
        let at = now();
        let check = |r: &Record| -> Result<(), QuarantineError> {
            must_be_held(r)?;
            if let (Some(started), Some(rid)) = (r.release_started_at, &r.release_id) {
                return Err(QuarantineError::ReleaseInterrupted {
                    id: r.id.clone(),
                    release_id: rid.clone(),
                    started: rfc3339(started),
                    message_id: r.message_id.clone().unwrap_or_else(|| "(none)".into()),
                });
            }
            Ok(())
        };
        self.store.update(
            id,
            &check,
            &Change {
                state: Some(State::Deleted),
                at,
                by: Some(actor.to_string()),
                reason: Some(reason.to_string()),
                erase_content: true,
                ..Change::default()
            },
            &NewEntry::new(
                at,
                Event::Deleted,
                Some(id),
                actor,
                serde_json::json!({ "reason": reason }),
            ),
        )
    }

    /// Erases the content of every record whose retention ended by `now`.
    pub fn purge(&self, now: i64) -> Result<Vec<String>, QuarantineError> {
        expire_due(self.store.as_ref(), now)
    }

    /// Incidents created in `[since, until)`, audited as exported by `actor`.
    pub fn export(
        &self,
        since: i64,
        until: i64,
        actor: &str,
        format: &str,
    ) -> Result<Vec<Incident>, QuarantineError> {
        let records = self.store.list(&Filter {
            since: Some(since),
            until: Some(until),
            ..Filter::default()
        })?;
        let incidents: Vec<Incident> = records.iter().map(export::incident).collect();
        self.store.append_audit(&NewEntry::new(
            now(),
            Event::Exported,
            None,
            actor,
            serde_json::json!({
                "since": rfc3339(since),
                "until": rfc3339(until),
                "incidents": incidents.len(),
                "format": format,
            }),
        ))?;
        Ok(incidents)
    }

    /// Renders the DPO's digest of `[since, until)`; unless `print_only`,
    /// queues it to the DPO and sends it now (queued for retry if the relay
    /// is down).
    pub fn digest(
        &self,
        since: i64,
        until: i64,
        print_only: bool,
    ) -> Result<DigestOutcome, QuarantineError> {
        // Records created in the period, and older ones decided in it.
        let records = self.store.list(&Filter {
            since: Some(
                since.saturating_sub(i64::from(self.config.retention_days.max(1)) * DAY * 2),
            ),
            until: Some(until),
            ..Filter::default()
        })?;
        let in_period = |t: i64| t >= since && t < until;
        let created: Vec<&Record> = records.iter().filter(|r| in_period(r.created_at)).collect();
        let decided = |s: State| {
            records
                .iter()
                .filter(|r| r.state == s && r.state_changed_at.is_some_and(in_period))
                .count()
        };
        let items: Vec<notice::DigestItem> = records
            .iter()
            .filter(|r| in_period(r.created_at) || r.state_changed_at.is_some_and(in_period))
            .map(|r| notice::DigestItem {
                reference: r.id.clone(),
                state: r.state.as_str().to_string(),
                sender: r.sender.clone(),
                recipient_count: r.recipient_count,
                rules: r.rule_ids.join(", "),
                expires_on: if r.has_content {
                    r.expires_at.map(notice::human_date)
                } else {
                    None
                },
            })
            .collect();
        let ctx = notice::DigestContext {
            org: self.org.clone(),
            period_start: notice::human_time(since),
            period_end: notice::human_time(until),
            held: created.iter().filter(|r| r.action == "hold").count(),
            still_held: created.iter().filter(|r| r.state == State::Held).count(),
            rewritten: created.iter().filter(|r| r.action == "rewrite").count(),
            rejected: created.iter().filter(|r| r.action == "reject").count(),
            released: decided(State::Released),
            deleted: decided(State::Deleted),
            items,
        };
        let mut rendered = self.templates.render("digest", &ctx)?;
        // The audit head goes into every digest, whatever the template
        // says: the DPO's mailbox is one of the places outside the database
        // that `audit verify --anchor` checks the trail against.
        let head = self.audit_head()?;
        rendered.text.push_str(&format!("\n\n{head}\n"));
        rendered.html = match rendered.html.rfind("</body>") {
            Some(i) => format!(
                "{}<p style=\"color: #666; font-size: 12px;\">{head}</p>\n{}",
                &rendered.html[..i],
                &rendered.html[i..]
            ),
            None => format!("{}<p>{head}</p>", rendered.html),
        };
        let n_items = ctx.items.len();
        if print_only {
            return Ok(DigestOutcome {
                rendered,
                items: n_items,
                pass: None,
            });
        }
        let dpo =
            self.notice.dpo.clone().ok_or_else(|| {
                QuarantineError::Config("no DPO address: set [notice] dpo".into())
            })?;
        let bytes = notice::build_mime(&self.notice.from, &dpo, &rendered)?;
        self.store.enqueue_notice(
            &NewNotice {
                kind: "dpo_digest".into(),
                reference: None,
                recipient: dpo,
                envelope_from: String::new(),
                bytes,
            },
            now(),
        )?;
        let pass = self.flush_outbox()?;
        Ok(DigestOutcome {
            rendered,
            items: n_items,
            pass: Some(pass),
        })
    }

    /// The audit chain's head as written outside the database
    /// ([`audit::head_line`]: entry number and MAC).
    pub fn audit_head(&self) -> Result<String, QuarantineError> {
        super::audit_check::head(self.store.as_ref())
    }

    /// The chain checked against heads recorded outside the database
    /// (digests, logs): the first entry that disagrees.
    pub fn verify_audit_anchored(
        &self,
        collected: &[u8],
    ) -> Result<Result<(audit::Verified, usize), audit::Broken>, QuarantineError> {
        super::audit_check::verify_anchored(self.store.as_ref(), collected)
    }

    /// Checks the audit chain and the records it covers.
    pub fn verify_audit(&self) -> Result<Result<audit::Verified, audit::Broken>, QuarantineError> {
        super::audit_check::verify(self.store.as_ref())
    }
}

/// Refuses anything but a held message that still has its content.
fn must_be_held(r: &Record) -> Result<(), QuarantineError> {
    let by = |r: &Record| {
        format!(
            "{}{}",
            r.state_changed_by
                .as_deref()
                .map(|b| format!(" by {b}"))
                .unwrap_or_default(),
            r.state_changed_at
                .map(|t| format!(" at {}", rfc3339(t)))
                .unwrap_or_default()
        )
    };
    let wrong = |message: String| {
        Err(QuarantineError::WrongState {
            id: r.id.clone(),
            message,
        })
    };
    if r.action != "hold" {
        return wrong(format!(
            "it was never held (the milter's decision was {})",
            r.action
        ));
    }
    match r.state {
        State::Held if r.has_content => Ok(()),
        State::Held => Err(QuarantineError::NoContent(r.id.clone())),
        State::Released => wrong(format!("already released{}", by(r))),
        State::Deleted => wrong(format!("already deleted{}", by(r))),
        State::Expired => wrong(format!(
            "expired{}: its content was erased when the retention period ended",
            r.state_changed_at
                .map(|t| format!(" at {}", rfc3339(t)))
                .unwrap_or_default()
        )),
        State::Delivered | State::Rejected => wrong(format!("it is {}", r.state.as_str())),
    }
}

/// The bytes to re-inject: the release marker, then any of Message-ID, Date
/// and From the original lacked, then the original bytes unchanged.
///
/// Why add headers: Postfix's cleanup would add the missing ones for mail
/// from localhost anyway; added here, the released copy carries the same
/// ones the audit trail and the recipients see. (The marker binds the body
/// and envelope, not the headers.)
fn release_bytes(
    raw: &[u8],
    key: &[u8],
    release_id: &str,
    rec: &Record,
    at: i64,
) -> Result<Vec<u8>, QuarantineError> {
    let mut headers = marker::parse_headers(raw);
    let has = |headers: &[(String, String)], name: &str| {
        headers
            .iter()
            .any(|(n, v)| n.eq_ignore_ascii_case(name) && !v.trim().is_empty())
    };
    let mut added: Vec<(String, String)> = Vec::new();
    if !has(&headers, "message-id") {
        added.push((
            "Message-ID".into(),
            format!("<{}.{release_id}@dlp-milter.invalid>", rec.id),
        ));
    }
    if !has(&headers, "date") {
        let date = time::OffsetDateTime::from_unix_timestamp(rec.created_at)
            .ok()
            .and_then(|t| {
                t.format(&time::format_description::well_known::Rfc2822)
                    .ok()
            })
            .unwrap_or_else(|| "Thu, 01 Jan 1970 00:00:00 +0000".into());
        added.push(("Date".into(), date));
    }
    if !has(&headers, "from") && !rec.sender.is_empty() {
        added.push(("From".into(), format!("<{}>", rec.sender)));
    }
    let mut prefix = String::new();
    for (i, (n, v)) in added.into_iter().enumerate() {
        prefix.push_str(&format!("{n}: {v}\r\n"));
        headers.insert(i, (n, v));
    }
    // Bound to the body as released and the exact envelope it goes out on.
    let binding = marker::Binding::of_message(raw, &rec.sender, &rec.recipients);
    let value = marker::sign(key, marker::Kind::Release, release_id, at, &binding)
        .ok_or_else(|| QuarantineError::Other("cannot sign the release marker (no key)".into()))?;
    let mut out = format!("{}: {value}\r\n{prefix}", marker::RELEASE_HEADER).into_bytes();
    out.extend_from_slice(raw);
    Ok(out)
}

/// Retention: erases the content of records due at `now`; held ones become
/// `expired`. Each erasure is audited.
fn expire_due(store: &dyn Store, now: i64) -> Result<Vec<String>, QuarantineError> {
    let mut done = Vec::new();
    for id in store.due_for_expiry(now)? {
        let check = |r: &Record| -> Result<(), QuarantineError> {
            if !r.has_content || r.expires_at.is_none_or(|t| t > now) {
                return Err(QuarantineError::Other("no longer due".into()));
            }
            Ok(())
        };
        let Some(rec) = store.get(&id)? else { continue };
        let state = (rec.state == State::Held).then_some(State::Expired);
        let result = store.update(
            &id,
            &check,
            &Change {
                state,
                at: now,
                by: state.map(|_| "retention".to_string()),
                reason: state.map(|_| "retention period ended".to_string()),
                erase_content: true,
                ..Change::default()
            },
            &NewEntry::new(
                now,
                Event::Expired,
                Some(&id),
                "retention",
                serde_json::json!({ "state": rec.state.as_str(), "content_erased": true }),
            ),
        );
        match result {
            Ok(_) => done.push(id),
            Err(QuarantineError::Other(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}

impl HoldStore for Quarantine {
    fn claim_marker(&self, used_key: &str, until: i64, now: i64) -> Result<bool, QuarantineError> {
        self.store.claim_marker(used_key, until, now)
    }

    fn hold(&self, req: &HoldRequest<'_>) -> Result<HoldReceipt, QuarantineError> {
        let at = now();
        let rec = self.record_from(req, Action::Hold, at);
        if let Some(id) = self
            .store
            .held_duplicate(&rec, at.saturating_sub(RETRY_WINDOW_SECS))?
        {
            // The same bytes and envelope are already held: the client
            // retried (e.g. the milter was killed after storing the first
            // copy but before answering). One hold, one notice; the audit
            // trail still shows the second arrival.
            self.store.append_audit(&NewEntry::new(
                at,
                Event::HeldAgain,
                Some(&id),
                "milter",
                serde_json::json!({ "queue_id": rec.queue_id, "sha256": rec.raw_sha256 }),
            ))?;
            tracing::info!(reference = %id, queue_id = ?rec.queue_id, "held again: same message as an existing hold");
            return Ok(HoldReceipt { id });
        }
        let counting = self.notice_count.lock().unwrap_or_else(|p| p.into_inner());
        let to_sender = self.sender_hold_notice(&rec, at)?;
        let notices = self.hold_notices(&rec, to_sender);
        let entry = NewEntry::new(
            at,
            Event::Held,
            Some(&rec.id),
            "milter",
            serde_json::json!({
                "queue_id": rec.queue_id,
                "rules": rec.rule_ids,
                "severity": rec.severity,
                "recipients": rec.recipient_count,
                "sha256": rec.raw_sha256,
                "notices": notices.iter().map(|n| n.kind.as_str()).collect::<Vec<_>>(),
                "sender_notice": to_sender.as_str(),
            }),
        );
        self.store.insert(&rec, Some(req.raw), &entry, &notices)?;
        drop(counting);
        tracing::info!(reference = %rec.id, queue_id = ?rec.queue_id, rules = ?rec.rule_ids, "held");
        if !notices.is_empty() {
            self.nudge();
        }
        Ok(HoldReceipt { id: rec.id })
    }

    fn record_decision(
        &self,
        req: &HoldRequest<'_>,
        verdict: Action,
    ) -> Result<(), QuarantineError> {
        if verdict == Action::Hold {
            return self.hold(req).map(|_| ());
        }
        // Clean mail is not an incident: no record, no audit noise.
        if verdict == Action::Accept
            && req.report.decision.findings.is_empty()
            && req.report.decision.unscanned_rules.is_empty()
        {
            return Ok(());
        }
        let at = now();
        let rec = self.record_from(req, verdict, at);
        let notices = if verdict == Action::Rewrite {
            self.rewrite_notices(&rec, &req.report.decision.actions)
        } else {
            Vec::new()
        };
        let event = match verdict {
            Action::Rewrite => Event::Rewritten,
            Action::Reject => Event::Rejected,
            _ => Event::Tagged,
        };
        let entry = NewEntry::new(
            at,
            event,
            Some(&rec.id),
            "milter",
            serde_json::json!({
                "queue_id": rec.queue_id,
                "rules": rec.rule_ids,
                "severity": rec.severity,
                "recipients": rec.recipient_count,
                "enforced": req.report.decision.enforced,
                "actions": req.report.decision.actions.iter().filter_map(action_name).collect::<Vec<_>>(),
            }),
        );
        self.store.insert(&rec, None, &entry, &notices)?;
        if !notices.is_empty() {
            self.nudge();
        }
        Ok(())
    }
}

fn action_name(a: &PlannedAction) -> Option<&'static str> {
    Some(match a {
        PlannedAction::AddHeaders { .. } => return None,
        PlannedAction::RewriteRecipients { .. } => "rewrite_recipients",
        PlannedAction::ReplaceSubject { .. } => "replace_subject",
        PlannedAction::RedactPassword { .. } => "redact_password",
        PlannedAction::Hold { .. } => "hold",
        PlannedAction::Reject { .. } => "reject",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(parse_when("2026-11-23", false), Some(1_795_392_000));
        assert_eq!(parse_when("2026-11-23", true), Some(1_795_392_000 + DAY));
        assert_eq!(
            parse_when("2026-11-23T01:00:00Z", true),
            Some(1_795_395_600)
        );
        assert_eq!(parse_when("yesterday", false), None);
        assert!(new_reference(1_795_392_000).starts_with("Q-20261123-"));
    }

    #[test]
    fn release_bytes_add_marker_and_missing_message_id() {
        let key = [3u8; 32];
        let raw = b"From: a@b\r\nSubject: x\r\n\r\nhello\r\n";
        let rec: Record = serde_json::from_value(serde_json::json!({
            "id": "Q-1", "action": "hold", "state": "held", "created_at": 0,
            "expires_at": null, "queue_id": null, "sender": "a@b", "recipients": ["c@d"],
            "recipient_count": 1, "auth_user": null, "client_addr": null, "message_id": null,
            "subject": null, "severity": null, "rule_ids": [], "findings": [],
            "raw_sha256": null, "raw_size": 0, "has_content": true, "content_erased_at": null,
            "state_changed_at": null, "state_changed_by": null, "state_reason": null,
            "release_id": null, "release_started_at": null
        }))
        .unwrap();
        let out = release_bytes(raw, &key, "R-1", &rec, 100).unwrap();
        assert!(out.ends_with(raw));
        let h = marker::parse_headers(&out);
        assert_eq!(h[0].0, marker::RELEASE_HEADER);
        assert_eq!(h[1].0, "Message-ID");
        assert_eq!(
            h[2],
            ("Date".into(), "Thu, 01 Jan 1970 00:00:00 +0000".into())
        );
        // From was present: the original one follows, none added.
        assert_eq!(h[3], ("From".into(), "a@b".into()));
        let sent = marker::Binding::of_message(&out, "a@b", &["c@d".to_string()]);
        assert!(marker::verify(&h, &key, marker::Kind::Release, &sent, 110).is_ok());
        // The same marker for an added recipient does not verify.
        let more = marker::Binding::of_message(&out, "a@b", &["c@d".into(), "e@f".into()]);
        assert!(marker::verify(&h, &key, marker::Kind::Release, &more, 110).is_err());
    }
}
