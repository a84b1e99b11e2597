//! Text normalisation before detection: what looks like a space or a dash to
//! a reader is one to the detectors too, and invisible characters cannot be
//! used to split an identifier (`JT 48 22 91 B` typed with no-break spaces in
//! Outlook, or `401‐023‐2137` with Unicode hyphens).

use std::borrow::Cow;

/// Maps Unicode spaces to ' ', Unicode dashes to '-', and drops zero-width
/// characters and soft hyphens. Borrows when the text is plain ASCII.
pub fn normalize(text: &str) -> Cow<'_, str> {
    if text.is_ascii() {
        return Cow::Borrowed(text);
    }
    let needs = text.chars().any(|c| map(c) != Some(c));
    if !needs {
        return Cow::Borrowed(text);
    }
    Cow::Owned(text.chars().filter_map(map).collect())
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
}
