//! Findings shown in place: the sentence of the message around a finding,
//! with the identifier masked as the evidence shows it.
//!
//! The stored record keeps masked evidence (`AB ** ** ** C`), not where in
//! the text it was. The masked form keeps the identifier's shape (kept
//! characters, separators, a star per hidden character), so it is turned
//! back into a pattern (a star is any letter or digit, separators optional)
//! and looked for in the message's text. What is found is shown with the
//! evidence in its place, never the characters the mask hid; every other
//! finding's pattern is masked in the same snippet too.
//!
//! Evidence that does not keep the shape is not looked for: a password's
//! mask (`p*******`) hides its length, and the recipients finding is a count.

use regex::Regex;

/// How far before and after a finding the snippet may reach, in characters.
const REACH: usize = 160;

/// A finding in its sentence.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct InPlace {
    pub before: String,
    /// The masked evidence, shown where the identifier was.
    pub evidence: String,
    pub after: String,
}

/// A pattern for the text the masked `evidence` stands for; None when the
/// evidence does not keep its identifier's shape (too few hidden
/// characters to be specific).
pub fn pattern(evidence: &str) -> Option<Regex> {
    let tokens: Vec<char> = evidence
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == '*')
        .collect();
    let stars = tokens.iter().filter(|c| **c == '*').count();
    // At least two kept characters: a fully masked value, or a password's
    // first letter, would match too much of any text.
    if stars < 3 || tokens.len() - stars < 2 {
        return None;
    }
    let parts: Vec<String> = tokens
        .iter()
        .map(|c| {
            if *c == '*' {
                r"[\p{L}\p{N}]".to_string()
            } else {
                regex::escape(&c.to_string())
            }
        })
        .collect();
    let body = parts.join(r"[\s\-./]?");
    Regex::new(&format!(r"(?i)\b{body}\b")).ok()
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The start of the sentence containing byte `at`, no further back than
/// [`REACH`] characters.
fn sentence_start(text: &str, at: usize) -> usize {
    let head = &text[..at];
    let limit = head
        .char_indices()
        .rev()
        .nth(REACH)
        .map(|(i, _)| i)
        .unwrap_or(0);
    let window = &head[limit..];
    let cut = window
        .rfind(['.', '!', '?', '\n'])
        .map(|i| limit + i + 1)
        .unwrap_or(limit);
    floor_boundary(text, cut)
}

/// The end of the sentence containing byte `at`, no further than [`REACH`].
fn sentence_end(text: &str, at: usize) -> usize {
    let tail = &text[at..];
    let limit = tail
        .char_indices()
        .nth(REACH)
        .map(|(i, _)| at + i)
        .unwrap_or(text.len());
    let window = &text[at..limit];
    window
        .find(['.', '!', '?', '\n'])
        .map(|i| at + i + 1)
        .unwrap_or(limit)
}

/// Every other identifier of the message masked in a piece of snippet.
fn mask_all(piece: &str, masks: &[(Regex, String)]) -> String {
    let mut out = piece.to_string();
    for (re, ev) in masks {
        out = re.replace_all(&out, ev.as_str()).into_owned();
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The first place in `texts` that `evidence` stands for, with the sentence
/// around it; `all_evidence` (every finding's) is masked in the snippet.
pub fn locate(texts: &[&str], evidence: &str, all_evidence: &[&str]) -> Option<InPlace> {
    let re = pattern(evidence)?;
    let masks: Vec<(Regex, String)> = all_evidence
        .iter()
        .filter_map(|e| pattern(e).map(|r| (r, e.to_string())))
        .collect();
    for text in texts {
        if let Some(m) = re.find(text) {
            let start = sentence_start(text, m.start());
            let end = sentence_end(text, m.end());
            return Some(InPlace {
                before: mask_all(&text[start..m.start()], &masks),
                evidence: evidence.to_string(),
                after: mask_all(&text[m.end()..end], &masks),
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nino_is_found_in_its_sentence_and_stays_masked() {
        let text =
            "Dear parents.\r\nJane Doe's NI number is AB 12 34 56 C (AB123456C). Thanks, Sam";
        let got = locate(&[text], "AB ** ** ** C", &["AB ** ** ** C"]).unwrap();
        assert_eq!(got.before, "Jane Doe's NI number is");
        assert_eq!(got.evidence, "AB ** ** ** C");
        // The second, unspaced copy in the same sentence is masked too.
        assert_eq!(got.after, "(AB ** ** ** C).");
        for secret in ["12 34 56", "AB123456C"] {
            assert!(!format!("{got:?}").contains(secret), "{got:?}");
        }
    }

    #[test]
    fn other_identifiers_in_the_sentence_are_masked() {
        let text = "NHS 943 476 5919 and NI AB123456C belong to one pupil";
        let got = locate(&[text], "*** *** 5919", &["*** *** 5919", "AB ** ** ** C"]).unwrap();
        assert_eq!(got.before, "NHS");
        assert_eq!(got.after, "and NI AB ** ** ** C belong to one pupil");
    }

    #[test]
    fn shapeless_evidence_is_not_looked_for() {
        // A password mask hides the length; a count is no pattern.
        assert!(pattern("p*******").is_none());
        assert!(pattern("** ** ****").is_none());
        assert!(pattern("31 visible recipients").is_none());
        assert!(locate(&["nothing to see"], "AB ** ** ** C", &[]).is_none());
    }

    #[test]
    fn long_text_is_cut_on_character_boundaries() {
        let filler = "é".repeat(400);
        let text = format!("{filler} AB 12 34 56 C {filler}");
        let got = locate(&[&text], "AB ** ** ** C", &[]).unwrap();
        assert!(got.before.chars().count() <= REACH);
        assert!(got.after.chars().count() <= REACH);
    }
}
