//! The scan worker pool of a real `dlp-milter serve`: a scan that hangs,
//! blows up its memory, panics or crashes costs only its own message (held
//! as "could not be checked", never accepted unscanned), its worker is
//! replaced, and the next messages are scanned as usual — with a single
//! worker, so a stuck scan that kept its worker would show.
//!
//! The misbehaviour is asked for with `milter.test_fault_header`, which the
//! daemon honours only when started with `DLP_MILTER_TEST_FAULTS=1`; the
//! last test checks that without it the header does nothing.

#[path = "common/milter.rs"]
mod milter_support;

use indymilter_test::Status;
use milter_support::{free_port, send_message, Daemon};
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

const FAULT_HEADER: &str = "X-DLP-Test-Fault";
/// `milter.scan_timeout_ms` in these tests.
const BUDGET_MS: u64 = 2000;

struct Setup {
    _dir: tempfile::TempDir,
    config: PathBuf,
    log: PathBuf,
    port: u16,
    daemon: Daemon,
}

impl Setup {
    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Rules ids of the held messages in the quarantine.
    fn held_rules(&self) -> Vec<String> {
        let out = Command::new(env!("CARGO_BIN_EXE_dlp-milter"))
            .args(["quarantine", "list", "--format", "json", "--config"])
            .arg(&self.config)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        text.lines()
            .filter(|l| l.contains("\"state\":\"held\""))
            .map(str::to_string)
            .collect()
    }
}

/// `serve` with one scan worker (256 MiB, a 2 s budget); test faults on or off.
fn start(faults: bool) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let config = dir.path().join("dlp.toml");
    std::fs::write(
        &config,
        format!(
            "data_dir = {:?}\n[organisation]\ndomains = [\"school.example\"]\n[log]\nlevel = \"info\"\n\
             [milter]\nlisten = \"inet:127.0.0.1:{port}\"\nscan_workers = 1\nscan_timeout_ms = {BUDGET_MS}\n\
             worker_memory_mb = 256\ntest_fault_header = \"{FAULT_HEADER}\"\n",
            dir.path().join("data"),
        ),
    )
    .unwrap();
    let log = dir.path().join("milter.log");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dlp-milter"));
    cmd.args(["serve", "--config"])
        .arg(&config)
        .stderr(std::fs::File::create(&log).unwrap());
    if faults {
        cmd.env("DLP_MILTER_TEST_FAULTS", "1");
    } else {
        cmd.env_remove("DLP_MILTER_TEST_FAULTS");
    }
    let daemon = Daemon(cmd.spawn().expect("cannot start dlp-milter"));
    let t = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "daemon did not start"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    Setup {
        _dir: dir,
        config,
        log,
        port,
        daemon,
    }
}

/// A message: headers (with an optional fault) and a body.
struct Msg {
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn clean(fault: Option<&str>) -> Msg {
    let mut headers = vec![
        ("From".to_string(), "office@school.example".to_string()),
        ("To".to_string(), "parent@other.example".to_string()),
        ("Subject".to_string(), "Trip on Friday".to_string()),
    ];
    if let Some(f) = fault {
        headers.push((FAULT_HEADER.to_string(), f.to_string()));
    }
    Msg {
        headers,
        body: b"The coach leaves at 9am; please bring a packed lunch.\r\n".to_vec(),
    }
}

/// A CSV of NI numbers: held by the shipped rules (unencrypted attachment).
/// `tag` makes each one a new message (the quarantine takes an identical
/// one for a client's retry and keeps one copy).
fn ni_csv(tag: &str) -> Msg {
    Msg {
        headers: vec![
            ("From".into(), "office@school.example".into()),
            ("To".into(), "someone@other.example".into()),
            ("Subject".into(), format!("list {tag}")),
            ("MIME-Version".into(), "1.0".into()),
            ("Content-Type".into(), "multipart/mixed; boundary=\"b\"".into()),
        ],
        body: b"--b\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n--b\r\n\
Content-Type: text/csv; name=\"pupils.csv\"\r\nContent-Disposition: attachment; filename=\"pupils.csv\"\r\n\r\n\
name,ni_number\r\nAmy Khan,AB123456C\r\nBen Okafor,JG103759A\r\nCara Nowak,CE556677A\r\n--b--\r\n"
            .to_vec(),
    }
}

/// Sends one message on a new connection; its status and how long it took.
async fn send(port: u16, m: &Msg) -> (Status, Duration) {
    let t = Instant::now();
    let status = send_message(port, "someone@other.example", &m.headers, &m.body, None).await;
    (status, t.elapsed())
}

/// Worker processes of the daemon (children running `scan-worker`).
fn workers(daemon_pid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let stat = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
        let ppid = stat
            .rsplit_once(") ")
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|p| p.parse::<u32>().ok());
        let cmd = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
        if ppid == Some(daemon_pid) && cmd.windows(11).any(|w| w == b"scan-worker") {
            out.push(pid);
        }
    }
    out
}

fn wait_for_worker(pid: u32) -> Vec<u32> {
    let t = Instant::now();
    loop {
        let w = workers(pid);
        if !w.is_empty() {
            return w;
        }
        assert!(t.elapsed() < Duration::from_secs(20), "no scan worker");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn assert_normal_service(s: &Setup, rt: &tokio::runtime::Runtime, after: &str) {
    let (st, _) = rt.block_on(send(s.port, &ni_csv(after)));
    assert_eq!(st, Status::Discard, "NI CSV after {after}\n{}", s.log());
    let (st, _) = rt.block_on(send(s.port, &clean(None)));
    assert_eq!(
        st,
        Status::Accept,
        "clean message after {after}\n{}",
        s.log()
    );
}

#[test]
fn misbehaving_scans_are_held_and_cost_only_their_message() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let s = start(true);
    let pid = s.daemon.0.id();
    assert_normal_service(&s, &rt, "start");
    let mut held = s.held_rules().len();
    // What each fault must leave in the daemon's log (its worker's stderr
    // included): the kill, the allocator failing at the memory limit (not
    // the budget), the caught panic, the abort.
    let signs = [
        ("hang", "the worker was killed"),
        ("memory", "memory allocation of"),
        ("panic", "test fault: panic in a parser"),
        ("crash", "SIGABRT"),
    ];
    for (fault, sign) in signs {
        let log_before = s.log().len();
        let before = wait_for_worker(pid);
        let (st, took) = rt.block_on(send(s.port, &clean(Some(fault))));
        assert_eq!(
            st,
            Status::Discard,
            "{fault}: must be held, not {st:?}\n{}",
            s.log()
        );
        // Killed within the budget (plus the hand-off), not waited for.
        assert!(
            took < Duration::from_millis(BUDGET_MS + 1500),
            "{fault}: answered after {took:?}"
        );
        let log = s.log();
        let new_lines = log.get(log_before..).unwrap_or_default();
        assert!(
            new_lines.contains(sign),
            "{fault}: no {sign:?} in\n{new_lines}"
        );
        if fault == "memory" {
            assert!(!new_lines.contains("the worker was killed"), "{new_lines}");
        }
        let rows = s.held_rules();
        assert_eq!(rows.len(), held + 1, "{fault}: {rows:?}");
        assert!(
            rows.iter().any(|r| r.contains("could-not-be-checked")),
            "{fault}: {rows:?}"
        );
        held = rows.len() + 1; // the NI CSV below is held too
        if fault != "panic" {
            // The worker died or was killed, and another took its place.
            let after = wait_for_worker(pid);
            assert!(
                before.iter().all(|p| !after.contains(p)),
                "{fault}: worker {before:?} not replaced ({after:?})"
            );
        }
        assert_normal_service(&s, &rt, fault);
        // A replacement may race a scan that started its own worker; the
        // extra one is retired at once.
        let t = Instant::now();
        while workers(pid).len() > 1 {
            assert!(
                t.elapsed() < Duration::from_secs(5),
                "{fault}: more workers than scan_workers: {:?}",
                workers(pid)
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    assert!(s.log().contains("scan worker died"));
}

#[test]
fn one_stuck_message_never_makes_the_next_fail_open() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let s = start(true);
    wait_for_worker(s.daemon.0.id());
    // The only worker is stuck while the NI CSV arrives: it waits, and
    // gets a worker or its own "could not be checked" hold — never an
    // unscanned accept.
    let (stuck, csv) = rt.block_on(async {
        let port = s.port;
        let stuck = tokio::spawn(async move { send(port, &clean(Some("hang"))).await });
        tokio::time::sleep(Duration::from_millis(200)).await;
        let csv = send(s.port, &ni_csv("concurrent")).await;
        (stuck.await.unwrap(), csv)
    });
    assert_eq!(stuck.0, Status::Discard, "{}", s.log());
    assert_eq!(csv.0, Status::Discard, "{}", s.log());
    assert_normal_service(&s, &rt, "a stuck scan");
}

#[test]
fn the_fault_header_does_nothing_without_the_environment_switch() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let s = start(false);
    for fault in ["crash", "hang"] {
        let (st, took) = rt.block_on(send(s.port, &clean(Some(fault))));
        assert_eq!(st, Status::Accept, "{fault}\n{}", s.log());
        assert!(took < Duration::from_millis(BUDGET_MS), "{fault}: {took:?}");
    }
    assert!(s.held_rules().is_empty());
}
