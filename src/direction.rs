//! Which way a message travels: `outbound`, `internal` or `inbound`.
//!
//! A DLP milter for outgoing mail must stay out of inbound mail even when an
//! admin attaches it where inbound mail also arrives (`smtpd_milters` on a
//! relay that is also the MX): a parent's email about their child's EHCP,
//! or a newsletter *received* with 40 addresses in To, is not ours to hold.
//! So every transaction is classified from what Postfix tells the milter,
//! before anything is scanned:
//!
//! - the **source** is trusted when the client logged in (`{auth_authen}`),
//!   came in through a service declared outbound (`{daemon_name}` in
//!   `[direction] outbound_daemons`), or connected from
//!   `[direction] trusted_networks` (default: loopback plus Postfix's
//!   `mynetworks`). Anything else, whatever its From, is inbound: a forged
//!   internal sender on an unauthenticated connection from the internet is
//!   the inbound filters' business.
//! - from a trusted source, mail with at least one recipient outside
//!   `[organisation] domains` is **outbound**, mail with every recipient
//!   inside is **internal**. One exception: a trusted *network* (not a
//!   login, not an outbound service) relaying mail from an outside sender
//!   to inside recipients only is inbound mail passing through a local hop
//!   (a content filter's re-injection, a list server), not staff mail.
//!
//! The decision is a pure function ([`classify`]) returning the direction
//! and a reason that goes into the log line, the `scan` JSON and the audit
//! entry, so a relay counted wrongly (Microsoft 365, Google Workspace or the
//! MIS server seen as inbound) shows up in the log instead of leaking
//! silently. [`Cause`] is the short label for counting decisions.

use crate::config::{Config, DirectionConfig};
use crate::detect::recipients::Internal;
use crate::message::domain_of;
use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::IpAddr;

/// Which way a message travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// From a trusted source, with at least one recipient outside.
    Outbound,
    /// From a trusted source, every recipient inside the organisation.
    Internal,
    /// Everything else: passes untouched, never scanned.
    Inbound,
}

impl Direction {
    /// Every direction, e.g. to start a per-direction counter at zero.
    pub const ALL: [Direction; 3] = [Direction::Outbound, Direction::Internal, Direction::Inbound];

    /// The name in logs, JSON and rules files.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Outbound => "outbound",
            Direction::Internal => "internal",
            Direction::Inbound => "inbound",
        }
    }

    /// True for the directions the milter scans.
    pub fn scanned(self) -> bool {
        self != Direction::Inbound
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a transaction got its direction, as a short stable label (for a
/// metric's label or a log filter); [`Classified::reason`] is the sentence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    /// The client logged in (SASL).
    Authenticated,
    /// The service's `{daemon_name}` is in `outbound_daemons`.
    OutboundDaemon,
    /// The client address is in `trusted_networks`.
    TrustedNetwork,
    /// A trusted network relayed an outside sender's mail to inside
    /// recipients only.
    RelayedToInside,
    /// Not logged in, not an outbound service, client outside `trusted_networks`.
    UntrustedClient,
    /// Not logged in, not an outbound service, and no client address.
    NoClientAddress,
    /// Stated, not derived: the `scan` command with `--direction`, or
    /// without any connection details (outbound assumed).
    Given,
}

impl Cause {
    /// Every cause, e.g. to start a per-cause counter at zero.
    pub const ALL: [Cause; 7] = [
        Cause::Authenticated,
        Cause::OutboundDaemon,
        Cause::TrustedNetwork,
        Cause::RelayedToInside,
        Cause::UntrustedClient,
        Cause::NoClientAddress,
        Cause::Given,
    ];

    /// The label.
    pub fn as_str(self) -> &'static str {
        match self {
            Cause::Authenticated => "authenticated",
            Cause::OutboundDaemon => "outbound_daemon",
            Cause::TrustedNetwork => "trusted_network",
            Cause::RelayedToInside => "relayed_to_inside",
            Cause::UntrustedClient => "untrusted_client",
            Cause::NoClientAddress => "no_client_address",
            Cause::Given => "given",
        }
    }
}

/// A direction with its reason. Serialises as `"direction"` and
/// `"direction_reason"` (flattened into the scan JSON and the audit entry).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Classified {
    pub direction: Direction,
    #[serde(skip)]
    pub cause: Cause,
    /// One sentence for people: what was trusted or not, and where the
    /// recipients are. Carries a client address, never a recipient.
    #[serde(rename = "direction_reason")]
    pub reason: String,
}

impl Classified {
    /// A direction stated by the caller (the `scan` command).
    pub fn given(direction: Direction, reason: &str) -> Classified {
        Classified {
            direction,
            cause: Cause::Given,
            reason: reason.to_string(),
        }
    }

    /// What the `scan` command assumes without connection details: a file
    /// someone asks about is mail they mean to send.
    pub fn assumed_outbound() -> Classified {
        Classified::given(
            Direction::Outbound,
            "no connection details given: outbound assumed",
        )
    }
}

impl Default for Classified {
    fn default() -> Self {
        Classified::assumed_outbound()
    }
}

/// Whether the source of a transaction may send outgoing mail, and why.
/// Known at MAIL FROM, before the recipients: an untrusted source is
/// inbound whatever follows, so the milter need not even keep its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Authenticated,
    OutboundDaemon(String),
    TrustedNetwork(IpAddr),
    Untrusted(IpAddr),
    NoClientAddress,
}

impl Source {
    /// True when mail from this source is outbound or internal.
    pub fn trusted(&self) -> bool {
        matches!(
            self,
            Source::Authenticated | Source::OutboundDaemon(_) | Source::TrustedNetwork(_)
        )
    }
}

/// What the MTA says about one transaction.
#[derive(Debug, Clone, Copy, Default)]
pub struct Facts<'a> {
    /// `{auth_authen}`: the SASL login, if any.
    pub auth_user: Option<&'a str>,
    /// `{client_addr}`.
    pub client_addr: Option<&'a str>,
    /// `{daemon_name}`.
    pub daemon: Option<&'a str>,
    /// MAIL FROM (empty for the null sender).
    pub sender: &'a str,
    /// RCPT TO addresses.
    pub recipients: &'a [String],
}

/// What is trusted: the effective `[direction]` settings and the
/// organisation's domains.
#[derive(Debug, Clone, Default)]
pub struct Trust {
    pub networks: Vec<IpNet>,
    /// Lower-cased daemon names.
    pub outbound_daemons: Vec<String>,
    pub internal: Internal,
}

/// A `[direction]` value that cannot be used; the message names the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("direction.trusted_networks: {0:?} is not an address or network (e.g. 10.0.0.0/8, 192.0.2.7, ::1)")]
pub struct BadNetwork(pub String);

/// Loopback, always part of the default trusted networks: sendmail(1),
/// webmail and notices on the host itself (Postfix presents locally
/// submitted mail to `non_smtpd_milters` as a client at 127.0.0.1).
const LOOPBACK: [&str; 2] = ["127.0.0.0/8", "::1/128"];

impl Trust {
    /// The effective settings of `config`. Without `trusted_networks`, the
    /// default is loopback plus what `mynetworks()` returns (Postfix's
    /// `mynetworks`; [`postfix_mynetworks`] in the daemon); its entries
    /// dlp-milter cannot read (host names, lookup tables, exclusions) are
    /// returned as the second value so the caller can warn.
    pub fn from_config(
        config: &Config,
        mynetworks: impl FnOnce() -> Option<String>,
    ) -> Result<(Trust, Vec<String>), BadNetwork> {
        let d: &DirectionConfig = &config.direction;
        let mut skipped = Vec::new();
        let networks = match &d.trusted_networks {
            Some(list) => list
                .iter()
                .map(|s| parse_network(s).ok_or_else(|| BadNetwork(s.clone())))
                .collect::<Result<Vec<_>, _>>()?,
            None => {
                let mut nets: Vec<IpNet> = LOOPBACK.iter().filter_map(|s| s.parse().ok()).collect();
                if let Some(text) = mynetworks() {
                    let (found, unread) = parse_mynetworks(&text);
                    for n in found {
                        if !nets.contains(&n) {
                            nets.push(n);
                        }
                    }
                    skipped = unread;
                }
                nets
            }
        };
        Ok((
            Trust {
                networks,
                outbound_daemons: d
                    .outbound_daemons
                    .iter()
                    .map(|s| s.trim().to_ascii_lowercase())
                    .filter(|s| !s.is_empty())
                    .collect(),
                internal: Internal {
                    domains: config.internal_domains(),
                },
            },
            skipped,
        ))
    }

    /// The trusted networks, for the start-up log line.
    pub fn networks_text(&self) -> String {
        let v: Vec<String> = self.networks.iter().map(IpNet::to_string).collect();
        v.join(" ")
    }

    /// Whether the source is trusted, from the login, the service and the
    /// client address, in that order (a login is the strongest evidence).
    pub fn source(
        &self,
        auth_user: Option<&str>,
        client_addr: Option<&str>,
        daemon: Option<&str>,
    ) -> Source {
        if auth_user.is_some_and(|u| !u.trim().is_empty()) {
            return Source::Authenticated;
        }
        if let Some(d) = daemon.map(str::trim).filter(|d| !d.is_empty()) {
            if self
                .outbound_daemons
                .iter()
                .any(|o| o.eq_ignore_ascii_case(d))
            {
                return Source::OutboundDaemon(d.to_string());
            }
        }
        match client_addr.and_then(parse_addr) {
            Some(ip) if self.networks.iter().any(|n| n.contains(&ip)) => Source::TrustedNetwork(ip),
            Some(ip) => Source::Untrusted(ip),
            None => Source::NoClientAddress,
        }
    }
}

/// The decision for one transaction (see the module documentation).
pub fn classify(trust: &Trust, facts: &Facts<'_>) -> Classified {
    let source = trust.source(facts.auth_user, facts.client_addr, facts.daemon);
    direction_of(trust, &source, facts.sender, facts.recipients)
}

/// [`classify`] with the source already known (the milter works it out at
/// MAIL FROM and the rest at end of message).
pub fn direction_of(
    trust: &Trust,
    source: &Source,
    sender: &str,
    recipients: &[String],
) -> Classified {
    let (cause, trusted_by) = match source {
        Source::Untrusted(ip) => {
            return Classified {
                direction: Direction::Inbound,
                cause: Cause::UntrustedClient,
                reason: format!("client {ip} is not in trusted_networks and did not log in"),
            }
        }
        Source::NoClientAddress => {
            return Classified {
                direction: Direction::Inbound,
                cause: Cause::NoClientAddress,
                reason: "no client address from the MTA and no login".into(),
            }
        }
        Source::Authenticated => (Cause::Authenticated, "client logged in (SASL)".to_string()),
        Source::OutboundDaemon(d) => (
            Cause::OutboundDaemon,
            format!("service {d:?} is in outbound_daemons"),
        ),
        Source::TrustedNetwork(ip) => (
            Cause::TrustedNetwork,
            format!("client {ip} is in trusted_networks"),
        ),
    };
    let sender_domain = domain_of(sender);
    let outside = recipients
        .iter()
        .filter(|r| !trust.internal.is_internal(r, sender_domain))
        .count();
    if outside > 0 {
        return Classified {
            direction: Direction::Outbound,
            cause,
            reason: format!(
                "{trusted_by}; {outside} of {} recipients outside the organisation",
                recipients.len()
            ),
        };
    }
    // Only configured domains can say a sender is outside (without them
    // the sender's own domain is "inside").
    let sender_outside = !trust.internal.domains.is_empty()
        && !sender.is_empty()
        && !trust.internal.is_internal(sender, None);
    if cause == Cause::TrustedNetwork && sender_outside {
        return Classified {
            direction: Direction::Inbound,
            cause: Cause::RelayedToInside,
            reason: format!(
                "{trusted_by}, but it relays an outside sender's mail to inside recipients only"
            ),
        };
    }
    Classified {
        direction: Direction::Internal,
        cause,
        reason: format!("{trusted_by}; every recipient inside the organisation"),
    }
}

/// A client address as Postfix gives it: `192.0.2.1`, `2001:db8::1`,
/// `IPv6:2001:db8::1`, `[::1]`. An IPv4-mapped IPv6 address counts as its
/// IPv4 address.
pub fn parse_addr(s: &str) -> Option<IpAddr> {
    let s = s.trim();
    let s = s
        .strip_prefix("IPv6:")
        .or_else(|| s.strip_prefix("ipv6:"))
        .unwrap_or(s);
    let s = s.trim_start_matches('[').trim_end_matches(']');
    let ip: IpAddr = s.parse().ok()?;
    Some(match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    })
}

/// An address or network in config or `mynetworks` notation: `10.0.0.0/8`,
/// `192.0.2.7` (one host), `[2001:db8::]/32`, `::1`.
pub fn parse_network(s: &str) -> Option<IpNet> {
    let s = s.trim();
    let (addr, prefix) = match s.rsplit_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (s, None),
    };
    let addr = addr.trim_start_matches('[').trim_end_matches(']');
    let ip: IpAddr = addr.parse().ok()?;
    match prefix {
        None => Some(IpNet::from(ip)),
        Some(p) => {
            let len: u8 = p.parse().ok()?;
            IpNet::new(ip, len).ok().map(|n| n.trunc())
        }
    }
}

/// The networks in a `postconf -h mynetworks` value, and the entries that
/// are not literal networks (host names, `type:table` lookups, `/file`
/// patterns, `!` exclusions), which are left out: trusting less than
/// Postfix does is the safe error, and the caller logs them.
pub fn parse_mynetworks(text: &str) -> (Vec<IpNet>, Vec<String>) {
    let mut nets = Vec::new();
    let mut skipped = Vec::new();
    for item in text
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
    {
        match parse_network(item) {
            Some(n) => nets.push(n),
            None => skipped.push(item.to_string()),
        }
    }
    (nets, skipped)
}

/// Postfix's `mynetworks`, from `postconf -h mynetworks` (it honours
/// `MAIL_CONFIG`). None when postconf is not there or fails.
pub fn postfix_mynetworks() -> Option<String> {
    let out = std::process::Command::new("postconf")
        .args(["-h", "mynetworks"])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trust(domains: &[&str]) -> Trust {
        Trust {
            networks: ["127.0.0.0/8", "::1/128", "10.20.0.0/16"]
                .iter()
                .map(|s| s.parse().unwrap())
                .collect(),
            outbound_daemons: vec!["submission".into()],
            internal: Internal {
                domains: domains.iter().map(|d| d.to_string()).collect(),
            },
        }
    }

    fn rcpts(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    /// The decision table, one row per line: login, client address,
    /// daemon name (`-` for none), envelope sender (`<>` for the null
    /// sender), recipients (`inside`, `outside` = one inside and one at
    /// gmail.com, `sub` = a subdomain), then the expected direction and cause.
    const TABLE: &str = "
        # A login is trusted wherever it connects from.
        office  203.0.113.9       -                  office@school.example       outside  outbound  authenticated
        office  203.0.113.9       -                  office@school.example       inside   internal  authenticated
        # A login with a private From writing to colleagues is staff mail.
        office  203.0.113.9       -                  me@gmail.com                inside   internal  authenticated
        # Subdomains of the organisation are inside.
        office  -                 -                  office@school.example       sub      internal  authenticated
        # A service declared outbound (names compare case-insensitively).
        -       203.0.113.9       submission         office@school.example       outside  outbound  outbound_daemon
        -       203.0.113.9       SUBMISSION         office@school.example       inside   internal  outbound_daemon
        # Postfix's default daemon name ($myhostname) proves nothing.
        -       203.0.113.9       mx.school.example  office@school.example       outside  inbound   untrusted_client
        # Trusted networks, in the forms Postfix writes addresses.
        -       127.0.0.1         -                  office@school.example       outside  outbound  trusted_network
        -       10.20.3.4         -                  mis@school.example          inside   internal  trusted_network
        -       ::1               -                  office@school.example       outside  outbound  trusted_network
        -       ::ffff:10.20.3.4  -                  office@school.example       outside  outbound  trusted_network
        -       IPv6:::1          -                  office@school.example       inside   internal  trusted_network
        # A vendor-branded system on a trusted network mailing parents.
        -       10.20.3.4         -                  noreply@mis-vendor.example  outside  outbound  trusted_network
        # A trusted hop handing an outside sender's mail to staff.
        -       127.0.0.1         -                  parent@gmail.com            inside   inbound   relayed_to_inside
        # The internet: inbound whatever the From says.
        -       203.0.113.9       -                  parent@gmail.com            inside   inbound   untrusted_client
        -       203.0.113.9       -                  head@school.example         inside   inbound   untrusted_client
        -       203.0.113.9       -                  head@school.example         outside  inbound   untrusted_client
        -       10.21.0.1         -                  head@school.example         outside  inbound   untrusted_client
        -       -                 -                  head@school.example         outside  inbound   no_client_address
        -       unknown           -                  head@school.example         outside  inbound   no_client_address
        # Bounces (null sender) from the host itself.
        -       127.0.0.1         -                  <>                          outside  outbound  trusted_network
        -       127.0.0.1         -                  <>                          inside   internal  trusted_network
    ";

    #[test]
    fn decision_table() {
        let t = trust(&["school.example"]);
        let lists = [
            (
                "inside",
                rcpts(&["head@school.example", "office@school.example"]),
            ),
            (
                "outside",
                rcpts(&["head@school.example", "parent@gmail.com"]),
            ),
            ("sub", rcpts(&["it@mail.school.example"])),
        ];
        let opt = |s: &'static str| (s != "-").then_some(s);
        let mut rows = 0;
        for line in TABLE.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let f: Vec<&'static str> = line.split_whitespace().collect();
            let [auth, client, daemon, sender, to, dir, cause] = f[..] else {
                panic!("bad row: {line}");
            };
            let r = &lists.iter().find(|(k, _)| *k == to).unwrap().1;
            let c = classify(
                &t,
                &Facts {
                    auth_user: opt(auth),
                    client_addr: opt(client),
                    daemon: opt(daemon),
                    sender: if sender == "<>" { "" } else { sender },
                    recipients: r,
                },
            );
            assert_eq!(
                (c.direction.as_str(), c.cause.as_str()),
                (dir, cause),
                "{line}: {}",
                c.reason
            );
            // The reason never names a recipient.
            for a in r {
                assert!(!c.reason.contains(a.as_str()), "{line}: {}", c.reason);
            }
            rows += 1;
        }
        assert_eq!(rows, 22);
        // An empty login is no login.
        let c = classify(
            &t,
            &Facts {
                auth_user: Some(" "),
                client_addr: Some("203.0.113.9"),
                sender: "head@school.example",
                recipients: &lists[1].1,
                ..Default::default()
            },
        );
        assert_eq!(c.cause, Cause::UntrustedClient);
    }

    #[test]
    fn without_organisation_domains_the_senders_domain_is_inside() {
        let t = trust(&[]);
        let f = |sender, r: &[String]| {
            classify(
                &t,
                &Facts {
                    auth_user: Some("office"),
                    sender,
                    recipients: r,
                    ..Default::default()
                },
            )
            .direction
        };
        assert_eq!(
            f("office@school.example", &rcpts(&["head@school.example"])),
            Direction::Internal
        );
        assert_eq!(
            f("office@school.example", &rcpts(&["a@gmail.com"])),
            Direction::Outbound
        );
        // No domains: "outside sender" cannot be told, so a trusted hop is not inbound.
        let c = classify(
            &t,
            &Facts {
                client_addr: Some("127.0.0.1"),
                sender: "parent@gmail.com",
                recipients: &rcpts(&["parent2@gmail.com"]),
                ..Default::default()
            },
        );
        assert_eq!(c.direction, Direction::Internal, "{}", c.reason);
    }

    #[test]
    fn reasons_say_what_was_trusted() {
        let t = trust(&["school.example"]);
        let c = classify(
            &t,
            &Facts {
                client_addr: Some("198.51.100.7"),
                sender: "head@school.example",
                recipients: &rcpts(&["office@school.example"]),
                ..Default::default()
            },
        );
        assert_eq!(
            c.reason,
            "client 198.51.100.7 is not in trusted_networks and did not log in"
        );
        let c = classify(
            &t,
            &Facts {
                auth_user: Some("office"),
                sender: "office@school.example",
                recipients: &rcpts(&["a@gmail.com", "b@school.example", "c@gmail.com"]),
                ..Default::default()
            },
        );
        assert_eq!(
            c.reason,
            "client logged in (SASL); 2 of 3 recipients outside the organisation"
        );
    }

    #[test]
    fn addresses_in_postfix_forms() {
        assert_eq!(parse_addr("192.0.2.1"), Some("192.0.2.1".parse().unwrap()));
        assert_eq!(parse_addr(" [::1] "), Some("::1".parse().unwrap()));
        assert_eq!(
            parse_addr("IPv6:2001:db8::5"),
            Some("2001:db8::5".parse().unwrap())
        );
        assert_eq!(
            parse_addr("::ffff:192.0.2.1"),
            Some("192.0.2.1".parse().unwrap())
        );
        assert_eq!(parse_addr("unknown"), None);
        assert_eq!(parse_addr(""), None);
    }

    #[test]
    fn mynetworks_as_postconf_prints_it() {
        let (nets, skipped) = parse_mynetworks(
            "127.0.0.0/8 192.0.2.0/24, [::1]/128 [fd00::]/64\n 10.1.2.3 localhost cidr:/etc/postfix/nets /etc/postfix/more !192.0.2.7 [2001:db8::]/33x",
        );
        let shown: Vec<String> = nets.iter().map(|n| n.to_string()).collect();
        assert_eq!(
            shown,
            [
                "127.0.0.0/8",
                "192.0.2.0/24",
                "::1/128",
                "fd00::/64",
                "10.1.2.3/32"
            ]
        );
        assert_eq!(
            skipped,
            [
                "localhost",
                "cidr:/etc/postfix/nets",
                "/etc/postfix/more",
                "!192.0.2.7",
                "[2001:db8::]/33x"
            ]
        );
        // A host part set in a network is truncated to the network.
        assert_eq!(
            parse_network("10.1.2.3/8").unwrap().to_string(),
            "10.0.0.0/8"
        );
        assert!(parse_network("10.0.0.0/33").is_none());
    }

    #[test]
    fn default_networks_are_loopback_plus_mynetworks() {
        let cfg = Config::default();
        let (t, skipped) = Trust::from_config(&cfg, || {
            Some("192.0.2.0/24 127.0.0.0/8 mail.example".into())
        })
        .unwrap();
        assert_eq!(t.networks_text(), "127.0.0.0/8 ::1/128 192.0.2.0/24");
        assert_eq!(skipped, ["mail.example"]);
        assert_eq!(
            t.outbound_daemons,
            ["submission", "submissions", "originating"]
        );
        // No postconf: loopback alone.
        let (t, _) = Trust::from_config(&cfg, || None).unwrap();
        assert_eq!(t.networks_text(), "127.0.0.0/8 ::1/128");
    }

    #[test]
    fn configured_networks_replace_the_default_and_are_validated() {
        let cfg = Config::from_toml(
            "c.toml",
            "[direction]\ntrusted_networks = [\"10.0.0.0/8\", \"192.0.2.7\"]\noutbound_daemons = []\n",
        )
        .unwrap();
        let (t, _) = Trust::from_config(&cfg, || panic!("postconf must not be read")).unwrap();
        assert_eq!(t.networks_text(), "10.0.0.0/8 192.0.2.7/32");
        assert!(t.outbound_daemons.is_empty());
        let cfg =
            Config::from_toml("c.toml", "[direction]\ntrusted_networks = [\"school\"]\n").unwrap();
        let err = Trust::from_config(&cfg, || None).unwrap_err().to_string();
        assert!(
            err.contains("trusted_networks") && err.contains("school"),
            "{err}"
        );
        // A misspelt key is refused at load.
        assert!(Config::from_toml("c.toml", "[direction]\ntrusted_network = []\n").is_err());
    }

    #[test]
    fn cause_labels_are_distinct_snake_case() {
        let labels: Vec<&str> = Cause::ALL.iter().map(|c| c.as_str()).collect();
        for (i, l) in labels.iter().enumerate() {
            assert!(l.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{l}");
            assert!(!labels[..i].contains(l), "{l} twice");
            assert_eq!(serde_json::to_value(Cause::ALL[i]).unwrap(), *l);
        }
    }

    #[test]
    fn direction_names_round_trip() {
        for d in Direction::ALL {
            let json = serde_json::to_string(&d).unwrap();
            assert_eq!(json, format!("\"{}\"", d.as_str()));
            assert_eq!(serde_json::from_str::<Direction>(&json).unwrap(), d);
        }
        let c = serde_json::to_value(Classified::assumed_outbound()).unwrap();
        assert_eq!(c["direction"], "outbound");
        assert!(c["direction_reason"].as_str().unwrap().contains("assumed"));
    }
}
