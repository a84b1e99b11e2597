//! Helpers shared by the tests that run the `dlp-milter serve` binary
//! (`mod milter_support;` in tests/milter_miltertest.rs and
//! tests/milter_load.rs). Compiled on its own it is an empty test crate.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
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
