//! Inline passwords written in prose, above all the password of an attached
//! encrypted file ("the password for the attached file is Tulip-77").
//!
//! Off-the-shelf secret scanners find almost none of these (they want quoted
//! values or high entropy; a human password has neither), so this follows
//! the rule of DETECTION.md: a trigger word (password, passcode, PIN, login
//! details, ...) found by one Aho-Corasick pass, then, only around a hit, a
//! separator (`is`, `:`, `=`, `-`, `will be`, `set to`) within a short
//! window and a 4–64 character token. Talk about passwords ("sent
//! separately", "reset your password", "password-protected"), quoted reply
//! text, signatures and disclaimers are not passwords.
//!
//! Credentials also come as tables (a header row naming a password column,
//! see `columns`), as a "code" that names what it opens ("the code to open
//! the file is 4821"), and as passphrases of words joined by hyphens.
//!
//! The finding carries the exact token in `redact`, so a rewrite rule can
//! blank it out; the evidence only ever shows it masked.
//!
//! Speed: the triggers are first located by a SIMD search (Teddy) for short
//! anchors in lower, Capitalised and UPPER case, and the case-insensitive
//! automaton only confirms a few bytes around each; so a trigger written in
//! odd mixed case ("PassWord") is not seen. Where Teddy is unavailable the
//! automaton scans the whole text instead.

mod claim;
mod columns;
mod words;

use super::mask::mask_secret;
use super::{Category, Confidence, Detector, Finding, MessageContext, TextUnit};
use aho_corasick::{packed, AhoCorasick, AhoCorasickKind, Input, MatchKind};
use claim::{Claim, TokenShape};
use std::sync::LazyLock;
use words::words;

/// The detector id rules refer to.
pub const DETECTOR_ID: &str = "password";

/// What a trigger word announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trigger {
    /// A password, passcode or passphrase: any token shape.
    Password,
    /// A PIN or door/access code: digits only.
    Pin,
    /// A "key" (network key, encryption key): letters and digits both,
    /// because "key" is an everyday word ("Key Stage 2", "key dates").
    Key,
    /// A username / login name: not a finding, but it makes a nearby
    /// password a real credential.
    Login,
    /// Login details or credentials: a username, then maybe a password
    /// ("login details: jsmith / Summer2025").
    Credentials,
    /// "user": a username only after a label ("user: akhan"), since "user"
    /// is an everyday word ("user guide").
    User,
    /// "code": a PIN only when the words between it and the code name what
    /// it opens ("the code to open the file is 4821"); alone it is a dress
    /// code, a course code or a QR code.
    Code,
    /// "pass": a password only right after a username ("user: akhan pass:
    /// Rb7kQz2mWx4"); alone it is a bus pass, a hall pass or an exam pass.
    Pass,
}

impl Trigger {
    /// The kind named in `words.txt`.
    fn from_name(name: &str) -> Option<Trigger> {
        Some(match name {
            "password" => Trigger::Password,
            "pin" => Trigger::Pin,
            "key" => Trigger::Key,
            "login" => Trigger::Login,
            "credentials" => Trigger::Credentials,
            "user" => Trigger::User,
            "code" => Trigger::Code,
            "pass" => Trigger::Pass,
            _ => return None,
        })
    }
}

/// The trigger phrases of `words.txt` with their kinds, in file order (the
/// automaton's pattern index is the index here).
fn triggers() -> &'static [(&'static str, Trigger)] {
    static T: LazyLock<Vec<(&'static str, Trigger)>> = LazyLock::new(|| {
        words()
            .triggers
            .iter()
            .filter_map(|&(kind, phrase)| Some((phrase, Trigger::from_name(kind)?)))
            .collect()
    });
    &T
}

/// A username within this many bytes of a password makes it a credential.
const USERNAME_REACH: usize = 200;
/// A "pass" is a password only this close after a username (the same or
/// the next line).
const PASS_REACH: usize = 80;

/// Short pieces every trigger contains, in the three cases mail uses
/// (password, Password, PASSWORD). A SIMD search for these (Teddy) runs
/// several times faster than the case-insensitive automaton over every
/// byte, and the automaton then only checks a few bytes around each.
const ANCHORS: &[&str] = &[
    "pass",
    "pwd",
    "pw:",
    "pw ",
    "pw=",
    // "p/w" is anchored after its "p": as an anchor, "p/w" made Teddy a
    // third slower on prose, and ".w." or "/wo" three times slower (its
    // nibble masks then match common bytes); "/w " and "/w:" cost nothing.
    "/w ",
    "/w:",
    "pwor",
    "p'wo",
    "pin",
    "code",
    "key",
    "login",
    "log-in",
    "log in",
    "logon",
    "user",
    "credential",
    "sign-in",
];

/// How far before an anchor its trigger may start ("decryption *key*").
const ANCHOR_BACK: usize = 16;
/// How far after an anchor its trigger may end ("log-in details").
const ANCHOR_AHEAD: usize = 24;

/// Finds passwords written in the text.
pub struct PasswordDetector {
    ac: AhoCorasick,
    /// `None` where Teddy is unavailable (no SSSE3/NEON): then the
    /// automaton scans everything.
    prefilter: Option<packed::Searcher>,
}

impl PasswordDetector {
    /// Compiles the trigger automaton (once per engine).
    pub fn new() -> Self {
        // The patterns are the committed trigger list (tested), not input: building
        // cannot fail short of a bug, which the unit tests would catch.
        #[allow(clippy::expect_used)]
        let ac = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostLongest)
            .kind(Some(AhoCorasickKind::DFA))
            .build(triggers().iter().map(|t| t.0))
            .expect("the static trigger list compiles");
        let mut anchors: Vec<String> = Vec::new();
        for a in ANCHORS {
            let mut cap = a.to_string();
            if let Some(f) = cap.get_mut(0..1) {
                f.make_ascii_uppercase();
            }
            for v in [a.to_string(), cap, a.to_ascii_uppercase()] {
                if !anchors.contains(&v) {
                    anchors.push(v);
                }
            }
        }
        let prefilter = packed::Config::new()
            .match_kind(packed::MatchKind::LeftmostFirst)
            .builder()
            .extend(anchors.iter())
            .build();
        PasswordDetector { ac, prefilter }
    }

    /// The trigger matches in `text`, as (start, end, pattern index), the
    /// same as one automaton pass over all of it would give.
    fn triggers(&self, text: &str) -> Vec<(usize, usize, usize)> {
        let Some(pf) = &self.prefilter else {
            return self
                .ac
                .find_iter(text)
                .map(|m| (m.start(), m.end(), m.pattern().as_usize()))
                .collect();
        };
        let mut out = Vec::new();
        let mut last_end = 0;
        for c in pf.find_iter(text) {
            let p = c.start();
            if p < last_end {
                continue;
            }
            let lo = claim::floor_boundary(text, p.saturating_sub(ANCHOR_BACK)).max(last_end);
            let hi = claim::ceil_boundary(text, c.end() + ANCHOR_AHEAD);
            for m in self.ac.find_iter(Input::new(text).range(lo..hi)) {
                if m.start() > p {
                    break;
                }
                if m.end() > p {
                    out.push((m.start(), m.end(), m.pattern().as_usize()));
                    last_end = m.end();
                    break;
                }
            }
        }
        out
    }
}

impl Default for PasswordDetector {
    fn default() -> Self {
        Self::new()
    }
}

/// A password found, before suppression and scoring.
struct Candidate {
    trigger_start: usize,
    claim: Claim,
    pin: bool,
}

impl Detector for PasswordDetector {
    fn ids(&self) -> &'static [&'static str] {
        &[DETECTOR_ID]
    }

    fn scan(&self, unit: &TextUnit<'_>, ctx: &MessageContext, out: &mut Vec<Finding>) {
        let text = unit.text;
        let mut usernames: Vec<usize> = Vec::new();
        let mut candidates: Vec<Candidate> = Vec::new();
        for (s, e, pattern) in self.triggers(text) {
            let Some(&(_, trigger)) = triggers().get(pattern) else {
                continue;
            };
            if !claim::whole_word(text, s, e) {
                continue;
            }
            match trigger {
                Trigger::Login | Trigger::Credentials | Trigger::User => {
                    let Some(user) = claim::username_after(text, e, trigger == Trigger::User)
                    else {
                        continue;
                    };
                    usernames.push(user.start);
                    // "login: jsmith / Summer2025", "credentials: jsmith Summer2025".
                    if let Some(c) = claim::password_after_username(
                        text,
                        user.end,
                        trigger == Trigger::Credentials,
                    ) {
                        candidates.push(Candidate {
                            trigger_start: s,
                            claim: c,
                            pin: false,
                        });
                    }
                }
                Trigger::Pass => {
                    let after_user = usernames.iter().any(|&u| u < s && s - u <= PASS_REACH);
                    if !after_user {
                        continue;
                    }
                    let Some(c) = claim::claim_after(text, e) else {
                        continue;
                    };
                    if c.shape == TokenShape::Mixed
                        && c.has_letter
                        && (c.has_digit || c.len_chars >= 8)
                    {
                        candidates.push(Candidate {
                            trigger_start: s,
                            claim: c,
                            pin: false,
                        });
                    }
                }
                Trigger::Code => {
                    // Most codes in prose open nothing: look for what it
                    // opens before reading a claim.
                    let hi = claim::floor_boundary(text, e + 64);
                    let near = text.get(e..hi).unwrap_or("").to_ascii_lowercase();
                    if !words().code_opens.iter().any(|w| has_word(&near, w)) {
                        continue;
                    }
                    let Some(c) = claim::claim_after(text, e) else {
                        continue;
                    };
                    let between = text.get(e..c.start).unwrap_or("").to_ascii_lowercase();
                    let tok = text.get(c.start..c.end).unwrap_or("");
                    let shaped = pin_like(tok)
                        || (c.shape == TokenShape::Mixed && c.has_letter && c.has_digit);
                    if shaped && words().code_opens.iter().any(|w| has_word(&between, w)) {
                        let pin = c.shape == TokenShape::Digits;
                        candidates.push(Candidate {
                            trigger_start: s,
                            claim: c,
                            pin,
                        });
                    }
                }
                Trigger::Password | Trigger::Pin | Trigger::Key => {
                    // A header cell: the passwords are in the column below.
                    let column = columns::column_below(text, s);
                    if !column.is_empty() {
                        for cc in column {
                            usernames.extend(cc.user);
                            candidates.push(Candidate {
                                trigger_start: s,
                                claim: cc.claim,
                                pin: cc.pin,
                            });
                        }
                        continue;
                    }
                    let Some(c) = claim::claim_after(text, e) else {
                        continue;
                    };
                    let ok = match trigger {
                        Trigger::Pin => pin_like(text.get(c.start..c.end).unwrap_or("")),
                        Trigger::Key => {
                            // A bare "key" needs digits too ("Key: KS2");
                            // a Wi-Fi or network key may be a passphrase.
                            let tok = text.get(c.start..c.end).unwrap_or("");
                            let compound = e - s > "key".len();
                            // A bare "key" is also an adjective ("key
                            // Oracle9i features", "key KS2 dates"): it gives
                            // a key only through a separator (`key: …`,
                            // `key = …`, `key is …`).
                            let between = text.get(e..c.start).unwrap_or("");
                            let separated = between.contains([':', '='])
                                || between.to_ascii_lowercase().contains(" is ");
                            (compound || separated)
                                && c.shape == TokenShape::Mixed
                                && c.has_letter
                                && (c.has_digit || (compound && claim::passphrase(tok)))
                                && c.len_chars >= 6
                                && !claim::legend_follows(text, c.end)
                        }
                        _ => true,
                    };
                    if ok {
                        candidates.push(Candidate {
                            trigger_start: s,
                            claim: c,
                            pin: trigger == Trigger::Pin,
                        });
                    }
                }
            }
        }
        if candidates.is_empty() {
            return;
        }

        let regions = claim::Regions::of(text);
        let mut seen: Vec<String> = Vec::new();
        for c in candidates {
            let tok = text.get(c.claim.start..c.claim.end).unwrap_or("");
            if tok.is_empty() || seen.iter().any(|t| t == tok) {
                continue;
            }
            if regions.excluded(text, c.trigger_start)
                || claim::talk_about(text, c.trigger_start, &c.claim)
                || claim::meeting_invitation(text, c.trigger_start)
            {
                continue;
            }
            let with_user = usernames
                .iter()
                .any(|&u| u.abs_diff(c.claim.start) <= USERNAME_REACH && u != c.claim.start)
                || claim::username_before(text, c.trigger_start);
            let confidence = score(&c.claim, with_user, ctx.has_encrypted_attachment);
            let what = if c.pin { "PIN" } else { "password" };
            let mut evidence = if ctx.has_encrypted_attachment {
                format!(
                    "{what} for the attached file is in the message ({})",
                    mask_secret(tok)
                )
            } else if with_user {
                format!("username and {what} in the message ({})", mask_secret(tok))
            } else {
                format!("{what} in the message ({})", mask_secret(tok))
            };
            seen.push(tok.to_string());
            if seen.len() > 1 {
                // Two passwords with one initial must stay two findings, or
                // the engine's dedupe would lose the second one's redaction.
                evidence.push_str(&format!(" #{}", seen.len()));
            }
            let mut f = Finding::new(
                Category::InlinePassword,
                DETECTOR_ID,
                unit.location.clone(),
                confidence,
                evidence,
            );
            f.redact = Some(tok.to_string());
            out.push(f);
        }
    }
}

/// Is `w` in `hay` as whole words ("safe", not the start of "safeguarding";
/// "gate", not the end of "delegate")?
fn has_word(hay: &str, w: &str) -> bool {
    hay.match_indices(w)
        .any(|(i, m)| claim::whole_word(hay, i, i + m.len()))
}

/// A PIN or door code: 4–8 digits, with a `#` or `*` key allowed ("2580#").
fn pin_like(tok: &str) -> bool {
    let digits = tok.bytes().filter(u8::is_ascii_digit).count();
    (4..=8).contains(&digits)
        && tok
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'#' || b == b'*')
}

/// How sure: a mixed token (letters with digits or symbols) after a
/// separator is medium; a username nearby or an encrypted attachment makes
/// it high; a bare word is low unless one of those backs it.
fn score(c: &Claim, with_user: bool, encrypted: bool) -> Confidence {
    let backed = with_user || encrypted;
    match c.shape {
        TokenShape::Mixed | TokenShape::Digits => {
            if backed {
                Confidence::High
            } else {
                Confidence::Medium
            }
        }
        TokenShape::Word => {
            if c.quoted && backed {
                Confidence::High
            } else if c.quoted || backed {
                Confidence::Medium
            } else {
                Confidence::Low
            }
        }
    }
}

#[cfg(test)]
mod tests;
