//! Byte searches for the short stretches between markup (a tag's `>`, the
//! text up to the next `<`), shared by the XML scanner and the HTML
//! converter: looked at a word at a time inline, where `memchr`'s set-up
//! would cost more than the search.

/// `memchr` for text that is usually short: the first 16 bytes are looked at
/// inline, a word at a time, `memchr`'s set-up is paid only beyond.
#[inline(always)]
pub fn find(needle: u8, hay: &[u8]) -> Option<usize> {
    let pattern = u64::from(needle) * 0x0101_0101_0101_0101;
    let mut i = 0;
    while i < 16 {
        let Some(w) = array_at::<8>(hay, i) else {
            break;
        };
        let hits = zero_bytes(u64::from_le_bytes(w) ^ pattern);
        if hits != 0 {
            return Some(i + (hits.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    let head = hay.get(i..hay.len().min(16)).unwrap_or_default();
    if let Some(p) = head.iter().position(|&b| b == needle) {
        return Some(i + p);
    }
    memchr::memchr(needle, hay.get(16..)?).map(|p| p + 16)
}

/// `N` bytes of `s` from `at` as an array (compared or tested as one
/// word); `None` past the end.
#[inline(always)]
pub fn array_at<const N: usize>(s: &[u8], at: usize) -> Option<[u8; N]> {
    s.get(at..at + N)?.try_into().ok()
}

/// Bit 7 of each byte of the result is set where `x` has a zero byte, at
/// least at the first one (the classic test; the borrow can only add
/// false bits above a true zero, so the lowest set bit is exact).
#[inline(always)]
pub fn zero_bytes(x: u64) -> u64 {
    x.wrapping_sub(0x0101_0101_0101_0101) & !x & 0x8080_8080_8080_8080
}

/// `s` without surrounding whitespace, as `str::trim`; the common case
/// (starts and ends with a visible ASCII character) without its Unicode
/// checks, which cost more than the rest of a short table cell.
#[inline(always)]
pub fn trimmed(s: &str) -> &str {
    match (s.as_bytes().first(), s.as_bytes().last()) {
        (Some(a), Some(z)) if a.is_ascii_graphic() && z.is_ascii_graphic() => s,
        _ => s.trim(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trimmed_is_str_trim() {
        for s in [
            "",
            " ",
            "a",
            " a",
            "a ",
            "\u{a0}a\u{a0}",
            "\u{2003}x",
            "x\u{3000}",
            "é",
            " é ",
            "a b",
            "\ta\n",
            "\u{85}a",
            "ab\u{200b}",
        ] {
            assert_eq!(trimmed(s), s.trim(), "{s:?}");
        }
    }

    #[test]
    fn find_agrees_with_position_at_every_offset() {
        for len in 0..40usize {
            for at in 0..len {
                let mut hay = vec![b'x'; len];
                hay[at] = b'<';
                if at + 3 < len {
                    hay[at + 3] = b'<';
                }
                assert_eq!(find(b'<', &hay), Some(at), "len {len} at {at}");
            }
            assert_eq!(find(b'<', &vec![b'x'; len]), None);
            // Bytes that differ from the needle only in the high bit.
            assert_eq!(find(b'<', &vec![b'<' | 0x80; len]), None);
        }
    }
}
