//! Unit tests for the PDF reader on hand-built files (fixtures made by real
//! tools are exercised in tests/attachments.rs).

use super::*;
use crate::{extract as run, Limits};
use std::io::Write;

/// A one-page PDF with `content` as its (optionally compressed) content stream.
pub fn build_pdf(content: &[u8], compress: bool, extra_font: &str) -> Vec<u8> {
    let (stream, filter) = if compress {
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(content).unwrap();
        (e.finish().unwrap(), "/Filter /FlateDecode ")
    } else {
        (content.to_vec(), "")
    };
    let mut pdf = b"%PDF-1.4\n".to_vec();
    pdf.extend_from_slice(b"1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n");
    pdf.extend_from_slice(b"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n");
    pdf.extend_from_slice(
        "3 0 obj << /Type /Page /Parent 2 0 R /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >> endobj\n".to_string().as_bytes(),
    );
    pdf.extend_from_slice(
        format!("4 0 obj << {filter}/Length {} >> stream\n", stream.len()).as_bytes(),
    );
    pdf.extend_from_slice(&stream);
    pdf.extend_from_slice(b"\nendstream endobj\n");
    pdf.extend_from_slice(
        format!(
            "5 0 obj << /Type /Font /Subtype /Type1 /BaseFont /Helvetica {extra_font} >> endobj\n"
        )
        .as_bytes(),
    );
    pdf.extend_from_slice(b"trailer << /Root 1 0 R /Size 6 >>\n%%EOF\n");
    pdf
}

fn texts(pdf: &[u8]) -> String {
    let mut b = Budget::new(Limits::default());
    let ex = run("r.pdf", "application/pdf", pdf, &mut b);
    assert!(ex.not_scanned.is_empty(), "{:?}", ex.not_scanned);
    ex.texts.iter().map(|t| t.text.clone()).collect()
}

#[test]
fn tj_and_tj_arrays() {
    let c = b"BT /F1 12 Tf 72 700 Td (Pupil: Amira Khan) Tj 0 -14 Td [(UPN: P8012)-20(00216001)] TJ T* (DOB \\(04/02/2010\\)) Tj ET";
    for compress in [false, true] {
        let t = texts(&build_pdf(c, compress, ""));
        assert!(
            t.contains("Pupil: Amira Khan\nUPN: P801200216001\nDOB (04/02/2010)"),
            "{t:?}"
        );
    }
}

#[test]
fn winansi_and_differences() {
    let c = b"BT /F1 12 Tf (\\243) Tj (\\001\\002) Tj ET";
    let t = texts(&build_pdf(
        c,
        false,
        "/Encoding << /Differences [1 /A /sterling] >>",
    ));
    assert!(t.contains("££") || t.contains("£A£"), "{t:?}");
    assert!(t.contains("A£"), "{t:?}");
}

/// Printable ASCII strings are copied whole only when the font maps them to
/// themselves: a /Differences entry over a letter must still be honoured.
#[test]
fn differences_over_ascii_letters_are_honoured() {
    let c = b"BT /F1 12 Tf (Hello) Tj ET BT /F2 12 Tf (Hello) Tj ET";
    let fonts = "/F2 6 0 R";
    let mut pdf = build_pdf(c, false, "/Encoding << /Differences [72 /J] >>");
    let tail = b"trailer";
    let pos = pdf.windows(tail.len()).rposition(|w| w == tail).unwrap();
    pdf.truncate(pos);
    pdf.extend_from_slice(b"6 0 obj << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> endobj\ntrailer << /Root 1 0 R >>\n");
    let pdf = String::from_utf8_lossy(&pdf).replace("/F1 5 0 R", &format!("/F1 5 0 R {fonts}"));
    let t = texts(pdf.as_bytes());
    assert!(t.contains("Jello"), "{t:?}");
    assert!(t.contains("Hello"), "{t:?}");
}

#[test]
fn type0_with_to_unicode() {
    let cmap = b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap 1 begincodespacerange <0000> <FFFF> endcodespacerange 2 beginbfchar <0001> <004C> <0002> <0065> endbfchar 1 beginbfrange <0003> <0004> <006F> endbfrange endcmap end end";
    let content = b"BT /F1 12 Tf <0001000200030002> Tj ET";
    let mut pdf = b"%PDF-1.5\n".to_vec();
    pdf.extend_from_slice(b"1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [3 0 R] >> endobj\n");
    pdf.extend_from_slice(b"3 0 obj << /Type /Page /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >> endobj\n");
    pdf.extend_from_slice(format!("4 0 obj << /Length {} >> stream\n", content.len()).as_bytes());
    pdf.extend_from_slice(content);
    pdf.extend_from_slice(
        b"\nendstream endobj\n5 0 obj << /Type /Font /Subtype /Type0 /ToUnicode 6 0 R >> endobj\n",
    );
    pdf.extend_from_slice(format!("6 0 obj << /Length {} >> stream\n", cmap.len()).as_bytes());
    pdf.extend_from_slice(cmap);
    pdf.extend_from_slice(b"\nendstream endobj\ntrailer << /Root 1 0 R >>\n");
    assert!(texts(&pdf).contains("Leoe"), "{}", texts(&pdf));
}

#[test]
fn encrypt_dictionary_with_a_user_password_means_encrypted() {
    // /U does not match the empty password: protected.
    let mut pdf = build_pdf(b"BT (x) Tj ET", false, "");
    let tail = b"trailer << /Root 1 0 R /Size 6 >>";
    let pos = pdf.windows(tail.len()).position(|w| w == tail).unwrap();
    pdf.truncate(pos);
    pdf.extend_from_slice(b"7 0 obj << /Filter /Standard /V 2 /R 3 /Length 128 /P -4 /O <00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff> /U <00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff> >> endobj\n");
    pdf.extend_from_slice(
        b"trailer << /Root 1 0 R /Size 8 /Encrypt 7 0 R /ID [<0102> <0102>] >>\n",
    );
    let mut b = Budget::new(Limits::default());
    let ex = run("e.pdf", "", &pdf, &mut b);
    assert_eq!(ex.files[0].encrypted.as_deref(), Some("pdf-rc4-128"));
    assert!(ex.texts.is_empty());
}

#[test]
fn flate_bomb_in_a_content_stream_is_capped() {
    let mut content = b"BT (".to_vec();
    content.extend(std::iter::repeat_n(b'A', 30 * 1024 * 1024));
    content.extend_from_slice(b") Tj ET");
    let pdf = build_pdf(&content, true, "");
    let mut b = Budget::new(Limits::default());
    let ex = run("bomb.pdf", "", &pdf, &mut b);
    assert!(
        ex.not_scanned.iter().any(|n| n.reason.contains("ratio")),
        "{:?}",
        ex.not_scanned
    );
    // At most compressed size × 100 (about 3 MB here), never the 30 MB.
    assert!(b.decompressed <= 4 * 1024 * 1024, "{}", b.decompressed);
}

#[test]
fn garbage_does_not_panic() {
    let mut b = Budget::new(Limits::default());
    for junk in [
        &b"%PDF-1.7\n1 0 obj << /Length 99999999 >> stream\nxx"[..],
        b"%PDF-",
        b"%PDF-1.4 1 0 obj [[[[[[ endobj",
    ] {
        let ex = run("j.pdf", "", junk, &mut b);
        assert!(!ex.not_scanned.is_empty());
    }
}

#[test]
fn unresolvable_encrypt_entry_still_means_encrypted() {
    let pdf =
        b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R/Encrypt 2 0 R>>\n%%EOF\n";
    let mut b = Budget::new(Limits::default());
    let ex = run("r.pdf", "", pdf, &mut b);
    assert_eq!(ex.files[0].encrypted.as_deref(), Some("pdf-encrypted"));
    assert!(ex.not_scanned.is_empty());
}

#[test]
fn keyword_stuffing_costs_little() {
    // Many objects, many `/XRef` and `trailer` strings, streams without
    // `endstream`, no page tree: every lookup must stay cheap.
    let mut pdf = b"%PDF-1.7\n".to_vec();
    for i in 1..20_000 {
        pdf.extend_from_slice(
            format!("{i} 0 obj << /Type /XRef /Length 5 >> stream\nxx /XRef trailer\n").as_bytes(),
        );
    }
    let start = std::time::Instant::now();
    let mut b = Budget::new(Limits::default());
    let ex = run("stuffed.pdf", "", &pdf, &mut b);
    // Well under the 2 s message budget: linear work, not the time cap, bounds it.
    assert!(
        start.elapsed() < std::time::Duration::from_millis(1500),
        "{:?}",
        start.elapsed()
    );
    assert!(!ex.not_scanned.is_empty());
}
