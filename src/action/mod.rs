//! Actions: a [`Decision`] → the concrete edits and the final answer the
//! milter gives the MTA.
//!
//! Stage 5 of the flow, kept pure (no sockets, no tokio) so every rewrite is
//! unit-tested without an MTA: the milter only replays the [`Plan`] over the
//! wire. Postfix quirks handled here, not in the session code:
//! `CHGHEADER` indexes count 1-based among headers of the same name, so
//! several headers of one name are changed from the last to the first (an
//! index stays valid whether or not the MTA renumbers after a delete); the
//! body replacement comes last, in one run of chunks, because Postfix
//! (milter8.c) closes a body replacement at the first other request and
//! refuses any REPLBODY after that ("body replacement requests can't
//! currently be mixed with other requests").

use crate::detect::{recipients::Internal, Category};
use crate::message::{self, domain_of};
use crate::policy::{Action, Decision, PlannedAction};

/// The headers this milter owns (stripped when they arrive from outside) and
/// those released mail and our notices carry; named in [`crate::vocab`].
pub use crate::vocab::{NOTICE_HEADER, OWN_HEADERS, OWN_PREFIX, RELEASE_HEADER};

/// How exposed To/Cc lists are rewritten (a `[milter]` setting).
pub use crate::config::RecipientRewrite;

/// Header values are cut to this many bytes (RFC 5322 allows 998 per line;
/// the MTA folds nothing for us).
pub const MAX_HEADER_VALUE: usize = 900;

/// What the placeholder says where a password was.
pub const REDACTED: &str = "[password removed by the data protection filter]";

/// One change to the message, as the milter protocol expresses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    AddHeader {
        name: String,
        value: String,
    },
    /// Change (or, with `value: None`, delete) the `index`-th (1-based)
    /// header called `name`.
    ChangeHeader {
        name: String,
        index: i32,
        value: Option<String>,
    },
    /// Replace the whole body (CRLF line ends, as received).
    ReplaceBody(Vec<u8>),
}

/// What becomes of the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disposition {
    /// Let it go (with `edits` applied).
    Accept,
    /// Keep it from leaving: the milter stores it or asks Postfix to hold it.
    Hold { rules: Vec<String> },
    /// Refuse it with a 5xx quoting the policy.
    Reject { reply: String },
}

/// The complete answer for one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub disposition: Disposition,
    pub edits: Vec<Edit>,
    /// Rewrites actually planned, for the audit record and the log line.
    pub rewrites: Vec<&'static str>,
    /// A rewrite could not be carried out, so the message is held instead.
    pub escalated: Option<String>,
}

/// Everything the planner needs besides the decision.
pub struct Input<'a> {
    /// Headers as received, in order: (name, value).
    pub headers: &'a [(String, String)],
    /// The body as received.
    pub body: &'a [u8],
    pub internal: &'a Internal,
    pub recipient_rewrite: RecipientRewrite,
}

/// Turns a decision into edits and a disposition. In monitor mode
/// (`enforced == false`) nothing is changed: the message is accepted as is.
pub fn plan(decision: &Decision, input: &Input<'_>) -> Plan {
    let mut p = Plan {
        disposition: Disposition::Accept,
        edits: strip_own_headers(input.headers),
        rewrites: Vec::new(),
        escalated: None,
    };
    if !decision.enforced {
        return p;
    }
    let stripped = p.edits.len();
    let mut body_edit = None;
    let mut header_edits = Vec::new();
    for a in &decision.actions {
        match a {
            PlannedAction::Reject { reply, .. } => {
                p.disposition = Disposition::Reject {
                    reply: smtp_text(reply),
                };
                p.edits.clear();
                return p;
            }
            PlannedAction::Hold { rules } => {
                p.disposition = Disposition::Hold {
                    rules: rules.clone(),
                };
            }
            PlannedAction::AddHeaders { headers } => {
                for (name, value) in headers {
                    header_edits.push(Edit::AddHeader {
                        name: name.clone(),
                        value: header_text(value),
                    });
                }
            }
            PlannedAction::RewriteRecipients { .. } => {
                header_edits.extend(rewrite_recipients(input));
                p.rewrites.push("recipients");
            }
            PlannedAction::ReplaceSubject { subject, .. } => {
                header_edits.extend(replace_all(input.headers, "Subject", &header_text(subject)));
                p.rewrites.push("subject");
            }
            PlannedAction::RedactPassword { rule, .. } => {
                let secrets: Vec<&str> = decision
                    .findings
                    .iter()
                    .filter(|m| {
                        m.finding.category == Category::InlinePassword
                            && m.action == Action::Rewrite
                    })
                    .filter_map(|m| m.finding.redact.as_deref())
                    .collect();
                match redact(body_edit.as_deref().unwrap_or(input.body), &secrets) {
                    Some(b) => {
                        body_edit = Some(b);
                        p.rewrites.push("password");
                    }
                    None => {
                        p.escalated = Some(format!(
                            "rule {rule}: the password could not be located in the raw body"
                        ));
                        p.disposition = Disposition::Hold {
                            rules: vec![rule.clone()],
                        };
                    }
                }
            }
        }
    }
    if let Disposition::Hold { .. } = p.disposition {
        // A held message is kept as received: only forged copies of our own
        // headers go (they matter in postfix-hold mode, where Postfix keeps
        // the edited message).
        p.edits.truncate(stripped);
        p.rewrites.clear();
        return p;
    }
    p.edits.extend(header_edits);
    if let Some(b) = body_edit {
        p.edits.push(Edit::ReplaceBody(b));
    }
    p
}

/// Edits that remove every incoming `X-DLP-*` header: our verdicts and
/// markers ([`OWN_HEADERS`], [`RELEASE_HEADER`], [`NOTICE_HEADER`]) and any
/// other name in our prefix, so nothing that looks like ours leaves
/// unless the milter itself wrote it, on every path that lets mail out.
pub fn strip_own_headers(headers: &[(String, String)]) -> Vec<Edit> {
    let mut names: Vec<String> = Vec::new();
    for (n, _) in headers {
        let n = n.trim();
        let ours = n
            .get(..OWN_PREFIX.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(OWN_PREFIX));
        if ours && !names.iter().any(|m| m.eq_ignore_ascii_case(n)) {
            names.push(n.to_string());
        }
    }
    let mut out = Vec::new();
    for name in names {
        out.extend(delete_all(headers, &name));
    }
    out
}

/// Deletes every header called `name`, last first.
pub fn delete_all(headers: &[(String, String)], name: &str) -> Vec<Edit> {
    let n = count(headers, name);
    (1..=n)
        .rev()
        .map(|index| Edit::ChangeHeader {
            name: name.to_string(),
            index,
            value: None,
        })
        .collect()
}

/// Gives the first header called `name` the value `value` and deletes the
/// others; adds the header if there is none.
fn replace_all(headers: &[(String, String)], name: &str, value: &str) -> Vec<Edit> {
    let n = count(headers, name);
    if n == 0 {
        return vec![Edit::AddHeader {
            name: name.to_string(),
            value: value.to_string(),
        }];
    }
    let mut out: Vec<Edit> = (2..=n)
        .rev()
        .map(|index| Edit::ChangeHeader {
            name: name.to_string(),
            index,
            value: None,
        })
        .collect();
    out.push(Edit::ChangeHeader {
        name: name.to_string(),
        index: 1,
        value: Some(value.to_string()),
    });
    out
}

fn count(headers: &[(String, String)], name: &str) -> i32 {
    let n = headers
        .iter()
        .filter(|(h, _)| h.eq_ignore_ascii_case(name))
        .count();
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// To/Cc of an exposed list: `undisclosed-recipients:;`, or only the
/// internal addresses. The envelope is left alone, so everyone still
/// receives the message.
fn rewrite_recipients(input: &Input<'_>) -> Vec<Edit> {
    let mut out = Vec::new();
    match input.recipient_rewrite {
        RecipientRewrite::Undisclosed => {
            out.extend(delete_all(input.headers, "Cc"));
            out.extend(replace_all(input.headers, "To", "undisclosed-recipients:;"));
        }
        RecipientRewrite::KeepInternal => {
            // Parse the headers the engine's way: same address rules.
            let mut block = Vec::new();
            for (n, v) in input.headers {
                block.extend_from_slice(n.as_bytes());
                block.extend_from_slice(b": ");
                block.extend_from_slice(v.trim_start().as_bytes());
                block.extend_from_slice(b"\r\n");
            }
            block.extend_from_slice(b"\r\n");
            let msg = message::parse(&block, &message::ParseLimits::default());
            let from_domain = msg.from.as_deref().and_then(domain_of);
            let keep = |list: &[message::Mailbox]| -> Vec<String> {
                let mut seen: Vec<String> = Vec::new();
                for a in list.iter().filter_map(|m| m.address.as_deref()) {
                    if input.internal.is_internal(a, from_domain) && !seen.iter().any(|s| s == a) {
                        seen.push(a.to_string());
                    }
                }
                seen
            };
            let to = keep(&msg.to);
            let cc = keep(&msg.cc);
            let to_value = if to.is_empty() {
                "undisclosed-recipients:;".to_string()
            } else {
                header_text(&to.join(", "))
            };
            if cc.is_empty() {
                out.extend(delete_all(input.headers, "Cc"));
            } else {
                out.extend(replace_all(
                    input.headers,
                    "Cc",
                    &header_text(&cc.join(", ")),
                ));
            }
            out.extend(replace_all(input.headers, "To", &to_value));
        }
    }
    out
}

/// The body with every secret replaced, or `None` when one of them is not
/// literally in the raw body (e.g. the part is base64-encoded): then the
/// rewrite cannot be carried out and the message must be held instead.
/// Quoted-printable bodies are handled for secrets whose only special
/// character is `=`.
pub fn redact(body: &[u8], secrets: &[&str]) -> Option<Vec<u8>> {
    if secrets.is_empty() {
        return None;
    }
    let mut out = body.to_vec();
    for s in secrets {
        if s.is_empty() {
            return None;
        }
        let mut replaced = replace_bytes(&out, s.as_bytes(), REDACTED.as_bytes());
        if replaced.is_none() && s.contains('=') {
            replaced = replace_bytes(&out, s.replace('=', "=3D").as_bytes(), REDACTED.as_bytes());
        }
        out = replaced?;
    }
    Some(out)
}

/// `hay` with every `needle` replaced, or `None` if there is none.
fn replace_bytes(hay: &[u8], needle: &[u8], with: &[u8]) -> Option<Vec<u8>> {
    let finder = memchr::memmem::Finder::new(needle);
    let mut out = Vec::with_capacity(hay.len());
    let mut last = 0;
    let mut found = false;
    for i in finder.find_iter(hay) {
        if i < last {
            continue;
        }
        out.extend_from_slice(&hay[last..i]);
        out.extend_from_slice(with);
        last = i + needle.len();
        found = true;
    }
    if !found {
        return None;
    }
    out.extend_from_slice(&hay[last..]);
    Some(out)
}

/// A header value safe to send: one line, printable, at most
/// [`MAX_HEADER_VALUE`] bytes, cut on a character boundary.
pub fn header_text(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if out.len() > MAX_HEADER_VALUE {
        let mut cut = MAX_HEADER_VALUE - 3;
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
        out.push_str("...");
    }
    out
}

/// SMTP reply text: ASCII only (curly quotes and dashes become plain ones),
/// no line breaks, at most 900 bytes.
pub fn smtp_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let c = match c {
            '\u{2018}' | '\u{2019}' => '\'',
            '\u{201c}' | '\u{201d}' => '"',
            '\u{2013}' | '\u{2014}' => '-',
            c if c.is_ascii() && !c.is_ascii_control() => c,
            c if c.is_whitespace() || c.is_control() => ' ',
            _ => '?',
        };
        out.push(c);
    }
    out.truncate(900);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::{Confidence, Finding, Location};
    use crate::policy::{Matched, Severity};

    fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    fn matched(cat: Category, action: Action, redact: Option<&str>) -> Matched {
        let mut f = Finding::new(cat, "test", Location::Body, Confidence::High, "x***");
        f.redact = redact.map(str::to_string);
        Matched {
            finding: f,
            rule: "r1".into(),
            policy: "p".into(),
            monitor: None,
            action,
            severity: Severity::High,
            fix: String::new(),
            sender_may_release: false,
        }
    }

    fn decision(verdict: Action, actions: Vec<PlannedAction>, findings: Vec<Matched>) -> Decision {
        Decision {
            verdict,
            enforced: true,
            findings,
            actions,
            unscanned_rules: vec![],
            severity: Some(Severity::High),
        }
    }

    fn input<'a>(
        headers: &'a [(String, String)],
        body: &'a [u8],
        internal: &'a Internal,
        mode: RecipientRewrite,
    ) -> Input<'a> {
        Input {
            headers,
            body,
            internal,
            recipient_rewrite: mode,
        }
    }

    fn tag() -> PlannedAction {
        PlannedAction::AddHeaders {
            headers: vec![("X-DLP-Verdict".into(), "rewrite".into())],
        }
    }

    #[test]
    fn undisclosed_rewrite_changes_to_and_deletes_every_cc_last_first() {
        let hs = h(&[
            ("From", "office@school.example"),
            ("To", "a@gmail.com, b@gmail.com"),
            ("Cc", "c@gmail.com"),
            ("cc", "d@gmail.com"),
        ]);
        let internal = Internal::default();
        let d = decision(
            Action::Rewrite,
            vec![
                PlannedAction::RewriteRecipients {
                    rule: "r".into(),
                    external_hidden: 4,
                },
                tag(),
            ],
            vec![],
        );
        let p = plan(
            &d,
            &input(&hs, b"", &internal, RecipientRewrite::Undisclosed),
        );
        assert_eq!(p.disposition, Disposition::Accept);
        assert_eq!(
            p.edits,
            vec![
                Edit::ChangeHeader {
                    name: "Cc".into(),
                    index: 2,
                    value: None
                },
                Edit::ChangeHeader {
                    name: "Cc".into(),
                    index: 1,
                    value: None
                },
                Edit::ChangeHeader {
                    name: "To".into(),
                    index: 1,
                    value: Some("undisclosed-recipients:;".into())
                },
                Edit::AddHeader {
                    name: "X-DLP-Verdict".into(),
                    value: "rewrite".into()
                },
            ]
        );
        assert_eq!(p.rewrites, vec!["recipients"]);
    }

    #[test]
    fn keep_internal_keeps_only_organisation_addresses() {
        let hs = h(&[
            ("From", "office@school.example"),
            ("To", "Head <head@school.example>, a@gmail.com, b@yahoo.com"),
            ("Cc", "c@gmail.com"),
        ]);
        let internal = Internal {
            domains: vec!["school.example".into()],
        };
        let d = decision(
            Action::Rewrite,
            vec![PlannedAction::RewriteRecipients {
                rule: "r".into(),
                external_hidden: 3,
            }],
            vec![],
        );
        let p = plan(
            &d,
            &input(&hs, b"", &internal, RecipientRewrite::KeepInternal),
        );
        assert_eq!(
            p.edits,
            vec![
                Edit::ChangeHeader {
                    name: "Cc".into(),
                    index: 1,
                    value: None
                },
                Edit::ChangeHeader {
                    name: "To".into(),
                    index: 1,
                    value: Some("head@school.example".into())
                },
            ]
        );
    }

    /// The policy asks to redact the password "Tr0ub4dor&3" (and tag).
    fn redact_decision() -> Decision {
        decision(
            Action::Rewrite,
            vec![
                PlannedAction::RedactPassword {
                    rule: "pw".into(),
                    count: 1,
                },
                tag(),
            ],
            vec![matched(
                Category::InlinePassword,
                Action::Rewrite,
                Some("Tr0ub4dor&3"),
            )],
        )
    }

    /// The plan for the password-redaction decision over `body`.
    fn redaction_plan(body: &[u8]) -> Plan {
        let hs = h(&[("Subject", "files")]);
        let internal = Internal::default();
        plan(
            &redact_decision(),
            &input(&hs, body, &internal, RecipientRewrite::Undisclosed),
        )
    }

    #[test]
    fn password_is_redacted_in_the_body_after_header_edits() {
        let p = redaction_plan(b"Hi,\r\nthe password is Tr0ub4dor&3 for the file.\r\n");
        assert_eq!(p.disposition, Disposition::Accept);
        let Some(Edit::ReplaceBody(b)) = p.edits.last() else {
            panic!("{:?}", p.edits)
        };
        let b = String::from_utf8(b.clone()).unwrap();
        assert!(!b.contains("Tr0ub4dor"));
        assert!(b.contains(REDACTED));
        assert!(matches!(p.edits[0], Edit::AddHeader { .. }));
    }

    #[test]
    fn password_not_in_raw_body_escalates_to_hold() {
        let p = redaction_plan(b"VGhlIHBhc3N3b3JkIGlzIFRyMHViNGRvciYz\r\n");
        assert_eq!(
            p.disposition,
            Disposition::Hold {
                rules: vec!["pw".into()]
            }
        );
        assert!(p.edits.is_empty());
        assert!(p.escalated.is_some());
        assert!(p.rewrites.is_empty());
    }

    #[test]
    fn quoted_printable_equals_sign_is_found() {
        let out = redact(b"pw: abc=3Ddef\r\n", &["abc=def"]).unwrap();
        assert_eq!(out, format!("pw: {REDACTED}\r\n").into_bytes());
    }

    #[test]
    fn subject_is_replaced() {
        let hs = h(&[("Subject", "John Smith NHS 943 476 5919")]);
        let internal = Internal::default();
        let d = decision(
            Action::Rewrite,
            vec![PlannedAction::ReplaceSubject {
                rule: "s".into(),
                subject: "Message from the office".into(),
            }],
            vec![],
        );
        let p = plan(
            &d,
            &input(&hs, b"", &internal, RecipientRewrite::Undisclosed),
        );
        assert_eq!(
            p.edits,
            vec![Edit::ChangeHeader {
                name: "Subject".into(),
                index: 1,
                value: Some("Message from the office".into())
            }]
        );
    }

    #[test]
    fn reject_quotes_policy_in_plain_ascii() {
        let d = decision(
            Action::Reject,
            vec![PlannedAction::Reject {
                rule: "r".into(),
                reply: "Refused (r): don\u{2019}t send\r\nthis".into(),
            }],
            vec![],
        );
        let internal = Internal::default();
        let hs = h(&[("X-DLP-Verdict", "accept")]);
        let p = plan(
            &d,
            &input(&hs, b"", &internal, RecipientRewrite::Undisclosed),
        );
        assert_eq!(
            p.disposition,
            Disposition::Reject {
                reply: "Refused (r): don't send  this".into()
            }
        );
        assert!(p.edits.is_empty());
    }

    #[test]
    fn monitor_mode_changes_nothing_but_forged_headers() {
        let mut d = decision(
            Action::Hold,
            vec![PlannedAction::Hold {
                rules: vec!["x".into()],
            }],
            vec![],
        );
        d.enforced = false;
        let hs = h(&[("X-DLP-Verdict", "accept"), ("x-dlp-verdict", "accept")]);
        let internal = Internal::default();
        let p = plan(
            &d,
            &input(&hs, b"", &internal, RecipientRewrite::Undisclosed),
        );
        assert_eq!(p.disposition, Disposition::Accept);
        assert_eq!(p.edits.len(), 2);
        assert!(matches!(
            &p.edits[0],
            Edit::ChangeHeader {
                index: 2,
                value: None,
                ..
            }
        ));
    }

    #[test]
    fn header_text_is_bounded_and_single_line() {
        let long = "é".repeat(1000);
        let t = header_text(&long);
        assert!(t.len() <= MAX_HEADER_VALUE);
        assert_eq!(header_text("a\r\nb"), "a  b");
    }
}
