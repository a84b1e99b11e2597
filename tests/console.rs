//! The web console over real HTTP on loopback: the `dlp-milter console`
//! binary, spawned on a real store whose holds went through the real hold
//! path, with accounts and tokens made by the `user` and `token` commands.
//! Releases go through the relay to an SMTP sink.
//!
//! The HTTP client is a few lines over `TcpStream` (common/console.rs:
//! HTTP/1.1, one request per connection): what a browser without
//! JavaScript sends, nothing more.

#[path = "common/quarantine.rs"]
mod support;

#[path = "common/console.rs"]
mod console_support;

use console_support::{add_user, cli, form, request, Console, Resp};
use dlp_milter::config::Config;
use dlp_milter::detect::{Category, Location};
use dlp_milter::policy::Severity;
use dlp_milter::quarantine::{Quarantine, State};
use std::path::PathBuf;
use std::time::Duration;
use support::*;

const DPO_PASSWORD: &str = "correct horse battery staple";
const AUDITOR_PASSWORD: &str = "auditor reads only, never acts";

/// A spawned console on a store with holds, and the sink its releases reach.
struct Fixture {
    _dir: tempfile::TempDir,
    config: PathBuf,
    data: PathBuf,
    addr: String,
    /// Killed when the fixture is dropped.
    _console: Console,
    sink: Sink,
    /// A high-severity hold: NINO in the body, NHS number in the subject.
    held: String,
    /// A hold whose subject and finding location carry HTML.
    html: String,
}

fn start() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let sink = Sink::start();
    let config = write_config(
        dir.path(),
        &sink.addr,
        "[console]\nlogin_delay_secs = 1\nlogin_delay_max_secs = 30\n",
    );
    let cfg = Config::load(&config).unwrap();
    let data = cfg.data_dir();
    let (held, html) = {
        let q = Quarantine::open(&cfg, &data).unwrap();
        let held = hold_with(&q, 1, &report("Jane Doe NHS 943 476 5919"));
        let mut r = releasable_report("<script>alert('subject')</script> & <b>notes</b>");
        r.decision.findings.push(matched(
            Category::UnencryptedAttachment,
            "uk_nino",
            Location::Attachment("<img src=x onerror=alert(1)>.pdf".into()),
            "AB ** ** ** C",
            "exposed-recipients",
            Severity::Low,
            true,
        ));
        let html = hold_with(&q, 2, &r);
        (held, html)
    };
    add_user(&config, "anna", "dpo", DPO_PASSWORD);
    add_user(&config, "aud", "auditor", AUDITOR_PASSWORD);
    let console = Console::spawn(&config);
    Fixture {
        _dir: dir,
        config,
        data,
        addr: console.addr.clone(),
        _console: console,
        sink,
        held,
        html,
    }
}

/// A signed-in browser: its session cookie and the CSRF token of its session.
struct Browser {
    cookie: String,
    csrf: String,
}

impl Fixture {
    fn get(&self, path: &str, b: Option<&Browser>) -> Resp {
        let cookie = b.map(|b| format!("dlp_console={}", b.cookie));
        let headers: Vec<(&str, &str)> = cookie.iter().map(|c| ("Cookie", c.as_str())).collect();
        request(&self.addr, "GET", path, &headers, b"")
    }

    fn post(&self, path: &str, b: Option<&Browser>, fields: &[(&str, &str)]) -> Resp {
        let cookie = b.map(|b| format!("dlp_console={}", b.cookie));
        let mut headers = vec![("Content-Type", "application/x-www-form-urlencoded")];
        if let Some(c) = &cookie {
            headers.push(("Cookie", c));
        }
        request(&self.addr, "POST", path, &headers, &form(fields))
    }

    fn api(&self, method: &str, path: &str, token: Option<&str>, body: &str) -> Resp {
        let auth = token.map(|t| format!("Bearer {t}"));
        let mut headers = vec![("Content-Type", "application/json")];
        if let Some(a) = &auth {
            headers.push(("Authorization", a));
        }
        request(&self.addr, method, path, &headers, body.as_bytes())
    }

    /// Signs in through the form, as a browser does.
    fn try_sign_in(&self, name: &str, password: &str) -> Resp {
        let page = self.get("/login", None);
        assert_eq!(page.status, 200);
        let login_cookie = page.cookie("dlp_console_login").expect("a sign-in cookie");
        let csrf = page.csrf();
        let cookie = format!("dlp_console_login={login_cookie}");
        request(
            &self.addr,
            "POST",
            "/login",
            &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Cookie", &cookie),
            ],
            &form(&[
                ("csrf", &csrf),
                ("name", name),
                ("password", password),
                ("next", "/queue"),
            ]),
        )
    }

    fn sign_in(&self, name: &str, password: &str) -> Browser {
        let r = self.try_sign_in(name, password);
        assert_eq!(r.status, 303, "sign-in of {name}: {}", r.body);
        let set = r.set_cookie("dlp_console").expect("a session cookie");
        assert!(
            set.contains("HttpOnly") && set.contains("SameSite=Strict"),
            "{set}"
        );
        let cookie = r.cookie("dlp_console").unwrap();
        let mut b = Browser {
            cookie,
            csrf: String::new(),
        };
        let queue = self.get("/queue", Some(&b));
        assert_eq!(queue.status, 200, "{}", queue.body);
        b.csrf = queue.csrf();
        b
    }

    fn token(&self, user: &str) -> String {
        let out = cli(&self.config, &["token", "create", "--user", user], None);
        out.split_whitespace().last().unwrap().to_string()
    }

    fn quarantine(&self) -> Quarantine {
        Quarantine::open(&Config::load(&self.config).unwrap(), &self.data).unwrap()
    }
}

/// Every route of the console: (method, path). A new route must be added
/// here; `every_route_refuses_anonymous_requests` checks that each one
/// exists, so the list cannot silently fall behind the router.
fn routes(id: &str) -> Vec<(&'static str, String)> {
    vec![
        ("GET", "/".into()),
        ("GET", "/queue".into()),
        ("POST", "/queue/bulk".into()),
        ("GET", format!("/holds/{id}")),
        ("GET", format!("/holds/{id}/reveal")),
        ("POST", format!("/holds/{id}/reveal")),
        ("POST", format!("/holds/{id}/release")),
        ("POST", format!("/holds/{id}/delete")),
        ("GET", "/reports".into()),
        ("POST", "/reports/export".into()),
        ("GET", "/audit".into()),
        ("GET", "/users".into()),
        ("POST", "/users".into()),
        ("POST", "/users/aud/disable".into()),
        ("POST", "/logout".into()),
        ("GET", "/api/v1/holds".into()),
        ("GET", format!("/api/v1/holds/{id}")),
        ("POST", format!("/api/v1/holds/{id}/release")),
        ("POST", format!("/api/v1/holds/{id}/delete")),
        ("GET", "/api/v1/audit/verify".into()),
    ]
}

#[test]
fn every_route_refuses_anonymous_requests() {
    let f = start();
    for (method, path) in routes(&f.held) {
        let r = if path.starts_with("/api/") {
            f.api(method, &path, None, "{\"reason\": \"x\"}")
        } else {
            f.post_or_get(method, &path, None)
        };
        match (method, path.starts_with("/api/")) {
            (_, true) => {
                assert_eq!(r.status, 401, "{method} {path}: {}", r.body);
                assert!(r
                    .header("www-authenticate")
                    .is_some_and(|v| v.starts_with("Bearer")));
                // A token that is not one fails the same way.
                let bad = f.api(method, &path, Some("dlpc_00000000_forged"), "{}");
                assert_eq!(bad.status, 401, "{method} {path} with a forged token");
            }
            ("GET", false) => {
                assert_eq!(r.status, 303, "{method} {path}");
                assert!(
                    r.header("location")
                        .is_some_and(|l| l.starts_with("/login?next=")),
                    "{method} {path}: {:?}",
                    r.header("location")
                );
            }
            _ => assert_eq!(r.status, 401, "{method} {path}: {}", r.body),
        }
        assert!(
            !r.body.contains(&f.held) || path.contains(&f.held),
            "{method} {path} leaked a reference"
        );
        assert!(
            !r.body.contains("teacher@school.sch.uk"),
            "{method} {path} leaked a sender"
        );
    }
    // Nothing changed and nothing was released.
    let q = f.quarantine();
    assert_eq!(q.get(&f.held).unwrap().state, State::Held);
    assert!(f.sink.got.lock().unwrap().is_empty());
    // Every listed route exists: signed in, none is "not found".
    let b = f.sign_in("anna", DPO_PASSWORD);
    for (method, path) in routes(&f.held) {
        if path.starts_with("/api/") || path == "/logout" {
            continue;
        }
        let r = f.post_or_get(method, &path, Some(&b));
        assert!(
            r.status != 404 && r.status != 405,
            "{method} {path} is not a route ({})",
            r.status
        );
    }
}

impl Fixture {
    fn post_or_get(&self, method: &str, path: &str, b: Option<&Browser>) -> Resp {
        if method == "GET" {
            self.get(path, b)
        } else {
            let csrf = b.map(|b| b.csrf.clone()).unwrap_or_default();
            self.post(path, b, &[("csrf", &csrf)])
        }
    }
}

#[test]
fn queue_and_message_pages_show_masked_findings_in_place() {
    let f = start();
    let b = f.sign_in("aud", AUDITOR_PASSWORD);
    let queue = f.get("/queue", Some(&b));
    assert!(queue.body.contains(&f.held) && queue.body.contains(&f.html));
    assert!(queue.body.contains("*@gmail.com"), "recipients by domain");
    assert!(!queue.body.contains("parent1@gmail.com"));
    assert!(queue.body.contains("(withheld: it contains personal data)"));
    assert!(queue.header("cache-control") == Some("no-store"));
    assert!(queue
        .header("content-security-policy")
        .is_some_and(|c| c.contains("default-src 'none'")));
    // Search does not match a withheld subject, even by its words.
    let search = f.get("/queue?q=5919", Some(&b));
    assert!(
        !search.body.contains(&f.held),
        "a search revealed a withheld subject"
    );
    let search = f.get("/queue?q=notes", Some(&b));
    assert!(search.body.contains(&f.html) && !search.body.contains(&f.held));
    let by_sender = f.get("/queue?q=TEACHER%40school", Some(&b));
    assert!(by_sender.body.contains(&f.held) && by_sender.body.contains(&f.html));
    let high = f.get("/queue?severity=high", Some(&b));
    assert!(high.body.contains(&f.held) && !high.body.contains(&f.html));
    assert_eq!(f.get("/queue?since=yesterday", Some(&b)).status, 400);

    let page = f.get(&format!("/holds/{}", f.held), Some(&b));
    assert_eq!(page.status, 200, "{}", page.body);
    // The NINO in its sentence, masked in place; the second copy too.
    assert!(
        page.body
            .contains("NI number is <mark>AB ** ** ** C</mark> (AB ** ** ** C)."),
        "{}",
        page.body
    );
    for secret in [
        "AB 12 34 56 C",
        "AB123456C",
        "943 476 5919",
        "parent1@gmail.com",
        "jane-doe-sen.pdf",
    ] {
        assert!(
            !page.body.contains(secret),
            "the masked page shows {secret}"
        );
    }
    assert!(page.body.contains("Policy clause for personal-data-nino."));
    // The attachment, by its sniffed type, its name withheld.
    assert!(page.body.contains("id=\"attachments\""), "{}", page.body);
    assert!(page.body.contains("attachment 1 (name withheld)"));
    // An auditor sees no action forms, and reveal is refused.
    assert!(!page.body.contains("id=\"release-form\""));
    assert_eq!(
        f.get(&format!("/holds/{}/reveal", f.held), Some(&b)).status,
        403
    );
    // The look is audited under the console user.
    let trail = f.quarantine().store().audit_for(&f.held).unwrap();
    assert!(
        trail
            .iter()
            .any(|e| e.event == "viewed" && e.actor == "console:aud"),
        "{trail:?}"
    );
    let reports = f.get("/reports", Some(&b));
    assert_eq!(reports.status, 200);
    assert!(reports.body.contains("<svg") && reports.body.contains("personal data"));
    let audit = f.get("/audit", Some(&b));
    assert!(audit.body.contains("Intact:"), "{}", audit.body);
}

#[test]
fn html_in_a_subject_or_file_name_is_escaped() {
    let f = start();
    let b = f.sign_in("anna", DPO_PASSWORD);
    let queue = f.get("/queue", Some(&b));
    assert!(
        queue.body.contains("&lt;script&gt;alert("),
        "{}",
        queue.body
    );
    assert!(!queue.body.contains("<script>"));
    assert!(!queue.body.contains("<b>notes</b>"));
    let page = f.post(
        &format!("/holds/{}/reveal", f.html),
        Some(&b),
        &[("csrf", &b.csrf)],
    );
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("&lt;img src=x onerror=alert(1)&gt;.pdf"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("<img"));
    assert!(!page.body.contains("<script>"));
    // Revealed: the full recipients, and the reveal is audited with the user.
    assert!(page.body.contains("parent1@gmail.com"));
    let trail = f.quarantine().store().audit_for(&f.html).unwrap();
    assert!(
        trail
            .iter()
            .any(|e| e.event == "revealed" && e.actor == "console:anna"),
        "{trail:?}"
    );
}

#[test]
fn forms_without_the_session_csrf_token_are_refused() {
    let f = start();
    let b = f.sign_in("anna", DPO_PASSWORD);
    let path = format!("/holds/{}/release", f.held);
    for fields in [
        vec![("reason", "checked")],
        vec![("reason", "checked"), ("csrf", "forged-token")],
        vec![("reason", "checked"), ("csrf", "")],
    ] {
        let r = f.post(&path, Some(&b), &fields);
        assert_eq!(r.status, 403, "{fields:?}: {}", r.body);
    }
    // Another session's token does not do either.
    let other = f.sign_in("anna", DPO_PASSWORD);
    let r = f.post(
        &path,
        Some(&b),
        &[("reason", "checked"), ("csrf", &other.csrf)],
    );
    assert_eq!(r.status, 403);
    // The sign-in form has its own token.
    let r = request(
        &f.addr,
        "POST",
        "/login",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        &form(&[("name", "anna"), ("password", DPO_PASSWORD)]),
    );
    assert_eq!(r.status, 403);
    assert!(r.cookie("dlp_console").is_none());
    assert_eq!(f.quarantine().get(&f.held).unwrap().state, State::Held);
    assert!(f.sink.got.lock().unwrap().is_empty());
    // Signed out, the session is gone for good.
    assert_eq!(
        f.post("/logout", Some(&b), &[("csrf", &b.csrf)]).status,
        303
    );
    assert_eq!(f.get("/queue", Some(&b)).status, 303);
    assert_eq!(f.get("/queue", Some(&other)).status, 200);
}

#[test]
fn an_auditor_is_refused_a_release_on_the_page_and_in_the_api() {
    let f = start();
    let b = f.sign_in("aud", AUDITOR_PASSWORD);
    let r = f.post(
        &format!("/holds/{}/release", f.held),
        Some(&b),
        &[("csrf", &b.csrf), ("reason", "looks fine")],
    );
    assert_eq!(r.status, 403, "{}", r.body);
    let r = f.post(
        "/queue/bulk",
        Some(&b),
        &[
            ("csrf", &b.csrf),
            ("reason", "x"),
            ("action", "delete"),
            ("id", &f.held),
        ],
    );
    assert_eq!(r.status, 403);
    let token = f.token("aud");
    let r = f.api(
        "POST",
        &format!("/api/v1/holds/{}/release", f.held),
        Some(&token),
        r#"{"reason":"x"}"#,
    );
    assert_eq!(r.status, 403, "{}", r.body);
    // Reading is what an auditor may do.
    assert_eq!(f.api("GET", "/api/v1/holds", Some(&token), "").status, 200);
    assert_eq!(f.quarantine().get(&f.held).unwrap().state, State::Held);
    assert!(f.sink.got.lock().unwrap().is_empty());
}

#[test]
fn sign_in_delays_grow_with_each_failure() {
    let f = start();
    // Each failure says how long to wait, and the wait doubles: 1, 2, 4 s.
    for (i, expected) in [1u64, 2, 4].into_iter().enumerate() {
        let wrong = f.try_sign_in("anna", &format!("wrong password {i}"));
        assert_eq!(wrong.status, 401, "{}", wrong.body);
        assert_eq!(
            wrong.header("retry-after"),
            Some(expected.to_string().as_str())
        );
        // Too soon, even with the right password: not even checked.
        let early = f.try_sign_in("anna", DPO_PASSWORD);
        assert_eq!(early.status, 429, "attempt {i} right after a failure");
        assert!(early.cookie("dlp_console").is_none());
        let wait: u64 = early.header("retry-after").unwrap().parse().unwrap();
        assert!((1..=expected).contains(&wait), "{wait} after failure {i}");
        std::thread::sleep(Duration::from_millis(expected * 1000 + 100));
    }
    // The delay is per client address too: another name from here waits.
    assert_eq!(f.try_sign_in("aud", "wrong again, other name").status, 401);
    assert_eq!(f.try_sign_in("aud", AUDITOR_PASSWORD).status, 429);
    std::thread::sleep(Duration::from_millis(8100));
    // A delay, not a lock: after the wait, the right password works.
    f.sign_in("anna", DPO_PASSWORD);
}

#[test]
fn release_from_the_page_goes_through_the_relay_once() {
    let f = start();
    let b = f.sign_in("anna", DPO_PASSWORD);
    let page = f.get(&format!("/holds/{}", f.held), Some(&b));
    assert!(page.body.contains("id=\"release-form\""));
    let r = f.post(
        &format!("/holds/{}/release", f.held),
        Some(&b),
        &[
            ("csrf", &page.csrf()),
            ("reason", "parent asked, checked with head"),
        ],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let got = f.sink.wait_for(1);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].mail_from, "teacher@school.sch.uk");
    assert_eq!(
        got[0].rcpt_to,
        vec!["parent1@gmail.com", "parent2@hotmail.co.uk"]
    );
    assert!(
        String::from_utf8_lossy(&got[0].data).contains("AB 12 34 56 C"),
        "the original bytes"
    );
    let rec = f.quarantine().get(&f.held).unwrap();
    assert_eq!(rec.state, State::Released);
    assert_eq!(rec.state_changed_by.as_deref(), Some("console:anna"));
    assert_eq!(
        rec.state_reason.as_deref(),
        Some("parent asked, checked with head")
    );
    // A second release is refused: no longer held.
    let again = f.post(
        &format!("/holds/{}/release", f.held),
        Some(&b),
        &[("csrf", &b.csrf), ("reason", "again")],
    );
    assert_eq!(again.status, 409);
    assert_eq!(f.sink.got.lock().unwrap().len(), 1);
    // Bulk delete of the other with one reason.
    let r = f.post(
        "/queue/bulk",
        Some(&b),
        &[
            ("csrf", &b.csrf),
            ("reason", "sent to the wrong parents"),
            ("action", "delete"),
            ("id", &f.html),
        ],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(f.quarantine().get(&f.html).unwrap().state, State::Deleted);
    // A reason is required.
    let q = f.quarantine();
    let id3 = hold_with(&q, 3, &report("x"));
    let r = f.post(
        &format!("/holds/{id3}/delete"),
        Some(&b),
        &[("csrf", &b.csrf), ("reason", "  ")],
    );
    assert_eq!(r.status, 400);
    assert_eq!(q.get(&id3).unwrap().state, State::Held);
    let v = f.get("/audit", Some(&b));
    assert!(v.body.contains("Intact:"), "{}", v.body);
}

#[test]
fn the_api_answers_with_the_documented_statuses() {
    let f = start();
    let token = f.token("anna");
    let list = f.api("GET", "/api/v1/holds?state=held", Some(&token), "");
    assert_eq!(list.status, 200);
    let items: serde_json::Value = serde_json::from_str(&list.body).unwrap();
    let items = items.as_array().unwrap();
    assert_eq!(items.len(), 2);
    for field in [
        "id",
        "state",
        "created_at",
        "sender",
        "recipient_count",
        "rule_ids",
        "severity",
    ] {
        assert!(
            items[0].get(field).is_some(),
            "{field} missing: {}",
            items[0]
        );
    }
    assert_eq!(list.header("x-total-count"), Some("2"));
    let page = f.api("GET", "/api/v1/holds?per_page=1&page=2", Some(&token), "");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&page.body)
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let by_rule = f.api(
        "GET",
        "/api/v1/holds?rule=personal-data-nino",
        Some(&token),
        "",
    );
    let by_rule: serde_json::Value = serde_json::from_str(&by_rule.body).unwrap();
    assert_eq!(by_rule.as_array().unwrap().len(), 1);
    assert_eq!(by_rule[0]["id"], f.held.as_str());

    let one = f.api(
        "GET",
        &format!("/api/v1/holds/{}", f.held),
        Some(&token),
        "",
    );
    assert_eq!(one.status, 200);
    let one: serde_json::Value = serde_json::from_str(&one.body).unwrap();
    assert_eq!(
        one["recipients"],
        serde_json::json!(["*@gmail.com", "*@hotmail.co.uk"])
    );
    assert!(one["findings"].as_array().unwrap().len() >= 3);
    assert!(one["audit"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["event"] == "held"));
    assert!(!one.to_string().contains("943 476 5919"));

    let release = format!("/api/v1/holds/{}/release", f.held);
    assert_eq!(
        f.api("POST", &release, None, r#"{"reason":"ok"}"#).status,
        401
    );
    assert_eq!(f.api("POST", &release, Some(&token), "{}").status, 400);
    assert_eq!(
        f.api("POST", &release, Some(&token), r#"{"reason":"  "}"#)
            .status,
        400
    );
    assert_eq!(
        f.api(
            "POST",
            "/api/v1/holds/Q-20260101-0000000000/release",
            Some(&token),
            r#"{"reason":"x"}"#
        )
        .status,
        404
    );
    let ok = f.api(
        "POST",
        &release,
        Some(&token),
        r#"{"reason":"checked by script"}"#,
    );
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(f.sink.wait_for(1).len(), 1);
    assert_eq!(
        f.api("POST", &release, Some(&token), r#"{"reason":"again"}"#)
            .status,
        409
    );
    let del = format!("/api/v1/holds/{}/delete", f.held);
    assert_eq!(
        f.api("POST", &del, Some(&token), r#"{"reason":"x"}"#)
            .status,
        409
    );
    assert_eq!(
        f.quarantine()
            .get(&f.held)
            .unwrap()
            .state_changed_by
            .as_deref(),
        Some("api:anna")
    );

    let v = f.api("GET", "/api/v1/audit/verify", Some(&token), "");
    let v: serde_json::Value = serde_json::from_str(&v.body).unwrap();
    assert_eq!(v["ok"], true, "{v}");

    // A revoked token stops working at once.
    let list = cli(&f.config, &["token", "list"], None);
    let id = list.split_whitespace().next().unwrap().to_string();
    cli(&f.config, &["token", "revoke", &id], None);
    assert_eq!(f.api("GET", "/api/v1/holds", Some(&token), "").status, 401);
}

#[test]
fn a_new_password_or_a_disabled_account_ends_its_sessions_and_tokens() {
    let f = start();
    let b = f.sign_in("anna", DPO_PASSWORD);
    let token = f.token("anna");
    cli(
        &f.config,
        &["user", "passwd", "anna", "--password-stdin"],
        Some("a brand new passphrase\n"),
    );
    assert_eq!(
        f.get("/queue", Some(&b)).status,
        303,
        "signed out by the change"
    );
    assert_eq!(f.try_sign_in("anna", DPO_PASSWORD).status, 401);
    std::thread::sleep(Duration::from_millis(1100));
    let b = f.sign_in("anna", "a brand new passphrase");
    cli(&f.config, &["user", "disable", "anna"], None);
    assert_eq!(f.get("/queue", Some(&b)).status, 303);
    assert_eq!(f.api("GET", "/api/v1/holds", Some(&token), "").status, 401);
    let list = cli(&f.config, &["user", "list"], None);
    assert!(
        list.lines()
            .any(|l| l.starts_with("anna") && l.contains("disabled")),
        "{list}"
    );
    // Without --password-stdin a password is generated and printed once.
    let out = cli(
        &f.config,
        &["user", "add", "carl", "--role", "auditor"],
        None,
    );
    let generated = out
        .lines()
        .find(|l| l.starts_with("password"))
        .and_then(|l| l.split_whitespace().last())
        .unwrap_or_else(|| panic!("no generated password in {out}"))
        .to_string();
    assert!(generated.len() >= 20, "{generated}");
    f.sign_in("carl", &generated);
    // Every change to who may see held mail is in the audit trail, and the
    // trail still verifies.
    let q = f.quarantine();
    let changes: Vec<String> = q
        .store()
        .audit_entries()
        .unwrap()
        .iter()
        .filter(|e| e.event == "account")
        .map(|e| e.detail.clone())
        .collect();
    for action in [
        "user_added",
        "token_created",
        "password_set",
        "user_disabled",
    ] {
        assert!(
            changes
                .iter()
                .any(|d| d.contains(&format!("\"action\":\"{action}\""))),
            "{action} not audited: {changes:?}"
        );
    }
    assert!(changes.iter().all(|d| !d.contains("brand new passphrase")));
    assert!(q.verify_audit().unwrap().is_ok());
}
