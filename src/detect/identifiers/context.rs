//! Context words and proximity. A checksum says a number *could* be an
//! identifier; the words around it say whether it *is* one (Purview's
//! keyword lists within a proximity window, Presidio's context boost).
//!
//! Keywords are grouped in classes (bit flags): each identifier type has its
//! own class, plus classes that argue *against* an identifier (phone
//! numbers, order/invoice/reference numbers, non-birth dates). One
//! Aho-Corasick automaton holds them all and runs only over a small window
//! around a candidate, never over the whole text. In a table, the cell's
//! column header is the context instead.

use crate::detect::TextKind;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, Input, MatchKind};

/// Keyword classes, as bit flags so one keyword can serve several types.
pub mod class {
    pub const NINO: u16 = 1 << 0;
    pub const NHS: u16 = 1 << 1;
    pub const UPN: u16 = 1 << 2;
    pub const ULN: u16 = 1 << 3;
    pub const CARD: u16 = 1 << 4;
    pub const IBAN: u16 = 1 << 5;
    pub const BANK: u16 = 1 << 6;
    pub const PASSPORT: u16 = 1 << 7;
    pub const DOB: u16 = 1 << 8;
    /// A phone number: never an identifier.
    pub const PHONE: u16 = 1 << 9;
    /// Order, invoice, reference, tracking, ISBN… numbers.
    pub const REF: u16 = 1 << 10;
    /// Dates that are not birth dates (start, meeting, deadline…).
    pub const NOT_DOB: u16 = 1 << 11;
    /// Instructions to pay the school ("payable to", "BACS"): the bank
    /// details next to them are the school's own, published to parents.
    pub const PAY_TO: u16 = 1 << 12;
    /// The words "sort code" themselves (six spaced or plain digits are too
    /// common to be a sort code on a mere "bank" or "account").
    pub const SORT_CODE: u16 = 1 << 13;
    pub const COUNT: usize = 14;
}

use class::*;

/// Bytes before a candidate searched for keywords.
pub const BEFORE: usize = 100;
/// Bytes after a candidate searched for keywords ("4010232137 (NHS)").
pub const AFTER: usize = 40;
/// In a table, how far back (bytes) the start of a cell's header is looked for.
pub const MAX_CELL: usize = 256;

/// The keyword lists (lower case; matched ASCII case-insensitively, on word
/// boundaries except in table headers).
const KEYWORDS: &[(&str, u16)] = &[
    // National Insurance
    ("national insurance", NINO),
    ("national insurance number", NINO),
    ("national insurance no", NINO),
    ("nat ins", NINO),
    ("ni", NINO),
    ("n.i.", NINO),
    ("n.i", NINO),
    ("ni no", NINO),
    ("ni number", NINO),
    ("ni num", NINO),
    ("nino", NINO),
    ("insurance number", NINO),
    // NHS (Purview's list includes date of birth)
    ("nhs", NHS),
    ("nhs no", NHS),
    ("nhs number", NHS),
    ("national health service", NHS),
    ("patient", NHS),
    ("patient id", NHS),
    ("patient number", NHS),
    ("patient no", NHS),
    ("gp", NHS),
    ("chi", NHS),
    ("chi number", NHS),
    ("h&c", NHS),
    ("health and care number", NHS),
    ("hospital number", NHS),
    ("hospital no", NHS),
    ("medical", NHS),
    // Pupils and learners
    ("upn", UPN),
    ("upns", UPN),
    ("unique pupil number", UPN),
    ("pupil number", UPN),
    ("pupil no", UPN),
    ("uln", ULN),
    ("ulns", ULN),
    ("unique learner number", ULN),
    ("learner number", ULN),
    ("learner no", ULN),
    ("lrs", ULN),
    // Cards
    ("card", CARD),
    ("cards", CARD),
    ("card number", CARD),
    ("card no", CARD),
    ("credit card", CARD),
    ("debit card", CARD),
    ("payment card", CARD),
    ("visa", CARD),
    ("mastercard", CARD),
    ("master card", CARD),
    ("amex", CARD),
    ("american express", CARD),
    ("maestro", CARD),
    ("cvv", CARD),
    ("cvc", CARD),
    ("cv2", CARD),
    ("long number", CARD),
    ("pan", CARD),
    ("expiry", CARD | NOT_DOB),
    ("exp", CARD),
    // Bank
    ("iban", IBAN),
    ("bic", IBAN),
    ("swift", IBAN),
    ("sort code", BANK | SORT_CODE),
    ("sortcode", BANK | SORT_CODE),
    ("sort-code", BANK | SORT_CODE),
    ("sort", BANK | SORT_CODE),
    ("s/c", BANK | SORT_CODE),
    ("bank", BANK | IBAN),
    ("bank details", BANK | IBAN),
    ("bank account", BANK | IBAN),
    ("account", BANK | IBAN),
    ("account number", BANK | IBAN),
    ("account no", BANK | IBAN),
    ("acc no", BANK | IBAN),
    ("acct", BANK | IBAN),
    ("a/c", BANK | IBAN),
    ("payee", BANK | IBAN),
    // Payment instructions (the school's own account)
    ("payable to", PAY_TO),
    ("pay to", PAY_TO),
    ("pay by", PAY_TO),
    ("payment to", PAY_TO),
    ("payments to", PAY_TO),
    ("bacs", PAY_TO),
    ("bank transfer", PAY_TO),
    ("our bank", PAY_TO),
    ("our account", PAY_TO),
    ("our sort code", PAY_TO),
    ("school fund", PAY_TO),
    ("school account", PAY_TO),
    ("remittance", PAY_TO),
    // Passport
    ("passport", PASSPORT),
    ("passport number", PASSPORT),
    ("passport no", PASSPORT),
    ("travel document", PASSPORT),
    // Date of birth
    ("dob", DOB | NHS),
    ("d.o.b", DOB | NHS),
    ("d.o.b.", DOB | NHS),
    ("date of birth", DOB | NHS),
    ("date_of_birth", DOB | NHS),
    ("dateofbirth", DOB | NHS),
    ("birth date", DOB),
    ("birth_date", DOB),
    ("birthdate", DOB),
    ("birth", DOB),
    ("born", DOB),
    // Phone numbers
    ("tel", PHONE),
    ("tel.", PHONE),
    ("tel no", PHONE),
    ("telephone", PHONE),
    ("phone", PHONE),
    ("phone number", PHONE),
    ("ph", PHONE),
    ("mobile", PHONE),
    ("mob", PHONE),
    ("mob.", PHONE),
    ("cell", PHONE),
    ("fax", PHONE),
    ("call", PHONE),
    ("ring", PHONE),
    ("text", PHONE),
    ("sms", PHONE),
    ("whatsapp", PHONE),
    ("landline", PHONE),
    ("switchboard", PHONE),
    ("ext", PHONE),
    ("extension", PHONE),
    ("contact number", PHONE),
    ("t:", PHONE),
    ("m:", PHONE),
    ("f:", PHONE),
    ("p:", PHONE),
    ("dial", PHONE),
    // Reference-like numbers
    ("order", REF),
    ("order no", REF),
    ("order number", REF),
    ("po", REF),
    ("p.o.", REF),
    ("purchase order", REF),
    ("invoice", REF),
    ("inv", REF),
    ("ref", REF),
    ("reference", REF),
    ("tracking", REF),
    ("parcel", REF),
    ("consignment", REF),
    ("isbn", REF),
    ("issn", REF),
    ("ticket", REF),
    ("case", REF),
    ("booking", REF),
    ("receipt", REF),
    ("transaction", REF),
    ("serial", REF),
    // Product and part codes (a model number can have a NINO's shape: ST340810A)
    ("model", REF),
    ("model no", REF),
    ("model number", REF),
    ("part no", REF),
    ("part number", REF),
    ("part code", REF),
    ("product code", REF),
    ("item code", REF),
    ("sku", REF),
    ("mpn", REF),
    ("cat no", REF),
    ("catalogue number", REF),
    ("customer number", REF),
    ("customer no", REF),
    ("membership", REF),
    ("licence", REF),
    ("license", REF),
    ("policy number", REF),
    ("quote", REF),
    ("urn", REF),
    ("laestab", REF),
    ("dfe", REF),
    ("version", REF),
    ("build", REF),
    ("£", REF),
    ("$", REF),
    ("€", REF),
    // Dates that are not birth dates
    ("start date", NOT_DOB),
    ("start", NOT_DOB),
    ("started", NOT_DOB),
    ("starting", NOT_DOB),
    ("starts", NOT_DOB),
    ("joined", NOT_DOB),
    ("joining", NOT_DOB),
    ("admission", NOT_DOB),
    ("admitted", NOT_DOB),
    ("leaving", NOT_DOB),
    ("left", NOT_DOB),
    ("meeting", NOT_DOB),
    ("deadline", NOT_DOB),
    ("due", NOT_DOB),
    ("dated", NOT_DOB),
    ("expires", NOT_DOB),
    ("issued", NOT_DOB),
    ("issue date", NOT_DOB),
    ("appointment", NOT_DOB),
    ("today", NOT_DOB),
    ("sent", NOT_DOB),
    ("wrote", NOT_DOB),
    ("term", NOT_DOB),
    ("holiday", NOT_DOB),
    ("by", NOT_DOB),
    ("before", NOT_DOB),
    ("until", NOT_DOB),
    ("till", NOT_DOB),
    ("after", NOT_DOB),
    ("next", NOT_DOB),
    ("week", NOT_DOB),
    ("week commencing", NOT_DOB),
    ("w/c", NOT_DOB),
    // Weekdays: events are written "Friday 14/03/2025", births are not.
    ("monday", NOT_DOB),
    ("mon", NOT_DOB),
    ("tuesday", NOT_DOB),
    ("tue", NOT_DOB),
    ("tues", NOT_DOB),
    ("wednesday", NOT_DOB),
    ("wed", NOT_DOB),
    ("thursday", NOT_DOB),
    ("thu", NOT_DOB),
    ("thur", NOT_DOB),
    ("thurs", NOT_DOB),
    ("friday", NOT_DOB),
    ("fri", NOT_DOB),
    ("saturday", NOT_DOB),
    ("sat", NOT_DOB),
    ("sunday", NOT_DOB),
    ("sun", NOT_DOB),
];

/// Distance in bytes from a candidate to the nearest keyword of each class,
/// before and after it (`u32::MAX`: none in the window).
#[derive(Debug, Clone, Copy)]
pub struct Near {
    before: Side,
    after: Side,
    /// The context came from the cell's column header in a table.
    pub from_header: bool,
}

/// Nearest distance per class on one side of a candidate.
#[derive(Debug, Clone, Copy)]
struct Side {
    dist: [u32; COUNT],
    /// Classes seen at all (most candidates see none: a quick answer).
    present: u16,
}

impl Side {
    const EMPTY: Side = Side {
        dist: [u32::MAX; COUNT],
        present: 0,
    };

    fn record(&mut self, classes: u16, d: u32) {
        self.present |= classes;
        for (i, slot) in self.dist.iter_mut().enumerate() {
            if classes & (1 << i) != 0 && d < *slot {
                *slot = d;
            }
        }
    }

    fn min(&self, classes: u16) -> Option<u32> {
        if self.present & classes == 0 {
            return None;
        }
        self.dist
            .iter()
            .enumerate()
            .filter(|(i, _)| classes & (1 << i) != 0)
            .map(|(_, &d)| d)
            .min()
    }
}

impl Near {
    fn empty() -> Self {
        Near {
            before: Side::EMPTY,
            after: Side::EMPTY,
            from_header: false,
        }
    }

    /// Nearest keyword of `classes` before the candidate.
    pub fn before(&self, classes: u16) -> Option<u32> {
        self.before.min(classes)
    }

    /// Nearest keyword of `classes` after the candidate.
    pub fn after(&self, classes: u16) -> Option<u32> {
        self.after.min(classes)
    }

    /// Nearest keyword of `classes` on either side.
    pub fn either(&self, classes: u16) -> Option<u32> {
        match (self.before.min(classes), self.after.min(classes)) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// The compiled keyword automaton.
pub struct Keywords {
    ac: AhoCorasick,
    classes: Vec<u16>,
    /// Whether each keyword ends in a letter or digit (then a word boundary must follow).
    ends_alnum: Vec<bool>,
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}

impl Keywords {
    /// Builds the automaton (once per engine). The keyword list is a
    /// constant, so the build cannot fail at run time; the unit tests build it.
    pub fn new() -> Self {
        let patterns: Vec<&str> = KEYWORDS.iter().map(|(k, _)| *k).collect();
        let ac = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostLongest)
            // Windows are ~150 bytes: a plain DFA walk beats setting up a
            // SIMD prefilter for each one (measured).
            .kind(Some(AhoCorasickKind::DFA))
            .prefilter(false)
            .build(&patterns)
            .expect("static keyword list builds");
        Keywords {
            ac,
            classes: KEYWORDS.iter().map(|(_, c)| *c).collect(),
            ends_alnum: KEYWORDS
                .iter()
                .map(|(k, _)| k.bytes().last().is_some_and(is_word))
                .collect(),
        }
    }

    /// The classes named anywhere in `s` (no word boundaries: table headers
    /// are short and often written `nhs_no`, `PupilUPN`, `DateOfBirth`).
    pub fn classes_in(&self, s: &[u8]) -> u16 {
        self.ac.find_iter(s).fold(0, |acc, m| {
            acc | self
                .classes
                .get(m.pattern().as_usize())
                .copied()
                .unwrap_or(0)
        })
    }

    /// The context of the candidate at `span` in `text`. `headers` caches
    /// the classes of table headers, which repeat on every row.
    pub fn near(
        &self,
        text: &[u8],
        span: (usize, usize),
        kind: TextKind,
        headers: &mut HeaderCache,
    ) -> Near {
        let (start, end) = span;
        let mut lo = start.saturating_sub(BEFORE);
        let mut hi = end.saturating_add(AFTER).min(text.len());
        let mut near = Near::empty();
        if kind == TextKind::Table {
            // Context stays within the row, and within the cell when the
            // table has headers; the cell's header counts as right next to it.
            // Searches are bounded so a table with one enormous line stays
            // linear: a cell header further back than this is not read.
            let from = start.saturating_sub(MAX_CELL);
            let line_start = text
                .get(from..start)
                .and_then(|b| memchr::memrchr(b'\n', b))
                .map_or(from, |p| from + p + 1);
            let line_end = text
                .get(end..hi)
                .and_then(|b| memchr::memchr(b'\n', b))
                .map_or(hi, |p| end + p);
            lo = lo.max(line_start);
            hi = hi.min(line_end);
            if let Some((header, value_start)) = cell_header(text, line_start, start) {
                near.from_header = true;
                let classes = headers.classes(header, |h| self.classes_in(h));
                near.before.record(classes, 0);
                let cell_end = text
                    .get(end..hi)
                    .and_then(|b| memchr::memmem::find(b, b" | "))
                    .map_or(hi, |p| end + p);
                lo = lo.max(value_start);
                hi = hi.min(cell_end);
            }
        }
        // Nothing around the candidate to read (a table cell holding just
        // the value): skip the automaton.
        if lo > hi || hi > text.len() || (lo >= start && hi <= end) {
            return near;
        }
        for m in self.ac.find_iter(Input::new(text).range(lo..hi)) {
            let (s, e) = (m.start(), m.end());
            let idx = m.pattern().as_usize();
            let left_ok = s == 0 || text.get(s - 1).is_none_or(|&b| !is_word(b));
            let right_ok = !self.ends_alnum.get(idx).copied().unwrap_or(true)
                || text.get(e).is_none_or(|&b| !is_word(b));
            if !left_ok || !right_ok {
                continue;
            }
            let classes = self.classes.get(idx).copied().unwrap_or(0);
            if e <= start {
                near.before.record(classes, dist(start - e));
            } else if s >= end {
                near.after.record(classes, dist(s - end));
            }
        }
        near
    }
}

impl Default for Keywords {
    fn default() -> Self {
        Self::new()
    }
}

/// The keyword classes of the table headers seen in one unit: a table's
/// few column headers repeat on every row, so each is classified once.
#[derive(Debug, Default)]
pub struct HeaderCache {
    entries: Vec<(Box<[u8]>, u16)>,
}

impl HeaderCache {
    /// Headers remembered per unit; a wider table still works, uncached.
    const MAX: usize = 64;

    fn classes(&mut self, header: &[u8], classify: impl FnOnce(&[u8]) -> u16) -> u16 {
        if let Some((_, c)) = self.entries.iter().find(|(h, _)| **h == *header) {
            return *c;
        }
        let c = classify(header);
        if self.entries.len() < Self::MAX {
            self.entries.push((header.into(), c));
        }
        c
    }
}

fn dist(d: usize) -> u32 {
    u32::try_from(d).unwrap_or(u32::MAX - 1)
}

/// How far (bytes) before bank details a payment instruction or an
/// organisation as account holder is looked for: a letter to parents puts
/// "pay by bank transfer" a paragraph above the "Account name:" block.
pub const ORG_BEFORE: usize = 300;
/// How far after them ("(For payments from abroad: IBAN ...)" trails).
pub const ORG_AFTER: usize = 150;

/// Phrases that make bank details the ones to pay: the organisation's own
/// or a supplier's, published to be paid into.
const PAYING: &[&str] = &[
    "payable to",
    "pay to",
    "pay by",
    "payment to",
    "payments to",
    "payments from abroad",
    "paying from abroad",
    "bacs",
    "bank transfer",
    "our bank",
    "our account",
    "our sort code",
    "school fund",
    "school account",
    "remittance",
    "company no",
    "company number",
    "company reg",
    "vat no",
    "vat number",
    "vat reg",
];

/// Labels naming an account's holder ("Account name: ...", "Payee: ...",
/// "Bank: Tutors Ltd, ...").
const HOLDER_LABELS: &[&str] = &[
    "account name",
    "account holder",
    "name on account",
    "payee",
    "beneficiary",
    "bank",
    "pay to",
];

/// Words that make an account holder an organisation, not a person.
const ORG_WORDS: &[&str] = &[
    "academy",
    "school",
    "schools",
    "trust",
    "pta",
    "ptfa",
    "fund",
    "ltd",
    "limited",
    "plc",
    "llp",
    "cic",
    "council",
    "college",
    "association",
    "club",
    "church",
    "foundation",
    "federation",
    "diocese",
    "nursery",
    "services",
    "friends",
];

/// Are the bank details at `start..end` an organisation's own, to be paid
/// into? A payment instruction within [`ORG_BEFORE`]/[`ORG_AFTER`] bytes, or
/// an account holder named as an organisation ("Account name: St Aidan's CE
/// Academy Trip Account", "Bank: Tutors Ltd"). Reads only that window, and
/// only for details that would otherwise be held.
pub fn organisational(text: &[u8], start: usize, end: usize) -> bool {
    let lo = start.saturating_sub(ORG_BEFORE);
    let hi = end.saturating_add(ORG_AFTER).min(text.len());
    let Some(window) = text.get(lo..hi) else {
        return false;
    };
    let w = window.to_ascii_lowercase();
    let at_word = |i: usize, len: usize| {
        (i == 0 || !is_word(w[i - 1])) && w.get(i + len).is_none_or(|&b| !is_word(b))
    };
    let found = |p: &str| memchr::memmem::find_iter(&w, p.as_bytes()).any(|i| at_word(i, p.len()));
    if PAYING.iter().any(|p| found(p)) {
        return true;
    }
    HOLDER_LABELS.iter().any(|label| {
        memchr::memmem::find_iter(&w, label.as_bytes()).any(|i| {
            if !at_word(i, label.len()) {
                return false;
            }
            let rest = &w[i + label.len()..];
            let rest = rest.strip_prefix(b" ").unwrap_or(rest);
            let Some(value) = rest.strip_prefix(b":") else {
                return false;
            };
            // The holder: up to the end of the line or the next comma.
            let stop = value
                .iter()
                .position(|&b| matches!(b, b'\n' | b'\r' | b','))
                .unwrap_or(value.len())
                .min(80);
            value[..stop]
                .split(|&b| !is_word(b))
                .any(|word| ORG_WORDS.iter().any(|o| o.as_bytes() == word))
        })
    })
}

/// In a table line (`header: value | header: value`), the column header of
/// the cell holding the byte at `pos`, and where the cell's value starts.
pub fn cell_header(text: &[u8], line_start: usize, pos: usize) -> Option<(&[u8], usize)> {
    let before = text.get(line_start..pos)?;
    let cell_start = memchr::memmem::rfind(before, b" | ").map_or(0, |p| p + 3);
    let cell = before.get(cell_start..)?;
    let colon = memchr::memmem::find(cell, b": ")?;
    Some((cell.get(..colon)?, line_start + cell_start + colon + 2))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn near(t: &str, needle: &str, kind: TextKind) -> Near {
        let s = t.find(needle).unwrap();
        let mut headers = HeaderCache::default();
        Keywords::new().near(t.as_bytes(), (s, s + needle.len()), kind, &mut headers)
    }

    #[test]
    fn nearest_keyword_distances() {
        let n = near("NHS number: 401 023 2137", "401", TextKind::Body);
        assert_eq!(n.before(NHS), Some(2));
        assert_eq!(n.before(PHONE), None);
        let n = near("Tel: 01632 960001", "01632", TextKind::Body);
        assert_eq!(n.before(PHONE), Some(2));
        let n = near("4010232137 (NHS)", "4010232137", TextKind::Body);
        assert_eq!(n.before(NHS), None);
        assert_eq!(n.either(NHS), Some(2));
    }

    #[test]
    fn word_boundaries() {
        // "ni" inside "uniform", "tel" inside "hotel", "pan" inside "company".
        let n = near("uniform hotel company 12345678", "1234", TextKind::Body);
        assert_eq!(n.before(NINO | PHONE | CARD), None);
        let n = near("NI: JT482291B", "JT", TextKind::Body);
        assert_eq!(n.before(NINO), Some(2));
    }

    #[test]
    fn table_cells_use_their_header() {
        let t = "name: Amira Khan | dob: 04/02/2016 | upn: P801200216001";
        let n = near(t, "04/02", TextKind::Table);
        assert!(n.from_header);
        assert_eq!(n.before(DOB), Some(0));
        let n = near(t, "P8012", TextKind::Table);
        assert_eq!(n.before(UPN), Some(0));
        assert_eq!(n.before(DOB), None);
        let n = near("nhs_no: 4010232137", "4010", TextKind::Table);
        assert_eq!(n.before(NHS), Some(0));
        // Words in the cell count too, words in other cells do not.
        let n = near("notes: tel 4010232137 | nhs: 1", "4010", TextKind::Table);
        assert_eq!(n.before(PHONE), Some(1));
        assert_eq!(n.either(NHS), None);
    }

    #[test]
    fn one_enormous_table_line_stays_linear() {
        let mut t = String::new();
        for _ in 0..20_000 {
            t.push_str("upn: P801200216001 | ");
        }
        let kw = Keywords::new();
        let mut headers = HeaderCache::default();
        let started = std::time::Instant::now();
        let mut n = 0;
        for (s, _) in t.match_indices("P801") {
            n += usize::from(
                kw.near(t.as_bytes(), (s, s + 13), TextKind::Table, &mut headers)
                    .from_header,
            );
        }
        assert_eq!(n, 20_000);
        assert!(started.elapsed().as_secs() < 5);
    }

    #[test]
    fn headerless_rows_do_not_see_other_rows() {
        let t = "DOB | NHS\nAmira | 4010232137";
        let n = near(t, "4010", TextKind::Table);
        assert!(!n.from_header);
        assert_eq!(n.before(NHS), None);
    }
}
