//! Content type from the bytes (magic numbers), not from the MIME header or
//! the file name. The name only breaks ties between text formats (CSV vs
//! plain text) and between ZIP-based formats before their members are read.

use memchr::memmem::Finder;
use std::sync::LazyLock;

/// What a file is, by its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Text,
    Csv,
    Tsv,
    Html,
    Rtf,
    Email,
    Pdf,
    Zip,
    Docx,
    Xlsx,
    Pptx,
    Odt,
    Ods,
    Odp,
    /// OLE compound file: legacy Office, or encrypted OOXML.
    Ole,
    SevenZip,
    Rar,
    Gzip,
    Image,
    Pgp,
    Smime,
    Binary,
}

impl FileKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FileKind::Text => "text",
            FileKind::Csv => "csv",
            FileKind::Tsv => "tsv",
            FileKind::Html => "html",
            FileKind::Rtf => "rtf",
            FileKind::Email => "email",
            FileKind::Pdf => "pdf",
            FileKind::Zip => "zip",
            FileKind::Docx => "docx",
            FileKind::Xlsx => "xlsx",
            FileKind::Pptx => "pptx",
            FileKind::Odt => "odt",
            FileKind::Ods => "ods",
            FileKind::Odp => "odp",
            FileKind::Ole => "ole",
            FileKind::SevenZip => "7z",
            FileKind::Rar => "rar",
            FileKind::Gzip => "gzip",
            FileKind::Image => "image",
            FileKind::Pgp => "pgp",
            FileKind::Smime => "smime",
            FileKind::Binary => "binary",
        }
    }

    /// Documents and archives: formats that carry personal data in practice.
    pub fn is_document(self) -> bool {
        matches!(
            self,
            FileKind::Pdf
                | FileKind::Zip
                | FileKind::Docx
                | FileKind::Xlsx
                | FileKind::Pptx
                | FileKind::Odt
                | FileKind::Ods
                | FileKind::Odp
                | FileKind::Ole
                | FileKind::SevenZip
                | FileKind::Rar
                | FileKind::Gzip
                | FileKind::Rtf
        )
    }
}

fn ext(name: &str) -> String {
    name.rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default()
}

/// Searchers built once: building a `memmem` searcher costs more than
/// searching the few KiB looked at per attachment.
static PDF_MAGIC: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"%PDF-"));
static PGP_ARMOUR: LazyLock<Finder<'static>> =
    LazyLock::new(|| Finder::new(b"-----BEGIN PGP MESSAGE-----"));
/// The OOXML part folders that tell docx, xlsx and pptx apart.
static OOXML_DIRS: LazyLock<[Finder<'static>; 3]> = LazyLock::new(|| {
    [
        Finder::new(b"word/"),
        Finder::new(b"xl/"),
        Finder::new(b"ppt/"),
    ]
});

/// Sniffs `data`; `name` is only a hint for text and ZIP-family formats.
pub fn sniff(data: &[u8], name: &str) -> FileKind {
    let e = ext(name);
    if data.starts_with(b"%PDF-")
        || (data.len() > 5 && PDF_MAGIC.find(&data[..data.len().min(1024)]).is_some())
    {
        return FileKind::Pdf;
    }
    if data.starts_with(b"PK\x03\x04")
        || data.starts_with(b"PK\x05\x06")
        || data.starts_with(b"PK\x07\x08")
    {
        return zip_family(data, &e);
    }
    if data.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        return FileKind::Ole;
    }
    if data.starts_with(b"7z\xBC\xAF\x27\x1C") {
        return FileKind::SevenZip;
    }
    if data.starts_with(b"Rar!\x1A\x07") {
        return FileKind::Rar;
    }
    if data.starts_with(&[0x1F, 0x8B]) {
        return FileKind::Gzip;
    }
    if data.starts_with(b"{\\rtf") {
        return FileKind::Rtf;
    }
    if data.starts_with(&[0x89, b'P', b'N', b'G'])
        || data.starts_with(&[0xFF, 0xD8, 0xFF])
        || data.starts_with(b"GIF8")
        || (data.len() > 12 && &data[..4] == b"RIFF" && &data[8..12] == b"WEBP")
    {
        return FileKind::Image;
    }
    let head = &data[..data.len().min(4096)];
    if is_openpgp_binary(data, &e) {
        return FileKind::Pgp;
    }
    if PGP_ARMOUR.find(head).is_some() {
        return FileKind::Pgp;
    }
    // DER ContentInfo with the envelopedData or authEnvelopedData OID (S/MIME .p7m).
    const ENVELOPED: [u8; 11] = [
        0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x03,
    ];
    const AUTH_ENVELOPED: [u8; 13] = [
        0x06, 0x0B, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x10, 0x01, 0x17,
    ];
    let der_head = &head[..head.len().min(32)];
    if data.first() == Some(&0x30)
        && (der_head.windows(11).any(|w| w == ENVELOPED)
            || der_head.windows(13).any(|w| w == AUTH_ENVELOPED))
    {
        return FileKind::Smime;
    }
    if !looks_textual(head) {
        return FileKind::Binary;
    }
    let start = &head[..head.len().min(1024)];
    // `from_utf8` first: its ASCII fast path beats the lossy decoder's.
    let lower: String = match std::str::from_utf8(start) {
        Ok(s) => s.to_ascii_lowercase(),
        Err(_) => String::from_utf8_lossy(start).to_ascii_lowercase(),
    };
    let trimmed = lower.trim_start_matches('\u{feff}').trim_start();
    if trimmed.starts_with("<!doctype html")
        || trimmed.starts_with("<html")
        || e == "html"
        || e == "htm"
    {
        return FileKind::Html;
    }
    if e == "eml" || looks_like_message(trimmed) {
        return FileKind::Email;
    }
    match e.as_str() {
        "csv" => FileKind::Csv,
        "tsv" | "tab" => FileKind::Tsv,
        _ => FileKind::Text,
    }
}

/// ZIP container: look at member names to tell OOXML and ODF apart.
fn zip_family(data: &[u8], e: &str) -> FileKind {
    // The ODF mimetype member is stored first and uncompressed at offset 30.
    if data.len() > 38 && &data[30..38] == b"mimetype" {
        let tail = &data[38..data.len().min(38 + 80)];
        let t = String::from_utf8_lossy(tail);
        if t.contains("opendocument.text") {
            return FileKind::Odt;
        }
        if t.contains("opendocument.spreadsheet") {
            return FileKind::Ods;
        }
        if t.contains("opendocument.presentation") {
            return FileKind::Odp;
        }
    }
    let scan = &data[..data.len().min(64 * 1024)];
    // memmem, not `windows().any()`: the naive scan cost ~1 ms per ZIP that
    // is neither docx nor xlsx (64 KiB x 2 x 3 names, a memcmp call each).
    let [word, xl, ppt] = &*OOXML_DIRS;
    let has = |f: &Finder<'_>| f.find(scan).is_some() || tail_has(data, f);
    if has(word) {
        FileKind::Docx
    } else if has(xl) {
        FileKind::Xlsx
    } else if has(ppt) {
        FileKind::Pptx
    } else {
        match e {
            "docx" => FileKind::Docx,
            "xlsx" => FileKind::Xlsx,
            "pptx" => FileKind::Pptx,
            "odt" => FileKind::Odt,
            "ods" => FileKind::Ods,
            "odp" => FileKind::Odp,
            _ => FileKind::Zip,
        }
    }
}

/// Member names are also in the central directory at the end of the file
/// (for a file of at most 64 KiB, that is the part already searched).
fn tail_has(data: &[u8], needle: &Finder<'_>) -> bool {
    if data.len() <= 64 * 1024 {
        return false;
    }
    let start = data.len() - 64 * 1024;
    needle.find(&data[start..]).is_some()
}

/// A binary OpenPGP message starts with a public-key or symmetric-key
/// encrypted session key packet (tag 1 or 3), old or new packet format.
fn is_openpgp_binary(data: &[u8], e: &str) -> bool {
    let Some(&first) = data.first() else {
        return false;
    };
    let (tag, header_len) = if first & 0xC0 == 0xC0 {
        (first & 0x3F, 2)
    } else if first & 0xC0 == 0x80 {
        ((first >> 2) & 0x0F, 1 + (1usize << (first & 3)).min(4))
    } else {
        return false;
    };
    if tag != 1 && tag != 3 {
        return false;
    }
    let version = data.get(header_len).copied().unwrap_or(0);
    let plausible =
        (tag == 1 && matches!(version, 3 | 6)) || (tag == 3 && matches!(version, 4..=6));
    plausible && (matches!(e, "gpg" | "pgp" | "asc") || data.len() > 64)
}

fn looks_textual(head: &[u8]) -> bool {
    if head.is_empty() {
        return true;
    }
    if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
        return true;
    }
    // Control bytes (0x00-0x08, 0x0E-0x1A), counted in 255-byte chunks with
    // u8 counters so the loop vectorises (this runs on every text attachment).
    let bad: usize = head
        .chunks(255)
        .map(|c| {
            usize::from(c.iter().fold(0u8, |n, &b| {
                n + u8::from(b < 0x09 || b.wrapping_sub(0x0E) < 0x0D)
            }))
        })
        .sum();
    bad * 100 < head.len()
}

fn looks_like_message(lower: &str) -> bool {
    let mut headers = 0;
    for line in lower.lines().take(30) {
        if line.is_empty() {
            break;
        }
        for h in [
            "from:",
            "to:",
            "subject:",
            "date:",
            "message-id:",
            "received:",
            "mime-version:",
        ] {
            if line.starts_with(h) {
                headers += 1;
            }
        }
    }
    headers >= 2
}

/// Describes a mismatch between the bytes and the declared type or extension,
/// when it matters (a PDF sent as `image/png`, a zip named `.txt`).
pub fn mismatch(kind: FileKind, declared: &str, name: &str) -> Option<String> {
    let e = ext(name);
    let ok_ext: &[&str] = match kind {
        FileKind::Pdf => &["pdf"],
        FileKind::Zip => &["zip"],
        FileKind::Docx => &["docx", "docm", "dotx"],
        FileKind::Xlsx => &["xlsx", "xlsm", "xltx"],
        FileKind::Pptx => &["pptx", "pptm", "ppsx"],
        FileKind::Odt => &["odt", "ott"],
        FileKind::Ods => &["ods", "ots"],
        FileKind::Odp => &["odp", "otp"],
        FileKind::Ole => &[
            "doc", "xls", "ppt", "docx", "xlsx", "pptx", "msg", "dot", "xlt",
        ],
        FileKind::SevenZip => &["7z"],
        FileKind::Rar => &["rar"],
        FileKind::Gzip => &["gz", "tgz"],
        FileKind::Rtf => &["rtf", "doc"],
        _ => return None,
    };
    if e.is_empty() || ok_ext.contains(&e.as_str()) {
        let generic = declared.is_empty()
            || declared == "application/octet-stream"
            || declared.contains(kind.as_str())
            || declared.starts_with("application/");
        if generic {
            return None;
        }
        return Some(format!("declared {declared}, bytes are {}", kind.as_str()));
    }
    Some(format!("named .{e}, bytes are {}", kind.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_numbers_win_over_names() {
        assert_eq!(sniff(b"%PDF-1.7\n...", "report.txt"), FileKind::Pdf);
        assert_eq!(
            sniff(b"7z\xBC\xAF\x27\x1C\x00\x04", "a.zip"),
            FileKind::SevenZip
        );
        assert_eq!(
            sniff(
                &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0],
                "x.docx"
            ),
            FileKind::Ole
        );
    }

    #[test]
    fn text_family_uses_the_name() {
        assert_eq!(sniff(b"name,dob\nA,1\n", "list.csv"), FileKind::Csv);
        assert_eq!(sniff(b"hello", "notes.txt"), FileKind::Text);
        assert_eq!(
            sniff(b"<html><body>x</body></html>", "a.bin"),
            FileKind::Html
        );
        assert_eq!(
            sniff(b"From: a@b.c\nSubject: x\n\nbody", "fwd"),
            FileKind::Email
        );
    }

    #[test]
    fn smime_auth_enveloped_and_binary_pgp() {
        let mut der = vec![0x30, 0x80];
        der.extend_from_slice(&[
            0x06, 0x0B, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x10, 0x01, 0x17,
        ]);
        assert_eq!(sniff(&der, "smime.p7m"), FileKind::Smime);
        // Old-format SKESK packet (tag 3), version 4: gpg --symmetric output.
        assert_eq!(
            sniff(&[0x8C, 0x0D, 0x04, 0x09, 0x03, 0x08], "x.gpg"),
            FileKind::Pgp
        );
        assert_ne!(sniff(&[0x8C, 0x0D, 0x04], "photo.jpg"), FileKind::Pgp);
    }

    #[test]
    fn mismatch_is_reported() {
        assert!(mismatch(FileKind::Pdf, "application/pdf", "a.pdf").is_none());
        assert!(mismatch(FileKind::Pdf, "image/png", "a.pdf").is_some());
        assert!(mismatch(FileKind::Zip, "application/zip", "notes.txt").is_some());
    }
}
