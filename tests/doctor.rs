//! `dlp-milter doctor` against a running milter, a throwaway Postfix
//! config directory (`--postfix-config DIR`, read with `postconf -c DIR`)
//! laid out like Debian's (chrooted smtpd and cleanup, the socket under the
//! queue directory) and a loopback SMTP relay.
//!
//! Needs root (the socket is given to group postfix) and Postfix's
//! `postconf`; skips with a message otherwise (DLP_REQUIRE_PEERS=1 makes
//! that a failure, as in CI).

#[path = "common/milter.rs"]
mod milter_support;

use milter_support::Daemon;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

fn skip(why: &str) -> bool {
    if std::env::var_os("DLP_REQUIRE_PEERS").is_some() {
        panic!("{why} (DLP_REQUIRE_PEERS is set)");
    }
    eprintln!("SKIPPED: {why}");
    true
}

fn cannot_run() -> bool {
    if !rustix::process::geteuid().is_root() {
        return skip("the doctor test needs root (the socket is given to group postfix)");
    }
    let postconf = Command::new("postconf")
        .arg("-d")
        .arg("mail_version")
        .output();
    if !postconf.is_ok_and(|o| o.status.success()) {
        return skip("postconf is not installed (apt-get install postfix)");
    }
    false
}

/// A relay that greets and answers EHLO, for as long as the test lives.
fn fake_relay() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for s in l.incoming().flatten() {
            let mut w = s.try_clone().unwrap();
            let _ = w.write_all(b"220 relay.school.example ESMTP\r\n");
            let mut r = BufReader::new(s);
            let mut line = String::new();
            while r.read_line(&mut line).is_ok_and(|n| n > 0) {
                if line.starts_with("EHLO") {
                    let _ = w.write_all(b"250-relay.school.example\r\n250 PIPELINING\r\n");
                } else if line.starts_with("QUIT") {
                    let _ = w.write_all(b"221 bye\r\n");
                    break;
                }
                line.clear();
            }
        }
    });
    port
}

struct Site {
    dir: tempfile::TempDir,
    config: PathBuf,
    postfix: PathBuf,
    socket: PathBuf,
}

/// A milter config and a Postfix config dir whose queue directory holds
/// the socket folder (root:postfix 0750), like the package's.
fn site(relay_port: u16, socket_mode: &str) -> Site {
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let spool = dir.path().join("spool");
    let sockdir = spool.join("dlp-milter");
    std::fs::create_dir_all(&sockdir).unwrap();
    let gid = postfix_gid();
    std::os::unix::fs::chown(&sockdir, None, Some(gid)).unwrap();
    std::fs::set_permissions(&sockdir, std::fs::Permissions::from_mode(0o750)).unwrap();
    let socket = sockdir.join("milter.sock");
    let config = dir.path().join("dlp-milter.toml");
    std::fs::write(
        &config,
        format!(
            "data_dir = {:?}\n[organisation]\ndomains = [\"school.example\"]\n[quarantine]\nrelay = \"127.0.0.1:{relay_port}\"\n[milter]\nlisten = \"unix:{}\"\nsocket_group = \"postfix\"\nsocket_mode = \"{socket_mode}\"\n",
            dir.path().join("data"),
            socket.display()
        ),
    )
    .unwrap();
    let postfix = dir.path().join("postfix");
    std::fs::create_dir(&postfix).unwrap();
    Site {
        dir,
        config,
        postfix,
        socket,
    }
}

fn postfix_gid() -> u32 {
    let group = std::fs::read_to_string("/etc/group").unwrap();
    group
        .lines()
        .find_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            (f[0] == "postfix").then(|| f[2].parse().unwrap())
        })
        .expect("no postfix group")
}

/// main.cf and master.cf: `non_smtpd` in main.cf, `submission` as the
/// submission service's -o smtpd_milters (None: no override).
fn postfix_config(site: &Site, non_smtpd: &str, submission: Option<&str>) {
    std::fs::write(
        site.postfix.join("main.cf"),
        format!(
            "queue_directory = {}\nmynetworks = 127.0.0.0/8 [::1]/128\nnon_smtpd_milters = {non_smtpd}\n",
            site.dir.path().join("spool").display()
        ),
    )
    .unwrap();
    let mut master = String::from(
        "smtp      inet  n       -       y       -       -       smtpd\n\
         submission inet n       -       y       -       -       smtpd\n  -o syslog_name=postfix/submission\n",
    );
    if let Some(s) = submission {
        master.push_str(&format!("  -o smtpd_milters={s}\n"));
    }
    master.push_str("cleanup   unix  n       -       y       -       0       cleanup\n");
    std::fs::write(site.postfix.join("master.cf"), master).unwrap();
}

fn start_milter(site: &Site) -> Daemon {
    let log = std::fs::File::create(site.dir.path().join("milter.log")).unwrap();
    let d = Daemon(
        Command::new(env!("CARGO_BIN_EXE_dlp-milter"))
            .args(["serve", "--config"])
            .arg(&site.config)
            .stderr(log)
            .spawn()
            .unwrap(),
    );
    let start = Instant::now();
    while std::os::unix::net::UnixStream::connect(&site.socket).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "milter did not start: {}",
            std::fs::read_to_string(site.dir.path().join("milter.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    d
}

fn doctor(site: &Site) -> (Option<i32>, String) {
    let out: Output = Command::new(env!("CARGO_BIN_EXE_dlp-milter"))
        .args(["doctor", "--config"])
        .arg(&site.config)
        .arg("--postfix-config")
        .arg(&site.postfix)
        .output()
        .unwrap();
    (
        out.status.code(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn line<'a>(report: &'a str, prefix: &str) -> Vec<&'a str> {
    report.lines().filter(|l| l.starts_with(prefix)).collect()
}

#[test]
fn a_good_installation_is_all_ok_and_a_signer_first_fails() {
    if cannot_run() {
        return;
    }
    let site = site(fake_relay(), "0660");
    postfix_config(
        &site,
        "unix:dlp-milter/milter.sock, inet:localhost:8891",
        Some("{ unix:dlp-milter/milter.sock, default_action=tempfail },inet:localhost:8891"),
    );
    let _milter = start_milter(&site);
    let (code, report) = doctor(&site);
    assert_eq!(code, Some(0), "{report}");
    for what in [
        "ok    config:",
        "ok    rules:",
        "ok    data directory:",
        "ok    socket:",
        "ok    postfix:",
        "ok    dkim order:",
        "ok    networks:",
        "ok    relay:",
    ] {
        assert_eq!(line(&report, what).len(), 1, "{what}\n{report}");
    }
    assert!(report.contains("user postfix may use it"), "{report}");
    assert!(report.contains("before the DKIM signer"), "{report}");

    // OpenDKIM listed first on the submission service: its signature
    // would cover the To and Subject dlp-milter rewrites.
    postfix_config(
        &site,
        "unix:dlp-milter/milter.sock, inet:localhost:8891",
        Some("inet:localhost:8891,unix:dlp-milter/milter.sock"),
    );
    let (code, report) = doctor(&site);
    assert_eq!(code, Some(1), "{report}");
    let fails = line(&report, "FAIL");
    assert_eq!(fails.len(), 1, "{report}");
    assert!(
        fails[0].starts_with("FAIL  dkim order: master.cf submission/inet -o smtpd_milters"),
        "{report}"
    );
    assert!(
        report.contains("fix: list dlp-milter first: smtpd_milters = unix:dlp-milter/milter.sock, inet:localhost:8891"),
        "{report}"
    );
}

#[test]
fn what_is_missing_is_named_with_its_fix() {
    if cannot_run() {
        return;
    }
    // Nothing listens on the relay port, the milter is not running, and
    // Postfix names another socket only.
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let site = site(dead, "0660");
    postfix_config(&site, "inet:localhost:8891", None);
    let (code, report) = doctor(&site);
    assert_eq!(code, Some(1), "{report}");
    let fails = line(&report, "FAIL");
    assert!(
        fails.iter().any(|l| l.starts_with("FAIL  socket:")),
        "{report}"
    );
    assert!(
        fails.iter().any(|l| l.starts_with("FAIL  relay:")),
        "{report}"
    );
    let postfix = fails
        .iter()
        .find(|l| l.starts_with("FAIL  postfix:"))
        .unwrap_or_else(|| panic!("{report}"));
    assert!(postfix.contains("does not use the milter"), "{report}");
    assert!(
        report.contains("non_smtpd_milters = unix:dlp-milter/milter.sock"),
        "the fix names the line to add: {report}"
    );

    // Only the submission service names it: sendmail(1) mail is unchecked.
    postfix_config(&site, "", Some("unix:dlp-milter/milter.sock"));
    let (_, report) = doctor(&site);
    assert!(
        line(&report, "warn  postfix:")
            .iter()
            .any(|l| l.contains("non_smtpd_milters does not name the milter")),
        "{report}"
    );
}

#[test]
fn a_socket_postfix_cannot_open_fails() {
    if cannot_run() {
        return;
    }
    let site = site(fake_relay(), "0600");
    postfix_config(
        &site,
        "unix:dlp-milter/milter.sock",
        Some("unix:dlp-milter/milter.sock"),
    );
    let _milter = start_milter(&site);
    let (code, report) = doctor(&site);
    assert_eq!(code, Some(1), "{report}");
    let socket = line(&report, "FAIL  socket:");
    assert_eq!(socket.len(), 1, "{report}");
    assert!(
        socket[0].contains("user postfix cannot connect"),
        "{report}"
    );
    assert_eq!(line(&report, "FAIL").len(), 1, "only the socket: {report}");
}
