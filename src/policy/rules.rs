//! The rules format (TOML under rules/) and its validation. Errors name the
//! file, the line and what is wrong, because admins edit these by hand.

use crate::detect::recipients::CountUnit;
use crate::detect::{Category, Confidence, Location};
use crate::direction::Direction;
use serde::{Deserialize, Serialize};
use std::path::Path;
use thiserror::Error;

/// What a rule does when it matches. Ordered by strength: the strongest
/// action among matched rules is the message's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Accept,
    Tag,
    Rewrite,
    Hold,
    Reject,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Accept => "accept",
            Action::Tag => "tag",
            Action::Rewrite => "rewrite",
            Action::Hold => "hold",
            Action::Reject => "reject",
        }
    }
}

/// How serious a breach the rule guards against; high-severity holds alert the DPO.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Low,
    Medium,
    High,
}

impl Severity {
    /// The name records, exports and notices use (as in the rules files).
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }
}

/// `enforce` acts; `monitor` reports what it would do and never acts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum PolicyMode {
    #[default]
    Enforce,
    Monitor,
}

/// What a rule is about: one of the four finding categories, or an
/// attachment that could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleCategory {
    ExposedRecipients,
    PersonalData,
    UnencryptedAttachment,
    InlinePassword,
    /// A document attachment that could not be read (corrupt, unsupported, over a limit).
    UnscannedAttachment,
}

impl RuleCategory {
    fn finding_category(self) -> Option<Category> {
        match self {
            RuleCategory::ExposedRecipients => Some(Category::ExposedRecipients),
            RuleCategory::PersonalData => Some(Category::PersonalData),
            RuleCategory::UnencryptedAttachment => Some(Category::UnencryptedAttachment),
            RuleCategory::InlinePassword => Some(Category::InlinePassword),
            RuleCategory::UnscannedAttachment => None,
        }
    }
}

fn default_true() -> bool {
    true
}
fn default_one() -> usize {
    1
}
fn default_low() -> Confidence {
    Confidence::Low
}

/// One `[[rule]]` as written in a rules file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    pub id: toml::Spanned<String>,
    #[serde(default)]
    pub description: String,
    pub category: RuleCategory,
    /// Detector ids this rule applies to; empty means every detector of the category.
    #[serde(default)]
    pub detectors: Vec<toml::Spanned<String>>,
    /// Location kinds (`subject`, `body`, `header`, `attachment`); empty means all.
    #[serde(default)]
    pub locations: Vec<toml::Spanned<String>>,
    #[serde(default = "default_low")]
    pub min_confidence: Confidence,
    /// Threshold: the finding's count must be at least this (e.g. 6 visible recipients).
    #[serde(default = "default_one")]
    pub min_count: usize,
    /// Exposed recipients only: what `min_count` counts (`addresses` or
    /// `organisations`, the default).
    pub count: Option<toml::Spanned<CountUnit>>,
    /// `monitor`: this rule's decisions are reported (findings, scan JSON,
    /// logs, a tag header) but not carried out, while the others enforce.
    pub mode: Option<toml::Spanned<PolicyMode>>,
    /// The directions the rule applies to: `outbound`, `internal` (default
    /// both). Inbound mail is never scanned, so `inbound` is refused.
    pub directions: Option<toml::Spanned<Vec<Direction>>>,
    pub severity: Severity,
    pub action: toml::Spanned<Action>,
    /// The clause of the acceptable-use policy this rule enforces, in staff's words.
    pub policy: String,
    /// How to put it right, for the hold notice.
    #[serde(default)]
    pub fix: String,
    /// The sender may release the hold themselves with a written justification.
    #[serde(default)]
    pub sender_may_release: bool,
    #[serde(default = "default_true")]
    pub enabled: bool,
    #[serde(default)]
    pub allow_senders: Vec<String>,
    #[serde(default)]
    pub allow_recipient_domains: Vec<String>,
}

/// The optional `[policy]` table.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct PolicySpec {
    pub mode: Option<PolicyMode>,
    pub neutral_subject: Option<String>,
    #[serde(default)]
    pub allow_senders: Vec<String>,
    #[serde(default)]
    pub allow_recipient_domains: Vec<String>,
}

/// One rules file.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    pub policy: Option<PolicySpec>,
    #[serde(default, rename = "rule")]
    pub rules: Vec<RuleSpec>,
}

/// A validated rule.
#[derive(Debug, Clone, Serialize)]
pub struct Rule {
    pub id: String,
    pub description: String,
    #[serde(skip)]
    pub category: Category,
    /// True for an `unscanned_attachment` rule.
    pub on_unscanned: bool,
    pub detectors: Vec<String>,
    pub locations: Vec<String>,
    pub min_confidence: Confidence,
    pub min_count: usize,
    /// What `min_count` counts, for exposed recipients.
    pub count: CountUnit,
    /// `Monitor`: report what the rule would do, do not do it.
    pub mode: PolicyMode,
    /// The directions it applies to (never empty, never inbound).
    pub directions: Vec<Direction>,
    pub severity: Severity,
    pub action: Action,
    pub policy: String,
    pub fix: String,
    pub sender_may_release: bool,
    pub enabled: bool,
    pub allow_senders: Vec<String>,
    pub allow_recipient_domains: Vec<String>,
    /// The file the rule came from, for messages.
    pub source: String,
}

impl Rule {
    pub fn applies_to_detector(&self, detector: &str) -> bool {
        self.detectors.is_empty() || self.detectors.iter().any(|d| d == detector)
    }

    pub fn applies_to_location(&self, location: &Location) -> bool {
        self.locations.is_empty() || self.locations.iter().any(|l| l == location.kind())
    }

    pub fn applies_to_direction(&self, direction: Direction) -> bool {
        self.directions.contains(&direction)
    }

    /// The number this rule compares with `min_count`: for exposed
    /// recipients counted by organisation, the organisations the visible
    /// addresses belong to; otherwise the finding's count.
    pub fn counted(&self, f: &crate::detect::Finding) -> usize {
        match self.count {
            CountUnit::Organisations if f.category == Category::ExposedRecipients => {
                f.organisations.unwrap_or(f.count)
            }
            _ => f.count,
        }
    }

    /// True when the rule only reports (`mode = "monitor"` on the rule).
    pub fn monitor(&self) -> bool {
        self.mode == PolicyMode::Monitor
    }
}

/// A rules file that cannot be used. Names the file and line.
#[derive(Debug, Error)]
pub enum RulesError {
    #[error("{file}: cannot read: {source}")]
    Io {
        file: String,
        source: std::io::Error,
    },
    #[error("{file}:{line}: {message}")]
    Invalid {
        file: String,
        line: usize,
        message: String,
    },
    #[error("{0}: no rules found")]
    Empty(String),
}

const KNOWN_LOCATIONS: &[&str] = &["subject", "body", "header", "attachment"];

/// A rule's directions when it names none: internal mail is scanned too
/// (the policies this product enforces, e.g. personal data only in an
/// attachment and never in a subject, apply inside the organisation).
pub const DEFAULT_DIRECTIONS: [Direction; 2] = [Direction::Outbound, Direction::Internal];

/// The rules shipped in rules/, compiled into the binary so it runs with no
/// files installed.
pub const EMBEDDED: &[(&str, &str)] = &[
    (
        "rules/00-policy.toml",
        include_str!("../../rules/00-policy.toml"),
    ),
    (
        "rules/recipients.toml",
        include_str!("../../rules/recipients.toml"),
    ),
    (
        "rules/personal-data.toml",
        include_str!("../../rules/personal-data.toml"),
    ),
    (
        "rules/attachments.toml",
        include_str!("../../rules/attachments.toml"),
    ),
    (
        "rules/passwords.toml",
        include_str!("../../rules/passwords.toml"),
    ),
];

fn line_of(src: &str, offset: usize) -> usize {
    src[..offset.min(src.len())]
        .bytes()
        .filter(|&b| b == b'\n')
        .count()
        + 1
}

/// Parses and validates one file's text. `known` lists valid detector ids.
pub fn parse_rules(
    file: &str,
    src: &str,
    known: &[&str],
) -> Result<(Option<PolicySpec>, Vec<Rule>), RulesError> {
    let parsed: RuleFile = toml::from_str(src).map_err(|e| RulesError::Invalid {
        file: file.to_string(),
        line: e.span().map(|s| line_of(src, s.start)).unwrap_or(0),
        message: e.message().to_string(),
    })?;
    let invalid = |offset: usize, message: String| RulesError::Invalid {
        file: file.to_string(),
        line: line_of(src, offset),
        message,
    };
    let mut rules = Vec::new();
    for spec in parsed.rules {
        let id_at = spec.id.span().start;
        let id = spec.id.get_ref().trim().to_string();
        if id.is_empty()
            || !id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
        {
            return Err(invalid(
                id_at,
                format!(
                    "rule id {id:?} must be non-empty and use only letters, digits, '-', '_', '.'"
                ),
            ));
        }
        if spec.policy.trim().is_empty() {
            return Err(invalid(
                id_at,
                format!("rule {id}: `policy` must quote the clause it enforces"),
            ));
        }
        for d in &spec.detectors {
            if !known.contains(&d.get_ref().as_str()) {
                return Err(invalid(
                    d.span().start,
                    format!(
                        "rule {id}: unknown detector {:?} (known: {})",
                        d.get_ref(),
                        known.join(", ")
                    ),
                ));
            }
        }
        for l in &spec.locations {
            if !KNOWN_LOCATIONS.contains(&l.get_ref().as_str()) {
                return Err(invalid(
                    l.span().start,
                    format!(
                        "rule {id}: unknown location {:?} (known: {})",
                        l.get_ref(),
                        KNOWN_LOCATIONS.join(", ")
                    ),
                ));
            }
        }
        if spec.min_count == 0 {
            return Err(invalid(
                id_at,
                format!("rule {id}: min_count must be at least 1"),
            ));
        }
        let action = *spec.action.get_ref();
        let locations: Vec<String> = spec.locations.iter().map(|l| l.get_ref().clone()).collect();
        if action == Action::Rewrite {
            let rewritable = match spec.category {
                RuleCategory::ExposedRecipients | RuleCategory::InlinePassword => true,
                RuleCategory::PersonalData => locations == ["subject"],
                _ => false,
            };
            if !rewritable {
                return Err(invalid(
                    spec.action.span().start,
                    format!(
                        "rule {id}: `rewrite` can fix exposed recipients, an inline password or a subject (personal_data with locations = [\"subject\"]), not {:?}",
                        spec.category
                    ),
                ));
            }
        }
        if let Some(c) = &spec.count {
            if spec.category != RuleCategory::ExposedRecipients {
                return Err(invalid(
                    c.span().start,
                    format!(
                        "rule {id}: `count` (addresses or organisations) applies to exposed_recipients rules only, not {:?}",
                        spec.category
                    ),
                ));
            }
        }
        let directions = match &spec.directions {
            None => DEFAULT_DIRECTIONS.to_vec(),
            Some(d) => {
                let list = d.get_ref();
                if list.is_empty() || list.contains(&Direction::Inbound) {
                    return Err(invalid(
                        d.span().start,
                        format!(
                            "rule {id}: `directions` lists \"outbound\" and/or \"internal\" (inbound mail is never scanned), not {:?}",
                            list.iter().map(|x| x.as_str()).collect::<Vec<_>>()
                        ),
                    ));
                }
                let mut v = Vec::new();
                for x in list {
                    if !v.contains(x) {
                        v.push(*x);
                    }
                }
                v
            }
        };
        // What the sender may do from the link in their hold notice: release
        // a hold themselves, never one that matters most (a high-severity
        // hold waits for the DPO whatever the rule says), and only a hold.
        if spec.sender_may_release && spec.severity == Severity::High {
            return Err(invalid(
                id_at,
                format!("rule {id}: `sender_may_release = true` cannot apply to a high-severity rule: senders never release high-severity holds themselves (use severity = \"medium\" or \"low\", or let the sender request release)"),
            ));
        }
        if spec.sender_may_release && action != Action::Hold {
            return Err(invalid(
                id_at,
                format!("rule {id}: `sender_may_release` applies to rules whose action is \"hold\", not {:?}", action.as_str()),
            ));
        }
        let on_unscanned = spec.category == RuleCategory::UnscannedAttachment;
        rules.push(Rule {
            id,
            description: spec.description,
            // Unscanned-attachment rules are matched separately; the category is a placeholder.
            category: spec
                .category
                .finding_category()
                .unwrap_or(Category::UnencryptedAttachment),
            on_unscanned,
            detectors: spec.detectors.iter().map(|d| d.get_ref().clone()).collect(),
            locations,
            min_confidence: spec.min_confidence,
            min_count: spec.min_count,
            count: spec.count.map(|c| *c.get_ref()).unwrap_or_default(),
            mode: spec.mode.map(|m| *m.get_ref()).unwrap_or_default(),
            directions,
            severity: spec.severity,
            action,
            policy: spec.policy.trim().to_string(),
            fix: spec.fix.trim().to_string(),
            sender_may_release: spec.sender_may_release,
            enabled: spec.enabled,
            allow_senders: lower(spec.allow_senders),
            allow_recipient_domains: lower(spec.allow_recipient_domains),
            source: file.to_string(),
        });
    }
    Ok((parsed.policy, rules))
}

fn lower(v: Vec<String>) -> Vec<String> {
    v.into_iter()
        .map(|s| s.trim().to_ascii_lowercase())
        .collect()
}

/// Builds a policy from (file name, text) pairs.
fn build(files: &[(String, String)], origin: &str) -> Result<super::Policy, RulesError> {
    let known = crate::detect::known_detector_ids();
    let mut policy = super::Policy {
        mode: PolicyMode::Enforce,
        rules: Vec::new(),
        allow_senders: Vec::new(),
        allow_recipient_domains: Vec::new(),
        neutral_subject:
            "Message from the office (subject removed: it contained personal information)".into(),
    };
    for (file, src) in files {
        let (spec, rules) = parse_rules(file, src, &known)?;
        if let Some(p) = spec {
            if let Some(m) = p.mode {
                policy.mode = m;
            }
            if let Some(s) = p.neutral_subject {
                policy.neutral_subject = s;
            }
            policy.allow_senders.extend(lower(p.allow_senders));
            policy
                .allow_recipient_domains
                .extend(lower(p.allow_recipient_domains));
        }
        for r in rules {
            if let Some(prev) = policy.rules.iter().find(|p| p.id == r.id) {
                return Err(RulesError::Invalid {
                    file: file.clone(),
                    line: src
                        .find(&format!("\"{}\"", r.id))
                        .map(|o| line_of(src, o))
                        .unwrap_or(0),
                    message: format!(
                        "duplicate rule id {:?} (first defined in {})",
                        r.id, prev.source
                    ),
                });
            }
            policy.rules.push(r);
        }
    }
    if policy.rules.is_empty() {
        return Err(RulesError::Empty(origin.to_string()));
    }
    Ok(policy)
}

/// The shipped default policy.
pub fn load_embedded() -> Result<super::Policy, RulesError> {
    let files: Vec<(String, String)> = EMBEDDED
        .iter()
        .map(|(n, s)| (n.to_string(), s.to_string()))
        .collect();
    build(&files, "embedded rules")
}

/// Loads every `*.toml` in `dir`, in name order.
pub fn load_dir(dir: &Path) -> Result<super::Policy, RulesError> {
    let io = |e: std::io::Error| RulesError::Io {
        file: dir.display().to_string(),
        source: e,
    };
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .map_err(io)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    names.sort();
    let mut files = Vec::new();
    for p in names {
        let src = std::fs::read_to_string(&p).map_err(|e| RulesError::Io {
            file: p.display().to_string(),
            source: e,
        })?;
        files.push((p.display().to_string(), src));
    }
    build(&files, &dir.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const KNOWN: &[&str] = &["uk_nino", "recipient_count"];

    #[test]
    fn embedded_rules_are_valid() {
        let p = load_embedded().expect("shipped rules must validate");
        assert!(p
            .rules
            .iter()
            .any(|r| r.category == Category::ExposedRecipients && r.action == Action::Rewrite));
        assert!(p.rules.iter().all(|r| !r.policy.is_empty()));
    }

    #[test]
    fn unknown_detector_names_file_and_line() {
        let src = "[[rule]]\nid = \"x\"\ncategory = \"personal_data\"\ndetectors = [\"uk_ninoo\"]\nseverity = \"high\"\naction = \"hold\"\npolicy = \"p\"\n";
        let err = parse_rules("rules/x.toml", src, KNOWN)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("rules/x.toml:4:"), "{err}");
        assert!(err.contains("uk_ninoo"), "{err}");
    }

    #[test]
    fn syntax_error_has_a_line() {
        let src = "[[rule]]\nid = \"x\"\ncategory = \"personal_data\nseverity = \"high\"\n";
        let err = parse_rules("f.toml", src, KNOWN).unwrap_err().to_string();
        assert!(err.starts_with("f.toml:3:"), "{err}");
    }

    #[test]
    fn unknown_field_is_an_error() {
        let src = "[[rule]]\nid = \"x\"\ncategory = \"personal_data\"\nseverity = \"high\"\naction = \"hold\"\npolicy = \"p\"\nactoin = \"tag\"\n";
        assert!(parse_rules("f.toml", src, KNOWN).is_err());
    }

    #[test]
    fn rewrite_of_body_personal_data_is_refused() {
        let src = "[[rule]]\nid = \"x\"\ncategory = \"personal_data\"\nseverity = \"high\"\naction = \"rewrite\"\npolicy = \"p\"\n";
        let err = parse_rules("f.toml", src, KNOWN).unwrap_err().to_string();
        assert!(err.contains("rewrite"), "{err}");
    }

    const RECIPIENTS: &str = "[[rule]]\nid = \"er\"\ncategory = \"exposed_recipients\"\nmin_count = 6\nseverity = \"medium\"\naction = \"rewrite\"\npolicy = \"p\"\n";

    #[test]
    fn recipients_count_organisations_unless_told_addresses() {
        let (_, r) = parse_rules("f.toml", RECIPIENTS, KNOWN).unwrap();
        assert_eq!(r[0].count, CountUnit::Organisations);
        let src = format!("{RECIPIENTS}count = \"addresses\"\n");
        let (_, r) = parse_rules("f.toml", &src, KNOWN).unwrap();
        assert_eq!(r[0].count, CountUnit::Addresses);
    }

    #[test]
    fn bad_count_unit_names_its_line() {
        let src = format!("{RECIPIENTS}count = \"people\"\n");
        let err = parse_rules("f.toml", &src, KNOWN).unwrap_err().to_string();
        assert!(err.starts_with("f.toml:8:"), "{err}");
        // `count` on a rule that is not about recipients.
        let src = "[[rule]]\nid = \"x\"\ncategory = \"personal_data\"\nseverity = \"high\"\naction = \"hold\"\npolicy = \"p\"\ncount = \"organisations\"\n";
        let err = parse_rules("f.toml", src, KNOWN).unwrap_err().to_string();
        assert!(err.starts_with("f.toml:7:"), "{err}");
        assert!(err.contains("exposed_recipients"), "{err}");
    }

    #[test]
    fn rule_mode_is_validated() {
        let (_, r) = parse_rules("f.toml", RECIPIENTS, KNOWN).unwrap();
        assert!(!r[0].monitor());
        let src = format!("{RECIPIENTS}mode = \"monitor\"\n");
        let (_, r) = parse_rules("f.toml", &src, KNOWN).unwrap();
        assert!(r[0].monitor());
        let src = format!("{RECIPIENTS}mode = \"watch\"\n");
        let err = parse_rules("f.toml", &src, KNOWN).unwrap_err().to_string();
        assert!(err.starts_with("f.toml:8:"), "{err}");
    }

    #[test]
    fn directions_default_to_outbound_and_internal() {
        let (_, r) = parse_rules("f.toml", RECIPIENTS, KNOWN).unwrap();
        assert_eq!(r[0].directions, [Direction::Outbound, Direction::Internal]);
        assert!(r[0].applies_to_direction(Direction::Internal));
        assert!(!r[0].applies_to_direction(Direction::Inbound));
        let src = format!("{RECIPIENTS}directions = [\"outbound\", \"outbound\"]\n");
        let (_, r) = parse_rules("f.toml", &src, KNOWN).unwrap();
        assert_eq!(r[0].directions, [Direction::Outbound]);
        assert!(!r[0].applies_to_direction(Direction::Internal));
    }

    #[test]
    fn unknown_empty_or_inbound_directions_are_refused_with_their_line() {
        for bad in [
            "[\"outgoing\"]",
            "[]",
            "[\"inbound\", \"outbound\"]",
            "\"outbound\"",
        ] {
            let src = format!("{RECIPIENTS}directions = {bad}\n");
            let err = parse_rules("f.toml", &src, KNOWN).unwrap_err().to_string();
            assert!(err.starts_with("f.toml:8:"), "{bad}: {err}");
        }
        let src = format!("{RECIPIENTS}directions = [\"inbound\"]\n");
        let err = parse_rules("f.toml", &src, KNOWN).unwrap_err().to_string();
        assert!(err.contains("never scanned"), "{err}");
    }

    #[test]
    fn sender_may_release_only_on_holds_below_high_severity() {
        let rule = |severity: &str, action: &str| {
            format!("[[rule]]\nid = \"x\"\ncategory = \"personal_data\"\nseverity = \"{severity}\"\naction = \"{action}\"\npolicy = \"p\"\nsender_may_release = true\n")
        };
        let (_, r) = parse_rules("f.toml", &rule("medium", "hold"), KNOWN).unwrap();
        assert!(r[0].sender_may_release);
        let err = parse_rules("f.toml", &rule("high", "hold"), KNOWN)
            .unwrap_err()
            .to_string();
        assert!(err.contains("high-severity"), "{err}");
        let err = parse_rules("f.toml", &rule("low", "reject"), KNOWN)
            .unwrap_err()
            .to_string();
        assert!(err.contains("\"hold\""), "{err}");
        // Unset means false: only the DPO releases.
        let src = rule("medium", "hold").replace("sender_may_release = true\n", "");
        let (_, r) = parse_rules("f.toml", &src, KNOWN).unwrap();
        assert!(!r[0].sender_may_release);
    }

    #[test]
    fn missing_policy_clause_is_refused() {
        let src = "[[rule]]\nid = \"x\"\ncategory = \"personal_data\"\nseverity = \"high\"\naction = \"hold\"\npolicy = \" \"\n";
        assert!(parse_rules("f.toml", src, KNOWN)
            .unwrap_err()
            .to_string()
            .contains("clause"));
    }
}
