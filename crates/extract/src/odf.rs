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
