//! UK identifiers (NI number, NHS number, UPN, ULN, payment card, IBAN, bank
//! account, passport, date of birth): one prefilter pass, then
//! per-candidate validation.
//!
//! Part of stage 3 (detectors). The whole text is read once, by one
//! ASCII-only regex (`candidate_pattern`) whose alternatives all start
//! with a digit: the tails of letter-led codes (NINO, IBAN, temporary UPN),
//! dates with a month name, and *digit clusters* — runs of digit groups
//! joined by one space, dash, slash, dot or no-break space. The letters in
//! front of a match (NINO prefix, UPN check letter, IBAN country, a month
//! name) are read back from the text (`Prefix`). Each match is then cut
//! into candidates, validated by the pure functions of the per-identifier
//! modules (checksums, issuer ranges, calendar), and graded by the words
//! around it (`context`), which are only looked at near a candidate.
//!
//! Grading follows Purview/Presidio: a checksum- or format-valid value with
//! its keyword nearby is `High`; a value distinctive enough alone (a NINO
//! with a valid prefix, a UPN whose check letter passes, a grouped card
//! number in an issuer range, an IBAN) is `Medium`; a bare value whose check
//! one random number in ten would pass (NHS, plain card numbers) is `Low`;
//! ULNs, passports, bank details and dates of birth are nothing without
//! their keyword. Phone numbers (by shape, or by a "tel"/"mobile" word just
//! before) are never identifiers, and reference words (order, invoice, ref,
//! tracking, ISBN, £) lower the grade by one level. In a table the cell's
//! column header is the keyword. An unspaced NINO with no keyword among
//! other model numbers is a part number in a price list (`product`): `Low`.

mod bank;
mod card;
mod context;
mod dob;
mod iban;
mod nhs;
mod nino;
mod passport;
mod product;
mod upn;

use super::{
    Category, Confidence, Detector, Finding, Location, MessageContext, TextKind, TextUnit,
};
use crate::detect::mask::mask_keep;
use context::{class, HeaderCache, Keywords, Near};
use regex::bytes::Regex;

// Detector ids, as rules name them (`detectors = [...]` in rules/*.toml).
/// National Insurance number.
pub const UK_NINO: &str = "uk_nino";
/// NHS number (and Scottish CHI / Northern Ireland H&C numbers).
pub const NHS_NUMBER: &str = "nhs_number";
/// Unique Pupil Number.
pub const UK_UPN: &str = "uk_upn";
/// Unique Learner Number.
pub const UK_ULN: &str = "uk_uln";
/// Payment card number.
pub const PAYMENT_CARD: &str = "payment_card";
/// IBAN (any SEPA country, the UK's included).
pub const IBAN: &str = "iban";
/// UK sort code with an account number.
pub const UK_BANK_ACCOUNT: &str = "uk_bank_account";
/// UK passport number.
pub const UK_PASSPORT: &str = "uk_passport";
/// Date of birth.
pub const DATE_OF_BIRTH: &str = "date_of_birth";

const IDS: [&str; 9] = [
    UK_NINO,
    NHS_NUMBER,
    UK_UPN,
    UK_ULN,
    PAYMENT_CARD,
    IBAN,
    UK_BANK_ACCOUNT,
    UK_PASSPORT,
    DATE_OF_BIRTH,
];

/// Distinct findings of one detector kept per text unit. A spreadsheet of
/// 10,000 pupils would otherwise give 10,000 findings; beyond this many the
/// further occurrences are added to the `count` of the last finding.
pub const MAX_FINDINGS_PER_DETECTOR: usize = 50;

/// A phone word ("tel", "mobile", "call") at most this many bytes before a
/// number makes it a phone number, unless an identifier keyword is nearer.
const PHONE_WORD_MAX: u32 = 30;
/// The same, for a phone word right after a number.
const PHONE_AFTER_MAX: u32 = 12;

/// A date is a date of birth only with a DOB word at most this many bytes
/// away ("Date of birth and address by Friday 14/03/2025" is a deadline).
const DOB_WORD_MAX: u32 = 40;

/// Month names and abbreviations, case-insensitive.
const MONTH: &str = "(?i:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t|tember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)";

/// The candidate pattern. ASCII only, with ASCII word boundaries, so the
/// regex crate runs it with its lazy DFA in one pass.
///
/// Every alternative starts with a digit: that lets the regex engine skip
/// through prose to the next digit with a fast prefilter instead of
/// stepping its automaton over every letter (measured: 3× faster than
/// alternatives that start with letters). The letters some identifiers
/// start with (the NINO prefix `JT`, the UPN check letter, the IBAN country
/// code, a month name before the day) are read back from the text in front
/// of the match by [`Prefix`]. Alternatives are tried in order at the
/// leftmost position, so the specific shapes come before the generic digit
/// cluster.
fn candidate_pattern() -> String {
    format!(r"(?-u)(?:{})\b", candidate_alternatives().join("|"))
}

/// The alternatives of [`candidate_pattern`], most specific first.
fn candidate_alternatives() -> [String; 6] {
    let ord = "(?i:st|nd|rd|th)?";
    [
        // NINO after its prefix letters: 48 22 91 B, 482291B, 482291 B.
        r"\d{2}(?:[ \-]|\xC2\xA0)?\d{2}(?:[ \-]|\xC2\xA0)?\d{2}(?:[ \-]|\xC2\xA0)?[A-Da-d]"
            .to_string(),
        // IBAN after its country code: check digits, then groups of four.
        // Also covers a temporary UPN after its check letter (11 digits and
        // a letter): a separate `\d{11}[A-Z]` alternative made the lazy DFA
        // three times slower (measured), for no extra match.
        r"\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?".to_string(),
        // 4th (of) February 2016, 4 Feb. 2016, 04-Feb-16.
        format!(r"\d{{1,2}}{ord}(?: of)?[ \-]{MONTH}\.?,?[ \-]\d{{4}}"),
        format!(r"\d{{1,2}}{ord}[ \-]{MONTH}\.?[ \-]\d{{2}}"),
        // Digit clusters of 4+ digits: 401 023 2137, 04/02/2016, 20-00-00,
        // and the digits of a UPN or an old passport after their letter. A
        // no-break space (U+00A0, what HTML's &nbsp; becomes) joins groups too.
        r"\d(?:(?:[ \-/.]|\xC2\xA0)?\d){3,}".to_string(),
        // After a month name: (February) 4th, 2016.
        format!(r"\d{{1,2}}{ord},? \d{{4}}"),
    ]
}

/// The letters right in front of a candidate's first digit.
#[derive(Debug, Clone, Copy)]
struct Prefix {
    /// Where the letters start.
    start: usize,
    /// How many letters (counted up to 3: more means an ordinary word).
    letters: usize,
    /// One space or dash between the letters and the digits (`JT 48…`).
    gap: bool,
    /// The letters start a word (nothing alphanumeric before them).
    clean: bool,
}

impl Prefix {
    fn of(text: &[u8], s: usize) -> Prefix {
        let is_alpha = |k: usize| text.get(k).is_some_and(u8::is_ascii_alphabetic);
        let mut k = s;
        // One space, dash or no-break space (two bytes) between.
        let before = text.get(..s).unwrap_or_default();
        let sep_len = if before.ends_with(b"\xC2\xA0") {
            2
        } else if before.ends_with(b" ") || before.ends_with(b"-") {
            1
        } else {
            0
        };
        let gap = sep_len > 0 && k > sep_len && is_alpha(k - sep_len - 1);
        if gap {
            k -= sep_len;
        }
        let mut letters = 0;
        while k > 0 && letters < 3 && is_alpha(k - 1) {
            k -= 1;
            letters += 1;
        }
        let clean = k == 0 || text.get(k - 1).is_none_or(|b| !b.is_ascii_alphanumeric());
        Prefix {
            start: k,
            letters,
            gap,
            clean: clean && letters <= 2,
        }
    }

    /// Exactly `n` letters glued to the digits, starting a word.
    fn glued(&self, n: usize) -> bool {
        !self.gap && self.clean && self.letters == n
    }

    /// The letters, upper case only.
    fn upper(&self, text: &[u8], s: usize) -> bool {
        text.get(self.start..s)
            .is_some_and(|p| p.iter().all(|b| !b.is_ascii_lowercase()))
    }
}

/// Scans for every identifier type in one pass.
pub struct IdentifierDetector {
    candidates: Regex,
    keywords: Keywords,
    /// Dates of birth lie in the past: four-digit years after this are not.
    this_year: u16,
}

impl IdentifierDetector {
    /// Compiles the candidate regex and the keyword automaton (once per engine).
    pub fn new() -> Self {
        IdentifierDetector {
            // The pattern is a constant; the unit test `pattern_compiles` guards it.
            candidates: Regex::new(&candidate_pattern()).expect("identifier pattern compiles"),
            keywords: Keywords::new(),
            this_year: current_year(),
        }
    }
}

impl Default for IdentifierDetector {
    fn default() -> Self {
        Self::new()
    }
}

impl Detector for IdentifierDetector {
    fn ids(&self) -> &'static [&'static str] {
        &IDS
    }

    fn scan(&self, unit: &TextUnit<'_>, _ctx: &MessageContext, out: &mut Vec<Finding>) {
        let mut scan = Scan {
            det: self,
            text: unit.text.as_bytes(),
            src: unit.text,
            kind: unit.kind,
            sink: Sink::new(out, &unit.location),
            groups: Vec::new(),
            headers: HeaderCache::default(),
        };
        for m in self.candidates.find_iter(scan.text) {
            scan.candidate(m.start(), m.end());
        }
    }
}

/// How strong a valid value is without a keyword.
#[derive(Debug, Clone, Copy)]
enum Base {
    /// Nothing without its keyword (passport, date of birth, bank details).
    Keyword,
    /// A weak signal (checksum that 1 in 10 random numbers pass).
    Low,
    /// Distinctive alone.
    Medium,
}

/// Grades a valid value by its context: `own` are the classes of its
/// keywords, `neg` the classes that argue against it. Returns `None` when
/// the value is not to be reported.
fn grade(base: Base, near: &Near, own: u16, neg: u16, digits_only: bool) -> Option<Confidence> {
    let own_d = near.either(own).unwrap_or(u32::MAX);
    if digits_only {
        if let Some(p) = near.before(class::PHONE) {
            if (p <= PHONE_WORD_MAX || near.from_header) && p < own_d {
                return None;
            }
        }
        // "4010232137 (mobile)", when nothing names it as an identifier.
        if own_d == u32::MAX
            && near
                .after(class::PHONE)
                .is_some_and(|p| p <= PHONE_AFTER_MAX)
        {
            return None;
        }
    }
    let neg_d = near.before(neg).unwrap_or(u32::MAX);
    if own_d != u32::MAX && own_d <= neg_d {
        return Some(Confidence::High);
    }
    let level = match base {
        Base::Keyword => return None,
        Base::Low => Confidence::Low,
        Base::Medium => Confidence::Medium,
    };
    if neg_d == u32::MAX {
        Some(level)
    } else {
        match level {
            Confidence::High => Some(Confidence::Medium),
            Confidence::Medium => Some(Confidence::Low),
            Confidence::Low => None,
        }
    }
}

/// Bank details next to an instruction to pay ("payable to", "BACS", "our
/// bank") are the school's own account, as printed in letters to parents:
/// kept as a low finding for review, never enough to hold a newsletter.
/// So are details whose paragraph says to pay them, or whose account holder
/// is an organisation ("Account name: ... Academy", "Bank: Tutors Ltd"):
/// the school's own account or a supplier's on a forwarded invoice.
fn paid_to(near: &Near, text: &[u8], span: (usize, usize), conf: Confidence) -> Confidence {
    if near.before(class::PAY_TO).is_some()
        || (conf > Confidence::Low && context::organisational(text, span.0, span.1))
    {
        Confidence::Low
    } else {
        conf
    }
}

/// Collects findings for one unit, capping distinct findings per detector.
struct Sink<'a> {
    out: &'a mut Vec<Finding>,
    location: &'a Location,
    /// Per detector (by its place in `IDS`): findings made in this unit,
    /// and the index in `out` of the last one.
    counts: [usize; IDS.len()],
    last: [usize; IDS.len()],
}

impl<'a> Sink<'a> {
    fn new(out: &'a mut Vec<Finding>, location: &'a Location) -> Self {
        Sink {
            out,
            location,
            counts: [0; IDS.len()],
            last: [0; IDS.len()],
        }
    }

    /// Adds a finding; `evidence` (the masked value) is only built when the
    /// finding is kept apart rather than counted into an earlier one.
    fn emit(
        &mut self,
        detector: &'static str,
        confidence: Confidence,
        evidence: impl FnOnce() -> String,
    ) {
        let slot = IDS.iter().position(|d| *d == detector).unwrap_or(0);
        let (Some(n), Some(last)) = (self.counts.get_mut(slot), self.last.get_mut(slot)) else {
            return;
        };
        if *n >= MAX_FINDINGS_PER_DETECTOR {
            if let Some(f) = self.out.get_mut(*last) {
                f.count += 1;
                f.confidence = f.confidence.max(confidence);
                return;
            }
        }
        *n += 1;
        *last = self.out.len();
        self.out.push(Finding::new(
            Category::PersonalData,
            detector,
            self.location.clone(),
            confidence,
            evidence(),
        ));
    }
}

/// The state of one unit's scan.
struct Scan<'a, 'o> {
    det: &'a IdentifierDetector,
    text: &'a [u8],
    src: &'a str,
    kind: TextKind,
    sink: Sink<'o>,
    /// Digit groups of the current cluster (reused allocation).
    groups: Vec<(usize, usize)>,
    headers: HeaderCache,
}

impl Scan<'_, '_> {
    fn near(&mut self, s: usize, e: usize) -> Near {
        self.det
            .keywords
            .near(self.text, (s, e), self.kind, &mut self.headers)
    }

    /// Emits `text[s..e]` masked, keeping `keep_start`/`keep_end` characters.
    fn emit(&mut self, id: &'static str, c: Confidence, s: usize, e: usize, keep: (usize, usize)) {
        if let Some(v) = self.src.get(s..e) {
            self.sink.emit(id, c, || mask_keep(v, keep.0, keep.1));
        }
    }

    /// One regex match (it starts with a digit): decides, with the letters
    /// in front of it, which identifier it may be.
    fn candidate(&mut self, s: usize, e: usize) {
        let Some(v) = self.text.get(s..e) else {
            return;
        };
        let has_alpha = v.iter().any(u8::is_ascii_alphabetic);
        let pre = Prefix::of(self.text, s);
        let upper = pre.upper(self.text, s);
        if pre.letters > 0 && !pre.gap {
            // Letters glued to the digits: a NINO, UPN, old passport or IBAN,
            // or else part of a longer code ("AB123456789GB").
            let whole = pre.start;
            if pre.glued(2) && self.nino(whole, e) {
                return;
            }
            if pre.glued(1) && upper && v.len() == 12 {
                self.upn(whole, e);
                return;
            }
            if pre.glued(1) && upper && v.len() == 8 && !has_alpha {
                self.passport(whole, e);
                return;
            }
            if pre.glued(2) && upper {
                self.iban(whole, e);
                return;
            }
            if !has_alpha {
                self.cluster(s, e, true);
            }
            return;
        }
        if pre.gap && pre.letters == 2 && pre.clean && has_alpha && self.nino(pre.start, e) {
            return;
        }
        if let Some(m) = month_before(self.text, s) {
            if dob::with_month_name(self.text.get(m..e).unwrap_or_default(), self.det.this_year)
                .is_some()
                && self.date_of_birth(m, e)
            {
                return;
            }
        }
        if has_alpha {
            // 4th February 2016, 04-Feb-16.
            if dob::with_month_name(v, self.det.this_year).is_some() {
                self.date_of_birth(s, e);
            }
            return;
        }
        self.cluster(s, e, false);
    }

    /// A NINO at `s..e` (prefix letters included). True if it has the
    /// shape of one, whether or not it was reported.
    fn nino(&mut self, s: usize, e: usize) -> bool {
        let Some(c) = self
            .text
            .get(s..e)
            .and_then(nino::compact)
            .filter(nino::is_shape)
        else {
            return false;
        };
        if nino::is_valid(&c) {
            let upper = c.iter().all(|b| !b.is_ascii_lowercase());
            let base = if upper { Base::Medium } else { Base::Low };
            let near = self.near(s, e);
            if let Some(mut conf) = grade(base, &near, class::NINO, class::REF, false) {
                // Unspaced, with no NI word, among other model numbers or
                // heading a priced line of a price list: a part number
                // (`ST320014A`), kept only as a weak signal for review.
                if conf == Confidence::Medium
                    && e - s == c.len()
                    && (product::among_codes(self.text, s, e)
                        || product::in_price_list(self.text, s, e))
                {
                    conf = Confidence::Low;
                }
                self.emit(UK_NINO, conf, s, e, (2, 1));
            }
        }
        true
    }

    fn upn(&mut self, s: usize, e: usize) {
        if self.text.get(s..e).is_some_and(upn::upn_valid) {
            let near = self.near(s, e);
            if let Some(conf) = grade(Base::Medium, &near, class::UPN, class::REF, false) {
                self.emit(UK_UPN, conf, s, e, (1, 2));
            }
        }
    }

    fn passport(&mut self, s: usize, e: usize) {
        if self.text.get(s..e).is_some_and(passport::is_shape) {
            let near = self.near(s, e);
            if let Some(conf) = grade(Base::Keyword, &near, class::PASSPORT, class::REF, false) {
                self.emit(UK_PASSPORT, conf, s, e, (1, 2));
            }
        }
    }

    fn iban(&mut self, s: usize, e: usize) {
        if let Some(end) = self.text.get(s..e).and_then(iban_end) {
            let near = self.near(s, s + end);
            let own = class::IBAN | class::BANK;
            if let Some(conf) = grade(Base::Medium, &near, own, class::REF, false) {
                self.emit(
                    IBAN,
                    paid_to(&near, self.text, (s, s + end), conf),
                    s,
                    s + end,
                    (4, 4),
                );
            }
        }
    }

    /// A valid date at `s..e`: a date of birth when a DOB word is close.
    fn date_of_birth(&mut self, s: usize, e: usize) -> bool {
        let near = self.near(s, e);
        if near.either(class::DOB).is_none_or(|d| d > DOB_WORD_MAX) {
            return false;
        }
        let neg = class::NOT_DOB | class::REF;
        match grade(Base::Keyword, &near, class::DOB, neg, false) {
            Some(conf) => {
                // Whose date it is decides how much it matters: a date of
                // birth beside a named person ("Gemma Pickles (DOB 28 Jul
                // 2011)") is that person's personal data and High; a lone
                // one ("DOB: 04/02/2016" on a form, a date in a table
                // without names) is at most Medium.
                let conf = if super::special::person_on_line(self.src, s, e) {
                    Confidence::High
                } else {
                    conf.min(Confidence::Medium)
                };
                if let Some(v) = self.src.get(s..e) {
                    self.sink.emit(DATE_OF_BIRTH, conf, || dob::mask(v));
                }
                true
            }
            None => false,
        }
    }

    /// A run of digit groups: split into candidate spans and try each.
    /// `glued`: the first group is stuck to letters before it, so only the
    /// groups after it can stand alone.
    fn cluster(&mut self, s: usize, e: usize, glued: bool) {
        self.groups.clear();
        let mut i = s;
        while i < e {
            if self.text.get(i).is_some_and(u8::is_ascii_digit) {
                let g = i;
                while i < e && self.text.get(i).is_some_and(u8::is_ascii_digit) {
                    i += 1;
                }
                self.groups.push((g, i));
            } else {
                i += 1;
            }
        }
        if self.phone_shaped(s) {
            return;
        }
        // Greedy, left to right, longest span first; no card or NHS shape
        // has more than five groups.
        let n = self.groups.len();
        let mut first = usize::from(glued);
        'starts: while first < n {
            for len in (1..=(n - first).min(5)).rev() {
                if self.span(first, first + len - 1) {
                    first += len;
                    continue 'starts;
                }
            }
            first += 1;
        }
    }

    /// The separator byte between group `k` and `k + 1` (a no-break space
    /// counts as a space).
    fn sep(&self, k: usize) -> Option<u8> {
        let (_, end) = *self.groups.get(k)?;
        match self.text.get(end).copied() {
            Some(0xC2) => Some(b' '),
            b => b,
        }
    }

    /// Phone numbers by their shape: `+44 …`, `(0)…`, `00…` international,
    /// or eleven digits starting with 0 (the UK national format, however
    /// grouped: `01632 960 001`, `07700 900123`, `020 7946 0000`).
    fn phone_shaped(&self, s: usize) -> bool {
        let before = self.text.get(..s).unwrap_or_default();
        let before = before.strip_suffix(b" ").unwrap_or(before);
        if before.ends_with(b"+") || before.ends_with(b"(0)") {
            return true;
        }
        let digits: usize = self.groups.iter().map(|(a, b)| b - a).sum();
        let first = self.text.get(s).copied();
        let second = self.text.get(s + 1).copied();
        let phone_seps = (0..self.groups.len().saturating_sub(1))
            .all(|k| matches!(self.sep(k), Some(b' ') | Some(b'-')));
        first == Some(b'0') && phone_seps && (digits == 11 || second == Some(b'0'))
    }

    /// Tries groups `i..=j` as one candidate. True if a finding was made.
    fn span(&mut self, i: usize, j: usize) -> bool {
        let (Some(&(s, _)), Some(&(_, e))) = (self.groups.get(i), self.groups.get(j)) else {
            return false;
        };
        let n = self.groups.len();
        // One separator inside the span.
        let sep = if i == j { None } else { self.sep(i) };
        if (i..j).any(|k| self.sep(k) != sep) {
            return false;
        }
        // Only whole clusters, or parts set off by spaces (so "3.14159…" or
        // "ref 12-4010232137" give no sub-candidates). A part set off by the
        // same space that joins its own groups ("4111 1111 1111 1111 12/27")
        // may be a fragment of a longer list of numbers: it needs its keyword.
        let whole = i == 0 && j + 1 == n;
        let mut embedded = false;
        if !whole {
            let outer = [
                i.checked_sub(1).map(|k| self.sep(k)),
                (j + 1 < n).then(|| self.sep(j)),
            ];
            for o in outer.into_iter().flatten() {
                if o != Some(b' ') {
                    return false;
                }
                embedded |= o == sep;
            }
        }
        let weak = |b: Base| if embedded { Base::Keyword } else { b };
        let mut digits = [0u8; 19];
        let mut lens = [0usize; 5];
        let mut nd = 0;
        for (k, &(a, b)) in self
            .groups
            .get(i..=j)
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            let Some(g) = self.text.get(a..b) else {
                return false;
            };
            let Some(dst) = digits.get_mut(nd..nd + g.len()) else {
                return false;
            };
            dst.copy_from_slice(g);
            nd += g.len();
            if let Some(l) = lens.get_mut(k) {
                *l = g.len();
            }
        }
        let digits = digits.get(..nd).unwrap_or_default();
        let lens = lens.get(..=j - i).unwrap_or_default();

        // Numeric date.
        if let ([a, b, c], Some(sp)) = (self.groups.get(i..=j).unwrap_or_default(), sep) {
            let g = |r: &(usize, usize)| self.text.get(r.0..r.1).unwrap_or_default();
            if dob::numeric([g(a), g(b), g(c)], sp, self.det.this_year).is_some()
                && self.date_of_birth(s, e)
            {
                return true;
            }
        }
        // Sort code with an account number nearby.
        if bank::is_sort_code(lens, sep) && self.bank(s, e, sep == Some(b'-')) {
            return true;
        }
        let spaced = matches!(sep, None | Some(b' ') | Some(b'-'));
        // NHS number or ULN.
        if nd == 10 && spaced && (lens == [10] || lens == [3, 3, 4]) {
            let leading_zero = digits.first() == Some(&b'0');
            if nhs::is_valid(digits) {
                // Ten digits from 0 are usually a phone number: need the keyword.
                let base = if leading_zero {
                    Base::Keyword
                } else {
                    weak(Base::Low)
                };
                let near = self.near(s, e);
                let conf = grade(base, &near, class::NHS, class::REF, true);
                if let Some(conf) = conf {
                    self.emit(NHS_NUMBER, conf, s, e, (2, 2));
                    return true;
                }
            } else if lens == [10] && upn::uln_valid(digits) {
                // ULNs are rarer than NHS numbers in school mail and written
                // next to their name: a bare one is only one number in eleven.
                let near = self.near(s, e);
                if let Some(conf) = grade(Base::Keyword, &near, class::ULN, class::REF, true) {
                    self.emit(UK_ULN, conf, s, e, (2, 2));
                    return true;
                }
            }
        }
        // Payment card.
        if (13..=19).contains(&nd) && spaced && card::grouping_ok(lens) && card::is_valid(digits) {
            let base = weak(if lens.len() > 1 {
                Base::Medium
            } else {
                Base::Low
            });
            let near = self.near(s, e);
            if let Some(conf) = grade(base, &near, class::CARD, class::REF, true) {
                self.emit(PAYMENT_CARD, conf, s, e, (4, 4));
                return true;
            }
        }
        // Passport.
        if lens == [9] && passport::is_shape(digits) {
            let near = self.near(s, e);
            if let Some(conf) = grade(Base::Keyword, &near, class::PASSPORT, class::REF, true) {
                self.emit(UK_PASSPORT, conf, s, e, (1, 2));
                return true;
            }
        }
        false
    }

    /// A sort code at `s..e`: reported with the nearest account number, and
    /// only with a banking keyword (for `20 00 00` or `200000`, the words
    /// "sort code" themselves).
    fn bank(&mut self, s: usize, e: usize, dashed: bool) -> bool {
        let near = self.near(s, e);
        let own = if dashed {
            class::BANK
        } else {
            class::SORT_CODE
        };
        let Some(conf) = grade(Base::Keyword, &near, own, class::REF, true) else {
            return false;
        };
        let from = s.saturating_sub(bank::ACCOUNT_WINDOW);
        let to = e.saturating_add(bank::ACCOUNT_WINDOW);
        let Some((a, b)) = bank::find_account(self.text, from, to, s) else {
            return false;
        };
        let (Some(sc), Some(acc)) = (self.src.get(s..e), self.src.get(a..b)) else {
            return false;
        };
        let shown = if a < s {
            format!("{acc} {sc}")
        } else {
            format!("{sc} {acc}")
        };
        let conf = paid_to(&near, self.text, (s.min(a), e.max(b)), conf);
        self.sink
            .emit(UK_BANK_ACCOUNT, conf, || mask_keep(&shown, 2, 2));
        true
    }
}

/// The value of 1 to 9 ASCII digits (`None` for anything else): the one
/// digits-to-number helper of the validators (issuer ranges, NHS ranges, dates).
fn digits_value(d: &[u8]) -> Option<u32> {
    if d.is_empty() || d.len() > 9 || !d.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(d.iter().fold(0, |acc, c| acc * 10 + u32::from(c - b'0')))
}

/// If a month name ends right before `s` ("February 4", "Feb. 4"), where it
/// starts: the candidate may be the day and year of a month-first date.
fn month_before(text: &[u8], s: usize) -> Option<usize> {
    let mut k = s.checked_sub(1)?;
    if text.get(k) != Some(&b' ') {
        return None;
    }
    if k > 0 && text.get(k - 1) == Some(&b'.') {
        k -= 1;
    }
    let end = k;
    while k > 0 && end - k < 10 && text.get(k - 1).is_some_and(u8::is_ascii_alphabetic) {
        k -= 1;
    }
    let starts_word = k == 0 || text.get(k - 1).is_none_or(|b| !b.is_ascii_alphanumeric());
    if end - k < 3 || !starts_word {
        return None;
    }
    dob::month_number(text.get(k..end)?)?;
    Some(k)
}

/// The end (in bytes) of a valid IBAN at the start of `v`, which may run on
/// into a following capitalised word or number group.
fn iban_end(v: &[u8]) -> Option<usize> {
    let want = iban::country_length(v.get(..2)?)?;
    let mut compact = [0u8; 34];
    let mut n = 0;
    for (i, &b) in v.iter().enumerate() {
        if b == b' ' {
            continue;
        }
        *compact.get_mut(n)? = b;
        n += 1;
        if n == want {
            let end = i + 1;
            let at_boundary = v.get(end).is_none_or(|&c| c == b' ');
            return (at_boundary && iban::is_valid(compact.get(..n)?)).then_some(end);
        }
    }
    None
}

/// The current year (UTC), for the date-of-birth plausibility check.
fn current_year() -> u16 {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    // Civil-from-days (H. Hinnant), enough for a year.
    let days = i64::try_from(secs / 86_400).unwrap_or(0) + 719_468;
    let era = days.div_euclid(146_097);
    let doe = days.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    u16::try_from(year).unwrap_or(u16::MAX)
}

#[cfg(test)]
mod tests;
