//! The direction check behind a real Postfix: runs
//! scripts/postfix-direction-e2e.sh (a throwaway Postfix on loopback whose
//! XCLIENT lets the test claim a client address and a SASL login) against
//! the binary cargo just built. Inbound mail with NINOs and 40 addresses in
//! To is delivered byte for byte; the same from a logged-in user is held; a
//! forged internal From from outside stays inbound; internal mail from a
//! trusted client and sendmail(1) mail are scanned. About 20 s.
//!
//! Needs root (it starts Postfix). When that is impossible the script
//! exits 77 and this test reports SKIPPED on stderr; with
//! DLP_REQUIRE_PEERS=1 (CI) a skip is a failure.

#[path = "common/peer_script.rs"]
mod peer_script;

#[test]
fn postfix_direction_end_to_end() {
    let Some(stdout) = peer_script::run("postfix-direction-e2e.sh", "Postfix direction test")
    else {
        return;
    };
    assert!(stdout.contains("PASS: 5 checks"), "{stdout}");
    eprintln!("{stdout}");
}
