//! The direction check through the milter protocol (indymilter-test plays
//! Postfix): the macros Postfix sends at MAIL ({auth_authen},
//! {client_addr}, {daemon_name}) decide whether a message is scanned.
//! Inbound mail gets a bare ACCEPT: no header, no edit, nothing stored.

#[path = "common/milter_hold.rs"]
mod in_process;

use dlp_milter::config::Config;
use dlp_milter::milter::Milter;
use dlp_milter::quarantine::spool::SpoolStore;
use dlp_milter::quarantine::HoldStore;
use in_process::{serve, Served};
use indymilter_test::{EomAction, MacroStage, Status, TestConnection};
use std::sync::Arc;

const KEY: &[u8; 32] = b"0123456789abcdef0123456789abcdef";

struct Harness {
    dir: tempfile::TempDir,
    addr: std::net::SocketAddr,
    served: Served,
}

/// A milter whose rules hold exposed recipients (6+) and a NINO in the body;
/// `nino_directions` is the NINO rule's `directions` line (or empty).
async fn start(nino_directions: &str) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::write(
        rules.join("00.toml"),
        format!(
            r#"[[rule]]
id = "exposed-recipients"
category = "exposed_recipients"
min_count = 6
count = "addresses"
severity = "high"
action = "hold"
policy = "Put external recipients in BCC."

[[rule]]
id = "nino-body"
category = "personal_data"
detectors = ["uk_nino"]
locations = ["body"]
severity = "high"
action = "hold"
policy = "No identifiers in the body."
{nino_directions}
"#
        ),
    )
    .unwrap();
    let src = format!(
        "data_dir = {:?}\n[organisation]\ndomains = [\"school.example\"]\n[rules]\ndir = {:?}\n\
         [direction]\ntrusted_networks = [\"127.0.0.0/8\", \"10.0.0.0/8\"]\noutbound_daemons = [\"submission\"]\n",
        dir.path().join("data"),
        rules
    );
    let cfg = Config::from_toml("test.toml", &src).unwrap();
    let store: Arc<dyn HoldStore> =
        Arc::new(SpoolStore::open(&dir.path().join("data/spool")).unwrap());
    let served = serve(Milter::new(&cfg, store, KEY.to_vec()).unwrap()).await;
    Harness {
        dir,
        addr: served.addr,
        served,
    }
}

impl Harness {
    /// The `direction` and `direction_reason` of every held record.
    fn held_directions(&self) -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = std::fs::read_dir(self.dir.path().join("data/spool"))
            .unwrap()
            .flatten()
            .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
            .map(|e| {
                let j: serde_json::Value =
                    serde_json::from_slice(&std::fs::read(e.path()).unwrap()).unwrap();
                (
                    j["direction"].as_str().unwrap_or("").to_string(),
                    j["direction_reason"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect();
        v.sort();
        v
    }

    fn held(&self) -> usize {
        std::fs::read_dir(self.dir.path().join("data/spool"))
            .unwrap()
            .flatten()
            .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
            .count()
    }

    async fn stop(self) {
        self.served.stop().await;
    }
}

/// What Postfix says about the connection at MAIL.
#[derive(Default, Clone, Copy)]
struct Conn<'a> {
    auth: Option<&'a str>,
    client: Option<&'a str>,
    daemon: Option<&'a str>,
}

const PARENTS: &str = "parent0@gmail.com, parent1@gmail.com, parent2@gmail.com, \
     parent3@gmail.com, parent4@gmail.com, parent5@gmail.com, parent6@gmail.com, parent7@gmail.com";
const NINO_BODY: &[u8] = b"Starter: Priya Shah, NI no. JT 48 22 91 B, start date 3 November.\r\n";

/// Sends one message: 8 parents in To and a NINO in the body, from
/// `from` to the envelope recipients `rcpts`.
async fn send(h: &Harness, c: Conn<'_>, from: &str, rcpts: &[&str]) -> (Vec<EomAction>, Status) {
    let mut conn = TestConnection::configure()
        .open_tcp(h.addr)
        .await
        .expect("negotiates");
    let mut macros = vec![];
    if let Some(a) = c.auth {
        macros.push(("{auth_authen}", a));
    }
    if let Some(a) = c.client {
        macros.push(("{client_addr}", a));
    }
    if let Some(d) = c.daemon {
        macros.push(("{daemon_name}", d));
    }
    if !macros.is_empty() {
        conn.macros(MacroStage::Mail, macros).await.unwrap();
    }
    conn.mail([format!("<{from}>")]).await.unwrap();
    for r in rcpts {
        conn.rcpt([format!("<{r}>")]).await.unwrap();
    }
    conn.header("From", from).await.unwrap();
    conn.header("To", PARENTS).await.unwrap();
    conn.header("Subject", "Starter").await.unwrap();
    conn.body(NINO_BODY.to_vec()).await.unwrap();
    conn.macros(MacroStage::Eom, [("i", "Q1")]).await.unwrap();
    let (a, s) = conn.eom().await.unwrap();
    conn.close().await.unwrap();
    (a.actions, s)
}

const OUTSIDE: &[&str] = &["parent0@gmail.com", "parent1@gmail.com"];
const INSIDE: &[&str] = &["head@school.example", "office@school.example"];

#[tokio::test]
async fn the_direction_macros_are_requested_at_mail() {
    let h = start("").await;
    let conn = TestConnection::configure()
        .open_tcp(h.addr)
        .await
        .expect("negotiates");
    let mail = conn.requested_macros().get(&MacroStage::Mail).unwrap();
    let mail = mail.to_str().unwrap();
    for m in ["{auth_authen}", "{client_addr}", "{daemon_name}"] {
        assert!(mail.split(' ').any(|x| x == m), "{m} not in {mail}");
    }
    conn.close().await.unwrap();
    h.stop().await;
}

#[tokio::test]
async fn inbound_mail_is_accepted_untouched_and_not_stored() {
    let h = start("").await;
    let internet = Conn {
        client: Some("203.0.113.9"),
        ..Default::default()
    };
    // A parent's mail to staff; then a forged internal From; then no client
    // address at all: all inbound.
    for (c, from) in [
        (internet, "parent@gmail.com"),
        (internet, "head@school.example"),
        (Conn::default(), "head@school.example"),
        // Postfix's default {daemon_name} ($myhostname) proves nothing.
        (
            Conn {
                daemon: Some("mx.school.example"),
                ..internet
            },
            "head@school.example",
        ),
    ] {
        let (actions, status) = send(&h, c, from, INSIDE).await;
        assert_eq!(status, Status::Accept);
        assert!(actions.is_empty(), "inbound mail was changed: {actions:?}");
    }
    assert_eq!(h.held(), 0);
    h.stop().await;
}

#[tokio::test]
async fn a_login_a_trusted_network_or_an_outbound_service_makes_it_outbound() {
    let h = start("").await;
    let sources = [
        Conn {
            auth: Some("office"),
            client: Some("203.0.113.9"),
            ..Default::default()
        },
        Conn {
            client: Some("10.20.30.40"),
            ..Default::default()
        },
        Conn {
            client: Some("::ffff:10.20.30.40"),
            ..Default::default()
        },
        Conn {
            client: Some("203.0.113.9"),
            daemon: Some("submission"),
            ..Default::default()
        },
    ];
    for (i, c) in sources.into_iter().enumerate() {
        let (_, status) = send(&h, c, "office@school.example", OUTSIDE).await;
        // Held: stored in the spool, answered DISCARD.
        assert_eq!(status, Status::Discard, "source {i}");
        assert_eq!(h.held(), i + 1, "source {i}");
    }
    // Each hold's record says why the message counted as outbound.
    let reasons: Vec<String> = h
        .held_directions()
        .into_iter()
        .map(|(d, r)| {
            assert_eq!(d, "outbound", "{r}");
            r
        })
        .collect();
    for why in [
        "client logged in (SASL)",
        "client 10.20.30.40 is in trusted_networks",
        "service \"submission\" is in outbound_daemons",
    ] {
        assert!(
            reasons.iter().any(|r| r.starts_with(why)),
            "{why}: {reasons:?}"
        );
    }
    h.stop().await;
}

#[tokio::test]
async fn internal_mail_is_scanned_by_the_rules_that_cover_it() {
    let trusted = Conn {
        client: Some("127.0.0.1"),
        ..Default::default()
    };
    // Default directions: the NINO rule covers internal mail.
    let h = start("").await;
    let (_, status) = send(&h, trusted, "office@school.example", INSIDE).await;
    assert_eq!(status, Status::Discard);
    assert_eq!(h.held(), 1);
    h.stop().await;

    // An outbound-only rule leaves internal mail alone, not outbound mail.
    let h = start("directions = [\"outbound\"]").await;
    let (actions, status) = send(&h, trusted, "office@school.example", INSIDE).await;
    assert_eq!(status, Status::Accept);
    assert!(actions.is_empty(), "{actions:?}");
    assert_eq!(h.held(), 0);
    let (_, status) = send(&h, trusted, "office@school.example", OUTSIDE).await;
    assert_eq!(status, Status::Discard);
    assert_eq!(h.held(), 1);
    h.stop().await;
}
