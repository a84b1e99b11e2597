//! Evidence masking. Every identifier that leaves the engine (JSON, logs,
//! headers, notices, the audit trail) goes through here first.

/// Masks an identifier, keeping only its first `keep_start` and last
/// `keep_end` alphanumerics; separators (spaces, dashes) keep their places so
/// the shape stays recognisable (`AB ** ** ** C`). If the value is too short
/// to keep anything safely, everything alphanumeric is masked.
pub fn mask_keep(value: &str, keep_start: usize, keep_end: usize) -> String {
    let total = value.chars().filter(|c| c.is_alphanumeric()).count();
    let (ks, ke) = if total <= keep_start + keep_end + 2 {
        (0, 0)
    } else {
        (keep_start, keep_end)
    };
    let mut seen = 0usize;
    value
        .chars()
        .map(|c| {
            if c.is_alphanumeric() {
                seen += 1;
                if seen <= ks || seen > total - ke {
                    c
                } else {
                    '*'
                }
            } else {
                c
            }
        })
        .collect()
}

/// Masks a secret (password): its first character and a fixed run of stars,
/// so neither the secret nor its length is revealed.
pub fn mask_secret(secret: &str) -> String {
    match secret.chars().next() {
        Some(c) => format!("{c}*******"),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_shape_and_ends() {
        assert_eq!(mask_keep("AB 12 34 56 C", 2, 1), "AB ** ** ** C");
        assert_eq!(mask_keep("401 023 2137", 2, 2), "40* *** **37");
    }

    #[test]
    fn short_values_are_fully_masked() {
        assert_eq!(mask_keep("1234", 2, 2), "****");
    }

    #[test]
    fn secret_hides_length() {
        assert_eq!(mask_secret("Marigold-Kite-55"), "M*******");
        assert_eq!(mask_secret("ab"), "a*******");
    }
}
