//! Holding: the milter's [`HoldStore`] side of the service. A held message
//! and its record, audit entry and notices are stored in one transaction
//! before the milter answers; other decisions (rewrite, reject, tag) leave a
//! record without the content.

use super::Quarantine;
use crate::audit::{Event, NewEntry};
use crate::dates::{compact_date, now, DAY};
use crate::notice::gate::{self, gate_sender, SenderNotice};
use crate::policy::{Action, Decision, PlannedAction};
use crate::quarantine::store::{Record, State, StoredFinding};
use crate::quarantine::{HoldReceipt, HoldRequest, HoldStore, QuarantineError, StoreGauges};
use sha2::{Digest, Sha256};
use std::borrow::Cow;

/// How long an identical message (same bytes, sender and recipients) still
/// counts as a retry of a held one rather than a new send: SMTP clients
/// retry a tempfailed message within minutes to hours.
const RETRY_WINDOW_SECS: i64 = DAY;

/// A new reference id: `Q-YYYYMMDD-` and 10 random hex digits.
fn new_reference(at: i64) -> String {
    let date = compact_date(at);
    format!("Q-{date}-{}", hex::encode_upper(rand::random::<[u8; 5]>()))
}

/// The record as the sender and the DPO alert see it: without the findings
/// and rule ids of rules in monitor mode. A rule being tried out is not named
/// to the sender or in an alert, only kept in the stored record for the DPO's
/// review of the trial.
fn acted_on<'a>(rec: &'a Record, decision: &Decision) -> Cow<'a, Record> {
    let monitored: Vec<&str> = decision
        .findings
        .iter()
        .filter(|m| m.monitor.is_some())
        .map(|m| m.rule.as_str())
        .collect();
    if monitored.is_empty() {
        return Cow::Borrowed(rec);
    }
    let mut shown = rec.clone();
    shown
        .findings
        .retain(|f| !monitored.contains(&f.rule.as_str()));
    shown.rule_ids.retain(|r| !monitored.contains(&r.as_str()));
    Cow::Owned(shown)
}

impl Quarantine {
    /// What the sender of this hold gets ([`crate::notice::gate`]).
    fn sender_hold_notice(&self, rec: &Record, at: i64) -> Result<SenderNotice, QuarantineError> {
        let n = self.notices.config();
        if !n.enabled || !n.notify_on_hold {
            return Ok(SenderNotice::Withheld(gate::Withheld::Disabled));
        }
        gate::decide_hold_notice(&self.gate, self.store.as_ref(), rec, at)
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
                severity: m.severity.as_str().to_string(),
                fix: m.fix.clone(),
                // A rule in monitor mode restricts nothing, so its finding
                // never stands in the way of the sender releasing a hold
                // that another rule made.
                sender_may_release: m.sender_may_release || m.monitor.is_some(),
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
            severity: d.severity.map(|s| s.as_str().to_string()),
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
            release_request: None,
        }
    }
}

impl HoldStore for Quarantine {
    fn claim_marker(&self, used_key: &str, until: i64, now: i64) -> Result<bool, QuarantineError> {
        self.store.claim_marker(used_key, until, now)
    }

    fn probe_write(&self) -> Result<(), QuarantineError> {
        self.store.probe_write(now())
    }

    fn gauges(&self) -> Result<StoreGauges, QuarantineError> {
        self.store.gauges()
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
        // The sender's notice carries their self-service link, stored (as a
        // hash) in the same transaction as the hold and the notice.
        let link = if self.notices.tells_sender(&rec, to_sender) {
            self.new_link(&rec, at)
        } else {
            None
        };
        let notices = self.notices.hold_notices(
            &acted_on(&rec, &req.report.decision),
            to_sender,
            link.as_ref().map(|(url, _)| url.as_str()),
        );
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
                "direction": req.report.direction.direction,
                "direction_reason": req.report.direction.reason,
                "notices": notices.iter().map(|n| n.kind.as_str()).collect::<Vec<_>>(),
                "sender_notice": to_sender.as_str(),
            }),
        );
        self.store.insert(
            &rec,
            Some(req.raw),
            &entry,
            &notices,
            link.as_ref().map(|(_, l)| l),
        )?;
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
        let notices =
            if verdict == Action::Rewrite && self.gate.may_notify(&gate_sender(&rec)).is_ok() {
                self.notices.rewrite_notices(
                    &acted_on(&rec, &req.report.decision),
                    &req.report.decision.actions,
                )
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
                "direction": req.report.direction.direction,
                "direction_reason": req.report.direction.reason,
                "actions": req.report.decision.actions.iter().filter_map(action_name).collect::<Vec<_>>(),
            }),
        );
        self.store.insert(&rec, None, &entry, &notices, None)?;
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
    fn reference_carries_the_day() {
        assert!(new_reference(1_795_392_000).starts_with("Q-20261123-"));
        assert_eq!(new_reference(1_795_392_000).len(), "Q-20261123-".len() + 10);
    }
}
