//! Retention: the content of a record whose retention period ended is
//! erased (held ones become `expired`); run by `quarantine purge` and hourly
//! by the notice thread.

use super::Quarantine;
use crate::audit::{Event, NewEntry};
use crate::quarantine::store::{Change, Record, State, Store};
use crate::quarantine::QuarantineError;

impl Quarantine {
    /// Erases the content of every record whose retention ended by `now`.
    pub fn purge(&self, now: i64) -> Result<Vec<String>, QuarantineError> {
        expire_due(self.store.as_ref(), now)
    }
}

/// Retention: erases the content of records due at `now`; held ones become
/// `expired`. Each erasure is audited.
pub(super) fn expire_due(store: &dyn Store, now: i64) -> Result<Vec<String>, QuarantineError> {
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
