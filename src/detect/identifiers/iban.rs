//! IBAN: country code, two check digits and the domestic account (for the
//! UK: `GB82 WEST 1234 5698 7654 32`, 22 characters). Validated by the ISO
//! 13616 mod-97 check and the country's fixed length, so a random
//! IBAN-shaped string passes about once in a hundred times at most.

/// IBAN lengths of the countries whose IBANs a UK school is likely to see
/// (SEPA countries and a few others). Other country codes are not matched.
const LENGTHS: &[(&[u8; 2], usize)] = &[
    (b"AD", 24),
    (b"AT", 20),
    (b"BE", 16),
    (b"BG", 22),
    (b"CH", 21),
    (b"CY", 28),
    (b"CZ", 24),
    (b"DE", 22),
    (b"DK", 18),
    (b"EE", 20),
    (b"ES", 24),
    (b"FI", 18),
    (b"FR", 27),
    (b"GB", 22),
    (b"GG", 22),
    (b"GI", 23),
    (b"GR", 27),
    (b"HR", 21),
    (b"HU", 28),
    (b"IE", 22),
    (b"IM", 22),
    (b"IS", 26),
    (b"IT", 27),
    (b"JE", 22),
    (b"LI", 21),
    (b"LT", 20),
    (b"LU", 20),
    (b"LV", 21),
    (b"MC", 27),
    (b"MT", 31),
    (b"NL", 18),
    (b"NO", 15),
    (b"PL", 28),
    (b"PT", 25),
    (b"RO", 24),
    (b"SE", 24),
    (b"SI", 19),
    (b"SK", 24),
    (b"SM", 27),
    (b"TR", 26),
    (b"UA", 29),
];

/// The IBAN length for a country code, if it is one we know.
pub fn country_length(cc: &[u8]) -> Option<usize> {
    LENGTHS.iter().find(|(c, _)| c[..] == *cc).map(|&(_, n)| n)
}

/// The ISO 13616 check: first four characters moved to the end, letters
/// A=10…Z=35, the whole number mod 97 must be 1. `compact` is upper-case
/// letters and digits only.
pub fn mod97_ok(compact: &[u8]) -> bool {
    if compact.len() < 5 {
        return false;
    }
    let (head, tail) = compact.split_at(4);
    let mut rem = 0u32;
    for &c in tail.iter().chain(head) {
        rem = match c {
            b'0'..=b'9' => (rem * 10 + u32::from(c - b'0')) % 97,
            b'A'..=b'Z' => (rem * 100 + u32::from(c - b'A') + 10) % 97,
            _ => return false,
        };
    }
    rem == 1
}

/// A valid IBAN: known country, its length, digits in the check positions, mod 97.
pub fn is_valid(compact: &[u8]) -> bool {
    let Some(cc) = compact.get(..2) else {
        return false;
    };
    country_length(cc) == Some(compact.len())
        && compact
            .get(2..4)
            .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
        && mod97_ok(compact)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> bool {
        let c: Vec<u8> = s.bytes().filter(|b| *b != b' ').collect();
        is_valid(&c)
    }

    #[test]
    fn valid_ibans() {
        assert!(ok("GB82 WEST 1234 5698 7654 32"));
        assert!(ok("GB82WEST12345698765432"));
        assert!(ok("DE89 3704 0044 0532 0130 00"));
        assert!(ok("FR14 2004 1010 0505 0001 3M02 606"));
        assert!(ok("IE29 AIBK 9311 5212 3456 78"));
    }

    #[test]
    fn bad_check_digits_and_lengths() {
        assert!(!ok("GB81 WEST 1234 5698 7654 32"));
        assert!(!ok("GB82 WEST 1234 5698 7654 33"));
        assert!(!ok("GB82 WEST 1234 5698 7654 3"));
        assert!(!ok("GB82 WEST 1234 5698 7654 321"));
        assert!(!ok("XX82 WEST 1234 5698 7654 32"));
        assert!(!ok("GB"));
    }
}
