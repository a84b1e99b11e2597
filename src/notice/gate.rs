//! Who may receive a notice about their own message, and how many.
//!
//! A hold notice goes to the envelope sender, which any SMTP client may set
//! to anything. Without a gate the milter would mail outsiders on an
//! attacker's say-so (backscatter) and could be made to flood one address.
//! So a sender gets a notice only when the address is plausibly one of ours:
//!
//! - never for a null sender (`MAIL FROM:<>`: bounces and auto-replies);
//! - with `[organisation] domains` set: only when the sender's domain is one
//!   of them (or a subdomain);
//! - without it: only when the client authenticated (SASL `auth_user`) or
//!   connected from loopback, where the sender is vouched for by the MTA.
//!
//! And at most [`HOLD_NOTICES_PER_WINDOW`] hold notices per sender per
//! [`WINDOW_SECS`]; the next hold in the window gets one summary notice
//! instead (the DPO's digest still lists every hold), later ones none.
//! Counts come from the outbox in the database, so a restart does not reset
//! them.

use std::net::IpAddr;

/// Hold notices one sender gets per window before they are summarised.
pub const HOLD_NOTICES_PER_WINDOW: usize = 5;
/// The rate-limit window (sliding), in seconds.
pub const WINDOW_SECS: i64 = 3600;
/// Outbox kind of a per-sender hold notice (counted for the limit).
pub const HOLD_KIND: &str = "sender_hold";
/// Outbox kind of the one summary notice sent when the limit is reached.
pub const SUMMARY_KIND: &str = "sender_hold_summary";

/// Why a sender gets no notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Withheld {
    /// `MAIL FROM:<>`.
    NullSender,
    /// Not in the organisation's domains.
    External,
    /// No `[organisation] domains`, not authenticated, not from loopback.
    Unverified,
    /// Over the per-sender limit, and the summary was already sent.
    RateLimited,
    /// Sender notices are switched off in the config.
    Disabled,
}

impl Withheld {
    /// The word recorded in the audit trail and the log.
    pub fn as_str(self) -> &'static str {
        match self {
            Withheld::NullSender => "null_sender",
            Withheld::External => "external_sender",
            Withheld::Unverified => "unverified_sender",
            Withheld::RateLimited => "rate_limited",
            Withheld::Disabled => "disabled",
        }
    }
}

/// What the sender of a hold gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SenderNotice {
    /// The usual hold notice.
    Notice,
    /// One notice saying further holds in this window are not announced one by one.
    Summary,
    Withheld(Withheld),
}

impl SenderNotice {
    /// The word recorded in the audit trail.
    pub fn as_str(self) -> &'static str {
        match self {
            SenderNotice::Notice => "notice",
            SenderNotice::Summary => "summary",
            SenderNotice::Withheld(w) => w.as_str(),
        }
    }
}

/// Context of the summary notice (`hold_summary.txt`/`.html`).
#[derive(Debug, serde::Serialize)]
pub struct SummaryContext {
    pub org: String,
    /// The hold that reached the limit.
    pub reference: String,
    pub held_at: String,
    pub limit: usize,
    pub window_minutes: i64,
    pub dpo: Option<String>,
    /// The self-service page of the hold that reached the limit, if any.
    pub self_service_url: Option<String>,
}

impl SummaryContext {
    pub fn new(
        org: &str,
        rec: &crate::quarantine::store::Record,
        dpo: Option<String>,
        zone: &crate::dates::Zone,
    ) -> Self {
        SummaryContext {
            org: org.to_string(),
            reference: rec.id.clone(),
            held_at: zone.human_time(rec.created_at),
            limit: HOLD_NOTICES_PER_WINDOW,
            window_minutes: WINDOW_SECS / 60,
            dpo,
            self_service_url: None,
        }
    }
}

/// What the sender of the hold `rec` gets at `at`: the gate, then the
/// per-sender counts from the outbox (so the limit holds across restarts).
pub fn decide_hold_notice(
    gate: &NoticeGate,
    store: &dyn crate::quarantine::store::Store,
    rec: &crate::quarantine::store::Record,
    at: i64,
) -> Result<SenderNotice, crate::quarantine::QuarantineError> {
    let sender = gate_sender(rec);
    if let Err(w) = gate.may_notify(&sender) {
        tracing::info!(reference = %rec.id, reason = w.as_str(), "no hold notice to the sender");
        return Ok(SenderNotice::Withheld(w));
    }
    let since = at.saturating_sub(WINDOW_SECS);
    let holds = store.notices_to_since(&rec.sender, HOLD_KIND, since)?;
    let summaries = store.notices_to_since(&rec.sender, SUMMARY_KIND, since)?;
    let decision = gate.hold_notice(&sender, holds, summaries);
    if decision != SenderNotice::Notice {
        tracing::info!(reference = %rec.id, decision = decision.as_str(), "sender hold notices over the hourly limit");
    }
    Ok(decision)
}

/// What the gate knows about a message's sender (from its record).
#[derive(Debug, Clone, Copy)]
pub struct Sender<'a> {
    /// Envelope sender, without angle brackets; empty for `<>`.
    pub address: &'a str,
    /// SASL login name, if the client authenticated.
    pub auth_user: Option<&'a str>,
    /// The SMTP client's address as Postfix gave it.
    pub client_addr: Option<&'a str>,
}

/// The gate's view of a stored record's sender.
pub fn gate_sender(rec: &crate::quarantine::store::Record) -> Sender<'_> {
    Sender {
        address: &rec.sender,
        auth_user: rec.auth_user.as_deref(),
        client_addr: rec.client_addr.as_deref(),
    }
}

/// The organisation's domains, lower-cased (`[organisation] domains`).
#[derive(Debug, Clone, Default)]
pub struct NoticeGate {
    pub domains: Vec<String>,
}

fn domain_of(address: &str) -> Option<String> {
    let a = address.trim().trim_start_matches('<').trim_end_matches('>');
    let (_, d) = a.rsplit_once('@')?;
    // Unicode lower-casing: internationalised domains compare case-blind too.
    let d = d.trim().trim_end_matches('.').to_lowercase();
    (!d.is_empty()).then_some(d)
}

fn is_loopback(client: &str) -> bool {
    // Postfix passes `{client_addr}` bare; IPv6 may come as `IPv6:...`.
    let c = client.trim().trim_start_matches("IPv6:");
    c.parse::<IpAddr>().is_ok_and(|ip| match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v| v.is_loopback()),
    })
}

impl NoticeGate {
    pub fn new(domains: Vec<String>) -> NoticeGate {
        NoticeGate {
            domains: domains
                .into_iter()
                .map(|d| d.trim().trim_end_matches('.').to_lowercase())
                .filter(|d| !d.is_empty())
                .collect(),
        }
    }

    /// Whether `sender` may be told about their message at all.
    pub fn may_notify(&self, sender: &Sender<'_>) -> Result<(), Withheld> {
        let address = sender.address.trim();
        if address.is_empty() || address == "<>" {
            return Err(Withheld::NullSender);
        }
        if !self.domains.is_empty() {
            let Some(d) = domain_of(address) else {
                return Err(Withheld::External);
            };
            let ours = self
                .domains
                .iter()
                .any(|o| d == *o || d.ends_with(&format!(".{o}")));
            return if ours {
                Ok(())
            } else {
                Err(Withheld::External)
            };
        }
        if sender.auth_user.is_some_and(|u| !u.trim().is_empty())
            || sender.client_addr.is_some_and(is_loopback)
        {
            Ok(())
        } else {
            Err(Withheld::Unverified)
        }
    }

    /// What the sender of a hold gets, given how many hold notices and
    /// summaries went to this address in the last [`WINDOW_SECS`].
    pub fn hold_notice(
        &self,
        sender: &Sender<'_>,
        recent_holds: usize,
        recent_summaries: usize,
    ) -> SenderNotice {
        if let Err(w) = self.may_notify(sender) {
            return SenderNotice::Withheld(w);
        }
        if recent_holds < HOLD_NOTICES_PER_WINDOW {
            SenderNotice::Notice
        } else if recent_summaries == 0 {
            SenderNotice::Summary
        } else {
            SenderNotice::Withheld(Withheld::RateLimited)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s<'a>(address: &'a str, auth: Option<&'a str>, client: Option<&'a str>) -> Sender<'a> {
        Sender {
            address,
            auth_user: auth,
            client_addr: client,
        }
    }

    #[test]
    fn with_domains_only_our_senders() {
        let g = NoticeGate::new(vec!["School.Example".into()]);
        assert_eq!(g.may_notify(&s("t@school.example", None, None)), Ok(()));
        assert_eq!(
            g.may_notify(&s("t@staff.school.example", None, None)),
            Ok(())
        );
        assert_eq!(g.may_notify(&s("<T@SCHOOL.EXAMPLE>", None, None)), Ok(()));
        assert_eq!(g.may_notify(&s("t@school.example.", None, None)), Ok(()));
        let idn = NoticeGate::new(vec!["Grundschule-Müller.de".into()]);
        assert_eq!(
            idn.may_notify(&s("frau.öztürk@GRUNDSCHULE-MÜLLER.DE", None, None)),
            Ok(())
        );
        // Look-alikes and outsiders, even authenticated or local.
        for bad in [
            "t@evilschool.example",
            "t@school.example.evil.test",
            "victim@gmail.com",
            "no-domain",
        ] {
            assert_eq!(
                g.may_notify(&s(bad, Some("alice"), Some("127.0.0.1"))),
                Err(Withheld::External),
                "{bad}"
            );
        }
    }

    #[test]
    fn never_a_null_sender() {
        for g in [
            NoticeGate::default(),
            NoticeGate::new(vec!["school.example".into()]),
        ] {
            assert_eq!(
                g.may_notify(&s("", Some("alice"), Some("127.0.0.1"))),
                Err(Withheld::NullSender)
            );
            assert_eq!(
                g.may_notify(&s("<>", None, None)),
                Err(Withheld::NullSender)
            );
        }
    }

    #[test]
    fn without_domains_authenticated_or_loopback() {
        let g = NoticeGate::default();
        assert_eq!(
            g.may_notify(&s("a@x.example", Some("alice"), Some("203.0.113.9"))),
            Ok(())
        );
        assert_eq!(
            g.may_notify(&s("a@x.example", None, Some("127.0.0.1"))),
            Ok(())
        );
        assert_eq!(g.may_notify(&s("a@x.example", None, Some("::1"))), Ok(()));
        assert_eq!(
            g.may_notify(&s("a@x.example", None, Some("IPv6:::1"))),
            Ok(())
        );
        for (auth, client) in [
            (None, Some("203.0.113.9")),
            (Some(" "), Some("10.0.0.5")),
            (None, None),
            (None, Some("unknown")),
        ] {
            assert_eq!(
                g.may_notify(&s("a@x.example", auth, client)),
                Err(Withheld::Unverified),
                "{auth:?} {client:?}"
            );
        }
    }

    #[test]
    fn rate_limit_then_one_summary_then_silence() {
        let g = NoticeGate::new(vec!["school.example".into()]);
        let me = s("t@school.example", None, None);
        for n in 0..HOLD_NOTICES_PER_WINDOW {
            assert_eq!(g.hold_notice(&me, n, 0), SenderNotice::Notice);
        }
        assert_eq!(
            g.hold_notice(&me, HOLD_NOTICES_PER_WINDOW, 0),
            SenderNotice::Summary
        );
        assert_eq!(
            g.hold_notice(&me, HOLD_NOTICES_PER_WINDOW, 1),
            SenderNotice::Withheld(Withheld::RateLimited)
        );
        // An outsider is refused before any counting.
        assert_eq!(
            g.hold_notice(&s("x@gmail.com", None, None), 0, 0),
            SenderNotice::Withheld(Withheld::External)
        );
    }
}
