//! `serve` warns at start when `[notice] from` is not a mailbox of the
//! organisation (staff distrust, and cannot answer, notices from an address
//! that is not ours), and says nothing when it is.

#[path = "common/milter.rs"]
mod milter_support;

use milter_support::{free_port, Daemon};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// Starts `serve` with `from` as the notice From; returns its log once it
/// listens.
fn start_log(dir: &Path, from: &str) -> String {
    let port = free_port();
    let config = dir.join("dlp.toml");
    std::fs::write(
        &config,
        format!(
            "data_dir = \"data\"\n[organisation]\ndomains = [\"school.sch.uk\"]\n\
             [milter]\nlisten = \"inet:127.0.0.1:{port}\"\n[notice]\nfrom = \"{from}\"\n"
        ),
    )
    .unwrap();
    let log = dir.join("log");
    let child = Command::new(env!("CARGO_BIN_EXE_dlp-milter"))
        .args(["serve", "--config"])
        .arg(&config)
        .env("RUST_LOG", "info")
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .expect("start dlp-milter");
    let _d = Daemon(child);
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "daemon did not start"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::fs::read_to_string(&log).unwrap()
}

#[test]
fn a_notice_from_outside_the_organisation_is_warned_about_at_start() {
    let t = tempfile::tempdir().unwrap();
    let log = start_log(t.path(), "Safety <alerts@mailer.example.net>");
    assert!(log.contains("WARN"), "{log}");
    assert!(
        log.contains("notice.from <alerts@mailer.example.net> is not in [organisation] domains"),
        "{log}"
    );
}

#[test]
fn a_notice_from_the_organisation_starts_quietly() {
    let t = tempfile::tempdir().unwrap();
    let log = start_log(t.path(), "Data Protection <dpo@school.sch.uk>");
    assert!(!log.contains("notice.from"), "{log}");
}
