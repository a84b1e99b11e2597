//! Attachment extraction throughput, in MB/s (10^6 bytes) of attachment bytes (what
//! arrives on the wire, compressed), per format: generated documents of
//! realistic size and content, plus the small files made by real tools in
//! fixtures/attachments. `cargo bench --bench attachments`.
//! Targets (docs/attachments.md): ≥ 100 MB/s per core for zip/OOXML, ≥ 30 MB/s for PDF.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use dlp_milter::extract::{extract, Budget, Limits};
use std::io::{Cursor, Write};
use zip::write::SimpleFileOptions;

const GIVEN: &[&str] = &[
    "Amira", "Leo", "Grace", "Tomasz", "Oliver", "Isla", "Noah", "Ava", "Mohammed", "Freya",
    "Harry", "Zara",
];
const FAMILY: &[&str] = &[
    "Khan", "Walsh", "Oduya", "Nowak", "Smith", "Jones", "Patel", "Brown", "Taylor", "Ahmed",
    "Wilson", "Evans",
];
const WORDS: &[&str] = &[
    "progress",
    "reading",
    "writing",
    "maths",
    "confident",
    "needs",
    "support",
    "with",
    "fractions",
    "has",
    "made",
    "good",
    "this",
    "term",
    "homework",
    "attendance",
    "is",
    "excellent",
    "target",
    "next",
    "steps",
    "phonics",
    "spelling",
    "science",
    "topic",
    "behaviour",
    "positive",
];

/// Deterministic pseudo-random numbers, so every run benches the same bytes.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as usize
    }
    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.next() % from.len()]
    }
}

fn row(r: &mut Rng) -> [String; 5] {
    [
        format!("{} {}", r.pick(GIVEN), r.pick(FAMILY)),
        format!(
            "{:02}/{:02}/20{:02}",
            1 + r.next() % 28,
            1 + r.next() % 12,
            10 + r.next() % 8
        ),
        format!("P8012002{:05}", r.next() % 100_000),
        format!("{}", 40 + r.next() % 60),
        (0..8).map(|_| r.pick(WORDS)).collect::<Vec<_>>().join(" "),
    ]
}

fn zip_of(parts: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in parts {
        w.start_file(*name, opts).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// Incompressible bytes standing in for a photo or logo (already-compressed media).
fn media(len: usize) -> Vec<u8> {
    let mut r = Rng(23);
    (0..len).map(|_| r.next() as u8).collect()
}

fn docx(paragraphs: usize) -> Vec<u8> {
    docx_with_media(paragraphs, 0)
}

fn docx_with_media(paragraphs: usize, media_len: usize) -> Vec<u8> {
    let mut r = Rng(7);
    let mut xml = String::from(
        r#"<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>"#,
    );
    for _ in 0..paragraphs {
        let [name, dob, upn, score, words] = row(&mut r);
        xml.push_str(&format!(
            r#"<w:p><w:pPr><w:pStyle w:val="Normal"/></w:pPr><w:r><w:rPr><w:b/></w:rPr><w:t>{name}</w:t></w:r><w:r><w:t xml:space="preserve"> (born {dob}, UPN {upn}) scored {score}: {words}.</w:t></w:r></w:p>"#
        ));
    }
    xml.push_str("</w:body></w:document>");
    let mut parts = vec![
        ("[Content_Types].xml", b"<Types/>".to_vec()),
        ("word/document.xml", xml.into_bytes()),
    ];
    if media_len > 0 {
        parts.push(("word/media/image1.jpeg", media(media_len)));
    }
    zip_of(&parts)
}

fn xlsx(rows: usize) -> Vec<u8> {
    let mut r = Rng(11);
    let mut shared: Vec<String> = vec![
        "Name".into(),
        "Date of birth".into(),
        "UPN".into(),
        "Score".into(),
        "Comment".into(),
    ];
    let mut sheet = String::from(
        r#"<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">"#,
    );
    for (i, c) in ["A", "B", "C", "D", "E"].iter().enumerate() {
        sheet.push_str(&format!(r#"<c r="{c}1" t="s"><v>{i}</v></c>"#));
    }
    sheet.push_str("</row>");
    for n in 2..rows + 2 {
        let [name, dob, upn, score, words] = row(&mut r);
        sheet.push_str(&format!(r#"<row r="{n}">"#));
        // Cells in column order, as Excel, LibreOffice and openpyxl write
        // them (this generator wrote column D after E).
        for (c, v) in [
            ("A", name),
            ("B", dob),
            ("C", upn),
            ("D", score),
            ("E", words),
        ] {
            if c == "D" {
                sheet.push_str(&format!(r#"<c r="D{n}"><v>{v}</v></c>"#));
                continue;
            }
            shared.push(v);
            sheet.push_str(&format!(
                r#"<c r="{c}{n}" t="s"><v>{}</v></c>"#,
                shared.len() - 1
            ));
        }
        sheet.push_str("</row>");
    }
    sheet.push_str("</sheetData></worksheet>");
    let mut sst = String::from(
        r#"<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">"#,
    );
    for s in &shared {
        sst.push_str(&format!("<si><t>{s}</t></si>"));
    }
    sst.push_str("</sst>");
    zip_of(&[
        ("xl/workbook.xml", b"<workbook/>".to_vec()),
        ("xl/sharedStrings.xml", sst.into_bytes()),
        ("xl/worksheets/sheet1.xml", sheet.into_bytes()),
    ])
}

fn csv_zip(files: usize, rows: usize) -> Vec<u8> {
    let mut r = Rng(13);
    let parts: Vec<(String, Vec<u8>)> = (0..files)
        .map(|i| {
            let mut csv = String::from("Name,Date of birth,UPN,Score,Comment\n");
            for _ in 0..rows {
                csv.push_str(&row(&mut r).join(","));
                csv.push('\n');
            }
            (format!("class-{i}.csv"), csv.into_bytes())
        })
        .collect();
    let refs: Vec<(&str, Vec<u8>)> = parts.iter().map(|(n, d)| (n.as_str(), d.clone())).collect();
    zip_of(&refs)
}

/// A PDF of `pages` pages, each a FlateDecode content stream of 45 text lines
/// (Helvetica, WinAnsi), the way report generators write them.
fn pdf(pages: usize) -> Vec<u8> {
    let mut r = Rng(17);
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut kids = String::new();
    let first_page = 4;
    for p in 0..pages {
        kids.push_str(&format!("{} 0 R ", first_page + 2 * p));
    }
    out.extend_from_slice(b"1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n");
    out.extend_from_slice(
        format!("2 0 obj << /Type /Pages /Kids [{kids}] /Count {pages} >> endobj\n").as_bytes(),
    );
    out.extend_from_slice(b"3 0 obj << /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >> endobj\n");
    for p in 0..pages {
        let mut content = String::from("BT /F1 10 Tf 50 800 Td 12 TL\n");
        for _ in 0..45 {
            let [name, dob, upn, score, words] = row(&mut r);
            content.push_str(&format!(
                "[({name}) -250 ({dob}) -250 ({upn}) -250 ({score})] TJ T* ({words}) ' \n"
            ));
        }
        content.push_str("ET\n");
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(content.as_bytes()).unwrap();
        let data = e.finish().unwrap();
        let page = first_page + 2 * p;
        out.extend_from_slice(
            format!("{page} 0 obj << /Type /Page /Parent 2 0 R /Resources << /Font << /F1 3 0 R >> >> /Contents {} 0 R >> endobj\n", page + 1).as_bytes(),
        );
        out.extend_from_slice(
            format!(
                "{} 0 obj << /Length {} /Filter /FlateDecode >> stream\n",
                page + 1,
                data.len()
            )
            .as_bytes(),
        );
        out.extend_from_slice(&data);
        out.extend_from_slice(b"\nendstream endobj\n");
    }
    out.extend_from_slice(b"trailer << /Root 1 0 R >>\n%%EOF\n");
    out
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/fixtures/attachments/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn bench(c: &mut Criterion) {
    let cases: Vec<(&str, &str, Vec<u8>)> = vec![
        ("docx-generated", "report.docx", docx(6000)),
        (
            "docx-report-with-photo",
            "report.docx",
            docx_with_media(400, 400 * 1024),
        ),
        ("xlsx-generated", "list.xlsx", xlsx(8000)),
        ("zip-of-csv-generated", "lists.zip", csv_zip(8, 3000)),
        ("pdf-generated", "report.pdf", pdf(60)),
        (
            "docx-libreoffice",
            "pupil-report.docx",
            fixture("pupil-report.docx"),
        ),
        (
            "xlsx-libreoffice",
            "class-list.xlsx",
            fixture("class-list.xlsx"),
        ),
        (
            "pdf-libreoffice",
            "pupil-report.pdf",
            fixture("pupil-report.pdf"),
        ),
        ("zip-plain", "plain.zip", fixture("plain.zip")),
    ];
    // DLP_BENCH_DUMP=DIR writes each case to DIR/ID-NAME, for profiling one
    // with examples/extract_loop.rs.
    if let Some(dir) = std::env::var_os("DLP_BENCH_DUMP") {
        for (id, name, data) in &cases {
            std::fs::write(
                std::path::Path::new(&dir).join(format!("{id}-{name}")),
                data,
            )
            .unwrap();
        }
    }
    let mut g = c.benchmark_group("attachments");
    for (id, name, data) in &cases {
        // Sanity: the bench measures real extraction, not an early error.
        let mut b = Budget::new(Limits::default());
        let ex = extract(name, "application/octet-stream", data, &mut b);
        assert!(
            ex.not_scanned.is_empty() && !ex.texts.is_empty(),
            "{id}: {:?}",
            ex.not_scanned
        );
        eprintln!(
            "{id}: {} bytes, {} decompressed",
            data.len(),
            b.decompressed
        );
        // Decimal MB/s, the unit of the targets.
        g.throughput(Throughput::BytesDecimal(data.len() as u64));
        g.bench_function(*id, |bch| {
            bch.iter(|| {
                let mut b = Budget::new(Limits::default());
                black_box(extract(
                    name,
                    "application/octet-stream",
                    black_box(data),
                    &mut b,
                ))
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
