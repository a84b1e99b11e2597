//! How records look on the DPO's terminal: `list` (text table or one JSON
//! object per line) and `show` (masked unless revealed).
//!
//! Masked means: findings show only masked evidence and no attachment names
//! (a file name like "J Smith SEN plan.pdf" is personal data itself),
//! recipients only their domains, and the subject only when no finding was
//! made in it. `--reveal`
//! (audited) shows the full recipient list, the subject and the message.
//!
//! The text forms give times in the organisation's zone (`[organisation]
//! timezone`, with its abbreviation); the JSON forms stay RFC 3339 UTC for
//! scripts.

use super::service::Shown;
use super::store::{Record, State, StoredFinding};
use crate::dates::{rfc3339, Zone};
use serde_json::json;
use std::fmt::Write;

fn opt_time(t: Option<i64>) -> Option<String> {
    t.map(rfc3339)
}

/// One `list --format json` line.
pub fn list_json(r: &Record) -> String {
    json!({
        "id": r.id,
        "state": r.state.as_str(),
        "action": r.action,
        "created_at": rfc3339(r.created_at),
        "sender": r.sender,
        "recipient_count": r.recipient_count,
        "rule_ids": r.rule_ids,
        "severity": r.severity,
        "expires_at": if r.has_content { opt_time(r.expires_at) } else { None },
        "content_erased_at": opt_time(r.content_erased_at),
        "queue_id": r.queue_id,
        "state_changed_by": r.state_changed_by,
        "release_unconfirmed_since": opt_time(r.release_started_at),
        "release_requested_at": r.release_request.as_ref().map(|q| rfc3339(q.at)),
        "release_request_reason": r.release_request.as_ref().map(|q| q.reason.as_str()),
    })
    .to_string()
}

/// The `list` table, times in `zone`.
pub fn list_text(records: &[Record], zone: &Zone) -> String {
    let mut s = String::new();
    if records.is_empty() {
        s.push_str("no messages\n");
        return s;
    }
    let unconfirmed = records.iter().any(|r| r.release_started_at.is_some());
    let requested = records
        .iter()
        .any(|r| r.release_request.is_some() && r.release_started_at.is_none());
    let _ = writeln!(
        s,
        "{:<21} {:<9} {:<20} {:<32} {:>5}  {:<20} RULES",
        "ID", "STATE", "HELD", "SENDER", "RCPTS", "EXPIRES"
    );
    for r in records {
        let expires = if r.has_content {
            r.expires_at.map(|t| zone.short_time(t)).unwrap_or_default()
        } else {
            "(erased)".into()
        };
        let _ = writeln!(
            s,
            "{:<21} {:<9} {:<20} {:<32} {:>5}  {:<20} {}",
            r.id,
            if r.release_started_at.is_some() {
                "held*"
            } else if r.release_request.is_some() && r.state == State::Held {
                "held+"
            } else {
                r.state.as_str()
            },
            zone.short_time(r.created_at),
            r.sender,
            r.recipient_count,
            expires,
            r.rule_ids.join(",")
        );
    }
    if unconfirmed {
        s.push_str("held*: a release started and was not confirmed; see `show`\n");
    }
    if requested {
        s.push_str("held+: the sender asked for release; `show` gives their reason\n");
    }
    s
}

fn domains(recipients: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in recipients {
        let d = r
            .rsplit_once('@')
            .map(|(_, d)| format!("*@{d}"))
            .unwrap_or_else(|| "*".into());
        if !out.contains(&d) {
            out.push(d);
        }
    }
    out
}

/// Findings as shown: attachment names withheld unless revealed.
fn findings_shown(r: &Record, revealed: bool) -> Vec<StoredFinding> {
    r.findings
        .iter()
        .map(|f| {
            let mut f = f.clone();
            if !revealed && f.location.starts_with("attachment:") {
                f.location = "attachment:(name withheld; --reveal shows it)".into();
            }
            f
        })
        .collect()
}

fn subject_shown(r: &Record, revealed: bool) -> String {
    match (&r.subject, revealed) {
        (None, _) if !r.has_content && r.content_erased_at.is_some() => "(erased)".into(),
        (None, _) => "(none)".into(),
        (Some(s), true) => s.clone(),
        (Some(s), false) => {
            if r.findings.iter().any(|f| f.location == "subject") {
                "(withheld: it contains personal data; --reveal shows it)".into()
            } else {
                s.clone()
            }
        }
    }
}

/// `show` as JSON (masked unless revealed; never the message bytes).
pub fn show_json(s: &Shown) -> String {
    let r = &s.record;
    let revealed = s.raw.is_some();
    json!({
        "id": r.id,
        "action": r.action,
        "state": r.state.as_str(),
        "created_at": rfc3339(r.created_at),
        "expires_at": opt_time(r.expires_at),
        "content_erased_at": opt_time(r.content_erased_at),
        "queue_id": r.queue_id,
        "sender": r.sender,
        "auth_user": r.auth_user,
        "recipient_count": r.recipient_count,
        "recipients": if revealed { r.recipients.clone() } else { domains(&r.recipients) },
        "subject": subject_shown(r, revealed),
        "message_id": r.message_id,
        "severity": r.severity,
        "rule_ids": r.rule_ids,
        "findings": findings_shown(r, revealed),
        "size": r.raw_size,
        "sha256": r.raw_sha256,
        "state_changed_at": opt_time(r.state_changed_at),
        "state_changed_by": r.state_changed_by,
        "state_reason": r.state_reason,
        "release_id": r.release_id,
        "release_requested_at": r.release_request.as_ref().map(|q| rfc3339(q.at)),
        "release_request_reason": r.release_request.as_ref().map(|q| q.reason.as_str()),
        "audit": s.audit,
    })
    .to_string()
}

/// `show` for people, times in `zone`.
pub fn show_text(s: &Shown, zone: &Zone) -> String {
    let r = &s.record;
    let revealed = s.raw.is_some();
    let mut o = String::new();
    let _ = writeln!(o, "Reference:   {}", r.id);
    let _ = writeln!(
        o,
        "State:       {} (decision: {})",
        r.state.as_str(),
        r.action
    );
    if let Some(by) = &r.state_changed_by {
        let _ = writeln!(
            o,
            "Changed:     by {by} at {}{}",
            r.state_changed_at
                .map(|t| zone.short_time(t))
                .unwrap_or_default(),
            r.state_reason
                .as_deref()
                .map(|x| format!(" — reason: {x}"))
                .unwrap_or_default()
        );
    }
    if let (Some(t), Some(rid)) = (r.release_started_at, &r.release_id) {
        let _ = writeln!(
            o,
            "Release:     started at {} (release id {rid}) and NOT confirmed: check the mail log, then --retry-interrupted if it was not delivered",
            zone.short_time(t)
        );
    }
    if let Some(q) = &r.release_request {
        let _ = writeln!(
            o,
            "Requested:   the sender asked for release at {} — reason: {}",
            zone.short_time(q.at),
            q.reason
        );
    }
    let _ = writeln!(o, "Held at:     {}", zone.short_time(r.created_at));
    match (r.has_content, r.expires_at, r.content_erased_at) {
        (_, _, Some(t)) => {
            let _ = writeln!(o, "Content:     erased at {}", zone.short_time(t));
        }
        (true, Some(t), None) => {
            let _ = writeln!(
                o,
                "Expires:     {} (content erased then; record kept)",
                zone.short_time(t)
            );
        }
        _ => {}
    }
    let _ = writeln!(o, "Queue id:    {}", r.queue_id.as_deref().unwrap_or("-"));
    let _ = writeln!(
        o,
        "Sender:      {}",
        if r.sender.is_empty() { "<>" } else { &r.sender }
    );
    if let Some(a) = &r.auth_user {
        let _ = writeln!(o, "Logged in:   {a}");
    }
    let rcpts = if revealed {
        r.recipients.join(", ")
    } else {
        domains(&r.recipients).join(", ")
    };
    let _ = writeln!(o, "Recipients:  {} ({rcpts})", r.recipient_count);
    let _ = writeln!(o, "Subject:     {}", subject_shown(r, revealed));
    let _ = writeln!(o, "Severity:    {}", r.severity.as_deref().unwrap_or("-"));
    let _ = writeln!(
        o,
        "Size:        {} bytes, sha256 {}",
        r.raw_size,
        r.raw_sha256.as_deref().unwrap_or("-")
    );
    let _ = writeln!(o, "Findings (evidence masked):");
    for f in &findings_shown(r, revealed) {
        let _ = writeln!(
            o,
            "  - rule {} [{}] {} in {}: {} (x{}, {} confidence)",
            f.rule, f.severity, f.category, f.location, f.evidence, f.count, f.confidence
        );
        let _ = writeln!(o, "    policy: {}", f.policy);
    }
    for id in &r.rule_ids {
        if !r.findings.iter().any(|f| &f.rule == id) {
            let _ = writeln!(o, "  - rule {id}: an attachment could not be scanned");
        }
    }
    let _ = writeln!(o, "Audit trail:");
    for e in &s.audit {
        let _ = writeln!(
            o,
            "  #{} {} {} by {} {}",
            e.seq,
            zone.short_time(e.at),
            e.event,
            e.actor,
            e.detail
        );
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(created_at: i64) -> Record {
        serde_json::from_value(json!({
            "id": "Q-20260715-AAAAAAAAAA", "action": "hold", "state": "held",
            "created_at": created_at, "expires_at": created_at + 30 * 86_400,
            "queue_id": null, "sender": "teacher@school.org.uk",
            "recipients": ["a@example.com"], "recipient_count": 1, "auth_user": null,
            "client_addr": null, "message_id": null, "subject": "Trip", "severity": "low",
            "rule_ids": ["exposed-recipients"], "findings": [], "raw_sha256": null,
            "raw_size": 0, "has_content": true, "content_erased_at": null,
            "state_changed_at": null, "state_changed_by": null, "state_reason": null,
            "release_id": null, "release_started_at": null
        }))
        .unwrap()
    }

    #[test]
    fn list_text_is_in_the_zone_and_json_stays_utc() {
        let july = record(1_784_098_020); // 2026-07-15 06:47 UTC
        let text = list_text(std::slice::from_ref(&july), &Zone::default());
        assert!(text.contains("2026-07-15 07:47 BST"), "{text}");
        assert!(text.contains("2026-08-14 07:47 BST"), "expiry: {text}");
        let v: serde_json::Value = serde_json::from_str(&list_json(&july)).unwrap();
        assert_eq!(v["created_at"], "2026-07-15T06:47:00Z");
        assert!(v["release_request_reason"].is_null());
        let january = record(1_768_459_620); // 2026-01-15 06:47 UTC
        let text = list_text(&[january], &Zone::default());
        assert!(text.contains("2026-01-15 06:47 GMT"), "{text}");
    }

    #[test]
    fn a_release_request_is_marked_and_shown_with_its_reason() {
        let mut r = record(1_784_098_020);
        r.release_request = Some(crate::quarantine::store::ReleaseRequest {
            at: 1_784_101_620,
            reason: "Parent consented".into(),
        });
        let text = list_text(std::slice::from_ref(&r), &Zone::default());
        assert!(text.contains("held+"), "{text}");
        let shown = Shown {
            record: r,
            audit: vec![],
            raw: None,
        };
        let text = show_text(&shown, &Zone::default());
        assert!(
            text.contains(
                "the sender asked for release at 2026-07-15 08:47 BST — reason: Parent consented"
            ),
            "{text}"
        );
    }
}
