//! Findings → decision: which rule each finding falls under, the message's
//! verdict (the strongest action) and the concrete actions to carry out.

use super::{Action, Policy, PolicyMode, Rule, Severity};
use crate::detect::{Category, Finding, Location};
use crate::direction::Direction;
use crate::extract::NotScanned;
use crate::message::domain_of;
use crate::vocab::{FINDINGS_HEADER, VERDICT_HEADER};
use serde::Serialize;

/// A finding with the rule it fell under.
#[derive(Debug, Clone, Serialize)]
pub struct Matched {
    #[serde(flatten)]
    pub finding: Finding,
    pub rule: String,
    pub policy: String,
    /// The action this finding's rule would take, when the rule is in
    /// monitor mode (`mode = "monitor"` on the rule): reported, not taken.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub monitor: Option<Action>,
    /// The action carried out: the rule's own, or at most a tag for a rule
    /// in monitor mode.
    #[serde(skip)]
    pub action: Action,
    #[serde(skip)]
    pub severity: Severity,
    /// The rule's "how to put it right" text, for notices.
    #[serde(skip)]
    pub fix: String,
    /// The sender may release this hold themselves, with a justification.
    #[serde(skip)]
    pub sender_may_release: bool,
}

/// A concrete change the milter makes (or would make, in monitor mode).
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum PlannedAction {
    /// Add headers (`X-DLP-Verdict`, `X-DLP-Findings`): masked, no identifiers.
    AddHeaders { headers: Vec<(String, String)> },
    /// Replace To/Cc: external recipients out of sight; the envelope is unchanged.
    RewriteRecipients {
        rule: String,
        external_hidden: usize,
    },
    /// Replace a subject that carries personal data.
    ReplaceSubject { rule: String, subject: String },
    /// Replace an inline password in the body with a placeholder.
    RedactPassword { rule: String, count: usize },
    /// Keep the message from leaving.
    Hold { rules: Vec<String> },
    /// Refuse the message with a 5xx reply quoting the policy.
    Reject { rule: String, reply: String },
}

/// The policy's decision about one message.
#[derive(Debug, Clone, Serialize)]
pub struct Decision {
    pub verdict: Action,
    /// False in monitor mode: the decision is reported, not carried out.
    pub enforced: bool,
    pub findings: Vec<Matched>,
    pub actions: Vec<PlannedAction>,
    /// Rules that fired on attachments that could not be read.
    pub unscanned_rules: Vec<String>,
    /// The highest severity among the rules that fired.
    pub severity: Option<Severity>,
}

impl Decision {
    /// Makes this decision a hold under `rule` (the "could not be checked"
    /// reason), unless it already holds or rejects. Tag and rewrite
    /// actions are dropped: a held message is kept as it arrived. Severity
    /// is raised to high so the DPO alert (default threshold high) fires:
    /// a message nobody could check needs a person to look at it.
    pub fn hold_unchecked(&mut self, rule: &str) {
        if self.verdict >= Action::Hold {
            return;
        }
        self.verdict = Action::Hold;
        if !self.unscanned_rules.iter().any(|r| r == rule) {
            self.unscanned_rules.push(rule.to_string());
        }
        self.severity = self.severity.max(Some(Severity::High));
        self.actions = vec![PlannedAction::Hold {
            rules: vec![rule.to_string()],
        }];
    }

    /// Rule ids that fired, in order, without repeats.
    pub fn rule_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = Vec::new();
        for r in self
            .findings
            .iter()
            .map(|m| &m.rule)
            .chain(self.unscanned_rules.iter())
        {
            if !ids.contains(r) {
                ids.push(r.clone());
            }
        }
        ids
    }
}

fn allowed(rule: &Rule, policy: &Policy, sender: Option<&str>, recipients: &[String]) -> bool {
    let s = sender.unwrap_or("").to_ascii_lowercase();
    if !s.is_empty() && (policy.allow_senders.contains(&s) || rule.allow_senders.contains(&s)) {
        return true;
    }
    let domains: Vec<&String> = policy
        .allow_recipient_domains
        .iter()
        .chain(rule.allow_recipient_domains.iter())
        .collect();
    !domains.is_empty()
        && !recipients.is_empty()
        && recipients.iter().all(|r| {
            domain_of(r).is_some_and(|d| {
                let d = d.to_ascii_lowercase();
                domains
                    .iter()
                    .any(|a| d == **a || d.ends_with(&format!(".{a}")))
            })
        })
}

/// The strongest enabled rule matching `f`, if any.
fn rule_for<'p>(
    policy: &'p Policy,
    f: &Finding,
    direction: Direction,
    sender: Option<&str>,
    recipients: &[String],
) -> Option<&'p Rule> {
    policy
        .rules
        .iter()
        .filter(|r| {
            r.enabled
                && !r.on_unscanned
                && r.applies_to_direction(direction)
                && r.category == f.category
                && r.applies_to_detector(f.detector)
                && r.applies_to_location(&f.location)
                && f.confidence >= r.min_confidence
                && r.counted(f) >= r.min_count
                && !allowed(r, policy, sender, recipients)
        })
        .max_by_key(|r| (effective(r), r.action, r.severity))
}

/// What a rule does when it matches: its action, or for a rule in monitor
/// mode a tag at most (the message goes out unchanged, marked with what
/// the rule would have done, and is recorded as tagged).
fn effective(r: &Rule) -> Action {
    if r.monitor() {
        r.action.min(Action::Tag)
    } else {
        r.action
    }
}

/// Applies `policy` to the findings of one outbound message (see
/// [`decide_for`]).
pub fn decide(
    policy: &Policy,
    findings: Vec<Finding>,
    not_scanned: &[NotScanned],
    sender: Option<&str>,
    recipients: &[String],
) -> Decision {
    decide_for(
        policy,
        Direction::Outbound,
        findings,
        not_scanned,
        sender,
        recipients,
    )
}

/// Applies the rules of `policy` that cover `direction` (each rule's
/// `directions`) to the findings of one message. `recipients` are the
/// envelope recipients (or, without an envelope, the header recipients).
pub fn decide_for(
    policy: &Policy,
    direction: Direction,
    findings: Vec<Finding>,
    not_scanned: &[NotScanned],
    sender: Option<&str>,
    recipients: &[String],
) -> Decision {
    let mut matched = Vec::new();
    for f in findings {
        if let Some(r) = rule_for(policy, &f, direction, sender, recipients) {
            matched.push(Matched {
                rule: r.id.clone(),
                policy: r.policy.clone(),
                monitor: r.monitor().then_some(r.action),
                action: effective(r),
                severity: r.severity,
                fix: r.fix.clone(),
                sender_may_release: r.sender_may_release,
                finding: f,
            });
        }
    }
    let mut unscanned_rules = Vec::new();
    let mut verdict = matched
        .iter()
        .map(|m| m.action)
        .max()
        .unwrap_or(Action::Accept);
    // The severity of what is done: a rule in monitor mode acts on nothing,
    // so it cannot raise a DPO alert.
    let mut severity = matched
        .iter()
        .filter(|m| m.monitor.is_none())
        .map(|m| m.severity)
        .max();
    if let Some(r) = policy.unscanned_rule_for(direction) {
        if not_scanned.iter().any(|n| n.document) && !allowed(r, policy, sender, recipients) {
            unscanned_rules.push(r.id.clone());
            verdict = verdict.max(effective(r));
            severity = severity.max(Some(r.severity));
        }
    }
    // A rewrite that cannot be carried out (a password we cannot locate)
    // must not let the message out unchanged: it becomes a hold.
    if verdict == Action::Rewrite
        && matched.iter().any(|m| {
            m.action == Action::Rewrite
                && m.finding.category == Category::InlinePassword
                && m.finding.redact.is_none()
        })
    {
        verdict = Action::Hold;
    }
    let actions = plan(policy, verdict, &matched, &unscanned_rules);
    Decision {
        verdict,
        enforced: policy.mode == PolicyMode::Enforce,
        findings: matched,
        actions,
        unscanned_rules,
        severity,
    }
}

fn plan(
    policy: &Policy,
    verdict: Action,
    matched: &[Matched],
    unscanned_rules: &[String],
) -> Vec<PlannedAction> {
    let first_rule = |a: Action| -> String {
        matched
            .iter()
            .find(|m| m.action == a)
            .map(|m| m.rule.clone())
            .or_else(|| unscanned_rules.first().cloned())
            .unwrap_or_default()
    };
    match verdict {
        Action::Accept => vec![],
        Action::Reject => {
            let rule = first_rule(Action::Reject);
            let clause = matched
                .iter()
                .find(|m| m.action == Action::Reject)
                .map(|m| m.policy.clone())
                .unwrap_or_default();
            vec![PlannedAction::Reject {
                reply: format!("Message refused by the data protection policy ({rule}): {clause}"),
                rule,
            }]
        }
        Action::Hold => {
            let mut rules: Vec<String> = Vec::new();
            for r in matched
                .iter()
                .filter(|m| m.action == Action::Hold)
                .map(|m| &m.rule)
                .chain(unscanned_rules)
            {
                if !rules.contains(r) {
                    rules.push(r.clone());
                }
            }
            vec![PlannedAction::Hold { rules }]
        }
        Action::Rewrite | Action::Tag => {
            let mut out = Vec::new();
            if verdict == Action::Rewrite {
                for m in matched.iter().filter(|m| m.action == Action::Rewrite) {
                    let a = match m.finding.category {
                        Category::ExposedRecipients => PlannedAction::RewriteRecipients {
                            rule: m.rule.clone(),
                            external_hidden: m.finding.count,
                        },
                        Category::InlinePassword => PlannedAction::RedactPassword {
                            rule: m.rule.clone(),
                            count: 1,
                        },
                        _ if m.finding.location == Location::Subject => {
                            PlannedAction::ReplaceSubject {
                                rule: m.rule.clone(),
                                subject: policy.neutral_subject.clone(),
                            }
                        }
                        _ => continue,
                    };
                    merge(&mut out, a);
                }
            }
            out.push(PlannedAction::AddHeaders {
                headers: tag_headers(verdict, matched),
            });
            out
        }
    }
}

/// Several findings can ask for the same rewrite; carry it out once.
fn merge(out: &mut Vec<PlannedAction>, a: PlannedAction) {
    for existing in out.iter_mut() {
        match (existing, &a) {
            (PlannedAction::RedactPassword { count, .. }, PlannedAction::RedactPassword { .. }) => {
                *count += 1;
                return;
            }
            (PlannedAction::ReplaceSubject { .. }, PlannedAction::ReplaceSubject { .. })
            | (PlannedAction::RewriteRecipients { .. }, PlannedAction::RewriteRecipients { .. }) => {
                return
            }
            _ => {}
        }
    }
    out.push(a);
}

/// `X-DLP-Verdict` and `X-DLP-Findings`: categories, detectors, locations and
/// rule ids only — never evidence.
pub fn tag_headers(verdict: Action, matched: &[Matched]) -> Vec<(String, String)> {
    let mut items: Vec<String> = Vec::new();
    for m in matched {
        let loc = match &m.finding.location {
            Location::Attachment(_) => "attachment".to_string(),
            other => other.to_string(),
        };
        let would = m
            .monitor
            .map(|a| format!(" (monitor: would {})", a.as_str()))
            .unwrap_or_default();
        let item = format!(
            "{} {}/{} in {}{would}",
            m.rule, m.finding.category, m.finding.detector, loc
        );
        if !items.contains(&item) {
            items.push(item);
        }
    }
    let mut h = vec![(VERDICT_HEADER.to_string(), verdict.as_str().to_string())];
    if !items.is_empty() {
        h.push((FINDINGS_HEADER.to_string(), items.join("; ")));
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::recipients::CountUnit;
    use crate::detect::Confidence;
    use crate::policy::parse_rules;

    const RULES: &str = r#"
[[rule]]
id = "bcc"
category = "exposed_recipients"
min_count = 6
severity = "medium"
action = "rewrite"
policy = "Use BCC."

[[rule]]
id = "body-id"
category = "personal_data"
detectors = ["uk_nino"]
locations = ["body"]
min_confidence = "medium"
severity = "high"
action = "hold"
policy = "No identifiers in the body."
allow_recipient_domains = ["payroll.example"]

[[rule]]
id = "body-low"
category = "personal_data"
locations = ["body"]
severity = "low"
action = "tag"
policy = "No identifiers in the body."

[[rule]]
id = "pw"
category = "inline_password"
severity = "high"
action = "rewrite"
policy = "Send passwords separately."

[[rule]]
id = "unscanned"
category = "unscanned_attachment"
severity = "low"
action = "tag"
policy = "Encrypt files."
"#;

    fn policy() -> Policy {
        let (_, rules) =
            parse_rules("t.toml", RULES, &["uk_nino", "recipient_count", "password"]).unwrap();
        Policy {
            mode: PolicyMode::Enforce,
            rules,
            allow_senders: vec!["dpo@school.example".into()],
            allow_recipient_domains: vec![],
            neutral_subject: "neutral".into(),
        }
    }

    fn nino(conf: Confidence) -> Finding {
        Finding::new(
            Category::PersonalData,
            "uk_nino",
            Location::Body,
            conf,
            "JT ** ** ** B",
        )
    }

    fn recipients(n: usize) -> Finding {
        let mut f = Finding::new(
            Category::ExposedRecipients,
            "recipient_count",
            Location::Header("To".into()),
            Confidence::High,
            "n",
        );
        f.count = n;
        f
    }

    #[test]
    fn a_rule_applies_only_to_its_directions() {
        let mut p = policy();
        for r in p.rules.iter_mut().filter(|r| r.id == "body-id") {
            r.directions = vec![Direction::Outbound];
        }
        let out = decide_for(
            &p,
            Direction::Outbound,
            vec![nino(Confidence::High)],
            &[],
            None,
            &[],
        );
        assert_eq!(out.verdict, Action::Hold);
        assert_eq!(out.rule_ids(), ["body-id"]);
        // Internal mail: the outbound-only hold does not apply; the next
        // rule covering internal mail (a tag) does.
        let inside = decide_for(
            &p,
            Direction::Internal,
            vec![nino(Confidence::High)],
            &[],
            None,
            &[],
        );
        assert_eq!(inside.verdict, Action::Tag);
        assert_eq!(inside.rule_ids(), ["body-low"]);
        // Default directions: the shipped rules scan internal mail too.
        let d = decide_for(
            &policy(),
            Direction::Internal,
            vec![nino(Confidence::High)],
            &[],
            None,
            &[],
        );
        assert_eq!(d.verdict, Action::Hold);
        // The unscanned-attachment rule follows its directions too.
        let ns = NotScanned {
            location: "attachment:a.docx".into(),
            reason: "corrupt".into(),
            document: true,
        };
        for r in p.rules.iter_mut().filter(|r| r.on_unscanned) {
            r.directions = vec![Direction::Outbound];
        }
        let d = decide_for(
            &p,
            Direction::Internal,
            vec![],
            std::slice::from_ref(&ns),
            None,
            &[],
        );
        assert!(d.unscanned_rules.is_empty());
        let d = decide_for(
            &p,
            Direction::Outbound,
            vec![],
            std::slice::from_ref(&ns),
            None,
            &[],
        );
        assert_eq!(d.unscanned_rules, ["unscanned"]);
    }

    #[test]
    fn strongest_action_wins() {
        let d = decide(
            &policy(),
            vec![recipients(8), nino(Confidence::High)],
            &[],
            Some("a@school.example"),
            &["x@gmail.com".into()],
        );
        assert_eq!(d.verdict, Action::Hold);
        assert_eq!(
            d.actions,
            vec![PlannedAction::Hold {
                rules: vec!["body-id".into()]
            }]
        );
        assert_eq!(d.rule_ids(), vec!["bcc".to_string(), "body-id".to_string()]);
    }

    #[test]
    fn confidence_below_minimum_falls_to_weaker_rule() {
        let d = decide(&policy(), vec![nino(Confidence::Low)], &[], None, &[]);
        assert_eq!(d.verdict, Action::Tag);
        assert_eq!(d.findings[0].rule, "body-low");
        match &d.actions[0] {
            PlannedAction::AddHeaders { headers } => {
                assert_eq!(headers[0], ("X-DLP-Verdict".to_string(), "tag".to_string()));
                assert!(!headers[1].1.contains("JT"), "headers never carry evidence");
            }
            other => panic!("expected headers, got {other:?}"),
        }
    }

    #[test]
    fn threshold_is_per_rule() {
        let d = decide(&policy(), vec![recipients(5)], &[], None, &[]);
        assert_eq!(d.verdict, Action::Accept);
        assert!(d.findings.is_empty());
    }

    #[test]
    fn allow_listed_sender_is_never_acted_on() {
        let d = decide(
            &policy(),
            vec![nino(Confidence::High), recipients(9)],
            &[],
            Some("DPO@school.example"),
            &[],
        );
        assert_eq!(d.verdict, Action::Accept);
    }

    #[test]
    fn trusted_recipient_domain_skips_only_rules_that_allow_it() {
        let d = decide(
            &policy(),
            vec![nino(Confidence::High)],
            &[],
            None,
            &["team@payroll.example".into()],
        );
        assert_eq!(
            d.verdict,
            Action::Tag,
            "body-id is skipped, body-low still tags"
        );
        let d = decide(
            &policy(),
            vec![nino(Confidence::High)],
            &[],
            None,
            &["team@payroll.example".into(), "x@gmail.com".into()],
        );
        assert_eq!(d.verdict, Action::Hold, "one untrusted recipient is enough");
    }

    #[test]
    fn password_rewrite_without_a_locatable_secret_becomes_hold() {
        let pw = Finding::new(
            Category::InlinePassword,
            "password",
            Location::Body,
            Confidence::High,
            "K*******",
        );
        let d = decide(&policy(), vec![pw.clone()], &[], None, &[]);
        assert_eq!(d.verdict, Action::Hold);
        let mut pw = pw;
        pw.redact = Some("Kestrel42!".into());
        let d = decide(&policy(), vec![pw], &[], None, &[]);
        assert_eq!(d.verdict, Action::Rewrite);
        assert!(d
            .actions
            .iter()
            .any(|a| matches!(a, PlannedAction::RedactPassword { count: 1, .. })));
    }

    #[test]
    fn unreadable_documents_fire_the_unscanned_rule() {
        let ns = NotScanned {
            location: "attachment:x.7z".into(),
            reason: "unsupported".into(),
            document: true,
        };
        let d = decide(&policy(), vec![], std::slice::from_ref(&ns), None, &[]);
        assert_eq!(d.verdict, Action::Tag);
        assert_eq!(d.unscanned_rules, vec!["unscanned".to_string()]);
        let image = NotScanned {
            document: false,
            ..ns
        };
        assert_eq!(
            decide(&policy(), vec![], &[image], None, &[]).verdict,
            Action::Accept
        );
    }

    fn recipients_of(addresses: usize, organisations: usize) -> Finding {
        let mut f = recipients(addresses);
        f.organisations = Some(organisations);
        f
    }

    #[test]
    fn exposed_recipients_count_organisations_by_default() {
        let to = ["x@gmail.com".to_string()];
        // Eight staff of one council: one organisation, ordinary business.
        let d = decide(&policy(), vec![recipients_of(8, 1)], &[], None, &to);
        assert_eq!(d.verdict, Action::Accept);
        assert!(d.findings.is_empty());
        // Six parents on webmail: six organisations.
        let d = decide(&policy(), vec![recipients_of(6, 6)], &[], None, &to);
        assert_eq!(d.verdict, Action::Rewrite);
        assert_eq!(
            d.actions[0],
            PlannedAction::RewriteRecipients {
                rule: "bcc".into(),
                external_hidden: 6
            }
        );
        // Five organisations among twelve addresses: under the threshold.
        let d = decide(&policy(), vec![recipients_of(12, 5)], &[], None, &to);
        assert_eq!(d.verdict, Action::Accept);
    }

    #[test]
    fn a_rule_may_count_addresses() {
        let src = RULES.replacen("min_count = 6", "min_count = 6\ncount = \"addresses\"", 1);
        let (_, rules) =
            parse_rules("t.toml", &src, &["uk_nino", "recipient_count", "password"]).unwrap();
        let mut p = policy();
        p.rules = rules;
        let d = decide(&p, vec![recipients_of(8, 1)], &[], None, &[]);
        assert_eq!(d.verdict, Action::Rewrite);
        let d = decide(&p, vec![recipients_of(5, 5)], &[], None, &[]);
        assert_eq!(d.verdict, Action::Accept);
    }

    #[test]
    fn the_detector_is_told_the_unit_of_the_lowest_threshold_rule() {
        let mut p = policy();
        let (er, det) = (Category::ExposedRecipients, "recipient_count");
        assert_eq!(p.count_unit_for(er, det), CountUnit::Organisations);
        let src = format!(
            "{RULES}\n[[rule]]\nid = \"bcc-strict\"\ncategory = \"exposed_recipients\"\nmin_count = 10\ncount = \"addresses\"\nseverity = \"low\"\naction = \"tag\"\npolicy = \"p\"\n"
        );
        let (_, rules) =
            parse_rules("t.toml", &src, &["uk_nino", "recipient_count", "password"]).unwrap();
        p.rules = rules;
        assert_eq!(p.min_count_for(er, det), Some(6));
        assert_eq!(p.count_unit_for(er, det), CountUnit::Organisations);
        // 12 addresses of one organisation: only the address-counting rule fires.
        let d = decide(&p, vec![recipients_of(12, 1)], &[], None, &[]);
        assert_eq!(d.verdict, Action::Tag);
        assert_eq!(d.findings[0].rule, "bcc-strict");
    }

    /// The policy with `body-id` (hold) in monitor mode.
    fn body_id_monitored() -> Policy {
        let src = RULES.replacen(
            "action = \"hold\"",
            "action = \"hold\"\nmode = \"monitor\"",
            1,
        );
        let (_, rules) =
            parse_rules("t.toml", &src, &["uk_nino", "recipient_count", "password"]).unwrap();
        let mut p = policy();
        p.rules = rules;
        p
    }

    #[test]
    fn a_monitored_rule_reports_what_it_would_do_and_only_tags() {
        let p = body_id_monitored();
        let d = decide(&p, vec![nino(Confidence::High)], &[], None, &[]);
        assert!(d.enforced);
        assert_eq!(d.verdict, Action::Tag);
        assert_eq!(d.findings.len(), 1);
        assert_eq!(d.findings[0].rule, "body-id");
        assert_eq!(d.findings[0].monitor, Some(Action::Hold));
        assert_eq!(d.severity, None, "a monitored rule raises no alert");
        assert_eq!(
            d.actions,
            vec![PlannedAction::AddHeaders {
                headers: vec![
                    ("X-DLP-Verdict".into(), "tag".into()),
                    (
                        "X-DLP-Findings".into(),
                        "body-id personal_data/uk_nino in body (monitor: would hold)".into()
                    ),
                ]
            }]
        );
        // Reported in the scan JSON with the action it would have taken.
        let json = serde_json::to_value(&d.findings[0]).unwrap();
        assert_eq!(json["monitor"], "hold");
        assert_eq!(json["rule"], "body-id");
    }

    #[test]
    fn the_other_rules_still_enforce_beside_a_monitored_one() {
        let p = body_id_monitored();
        let d = decide(
            &p,
            vec![recipients(8), nino(Confidence::High)],
            &[],
            Some("a@school.example"),
            &["x@gmail.com".into()],
        );
        assert_eq!(d.verdict, Action::Rewrite);
        assert!(d.enforced);
        assert!(!d
            .actions
            .iter()
            .any(|a| matches!(a, PlannedAction::Hold { .. })));
        assert!(d.actions.contains(&PlannedAction::RewriteRecipients {
            rule: "bcc".into(),
            external_hidden: 8
        }));
        let bcc = d.findings.iter().find(|m| m.rule == "bcc").unwrap();
        assert_eq!(bcc.monitor, None);
        // The enforced rules' JSON carries no monitor field.
        assert!(serde_json::to_value(bcc).unwrap().get("monitor").is_none());
        // And without the monitored rule's finding, the same enforcement.
        let d = decide(&p, vec![recipients(8)], &[], None, &["x@gmail.com".into()]);
        assert_eq!(d.verdict, Action::Rewrite);
    }

    #[test]
    fn monitor_mode_decides_but_does_not_enforce() {
        let mut p = policy();
        p.mode = PolicyMode::Monitor;
        let d = decide(&p, vec![nino(Confidence::High)], &[], None, &[]);
        assert_eq!(d.verdict, Action::Hold);
        assert!(!d.enforced);
    }
}
