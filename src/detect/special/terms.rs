//! The special-category vocabulary of school mail: each term with the kind of
//! data it reveals, how strongly it does so, and whether it must match in
//! upper case (so the verb "send" never reads as SEND).
//!
//! Why these terms: DfE census codes (SEN provision E/K, CIN, CPP, CLA), the
//! ICO's email guidance (EHCP information, allergy information), and the
//! systems and roles that only appear when a particular child is discussed
//! (CPOMS, MyConcern, LADO, MASH, a PEP). Staff roles (DSL, SENCo) are not
//! terms: a name next to one is the role-holder (see `person.rs`).

/// The kind of special-category data a term reveals; named in evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Health,
    Sen,
    Safeguarding,
    LookedAfter,
    FreeSchoolMeals,
    Exclusion,
    /// Incidents and behaviour records: about a pupil only with a pupil
    /// reference, or in a subject line.
    Behaviour,
}

impl Kind {
    /// How evidence names the kind: `safeguarding term "CPOMS" about ...`.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Health => "health",
            Kind::Sen => "SEN",
            Kind::Safeguarding => "safeguarding",
            Kind::LookedAfter => "looked-after",
            Kind::FreeSchoolMeals => "free-school-meals",
            Kind::Exclusion => "exclusion",
            Kind::Behaviour => "behaviour",
        }
    }
}

/// One term of the vocabulary.
#[derive(Debug, Clone, Copy)]
pub struct Term {
    /// The pattern, ASCII; also the term as evidence names it.
    pub text: &'static str,
    pub kind: Kind,
    /// A strong term says something about the person by itself ("EpiPen",
    /// "CPOMS"); a weak one often appears in passing ("SEND", "hospital").
    pub strong: bool,
    /// Must match exactly as written (upper-case acronyms, "Early Help").
    pub exact_case: bool,
}

use super::wordlists;
use std::sync::LazyLock;
use Kind::*;

/// The vocabulary. Matching is ASCII case-insensitive unless `exact_case`,
/// on whole words (a trailing plural `s` or possessive `'s` is allowed).
pub static TERMS: LazyLock<Vec<Term>> = LazyLock::new(|| {
    wordlists::lines(wordlists::TERMS)
        .filter_map(parse_term)
        .collect()
});

/// One line of `data/terms.txt`: `text | kind | strong|weak | exact|any`.
/// A malformed line is skipped (a unit test checks that none is).
fn parse_term(line: &'static str) -> Option<Term> {
    let mut f = line.split('|').map(str::trim);
    let text = f.next().filter(|t| !t.is_empty())?;
    let kind = parse_kind(f.next()?)?;
    let strong = match f.next()? {
        "strong" => true,
        "weak" => false,
        _ => return None,
    };
    let exact_case = match f.next()? {
        "exact" => true,
        "any" => false,
        _ => return None,
    };
    f.next().is_none().then_some(Term {
        text,
        kind,
        strong,
        exact_case,
    })
}

/// A kind as data files name it.
pub fn parse_kind(s: &str) -> Option<Kind> {
    Some(match s {
        "health" => Health,
        "sen" => Sen,
        "safeguarding" => Safeguarding,
        "looked_after" => LookedAfter,
        "fsm" => FreeSchoolMeals,
        "exclusion" => Exclusion,
        "behaviour" => Behaviour,
        _ => return None,
    })
}

/// Words that, right after a term, make it a topic rather than a fact about
/// someone: "SEND *policy*", "child protection *training*", "Diabetes
/// *awareness* week", "pupil premium *strategy* statement", "Diabetes *UK*"
/// (a charity a pupil raised money for).
pub static TOPIC_SUFFIXES: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| wordlists::section(wordlists::TERM_WORDS, "topic_suffixes"));

/// Words after a term that make it general but can still be about someone
/// ("pupil premium *funding* for Zara's trip"): the term counts as weak.
pub static SOFT_TOPIC_SUFFIXES: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| wordlists::section(wordlists::TERM_WORDS, "soft_topic_suffixes"));

/// Words that, right before a term, make it a topic: "our SEND policy" is
/// caught by the suffix, but "whole-school safeguarding", "statutory
/// safeguarding" or "national Diabetes week" by these.
pub static TOPIC_PREFIXES: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| wordlists::section(wordlists::TERM_WORDS, "topic_prefixes"));

/// Words of a table column header that make it a flag column (`fsm: Y`,
/// `sen status: K`, `Pupil Premium Indicator: T`): the header names the
/// kind, the value says yes or no. Matched on whole header words.
pub static FLAG_WORDS: LazyLock<Vec<(&'static str, Kind)>> = LazyLock::new(|| {
    wordlists::section(wordlists::TERM_WORDS, "flag_words")
        .into_iter()
        .filter_map(|l| {
            let (w, k) = l.split_once('=')?;
            Some((w.trim(), parse_kind(k.trim())?))
        })
        .collect()
});

/// Header phrases that make a flag column.
pub static FLAG_PHRASES: LazyLock<Vec<(&'static str, Kind)>> = LazyLock::new(|| {
    wordlists::section(wordlists::TERM_WORDS, "flag_phrases")
        .into_iter()
        .filter_map(|l| {
            let (w, k) = l.split_once('=')?;
            Some((w.trim(), parse_kind(k.trim())?))
        })
        .collect()
});

/// The kind a column header flags, if it is a flag column.
pub fn flag_kind(header: &str) -> Option<Kind> {
    let h = header.trim().to_ascii_lowercase();
    if let Some(&(_, k)) = FLAG_PHRASES.iter().find(|(p, _)| h.contains(p)) {
        return Some(k);
    }
    h.split(|c: char| !c.is_ascii_alphanumeric())
        .find_map(|w| FLAG_WORDS.iter().find(|(f, _)| *f == w).map(|&(_, k)| k))
}

/// Cell values that mean "no" / "none" in a flag column.
pub static NEGATIVE_VALUES: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| wordlists::section(wordlists::TERM_WORDS, "negative_values"));

/// Is a flag cell's value a "no"?
pub fn negative_value(value: &str) -> bool {
    let v = value.trim().to_ascii_lowercase();
    v.is_empty()
        || NEGATIVE_VALUES.contains(&v.as_str())
        || v.starts_with("no ")
        || v.starts_with("not ")
}
