//! The policy: rules/*.toml → compiled [`Policy`]; findings + envelope →
//! [`Decision`]. Pure and synchronous.
//!
//! Stage 4 of the flow. Each rule quotes the clause of the organisation's
//! acceptable-use policy it enforces, so every decision can be explained in
//! the staff member's own policy's words.

mod rules;
mod verdict;

pub use rules::{
    load_dir, load_embedded, parse_rules, Action, PolicyMode, Rule, RuleFile, RulesError, Severity,
    DEFAULT_DIRECTIONS,
};
pub use verdict::{decide, decide_for, Decision, Matched, PlannedAction};

use crate::detect::recipients::CountUnit;
use crate::detect::Category;
use crate::direction::Direction;

/// A compiled, validated policy. Immutable once built; a reload builds a new one.
#[derive(Debug, Clone)]
pub struct Policy {
    pub mode: PolicyMode,
    pub rules: Vec<Rule>,
    /// Senders whose mail is never acted on (e.g. the DPO's own address).
    pub allow_senders: Vec<String>,
    /// Recipient domains that are trusted (e.g. a secure council or NHS
    /// domain): when every recipient is in one, rules marked
    /// `honour_recipient_allowlist` do not fire.
    pub allow_recipient_domains: Vec<String>,
    /// Subject that replaces one carrying personal data, when a rule rewrites it.
    pub neutral_subject: String,
}

impl Policy {
    /// The lowest `min_count` among enabled rules for a detector, so the
    /// detector can report everything any rule might act on.
    pub fn min_count_for(&self, category: Category, detector: &str) -> Option<usize> {
        self.rules
            .iter()
            .filter(|r| r.enabled && r.category == category && r.applies_to_detector(detector))
            .map(|r| r.min_count)
            .min()
    }

    /// The unit the exposed-recipients rule with the lowest `min_count`
    /// counts in (what the finding's explanation leads with).
    pub fn count_unit_for(&self, category: Category, detector: &str) -> CountUnit {
        self.rules
            .iter()
            .filter(|r| r.enabled && r.category == category && r.applies_to_detector(detector))
            .min_by_key(|r| r.min_count)
            .map(|r| r.count)
            .unwrap_or_default()
    }

    /// The rule for unreadable document attachments, if any.
    pub fn unscanned_rule(&self) -> Option<&Rule> {
        self.rules.iter().find(|r| r.enabled && r.on_unscanned)
    }

    /// The rule for unreadable document attachments that covers `direction`.
    pub fn unscanned_rule_for(&self, direction: Direction) -> Option<&Rule> {
        self.rules
            .iter()
            .find(|r| r.enabled && r.on_unscanned && r.applies_to_direction(direction))
    }
}
