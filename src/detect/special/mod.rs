//! Special-category data about a named person (health, SEN/EHCP,
//! safeguarding, looked-after status, FSM/pupil premium, exclusions).
//!
//! One Aho-Corasick pass over the text finds the vocabulary (`terms.rs`);
//! only around a hit does heavier work happen:
//!
//! 1. the term's use: "SEND *policy*", "child protection *training*",
//!    "Diabetes *UK*" are topics and never count; "pupil premium *funding*"
//!    counts as a weak term; "no known allergies" is denied;
//! 2. its paragraph's person references (`person.rs`): a given name from the
//!    embedded dictionary with a surname, a title and surname, a given name
//!    with a class ("Amira (Y6)"), a given name alone, or a table's name
//!    cell; staff, readers and writers (greetings, sign-offs, "Mrs Patel,
//!    our DSL", "Mrs Patel will lead ...", "contact Mrs Evans") are dropped;
//! 3. confidence: a strong term and a full reference in one sentence is
//!    high; a weak term, or the paragraph rather than the sentence, is
//!    medium; a given name alone costs one level; below low, nothing.
//!
//! A policy newsletter names no one a term is about, so it stays silent:
//! every false hold costs a teacher's afternoon. Tables (CSV, spreadsheets)
//! are read per row: a name cell plus a term in another cell, or a flag
//! column (`sen: K`, `fsm: Y`), is about that row's person.
//!
//! One finding per person per text unit (the strongest evidence), or one
//! finding counting everyone when a unit names more than three people.

mod person;
mod prefilter;
mod terms;
mod wordlists;

use super::{Category, Confidence, Detector, Finding, MessageContext, TextKind, TextUnit};
use crate::extract::table_line;
use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use person::{ceil_boundary, floor_boundary, Names, PersonRef};
use prefilter::TermPrefilter;
use std::sync::LazyLock;
use terms::{Kind, Term, TERMS};

/// The detector id rules refer to.
pub const DETECTOR_ID: &str = "special_category";

/// How far (bytes) a sentence is looked for on each side of a hit.
const MAX_SENTENCE: usize = 300;
/// How far (bytes) a paragraph is looked for on each side of a hit.
const MAX_PARAGRAPH: usize = 600;
/// Beyond this many people in one unit, one finding stands for them all.
const MAX_PEOPLE_FINDINGS: usize = 3;

/// Finds special-category terms about a named person.
pub struct SpecialCategoryDetector {
    ac: AhoCorasick,
    /// Says when a text holds no term the detector could accept: most
    /// texts do not, and are then walked only by this faster pass.
    first: Option<TermPrefilter>,
    names: &'static Names,
}

impl SpecialCategoryDetector {
    /// Compiles the term automaton and parses the name dictionary (once per engine).
    pub fn new() -> Self {
        // The patterns are the static TERMS (tested), not input: building
        // cannot fail short of a bug, which the unit tests would catch.
        #[allow(clippy::expect_used)]
        let ac = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostLongest)
            .kind(Some(AhoCorasickKind::DFA))
            .build(TERMS.iter().map(|t| t.text))
            .expect("the static term list compiles");
        SpecialCategoryDetector {
            ac,
            first: TermPrefilter::new(TERMS.iter().map(|t| (t.text, t.exact_case))),
            names: Names::shared(),
        }
    }
}

impl Default for SpecialCategoryDetector {
    fn default() -> Self {
        Self::new()
    }
}

/// The best evidence found so far about one person in one unit.
struct About {
    /// The name as written: people are told apart by it, never shown.
    key: String,
    masked: String,
    kind: Kind,
    /// The term as evidence names it (a table's flag column by its header,
    /// lower-cased).
    term: String,
    confidence: Confidence,
    first_pos: usize,
}

impl Detector for SpecialCategoryDetector {
    fn ids(&self) -> &'static [&'static str] {
        &[DETECTOR_ID]
    }

    fn scan(&self, unit: &TextUnit<'_>, _ctx: &MessageContext, out: &mut Vec<Finding>) {
        let text = unit.text;
        let table = unit.kind == TextKind::Table;
        let mut about: Vec<About> = Vec::new();
        // Person references of the last paragraph looked at (hits cluster).
        let mut cache: Option<(usize, usize, Vec<PersonRef>)> = None;

        // No acceptable term in the text: nothing to search (the table
        // flag pass below still runs).
        // A subject is a line: searched whole, so an acronym written in
        // lower case there can be weighed below.
        let subject = unit.kind == TextKind::Subject;
        let searched = subject
            || self
                .first
                .as_ref()
                .is_none_or(|f| f.may_match(text.as_bytes()));
        // "cp - Mai Do 10C": subjects are typed in a hurry, and a class or
        // year group beside a name says the acronym is the school's.
        let subject_class = subject && person::has_class_ref(text);
        let hits = searched.then(|| self.ac.find_iter(text));
        for m in hits.into_iter().flatten() {
            let Some(term) = TERMS.get(m.pattern().as_usize()) else {
                continue;
            };
            let (s, e) = (m.start(), m.end());
            let Some(e) = whole_word_end(text, s, e) else {
                continue;
            };
            // Case-exact terms that differ only in case ("CIN", "CiN") are
            // one pattern to the case-blind automaton: take the one written.
            let term = if term.exact_case && text.get(s..s + term.text.len()) != Some(term.text) {
                match TERMS.iter().find(|t| {
                    t.exact_case
                        && t.text.len() == term.text.len()
                        && text.get(s..s + t.text.len()) == Some(t.text)
                }) {
                    Some(t) => t,
                    None if subject_class => term,
                    None => continue,
                }
            } else {
                term
            };
            if term.exact_case && shouting(text, s, e) {
                continue;
            }
            if negated(text, s) {
                continue;
            }
            let term = match term_use(text, s, e) {
                Use::Topic => continue,
                Use::General => &Term {
                    strong: false,
                    ..*term
                },
                Use::Fact => term,
            };
            let (para, whole) = if table {
                let line = line_span(text, s);
                if in_table_header(text, line.0, s) || negative_cell(text, line, s) {
                    // Headers are handled by the flag pass below; a "no
                    // known allergies" cell says nothing.
                    continue;
                }
                (line, true)
            } else if unit.kind == TextKind::Subject {
                ((0, text.len()), true)
            } else {
                // Hits cluster: inside the last paragraph (bounded by real
                // breaks), reuse it instead of scanning for its ends again.
                let para = match &cache {
                    Some((a, b, _)) if *a <= s && e <= *b && *b - *a < MAX_PARAGRAPH => (*a, *b),
                    _ => paragraph_span(text, s, e),
                };
                (para, false)
            };
            let refs = match &cache {
                Some((a, b, r)) if *a == para.0 && *b == para.1 => r,
                _ => {
                    let mut r = self.refs_in(text, para, table);
                    if r.is_empty() && unit.kind == TextKind::Subject {
                        // Subjects are terse: a name-shaped pair with a
                        // sensitive term is enough ("CiN meeting - Tsegaye
                        // Kazlauskas").
                        r = person::subject_pairs(self.names, text);
                    }
                    &cache.insert((para.0, para.1, r)).2
                }
            };
            let lower;
            let owner;
            let refs: &[PersonRef] = if !refs.is_empty() {
                refs
            } else if let Some(r) = (term.strong && !table && unit.kind == TextKind::Body)
                .then(|| person::possessive_before(self.names, text, s))
                .flatten()
                .filter(|r| {
                    let (lo, hi) = sentence_span(text, r.start, r.end);
                    !person::is_staff_or_correspondent(text, r, lo, hi)
                })
            {
                // "Trung's EHCP": the possessive makes the name a person.
                owner = [r];
                &owner
            } else if term.strong && !table && written_in_lower_case(text, para, (s, e)) {
                // No capitalised name in a paragraph written in lower case: a
                // quick note may write names so ("freya moss has asthma").
                let (lo, hi) = if whole {
                    para
                } else {
                    sentence_span(text, s, e)
                };
                lower = person::lower_case_refs(self.names, text, lo, hi, (s, e));
                if lower.is_empty() {
                    continue;
                }
                &lower
            } else {
                continue; // no one to be about: the common case, kept cheap
            };
            let sent = if whole {
                para
            } else {
                sentence_span(text, s, e)
            };
            // Weak exclusion and behaviour words ("excluded", "incident") are
            // about a pupil only with more: in a subject, a full reference is
            // enough (subjects are terse: "Amelia Jones - incident report");
            // in a body, a pupil reference at the person ("Bogdan Popescu in
            // 9R was excluded"), or for exclusions a school context ("excluded
            // for two days"). Not "excluded from the team photo", "the trip
            // is suspended", "an incident at the gate".
            let pupils: Vec<PersonRef>;
            let refs: &[PersonRef] =
                if matches!(term.kind, Kind::Exclusion | Kind::Behaviour) && !term.strong {
                    pupils = refs
                        .iter()
                        .filter(|r| {
                            if unit.kind == TextKind::Subject || table {
                                r.kind.strong()
                            } else {
                                r.start >= sent.0
                                    && r.end <= sent.1
                                    && (person::pupil_reference(text, r.start, r.end)
                                        || (term.kind == Kind::Exclusion
                                            && undergoes(text, r.end, s)
                                            && exclusion_context(text, sent)))
                                    || (term.kind == Kind::Exclusion
                                        && told_before(text, r, sent, s)
                                        && person::pupil_reference(text, r.start, r.end))
                            }
                        })
                        .cloned()
                        .collect();
                    let school = term.kind == Kind::Exclusion && exclusion_context(text, sent);
                    if pupils.is_empty() && !school {
                        continue;
                    }
                    if pupils.is_empty() {
                        refs
                    } else {
                        &pupils
                    }
                } else {
                    refs
                };
            for (r, conf) in about_refs(text, refs, term, s, sent, table) {
                record(&mut about, text, r, term.kind, term.text, conf, s);
            }
        }

        if table {
            self.flag_pass(text, &mut about);
        }
        emit(unit, about, out);
    }
}

impl SpecialCategoryDetector {
    /// The person references in a paragraph, without staff and correspondents.
    fn refs_in(&self, text: &str, para: (usize, usize), table: bool) -> Vec<PersonRef> {
        let mut refs = if table {
            let cells = person::table_name_cells(text, para.0, para.1);
            if cells.is_empty() {
                person::find_refs(self.names, text, para.0, para.1, true)
            } else {
                cells
            }
        } else {
            person::find_refs(self.names, text, para.0, para.1, false)
        };
        if !table {
            // Judge staff within the reference's own sentence.
            let mut staff: Vec<bool> = refs
                .iter()
                .map(|r| {
                    let (lo, hi) = sentence_span(text, r.start, r.end);
                    person::is_staff_or_correspondent(text, r, lo, hi)
                })
                .collect();
            // Names joined by "and"/"or"/"," share a role: "our deputies (Mrs
            // Denholm and Miss Shah)", "Mrs Denholm and Miss Shah, our deputy
            // DSLs". Only between references of one kind (two titled names),
            // so "DSL Mr Shah and Tyler Evans" keeps Tyler.
            for _ in 0..2 {
                for k in 1..refs.len() {
                    let (a, b) = (&refs[k - 1], &refs[k]);
                    if staff[k - 1] != staff[k]
                        && a.kind == b.kind
                        && person::coordinated(text, a.end, b.start)
                    {
                        staff[k - 1] = true;
                        staff[k] = true;
                    }
                }
            }
            let mut keep = staff.into_iter().map(|st| !st);
            refs.retain(|_| keep.next().unwrap_or(true));
        }
        refs
    }

    /// Flag columns of table rows: `sen: K`, `fsm: Y`, `medical: Asthma`.
    fn flag_pass(&self, text: &str, about: &mut Vec<About>) {
        let mut line_start = 0;
        // Every row repeats the same headers: classify each header once.
        let mut kinds: Vec<(&str, Option<Kind>)> = Vec::new();
        for line in text.split('\n') {
            let lo = line_start;
            let hi = lo + line.len();
            line_start = hi + 1;
            if !table_line::has_headers(line) {
                continue;
            }
            let mut flagged: Option<(Kind, &str)> = None;
            for cell in table_line::cells(line) {
                let Some((h, v)) = table_line::header_value(cell) else {
                    continue;
                };
                let known = kinds.iter().find(|(k, _)| *k == h).map(|&(_, kind)| kind);
                let kind = match known {
                    Some(kind) => kind,
                    None => {
                        let kind = terms::flag_kind(h);
                        if kinds.len() < 64 {
                            kinds.push((h, kind));
                        }
                        kind
                    }
                };
                let Some(kind) = kind else {
                    continue;
                };
                if terms::negative_value(v) {
                    continue;
                }
                flagged = Some((kind, h));
                break;
            }
            let Some((kind, header)) = flagged else {
                continue;
            };
            let header = header.trim().to_ascii_lowercase();
            let cells = person::table_name_cells(text, lo, hi);
            let refs = if cells.is_empty() {
                person::find_refs(self.names, text, lo, hi, true)
            } else {
                cells
            };
            if let Some(r) = refs.iter().find(|r| r.kind.strong()) {
                record(about, text, r, kind, &header, Confidence::High, lo);
            }
        }
    }
}

/// Chooses the references the term is about, with the confidence: every
/// reference of the best level in the term's sentence ("Leo Smith and Amira
/// Khan both have asthma"), otherwise the nearest one in the paragraph.
fn about_refs<'r>(
    text: &str,
    refs: &'r [PersonRef],
    term: &Term,
    pos: usize,
    sent: (usize, usize),
    table: bool,
) -> Vec<(&'r PersonRef, Confidence)> {
    let mut scored: Vec<(&PersonRef, Confidence, bool, usize)> = Vec::new();
    for r in refs {
        let in_sentence = r.start >= sent.0 && r.end <= sent.1;
        let conf = if table {
            if term.strong {
                Confidence::High
            } else {
                Confidence::Medium
            }
        } else {
            // 2 = high, 1 = medium, 0 = low; below: nothing.
            // A school exclusion the named person undergoes ("Hanh has been
            // given a one-day suspension"): about that person, whether the
            // name is a full one or a first name alone.
            let undergone = term.kind == Kind::Exclusion
                && exclusion_context(text, sent)
                && ((in_sentence && undergoes(text, r.end, pos))
                    || told_before(text, r, sent, pos));
            // "Akosua Addo, Yr 4. She has been suspended": the pronoun
            // carries the person into the term's sentence.
            let in_sentence = in_sentence || (undergone && !table);
            let mut level: i32 = match (in_sentence, term.strong) {
                (true, true) => 2,
                (true, false) | (false, true) => 1,
                (false, false) => 0,
            };
            if !r.kind.strong() && !undergone {
                level -= 1;
            }
            // A strong term with no one in its own sentence borrows a name
            // from another only when a pronoun ties them ("I met Oliver
            // Brown's mum. *She* is worried ... The EHCP ..."): "14 concerns
            // logged on CPOMS. Record checked by Dr Whitfield." is not
            // about Dr Whitfield.
            if !in_sentence && term.strong && !pronoun_between(text, r, sent) {
                level -= 1;
            }
            // "Mrs Evans" is staff or a parent, not a pupil: SEN, free school
            // meals, looked-after status and exclusions are pupils' data, so
            // with only a title it is likely her job or her child: one less.
            if r.kind == person::RefKind::Title
                && matches!(
                    term.kind,
                    Kind::Sen
                        | Kind::FreeSchoolMeals
                        | Kind::LookedAfter
                        | Kind::Exclusion
                        | Kind::Behaviour
                )
            {
                level -= 1;
            }
            match level {
                2.. => Confidence::High,
                1 => Confidence::Medium,
                0 if in_sentence || r.kind.strong() => Confidence::Low,
                _ => continue,
            }
        };
        let dist = r.start.abs_diff(pos);
        scored.push((r, conf, in_sentence || table, dist));
    }
    let Some(best) = scored.iter().map(|x| x.1).max() else {
        return Vec::new();
    };
    let same_sentence: Vec<_> = scored
        .iter()
        .filter(|x| x.2 && x.1 == best)
        .map(|x| (x.0, x.1))
        .collect();
    if !same_sentence.is_empty() {
        return same_sentence;
    }
    scored
        .iter()
        .filter(|x| x.1 == best)
        .min_by_key(|x| x.3)
        .map(|x| vec![(x.0, x.1)])
        .unwrap_or_default()
}

/// Is `text[para]` written without capitals (a lone "I" aside), outside the
/// A person named on the line of `text` around `start..end` (within 200
/// bytes each side), other than a greeting, a signature or a forwarded
/// header's correspondent: the identifier or date there is that person's.
/// For other detectors (a date of birth is personal data when it is
/// somebody's); uses the same dictionaries and context as the terms.
pub fn person_on_line(text: &str, start: usize, end: usize) -> bool {
    let lo = text
        .get(..start)
        .and_then(|b| b.rfind('\n'))
        .map_or(0, |i| i + 1)
        .max(floor_boundary(text, start.saturating_sub(200)));
    let hi = text
        .get(end..)
        .and_then(|a| a.find('\n'))
        .map_or(text.len(), |i| end + i)
        .min(ceil_boundary(text, end.saturating_add(200)));
    let (lo, hi) = label_block(text, floor_boundary(text, lo), ceil_boundary(text, hi));
    person::find_refs(Names::shared(), text, lo, hi, false)
        .iter()
        .any(|r| !person::is_staff_or_correspondent(text, r, lo, hi))
}

/// A line written as `Label: value` ("Child: Ayodele Babatunde", "Date of
/// birth: 28.11.2016"): up to 30 characters of words before a colon.
fn is_label_line(line: &str) -> bool {
    line.split_once(':').is_some_and(|(label, value)| {
        let label = label.trim();
        !label.is_empty()
            && label.len() <= 30
            && label
                .chars()
                .all(|c| c.is_alphabetic() || matches!(c, ' ' | '/' | '-' | '\''))
            && !value.trim().is_empty()
    })
}

/// The line `lo..hi`, widened to the block of `Label: value` lines around it
/// when it is one (a record written as a form: the name on one line, the
/// date of birth on the next), at most four lines each way.
fn label_block(text: &str, lo: usize, hi: usize) -> (usize, usize) {
    if !text.get(lo..hi).is_some_and(is_label_line) {
        return (lo, hi);
    }
    let (mut a, mut b) = (lo, hi);
    for _ in 0..4 {
        let Some(prev_end) = a.checked_sub(1) else {
            break;
        };
        let prev_start = text
            .get(..prev_end)
            .and_then(|t| t.rfind('\n'))
            .map_or(0, |i| i + 1);
        if !text
            .get(prev_start..prev_end)
            .is_some_and(|l| is_label_line(l.trim_end_matches('\r')))
        {
            break;
        }
        a = prev_start;
    }
    for _ in 0..4 {
        let next_start = b + 1;
        if next_start >= text.len() {
            break;
        }
        let next_end = text
            .get(next_start..)
            .and_then(|t| t.find('\n'))
            .map_or(text.len(), |i| next_start + i);
        if !text
            .get(next_start..next_end)
            .is_some_and(|l| is_label_line(l.trim_end_matches('\r')))
        {
            break;
        }
        b = next_end;
    }
    (a, b)
}

/// term at `term`? Only such a paragraph is read for lower-case names: a
/// writer who capitalises anything capitalises names too. One byte pass
/// over the paragraph, which stops at the first capitalised word.
fn written_in_lower_case(text: &str, para: (usize, usize), term: (usize, usize)) -> bool {
    let bytes = text.as_bytes();
    let capitalised_at = |i: usize| {
        bytes.get(i).is_some_and(u8::is_ascii_uppercase)
            && bytes.get(i + 1).is_some_and(u8::is_ascii_alphabetic)
            && !(term.0..term.1).contains(&i)
    };
    !(para.0..para.1.min(bytes.len())).any(capitalised_at)
}

/// Third-person singular pronouns, which refer back to a named person.
static PRONOUNS: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| wordlists::section(wordlists::SENTENCE, "pronouns"));

/// Is there a pronoun in the term's sentence `sent` or between it and the
/// reference `r` (bounded by the paragraph, so at most a few hundred bytes)?
fn pronoun_between(text: &str, r: &PersonRef, sent: (usize, usize)) -> bool {
    let (lo, hi) = if r.end <= sent.0 {
        (r.end, sent.1)
    } else {
        (sent.0, r.start.max(sent.0))
    };
    text.get(lo..hi).is_some_and(|span| {
        span.split(|c: char| !c.is_ascii_alphabetic()).any(|w| {
            // Every pronoun starts with h or s: most words stop here.
            (2..=7).contains(&w.len())
                && matches!(w.as_bytes()[0], b'h' | b'H' | b's' | b'S')
                && in_list(&PRONOUNS, w)
        })
    })
}

fn record(
    about: &mut Vec<About>,
    text: &str,
    r: &PersonRef,
    kind: Kind,
    term: &str,
    confidence: Confidence,
    pos: usize,
) {
    let key = r.key(text);
    match about.iter_mut().find(|a| a.key == key) {
        Some(a) => {
            if confidence > a.confidence {
                a.confidence = confidence;
                a.kind = kind;
                a.term = term.to_string();
            }
        }
        None => about.push(About {
            key: key.to_string(),
            masked: r.masked(text),
            kind,
            term: term.to_string(),
            confidence,
            first_pos: pos,
        }),
    }
}

fn emit(unit: &TextUnit<'_>, mut about: Vec<About>, out: &mut Vec<Finding>) {
    if about.is_empty() {
        return;
    }
    about.sort_by_key(|a| a.first_pos);
    let finding = |a: &About, evidence: String| {
        Finding::new(
            Category::PersonalData,
            DETECTOR_ID,
            unit.location.clone(),
            a.confidence,
            evidence,
        )
    };
    if about.len() <= MAX_PEOPLE_FINDINGS {
        for a in &about {
            out.push(finding(
                a,
                format!("{} term \"{}\" about {}", a.kind.label(), a.term, a.masked),
            ));
        }
        return;
    }
    // Many people (a register): one finding, the strongest as its example.
    let n = about.len();
    let mut best = 0;
    for (i, a) in about.iter().enumerate() {
        if a.confidence > about[best].confidence {
            best = i;
        }
    }
    let a = &about[best];
    let mut f = finding(
        a,
        format!(
            "{} term \"{}\" about {} and {} other people",
            a.kind.label(),
            a.term,
            a.masked,
            n - 1
        ),
    );
    f.count = n;
    out.push(f);
}

/// The match must be a whole word; a plural `s` or possessive `'s` may
/// follow. Returns the end including that suffix.
fn whole_word_end(text: &str, s: usize, e: usize) -> Option<usize> {
    let before_ok = text
        .get(..s)
        .and_then(|b| b.chars().next_back())
        .is_none_or(|c| !c.is_alphanumeric());
    if !before_ok {
        return None;
    }
    let rest = text.get(e..)?;
    let mut end = e;
    for suffix in ["'s", "’s", "s"] {
        if let Some(r) = rest.strip_prefix(suffix) {
            if r.chars().next().is_none_or(|c| !c.is_alphanumeric()) {
                end = e + suffix.len();
                break;
            }
        }
    }
    let after = text.get(end..)?.chars().next();
    after.is_none_or(|c| !c.is_alphanumeric()).then_some(end)
}

/// An upper-case acronym inside upper-case text ("PLEASE SEND IT") is a word.
fn shouting(text: &str, s: usize, e: usize) -> bool {
    let caps_word = |w: &str| {
        w.chars().count() >= 2
            && w.chars().all(|c| c.is_uppercase())
            && !TERMS.iter().any(|t| t.exact_case && t.text == w)
    };
    let before = text.get(..s).unwrap_or("");
    let before = &before[ceil_boundary(before, before.len().saturating_sub(40))..];
    // Only a neighbour in the same phrase (spaces between) shouts with it:
    // "URGENT - IHP update", "FW: EHCP draft" keep their acronym.
    let prev = before
        .trim_end_matches(' ')
        .rsplit(|c: char| !c.is_alphabetic())
        .next()
        .filter(|w| !w.is_empty() && before.ends_with(' '));
    let after = text.get(e..).unwrap_or("");
    let after = &after[..floor_boundary(after, 40)];
    let next = after
        .trim_start_matches(' ')
        .split(|c: char| !c.is_alphabetic())
        .next()
        .filter(|w| !w.is_empty() && after.starts_with(' '));
    prev.is_some_and(caps_word) || next.is_some_and(caps_word)
}

/// How a term is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Use {
    /// As a fact (or possibly one): "Amira has an EHCP".
    Fact,
    /// As a general word that can still be about someone: "pupil premium
    /// funding for Zara": counts as a weak term.
    General,
    /// As a topic: "SEND policy", "child protection training", "Diabetes
    /// Awareness Week", "statutory safeguarding": never a finding.
    Topic,
}

fn term_use(text: &str, s: usize, e: usize) -> Use {
    let after = text.get(e..).unwrap_or("");
    let after = &after[..floor_boundary(after, 40)];
    let mut next_words = after
        .split(|c: char| !(c.is_alphanumeric() || c == '-'))
        .filter(|w| !w.is_empty());
    // The next word, or the one after a connector ("SEND and inclusion policy").
    for _ in 0..2 {
        match next_words.next() {
            Some(w) => {
                if in_list(&terms::TOPIC_SUFFIXES, w) {
                    return Use::Topic;
                }
                if in_list(&terms::SOFT_TOPIC_SUFFIXES, w) {
                    return Use::General;
                }
                if !in_list(&["and", "inclusion", "awareness", "information"], w) {
                    break;
                }
            }
            None => break,
        }
    }
    let before = text.get(..s).unwrap_or("");
    let before = &before[ceil_boundary(before, before.len().saturating_sub(30))..];
    let topic_prefix = before
        .split(|c: char| !(c.is_alphanumeric() || c == '-'))
        .rfind(|w| !w.is_empty())
        .is_some_and(|w| in_list(&terms::TOPIC_PREFIXES, w));
    if topic_prefix {
        Use::Topic
    } else {
        Use::Fact
    }
}

/// Words that make a weak exclusion term ("excluded", "suspended") a
/// school exclusion: "excluded *for two days*", "suspended *from school*".
static EXCLUSION_CONTEXT: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| wordlists::section(wordlists::SENTENCE, "exclusion_context"));

fn exclusion_context(text: &str, sent: (usize, usize)) -> bool {
    let s = text.get(sent.0..sent.1).unwrap_or("").to_ascii_lowercase();
    EXCLUSION_CONTEXT.iter().any(|w| s.contains(w))
}

/// Is the person ending at `end` the subject of what happens at the term
/// starting at `term`: "Hanh has been given a one-day suspension", "Leo
/// was excluded", "Amir will be suspended"? A passive or perfect verb
/// right after the name, and the term within a few words of it: the
/// sentence reports that this person was excluded, which a policy or a
/// timetable never does ("the trip is suspended" has no person before it).
fn undergoes(text: &str, end: usize, term: usize) -> bool {
    let Some(between) = text.get(end..term) else {
        return false;
    };
    if between.len() > 40 || between.contains(['.', '!', '?', ';', '\n']) {
        return false;
    }
    if !between.starts_with(' ') {
        return false;
    }
    let lower = between.trim_start().to_ascii_lowercase();
    UNDERGOES
        .iter()
        .any(|v| lower.starts_with(v) && lower[v.len()..].chars().next().is_none_or(|c| c == ' '))
}

/// "Akosua Addo, Yr 4. *She has been* suspended": the term's sentence
/// starts with a pronoun that undergoes it, and the person `r` is in the
/// sentence just before.
fn told_before(text: &str, r: &PersonRef, sent: (usize, usize), term: usize) -> bool {
    if r.end > sent.0 || sent.0 - r.end > MAX_SENTENCE {
        return false;
    }
    let prev = sentence_span(text, r.start, r.end);
    if prev.1 > sent.0 || text.get(prev.1..sent.0).is_some_and(|g| g.len() > 4) {
        return false;
    }
    let lead = text.get(sent.0..term).unwrap_or("");
    let at = sent.0 + (lead.len() - lead.trim_start().len());
    let head = text.get(at..term).unwrap_or("");
    ["He", "She", "They"].iter().any(|p| {
        head.strip_prefix(p)
            .is_some_and(|rest| rest.starts_with(' '))
            && undergoes(text, at + p.len(), term)
    })
}

/// The verbs of [`undergoes`] (`sentence_words.txt`).
static UNDERGOES: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| wordlists::section(wordlists::SENTENCE, "undergoes"));

/// ASCII case-insensitive membership, without allocating.
fn in_list(list: &[&str], w: &str) -> bool {
    list.iter().any(|x| x.eq_ignore_ascii_case(w))
}

/// The line holding `pos`.
fn line_span(text: &str, pos: usize) -> (usize, usize) {
    let start = text
        .get(..pos)
        .and_then(|b| b.rfind('\n'))
        .map_or(0, |i| i + 1);
    let end = text
        .get(pos..)
        .and_then(|a| a.find('\n'))
        .map_or(text.len(), |i| pos + i);
    (start, end)
}

/// Is the table cell holding `pos` a "no" ("None", "No known allergies")?
fn negative_cell(text: &str, line: (usize, usize), pos: usize) -> bool {
    let before = text.get(line.0..pos).unwrap_or("");
    let after = text.get(pos..line.1).unwrap_or("");
    let cell_start = before
        .rfind(table_line::CELL_SEPARATOR)
        .map_or(0, |i| i + table_line::CELL_SEPARATOR.len());
    let cell_end = after
        .find(table_line::CELL_SEPARATOR)
        .unwrap_or(after.len());
    let cell = format!("{}{}", &before[cell_start..], &after[..cell_end]);
    let value = table_line::header_value(&cell).map_or(cell.as_str(), |(_, v)| v);
    terms::negative_value(value)
}

/// "no known allergies", "not diabetic", "without an EHCP": the term is denied.
fn negated(text: &str, s: usize) -> bool {
    let before = text.get(..s).unwrap_or("");
    let before = &before[ceil_boundary(before, before.len().saturating_sub(24))..];
    let mut words = before
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .rev();
    let w1 = words.next().unwrap_or("");
    let w2 = words.next().unwrap_or("");
    in_list(&["no", "not", "without", "nkda", "non"], w1)
        || (in_list(&["known", "any", "an", "a"], w1) && in_list(&["no", "not", "without"], w2))
}

/// Is `pos` in the header part (`header: `) of its table cell?
fn in_table_header(text: &str, line_start: usize, pos: usize) -> bool {
    let before = text.get(line_start..pos).unwrap_or("");
    let cell = before
        .rsplit(table_line::CELL_SEPARATOR)
        .next()
        .unwrap_or(before);
    !table_line::has_headers(cell)
}

/// Abbreviations whose full stop does not end a sentence.
static ABBREVIATIONS: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| wordlists::section(wordlists::SENTENCE, "abbreviations"));

/// Does the `.`/`!`/`?` at byte `i` end a sentence?
fn ends_sentence(bytes: &[u8], text: &str, i: usize) -> bool {
    let next_space = bytes.get(i + 1).is_none_or(|b| b.is_ascii_whitespace());
    if !next_space {
        return false;
    }
    if bytes[i] != b'.' {
        return true;
    }
    let before = text.get(..i).unwrap_or("");
    let word = before
        .rsplit(|c: char| c.is_whitespace() || c == '(')
        .next()
        .unwrap_or("");
    // An initial ("J. Smith") or an abbreviation does not end it.
    !(in_list(&ABBREVIATIONS, word)
        || (word.len() == 1 && word.bytes().all(|b| b.is_ascii_uppercase())))
}

/// Is there a blank line (or a list bullet) starting at the '\n' at `i`?
fn block_break(bytes: &[u8], i: usize) -> bool {
    let mut j = i + 1;
    while j < bytes.len() && matches!(bytes[j], b' ' | b'\t' | b'\r') {
        j += 1;
    }
    match bytes.get(j) {
        None | Some(b'\n') => true,
        Some(b'-' | b'*' | b'>') => bytes.get(j + 1) == Some(&b' '),
        Some(&b) => b == 0xE2 && bytes.get(j + 1) == Some(&0x80) && bytes.get(j + 2) == Some(&0xA2), // •
    }
}

/// Longest line (bytes) read as a heading.
const MAX_HEADING: usize = 60;

/// Does the line break at `i` border a heading on its own line
/// ("SAFEGUARDING\nIf you are ever worried ...")? A heading is a short line
/// in capitals with no sentence punctuation at its end; it is a sentence of
/// its own, not the start of the next one.
fn heading_edge(bytes: &[u8], i: usize) -> bool {
    // The line before the break.
    let lo = i.saturating_sub(MAX_HEADING + 1);
    let before = &bytes[lo..i];
    let prev = match memchr::memrchr(b'\n', before) {
        Some(p) => Some(&before[p + 1..]),
        None if lo == 0 => Some(before),
        None => None,
    };
    if prev.is_some_and(is_heading) {
        return true;
    }
    // The line after it.
    let from = i + 1;
    let to = (from + MAX_HEADING + 1).min(bytes.len());
    let after = bytes.get(from..to).unwrap_or(&[]);
    let next = match memchr::memchr(b'\n', after) {
        Some(p) => Some(&after[..p]),
        None if to == bytes.len() => Some(after),
        None => None,
    };
    next.is_some_and(is_heading)
}

/// A heading line: upper-case letters (at least three, no lower case), at
/// most [`MAX_HEADING`] bytes, not ending like a sentence or a clause.
fn is_heading(line: &[u8]) -> bool {
    let line = line.trim_ascii();
    let line = line.strip_suffix(b":").unwrap_or(line);
    line.len() <= MAX_HEADING
        && line.iter().filter(|b| b.is_ascii_uppercase()).count() >= 3
        && !line.iter().any(u8::is_ascii_lowercase)
        && !line.ends_with(b".")
        && !line.ends_with(b",")
        && !line.ends_with(b";")
        && !line.ends_with(b"?")
        && !line.ends_with(b"!")
}

/// The sentence around `s..e`: up to `.`/`!`/`?`, a blank line or a bullet,
/// at most [`MAX_SENTENCE`] bytes each side.
fn sentence_span(text: &str, s: usize, e: usize) -> (usize, usize) {
    let bytes = text.as_bytes();
    let lo_limit = s.saturating_sub(MAX_SENTENCE);
    let mut lo = lo_limit;
    let mut i = s;
    while i > lo_limit {
        i -= 1;
        let b = bytes[i];
        if (matches!(b, b'.' | b'!' | b'?') && ends_sentence(bytes, text, i))
            || (b == b'\n' && (block_break(bytes, i) || heading_edge(bytes, i)))
        {
            lo = i + 1;
            break;
        }
    }
    let hi_limit = (e + MAX_SENTENCE).min(bytes.len());
    let mut hi = hi_limit;
    let mut i = e;
    while i < hi_limit {
        let b = bytes[i];
        if (matches!(b, b'.' | b'!' | b'?') && ends_sentence(bytes, text, i))
            || (b == b'\n' && (block_break(bytes, i) || heading_edge(bytes, i)))
        {
            hi = i;
            break;
        }
        i += 1;
    }
    (ceil_boundary(text, lo), floor_boundary(text, hi))
}

/// The paragraph around `s..e`: up to a blank line, at most
/// [`MAX_PARAGRAPH`] bytes each side.
fn paragraph_span(text: &str, s: usize, e: usize) -> (usize, usize) {
    let bytes = text.as_bytes();
    let lo_limit = s.saturating_sub(MAX_PARAGRAPH);
    let mut lo = lo_limit;
    let mut i = s;
    while i > lo_limit {
        i -= 1;
        if bytes[i] == b'\n' && blank_line_after(bytes, i) {
            lo = i + 1;
            break;
        }
    }
    let hi_limit = (e + MAX_PARAGRAPH).min(bytes.len());
    let mut hi = hi_limit;
    let mut i = e;
    while i < hi_limit {
        if bytes[i] == b'\n' && blank_line_after(bytes, i) {
            hi = i;
            break;
        }
        i += 1;
    }
    (ceil_boundary(text, lo), floor_boundary(text, hi))
}

fn blank_line_after(bytes: &[u8], i: usize) -> bool {
    let mut j = i + 1;
    while j < bytes.len() && matches!(bytes[j], b' ' | b'\t' | b'\r') {
        j += 1;
    }
    matches!(bytes.get(j), None | Some(b'\n'))
}

/// Realistic school prose for the detectors' throughput tests.
#[cfg(test)]
pub(crate) fn school_prose_for_bench(bytes: usize) -> String {
    tests::school_prose(bytes)
}

/// Pseudo-random texts for the detectors' robustness tests.
#[cfg(test)]
pub(crate) fn fuzz_texts_for_tests(n: usize) -> Vec<String> {
    tests::fuzz_texts(n)
}

/// CPU-time clock for the detectors' throughput tests.
#[cfg(test)]
pub(crate) use tests::CpuClock as CpuClockForBench;

#[cfg(test)]
mod tests;
