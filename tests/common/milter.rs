//! Helpers shared by the tests that run the `dlp-milter serve` binary
//! (included with `#[path]` as `milter_support` in tests/milter_miltertest.rs,
//! tests/metrics.rs, tests/milter_workers.rs and others).
#![allow(dead_code)]

use indymilter_test::{MacroStage, Status, TestConnection};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The daemon process; killed when dropped, so a failing test leaves nothing behind.
pub struct Daemon(pub Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A TCP port nobody listens on (bound, then released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("no free port")
}

/// A rules folder in `dir`: the shipped rules with the recipients rule split
/// into the three tiers of scripts/e2e-rules (8 visible → rewrite, 25 →
/// hold, 45 → reject), so a test can reach every action with the one
/// detector that needs no content.
pub fn tiered_rules(dir: &Path) -> PathBuf {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let rules = dir.join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    for f in std::fs::read_dir(repo.join("rules")).unwrap().flatten() {
        std::fs::copy(f.path(), rules.join(f.file_name())).unwrap();
    }
    std::fs::copy(
        repo.join("scripts/e2e-rules/recipients.toml"),
        rules.join("recipients.toml"),
    )
    .unwrap();
    rules
}

/// Starts `dlp-milter serve --config CONFIG` (stderr to `log` if given)
/// and waits until `ready` says it listens.
pub fn start_daemon(config: &Path, log: Option<std::fs::File>, ready: impl Fn() -> bool) -> Daemon {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dlp-milter"));
    cmd.args(["serve", "--config"]).arg(config);
    if let Some(f) = log {
        cmd.stderr(f);
    }
    let daemon = Daemon(cmd.spawn().expect("cannot start dlp-milter"));
    let start = Instant::now();
    while !ready() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "daemon did not start"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    daemon
}

/// Sends one message to the daemon on 127.0.0.1:`port`, on its own
/// connection, as Postfix hands it over: signed in as `office`, from
/// office@school.example to `rcpt`, the header fields in order, the body in
/// chunks of at most 64 KiB, queue id Q1. Returns the milter's answer;
/// `read_timeout` is for a scan that may take longer than the client's
/// default wait.
pub async fn send_message<H: AsRef<str>>(
    port: u16,
    rcpt: &str,
    headers: &[(H, H)],
    body: &[u8],
    read_timeout: Option<Duration>,
) -> Status {
    let mut conf = TestConnection::configure();
    if let Some(t) = read_timeout {
        conf = conf.read_timeout(t);
    }
    let mut c = conf.open_tcp(("127.0.0.1", port)).await.unwrap();
    c.macros(MacroStage::Mail, [("{auth_authen}", "office")])
        .await
        .unwrap();
    c.mail(["<office@school.example>"]).await.unwrap();
    c.rcpt([format!("<{rcpt}>").as_str()]).await.unwrap();
    for (n, v) in headers {
        c.header(n.as_ref(), v.as_ref()).await.unwrap();
    }
    for chunk in body.chunks(65_535) {
        c.body(chunk.to_vec()).await.unwrap();
    }
    c.macros(MacroStage::Eom, [("i", "Q1")]).await.unwrap();
    let (_, status) = c.eom().await.unwrap();
    let _ = c.close().await;
    status
}

/// Whether `cmd` is on PATH (a peer program such as miltertest).
pub fn have(cmd: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {cmd}"))
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A peer the test needs is missing: says so on stderr (the test then
/// returns, passing), or fails when `DLP_REQUIRE_PEERS` is set, as in CI.
pub fn skip(why: &str) {
    if std::env::var_os("DLP_REQUIRE_PEERS").is_some() {
        panic!("{why} (DLP_REQUIRE_PEERS is set)");
    }
    eprintln!("SKIPPED: {why}");
}
