//! Unique Pupil Number (UPN) and Unique Learner Number (ULN), the two
//! identifiers every English pupil carries.
//!
//! UPN: 13 characters, a check letter then 12 digits (a temporary UPN ends
//! in a letter instead of its last digit). The check letter is
//! `ABCDEFGHJKLMNPQRTUVWXYZ`[Σ position × value over positions 2–13, mod 23],
//! a final letter counting by its place in that alphabet (A=0, B=1, …).
//! Characters 2–4 are the LA code, but DfE pseudo-LA codes exist, so the LA
//! code is not checked. The DfE's published worked example
//! (207000016049 → Q) is wrong: its check letter is P.
//!
//! ULN: ten digits, the first not 0; Σ dᵢ·wᵢ with weights 10…1 must be
//! ≡ 10 (mod 11). A number never passes both the ULN and the NHS checks.

/// The 23 check letters (no I, O or S).
const CHECK_LETTERS: &[u8; 23] = b"ABCDEFGHJKLMNPQRTUVWXYZ";

/// Value of a UPN character in the checksum: a digit's value, or a letter's
/// place in [`CHECK_LETTERS`].
fn value(c: u8) -> Option<u32> {
    if c.is_ascii_digit() {
        return Some(u32::from(c - b'0'));
    }
    let up = c.to_ascii_uppercase();
    CHECK_LETTERS
        .iter()
        .position(|&l| l == up)
        .and_then(|p| u32::try_from(p).ok())
}

/// The check letter for the 12 characters after it, or `None` if they are
/// not 11 digits followed by a digit or check-alphabet letter.
pub fn check_letter(rest: &[u8]) -> Option<u8> {
    if rest.len() != 12 || !rest.iter().take(11).all(u8::is_ascii_digit) {
        return None;
    }
    let mut sum = 0u32;
    for (pos, &c) in (2u32..).zip(rest) {
        sum += pos * value(c)?;
    }
    CHECK_LETTERS.get((sum % 23) as usize).copied()
}

/// True when `upn` (13 ASCII characters, upper case) carries the right check letter.
pub fn upn_valid(upn: &[u8]) -> bool {
    match upn.split_first() {
        Some((&first, rest)) => check_letter(rest) == Some(first),
        None => false,
    }
}

/// True when ten ASCII digits form a valid ULN.
pub fn uln_valid(digits: &[u8]) -> bool {
    if digits.len() != 10 || digits.first() == Some(&b'0') {
        return false;
    }
    if !digits.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let sum: u32 = digits
        .iter()
        .zip((1..=10u32).rev())
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    sum % 11 == 10
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::identifiers::nhs;

    #[test]
    fn valid_upns() {
        assert!(upn_valid(b"P801200216001"));
        assert!(upn_valid(b"D801200216002"));
        // Temporary UPN ending in a letter.
        assert!(upn_valid(b"K93020001234A"));
    }

    #[test]
    fn published_worked_example_is_p_not_q() {
        assert_eq!(check_letter(b"207000016049"), Some(b'P'));
        assert!(upn_valid(b"P207000016049"));
        assert!(!upn_valid(b"Q207000016049"));
    }

    #[test]
    fn invalid_upns() {
        assert!(!upn_valid(b"A801200216001"));
        assert!(!upn_valid(b"P801200216002"));
        assert!(!upn_valid(b"P80120021600"));
        assert!(!upn_valid(b"P8012002160011"));
        assert!(!upn_valid(b"PA01200216001"));
        // I, O and S are never check letters nor temporary suffixes.
        assert!(!upn_valid(b"I801200216001"));
        assert!(check_letter(b"93020001234I").is_none());
        assert!(!upn_valid(b""));
    }

    #[test]
    fn valid_ulns() {
        assert!(uln_valid(b"4857773456"));
        assert!(uln_valid(b"3758633299"));
        assert!(uln_valid(b"6292156167"));
    }

    #[test]
    fn invalid_ulns() {
        assert!(!uln_valid(b"4857773457"));
        assert!(!uln_valid(b"0857773456"));
        assert!(!uln_valid(b"485777345"));
        assert!(!uln_valid(b"48577734a6"));
    }

    #[test]
    fn uln_and_nhs_never_agree() {
        for n in 1_000_000_000u64..1_000_020_000 {
            let s = n.to_string();
            assert!(!(uln_valid(s.as_bytes()) && nhs::checksum_ok(s.as_bytes())));
        }
    }
}
