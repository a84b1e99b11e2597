//! `dlp-milter doctor`: is this installation wired up so that outgoing mail
//! is actually checked? Config and rules load, the data directory is
//! private, the socket exists and Postfix's user can reach it, Postfix's
//! main.cf/master.cf name it, no DKIM signer runs before it (its signature
//! would break when we rewrite To/Subject), the networks Postfix trusts, and
//! the relay for notices and releases answers.
//!
//! Each check gives ok / warn / FAIL with what to fix. The daemon never
//! calls this; it reads Postfix through `postconf`, so it runs wherever an
//! admin does.

pub mod postfix;
pub mod probe;

use crate::config::Config;
use crate::milter::SocketSpec;
use postfix::{MilterList, PostfixSettings};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Ok,
    Warn,
    Fail,
}

/// One line of the doctor's report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// Short subject: `config`, `rules`, `socket`, `postfix`, `dkim order`, ...
    pub what: &'static str,
    pub level: Level,
    pub message: String,
    /// What to do about it (warn and FAIL only).
    pub fix: Option<String>,
}

impl Check {
    fn ok(what: &'static str, message: impl Into<String>) -> Check {
        Check {
            what,
            level: Level::Ok,
            message: message.into(),
            fix: None,
        }
    }
    fn warn(what: &'static str, message: impl Into<String>, fix: impl Into<String>) -> Check {
        Check {
            what,
            level: Level::Warn,
            message: message.into(),
            fix: Some(fix.into()),
        }
    }
    fn fail(what: &'static str, message: impl Into<String>, fix: impl Into<String>) -> Check {
        Check {
            what,
            level: Level::Fail,
            message: message.into(),
            fix: Some(fix.into()),
        }
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tag = match self.level {
            Level::Ok => "ok  ",
            Level::Warn => "warn",
            Level::Fail => "FAIL",
        };
        write!(f, "{tag}  {}: {}", self.what, self.message)?;
        if let Some(fix) = &self.fix {
            write!(f, "\n      fix: {fix}")?;
        }
        Ok(())
    }
}

/// What the doctor looks at.
#[derive(Debug, Clone)]
pub struct Options {
    /// The config file; None: the packaged one when it exists, else the
    /// built-in defaults.
    pub config: Option<PathBuf>,
    /// Postfix's config directory (`postconf -c DIR`); None: Postfix's own.
    pub postfix_config: Option<PathBuf>,
    /// The Unix user Postfix's daemons run as (`mail_owner`).
    pub postfix_user: String,
    /// Connect/EHLO timeout for the socket and the relay.
    pub timeout: Duration,
    /// Signers' config files whose `Socket` line names a DKIM/ARC milter.
    pub signer_configs: Vec<PathBuf>,
    /// More DKIM/ARC signer sockets, Postfix notation.
    pub signers: Vec<String>,
}

/// Where the Debian packages of OpenDKIM and OpenARC keep their config.
pub const SIGNER_CONFIGS: [&str; 2] = ["/etc/opendkim.conf", "/etc/openarc.conf"];

/// The config the package installs, used when none is named.
pub const PACKAGED_CONFIG: &str = "/etc/dlp-milter/dlp-milter.toml";

impl Default for Options {
    fn default() -> Self {
        Options {
            config: None,
            postfix_config: None,
            postfix_user: "postfix".into(),
            timeout: Duration::from_secs(5),
            signer_configs: SIGNER_CONFIGS.iter().map(PathBuf::from).collect(),
            signers: Vec::new(),
        }
    }
}

/// Runs every check, in the order an admin fixes things.
pub fn run(opts: &Options) -> Vec<Check> {
    let mut out = Vec::new();
    let path = opts.config.clone().or_else(|| {
        let p = PathBuf::from(PACKAGED_CONFIG);
        p.is_file().then_some(p)
    });
    let config = match &path {
        Some(p) => match Config::load(p) {
            Ok(c) => {
                out.push(Check::ok("config", format!("{} loads", p.display())));
                c
            }
            Err(e) => {
                out.push(Check::fail(
                    "config",
                    e.to_string(),
                    "correct the file (dlp-milter rules check --config FILE says the same)",
                ));
                return out;
            }
        },
        None => {
            out.push(Check::warn(
                "config",
                format!("no --config and no {PACKAGED_CONFIG}: checking the built-in defaults"),
                format!("name the daemon's config with --config, or create {PACKAGED_CONFIG}"),
            ));
            Config::default()
        }
    };
    out.extend(sections(&config));
    if config.organisation.domains.is_empty() {
        out.push(Check::warn(
            "config",
            "[organisation] domains is empty: each message's From domain is taken as the organisation's",
            "list your mail domains in [organisation] domains, so a forged or outside From cannot make outside recipients look internal",
        ));
    }
    out.push(rules(&config));
    out.push(data_dir(&config));
    let socket = our_socket(&config);
    out.push(socket_check(&socket, &opts.postfix_user, opts.timeout));
    let postfix_settings = PostfixSettings::read(opts.postfix_config.as_deref());
    match &postfix_settings {
        Ok(pf) => {
            out.extend(references(&socket, pf));
            let mut signers = opts.signers.clone();
            signers.extend(opts.signer_configs.iter().filter_map(|p| {
                postfix::signer_socket_from_config(&std::fs::read_to_string(p).ok()?)
            }));
            out.extend(dkim_order(&socket, pf, &signers));
            out.push(networks(
                trusted_networks(&config).as_deref(),
                &pf.mynetworks,
            ));
        }
        Err(e) => out.push(Check::fail(
            "postfix",
            e.to_string(),
            "install Postfix, or name its config directory with --postfix-config",
        )),
    }
    let postfix_settings = postfix_settings.ok();
    out.push(relay(&config, opts.timeout));
    if let (Some(pf), Ok(spec)) = (&postfix_settings, &socket) {
        let services = std::fs::read_to_string("/etc/services").unwrap_or_default();
        out.extend(relay_runs_the_milter(
            &config.quarantine.relay,
            spec,
            pf,
            &services,
        ));
    }
    out
}

/// Exit status for a report: 0 all ok, 1 something FAILs, 3 warnings only.
pub fn exit_code(checks: &[Check]) -> u8 {
    match checks.iter().map(|c| c.level).max() {
        Some(Level::Fail) => 1,
        Some(Level::Warn) => 3,
        _ => 0,
    }
}

/// The checks `serve` would refuse to start on.
fn sections(config: &Config) -> Vec<Check> {
    let errors = [
        config.milter.validate().err(),
        config.quarantine.validate().err().map(|e| e.to_string()),
        config.notice.validate().err().map(|e| e.to_string()),
    ];
    errors
        .into_iter()
        .flatten()
        .map(|e| Check::fail("config", e, "correct the key named"))
        .collect()
}

fn rules(config: &Config) -> Check {
    let from = config
        .rules
        .dir
        .as_ref()
        .map(|d| d.display().to_string())
        .unwrap_or_else(|| "the shipped rules (built in)".into());
    match crate::scan::Engine::from_config(config) {
        Ok(engine) => {
            let p = &engine.policy;
            let enabled = p.rules.iter().filter(|r| r.enabled).count();
            if enabled == 0 {
                Check::warn(
                    "rules",
                    format!("no rule is enabled in {from}: nothing is checked"),
                    "enable the rules you need (enabled = true)",
                )
            } else {
                Check::ok(
                    "rules",
                    format!(
                        "{enabled} enabled of {} from {from}, mode {:?}",
                        p.rules.len(),
                        p.mode
                    ),
                )
            }
        }
        Err(e) => Check::fail("rules", e.to_string(), "correct the rule file named"),
    }
}

fn data_dir(config: &Config) -> Check {
    let dir = config.data_dir();
    let shown = crate::datadir::shown(&dir).display().to_string();
    if !dir.is_absolute() {
        return Check::warn(
            "data directory",
            format!("{shown} (no data_dir configured and /var/lib/dlp-milter is missing or not writable)"),
            "set data_dir (the package uses /var/lib/dlp-milter)",
        );
    }
    if !dir.exists() {
        return Check::warn(
            "data directory",
            format!("{shown} does not exist yet"),
            "it is created 0700 when the milter starts; start it as its own user",
        );
    }
    match crate::datadir::check(&dir) {
        Ok(()) => Check::ok("data directory", format!("{shown} is private to its owner")),
        Err(e) => Check::fail("data directory", e.to_string(), "see the message"),
    }
}

/// The socket the daemon listens on, as `serve` computes it.
pub fn our_socket(config: &Config) -> Result<SocketSpec, String> {
    if config.milter.listen.trim().is_empty() {
        return Ok(SocketSpec::Unix(
            config.data_dir().join(crate::milter::DEFAULT_SOCKET),
        ));
    }
    SocketSpec::parse(&config.milter.listen).map_err(|e| e.to_string())
}

fn socket_check(
    socket: &Result<SocketSpec, String>,
    postfix_user: &str,
    timeout: Duration,
) -> Check {
    let spec = match socket {
        Ok(s) => s,
        Err(e) => return Check::fail("socket", e.clone(), "correct [milter] listen"),
    };
    match spec {
        SocketSpec::Inet { host, port } => match probe::connect_tcp(host, *port, timeout) {
            Ok(_) => Check::ok("socket", format!("{spec} accepts connections")),
            Err(e) => Check::fail(
                "socket",
                format!("{spec}: {e}"),
                "start the milter: systemctl start dlp-milter (journalctl -u dlp-milter says why it stopped)",
            ),
        },
        SocketSpec::Unix(path) => {
            if let Err(e) = probe::connect_unix(path) {
                return Check::fail(
                    "socket",
                    format!("{spec}: {e}"),
                    "start the milter: systemctl start dlp-milter (journalctl -u dlp-milter says why it stopped)",
                );
            }
            let Some(account) = probe::Account::lookup(postfix_user) else {
                return Check::warn(
                    "socket",
                    format!("{spec} accepts connections; there is no user {postfix_user} to check its permissions for"),
                    "install Postfix, or name its user with --postfix-user",
                );
            };
            match probe::socket_access_problem(path, &account) {
                None => Check::ok(
                    "socket",
                    format!("{spec} accepts connections and user {postfix_user} may use it"),
                ),
                Some(problem) => Check::fail(
                    "socket",
                    problem,
                    "the package's layout: socket under /var/spool/postfix/dlp-milter (dlp-milter:postfix 0750), socket_group = \"postfix\", socket_mode = \"0660\"",
                ),
            }
        }
    }
}

/// The line to add for our socket, in the notation a (chrooted) Postfix needs.
fn postfix_notation(spec: &SocketSpec, queue_directory: &Path) -> String {
    match spec {
        SocketSpec::Unix(p) => match p.strip_prefix(queue_directory) {
            Ok(rel) => format!("unix:{}", rel.display()),
            Err(_) => format!("unix:{}", p.display()),
        },
        other => other.to_string(),
    }
}

/// Whether Postfix's lists name our socket, and whether the services that
/// use it can see it (a chrooted smtpd resolves every path inside the
/// queue directory).
fn references(socket: &Result<SocketSpec, String>, pf: &PostfixSettings) -> Vec<Check> {
    let Ok(spec) = socket else {
        return vec![];
    };
    let q = &pf.queue_directory;
    let ours: Vec<&MilterList> = pf
        .lists
        .iter()
        .filter(|l| {
            l.entries
                .iter()
                .any(|e| postfix::names_our_socket(e, spec, q))
        })
        .collect();
    let line = postfix_notation(spec, q);
    if ours.is_empty() {
        let also = if matches!(spec, SocketSpec::Unix(p) if !p.starts_with(q)) {
            format!(
                "; and a chrooted smtpd cannot see {spec} (outside {}): listen under it",
                q.display()
            )
        } else {
            String::new()
        };
        return vec![Check::fail(
            "postfix",
            format!("neither main.cf nor master.cf names {spec}: Postfix does not use the milter{also}"),
            format!("add `-o smtpd_milters={line}` to the submission services in master.cf and `non_smtpd_milters = {line}` to main.cf (docs/postfix-snippet.cf)"),
        )];
    }
    let mut out = vec![Check::ok(
        "postfix",
        format!(
            "{} name{} {spec}",
            ours.iter()
                .map(|l| l.place.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            if ours.len() == 1 { "s" } else { "" }
        ),
    )];
    if !ours.iter().any(|l| l.parameter == "non_smtpd_milters") {
        out.push(Check::warn(
            "postfix",
            "non_smtpd_milters does not name the milter: mail submitted locally (webmail, scripts, sendmail) leaves unchecked".to_string(),
            format!("add to main.cf: non_smtpd_milters = {line}"),
        ));
    }
    // An absolute path outside the queue directory, used by a chrooted service.
    if let SocketSpec::Unix(path) = spec {
        for l in &ours {
            let absolute = l.entries.iter().any(|e| {
                postfix::names_our_socket(e, spec, q)
                    && matches!(postfix::entry_address(e), postfix::EntryAddress::Unix(p) if p.is_absolute())
            });
            if !absolute {
                continue;
            }
            let chrooted = match (&l.service, l.parameter.as_str()) {
                (Some(s), _) => pf.smtpd_services.iter().any(|(n, c)| n == s && *c),
                (None, "smtpd_milters") => pf.smtpd_services.iter().any(|(_, c)| *c),
                (None, _) => pf.cleanup_chrooted,
            };
            if chrooted && !path.starts_with(q) {
                out.push(Check::fail(
                    "postfix",
                    format!("{} names {} but the service is chrooted in {}: it cannot see that path", l.place, path.display(), q.display()),
                    format!("listen under {} (the package uses /var/spool/postfix/dlp-milter/milter.sock) and write it as unix:RELATIVE, e.g. {line}", q.display()),
                ));
            } else if chrooted {
                out.push(Check::fail(
                    "postfix",
                    format!(
                        "{} names {} as an absolute path but the service is chrooted in {}",
                        l.place,
                        path.display(),
                        q.display()
                    ),
                    format!("write it relative to the chroot: {line}"),
                ));
            }
        }
    }
    out
}

/// A DKIM/ARC signer listed before dlp-milter in the same list signs the
/// message before we rewrite To/Cc/Subject: the signature then fails at
/// the receiver (and under DMARC the fixed message is junked).
fn dkim_order(
    socket: &Result<SocketSpec, String>,
    pf: &PostfixSettings,
    signers: &[String],
) -> Vec<Check> {
    let Ok(spec) = socket else {
        return vec![];
    };
    let mut out = Vec::new();
    let mut seen_signer = false;
    for l in &pf.lists {
        let ours = l
            .entries
            .iter()
            .position(|e| postfix::names_our_socket(e, spec, &pf.queue_directory));
        let signer = l
            .entries
            .iter()
            .position(|e| postfix::is_signer(e, signers, &pf.queue_directory));
        match (ours, signer) {
            (Some(o), Some(s)) if s < o => out.push(Check::fail(
                "dkim order",
                format!(
                    "{}: the signer {} runs before dlp-milter: its signature breaks when dlp-milter rewrites To/Cc/Subject",
                    l.place, l.entries[s]
                ),
                format!("list dlp-milter first: {} = {}", l.parameter, reorder(&l.entries, o, s).join(", ")),
            )),
            (Some(_), Some(_)) => seen_signer = true,
            _ => {}
        }
    }
    if out.is_empty() {
        out.push(Check::ok(
            "dkim order",
            if seen_signer {
                "dlp-milter runs before the DKIM signer in every list that has both"
            } else {
                "no DKIM signer listed beside dlp-milter"
            },
        ));
    }
    out
}

/// `entries` with entry `ours` moved just before entry `signer`.
fn reorder(entries: &[String], ours: usize, signer: usize) -> Vec<String> {
    let mut v = entries.to_vec();
    let item = v.remove(ours);
    v.insert(signer, item);
    v
}

/// The networks dlp-milter treats as its own submitters when the admin set
/// them (`[direction] trusted_networks`); `None` when unset, and the milter
/// then trusts loopback plus `mynetworks` itself.
fn trusted_networks(config: &Config) -> Option<Vec<String>> {
    config.direction.trusted_networks.clone()
}

/// Whether every network Postfix trusts (`mynetworks`: the relays and
/// servers that submit outgoing mail without logging in) is covered by
/// dlp-milter's trusted networks; mail from an uncovered one would count
/// as inbound and pass unchecked.
pub fn networks(trusted: Option<&[String]>, mynetworks: &[String]) -> Check {
    let shown = mynetworks.join(" ");
    let Some(trusted) = trusted else {
        return Check::ok(
            "networks",
            format!("[direction] trusted_networks is unset: the milter trusts loopback plus postconf mynetworks ({shown})"),
        );
    };
    let parsed: Vec<ipnet::IpNet> = trusted.iter().filter_map(|t| parse_net(t)).collect();
    let uncovered: Vec<&String> = mynetworks
        .iter()
        .filter(|m| match parse_net(m) {
            Some(net) => !parsed.iter().any(|t| t.contains(&net)),
            // A name, a table (hash:/etc/...): cannot be compared here.
            None => false,
        })
        .collect();
    if uncovered.is_empty() {
        Check::ok(
            "networks",
            format!("trusted_networks cover postconf mynetworks ({shown})"),
        )
    } else {
        Check::warn(
            "networks",
            format!(
                "mynetworks has {} that [direction] trusted_networks does not cover: mail they submit counts as inbound and is not checked",
                uncovered.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
            ),
            "add them to [direction] trusted_networks if they submit outgoing mail (MIS, copiers, web servers)",
        )
    }
}

/// `10.0.0.0/8`, `[::1]/128`, `192.168.1.5` (a host) as a network.
fn parse_net(s: &str) -> Option<ipnet::IpNet> {
    let s = s.replace(['[', ']'], "");
    s.parse::<ipnet::IpNet>()
        .ok()
        .or_else(|| s.parse::<std::net::IpAddr>().ok().map(ipnet::IpNet::from))
}

fn relay(config: &Config, timeout: Duration) -> Check {
    let relay = &config.quarantine.relay;
    match probe::smtp_ehlo(relay, timeout) {
        Ok(greeting) => Check::ok("relay", format!("{relay} answers EHLO ({greeting})")),
        Err(e) => Check::fail(
            "relay",
            format!("{relay} (notices and released mail go there): {e}"),
            "point [quarantine] relay at a Postfix service that runs the milter (docs/postfix-snippet.cf, re-injection)",
        ),
    }
}

/// Released mail and notices carry an X-DLP marker that only the milter
/// checks and strips: the Postfix service they re-enter on must run it, or
/// the marker leaves the building in a header (docs/postfix-snippet.cf,
/// re-injection). Nothing to say when the relay is not a service of this
/// Postfix.
fn relay_runs_the_milter(
    relay: &str,
    spec: &SocketSpec,
    pf: &PostfixSettings,
    services: &str,
) -> Vec<Check> {
    let Some((host, port)) = relay
        .rsplit_once(':')
        .and_then(|(h, p)| Some((h.trim_matches(['[', ']']), p.parse::<u16>().ok()?)))
    else {
        return vec![];
    };
    postfix::services_at(pf, host, port, services)
        .into_iter()
        .map(|(name, list)| {
            if list
                .entries
                .iter()
                .any(|e| postfix::names_our_socket(e, spec, &pf.queue_directory))
            {
                Check::ok(
                    "relay",
                    format!("{relay} is Postfix's {name}, which runs the milter ({})", list.place),
                )
            } else {
                Check::fail(
                    "relay",
                    format!("{relay} is Postfix's {name}, which does not run the milter: released mail and notices would leave with their X-DLP marker headers"),
                    "point [quarantine] relay at a service that runs the milter, e.g. a loopback re-injection service (docs/postfix-snippet.cf, re-injection)",
                )
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(lists: Vec<MilterList>) -> PostfixSettings {
        PostfixSettings {
            queue_directory: "/var/spool/postfix".into(),
            mynetworks: vec!["127.0.0.0/8".into()],
            lists,
            smtpd_services: vec![("smtp/inet".into(), true), ("submission/inet".into(), true)],
            cleanup_chrooted: true,
        }
    }

    fn list(place: &str, service: Option<&str>, parameter: &str, entries: &[&str]) -> MilterList {
        MilterList {
            place: place.into(),
            service: service.map(str::to_string),
            parameter: parameter.into(),
            entries: entries.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn packaged() -> Result<SocketSpec, String> {
        Ok(SocketSpec::Unix(
            "/var/spool/postfix/dlp-milter/milter.sock".into(),
        ))
    }

    #[test]
    fn a_signer_before_us_fails_and_after_us_passes() {
        let before = settings(vec![list(
            "main.cf non_smtpd_milters",
            None,
            "non_smtpd_milters",
            &["inet:localhost:8891", "unix:dlp-milter/milter.sock"],
        )]);
        let c = dkim_order(&packaged(), &before, &[]);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].level, Level::Fail);
        assert!(
            c[0].fix
                .as_deref()
                .unwrap()
                .contains("non_smtpd_milters = unix:dlp-milter/milter.sock, inet:localhost:8891"),
            "{c:?}"
        );
        let after = settings(vec![list(
            "main.cf non_smtpd_milters",
            None,
            "non_smtpd_milters",
            &["unix:dlp-milter/milter.sock", "inet:localhost:8891"],
        )]);
        let c = dkim_order(&packaged(), &after, &[]);
        assert_eq!(c[0].level, Level::Ok, "{c:?}");
        assert!(c[0].message.contains("before the DKIM signer"));
    }

    #[test]
    fn unreferenced_socket_fails_with_the_line_to_add() {
        let pf = settings(vec![list(
            "main.cf smtpd_milters",
            None,
            "smtpd_milters",
            &[],
        )]);
        let c = references(&packaged(), &pf);
        assert_eq!(c[0].level, Level::Fail);
        assert!(
            c[0].fix
                .as_deref()
                .unwrap()
                .contains("non_smtpd_milters = unix:dlp-milter/milter.sock"),
            "{c:?}"
        );
    }

    #[test]
    fn submission_only_warns_about_local_submission() {
        let pf = settings(vec![list(
            "master.cf submission/inet -o smtpd_milters",
            Some("submission/inet"),
            "smtpd_milters",
            &["unix:dlp-milter/milter.sock"],
        )]);
        let c = references(&packaged(), &pf);
        assert_eq!(c[0].level, Level::Ok, "{c:?}");
        assert_eq!(c.len(), 2);
        assert_eq!(c[1].level, Level::Warn);
        assert!(c[1].message.contains("non_smtpd_milters"));
    }

    #[test]
    fn absolute_path_in_a_chrooted_smtpd_fails() {
        let pf = settings(vec![
            list(
                "master.cf submission/inet -o smtpd_milters",
                Some("submission/inet"),
                "smtpd_milters",
                &["unix:/var/spool/postfix/dlp-milter/milter.sock"],
            ),
            list(
                "main.cf non_smtpd_milters",
                None,
                "non_smtpd_milters",
                &["unix:dlp-milter/milter.sock"],
            ),
        ]);
        let c = references(&packaged(), &pf);
        let fails: Vec<_> = c.iter().filter(|c| c.level == Level::Fail).collect();
        assert_eq!(fails.len(), 1, "{c:?}");
        assert!(fails[0]
            .fix
            .as_deref()
            .unwrap()
            .contains("unix:dlp-milter/milter.sock"));
    }

    #[test]
    fn mynetworks_must_be_covered_by_trusted_networks() {
        let my = vec![
            "127.0.0.0/8".to_string(),
            "[::1]/128".into(),
            "10.1.2.0/24".into(),
        ];
        let trusted = vec![
            "127.0.0.0/8".to_string(),
            "::1/128".into(),
            "10.0.0.0/8".into(),
        ];
        assert_eq!(networks(Some(&trusted), &my).level, Level::Ok);
        let narrow = vec!["127.0.0.0/8".to_string(), "::1/128".into()];
        let c = networks(Some(&narrow), &my);
        assert_eq!(c.level, Level::Warn);
        assert!(c.message.contains("10.1.2.0/24"), "{c:?}");
        // Without the key, the report says what Postfix trusts and that everything is scanned.
        let c = networks(None, &my);
        assert_eq!(c.level, Level::Ok);
        assert!(c.message.contains("10.1.2.0/24"));
    }

    #[test]
    fn the_relay_service_must_run_the_milter() {
        let services = "smtp 25/tcp\nsubmission 587/tcp\n";
        let pf = settings(vec![
            list("main.cf smtpd_milters", None, "smtpd_milters", &[]),
            list(
                "master.cf submission/inet -o smtpd_milters",
                Some("submission/inet"),
                "smtpd_milters",
                &["unix:dlp-milter/milter.sock"],
            ),
        ]);
        let spec = packaged().unwrap();
        // Port 25 (smtp/inet) has no milter: the marker would leave.
        let c = relay_runs_the_milter("127.0.0.1:25", &spec, &pf, services);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].level, Level::Fail, "{c:?}");
        assert!(c[0].message.contains("smtp/inet"));
        // The submission service runs it.
        let c = relay_runs_the_milter("localhost:587", &spec, &pf, services);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].level, Level::Ok, "{c:?}");
        // Another host's relay: nothing to say here.
        assert!(relay_runs_the_milter("10.0.0.9:2525", &spec, &pf, services).is_empty());
    }

    #[test]
    fn exit_code_is_zero_only_when_all_is_well() {
        let ok = Check::ok("a", "fine");
        assert_eq!(exit_code(std::slice::from_ref(&ok)), 0);
        assert_eq!(exit_code(&[ok.clone(), Check::warn("b", "hm", "x")]), 3);
        assert_eq!(
            exit_code(&[ok, Check::warn("b", "hm", "x"), Check::fail("c", "no", "y")]),
            1
        );
    }
}
