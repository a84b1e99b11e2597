//! Runs one of the end-to-end scripts under scripts/ (a real Postfix, and
//! OpenDKIM or a SASL stub beside it) against the binary cargo just built.
//!
//! The scripts need root and install their peers when missing; when that is
//! impossible they exit 77 and the test reports SKIPPED on stderr. With
//! DLP_REQUIRE_PEERS=1 (CI) a skip is a failure.

use std::process::Command;

/// The script's stdout when it passed; `None` when it skipped (and skipping
/// is allowed). Panics on a failure, with both outputs.
pub fn run(script: &str, what: &str) -> Option<String> {
    let repo = env!("CARGO_MANIFEST_DIR");
    let out = Command::new("bash")
        .arg(format!("{repo}/scripts/{script}"))
        .arg(env!("CARGO_BIN_EXE_dlp-milter"))
        .output()
        .expect("cannot run bash");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    if out.status.code() == Some(77) {
        if std::env::var_os("DLP_REQUIRE_PEERS").is_some() {
            panic!("{what} skipped but DLP_REQUIRE_PEERS is set:\n{stderr}");
        }
        eprintln!("SKIPPED: {}", stderr.trim());
        return None;
    }
    assert!(
        out.status.success(),
        "{script} failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    Some(stdout)
}
