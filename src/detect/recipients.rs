//! Exposed recipients: many external addresses visible in To/Cc, where BCC
//! should have been used.
//!
//! Works on the headers (what every recipient sees) and, in the milter, on the
//! envelope (who actually receives the message). A message whose headers show
//! 30 parents is the problem; one with 30 envelope recipients and
//! `undisclosed-recipients:;` is not.

use super::{Category, Confidence, Finding, Location};
use crate::message::{domain_of, Envelope, Message};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashSet};
use std::sync::OnceLock;

pub const DETECTOR_ID: &str = "recipient_count";

/// Consumer mail provider domains, worldwide (a data file with its source
/// and licence in its header): an address there is a private person's.
const FREE_MAIL: &str = include_str!("free_mail_domains.txt");

/// The free-mail domains as a set, built the first time a message has
/// enough external recipients to need it (not at start-up).
fn free_mail() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| {
        FREE_MAIL
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect()
    })
}

/// Is `domain` (lower case) a consumer mail provider's, or a subdomain of one?
pub fn is_consumer(domain: &str) -> bool {
    let set = free_mail();
    set.contains(domain) || registrable(domain).is_some_and(|r| set.contains(r))
}

/// The registrable domain (public-suffix aware: `northshire.gov.uk` for
/// `mail.northshire.gov.uk`, never `gov.uk`). Documentation and test mail
/// name invented organisations under the reserved `example` names
/// (RFC 2606: `sportsclub.example.co.uk`), so there the label before
/// `example` is the organisation.
fn registrable(domain: &str) -> Option<&str> {
    let d = psl::domain_str(domain)?;
    if d.split('.').next() != Some("example") || d.len() == domain.len() {
        return Some(d);
    }
    let head = domain.get(..domain.len() - d.len() - 1)?;
    let label = head.rsplit('.').next()?;
    domain.get(domain.len() - d.len() - label.len() - 1..)
}

/// What an exposed-recipients rule counts (`count = ...` in its rule).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CountUnit {
    /// Distinct external addresses.
    Addresses,
    /// Distinct external organisations: registrable domains, with every
    /// address at a consumer mail provider counted as its own (people who
    /// do not know each other). Eight staff of one council are one.
    #[default]
    Organisations,
}

/// The organisation an external address belongs to: its registrable
/// domain, or the address itself at a consumer mail provider.
fn organisation(address: &str) -> String {
    let lower = address.to_ascii_lowercase();
    let Some(domain) = domain_of(&lower) else {
        return lower;
    };
    if is_consumer(domain) {
        return lower;
    }
    registrable(domain).unwrap_or(domain).to_string()
}

/// Folds an organisation domain into another one it lies under. The public
/// suffix list makes every name under `sch.uk` a suffix (`*.sch.uk`, for
/// local-authority names like `oxon.sch.uk`), so `office.greenlane.sch.uk`
/// and `greenlane.sch.uk` come out as two registrable domains; when both
/// are among the recipients they are one school. Addresses at consumer
/// providers (keys with an `@`) are never folded.
fn merge_nested(orgs: BTreeSet<String>) -> Vec<String> {
    let under_another = |o: &str| {
        o.match_indices('.')
            .filter_map(|(i, _)| o.get(i + 1..))
            .any(|parent| orgs.contains(parent))
    };
    orgs.iter()
        .filter(|o| o.contains('@') || !under_another(o))
        .cloned()
        .collect()
}

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

/// Counts distinct external addresses, and the organisations they belong
/// to, visible in To+Cc, and reports them when there are at least
/// `threshold` addresses (never fewer than 2; organisations are never more
/// than addresses, so the policy can then apply either unit). `unit` is
/// the unit the policy counts in, which the explanation leads with.
pub fn detect(
    msg: &Message,
    envelope: Option<&Envelope>,
    internal: &Internal,
    threshold: usize,
    unit: CountUnit,
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
    let organisations = merge_nested(external.iter().map(|a| organisation(a)).collect());
    let webmail = external
        .iter()
        .filter(|a| domain_of(a).is_some_and(|d| is_consumer(&d.to_ascii_lowercase())))
        .count();
    let header = if in_to >= in_cc { "To" } else { "Cc" };
    let counted = match unit {
        CountUnit::Addresses => external.len(),
        CountUnit::Organisations => organisations.len(),
    };
    let confidence = if webmail > 0 || counted >= threshold.saturating_mul(2) {
        Confidence::High
    } else {
        Confidence::Medium
    };
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let orgs = plural(
        organisations.len(),
        "external organisation",
        "external organisations",
    );
    let addrs = plural(external.len(), "address", "addresses");
    let split = format!("{in_to} in To, {in_cc} in Cc; {webmail} at consumer webmail");
    let evidence = match unit {
        CountUnit::Organisations => {
            format!("{orgs} visible in To/Cc ({addrs}: {split})")
        }
        CountUnit::Addresses => format!(
            "{} visible in To/Cc ({split}; {orgs})",
            plural(external.len(), "external address", "external addresses")
        ),
    };
    let mut f = Finding::new(
        Category::ExposedRecipients,
        DETECTOR_ID,
        Location::Header(header.into()),
        confidence,
        evidence,
    );
    f.organisations = Some(organisations.len());
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
            CountUnit::Organisations,
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
            6,
            CountUnit::Organisations,
        )
        .is_none());
    }

    #[test]
    fn to_and_cc_count_together_and_distinct() {
        let to = parents(3, "gmail.com");
        let cc = format!("{}, p0@gmail.com", parents(3, "yahoo.com"));
        let f = detect(
            &msg(&to, &cc),
            None,
            &Internal::default(),
            6,
            CountUnit::Organisations,
        )
        .unwrap();
        assert_eq!(f.count, 6);
    }

    #[test]
    fn subdomains_of_from_domain_are_internal() {
        let to = parents(10, "staff.school.sch.uk");
        assert!(detect(
            &msg(&to, "y@school.sch.uk"),
            None,
            &Internal::default(),
            6,
            CountUnit::Organisations,
        )
        .is_none());
    }

    #[test]
    fn configured_domains_replace_from_domain() {
        let internal = Internal {
            domains: vec!["trust.org.uk".into()],
        };
        let to = parents(6, "school.sch.uk");
        assert!(detect(
            &msg(&to, "y@trust.org.uk"),
            None,
            &internal,
            6,
            CountUnit::Organisations
        )
        .is_some());
    }

    #[test]
    fn undisclosed_recipients_never_triggers() {
        assert!(detect(
            &msg("undisclosed-recipients:;", "office@school.sch.uk"),
            None,
            &Internal::default(),
            6,
            CountUnit::Organisations,
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
            6,
            CountUnit::Organisations,
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
            6,
            CountUnit::Organisations,
        )
        .is_some());
    }

    fn found(to: &str, unit: CountUnit) -> Finding {
        detect(&msg(to, ""), None, &Internal::default(), 6, unit).expect("a finding")
    }

    #[test]
    fn one_partner_organisation_is_one_organisation() {
        // Eight staff of one council, some on a subdomain: ordinary business.
        let to = format!(
            "{}, a@social-care.northshire.gov.uk, b@SOCIAL-CARE.northshire.gov.uk",
            parents(6, "northshire.gov.uk")
        );
        let f = found(&to, CountUnit::Organisations);
        assert_eq!(f.count, 8);
        assert_eq!(f.organisations, Some(1));
        assert_eq!(f.confidence, Confidence::Medium);
        assert!(
            f.evidence
                .starts_with("1 external organisation visible in To/Cc (8 addresses"),
            "{}",
            f.evidence
        );
    }

    #[test]
    fn a_subdomain_of_another_recipients_school_is_that_school() {
        let to = format!(
            "{}, head@office.greenlane.sch.uk, a@hillside.oxon.sch.uk, b@oakfield.oxon.sch.uk",
            parents(4, "greenlane.sch.uk")
        );
        let f = found(&to, CountUnit::Organisations);
        assert_eq!(f.organisations, Some(3));
        // Two schools under one local authority stay two.
        assert_eq!(
            merge_nested(["hillside.oxon.sch.uk".into(), "oakfield.oxon.sch.uk".into()].into())
                .len(),
            2
        );
    }

    #[test]
    fn public_suffixes_are_not_organisations() {
        // Two councils and two NHS trusts share gov.uk / nhs.uk, not an organisation.
        let to = "a@northshire.gov.uk, b@southshire.gov.uk, c@leeds.nhs.uk, d@york.nhs.uk, \
                  e@x.ac.uk, f@y.sch.uk";
        let f = found(to, CountUnit::Organisations);
        assert_eq!(f.organisations, Some(6));
    }

    #[test]
    fn every_consumer_webmail_address_is_its_own_organisation() {
        // Worldwide providers, not only UK ones.
        let to = "a@gmail.com, b@gmail.com, c@yahoo.fr, d@gmx.de, e@web.de, f@qq.com, \
                  g@163.com, h@mail.ru, i@btinternet.com, j@Hotmail.co.uk";
        let f = found(to, CountUnit::Organisations);
        assert_eq!(f.organisations, Some(10));
        assert_eq!(f.confidence, Confidence::High);
        assert!(
            f.evidence.contains("10 at consumer webmail"),
            "{}",
            f.evidence
        );
        for d in [
            "outlook.com",
            "icloud.com",
            "sky.com",
            "yahoo.co.jp",
            "gmx.net",
        ] {
            assert!(is_consumer(d), "{d}");
        }
        for d in [
            "northshire.gov.uk",
            "nhs.net",
            "oakfield.sch.uk",
            "example.com",
        ] {
            assert!(!is_consumer(d), "{d}");
        }
    }

    #[test]
    fn invented_organisations_under_example_names() {
        assert_eq!(
            registrable("coach.sportsclub.example.co.uk"),
            Some("sportsclub.example.co.uk")
        );
        assert_eq!(registrable("dance.example.com"), Some("dance.example.com"));
        assert_eq!(registrable("example.com"), Some("example.com"));
        assert_eq!(
            registrable("mail.northshire.gov.uk"),
            Some("northshire.gov.uk")
        );
    }

    #[test]
    fn explanation_names_the_unit_counted() {
        let to = parents(7, "trust.org.uk");
        let f = found(&to, CountUnit::Addresses);
        assert!(
            f.evidence
                .starts_with("7 external addresses visible in To/Cc"),
            "{}",
            f.evidence
        );
        assert!(
            f.evidence.contains("1 external organisation"),
            "{}",
            f.evidence
        );
        let f = found(&to, CountUnit::Organisations);
        assert!(
            f.evidence.starts_with("1 external organisation"),
            "{}",
            f.evidence
        );
    }
}
