//! The sender's self-service link in a real browser (headless Chromium via
//! chromedriver): the link from the hold notice, opened and clicked through
//! as a person would, against the router served on loopback.
//!
//! - a message held by the milter (over the milter protocol, real
//!   detection) and self-released (its rule allows it) → delivered once
//!   through the relay to an SMTP sink, the DPO alerted;
//! - request release → on the record the DPO's queue lists;
//! - looking (pages and confirmation forms, no submit) changes nothing;
//! - a `<script>` in the subject is shown as text and does not run;
//! - every page reads on a phone without sideways scrolling, and axe-core
//!   finds no WCAG 2.1 A/AA violation on any of them.

#[path = "common/quarantine.rs"]
mod support;

#[path = "common/selfservice.rs"]
mod ss;

#[path = "common/browser.rs"]
mod browser;

#[path = "common/milter_hold.rs"]
mod via_milter;

use browser::{check_page, Browser, Check};
use dlp_milter::quarantine::{marker, view, Quarantine, State};
use fantoccini::Locator;
use ss::*;
use std::sync::Arc;
use support::*;
use via_milter::Letter;

/// The quarantine and the self-service router served on a loopback port;
/// notices link to that port.
struct Served {
    q: Arc<Quarantine>,
    /// Holds the data directory for the test's length.
    _dir: tempfile::TempDir,
}

async fn serve(relay: &str) -> Served {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let q = Arc::new(Quarantine::open(&config_with(relay, Some(&base), ""), dir.path()).unwrap());
    let app = app(&q);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Served { q, _dir: dir }
}

/// A rules folder whose exposed-recipients rule holds, at medium severity,
/// and lets the sender release.
fn releasable_rules(dir: &std::path::Path) -> std::path::PathBuf {
    let r = dir.join("rules");
    std::fs::create_dir_all(&r).unwrap();
    std::fs::write(
        r.join("00.toml"),
        r#"[policy]
mode = "enforce"

[[rule]]
id = "exposed-recipients"
description = "Many external addresses visible"
category = "exposed_recipients"
detectors = ["recipient_count"]
min_count = 6
severity = "medium"
action = "hold"
policy = "Put external recipients in BCC."
fix = "Put the parents in BCC and send it again."
sender_may_release = true
"#,
    )
    .unwrap();
    r
}

/// Sends a letter with nine parents' addresses in To/Cc through the milter
/// (as Postfix would, over the milter protocol) into `q`; returns the
/// reference of the hold.
async fn hold_through_milter(q: &Arc<Quarantine>, cfg: &dlp_milter::config::Config) -> String {
    let parents: Vec<String> = (0..9).map(|i| format!("parent{i}@gmail.com")).collect();
    let letter = Letter {
        auth: "office".into(),
        sender: "office@school.sch.uk".into(),
        headers: vec![
            ("From".into(), "office@school.sch.uk".into()),
            ("To".into(), parents.join(", ")),
            ("Subject".into(), "Trip letter".into()),
        ],
        recipients: parents,
        body: b"Dear parents,\r\nthe trip is on Friday.\r\n".to_vec(),
        queue_id: "4QTRIP".into(),
    };
    via_milter::hold_through_milter(q, cfg, &letter).await
}

/// The URL in the sender's notice about `id`.
fn notice_url(q: &Quarantine, id: &str) -> String {
    let text = notice_text(q, id).unwrap();
    text.split_whitespace()
        .find(|w| w.starts_with("http://") && w.contains("/s/"))
        .expect("a link in the notice")
        .to_string()
}

/// With `DLP_SCREENSHOTS=DIR`, saves the current page as `DIR/NAME.png`
/// (how docs/selfservice-*.png were made); otherwise nothing.
async fn screenshot(b: &Browser, name: &str) {
    if let Some(dir) = std::env::var_os("DLP_SCREENSHOTS") {
        let _ = b.client.set_window_size(900, 1200).await;
        let png = b.client.screenshot().await.expect("screenshot");
        std::fs::write(std::path::Path::new(&dir).join(format!("{name}.png")), png)
            .expect("write screenshot");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sender_releases_through_the_notice_link_and_it_is_delivered_once() {
    let Some(b) = Browser::start().await else {
        return;
    };
    let sink = Sink::start();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let cfg = config_with(
        &sink.addr,
        Some(&base),
        &format!("[rules]\ndir = {:?}\n", releasable_rules(dir.path())),
    );
    let q = Arc::new(Quarantine::open(&cfg, &dir.path().join("data")).unwrap());
    let router = app(&q);
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    let id = hold_through_milter(&q, &cfg).await;
    let url = notice_url(&q, &id);
    let key_dir = dir.path().join("data");
    b.client.goto(&url).await.unwrap();
    assert_eq!(b.text_of("#reference").await, id);
    screenshot(&b, "selfservice-page").await;
    b.el("#release").await.click().await.unwrap();
    let field = b.el("#justification").await;
    field
        .send_keys("All recipients are governors and expect the list")
        .await
        .unwrap();
    screenshot(&b, "selfservice-confirm").await;
    b.el("#confirm").await.click().await.unwrap();
    let outcome = b.text_of("#outcome").await;
    assert_eq!(outcome, "Your email has been released");

    let rec = q.get(&id).unwrap();
    assert_eq!(rec.state, State::Released);
    assert_eq!(
        rec.state_changed_by.as_deref(),
        Some("sender:office@school.sch.uk")
    );
    assert_eq!(
        rec.state_reason.as_deref(),
        Some("All recipients are governors and expect the list")
    );
    // Delivered through the relay with its original envelope and a release
    // marker the milter honours; the DPO is told.
    let got = sink.wait_for(1);
    let originals: Vec<_> = got
        .iter()
        .filter(|m| m.rcpt_to.len() == 9 && m.rcpt_to[0] == "parent0@gmail.com")
        .collect();
    assert_eq!(originals.len(), 1, "{got:?}");
    let key = marker::load_or_create_key(&key_dir).unwrap();
    assert!(marker::verify_released(
        &originals[0].data,
        "office@school.sch.uk",
        &originals[0].rcpt_to,
        &key
    ));
    assert!(
        wait_for_mail(&sink.got, |m: &Received| m.rcpt_to == ["dpo@school.sch.uk"]
            && String::from_utf8_lossy(&m.data).contains("released their own"))
        .is_some(),
        "the DPO is told"
    );

    // Back, and submit again: the link is used up, nothing is sent again.
    b.client.back().await.unwrap();
    if let Ok(button) = b.client.find(Locator::Css("#confirm")).await {
        button.click().await.unwrap();
    }
    b.client.goto(&url).await.unwrap();
    let body = b.text_of("h1").await;
    assert!(body.contains("already been used"), "{body}");
    std::thread::sleep(std::time::Duration::from_millis(300));
    let again = sink.got.lock().unwrap().clone();
    assert_eq!(
        again
            .iter()
            .filter(|m| m.rcpt_to.contains(&"parent1@gmail.com".to_string()))
            .count(),
        1
    );
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_release_request_shows_up_for_the_dpo() {
    let Some(b) = Browser::start().await else {
        return;
    };
    let s = serve(&dead_relay()).await;
    let id = hold_with(s.q.as_ref(), 1, &report("Jane Doe NHS 943 476 5919"));
    b.client.goto(&notice_url(&s.q, &id)).await.unwrap();
    // Not releasable by the sender: no release button.
    assert!(b.client.find(Locator::Css("#release")).await.is_err());
    b.el("#request").await.click().await.unwrap();
    b.el("#justification")
        .await
        .send_keys("The parent asked for this report")
        .await
        .unwrap();
    b.el("#confirm").await.click().await.unwrap();
    assert_eq!(b.text_of("#outcome").await, "Your request has been sent");
    let rec = s.q.get(&id).unwrap();
    assert_eq!(rec.state, State::Held);
    let v: serde_json::Value = serde_json::from_str(&view::list_json(&rec)).unwrap();
    assert_eq!(
        v["release_request_reason"],
        "The parent asked for this report"
    );
    // The sender's page now says so.
    b.client.goto(&notice_url(&s.q, &id)).await.unwrap();
    assert!(b
        .text_of("#requested")
        .await
        .contains("The parent asked for this report"));
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn looking_changes_nothing() {
    let Some(b) = Browser::start().await else {
        return;
    };
    let s = serve(&dead_relay()).await;
    let id = hold_with(s.q.as_ref(), 1, &releasable_report("Trip"));
    let url = notice_url(&s.q, &id);
    let before = (trail(&s.q), s.q.get(&id).unwrap());
    // Every page a link scanner or a curious person reaches without submitting.
    for path in ["", "/release", "/request", "/delete"] {
        b.client.goto(&format!("{url}{path}")).await.unwrap();
    }
    for id_css in ["#release", "#delete"] {
        b.client.goto(&url).await.unwrap();
        b.el(id_css).await.click().await.unwrap();
        // The confirmation page, left without confirming.
        b.el("#confirm").await;
    }
    assert_eq!((trail(&s.q), s.q.get(&id).unwrap()), before);
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_script_in_the_subject_is_shown_as_text_and_does_not_run() {
    let Some(b) = Browser::start().await else {
        return;
    };
    let s = serve(&dead_relay()).await;
    let subject = "<script>document.title='pwned'</script><img src=x onerror=\"document.title='pwned'\"> Trip";
    let id = hold_with(s.q.as_ref(), 1, &releasable_report(subject));
    b.client.goto(&notice_url(&s.q, &id)).await.unwrap();
    let shown = b.text_of("#subject").await;
    assert!(
        shown.contains("<script>document.title='pwned'</script>"),
        "{shown}"
    );
    assert!(shown.contains("<img src=x"), "{shown}");
    let title = b.client.title().await.unwrap();
    assert!(!title.contains("pwned"), "{title}");
    // No element was made from the subject.
    assert!(b
        .client
        .find(Locator::Css("#subject script, #subject img"))
        .await
        .is_err());
    b.close().await;
}

/// Every self-service page a sender meets, in the states they meet it in:
/// the page of a hold they may release (a long subject with a file name in
/// it), its release and delete confirmations, a confirmation sent back with
/// an error, the page of a hold only the DPO may release (subject withheld)
/// and its request confirmation, the page after a request, the page after
/// an action, and the used-up link. Returns how many pages were checked and
/// the problems found.
async fn every_selfservice_page(b: &Browser, check: &Check<'_>) -> (usize, Vec<String>) {
    let s = serve(&dead_relay()).await;
    let own = hold_with(
        s.q.as_ref(),
        1,
        &releasable_report(
            "RE: FW: Governors_minutes_2026-12-01_DRAFT_v4_with_appendices.docx — \
             Llanfairpwllgwyngyllgogerychwyrndrobwllllantysiliogogogoch visit",
        ),
    );
    let dpo_only = hold_with(s.q.as_ref(), 2, &report("Jane Doe NHS 943 476 5919"));
    let (own_url, dpo_url) = (notice_url(&s.q, &own), notice_url(&s.q, &dpo_only));
    let keys = |ks: &[&str]| ks.iter().map(|k| k.to_string()).collect::<Vec<_>>();
    let mut problems = Vec::new();
    let mut pages = 0;

    b.client.goto(&own_url).await.unwrap();
    b.el("#reference").await;
    pages += 1;
    let ks = keys(&[
        "#reference",
        "#subject",
        "#recipients",
        ".finding",
        "#release",
        "#delete",
    ]);
    problems.extend(check_page(b, check, "held email (sender may release)", &ks).await);

    b.el("#release").await.click().await.unwrap();
    b.el("#justification").await;
    pages += 1;
    let ks = keys(&[
        "h1",
        "label[for=justification]",
        "#justification",
        "#confirm",
    ]);
    problems.extend(check_page(b, check, "release confirmation", &ks).await);

    // Sent without the justification the browser would insist on: the
    // server's answer, the confirmation again with the error.
    b.client
        .execute(
            "document.querySelector('#justification').required = false",
            vec![],
        )
        .await
        .unwrap();
    b.el("#confirm").await.click().await.unwrap();
    b.el("#error").await;
    pages += 1;
    let ks = keys(&["#error", "#justification", "#confirm"]);
    problems.extend(check_page(b, check, "confirmation with an error", &ks).await);

    b.client.goto(&format!("{own_url}/delete")).await.unwrap();
    b.el("#confirm").await;
    pages += 1;
    let ks = keys(&["h1", "#justification", "#confirm"]);
    problems.extend(check_page(b, check, "delete confirmation", &ks).await);

    b.client.goto(&dpo_url).await.unwrap();
    b.el("#request").await;
    pages += 1;
    let ks = keys(&["#reference", "#subject", ".finding", "#request", "#delete"]);
    problems.extend(check_page(b, check, "held email (only the DPO releases)", &ks).await);

    b.el("#request").await.click().await.unwrap();
    b.el("#justification")
        .await
        .send_keys("Dr Nkemelu-Fitzgerald at the clinic asked for the referral today")
        .await
        .unwrap();
    pages += 1;
    let ks = keys(&["h1", "#justification", "#confirm"]);
    problems.extend(check_page(b, check, "request confirmation", &ks).await);

    b.el("#confirm").await.click().await.unwrap();
    b.el("#outcome").await;
    pages += 1;
    let ks = keys(&["#outcome"]);
    problems.extend(check_page(b, check, "after an action", &ks).await);

    b.client.goto(&dpo_url).await.unwrap();
    b.el("#requested").await;
    pages += 1;
    let ks = keys(&["#requested", "#delete"]);
    problems.extend(check_page(b, check, "held email after a request", &ks).await);

    b.client.goto(&format!("{own_url}/delete")).await.unwrap();
    b.el("#confirm").await.click().await.unwrap();
    b.el("#outcome").await;
    b.client.goto(&own_url).await.unwrap();
    let h1 = b.text_of("h1").await;
    assert!(h1.contains("already been used"), "{h1}");
    pages += 1;
    let ks = keys(&["h1", "main p"]);
    problems.extend(check_page(b, check, "used-up link", &ks).await);

    (pages, problems)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_reads_on_a_phone_without_sideways_scrolling() {
    let Some(b) = Browser::start().await else {
        return;
    };
    let (pages, problems) = every_selfservice_page(&b, &Check::Layout).await;
    assert_eq!(pages, 9);
    browser::assert_no_problems(&problems);
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axe_finds_no_wcag_a_or_aa_violation_on_any_page() {
    let Some(axe) = browser::axe_source() else {
        return;
    };
    let Some(b) = Browser::start().await else {
        return;
    };
    let (pages, problems) = every_selfservice_page(&b, &Check::Axe(&axe)).await;
    assert_eq!(pages, 9);
    browser::assert_no_problems(&problems);
    b.close().await;
}
