//! The `scan` command as a user runs it: exit codes, JSON lines, text form,
//! folders, unreadable files and invalid configs.

use std::path::Path;
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_dlp-milter"))
}

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/messages")
        .join(name)
        .display()
        .to_string()
}

#[test]
fn json_is_one_object_per_message_with_the_contract_fields() {
    let out = bin()
        .args([
            "scan",
            "--format",
            "json",
            &fixture("newsletter-40-parents-to.eml"),
            &fixture("newsletter-bcc.eml"),
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert_eq!(lines.len(), 2);
    let first = &lines[0];
    assert!(first["path"]
        .as_str()
        .unwrap()
        .ends_with("newsletter-40-parents-to.eml"));
    assert_eq!(first["verdict"], "rewrite");
    let f = &first["findings"][0];
    assert_eq!(f["category"], "exposed_recipients");
    assert_eq!(f["rule"], "exposed-recipients");
    assert_eq!(f["detector"], "recipient_count");
    assert_eq!(f["location"], "header:To");
    assert!(["low", "medium", "high"].contains(&f["confidence"].as_str().unwrap()));
    // The explanation leads with the unit the rule counts (organisations:
    // every webmail parent is one), then the addresses.
    let evidence = f["evidence"].as_str().unwrap();
    assert!(
        evidence.starts_with("40 external organisations visible in To/Cc (40 addresses"),
        "{evidence}"
    );
    assert!(f["policy"].as_str().unwrap().contains("BCC"));
    assert!(first["actions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["action"] == "rewrite_recipients"));
    assert!(first["not_scanned"].is_array());
    assert!(first["elapsed_us"].is_u64());
    assert_eq!(lines[1]["verdict"], "accept");
    assert_eq!(lines[1]["findings"].as_array().unwrap().len(), 0);
}

#[test]
fn folders_are_scanned_recursively_in_name_order() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/messages");
    let out = bin()
        .args(["scan", "--format", "json", dir.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let paths: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["path"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert!(paths.len() >= 30);
    let mut sorted = paths.clone();
    sorted.sort();
    assert_eq!(paths, sorted);
}

#[test]
fn unreadable_file_exits_1_and_says_so() {
    let out = bin()
        .args([
            "scan",
            "--format",
            "json",
            "/nonexistent/x.eml",
            &fixture("newsletter-bcc.eml"),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let first: serde_json::Value = serde_json::from_str(stdout.lines().next().unwrap()).unwrap();
    assert!(first["error"].as_str().unwrap().contains("cannot read"));
    assert_eq!(
        stdout.lines().count(),
        2,
        "the readable file is still scanned"
    );
}

#[test]
fn invalid_rules_exit_2_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.toml"),
        "[[rule]]\nid = \"x\"\ncategory = \"personal_data\"\ndetectors = [\"nhs_numbr\"]\nseverity = \"high\"\naction = \"hold\"\npolicy = \"p\"\n",
    )
    .unwrap();
    let cfg = dir.path().join("c.toml");
    std::fs::write(
        &cfg,
        format!("[rules]\ndir = {:?}\n", dir.path().display().to_string()),
    )
    .unwrap();
    let out = bin()
        .args([
            "scan",
            "--config",
            cfg.to_str().unwrap(),
            &fixture("newsletter-bcc.eml"),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("bad.toml:4:") && err.contains("nhs_numbr"),
        "{err}"
    );
    let out = bin()
        .args(["rules", "check", "--config", cfg.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn bad_arguments_exit_2() {
    assert_eq!(
        bin()
            .args(["scan", "--format", "yaml", "x.eml"])
            .output()
            .unwrap()
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        bin().args(["scan"]).output().unwrap().status.code(),
        Some(2)
    );
}

#[test]
fn rules_check_accepts_the_shipped_rules_folder() {
    let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    let out = bin()
        .args(["rules", "check", "--rules", rules.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8(out.stdout).unwrap().starts_with("ok: "));
}

#[test]
fn monitor_mode_reports_but_does_not_enforce() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("c.toml");
    std::fs::write(&cfg, "[rules]\nmonitor_only = true\n").unwrap();
    let out = bin()
        .args([
            "scan",
            "--format",
            "json",
            "--config",
            cfg.to_str().unwrap(),
            &fixture("newsletter-40-parents-to.eml"),
        ])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["verdict"], "rewrite");
    assert_eq!(v["enforced"], false);
}

/// The shipped rules with `mode = "monitor"` added to the rule `id`.
fn rules_with_monitored(dir: &Path, id: &str) -> std::path::PathBuf {
    let rules = dir.join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    let marker = format!("id = \"{id}\"\n");
    for e in std::fs::read_dir(shipped).unwrap().flatten() {
        let src = std::fs::read_to_string(e.path()).unwrap();
        let src = src.replace(&marker, &format!("{marker}mode = \"monitor\"\n"));
        std::fs::write(rules.join(e.file_name()), src).unwrap();
    }
    rules
}

#[test]
fn one_rule_in_monitor_mode_reports_while_the_others_enforce() {
    let dir = tempfile::tempdir().unwrap();
    let rules = rules_with_monitored(dir.path(), "exposed-recipients");
    let cfg = dir.path().join("c.toml");
    std::fs::write(&cfg, format!("[rules]\ndir = {:?}\n", rules)).unwrap();
    let check = bin()
        .args(["rules", "check", "--config", cfg.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(check.status.success());
    let said = String::from_utf8(check.stdout).unwrap();
    assert!(said.contains("monitor only: exposed-recipients"), "{said}");
    let out = bin()
        .args([
            "scan",
            "--format",
            "json",
            "--config",
            cfg.to_str().unwrap(),
            &fixture("newsletter-40-parents-to.eml"),
            &fixture("payroll-nino.eml"),
        ])
        .output()
        .unwrap();
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // The monitored rule: reported with what it would do, only tagged.
    assert_eq!(lines[0]["verdict"], "tag");
    assert_eq!(lines[0]["enforced"], true);
    assert_eq!(lines[0]["findings"][0]["rule"], "exposed-recipients");
    assert_eq!(lines[0]["findings"][0]["monitor"], "rewrite");
    // The others still enforce.
    assert_eq!(lines[1]["verdict"], "hold");
    assert!(lines[1]["findings"][0].get("monitor").is_none());

    // A misspelt mode is refused by `rules check`, naming file and line.
    std::fs::write(
        rules.join("recipients.toml"),
        std::fs::read_to_string(rules.join("recipients.toml"))
            .unwrap()
            .replace("mode = \"monitor\"", "mode = \"monitoring\""),
    )
    .unwrap();
    let check = bin()
        .args(["rules", "check", "--config", cfg.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!check.status.success());
    let err = String::from_utf8(check.stderr).unwrap();
    assert!(err.contains("recipients.toml:"), "{err}");
}

#[test]
fn text_format_names_rule_and_policy() {
    let out = bin()
        .args(["scan", &fixture("newsletter-40-parents-to.eml")])
        .output()
        .unwrap();
    let s = String::from_utf8(out.stdout).unwrap();
    assert!(s.contains("REWRITE"), "{s}");
    assert!(
        s.contains("rule exposed-recipients: When emailing several people"),
        "{s}"
    );
}

#[test]
fn rules_check_also_validates_the_daemon_sections() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("c.toml");
    std::fs::write(&cfg, "[milter]\nlisten = \"tcp:localhost\"\n").unwrap();
    let out = bin()
        .args(["rules", "check", "--config", cfg.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8(out.stderr)
        .unwrap()
        .contains("milter.listen"));
    std::fs::write(&cfg, "[milter]\nlisten = \"unix:/tmp/x.sock\"\n").unwrap();
    let out = bin()
        .args(["rules", "check", "--config", cfg.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
