//! The DPO's console in a real browser (headless Chromium via chromedriver)
//! against a spawned `dlp-milter console`, on a store whose hold went
//! through the milter (milter protocol, shipped rules, real detection),
//! with accounts made by `dlp-milter user add --password-stdin`:
//!
//! - a DPO signs in with the keyboard only, sees the held message in the
//!   queue, opens it (evidence masked in place), reveals it behind the
//!   confirmation (audited under their name) and releases it with a reason
//!   typed and submitted from the keyboard → delivered through the relay to
//!   an SMTP sink exactly once;
//! - a form whose CSRF token was altered in the page is refused;
//! - an auditor has no release form, and a release forced from the page is 403;
//! - signing out ends the session: back, or the queue again, asks for sign-in;
//! - every input on every page has a label.
//!
//! Screenshots for docs/ come from the ignored test at the end
//! (`DLP_SCREENSHOTS=docs cargo nextest run --test browser_console
//! --run-ignored only`).

#[path = "common/quarantine.rs"]
mod support;

#[path = "common/browser.rs"]
mod browser;

#[path = "common/console.rs"]
mod console_support;

#[path = "common/milter_hold.rs"]
mod via_milter;

use browser::{check_page, Browser, Check};
use console_support::{add_user, Console};
use dlp_milter::config::Config;
use dlp_milter::quarantine::{Quarantine, State};
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use support::{Received, Sink};
use via_milter::{hold_through_milter, Letter};

const DPO: &str = "anna.dpo";
const DPO_PASSWORD: &str = "correct horse battery staple";
const AUDITOR: &str = "sam.auditor";
const AUDITOR_PASSWORD: &str = "auditor reads only, never acts";

/// The identifier in the held letter; never on a masked page.
const NINO: &str = "JK 47 29 81 D";
/// The parent the letter was for; shown by domain only until revealed.
const PARENT: &str = "k.ahmed@outlook.com";

/// A spawned console over a store with one message held by the milter.
struct Fixture {
    _dir: tempfile::TempDir,
    config: PathBuf,
    sink: Sink,
    console: Console,
    /// The reference of the held message.
    held: String,
}

impl Fixture {
    /// A fresh handle on the store the console serves.
    fn quarantine(&self) -> Quarantine {
        let cfg = Config::load(&self.config).unwrap();
        Quarantine::open(&cfg, &cfg.data_dir()).unwrap()
    }

    /// Opens the held message's page in `b`.
    async fn open_held(&self, b: &Browser) {
        b.client
            .goto(&self.console.url(&format!("/holds/{}", self.held)))
            .await
            .unwrap();
    }

    /// A refused action changed nothing: the message is still held, and
    /// (after a moment for a delivery that should not happen) none reached
    /// the parent.
    fn assert_still_held(&self) {
        assert_eq!(
            self.quarantine().get(&self.held).unwrap().state,
            State::Held
        );
        std::thread::sleep(Duration::from_millis(300));
        assert!(self.delivered_to_parent().is_empty());
    }

    /// What reached the sink for the parent.
    fn delivered_to_parent(&self) -> Vec<Received> {
        self.sink
            .got
            .lock()
            .unwrap()
            .iter()
            .filter(|m| m.rcpt_to.iter().any(|r| r == PARENT))
            .cloned()
            .collect()
    }
}

fn write_config(dir: &Path, relay: &str) -> PathBuf {
    let p = dir.join("dlp-milter.toml");
    std::fs::write(
        &p,
        format!(
            "data_dir = \"data\"\n\
             [organisation]\nname = \"Green Lane Primary\"\ndomains = [\"school.sch.uk\"]\n\
             [quarantine]\nrelay = \"{relay}\"\nrelay_timeout_secs = 5\n\
             [notice]\nfrom = \"Data Protection <dpo-notices@school.sch.uk>\"\n\
             dpo = \"dpo@school.sch.uk\"\n\
             [console]\nlogin_delay_secs = 1\nlogin_delay_max_secs = 30\n"
        ),
    )
    .unwrap();
    p
}

/// A letter as Postfix hands it over, CRLF, with a signature.
fn letter(auth: &str, to: &[&str], subject: &str, body: &str, queue_id: &str) -> Letter {
    let sender = format!("{auth}@school.sch.uk");
    Letter {
        auth: auth.into(),
        sender: sender.clone(),
        recipients: to.iter().map(|s| s.to_string()).collect(),
        headers: vec![
            ("From".into(), sender),
            ("To".into(), to.join(", ")),
            ("Subject".into(), subject.into()),
            ("Date".into(), "Mon, 7 Dec 2026 09:12:00 +0000".into()),
            ("MIME-Version".into(), "1.0".into()),
            ("Content-Type".into(), "text/plain; charset=utf-8".into()),
        ],
        body: body.replace('\n', "\r\n").into_bytes(),
        queue_id: queue_id.into(),
    }
}

/// The teacher's reply to a parent with the parent's NI number in the body.
fn nino_letter() -> Letter {
    letter(
        "j.okafor",
        &[PARENT],
        "Free school meals form",
        &format!(
            "Dear Mrs Ahmed,\n\nThank you for coming in on Tuesday. For the council's free \
             school meals form, the National Insurance number we have on file for you is \
             {NINO}; please check it before Friday.\n\nKind regards,\nJoseph Okafor\n\
             Year 5 teacher, Green Lane Primary\n"
        ),
        "4QFSM01",
    )
}

/// Holds `letters` through the milter, creates `users` (name, role,
/// password) with the CLI, and starts the console.
async fn start_with(letters: &[Letter], users: &[(&str, &str, &str)]) -> (Fixture, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let sink = Sink::start();
    let config = write_config(dir.path(), &sink.addr);
    let cfg = Config::load(&config).unwrap();
    let mut ids = Vec::new();
    {
        let q = Arc::new(Quarantine::open(&cfg, &cfg.data_dir()).unwrap());
        for l in letters {
            ids.push(hold_through_milter(&q, &cfg, l).await);
        }
    }
    for (name, role, password) in users {
        add_user(&config, name, role, password);
    }
    let console = Console::spawn(&config);
    let f = Fixture {
        _dir: dir,
        config,
        sink,
        console,
        held: ids[0].clone(),
    };
    (f, ids)
}

async fn start(users: &[(&str, &str, &str)]) -> Fixture {
    start_with(&[nino_letter()], users).await.0
}

/// Presses `key` on whatever has the focus, as a keyboard does.
async fn press(b: &Browser, key: Key) {
    let k: char = key.into();
    let a = KeyActions::new("keyboard".into())
        .then(KeyAction::Down { value: k })
        .then(KeyAction::Up { value: k });
    b.client.perform_actions(a).await.unwrap();
}

/// Types `text` into whatever has the focus.
async fn type_text(b: &Browser, text: &str) {
    let mut a = KeyActions::new("keyboard".into());
    for c in text.chars() {
        a = a
            .then(KeyAction::Down { value: c })
            .then(KeyAction::Up { value: c });
    }
    b.client.perform_actions(a).await.unwrap();
}

/// The id of the focused element ("" for none).
async fn focused(b: &Browser) -> String {
    b.client
        .execute(
            "return document.activeElement ? document.activeElement.id : ''",
            vec![],
        )
        .await
        .unwrap()
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// Presses Tab until the element `id` has the focus; fails when it is not
/// reachable within 80 presses (not reachable from the keyboard).
async fn tab_to(b: &Browser, id: &str) {
    for _ in 0..80 {
        if focused(b).await == id {
            return;
        }
        press(b, Key::Tab).await;
    }
    panic!("#{id} is not reachable with Tab");
}

/// Signs in through the form with the keyboard only: Tab to the name,
/// type it, Tab to the password, type it, Enter.
async fn sign_in_by_keyboard(b: &Browser, c: &Console, name: &str, password: &str) {
    b.client.goto(&c.url("/login")).await.unwrap();
    b.el("#login-form").await;
    tab_to(b, "name").await;
    type_text(b, name).await;
    press(b, Key::Tab).await;
    assert_eq!(focused(b).await, "password", "Tab from the name");
    type_text(b, password).await;
    press(b, Key::Enter).await;
    b.el("#queue").await;
}

/// Signs in by filling the form and clicking.
async fn sign_in(b: &Browser, c: &Console, name: &str, password: &str) {
    b.client.goto(&c.url("/login")).await.unwrap();
    b.el("#name").await.send_keys(name).await.unwrap();
    b.el("#password").await.send_keys(password).await.unwrap();
    b.el("#sign-in").await.click().await.unwrap();
    b.el("#queue").await;
}

/// The heading of the page once the browser has arrived at a URL starting
/// with `prefix` and finished loading it (a click from another page returns
/// before the navigation it starts, and redirects may follow).
async fn settled_h1(b: &Browser, prefix: &str) -> String {
    const PROBE: &str = "return location.href.startsWith(arguments[0]) \
        && document.readyState === 'complete' && document.querySelector('h1') \
        ? document.querySelector('h1').textContent : null";
    let start = std::time::Instant::now();
    while start.elapsed() < Duration::from_secs(20) {
        if let Ok(serde_json::Value::String(h1)) = b
            .client
            .execute(PROBE, vec![serde_json::json!(prefix)])
            .await
        {
            return h1.trim().to_string();
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("no page at {prefix}... within 20 s");
}

/// The page's visible text.
async fn page_text(b: &Browser) -> String {
    b.text_of("body").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dpo_reviews_reveals_and_releases_a_held_message_once() {
    let Some(b) = Browser::start().await else {
        return;
    };
    let f = start(&[(DPO, "dpo", DPO_PASSWORD)]).await;
    sign_in_by_keyboard(&b, &f.console, DPO, DPO_PASSWORD).await;

    // The queue: the held message, its recipients by domain only.
    let row = b.text_of(&format!("#row-{}", f.held)).await;
    for expected in [
        "j.okafor@school.sch.uk",
        "*@outlook.com",
        "personal-data-body-identifier",
        "held",
    ] {
        assert!(row.contains(expected), "{expected} not in the row: {row}");
    }
    assert!(!row.contains(PARENT), "{row}");
    // The filters start empty, and applying them unchanged hides nothing.
    for css in ["#f-q", "#f-sender", "#f-since", "#f-until"] {
        let v = b.el(css).await.prop("value").await.unwrap();
        assert_eq!(v.as_deref(), Some(""), "{css} is pre-filled");
    }
    b.click_and_load("#apply-filters").await;
    b.el(&format!("#row-{}", f.held)).await;
    b.el(&format!("#row-{} a.ref", f.held))
        .await
        .click()
        .await
        .unwrap();

    // The message: evidence masked, in its sentence.
    assert_eq!(b.text_of("#ref").await, f.held);
    let in_place = b.text_of("#findings blockquote.in-place").await;
    assert!(
        in_place.contains("National Insurance number") && in_place.contains("JK ** ** ** D"),
        "{in_place}"
    );
    assert_eq!(
        b.text_of("#findings blockquote.in-place mark").await,
        "JK ** ** ** D"
    );
    let masked = page_text(&b).await;
    assert!(
        !masked.contains(NINO) && !masked.contains(PARENT),
        "{masked}"
    );
    assert!(b.find_none("#raw").await);

    // Reveal, behind its confirmation.
    b.el("#reveal-link").await.click().await.unwrap();
    b.el("#reveal-confirm").await.click().await.unwrap();
    b.el("#revealed-note").await;
    assert!(b.text_of("#raw").await.contains(NINO));
    assert!(b.text_of("#recipients").await.contains(PARENT));
    let audit = b.text_of("#message-audit").await;
    assert!(
        audit
            .lines()
            .any(|l| l.contains("revealed") && l.contains(&format!("console:{DPO}"))),
        "{audit}"
    );
    let trail = f.quarantine().store().audit_for(&f.held).unwrap();
    assert!(
        trail
            .iter()
            .any(|e| e.event == "revealed" && e.actor == format!("console:{DPO}")),
        "{trail:?}"
    );
    assert!(f.delivered_to_parent().is_empty(), "looking sends nothing");

    // Release with a reason, from the keyboard: Tab to the field, type, Enter.
    let reason = "Mrs Ahmed asked for it by phone; checked with the head";
    tab_to(&b, "release-reason").await;
    type_text(&b, reason).await;
    press(&b, Key::Enter).await;
    b.el("#back").await;
    assert!(b.text_of("h1").await.contains("Released"));
    let got = f.sink.wait_for(1);
    let to_parent: Vec<_> = got.iter().filter(|m| m.rcpt_to == [PARENT]).collect();
    assert_eq!(to_parent.len(), 1, "{got:?}");
    assert_eq!(to_parent[0].mail_from, "j.okafor@school.sch.uk");
    assert!(String::from_utf8_lossy(&to_parent[0].data).contains(NINO));
    let rec = f.quarantine().get(&f.held).unwrap();
    assert_eq!(rec.state, State::Released);
    assert_eq!(
        rec.state_changed_by.as_deref(),
        Some(format!("console:{DPO}").as_str())
    );
    assert_eq!(rec.state_reason.as_deref(), Some(reason));

    // Back on the message: no release form any more; nothing sent again.
    f.open_held(&b).await;
    assert!(b.text_of("#state").await.starts_with("released"));
    assert!(b.find_none("#release-form").await);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(f.delivered_to_parent().len(), 1);
    // The audit page says the trail verifies.
    b.client.goto(&f.console.url("/audit")).await.unwrap();
    assert!(b.text_of("#verify-result").await.contains("Intact"));
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_with_a_tampered_csrf_token_is_refused() {
    let Some(b) = Browser::start().await else {
        return;
    };
    let f = start(&[(DPO, "dpo", DPO_PASSWORD)]).await;
    sign_in(&b, &f.console, DPO, DPO_PASSWORD).await;
    f.open_held(&b).await;
    b.el("#release-form").await;
    // Alter the hidden field in the page (WebDriver's script runs outside
    // the page's CSP, which forbids every script of the page's own).
    let altered = b
        .client
        .execute(
            "const f = document.querySelector('#release-form input[name=csrf]');\
             const t = f.value;\
             f.value = t.slice(0, -1) + (t.endsWith('A') ? 'B' : 'A');\
             return [t, f.value];",
            vec![],
        )
        .await
        .unwrap();
    assert_ne!(altered[0], altered[1]);
    assert!(!altered[0].as_str().unwrap_or_default().is_empty());
    b.el("#release-reason")
        .await
        .send_keys("checked")
        .await
        .unwrap();
    b.el("#release").await.click().await.unwrap();
    let h1 = settled_h1(&b, &f.console.url(&format!("/holds/{}/release", f.held))).await;
    assert!(h1.starts_with("403"), "{h1}");
    f.assert_still_held();
    // The session itself is intact: the untouched form is still offered.
    f.open_held(&b).await;
    b.el("#release-form").await;

    // Another site (a data: page) posting the release form, even with the
    // right token, in the same browser: the SameSite=Strict session cookie
    // is not sent, so the console sees no one signed in.
    let token = b
        .el("#release-form input[name=csrf]")
        .await
        .attr("value")
        .await
        .unwrap()
        .unwrap_or_default();
    let page = format!(
        "<form method=post action=\"{}\"><input name=csrf value=\"{token}\">\
         <input name=reason value=\"from elsewhere\"><button id=go>Go</button></form>",
        f.console.url(&format!("/holds/{}/release", f.held))
    );
    let data_url = format!(
        "data:text/html,{}",
        form_urlencoded::byte_serialize(page.as_bytes())
            .collect::<String>()
            .replace('+', "%20")
    );
    b.client.goto(&data_url).await.unwrap();
    b.el("#go").await.click().await.unwrap();
    let h1 = settled_h1(&b, "http").await;
    assert!(h1.starts_with("401"), "{h1}");
    f.assert_still_held();
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_auditor_is_offered_no_release_and_a_forced_one_is_refused() {
    let Some(b) = Browser::start().await else {
        return;
    };
    let f = start(&[(AUDITOR, "auditor", AUDITOR_PASSWORD)]).await;
    sign_in(&b, &f.console, AUDITOR, AUDITOR_PASSWORD).await;
    f.open_held(&b).await;
    assert_eq!(b.text_of("#ref").await, f.held);
    for css in ["#release-form", "#delete-form", "#reveal-link"] {
        assert!(b.find_none(css).await, "{css} shown to an auditor");
    }
    // Forced: a release form made in the page with the session's own valid
    // CSRF token (from the sign-out form), so only the role can refuse it.
    b.client
        .execute(
            "const csrf = document.querySelector('form.signout input[name=csrf]').value;\
             const f = document.createElement('form');\
             f.method = 'post'; f.action = arguments[0];\
             for (const [n, v] of [['csrf', csrf], ['reason', 'looks fine to me']]) {\
               const i = document.createElement('input');\
               i.type = 'hidden'; i.name = n; i.value = v; f.appendChild(i);\
             }\
             document.body.appendChild(f); f.submit();",
            vec![serde_json::json!(format!("/holds/{}/release", f.held))],
        )
        .await
        .unwrap();
    let h1 = settled_h1(&b, &f.console.url(&format!("/holds/{}/release", f.held))).await;
    assert!(h1.starts_with("403"), "{h1}");
    // Reveal, asked for directly, is refused too.
    b.client
        .goto(&f.console.url(&format!("/holds/{}/reveal", f.held)))
        .await
        .unwrap();
    let h1 = b.text_of("h1").await;
    assert!(h1.starts_with("403"), "{h1}");
    f.assert_still_held();
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_out_ends_the_session() {
    let Some(b) = Browser::start().await else {
        return;
    };
    let f = start(&[(DPO, "dpo", DPO_PASSWORD)]).await;
    sign_in(&b, &f.console, DPO, DPO_PASSWORD).await;
    f.open_held(&b).await;
    assert_eq!(b.text_of("#ref").await, f.held);
    b.el("#logout").await.click().await.unwrap();
    b.el("#login-form").await;
    // Back: the message page is asked for again and sends to sign-in.
    b.client.back().await.unwrap();
    b.el("#login-form").await;
    assert!(b.find_none("#ref").await);
    for path in ["/queue".to_string(), format!("/holds/{}", f.held)] {
        b.client.goto(&f.console.url(&path)).await.unwrap();
        b.el("#login-form").await;
        assert!(b.find_none("#queue").await && b.find_none("#findings").await);
    }
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_input_on_every_page_has_a_label() {
    let Some(b) = Browser::start().await else {
        return;
    };
    let f = start(&[("alex.admin", "admin", DPO_PASSWORD)]).await;
    // Inputs a person fills or ticks; hidden fields and buttons excluded.
    const UNLABELLED: &str =
        "const all = [...document.querySelectorAll('input, select, textarea')]\
           .filter(e => !['hidden', 'submit', 'button', 'reset'].includes(e.type));\
         const bad = all.filter(e => e.labels.length === 0 && !e.getAttribute('aria-label')\
           && !e.getAttribute('aria-labelledby')).map(e => e.outerHTML);\
         return [all.length, bad];";
    let mut pages = vec![("/login".to_string(), false)];
    for p in [
        "/queue".to_string(),
        format!("/holds/{}", f.held),
        format!("/holds/{}/reveal", f.held),
        "/reports".into(),
        "/audit".into(),
        "/users".into(),
    ] {
        pages.push((p, true));
    }
    let mut checked = 0;
    for (i, (path, signed_in)) in pages.iter().enumerate() {
        if *signed_in && !pages[i - 1].1 {
            sign_in(&b, &f.console, "alex.admin", DPO_PASSWORD).await;
        }
        b.client.goto(&f.console.url(path)).await.unwrap();
        b.el("main").await;
        let r = b.client.execute(UNLABELLED, vec![]).await.unwrap();
        assert_eq!(r[1], serde_json::json!([]), "unlabelled inputs on {path}");
        checked += r[0].as_u64().unwrap();
    }
    // The sign-in form, the queue's filters and bulk reason, the message's
    // two reasons, the users form: far more than a handful.
    assert!(checked >= 15, "only {checked} inputs checked");
    b.close().await;
}

/// A spreadsheet of pupils' NI numbers attached, unencrypted: a hold with
/// an attachments table.
fn attachment_letter() -> Letter {
    let mut l = letter(
        "office",
        &["admissions@county-council.gov.uk"],
        "Class list",
        "",
        "4QCSV04",
    );
    l.headers.retain(|(n, _)| n != "Content-Type");
    l.headers.push((
        "Content-Type".into(),
        "multipart/mixed; boundary=\"b\"".into(),
    ));
    l.body = b"--b\r\nContent-Type: text/plain\r\n\r\nPlease find the list attached.\r\n--b\r\n\
Content-Type: text/csv; name=\"year6-class-list-with-ni-numbers-2026.csv\"\r\n\
Content-Disposition: attachment; filename=\"year6-class-list-with-ni-numbers-2026.csv\"\r\n\r\n\
name,ni_number\r\nAmy Khan,AB123456C\r\nBen Okafor,JG103759A\r\nCara Nowak,CE556677A\r\n--b--\r\n"
        .to_vec();
    l
}

/// Long words where a phone has little room: a double-barrelled sender, a
/// subject with a file name and a Welsh place name in it, recipients at long
/// domains, health information about a named pupil.
fn long_words_letter() -> Letter {
    letter(
        "oluwaseun.adebayo-vanderberg",
        &[
            "educational.psychology.service@north-wales-county-council.gov.uk",
            "nghiem.thi.thu.huong@outlook.com",
        ],
        "RE: FW: Residential_consent_forms_Year6_2026-2027_FINAL_v3.pdf — \
         Llanfairpwllgwyngyllgogerychwyrndrobwllllantysiliogogogoch trip",
        "Hello,\nAs discussed, Siobhán Ní Bhriain in Year 6 has been diagnosed with epilepsy \
         and takes medication twice a day; her mother has asked us to share this before the \
         trip.\nBest wishes\nOluwaseun\n",
        "4QLNG05",
    )
}

/// Holds for [`every_console_page`]: the NI number in a body, a CSV
/// attachment, long words; and an admin (who sees every page).
async fn start_for_every_page() -> (Fixture, Vec<String>) {
    start_with(
        &[nino_letter(), attachment_letter(), long_words_letter()],
        &[("alex.admin", "admin", DPO_PASSWORD)],
    )
    .await
}

/// Every page of the console, as an admin sees it, in the states people
/// read it in: sign-in, the queue, a message (body finding; attachment),
/// the reveal confirmation and the revealed message, reports, the audit
/// trail, users, an error page and the page after an action. Returns how
/// many pages were checked and the problems found.
async fn every_console_page(
    b: &Browser,
    f: &Fixture,
    ids: &[String],
    check: &Check<'_>,
) -> (usize, Vec<String>) {
    let keys = |ks: &[&str]| ks.iter().map(|k| k.to_string()).collect::<Vec<_>>();
    let (nino, csv, long) = (&ids[0], &ids[1], &ids[2]);
    let mut problems = Vec::new();
    let mut pages = 0;
    let mut visit = |what: String, ks: Vec<String>| {
        pages += 1;
        (what, ks)
    };

    b.client.goto(&f.console.url("/login")).await.unwrap();
    b.el("#login-form").await;
    let (what, ks) = visit(
        "sign-in".into(),
        keys(&["#login-form label", "#name", "#password", "#sign-in"]),
    );
    problems.extend(check_page(b, check, &what, &ks).await);

    b.set_viewport(1280, 900).await;
    sign_in(b, &f.console, "alex.admin", DPO_PASSWORD).await;
    let mut ks = keys(&[
        "#f-q",
        "#apply-filters",
        "#count-held",
        "#bulk-reason",
        "#bulk-release",
    ]);
    for id in ids {
        // Every cell of every row: the reference, age, sender, recipients,
        // subject, rules, severity, state, and the tick box.
        ks.push(format!("#row-{id} td"));
        ks.push(format!("#sel-{id}"));
    }
    let (what, ks) = visit("queue".into(), ks);
    problems.extend(check_page(b, check, &what, &ks).await);

    b.client
        .goto(&f.console.url(&format!("/holds/{nino}")))
        .await
        .unwrap();
    b.el("#findings").await;
    let (what, ks) = visit(
        "message (finding in the body)".into(),
        keys(&[
            "#ref",
            "#facts dd",
            "#findings blockquote.in-place mark",
            "#release-reason",
            "#release",
            "#delete-reason",
            "#delete",
            "#reveal-link",
            "#message-audit td",
        ]),
    );
    problems.extend(check_page(b, check, &what, &ks).await);

    b.client
        .goto(&f.console.url(&format!("/holds/{csv}")))
        .await
        .unwrap();
    b.el("#attachments").await;
    let (what, ks) = visit(
        "message (attachment)".into(),
        keys(&["#ref", "#attachments td", "#release"]),
    );
    problems.extend(check_page(b, check, &what, &ks).await);

    b.client
        .goto(&f.console.url(&format!("/holds/{long}/reveal")))
        .await
        .unwrap();
    b.el("#reveal-form").await;
    let (what, ks) = visit(
        "reveal confirmation".into(),
        keys(&["h1", "#reveal-confirm"]),
    );
    problems.extend(check_page(b, check, &what, &ks).await);

    b.el("#reveal-confirm").await.click().await.unwrap();
    b.el("#revealed-note").await;
    let (what, ks) = visit(
        "revealed message".into(),
        keys(&[
            "#revealed-note",
            "#recipients",
            "#subject",
            "#raw",
            "#release",
        ]),
    );
    problems.extend(check_page(b, check, &what, &ks).await);

    b.client.goto(&f.console.url("/reports")).await.unwrap();
    b.el("#decisions").await;
    let (what, ks) = visit(
        "reports".into(),
        keys(&[
            "#weeks",
            "#decisions dd",
            "svg.chart",
            "#weeks-table th[scope=row]",
            "#weeks-table td",
            "#top-rules li",
            "#export-since",
            "#export",
        ]),
    );
    problems.extend(check_page(b, check, &what, &ks).await);

    b.client.goto(&f.console.url("/audit")).await.unwrap();
    b.el("#verify-result").await;
    let (what, ks) = visit("audit trail".into(), keys(&["#verify-result", "#audit td"]));
    problems.extend(check_page(b, check, &what, &ks).await);

    b.client.goto(&f.console.url("/users")).await.unwrap();
    b.el("#users").await;
    let (what, ks) = visit(
        "users".into(),
        keys(&[
            "#users td",
            "#new-name",
            "#new-role",
            "#new-password",
            "#add-user",
        ]),
    );
    problems.extend(check_page(b, check, &what, &ks).await);

    b.client
        .goto(&f.console.url("/holds/Q-20261207-0000000000"))
        .await
        .unwrap();
    b.el("#error-message").await;
    let (what, ks) = visit("error page".into(), keys(&["h1", "#error-message"]));
    problems.extend(check_page(b, check, &what, &ks).await);

    b.client
        .goto(&f.console.url(&format!("/holds/{long}")))
        .await
        .unwrap();
    b.el("#delete-reason")
        .await
        .send_keys("Sent to the wrong psychologist; Mr Adebayo-Vanderberg will resend")
        .await
        .unwrap();
    b.el("#delete").await.click().await.unwrap();
    b.el("#back").await;
    let (what, ks) = visit("after an action".into(), keys(&["h1", ".notice", "#back"]));
    problems.extend(check_page(b, check, &what, &ks).await);

    (pages, problems)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_reads_on_a_phone_without_sideways_scrolling() {
    let Some(b) = Browser::start().await else {
        return;
    };
    let (f, ids) = start_for_every_page().await;
    let (pages, problems) = every_console_page(&b, &f, &ids, &Check::Layout).await;
    assert_eq!(pages, 11);
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
    let (f, ids) = start_for_every_page().await;
    let (pages, problems) = every_console_page(&b, &f, &ids, &Check::Axe(&axe)).await;
    assert_eq!(pages, 11);
    browser::assert_no_problems(&problems);
    b.close().await;
}

/// Saves the current page as `DIR/NAME.png`, the browser window first set
/// to `width` × `height`.
async fn screenshot(b: &Browser, dir: &Path, name: &str, width: u32, height: u32) {
    b.client.set_window_size(width, height).await.unwrap();
    // Let the layout settle at the new width before the capture.
    std::thread::sleep(Duration::from_millis(300));
    let png = b.client.screenshot().await.expect("screenshot");
    std::fs::write(dir.join(format!("{name}.png")), png).expect("write screenshot");
}

/// The screenshots in docs/console.md, with fake but realistic holds made
/// through the milter: `DLP_SCREENSHOTS=docs cargo nextest run --test
/// browser_console --run-ignored only`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "makes docs/console-*.png; run with DLP_SCREENSHOTS=DIR"]
async fn screenshots_for_the_docs() {
    let dir = PathBuf::from(
        std::env::var_os("DLP_SCREENSHOTS").expect("DLP_SCREENSHOTS=DIR says where to write"),
    );
    let Some(b) = Browser::start().await else {
        return;
    };
    let letters = [
        nino_letter(),
        letter(
            "it.support",
            &["supply.teacher@gmail.com"],
            "Your login for Monday",
            "Hi Priya,\nYour Arbor username is p.sharma and your password: Kettle-Orbit-42!\n\
             Thanks, IT\n",
            "4QPWD02",
        ),
        letter(
            "senco",
            &["educational.psychologist@outlook.com"],
            "Referral",
            "Hello,\nAs discussed, Tomasz Kowalczyk in Year 3 has been diagnosed with autism \
             and has an EHCP; his mother has asked us to share the report.\nBest wishes\n",
            "4QSEN03",
        ),
    ];
    let (f, _) = start_with(&letters, &[(DPO, "dpo", DPO_PASSWORD)]).await;
    sign_in(&b, &f.console, DPO, DPO_PASSWORD).await;
    screenshot(&b, &dir, "console-queue", 1280, 800).await;
    // On a phone, the held messages (as cards) below the filters.
    b.set_viewport(390, 844).await;
    b.client
        .execute(
            "document.querySelector('#result-count').scrollIntoView()",
            vec![],
        )
        .await
        .unwrap();
    screenshot(&b, &dir, "console-queue-phone", 390, 844).await;
    f.open_held(&b).await;
    b.el("#findings").await;
    screenshot(&b, &dir, "console-message", 1280, 1000).await;
    // On a phone, the finding in its sentence.
    b.set_viewport(390, 844).await;
    b.client
        .execute(
            "document.querySelector('#findings').scrollIntoView()",
            vec![],
        )
        .await
        .unwrap();
    screenshot(&b, &dir, "console-message-phone", 390, 844).await;
    b.close().await;
}
