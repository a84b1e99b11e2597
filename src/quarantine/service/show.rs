//! Showing one record with its audit trail; every look is audited, and a
//! look at the original bytes (reveal) is audited as such.

use super::Quarantine;
use crate::audit::{self, Event, NewEntry};
use crate::dates::now;
use crate::quarantine::store::Record;
use crate::quarantine::QuarantineError;

/// What `show` returns.
#[derive(Debug, Clone)]
pub struct Shown {
    pub record: Record,
    pub audit: Vec<audit::Entry>,
    /// The original bytes, only when revealed.
    pub raw: Option<Vec<u8>>,
}

impl Quarantine {
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
}
