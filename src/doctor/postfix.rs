//! What Postfix says about the milter: its settings as `postconf` prints
//! them (main.cf, master.cf `-o` overrides, services' chroot flags), the
//! milter lists parsed into entries, and the questions the doctor asks of
//! them (does an entry name our socket, is a DKIM signer listed before us).
//! Reading is separate from judging: [`PostfixSettings`] is plain data, so
//! the judgements are tested without a Postfix.

use crate::milter::SocketSpec;
use std::path::{Path, PathBuf};
use std::process::Command;
use thiserror::Error;

/// `postconf` could not be asked.
#[derive(Debug, Error)]
pub enum PostconfError {
    #[error("cannot run postconf: {0} (is Postfix installed?)")]
    Spawn(std::io::Error),
    #[error("postconf {args}: {stderr}")]
    Failed { args: String, stderr: String },
}

/// One milter list: where it is set and its entries, in Postfix's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MilterList {
    /// For people: `main.cf smtpd_milters`, `master.cf submission/inet -o smtpd_milters`.
    pub place: String,
    /// The master.cf service (`submission/inet`) for an override; None for main.cf.
    pub service: Option<String>,
    /// `smtpd_milters` or `non_smtpd_milters`.
    pub parameter: String,
    pub entries: Vec<String>,
}

/// The Postfix settings the doctor reads.
#[derive(Debug, Clone, Default)]
pub struct PostfixSettings {
    /// `queue_directory`: where chrooted services live, and what relative
    /// `unix:` milter paths are relative to.
    pub queue_directory: PathBuf,
    /// `mynetworks`, split.
    pub mynetworks: Vec<String>,
    /// Every milter list in main.cf and master.cf.
    pub lists: Vec<MilterList>,
    /// master.cf services (`name/type`) whose command is smtpd, with their chroot flag.
    pub smtpd_services: Vec<(String, bool)>,
    /// Whether the cleanup service (which runs non_smtpd_milters) is chrooted.
    pub cleanup_chrooted: bool,
}

/// Runs `postconf` (with `-c DIR` when given) and returns its stdout.
fn postconf(config_dir: Option<&Path>, args: &[&str]) -> Result<String, PostconfError> {
    let mut cmd = Command::new("postconf");
    if let Some(d) = config_dir {
        cmd.arg("-c").arg(d);
    }
    let out = cmd.args(args).output().map_err(PostconfError::Spawn)?;
    if !out.status.success() {
        return Err(PostconfError::Failed {
            args: args.join(" "),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

impl PostfixSettings {
    /// Asks `postconf` (values expanded with `-x`, as Postfix would use them).
    pub fn read(config_dir: Option<&Path>) -> Result<PostfixSettings, PostconfError> {
        let main = |name: &str| postconf(config_dir, &["-xh", name]).map(|s| s.trim().to_string());
        let mut lists = Vec::new();
        for parameter in ["smtpd_milters", "non_smtpd_milters"] {
            lists.push(MilterList {
                place: format!("main.cf {parameter}"),
                service: None,
                parameter: parameter.to_string(),
                entries: split_milters(&main(parameter)?),
            });
        }
        lists.extend(master_overrides(&postconf(config_dir, &["-Px"])?));
        let fields = postconf(config_dir, &["-F"])?;
        Ok(PostfixSettings {
            queue_directory: PathBuf::from(main("queue_directory")?),
            mynetworks: split_list(&main("mynetworks")?),
            lists,
            smtpd_services: services_running(&fields, "smtpd"),
            cleanup_chrooted: services_running(&fields, "cleanup")
                .iter()
                .any(|(_, chroot)| *chroot),
        })
    }
}

/// A Postfix list value: separated by commas and/or whitespace.
pub fn split_list(value: &str) -> Vec<String> {
    value
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// A milter list: entries separated by commas and/or whitespace, where an
/// entry may be a `{ address, name=value ... }` group; the address of a
/// group is its first element.
pub fn split_milters(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = value.trim();
    while !rest.is_empty() {
        rest = rest.trim_start_matches(|c: char| c == ',' || c.is_whitespace());
        if rest.is_empty() {
            break;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            if let Some(first) = split_list(&group[..end]).into_iter().next() {
                out.push(first);
            }
            rest = group.get(end + 1..).unwrap_or("");
        } else {
            let end = rest
                .find(|c: char| c == ',' || c.is_whitespace())
                .unwrap_or(rest.len());
            out.push(rest[..end].to_string());
            rest = &rest[end..];
        }
    }
    out
}

/// master.cf `-o smtpd_milters=`/`-o non_smtpd_milters=` overrides, from
/// `postconf -P` lines (`service/type/parameter = value`).
pub fn master_overrides(postconf_p: &str) -> Vec<MilterList> {
    postconf_p
        .lines()
        .filter_map(|l| {
            let (key, value) = l.split_once(" = ").or_else(|| {
                l.strip_suffix(" =")
                    .map(|k| (k, ""))
                    .or_else(|| l.split_once('='))
            })?;
            let (service, parameter) = key.trim().rsplit_once('/')?;
            matches!(parameter, "smtpd_milters" | "non_smtpd_milters").then(|| MilterList {
                place: format!("master.cf {service} -o {parameter}"),
                service: Some(service.to_string()),
                parameter: parameter.to_string(),
                entries: split_milters(value),
            })
        })
        .collect()
}

/// Services (`name/type`) whose command is `command`, with their chroot
/// flag, from `postconf -F` lines (`name/type/field = value`). Only `y`
/// counts as chrooted: `-` is Postfix's default, `n` since Postfix 3.0
/// (Debian's master.cf writes `y` explicitly where it chroots).
pub fn services_running(postconf_f: &str, command: &str) -> Vec<(String, bool)> {
    let mut commands: Vec<(String, String)> = Vec::new();
    let mut chroots: Vec<(String, bool)> = Vec::new();
    for l in postconf_f.lines() {
        let Some((key, value)) = l.split_once(" = ") else {
            continue;
        };
        let Some((service, field)) = key.trim().rsplit_once('/') else {
            continue;
        };
        match field {
            "command" => commands.push((
                service.to_string(),
                value.split_whitespace().next().unwrap_or("").to_string(),
            )),
            "chroot" => chroots.push((service.to_string(), value.trim() == "y")),
            _ => {}
        }
    }
    commands
        .into_iter()
        .filter(|(_, c)| c == command)
        .map(|(s, _)| {
            let chroot = chroots.iter().any(|(n, y)| *n == s && *y);
            (s, chroot)
        })
        .collect()
}

/// The TCP port of a master.cf `inet` service (`smtp/inet`,
/// `127.0.0.1:10026/inet`, `2525/inet`) and the host it is bound to, if
/// any: a port name is looked up in `services` (/etc/services' text).
pub fn service_endpoint(service: &str, services: &str) -> Option<(Option<String>, u16)> {
    let name = service.strip_suffix("/inet")?;
    let (host, port) = match name.rsplit_once(':') {
        Some((h, p)) => (Some(h.trim_matches(['[', ']']).to_string()), p),
        None => (None, name),
    };
    let port = port.parse().ok().or_else(|| {
        services.lines().find_map(|l| {
            let mut f = l.split('#').next()?.split_whitespace();
            let n = f.next()?;
            let (num, proto) = f.next()?.split_once('/')?;
            (proto == "tcp" && (n == port || f.any(|alias| alias == port)))
                .then(|| num.parse().ok())
                .flatten()
        })
    })?;
    Some((host, port))
}

/// The smtpd services listening on `host:port`, with the milter list in
/// effect for each (its `-o smtpd_milters` override, else main.cf's).
pub fn services_at<'a>(
    pf: &'a PostfixSettings,
    host: &str,
    port: u16,
    services: &str,
) -> Vec<(&'a str, &'a MilterList)> {
    let main = pf
        .lists
        .iter()
        .find(|l| l.service.is_none() && l.parameter == "smtpd_milters");
    pf.smtpd_services
        .iter()
        .filter_map(|(name, _)| {
            let (h, p) = service_endpoint(name, services)?;
            let host_matches = match &h {
                None => true,
                Some(h) => h == host || (loopback(h) && loopback(host)),
            };
            if p != port || !host_matches {
                return None;
            }
            let list = pf
                .lists
                .iter()
                .find(|l| l.service.as_deref() == Some(name) && l.parameter == "smtpd_milters")
                .or(main)?;
            Some((name.as_str(), list))
        })
        .collect()
}

/// How a milter list entry refers to a socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryAddress {
    Inet {
        host: String,
        port: u16,
    },
    /// The path as written (absolute, or relative to the queue directory).
    Unix(PathBuf),
    Other,
}

pub fn entry_address(entry: &str) -> EntryAddress {
    if entry.starts_with("inet:") || entry.starts_with("inet6:") {
        return match SocketSpec::parse(entry) {
            Ok(SocketSpec::Inet { host, port }) => EntryAddress::Inet { host, port },
            _ => EntryAddress::Other,
        };
    }
    match entry
        .strip_prefix("unix:")
        .or_else(|| entry.strip_prefix("local:"))
    {
        Some(p) => EntryAddress::Unix(PathBuf::from(p)),
        None => EntryAddress::Other,
    }
}

fn loopback(host: &str) -> bool {
    matches!(host, "localhost" | "127.0.0.1" | "::1" | "[::1]")
}

/// Whether `entry` reaches the milter listening on `ours`. A relative
/// unix path is relative to the queue directory: that is where a chrooted
/// process is, and where Postfix's daemons run when not chrooted.
pub fn names_our_socket(entry: &str, ours: &SocketSpec, queue_directory: &Path) -> bool {
    match (entry_address(entry), ours) {
        (EntryAddress::Inet { host, port }, SocketSpec::Inet { host: h, port: p }) => {
            port == *p && (host == *h || (loopback(&host) && (loopback(h) || h == "0.0.0.0")))
        }
        (EntryAddress::Unix(path), SocketSpec::Unix(ours)) => {
            let full = if path.is_relative() {
                queue_directory.join(&path)
            } else {
                path
            };
            same_path(&full, ours)
        }
        _ => false,
    }
}

fn same_path(a: &Path, b: &Path) -> bool {
    let canon = |p: &Path| {
        // The socket file may be absent (milter stopped): compare the folders.
        match (
            p.parent().and_then(|d| d.canonicalize().ok()),
            p.file_name(),
        ) {
            (Some(d), Some(f)) => d.join(f),
            _ => p.to_path_buf(),
        }
    };
    a == b || canon(a) == canon(b)
}

/// An OpenDKIM/OpenARC `Socket` value (`inet:8891@localhost`,
/// `inet:8891`, `local:/run/opendkim/opendkim.sock`) in Postfix's notation.
pub fn from_opendkim_socket(value: &str) -> Option<String> {
    let v = value.trim();
    if let Some(rest) = v.strip_prefix("inet:").or_else(|| v.strip_prefix("inet6:")) {
        let (port, host) = rest.split_once('@').unwrap_or((rest, "127.0.0.1"));
        let port: u16 = port.parse().ok()?;
        return Some(format!("inet:{}:{port}", host.trim_matches(['[', ']'])));
    }
    let path = v
        .strip_prefix("local:")
        .or_else(|| v.strip_prefix("unix:"))
        .unwrap_or(v);
    path.starts_with('/').then(|| format!("unix:{path}"))
}

/// The milter socket a signer's config file declares (`Socket` line of
/// opendkim.conf or openarc.conf), in Postfix's notation.
pub fn signer_socket_from_config(text: &str) -> Option<String> {
    text.lines().find_map(|l| {
        let mut f = l.split_whitespace();
        (f.next() == Some("Socket"))
            .then(|| f.next().and_then(from_opendkim_socket))
            .flatten()
    })
}

/// Whether two milter entries reach the same socket (an inet host named
/// `localhost` is loopback; a unix path is compared as written, relative
/// paths against the queue directory).
pub fn same_socket(a: &str, b: &str, queue_directory: &Path) -> bool {
    let spec = |e: &str| match entry_address(e) {
        EntryAddress::Inet { host, port } => Some(SocketSpec::Inet { host, port }),
        EntryAddress::Unix(p) if p.is_relative() => Some(SocketSpec::Unix(queue_directory.join(p))),
        EntryAddress::Unix(p) => Some(SocketSpec::Unix(p)),
        EntryAddress::Other => None,
    };
    spec(b).is_some_and(|s| names_our_socket(a, &s, queue_directory))
}

/// An entry that names a DKIM/ARC signer: one of `known` (the sockets the
/// local signers' configs declare), or by the socket names and ports the
/// Debian packages use: OpenDKIM (`opendkim`, 8891), OpenARC (`openarc`,
/// 8894), Rspamd's milter proxy (`rspamd`, 11332).
pub fn is_signer(entry: &str, known: &[String], queue_directory: &Path) -> bool {
    is_dkim_signer(entry) || known.iter().any(|k| same_socket(entry, k, queue_directory))
}

/// [`is_signer`] by name and port alone.
pub fn is_dkim_signer(entry: &str) -> bool {
    let lower = entry.to_ascii_lowercase();
    if ["opendkim", "openarc", "rspamd", "dkim"]
        .iter()
        .any(|n| lower.contains(n))
    {
        return true;
    }
    matches!(
        entry_address(entry),
        EntryAddress::Inet {
            port: 8891 | 8894 | 11332,
            ..
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn milter_lists_split_like_postfix() {
        assert_eq!(
            split_milters("unix:dlp-milter/milter.sock, inet:127.0.0.1:8891"),
            ["unix:dlp-milter/milter.sock", "inet:127.0.0.1:8891"]
        );
        assert_eq!(
            split_milters("{ inet:localhost:7357, default_action=accept } inet:localhost:8891"),
            ["inet:localhost:7357", "inet:localhost:8891"]
        );
        assert!(split_milters("  ").is_empty());
    }

    #[test]
    fn master_overrides_are_read_from_postconf_p() {
        let p = "submission/inet/syslog_name = postfix/submission\n\
                 submission/inet/smtpd_milters = unix:dlp-milter/milter.sock,inet:localhost:8891\n\
                 127.0.0.1:10026/inet/smtpd_milters = inet:127.0.0.1:7357\n";
        let lists = master_overrides(p);
        assert_eq!(lists.len(), 2);
        assert_eq!(lists[0].service.as_deref(), Some("submission/inet"));
        assert_eq!(lists[0].entries.len(), 2);
        assert_eq!(lists[1].service.as_deref(), Some("127.0.0.1:10026/inet"));
    }

    #[test]
    fn services_and_chroot_flags() {
        let f = "smtp/inet/chroot = y\nsmtp/inet/command = smtpd\n\
                 submission/inet/chroot = n\nsubmission/inet/command = smtpd -o x=y\n\
                 cleanup/unix/chroot = y\ncleanup/unix/command = cleanup\n";
        assert_eq!(
            services_running(f, "smtpd"),
            [
                ("smtp/inet".to_string(), true),
                ("submission/inet".to_string(), false)
            ]
        );
        assert_eq!(
            services_running(f, "cleanup"),
            [("cleanup/unix".to_string(), true)]
        );
    }

    #[test]
    fn entries_naming_our_socket() {
        let q = Path::new("/var/spool/postfix");
        let unix = SocketSpec::Unix("/var/spool/postfix/dlp-milter/milter.sock".into());
        assert!(names_our_socket("unix:dlp-milter/milter.sock", &unix, q));
        assert!(names_our_socket(
            "local:/var/spool/postfix/dlp-milter/milter.sock",
            &unix,
            q
        ));
        assert!(!names_our_socket("unix:opendkim/opendkim.sock", &unix, q));
        let inet = SocketSpec::Inet {
            host: "127.0.0.1".into(),
            port: 7357,
        };
        assert!(names_our_socket("inet:localhost:7357", &inet, q));
        assert!(names_our_socket("inet:127.0.0.1:7357", &inet, q));
        assert!(!names_our_socket("inet:127.0.0.1:8891", &inet, q));
        assert!(!names_our_socket("unix:dlp-milter/milter.sock", &inet, q));
    }

    #[test]
    fn service_endpoints() {
        let services = "smtp\t\t25/tcp\t\tmail\nsubmission\t587/tcp\n";
        assert_eq!(service_endpoint("smtp/inet", services), Some((None, 25)));
        assert_eq!(
            service_endpoint("submission/inet", services),
            Some((None, 587))
        );
        assert_eq!(
            service_endpoint("127.0.0.1:10026/inet", services),
            Some((Some("127.0.0.1".into()), 10026))
        );
        assert_eq!(service_endpoint("pickup/unix", services), None);
    }

    #[test]
    fn signer_sockets_from_their_configs() {
        let conf = "# OpenDKIM\nSyslog yes\nSocket inet:12345@localhost\n";
        assert_eq!(
            signer_socket_from_config(conf).as_deref(),
            Some("inet:localhost:12345")
        );
        assert_eq!(
            from_opendkim_socket("local:/var/spool/postfix/opendkim/opendkim.sock").as_deref(),
            Some("unix:/var/spool/postfix/opendkim/opendkim.sock")
        );
        assert_eq!(
            from_opendkim_socket("inet:8891").as_deref(),
            Some("inet:127.0.0.1:8891")
        );
        let q = Path::new("/var/spool/postfix");
        let known = vec![
            "inet:localhost:12345".to_string(),
            "unix:/var/spool/postfix/opendkim/opendkim.sock".into(),
        ];
        assert!(is_signer("inet:127.0.0.1:12345", &known, q));
        assert!(is_signer("unix:opendkim/opendkim.sock", &known, q));
        assert!(!is_signer("inet:127.0.0.1:12346", &known, q));
    }

    #[test]
    fn dkim_signers_are_recognised_and_others_are_not() {
        assert!(is_dkim_signer("unix:opendkim/opendkim.sock"));
        assert!(is_dkim_signer("inet:localhost:8891"));
        assert!(is_dkim_signer("inet:127.0.0.1:11332"));
        assert!(!is_dkim_signer("unix:dlp-milter/milter.sock"));
        assert!(!is_dkim_signer("unix:clamav/clamav-milter.ctl"));
        assert!(!is_dkim_signer("inet:127.0.0.1:7357"));
    }
}
