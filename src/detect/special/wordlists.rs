//! The detector's word lists, kept as data files (`data/*.txt`, each with a
//! header saying what it is and where it comes from) so that they can be
//! read, reviewed and extended without reading code. Embedded at build time
//! and parsed once per process.

/// `[section]` lists of `person.rs`.
pub const PERSON: &str = include_str!("data/person_words.txt");
/// `[section]` lists of `mod.rs`.
pub const SENTENCE: &str = include_str!("data/sentence_words.txt");
/// `[section]` lists of `terms.rs`.
pub const TERM_WORDS: &str = include_str!("data/term_words.txt");
/// The vocabulary, one term a line.
pub const TERMS: &str = include_str!("data/terms.txt");

/// The entries of a data file: trimmed lines that are neither empty nor a
/// `#` comment.
pub fn lines(src: &'static str) -> impl Iterator<Item = &'static str> {
    src.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

/// The entries of the `[name]` section of a data file.
pub fn section(src: &'static str, name: &str) -> Vec<&'static str> {
    let mut on = false;
    let mut out = Vec::new();
    for l in lines(src) {
        if let Some(h) = l.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
            on = h == name;
        } else if on {
            out.push(l);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every section the code names exists and is not empty: a renamed or
    /// misspelt section would otherwise silently empty a list.
    #[test]
    fn every_section_is_there() {
        for (src, names) in [
            (
                PERSON,
                &[
                    "titles",
                    "not_surnames",
                    "role_words",
                    "role_connectives",
                    "staff_actions",
                    "staff_routine",
                    "auxiliaries",
                    "contact_before",
                    "talk_verbs",
                    "greetings",
                    "sign_offs",
                    "header_labels",
                    "place_surnames",
                    "place_nouns",
                    "place_before",
                    "lower_name_verbs",
                    "lower_not_surnames",
                    "own",
                    "pupil_roles",
                    "about_words",
                    "named_after",
                    "attribution_endings",
                ][..],
            ),
            (
                SENTENCE,
                &["pronouns", "exclusion_context", "abbreviations"][..],
            ),
            (
                TERM_WORDS,
                &[
                    "topic_suffixes",
                    "soft_topic_suffixes",
                    "topic_prefixes",
                    "negative_values",
                    "flag_words",
                    "flag_phrases",
                ][..],
            ),
        ] {
            for n in names {
                assert!(!section(src, n).is_empty(), "section [{n}] is empty");
            }
        }
    }

    #[test]
    fn every_term_line_parses() {
        let n = lines(TERMS).count();
        assert!(n > 150);
        assert_eq!(super::super::terms::TERMS.len(), n);
    }
}
