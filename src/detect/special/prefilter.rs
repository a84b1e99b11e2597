//! The first pass over a text for special-category terms: could any term
//! the detector accepts be in it at all?
//!
//! Why a pass of our own: the term automaton (aho-corasick's DFA) walks every
//! byte of every text, each step a table load that depends on the one
//! before, so the processor waits on each in turn; and it stops at every
//! term inside a word ("cla" in "class", "sen" in "sentence"), which the
//! detector then rejects. That walk was half of a typical message's scan,
//! yet most texts (a newsletter, a trip letter) hold no term the detector
//! would accept. This pass answers only that question, and faster:
//!
//! - it sees only terms at the start of a word, and the case-exact ones
//!   (SEND, CLA) only as written, as the detector accepts them: every
//!   letter and digit is itself, every other byte (space, punctuation, any
//!   byte of a non-ASCII character) is one "boundary" symbol, and each term
//!   is looked for with a boundary in front;
//! - the automaton is copied once per engine into one dense table (the
//!   product of the case-insensitive and the case-exact automata), and
//!   walked over [`LANES`] parts of the text at once: the walks do not
//!   depend on each other, so their loads overlap.
//!
//! It may say yes for a text the detector ends up accepting nothing from
//! (a boundary inside a non-ASCII word, a term followed by more letters);
//! it never says no for a text the detector accepts a term from. When it
//! says yes the detector searches the whole text exactly as before.

use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::{dfa::DFA, Anchored, MatchKind};
use std::collections::HashMap;

/// Set on a table entry whose state ends a term.
const MATCH: u32 = 1 << 31;

/// Parts of a text walked at once (the walk below is written out for four).
const LANES: usize = 4;

/// Texts shorter than this are walked in one piece: splitting them saves
/// less than it costs.
const SPLIT_MIN: usize = 1024;

/// What every byte that is not an ASCII letter or digit reads as.
const BOUNDARY: u8 = 0x01;

/// Product automata with more states than this are not built (ours has a
/// few thousand); the detector then searches without this pass.
const MAX_STATES: usize = 1 << 16;

/// A byte as the automata see it.
fn symbol(b: u8) -> u8 {
    if b.is_ascii_alphanumeric() {
        b
    } else {
        BOUNDARY
    }
}

/// A term as the automata look for it: a boundary, then its symbols.
fn pattern(term: &str) -> Vec<u8> {
    std::iter::once(BOUNDARY)
        .chain(term.bytes().map(symbol))
        .collect()
}

/// The term automata as one dense table, walked several parts at a time.
pub struct TermPrefilter {
    /// Byte → equivalence class (bytes no state tells apart share one).
    class: [u8; 256],
    /// `state * classes + class` → next state, premultiplied by `classes`,
    /// with [`MATCH`] set when that state ends a term.
    table: Vec<u32>,
    /// The state at the start of a text (after a virtual boundary).
    at_text_start: u32,
    /// Longest pattern (term plus its boundary), in bytes.
    max_len: usize,
}

impl TermPrefilter {
    /// Builds the table from `(term, exact_case)` pairs. Once per engine.
    /// `None` only for a term list far beyond ours (more than
    /// [`MAX_STATES`] states): the detector then searches without it.
    pub fn new<'a>(terms: impl IntoIterator<Item = (&'a str, bool)>) -> Option<Self> {
        let (mut loose, mut exact) = (Vec::new(), Vec::new());
        for (term, exact_case) in terms {
            if exact_case {
                exact.push(pattern(term));
            } else {
                loose.push(pattern(term));
            }
        }
        let max_len = loose.iter().chain(&exact).map(Vec::len).max().unwrap_or(1);
        let build = |patterns: &[Vec<u8>], fold: bool| {
            DFA::builder()
                .ascii_case_insensitive(fold)
                .match_kind(MatchKind::Standard)
                .build(patterns)
                .ok()
        };
        let (a, b) = (build(&loose, true)?, build(&exact, false)?);
        // The symbols: the letters, the digits and the boundary.
        let symbols: Vec<u8> = (0..=255u8).filter(|&b| symbol(b) == b).collect();
        // Number the reachable pairs of states, breadth first, recording
        // every pair's successor for every symbol.
        let start = (
            a.start_state(Anchored::No).ok()?,
            b.start_state(Anchored::No).ok()?,
        );
        let mut number: HashMap<(StateID, StateID), usize> = HashMap::from([(start, 0)]);
        let mut pairs = vec![start];
        let mut next: Vec<Vec<u32>> = vec![Vec::new(); symbols.len()];
        let mut i = 0;
        while let Some(&(sa, sb)) = pairs.get(i) {
            for (&sym, column) in symbols.iter().zip(next.iter_mut()) {
                let to = (
                    a.next_state(Anchored::No, sa, sym),
                    b.next_state(Anchored::No, sb, sym),
                );
                let n = number.len();
                let k = *number.entry(to).or_insert_with(|| {
                    pairs.push(to);
                    n
                });
                if pairs.len() > MAX_STATES {
                    return None;
                }
                column.push(u32::try_from(k).ok()?);
            }
            i += 1;
        }
        // Symbols whose columns are equal are one class.
        let mut firsts: Vec<usize> = Vec::new();
        let mut class_of_symbol = vec![0u8; symbols.len()];
        for (s, c) in class_of_symbol.iter_mut().enumerate() {
            let found = firsts.iter().position(|&f| next[f] == next[s]);
            *c = u8::try_from(found.unwrap_or(firsts.len())).ok()?;
            if found.is_none() {
                firsts.push(s);
            }
        }
        let classes = firsts.len();
        let mut class = [0u8; 256];
        for (byte, c) in (0..=255u8).zip(class.iter_mut()) {
            let s = symbols.iter().position(|&x| x == symbol(byte))?;
            *c = class_of_symbol[s];
        }
        let columns: Vec<&[u32]> = firsts.iter().map(|&f| next[f].as_slice()).collect();
        let mut table = Vec::with_capacity(pairs.len() * classes);
        for s in 0..pairs.len() {
            for column in &columns {
                let to = *column.get(s)? as usize;
                let &(ta, tb) = pairs.get(to)?;
                let flag = if a.is_match(ta) || b.is_match(tb) {
                    MATCH
                } else {
                    0
                };
                // Fits: at most MAX_STATES * 63 < MATCH.
                table.push((to * classes) as u32 | flag);
            }
        }
        let mut prefilter = TermPrefilter {
            class,
            table,
            at_text_start: 0,
            max_len,
        };
        prefilter.at_text_start = prefilter.step(0, BOUNDARY);
        Some(prefilter)
    }

    /// False when no term the detector could accept is in `text`.
    pub fn may_match(&self, text: &[u8]) -> bool {
        if text.len() < SPLIT_MIN {
            return self.walk(self.at_text_start, text);
        }
        // Lane k walks [k * part, (k + 1) * part), all lanes in step. Lane
        // 0 starts after the text's virtual boundary; the others do not
        // assume one (the lane before sees a term across the join, below).
        let part = text.len() / LANES;
        let lane = |k: usize| text.get(k * part..(k + 1) * part).unwrap_or_default();
        let (l0, l1, l2, l3) = (lane(0), lane(1), lane(2), lane(3));
        let mut state = [self.at_text_start, 0, 0, 0];
        for (((&a, &b), &c), &d) in l0.iter().zip(l1).zip(l2).zip(l3) {
            state[0] = self.step(state[0], a);
            state[1] = self.step(state[1], b);
            state[2] = self.step(state[2], c);
            state[3] = self.step(state[3], d);
            if (state[0] | state[1] | state[2] | state[3]) & MATCH != 0 {
                return true;
            }
        }
        // Each lane goes on into the next lane's part, far enough to see a
        // term (and its boundary) that began in its own; the last lane goes
        // to the end of the text.
        state.iter().enumerate().any(|(k, &s)| {
            let from = (k + 1) * part;
            let to = if k + 1 == LANES {
                text.len()
            } else {
                (from + self.max_len.saturating_sub(1)).min(text.len())
            };
            self.walk(s, text.get(from..to).unwrap_or_default())
        })
    }

    /// Walks `bytes` from `state`: does a term end in them?
    fn walk(&self, mut state: u32, bytes: &[u8]) -> bool {
        for &b in bytes {
            state = self.step(state, b);
            if state & MATCH != 0 {
                return true;
            }
        }
        false
    }

    #[inline(always)]
    fn step(&self, state: u32, b: u8) -> u32 {
        // In range by construction: a state is premultiplied, so state +
        // class < states * classes.
        self.table[(state & !MATCH) as usize + usize::from(self.class[usize::from(b)])]
    }
}

#[cfg(test)]
mod tests {
    use super::super::terms::{Term, TERMS};
    use super::super::{whole_word_end, SpecialCategoryDetector};
    use super::*;
    use crate::detect::{Detector, Location, MessageContext, TextKind, TextUnit};
    use aho_corasick::AhoCorasick;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    /// The detector's own first pass.
    fn prefilter() -> TermPrefilter {
        SpecialCategoryDetector::new().first.expect("terms fit")
    }

    /// The detector's own automaton (leftmost-longest), not a copy of its settings.
    fn detector_ac() -> AhoCorasick {
        SpecialCategoryDetector::new().ac
    }

    /// The terms the detector's loop gets past its first two checks (a
    /// whole word, the exact case where required): none may exist when
    /// the prefilter says no.
    fn accepted(ac: &AhoCorasick, text: &str) -> Vec<(usize, &'static str)> {
        ac.find_iter(text)
            .filter_map(|m| {
                let term: &Term = TERMS.get(m.pattern().as_usize())?;
                whole_word_end(text, m.start(), m.end())?;
                if term.exact_case
                    && text.get(m.start()..m.start() + term.text.len()) != Some(term.text)
                {
                    return None;
                }
                Some((m.start(), term.text))
            })
            .collect()
    }

    const PROSE: &[&str] = &[
        "the ",
        "class ",
        "trip ",
        "on ",
        "Friday ",
        "was ",
        "a ",
        "success. ",
        "Leo ",
        "Smith ",
        "Amira Khan ",
        "has ",
        "parents ",
        "evening\n",
        "please send ",
        "you ",
        "there, ",
        "café ",
        "£20 ",
        "\r\n",
        "— ",
        "naïve ",
        "mealtimes ",
        "sentence ",
        "medically ",
        "Mrs Evans ",
        "x",
        "é",
        "-",
        "'",
        "(",
        "—",
        "«",
        "name: Leo Smith | sen: K\n",
    ];

    /// A text of about `len` bytes: prose with, now and then, a term in
    /// random case, glued to its neighbours or not, whole or cut short.
    fn text(r: &mut StdRng, len: usize, term_every: usize) -> String {
        let mut t = String::new();
        while t.len() < len {
            if term_every > 0 && r.gen_range(0..term_every) == 0 {
                let term = TERMS[r.gen_range(0..TERMS.len())].text;
                let cut = if r.gen_range(0..4) == 0 {
                    r.gen_range(1..=term.len())
                } else {
                    term.len()
                };
                let keep_case = r.gen_range(0..2) == 0;
                for c in term[..cut].chars() {
                    t.push(match (keep_case, r.gen_range(0..2)) {
                        (true, _) => c,
                        (false, 0) => c.to_ascii_uppercase(),
                        _ => c.to_ascii_lowercase(),
                    });
                }
                t.push_str(["", " ", "s ", "'s ", "ic ", ".", "é "][r.gen_range(0..7)]);
            } else {
                t.push_str(PROSE[r.gen_range(0..PROSE.len())]);
            }
        }
        t
    }

    #[test]
    fn never_says_no_to_a_text_with_an_acceptable_term() {
        let (pf, ac) = (prefilter(), detector_ac());
        let mut r = StdRng::seed_from_u64(0x5eed);
        let mut said_no = 0;
        for i in 0..4000 {
            // Short and long texts (both sides of SPLIT_MIN), term-free and
            // with terms at every density.
            let len = [
                r.gen_range(0..200),
                r.gen_range(0..3000),
                r.gen_range(1000..31_000),
            ][i % 3];
            let every = [0, 2, 20, 400, 5000][r.gen_range(0..5)];
            let t = text(&mut r, len, every);
            if !pf.may_match(t.as_bytes()) {
                said_no += 1;
                let found = accepted(&ac, &t);
                assert!(found.is_empty(), "missed {:?} in {t:?}", found.first());
            }
        }
        // The pass is worth having only if it often says no.
        assert!(said_no > 400, "said no {said_no} times");
    }

    #[test]
    fn findings_are_the_same_with_and_without_it() {
        let with = SpecialCategoryDetector::new();
        assert!(with.first.is_some());
        let without = SpecialCategoryDetector {
            first: None,
            ..SpecialCategoryDetector::new()
        };
        let ctx = MessageContext::default();
        let mut r = StdRng::seed_from_u64(0xfeed);
        for i in 0..600 {
            let every = [3, 30, 300][r.gen_range(0..3)];
            let t = text(&mut r, [150, 1500, 4000][i % 3], every);
            for kind in [TextKind::Body, TextKind::Table, TextKind::Subject] {
                let unit = TextUnit {
                    location: Location::Body,
                    kind,
                    text: &t,
                };
                let (mut a, mut b) = (Vec::new(), Vec::new());
                with.scan(&unit, &ctx, &mut a);
                without.scan(&unit, &ctx, &mut b);
                assert_eq!(format!("{a:?}"), format!("{b:?}"), "{kind:?} {t:?}");
            }
        }
    }

    #[test]
    fn a_term_is_seen_wherever_it_falls_against_the_lanes() {
        let pf = prefilter();
        // One term in filler, moved across every lane join and the end.
        for len in [SPLIT_MIN, SPLIT_MIN + 1, SPLIT_MIN + 3, 4099] {
            for term in [
                "EHCP",
                "asthma",
                "child protection plan",
                "looked after child",
                "SEND",
            ] {
                for at in 0..=len - term.len() - 1 {
                    let mut t = "x".repeat(len);
                    t.replace_range(at..at + term.len() + 1, &format!(" {term}"));
                    assert!(pf.may_match(t.as_bytes()), "{term} at {at} of {len}");
                }
                // At the very start, no boundary before it but the text's.
                let t = format!("{term}{}", "x".repeat(len));
                assert!(pf.may_match(t.as_bytes()), "{term} at 0");
            }
        }
    }

    /// `cargo test --release --lib prefilter_throughput -- --ignored --nocapture`
    #[test]
    #[ignore = "throughput measurement"]
    fn prefilter_throughput() {
        let (pf, ac) = (prefilter(), detector_ac());
        let text = "The class trip on Friday was a great success, thank you all. ".repeat(330);
        for _ in 0..3 {
            let n = 2000;
            let t = std::time::Instant::now();
            for _ in 0..n {
                assert!(!pf.may_match(std::hint::black_box(text.as_bytes())));
            }
            let ours = t.elapsed().as_secs_f64() / n as f64;
            let t = std::time::Instant::now();
            for _ in 0..n {
                std::hint::black_box(ac.find_iter(std::hint::black_box(&text)).count());
            }
            let theirs = t.elapsed().as_secs_f64() / n as f64;
            println!(
                "{} bytes: prefilter {:.1} µs ({:.0} MB/s), automaton {:.1} µs ({:.0} MB/s), {:.2}x",
                text.len(),
                ours * 1e6,
                text.len() as f64 / ours / 1e6,
                theirs * 1e6,
                text.len() as f64 / theirs / 1e6,
                theirs / ours
            );
        }
    }

    #[test]
    fn words_containing_terms_and_case_exact_terms_in_lower_case_are_not_terms() {
        let pf = prefilter();
        for t in [
            "the class will send the sentence to Pepper",
            "please send it",
            "classical musicians",
            "",
        ] {
            let long = format!("{t} ").repeat(300);
            assert!(!pf.may_match(t.as_bytes()), "{t:?}");
            assert!(!pf.may_match(long.as_bytes()), "{t:?} repeated");
        }
        for t in ["Leo has asthma", "SEND review", "on the CLA list", "(EHCP)"] {
            assert!(pf.may_match(t.as_bytes()), "{t:?}");
        }
        // A few thousand states of a few dozen classes: well inside L2.
        assert!(
            pf.table.len() * 4 < 2 * 1024 * 1024,
            "{} entries",
            pf.table.len()
        );
    }
}
