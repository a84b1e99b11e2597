//! Exposed recipients: many external addresses visible in To/Cc, where BCC
//! should have been used.
//!
//! Works on the headers (what every recipient sees) and, in the milter, on the
//! envelope (who actually receives the message). A message whose headers show
//! 30 parents is the problem; one with 30 envelope recipients and
//! `undisclosed-recipients:;` is not.

use super::{Category, Confidence, Finding, Location};
use crate::message::{domain_of, Envelope, Message};
use std::collections::BTreeSet;

pub const DETECTOR_ID: &str = "recipient_count";

/// Consumer webmail domains: recipients there are almost always private
/// individuals (parents), which makes an exposed list more sensitive.
const WEBMAIL: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "yahoo.com",
    "yahoo.co.uk",
    "hotmail.com",
    "hotmail.co.uk",
    "outlook.com",
    "live.com",
    "live.co.uk",
    "msn.com",
    "icloud.com",
    "me.com",
    "mac.com",
    "aol.com",
    "aol.co.uk",
    "btinternet.com",
    "sky.com",
    "talktalk.net",
    "virginmedia.com",
    "ntlworld.com",
    "mail.com",
    "gmx.com",
    "gmx.co.uk",
    "protonmail.com",
    "proton.me",
    "yandex.com",
    "zoho.com",
    "tiscali.co.uk",
    "blueyonder.co.uk",
];

/// Which domains are the organisation's own.
#[derive(Debug, Clone, Default)]
pub struct Internal {
    /// Configured domains (lower-case); subdomains count too.
    pub domains: Vec<String>,
}

impl Internal {
    /// True when `address` is in one of the organisation's domains. With none
    /// configured, the From domain (and its subdomains) is internal.
    pub fn is_internal(&self, address: &str, from_domain: Option<&str>) -> bool {
        let Some(d) = domain_of(address) else {
            return false;
        };
        let d = d.to_ascii_lowercase();
        let matches = |org: &str| d == org || d.ends_with(&format!(".{org}"));
        if self.domains.is_empty() {
            from_domain.is_some_and(|f| matches(&f.to_ascii_lowercase()))
        } else {
            self.domains.iter().any(|o| matches(o))
        }
    }
}

/// Counts distinct external addresses visible in To+Cc and reports them when
/// there are at least `threshold` (never fewer than 2).
pub fn detect(
    msg: &Message,
    envelope: Option<&Envelope>,
    internal: &Internal,
    threshold: usize,
) -> Option<Finding> {
    let from_domain = msg.from.as_deref().and_then(domain_of);
    let mut external: BTreeSet<&str> = BTreeSet::new();
    let mut in_to = 0usize;
    let mut in_cc = 0usize;
    for m in &msg.to {
        if let Some(a) = m.address.as_deref() {
            if !internal.is_internal(a, from_domain) && external.insert(a) {
                in_to += 1;
            }
        }
    }
    for m in &msg.cc {
        if let Some(a) = m.address.as_deref() {
            if !internal.is_internal(a, from_domain) && external.insert(a) {
                in_cc += 1;
            }
        }
    }
    if external.len() < threshold.max(2) {
        return None;
    }
    // With an envelope: if nobody outside actually receives this copy, the
    // list is not exposed to anyone outside.
    if let Some(env) = envelope {
        if !env.recipients.is_empty()
            && env
                .recipients
                .iter()
                .all(|r| internal.is_internal(r, from_domain))
        {
            return None;
        }
    }
    let domains: BTreeSet<&str> = external.iter().filter_map(|a| domain_of(a)).collect();
    let webmail = domains.iter().filter(|d| WEBMAIL.contains(d)).count();
    let header = if in_to >= in_cc { "To" } else { "Cc" };
    let confidence = if webmail > 0 || external.len() >= threshold * 2 {
        Confidence::High
    } else {
        Confidence::Medium
    };
    let mut f = Finding::new(
        Category::ExposedRecipients,
        DETECTOR_ID,
        Location::Header(header.into()),
        confidence,
        format!(
            "{} external addresses visible in To/Cc ({} in To, {} in Cc) across {} domains, {} of them consumer webmail",
            external.len(),
            in_to,
            in_cc,
            domains.len(),
            webmail
        ),
    );
    f.count = external.len();
    Some(f)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::{parse, ParseLimits};

    fn msg(to: &str, cc: &str) -> Message {
        let raw = format!(
            "From: office@school.sch.uk\r\nTo: {to}\r\nCc: {cc}\r\nSubject: x\r\n\r\nbody\r\n"
        );
        parse(raw.as_bytes(), &ParseLimits::default())
    }

    fn parents(n: usize, domain: &str) -> String {
        (0..n)
            .map(|i| format!("p{i}@{domain}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    #[test]
    fn six_external_in_to_triggers() {
        let f = detect(
            &msg(&parents(6, "gmail.com"), "a@school.sch.uk"),
            None,
            &Internal::default(),
            6,
        )
        .unwrap();
        assert_eq!(f.location, Location::Header("To".into()));
        assert_eq!(f.count, 6);
        assert_eq!(f.confidence, Confidence::High);
    }

    #[test]
    fn five_external_does_not() {
        assert!(detect(
            &msg(&parents(5, "gmail.com"), "x@school.sch.uk"),
            None,
            &Internal::default(),
            6
        )
        .is_none());
    }

    #[test]
    fn to_and_cc_count_together_and_distinct() {
        let to = parents(3, "gmail.com");
        let cc = format!("{}, p0@gmail.com", parents(3, "yahoo.com"));
        let f = detect(&msg(&to, &cc), None, &Internal::default(), 6).unwrap();
        assert_eq!(f.count, 6);
    }

    #[test]
    fn subdomains_of_from_domain_are_internal() {
        let to = parents(10, "staff.school.sch.uk");
        assert!(detect(&msg(&to, "y@school.sch.uk"), None, &Internal::default(), 6).is_none());
    }

    #[test]
    fn configured_domains_replace_from_domain() {
        let internal = Internal {
            domains: vec!["trust.org.uk".into()],
        };
        let to = parents(6, "school.sch.uk");
        assert!(detect(&msg(&to, "y@trust.org.uk"), None, &internal, 6).is_some());
    }

    #[test]
    fn undisclosed_recipients_never_triggers() {
        assert!(detect(
            &msg("undisclosed-recipients:;", "office@school.sch.uk"),
            None,
            &Internal::default(),
            6
        )
        .is_none());
    }

    #[test]
    fn envelope_only_internal_means_not_exposed_outside() {
        let env = Envelope {
            recipients: vec!["head@school.sch.uk".into()],
            ..Default::default()
        };
        assert!(detect(
            &msg(&parents(8, "gmail.com"), "x@school.sch.uk"),
            Some(&env),
            &Internal::default(),
            6
        )
        .is_none());
        let env = Envelope {
            recipients: vec!["p1@gmail.com".into()],
            ..Default::default()
        };
        assert!(detect(
            &msg(&parents(8, "gmail.com"), "x@school.sch.uk"),
            Some(&env),
            &Internal::default(),
            6
        )
        .is_some());
    }
}
