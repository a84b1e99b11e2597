//! Payment card numbers (PAN): 13–19 digits passing the Luhn check, in a
//! range a card scheme issues from, written plain or in the groupings card
//! schemes print (4-4-4-4, 4-4-4-4-3, Amex 4-6-5, Diners 4-6-4).
//!
//! One random number in ten passes Luhn, so the issuer range and the
//! grouping are what make a card number distinctive.

/// The Luhn (mod 10) check over ASCII digits.
pub fn luhn_ok(digits: &[u8]) -> bool {
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            let v = u32::from(d - b'0');
            if i % 2 == 1 {
                let dbl = v * 2;
                if dbl > 9 {
                    dbl - 9
                } else {
                    dbl
                }
            } else {
                v
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// The leading `n` digits as a number (0 if there are fewer).
fn prefix(digits: &[u8], n: usize) -> u32 {
    digits.get(..n).and_then(super::digits_value).unwrap_or(0)
}

/// The card scheme whose issuer range (and length) the number fits, if any.
pub fn issuer(digits: &[u8]) -> Option<&'static str> {
    let len = digits.len();
    let (p1, p2, p3, p4) = (
        prefix(digits, 1),
        prefix(digits, 2),
        prefix(digits, 3),
        prefix(digits, 4),
    );
    if p1 == 4 && matches!(len, 13 | 16 | 19) {
        return Some("Visa");
    }
    if ((51..=55).contains(&p2) || (2221..=2720).contains(&p4)) && len == 16 {
        return Some("Mastercard");
    }
    if (p2 == 34 || p2 == 37) && len == 15 {
        return Some("American Express");
    }
    if (p4 == 6011 || (644..=649).contains(&p3) || p2 == 65) && (16..=19).contains(&len) {
        return Some("Discover");
    }
    if (3528..=3589).contains(&p4) && (16..=19).contains(&len) {
        return Some("JCB");
    }
    if (p2 == 36 || (300..=305).contains(&p3) || p2 == 38 || p2 == 39) && (14..=19).contains(&len) {
        return Some("Diners Club");
    }
    if p2 == 62 && (16..=19).contains(&len) {
        return Some("UnionPay");
    }
    if (p2 == 50 || (56..=69).contains(&p2)) && (13..=19).contains(&len) {
        return Some("Maestro");
    }
    None
}

/// True when the digit-group lengths are a way card numbers are written.
pub fn grouping_ok(groups: &[usize]) -> bool {
    let total: usize = groups.iter().sum();
    if !(13..=19).contains(&total) {
        return false;
    }
    match groups {
        [_] => true,
        [4, 6, 5] | [4, 6, 4] => true,
        [init @ .., last] => {
            init.len() >= 3 && init.iter().all(|&g| g == 4) && (1..=4).contains(last)
        }
        [] => false,
    }
}

/// A valid card number: Luhn and an issuer range.
pub fn is_valid(digits: &[u8]) -> bool {
    (13..=19).contains(&digits.len()) && luhn_ok(digits) && issuer(digits).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_cards_of_each_scheme() {
        for (n, scheme) in [
            ("4111111111111111", "Visa"),
            ("5555555555554444", "Mastercard"),
            ("2221000000000009", "Mastercard"),
            ("2720999999999996", "Mastercard"),
            ("378282246310005", "American Express"),
            ("6011111111111117", "Discover"),
            ("3530111333300000", "JCB"),
            ("36227206271667", "Diners Club"),
            ("6759649826438453", "Maestro"),
        ] {
            assert!(is_valid(n.as_bytes()), "{n}");
            assert_eq!(issuer(n.as_bytes()), Some(scheme), "{n}");
        }
    }

    #[test]
    fn luhn_failures_and_outside_ranges() {
        assert!(!is_valid(b"4111111111111112"));
        assert!(!is_valid(b"1234567812345670")); // Luhn-valid, no issuer starts with 1
        assert!(luhn_ok(b"1234567812345670"));
        assert!(!is_valid(b"2220999999999997")); // just below Mastercard 2221
        assert!(!is_valid(b"9780306406157")); // an ISBN-13
        assert!(!is_valid(b"411111111111")); // too short
    }

    #[test]
    fn groupings() {
        assert!(grouping_ok(&[16]));
        assert!(grouping_ok(&[4, 4, 4, 4]));
        assert!(grouping_ok(&[4, 4, 4, 4, 3]));
        assert!(grouping_ok(&[4, 6, 5]));
        assert!(grouping_ok(&[4, 6, 4]));
        assert!(!grouping_ok(&[3, 3, 4, 6]));
        assert!(!grouping_ok(&[5, 6, 5]));
        assert!(!grouping_ok(&[8, 8]));
        assert!(!grouping_ok(&[4, 4, 4]));
    }
}
