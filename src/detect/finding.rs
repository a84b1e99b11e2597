//! Findings: what a detector reports. The vocabulary here is the `scan` JSON
//! contract, so names and serialisations are stable.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The four things the outbound policy is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    ExposedRecipients,
    PersonalData,
    UnencryptedAttachment,
    InlinePassword,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::ExposedRecipients => "exposed_recipients",
            Category::PersonalData => "personal_data",
            Category::UnencryptedAttachment => "unencrypted_attachment",
            Category::InlinePassword => "inline_password",
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How sure a detector is. Ordered, so rules can ask for a minimum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    Low,
    Medium,
    High,
}

impl Confidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}

/// Where in the message a finding was made. Serialises to the contract's
/// strings: `subject`, `body`, `header:To`, `attachment:<path>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Location {
    Subject,
    Body,
    Header(String),
    /// Path of the attachment; nested files are `outer.zip/inner.csv`.
    Attachment(String),
}

impl Location {
    /// The location's kind as rules name it: `subject`, `body`, `header`, `attachment`.
    pub fn kind(&self) -> &'static str {
        match self {
            Location::Subject => "subject",
            Location::Body => "body",
            Location::Header(_) => "header",
            Location::Attachment(_) => "attachment",
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Subject => f.write_str("subject"),
            Location::Body => f.write_str("body"),
            Location::Header(h) => write!(f, "header:{h}"),
            Location::Attachment(p) => write!(f, "attachment:{p}"),
        }
    }
}

impl Serialize for Location {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// One thing a detector found. `evidence` is always masked; the unmasked
/// secret for password redaction is kept in `redact`, which is never serialised.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub category: Category,
    pub detector: &'static str,
    pub location: Location,
    pub confidence: Confidence,
    /// Masked evidence, safe for logs, headers and notices.
    pub evidence: String,
    /// How many occurrences this finding stands for (e.g. 2 UPNs in one CSV, 31 visible recipients).
    pub count: usize,
    /// For exposed recipients: how many distinct organisations the `count`
    /// addresses belong to (a rule with `count = "organisations"` compares
    /// its `min_count` with this). Absent for every other finding.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organisations: Option<usize>,
    /// For inline passwords: the literal text to redact in a rewrite. Never serialised or logged.
    #[serde(skip)]
    pub redact: Option<String>,
}

impl Finding {
    pub fn new(
        category: Category,
        detector: &'static str,
        location: Location,
        confidence: Confidence,
        evidence: impl Into<String>,
    ) -> Self {
        Finding {
            category,
            detector,
            location,
            confidence,
            evidence: evidence.into(),
            count: 1,
            organisations: None,
            redact: None,
        }
    }
}
