//! Deleting: the DPO's decision that a held message must not go; its
//! content is erased at once, the record and audit trail stay.

use super::{must_be_held, Quarantine};
use crate::audit::{Event, NewEntry};
use crate::dates::{now, rfc3339};
use crate::quarantine::store::{Change, Record, State};
use crate::quarantine::QuarantineError;

impl Quarantine {
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
}
