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
    /// bzip2, xz and zstd: single compressed streams like gzip (`.csv.bz2`,
    /// `.tar.xz`), read the same way.
    Bzip2,
    Xz,
    Zstd,
    /// A tar archive (ustar, GNU or pax), on its own or in any of the above.
    Tar,
    /// Outlook's winmail.dat (application/ms-tnef): a body and attachments.
    Tnef,
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
            FileKind::Bzip2 => "bzip2",
            FileKind::Xz => "xz",
            FileKind::Zstd => "zstd",
            FileKind::Tar => "tar",
            FileKind::Tnef => "tnef",
            FileKind::Image => "image",
            FileKind::Pgp => "pgp",
            FileKind::Smime => "smime",
            FileKind::Binary => "binary",
        }
    }

    /// Formats whose content is text once read: everything but images,
    /// encrypted messages and unknown binary. One of these left unread (a
    /// depth or time cap) could not be checked, whatever its type.
    pub fn carries_text(self) -> bool {
        !matches!(
            self,
            FileKind::Image | FileKind::Pgp | FileKind::Smime | FileKind::Binary
        )
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
                | FileKind::Bzip2
                | FileKind::Xz
                | FileKind::Zstd
                | FileKind::Tar
                | FileKind::Tnef
                | FileKind::Rtf
        )
    }
}

/// A file name's extension, lower-cased. Every extension this module
/// compares against is short, so those are lower-cased into a stack buffer
/// (this runs for every file, archive members included, and again for a
/// document type's mismatch check); a longer one is kept whole for the
/// mismatch message. An extension already in lower case (most) is
/// borrowed from the name, with no copy and no UTF-8 check.
enum Ext<'n> {
    Lower(&'n str),
    Short([u8; 8], usize),
    Long(String),
}

impl<'n> Ext<'n> {
    fn of(name: &'n str) -> Ext<'n> {
        // A byte search: a name's few bytes cost less than `rsplit_once`'s
        // char searcher (this runs for every file); `.` is ASCII, so
        // the cut is on a char boundary.
        let dot = name.bytes().rposition(|b| b == b'.');
        let e = dot.and_then(|d| name.get(d + 1..)).unwrap_or_default();
        if !e.bytes().any(|b| b.is_ascii_uppercase()) {
            return Ext::Lower(e);
        }
        let mut buf = [0u8; 8];
        match buf.get_mut(..e.len()) {
            Some(dst) => {
                dst.copy_from_slice(e.as_bytes());
                dst.make_ascii_lowercase();
                Ext::Short(buf, e.len())
            }
            None => Ext::Long(e.to_ascii_lowercase()),
        }
    }

    fn as_str(&self) -> &str {
        match self {
            Ext::Lower(e) => e,
            // Lower-casing ASCII bytes of a `str` keeps it UTF-8; a multi-byte
            // character cut at the buffer's end cannot happen (the whole
            // extension fits or the `Long` arm is taken).
            Ext::Short(buf, len) => buf
                .get(..*len)
                .and_then(|b| std::str::from_utf8(b).ok())
                .unwrap_or_default(),
            Ext::Long(s) => s,
        }
    }
}

/// `text` starts with `prefix` (given in lower case), ignoring ASCII case.
fn starts_with_ci(text: &[u8], prefix: &[u8]) -> bool {
    text.get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

/// HTML without its `<html>` wrapper, as mailers and broken MIME hand it
/// over (`<body bgcolor=…>`, `<div>`, `<table>`): the text starts with one
/// of the elements a message body starts with, and a closing tag follows.
/// Read as text, its markup would be scanned as prose (a `<b>PASSWORD
/// QUESTIONS?<br>` heading read as a password).
fn is_html_fragment(text: &[u8]) -> bool {
    const OPENERS: [&[u8]; 14] = [
        b"<body", b"<head", b"<meta", b"<table", b"<div", b"<p", b"<font", b"<span", b"<center",
        b"<style", b"<title", b"<br", b"<!--", b"<base",
    ];
    let opens = OPENERS.iter().any(|o| {
        starts_with_ci(text, o)
            && (o.starts_with(b"<!--")
                || text
                    .get(o.len())
                    .is_some_and(|&b| b == b'>' || b == b'/' || b.is_ascii_whitespace()))
    });
    opens && memchr::memmem::find(text, b"</").is_some()
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
    let ext = Ext::of(name);
    let e = ext.as_str();
    // A PDF may have junk before its header (within 1 KiB). Most files have
    // no '%' there at all, and one memchr settles that for less than
    // setting up the substring search.
    let pdf_window = &data[..data.len().min(1024)];
    if data.starts_with(b"%PDF-")
        || (data.len() > 5
            && memchr::memchr(b'%', pdf_window).is_some()
            && PDF_MAGIC.find(pdf_window).is_some())
    {
        return FileKind::Pdf;
    }
    if data.starts_with(b"PK\x03\x04")
        || data.starts_with(b"PK\x05\x06")
        || data.starts_with(b"PK\x07\x08")
    {
        return zip_family(data, e);
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
    // bzip2: `BZh` and a block size digit, then a block or end-of-stream magic.
    if data.starts_with(b"BZh")
        && data.get(3).is_some_and(|d| (b'1'..=b'9').contains(d))
        && (data.get(4..10) == Some(&[0x31, 0x41, 0x59, 0x26, 0x53, 0x59])
            || data.get(4..10) == Some(&[0x17, 0x72, 0x45, 0x38, 0x50, 0x90]))
    {
        return FileKind::Bzip2;
    }
    if data.starts_with(&[0xFD, b'7', b'z', b'X', b'Z', 0x00]) {
        return FileKind::Xz;
    }
    if data.starts_with(&[0x28, 0xB5, 0x2F, 0xFD]) {
        return FileKind::Zstd;
    }
    // ustar (POSIX, pax) and GNU tar headers carry `ustar` at offset 257.
    if data.get(257..262) == Some(b"ustar") {
        return FileKind::Tar;
    }
    if data.starts_with(&super::tnef::SIGNATURE) {
        return FileKind::Tnef;
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
    if is_openpgp_binary(data, e) {
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
    // Compared without a lower-cased copy: the markers are ASCII.
    let start = start.strip_prefix("\u{feff}".as_bytes()).unwrap_or(start);
    let trimmed = start.trim_ascii_start();
    if starts_with_ci(trimmed, b"<!doctype html")
        || starts_with_ci(trimmed, b"<html")
        || e == "html"
        || e == "htm"
        || is_html_fragment(trimmed)
    {
        return FileKind::Html;
    }
    if e == "eml" || looks_like_message(trimmed) {
        return FileKind::Email;
    }
    match e {
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
    let mut dirs = ooxml_dirs(scan);
    if data.len() > scan.len() && !dirs.word {
        // Member names are also in the central directory at the end.
        let [word, xl, ppt] = &*OOXML_DIRS;
        dirs.word = tail_has(data, word);
        dirs.xl = dirs.xl || tail_has(data, xl);
        dirs.ppt = dirs.ppt || tail_has(data, ppt);
    }
    if dirs.word {
        FileKind::Docx
    } else if dirs.xl {
        FileKind::Xlsx
    } else if dirs.ppt {
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

/// Which OOXML part folders (`word/`, `xl/`, `ppt/`) appear in `scan`.
#[derive(Default)]
struct OoxmlDirs {
    word: bool,
    xl: bool,
    ppt: bool,
}

/// One pass over the slashes of the first bytes of a ZIP, instead of one
/// substring search per folder name: most of the cost of sniffing a small
/// archive was setting those searches up. Stops at the first `word/`, which
/// decides the kind whatever else is there.
fn ooxml_dirs(scan: &[u8]) -> OoxmlDirs {
    let mut dirs = OoxmlDirs::default();
    for p in memchr::memchr_iter(b'/', scan) {
        let before = scan.get(..p).unwrap_or_default();
        if before.ends_with(b"word") {
            dirs.word = true;
            break;
        }
        dirs.xl |= before.ends_with(b"xl");
        dirs.ppt |= before.ends_with(b"ppt");
    }
    dirs
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

fn looks_like_message(text: &[u8]) -> bool {
    // Every header counted below has a colon: one SIMD pass settles a text
    // with none (a CSV of names and dates) without walking its lines.
    if memchr::memchr(b':', text).is_none() {
        return false;
    }
    let mut headers = 0;
    // Lines found with memchr: splitting with a closure tested every byte.
    let mut rest = Some(text);
    for _ in 0..30 {
        let Some(text) = rest else {
            break;
        };
        let line = match memchr::memchr(b'\n', text) {
            Some(end) => {
                rest = text.get(end + 1..);
                text.get(..end).unwrap_or_default()
            }
            None => {
                rest = None;
                text
            }
        };
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            break;
        }
        // Only a line starting with one of the names' first letters can
        // match: most lines of a text file are passed over on one byte.
        if !matches!(
            line.first().map(u8::to_ascii_lowercase),
            Some(b'f' | b't' | b's' | b'd' | b'm' | b'r')
        ) {
            continue;
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
            if starts_with_ci(line, h.as_bytes()) {
                headers += 1;
            }
        }
    }
    headers >= 2
}

/// Describes a mismatch between the bytes and the declared type or extension,
/// when it matters (a PDF sent as `image/png`, a zip named `.txt`).
pub fn mismatch(kind: FileKind, declared: &str, name: &str) -> Option<String> {
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
        FileKind::Bzip2 => &["bz2", "tbz2", "tbz"],
        FileKind::Xz => &["xz", "txz"],
        FileKind::Zstd => &["zst", "tzst"],
        FileKind::Tar => &["tar"],
        FileKind::Rtf => &["rtf", "doc"],
        _ => return None,
    };
    // Only now: most files (text, CSV, HTML) have no mismatch to tell.
    let ext = Ext::of(name);
    let e = ext.as_str();
    if e.is_empty() || ok_ext.contains(&e) {
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
        // HTML without its <html> wrapper, under a text name.
        assert_eq!(
            sniff(
                b"\n\n<body bgcolor=\"#FFFFFF\">\n<p><b>Hi</b></p></body>",
                "part-1.txt"
            ),
            FileKind::Html
        );
        assert_eq!(sniff(b"<div class=x>a</div>", "notes.txt"), FileKind::Html);
        // Prose that starts with a bracket, or a tag with no closing tag, is text.
        assert_eq!(
            sniff(b"<p> is the paragraph tag", "notes.txt"),
            FileKind::Text
        );
        assert_eq!(sniff(b"<pupil list attached>", "notes.txt"), FileKind::Text);
        assert_eq!(
            sniff(b"<big news> at </ the end", "notes.txt"),
            FileKind::Text
        );
        assert_eq!(
            sniff(b"From: a@b.c\nSubject: x\n\nbody", "fwd"),
            FileKind::Email
        );
    }

    /// Two of the known header names, in any case, before the first blank
    /// line and within 30 lines, after any other lines (a forwarding banner).
    #[test]
    fn forwarded_mail_is_told_by_its_headers() {
        for (text, mail) in [
            (
                &b"---------- Forwarded message ---------\nFROM: a@b.c\ndate: Mon\n\nx"[..],
                true,
            ),
            (b"Received: by x\r\nMIME-Version: 1.0\r\n\r\n", true),
            (b"Message-ID: <1@b>\nTo: c@d.e\n", true),
            (b"Subject: x\n\nFrom: a@b.c\n", false),
            (b"From: a@b.c\nX-Subject: x\nnotes\n", false),
            (b"name,from:,to:\nA,B,C\n", false),
            // No colon anywhere: settled before the lines are walked.
            (b"From Amira\nTo Leo\nSubject none\n", false),
            (b"Name,Date of birth\nAmira Khan,04/02/2010\n", false),
        ] {
            assert_eq!(
                looks_like_message(text),
                mail,
                "{:?}",
                String::from_utf8_lossy(text)
            );
        }
        let late = format!("{}From: a\nTo: b\n", "line\n".repeat(29));
        assert!(!looks_like_message(late.as_bytes()));
        let in_time = format!("{}From: a\nTo: b\n", "line\n".repeat(28));
        assert!(looks_like_message(in_time.as_bytes()));
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

    /// The one-pass folder search keeps the old priority: `word/` anywhere
    /// makes a docx, whatever comes before it; folder names inside longer
    /// names count, as the substring search counted them.
    #[test]
    fn ooxml_folders_in_one_pass() {
        let d = ooxml_dirs(b"PK..xl/workbook.xml..ppt/x..word/document.xml");
        assert!(d.word);
        let d = ooxml_dirs(b"PK..[Content_Types].xml..xl/workbook.xml..docProps/app.xml");
        assert!(d.xl && !d.word && !d.ppt);
        let d = ooxml_dirs(b"PK..keyword/x..");
        assert!(d.word);
        let d = ooxml_dirs(b"PK..class-list.csv..notes/readme.txt");
        assert!(!d.word && !d.xl && !d.ppt);
    }

    #[test]
    fn mismatch_is_reported() {
        assert!(mismatch(FileKind::Pdf, "application/pdf", "a.pdf").is_none());
        assert!(mismatch(FileKind::Pdf, "image/png", "a.pdf").is_some());
        assert!(mismatch(FileKind::Zip, "application/zip", "notes.txt").is_some());
    }

    #[test]
    fn extensions_are_compared_in_lower_case() {
        // Borrowed when already lower case, copied and lowered when not,
        // kept whole when longer than any known extension.
        assert_eq!(sniff(b"name,dob\nA,1\n", "LIST.CSV"), FileKind::Csv);
        assert_eq!(sniff(b"name\tdob\nA\t1\n", "list.Tsv"), FileKind::Tsv);
        assert_eq!(sniff(b"name,dob\nA,1\n", "list.csv"), FileKind::Csv);
        assert!(mismatch(FileKind::Pdf, "application/pdf", "REPORT.PDF").is_none());
        assert_eq!(
            mismatch(FileKind::Pdf, "application/pdf", "report.TXT").as_deref(),
            Some("named .txt, bytes are pdf")
        );
        assert_eq!(
            mismatch(FileKind::Pdf, "application/pdf", "report.Documents").as_deref(),
            Some("named .documents, bytes are pdf")
        );
        assert!(mismatch(FileKind::Pdf, "application/pdf", "report").is_none());
    }
}
