//! Text normalisation before detection: what looks like a space or a dash to
//! a reader is one to the detectors too, invisible characters cannot be
//! used to split an identifier (`JT 48 22 91 B` typed with no-break spaces in
//! Outlook, or `401‐023‐2137` with Unicode hyphens), and every line ends in
//! `\n`.
//!
//! Line endings matter most: Postfix hands the milter CRLF bytes, and mail
//! decoders keep them in the text. Detectors find paragraphs, lines,
//! signatures and disclaimers by `\n`; a `\r` before each one turned a blank
//! line `\r\n\r\n` into no paragraph break at all, so a disclaimer at the foot
//! of a CRLF message was read as part of the paragraph above it and hid a
//! password written there. Folding line endings here, at the one place every
//! unit passes through before the detectors, fixes that for every detector
//! and every text source (bodies, subjects, extracted attachments).

use std::borrow::Cow;

/// Maps Unicode spaces to ' ', Unicode dashes to '-', CRLF and lone CR to
/// '\n', and drops zero-width characters and soft hyphens. Borrows when
/// nothing changes (plain ASCII with LF line endings).
pub fn normalize(text: &str) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    if text.is_ascii() {
        // The common case, CRLF mail: copy the runs between CRs whole.
        if memchr::memchr(b'\r', bytes).is_none() {
            return Cow::Borrowed(text);
        }
        let mut out = String::with_capacity(text.len());
        let mut from = 0;
        for cr in memchr::memchr_iter(b'\r', bytes) {
            if cr < from {
                continue;
            }
            out.push_str(text.get(from..cr).unwrap_or(""));
            out.push('\n');
            // CRLF is one line break; a lone CR (old Mac text, some
            // extracted documents) is a line break too.
            from = if bytes.get(cr + 1) == Some(&b'\n') {
                cr + 2
            } else {
                cr + 1
            };
        }
        out.push_str(text.get(from..).unwrap_or(""));
        return Cow::Owned(out);
    }
    // Otherwise one pass that copies unchanged runs whole and allocates only
    // at the first character that changes.
    let mut out: Option<String> = None;
    let mut from = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let replacement = if c == '\r' {
            if chars.peek().is_some_and(|&(_, n)| n == '\n') {
                chars.next();
            }
            Some('\n')
        } else {
            match map(c) {
                Some(m) if m == c => continue,
                other => other,
            }
        };
        let o = out.get_or_insert_with(|| String::with_capacity(text.len()));
        o.push_str(text.get(from..i).unwrap_or(""));
        o.extend(replacement);
        from = chars.peek().map_or(text.len(), |&(j, _)| j);
    }
    match out {
        None => Cow::Borrowed(text),
        Some(mut o) => {
            o.push_str(text.get(from..).unwrap_or(""));
            Cow::Owned(o)
        }
    }
}

fn map(c: char) -> Option<char> {
    match c {
        '\u{00A0}' | '\u{2000}'..='\u{200A}' | '\u{202F}' | '\u{205F}' | '\u{3000}' => Some(' '),
        '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{FE63}' | '\u{FF0D}' => Some('-'),
        '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}' => None,
        other => Some(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_is_borrowed() {
        assert!(matches!(normalize("JT 48 22 91 B"), Cow::Borrowed(_)));
        assert!(matches!(normalize("a\nb\n\nc"), Cow::Borrowed(_)));
    }

    #[test]
    fn lookalikes_become_ascii() {
        assert_eq!(
            normalize("JT\u{a0}48\u{2009}22 91\u{202f}B"),
            "JT 48 22 91 B"
        );
        assert_eq!(normalize("401\u{2010}023\u{2013}2137"), "401-023-2137");
        assert_eq!(normalize("40\u{200b}1023\u{ad}2137"), "4010232137");
        assert_eq!(normalize("café"), "café");
    }

    #[test]
    fn crlf_and_lookalikes_together() {
        assert_eq!(
            normalize("caf\u{e9}\r\nJT\u{a0}48\r\rend\u{200b}\r\n"),
            "caf\u{e9}\nJT 48\n\nend\n"
        );
        assert!(matches!(normalize("caf\u{e9}\nok"), Cow::Borrowed(_)));
        assert_eq!(normalize("a\r\n\r\nb\rc\r"), "a\n\nb\nc\n");
    }

    #[test]
    fn line_endings_become_lf() {
        assert_eq!(
            normalize("Password: Rb7kQz2mWx4\r\n\r\nThis email and any attachments\r\n"),
            "Password: Rb7kQz2mWx4\n\nThis email and any attachments\n"
        );
        assert_eq!(normalize("a\rb\r\n\rc"), "a\nb\n\nc");
        assert_eq!(normalize("trailing\r"), "trailing\n");
        // Non-ASCII text with CRLF: both mappings in one pass.
        assert_eq!(normalize("Zoë\u{a0}Ng\r\nDOB"), "Zoë Ng\nDOB");
    }
}
