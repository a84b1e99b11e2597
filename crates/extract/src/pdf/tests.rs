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
    // /U does not match the empty password: protected. The content is
    // ciphertext, as in a real protected file (a plain content stream under
    // such a dictionary is read: see fake_encrypt_dictionaries_are_read).
    let cipher: Vec<u8> = (0u32..64)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8 | 0x80)
        .collect();
    let mut pdf = build_pdf(&cipher, false, "");
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

/// Issue 20: `/Encrypt 2 0 R` naming no object describes no security
/// handler, so it is not encryption (it used to count as `pdf-encrypted`
/// and the file went unread). With no text either, the file is reported
/// as not scanned, never passed as encrypted.
#[test]
fn unresolvable_encrypt_entry_is_not_encryption() {
    let pdf =
        b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R/Encrypt 2 0 R>>\n%%EOF\n";
    let mut b = Budget::new(Limits::default());
    let ex = run("r.pdf", "", pdf, &mut b);
    assert_eq!(ex.files[0].encrypted, None);
    assert_eq!(ex.not_scanned.len(), 1, "{:?}", ex.not_scanned);
}

/// Replaces the trailer of a [`build_pdf`] file with `trailer`, adding `objects` before it.
fn with_trailer(mut pdf: Vec<u8>, objects: impl AsRef<[u8]>, trailer: &str) -> Vec<u8> {
    let tail = b"trailer << /Root 1 0 R /Size 6 >>";
    let pos = pdf.windows(tail.len()).position(|w| w == tail).unwrap();
    pdf.truncate(pos);
    pdf.extend_from_slice(objects.as_ref());
    pdf.extend_from_slice(trailer.as_bytes());
    pdf.extend_from_slice(b"\n%%EOF\n");
    pdf
}

#[test]
fn fake_encrypt_dictionaries_are_read() {
    let content = b"BT /F1 12 Tf (NI number QQ 12 34 56 C) Tj ET";
    let cases = [
        // A reference to no object (row 6 of issue 20).
        ("", "trailer << /Root 1 0 R /Size 6 /Encrypt 99 0 R >>"),
        // A dictionary naming no handler's data (no /O, /U).
        (
            "7 0 obj << /Filter /Standard /V 2 /R 3 >> endobj\n",
            "trailer << /Root 1 0 R /Size 8 /Encrypt 7 0 R >>",
        ),
        // An unknown handler over content that is plainly not encrypted.
        (
            "7 0 obj << /Filter /NoSuchHandler /V 1 >> endobj\n",
            "trailer << /Root 1 0 R /Size 8 /Encrypt 7 0 R >>",
        ),
        // A direct dictionary that is not one at all.
        ("", "trailer << /Root 1 0 R /Size 6 /Encrypt 42 >>"),
    ];
    for compress in [false, true] {
        for (objects, trailer) in cases {
            let pdf = with_trailer(build_pdf(content, compress, ""), objects, trailer);
            let mut b = Budget::new(Limits::default());
            let ex = run("fake.pdf", "", &pdf, &mut b);
            assert_eq!(ex.files[0].encrypted, None, "{trailer}");
            let text: String = ex.texts.iter().map(|t| t.text.as_str()).collect();
            assert!(text.contains("QQ 12 34 56 C"), "{trailer}: {text:?}");
        }
    }
}

/// A compressed real-looking handler over compressed ciphertext: the probe
/// does not inflate it, so the file stays encrypted.
#[test]
fn unknown_handler_over_ciphertext_stays_encrypted() {
    let cipher: Vec<u8> = (0u32..4096)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8)
        .collect();
    let mut pdf = build_pdf(&cipher, false, "");
    pdf = String::from_utf8_lossy(&pdf)
        .replace(
            "4 0 obj << /Length",
            "4 0 obj << /Filter /FlateDecode /Length",
        )
        .into_bytes();
    let pdf = with_trailer(
        pdf,
        "7 0 obj << /Filter /Adobe.PubSec /V 4 /SubFilter /adbe.pkcs7.s5 >> endobj\n",
        "trailer << /Root 1 0 R /Size 8 /Encrypt 7 0 R >>",
    );
    let mut b = Budget::new(Limits::default());
    let ex = run("pubsec.pdf", "", &pdf, &mut b);
    assert_eq!(ex.files[0].encrypted.as_deref(), Some("pdf-adobe.pubsec"));
    assert!(ex.texts.is_empty());
}

/// Row 1 of issue 20: form X draws itself 1,000 times. Each form runs once
/// per page, so the text appears once and the scan ends at once.
#[test]
fn self_drawing_form_runs_once_per_page() {
    let mut form = b"BT /F1 12 Tf (QQ 12 34 56 C) Tj ET\n".to_vec();
    for _ in 0..1000 {
        form.extend_from_slice(b"/X Do\n");
    }
    let page = b"/X Do /X Do /X Do";
    let mut pdf = build_pdf(page, false, "");
    pdf = String::from_utf8_lossy(&pdf)
        .replace(
            "/Resources << /Font << /F1 5 0 R >> >>",
            "/Resources << /Font << /F1 5 0 R >> /XObject << /X 6 0 R >> >>",
        )
        .into_bytes();
    let objects = format!(
        "6 0 obj << /Type /XObject /Subtype /Form /Resources << /Font << /F1 5 0 R >> /XObject << /X 6 0 R >> >> /Length {} >> stream\n{}\nendstream endobj\n",
        form.len(),
        String::from_utf8_lossy(&form)
    );
    let pdf = with_trailer(pdf, &objects, "trailer << /Root 1 0 R /Size 7 >>");
    let start = std::time::Instant::now();
    let mut b = Budget::new(Limits::default());
    let ex = run("form.pdf", "", &pdf, &mut b);
    assert!(
        // A wedge guard, not a speed target: the self-drawing form ran for minutes.
        start.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
    assert!(ex.not_scanned.is_empty(), "{:?}", ex.not_scanned);
    let text: String = ex.texts.iter().map(|t| t.text.as_str()).collect();
    assert_eq!(text.matches("QQ 12 34 56 C").count(), 1, "{text:?}");
    // About one charge per token of the page and of the form, once.
    assert!(b.cost < 10_000, "cost {}", b.cost);
}

/// Builds an object stream of `n` index entries, all at offset 0, whose one
/// value is `value`, plus a page that shows text.
fn objstm_pdf(n: usize, value: &[u8]) -> Vec<u8> {
    let mut index = String::new();
    for i in 0..n {
        index.push_str(&format!("{} 0 ", 1000 + i));
    }
    let mut body = index.clone().into_bytes();
    body.extend_from_slice(value);
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(&body).unwrap();
    let z = e.finish().unwrap();
    let mut head = format!(
        "8 0 obj << /Type /ObjStm /N {n} /First {} /Filter /FlateDecode /Length {} >> stream\n",
        index.len(),
        z.len()
    )
    .into_bytes();
    head.extend_from_slice(&z);
    head.extend_from_slice(b"\nendstream endobj\n");
    let pdf = build_pdf(b"BT /F1 12 Tf (QQ 12 34 56 C) Tj ET", false, "");
    with_trailer(pdf, &head, "trailer << /Root 1 0 R /Size 9 >>")
}

/// Row 2 of issue 20: 100,000 index entries all naming one 200 KB string.
/// Parsed once and shared, not copied per entry.
#[test]
fn object_stream_entries_share_one_parse() {
    let mut value = b"(".to_vec();
    value.extend(std::iter::repeat_n(b'A', 200 * 1024));
    value.push(b')');
    let pdf = objstm_pdf(100_000, &value);
    assert!(pdf.len() < 1024 * 1024, "{}", pdf.len());
    let start = std::time::Instant::now();
    let mut b = Budget::new(Limits::default());
    let ex = run("objstm.pdf", "", &pdf, &mut b);
    assert!(
        start.elapsed() < std::time::Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    assert!(ex.not_scanned.is_empty(), "{:?}", ex.not_scanned);
    let text: String = ex.texts.iter().map(|t| t.text.as_str()).collect();
    assert!(text.contains("QQ 12 34 56 C"), "{text:?}");
    // One parse of the string, not 100,000.
    assert!(b.produced < 2 * 1024 * 1024, "produced {}", b.produced);
}

/// Nested strings at successive offsets (`(((...)))`) make every entry a
/// distinct parse of most of the stream: the bytes parsed are charged, and
/// the file is reported when the cap is reached, not silently cut.
#[test]
fn object_stream_parses_are_charged_against_the_produced_cap() {
    let mut value = vec![b'('; 20_000];
    value.extend(std::iter::repeat_n(b')', 20_000));
    let mut index = String::new();
    for i in 0..20_000 {
        index.push_str(&format!("{} {} ", 1000 + i, i));
    }
    let mut body = index.clone().into_bytes();
    body.extend_from_slice(&value);
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(&body).unwrap();
    let z = e.finish().unwrap();
    let mut head = format!(
        "8 0 obj << /Type /ObjStm /N 20000 /First {} /Filter /FlateDecode /Length {} >> stream\n",
        index.len(),
        z.len()
    )
    .into_bytes();
    head.extend_from_slice(&z);
    head.extend_from_slice(b"\nendstream endobj\n");
    let pdf = with_trailer(
        build_pdf(b"BT (x) Tj ET", false, ""),
        &head,
        "trailer << /Root 1 0 R /Size 9 >>",
    );
    let mut b = Budget::new(Limits {
        max_produced_bytes: 1024 * 1024,
        ..Limits::default()
    });
    let ex = run("nested.pdf", "", &pdf, &mut b);
    assert!(b.produced <= 1024 * 1024, "produced {}", b.produced);
    assert!(
        ex.not_scanned
            .iter()
            .any(|n| n.reason.contains("extracted-text limit")),
        "{:?} {:?} produced {}",
        ex.not_scanned,
        ex.files,
        b.produced
    );
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

/// A font given as a direct dictionary is loaded at every `Tf`: its
/// ToUnicode CMap is parsed once (shared by stream number), so 20,000 `Tf`s
/// cost one parse; and the parse is charged, so a small work cap stops it.
#[test]
fn cmap_of_a_direct_font_is_parsed_once_and_charged() {
    let cmap = b"begincmap 1 beginbfrange <0000> <FFFF> <0041> endbfrange endcmap";
    let mut content = b"BT ".to_vec();
    for _ in 0..20_000 {
        content.extend_from_slice(b"/F1 12 Tf (a) Tj ");
    }
    content.extend_from_slice(b"ET");
    let pdf = build_pdf(&content, false, "");
    let pdf = String::from_utf8_lossy(&pdf)
        .replace(
            "/F1 5 0 R",
            "/F1 << /Type /Font /Subtype /Type0 /ToUnicode 6 0 R >>",
        )
        .into_bytes();
    let mut stream = format!("6 0 obj << /Length {} >> stream\n", cmap.len()).into_bytes();
    stream.extend_from_slice(cmap);
    stream.extend_from_slice(b"\nendstream endobj\n");
    let pdf = with_trailer(pdf, stream, "trailer << /Root 1 0 R /Size 7 >>");
    let mut b = Budget::new(Limits::default());
    let start = std::time::Instant::now();
    let ex = run("fonts.pdf", "", &pdf, &mut b);
    // A wedge guard, not a speed target (the machine running CI is shared).
    assert!(start.elapsed() < std::time::Duration::from_secs(5));
    assert!(ex.not_scanned.is_empty(), "{:?}", ex.not_scanned);
    // Code 0x61 through the range <0000>..<FFFF> -> U+0041 + 0x61 = '¢'.
    let text: String = ex.texts.iter().map(|t| t.text.as_str()).collect();
    assert_eq!(text.matches('\u{a2}').count(), 20_000, "{}", text.len());
    // One parse: 65,536 range entries, plus the page's tokens.
    assert!(b.cost < 65_536 + 200_000, "cost {}", b.cost);
    let mut b = Budget::new(Limits {
        max_cost: 10_000,
        ..Limits::default()
    });
    let ex = run("fonts.pdf", "", &pdf, &mut b);
    assert!(
        ex.not_scanned
            .iter()
            .any(|n| n.reason.contains("work limit")),
        "{:?}",
        ex.not_scanned
    );
}

/// One uncompressed stream listed 20,000 times as the page's content: each
/// copy is charged as produced before it is appended.
#[test]
fn content_array_repeating_one_stream_is_charged() {
    let mut content = b"BT (".to_vec();
    content.extend(std::iter::repeat_n(b'x', 64 * 1024));
    content.extend_from_slice(b") Tj ET");
    let pdf = build_pdf(&content, false, "");
    let refs = "4 0 R ".repeat(20_000);
    let pdf = String::from_utf8_lossy(&pdf)
        .replace("/Contents 4 0 R", &format!("/Contents [{refs}]"))
        .into_bytes();
    let mut b = Budget::new(Limits {
        max_produced_bytes: 8 * 1024 * 1024,
        ..Limits::default()
    });
    let ex = run("contents.pdf", "", &pdf, &mut b);
    assert!(b.produced <= 8 * 1024 * 1024);
    assert!(
        ex.not_scanned
            .iter()
            .any(|n| n.reason.contains("extracted-text limit")),
        "{:?}",
        ex.not_scanned
    );
}

/// Adds `objects` and page entries (`/Annots [...]`) to a [`build_pdf`]
/// file, and catalog entries (`/AcroForm ...`).
fn with_page_extra(pdf: Vec<u8>, page_extra: &str, catalog_extra: &str, objects: &str) -> Vec<u8> {
    let pdf = String::from_utf8_lossy(&pdf)
        .replace(
            "/Contents 4 0 R >>",
            &format!("/Contents 4 0 R {page_extra} >>"),
        )
        .replace(
            "/Type /Catalog /Pages 2 0 R",
            &format!("/Type /Catalog /Pages 2 0 R {catalog_extra}"),
        )
        .into_bytes();
    with_trailer(pdf, objects, "trailer << /Root 1 0 R /Size 20 >>")
}

/// Issue 20 (variants of row 1): text a page's annotations carry is read,
/// a comment's /Contents and a widget's appearance stream, and a filled
/// form field's value; an appearance that draws itself runs once.
#[test]
fn annotations_and_form_fields_are_read() {
    let content = b"BT /F1 12 Tf (Admission form) Tj ET";
    let ap = b"BT /F1 10 Tf 2 5 Td (JT 48 22 91 B) Tj ET /A Do /A Do";
    let objects = format!(
        "7 0 obj << /Type /Annot /Subtype /Text /Contents (Note: QQ 12 34 56 C) >> endobj\n\
         8 0 obj << /Subtype /Form /BBox [0 0 9 9] /Resources << /Font << /F1 5 0 R >> /XObject << /A 8 0 R >> >> /Length {} >> stream\n{}\nendstream endobj\n\
         9 0 obj << /Type /Annot /Subtype /Widget /AP << /N 8 0 R >> >> endobj\n\
         10 0 obj << /FT /Tx /T (upn) /V <FEFF0050003800300031> >> endobj\n\
         11 0 obj << /Fields [10 0 R 12 0 R] >> endobj\n\
         12 0 obj << /Kids [12 0 R 10 0 R] >> endobj\n",
        ap.len(),
        String::from_utf8_lossy(ap)
    );
    let pdf = with_page_extra(
        build_pdf(content, false, ""),
        "/Annots [7 0 R 9 0 R 9 0 R]",
        "/AcroForm 11 0 R",
        &objects,
    );
    let t = texts(&pdf);
    assert!(t.contains("Note: QQ 12 34 56 C"), "{t:?}");
    assert_eq!(t.matches("JT 48 22 91 B").count(), 1, "{t:?}");
    assert_eq!(t.matches("upn: P801").count(), 1, "{t:?}");
}

/// A made-up /Encrypt over a file whose first page is a picture: the probe
/// reads on to a page that shows text, so the file is read, not taken for
/// encrypted.
#[test]
fn fake_encrypt_with_a_picture_for_a_cover_is_read() {
    let pdf = build_pdf(b"BT /F1 12 Tf (NI QQ 12 34 56 C) Tj ET", false, "");
    let pdf = String::from_utf8_lossy(&pdf)
        .replace("/Kids [3 0 R] /Count 1", "/Kids [13 0 R 3 0 R] /Count 2")
        .into_bytes();
    let cover = b"q 600 0 0 800 0 0 cm /Im1 Do Q";
    let objects = format!(
        "13 0 obj << /Type /Page /Parent 2 0 R /Resources << >> /Contents 14 0 R >> endobj\n\
         14 0 obj << /Length {} >> stream\n{}\nendstream endobj\n\
         7 0 obj << /Filter /Standard /V 2 /R 3 /O <0011> /U <0011> /P -4 >> endobj\n",
        cover.len(),
        String::from_utf8_lossy(cover)
    );
    let pdf = with_trailer(
        pdf,
        objects,
        "trailer << /Root 1 0 R /Size 20 /Encrypt 7 0 R >>",
    );
    let mut b = Budget::new(Limits::default());
    let ex = run("fake.pdf", "", &pdf, &mut b);
    assert_eq!(ex.files[0].encrypted, None);
    let text: String = ex.texts.iter().map(|t| t.text.as_str()).collect();
    assert!(text.contains("QQ 12 34 56 C"), "{text:?}");
}

/// Content in a filter this reader does not decode, or no page that can be
/// read, is not an image-only file: it is reported as could not be read
/// (never the "no extractable text" of a scanned letter). LZW, which it
/// does decode, is read.
#[test]
fn undecodable_content_is_reported_not_taken_for_a_picture() {
    let content = b"BT /F1 12 Tf (NI QQ 12 34 56 C) Tj ET";
    let lzw = weezl::encode::Encoder::with_tiff_size_switch(weezl::BitOrder::Msb, 8)
        .encode(content)
        .unwrap();
    let pdf = build_pdf(&lzw, false, "");
    // Binary stream data: spliced as bytes, not through a lossy string.
    let at = pdf
        .windows(18)
        .position(|w| w == b"4 0 obj << /Length")
        .unwrap()
        + 11;
    let pdf = [&pdf[..at], b"/Filter /LZWDecode ", &pdf[at..]].concat();
    assert!(texts(&pdf).contains("QQ 12 34 56 C"));

    let pdf = String::from_utf8_lossy(&build_pdf(content, false, ""))
        .replace(
            "4 0 obj << /Length",
            "4 0 obj << /Filter /JBIG2Decode /Length",
        )
        .into_bytes();
    let mut b = Budget::new(Limits::default());
    let ex = run("odd.pdf", "", &pdf, &mut b);
    assert_eq!(ex.not_scanned.len(), 1, "{:?}", ex.not_scanned);
    assert!(ex.not_scanned[0]
        .reason
        .starts_with("pdf content could not be read"));
    assert!(ex.not_scanned[0].document);

    // An empty page tree is an empty document (the scanned-letter negative
    // of tests/eval.rs is built so): nothing unread.
    let empty = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n";
    let mut b = Budget::new(Limits::default());
    let ex = run("scan.pdf", "", empty, &mut b);
    assert_eq!(ex.not_scanned.len(), 1, "{:?}", ex.not_scanned);
    assert!(ex.not_scanned[0]
        .reason
        .starts_with("pdf has no extractable text"));

    // A page object too deeply nested to parse: no page at all.
    let deep = format!("{}{}", "<< /A ".repeat(5000), ">>".repeat(5000));
    let pdf = String::from_utf8_lossy(&build_pdf(content, false, ""))
        .replace("/Resources <<", &format!("/Resources << /X {deep}"))
        .into_bytes();
    let mut b = Budget::new(Limits::default());
    let ex = run("deep.pdf", "", &pdf, &mut b);
    assert!(
        ex.not_scanned
            .iter()
            .any(|n| n.reason.contains("no readable page") && n.document),
        "{:?}",
        ex.not_scanned
    );
}
