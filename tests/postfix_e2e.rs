//! End-to-end through a real Postfix: runs scripts/postfix-e2e.sh (a
//! throwaway Postfix on loopback relaying to smtp-sink; every action, both
//! socket kinds, sendmail(1), postfix-hold, SIGKILL mid-burst) against the
//! binary cargo just built. About 40 s.
//!
//! Needs root (it starts Postfix) and installs Postfix when missing. When
//! that is impossible the script exits 77 and this test reports SKIPPED on
//! stderr; with DLP_REQUIRE_PEERS=1 (CI) a skip is a failure.

#[path = "common/peer_script.rs"]
mod peer_script;

#[test]
fn postfix_end_to_end() {
    let Some(stdout) = peer_script::run("postfix-e2e.sh", "Postfix end-to-end test") else {
        return;
    };
    eprintln!("{stdout}");
}
