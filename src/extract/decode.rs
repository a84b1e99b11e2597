//! Text files of unknown encoding (a .txt or .csv attachment, an HTML file)
//! to a `String`: the byte-order mark decides, else UTF-8, else Windows-1252.

/// Text bytes → String: UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252-ish Latin-1.
pub fn decode_text(data: &[u8]) -> String {
    decode_text_cow(data).into_owned()
}

/// [`decode_text`], borrowing when the bytes are already UTF-8 (no copy).
pub(crate) fn decode_text_cow(data: &[u8]) -> std::borrow::Cow<'_, str> {
    if let Some(rest) = data.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return String::from_utf8_lossy(rest);
    }
    if data.len() >= 2 && (data[..2] == [0xFF, 0xFE] || data[..2] == [0xFE, 0xFF]) {
        let le = data[0] == 0xFF;
        let units: Vec<u16> = data[2..]
            .chunks_exact(2)
            .map(|c| {
                if le {
                    u16::from_le_bytes([c[0], c[1]])
                } else {
                    u16::from_be_bytes([c[0], c[1]])
                }
            })
            .collect();
        return String::from_utf16_lossy(&units).into();
    }
    match std::str::from_utf8(data) {
        Ok(s) => s.into(),
        Err(_) => data.iter().map(|&b| b as char).collect::<String>().into(),
    }
}
