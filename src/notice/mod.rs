//! Notices: plain-words hold notices to the sender, alerts and digests to the DPO.
//!
//! Stage 7 of the flow, after the quarantine. Notices are rendered from
//! templates an admin can edit (`[notice] templates_dir`, minijinja; the
//! shipped English defaults in templates/ are compiled in as fallbacks),
//! built as multipart text+HTML, and queued in the quarantine database in
//! the same transaction as the hold. The [`outbox`] worker sends them to the
//! relay, retrying with backoff: a relay that is down never delays or fails
//! a hold.
//!
//! Every notice carries an `X-DLP-Notice` marker (an HMAC, see
//! [`crate::quarantine::marker`]) so the milter lets it through unscanned:
//! a notice is never itself held, and so never loops. Notices go out with a
//! null envelope sender and `Auto-Submitted: auto-generated` (RFC 3834) so
//! neither bounces nor auto-replies come back.
//!
//! No notice to the sender contains an identifier from the held message:
//! only the rule, its policy clause and fix, where the finding was (the
//! subject, the text, an attachment — never an attachment's name), the
//! recipient count, and the subject only when no finding was in it.

pub mod compose;
pub mod gate;
pub mod outbox;

pub use crate::config::NoticeConfig;

use crate::detect::Category;
use crate::quarantine::marker;
use crate::quarantine::store::{Record, StoredFinding};
use lettre::message::{Mailbox, Message, MultiPart};
use serde::Serialize;
use std::collections::HashMap;
use std::path::Path;
use thiserror::Error;

impl NoticeConfig {
    /// Checks the section: addresses parse, the severity is known. Called
    /// when the quarantine opens, and usable by a config test.
    pub fn validate(&self) -> Result<(), NoticeError> {
        if self.from.parse::<Mailbox>().is_err() {
            return Err(NoticeError::Config(format!(
                "notice.from {:?} is not a valid address",
                self.from
            )));
        }
        if let Some(d) = &self.dpo {
            if d.parse::<Mailbox>().is_err() {
                return Err(NoticeError::Config(format!(
                    "notice.dpo {d:?} is not a valid address"
                )));
            }
        }
        if !matches!(
            self.dpo_alert_min_severity.as_str(),
            "low" | "medium" | "high"
        ) {
            return Err(NoticeError::Config(format!(
                "notice.dpo_alert_min_severity must be low, medium or high, not {:?}",
                self.dpo_alert_min_severity
            )));
        }
        Ok(())
    }
}

impl NoticeConfig {
    /// Why `[notice] from` may not be a real mailbox of the organisation, or
    /// None. Staff are taught to distrust mail about their own messages from
    /// an address they do not know, and replies to a `localhost` From go
    /// nowhere, so `serve` (and later `doctor`) warns at start: the From's
    /// domain must be one of `domains` (`[organisation] domains`, lower
    /// case; a subdomain counts). With no domains configured only a From
    /// that cannot be a real mailbox (`localhost`, a dotless or `.invalid`
    /// domain) is named.
    pub fn from_warning(&self, domains: &[String]) -> Option<String> {
        let Ok(mb) = self.from.parse::<Mailbox>() else {
            return Some(format!(
                "notice.from {:?} is not a valid address",
                self.from
            ));
        };
        let domain = mb.email.domain().trim_end_matches('.').to_ascii_lowercase();
        let unreal = !domain.contains('.')
            || domain.ends_with(".invalid")
            || domain.ends_with(".localhost")
            || domain.ends_with(".local");
        if unreal {
            return Some(format!(
                "notice.from <{}> is not a real mailbox: staff cannot reply to it and may distrust it; set [notice] from to a mailbox of the organisation, e.g. \"Data Protection <dpo@school.org.uk>\"",
                mb.email
            ));
        }
        let ours = domains.iter().any(|d| {
            let d = d.trim().trim_start_matches('@').trim_end_matches('.');
            !d.is_empty()
                && (domain == d || domain.strip_suffix(d).is_some_and(|p| p.ends_with('.')))
        });
        if !domains.is_empty() && !ours {
            return Some(format!(
                "notice.from <{}> is not in [organisation] domains ({}): notices should come from a real mailbox of the organisation",
                mb.email,
                domains.join(", ")
            ));
        }
        None
    }
}

/// A notice that could not be built.
#[derive(Debug, Error)]
pub enum NoticeError {
    #[error("template {name}: {message}")]
    Template { name: String, message: String },
    #[error("address {0:?} is not a valid mailbox")]
    BadAddress(String),
    #[error("cannot build the notice: {0}")]
    Build(String),
    #[error("notice config: {0}")]
    Config(String),
}

/// True when the raw message carries a valid notice marker for its body and
/// this envelope: the milter accepts such a message without scanning it
/// (and strips the header).
pub fn is_notice(raw: &[u8], envelope_from: &str, recipients: &[String], key: &[u8]) -> bool {
    marker::verify(
        &marker::parse_headers(raw),
        key,
        marker::Kind::Notice,
        &marker::Binding::of_message(raw, envelope_from, recipients),
        crate::dates::now(),
    )
    .is_ok()
}

/// The shipped templates, compiled in.
const SHIPPED: &[(&str, &str)] = &[
    ("hold.txt", include_str!("../../templates/hold.txt")),
    ("hold.html", include_str!("../../templates/hold.html")),
    ("rewrite.txt", include_str!("../../templates/rewrite.txt")),
    ("rewrite.html", include_str!("../../templates/rewrite.html")),
    (
        "dpo_alert.txt",
        include_str!("../../templates/dpo_alert.txt"),
    ),
    (
        "dpo_alert.html",
        include_str!("../../templates/dpo_alert.html"),
    ),
    ("digest.txt", include_str!("../../templates/digest.txt")),
    ("digest.html", include_str!("../../templates/digest.html")),
    (
        "hold_summary.txt",
        include_str!("../../templates/hold_summary.txt"),
    ),
    (
        "hold_summary.html",
        include_str!("../../templates/hold_summary.html"),
    ),
    (
        "sender_action.txt",
        include_str!("../../templates/sender_action.txt"),
    ),
    (
        "sender_action.html",
        include_str!("../../templates/sender_action.html"),
    ),
];

/// The source of template `name`: the file of that name in `dir` when there
/// is one and it compiles, else `shipped`. A file that cannot be read or
/// does not compile is reported in `warnings` and the shipped template is
/// used, so an admin's typo never stops what the template serves. The
/// notices and the DPO's console (crate::console::views) take overrides
/// this one way.
pub fn template_source(
    dir: Option<&Path>,
    name: &str,
    shipped: &str,
    warnings: &mut Vec<String>,
) -> String {
    let Some(d) = dir else {
        return shipped.to_string();
    };
    let p = d.join(name);
    match std::fs::read_to_string(&p) {
        Ok(s) => {
            let compiles = minijinja::Environment::new().add_template(name, &s);
            match compiles {
                Ok(()) => return s,
                Err(e) => {
                    warnings.push(format!("{}: {e}; using the shipped template", p.display()))
                }
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => warnings.push(format!("{}: {e}; using the shipped template", p.display())),
    }
    shipped.to_string()
}

/// The notice templates in effect: the admin's files where present and
/// valid, the shipped ones otherwise.
#[derive(Debug, Clone)]
pub struct Templates {
    sources: HashMap<&'static str, String>,
}

impl Templates {
    /// Loads templates, preferring files in `dir`. A file that does not
    /// compile is reported in the returned warnings and the shipped template
    /// is used instead, so a typo never stops notices.
    pub fn load(dir: Option<&Path>) -> (Templates, Vec<String>) {
        let mut sources = HashMap::new();
        let mut warnings = Vec::new();
        for (name, shipped) in SHIPPED {
            sources.insert(*name, template_source(dir, name, shipped, &mut warnings));
        }
        (Templates { sources }, warnings)
    }

    /// The shipped templates only.
    pub fn shipped() -> Templates {
        Templates::load(None).0
    }

    fn render_one<S: Serialize>(&self, name: &'static str, ctx: &S) -> Result<String, NoticeError> {
        let err = |e: minijinja::Error| NoticeError::Template {
            name: name.to_string(),
            message: e.to_string(),
        };
        let render = |src: &str| -> Result<String, NoticeError> {
            let mut env = minijinja::Environment::new();
            env.add_template(name, src).map_err(err)?;
            env.get_template(name)
                .map_err(err)?
                .render(ctx)
                .map_err(err)
        };
        let src = self.sources.get(name).map(String::as_str).unwrap_or("");
        match render(src) {
            Ok(s) => Ok(s),
            Err(e) => {
                // An admin's template that fails at render time (e.g. an
                // unknown filter): fall back to the shipped one.
                let shipped = SHIPPED.iter().find(|(n, _)| *n == name).map(|(_, s)| *s);
                match shipped {
                    Some(s) if s != src => {
                        tracing::warn!(template = name, error = %e, "notice template failed; using the shipped one");
                        render(s)
                    }
                    _ => Err(e),
                }
            }
        }
    }

    /// Renders `<base>.txt` and `<base>.html`; the text's first line
    /// `Subject: ...` is the subject.
    pub fn render<S: Serialize>(
        &self,
        base: &'static str,
        ctx: &S,
    ) -> Result<Rendered, NoticeError> {
        let (txt, html) = match base {
            "hold" => ("hold.txt", "hold.html"),
            "rewrite" => ("rewrite.txt", "rewrite.html"),
            "dpo_alert" => ("dpo_alert.txt", "dpo_alert.html"),
            "digest" => ("digest.txt", "digest.html"),
            "hold_summary" => ("hold_summary.txt", "hold_summary.html"),
            "sender_action" => ("sender_action.txt", "sender_action.html"),
            other => {
                return Err(NoticeError::Template {
                    name: other.into(),
                    message: "no such notice".into(),
                })
            }
        };
        let text = self.render_one(txt, ctx)?;
        let html = self.render_one(html, ctx)?;
        let (subject, body) = match text.split_once('\n') {
            Some((first, rest)) if first.starts_with("Subject:") => (
                first.trim_start_matches("Subject:").trim().to_string(),
                rest.trim_start_matches(['\r', '\n']).to_string(),
            ),
            _ => ("Message from the email safety checks".to_string(), text),
        };
        Ok(Rendered {
            subject,
            text: body,
            html,
        })
    }
}

/// A rendered notice, before MIME.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Builds the MIME message (multipart/alternative text + HTML) with a
/// Message-ID of our own and `Auto-Submitted: auto-generated`. The marker
/// header is added at send time by the outbox.
pub fn build_mime(from: &str, to: &str, n: &Rendered) -> Result<Vec<u8>, NoticeError> {
    let from_mb: Mailbox = from
        .parse()
        .map_err(|_| NoticeError::BadAddress(from.to_string()))?;
    let to_mb: Mailbox = to
        .parse()
        .map_err(|_| NoticeError::BadAddress(to.to_string()))?;
    let domain = from_mb.email.domain().to_string();
    let mid = format!(
        "<notice.{}.{}@{}>",
        crate::dates::now(),
        hex::encode(rand::random::<[u8; 8]>()),
        domain
    );
    let msg = Message::builder()
        .from(from_mb)
        .to(to_mb)
        .subject(n.subject.clone())
        .message_id(Some(mid))
        .date_now()
        .multipart(MultiPart::alternative_plain_html(
            n.text.clone(),
            n.html.clone(),
        ))
        .map_err(|e| NoticeError::Build(e.to_string()))?;
    let mut out = b"Auto-Submitted: auto-generated\r\nX-Auto-Response-Suppress: All\r\n".to_vec();
    out.extend_from_slice(&msg.formatted());
    Ok(out)
}

pub use crate::dates::{human_date, human_time};

/// What a category means, in staff's words.
fn what(category: &str) -> &'static str {
    match category {
        c if c == Category::ExposedRecipients.as_str() => {
            "Many recipients outside the organisation could see each other's email addresses"
        }
        c if c == Category::PersonalData.as_str() => {
            "It contains personal information about pupils, parents or staff"
        }
        c if c == Category::UnencryptedAttachment.as_str() => {
            "An attachment contains personal information and is not encrypted"
        }
        c if c == Category::InlinePassword.as_str() => {
            "It contains a password written in the email"
        }
        _ => "An attachment could not be checked",
    }
}

/// Where, without naming anything: attachment names can themselves be personal data.
fn place(location: &str) -> &'static str {
    match location.split(':').next().unwrap_or("") {
        "subject" => "the subject line",
        "body" => "the message text",
        "header" => "the recipient list",
        "attachment" => "an attachment",
        _ => "the message",
    }
}

/// One rule as a notice shows it.
#[derive(Debug, Clone, Serialize)]
pub struct RuleView {
    pub id: String,
    pub policy: String,
    pub fix: String,
    pub what: String,
    /// "the subject line and an attachment".
    pub places: String,
    pub count: usize,
}

/// The findings grouped by rule, in first-seen order; rules that fired
/// without a finding (unreadable attachments) by id alone.
pub fn rule_views(findings: &[StoredFinding], rule_ids: &[String]) -> Vec<RuleView> {
    let mut out: Vec<RuleView> = Vec::new();
    let mut places: Vec<Vec<&'static str>> = Vec::new();
    for f in findings {
        let i = match out.iter().position(|r| r.id == f.rule) {
            Some(i) => i,
            None => {
                out.push(RuleView {
                    id: f.rule.clone(),
                    policy: f.policy.clone(),
                    fix: f.fix.clone(),
                    what: what(&f.category).to_string(),
                    places: String::new(),
                    count: 0,
                });
                places.push(Vec::new());
                out.len() - 1
            }
        };
        out[i].count += f.count;
        let p = place(&f.location);
        if !places[i].contains(&p) {
            places[i].push(p);
        }
    }
    for (r, p) in out.iter_mut().zip(places) {
        r.places = join_and(&p);
    }
    for id in rule_ids {
        if !out.iter().any(|r| &r.id == id) {
            out.push(RuleView {
                id: id.clone(),
                policy: String::new(),
                fix: String::new(),
                what: what("").to_string(),
                places: String::new(),
                count: 1,
            });
        }
    }
    out
}

fn join_and(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Context of the sender's hold notice.
#[derive(Debug, Serialize)]
pub struct HoldContext {
    pub org: String,
    pub reference: String,
    pub held_at: String,
    /// None when a finding was in the subject (or it had none).
    pub subject: Option<String>,
    pub recipient_count: usize,
    pub rules: Vec<RuleView>,
    pub may_self_release: bool,
    pub self_release_instructions: String,
    pub dpo: Option<String>,
    pub expires_on: String,
    /// `[console] base_url` + `/s/{token}`: the sender's page for this hold
    /// (None without a base URL; the notice then carries no link).
    pub self_service_url: Option<String>,
}

/// Context of the DPO's alert that a sender acted through the
/// self-service page (`sender_action.txt`/`.html`).
#[derive(Debug, Serialize)]
pub struct SenderActionContext {
    pub reference: String,
    /// `released`, `release_requested` or `deleted`.
    pub action: String,
    pub at: String,
    pub held_at: String,
    pub sender: String,
    pub recipient_count: usize,
    pub severity: String,
    pub rules: Vec<RuleView>,
    /// The sender's own words (their justification or reason).
    pub justification: String,
}

/// The subject, if it is safe to repeat: no finding was made in it.
pub fn safe_subject(rec: &Record) -> Option<String> {
    if rec.findings.iter().any(|f| f.location == "subject") {
        return None;
    }
    rec.subject.clone().filter(|s| !s.trim().is_empty())
}

/// Context of the DPO's alert.
#[derive(Debug, Serialize)]
pub struct AlertContext {
    pub reference: String,
    pub held_at: String,
    pub sender: String,
    pub recipient_count: usize,
    pub severity: String,
    pub rules: Vec<RuleView>,
    pub expires_on: String,
}

/// Context of the sender's rewrite notice.
#[derive(Debug, Serialize)]
pub struct RewriteContext {
    pub org: String,
    pub reference: String,
    pub sent_at: String,
    pub recipient_count: usize,
    pub changes: Vec<String>,
    pub rules: Vec<RuleView>,
}

/// One line of the digest.
#[derive(Debug, Serialize)]
pub struct DigestItem {
    pub reference: String,
    pub state: String,
    pub sender: String,
    pub recipient_count: usize,
    pub rules: String,
    pub expires_on: Option<String>,
}

/// Context of the DPO's digest.
#[derive(Debug, Serialize)]
pub struct DigestContext {
    pub org: String,
    pub period_start: String,
    pub period_end: String,
    pub held: usize,
    pub still_held: usize,
    pub rewritten: usize,
    pub rejected: usize,
    pub released: usize,
    pub deleted: usize,
    pub items: Vec<DigestItem>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(rule: &str, cat: &str, loc: &str) -> StoredFinding {
        StoredFinding {
            rule: rule.into(),
            policy: "Do not send pupil data unencrypted.".into(),
            category: cat.into(),
            detector: "x".into(),
            location: loc.into(),
            confidence: "high".into(),
            evidence: "AB ** ** ** C".into(),
            count: 2,
            severity: "high".into(),
            fix: "Encrypt it.".into(),
            sender_may_release: false,
        }
    }

    #[test]
    fn shipped_templates_render_and_escape_html() {
        let t = Templates::shipped();
        let ctx = HoldContext {
            org: "Green Lane <Primary>".into(),
            reference: "Q-1".into(),
            held_at: human_time(0),
            subject: Some("Trip & kit".into()),
            recipient_count: 3,
            rules: rule_views(
                &[
                    finding("pd", "personal_data", "body"),
                    finding("pd", "personal_data", "attachment:John Smith.xlsx"),
                ],
                &["pd".into(), "unscanned".into()],
            ),
            may_self_release: false,
            self_release_instructions: String::new(),
            dpo: Some("dpo@school.org".into()),
            expires_on: human_date(0),
            self_service_url: Some("https://dlp.school.org/s/abc?x=<1>".into()),
        };
        let r = t.render("hold", &ctx).unwrap();
        assert_eq!(r.subject, "Your email was held before sending (ref Q-1)");
        assert!(r.text.contains("the message text and an attachment"));
        assert!(!r.text.contains("John Smith"));
        assert!(r.html.contains("Trip &amp; kit"));
        assert!(r.html.contains("Green Lane &lt;Primary&gt;"));
        assert!(
            r.text.contains("https://dlp.school.org/s/abc?x=<1>"),
            "{}",
            r.text
        );
        assert!(r.html.contains("<a href=\"https:"), "{}", r.html);
        assert!(
            r.html.contains("&lt;1&gt;") && !r.html.contains("<1>"),
            "{}",
            r.html
        );
        let mime = build_mime("DPO <dpo@school.org>", "a@school.org", &r).unwrap();
        let text = String::from_utf8_lossy(&mime);
        assert!(text.starts_with("Auto-Submitted: auto-generated\r\n"));
        assert!(text.contains("multipart/alternative"));
    }

    #[test]
    fn notice_from_must_be_a_mailbox_of_the_organisation() {
        let n = |from: &str| NoticeConfig {
            from: from.into(),
            ..NoticeConfig::default()
        };
        let ours = ["school.org.uk".to_string()];
        // The shipped default is not a real mailbox, domains or not.
        let w = NoticeConfig::default().from_warning(&[]).unwrap();
        assert!(w.contains("postmaster@localhost"), "{w}");
        assert!(NoticeConfig::default().from_warning(&ours).is_some());
        // The organisation's domain, a subdomain, any case: fine.
        assert_eq!(n("DPO <dpo@school.org.uk>").from_warning(&ours), None);
        assert_eq!(n("dpo@Mail.School.org.uk").from_warning(&ours), None);
        // Another organisation's domain, or one that only ends alike.
        let w = n("dpo@otherschool.org.uk").from_warning(&ours).unwrap();
        assert!(w.contains("not in [organisation] domains"), "{w}");
        assert!(n("dpo@gmail.com").from_warning(&ours).is_some());
        // No domains configured: a real-looking mailbox cannot be judged.
        assert_eq!(n("dpo@school.org.uk").from_warning(&[]), None);
        assert!(n("dpo@host.invalid").from_warning(&[]).is_some());
    }

    #[test]
    fn broken_admin_template_falls_back() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("hold.txt"), "Subject: x {% if %}").unwrap();
        std::fs::write(
            d.path().join("digest.txt"),
            "Subject: Custom\n\nhi {{ org }}",
        )
        .unwrap();
        let (t, warnings) = Templates::load(Some(d.path()));
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(t.sources["hold.txt"].starts_with("Subject: Your email"));
        assert_eq!(t.sources["digest.txt"], "Subject: Custom\n\nhi {{ org }}");
    }

    #[test]
    fn template_source_reports_an_unreadable_override_and_not_a_missing_one() {
        let d = tempfile::tempdir().unwrap();
        // A directory where the file should be: present but unreadable.
        std::fs::create_dir(d.path().join("page.html")).unwrap();
        let mut warnings = Vec::new();
        let src = template_source(Some(d.path()), "page.html", "shipped", &mut warnings);
        assert_eq!(src, "shipped");
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].contains("page.html"), "{warnings:?}");
        // No override file, or no override folder: the shipped one, silently.
        let mut warnings = Vec::new();
        assert_eq!(
            template_source(Some(d.path()), "other.html", "shipped", &mut warnings),
            "shipped"
        );
        assert_eq!(
            template_source(None, "page.html", "shipped", &mut warnings),
            "shipped"
        );
        assert!(warnings.is_empty(), "{warnings:?}");
    }
}
