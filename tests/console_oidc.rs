//! Single sign-on end to end: the `dlp-milter console` binary against a real
//! OpenID Connect provider on loopback (PyPI's `oidc-provider-mock`, which
//! signs real ID tokens with its own key and serves discovery and JWKS).
//! The browser is played by hand over plain HTTP, every redirect followed
//! explicitly, so each hop the console relies on is visible: start →
//! provider's authorize form (POSTed with the subject whose claims we chose)
//! → callback → session.
//!
//! The provider: `$DLP_OIDC_MOCK` (path to the `oidc-provider-mock`
//! script), else `target/oidc-venv/bin/oidc-provider-mock`
//! (scripts/test.sh installs it there), else one on PATH. Missing: the tests
//! say so loudly and pass, unless `DLP_REQUIRE_PEERS` is set (CI), where
//! they fail.

#[path = "common/quarantine.rs"]
mod support;

#[path = "common/console.rs"]
mod console_support;

use console_support::{form, free_port, request, Console, Resp};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::*;

/// Where the console says it is; the provider redirects there and the test
/// carries the path over to the console's real (ephemeral) address.
const BASE_URL: &str = "http://dlp.school.test";

/// `http://host:port/path?q` → (`host:port`, `/path?q`).
fn split_url(url: &str) -> (String, String) {
    let rest = url
        .strip_prefix("http://")
        .unwrap_or_else(|| panic!("not an http URL: {url}"));
    match rest.find('/') {
        Some(i) => (rest[..i].to_string(), rest[i..].to_string()),
        None => (rest.to_string(), "/".into()),
    }
}

/// The mock provider's launcher, or None (after saying so) when missing.
fn provider_program() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("DLP_OIDC_MOCK").map(PathBuf::from),
        Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("target/oidc-venv/bin/oidc-provider-mock")),
    ];
    for c in candidates.into_iter().flatten() {
        if c.is_file() {
            return Some(c);
        }
    }
    let on_path = Command::new("oidc-provider-mock")
        .arg("--help")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if on_path {
        return Some(PathBuf::from("oidc-provider-mock"));
    }
    assert!(
        std::env::var_os("DLP_REQUIRE_PEERS").is_none(),
        "DLP_REQUIRE_PEERS is set but oidc-provider-mock is missing (scripts/test.sh installs it into target/oidc-venv)"
    );
    eprintln!(
        "SKIPPED: oidc-provider-mock not found (pip install oidc-provider-mock, or run scripts/test.sh); the single sign-on tests did not run"
    );
    None
}

/// The people the provider knows, with the claims each ID token carries.
const USERS: &[&str] = &[
    r#"{"sub": "dpo-1", "email": "Jo.Dpo@school.sch.uk", "email_verified": true, "roles": ["Staff", "DLP.DPO"]}"#,
    r#"{"sub": "outsider", "email": "jo.dpo@gmail.com", "roles": ["DLP.DPO"]}"#,
    r#"{"sub": "other-tenant", "email": "jo@school.sch.uk", "hd": "other.sch.uk", "roles": ["DLP.DPO"]}"#,
    r#"{"sub": "teacher", "email": "t.teacher@school.sch.uk", "roles": ["Staff", "Teachers"]}"#,
];

struct Peers {
    _dir: tempfile::TempDir,
    provider: Child,
    provider_addr: String,
    /// The `dlp-milter console` under test; stopped when dropped.
    console_server: Console,
}

impl Drop for Peers {
    fn drop(&mut self) {
        let _ = self.provider.kill();
        let _ = self.provider.wait();
    }
}

/// Roles by Entra-style app-role values in the `roles` claim.
const ROLES_BY_CLAIM: &str = "roles = { \"DLP.DPO\" = \"dpo\", \"DLP.Auditor\" = \"auditor\" }\n";

fn start() -> Option<Peers> {
    start_with(ROLES_BY_CLAIM)
}

/// The provider and a console whose `[console.oidc]` maps roles by `roles_toml`.
fn start_with(roles_toml: &str) -> Option<Peers> {
    let program = provider_program()?;
    let port = free_port();
    let mut cmd = Command::new(program);
    cmd.args(["--host", "127.0.0.1", "--port", &port.to_string()])
        .args(["--require-nonce", "true"]);
    for u in USERS {
        cmd.args(["--user-claims", u]);
    }
    let mut provider = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start oidc-provider-mock");
    let provider_addr = format!("127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let up = TcpStream::connect(&provider_addr).is_ok()
            && request(
                &provider_addr,
                "GET",
                "/.well-known/openid-configuration",
                &[],
                b"",
            )
            .status
                == 200;
        if up {
            break;
        }
        if let Ok(Some(st)) = provider.try_wait() {
            panic!("oidc-provider-mock exited: {st}");
        }
        assert!(Instant::now() < deadline, "the provider did not come up");
        std::thread::sleep(Duration::from_millis(200));
    }

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("oidc-secret"), "s3cret-from-file\n").unwrap();
    let config = write_config(
        dir.path(),
        &dead_relay(),
        &format!(
            "[console]\nbase_url = \"{BASE_URL}\"\n\
             [console.oidc]\nprovider_name = \"Test IdP\"\n\
             issuer = \"http://{provider_addr}\"\nclient_id = \"dlp-console\"\n\
             client_secret_file = \"oidc-secret\"\nallowed_domain = \"school.sch.uk\"\n\
             {roles_toml}"
        ),
    );
    let console_server = Console::spawn(&config);
    Some(Peers {
        _dir: dir,
        provider,
        provider_addr,
        console_server,
    })
}

/// A sign-in begun at the console: the provider's authorize URL and the
/// browser's pending cookie.
struct Started {
    authorize: String,
    cookie: String,
}

/// The callback as the provider would send the browser there: the path
/// and query on the console.
struct Callback(String);

impl Peers {
    fn console(&self, path: &str, cookie: Option<&str>) -> Resp {
        let headers: Vec<(&str, &str)> = cookie.iter().map(|c| ("Cookie", *c)).collect();
        request(&self.console_server.addr, "GET", path, &headers, b"")
    }

    fn begin(&self) -> Started {
        let r = self.console("/auth/oidc/start?next=%2Fqueue", None);
        assert_eq!(r.status, 303, "{}", r.body);
        let set = r.set_cookie("dlp_console_oidc").expect("a pending cookie");
        // It must come back on the provider's cross-site redirect.
        assert!(
            set.contains("SameSite=Lax") && set.contains("HttpOnly"),
            "{set}"
        );
        let authorize = r
            .header("location")
            .expect("off to the provider")
            .to_string();
        assert!(
            authorize.starts_with(&format!("http://{}/", self.provider_addr)),
            "{authorize}"
        );
        for p in [
            "code_challenge=",
            "code_challenge_method=S256",
            "nonce=",
            "state=",
        ] {
            assert!(
                authorize.contains(p),
                "authorize URL lacks {p}: {authorize}"
            );
        }
        Started {
            authorize,
            cookie: format!("dlp_console_oidc={}", r.cookie("dlp_console_oidc").unwrap()),
        }
    }

    /// The person `sub` approves at the provider (its authorize form).
    fn approve(&self, authorize: &str, sub: &str) -> Callback {
        let (addr, path) = split_url(authorize);
        let page = request(&addr, "GET", &path, &[], b"");
        assert_eq!(page.status, 200, "{}", page.body);
        let r = request(
            &addr,
            "POST",
            &path,
            &[("Content-Type", "application/x-www-form-urlencoded")],
            &form(&[("sub", sub)]),
        );
        assert_eq!(r.status, 302, "{}", r.body);
        let back = r.header("location").expect("back to the console");
        let (host, path) = split_url(back);
        assert_eq!(format!("http://{host}"), BASE_URL);
        assert!(path.starts_with("/auth/oidc/callback?"), "{path}");
        Callback(path)
    }

    fn sign_in_as(&self, sub: &str) -> Resp {
        let s = self.begin();
        let cb = self.approve(&s.authorize, sub);
        self.console(&cb.0, Some(&s.cookie))
    }
}

/// A refusal: the sign-in page again (with the local form), no session.
fn assert_refused(r: &Resp, why: &str) {
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.body.contains(why), "expected {why:?} in {}", r.body);
    assert!(
        r.body.contains("id=\"login-form\""),
        "the local form stays offered"
    );
    assert!(r.cookie("dlp_console").is_none(), "no session on a refusal");
}

#[test]
fn a_mapped_person_of_the_organisation_gets_a_console_session() {
    let Some(p) = start() else { return };
    // The sign-in page offers both ways in.
    let login = p.console("/login?next=%2Fqueue", None);
    assert_eq!(login.status, 200);
    assert!(
        login.body.contains("Sign in with Test IdP"),
        "{}",
        login.body
    );
    assert!(login
        .body
        .contains("href=\"/auth/oidc/start?next=%2Fqueue\""));
    assert!(login.body.contains("id=\"login-form\""));

    let r = p.sign_in_as("dpo-1");
    assert_eq!(r.status, 200, "{}", r.body);
    let set = r
        .set_cookie("dlp_console")
        .expect("a session cookie")
        .to_string();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    // The pending sign-in is spent: its cookie is cleared.
    assert!(r
        .set_cookie("dlp_console_oidc")
        .is_some_and(|c| c.contains("Max-Age=0")));
    // Moves on to where the sign-in was asked for (autoescaped: `/` is
    // `&#x2f;`, which the browser decodes in the attribute).
    assert!(
        r.body
            .contains("http-equiv=\"refresh\" content=\"0;url=&#x2f;queue\""),
        "{}",
        r.body
    );
    let cookie = format!("dlp_console={}", r.cookie("dlp_console").unwrap());

    let queue = p.console("/queue", Some(&cookie));
    assert_eq!(queue.status, 200, "{}", queue.body);
    // The user name is the (lower-cased) email, the role the mapped one.
    assert!(
        queue.body.contains("jo.dpo@school.sch.uk (dpo)"),
        "{}",
        queue.body
    );
    // The account was made by the sign-on and audited as that person.
    let audit = p.console("/audit", Some(&cookie));
    assert_eq!(audit.status, 200);
    assert!(
        audit.body.contains("console:jo.dpo@school.sch.uk"),
        "{}",
        audit.body
    );
    // The session is an ordinary one: its CSRF token signs it out.
    let csrf = queue.csrf();
    let out = request(
        &p.console_server.addr,
        "POST",
        "/logout",
        &[
            ("Cookie", &cookie),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        format!("csrf={csrf}").as_bytes(),
    );
    assert_eq!(out.status, 303);
    assert_eq!(p.console("/queue", Some(&cookie)).status, 303);
}

#[test]
fn another_domain_or_hosted_domain_is_refused() {
    let Some(p) = start() else { return };
    assert_refused(
        &p.sign_in_as("outsider"),
        "jo.dpo@gmail.com is not an account of school.sch.uk",
    );
    // Right email domain, but Google says the account is another Workspace's.
    assert_refused(
        &p.sign_in_as("other-tenant"),
        "is not an account of school.sch.uk",
    );
}

#[test]
fn a_person_without_a_mapped_role_is_refused() {
    let Some(p) = start() else { return };
    assert_refused(&p.sign_in_as("teacher"), "has no role for this console");
}

#[test]
fn a_tampered_or_foreign_state_is_refused() {
    let Some(p) = start() else { return };
    let s = p.begin();
    let cb = p.approve(&s.authorize, "dpo-1");
    // The state in the URL changed: it matches neither the cookie nor a
    // pending sign-in.
    let tampered = cb.0.replacen("state=", "state=x", 1);
    assert_refused(&p.console(&tampered, Some(&s.cookie)), "state mismatch");
    // The right URL from another browser (no pending cookie, or another's).
    assert_refused(&p.console(&cb.0, None), "state mismatch");
    let other = p.begin();
    assert_refused(&p.console(&cb.0, Some(&other.cookie)), "state mismatch");
}

#[test]
fn a_replayed_callback_or_a_foreign_nonce_is_refused() {
    let Some(p) = start() else { return };
    let s = p.begin();
    let cb = p.approve(&s.authorize, "dpo-1");
    let first = p.console(&cb.0, Some(&s.cookie));
    assert_eq!(first.status, 200, "{}", first.body);
    // The same callback again (a stolen or replayed URL): spent.
    assert_refused(
        &p.console(&cb.0, Some(&s.cookie)),
        "unknown or was already used",
    );
    // An ID token minted for another sign-in's nonce: this browser's
    // sign-in B is approved with sign-in A's nonce in the request.
    let a = p.begin();
    let b = p.begin();
    let nonce_of = |url: &str| {
        url.split(['?', '&'])
            .find_map(|kv| kv.strip_prefix("nonce="))
            .expect("a nonce")
            .to_string()
    };
    let swapped = b
        .authorize
        .replace(&nonce_of(&b.authorize), &nonce_of(&a.authorize));
    assert_ne!(swapped, b.authorize);
    let cb = p.approve(&swapped, "dpo-1");
    assert_refused(&p.console(&cb.0, Some(&b.cookie)), "nonce mismatch");
}

#[test]
fn roles_can_be_mapped_person_by_person_by_email() {
    // Google Workspace's ID tokens carry no groups: map by address.
    let Some(p) =
        start_with("role_claim = \"email\"\nroles = { \"jo.dpo@school.sch.uk\" = \"auditor\" }\n")
    else {
        return;
    };
    let r = p.sign_in_as("dpo-1");
    assert_eq!(r.status, 200, "{}", r.body);
    let cookie = format!("dlp_console={}", r.cookie("dlp_console").unwrap());
    let queue = p.console("/queue", Some(&cookie));
    assert!(
        queue.body.contains("jo.dpo@school.sch.uk (auditor)"),
        "{}",
        queue.body
    );
    // Their `roles` claim says DLP.DPO, but roles now come from the address.
    assert_refused(&p.sign_in_as("teacher"), "has no role for this console");
}
