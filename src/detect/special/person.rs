//! Person references near a special-category term: who a sentence is about.
//!
//! A reference is a capitalised given name from the short dictionary
//! followed by a capitalised surname ("Tyler Evans"), a title and surname
//! ("Mrs Evans"), a given name with a pupil reference ("Amira (Year 3)",
//! "Leo in 4B") or, weakest, a given name alone ("Amira's EpiPen"). Names the
//! short dictionary lacks come from the large lists of every culture
//! (`data/given_names_extended.txt`, `data/surnames.txt`) or from context: a
//! class, DOB or UPN after a capitalised pair, a pupil role or "about"/"for"
//! before it ([`other_name`]); see docs/special-category-names.md.
//!
//! Then the heuristics that keep staff out: a name in a greeting or a
//! sign-off, a name in apposition with a role ("Mrs Patel, our DSL"), or a
//! name doing something generic ("Mrs Patel will lead ...", "contact Mrs
//! Evans") is not the person the data is about.

/// The given-name dictionary: `data/given_names.txt`, one name a line; a
/// trailing `*` marks a name that is also an ordinary word (Will, May, Grace).
/// These common names are people even alone ("Amira's EpiPen").
const GIVEN_NAMES: &str = include_str!("data/given_names.txt");

/// Given names of every culture (ONS baby names, census and locale lists):
/// tens of thousands, so never a person alone, only with a surname or a
/// pupil reference ("Oluwaseun Adeyemi", "Wei (Y5)"). Same format.
const GIVEN_NAMES_EXTENDED: &str = include_str!("data/given_names_extended.txt");

/// Surnames of every culture, same format: they let a capitalised pair
/// whose given name is unknown be a person when a pupil reference or a role
/// says so, and an ambiguous given name ("Hope") pair with a real surname.
const SURNAMES: &str = include_str!("data/surnames.txt");

/// Ordinary English words in lower case: a capitalised word that is one
/// ("Phonics", "Screening") is no name unless a name list has it.
const ENGLISH_WORDS: &str = include_str!("data/english_words.txt");

/// The entry lines of a name or word file (not empty, not `#` comments).
/// Split by a plain byte loop: `str::lines` calls `memchr` once per line,
/// which over 100,000 short lines cost more than the whole parse (tens of
/// milliseconds of start-up).
fn entries(src: &str) -> impl Iterator<Item = &str> {
    src.as_bytes()
        .split(|&b| b == b'\n')
        .filter_map(|l| std::str::from_utf8(l).ok())
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

/// Parses a name file into two sorted key lists: unambiguous names, and
/// names that are also words (a trailing `*`).
fn load_names(src: &str) -> (Vec<u128>, Vec<u128>) {
    // Sized once from a count, so no vector grows by doubling (each step a
    // new allocation the process keeps as resident memory).
    let bytes = src.as_bytes();
    let lines = bytes.iter().filter(|&&b| b == b'\n').count() + 1;
    let starred = bytes.windows(2).filter(|w| w == b"*\n").count() + 1;
    let (mut plain, mut ambiguous) = (
        Vec::with_capacity(lines.saturating_sub(starred)),
        Vec::with_capacity(starred),
    );
    for l in entries(src) {
        match l.strip_suffix('*') {
            Some(n) => ambiguous.extend(pack(n)),
            None => plain.extend(pack(l)),
        }
    }
    for v in [&mut plain, &mut ambiguous] {
        v.sort_unstable();
        v.dedup();
    }
    (plain, ambiguous)
}

/// How a word stands in a name list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listed {
    /// Only a name ("Oluwaseun", "Zhang").
    Name,
    /// A name that is also an ordinary word ("Hope", "Hall").
    Ambiguous,
}

use super::wordlists;
use std::sync::LazyLock;

/// How a person is referred to; the kinds differ in how sure we are that a
/// real individual is meant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefKind {
    /// Given name + surname.
    FullName,
    /// Mr/Mrs/Ms/Miss/Mx/Dr + surname.
    Title,
    /// A given name with a pupil reference: "Amira (Year 3)", "Leo in 4B".
    GivenWithClass,
    /// A name cell of a table row.
    TableCell,
    /// A given name alone: weaker (it may be a word or the reader).
    Given,
}

impl RefKind {
    /// A strong reference identifies one individual by itself.
    pub fn strong(self) -> bool {
        !matches!(self, RefKind::Given)
    }
}

/// One reference to a person: where it is and its masked form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonRef {
    pub start: usize,
    pub end: usize,
    pub kind: RefKind,
}

impl PersonRef {
    /// The reference as written, for telling people apart inside the
    /// detector (two names can share a mask). Never leaves the detector.
    pub fn key<'t>(&self, text: &'t str) -> &'t str {
        text.get(self.start..self.end).unwrap_or("")
    }

    /// Masked for evidence: `T**** E****`, `Mrs E****`. Computed only for
    /// the references that end up in a finding.
    pub fn masked(&self, text: &str) -> String {
        mask_name(self.key(text))
    }
}

/// The embedded name dictionary, parsed once.
pub struct Names {
    /// Given names as packed keys, sorted, with `true` when unambiguous.
    /// Integer keys make the lookup for every capitalised word a handful of
    /// compares instead of hashing or string compares.
    given: Vec<(u128, bool)>,
    /// [`NOT_SURNAMES`], packed and sorted the same way.
    not_surnames: Vec<u128>,
    /// [`GIVEN_NAMES_EXTENDED`]: unambiguous, and also words.
    extended: (Vec<u128>, Vec<u128>),
    /// [`SURNAMES`]: unambiguous, and also words.
    surnames: (Vec<u128>, Vec<u128>),
    /// [`ENGLISH_WORDS`], lower case.
    english: Vec<u128>,
}

/// Packs an ASCII word of at most 16 bytes into an integer that orders and
/// compares like the word (left-aligned, zero-padded; words hold no NUL).
fn pack(w: &str) -> Option<u128> {
    if w.len() > 16 || !w.is_ascii() {
        return None;
    }
    let mut k: u128 = 0;
    for (i, b) in w.bytes().enumerate() {
        k |= u128::from(b) << (8 * (15 - i));
    }
    Some(k)
}

impl Names {
    /// The dictionaries, parsed once per process and shared by every
    /// detector that needs them (special category, dates of birth).
    pub fn shared() -> &'static Names {
        static SHARED: std::sync::OnceLock<Names> = std::sync::OnceLock::new();
        SHARED.get_or_init(Names::new)
    }

    pub fn new() -> Self {
        let mut given: Vec<(u128, bool)> = GIVEN_NAMES
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .filter_map(|l| match l.strip_suffix('*') {
                Some(n) => pack(n).map(|k| (k, false)),
                None => pack(l).map(|k| (k, true)),
            })
            .collect();
        given.sort_unstable();
        given.dedup_by(|a, b| a.0 == b.0);
        let mut not_surnames: Vec<u128> = NOT_SURNAMES.iter().filter_map(|w| pack(w)).collect();
        not_surnames.sort_unstable();
        let lines = ENGLISH_WORDS.bytes().filter(|&b| b == b'\n').count() + 1;
        let mut english: Vec<u128> = Vec::with_capacity(lines);
        english.extend(entries(ENGLISH_WORDS).filter_map(pack));
        english.sort_unstable();
        english.dedup();
        Names {
            given,
            not_surnames,
            extended: load_names(GIVEN_NAMES_EXTENDED),
            surnames: load_names(SURNAMES),
            english,
        }
    }

    /// A given name from either dictionary.
    pub fn given_any(&self, w: &str) -> Option<Listed> {
        let folded;
        let w = if w.is_ascii() {
            w
        } else {
            folded = deunicode::deunicode(w);
            folded.as_str()
        };
        match self.lookup(w) {
            Some(true) => return Some(Listed::Name),
            Some(false) => return Some(Listed::Ambiguous),
            None => {}
        }
        listed(&self.extended, w)
    }

    /// A surname from the surname list.
    pub fn surname(&self, w: &str) -> Option<Listed> {
        listed(&self.surnames, w)
    }

    /// Is the capitalised word `w` an ordinary English word ("Screening")?
    /// Words that are not ASCII are not in the list.
    pub fn is_word(&self, w: &str) -> bool {
        if w.len() > 16 || !w.is_ascii() {
            return false;
        }
        let lower = w.to_ascii_lowercase();
        pack(&lower).is_some_and(|k| self.english.binary_search(&k).is_ok())
    }

    /// `Some(true)` for an unambiguous given name, `Some(false)` for one that
    /// is also a word, `None` for neither.
    fn lookup(&self, w: &str) -> Option<bool> {
        let k = pack(w)?;
        self.given
            .binary_search_by(|(n, _)| n.cmp(&k))
            .ok()
            .and_then(|i| self.given.get(i))
            .map(|&(_, unambiguous)| unambiguous)
    }

    pub fn not_surname(&self, w: &str) -> bool {
        pack(w).is_some_and(|k| self.not_surnames.binary_search(&k).is_ok())
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.given.len()
    }
}

fn listed(lists: &(Vec<u128>, Vec<u128>), w: &str) -> Option<Listed> {
    // The lists are ASCII-folded: "Zoë", "Łukasz", "Wiśniewski" fold too.
    let k = if w.is_ascii() {
        pack(w)?
    } else {
        pack(&deunicode::deunicode(w))?
    };
    if lists.0.binary_search(&k).is_ok() {
        Some(Listed::Name)
    } else if lists.1.binary_search(&k).is_ok() {
        Some(Listed::Ambiguous)
    } else {
        None
    }
}

static TITLES: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| wordlists::section(wordlists::PERSON, "titles"));

/// Capitalised words that follow a given name without being a surname
/// ("Summer Term", "Grace Academy", "Jack Straw Lane" aside).
static NOT_SURNAMES: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| wordlists::section(wordlists::PERSON, "not_surnames"));

/// A staff role in apposition with a name: "Mrs Patel, our DSL".
static ROLE_WORDS: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| wordlists::section(wordlists::PERSON, "role_words"));

/// A role word, singular or plural: "our *deputies* (Mrs Denholm and Miss
/// Shah)", "the *DSLs*", "*governors*".
fn is_role(w: &str) -> bool {
    if ROLE_WORDS.contains(&w) {
        return true;
    }
    if let Some(stem) = w.strip_suffix("ies") {
        return ROLE_WORDS.iter().any(|r| r.strip_suffix('y') == Some(stem));
    }
    w.strip_suffix('s')
        .is_some_and(|stem| stem.len() >= 2 && ROLE_WORDS.contains(&stem))
}

/// Words allowed between a name and its role: "Mrs Patel, *our new* DSL",
/// "*the school's designated safeguarding* lead".
static ROLE_CONNECTIVES: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| wordlists::section(wordlists::PERSON, "role_connectives"));

/// Verbs of a staff member doing something generic about a topic:
/// "Mrs Patel *will lead* child protection training".
static STAFF_ACTIONS: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| wordlists::section(wordlists::PERSON, "staff_actions"));

/// Routine tasks of staff, in every form: "Miss Shah has *checked* every
/// EpiPen", "Mr Osei *to complete* SEN support plans", "Mr Lowe *reminded*
/// everyone". Unlike [`STAFF_ACTIONS`] a pupil can do these to their own
/// things ("Tyler checked his blood sugar"), so a possessive right after the
/// verb keeps the person the subject.
static STAFF_ROUTINE: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| wordlists::section(wordlists::PERSON, "staff_routine"));

/// Auxiliaries skipped between a name and a staff action.
static AUXILIARIES: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| wordlists::section(wordlists::PERSON, "auxiliaries"));

/// Words just before a name that make it the person to contact or thank,
/// not the subject: "please *contact* Mrs Evans", "*thanks* Sarah".
static CONTACT_BEFORE: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| wordlists::section(wordlists::PERSON, "contact_before"));

/// Verbs before "to"/"with": "*speak to* Mrs Evans", "*liaise with* Mr Shah".
static TALK_VERBS: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| wordlists::section(wordlists::PERSON, "talk_verbs"));

/// A line starting with one of these (case-insensitive) names its reader.
static GREETINGS: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| wordlists::section(wordlists::PERSON, "greetings"));

/// A line of these (case-insensitive, optional comma) starts a sign-off.
static SIGN_OFFS: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| wordlists::section(wordlists::PERSON, "sign_offs"));

/// Header labels of forwarded or quoted mail: names there are senders.
static HEADER_LABELS: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| wordlists::section(wordlists::PERSON, "header_labels"));

/// A word: a run of letters (with inner `'`, `’` or `-`) and its byte span.
#[derive(Debug, Clone, Copy)]
struct Word {
    start: usize,
    end: usize,
}

/// Splits `text[lo..hi]` into words and keeps the capitalised ones (titles,
/// names and surnames all are): one byte loop, and a short list, because
/// this runs over every paragraph that has a hit. Two kept words are
/// adjacent in the text exactly when only blanks lie between them, so the
/// gap test still tells "Tyler Evans" from "Tyler told Evans". `lo` and `hi`
/// must be char boundaries.
fn words(text: &str, lo: usize, hi: usize) -> Vec<Word> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let hi = hi.min(bytes.len());
    let mut i = lo;
    while i < hi {
        let b = bytes[i];
        let (alpha, upper, len) = if b < 0x80 {
            (b.is_ascii_alphabetic(), b.is_ascii_uppercase(), 1)
        } else {
            match text.get(i..).and_then(|r| r.chars().next()) {
                Some(c) => (c.is_alphabetic(), c.is_uppercase(), c.len_utf8()),
                None => (false, false, 1),
            }
        };
        if !alpha {
            i += len;
            continue;
        }
        let end = word_end(text, i, hi);
        if upper {
            out.push(Word { start: i, end });
        }
        i = end.max(i + len);
    }
    out
}

/// End of the word starting at `i`: letters, and `'` `’` `-` between
/// letters. A byte loop for ASCII; other characters are decoded.
fn word_end(text: &str, i: usize, hi: usize) -> usize {
    let bytes = text.as_bytes();
    let hi = hi.min(bytes.len());
    let alpha_at = |j: usize| -> Option<usize> {
        // Length of the letter at j, if it is one.
        let b = *bytes.get(j)?;
        if b < 0x80 {
            return b.is_ascii_alphabetic().then_some(1);
        }
        let c = text.get(j..)?.chars().next()?;
        c.is_alphabetic().then(|| c.len_utf8())
    };
    let mut j = i;
    while j < hi {
        if let Some(len) = alpha_at(j) {
            j += len;
            continue;
        }
        // Inner apostrophe or hyphen followed by a letter.
        let joiner = match bytes[j] {
            b'\'' | b'-' => 1,
            0xE2 if bytes.get(j + 1) == Some(&0x80) && bytes.get(j + 2) == Some(&0x99) => 3, // ’
            _ => 0,
        };
        if joiner > 0 && j > i && j + joiner < hi && alpha_at(j + joiner).is_some() {
            j += joiner;
            continue;
        }
        break;
    }
    j
}

/// Strips a possessive `'s` / `’s` (and a bare trailing apostrophe).
fn strip_possessive(w: &str) -> &str {
    w.strip_suffix("'s")
        .or_else(|| w.strip_suffix("’s"))
        .unwrap_or(w)
}

/// Only spaces, tabs and at most one line break between two words.
fn tight_gap(gap: &str) -> bool {
    gap.len() <= 4
        && !gap.is_empty()
        && gap
            .chars()
            .all(|c| c == ' ' || c == '\t' || c == '\n' || c == '\r')
        && gap.matches('\n').count() <= 1
}

fn is_surname(names: &Names, w: &str, allow_caps: bool) -> bool {
    let w = strip_possessive(w);
    let mut chars = w.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    if !first.is_uppercase() || w.chars().count() < 2 {
        return false;
    }
    if names.not_surname(w) {
        return false;
    }
    let rest: Vec<char> = chars.collect();
    let all_caps = rest.iter().all(|c| !c.is_lowercase());
    if all_caps {
        return allow_caps && rest.len() >= 2;
    }
    // Second letter lower-case, or the prefixes of Mc/Mac/O'/D' names.
    match rest.first() {
        Some(c) if c.is_lowercase() => {
            // "McDonald", "MacLeod", "DeSouza" have one inner capital; more
            // (e.g. "SENCo" handled above, "iPad") are not names.
            rest.iter().filter(|c| c.is_uppercase()).count() <= 1
        }
        Some('\'') | Some('’') => true,
        _ => false,
    }
}

/// Masks a name for evidence: initial + fixed stars per word, so neither
/// the name nor its length shows ("Tyler Evans" → "T**** E****").
pub fn mask_name(name: &str) -> String {
    let mut out = String::new();
    for w in name.split(|c: char| c.is_whitespace() || c == ',') {
        let w = strip_possessive(w.trim_matches(|c: char| !c.is_alphanumeric()));
        let Some(first) = w.chars().next() else {
            continue;
        };
        if !out.is_empty() {
            out.push(' ');
        }
        if TITLES.contains(&w) {
            out.push_str(w);
        } else {
            out.push(first);
            out.push_str("****");
        }
    }
    out
}

/// Does a short text (a subject line) name a class or year group after some
/// word ("Amelia Jones 10C", "Chidi Okonkwo (Y3)", "Tom in Year 4")?
pub fn has_class_ref(text: &str) -> bool {
    text.char_indices()
        .filter(|&(_, c)| c == ' ' || c == ',')
        .any(|(i, _)| class_ref_after(text, i).is_some())
}

/// After a name: a pupil reference ("(Year 3)", "(Y6)", "in 4B", ", Year 5",
/// "in Reception")? Returns its end.
fn class_ref_after(text: &str, pos: usize) -> Option<usize> {
    let rest = text.get(pos..)?;
    let rest = &rest[..floor_boundary(rest, 40)];
    let bytes = rest.as_bytes();
    let mut i = 0;
    while i < bytes.len() && matches!(bytes[i], b' ' | b'(' | b',' | b'[' | b'-') {
        i += 1;
    }
    for pre in ["in class ", "in Class ", "in ", "from ", "class ", "Class "] {
        if rest.get(i..).is_some_and(|r| r.starts_with(pre)) {
            i += pre.len();
            break;
        }
    }
    let r = rest.get(i..)?;
    let after_digits = |s: &str| -> usize { s.bytes().take_while(u8::is_ascii_digit).count() };
    let consumed = if let Some(s) = r.strip_prefix("Year ").or_else(|| r.strip_prefix("Yr ")) {
        let d = after_digits(s);
        (d > 0 && d <= 2).then(|| r.len() - s.len() + d)
    } else if let Some(s) = r
        .strip_prefix("Y")
        .or_else(|| r.strip_prefix("Yr"))
        .filter(|s| s.bytes().next().is_some_and(|b| b.is_ascii_digit()))
    {
        let d = after_digits(s);
        (d <= 2).then(|| r.len() - s.len() + d)
    } else if r.starts_with("Reception") || r.starts_with("Nursery") {
        Some(if r.starts_with('R') { 9 } else { 7 })
    } else {
        // "4B", "10X", "11AB": 1–2 digits then 1–3 capitals.
        let d = after_digits(r);
        let caps = r
            .get(d..)
            .map(|s| s.bytes().take_while(u8::is_ascii_uppercase).count())
            .unwrap_or(0);
        ((1..=2).contains(&d) && (1..=3).contains(&caps)).then_some(d + caps)
    }?;
    // Must end at a word boundary.
    let end = i + consumed;
    match rest.as_bytes().get(end) {
        Some(b) if b.is_ascii_alphanumeric() => None,
        _ => Some(pos + end),
    }
}

/// Surnames that are also words for places ("Callum Ward", "Amy Hall",
/// "Ben Park"): refused as surnames in [`NOT_SURNAMES`] ("Ward 5",
/// "Elizabeth House") unless a person is plainly meant.
static PLACE_SURNAMES: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| wordlists::section(wordlists::PERSON, "place_surnames"));

/// Words that, right after a given name, make it a place's name.
static PLACE_NOUNS: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| wordlists::section(wordlists::PERSON, "place_nouns"));

/// Words before a name that make "Given Place" a place: "*at* Elizabeth
/// House", "*on* Ward 5", "*the* Victoria Hall".
static PLACE_BEFORE: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| wordlists::section(wordlists::PERSON, "place_before"));

/// Is `w` (right after the given name at `given_start`) a place word used as
/// a surname? Only when a lower-case word follows it, as a verb does
/// ("Callum Ward has been suspended"), not a number or a capitalised word
/// ("Ward 12", "Park Road"), and nothing before the given name makes it a
/// place ("at Elizabeth House").
fn place_word_as_surname(text: &str, given_start: usize, w: &str, at: Option<&Word>) -> bool {
    let Some(at) = at else {
        return false;
    };
    if !PLACE_SURNAMES.contains(&strip_possessive(w)) {
        return false;
    }
    let after = text.get(at.end..).unwrap_or("");
    let verb_follows = after
        .strip_prefix(' ')
        .is_some_and(|a| a.starts_with(|c: char| c.is_ascii_lowercase()));
    if !verb_follows {
        return false;
    }
    let before = text.get(..given_start).unwrap_or("").trim_end();
    let prev: String = before
        .chars()
        .rev()
        .take_while(|c| c.is_alphabetic())
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect::<String>()
        .to_lowercase();
    !PLACE_BEFORE.contains(&prev.as_str())
}

/// Verbs that, after a lower-case name, make it the subject of the
/// sentence: "freya moss *has* asthma".
static LOWER_NAME_VERBS: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| wordlists::section(wordlists::PERSON, "lower_name_verbs"));

/// Lower-case words that are never a surname after a given name.
static LOWER_NOT_SURNAMES: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| wordlists::section(wordlists::PERSON, "lower_not_surnames"));

/// Names written in lower case ("freya moss has asthma"), which only quick
/// notes do: a given name from the dictionary (unambiguous, so not "will"
/// or "grace"), then a surname-shaped lower-case word, then a verb that
/// makes the pair the subject, all in the clause of the strong term at
/// `term` (no `,` `;` `:` `(` `)` or sentence end between). Only called for a
/// strong term in a paragraph with no capitalised reference at all.
pub fn lower_case_refs(
    names: &Names,
    text: &str,
    lo: usize,
    hi: usize,
    term: (usize, usize),
) -> Vec<PersonRef> {
    let mut out = Vec::new();
    let Some(sentence) = text.get(lo..hi) else {
        return out;
    };
    // Word spans (ASCII letters and inner apostrophes), relative to `lo`.
    let mut spans: Vec<(usize, usize)> = Vec::new();
    let bytes = sentence.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_alphabetic() {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_alphabetic() || bytes[i] == b'\'') {
                i += 1;
            }
            spans.push((start, i));
        } else {
            i += 1;
        }
    }
    let clause_break = |a: usize, b: usize| {
        text.get(a.min(b)..a.max(b))
            .is_some_and(|g| g.contains([',', ';', ':', '(', ')', '.', '!', '?', '\n']))
    };
    for k in 0..spans.len().saturating_sub(2) {
        let (a, b, c) = (spans[k], spans[k + 1], spans[k + 2]);
        let w1 = &sentence[a.0..a.1];
        let w2 = &sentence[b.0..b.1];
        let w3 = &sentence[c.0..c.1];
        if !w1.starts_with(|ch: char| ch.is_ascii_lowercase())
            || &sentence[a.1..b.0] != " "
            || &sentence[b.1..c.0] != " "
            || w2.len() < 2
            || !w2.bytes().all(|x| x.is_ascii_lowercase())
            || LOWER_NOT_SURNAMES.contains(&w2)
            || !LOWER_NAME_VERBS.contains(&w3)
        {
            continue;
        }
        let mut cap = w1.to_string();
        if let Some(f) = cap.get_mut(0..1) {
            f.make_ascii_uppercase();
        }
        if names.lookup(&cap) != Some(true) {
            continue;
        }
        let (start, end) = (lo + a.0, lo + b.1);
        let near_end = if term.0 >= end { term.0 } else { term.1 };
        let from = if term.0 >= end { end } else { start };
        if clause_break(from, near_end) {
            continue;
        }
        out.push(PersonRef {
            start,
            end,
            kind: RefKind::FullName,
        });
    }
    out
}

/// Are two references joined as a list ("Mrs Denholm and Miss Shah",
/// "Mrs Denholm, Miss Shah")? `a` is where the first ends, `b` where the
/// second starts.
pub fn coordinated(text: &str, a: usize, b: usize) -> bool {
    let Some(gap) = text.get(a..b) else {
        return false;
    };
    let g = gap.trim();
    gap.len() <= 8 && matches!(g, "and" | "or" | "&" | "," | ", and" | ", or" | "/")
}

/// Finds the person references in `text[lo..hi]` (char boundaries).
pub fn find_refs(names: &Names, text: &str, lo: usize, hi: usize, table: bool) -> Vec<PersonRef> {
    let ws = words(text, lo, hi);
    let mut out = Vec::new();
    let word = |k: usize| -> &str {
        ws.get(k)
            .and_then(|w| text.get(w.start..w.end))
            .unwrap_or("")
    };
    let gap = |a: usize, b: usize| -> &str {
        match (ws.get(a), ws.get(b)) {
            (Some(x), Some(y)) => text.get(x.end..y.start).unwrap_or(""),
            _ => "",
        }
    };
    let mut i = 0;
    while i < ws.len() {
        let w = strip_possessive(word(i));
        // Titles and names are capitalised: most words stop here, cheaply.
        if !w.starts_with(|c: char| c.is_uppercase()) {
            i += 1;
            continue;
        }
        // Title + (given name) + surname.
        if w.len() <= 6 && TITLES.contains(&w) {
            let g = gap(i, i + 1);
            let g_ok = tight_gap(g) || (g.starts_with('.') && tight_gap(&g[1..]));
            if g_ok && is_surname(names, word(i + 1), table) {
                let mut last = i + 1;
                // "Mrs Bev Holroyd": a second capitalised word belongs to the
                // name even when the first is not in the dictionary, unless
                // it is a given name starting someone else ("Mr Shah Tyler").
                let first_given = names.lookup(strip_possessive(word(i + 1))).is_some();
                if !word(i + 1).ends_with("'s")
                    && tight_gap(gap(i + 1, i + 2))
                    && !gap(i + 1, i + 2).contains('\n')
                    && is_surname(names, word(i + 2), table)
                    && (first_given || names.lookup(strip_possessive(word(i + 2))).is_none())
                {
                    last = i + 2;
                }
                let end = ws[last].start + strip_possessive(word(last)).len();
                let start = ws[i].start;
                out.push(PersonRef {
                    start,
                    end,
                    kind: RefKind::Title,
                });
                i = last + 1;
                continue;
            }
        }
        // "St Mary's", "Saint John's": a school or church, not a person.
        let saint = i > 0
            && matches!(word(i - 1), "St" | "Saint")
            && gap(i - 1, i).trim_start_matches('.').trim().is_empty();
        if saint {
            i += 1;
            continue;
        }
        if let Some(unambiguous) = names.lookup(w) {
            let possessive = w.len() != word(i).len();
            let start = ws[i].start;
            // Given name + surname (+ one more surname: "Amira Noor Khan").
            if !possessive
                && tight_gap(gap(i, i + 1))
                && (is_surname(names, word(i + 1), table)
                    || place_word_as_surname(text, ws[i].start, word(i + 1), ws.get(i + 1)))
            {
                let mut last = i + 1;
                if !word(i + 1).ends_with("'s")
                    && tight_gap(gap(i + 1, i + 2))
                    && !gap(i + 1, i + 2).contains('\n')
                    && is_surname(names, word(i + 2), table)
                    && names.lookup(strip_possessive(word(i + 2))).is_none()
                {
                    last = i + 2;
                }
                let end = ws[last].start + strip_possessive(word(last)).len();
                out.push(PersonRef {
                    start,
                    end,
                    kind: RefKind::FullName,
                });
                i = last + 1;
                continue;
            }
            let end = start + w.len();
            // "Elizabeth House", "Victoria Park", "Alexandra Road": the name
            // of a place, not a person.
            if !possessive
                && tight_gap(gap(i, i + 1))
                && !gap(i, i + 1).contains('\n')
                && PLACE_NOUNS.contains(&strip_possessive(word(i + 1)))
            {
                i += 2;
                continue;
            }
            if let Some(_cls) = class_ref_after(text, ws[i].end) {
                out.push(PersonRef {
                    start,
                    end,
                    kind: RefKind::GivenWithClass,
                });
            } else if unambiguous {
                out.push(PersonRef {
                    start,
                    end,
                    kind: RefKind::Given,
                });
            }
        } else if let Some((r, next)) = other_name(names, text, &ws, i, table) {
            out.push(r);
            i = next;
            continue;
        }
        i += 1;
    }
    out.retain(|r| r.kind != RefKind::FullName || !named_after(text, r.end));
    out
}

/// "Trung's EHCP": the name-shaped word whose possessive stands right
/// before a sensitive term starting at `term_start`. A possessive before
/// such a term makes any name a person, listed or not (a pupil's plan, a
/// child's diagnosis); ordinary words ("the school's EHCP policy"), places
/// and saints' names ("St Mary's SEN unit") stay out.
pub fn possessive_before(names: &Names, text: &str, term_start: usize) -> Option<PersonRef> {
    let before = text.get(..term_start)?.trim_end_matches([' ', '\t']);
    let stem = before
        .strip_suffix("'s")
        .or_else(|| before.strip_suffix("’s"))?;
    let start = stem
        .char_indices()
        .rev()
        .find(|(_, c)| !(c.is_alphabetic() || *c == '-'))
        .map_or(0, |(i, c)| i + c.len_utf8());
    let w = stem.get(start..)?;
    if w.chars().count() < 2 || !is_surname(names, w, false) {
        return None;
    }
    let listed = names.given_any(w).is_some() || names.surname(w).is_some();
    if (!listed && names.is_word(w)) || PLACE_NOUNS.contains(&w) || is_place(w) {
        return None;
    }
    let prev = stem.get(..start)?.trim_end();
    let prev_word = prev
        .rsplit(|c: char| !c.is_alphabetic())
        .next()
        .unwrap_or("");
    if matches!(prev_word, "St" | "Saint" | "the" | "The") {
        return None;
    }
    Some(PersonRef {
        start,
        end: start + w.len(),
        kind: RefKind::Given,
    })
}

/// Nations, counties, cities and local authorities (`places.txt`), and any
/// word ending in -shire: an organisation when it owns a service.
fn is_place(w: &str) -> bool {
    static PLACES: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
        include_str!("data/places.txt")
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect()
    });
    w.to_ascii_lowercase().ends_with("shire") || PLACES.iter().any(|p| p.eq_ignore_ascii_case(w))
}

/// How the attribution line of a quoted reply ends.
static ATTRIBUTION_ENDINGS: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| wordlists::section(wordlists::PERSON, "attribution_endings"));

/// Words after a full name that make it a place's or an event's name.
static NAMED_AFTER: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| wordlists::section(wordlists::PERSON, "named_after"));

/// Is the full name ending at `end` the name of a place, an event or an
/// institution: "Florence Nightingale Hospital", "Harry Potter Day"?
fn named_after(text: &str, end: usize) -> bool {
    let Some(rest) = text.get(end..).and_then(|r| r.strip_prefix(' ')) else {
        return false;
    };
    let w = rest
        .split(|c: char| !c.is_alphabetic())
        .next()
        .unwrap_or("");
    !w.is_empty() && (NAMED_AFTER.contains(&w) || PLACE_NOUNS.contains(&w))
}

/// A name the short dictionary lacks, at word `i`: "Oluwaseun Adeyemi",
/// "Wei Zhang in Year 5", "for Chidi Okonkwo (Y3)", "Glenys's EHCP".
/// Returns the reference and the next word to look at.
///
/// A pair of capitalised words is a person when the first is a given name
/// of the large list (unambiguous, or with a listed surname), or when
/// evidence says so: a pupil reference after it, a role or "about"/"for"
/// before it ([`person_context`]). Either way, each word must be a listed
/// name or no ordinary English word, so "Phonics Screening (Year 1)" and
/// "Young Minds" stay out. A single word is a person only with a pupil
/// reference ("Chidera (Y3)"), or, when it is an unambiguous given name
/// that is no surname ("Kent" is a county), as a possessive ("Glenys's
/// EHCP") or the subject of a verb ("Oluwaseun has ...").
fn other_name(
    names: &Names,
    text: &str,
    ws: &[Word],
    i: usize,
    table: bool,
) -> Option<(PersonRef, usize)> {
    let at = ws.get(i)?;
    let raw = text.get(at.start..at.end)?;
    let w = strip_possessive(raw);
    if w.chars().count() < 2 || names.not_surname(w) {
        return None;
    }
    let given = names.given_any(w);
    let name_like = |x: &str, listed: bool| listed || !names.is_word(x);
    if !name_like(w, given.is_some() || names.surname(w).is_some()) {
        return None;
    }
    let possessive = raw.len() != w.len();
    let start = at.start;
    if let Some(next) = ws.get(i + 1) {
        let gap = text.get(at.end..next.start).unwrap_or("");
        let w2raw = text.get(next.start..next.end).unwrap_or("");
        let w2 = strip_possessive(w2raw);
        if !possessive
            && tight_gap(gap)
            && !gap.contains('\n')
            && is_surname(names, w2raw, table)
            && !names.not_surname(w2)
        {
            let surname = names.surname(w2);
            if name_like(w2, surname.is_some() || names.given_any(w2).is_some()) {
                let end = next.start + w2.len();
                let listed = given == Some(Listed::Name)
                    || (given.is_some() && surname == Some(Listed::Name));
                if listed || person_context(text, start, end) {
                    let r = PersonRef {
                        start,
                        end,
                        kind: RefKind::FullName,
                    };
                    return Some((r, i + 2));
                }
            }
        }
    }
    let end = start + w.len();
    // A given name with a class, listed or not: "Chidera (Y3)", "Tsegaye in
    // Year 4" (name-shaped, no English word: not "Phonics (Y1)").
    let unlisted_name = given.is_none() && !names.is_word(w) && is_surname(names, raw, false);
    if (given.is_some() || unlisted_name) && class_ref_after(text, at.end).is_some() {
        let r = PersonRef {
            start,
            end,
            kind: RefKind::GivenWithClass,
        };
        return Some((r, i + 1));
    }
    // "Oluwaseun has an EHCP": an unambiguous given name that is no surname
    // (so no place: "Kent", "London"), as the subject of a verb.
    let subject_of_verb = || {
        text.get(at.end..)
            .and_then(|a| a.strip_prefix(' '))
            .and_then(|a| a.split(|c: char| !c.is_ascii_alphabetic()).next())
            .is_some_and(|v| LOWER_NAME_VERBS.contains(&v))
    };
    if given == Some(Listed::Name)
        && names.surname(w).is_none()
        && (possessive || subject_of_verb())
    {
        let r = PersonRef {
            start,
            end,
            kind: RefKind::Given,
        };
        return Some((r, i + 1));
    }
    None
}

/// In a subject line with a sensitive term, the capitalised pairs that could
/// only be a name: each word a listed name or no ordinary English word, and
/// not both ordinary-word names ("Young Hall"). Subjects carry no sentence
/// to judge by, so the pair is taken as the person the term is about.
pub fn subject_pairs(names: &Names, text: &str) -> Vec<PersonRef> {
    let ws = words(text, 0, text.len());
    let mut out = Vec::new();
    let mut i = 0;
    while i + 1 < ws.len() {
        let (a, b) = (ws[i], ws[i + 1]);
        let w1 = text.get(a.start..a.end).unwrap_or("");
        let w2raw = text.get(b.start..b.end).unwrap_or("");
        let w2 = strip_possessive(w2raw);
        let gap = text.get(a.end..b.start).unwrap_or("");
        let shaped = |w: &str| is_surname(names, w, false) && !names.not_surname(w);
        let plain = |w: &str| {
            let listed = names.given_any(w).or(names.surname(w));
            match listed {
                Some(Listed::Name) => Some(true),
                Some(Listed::Ambiguous) => Some(false),
                None => (!names.is_word(w)).then_some(true),
            }
        };
        let ok = tight_gap(gap)
            && !gap.contains('\n')
            && shaped(w1)
            && shaped(w2raw)
            && !TITLES.contains(&w1)
            && match (plain(w1), plain(w2)) {
                (Some(x), Some(y)) => x || y,
                _ => false,
            };
        if ok {
            out.push(PersonRef {
                start: a.start,
                end: b.start + w2.len(),
                kind: RefKind::FullName,
            });
            i += 2;
        } else {
            i += 1;
        }
    }
    out
}

/// Words before a name that make it a pupil or a child: "our pupil", "her
/// son", "Year 4 student".
static PUPIL_ROLES: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| wordlists::section(wordlists::PERSON, "pupil_roles"));

/// Words before a name that make the message about that person: "about",
/// "regarding", "for".
static ABOUT_WORDS: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| wordlists::section(wordlists::PERSON, "about_words"));

/// Is there evidence around `text[start..end]` that it names a pupil: a
/// class or year after it ("(Y3)", "in 9R", "Reception"), a date of birth
/// or UPN after it, or a pupil role word just before it ("pupil", "son")?
pub fn pupil_reference(text: &str, start: usize, end: usize) -> bool {
    if class_ref_after(text, end).is_some() {
        return true;
    }
    let after = text.get(end..).unwrap_or("");
    let after = after[..floor_boundary(after, 24)]
        .trim_start_matches([' ', ',', '(', '[', '-', '\u{2013}'])
        .to_ascii_lowercase();
    if ["dob", "d.o.b", "born", "upn", "date of birth"]
        .iter()
        .any(|p| after.starts_with(p))
    {
        return true;
    }
    word_before(text, start).is_some_and(|w| PUPIL_ROLES.contains(&w.as_str()))
}

/// [`pupil_reference`], or "about"/"regarding"/"for" just before the name.
fn person_context(text: &str, start: usize, end: usize) -> bool {
    pupil_reference(text, start, end)
        || word_before(text, start).is_some_and(|w| ABOUT_WORDS.contains(&w.as_str()))
}

/// The word just before `pos` on its line, lower-cased ("re:" reads "re").
fn word_before(text: &str, pos: usize) -> Option<String> {
    let before = text.get(..pos)?;
    let before = &before[ceil_boundary(before, before.len().saturating_sub(30))..];
    let line = before.rsplit('\n').next().unwrap_or(before);
    let trimmed = line.trim_end_matches([' ', ':', '\t', ',']);
    if trimmed.len() == line.len() && !line.is_empty() {
        return None; // the name is glued to the word before it
    }
    let w = trimmed
        .rsplit(|c: char| !(c.is_alphanumeric() || c == '\''))
        .next()?;
    (!w.is_empty()).then(|| w.to_lowercase())
}

/// Finds names in the name cells of one table row (`name: Amira Khan |
/// forename: Leo | ...`). `line` is `text[lo..hi]`.
pub fn table_name_cells(text: &str, lo: usize, hi: usize) -> Vec<PersonRef> {
    let mut out = Vec::new();
    let Some(line) = text.get(lo..hi) else {
        return out;
    };
    let mut offset = lo;
    use crate::extract::table_line::{cells, header_value, CELL_SEPARATOR};
    for cell in cells(line) {
        let cell_start = offset;
        offset += cell.len() + CELL_SEPARATOR.len();
        let Some((header, value)) = header_value(cell) else {
            continue;
        };
        let h = header.trim().to_ascii_lowercase();
        let is_name = h.contains("name")
            || h == "pupil"
            || h == "student"
            || h == "child"
            || h == "learner"
            || h.contains("forename")
            || h.contains("surname");
        if !is_name || h.contains("school") || h.contains("parent") || h.contains("contact") {
            continue;
        }
        let value_trim = value.trim();
        if value_trim.is_empty() || !value_trim.chars().any(char::is_alphabetic) {
            continue;
        }
        let vstart = cell_start + header.len() + 2 + (value.len() - value.trim_start().len());
        out.push(PersonRef {
            start: vstart,
            end: vstart + value_trim.len(),
            kind: RefKind::TableCell,
        });
    }
    out
}

fn lower_words(s: &str) -> Vec<String> {
    s.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '’' || c == '-'))
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase())
        .collect()
}

fn line_bounds(text: &str, pos: usize) -> (usize, usize) {
    let start = text
        .get(..pos)
        .and_then(|s| s.rfind('\n'))
        .map_or(0, |i| i + 1);
    let end = text
        .get(pos..)
        .and_then(|s| s.find('\n'))
        .map_or(text.len(), |i| pos + i);
    (start, end)
}

/// One to three capitalised words and nothing else ("Shahidul", "Mary
/// Ann"): the start of a name whose last word was recognised.
fn name_words_only(s: &str) -> bool {
    let words: Vec<&str> = s.split_whitespace().collect();
    (1..=3).contains(&words.len())
        && words.iter().all(|w| {
            w.chars().next().is_some_and(char::is_uppercase)
                && w.chars()
                    .all(|c| c.is_alphabetic() || c == '-' || c == '\'')
        })
}

fn is_sign_off_line(line: &str) -> bool {
    let l = line.trim().trim_end_matches([',', '.', '!']).to_lowercase();
    SIGN_OFFS.contains(&l.as_str())
}

/// Is this reference a member of staff, the reader or the writer rather than
/// the person the data is about? `lo..hi` bounds the sentence.
pub fn is_staff_or_correspondent(text: &str, r: &PersonRef, lo: usize, hi: usize) -> bool {
    let (line_start, line_end) = line_bounds(text, r.start);
    let before_on_line = text.get(line_start..r.start).unwrap_or("").trim();
    let before_lower = before_on_line.to_lowercase();
    // Greeting ("Dear Mrs Evans,"), sign-off on the same line ("Thanks,
    // Sarah"), or a forwarded header ("From: Mrs Patel").
    let lead = before_lower.trim_end_matches([',', ' ']);
    if GREETINGS.contains(&lead)
        || SIGN_OFFS.contains(&lead)
        || HEADER_LABELS.iter().any(|h| before_lower.starts_with(h))
    {
        return true;
    }
    // The writer of a quoted message: "On Mon, ..., Wei Zhang <wz@...> wrote:".
    let rest = text.get(r.end..line_end).unwrap_or("").trim_end();
    if ATTRIBUTION_ENDINGS.iter().any(|e| rest.ends_with(e)) {
        return true;
    }
    // The reader addressed by name to open the message: "Rachel, the first
    // aid room needs ...", as "Hi Rachel," would. A full name opening a note
    // ("Tyler Evans, Y4, has ...") is a subject, so first names and titles only.
    if matches!(r.kind, RefKind::Given | RefKind::Title)
        && before_on_line.is_empty()
        && text.get(..line_start).is_some_and(|b| b.trim().is_empty())
        && text.get(r.end..).is_some_and(|a| a.starts_with(','))
    {
        return true;
    }
    // What stands before the reference on its line is only more of the
    // name ("Shahidul" before a recognised "Henry"): the line starts with
    // the name, as a signature's does.
    let line_starts_with_name = before_on_line.is_empty() || name_words_only(before_on_line);
    // The reader addressed on a line of their own ("Derek," opening a
    // forwarded or quoted message, not only the first line of the text).
    if before_on_line.is_empty()
        && text
            .get(r.end..line_end)
            .is_some_and(|rest| rest.trim_end() == ",")
        && text.get(..line_start).is_some_and(|b| {
            b.trim_end_matches([' ', '\t', '\r']).ends_with('\n') || b.trim().is_empty()
        })
    {
        let prev = text.get(..line_start).unwrap_or("").trim_end();
        let prev_line = prev.rsplit('\n').next().unwrap_or("").trim();
        let opens_paragraph = prev.is_empty()
            || text.get(..line_start).is_some_and(|b| {
                b.trim_end_matches([' ', '\t', '\r']).ends_with("\n\n") || b.ends_with("\n\r\n")
            })
            || HEADER_LABELS
                .iter()
                .any(|h| prev_line.to_lowercase().starts_with(h));
        if opens_paragraph {
            return true;
        }
    }
    // A name at the start of a line right under a sign-off line.
    if line_starts_with_name {
        let mut end = line_start;
        for _ in 0..3 {
            if end == 0 {
                break;
            }
            let prev_end = end - 1; // the '\n'
            let prev_start = text
                .get(..prev_end)
                .and_then(|s| s.rfind('\n'))
                .map_or(0, |i| i + 1);
            let prev = text.get(prev_start..prev_end).unwrap_or("");
            if is_sign_off_line(prev) {
                return true;
            }
            if !prev.trim().is_empty() && prev.trim().len() > 40 {
                break;
            }
            end = prev_start;
        }
    }
    // Role in apposition after the name: "Mrs Patel, our DSL", "Sarah (SENCo)",
    // or, for a name alone on its line (a signature), on the next line.
    let rest_of_line = text.get(r.end..line_end).unwrap_or("");
    let alone = line_starts_with_name
        && rest_of_line
            .trim_matches(|c: char| c.is_whitespace() || c == ',' || c == '.')
            .is_empty();
    let after_end = if alone {
        text.get(line_end + 1..)
            .and_then(|n| n.find('\n'))
            .map_or(text.len(), |i| line_end + 1 + i)
    } else {
        hi.max(r.end).min(line_end.max(r.end))
    };
    let after = text.get(r.end..after_end).unwrap_or("");
    let after_words = lower_words(&after[..floor_boundary(after, 80)]);
    for w in after_words.iter().take(6) {
        if is_role(w) {
            return true;
        }
        if !ROLE_CONNECTIVES.contains(&w.as_str()) {
            break;
        }
    }
    // Role just before the name: "our SENCo, Mrs Evans", "DSL Mrs Patel".
    let from = lo.min(r.start).max(line_start);
    let before = text.get(from..r.start).unwrap_or("");
    let before = &before[ceil_boundary(before, before.len().saturating_sub(80))..];
    let before_words = lower_words(before);
    for w in before_words.iter().rev().take(4) {
        if is_role(w) {
            return true;
        }
        if !ROLE_CONNECTIVES.contains(&w.as_str()) {
            break;
        }
    }
    // Contacted or thanked: "please contact Mrs Evans", "led by Mrs Patel".
    // Only the last word or two count: "a disclosure *from* Tyler" or
    // "made *by* Tyler" keep Tyler the subject, "*led by* Mrs Patel" does not.
    let n = before_words.len();
    let touching = before.ends_with(|c: char| c.is_whitespace())
        && before
            .trim_end()
            .ends_with(|c: char| c.is_alphanumeric() || c == '\'');
    if let Some(w) = before_words.last().filter(|_| touching) {
        if CONTACT_BEFORE.contains(&w.as_str()) {
            return true;
        }
        if n >= 2 {
            let prev = before_words[n - 2].as_str();
            if (w == "by" && STAFF_ACTIONS.contains(&prev))
                || ((w == "to" || w == "with") && TALK_VERBS.contains(&prev))
            {
                return true;
            }
        }
    }
    // Acting: "Mrs Patel will lead ...", "Mr Shah is responsible for ...",
    // "Miss Shah has checked every EpiPen" (not "... checked his inhaler").
    for (k, w) in after_words.iter().enumerate().take(5) {
        if STAFF_ACTIONS.contains(&w.as_str()) {
            return true;
        }
        if STAFF_ROUTINE.contains(&w.as_str()) {
            let next = after_words.get(k + 1).map_or("", String::as_str);
            return !OWN.contains(&next);
        }
        if !AUXILIARIES.contains(&w.as_str()) {
            break;
        }
    }
    false
}

/// Possessives that make a routine verb's object the person's own.
static OWN: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| wordlists::section(wordlists::PERSON, "own"));

pub use crate::detect::bounds::{ceil_boundary, floor_boundary};

#[cfg(test)]
mod tests {
    use super::*;

    fn refs(s: &str) -> Vec<(RefKind, String)> {
        let n = Names::new();
        find_refs(&n, s, 0, s.len(), false)
            .into_iter()
            .map(|r| (r.kind, r.masked(s)))
            .collect()
    }

    #[test]
    fn dictionary_is_a_few_hundred_names() {
        assert!(Names::new().len() > 300);
    }

    #[test]
    fn full_names_titles_and_classes() {
        assert_eq!(
            refs("Tyler Evans (Year 3) told"),
            vec![(RefKind::FullName, "T**** E****".into())]
        );
        assert_eq!(
            refs("spoke to Mrs Evans today"),
            vec![(RefKind::Title, "Mrs E****".into())]
        );
        assert_eq!(
            refs("Mr. O'Brien and Dr Sarah McDonald"),
            vec![
                (RefKind::Title, "Mr O****".into()),
                (RefKind::Title, "Dr S**** M****".into())
            ]
        );
        assert_eq!(
            refs("Amira (Y6) and Leo in 4B and Grace in Year 2"),
            vec![
                (RefKind::GivenWithClass, "A****".into()),
                (RefKind::GivenWithClass, "L****".into()),
                (RefKind::GivenWithClass, "G****".into())
            ]
        );
        assert_eq!(
            refs("Amira's EpiPen"),
            vec![(RefKind::Given, "A****".into())]
        );
    }

    #[test]
    fn words_that_are_names_need_more() {
        assert!(refs("Will you send the form? Grace and kindness. The Summer Term").is_empty());
        assert!(refs("Tyler Term starts; Amira School")
            .iter()
            .all(|(k, _)| *k == RefKind::Given));
        assert!(refs("SENCo, EHCP, Early Help").is_empty());
    }

    #[test]
    fn table_name_cells_are_people() {
        let line = "name: Amira Khan | sen: EHCP";
        let r = table_name_cells(line, 0, line.len());
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].masked(line), "A**** K****");
        assert_eq!(&line[r[0].start..r[0].end], "Amira Khan");
        let line = "school name: Greenlane | parent name: Mrs Khan";
        assert!(table_name_cells(line, 0, line.len()).is_empty());
    }

    fn staff(s: &str, name: &str) -> bool {
        let n = Names::new();
        let r = find_refs(&n, s, 0, s.len(), false)
            .into_iter()
            .find(|r| &s[r.start..r.end] == name)
            .expect("reference found");
        is_staff_or_correspondent(s, &r, 0, s.len())
    }

    #[test]
    fn staff_heuristics() {
        assert!(staff(
            "Mrs Patel will lead child protection training.",
            "Mrs Patel"
        ));
        assert!(staff("Please contact Mrs Evans about SEND.", "Mrs Evans"));
        assert!(staff("Mrs Evans, our SENCo, has", "Mrs Evans"));
        assert!(staff("Our DSL Mr Shah is away", "Mr Shah"));
        assert!(staff("Dear Sarah Jones,\nsee below", "Sarah Jones"));
        assert!(staff("Kind regards,\nSarah Jones\nDSL", "Sarah Jones"));
        assert!(staff("From: Sarah Jones\nSent: Monday", "Sarah Jones"));
        assert!(staff(
            "See you then.\n\nSarah Jones\nSENCo | Greenlane Primary",
            "Sarah Jones"
        ));
        assert!(staff(
            "Sarah Jones\nDesignated Safeguarding Lead",
            "Sarah Jones"
        ));
        assert!(!staff(
            "Tyler Evans (Year 3) told his teacher",
            "Tyler Evans"
        ));
        assert!(!staff(
            "Mr Shah has been signed off with depression",
            "Mr Shah"
        ));
    }

    #[test]
    fn masks_hide_length() {
        assert_eq!(mask_name("Tyler Evans"), "T**** E****");
        assert_eq!(mask_name("Khan, Amira"), "K**** A****");
        assert_eq!(mask_name("Mrs Evans's"), "Mrs E****");
    }

    #[test]
    fn odd_text_does_not_panic() {
        let n = Names::new();
        for s in [
            "é",
            "Mrs",
            "Amira",
            "Amira (Year",
            "Amira in ",
            "ÉÉ Évans’s",
            "Mr.\u{301}",
        ] {
            let r = find_refs(&n, s, 0, s.len(), true);
            for x in r {
                let _ = is_staff_or_correspondent(s, &x, 0, s.len());
            }
            let _ = table_name_cells(s, 0, s.len());
            let _ = class_ref_after(s, s.len());
        }
    }
}
