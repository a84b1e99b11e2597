//! Detectors: text (and headers) in, [`Finding`]s out.
//!
//! Stage 3 of the flow (message → text → **detectors** → policy → actions).
//! Text detectors implement [`Detector`]; each scans one [`TextUnit`] (the
//! subject, a body, or the text extracted from an attachment) in few passes:
//! a cheap prefilter (one combined regex or Aho-Corasick automaton) finds
//! candidates, then each candidate is validated (checksums, context words,
//! proximity). The recipients check works on headers and envelope instead,
//! see [`recipients`].

pub mod bounds;
pub mod finding;
pub mod identifiers;
pub mod mask;
pub mod password;
pub mod recipients;
pub mod special;
#[cfg(test)]
pub mod testing;

pub use finding::{Category, Confidence, Finding, Location};

/// What kind of text a unit is: owned by extraction, which decides it.
pub use crate::extract::TextKind;

/// One piece of text to scan, with where it came from.
#[derive(Debug, Clone)]
pub struct TextUnit<'a> {
    pub location: Location,
    pub kind: TextKind,
    pub text: &'a str,
}

/// Facts about the whole message that some detectors need.
#[derive(Debug, Clone, Default)]
pub struct MessageContext {
    /// At least one attachment is encrypted (ZIP, PDF, Office, ...).
    pub has_encrypted_attachment: bool,
    /// Names of the encrypted attachments, for evidence.
    pub encrypted_attachments: Vec<String>,
}

/// A text detector. Implementations are pure and synchronous so the `scan`
/// command, the milter, tests and benchmarks share one code path.
pub trait Detector: Send + Sync {
    /// The detector ids this detector can emit (rules refer to them).
    fn ids(&self) -> &'static [&'static str];
    /// Scans one unit, appending findings (with masked evidence) to `out`.
    fn scan(&self, unit: &TextUnit<'_>, ctx: &MessageContext, out: &mut Vec<Finding>);
}

/// The detector ids known to the engine, for validating rules.
pub fn known_detector_ids() -> Vec<&'static str> {
    let mut ids: Vec<&'static str> = vec![recipients::DETECTOR_ID];
    for d in default_detectors() {
        ids.extend_from_slice(d.ids());
    }
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// All text detectors, built once per engine (their automata are compiled here).
pub fn default_detectors() -> Vec<Box<dyn Detector>> {
    vec![
        Box::new(identifiers::IdentifierDetector::new()),
        Box::new(special::SpecialCategoryDetector::new()),
        Box::new(password::PasswordDetector::new()),
    ]
}
