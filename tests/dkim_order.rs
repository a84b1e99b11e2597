//! dlp-milter beside a real OpenDKIM behind a real Postfix: runs
//! scripts/dkim-order.sh against the binary cargo just built. dlp-milter
//! listed first, the rewritten newsletter's DKIM signature verifies (dkimpy,
//! key from a file); OpenDKIM first, it fails; `doctor` says which. ~20 s.
//!
//! Needs root (it starts Postfix) and installs postfix, opendkim,
//! opendkim-tools and python3-dkim when missing. When that is impossible the
//! script exits 77 and this test reports SKIPPED on stderr; with
//! DLP_REQUIRE_PEERS=1 (CI) a skip is a failure.

#[path = "common/peer_script.rs"]
mod peer_script;

#[test]
fn dkim_signature_survives_only_when_dlp_milter_runs_first() {
    let Some(stdout) = peer_script::run("dkim-order.sh", "DKIM order test") else {
        return;
    };
    for step in [
        "ok: dlp-milter, then OpenDKIM: To rewritten, DKIM signature verifies",
        "ok: OpenDKIM, then dlp-milter: To rewritten after signing, the signature fails",
        "ok: doctor flags the signer listed first",
    ] {
        assert!(stdout.contains(step), "missing {step:?}:\n{stdout}");
    }
}
