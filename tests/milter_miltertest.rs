//! The `dlp-milter serve` binary against `miltertest` (OS package
//! `miltertest`, OpenDKIM's libmilter-based client): an independent
//! implementation of the MTA side, scripted in tests/miltertest/*.lua.
//!
//! Skips with a message on stderr when miltertest is not installed (set
//! DLP_REQUIRE_PEERS=1 to make that a failure, as CI does).

use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Daemon(Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn have(cmd: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {cmd}"))
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn skip(why: &str) {
    if std::env::var_os("DLP_REQUIRE_PEERS").is_some() {
        panic!("{why} (DLP_REQUIRE_PEERS is set)");
    }
    eprintln!("SKIPPED: {why}");
}

#[test]
fn miltertest_drives_every_action() {
    if !have("miltertest") {
        return skip("miltertest is not installed (apt-get install miltertest)");
    }
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    for f in std::fs::read_dir(repo.join("rules")).unwrap().flatten() {
        std::fs::copy(f.path(), rules.join(f.file_name())).unwrap();
    }
    std::fs::copy(
        repo.join("scripts/e2e-rules/recipients.toml"),
        rules.join("recipients.toml"),
    )
    .unwrap();
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
    let _daemon = Daemon(
        Command::new(env!("CARGO_BIN_EXE_dlp-milter"))
            .args(["serve", "--config"])
            .arg(&config)
            .stderr(log)
            .spawn()
            .unwrap(),
    );
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "daemon did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
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
        listed.lines().filter(|l| l.contains("\"state\":\"held\"")).count(),
        1,
        "{listed}\n--- daemon log\n{daemon_log}"
    );
}
