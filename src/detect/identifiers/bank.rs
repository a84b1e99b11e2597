//! UK bank details: a sort code (`20-00-00`) with an 8-digit account number
//! near it. Neither has a public check (Vocalink's modulus rules need its
//! data file), and both shapes are common (dates, order numbers), so the
//! pair is reported only with a banking keyword nearby.

/// How far from the sort code (bytes) the account number may be.
pub const ACCOUNT_WINDOW: usize = 60;

/// True when digit groups of these lengths, joined by `sep`, are written
/// like a sort code: `20-00-00`, `20 00 00` or `200000`.
pub fn is_sort_code(groups: &[usize], sep: Option<u8>) -> bool {
    match groups {
        [6] => true,
        [2, 2, 2] => matches!(sep, Some(b'-') | Some(b' ')),
        _ => false,
    }
}

/// Finds an account number (a standalone run of exactly 8 digits) in
/// `text[from..to]`, nearest `anchor` first. Returns its byte span.
pub fn find_account(text: &[u8], from: usize, to: usize, anchor: usize) -> Option<(usize, usize)> {
    let to = to.min(text.len());
    let mut best: Option<(usize, usize)> = None;
    let mut i = from;
    while i < to {
        if !text.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
            continue;
        }
        let start = i;
        while text.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        let standalone = start
            .checked_sub(1)
            .and_then(|p| text.get(p))
            .is_none_or(|b| !b.is_ascii_alphanumeric())
            && text.get(i).is_none_or(|b| !b.is_ascii_alphanumeric());
        if i - start == 8 && standalone && i <= to {
            let dist = |(s, e): (usize, usize)| s.abs_diff(anchor).min(e.abs_diff(anchor));
            if best.is_none_or(|b| dist((start, i)) < dist(b)) {
                best = Some((start, i));
            }
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_code_shapes() {
        assert!(is_sort_code(&[2, 2, 2], Some(b'-')));
        assert!(is_sort_code(&[2, 2, 2], Some(b' ')));
        assert!(is_sort_code(&[6], None));
        assert!(!is_sort_code(&[2, 2, 2], Some(b'/')));
        assert!(!is_sort_code(&[2, 2, 4], Some(b'-')));
        assert!(!is_sort_code(&[3, 3], Some(b'-')));
    }

    #[test]
    fn account_number_nearby() {
        let t = b"sort code 20-00-00, account 12345678.";
        assert_eq!(find_account(t, 18, t.len(), 18), Some((28, 36)));
        // 9 digits or letters glued on are not an account number.
        let t = b"sort code 20-00-00 ref 123456789 A12345678";
        assert_eq!(find_account(t, 18, t.len(), 18), None);
    }

    #[test]
    fn nearest_of_two() {
        let t = b"11112222 sort code 20-00-00 33334444";
        assert_eq!(find_account(t, 0, t.len(), 27), Some((28, 36)));
    }
}
