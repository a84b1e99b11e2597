//! The sender's self-service link over plain HTTP (the router in-process):
//! a link opens only its own message and only while valid; looking changes
//! nothing; every action needs the form's CSRF value for that link and
//! action; a release happens once; nothing on the page identifies anyone.

#[path = "common/quarantine.rs"]
mod support;

#[path = "common/selfservice.rs"]
mod ss;

use axum::http::StatusCode;
use dlp_milter::quarantine::{view, Quarantine, State};
use ss::*;
use std::sync::Arc;
use support::*;

const BASE: &str = "https://dlp.school.sch.uk";

fn open(relay: &str, dir: &std::path::Path) -> Arc<Quarantine> {
    Arc::new(Quarantine::open(&config_with(relay, Some(BASE), ""), dir).unwrap())
}

/// A hold the sender may release (low severity, exposed recipients).
fn releasable(q: &Quarantine, n: usize, subject: &str) -> (String, String) {
    let id = hold_with(q, n, &releasable_report(subject));
    let t = token_for(q, &id);
    (id, t)
}

/// A high-severity hold only the DPO may release.
fn personal_data(q: &Quarantine, n: usize) -> (String, String) {
    let id = hold_with(q, n, &report("Jane Doe NHS 943 476 5919"));
    let t = token_for(q, &id);
    (id, t)
}

#[tokio::test]
async fn notice_link_opens_its_message_masked() {
    let dir = tempfile::tempdir().unwrap();
    let q = open(&dead_relay(), dir.path());
    let (id, token) = personal_data(&q, 1);
    let text = notice_text(&q, &id).unwrap();
    assert!(text.contains(&format!("{BASE}/s/{token}")), "{text}");
    assert_eq!(token.len(), 43, "256-bit token: {token}");
    // The link is stored hashed: the links table holds the SHA-256 only.
    // (The queued notice carries the link until it is sent, as the
    // database carries the held message itself: both are 0600.)
    let conn = rusqlite::Connection::open(dir.path().join("quarantine.db")).unwrap();
    let (hash, rec_id): (String, String) = conn
        .query_row(
            "SELECT token_sha256, record_id FROM selfservice_links",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(hash, dlp_milter::quarantine::token_sha256(&token));
    assert_eq!(rec_id, id);
    let clear: i64 = conn
        .query_row(
            "SELECT count(*) FROM selfservice_links WHERE instr(token_sha256 || record_id, ?1) > 0",
            [&token],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(clear, 0, "token stored in clear");
    let app = app(&q);
    let (s, page) = get(&app, &format!("/s/{token}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains(&id), "{page}");
    assert!(page.contains("Policy clause for personal-data-nino."));
    assert!(page.contains("Fix text for personal-data-nino."));
    assert!(page.contains("AB ** ** ** C"), "masked finding shown");
    assert!(page.contains("gmail.com") && page.contains("hotmail.co.uk"));
    assert!(page.contains("not shown here"), "subject had a finding");
    for secret in SECRETS {
        assert!(!page.contains(secret), "page leaks {secret:?}");
    }
    // Not releasable by the sender: only the request and delete are offered.
    assert!(page.contains("/request\"") && page.contains("/delete\""));
    assert!(!page.contains("/release\""));
}

#[tokio::test]
async fn a_token_opens_only_its_own_message() {
    let sink = Sink::start();
    let dir = tempfile::tempdir().unwrap();
    let q = open(&sink.addr, dir.path());
    let (id1, t1) = releasable(&q, 1, "Trip one");
    let (id2, t2) = releasable(&q, 2, "Trip two");
    assert_ne!(t1, t2);
    let app = app(&q);
    let (_, p1) = get(&app, &format!("/s/{t1}")).await;
    assert!(p1.contains(&id1) && !p1.contains(&id2));
    // The first link's form value does not work on the second link.
    let (_, form1) = get(&app, &format!("/s/{t1}/release")).await;
    let csrf1 = csrf_in(&form1);
    let (s, _) = post(
        &app,
        &format!("/s/{t2}/release"),
        form(&[("csrf", &csrf1), ("justification", "safe to send")]),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(q.get(&id2).unwrap().state, State::Held);
    // Acting on the first releases the first only.
    let (s, done) = confirm_and_post(&app, &t1, "release", "Addresses are all staff, safe").await;
    assert_eq!(s, StatusCode::OK, "{done}");
    assert_eq!(q.get(&id1).unwrap().state, State::Released);
    assert_eq!(q.get(&id2).unwrap().state, State::Held);
    // One guessed token, of the right form, opens nothing.
    let (s, gone) = get(&app, &format!("/s/{}", "A".repeat(43))).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(!gone.contains(&id1) && !gone.contains(&id2));
    let (s, _) = get(&app, "/s/not-a-token").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn get_and_head_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let q = open(&dead_relay(), dir.path());
    let (id, token) = releasable(&q, 1, "Trip");
    let before = (trail(&q), q.get(&id).unwrap());
    let app = app(&q);
    // What a gateway's link scanner does: fetch everything, follow links.
    for path in ["", "/release", "/request", "/delete", "/approve"] {
        let p = format!("/s/{token}{path}");
        let _ = get(&app, &p).await;
        let _ = head(&app, &p).await;
    }
    assert_eq!((trail(&q), q.get(&id).unwrap()), before);
    // And the link still works for the person afterwards.
    let (s, _) = get(&app, &format!("/s/{token}")).await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn posts_without_the_right_csrf_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let q = open(&dead_relay(), dir.path());
    let (id, token) = releasable(&q, 1, "Trip");
    let app = app(&q);
    let before = trail(&q);
    let (_, delete_form) = get(&app, &format!("/s/{token}/delete")).await;
    let delete_csrf = csrf_in(&delete_form);
    for body in [
        form(&[("justification", "no csrf")]),
        form(&[("csrf", ""), ("justification", "empty")]),
        form(&[("csrf", &"0".repeat(64)), ("justification", "wrong")]),
        form(&[("csrf", "zz-not-hex"), ("justification", "junk")]),
        // The delete form's value does not authorise a release.
        form(&[("csrf", &delete_csrf), ("justification", "other action")]),
    ] {
        let (s, page) = post(&app, &format!("/s/{token}/release"), body).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{page}");
    }
    assert_eq!(trail(&q), before);
    assert_eq!(q.get(&id).unwrap().state, State::Held);
}

#[tokio::test]
async fn an_expired_link_is_refused_without_detail() {
    let dir = tempfile::tempdir().unwrap();
    let q = open(&dead_relay(), dir.path());
    let (id, token) = releasable(&q, 1, "Trip");
    let app = app(&q);
    let (_, form_page) = get(&app, &format!("/s/{token}/delete")).await;
    let csrf = csrf_in(&form_page);
    // The link's time runs out (as it would after link_valid_days).
    let conn = rusqlite::Connection::open(dir.path().join("quarantine.db")).unwrap();
    conn.execute("UPDATE selfservice_links SET expires_at = 1", [])
        .unwrap();
    let (s, page) = get(&app, &format!("/s/{token}")).await;
    assert_eq!(s, StatusCode::GONE);
    assert!(page.contains("expired") && !page.contains(&id), "{page}");
    let (s, _) = post(
        &app,
        &format!("/s/{token}/delete"),
        form(&[("csrf", &csrf), ("justification", "")]),
    )
    .await;
    assert_eq!(s, StatusCode::GONE);
    assert_eq!(q.get(&id).unwrap().state, State::Held);
}

#[tokio::test]
async fn link_expiry_follows_config_and_never_outlives_the_message() {
    let dir = tempfile::tempdir().unwrap();
    let q = Arc::new(
        Quarantine::open(
            &dlp_milter::config::Config::from_toml(
                "t.toml",
                &format!(
                    "[organisation]\ndomains = [\"school.sch.uk\"]\n[quarantine]\nretention_days = 20\n\
                     [notice]\nfrom = \"dpo@school.sch.uk\"\n[console]\nbase_url = \"{BASE}\"\nlink_valid_days = 3\n"
                ),
            )
            .unwrap(),
            dir.path(),
        )
        .unwrap(),
    );
    let (id, token) = releasable(&q, 1, "Trip");
    let rec = q.get(&id).unwrap();
    let link = q
        .store()
        .link(&dlp_milter::quarantine::token_sha256(&token))
        .unwrap()
        .unwrap();
    assert_eq!(link.record_id, id);
    assert_eq!(link.expires_at - link.created_at, 3 * 86_400);
    assert!(link.expires_at <= rec.expires_at.unwrap());
    assert!(q.open_link_at(&token, link.expires_at - 1).is_ok());
    assert!(q.open_link_at(&token, link.expires_at).is_err());
}

#[tokio::test]
async fn release_happens_once_and_a_second_click_is_harmless() {
    let sink = Sink::start();
    let dir = tempfile::tempdir().unwrap();
    let q = open(&sink.addr, dir.path());
    let (id, token) = releasable(&q, 1, "Trip");
    let app = app(&q);
    let (_, form_page) = get(&app, &format!("/s/{token}/release")).await;
    let csrf = csrf_in(&form_page);
    let body = form(&[
        ("csrf", &csrf),
        ("justification", "All recipients are governors"),
    ]);
    let (s, done) = post(&app, &format!("/s/{token}/release"), body.clone()).await;
    assert_eq!(s, StatusCode::OK, "{done}");
    assert!(done.contains("released"), "{done}");
    let (s, again) = post(&app, &format!("/s/{token}/release"), body).await;
    assert_eq!(s, StatusCode::GONE);
    assert!(!again.contains(&id));
    let (s, _) = get(&app, &format!("/s/{token}")).await;
    assert_eq!(s, StatusCode::GONE);
    let rec = q.get(&id).unwrap();
    assert_eq!(rec.state, State::Released);
    assert_eq!(
        rec.state_changed_by.as_deref(),
        Some("sender:teacher@school.sch.uk")
    );
    let entries = q.store().audit_for(&id).unwrap();
    let released: Vec<_> = entries.iter().filter(|e| e.event == "released").collect();
    assert_eq!(released.len(), 1);
    assert!(released[0].detail.contains("All recipients are governors"));
    // The original went to its two recipients once; the DPO was told.
    let alert = wait_for_mail(&sink.got, |m: &Received| m.rcpt_to == ["dpo@school.sch.uk"])
        .expect("the DPO is alerted");
    let alert_text = String::from_utf8_lossy(&alert.data);
    assert!(alert_text.contains(&id), "{alert_text}");
    assert!(
        alert_text.contains("All recipients are governors"),
        "{alert_text}"
    );
    let got_all = sink.got.lock().unwrap().clone();
    let originals = got_all
        .iter()
        .filter(|m| m.rcpt_to.contains(&"parent1@gmail.com".to_string()))
        .count();
    assert_eq!(originals, 1, "{got_all:?}");
}

#[tokio::test]
async fn sender_may_not_release_where_the_rule_does_not_allow_it() {
    let sink = Sink::start();
    let dir = tempfile::tempdir().unwrap();
    let q = open(&sink.addr, dir.path());
    let (id, token) = personal_data(&q, 1);
    let app = app(&q);
    // The confirmation page can be reached by hand, its form is refused.
    let (s, page) = confirm_and_post(&app, &token, "release", "I am sure").await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{page}");
    assert_eq!(q.get(&id).unwrap().state, State::Held);
    // The link still works (it was not used up).
    assert_eq!(get(&app, &format!("/s/{token}")).await.0, StatusCode::OK);
}

#[tokio::test]
async fn a_release_request_reaches_the_dpo_queue() {
    let sink = Sink::start();
    let dir = tempfile::tempdir().unwrap();
    let q = open(&sink.addr, dir.path());
    let (id, token) = personal_data(&q, 1);
    let app = app(&q);
    // A blank reason is refused and the form comes back.
    let (s, page) = confirm_and_post(&app, &token, "request", "   ").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert!(page.contains("name=\"csrf\""));
    let why = "Parent asked for the <b>SEN</b> report & consented";
    let (s, page) = confirm_and_post(&app, &token, "request", why).await;
    assert_eq!(s, StatusCode::OK, "{page}");
    let rec = q.get(&id).unwrap();
    assert_eq!(rec.state, State::Held, "a request releases nothing");
    assert_eq!(rec.release_request.as_ref().unwrap().reason, why);
    let e = q.store().audit_for(&id).unwrap();
    let req = e.iter().find(|e| e.event == "release_requested").unwrap();
    assert_eq!(req.actor, "sender:teacher@school.sch.uk");
    assert!(req.detail.contains("consented"));
    // The DPO's list shows it.
    let line = view::list_json(&rec);
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(v["release_request_reason"], why);
    assert!(view::list_text(std::slice::from_ref(&rec), q.zone()).contains("held+"));
    // The sender's page shows the request (escaped), offers no second one.
    let (_, page) = get(&app, &format!("/s/{token}")).await;
    assert!(
        page.contains("&lt;b&gt;SEN&lt;&#x2f;b&gt;") || page.contains("&lt;b&gt;SEN"),
        "{page}"
    );
    assert!(!page.contains("<b>SEN</b>"));
    assert!(!page.contains("/request\""));
    let (s, _) = confirm_and_post(&app, &token, "request", "again").await;
    assert_eq!(s, StatusCode::CONFLICT);
    // The audit chain still verifies with the request in it.
    assert!(q.verify_audit().unwrap().is_ok());
    let alert = wait_for_mail(&sink.got, |m: &Received| {
        m.rcpt_to == ["dpo@school.sch.uk"]
            && String::from_utf8_lossy(&m.data).contains("asks for release")
    });
    assert!(alert.is_some(), "the DPO is told of the request");
}

#[tokio::test]
async fn delete_is_always_offered_and_uses_the_link_up() {
    let dir = tempfile::tempdir().unwrap();
    let q = open(&dead_relay(), dir.path());
    let (id, token) = personal_data(&q, 1);
    let app = app(&q);
    let (s, page) = confirm_and_post(&app, &token, "delete", "").await;
    assert_eq!(s, StatusCode::OK, "{page}");
    let rec = q.get(&id).unwrap();
    assert_eq!(rec.state, State::Deleted);
    assert!(!rec.has_content);
    assert_eq!(
        rec.state_changed_by.as_deref(),
        Some("sender:teacher@school.sch.uk")
    );
    assert_eq!(get(&app, &format!("/s/{token}")).await.0, StatusCode::GONE);
}

#[tokio::test]
async fn a_message_the_dpo_decided_is_closed_to_its_link() {
    let dir = tempfile::tempdir().unwrap();
    let q = open(&dead_relay(), dir.path());
    let (id, token) = personal_data(&q, 1);
    q.delete(&id, "dpo", "sent to the wrong parent").unwrap();
    let (s, page) = get(&app(&q), &format!("/s/{token}")).await;
    assert_eq!(s, StatusCode::GONE);
    assert!(!page.contains(&id) && !page.contains("wrong parent"));
}

#[tokio::test]
async fn html_in_the_subject_is_text_and_pages_forbid_scripts() {
    let dir = tempfile::tempdir().unwrap();
    let q = open(&dead_relay(), dir.path());
    let (_, token) = releasable(&q, 1, "<script>alert('x')</script> Trip & kit");
    let (s, page, headers) = get_with_headers(&app(&q), &format!("/s/{token}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(!page.contains("<script>"), "{page}");
    assert!(page.contains("&lt;script&gt;"), "{page}");
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'none'"), "{csp}");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert_eq!(headers["cache-control"], "no-store");
}

#[tokio::test]
async fn without_a_base_url_notices_carry_no_link() {
    let dir = tempfile::tempdir().unwrap();
    let q = Quarantine::open(&config_with(&dead_relay(), None, ""), dir.path()).unwrap();
    let id = hold_with(&q, 1, &releasable_report("Trip"));
    let text = notice_text(&q, &id).unwrap();
    assert!(!text.contains("/s/"), "{text}");
    assert!(text.contains("ask the school office"), "{text}");
    let conn = rusqlite::Connection::open(dir.path().join("quarantine.db")).unwrap();
    let n: i64 = conn
        .query_row("SELECT count(*) FROM selfservice_links", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 0);
}

#[tokio::test]
async fn the_summary_notice_past_the_rate_limit_links_its_hold_too() {
    let dir = tempfile::tempdir().unwrap();
    let q = open(&dead_relay(), dir.path());
    let limit = dlp_milter::notice::gate::HOLD_NOTICES_PER_WINDOW;
    let ids: Vec<String> = (0..=limit)
        .map(|n| hold_with(q.as_ref(), n, &releasable_report("Trip")))
        .collect();
    let last = ids.last().unwrap();
    let text = notice_text(&q, last).expect("the summary notice");
    assert!(text.contains("Several emails"), "{text}");
    let token = token_for(&q, last);
    let (s, page) = get(&app(&q), &format!("/s/{token}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains(last.as_str()));
}
