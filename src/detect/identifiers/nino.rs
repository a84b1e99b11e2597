//! National Insurance number (NINO): two prefix letters, six digits and a
//! suffix letter A–D, written `JT 48 22 91 B`, `JT482291B` or `JT 482291 B`.
//!
//! There is no checksum, so the prefix rules are the validation: HMRC never
//! uses D, F, I, Q, U or V as either prefix letter nor O as the second, and
//! never allocated the prefixes BG, GB, KN, NK, NT, TN and ZZ (GB and ZZ are
//! used for specimens and temporary numbers). A Temporary Reference Number
//! (`11 A1 11 11`) starts with digits and is not a NINO.

/// Prefixes HMRC has never allocated to a person.
const UNALLOCATED_PREFIXES: [&[u8; 2]; 7] = [b"BG", b"GB", b"KN", b"NK", b"NT", b"TN", b"ZZ"];

/// Checks a NINO given with any spaces or dashes removed (9 ASCII
/// characters, any case). True when the prefix and suffix rules hold.
pub fn is_valid(compact: &[u8]) -> bool {
    let [a, b, d1, d2, d3, d4, d5, d6, s] = compact else {
        return false;
    };
    let (a, b, s) = (
        a.to_ascii_uppercase(),
        b.to_ascii_uppercase(),
        s.to_ascii_uppercase(),
    );
    let never = |c: u8| matches!(c, b'D' | b'F' | b'I' | b'Q' | b'U' | b'V');
    a.is_ascii_uppercase()
        && b.is_ascii_uppercase()
        && !never(a)
        && !never(b)
        && b != b'O'
        && !UNALLOCATED_PREFIXES.contains(&&[a, b])
        && [d1, d2, d3, d4, d5, d6].iter().all(|d| d.is_ascii_digit())
        && matches!(s, b'A'..=b'D')
}

/// True when 9 compact characters are shaped like a NINO (letters, six
/// digits, letter), before any validity rule.
pub fn is_shape(c: &[u8; 9]) -> bool {
    c[..2].iter().all(u8::is_ascii_alphabetic)
        && c[2..8].iter().all(u8::is_ascii_digit)
        && c[8].is_ascii_alphabetic()
}

/// Removes the separators a NINO may be written with, into a fixed buffer
/// (no allocation); `None` if the text is not 9 letters/digits long.
pub fn compact(value: &[u8]) -> Option<[u8; 9]> {
    let mut out = [0u8; 9];
    let mut n = 0;
    for &c in value {
        // Spaces, dashes and the two bytes of a no-break space (U+00A0).
        if matches!(c, b' ' | b'-' | 0xC2 | 0xA0) {
            continue;
        }
        *out.get_mut(n)? = c;
        n += 1;
    }
    (n == 9).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(v: &str) -> bool {
        compact(v.as_bytes()).is_some_and(|c| is_valid(&c))
    }

    #[test]
    fn valid_numbers_in_every_spacing() {
        assert!(ok("JT 48 22 91 B"));
        assert!(ok("JT482291B"));
        assert!(ok("JT 482291 B"));
        assert!(ok("jt482291b"));
        assert!(ok("AB-12-34-56-C"));
        assert!(ok("OA 12 34 56 D"));
    }

    #[test]
    fn invalid_prefix_letters() {
        assert!(!ok("QQ123456Z"));
        assert!(!ok("QQ123456A"));
        assert!(!ok("DA123456A"));
        assert!(!ok("AF123456A"));
        assert!(!ok("AO123456A"));
        assert!(!ok("AV123456A"));
        assert!(!ok("IA123456A"));
    }

    #[test]
    fn unallocated_prefixes() {
        for p in ["BG", "GB", "KN", "NK", "NT", "TN", "ZZ"] {
            assert!(!ok(&format!("{p}123456A")), "{p}");
        }
    }

    #[test]
    fn near_misses() {
        // Suffix outside A–D, wrong lengths, a TRN.
        assert!(!ok("JT482291E"));
        assert!(!ok("JT48229B"));
        assert!(!ok("JT4822910B"));
        assert!(!ok("11 A1 11 11"));
        assert!(!ok("J1482291B"));
    }
}
