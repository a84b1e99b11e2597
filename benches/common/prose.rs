//! Deterministic pseudo-prose of school mail, shared by the scan bench and
//! the breakdown example so both measure the same text.

const WORDS: &[&str] = &[
    "the",
    "class",
    "will",
    "be",
    "going",
    "to",
    "museum",
    "on",
    "Friday",
    "please",
    "remember",
    "packed",
    "lunch",
    "and",
    "coat",
    "parents",
    "evening",
    "is",
    "booked",
    "for",
    "next",
    "week",
    "reading",
    "books",
    "homework",
    "spelling",
    "test",
    "Year",
    "4",
    "assembly",
    "trip",
    "letter",
    "consent",
    "form",
    "office",
    "thank",
    "you",
    "for",
    "your",
    "support",
    "with",
    "this",
    "term's",
    "topic",
    "Mrs",
    "Green",
    "Mr",
    "Shah",
    "our",
    "school",
    "values",
    "kindness",
    "respect",
    "after-school",
    "club",
    "football",
    "netball",
    "choir",
    "rehearsal",
    "uniform",
    "PE",
    "kit",
    "library",
];

/// Deterministic pseudo-prose of about `len` bytes, with the numbers school
/// mail really carries (dates, phone numbers, order references) sprinkled in.
pub fn prose(len: usize, seed: u64) -> String {
    let mut s = String::with_capacity(len + 100);
    let mut x = seed | 1;
    let mut n = 0u32;
    while s.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        s.push_str(WORDS[(x % WORDS.len() as u64) as usize]);
        n += 1;
        match n % 97 {
            13 => s.push_str(" on 14/10/2025"),
            41 => s.push_str(", call 01632 960 001"),
            67 => s.push_str(" (order 4010232138)"),
            _ => {}
        }
        s.push(if n.is_multiple_of(14) { '.' } else { ' ' });
        if n.is_multiple_of(60) {
            s.push_str("\r\n\r\n");
        } else if n.is_multiple_of(12) {
            s.push_str("\r\n");
        }
    }
    s
}
