//! The daemon driven over a real socket by a milter client (indymilter-test,
//! which speaks the MTA side of the protocol): one test per action, plus
//! negotiation, several messages per connection, abort, reload, failure
//! policy and graceful shutdown.
//!
//! The exposed-recipients detector is the one real detector on this
//! branch, so each scenario gives its rule a different action in a rules
//! folder of its own; password redaction and subject replacement are
//! covered by the planner's unit tests (src/action).

#[path = "common/milter_hold.rs"]
mod in_process;

use dlp_milter::config::Config;
use dlp_milter::milter::{Milter, MilterListener, SocketSpec, UnixOptions};
use dlp_milter::quarantine::spool::SpoolStore;
use dlp_milter::quarantine::HoldStore;
use in_process::{serve, Served};
use indymilter_test::{any, EomAction, MacroStage, ProtoOpts, Status, TestConnection};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::oneshot;

const KEY: &[u8; 32] = b"0123456789abcdef0123456789abcdef";

struct Harness {
    dir: tempfile::TempDir,
    milter: Milter,
    addr: std::net::SocketAddr,
    served: Served,
}

/// A rules folder with the one exposed-recipients rule. `mode` is the
/// `[policy]` mode, or "rule-monitor" for an enforcing policy whose rule is
/// in monitor mode on its own.
fn rules(dir: &Path, mode: &str, action: &str) -> PathBuf {
    let r = dir.join("rules");
    std::fs::create_dir_all(&r).unwrap();
    let (mode, rule_mode) = match mode {
        "rule-monitor" => ("enforce", "monitor"),
        m => (m, "enforce"),
    };
    std::fs::write(
        r.join("00.toml"),
        format!(
            r#"[policy]
mode = "{mode}"

[[rule]]
id = "exposed-recipients"
description = "Many external addresses visible"
category = "exposed_recipients"
detectors = ["recipient_count"]
min_count = 6
severity = "high"
action = "{action}"
mode = "{rule_mode}"
policy = "Put external recipients in BCC."
fix = "Use BCC."
"#
        ),
    )
    .unwrap();
    r
}

fn config(dir: &Path, mode: &str, action: &str, milter: &str) -> Config {
    let src = format!(
        "data_dir = {:?}\n[organisation]\ndomains = [\"school.example\"]\n[rules]\ndir = {:?}\n[milter]\n{milter}\n",
        dir.join("data"),
        rules(dir, mode, action)
    );
    Config::from_toml("test.toml", &src).unwrap()
}

async fn start(action: &str, milter_cfg: &str) -> Harness {
    start_mode("enforce", action, milter_cfg).await
}

async fn start_mode(mode: &str, action: &str, milter_cfg: &str) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), mode, action, milter_cfg);
    let store: Arc<dyn HoldStore> =
        Arc::new(SpoolStore::open(&dir.path().join("data/spool")).unwrap());
    let milter = Milter::new(&cfg, store, KEY.to_vec()).unwrap();
    let served = serve(milter.clone()).await;
    Harness {
        dir,
        milter,
        addr: served.addr,
        served,
    }
}

impl Harness {
    fn spool(&self) -> PathBuf {
        self.dir.path().join("data/spool")
    }

    fn held(&self) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(self.spool())
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .collect();
        v.sort();
        v
    }

    async fn stop(self) {
        self.served.stop().await;
    }
}

/// A message as Postfix would present it.
struct Msg {
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    rcpts: Vec<String>,
}

fn parents(n: usize) -> String {
    (0..n)
        .map(|i| format!("parent{i}@gmail.com"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn exposed() -> Msg {
    Msg {
        headers: vec![
            ("From".into(), "office@school.example".into()),
            ("To".into(), parents(8)),
            ("Cc".into(), "head@school.example, parent9@yahoo.com".into()),
            ("Subject".into(), "Trip letter".into()),
        ],
        body: b"Dear parents,\r\nthe trip is on Friday.\r\n".to_vec(),
        rcpts: (0..8).map(|i| format!("<parent{i}@gmail.com>")).collect(),
    }
}

fn clean() -> Msg {
    Msg {
        headers: vec![
            ("From".into(), "office@school.example".into()),
            ("To".into(), "parent@gmail.com".into()),
            ("Subject".into(), "Hello".into()),
        ],
        body: b"Nothing to see.\r\n".to_vec(),
        rcpts: vec!["<parent@gmail.com>".into()],
    }
}

async fn open(addr: std::net::SocketAddr) -> TestConnection {
    TestConnection::configure()
        .open_tcp(addr)
        .await
        .expect("negotiates")
}

async fn send(conn: &mut TestConnection, m: &Msg, qid: &str) -> (Vec<EomAction>, Status) {
    conn.macros(MacroStage::Mail, [("{auth_authen}", "office")])
        .await
        .unwrap();
    conn.mail(["<office@school.example>"]).await.unwrap();
    for r in &m.rcpts {
        conn.rcpt([r.as_str()]).await.unwrap();
    }
    for (n, v) in &m.headers {
        conn.header(n.as_str(), v.as_str()).await.unwrap();
    }
    conn.body(m.body.clone()).await.unwrap();
    conn.macros(MacroStage::Eom, [("i", qid)]).await.unwrap();
    let (a, s) = conn.eom().await.unwrap();
    (a.actions, s)
}

#[tokio::test]
async fn negotiates_away_every_stage_and_reply_it_does_not_need() {
    let h = start("tag", "").await;
    let conn = open(h.addr).await;
    let o = conn.negotiated_opts();
    for skipped in [
        ProtoOpts::NO_CONNECT,
        ProtoOpts::NO_HELO,
        ProtoOpts::NO_DATA,
        ProtoOpts::NO_EOH,
        ProtoOpts::NO_UNKNOWN,
        ProtoOpts::NOREPLY_MAIL,
        ProtoOpts::NOREPLY_RCPT,
        ProtoOpts::NOREPLY_HEADER,
        ProtoOpts::NOREPLY_BODY,
    ] {
        assert!(o.contains(skipped), "{skipped:?} not negotiated: {o:?}");
    }
    let mail = conn.requested_macros().get(&MacroStage::Mail).unwrap();
    assert!(mail.to_str().unwrap().contains("{client_addr}"));
    conn.close().await.unwrap();
    h.stop().await;
}

#[tokio::test]
async fn clean_mail_is_accepted_untouched() {
    let h = start("hold", "").await;
    let mut c = open(h.addr).await;
    let (actions, status) = send(&mut c, &clean(), "Q1").await;
    assert_eq!(status, Status::Accept);
    assert!(actions.is_empty(), "{actions:?}");
    c.close().await.unwrap();
    assert!(h.held().is_empty());
    h.stop().await;
}

#[tokio::test]
async fn tag_adds_masked_headers() {
    let h = start("tag", "").await;
    let mut c = open(h.addr).await;
    let (actions, status) = send(&mut c, &exposed(), "Q2").await;
    assert_eq!(status, Status::Accept);
    let eom = indymilter_test::EomActions {
        actions: actions.clone(),
    };
    assert!(eom.has_add_header("X-DLP-Verdict", "tag"));
    assert!(eom.has_add_header("X-DLP-Findings", any()));
    for a in &actions {
        if let EomAction::AddHeader { value, .. } = a {
            assert!(
                !value.to_str().unwrap().contains("parent"),
                "unmasked: {value:?}"
            );
        }
    }
    // Envelope untouched, header lists untouched.
    assert!(!actions.iter().any(|a| matches!(
        a,
        EomAction::ChangeHeader { .. } | EomAction::DeleteHeader { .. }
    )));
    c.close().await.unwrap();
    h.stop().await;
}

#[tokio::test]
async fn rewrite_hides_recipients_and_records_it() {
    let h = start("rewrite", "").await;
    let mut c = open(h.addr).await;
    let (actions, status) = send(&mut c, &exposed(), "Q3").await;
    assert_eq!(status, Status::Accept);
    let eom = indymilter_test::EomActions { actions };
    assert!(eom.has_change_header("To", 1, "undisclosed-recipients:;"));
    assert!(eom.has_delete_header("Cc", 1));
    assert!(eom.has_add_header("X-DLP-Verdict", "rewrite"));
    assert!(!eom.actions.iter().any(|a| matches!(
        a,
        EomAction::DeleteRecipient { .. } | EomAction::AddRecipient { .. }
    )));
    c.close().await.unwrap();
    let log = std::fs::read_to_string(h.spool().join("decisions.jsonl")).unwrap();
    assert!(log.contains("\"verdict\":\"rewrite\""));
    assert!(log.contains("\"queue_id\":\"Q3\""));
    h.stop().await;
}

#[tokio::test]
async fn rewrite_can_keep_internal_addresses() {
    let h = start("rewrite", "recipient_rewrite = \"keep-internal\"").await;
    let mut c = open(h.addr).await;
    let (actions, _) = send(&mut c, &exposed(), "Q4").await;
    let eom = indymilter_test::EomActions { actions };
    assert!(eom.has_change_header("To", 1, "undisclosed-recipients:;"));
    assert!(eom.has_change_header("Cc", 1, "head@school.example"));
    c.close().await.unwrap();
    h.stop().await;
}

#[tokio::test]
async fn hold_stores_durably_then_discards() {
    let h = start("hold", "").await;
    let mut c = open(h.addr).await;
    let m = exposed();
    let (actions, status) = send(&mut c, &m, "Q5").await;
    assert_eq!(status, Status::Discard);
    assert!(actions.is_empty(), "{actions:?}");
    c.close().await.unwrap();
    let held = h.held();
    assert_eq!(held.len(), 1);
    let raw = std::fs::read_to_string(&held[0]).unwrap();
    assert!(raw.starts_with("From: office@school.example\r\nTo: parent0@gmail.com"));
    assert!(raw.ends_with("\r\n\r\nDear parents,\r\nthe trip is on Friday.\r\n"));
    let meta = std::fs::read_to_string(held[0].with_extension("json")).unwrap();
    assert!(meta.contains("\"queue_id\": \"Q5\""), "{meta}");
    assert!(meta.contains("\"auth_user\": \"office\""), "{meta}");
    assert!(
        meta.contains("parent7@gmail.com"),
        "envelope recipients kept: {meta}"
    );
    h.stop().await;
}

#[tokio::test]
async fn hold_that_cannot_be_stored_is_tempfailed() {
    let h = start("hold", "").await;
    std::fs::remove_dir_all(h.spool()).unwrap();
    std::fs::write(h.spool(), b"not a directory").unwrap();
    let mut c = open(h.addr).await;
    let (_, status) = send(&mut c, &exposed(), "Q6").await;
    assert!(
        matches!(&status, Status::Tempfail { message: Some(m) } if m.to_str().unwrap().starts_with("451 4.7.1")),
        "{status:?}"
    );
    c.close().await.unwrap();
    h.stop().await;
}

#[tokio::test]
async fn postfix_hold_mode_answers_quarantine_and_accept() {
    let h = start("hold", "hold_mode = \"postfix-hold\"").await;
    let mut c = open(h.addr).await;
    let (actions, status) = send(&mut c, &exposed(), "Q7").await;
    assert_eq!(status, Status::Accept);
    let eom = indymilter_test::EomActions { actions };
    assert!(eom.has_quarantine(any()));
    assert!(eom.has_add_header("X-DLP-Verdict", "hold"));
    c.close().await.unwrap();
    assert!(h.held().is_empty(), "postfix keeps it, not us");
    h.stop().await;
}

#[tokio::test]
async fn reject_quotes_the_policy() {
    let h = start("reject", "").await;
    let mut c = open(h.addr).await;
    let (_, status) = send(&mut c, &exposed(), "Q8").await;
    let Status::Reject { message: Some(m) } = status else {
        panic!("{status:?}")
    };
    let m = m.to_str().unwrap();
    assert!(m.starts_with("550 5.7.1 "), "{m}");
    assert!(m.contains("Put external recipients in BCC."), "{m}");
    c.close().await.unwrap();
    h.stop().await;
}

#[tokio::test]
async fn monitor_mode_only_logs() {
    let h = start_mode("monitor", "hold", "").await;
    let mut c = open(h.addr).await;
    let (actions, status) = send(&mut c, &exposed(), "Q9").await;
    assert_eq!(status, Status::Accept);
    assert!(actions.is_empty(), "{actions:?}");
    c.close().await.unwrap();
    assert!(h.held().is_empty());
    h.stop().await;
}

#[tokio::test]
async fn a_rule_in_monitor_mode_tags_instead_of_holding() {
    let h = start_mode("rule-monitor", "hold", "").await;
    let mut c = open(h.addr).await;
    let (actions, status) = send(&mut c, &exposed(), "Q11").await;
    assert_eq!(status, Status::Accept);
    let eom = indymilter_test::EomActions {
        actions: actions.clone(),
    };
    assert!(eom.has_add_header("X-DLP-Verdict", "tag"));
    assert!(eom.has_add_header(
        "X-DLP-Findings",
        "exposed-recipients exposed_recipients/recipient_count in header:To (monitor: would hold)"
    ));
    // Nothing else changed: recipients and headers as sent, nothing held.
    assert!(!actions.iter().any(|a| matches!(
        a,
        EomAction::ChangeHeader { .. }
            | EomAction::DeleteRecipient { .. }
            | EomAction::AddRecipient { .. }
    )));
    c.close().await.unwrap();
    assert!(h.held().is_empty());
    let log = std::fs::read_to_string(h.spool().join("decisions.jsonl")).unwrap();
    assert!(log.contains("\"verdict\":\"tag\""), "{log}");
    assert!(log.contains("\"monitor\":\"hold\""), "{log}");
    h.stop().await;
}

#[tokio::test]
async fn forged_verdict_headers_are_removed() {
    let h = start("tag", "").await;
    let mut c = open(h.addr).await;
    let mut m = clean();
    m.headers.push(("X-DLP-Verdict".into(), "accept".into()));
    m.headers.push(("X-DLP-Release".into(), "forged".into()));
    let (actions, status) = send(&mut c, &m, "Q10").await;
    assert_eq!(status, Status::Accept);
    let eom = indymilter_test::EomActions { actions };
    assert!(eom.has_delete_header("X-DLP-Verdict", 1));
    assert!(eom.has_delete_header("X-DLP-Release", 1));
    c.close().await.unwrap();
    h.stop().await;
}

#[tokio::test]
async fn several_messages_per_connection_and_abort_resets() {
    let h = start("hold", "").await;
    let mut c = open(h.addr).await;
    // An aborted transaction leaves nothing behind.
    c.mail(["<office@school.example>"]).await.unwrap();
    for r in exposed().rcpts {
        c.rcpt([r.as_str()]).await.unwrap();
    }
    c.header("To", parents(8).as_str()).await.unwrap();
    c.abort().await.unwrap();
    let (_, s1) = send(&mut c, &clean(), "A1").await;
    assert_eq!(
        s1,
        Status::Accept,
        "abort must reset: the held headers were dropped"
    );
    let (_, s2) = send(&mut c, &exposed(), "A2").await;
    assert_eq!(s2, Status::Discard);
    let (_, s3) = send(&mut c, &clean(), "A3").await;
    assert_eq!(s3, Status::Accept);
    c.close().await.unwrap();
    assert_eq!(h.held().len(), 1);
    assert_eq!(h.milter.in_flight(), 0);
    h.stop().await;
}

#[tokio::test]
async fn oversize_follows_the_failure_policy() {
    let h = start("hold", "max_message_bytes = 2048").await;
    let mut c = open(h.addr).await;
    let mut m = clean();
    m.body = vec![b'a'; 4096];
    // The default (hold) keeps it, in Postfix's hold queue: the milter
    // stopped collecting it, so only Postfix has the bytes. (It used to be
    // accepted unscanned: issue 20.)
    let (actions, status) = send(&mut c, &m, "F1").await;
    assert_eq!(status, Status::Accept);
    let eom = indymilter_test::EomActions { actions };
    assert!(eom.has_quarantine(any()), "{:?}", eom.actions);
    assert!(eom.has_add_header("X-DLP-Verdict", "hold"));
    assert!(eom.has_add_header("X-DLP-Hold-Rules", "could-not-be-checked"));
    assert!(!eom.has_add_header("X-DLP-Verdict", "unscanned"));
    c.close().await.unwrap();
    h.stop().await;

    // `accept` (and its older name `open`) lets it through, tagged.
    for name in ["accept", "open"] {
        let h = start(
            "hold",
            &format!("max_message_bytes = 2048\non_failure = \"{name}\""),
        )
        .await;
        let mut c = open(h.addr).await;
        let (actions, status) = send(&mut c, &m, "F3").await;
        assert_eq!(status, Status::Accept, "{name}");
        let eom = indymilter_test::EomActions { actions };
        assert!(eom.has_add_header("X-DLP-Verdict", "unscanned"), "{name}");
        c.close().await.unwrap();
        h.stop().await;
    }

    let h = start("hold", "max_message_bytes = 2048\non_failure = \"closed\"").await;
    let mut c = open(h.addr).await;
    let (_, status) = send(&mut c, &m, "F2").await;
    assert!(matches!(status, Status::Tempfail { .. }), "{status:?}");
    c.close().await.unwrap();
    h.stop().await;
}

#[tokio::test]
async fn reload_swaps_rules_without_dropping_the_connection() {
    let h = start("tag", "").await;
    let mut c = open(h.addr).await;
    let (_, s) = send(&mut c, &exposed(), "R1").await;
    assert_eq!(s, Status::Accept);
    let new = config(h.dir.path(), "enforce", "reject", "");
    h.milter.reload(&new).unwrap();
    let (_, s) = send(&mut c, &exposed(), "R2").await;
    assert!(matches!(s, Status::Reject { .. }), "{s:?}");
    // A bad config is refused and the old one stays.
    let mut bad = new.clone();
    bad.rules.dir = Some(h.dir.path().join("no-such-rules"));
    assert!(h.milter.reload(&bad).is_err());
    let (_, s) = send(&mut c, &exposed(), "R3").await;
    assert!(matches!(s, Status::Reject { .. }), "{s:?}");
    c.close().await.unwrap();
    h.stop().await;
}

#[tokio::test]
async fn shutdown_finishes_the_message_in_flight() {
    let mut h = start("hold", "").await;
    let mut c = open(h.addr).await;
    c.mail(["<office@school.example>"]).await.unwrap();
    c.rcpt(["<parent@gmail.com>"]).await.unwrap();
    c.header("Subject", "in flight").await.unwrap();
    // Let the milter see MAIL before asking it to stop.
    for _ in 0..100 {
        if h.milter.in_flight() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(h.milter.in_flight(), 1);
    h.served.signal_stop();
    tokio::time::sleep(Duration::from_millis(100)).await;
    // New connections are refused while draining...
    assert!(TestConnection::configure().open_tcp(h.addr).await.is_err());
    // ...but the message in flight completes.
    c.body(b"hello\r\n".to_vec()).await.unwrap();
    let (_, s) = c.eom().await.unwrap();
    assert_eq!(s, Status::Accept);
    h.served.stop().await;
}

#[tokio::test]
async fn unix_socket_serves_too() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), "enforce", "tag", "");
    let store: Arc<dyn HoldStore> =
        Arc::new(SpoolStore::open(&dir.path().join("data/spool")).unwrap());
    let milter = Milter::new(&cfg, store, vec![]).unwrap();
    let path = dir.path().join("m.sock");
    let listener = MilterListener::bind(
        &SocketSpec::Unix(path.clone()),
        &UnixOptions {
            mode: Some(0o660),
            group: None,
        },
        true,
    )
    .await
    .unwrap();
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        milter
            .run(listener, async {
                let _ = rx.await;
            })
            .await
    });
    let mut c = TestConnection::configure().open_unix(&path).await.unwrap();
    let (actions, s) = send(&mut c, &exposed(), "U1").await;
    assert_eq!(s, Status::Accept);
    assert!(!actions.is_empty());
    c.close().await.unwrap();
    let _ = tx.send(());
    task.await.unwrap().unwrap();
    assert!(!path.exists(), "socket file removed on shutdown");
}

#[tokio::test]
async fn many_concurrent_sessions() {
    let h = start("hold", "").await;
    let mut tasks = Vec::new();
    for i in 0..50 {
        let addr = h.addr;
        tasks.push(tokio::spawn(async move {
            let mut c = open(addr).await;
            let m = if i % 5 == 0 { exposed() } else { clean() };
            let (_, s) = send(&mut c, &m, &format!("C{i}")).await;
            c.close().await.unwrap();
            (i, s)
        }));
    }
    for t in tasks {
        let (i, s) = t.await.unwrap();
        let want = if i % 5 == 0 {
            Status::Discard
        } else {
            Status::Accept
        };
        assert_eq!(s, want, "message {i}");
    }
    assert_eq!(h.held().len(), 10);
    h.stop().await;
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// `m` with a release marker over its body, `office@` as sender and its
/// recipients, as the quarantine's release would send it.
fn released(mut m: Msg, id: &str) -> Msg {
    use dlp_milter::quarantine::marker;
    let b = marker::Binding::new(&m.body, "office@school.example", &m.rcpts);
    let value = marker::sign(KEY, marker::Kind::Release, id, unix_now(), &b).unwrap();
    m.headers.push((marker::RELEASE_HEADER.into(), value));
    m
}

#[tokio::test]
async fn released_mail_passes_once_unscanned_and_loses_its_marker() {
    let h = start("hold", "").await;
    let m = released(exposed(), "rel-1");
    let mut c = open(h.addr).await;
    let (actions, status) = send(&mut c, &m, "REL1").await;
    assert_eq!(status, Status::Accept, "a valid release is not held again");
    let eom = indymilter_test::EomActions { actions };
    assert!(eom.has_delete_header("X-DLP-Release", 1));
    // The same marker again (a replay, or the MTA resending): scanned, held.
    let (_, status) = send(&mut c, &m, "REL2").await;
    assert_eq!(status, Status::Discard);
    // A forged marker: scanned, held, header removed.
    let mut forged = exposed();
    forged.headers.push((
        "X-DLP-Release".into(),
        format!("v2; k=00000000; id=x; t={}; mac=00", unix_now()),
    ));
    let (actions, status) = send(&mut c, &forged, "REL3").await;
    assert_eq!(status, Status::Discard);
    let _ = actions;
    c.close().await.unwrap();
    h.stop().await;
}

#[tokio::test]
async fn a_marker_rebound_to_another_body_or_recipients_is_scanned_and_removed() {
    // Tag mode: the message goes out, so the header removal is visible.
    let h = start("tag", "").await;
    let mut c = open(h.addr).await;
    // Other body: the marker of the released message on new content.
    let mut other_body = released(exposed(), "rel-body");
    other_body.body = b"Dear parents,\r\nhere is the pupil list.\r\n".to_vec();
    let (actions, status) = send(&mut c, &other_body, "RB1").await;
    assert_eq!(status, Status::Accept);
    let eom = indymilter_test::EomActions { actions };
    assert!(eom.has_delete_header("X-DLP-Release", 1), "marker removed");
    assert!(
        eom.has_add_header("X-DLP-Verdict", any()),
        "scanned like any other message: {eom:?}"
    );
    // Same body, one more (external) recipient.
    let mut other_rcpts = released(exposed(), "rel-rcpt");
    other_rcpts.rcpts.push("<outsider@evil.example>".into());
    let (actions, _) = send(&mut c, &other_rcpts, "RB2").await;
    let eom = indymilter_test::EomActions { actions };
    assert!(eom.has_delete_header("X-DLP-Release", 1));
    assert!(eom.has_add_header("X-DLP-Verdict", any()), "{eom:?}");
    // The untouched message with its own marker passes unscanned: no verdict.
    let ok = released(exposed(), "rel-ok");
    let (actions, status) = send(&mut c, &ok, "RB3").await;
    assert_eq!(status, Status::Accept);
    let eom = indymilter_test::EomActions { actions };
    assert!(!eom.has_add_header("X-DLP-Verdict", any()), "{eom:?}");
    c.close().await.unwrap();
    h.stop().await;
}

#[tokio::test]
async fn a_replayed_marker_is_caught_after_a_restart() {
    let h = start("hold", "").await;
    let m = released(exposed(), "rel-restart");
    let mut c = open(h.addr).await;
    let (_, status) = send(&mut c, &m, "RR1").await;
    assert_eq!(status, Status::Accept);
    c.close().await.unwrap();
    // A new milter process over the same store (the spool directory).
    let spool = h.spool();
    let cfg = config(h.dir.path(), "enforce", "hold", "");
    let store: Arc<dyn HoldStore> = Arc::new(SpoolStore::open(&spool).unwrap());
    let restarted = serve(Milter::new(&cfg, store, KEY.to_vec()).unwrap()).await;
    let mut c = open(restarted.addr).await;
    let (_, status) = send(&mut c, &m, "RR2").await;
    assert_eq!(status, Status::Discard, "the replay is scanned and held");
    c.close().await.unwrap();
    restarted.stop().await;
    h.stop().await;
}

#[tokio::test]
async fn fail_open_strips_every_dlp_header() {
    let h = start("hold", "max_message_bytes = 2048\non_failure = \"open\"").await;
    let mut c = open(h.addr).await;
    let mut m = released(exposed(), "rel-big");
    m.body = vec![b'a'; 4096];
    m.headers.push(("X-DLP-Verdict".into(), "accept".into()));
    m.headers.push(("x-dlp-anything".into(), "1".into()));
    m.headers.push(("X-DLP-Notice".into(), "v2; forged".into()));
    let (actions, status) = send(&mut c, &m, "FO1").await;
    assert_eq!(status, Status::Accept);
    let eom = indymilter_test::EomActions { actions };
    for name in [
        "X-DLP-Release",
        "X-DLP-Verdict",
        "x-dlp-anything",
        "X-DLP-Notice",
    ] {
        assert!(eom.has_delete_header(name, 1), "{name} kept: {eom:?}");
    }
    assert!(eom.has_add_header("X-DLP-Verdict", "unscanned"));
    c.close().await.unwrap();
    h.stop().await;
}

#[tokio::test]
async fn inline_password_is_redacted_by_body_replacement() {
    let h = start("tag", "").await;
    std::fs::write(
        h.dir.path().join("rules/10-password.toml"),
        r#"[[rule]]
id = "inline-password"
description = "A password written in the message"
category = "inline_password"
min_confidence = "medium"
severity = "high"
action = "rewrite"
policy = "Passwords must be sent separately."
fix = "Send it by text message."
"#,
    )
    .unwrap();
    h.milter
        .reload(&config(h.dir.path(), "enforce", "tag", ""))
        .unwrap();
    let mut m = clean();
    m.body =
        b"Hi,\r\nI have attached the report. The password is Tr0ub4dor&3x\r\nThanks\r\n".to_vec();
    let mut c = open(h.addr).await;
    let (actions, status) = send(&mut c, &m, "PW1").await;
    assert_eq!(status, Status::Accept);
    let body: Vec<u8> = actions
        .iter()
        .filter_map(|a| match a {
            EomAction::ReplaceBody { chunk } => Some(chunk.to_vec()),
            _ => None,
        })
        .flatten()
        .collect();
    let body = String::from_utf8(body).unwrap();
    assert!(!body.contains("Tr0ub4dor"), "{actions:?}");
    assert!(body.contains("[password removed"), "{body}");
    assert!(
        matches!(actions.last(), Some(EomAction::ReplaceBody { .. })),
        "body replacement must come last: {actions:?}"
    );
    c.close().await.unwrap();
    h.stop().await;
}

#[tokio::test]
async fn scan_over_its_budget_follows_the_failure_policy() {
    // 1 ms is far less than a 3 MB message takes to scan.
    let mut m = clean();
    m.body = "The governors met on Tuesday to discuss the budget.\r\n"
        .repeat(60_000)
        .into_bytes();
    let h = start("hold", "scan_timeout_ms = 1\non_failure = \"closed\"").await;
    let mut c = open(h.addr).await;
    let (_, status) = send(&mut c, &m, "T1").await;
    assert!(
        matches!(&status, Status::Tempfail { message: Some(msg) } if msg.to_str().unwrap().starts_with("451 4.7.1")),
        "{status:?}"
    );
    c.close().await.unwrap();
    h.stop().await;

    // The default (hold): held in the quarantine as could-not-be-checked
    // (it used to be accepted unscanned: issue 20).
    let h = start("hold", "scan_timeout_ms = 1").await;
    let mut c = open(h.addr).await;
    let (_, status) = send(&mut c, &m, "T2").await;
    assert_eq!(status, Status::Discard);
    c.close().await.unwrap();
    let held = h.held();
    assert_eq!(held.len(), 1);
    let record = std::fs::read_to_string(held[0].with_extension("json")).unwrap();
    assert!(record.contains("could-not-be-checked"), "{record}");
    // The whole message was kept, though its scan was abandoned.
    let kept = std::fs::read(&held[0]).unwrap();
    assert!(
        kept.ends_with(&m.body),
        "held copy is not the whole message"
    );
    h.stop().await;

    let h = start("hold", "scan_timeout_ms = 1\non_failure = \"accept\"").await;
    let mut c = open(h.addr).await;
    let (actions, status) = send(&mut c, &m, "T3").await;
    assert_eq!(status, Status::Accept);
    let eom = indymilter_test::EomActions { actions };
    assert!(eom.has_add_header("X-DLP-Verdict", "unscanned"));
    c.close().await.unwrap();
    h.stop().await;
}
