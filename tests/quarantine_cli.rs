//! The DPO's commands, run as the binary: list (text, JSON, filters), show
//! (masked, revealed and audited), release over SMTP, delete, purge
//! (retention), export, digest; wrong-state operations fail and change nothing.

#[path = "common/quarantine.rs"]
mod support;

use dlp_milter::policy::Action;
use dlp_milter::quarantine::{HoldRequest, HoldStore, Quarantine};
use std::path::Path;
use std::process::{Command, Output};

fn run(config: &Path, args: &[&str]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_dlp-milter"));
    c.args(args).arg("--config").arg(config);
    // $USER is not trusted for the actor (issue 21): the OS user is recorded.
    c.env("USER", "cli-tester");
    c.env_remove("SUDO_USER");
    c.output().unwrap()
}

/// The OS user the tests run as: what the audit trail records as the actor.
fn me() -> String {
    let o = Command::new("id").arg("-un").output().unwrap();
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into()
}

struct Fixture {
    _dir: tempfile::TempDir,
    config: std::path::PathBuf,
    data: std::path::PathBuf,
    ids: Vec<String>,
    sink: support::Sink,
}

/// Three holds (two high severity, one low) and one rewrite.
fn fixture(extra: &str) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let sink = support::Sink::start();
    let config = support::write_config(dir.path(), &sink.addr, extra);
    let cfg = dlp_milter::config::Config::load(&config).unwrap();
    let q = Quarantine::open(&cfg, &data).unwrap();
    let mut ids = Vec::new();
    for n in 0..3 {
        let raw = support::held_message(n);
        let mut env = support::envelope(n);
        let rep = if n == 2 {
            env.sender = "head@school.sch.uk".into();
            support::releasable_report("Trip letter")
        } else {
            support::report("Jane Doe NHS 943 476 5919")
        };
        ids.push(
            q.hold(&HoldRequest {
                raw: &raw,
                envelope: &env,
                report: &rep,
            })
            .unwrap()
            .id,
        );
    }
    let raw = support::held_message(9);
    let env = support::envelope(9);
    let rep = support::releasable_report("Newsletter");
    q.record_decision(
        &HoldRequest {
            raw: &raw,
            envelope: &env,
            report: &rep,
        },
        Action::Rewrite,
    )
    .unwrap();
    Fixture {
        _dir: dir,
        config,
        data,
        ids,
        sink,
    }
}

#[test]
fn list_json_and_filters() {
    let f = fixture("");
    let c = &f.config;
    let o = run(c, &["quarantine", "list", "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let lines: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "holds only by default");
    let first = &lines[0];
    for key in [
        "id",
        "state",
        "sender",
        "recipient_count",
        "rule_ids",
        "expires_at",
    ] {
        assert!(first.get(key).is_some(), "missing {key}: {first}");
    }
    assert_eq!(first["state"], "held");
    assert_eq!(first["recipient_count"], 2);
    assert!(
        !stdout(&o).contains("AB 12"),
        "list must not show identifiers"
    );

    let count = |args: &[&str]| {
        let mut a = vec!["quarantine", "list", "--format", "json"];
        a.extend_from_slice(args);
        let o = run(c, &a);
        assert!(o.status.success(), "{}", stderr(&o));
        stdout(&o).lines().count()
    };
    assert_eq!(count(&["--sender", "head@"]), 1);
    assert_eq!(count(&["--rule", "personal-data-nino"]), 2);
    assert_eq!(count(&["--rule", "exposed-recipients"]), 1);
    assert_eq!(count(&["--all", "--rule", "exposed-recipients"]), 2);
    assert_eq!(count(&["--state", "released"]), 0);
    assert_eq!(
        count(&["--since", "2000-01-01", "--until", "2000-12-31"]),
        0
    );
    assert_eq!(count(&["--since", "2000-01-01"]), 3);
    let o = run(c, &["quarantine", "list"]);
    assert!(stdout(&o).contains(&f.ids[0]));
    let o = run(c, &["quarantine", "list", "--since", "last tuesday"]);
    assert!(!o.status.success());
}

#[test]
fn show_is_masked_and_reveal_is_audited() {
    let f = fixture("");
    let c = &f.config;
    let id = &f.ids[0];
    let o = run(c, &["quarantine", "show", id]);
    assert!(o.status.success(), "{}", stderr(&o));
    let s = stdout(&o);
    assert!(s.contains("AB ** ** ** C"), "{s}");
    for secret in [
        "AB123456C",
        "Jane Doe",
        "943 476 5919",
        "parent1@gmail.com",
        "jane-doe-sen.pdf",
    ] {
        assert!(!s.contains(secret), "masked show leaks {secret}:\n{s}");
    }
    assert!(s.contains("*@gmail.com"));
    assert!(s.contains("Expires:"));
    let o = run(
        c,
        &["quarantine", "show", id, "--reveal", "--by", "dpo-anna"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let s = stdout(&o);
    assert!(s.contains("AB123456C") && s.contains("parent1@gmail.com"));
    // --by is a claim recorded beside the OS user, never instead of it.
    assert!(
        s.contains(&format!("revealed by {} (as dpo-anna)", me())),
        "{s}"
    );
    let o = run(c, &["quarantine", "show", id, "--format", "json"]);
    assert!(!stdout(&o).contains("jane-doe-sen.pdf"));
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    let actors: Vec<String> = v["audit"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{} {}",
                e["event"].as_str().unwrap(),
                e["actor"].as_str().unwrap()
            )
        })
        .collect();
    assert!(actors.contains(&format!("viewed {}", me())), "{actors:?}");
    assert!(
        actors.contains(&format!("revealed {} (as dpo-anna)", me())),
        "{actors:?}"
    );
    // $USER=cli-tester is not what is recorded.
    assert!(
        !actors.iter().any(|a| a.contains("cli-tester")),
        "{actors:?}"
    );
    let o = run(c, &["quarantine", "show", "Q-NOPE"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("no message with reference Q-NOPE"));
}

#[test]
fn release_then_release_again_fails_and_changes_nothing() {
    let f = fixture("");
    let c = &f.config;
    let id = &f.ids[0];
    let o = run(c, &["quarantine", "release", id]);
    assert!(!o.status.success(), "reason is required");
    let o = run(
        c,
        &[
            "quarantine",
            "release",
            id,
            "--reason",
            "checked",
            "--relay",
            &f.sink.addr,
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("released"), "{}", stdout(&o));
    let got = f.sink.wait_for(1);
    let released: Vec<_> = got
        .iter()
        .filter(|m| m.mail_from == "teacher@school.sch.uk")
        .collect();
    assert_eq!(released.len(), 1);
    assert_eq!(released[0].rcpt_to.len(), 2);

    let audit_len = |c: &Path| {
        let o = run(c, &["audit", "verify"]);
        assert!(o.status.success(), "{}", stderr(&o));
        stdout(&o)
    };
    let before = audit_len(c);
    let o = run(c, &["quarantine", "release", id, "--reason", "again"]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains(&format!("already released by {}", me())),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("nothing was changed"));
    let o = run(c, &["quarantine", "delete", id, "--reason", "oops"]);
    assert!(!o.status.success());
    assert_eq!(
        audit_len(c),
        before,
        "failed commands must not change the audit log"
    );
    assert_eq!(
        f.sink
            .got
            .lock()
            .unwrap()
            .iter()
            .filter(|m| m.mail_from == "teacher@school.sch.uk")
            .count(),
        1
    );
}

#[test]
fn delete_twice_and_purge_and_expired() {
    let f = fixture("retention_days = 7\n");
    let c = &f.config;
    let o = run(
        c,
        &[
            "quarantine",
            "delete",
            &f.ids[1],
            "--reason",
            "sent in error",
            "--by",
            "dpo",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(c, &["quarantine", "delete", &f.ids[1], "--reason", "again"]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains(&format!("already deleted by {} (as dpo)", me())),
        "{}",
        stderr(&o)
    );
    let o = run(c, &["quarantine", "show", &f.ids[1], "--reveal"]);
    assert!(!o.status.success(), "deleted content is gone");

    // Retention: nothing due now; in 8 days the remaining held message expires.
    let o = run(c, &["quarantine", "purge"]);
    assert!(stdout(&o).starts_with("expired 0"), "{}", stdout(&o));
    let later = time::OffsetDateTime::now_utc() + time::Duration::days(8);
    let later = later
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let o = run(c, &["quarantine", "purge", "--now", &later]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).starts_with("expired 2"), "{}", stdout(&o));
    let o = run(c, &["quarantine", "release", &f.ids[0], "--reason", "late"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("expired"), "{}", stderr(&o));
    // The record stays, without content; the audit trail is intact.
    let o = run(
        c,
        &[
            "quarantine",
            "list",
            "--format",
            "json",
            "--state",
            "expired",
        ],
    );
    assert_eq!(stdout(&o).lines().count(), 2);
    let o = run(c, &["quarantine", "show", &f.ids[0]]);
    assert!(stdout(&o).contains("erased"), "{}", stdout(&o));
    let db = rusqlite::Connection::open(f.data.join("quarantine.db")).unwrap();
    let with_content: i64 = db
        .query_row(
            "SELECT count(*) FROM records WHERE raw IS NOT NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(with_content, 0);
    let o = run(c, &["audit", "verify"]);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn export_carries_breach_log_fields() {
    let f = fixture("");
    let c = &f.config;
    run(
        c,
        &[
            "quarantine",
            "delete",
            &f.ids[1],
            "--reason",
            "wrong recipients",
            "--by",
            "dpo",
        ],
    );
    let today = time::OffsetDateTime::now_utc().date().to_string();
    let o = run(
        c,
        &[
            "quarantine",
            "export",
            "--since",
            &today,
            "--until",
            &today,
            "--format",
            "json",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Vec<serde_json::Value> = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v.len(), 4, "three holds and one rewrite");
    for key in [
        "reference",
        "detected_at",
        "nature",
        "people_affected",
        "records_affected",
        "rule_ids",
        "policy_clauses",
        "measures_taken",
        "likely_consequences",
        "decided_at",
    ] {
        assert!(v[0].get(key).is_some(), "missing {key}");
    }
    let deleted = v
        .iter()
        .find(|i| i["reference"] == f.ids[1].as_str())
        .unwrap();
    assert!(deleted["measures_taken"]
        .as_str()
        .unwrap()
        .contains(&format!("deleted by {} (as dpo)", me())));
    assert_eq!(deleted["delivered"], false);
    let rewritten = v.iter().find(|i| i["decision"] == "rewritten").unwrap();
    assert_eq!(rewritten["delivered"], true);
    assert!(!stdout(&o).contains("AB123456C"));

    let out = f.data.join("log.csv");
    let o = run(
        c,
        &[
            "quarantine",
            "export",
            "--since",
            &today,
            "--until",
            &today,
            "--output",
            out.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let csv = std::fs::read_to_string(&out).unwrap();
    assert!(csv.starts_with("reference,detected_at,decision,state"));
    assert_eq!(csv.lines().count(), 5);
    // The export itself is audited.
    let o = run(c, &["audit", "verify"]);
    assert!(o.status.success());
}

#[test]
fn digest_goes_to_the_dpo() {
    let f = fixture("");
    let c = &f.config;
    let o = run(c, &["quarantine", "digest", "--print"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("Held:       3"), "{}", stdout(&o));
    let o = run(c, &["quarantine", "digest"]);
    assert!(o.status.success(), "{}", stderr(&o));
    // Queued hold notices go out with the digest (5: 3 senders, 2 alerts) + the digest.
    let got = f.sink.wait_for(6);
    assert!(
        got.iter().any(|m| m.rcpt_to == ["dpo@school.sch.uk"]
            && String::from_utf8_lossy(&m.data).contains("DLP daily digest")),
        "{got:?}"
    );
}
