//! `--log-format json`: every line the daemon writes is one JSON object, and
//! the per-message line carries the fields docs/milter.md ("Logs")
//! documents. The daemon is driven by `miltertest` (tests/miltertest/
//! actions.lua: accept, rewrite, hold, reject), so the lines are those of
//! real milter sessions.
//!
//! Skips with a message on stderr when miltertest is not installed (set
//! DLP_REQUIRE_PEERS=1 to make that a failure, as CI does).

#[path = "common/milter.rs"]
mod milter_support;

use milter_support::{free_port, have, skip, tiered_rules, Daemon};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// The fields of the per-message line, as documented in docs/milter.md.
const MESSAGE_FIELDS: [&str; 15] = [
    "timestamp",
    "level",
    "target",
    "message",
    "queue_id",
    "sender",
    "recipients",
    "size",
    "daemon",
    "verdict",
    "action",
    "rules",
    "rewrites",
    "hold_id",
    "elapsed_us",
];

fn parse_lines(log: &str) -> Vec<serde_json::Map<String, serde_json::Value>> {
    log.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| match serde_json::from_str::<serde_json::Value>(l) {
            Ok(serde_json::Value::Object(m)) => m,
            other => panic!("not a JSON object line: {l:?} ({other:?})\n--- log\n{log}"),
        })
        .collect()
}

#[test]
fn serve_logs_one_json_object_per_line_with_the_documented_fields() {
    if !have("miltertest") {
        return skip("miltertest is not installed (apt-get install miltertest)");
    }
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let rules = tiered_rules(dir.path());
    let port = free_port();
    let config = dir.path().join("dlp.toml");
    // The config says text: the flag must win.
    std::fs::write(
        &config,
        format!(
            "data_dir = {:?}\n[organisation]\ndomains = [\"school.example\"]\n[rules]\ndir = {:?}\n[log]\nformat = \"text\"\n[milter]\nlisten = \"inet:127.0.0.1:{port}\"\n",
            dir.path().join("data"),
            rules
        ),
    )
    .unwrap();
    let log_path = dir.path().join("milter.log");
    let mut daemon = Daemon(
        Command::new(env!("CARGO_BIN_EXE_dlp-milter"))
            .args(["serve", "--config"])
            .arg(&config)
            // After the subcommand: the flag is global.
            .args(["--log-format", "json"])
            .stderr(std::fs::File::create(&log_path).unwrap())
            .spawn()
            .expect("cannot start dlp-milter"),
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
    assert!(
        out.status.success(),
        "miltertest failed: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    // SIGTERM-free stop: the lines are flushed as written.
    let _ = daemon.0.kill();
    let _ = daemon.0.wait();
    let log = std::fs::read_to_string(&log_path).unwrap();
    let lines = parse_lines(&log);
    // The start-up line is JSON too (not only the per-message lines).
    let listening = lines
        .iter()
        .find(|l| l["message"] == "dlp-milter listening")
        .unwrap_or_else(|| panic!("no start-up line:\n{log}"));
    assert!(
        listening["listen"]
            .as_str()
            .is_some_and(|a| a.ends_with(&format!(":{port}"))),
        "{listening:?}"
    );
    let messages: Vec<_> = lines
        .iter()
        .filter(|l| l.get("message").and_then(|m| m.as_str()) == Some("message"))
        .collect();
    assert!(messages.len() >= 4, "one line per message expected:\n{log}");
    for m in &messages {
        for f in MESSAGE_FIELDS {
            assert!(m.contains_key(f), "field {f} missing from {m:?}");
        }
        assert!(m["recipients"].is_u64() && m["size"].is_u64(), "{m:?}");
    }
    let actions: Vec<&str> = messages
        .iter()
        .filter_map(|m| m["action"].as_str())
        .collect();
    for want in ["accept", "held", "reject"] {
        assert!(actions.contains(&want), "no {want} line among {actions:?}");
    }
    let rewritten = messages
        .iter()
        .find(|m| m["verdict"] == "rewrite")
        .expect("a rewrite line");
    assert_ne!(rewritten["rewrites"], "", "{rewritten:?}");
    let held = messages
        .iter()
        .find(|m| m["verdict"] == "hold")
        .expect("a hold line");
    assert_ne!(held["hold_id"], "-", "{held:?}");
}

#[test]
fn other_commands_log_json_too() {
    // A broken template override makes `quarantine digest --print` warn and
    // fall back to the shipped template: that warning must be a JSON line,
    // and the digest on stdout must be unchanged by the log format.
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("templates");
    std::fs::create_dir(&t).unwrap();
    std::fs::write(t.join("digest.txt"), "{{ broken\n").unwrap();
    let config = dir.path().join("dlp.toml");
    std::fs::write(
        &config,
        format!(
            "data_dir = {:?}\n[notice]\ntemplates_dir = {:?}\n",
            dir.path().join("data"),
            t
        ),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_dlp-milter"))
        .args([
            "--log-format",
            "json",
            "quarantine",
            "digest",
            "--print",
            "--config",
        ])
        .arg(&config)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines = parse_lines(&stderr);
    let warning = lines
        .iter()
        .find(|l| l["level"] == "WARN")
        .unwrap_or_else(|| panic!("no warning logged:\n{stderr}"));
    assert!(
        warning["message"]
            .as_str()
            .is_some_and(|m| m.contains("digest.txt") && m.contains("shipped template")),
        "{warning:?}"
    );
    assert!(warning.contains_key("timestamp") && warning.contains_key("target"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.starts_with("Subject: "), "{stdout}");
}
