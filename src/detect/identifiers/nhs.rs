//! NHS number: ten digits shown 3-3-4 (`401 023 2137`), also dashed or plain.
//!
//! The last digit is a modulus 11 check over the first nine (weights 10…2;
//! check = 11 − sum mod 11, 11 → 0, 10 → never issued). About one random
//! ten-digit number in eleven passes, so the checksum alone is weak
//! evidence; the issued ranges narrow it a little: 010–311 Scottish CHI,
//! 320–399 Northern Ireland, 400–499 and 600–799 England, Wales and the Isle
//! of Man. 9xx numbers are synthetic test numbers, never issued.

/// True when the ten ASCII digits pass the NHS modulus 11 check.
pub fn checksum_ok(digits: &[u8]) -> bool {
    if digits.len() != 10 || !digits.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let sum: u32 = digits
        .iter()
        .take(9)
        .zip((2..=10u32).rev())
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    let check = match 11 - sum % 11 {
        11 => 0,
        10 => return false,
        c => c,
    };
    digits.get(9).map(|d| u32::from(d - b'0')) == Some(check)
}

/// True when the number lies in a range the NHS (or CHI, or Northern
/// Ireland's H&C) issues from.
pub fn range_ok(digits: &[u8]) -> bool {
    let prefix = digits.get(..3).and_then(super::digits_value);
    matches!(prefix, Some(10..=311 | 320..=399 | 400..=499 | 600..=799))
}

/// An NHS number as far as the digits can tell: checksum and issued range.
pub fn is_valid(digits: &[u8]) -> bool {
    checksum_ok(digits) && range_ok(digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_numbers() {
        assert!(is_valid(b"4010232137"));
        assert!(is_valid(b"4857773457"));
        assert!(is_valid(b"6000000006"));
        // Synthetic 9xx test numbers pass the checksum but were never issued.
        assert!(checksum_ok(b"9434765919"));
        assert!(!is_valid(b"9434765919"));
    }

    #[test]
    fn failing_checksum() {
        assert!(!is_valid(b"4010232138"));
        // Passes the ULN check instead: the two never agree.
        assert!(!checksum_ok(b"4857773456"));
    }

    #[test]
    fn check_digit_ten_is_never_issued() {
        // Find prefixes whose check would be 10: no final digit may pass.
        let mut found = false;
        for n in 400_000_000u32..400_000_100 {
            let s = n.to_string();
            let sum: u32 = s
                .bytes()
                .zip((2..=10u32).rev())
                .map(|(d, w)| u32::from(d - b'0') * w)
                .sum();
            if 11 - sum % 11 == 10 {
                found = true;
                for last in b'0'..=b'9' {
                    let mut d = s.clone().into_bytes();
                    d.push(last);
                    assert!(!checksum_ok(&d));
                }
            }
        }
        assert!(found);
    }

    #[test]
    fn wrong_lengths_and_ranges() {
        assert!(!checksum_ok(b"401023213"));
        assert!(!checksum_ok(b"40102321370"));
        assert!(!checksum_ok(b"40102a2137"));
        assert!(!range_ok(b"5000000000"));
        assert!(!range_ok(b"0010000000"));
        assert!(range_ok(b"0101000000"));
    }
}
