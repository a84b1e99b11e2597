//! `[metrics] listen` of a real `dlp-milter serve`: real traffic through the
//! milter protocol (a clean message, a held one, a rewritten one, an
//! attachment that cannot be opened, a scan that overruns its budget), then
//! `/metrics` read over HTTP and every count asserted exactly; `/healthz`
//! answers 200, and 503 while the store cannot be written: the quarantine
//! database locked by another process, or the spool directory replaced by
//! a file (both work as root, where file modes do not stop a write).
//!
//! What each message should have found comes from the `scan` command on the
//! same bytes with the same config: the metrics must agree with the engine,
//! not with numbers copied into this file.

#[path = "common/milter.rs"]
mod milter_support;

use indymilter_test::{Status, TestConnection};
use milter_support::{free_port, send_message, tiered_rules, Daemon};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const FAULT_HEADER: &str = "X-DLP-Test-Fault";

struct Setup {
    dir: tempfile::TempDir,
    config: PathBuf,
    log: PathBuf,
    port: u16,
    metrics_port: u16,
    _daemon: Daemon,
}

impl Setup {
    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn get(&self, path: &str) -> (u16, String) {
        http_get(self.metrics_port, path)
    }

    /// The `/metrics` page, which must answer 200.
    fn page(&self) -> String {
        let (status, body) = self.get("/metrics");
        assert_eq!(status, 200, "{body}\n{}", self.log());
        body
    }

    /// Waits until `/metrics` satisfies `ok`; the page.
    fn page_when(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let t = Instant::now();
        loop {
            let page = self.page();
            if ok(&page) {
                return page;
            }
            assert!(
                t.elapsed() < Duration::from_secs(20),
                "{what}: never seen in\n{page}\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until `/healthz` answers `want`; its body.
    fn health_becomes(&self, want: u16) -> String {
        let t = Instant::now();
        loop {
            let (status, body) = self.get("/healthz");
            if status == want {
                return body;
            }
            assert!(
                t.elapsed() < Duration::from_secs(20),
                "/healthz stays {status}: {body}\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// One GET over plain HTTP/1.0; the status and the whole response.
fn http_get(port: u16, path: &str) -> (u16, String) {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(s, "GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, out)
}

/// The value of the sample `series` (`name{labels}` exactly as exposed).
fn sample(page: &str, series: &str) -> Option<f64> {
    page.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

/// Every sample of the metric `name` (with labels) that is not zero, by
/// series. (The alertable counters are exposed at zero from the start.)
fn samples(page: &str, name: &str) -> BTreeMap<String, f64> {
    page.lines()
        .filter(|l| l.starts_with(&format!("{name}{{")))
        .filter_map(|l| {
            let (series, value) = l.rsplit_once(' ')?;
            Some((series.to_string(), value.parse().ok()?))
        })
        .filter(|(_, v)| *v != 0.0)
        .collect()
}

/// `serve` on a loopback port with one scan worker, a 2 s budget,
/// `on_failure = "tempfail"`, a relay nobody listens on (notices are
/// deferred) and `[metrics] listen` on another loopback port. `extra` is
/// appended to the `[milter]` section.
fn start(extra: &str) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let (port, metrics_port, relay_port) = (free_port(), free_port(), free_port());
    let rules = tiered_rules(dir.path());
    let config = dir.path().join("dlp.toml");
    std::fs::write(
        &config,
        format!(
            "data_dir = {:?}\n[organisation]\ndomains = [\"school.example\"]\n[rules]\ndir = {rules:?}\n\
             [log]\nlevel = \"info\"\n\
             [milter]\nlisten = \"inet:127.0.0.1:{port}\"\nscan_workers = 1\nscan_timeout_ms = 2000\n\
             worker_memory_mb = 256\non_failure = \"tempfail\"\ntest_fault_header = \"{FAULT_HEADER}\"\n{extra}\n\
             [quarantine]\nrelay = \"127.0.0.1:{relay_port}\"\n\
             [metrics]\nlisten = \"127.0.0.1:{metrics_port}\"\n",
            dir.path().join("data"),
        ),
    )
    .unwrap();
    let log = dir.path().join("milter.log");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dlp-milter"));
    cmd.args(["serve", "--config"])
        .arg(&config)
        .env("DLP_MILTER_TEST_FAULTS", "1")
        .stderr(std::fs::File::create(&log).unwrap());
    let daemon = Daemon(cmd.spawn().expect("cannot start dlp-milter"));
    let t = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err()
        || std::net::TcpStream::connect(("127.0.0.1", metrics_port)).is_err()
    {
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "daemon did not start:\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    Setup {
        dir,
        config,
        log,
        port,
        metrics_port,
        _daemon: daemon,
    }
}

/// A message from the school's office: its headers and body.
struct Msg {
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Msg {
    fn new(to: &str, subject: &str, extra: &[(&str, &str)], body: &str) -> Msg {
        let mut headers = vec![
            ("From".to_string(), "office@school.example".to_string()),
            ("To".to_string(), to.to_string()),
            ("Subject".to_string(), subject.to_string()),
        ];
        headers.extend(extra.iter().map(|(n, v)| (n.to_string(), v.to_string())));
        Msg {
            headers,
            body: body.as_bytes().to_vec(),
        }
    }

    fn eml(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for (n, v) in &self.headers {
            out.extend_from_slice(format!("{n}: {v}\r\n").as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&self.body);
        out
    }
}

const MULTIPART: [(&str, &str); 2] = [
    ("MIME-Version", "1.0"),
    ("Content-Type", "multipart/mixed; boundary=\"b\""),
];

fn clean() -> Msg {
    Msg::new(
        "parent@other.example",
        "Trip on Friday",
        &[],
        "The coach leaves at 9am; please bring a packed lunch.\r\n",
    )
}

/// NI numbers in a CSV: held (unencrypted attachment with personal data).
fn ni_csv() -> Msg {
    Msg::new(
        "someone@other.example",
        "list",
        &MULTIPART,
        "--b\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n--b\r\n\
Content-Type: text/csv; name=\"pupils.csv\"\r\nContent-Disposition: attachment; filename=\"pupils.csv\"\r\n\r\n\
name,ni_number\r\nAmy Khan,AB123456C\r\nBen Okafor,JG103759A\r\nCara Nowak,CE556677A\r\n--b--\r\n",
    )
}

/// Eight parents visible in To: rewritten (the tiered rules' first tier).
fn newsletter() -> Msg {
    let to: Vec<String> = (1..=8)
        .map(|i| format!("parent{i}@family{i}.example"))
        .collect();
    Msg::new(
        &to.join(", "),
        "Newsletter",
        &[],
        "Dear parents, the summer fair is on Saturday.\r\n",
    )
}

/// A ZIP that cannot be opened: an extraction error, held as an
/// unscanned document by the shipped rules.
fn broken_zip() -> Msg {
    Msg::new(
        "someone@other.example",
        "the files",
        &MULTIPART,
        "--b\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n--b\r\n\
Content-Type: application/zip; name=\"pupils.zip\"\r\nContent-Disposition: attachment; filename=\"pupils.zip\"\r\n\
Content-Transfer-Encoding: base64\r\n\r\nUEsDBBQAAAAIAGdhcmJhZ2Utbm90LWEtcmVhbC16aXBnYXJiYWdlLW5vdC1hLXJlYWwtemlw\r\n--b--\r\n",
    )
}

/// A clean message whose scan hangs (test fault): killed at the budget.
fn hanging() -> Msg {
    let mut m = clean();
    m.headers.push((FAULT_HEADER.into(), "hang".into()));
    m
}

/// Sends one message on its own connection; the MTA's answer.
async fn send(port: u16, m: &Msg) -> Status {
    send_message(port, "someone@other.example", &m.headers, &m.body, None).await
}

/// What the `scan` command reports for `m` under `config`.
fn scanned(config: &Path, dir: &Path, name: &str, m: &Msg) -> serde_json::Value {
    let path = dir.join(format!("{name}.eml"));
    std::fs::write(&path, m.eml()).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_dlp-milter"))
        .args(["scan", "--format", "json", "--config"])
        .arg(config)
        .arg(&path)
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{name}: {e}: {}", String::from_utf8_lossy(&out.stdout)))
}

#[test]
fn counts_after_real_traffic_are_exact_and_healthz_follows_the_store() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let s = start("");

    // Nothing yet: healthy, no messages, nothing held, no session open.
    let body = s.health_becomes(200);
    assert!(body.contains("writable"), "{body}");
    let page = s.page();
    assert!(
        samples(&page, "dlp_milter_messages_total").is_empty(),
        "{page}"
    );
    assert_eq!(
        sample(&page, "dlp_milter_holds_pending"),
        Some(0.0),
        "{page}"
    );
    assert_eq!(
        sample(&page, "dlp_milter_sessions_open"),
        Some(0.0),
        "{page}"
    );
    assert!(page.contains("# TYPE dlp_milter_scan_duration_seconds histogram"));
    // What alerts watch is there at zero before anything happens.
    for series in [
        "dlp_milter_fail_open_total{cause=\"timeout\"}",
        "dlp_milter_tempfails_total{cause=\"hold-failed\"}",
        "dlp_milter_notices_total{kind=\"sender_hold\",outcome=\"failed\"}",
    ] {
        assert_eq!(sample(&page, series), Some(0.0), "{series}\n{page}");
    }

    // A connection open counts while it is open.
    let conn = rt.block_on(async {
        TestConnection::configure()
            .open_tcp(("127.0.0.1", s.port))
            .await
            .unwrap()
    });
    s.page_when("one session open", |p| {
        sample(p, "dlp_milter_sessions_open") == Some(1.0)
    });
    rt.block_on(async {
        let _ = conn.close().await;
    });
    s.page_when("the session closed", |p| {
        sample(p, "dlp_milter_sessions_open") == Some(0.0)
    });

    // The traffic, and what the milter answered.
    let traffic = [
        ("clean", clean(), Status::Accept, "accept"),
        ("ni-csv", ni_csv(), Status::Discard, "held"),
        ("newsletter", newsletter(), Status::Accept, "accept"),
        ("broken-zip", broken_zip(), Status::Discard, "held"),
    ];
    let mut want_messages: BTreeMap<String, f64> = BTreeMap::new();
    let mut want_findings: BTreeMap<String, f64> = BTreeMap::new();
    let mut verdicts = Vec::new();
    for (name, m, status, action) in &traffic {
        let got = rt.block_on(send(s.port, m));
        assert_eq!(got, *status, "{name}\n{}", s.log());
        let report = scanned(&s.config, s.dir.path(), name, m);
        let verdict = report["verdict"].as_str().unwrap().to_string();
        verdicts.push(verdict.clone());
        *want_messages
            .entry(format!(
                "dlp_milter_messages_total{{direction=\"outbound\",verdict=\"{verdict}\",action=\"{action}\"}}"
            ))
            .or_default() += 1.0;
        for f in report["findings"].as_array().unwrap() {
            *want_findings
                .entry(format!(
                    "dlp_milter_findings_total{{category=\"{}\",detector=\"{}\",rule=\"{}\"}}",
                    f["category"].as_str().unwrap(),
                    f["detector"].as_str().unwrap(),
                    f["rule"].as_str().unwrap()
                ))
                .or_default() += 1.0;
        }
    }
    // The traffic reaches every verdict it was built for.
    assert_eq!(verdicts, ["accept", "hold", "rewrite", "hold"]);

    // A scan over its budget: the worker killed, TEMPFAIL (on_failure).
    let got = rt.block_on(send(s.port, &hanging()));
    assert!(
        matches!(got, Status::Tempfail { .. }),
        "{got:?}\n{}",
        s.log()
    );
    *want_messages
        .entry(
            "dlp_milter_messages_total{direction=\"outbound\",verdict=\"none\",action=\"fail-closed\"}"
                .to_string(),
        )
        .or_default() += 1.0;

    // The notice thread and the replacement worker run on their own time.
    // So do the sessions' ends after the client hung up.
    let page = s.page_when(
        "two deferred notices, a restarted worker, no session open",
        |p| {
            sample(
                p,
                "dlp_milter_notices_total{kind=\"sender_hold\",outcome=\"deferred\"}",
            ) == Some(2.0)
                && sample(p, "dlp_milter_worker_restarts_total{result=\"ok\"}") == Some(1.0)
                && sample(p, "dlp_milter_sessions_open") == Some(0.0)
        },
    );
    assert_eq!(samples(&page, "dlp_milter_messages_total"), want_messages);
    assert_eq!(samples(&page, "dlp_milter_findings_total"), want_findings);
    assert!(!want_findings.is_empty());
    for (series, want) in [
        ("dlp_milter_scan_duration_seconds_count", 4.0),
        ("dlp_milter_holds_pending", 2.0),
        ("dlp_milter_notices_queued", 2.0),
        ("dlp_milter_sessions_open", 0.0),
    ] {
        assert_eq!(sample(&page, series), Some(want), "{series}\n{page}");
    }
    let one = |name: &str, series: &str| {
        let mut want = BTreeMap::new();
        want.insert(series.to_string(), 1.0);
        assert_eq!(samples(&page, name), want, "{name}\n{page}");
    };
    one(
        "dlp_milter_tempfails_total",
        "dlp_milter_tempfails_total{cause=\"timeout\"}",
    );
    one(
        "dlp_milter_worker_exits_total",
        "dlp_milter_worker_exits_total{reason=\"timeout\"}",
    );
    one(
        "dlp_milter_extraction_errors_total",
        "dlp_milter_extraction_errors_total{reason=\"corrupt\"}",
    );
    assert!(samples(&page, "dlp_milter_fail_open_total").is_empty());
    assert!(samples(&page, "dlp_milter_caps_hit_total").is_empty());

    // Another process keeps the quarantine's write lock: no hold could be
    // stored now, and /healthz says so; /metrics still answers.
    let db = rusqlite::Connection::open(s.dir.path().join("data/quarantine.db")).unwrap();
    db.execute_batch("BEGIN IMMEDIATE").unwrap();
    let body = s.health_becomes(503);
    assert!(body.contains("not writable"), "{body}");
    let (status, page) = s.get("/metrics");
    assert_eq!(status, 200, "{page}");
    assert_eq!(
        sample(&page, "dlp_milter_holds_pending"),
        Some(2.0),
        "{page}"
    );
    db.execute_batch("ROLLBACK").unwrap();
    s.health_becomes(200);
}

#[test]
fn healthz_fails_when_the_spool_cannot_be_written() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let s = start("store = \"spool\"");
    s.health_becomes(200);
    assert_eq!(rt.block_on(send(s.port, &ni_csv())), Status::Discard);
    let page = s.page();
    assert_eq!(
        sample(&page, "dlp_milter_holds_pending"),
        Some(1.0),
        "{page}"
    );
    assert_eq!(
        sample(&page, "dlp_milter_notices_queued"),
        Some(0.0),
        "{page}"
    );

    // The spool directory replaced by a file: nothing can be written there,
    // root included.
    let spool = s.dir.path().join("data/spool");
    std::fs::rename(&spool, s.dir.path().join("spool-moved")).unwrap();
    std::fs::write(&spool, b"not a directory").unwrap();
    let body = s.health_becomes(503);
    assert!(body.contains("not writable"), "{body}");
    // As a hold would: the next held message is not lost but retried.
    let got = rt.block_on(send(s.port, &ni_csv()));
    assert!(matches!(got, Status::Tempfail { .. }), "{got:?}");
    let page = s.page();
    assert_eq!(
        sample(&page, "dlp_milter_tempfails_total{cause=\"hold-failed\"}"),
        Some(1.0),
        "{page}"
    );

    std::fs::remove_file(&spool).unwrap();
    std::fs::rename(s.dir.path().join("spool-moved"), &spool).unwrap();
    s.health_becomes(200);
}
