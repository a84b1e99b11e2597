//! Text files of unknown encoding (a .txt or .csv attachment, an HTML file)
//! to a `String`: a byte-order mark decides (UTF-8, UTF-16LE, UTF-16BE),
//! else valid UTF-8 is taken as it is, else the bytes are Windows-1252, the
//! encoding a Windows program saving "ANSI" text writes in the UK.

use super::codec::decode_cp1252;
use encoding_rs::Encoding;
use std::borrow::Cow;

/// Text bytes → String (see the module doc for how the encoding is chosen).
pub fn decode_text(data: &[u8]) -> String {
    decode_text_cow(data).into_owned()
}

/// [`decode_text`], borrowing when the bytes are already UTF-8 (no copy).
pub(crate) fn decode_text_cow(data: &[u8]) -> Cow<'_, str> {
    if let Some((encoding, bom)) = Encoding::for_bom(data) {
        let rest = data.get(bom..).unwrap_or_default();
        return encoding.decode_without_bom_handling(rest).0;
    }
    match std::str::from_utf8(data) {
        Ok(s) => s.into(),
        Err(_) => decode_cp1252(data),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bom_decides_then_utf8_then_windows_1252() {
        assert_eq!(decode_text(b"\xEF\xBB\xBFcaf\xC3\xA9"), "café");
        assert_eq!(decode_text(b"\xFF\xFEJ\0T\0"), "JT");
        assert_eq!(decode_text(b"\xFE\xFF\0J\0T"), "JT");
        assert!(matches!(decode_text_cow(b"plain"), Cow::Borrowed("plain")));
        // Not UTF-8: Windows-1252, smart quotes and the pound sign included.
        assert_eq!(
            decode_text(b"\x93JT 48\x94 \xA35 caf\xE9"),
            "\u{201C}JT 48\u{201D} £5 café"
        );
        // A BOM followed by broken UTF-8 still decodes, lossily.
        assert_eq!(decode_text(b"\xEF\xBB\xBFa\xFFb"), "a\u{FFFD}b");
        assert_eq!(decode_text(b""), "");
    }
}
