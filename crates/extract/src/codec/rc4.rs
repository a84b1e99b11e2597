//! RC4 with a key of any length, over the `rc4` crate (whose key length is
//! a type parameter). PDF keys run from 5 to 16 bytes and legacy Office
//! keys are 5 or 16: rather than one instantiation per length, the key is
//! repeated to 256 bytes, which RC4's key schedule cannot tell apart from
//! the key itself (it reads `key[i % len]` for `i` in `0..256`).

use ::rc4::{consts::U256, KeyInit, Rc4, StreamCipher};

/// `data` encrypted (or decrypted: it is the same) with `key`. An empty key
/// leaves the data as it is (RC4 has no such key; callers never derive one).
pub(crate) fn rc4(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut out = data.to_vec();
    if key.is_empty() {
        return out;
    }
    let mut full = [0u8; 256];
    for (i, b) in full.iter_mut().enumerate() {
        *b = key[i % key.len()];
    }
    let mut cipher = Rc4::<U256>::new(&full.into());
    cipher.apply_keystream(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::rc4;

    #[test]
    fn known_answers_for_short_and_long_keys() {
        assert_eq!(hex::encode(rc4(b"Key", b"Plaintext")), "bbf316e8d940af0ad3");
        assert_eq!(hex::encode(rc4(b"Wiki", b"pedia")), "1021bf0420");
        // RFC 6229 keystreams (offset 0) for a 40-bit and a 128-bit key.
        assert_eq!(
            hex::encode(rc4(&[1, 2, 3, 4, 5], &[0; 8])),
            "b2396305f03dc027"
        );
        let key: Vec<u8> = (1..=16).collect();
        assert_eq!(hex::encode(rc4(&key, &[0; 8])), "9ac7cc9a609d1ef7");
        assert_eq!(rc4(b"", b"as is"), b"as is");
    }
}
