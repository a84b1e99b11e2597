//! The audit trail covers the `records` table: every entry that creates or
//! changes a record (held, released, deleted, expired/purged, ...) carries
//! the record's new state in its detail, so the entry's MAC covers it.
//! `audit verify` then checks each record's current state against the last
//! entry that recorded it: a record flipped from `deleted` to `released` (or
//! its reviewer or reason edited) directly in the database is named.

use super::store::Record;
use crate::audit::{Broken, Entry};
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// The detail key the state is recorded under.
pub const KEY: &str = "record";

/// The state fields a person can change, as recorded: the state, who, when,
/// why, whether the content was erased, the release id, and a digest of
/// them all (what the check compares).
pub fn snapshot(r: &Record) -> serde_json::Value {
    let mut fields = serde_json::json!({
        "state": r.state.as_str(),
        "changed_at": r.state_changed_at,
        "changed_by": r.state_changed_by,
        "reason": r.state_reason,
        "content_erased_at": r.content_erased_at,
        "release_id": r.release_id,
    });
    // A sender's release request is covered too, but only once there is
    // one: records without it keep the digest they were sealed with.
    if let (Some(rr), Some(m)) = (&r.release_request, fields.as_object_mut()) {
        m.insert(
            "release_request".into(),
            serde_json::json!({ "at": rr.at, "reason": rr.reason }),
        );
    }
    let digest = hex::encode(Sha256::digest(fields.to_string().as_bytes()));
    serde_json::json!({ "state": r.state.as_str(), "sha256": digest })
}

/// `detail` with the record's state added (an object; anything else is
/// wrapped so nothing is lost).
pub fn with_snapshot(detail: &serde_json::Value, r: &Record) -> serde_json::Value {
    let mut d = match detail {
        serde_json::Value::Object(m) => m.clone(),
        other => {
            let mut m = serde_json::Map::new();
            m.insert("detail".into(), other.clone());
            m
        }
    };
    d.insert(KEY.into(), snapshot(r));
    serde_json::Value::Object(d)
}

/// Checks every record against the last verified entry that recorded its
/// state. Records with no such entry (written before this check existed)
/// are skipped.
pub fn check(entries: &[Entry], records: &[Record]) -> Result<usize, Broken> {
    let mut last: HashMap<&str, (i64, serde_json::Value)> = HashMap::new();
    for e in entries {
        let Some(id) = e.message_id.as_deref() else {
            continue;
        };
        let Ok(serde_json::Value::Object(d)) = serde_json::from_str::<serde_json::Value>(&e.detail)
        else {
            continue;
        };
        if let Some(s) = d.get(KEY) {
            last.insert(id, (e.seq, s.clone()));
        }
    }
    let mut checked = 0;
    for r in records {
        let Some((seq, recorded)) = last.get(r.id.as_str()) else {
            continue;
        };
        let now = snapshot(r);
        if &now != recorded {
            return Err(Broken {
                seq: *seq,
                reason: format!(
                    "record {} is now {} but this entry recorded it as {} (the records table was changed outside the milter)",
                    r.id,
                    r.state.as_str(),
                    recorded.get("state").and_then(|s| s.as_str()).unwrap_or("?")
                ),
            });
        }
        checked += 1;
    }
    Ok(checked)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quarantine::store::State;

    fn record(state: State, by: &str) -> Record {
        serde_json::from_value(serde_json::json!({
            "id": "Q-1", "action": "hold", "state": state.as_str(), "created_at": 0,
            "expires_at": null, "queue_id": null, "sender": "a@b", "recipients": [],
            "recipient_count": 1, "auth_user": null, "client_addr": null, "message_id": null,
            "subject": null, "severity": null, "rule_ids": [], "findings": [],
            "raw_sha256": null, "raw_size": 0, "has_content": true, "content_erased_at": null,
            "state_changed_at": 5, "state_changed_by": by, "state_reason": "r",
            "release_id": null, "release_started_at": null
        }))
        .unwrap()
    }

    fn entry(seq: i64, detail: serde_json::Value) -> Entry {
        Entry {
            seq,
            at: seq,
            event: "deleted".into(),
            message_id: Some("Q-1".into()),
            actor: "dpo".into(),
            detail: detail.to_string(),
            prev_hash: String::new(),
            keyed: true,
            hash: String::new(),
        }
    }

    #[test]
    fn the_last_recorded_state_must_match() {
        let held = record(State::Held, "milter");
        let deleted = record(State::Deleted, "dpo");
        let entries = vec![
            entry(1, with_snapshot(&serde_json::json!({}), &held)),
            entry(
                2,
                with_snapshot(&serde_json::json!({"reason": "x"}), &deleted),
            ),
            // Entries without a state (viewed, notice sent) do not count.
            entry(3, serde_json::json!({"viewed": true})),
        ];
        assert_eq!(check(&entries, std::slice::from_ref(&deleted)), Ok(1));
        let e = check(&entries, &[record(State::Released, "dpo")]).unwrap_err();
        assert_eq!(e.seq, 2);
        assert!(e.reason.contains("recorded it as deleted"), "{}", e.reason);
        // Same state, other reviewer: caught too.
        assert_eq!(
            check(&entries, &[record(State::Deleted, "someone")])
                .unwrap_err()
                .seq,
            2
        );
        // A record with no recorded state (older trail) is skipped.
        assert_eq!(check(&[], &[deleted]), Ok(0));
    }

    #[test]
    fn a_release_request_is_covered_without_changing_older_digests() {
        let plain = record(State::Held, "milter");
        // Records sealed before release requests existed keep their digest:
        // this is the digest of the six original fields alone.
        let fields = serde_json::json!({
            "state": "held", "changed_at": 5, "changed_by": "milter", "reason": "r",
            "content_erased_at": null, "release_id": null,
        });
        assert_eq!(
            snapshot(&plain)["sha256"],
            hex::encode(Sha256::digest(fields.to_string().as_bytes()))
        );
        let mut asked = plain.clone();
        asked.release_request = Some(crate::quarantine::store::ReleaseRequest {
            at: 9,
            reason: "consented".into(),
        });
        assert_ne!(snapshot(&asked), snapshot(&plain));
        let mut edited = asked.clone();
        if let Some(q) = edited.release_request.as_mut() {
            q.reason = "edited in the database".into();
        }
        assert_ne!(snapshot(&edited), snapshot(&asked));
    }

    #[test]
    fn snapshot_keeps_the_other_detail() {
        let d = with_snapshot(
            &serde_json::json!({"rules": ["r1"]}),
            &record(State::Held, "m"),
        );
        assert_eq!(d["rules"][0], "r1");
        assert_eq!(d[KEY]["state"], "held");
    }
}
