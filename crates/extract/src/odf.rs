//! OpenDocument (.odt, .ods, .odp): `content.xml` inside a ZIP. Password
//! protection does NOT set the ZIP encryption bit: the parts are encrypted
//! individually and declared in `META-INF/manifest.xml` with
//! `<manifest:encryption-data>`, which is what decides "encrypted" here.

use super::error::{ExtractError, Result};
use super::table::rows_to_text;
use super::xml_text::{flow, FlowSpec};
use super::zipfile::Archive;
use super::{push_text, Budget, Extraction};
use crate::TextKind;

const ODF: FlowSpec = FlowSpec {
    text_in: &[],
    para: &[b"p", b"h"],
    tab: &[b"tab"],
    brk: &[b"line-break"],
    space: &[b"s"],
    table: b"table",
    row: b"table-row",
    cells: &[b"table-cell", b"covered-table-cell"],
    skip: &[b"automatic-styles", b"font-face-decls", b"scripts"],
    opaque: &[],
    run: None,
};

/// Encryption kind from the manifest, if any part is encrypted.
fn manifest_encryption(manifest: &[u8]) -> Option<String> {
    memchr::memmem::find(manifest, b"encryption-data")?;
    let algo = memchr::memmem::find(manifest, b"algorithm-name=\"")
        .and_then(|p| {
            let rest = manifest.get(p + 16..)?;
            let end = memchr::memchr(b'"', rest)?;
            rest.get(..end)
        })
        .map(|a| String::from_utf8_lossy(a).to_ascii_lowercase())
        .unwrap_or_default();
    Some(
        if algo.contains("aes256") {
            "odf-aes256"
        } else if algo.contains("blowfish") {
            "odf-blowfish"
        } else {
            "odf-encrypted"
        }
        .to_string(),
    )
}

pub fn extract(
    path: &str,
    data: &[u8],
    budget: &mut Budget,
    out: &mut Extraction,
    file_index: usize,
) -> Result<()> {
    let mut archive = Archive::open(data, budget)?;
    if let Some(i) = archive.find("META-INF/manifest.xml") {
        let manifest = archive.read(i, budget)?;
        if let Some(kind) = manifest_encryption(&manifest) {
            if let Some(f) = out.files.get_mut(file_index) {
                f.encrypted = Some(kind);
            }
            return Ok(());
        }
    }
    let i = archive
        .find("content.xml")
        .ok_or_else(|| ExtractError::corrupt("odf", "no content.xml"))?;
    let xml = archive.read(i, budget)?;
    let max = budget.limits.max_text_chars;
    let f = flow(&xml, &ODF, budget, max)?;
    for t in &f.tables {
        push_text(out, path, TextKind::Table, rows_to_text(t), budget);
    }
    push_text(out, path, TextKind::Attachment, f.text, budget);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zipfile::tests::build;
    use crate::{extract as run, Limits};

    const MIME: &[u8] = b"application/vnd.oasis.opendocument.spreadsheet";

    #[test]
    fn ods_rows_with_repeats() {
        let content = br#"<office:document-content xmlns:office="o" xmlns:table="t" xmlns:text="x"><office:body><office:spreadsheet>
<table:table table:name="Sheet1">
<table:table-row><table:table-cell><text:p>Name</text:p></table:table-cell><table:table-cell table:number-columns-repeated="2"/><table:table-cell><text:p>UPN</text:p></table:table-cell></table:table-row>
<table:table-row><table:table-cell><text:p>Grace Oduya</text:p></table:table-cell><table:table-cell table:number-columns-repeated="2"/><table:table-cell><text:p>T801200216003</text:p></table:table-cell><table:table-cell table:number-columns-repeated="16000"/></table:table-row>
<table:table-row table:number-rows-repeated="1048000"><table:table-cell table:number-columns-repeated="1024"/></table:table-row>
</table:table></office:spreadsheet></office:body></office:document-content>"#;
        let z = build(&[("mimetype", MIME), ("content.xml", content)]);
        let mut b = Budget::new(Limits::default());
        let ex = run("list.ods", "", &z, &mut b);
        assert_eq!(ex.texts[0].kind, TextKind::Table);
        assert_eq!(ex.texts[0].text, "Name: Grace Oduya | UPN: T801200216003\n");
    }

    /// Row 4 of issue 20: rows and cells repeated on every row of a small
    /// .ods. Each copy is charged before it is made: the file is reported
    /// when the produced-bytes cap is reached, and memory stays bounded.
    #[test]
    fn repeated_rows_and_cells_are_charged_before_they_are_copied() {
        // Rows differ (pseudo-random letters), so the part passes the
        // compression-ratio cap as the reported 640 KB file did.
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        let mut rows = String::new();
        for _ in 0..2_000 {
            let noise: String = (0..300)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    char::from(b'a' + (seed % 26) as u8)
                })
                .collect();
            rows.push_str(&format!(
                r#"<table:table-row table:number-rows-repeated="1000"><table:table-cell table:number-columns-repeated="1000"><text:p>QQ 12 34 56 C {noise}</text:p></table:table-cell></table:table-row>"#
            ));
        }
        let content = format!(
            r#"<office:document-content xmlns:office="o" xmlns:table="t" xmlns:text="x"><office:body><office:spreadsheet><table:table table:name="S">{rows}</table:table></office:spreadsheet></office:body></office:document-content>"#
        );
        let z = build(&[("mimetype", MIME), ("content.xml", content.as_bytes())]);
        assert!(z.len() < 700 * 1024, "{}", z.len());
        let mut b = Budget::new(Limits {
            max_produced_bytes: 32 * 1024 * 1024,
            ..Limits::default()
        });
        let start = std::time::Instant::now();
        let ex = run("bomb.ods", "", &z, &mut b);
        assert!(start.elapsed() < std::time::Duration::from_secs(2));
        assert!(b.produced <= 32 * 1024 * 1024, "{}", b.produced);
        assert!(
            ex.not_scanned
                .iter()
                .any(|n| n.reason.contains("extracted-text limit")),
            "{:?}",
            ex.not_scanned
        );
    }

    /// Empty repeated cells produce nothing: a sheet padded to a million
    /// rows by a writer reads its one real row, within budget.
    #[test]
    fn empty_repeats_produce_nothing() {
        let mut content = String::from(
            r#"<office:document-content xmlns:office="o" xmlns:table="t" xmlns:text="x"><office:body><office:spreadsheet><table:table table:name="S">
<table:table-row><table:table-cell><text:p>NI</text:p></table:table-cell></table:table-row>
<table:table-row><table:table-cell><text:p>QQ123456C</text:p></table:table-cell></table:table-row>"#,
        );
        for _ in 0..5_000 {
            content.push_str(r#"<table:table-row table:number-rows-repeated="1048576"><table:table-cell table:number-columns-repeated="16384"/></table:table-row>"#);
        }
        content.push_str(
            "</table:table></office:spreadsheet></office:body></office:document-content>",
        );
        let z = build(&[("mimetype", MIME), ("content.xml", content.as_bytes())]);
        let mut b = Budget::new(Limits::default());
        let ex = run("padded.ods", "", &z, &mut b);
        assert!(ex.not_scanned.is_empty(), "{:?}", ex.not_scanned);
        assert_eq!(ex.texts[0].text, "NI: QQ123456C\n");
        assert!(b.produced < 1024, "{}", b.produced);
    }

    /// Cell comments (office:annotation) travel with the sheet and are read
    /// with their cell; the comment's author and date are not.
    #[test]
    fn ods_cell_comments_are_read() {
        let content = br#"<office:document-content xmlns:office="o" xmlns:table="t" xmlns:text="x" xmlns:dc="d"><office:body><office:spreadsheet>
<table:table table:name="Sheet1">
<table:table-row><table:table-cell><text:p>Name</text:p></table:table-cell><table:table-cell><text:p>Note</text:p></table:table-cell></table:table-row>
<table:table-row><table:table-cell><text:p>Grace Oduya</text:p></table:table-cell><table:table-cell><office:annotation><dc:creator>Mr Okafor</dc:creator><dc:date>2026-01-05T10:00:00</dc:date><text:p>NI number JT 48 22 91 B</text:p></office:annotation><text:p>see comment</text:p></table:table-cell></table:table-row>
</table:table></office:spreadsheet></office:body></office:document-content>"#;
        let z = build(&[("mimetype", MIME), ("content.xml", content)]);
        let mut b = Budget::new(Limits::default());
        let ex = run("list.ods", "", &z, &mut b);
        assert!(ex.not_scanned.is_empty(), "{:?}", ex.not_scanned);
        let all: String = ex.texts.iter().map(|t| t.text.as_str()).collect();
        assert!(all.contains("JT 48 22 91 B"), "{all:?}");
    }

    #[test]
    fn manifest_encryption_data_means_encrypted() {
        let manifest = br#"<manifest:manifest><manifest:file-entry manifest:full-path="content.xml"><manifest:encryption-data manifest:checksum-type="SHA1/1K"><manifest:algorithm manifest:algorithm-name="http://www.w3.org/2001/04/xmlenc#aes256-cbc"/></manifest:encryption-data></manifest:file-entry></manifest:manifest>"#;
        let z = build(&[
            ("mimetype", MIME),
            ("META-INF/manifest.xml", manifest),
            ("content.xml", b"\x01\x02 binary"),
        ]);
        let mut b = Budget::new(Limits::default());
        let ex = run("list.ods", "", &z, &mut b);
        assert_eq!(ex.files[0].encrypted.as_deref(), Some("odf-aes256"));
        assert!(ex.texts.is_empty() && ex.not_scanned.is_empty());
    }
}
