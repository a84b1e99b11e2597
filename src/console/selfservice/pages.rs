//! The self-service pages' HTML: templates/console/selfservice_*.html,
//! compiled in, rendered by minijinja with HTML autoescaping (the subject
//! and the sender's own words are shown as text, never as markup).
//!
//! Only the masked record reaches a template: rule, policy clause, fix,
//! masked evidence, where it was found (never an attachment's name), the
//! recipients' count and domains, the subject only when no finding was in
//! it. Links are relative (`TOKEN/release`, `../TOKEN`), so the pages work
//! behind a reverse proxy under any path.

use super::Action;
use crate::dates::Zone;
use crate::notice::{rule_views, safe_subject};
use crate::quarantine::{LinkRefused, OpenLink, Quarantine, Record, MAX_JUSTIFICATION_CHARS};
use minijinja::{context, Environment};
use serde::Serialize;

const TEMPLATES: &[(&str, &str)] = &[
    (
        "selfservice_base.html",
        include_str!("../../../templates/console/selfservice_base.html"),
    ),
    (
        "selfservice_page.html",
        include_str!("../../../templates/console/selfservice_page.html"),
    ),
    (
        "selfservice_confirm.html",
        include_str!("../../../templates/console/selfservice_confirm.html"),
    ),
    (
        "selfservice_done.html",
        include_str!("../../../templates/console/selfservice_done.html"),
    ),
    (
        "selfservice_gone.html",
        include_str!("../../../templates/console/selfservice_gone.html"),
    ),
];

/// Masked evidence shown per rule, at most this many values.
const EVIDENCE_SHOWN: usize = 5;

/// The compiled templates and what every page says about the organisation.
pub(super) struct Pages {
    env: Environment<'static>,
    org: String,
    dpo: Option<String>,
    zone: Zone,
}

/// One rule on the page.
#[derive(Debug, Serialize)]
struct RuleShown {
    id: String,
    what: String,
    places: String,
    policy: String,
    fix: String,
    /// Masked values, distinct.
    evidence: Vec<String>,
}

fn rules_shown(rec: &Record) -> Vec<RuleShown> {
    rule_views(&rec.findings, &rec.rule_ids)
        .into_iter()
        .map(|v| {
            let mut evidence: Vec<String> = Vec::new();
            for f in rec.findings.iter().filter(|f| f.rule == v.id) {
                let e = f.evidence.trim();
                if !e.is_empty() && !evidence.iter().any(|x| x == e) {
                    evidence.push(e.to_string());
                }
            }
            evidence.truncate(EVIDENCE_SHOWN);
            RuleShown {
                id: v.id,
                what: v.what,
                places: v.places,
                policy: v.policy,
                fix: v.fix,
                evidence,
            }
        })
        .collect()
}

impl Pages {
    pub(super) fn new(q: &Quarantine) -> Pages {
        let mut env = Environment::new();
        for (name, src) in TEMPLATES {
            if let Err(e) = env.add_template(name, src) {
                // Shipped templates are checked by the tests; a broken one
                // still leaves the other pages (and a plain fallback).
                tracing::error!(template = name, error = %e, "self-service template does not compile");
            }
        }
        Pages {
            env,
            org: q.organisation().to_string(),
            dpo: q.dpo().map(str::to_string),
            zone: q.zone().clone(),
        }
    }

    fn render(&self, name: &str, ctx: minijinja::Value) -> String {
        let ctx = context! { org => &self.org, dpo => &self.dpo, ..ctx };
        self.env
            .get_template(name)
            .and_then(|t| t.render(ctx))
            .unwrap_or_else(|e| {
                tracing::error!(template = name, error = %e, "self-service page failed to render");
                "<!DOCTYPE html><title>Error</title><p>This page cannot be shown just now. Please try again later.</p>".into()
            })
    }

    /// The held message, masked.
    pub(super) fn page(&self, open: &OpenLink, token: &str) -> String {
        let r = &open.record;
        let request = r.release_request.as_ref().map(|q| {
            context! { at => self.zone.human_time(q.at), reason => &q.reason }
        });
        self.render(
            "selfservice_page.html",
            context! {
                base => token,
                reference => &r.id,
                held_at => self.zone.human_time(r.created_at),
                subject => safe_subject(r),
                recipient_count => r.recipient_count,
                recipient_domains => &open.recipient_domains,
                expires_on => r.expires_at.map(|t| self.zone.human_date(t)).unwrap_or_default(),
                rules => rules_shown(r),
                may_release => r.sender_may_release(),
                request => request,
            },
        )
    }

    /// The confirmation form of `action`, with `justification` filled in and
    /// `error` shown when a first try was refused.
    pub(super) fn confirm(
        &self,
        open: &OpenLink,
        token: &str,
        action: Action,
        csrf: &str,
        justification: &str,
        error: Option<&str>,
    ) -> String {
        let (heading, explain, label, button, button_class, required) = match action {
            Action::Release => (
                "Release your email now",
                "It will be sent to its recipients exactly as you wrote it. Only do this if you are sure it is safe to send: the data protection officer is told, with your reason.",
                "Why is it safe to send as it is?",
                "Release and send it",
                "primary",
                true,
            ),
            Action::Request => (
                "Ask for your email to be released",
                "The data protection officer will see your reason and decide. It stays held until then.",
                "Why should it be sent as it is?",
                "Send my request",
                "primary",
                true,
            ),
            Action::Delete => (
                "Delete your held email",
                "The held copy is deleted now and will not be sent. You can then send a corrected email.",
                "Anything to add? (optional)",
                "Delete it",
                "danger",
                false,
            ),
        };
        self.render(
            "selfservice_confirm.html",
            context! {
                base => format!("../{token}"),
                reference => &open.record.id,
                action => action.as_str(),
                heading, explain, label, button, button_class, required,
                csrf, justification, error,
                max_chars => MAX_JUSTIFICATION_CHARS,
            },
        )
    }

    /// What happened.
    pub(super) fn done(&self, rec: &Record, token: &str, action: Action) -> String {
        let (heading, message, back) = match action {
            Action::Release => (
                "Your email has been released",
                format!(
                    "It has been sent to its {} recipient(s). The data protection officer has been told, with your reason.",
                    rec.recipient_count
                ),
                false,
            ),
            Action::Request => (
                "Your request has been sent",
                "The data protection officer will see your reason and release or delete the email. It stays held until then.".to_string(),
                true,
            ),
            Action::Delete => (
                "Your held email has been deleted",
                "It will not be sent. You can now send a corrected email.".to_string(),
                false,
            ),
        };
        self.render(
            "selfservice_done.html",
            context! {
                base => format!("../{token}"),
                reference => &rec.id,
                heading, message, back,
            },
        )
    }

    /// The plain page of a link that opens nothing: it names no message.
    pub(super) fn gone(&self, why: LinkRefused) -> String {
        let (heading, message) = match why {
            LinkRefused::Unknown => (
                "This link does not work",
                "It may have been copied incompletely.",
            ),
            LinkRefused::Expired => (
                "This link has expired",
                "Links in hold notices work for a limited time.",
            ),
            LinkRefused::Used => (
                "This link has already been used",
                "The email it was for has already been released or deleted.",
            ),
            LinkRefused::Closed => (
                "This email has already been dealt with",
                "It is no longer held: it was released, deleted, or its holding period ended.",
            ),
        };
        self.render("selfservice_gone.html", context! { heading, message })
    }

    /// A short message page (a refused or failed action).
    pub(super) fn error(&self, message: &str) -> String {
        self.render(
            "selfservice_gone.html",
            context! { heading => "That could not be done", message },
        )
    }
}
