//! Shared by the self-service tests (included with `#[path]`, beside
//! common/quarantine.rs as `support`): a quarantine whose notices carry
//! self-service links, the token read back from the queued notice as the
//! sender would read it, and the router driven in-process.
#![allow(dead_code)]

use axum::body::Body;
use axum::http::{Request, StatusCode};
use dlp_milter::config::Config;
use dlp_milter::console::selfservice::{router, SelfServiceDeps};
use dlp_milter::quarantine::Quarantine;
use std::sync::Arc;
use tower::ServiceExt;

/// A config whose notices link to `base_url` (relay at `relay`).
pub fn config_with(relay: &str, base_url: Option<&str>, extra: &str) -> Config {
    let console = base_url
        .map(|u| format!("[console]\nbase_url = \"{u}\"\n"))
        .unwrap_or_default();
    Config::from_toml(
        "test.toml",
        &format!(
            "[organisation]\nname = \"Green Lane Primary\"\ndomains = [\"school.sch.uk\"]\n\
             [quarantine]\nrelay = \"{relay}\"\nrelay_timeout_secs = 5\n\
             [notice]\nfrom = \"Data Protection <dpo-notices@school.sch.uk>\"\n\
             dpo = \"dpo@school.sch.uk\"\n{console}{extra}"
        ),
    )
    .expect("test config")
}

/// The text part of the queued sender notice about `id` (not yet sent).
pub fn notice_text(q: &Quarantine, id: &str) -> Option<String> {
    let due = q
        .store()
        .due_notices(i64::MAX, 1000)
        .expect("outbox readable");
    due.iter()
        .filter(|n| n.notice.reference.as_deref() == Some(id))
        .filter(|n| n.notice.kind.starts_with("sender_hold"))
        .find_map(|n| {
            let msg = mail_parser::MessageParser::default().parse(&n.notice.bytes)?;
            Some(msg.body_text(0)?.to_string())
        })
}

/// The self-service token in the sender's notice about `id`, as the sender
/// would copy it from the link.
pub fn token_for(q: &Quarantine, id: &str) -> String {
    let text = notice_text(q, id).expect("a sender notice about the hold");
    let at = text.find("/s/").expect("a self-service link in the notice");
    text[at + 3..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

/// The router over `q`.
pub fn app(q: &Arc<Quarantine>) -> axum::Router {
    router(SelfServiceDeps {
        quarantine: q.clone(),
    })
}

async fn send(
    app: &axum::Router,
    req: Request<Body>,
) -> (StatusCode, String, axum::http::HeaderMap) {
    let res = app.clone().oneshot(req).await.expect("router answers");
    let status = res.status();
    let headers = res.headers().clone();
    let body = axum::body::to_bytes(res.into_body(), 1 << 20)
        .await
        .expect("body");
    (status, String::from_utf8_lossy(&body).into_owned(), headers)
}

pub async fn get(app: &axum::Router, path: &str) -> (StatusCode, String) {
    let (s, b, _) = get_with_headers(app, path).await;
    (s, b)
}

pub async fn get_with_headers(
    app: &axum::Router,
    path: &str,
) -> (StatusCode, String, axum::http::HeaderMap) {
    let req = Request::get(path).body(Body::empty()).expect("request");
    send(app, req).await
}

pub async fn head(app: &axum::Router, path: &str) -> StatusCode {
    let req = Request::head(path).body(Body::empty()).expect("request");
    send(app, req).await.0
}

/// application/x-www-form-urlencoded, as a browser sends a form.
pub fn form(fields: &[(&str, &str)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in fields {
        s.append_pair(k, v);
    }
    s.finish()
}

pub async fn post(app: &axum::Router, path: &str, body: String) -> (StatusCode, String) {
    let req = Request::post(path)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .expect("request");
    let (s, b, _) = send(app, req).await;
    (s, b)
}

/// The CSRF value of the confirmation form in `html`.
pub fn csrf_in(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").expect("a csrf field");
    html[at + 19..].chars().take_while(|c| *c != '"').collect()
}

/// The confirmation page of `action` on `token`, then its form posted with
/// `justification`: what a person clicking through does.
pub async fn confirm_and_post(
    app: &axum::Router,
    token: &str,
    action: &str,
    justification: &str,
) -> (StatusCode, String) {
    let (s, page) = get(app, &format!("/s/{token}/{action}")).await;
    assert_eq!(s, StatusCode::OK, "{page}");
    let csrf = csrf_in(&page);
    post(
        app,
        &format!("/s/{token}/{action}"),
        form(&[("csrf", &csrf), ("justification", justification)]),
    )
    .await
}

/// Audit entries, as (event, actor) pairs, to compare before and after.
pub fn trail(q: &Quarantine) -> Vec<(String, String, String)> {
    q.store()
        .audit_entries()
        .expect("audit")
        .into_iter()
        .map(|e| (e.event, e.actor, e.detail))
        .collect()
}

/// Waits (up to 10 s) until something the sink received (`sink.got`)
/// satisfies `pred`.
pub fn wait_for_mail<T: Clone>(
    got: &std::sync::Mutex<Vec<T>>,
    pred: impl Fn(&T) -> bool,
) -> Option<T> {
    let start = std::time::Instant::now();
    loop {
        let found = got
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .find(|m| pred(m))
            .cloned();
        if found.is_some() || start.elapsed() > std::time::Duration::from_secs(10) {
            return found;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}
