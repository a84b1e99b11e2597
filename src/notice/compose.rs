//! Notice composition: which notices a hold, a rewrite or a digest period
//! produce, and what they say. The quarantine service queues what is built
//! here in the same transaction as the record it is about; [`super::outbox`]
//! sends it.

use super::gate::SenderNotice;
use super::{
    build_mime, rule_views, safe_subject, AlertContext, DigestContext, DigestItem, HoldContext,
    NoticeConfig, RewriteContext, SenderActionContext, Templates,
};
use crate::dates::Zone;
use crate::policy::PlannedAction;
use crate::quarantine::store::{NewNotice, Record, State};

/// Builds the notices of one configuration: the `[notice]` section, the
/// organisation's name and time zone and the templates, loaded once.
pub struct Composer {
    notice: NoticeConfig,
    org: String,
    /// Times in notices are in the organisation's zone.
    zone: Zone,
    templates: Templates,
    dpo_alert_rank: u8,
}

fn severity_rank(s: &str) -> Option<u8> {
    match s {
        "low" => Some(0),
        "medium" => Some(1),
        "high" => Some(2),
        _ => None,
    }
}

impl Composer {
    /// Loads the templates (a broken override is logged and the built-in one
    /// used); `organisation` is `[organisation] name`, possibly empty, and
    /// `zone` its time zone. The section is assumed validated
    /// ([`NoticeConfig::validate`]).
    pub fn new(n: &NoticeConfig, organisation: &str, zone: Zone) -> Composer {
        let dpo_alert_rank = severity_rank(&n.dpo_alert_min_severity).unwrap_or(2);
        let (templates, warnings) = Templates::load(n.templates_dir.as_deref());
        for w in warnings {
            tracing::warn!("{w}");
        }
        Composer {
            notice: n.clone(),
            dpo_alert_rank,
            zone,
            org: if organisation.trim().is_empty() {
                "your organisation".into()
            } else {
                organisation.to_string()
            },
            templates,
        }
    }

    /// The `[notice]` section in effect.
    pub fn config(&self) -> &NoticeConfig {
        &self.notice
    }

    /// The organisation's name (or "your organisation").
    pub fn organisation(&self) -> &str {
        &self.org
    }

    /// The time zone times are shown in.
    pub fn zone(&self) -> &Zone {
        &self.zone
    }

    /// The loaded templates.
    pub fn templates(&self) -> &Templates {
        &self.templates
    }

    /// A notice for `to`, or None (logged) when it cannot be built: a notice
    /// problem never fails a hold.
    fn notice_for<S: serde::Serialize>(
        &self,
        kind: &str,
        template: &'static str,
        reference: Option<&str>,
        to: &str,
        ctx: &S,
    ) -> Option<NewNotice> {
        let built = self
            .templates
            .render(template, ctx)
            .and_then(|r| build_mime(&self.notice.from, to, &r));
        match built {
            Ok(bytes) => Some(NewNotice {
                kind: kind.to_string(),
                reference: reference.map(str::to_string),
                recipient: to.to_string(),
                envelope_from: String::new(),
                bytes,
            }),
            Err(e) => {
                tracing::warn!(kind, reference = ?reference, error = %e, "notice not queued");
                None
            }
        }
    }

    /// The one notice that stands for a sender's holds past the rate limit
    /// ([`super::gate`]).
    fn summary_notice(&self, rec: &Record, self_service_url: Option<&str>) -> Option<NewNotice> {
        let mut ctx =
            super::gate::SummaryContext::new(&self.org, rec, self.notice.dpo.clone(), &self.zone);
        ctx.self_service_url = self_service_url.map(str::to_string);
        self.notice_for(
            super::gate::SUMMARY_KIND,
            "hold_summary",
            Some(&rec.id),
            &rec.sender,
            &ctx,
        )
    }

    /// Whether [`Composer::hold_notices`] would write to the sender: the
    /// hold then gets a self-service link (made before the notice, which
    /// carries it).
    pub fn tells_sender(&self, rec: &Record, to_sender: SenderNotice) -> bool {
        self.notice.enabled
            && !rec.sender.is_empty()
            && matches!(to_sender, SenderNotice::Notice | SenderNotice::Summary)
    }

    /// The sender's hold notice (as [`super::gate`] decided: the notice, the
    /// summary past the rate limit, or none) and the DPO's alert a new hold
    /// produces. `self_service_url`: the sender's link to this message's
    /// self-service page, if the console has a `base_url`.
    pub fn hold_notices(
        &self,
        rec: &Record,
        to_sender: SenderNotice,
        self_service_url: Option<&str>,
    ) -> Vec<NewNotice> {
        let mut out = Vec::new();
        if !self.notice.enabled {
            return out;
        }
        let rules = rule_views(&rec.findings, &rec.rule_ids);
        let expires_on = rec
            .expires_at
            .map(|t| self.zone.human_date(t))
            .unwrap_or_default();
        if to_sender == SenderNotice::Summary && !rec.sender.is_empty() {
            out.extend(self.summary_notice(rec, self_service_url));
        }
        if to_sender == SenderNotice::Notice && !rec.sender.is_empty() {
            let ctx = HoldContext {
                org: self.org.clone(),
                reference: rec.id.clone(),
                held_at: self.zone.human_time(rec.created_at),
                subject: safe_subject(rec),
                recipient_count: rec.recipient_count,
                rules: rules.clone(),
                may_self_release: rec.sender_may_release(),
                self_release_instructions: self.notice.self_release_instructions.clone(),
                dpo: self.notice.dpo.clone(),
                expires_on: expires_on.clone(),
                self_service_url: self_service_url.map(str::to_string),
            };
            out.extend(self.notice_for("sender_hold", "hold", Some(&rec.id), &rec.sender, &ctx));
        }
        let rank = rec.severity.as_deref().and_then(severity_rank);
        if let (Some(dpo), Some(rank)) = (&self.notice.dpo, rank) {
            if rank >= self.dpo_alert_rank {
                let ctx = AlertContext {
                    reference: rec.id.clone(),
                    held_at: self.zone.human_time(rec.created_at),
                    sender: rec.sender.clone(),
                    recipient_count: rec.recipient_count,
                    severity: rec.severity.clone().unwrap_or_default(),
                    rules,
                    expires_on,
                };
                out.extend(self.notice_for("dpo_alert", "dpo_alert", Some(&rec.id), dpo, &ctx));
            }
        }
        out
    }

    /// The DPO's alert that the sender acted on their own held message
    /// through the self-service page: `action` is `released` (the rule let
    /// them, with `justification`), `release_requested` (waiting for the
    /// DPO) or `deleted`. None without a `[notice] dpo`.
    pub fn sender_action_alert(
        &self,
        rec: &Record,
        action: &str,
        justification: &str,
        at: i64,
    ) -> Option<NewNotice> {
        let dpo = self.notice.dpo.as_ref()?;
        if !self.notice.enabled {
            return None;
        }
        let ctx = SenderActionContext {
            reference: rec.id.clone(),
            action: action.to_string(),
            at: self.zone.human_time(at),
            held_at: self.zone.human_time(rec.created_at),
            sender: rec.sender.clone(),
            recipient_count: rec.recipient_count,
            severity: rec.severity.clone().unwrap_or_default(),
            rules: rule_views(&rec.findings, &rec.rule_ids),
            justification: justification.to_string(),
        };
        self.notice_for(
            "dpo_sender_action",
            "sender_action",
            Some(&rec.id),
            dpo,
            &ctx,
        )
    }

    /// The sender's notice of a rewrite.
    pub fn rewrite_notices(&self, rec: &Record, actions: &[PlannedAction]) -> Vec<NewNotice> {
        if !self.notice.enabled || !self.notice.notify_on_rewrite || rec.sender.is_empty() {
            return Vec::new();
        }
        let changes: Vec<String> = actions
            .iter()
            .filter_map(|a| match a {
                PlannedAction::RewriteRecipients { external_hidden, .. } => Some(format!(
                    "{external_hidden} recipient address(es) outside the organisation were hidden from the other recipients (as if sent by BCC)"
                )),
                PlannedAction::ReplaceSubject { .. } => {
                    Some("the subject line was replaced, because it contained personal information".into())
                }
                PlannedAction::RedactPassword { count, .. } => {
                    Some(format!("{count} password(s) were removed from the text"))
                }
                _ => None,
            })
            .collect();
        let ctx = RewriteContext {
            org: self.org.clone(),
            reference: rec.id.clone(),
            sent_at: self.zone.human_time(rec.created_at),
            recipient_count: rec.recipient_count,
            changes,
            rules: rule_views(&rec.findings, &rec.rule_ids),
        };
        self.notice_for(
            "sender_rewrite",
            "rewrite",
            Some(&rec.id),
            &rec.sender,
            &ctx,
        )
        .into_iter()
        .collect()
    }

    /// What the digest of `[since, until)` says, from the records created or
    /// decided in it (`records` may hold older ones too).
    pub fn digest_context(&self, records: &[Record], since: i64, until: i64) -> DigestContext {
        let in_period = |t: i64| t >= since && t < until;
        let created: Vec<&Record> = records.iter().filter(|r| in_period(r.created_at)).collect();
        let decided = |s: State| {
            records
                .iter()
                .filter(|r| r.state == s && r.state_changed_at.is_some_and(in_period))
                .count()
        };
        let items: Vec<DigestItem> = records
            .iter()
            .filter(|r| in_period(r.created_at) || r.state_changed_at.is_some_and(in_period))
            .map(|r| DigestItem {
                reference: r.id.clone(),
                state: r.state.as_str().to_string(),
                sender: r.sender.clone(),
                recipient_count: r.recipient_count,
                rules: r.rule_ids.join(", "),
                expires_on: if r.has_content {
                    r.expires_at.map(|t| self.zone.human_date(t))
                } else {
                    None
                },
            })
            .collect();
        DigestContext {
            org: self.org.clone(),
            period_start: self.zone.human_time(since),
            period_end: self.zone.human_time(until),
            held: created.iter().filter(|r| r.action == "hold").count(),
            still_held: created.iter().filter(|r| r.state == State::Held).count(),
            rewritten: created.iter().filter(|r| r.action == "rewrite").count(),
            rejected: created.iter().filter(|r| r.action == "reject").count(),
            released: decided(State::Released),
            deleted: decided(State::Deleted),
            items,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = crate::dates::DAY;

    fn record(id: &str, action: &str, state: &str, created_at: i64) -> Record {
        serde_json::from_value(serde_json::json!({
            "id": id, "action": action, "state": state, "created_at": created_at,
            "expires_at": created_at + 30 * DAY, "queue_id": null,
            "sender": "teacher@school.org.uk", "recipients": ["parent@example.com"],
            "recipient_count": 1, "auth_user": null, "client_addr": null,
            "message_id": null, "subject": "Trip", "severity": "high",
            "rule_ids": ["personal-data-body-identifier"], "findings": [],
            "raw_sha256": null, "raw_size": 0, "has_content": true,
            "content_erased_at": null, "state_changed_at": null,
            "state_changed_by": null, "state_reason": null, "release_id": null,
            "release_started_at": null
        }))
        .unwrap()
    }

    fn composer(threshold: &str) -> Composer {
        let n = NoticeConfig {
            dpo: Some("dpo@school.org.uk".into()),
            dpo_alert_min_severity: threshold.into(),
            notify_on_rewrite: true,
            ..NoticeConfig::default()
        };
        n.validate().unwrap();
        Composer::new(&n, "Green Lane Primary", Zone::utc())
    }

    fn kinds(notices: &[NewNotice]) -> Vec<&str> {
        notices.iter().map(|n| n.kind.as_str()).collect()
    }

    #[test]
    fn dpo_is_alerted_at_or_above_the_threshold_only() {
        let c = composer("medium");
        let mut r = record("Q-1", "hold", "held", 0);
        for (severity, want) in [
            ("low", vec!["sender_hold"]),
            ("medium", vec!["sender_hold", "dpo_alert"]),
            ("high", vec!["sender_hold", "dpo_alert"]),
        ] {
            r.severity = Some(severity.into());
            assert_eq!(
                kinds(&c.hold_notices(&r, SenderNotice::Notice, None)),
                want,
                "{severity}"
            );
        }
        let alert = c
            .hold_notices(&r, SenderNotice::Notice, None)
            .pop()
            .unwrap();
        assert_eq!(alert.recipient, "dpo@school.org.uk");
        assert_eq!(alert.reference.as_deref(), Some("Q-1"));
    }

    #[test]
    fn no_sender_no_sender_notice_and_disabled_means_none() {
        let c = composer("high");
        let mut r = record("Q-2", "hold", "held", 0);
        r.sender.clear();
        assert_eq!(
            kinds(&c.hold_notices(&r, SenderNotice::Notice, None)),
            ["dpo_alert"]
        );
        // Past the sender's rate limit: the summary instead of the notice;
        // withheld: none, and the DPO alert either way.
        let r = record("Q-2b", "hold", "held", 0);
        assert_eq!(
            kinds(&c.hold_notices(&r, SenderNotice::Summary, None)),
            [super::super::gate::SUMMARY_KIND, "dpo_alert"]
        );
        assert_eq!(
            kinds(&c.hold_notices(
                &r,
                SenderNotice::Withheld(super::super::gate::Withheld::Disabled),
                None
            )),
            ["dpo_alert"]
        );
        let off = Composer::new(
            &NoticeConfig {
                enabled: false,
                ..NoticeConfig::default()
            },
            "",
            Zone::default(),
        );
        assert!(off
            .hold_notices(
                &record("Q-3", "hold", "held", 0),
                SenderNotice::Notice,
                None
            )
            .is_empty());
        assert_eq!(off.org, "your organisation");
    }

    #[test]
    fn notices_show_the_organisation_s_time_bst_in_july_gmt_in_january() {
        let n = NoticeConfig {
            dpo: Some("dpo@school.org.uk".into()),
            ..NoticeConfig::default()
        };
        let c = Composer::new(&n, "Green Lane Primary", Zone::default());
        let text_of = |created_at: i64| {
            let r = record("Q-5", "hold", "held", created_at);
            c.hold_notices(&r, SenderNotice::Notice, Some("https://dlp.example/s/T"))
                .iter()
                .map(|n| {
                    let m = mail_parser::MessageParser::default()
                        .parse(&n.bytes)
                        .unwrap();
                    format!("{}\n{}", m.body_text(0).unwrap(), m.body_html(0).unwrap())
                })
                .collect::<Vec<_>>()
        };
        // 2026-07-15 06:47 UTC: 07:47 British Summer Time.
        for t in text_of(1_784_098_020) {
            assert!(
                t.contains("Wednesday 15 July 2026 at 07:47 BST (+01:00)"),
                "{t}"
            );
            assert!(!t.contains("UTC"), "{t}");
        }
        // 2026-01-15 06:47 UTC: 06:47 GMT.
        let january = text_of(1_768_459_620);
        assert_eq!(january.len(), 2, "sender notice and DPO alert");
        for t in january {
            assert!(
                t.contains("Thursday 15 January 2026 at 06:47 GMT (+00:00)"),
                "{t}"
            );
        }
    }

    #[test]
    fn rewrite_notice_names_each_change() {
        let c = composer("high");
        let r = record("Q-4", "rewrite", "delivered", 0);
        let actions = [
            PlannedAction::RewriteRecipients {
                rule: "r".into(),
                external_hidden: 7,
            },
            PlannedAction::RedactPassword {
                rule: "p".into(),
                count: 2,
            },
            PlannedAction::AddHeaders { headers: vec![] },
        ];
        let n = c.rewrite_notices(&r, &actions);
        assert_eq!(kinds(&n), ["sender_rewrite"]);
        let text = String::from_utf8_lossy(&n[0].bytes);
        assert!(text.contains("7 recipient address(es)"), "{text}");
        assert!(text.contains("2 password(s) were removed"), "{text}");
        // No sender to tell, or rewrite notices off (the default): none.
        let mut r2 = r.clone();
        r2.sender.clear();
        assert!(c.rewrite_notices(&r2, &actions).is_empty());
        let off = Composer::new(&NoticeConfig::default(), "", Zone::default());
        assert!(off.rewrite_notices(&r, &actions).is_empty());
    }

    #[test]
    fn digest_counts_what_was_created_or_decided_in_the_period() {
        let c = composer("high");
        let (since, until) = (10 * DAY, 11 * DAY);
        let mut released = record("Q-old", "hold", "released", 9 * DAY);
        released.state_changed_at = Some(10 * DAY + 60);
        let mut erased = record("Q-new", "hold", "held", 10 * DAY + 1);
        erased.has_content = false;
        let records = [
            record("Q-before", "hold", "held", 9 * DAY),
            released,
            erased,
            record("Q-rw", "rewrite", "delivered", 10 * DAY + 2),
            record("Q-after", "reject", "rejected", 11 * DAY),
        ];
        let d = c.digest_context(&records, since, until);
        assert_eq!(
            (d.held, d.still_held, d.rewritten, d.rejected),
            (1, 1, 1, 0)
        );
        assert_eq!((d.released, d.deleted), (1, 0));
        let refs: Vec<&str> = d.items.iter().map(|i| i.reference.as_str()).collect();
        assert_eq!(refs, ["Q-old", "Q-new", "Q-rw"]);
        assert_eq!(d.items[1].expires_on, None, "content erased: no expiry");
        assert_eq!(d.items[0].expires_on.as_deref(), Some("9 February 1970"));
        assert_eq!(d.org, "Green Lane Primary");
    }
}
