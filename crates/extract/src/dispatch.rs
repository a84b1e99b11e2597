//! The dispatcher: sniff a file's type from its bytes, record it, apply the
//! depth and file-count caps, and hand the bytes to the one format module
//! that reads that type. Container formats come back here for their members
//! through [`extract_into`].

use super::budget::{Budget, MESSAGE_FILES_FACTOR};
use super::decode::{decode_text, decode_text_cow};
use super::error::ExtractError;
use super::report::{push_text, Extraction, FileReport, NotScanned, MAX_REPORTED};
use super::sniff::{self, sniff, FileKind};
use super::{gzip, mail, odf, ole, ooxml, pdf, rar, rtf, sevenz, table, tnef, zipfile};
use crate::TextKind;

/// Extracts text from one attachment and decides whether it is encrypted.
pub fn extract(name: &str, declared_type: &str, data: &[u8], budget: &mut Budget) -> Extraction {
    let mut out = Extraction::default();
    extract_into(name, declared_type, data, budget, 0, &mut out);
    let (files, skipped, document) = out.suppressed;
    if files + skipped > 0 {
        out.not_scanned.push(NotScanned {
            location: format!("attachment:{name}"),
            reason: format!(
                "{files} more files and {skipped} more unreadable files not listed (report capped at {MAX_REPORTED})"
            ),
            document: document || skipped > 0,
        });
    }
    out
}

/// Extracts `data` (at `path`, `depth` levels down) into `out`. Extractors
/// for container formats call this for their members.
pub fn extract_into(
    path: &str,
    declared_type: &str,
    data: &[u8],
    budget: &mut Budget,
    depth: usize,
    out: &mut Extraction,
) {
    extract_kind_into(
        sniff(data, path),
        path,
        declared_type,
        data,
        budget,
        depth,
        out,
    );
}

/// [`extract`] with the type forced instead of sniffed: the entry the fuzz
/// targets use to drive one format's reader with any bytes (sniffing would
/// send most mutated inputs to the plain-text reader). Not for mail: a real
/// attachment's type is always decided from its bytes.
#[doc(hidden)]
pub fn extract_as(kind: FileKind, name: &str, data: &[u8], budget: &mut Budget) -> Extraction {
    let mut out = Extraction::default();
    extract_kind_into(
        kind,
        name,
        "application/octet-stream",
        data,
        budget,
        0,
        &mut out,
    );
    out
}

/// [`extract_into`] once the type is known.
fn extract_kind_into(
    kind: FileKind,
    path: &str,
    declared_type: &str,
    data: &[u8],
    budget: &mut Budget,
    depth: usize,
    out: &mut Extraction,
) {
    budget.files = budget.files.saturating_add(1);
    let max_files = budget
        .limits
        .max_entries
        .saturating_mul(MESSAGE_FILES_FACTOR);
    if depth > 0 && budget.files > max_files {
        if !out.files_capped {
            out.files_capped = true;
            out.skip(
                path,
                format!("more than {max_files} files in the message: the rest were not scanned"),
                true,
            );
        } else {
            out.suppressed.1 += 1;
        }
        return;
    }
    let mismatch = sniff::mismatch(kind, declared_type, path);
    let file_index = if out.files.len() < MAX_REPORTED {
        out.files.push(FileReport {
            path: path.to_string(),
            sniffed: kind.as_str(),
            declared: declared_type.to_string(),
            encrypted: None,
            type_mismatch: mismatch,
        });
        out.files.len() - 1
    } else {
        out.suppressed.0 += 1;
        usize::MAX
    };
    if depth > budget.limits.max_depth {
        // Not read at all: a forwarded message or a CSV as much as a
        // document could not be checked (issue 20: seven forwards deep was
        // reported as a non-document, and accepted).
        out.skip(
            path,
            format!("nested deeper than {} levels", budget.limits.max_depth),
            kind.carries_text(),
        );
        return;
    }
    // A nested file's time is checked by its container, just before the
    // container reads it (ZIP and tar loops, gzip's inflate, a forwarded
    // message's attachments): checking again here read the clock twice per
    // member, a cost the size of a small member's whole CSV parse.
    if depth == 0 && budget.out_of_time() {
        out.skip(path, ExtractError::Time.to_string(), kind.carries_text());
        return;
    }
    match kind {
        FileKind::Text => push_text(out, path, TextKind::Attachment, decode_text(data), budget),
        FileKind::Csv | FileKind::Tsv => {
            let delimiter = if kind == FileKind::Csv { b',' } else { b'\t' };
            let (text, cut) = table::csv_to_table(data, delimiter);
            if cut {
                out.skip(path, table::CUT_REASON, false);
            }
            push_text(out, path, TextKind::Table, text, budget);
        }
        FileKind::Html => push_text(
            out,
            path,
            TextKind::Attachment,
            crate::html::html_to_text(&decode_text_cow(data)),
            budget,
        ),
        FileKind::Email => mail::extract_message(path, data, budget, depth, out, file_index),
        FileKind::Pgp => set_encrypted(out, file_index, "pgp"),
        FileKind::Smime => set_encrypted(out, file_index, "smime"),
        FileKind::Image | FileKind::Binary => {}
        other => {
            let result = match other {
                FileKind::Zip => zipfile::extract(path, data, budget, depth, out, file_index),
                FileKind::Docx | FileKind::Xlsx | FileKind::Pptx => {
                    ooxml::extract(other, path, data, budget, out)
                }
                FileKind::Odt | FileKind::Ods | FileKind::Odp => {
                    odf::extract(path, data, budget, out, file_index)
                }
                FileKind::Ole => ole::extract(path, data, budget, out, file_index),
                FileKind::Pdf => pdf::extract(path, data, budget, out, file_index),
                FileKind::Rtf => rtf::extract(path, data, budget, out),
                FileKind::SevenZip => sevenz::extract(path, data, budget, depth, out, file_index),
                FileKind::Rar => rar::extract(data, out, file_index),
                FileKind::Gzip | FileKind::Bzip2 | FileKind::Xz | FileKind::Zstd => {
                    gzip::extract(other, path, data, budget, depth, out)
                }
                FileKind::Tar => {
                    gzip::tar(path, data, budget, depth + 1, out);
                    Ok(())
                }
                FileKind::Tnef => tnef::extract(path, data, budget, depth, out),
                _ => Ok(()),
            };
            if let Err(err) = result {
                out.skip(path, err.to_string(), other.is_document());
            }
        }
    }
}

pub(super) fn set_encrypted(out: &mut Extraction, file_index: usize, kind: &str) {
    if let Some(f) = out.files.get_mut(file_index) {
        f.encrypted = Some(kind.to_string());
    }
}

/// `outer/inner`, the path of a file inside another. Built by hand: it runs
/// for every archive member, and `format!` costs several times a copy.
pub(crate) fn inner_path(outer: &str, inner: &str) -> String {
    let mut p = String::with_capacity(outer.len() + 1 + inner.len());
    p.push_str(outer);
    p.push('/');
    p.push_str(inner);
    p
}

#[cfg(test)]
mod tests {
    use crate::{extract, Budget, Limits, TextKind};

    fn utf16le(s: &str, bom: bool) -> Vec<u8> {
        let mut v = if bom { vec![0xFF, 0xFE] } else { vec![] };
        v.extend(s.encode_utf16().flat_map(u16::to_le_bytes));
        v
    }

    /// A CSV longer than the table caps is reported, not silently cut (with
    /// quotes and without: the two parsing paths stop differently); one
    /// just within them is not.
    #[test]
    fn a_csv_past_the_table_caps_is_reported() {
        for quoted in [false, true] {
            for rows in [crate::table::MAX_ROWS, crate::table::MAX_ROWS + 10] {
                // Short rows: the row cap is in the millions.
                let row = if quoted { "\"P, 1\",A1\n" } else { "P 1,A1\n" };
                let csv = format!("name,upn\n{}", row.repeat(rows - 1));
                let mut b = Budget::new(Limits::default());
                let ex = extract("mis.csv", "text/csv", csv.as_bytes(), &mut b);
                let cut = ex
                    .not_scanned
                    .iter()
                    .any(|n| n.reason == crate::table::CUT_REASON);
                assert_eq!(cut, rows > crate::table::MAX_ROWS, "{quoted} {rows}");
            }
        }
    }

    /// A forwarded message (or any text) past the depth cap is reported as
    /// could-not-be-checked, like a document; an image there is not.
    #[test]
    fn depth_capped_text_is_reported_as_unchecked() {
        let limits = Limits {
            max_depth: 0,
            ..Limits::default()
        };
        for (name, data, unchecked) in [
            (
                "fwd.eml",
                &b"From: a@b.example\r\nSubject: x\r\n\r\nbody\r\n"[..],
                true,
            ),
            ("list.csv", b"name,upn\nA,B\n", true),
            ("logo.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", false),
        ] {
            let mut out = crate::Extraction::default();
            let mut b = Budget::new(limits);
            super::extract_into(name, "", data, &mut b, 1, &mut out);
            assert_eq!(out.not_scanned.len(), 1, "{name}");
            assert_eq!(out.not_scanned[0].document, unchecked, "{name}");
        }
    }

    /// Issue 20 item 3: UTF-16 text files with a byte-order mark (Notepad's
    /// "Unicode", Excel's "Unicode Text" export) are read as text, tables
    /// included, never passed over as binary for their NUL bytes.
    #[test]
    fn utf16_text_files_with_a_bom_are_read() {
        let mut b = Budget::new(Limits::default());
        let note = utf16le("Pupil: Zoë Njoku\r\nNI number JT 48 22 91 B\r\n", true);
        let ex = extract("note.txt", "text/plain", &note, &mut b);
        assert_eq!(ex.files[0].sniffed, "text", "{:?}", ex.files);
        assert!(ex.texts[0]
            .text
            .contains("Zoë Njoku\r\nNI number JT 48 22 91 B"));
        let export = utf16le("Name\tNI number\r\nZoë Njoku\tJT 48 22 91 B\r\n", true);
        let ex = extract("export.txt", "text/plain", &export, &mut b);
        assert!(ex.not_scanned.is_empty(), "{:?}", ex.not_scanned);
        let t = &ex.texts[0];
        assert!(t.text.contains("JT 48 22 91 B"), "{:?}", t.text);
        // Big-endian too.
        let mut be = vec![0xFE, 0xFF];
        be.extend("NI JT 48 22 91 B".encode_utf16().flat_map(u16::to_be_bytes));
        let ex = extract("be.txt", "", &be, &mut b);
        assert_eq!(ex.texts[0].text, "NI JT 48 22 91 B");
        assert!(matches!(
            ex.texts[0].kind,
            TextKind::Attachment | TextKind::Table
        ));
    }
}
