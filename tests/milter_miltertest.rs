//! The `dlp-milter serve` binary against `miltertest` (OS package
//! `miltertest`, OpenDKIM's libmilter-based client): an independent
//! implementation of the MTA side, scripted in tests/miltertest/*.lua.
//!
//! Skips with a message on stderr when miltertest is not installed (set
//! DLP_REQUIRE_PEERS=1 to make that a failure, as CI does).

#[path = "common/milter.rs"]
mod milter_support;

use milter_support::{free_port, have, skip, start_daemon, tiered_rules};
use std::io::Read;
use std::path::Path;
use std::process::Command;

#[test]
fn miltertest_drives_every_action() {
    if !have("miltertest") {
        return skip("miltertest is not installed (apt-get install miltertest)");
    }
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let rules = tiered_rules(dir.path());
    let port = free_port();
    let config = dir.path().join("dlp.toml");
    std::fs::write(
        &config,
        format!(
            "data_dir = {:?}\n[organisation]\ndomains = [\"school.example\"]\n[rules]\ndir = {:?}\n[milter]\nlisten = \"inet:127.0.0.1:{port}\"\n",
            dir.path().join("data"),
            rules
        ),
    )
    .unwrap();
    let log = std::fs::File::create(dir.path().join("milter.log")).unwrap();
    let _daemon = start_daemon(&config, Some(log), || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    let out = Command::new("miltertest")
        .arg("-D")
        .arg(format!("port={port}"))
        .arg("-s")
        .arg(repo.join("tests/miltertest/actions.lua"))
        .output()
        .unwrap();
    let mut daemon_log = String::new();
    let _ = std::fs::File::open(dir.path().join("milter.log"))
        .and_then(|mut f| f.read_to_string(&mut daemon_log));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("all checks passed"),
        "miltertest failed ({}):\n{stdout}\n{}\n--- daemon log\n{daemon_log}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    // The held message is in the quarantine (and only that one).
    let list = Command::new(env!("CARGO_BIN_EXE_dlp-milter"))
        .args(["quarantine", "list", "--format", "json", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    let listed = String::from_utf8_lossy(&list.stdout);
    assert_eq!(
        listed
            .lines()
            .filter(|l| l.contains("\"state\":\"held\""))
            .count(),
        1,
        "{listed}\n--- daemon log\n{daemon_log}"
    );
}
