//! The work done around a trigger hit: the separator and token that make a
//! claim ("password *is* *Tulip-77*"), the username of a login, and the
//! contexts that are talk about passwords rather than a password (quoted
//! replies, signatures, disclaimers, "reset your password", "sent
//! separately").
//!
//! Everything here slices only at char boundaries: input is any UTF-8. The
//! word lists are data: see `words.txt`.

use super::words::words;

/// The shape of a token, which decides how much it looks like a password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenShape {
    /// Letters only (with inner `'`/`-`): also every English word.
    Word,
    /// Digits only: a PIN or a code.
    Digits,
    /// Anything else: letters with digits or symbols, CamelCase.
    Mixed,
}

/// How the token is announced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sep {
    /// `:` `=` ` - ` (a label).
    Label,
    /// `is`, `are`, `was`, `will be`, `set to`, ...
    Verb,
}

/// A claimed secret: where the token is and what it looks like.
#[derive(Debug, Clone)]
pub struct Claim {
    pub start: usize,
    pub end: usize,
    pub shape: TokenShape,
    pub has_letter: bool,
    pub has_digit: bool,
    pub len_chars: usize,
    pub quoted: bool,
}

/// How far (bytes) after the trigger the separator may be.
const MAX_FILLER: usize = 40;
/// Token length limits, in chars.
const MIN_TOKEN: usize = 4;
const MAX_TOKEN: usize = 64;

/// Byte-level word boundary around an ASCII match.
pub fn whole_word(text: &str, s: usize, e: usize) -> bool {
    let before = text
        .get(..s)
        .and_then(|b| b.chars().next_back())
        .is_none_or(|c| !c.is_alphanumeric());
    let after = text
        .get(e..)
        .and_then(|a| a.chars().next())
        .is_none_or(|c| !c.is_alphanumeric());
    before && after
}

pub use crate::detect::bounds::{ceil_boundary, floor_boundary};

fn is_stopword(tok: &str) -> bool {
    let t = tok.to_lowercase();
    let w = words();
    w.stopwords.contains(&t.as_str()) || w.stopwords.contains(&t.trim_end_matches('.'))
}

/// Is the filler between trigger and separator an ordinary description
/// ("for the attached file", "for Year 6's folder")?
fn filler_ok(filler: &str) -> bool {
    filler
        .split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '’'))
        .filter(|w| !w.is_empty())
        .all(|w| !words().filler_stop.contains(&w.to_lowercase().as_str()))
}

/// Finds the separator after a trigger ending at `e`: its kind and where
/// the token may start.
fn separator(text: &str, e: usize) -> Option<(Sep, usize)> {
    let rest = text.get(e..)?;
    let window = &rest[..floor_boundary(rest, MAX_FILLER + 20)];
    // "I've set the password to X", "we reset your PIN to 4821": the verb
    // stands before the trigger, so "to" after it is the separator.
    if window
        .get(..4)
        .is_some_and(|h| h.eq_ignore_ascii_case(" to "))
    {
        let before = text.get(..e).unwrap_or("");
        let before = &before[ceil_boundary(before, before.len().saturating_sub(48))..];
        let lower = before.to_lowercase();
        let mut words_before = lower
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .rev()
            .skip(1); // the trigger itself
        let owner = words_before.next().unwrap_or("");
        let verb = words_before.next().unwrap_or("");
        if words().setter_owners.contains(&owner) && words().setter_verbs.contains(&verb) {
            return Some((Sep::Verb, e + 4));
        }
    }
    for p in &words().protected_with {
        if window
            .get(..p.len())
            .is_some_and(|h| h.eq_ignore_ascii_case(p))
        {
            return Some((Sep::Verb, e + p.len()));
        }
    }
    for (i, c) in window.char_indices() {
        if i > MAX_FILLER {
            return None;
        }
        let here = &window[i..];
        match c {
            '\n' | '\r' => return None,
            '.' | '!' | '?' | ';' if here[1..].chars().next().is_none_or(char::is_whitespace) => {
                return None;
            }
            ':' | '=' => {
                return filler_ok(&window[..i]).then_some((Sep::Label, e + i + 1));
            }
            '\'' | '’' if i == 0 && here[c.len_utf8()..].starts_with("s ") => {
                // "the password's Rb7kQz2mWx4".
                return Some((Sep::Verb, e + c.len_utf8() + 2));
            }
            ' ' => {
                // A dash, or the cell bar of an HTML table row turned into
                // text ("Password | Rb7kQz2mWx4").
                for dash in [" - ", " – ", " — ", " | "] {
                    if here.starts_with(dash) {
                        return filler_ok(&window[..i]).then_some((Sep::Label, e + i + dash.len()));
                    }
                }
                for v in &words().verb_separators {
                    let matches = here
                        .get(..v.len())
                        .is_some_and(|h| h.eq_ignore_ascii_case(v));
                    if matches {
                        return filler_ok(&window[..i]).then_some((Sep::Verb, e + i + v.len()));
                    }
                }
            }
            _ => {}
        }
    }
    None
}

/// Classifies a token's characters.
fn shape(tok: &str) -> (TokenShape, bool, bool) {
    let has_letter = tok.chars().any(char::is_alphabetic);
    let has_digit = tok.chars().any(|c| c.is_ascii_digit());
    let wordish = tok
        .chars()
        .all(|c| c.is_alphabetic() || matches!(c, '\'' | '’' | '-' | ' '));
    // An inner capital after a lower-case letter ("MarigoldKite",
    // "Marigold-Kite") is a made-up word.
    let chars: Vec<char> = tok.chars().collect();
    let camel = chars
        .windows(2)
        .any(|w| w[0].is_lowercase() && w[1].is_uppercase())
        || chars
            .windows(3)
            .any(|w| w[0].is_lowercase() && w[1] == '-' && w[2].is_uppercase());
    let s = if has_digit && !has_letter && tok.chars().all(|c| c.is_ascii_digit()) {
        TokenShape::Digits
    } else if wordish && !camel && !passphrase(tok) && !irregular_case(tok) {
        TokenShape::Word
    } else {
        TokenShape::Mixed
    };
    (s, has_letter, has_digit)
}

/// Letters in a case no word is written in ("PSGUBXBNYna", "kQzRbWx"):
/// not lower, not UPPER, not Capitalised, not an acronym's plural ("GCSEs").
fn irregular_case(tok: &str) -> bool {
    let letters: Vec<char> = tok.chars().filter(|c| c.is_alphabetic()).collect();
    let Some((first, rest)) = letters.split_first() else {
        return false;
    };
    let lower = |c: &char| c.is_lowercase();
    let upper = |c: &char| c.is_uppercase();
    let word_case = letters.iter().all(lower)
        || letters.iter().all(upper)
        || (upper(first) && rest.iter().all(lower));
    let acronym_plural = letters.len() >= 3
        && letters.last() == Some(&'s')
        && letters[..letters.len() - 1].iter().all(upper);
    !(word_case || acronym_plural)
}

/// Is every part of the token (split at `-`, `.`, `_`, `+`, spaces) a
/// placeholder word or a joining word ("Surname", "first-name-and-dob",
/// "child's initials + DOB", the username "firstname.surname")?
fn describes_a_password(tok: &str) -> bool {
    let mut any = false;
    for p in tok.split(['-', '.', '_', '+', ' ', '/']) {
        if p.is_empty() {
            continue;
        }
        let p = p.to_lowercase();
        let p = p.trim_end_matches("'s").trim_end_matches("’s");
        let joining = ["and", "of", "the", "their", "your", "in", "then"].contains(&p);
        if !(joining || words().placeholder_parts.contains(&p)) {
            return false;
        }
        any = true;
    }
    any
}

/// Three or more words joined by `-`, `.`, `_` or `+`, each of three
/// letters or more ("maple-river-lantern", the NCSC's three random words):
/// a made-up passphrase, not a hyphenated English word ("up-to-date" and
/// "mother-in-law" have a short part, "well-known" has two) nor a
/// description of one ("first-name-surname": see `placeholder_parts`).
pub fn passphrase(tok: &str) -> bool {
    let mut parts = 0;
    for p in tok.split(['-', '.', '_', '+']) {
        if p.chars().count() < 3 || !p.chars().all(char::is_alphabetic) {
            return false;
        }
        // "first-name-surname" describes a password, it is not one.
        if words()
            .placeholder_parts
            .contains(&p.to_lowercase().as_str())
        {
            return false;
        }
        parts += 1;
    }
    parts >= 3
}

/// Reads the token starting at or after `from` (skipping blanks and, when
/// `newline_ok`, the line break after a label and one blank line:
/// "Password:\n\nRb7kQz2mWx4").
pub(super) fn token(text: &str, from: usize, newline_ok: bool) -> Option<Claim> {
    let rest = text.get(from..)?;
    let mut skip = 0;
    let mut newlines = 0;
    for c in rest.chars() {
        match c {
            ' ' | '\t' | '\r' => skip += c.len_utf8(),
            '\n' if newline_ok && newlines < 2 => {
                newlines += 1;
                skip += 1;
            }
            _ => break,
        }
    }
    let start = from + skip;
    let rest = text.get(start..)?;
    let first = rest.chars().next()?;
    let closer = match first {
        '"' => Some('"'),
        '\'' => Some('\''),
        '`' => Some('`'),
        '“' => Some('”'),
        '‘' => Some('’'),
        '«' => Some('»'),
        _ => None,
    };
    let (tstart, tend, quoted) = match closer {
        Some(q) => {
            let inner = &rest[first.len_utf8()..];
            let inner = &inner[..floor_boundary(inner, 4 * (MAX_TOKEN + 1))];
            let close = inner.find(q)?;
            let body = &inner[..close];
            if body.contains('\n') {
                return None;
            }
            let s = start + first.len_utf8();
            (s, s + close, true)
        }
        None => {
            let len = rest
                .char_indices()
                .find(|&(_, c)| c.is_whitespace())
                .map_or(rest.len(), |(i, _)| i);
            let raw = &rest[..len];
            if raw.starts_with(['<', '[', '{', '(']) {
                return None; // a placeholder: <password>, [redacted]
            }
            let trimmed = raw.trim_end_matches([
                '.', ',', ';', ':', ')', ']', '}', '>', '"', '\'', '’', '”', '?',
            ]);
            (start, start + trimmed.len(), false)
        }
    };
    let tok = text.get(tstart..tend)?;
    let len_chars = tok.chars().count();
    if !(MIN_TOKEN..=MAX_TOKEN).contains(&len_chars) || is_stopword(tok) {
        return None;
    }
    let lower = tok.to_lowercase();
    if lower.contains("://") || lower.starts_with("www.") || tok.contains('@') {
        return None;
    }
    // Already masked or a placeholder: "********", "xxxxxx", "••••".
    if tok
        .chars()
        .all(|c| matches!(c, '*' | 'x' | 'X' | '•' | '#' | '.' | '-' | '_'))
    {
        return None;
    }
    // "surname", "first-name-and-dob": a description of the password; and
    // "Welcome + your start year": the first term of a recipe for one.
    let formula = text
        .get(tend..)
        .is_some_and(|r| r.trim_start_matches([' ', '\t']).starts_with('+'));
    if describes_a_password(tok) || (formula && !quoted) {
        return None;
    }
    let (shape, has_letter, has_digit) = shape(tok);
    // After a blank line a word is the next paragraph ("Password:\n\nThanks"),
    // not a secret.
    if newlines == 2 && shape == TokenShape::Word {
        return None;
    }
    if !quoted && tok.contains(' ') {
        return None;
    }
    // A quoted phrase of ordinary words ("the usual one") is not a secret.
    if quoted && tok.contains(' ') && tok.split(' ').any(is_stopword) {
        return None;
    }
    Some(Claim {
        start: tstart,
        end: tend,
        shape,
        has_letter,
        has_digit,
        len_chars,
        quoted,
    })
}

/// A legend ("Key: EHCP1 = first review") rather than a key: the token is
/// followed by `=` or a dash.
pub fn legend_follows(text: &str, end: usize) -> bool {
    let rest = text.get(end..).unwrap_or("");
    let rest = rest.trim_start_matches([' ', '\t']);
    rest.starts_with(['=', '-', '–', '—', ':'])
}

/// The claim after a password/PIN/key trigger `s..e`, if any.
pub fn claim_after(text: &str, e: usize) -> Option<Claim> {
    // A separator whose token is no token ("password Rb7kQz2mWx4 - let me
    // know": the dash belongs to the sentence after the password) falls
    // through to the token right after the trigger.
    let claimed =
        separator(text, e).and_then(|(sep, at)| Some((sep, token(text, at, sep == Sep::Label)?)));
    if let Some((sep, c)) = claimed {
        // After "is"/"will be" a bare word is usually the sentence going on
        // ("is case sensitive", "will be texted"): only quoted, capitalised
        // or clearly made-up words count.
        if sep == Sep::Verb && c.shape == TokenShape::Word && !c.quoted {
            let capital = text
                .get(c.start..c.end)
                .and_then(|t| t.chars().next())
                .is_some_and(char::is_uppercase);
            if !capital {
                return None;
            }
        }
        return Some(c);
    }
    // No separator: "PIN 4821", "password Summer2025" (one space, then a
    // token that cannot be an ordinary word).
    let rest = text.get(e..)?;
    if !rest.starts_with(' ') || rest.starts_with("  ") {
        return None;
    }
    let c = token(text, e + 1, false)?;
    (c.shape != TokenShape::Word).then_some(c)
}

/// The username after a login trigger ending at `e`. The separator is
/// optional ("username jsmith") unless `label_only` (a bare "user" is an
/// everyday word: "user guide"); "log in with akhan" skips the "with".
pub fn username_after(text: &str, e: usize, label_only: bool) -> Option<Claim> {
    let at = match separator(text, e) {
        Some((Sep::Label, at)) if at - e <= 25 => at,
        Some((Sep::Verb, at)) if at - e <= 25 && !label_only => at,
        _ if label_only => return None,
        _ => e,
    };
    let rest = text.get(at..)?;
    let mut trimmed = rest.trim_start_matches([' ', '\t', '\r']);
    // "Login details:\nakhan": the value on the line under its label.
    if at > e && text[e..at].trim_end().ends_with(':') {
        if let Some(r) = trimmed.strip_prefix('\n') {
            trimmed = r.trim_start_matches([' ', '\t']);
        }
    }
    let mut at = at + (rest.len() - trimmed.len());
    for w in ["with ", "as "] {
        if trimmed
            .get(..w.len())
            .is_some_and(|h| h.eq_ignore_ascii_case(w))
        {
            at += w.len();
        }
    }
    token_user(text, at)
}

/// Is a username named just before a password trigger at `trigger_start`,
/// in the same line ("it's akhan, password Rb7kQz2mWx4", "it's j.smith and
/// the password is ...")? The username must end in `,` or be followed by
/// "and"/"with" so a sentence running on ("it's fine password ...") is not one.
pub fn username_before(text: &str, trigger_start: usize) -> bool {
    let before = text.get(..trigger_start).unwrap_or("");
    let from = floor_boundary(before, before.len().saturating_sub(80));
    let line = before[from..].rsplit('\n').next().unwrap_or("");
    let ws: Vec<&str> = line.split_whitespace().collect();
    let mut k = ws.len();
    let mut joined = false;
    while k > 0 {
        let w = ws[k - 1].to_lowercase();
        if ["and", "the", "your", "his", "her", "their", "with", "&"].contains(&w.as_str()) {
            joined |= w == "and" || w == "with" || w == "&";
            k -= 1;
        } else {
            break;
        }
    }
    if k < 2 {
        return false;
    }
    let user = ws[k - 1];
    let bare = user.trim_end_matches([',', ';']);
    if !(joined || bare.len() < user.len()) {
        return false;
    }
    let mut intro = ws[k - 2].to_lowercase();
    if intro == "is" && k >= 3 {
        intro = ws[k - 3].to_lowercase();
    }
    let intro = intro.trim_end_matches(':');
    words().user_intro.contains(&intro)
        && token_user(bare, 0).is_some_and(|c| c.end == bare.len() && c.len_chars >= 3)
}

/// A username token: 2–64 chars, not a word of the sentence.
pub(super) fn token_user(text: &str, from: usize) -> Option<Claim> {
    let rest = text.get(from..)?;
    let skip = rest.len() - rest.trim_start_matches([' ', '\t']).len();
    let start = from + skip;
    let rest = text.get(start..)?;
    let len = rest
        .char_indices()
        .find(|&(_, c)| c.is_whitespace())
        .map_or(rest.len(), |(i, _)| i);
    let raw = rest[..len].trim_end_matches(['.', ',', ';', ':', ')', '"', '\'', '?', '!']);
    let n = raw.chars().count();
    // "firstname.surname" describes the usernames, it is not one.
    if !(2..=MAX_TOKEN).contains(&n) || is_stopword(raw) || describes_a_password(raw) {
        return None;
    }
    let lower = raw.to_lowercase();
    if lower.contains("://")
        || lower.starts_with("www.")
        || [
            "and", "or", "to", "is", "in", "on", "at", "for", "of", "a", "an", "as",
        ]
        .contains(&lower.as_str())
        || !raw.chars().any(char::is_alphanumeric)
    {
        return None;
    }
    let (shape, has_letter, has_digit) = shape(raw);
    Some(Claim {
        start,
        end: start + raw.len(),
        shape,
        has_letter,
        has_digit,
        len_chars: n,
        quoted: false,
    })
}

/// After a username: "/ Summer2025", "| Summer2025", ", Summer2025" or, for
/// login details and credentials, just " Summer2025".
pub fn password_after_username(text: &str, user_end: usize, credentials: bool) -> Option<Claim> {
    let rest = text.get(user_end..)?;
    let mut trimmed = rest.trim_start_matches([' ', '\t', '\r']);
    // "Login details:\nakhan\nRb7kQz2mWx4": one value a line.
    if credentials {
        if let Some(r) = trimmed.strip_prefix('\n') {
            trimmed = r.trim_start_matches([' ', '\t']);
        }
    }
    let after_blank = user_end + (rest.len() - trimmed.len());
    let from = if let Some(r) = trimmed.strip_prefix(['/', '|', ',']) {
        after_blank + (trimmed.len() - r.len())
    } else if credentials && after_blank > user_end {
        after_blank
    } else {
        return None;
    };
    let c = token(text, from, false)?;
    (c.shape == TokenShape::Mixed && c.has_letter && (c.has_digit || c.len_chars >= 8)).then_some(c)
}

/// How far (bytes) before a passcode a meeting marker is looked for, and
/// after it.
const MEETING_BEFORE: usize = 300;
const MEETING_AFTER: usize = 80;

/// Is the password at `trigger_start` the passcode of a meeting invitation
/// ("Meeting ID: 384 221 907 615 / Passcode: qW7xB2")? Only next to a
/// marker that invitations print and other mail does not (a meeting or
/// conference ID, a Teams join link, a Zoom meeting URL).
pub fn meeting_invitation(text: &str, trigger_start: usize) -> bool {
    let lo = floor_boundary(text, trigger_start.saturating_sub(MEETING_BEFORE));
    let hi = floor_boundary(text, trigger_start.saturating_add(MEETING_AFTER));
    let Some(window) = text.get(lo..hi) else {
        return false;
    };
    let window = window.to_ascii_lowercase();
    words().meeting_markers.iter().any(|m| window.contains(m))
}

/// Is this claim talk about a password rather than one?
pub fn talk_about(text: &str, trigger_start: usize, c: &Claim) -> bool {
    // Up to four words before the trigger, within its sentence and line.
    let before = text.get(..trigger_start).unwrap_or("");
    let from = floor_boundary(before, before.len().saturating_sub(50));
    let before = &before[from..];
    // Only the trigger's own clause: in "Arbor reset - password: X" the
    // "reset" is a heading for the new password, not advice about one.
    let before = before
        .rsplit(['\n', '.', '!', '?', ':', ';', '|', '(', '–', '—'])
        .next()
        .unwrap_or(before);
    let before = before.rsplit(" - ").next().unwrap_or(before);
    // A token shaped like a real password (letters, digits and a symbol)
    // after an announcing verb ("I've reset your password: Oak!Reset9") is
    // the new password; advice words ("never", "example") still suppress.
    let strong_token = c.shape == TokenShape::Mixed
        && c.has_letter
        && c.has_digit
        && text
            .get(c.start..c.end)
            .is_some_and(|t| t.chars().any(|ch| !ch.is_alphanumeric()));
    let prefix_talk = before
        .split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '’'))
        .filter(|w| !w.is_empty())
        .rev()
        .take(4)
        .any(|w| {
            let w = w.to_lowercase();
            words().prefix_talk.contains(&w.as_str())
                && !(strong_token && words().announcing.contains(&w.as_str()))
        });
    if prefix_talk {
        return true;
    }
    if c.shape == TokenShape::Word {
        let lo = floor_boundary(text, trigger_start.saturating_sub(80));
        let hi = floor_boundary(text, c.end + 80);
        let near = text.get(lo..hi).unwrap_or("").to_lowercase();
        if words().elsewhere.iter().any(|p| near.contains(p)) {
            return true;
        }
    }
    false
}

/// Parts of a text where a password is not the writer's: quoted reply
/// lines, the quoted original under "-----Original Message-----" or "On ...
/// wrote:", the signature after `-- `, and disclaimer paragraphs.
pub struct Regions {
    /// Start of the signature or quoted original, if any.
    cut: Option<usize>,
}

impl Regions {
    /// Finds the cut once per unit (only when a candidate exists).
    pub fn of(text: &str) -> Regions {
        let mut cut = None;
        let mut offset = 0;
        let mut prev_from = false;
        // Below a forward marker the header block (From:, Date:) opens the
        // message being sent on, not a quoted original: what it says goes to
        // new recipients, so its passwords are this message's passwords.
        let mut forwarding = false;
        for line in text.split('\n') {
            let l = line.trim_end_matches('\r');
            let t = l.trim();
            if is_forward_marker(t) {
                forwarding = true;
                prev_from = false;
                offset += line.len() + 1;
                continue;
            }
            let header_block = prev_from && (l.starts_with("Sent:") || l.starts_with("Date:"));
            let quoted_original = l.trim_end() == "--"
                || (l.contains("Original Message") && l.starts_with("-----"))
                || (l.starts_with("On ") && l.trim_end().ends_with("wrote:"))
                || (header_block && !forwarding);
            if quoted_original {
                cut = Some(offset);
                break;
            }
            let header_line = ["From:", "Date:", "Sent:", "To:", "Cc:", "Subject:"]
                .iter()
                .any(|h| l.starts_with(h));
            if !header_line && !t.is_empty() {
                // The forwarded header block is over: a later header block
                // is a quoted original again.
                forwarding = false;
            }
            prev_from = l.starts_with("From:");
            offset += line.len() + 1;
        }
        Regions { cut }
    }

    /// Is `pos` quoted, in the signature or quoted original, or in a disclaimer?
    ///
    /// A disclaimer hides only what is inside it: the marker must be in the
    /// paragraph *up to the end of `pos`'s line*, never only below it, so a
    /// footer ("This email and any attachments are confidential") right under
    /// a password line, with or without a blank line between, does not hide it.
    pub fn excluded(&self, text: &str, pos: usize) -> bool {
        if self.cut.is_some_and(|c| pos >= c) {
            return true;
        }
        let line_start = text
            .get(..pos)
            .and_then(|b| b.rfind('\n'))
            .map_or(0, |i| i + 1);
        let line = text.get(line_start..).unwrap_or("");
        if line.trim_start().starts_with('>') {
            return true;
        }
        // The paragraph around pos, capped, up to the end of pos's line.
        let lo = floor_boundary(text, pos.saturating_sub(1000));
        let hi = floor_boundary(text, pos + 1000);
        let before = text.get(lo..pos).unwrap_or("");
        let after = text.get(pos..hi).unwrap_or("");
        let p_lo = paragraph_start(before);
        let l_hi = after.find('\n').unwrap_or(after.len());
        let para = format!("{}{}", &before[p_lo..], &after[..l_hi]).to_lowercase();
        words().disclaimer_markers.iter().any(|m| para.contains(m))
    }
}

/// A line that introduces a forwarded message (Gmail's `---------- Forwarded
/// message ---------`, Apple Mail's `Begin forwarded message:`, Outlook's
/// `-----Forwarded Message-----` or `________ Forwarded message`).
fn is_forward_marker(line: &str) -> bool {
    let l = line.to_ascii_lowercase();
    (l.contains("forwarded message") && (l.starts_with('-') || l.starts_with('_')))
        || l.starts_with("begin forwarded message")
}

/// Where the paragraph ending at the end of `before` starts: just after the
/// last blank line (a line of only spaces, tabs or a `\r`, so `\r\n\r\n`
/// and a line holding one space break paragraphs as `\n\n` does), or 0.
#[cfg(test)]
pub fn paragraph_start_for_tests(before: &str) -> usize {
    paragraph_start(before)
}

fn paragraph_start(before: &str) -> usize {
    // `end` is where the line being looked at ends (its '\n', or the end of
    // `before` for the partial line holding pos, which is never blank-tested).
    let mut end = before.len();
    let mut first = true;
    for (i, _) in before.rmatch_indices('\n') {
        if !first && before[i + 1..end].trim().is_empty() {
            return end + 1;
        }
        first = false;
        end = i;
    }
    if !first && before[..end].trim().is_empty() {
        return end + 1;
    }
    0
}
