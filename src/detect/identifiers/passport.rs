//! UK passport numbers: 9 digits (older books: a letter then 8 digits).
//! There is no public check digit outside the machine-readable zone, so a
//! passport number is reported only next to a passport keyword.

/// True when `value` has the shape of a UK passport number. Runs of one
/// repeated digit (`000000000`) are placeholders, not numbers.
pub fn is_shape(value: &[u8]) -> bool {
    let (first, rest) = match value.split_first() {
        Some(x) => x,
        None => return false,
    };
    value.len() == 9
        && (first.is_ascii_digit() || first.is_ascii_uppercase())
        && rest.iter().all(u8::is_ascii_digit)
        && !rest.iter().all(|d| d == first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert!(is_shape(b"123456789"));
        assert!(is_shape(b"A12345678"));
        assert!(!is_shape(b"12345678"));
        assert!(!is_shape(b"1234567890"));
        assert!(!is_shape(b"AB1234567"));
        assert!(!is_shape(b"000000000"));
        assert!(!is_shape(b""));
    }
}
