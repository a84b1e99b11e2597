//! Incident export for the breach log: one row per decision, with what UK
//! GDPR Art. 33 asks a controller to record (Art. 33(5)) and, for reportable
//! breaches, to tell the ICO within 72 hours (Art. 33(3)): the nature of the
//! incident, the categories and approximate number of people and records
//! concerned, the likely consequences, and the measures taken.
//!
//! Held, rejected and rewritten messages are "near misses" (the data did not
//! leave, or left protected); they belong in the log all the same, and the
//! `delivered` column says which ones did leave.

use super::store::{Record, State};
use serde::Serialize;

/// One line of the breach log.
#[derive(Debug, Clone, Serialize)]
pub struct Incident {
    pub reference: String,
    /// When the milter caught it (RFC 3339, UTC).
    pub detected_at: String,
    /// `held`, `rewritten`, `rejected`, `tagged`.
    pub decision: String,
    /// Where it stands now: `held`, `released`, `deleted`, `expired`, `delivered`, `rejected`.
    pub state: String,
    pub severity: String,
    /// The nature of the incident, in plain words.
    pub nature: String,
    /// Finding categories (`personal_data`, `exposed_recipients`, ...).
    pub categories: String,
    pub rule_ids: String,
    /// The policy clauses the rules enforce.
    pub policy_clauses: String,
    /// Approximate number of people whose data was concerned.
    pub people_affected: usize,
    /// Approximate number of personal-data records (identifiers, rows, addresses).
    pub records_affected: usize,
    /// Envelope recipients of the message.
    pub recipients: usize,
    pub sender: String,
    /// Whether the message reached its recipients (released, or delivered after a rewrite).
    pub delivered: bool,
    /// Likely consequences, as far as the milter can tell.
    pub likely_consequences: String,
    /// What was done: held, rewritten, released/deleted by whom and why.
    pub measures_taken: String,
    pub decided_by: String,
    pub decided_at: String,
    pub reason: String,
    pub content_erased_at: String,
    pub queue_id: String,
}

fn category_words(c: &str) -> &'static str {
    match c {
        "exposed_recipients" => "recipients' email addresses exposed to each other",
        "personal_data" => "personal data in the message",
        "unencrypted_attachment" => "personal data in an unencrypted attachment",
        "inline_password" => "a password in the message text",
        _ => "an attachment that could not be checked",
    }
}

fn uniq(items: impl Iterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for i in items {
        if !out.contains(&i) {
            out.push(i);
        }
    }
    out
}

/// The breach-log line for one record.
pub fn incident(r: &Record) -> Incident {
    let categories = uniq(r.findings.iter().map(|f| f.category.clone()));
    let mut nature: Vec<&str> = categories.iter().map(|c| category_words(c)).collect();
    if categories.is_empty()
        || r.rule_ids.len() > uniq(r.findings.iter().map(|f| f.rule.clone())).len()
    {
        nature.push(category_words(""));
    }
    nature.dedup();
    let records: usize = r
        .findings
        .iter()
        .filter(|f| f.category != "exposed_recipients")
        .map(|f| f.count)
        .sum();
    // Exposed recipients: every visible address is a person affected.
    // Personal data: at best we know how many identifiers there were; one
    // person per identifier is the usual estimate.
    let exposed: usize = r
        .findings
        .iter()
        .filter(|f| f.category == "exposed_recipients")
        .map(|f| f.count)
        .max()
        .unwrap_or(0);
    let people = exposed.max(records);
    let by = r.state_changed_by.clone().unwrap_or_default();
    let when = r
        .state_changed_at
        .map(crate::dates::rfc3339)
        .unwrap_or_default();
    let reason = r.state_reason.clone().unwrap_or_default();
    let decision = match r.action.as_str() {
        "hold" => "held",
        "rewrite" => "rewritten",
        "reject" => "rejected",
        _ => "tagged",
    };
    let first = match decision {
        "held" => "Held before delivery",
        "rewritten" => "Changed before delivery to protect the data",
        "rejected" => "Refused at submission, not delivered",
        _ => "Tagged only, delivered unchanged",
    };
    let then = match r.state {
        State::Released => format!("; released by {by} at {when} (reason: {reason})"),
        State::Deleted => format!("; deleted by {by} at {when} (reason: {reason})"),
        State::Expired => format!("; not released, content erased at {when} when retention ended"),
        State::Held => "; awaiting review".to_string(),
        _ => String::new(),
    };
    let delivered = matches!(r.state, State::Released | State::Delivered)
        && !(r.action == "tag" && r.findings.is_empty());
    let consequences = match (r.state, decision) {
        (State::Released, _) => "Delivered after review; the reviewer judged it safe".to_string(),
        (State::Delivered, "rewritten") => {
            "Delivered with the data protected; low risk".to_string()
        }
        (State::Delivered, _) => {
            "Delivered unchanged (monitor/tag rule): assess whether a breach occurred".to_string()
        }
        _ => "None expected: the message was not delivered".to_string(),
    };
    Incident {
        reference: r.id.clone(),
        detected_at: crate::dates::rfc3339(r.created_at),
        decision: decision.to_string(),
        state: r.state.as_str().to_string(),
        severity: r.severity.clone().unwrap_or_default(),
        nature: nature.join("; "),
        categories: categories.join(" "),
        rule_ids: r.rule_ids.join(" "),
        policy_clauses: uniq(r.findings.iter().map(|f| f.policy.clone())).join(" | "),
        people_affected: people,
        records_affected: records.max(exposed),
        recipients: r.recipient_count,
        sender: r.sender.clone(),
        delivered,
        likely_consequences: consequences,
        measures_taken: format!("{first}{then}"),
        decided_by: by,
        decided_at: when,
        reason,
        content_erased_at: r
            .content_erased_at
            .map(crate::dates::rfc3339)
            .unwrap_or_default(),
        queue_id: r.queue_id.clone().unwrap_or_default(),
    }
}

/// Characters that make a spreadsheet treat a cell as a formula (or, for
/// tab and CR, let a cell smuggle one in after a separator), per the OWASP
/// CSV-injection guidance.
const FORMULA_LEADS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A cell a spreadsheet will show as text: a cell that starts with a formula
/// character gets a leading `'`, the OWASP CSV-injection remedy. Sender
/// addresses and reasons come from mail senders and reviewers, and the DPO
/// opens this file in Excel, so `=HYPERLINK(...)` in a sender must stay text.
pub fn neutralise_cell(cell: &str) -> String {
    match cell.chars().next() {
        Some(c) if FORMULA_LEADS.contains(&c) => format!("'{cell}"),
        _ => cell.to_string(),
    }
}

impl Incident {
    /// The same incident with every text cell neutralised for spreadsheets.
    fn neutralised(&self) -> Incident {
        let n = |s: &String| neutralise_cell(s);
        Incident {
            reference: n(&self.reference),
            detected_at: n(&self.detected_at),
            decision: n(&self.decision),
            state: n(&self.state),
            severity: n(&self.severity),
            nature: n(&self.nature),
            categories: n(&self.categories),
            rule_ids: n(&self.rule_ids),
            policy_clauses: n(&self.policy_clauses),
            people_affected: self.people_affected,
            records_affected: self.records_affected,
            recipients: self.recipients,
            sender: n(&self.sender),
            delivered: self.delivered,
            likely_consequences: n(&self.likely_consequences),
            measures_taken: n(&self.measures_taken),
            decided_by: n(&self.decided_by),
            decided_at: n(&self.decided_at),
            reason: n(&self.reason),
            content_erased_at: n(&self.content_erased_at),
            queue_id: n(&self.queue_id),
        }
    }
}

/// The incidents as CSV (a header row, then one row each), every text cell
/// neutralised against formula injection ([`neutralise_cell`]).
pub fn to_csv(incidents: &[Incident]) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for i in incidents {
        w.serialize(i.neutralised())?;
    }
    if incidents.is_empty() {
        // serde-driven headers come with the first row; write them anyway.
        w.write_record([
            "reference",
            "detected_at",
            "decision",
            "state",
            "severity",
            "nature",
            "categories",
            "rule_ids",
            "policy_clauses",
            "people_affected",
            "records_affected",
            "recipients",
            "sender",
            "delivered",
            "likely_consequences",
            "measures_taken",
            "decided_by",
            "decided_at",
            "reason",
            "content_erased_at",
            "queue_id",
        ])?;
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_leads_are_neutralised() {
        for bad in ["=1+1", "+cmd", "-2+3", "@SUM(A1)", "\t=1", "\r=1"] {
            let out = neutralise_cell(bad);
            assert_eq!(out, format!("'{bad}"), "{bad:?}");
        }
    }

    #[test]
    fn ordinary_cells_are_unchanged() {
        for ok in [
            "alice@school.example",
            "held",
            "a-b=c",
            "",
            "2026-12-07T10:00:00Z",
        ] {
            assert_eq!(neutralise_cell(ok), ok);
        }
    }

    #[test]
    fn csv_rows_carry_neutralised_sender_and_reason() {
        let r = Record {
            id: "Q-20261207-00000001".into(),
            action: "hold".into(),
            state: State::Deleted,
            created_at: 1_800_000_000,
            expires_at: None,
            queue_id: Some("-queue".into()),
            sender: "=HYPERLINK(\"http://x.example\",\"click\")@evil.example".into(),
            recipients: vec!["a@b.example".into()],
            recipient_count: 1,
            auth_user: None,
            client_addr: None,
            message_id: None,
            subject: Some("@subject".into()),
            severity: Some("high".into()),
            rule_ids: vec![],
            findings: vec![],
            raw_sha256: None,
            raw_size: 0,
            has_content: false,
            content_erased_at: None,
            state_changed_at: Some(1_800_000_100),
            state_changed_by: Some("-dpo".into()),
            state_reason: Some("+SUM(1,2)".into()),
            release_id: None,
            release_started_at: None,
            release_request: None,
        };
        let csv = to_csv(&[incident(&r)]).unwrap();
        let text = String::from_utf8(csv).unwrap();
        let mut rd = csv::Reader::from_reader(text.as_bytes());
        let headers = rd.headers().unwrap().clone();
        let row = rd.records().next().unwrap().unwrap();
        let col = |name: &str| {
            let i = headers.iter().position(|h| h == name).unwrap();
            row.get(i).unwrap().to_string()
        };
        assert!(
            col("sender").starts_with("'=HYPERLINK"),
            "{}",
            col("sender")
        );
        assert_eq!(col("reason"), "'+SUM(1,2)");
        // No cell in the row may start with a formula character.
        for cell in row.iter() {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "unneutralised cell {cell:?}"
            );
        }
    }
}
