//! The console's secrets: Argon2id password hashes, random session ids and
//! CSRF tokens, API tokens, and the sign-in delay. Pure functions, so the
//! rules are unit-tested here and the handlers only call them.

use super::error::ConsoleError;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::Argon2;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Shortest password accepted (NCSC: length over complexity rules).
pub const MIN_PASSWORD_LEN: usize = 12;

/// Prefix of API tokens, so a leaked one is recognisable in logs and by
/// secret scanners.
pub const TOKEN_PREFIX: &str = "dlpc";

/// An Argon2id hash (PHC string) of `password`.
pub fn hash_password(password: &str) -> Result<String, ConsoleError> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(ConsoleError::Invalid(format!(
            "a password must be at least {MIN_PASSWORD_LEN} characters long"
        )));
    }
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| ConsoleError::Hash(e.to_string()))
}

/// Whether `password` matches `hash`; a malformed hash matches nothing.
pub fn verify_password(password: &str, hash: &str) -> bool {
    Argon2::default()
        .verify_password(password.as_bytes(), hash)
        .is_ok()
}

/// A hash no password matches, verified against when the account does not
/// exist or is disabled, so the answer takes as long as for a real account
/// and does not tell which names exist.
pub fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| {
        Argon2::default()
            .hash_password(random_token(24).as_bytes())
            .map(|h| h.to_string())
            .unwrap_or_default()
    })
}

/// `bytes` random bytes, URL-safe base64 (session ids, CSRF tokens).
pub fn random_token(bytes: usize) -> String {
    let v: Vec<u8> = (0..bytes).map(|_| rand::random::<u8>()).collect();
    URL_SAFE_NO_PAD.encode(v)
}

/// The digest a secret is stored under.
pub fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Constant-time string comparison (CSRF tokens, token digests).
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// A new API token: (public id, secret, the whole bearer token).
pub fn new_api_token() -> (String, String, String) {
    let id = hex::encode(rand::random::<[u8; 4]>());
    let secret = random_token(32);
    let token = format!("{TOKEN_PREFIX}_{id}_{secret}");
    (id, secret, token)
}

/// A bearer token split into (id, secret); None when it is not one of ours.
pub fn parse_api_token(token: &str) -> Option<(&str, &str)> {
    let rest = token.strip_prefix(TOKEN_PREFIX)?.strip_prefix('_')?;
    let (id, secret) = rest.split_once('_')?;
    (id.len() == 8 && id.bytes().all(|b| b.is_ascii_hexdigit()) && !secret.is_empty())
        .then_some((id, secret))
}

/// Milliseconds still to wait before another sign-in attempt under a key
/// with `failures` failures, the last at `last_ms`: `base` seconds after the
/// first, doubling with each further one, never more than `max` seconds — a
/// delay, never a lock, so nobody can keep the DPO out by guessing wrong on
/// purpose.
pub fn wait_ms(failures: u32, last_ms: i64, now_ms: i64, base: u64, max: u64) -> u64 {
    if failures == 0 {
        return 0;
    }
    let delay = base
        .saturating_mul(1u64 << (failures - 1).min(32))
        .min(max)
        .saturating_mul(1000);
    let ready = last_ms.saturating_add(i64::try_from(delay).unwrap_or(i64::MAX));
    u64::try_from(ready.saturating_sub(now_ms)).unwrap_or(0)
}

/// Whole seconds to tell a person to wait (rounded up: never "0").
pub fn whole_secs(ms: u64) -> u64 {
    ms.div_ceil(1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("correct horse batterY", &h));
        assert!(!verify_password("correct horse battery", "not a hash"));
        assert!(!verify_password("", dummy_hash()));
        assert!(hash_password("short").is_err());
    }

    #[test]
    fn delays_double_up_to_the_cap_and_then_pass() {
        let s = |n: u32, last: i64, now: i64| whole_secs(wait_ms(n, last, now, 1, 60));
        assert_eq!(s(0, 100_000, 100_000), 0);
        assert_eq!(s(1, 100_000, 100_000), 1);
        assert_eq!(s(2, 100_000, 100_000), 2);
        assert_eq!(s(3, 100_000, 100_000), 4);
        assert_eq!(s(7, 100_000, 100_000), 60);
        assert_eq!(s(1000, 100_000, 100_000), 60);
        // Time passes: the wait shrinks and ends; nothing stays locked.
        assert_eq!(s(3, 100_000, 103_000), 1);
        assert_eq!(s(3, 100_000, 103_999), 1);
        assert_eq!(s(3, 100_000, 104_000), 0);
        assert_eq!(s(1000, 100_000, 160_000), 0);
    }

    #[test]
    fn api_tokens_parse_only_in_their_own_form() {
        let (id, secret, token) = new_api_token();
        assert_eq!(
            parse_api_token(&token),
            Some((id.as_str(), secret.as_str()))
        );
        assert_eq!(parse_api_token("dlpc_zzzzzzzz_abc"), None);
        assert_eq!(parse_api_token("dlpc_0123abcd_"), None);
        assert_eq!(parse_api_token("Bearer x"), None);
        assert!(same(&digest(&secret), &digest(&secret)));
        assert!(!same(&digest(&secret), &digest("other")));
    }
}
