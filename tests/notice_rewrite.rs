//! Notices beyond holds: a rewrite notice when configured (none otherwise),
//! admin-edited templates taking effect, notices off, and the outbox thread
//! that `open` starts for the milter sending without being asked.

#[path = "common/quarantine.rs"]
mod support;

use dlp_milter::config::Config;
use dlp_milter::detect::{Category, Location};
use dlp_milter::policy::{Action, PlannedAction, Severity};
use dlp_milter::quarantine::{self, HoldRequest, HoldStore, Quarantine};

fn cfg(relay: &str, notice_extra: &str) -> Config {
    Config::from_toml(
        "t.toml",
        &format!(
            "[quarantine]\nrelay = \"{relay}\"\n\
             [notice]\nfrom = \"DP <dp@school.sch.uk>\"\n{notice_extra}"
        ),
    )
    .unwrap()
}

fn rewrite(q: &dyn HoldStore) {
    let raw = support::held_message(1);
    let env = support::envelope(1);
    let mut rep = support::releasable_report("Newsletter");
    rep.decision.verdict = Action::Rewrite;
    rep.decision.actions = vec![PlannedAction::RewriteRecipients {
        rule: "exposed-recipients".into(),
        external_hidden: 2,
    }];
    q.record_decision(
        &HoldRequest {
            raw: &raw,
            envelope: &env,
            report: &rep,
        },
        Action::Rewrite,
    )
    .unwrap();
}

#[test]
fn rewrite_notice_only_when_configured() {
    let sink = support::Sink::start();
    let dir = tempfile::tempdir().unwrap();
    let q = Quarantine::open(&cfg(&sink.addr, ""), dir.path()).unwrap();
    rewrite(&q);
    assert_eq!(q.flush_outbox().unwrap().sent, 0);

    let dir = tempfile::tempdir().unwrap();
    let q = Quarantine::open(&cfg(&sink.addr, "notify_on_rewrite = true\n"), dir.path()).unwrap();
    rewrite(&q);
    assert_eq!(q.flush_outbox().unwrap().sent, 1);
    let got = sink.wait_for(1);
    let m = mail_parser::MessageParser::default()
        .parse(&got[0].data)
        .unwrap();
    assert!(m.subject().unwrap().contains("changed before sending"));
    let text = m.body_text(0).unwrap();
    assert!(text.contains("2 recipient address(es)"), "{text}");
    // Recorded, but with no content kept: the message went out.
    let list = q
        .list(&quarantine::Filter {
            holds_only: false,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].state, quarantine::State::Delivered);
    assert!(!list[0].has_content);
    assert!(q.store().raw(&list[0].id).unwrap().is_none());
}

#[test]
fn a_rule_in_monitor_mode_is_not_named_in_the_rewrite_notice() {
    let sink = support::Sink::start();
    let dir = tempfile::tempdir().unwrap();
    let q = Quarantine::open(&cfg(&sink.addr, "notify_on_rewrite = true\n"), dir.path()).unwrap();
    let raw = support::held_message(1);
    let env = support::envelope(1);
    let mut rep = support::releasable_report("Newsletter");
    // The NINO rule is being tried out in monitor mode: found, not acted on.
    let mut tried = support::matched(
        Category::PersonalData,
        "uk_nino",
        Location::Body,
        "AB ** ** ** C",
        "nino-trial",
        Severity::High,
        false,
    );
    tried.monitor = Some(Action::Hold);
    tried.action = Action::Tag;
    rep.decision.findings.push(tried);
    rep.decision.verdict = Action::Rewrite;
    rep.decision.actions = vec![PlannedAction::RewriteRecipients {
        rule: "exposed-recipients".into(),
        external_hidden: 2,
    }];
    q.record_decision(
        &HoldRequest {
            raw: &raw,
            envelope: &env,
            report: &rep,
        },
        Action::Rewrite,
    )
    .unwrap();
    assert_eq!(q.flush_outbox().unwrap().sent, 1);
    let got = sink.wait_for(1);
    let m = mail_parser::MessageParser::default()
        .parse(&got[0].data)
        .unwrap();
    let text = m.body_text(0).unwrap();
    assert!(
        text.contains("Policy clause for exposed-recipients."),
        "{text}"
    );
    assert!(!text.contains("Policy clause for nino-trial."), "{text}");
    // The record keeps both, for the DPO's review of the trial.
    let list = q
        .list(&quarantine::Filter {
            holds_only: false,
            ..Default::default()
        })
        .unwrap();
    assert!(list[0].findings.iter().any(|f| f.rule == "nino-trial"));
}

#[test]
fn a_rule_in_monitor_mode_neither_blocks_self_release_nor_appears_in_the_hold_notice() {
    let sink = support::Sink::start();
    let dir = tempfile::tempdir().unwrap();
    let q = Quarantine::open(&cfg(&sink.addr, ""), dir.path()).unwrap();
    let raw = support::held_message(2);
    let env = support::envelope(2);
    // Held by a rule the sender may release; a high-severity rule on trial
    // (monitor mode, not releasable) also fired.
    let mut rep = support::releasable_report("Newsletter");
    let mut tried = support::matched(
        Category::PersonalData,
        "uk_nino",
        Location::Body,
        "AB ** ** ** C",
        "nino-trial",
        Severity::High,
        false,
    );
    tried.monitor = Some(Action::Hold);
    tried.action = Action::Tag;
    rep.decision.findings.push(tried);
    let id = q
        .hold(&HoldRequest {
            raw: &raw,
            envelope: &env,
            report: &rep,
        })
        .unwrap()
        .id;
    let rec = q.get(&id).unwrap();
    assert!(rec.findings.iter().any(|f| f.rule == "nino-trial"));
    assert!(
        rec.sender_may_release(),
        "the trial rule must not block release"
    );
    assert_eq!(
        q.flush_outbox().unwrap().sent,
        1,
        "the sender's notice only"
    );
    let got = sink.wait_for(1);
    let m = mail_parser::MessageParser::default()
        .parse(&got[0].data)
        .unwrap();
    let text = m.body_text(0).unwrap();
    assert!(
        text.contains("Policy clause for exposed-recipients."),
        "{text}"
    );
    assert!(!text.contains("Policy clause for nino-trial."), "{text}");
}

#[test]
fn admin_templates_take_effect() {
    let sink = support::Sink::start();
    let dir = tempfile::tempdir().unwrap();
    let tpl = dir.path().join("tpl");
    std::fs::create_dir(&tpl).unwrap();
    std::fs::write(
        tpl.join("hold.txt"),
        "Subject: Held by Green Lane ({{ reference }})\n\nCall the office about {{ reference }}.\n",
    )
    .unwrap();
    let c = cfg(
        &sink.addr,
        &format!("templates_dir = \"{}\"\n", tpl.display()),
    );
    let q = Quarantine::open(&c, &dir.path().join("data")).unwrap();
    let id = support::hold_with(&q, 1, &support::report("x"));
    q.flush_outbox().unwrap();
    let got = sink.wait_for(1);
    let m = mail_parser::MessageParser::default()
        .parse(&got[0].data)
        .unwrap();
    assert_eq!(m.subject().unwrap(), format!("Held by Green Lane ({id})"));
    assert!(m.body_text(0).unwrap().contains("Call the office"));
    // The HTML part still comes from the shipped template.
    assert!(m.body_html(0).unwrap().contains(&id));
}

#[test]
fn notices_off_queue_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let q = Quarantine::open(&cfg("127.0.0.1:9", "enabled = false\n"), dir.path()).unwrap();
    support::hold_with(&q, 1, &support::report("x"));
    let db = rusqlite::Connection::open(dir.path().join("quarantine.db")).unwrap();
    let n: i64 = db
        .query_row("SELECT count(*) FROM outbox", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 0);
}

#[test]
fn milter_handle_sends_notices_in_the_background() {
    let sink = support::Sink::start();
    let dir = tempfile::tempdir().unwrap();
    let store = quarantine::open(&support::config(&sink.addr), dir.path()).unwrap();
    let start = std::time::Instant::now();
    support::hold_with(store.as_ref(), 1, &support::report("x"));
    // The hold itself does not wait for SMTP.
    assert!(start.elapsed() < std::time::Duration::from_secs(2));
    assert_eq!(sink.wait_for(2).len(), 2, "sender notice and DPO alert");
}

#[test]
fn reopening_does_not_migrate_twice_and_refuses_a_newer_schema() {
    let dir = tempfile::tempdir().unwrap();
    let c = cfg("127.0.0.1:9", "");
    drop(Quarantine::open(&c, dir.path()).unwrap());
    drop(Quarantine::open(&c, dir.path()).unwrap());
    let db = rusqlite::Connection::open(dir.path().join("quarantine.db")).unwrap();
    db.execute_batch("PRAGMA user_version = 99").unwrap();
    drop(db);
    let err = Quarantine::open(&c, dir.path()).err().unwrap().to_string();
    assert!(err.contains("newer than this program"), "{err}");
}
