//! Releasing: the original bytes go back to the relay with a signed
//! release marker the milter honours once; the record changes only after the
//! relay accepted them, and an unconfirmed send blocks a second release.

use super::{must_be_held, Quarantine};
use crate::audit::{Event, NewEntry};
use crate::dates::{now, rfc2822, rfc3339};
use crate::quarantine::store::{Change, Record, State};
use crate::quarantine::{marker, relay, QuarantineError};
use std::time::Duration;

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

impl Quarantine {
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
        added.push(("Date".into(), rfc2822(rec.created_at)));
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

#[cfg(test)]
mod tests {
    use super::*;

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
