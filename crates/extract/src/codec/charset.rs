//! Windows-1252 and UTF-16 through `encoding_rs` (the WHATWG decoders every
//! browser uses), with the few conventions the extractors rely on.

use encoding_rs::{UTF_16BE, UTF_16LE, WINDOWS_1252};
use std::borrow::Cow;
use std::sync::LazyLock;

/// Each byte's Windows-1252 character, decoded once: RTF and .doc text
/// look bytes up one at a time.
static CP1252: LazyLock<[char; 256]> = LazyLock::new(|| {
    let bytes: Vec<u8> = (0..=255u8).collect();
    let (text, _) = WINDOWS_1252.decode_without_bom_handling(&bytes);
    let mut table = ['\u{FFFD}'; 256];
    for (slot, c) in table.iter_mut().zip(text.chars()) {
        *slot = c;
    }
    table
});

/// The character a Windows-1252 byte stands for in running text: tab and
/// line breaks become a space, other control codes (and the five bytes
/// Windows-1252 leaves undefined, which WHATWG maps to C1 controls) are
/// `None`, to be dropped or replaced by the caller. PDF's WinAnsiEncoding
/// is close enough to Windows-1252 for text.
pub(crate) fn cp1252_char(b: u8) -> Option<char> {
    match b {
        b'\t' | b'\n' | b'\r' => Some(' '),
        _ => Some(CP1252[usize::from(b)]).filter(|c| !c.is_control()),
    }
}

/// Windows-1252 bytes as text (every byte maps to a character).
pub(crate) fn decode_cp1252(data: &[u8]) -> Cow<'_, str> {
    WINDOWS_1252.decode_without_bom_handling(data).0
}

/// UTF-16 little-endian (no BOM handling); unpaired surrogates and a
/// trailing odd byte become U+FFFD.
pub(crate) fn utf16le_lossy(data: &[u8]) -> Cow<'_, str> {
    UTF_16LE.decode_without_bom_handling(data).0
}

/// UTF-16 big-endian (no BOM handling); unpaired surrogates become U+FFFD,
/// and a trailing odd byte is read as the high byte of a unit whose low
/// byte is zero (PDF strings of odd length are decoded that way).
pub(crate) fn utf16be_lossy(data: &[u8]) -> Cow<'_, str> {
    if data.len() % 2 == 1 {
        let mut padded = Vec::with_capacity(data.len() + 1);
        padded.extend_from_slice(data);
        padded.push(0);
        return Cow::Owned(UTF_16BE.decode_without_bom_handling(&padded).0.into_owned());
    }
    UTF_16BE.decode_without_bom_handling(data).0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cp1252_maps_the_high_range_and_drops_controls() {
        assert_eq!(cp1252_char(b'A'), Some('A'));
        assert_eq!(cp1252_char(0x80), Some('€'));
        assert_eq!(cp1252_char(0x92), Some('\u{2019}'));
        assert_eq!(cp1252_char(0x96), Some('\u{2013}'));
        assert_eq!(cp1252_char(0xA3), Some('£'));
        assert_eq!(cp1252_char(0xE9), Some('é'));
        assert_eq!(cp1252_char(b'\t'), Some(' '));
        assert_eq!(cp1252_char(b'\r'), Some(' '));
        // Undefined in Windows-1252, and C0 controls: nothing.
        for b in [0x81, 0x8D, 0x8F, 0x90, 0x9D, 0x00, 0x07, 0x7F] {
            assert_eq!(cp1252_char(b), None, "{b:#x}");
        }
        assert_eq!(
            decode_cp1252(b"caf\xe9 \x93x\x94"),
            "café \u{201C}x\u{201D}"
        );
    }

    #[test]
    fn utf16_both_orders_and_broken_input() {
        assert_eq!(utf16le_lossy(b"J\0T\0"), "JT");
        assert_eq!(utf16be_lossy(b"\0J\0T"), "JT");
        // A lone high surrogate, and an odd trailing byte.
        assert_eq!(utf16le_lossy(b"\x3D\xD8A\0"), "\u{FFFD}A");
        assert_eq!(utf16le_lossy(b"A\0B"), "A\u{FFFD}");
        assert_eq!(utf16be_lossy(b"\0A\x42"), "A\u{4200}");
        // Beyond the BMP.
        assert_eq!(utf16be_lossy(b"\xD8\x3D\xDE\x00"), "\u{1F600}");
    }
}
