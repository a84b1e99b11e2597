//! The failure policy as one decision table: what the milter does with a
//! message it could not check, for each cause and `milter.on_failure`.
//! docs/milter.md shows the same table to admins; the tests below are it.

use super::{FailurePolicy, HoldMode};

/// Why a message could not be (fully) checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// Larger than `milter.max_message_bytes`: not even collected.
    Oversize,
    /// The scan overran `milter.scan_timeout_ms` (its worker was killed).
    Timeout,
    /// The scan worker died: its memory or CPU limit, or a crash.
    Died,
    /// The scan failed: a parser panicked (caught).
    Failed,
    /// No scan could be started (no worker could be spawned).
    Unavailable,
    /// The scan finished, but its report says something hit a limit or a
    /// document or archive could not be opened (and is not encrypted).
    Incomplete,
}

impl Cause {
    /// The cause as a metric label and log word.
    pub fn as_str(self) -> &'static str {
        match self {
            Cause::Oversize => "oversize",
            Cause::Timeout => "timeout",
            Cause::Died => "died",
            Cause::Failed => "failed",
            Cause::Unavailable => "unavailable",
            Cause::Incomplete => "incomplete",
        }
    }
}

/// What to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Response {
    /// Hold it with the reason "could not be checked". `postfix` says
    /// where: Postfix's hold queue (hold mode `postfix-hold`, or a message
    /// too large to have been kept) instead of the quarantine. A hold that
    /// cannot be stored becomes a TEMPFAIL.
    Hold { postfix: bool },
    /// 451 4.7.1: the client retries later.
    Tempfail,
    /// Accept, tagged `X-DLP-Verdict: unscanned`.
    AcceptTagged,
    /// Carry out the scan's own decision (the rules decide, e.g. the
    /// shipped `unscanned-document` rule).
    AsDecided,
}

/// The decision table. `enforced` is false in monitor mode, where nothing
/// is ever held: a failure is accepted and tagged, an incomplete scan's
/// decision is reported as usual.
pub fn respond(
    policy: FailurePolicy,
    cause: Cause,
    hold_mode: HoldMode,
    enforced: bool,
) -> Response {
    match policy.effective() {
        FailurePolicy::Tempfail => Response::Tempfail,
        FailurePolicy::Accept | FailurePolicy::Open => match cause {
            Cause::Incomplete => Response::AsDecided,
            _ => Response::AcceptTagged,
        },
        FailurePolicy::Hold | FailurePolicy::Auto | FailurePolicy::Closed if !enforced => {
            match cause {
                Cause::Incomplete => Response::AsDecided,
                _ => Response::AcceptTagged,
            }
        }
        FailurePolicy::Hold | FailurePolicy::Auto | FailurePolicy::Closed => Response::Hold {
            postfix: cause == Cause::Oversize || hold_mode == HoldMode::PostfixHold,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CAUSES: [Cause; 6] = [
        Cause::Oversize,
        Cause::Timeout,
        Cause::Died,
        Cause::Failed,
        Cause::Unavailable,
        Cause::Incomplete,
    ];

    #[test]
    fn hold_is_the_default_and_holds_every_cause() {
        assert_eq!(FailurePolicy::default(), FailurePolicy::Hold);
        for c in CAUSES {
            let r = respond(FailurePolicy::Hold, c, HoldMode::Quarantine, true);
            assert_eq!(
                r,
                Response::Hold {
                    postfix: c == Cause::Oversize
                },
                "{c:?}"
            );
        }
    }

    #[test]
    fn postfix_hold_mode_holds_in_postfix() {
        for c in CAUSES {
            assert_eq!(
                respond(FailurePolicy::Hold, c, HoldMode::PostfixHold, true),
                Response::Hold { postfix: true },
                "{c:?}"
            );
        }
    }

    #[test]
    fn auto_no_longer_fails_open() {
        // `auto` used to accept a timed-out or panicked scan unscanned.
        for c in CAUSES {
            assert_eq!(
                respond(FailurePolicy::Auto, c, HoldMode::Quarantine, true),
                respond(FailurePolicy::Hold, c, HoldMode::Quarantine, true),
                "{c:?}"
            );
        }
    }

    #[test]
    fn tempfail_and_closed_always_tempfail() {
        for p in [FailurePolicy::Tempfail, FailurePolicy::Closed] {
            for c in CAUSES {
                for enforced in [true, false] {
                    assert_eq!(
                        respond(p, c, HoldMode::Quarantine, enforced),
                        Response::Tempfail,
                        "{p:?} {c:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn accept_and_open_tag_failures_and_leave_incomplete_scans_to_the_rules() {
        for p in [FailurePolicy::Accept, FailurePolicy::Open] {
            for c in CAUSES {
                let want = if c == Cause::Incomplete {
                    Response::AsDecided
                } else {
                    Response::AcceptTagged
                };
                assert_eq!(
                    respond(p, c, HoldMode::Quarantine, true),
                    want,
                    "{p:?} {c:?}"
                );
            }
        }
    }

    #[test]
    fn monitor_mode_never_holds() {
        for c in CAUSES {
            let r = respond(FailurePolicy::Hold, c, HoldMode::Quarantine, false);
            assert!(!matches!(r, Response::Hold { .. }), "{c:?}");
        }
    }

    #[test]
    fn old_names_parse() {
        use crate::config::Config;
        for (name, want) in [
            ("auto", FailurePolicy::Hold),
            ("open", FailurePolicy::Accept),
            ("closed", FailurePolicy::Tempfail),
            ("hold", FailurePolicy::Hold),
            ("tempfail", FailurePolicy::Tempfail),
            ("accept", FailurePolicy::Accept),
        ] {
            let c = Config::from_toml("c.toml", &format!("[milter]\non_failure = \"{name}\"\n"))
                .unwrap();
            assert_eq!(c.milter.on_failure.effective(), want, "{name}");
        }
    }
}
