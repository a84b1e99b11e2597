//! Exporting the incidents of a period (the DPO's breach log); the export
//! itself is audited. The incident's shape is [`crate::quarantine::export`].

use super::Quarantine;
use crate::audit::{Event, NewEntry};
use crate::dates::{now, rfc3339};
use crate::quarantine::export::{self, Incident};
use crate::quarantine::store::Filter;
use crate::quarantine::QuarantineError;

impl Quarantine {
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
}
