//! Shared vocabulary of the daemon side: the names this milter writes into
//! mail, which several stages must spell the same way.
//!
//! A leaf module (it imports nothing from the crate) so that any stage may
//! use it without an arrow running against the flow: the policy names the
//! verdict headers, the actions strip forged copies of them, the milter adds
//! them in Postfix hold mode, and the quarantine and notices sign their
//! markers under the last two. (The extraction ↔ detection words, text
//! kinds and not-scanned reasons, belong to the extraction side.)

/// The prefix of every header the milter writes or trusts: every incoming
/// header in it is stripped on every path that lets mail out.
pub const OWN_PREFIX: &str = "X-DLP-";

/// The verdict (`accept`, `tag`, `rewrite`, `hold`, `reject`, `unscanned`).
pub const VERDICT_HEADER: &str = "X-DLP-Verdict";

/// What was found: `rule category/detector in location; …`.
pub const FINDINGS_HEADER: &str = "X-DLP-Findings";

/// The rules that held a message, in Postfix hold mode.
pub const HOLD_RULES_HEADER: &str = "X-DLP-Hold-Rules";

/// Headers this milter owns. Copies arriving from outside are removed so a
/// sender cannot forge a verdict for the next hop to trust.
pub const OWN_HEADERS: [&str; 3] = [VERDICT_HEADER, FINDINGS_HEADER, HOLD_RULES_HEADER];

/// The rule id of a message held because it could not be checked (scan
/// failed, timed out, hit a limit, a document could not be opened): what
/// the quarantine, the audit trail and the notices show as its reason.
pub const COULD_NOT_CHECK_RULE: &str = "could-not-be-checked";

/// The signed marker on mail the quarantine released (honoured once).
pub const RELEASE_HEADER: &str = "X-DLP-Release";

/// The signed marker on our own notices (never scanned, so never held).
pub const NOTICE_HEADER: &str = "X-DLP-Notice";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_is_ours_and_distinct() {
        let all = [OWN_HEADERS.as_slice(), &[RELEASE_HEADER, NOTICE_HEADER]].concat();
        for (i, a) in all.iter().enumerate() {
            assert!(a.starts_with(OWN_PREFIX), "{a}");
            for b in &all[i + 1..] {
                assert!(!a.eq_ignore_ascii_case(b), "{a} twice");
            }
        }
    }
}
