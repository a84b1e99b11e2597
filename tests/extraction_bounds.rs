//! Issue 20's table, row by row, through `dlp-milter scan` as an admin runs
//! it: each hostile file is generated here (small), mailed as an attachment
//! with CRLF line ends, and scanned in a child process limited to 2 GiB of
//! address space (`prlimit --as`). Every scan must answer within 5 s with a
//! verdict: the identifier found where the text can be read, the file
//! reported in `not_scanned` where a cap stopped it, never a silent accept.

use base64::Engine;
use std::io::{Cursor, Write};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// A valid-format NI number the shipped detector finds (fixtures use it).
const NI: &str = "NI number JT 48 22 91 B for Priya Shah";
/// Address space the scan may use: the issue's 2 GB.
const AS_LIMIT: &str = "--as=2147483648";

/// `data` as the one attachment of a message, CRLF throughout.
fn message(name: &str, content_type: &str, data: &[u8]) -> Vec<u8> {
    let b64 = base64::engine::general_purpose::STANDARD.encode(data);
    let mut m = format!(
        "From: office@greenlane.sch.uk\r\nTo: admissions@example.org\r\nSubject: Forms\r\n\
         Date: Mon, 7 Dec 2026 10:00:00 +0000\r\nMessage-ID: <b@greenlane.sch.uk>\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n\
         --b1\r\nContent-Type: text/plain\r\n\r\nPlease see attached.\r\n\
         --b1\r\nContent-Type: {content_type}\r\n\
         Content-Disposition: attachment; filename=\"{name}\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n"
    );
    for line in b64.as_bytes().chunks(76) {
        m.push_str(std::str::from_utf8(line).unwrap());
        m.push_str("\r\n");
    }
    m.push_str("--b1--\r\n");
    m.into_bytes()
}

/// Scans `eml` under the address-space limit; the JSON answer.
fn scan(tag: &str, eml: &[u8]) -> serde_json::Value {
    scan_within(tag, eml, Duration::from_secs(5))
}

/// Time allowed to a large ordinary message (megabytes of text to read in
/// a debug build: the release figure is in docs/performance.md).
const SLOW: Duration = Duration::from_secs(120);

/// [`scan`] with its own time limit.
fn scan_within(tag: &str, eml: &[u8], limit: Duration) -> serde_json::Value {
    scan_configured(tag, eml, limit, None)
}

/// [`scan_within`] with `config` (TOML) as the config file, if given.
fn scan_configured(
    tag: &str,
    eml: &[u8],
    limit: Duration,
    config: Option<&str>,
) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("{tag}.eml"));
    std::fs::write(&path, eml).unwrap();
    let mut cmd = Command::new("prlimit");
    cmd.arg(AS_LIMIT)
        .arg("--")
        .arg(env!("CARGO_BIN_EXE_dlp-milter"))
        .args(["scan", "--format", "json"]);
    if let Some(c) = config {
        let file = dir.path().join("dlp.toml");
        std::fs::write(&file, c).unwrap();
        cmd.arg("--config").arg(file);
    }
    let start = Instant::now();
    let out = cmd.arg(&path).output().expect("prlimit runs");
    let took = start.elapsed();
    assert!(
        out.status.success(),
        "{tag}: {:?} {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(took < limit, "{tag}: {took:?}");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{tag}: {e}"))
}

fn finds_ni(v: &serde_json::Value) -> bool {
    v["findings"]
        .as_array()
        .is_some_and(|f| f.iter().any(|f| f["detector"] == "uk_nino"))
}

/// The file was stopped by a cap and said so, and the message was not
/// simply accepted.
fn reported(v: &serde_json::Value, reason: &str) -> bool {
    let listed = v["not_scanned"].as_array().is_some_and(|n| {
        n.iter()
            .any(|n| n["reason"].as_str().is_some_and(|r| r.contains(reason)))
    });
    listed && v["verdict"] != "accept"
}

fn deflate(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// A one-page PDF: `content` is the page's content stream, `extra` more
/// objects (numbered from 6), `trailer_extra` more trailer entries.
fn pdf(content: &[u8], resources: &str, extra: &[u8], trailer_extra: &str) -> Vec<u8> {
    let mut p = b"%PDF-1.4\n".to_vec();
    p.extend_from_slice(b"1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n");
    p.extend_from_slice(b"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n");
    p.extend_from_slice(
        format!("3 0 obj << /Type /Page /Parent 2 0 R /Resources << /Font << /F1 5 0 R >> {resources} >> /Contents 4 0 R >> endobj\n").as_bytes(),
    );
    p.extend_from_slice(format!("4 0 obj << /Length {} >> stream\n", content.len()).as_bytes());
    p.extend_from_slice(content);
    p.extend_from_slice(b"\nendstream endobj\n");
    p.extend_from_slice(b"5 0 obj << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> endobj\n");
    p.extend_from_slice(extra);
    p.extend_from_slice(format!("trailer << /Root 1 0 R {trailer_extra} >>\n%%EOF\n").as_bytes());
    p
}

fn shows_ni() -> String {
    format!("BT /F1 12 Tf 72 700 Td ({NI}) Tj ET")
}

#[test]
fn row1_pdf_form_that_draws_itself() {
    let mut form = format!("{}\n", shows_ni()).into_bytes();
    for _ in 0..1000 {
        form.extend_from_slice(b"/X Do\n");
    }
    let mut extra = format!(
        "6 0 obj << /Type /XObject /Subtype /Form /Resources << /Font << /F1 5 0 R >> /XObject << /X 6 0 R >> >> /Length {} >> stream\n",
        form.len()
    )
    .into_bytes();
    extra.extend_from_slice(&form);
    extra.extend_from_slice(b"\nendstream endobj\n");
    let file = pdf(b"/X Do /X Do", "/XObject << /X 6 0 R >>", &extra, "");
    assert!(file.len() < 16 * 1024);
    let v = scan("form", &message("form.pdf", "application/pdf", &file));
    assert!(finds_ni(&v), "{v}");
}

#[test]
fn row2_pdf_object_stream_of_one_shared_string() {
    let mut index = String::new();
    for i in 0..100_000 {
        index.push_str(&format!("{} 0 ", 1000 + i));
    }
    let mut body = index.clone().into_bytes();
    body.push(b'(');
    body.extend(std::iter::repeat_n(b'A', 200 * 1024));
    body.push(b')');
    let z = deflate(&body);
    let mut extra = format!(
        "8 0 obj << /Type /ObjStm /N 100000 /First {} /Filter /FlateDecode /Length {} >> stream\n",
        index.len(),
        z.len()
    )
    .into_bytes();
    extra.extend_from_slice(&z);
    extra.extend_from_slice(b"\nendstream endobj\n");
    let file = pdf(shows_ni().as_bytes(), "", &extra, "");
    let v = scan("objstm", &message("objstm.pdf", "application/pdf", &file));
    assert!(finds_ni(&v), "{v}");
}

/// BIFF records as a workbook stream in an OLE compound file.
fn xls(records: &[(u16, Vec<u8>)]) -> Vec<u8> {
    let mut wb = vec![];
    for (t, d) in records {
        wb.extend_from_slice(&t.to_le_bytes());
        wb.extend_from_slice(&(d.len() as u16).to_le_bytes());
        wb.extend_from_slice(d);
    }
    let mut cf = cfb::CompoundFile::create(Cursor::new(Vec::new())).unwrap();
    cf.create_stream("/Workbook")
        .unwrap()
        .write_all(&wb)
        .unwrap();
    cf.flush().unwrap();
    cf.into_inner().into_inner()
}

#[test]
fn row3_xls_cells_repeating_one_long_shared_string() {
    let mut records = vec![(0x0809u16, vec![0, 6, 5, 0])];
    // SST of one 65,535-character string, in CONTINUE records.
    let mut sst = vec![];
    sst.extend_from_slice(&1u32.to_le_bytes());
    sst.extend_from_slice(&1u32.to_le_bytes());
    sst.extend_from_slice(&u16::MAX.to_le_bytes());
    sst.push(0);
    let mut left = usize::from(u16::MAX);
    sst.extend(std::iter::repeat_n(b'A', 8000));
    left -= 8000;
    records.push((0x00FC, sst));
    while left > 0 {
        let n = left.min(8000);
        let mut cont = vec![0u8];
        cont.extend(std::iter::repeat_n(b'A', n));
        records.push((0x003C, cont));
        left -= n;
    }
    records.push((0x000A, vec![]));
    records.push((0x0809, vec![0, 6, 0x10, 0]));
    for r in 0..60_000u16 {
        let mut d = vec![];
        d.extend_from_slice(&r.to_le_bytes());
        d.extend_from_slice(&[0, 0, 0, 0]);
        d.extend_from_slice(&0u32.to_le_bytes());
        records.push((0x00FD, d));
    }
    records.push((0x000A, vec![]));
    let file = xls(&records);
    assert!(file.len() < 2 * 1024 * 1024, "{}", file.len());
    let v = scan(
        "sst",
        &message("marks.xls", "application/vnd.ms-excel", &file),
    );
    assert!(reported(&v, "extracted-text limit"), "{v}");
}

fn zip_of(parts: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in parts {
        w.start_file(*name, opts).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

#[test]
fn row4_ods_repeated_rows_and_columns() {
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
            r#"<table:table-row table:number-rows-repeated="1000"><table:table-cell table:number-columns-repeated="1000"><text:p>{noise}</text:p></table:table-cell></table:table-row>"#
        ));
    }
    let content = format!(
        r#"<office:document-content xmlns:office="o" xmlns:table="t" xmlns:text="x"><office:body><office:spreadsheet><table:table table:name="S">{rows}</table:table></office:spreadsheet></office:body></office:document-content>"#
    );
    let file = zip_of(&[
        (
            "mimetype",
            b"application/vnd.oasis.opendocument.spreadsheet",
        ),
        ("content.xml", content.as_bytes()),
    ]);
    assert!(file.len() < 700 * 1024, "{}", file.len());
    // The time cap is lifted so that the cap which must stop this file is
    // the one on text produced, by construction: with the default 2 s a
    // loaded machine running a debug build reached the clock first.
    let v = scan_configured(
        "ods",
        &message(
            "list.ods",
            "application/vnd.oasis.opendocument.spreadsheet",
            &file,
        ),
        Duration::from_secs(20),
        Some("[limits]\ntime_per_message_ms = 60000\n"),
    );
    assert!(reported(&v, "extracted-text limit"), "{v}");
}

#[test]
fn row5_docx_of_deeply_nested_properties() {
    let depth = 9_000;
    let mut doc = String::from(r#"<w:document xmlns:w="w"><w:body><w:p>"#);
    doc.push_str(&"<w:rPr>".repeat(depth));
    doc.push_str(&format!("<w:r><w:t>{NI}</w:t></w:r>"));
    doc.push_str(&"</w:rPr>".repeat(depth));
    doc.push_str("</w:p></w:body></w:document>");
    let file = zip_of(&[("word/document.xml", doc.as_bytes())]);
    let v = scan(
        "docx",
        &message(
            "report.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            &file,
        ),
    );
    assert!(finds_ni(&v), "{v}");
}

#[test]
fn row6_plain_pdf_with_a_fake_encrypt_entry() {
    for (extra, trailer) in [
        (&b""[..], "/Encrypt 99 0 R"),
        (
            &b"6 0 obj << /Filter /Standard /V 2 /R 3 >> endobj\n"[..],
            "/Encrypt 6 0 R",
        ),
    ] {
        let file = pdf(shows_ni().as_bytes(), "", extra, trailer);
        let v = scan("fake", &message("report.pdf", "application/pdf", &file));
        assert!(finds_ni(&v), "{trailer}: {v}");
        assert!(v["attachments"][0].get("encrypted").is_none(), "{v}");
    }
}

#[test]
fn row7_html_text_that_is_sent_but_not_shown() {
    for html in [
        format!("<html><body><p>Hello</p><!-- {NI} --></body></html>"),
        format!("<html><head><title>{NI}</title></head><body>Hello</body></html>"),
        format!("<html><head><style>/* {NI} */</style></head><body>Hello</body></html>"),
        format!(r#"<html><body><img src="x.png" alt="{NI}"></body></html>"#),
        format!(r#"<html><body><input value="{NI}"></body></html>"#),
        format!("<html><body><p>Hello</p><p {NI}"),
    ] {
        let v = scan("html", &message("notes.html", "text/html", html.as_bytes()));
        assert!(finds_ni(&v), "{html}: {v}");
    }
}

/// The hard negative beside row 7: an ordinary styled HTML attachment with
/// no personal data gains no finding from its unshown text.
#[test]
fn ordinary_html_with_styles_and_comments_stays_clean() {
    let html = r#"<html><head><title>Spring term newsletter</title><style>
@font-face {font-family:"Cambria Math"; panose-1:2 4 5 3 5 4 6 3 2 4;}
p.MsoNormal {margin:0cm; font-size:11.0pt; font-family:"Calibri",sans-serif;}
</style><!--[if gte mso 9]><xml><o:shapedefaults v:ext="edit" spidmax="1026" /></xml><![endif]--></head>
<body><p class=MsoNormal>Dear parents, the trip is on 14/03/2026.</p><img src="logo.png" alt="Greenlane logo" title="Greenlane Primary"></body></html>"#;
    let v = scan(
        "clean",
        &message("newsletter.html", "text/html", html.as_bytes()),
    );
    assert_eq!(v["findings"].as_array().map(Vec::len), Some(0), "{v}");
    assert!(Path::new(env!("CARGO_BIN_EXE_dlp-milter")).exists());
}

// Row 8: "NI numbers 7 forwarded messages deep; in MIME part 501; after
// 4 MiB of body; in a CSV after 100 x 1 MiB members; in a zip 7 levels
// deep; in any unencrypted 7z ...". Each is read, or reported and held.

/// The message's verdict in the JSON report.
fn verdict(v: &serde_json::Value) -> &str {
    v["verdict"].as_str().unwrap_or_default()
}

/// `inner` forwarded as an attachment (message/rfc822), CRLF throughout.
fn forward(inner: &[u8], level: usize) -> Vec<u8> {
    let mut m = format!(
        "From: office@greenlane.sch.uk\r\nTo: head@greenlane.sch.uk\r\nSubject: Fwd: level {level}\r\n\
         Date: Mon, 7 Dec 2026 10:00:00 +0000\r\nMessage-ID: <f{level}@greenlane.sch.uk>\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"fwd{level}\"\r\n\r\n\
         --fwd{level}\r\nContent-Type: text/plain\r\n\r\nSee the message below.\r\n\
         --fwd{level}\r\nContent-Type: message/rfc822\r\n\
         Content-Disposition: attachment; filename=\"level{level}.eml\"\r\n\r\n"
    )
    .into_bytes();
    m.extend_from_slice(inner);
    m.extend_from_slice(format!("\r\n--fwd{level}--\r\n").as_bytes());
    m
}

/// A message whose body says `NI`, forwarded `levels` times: the outermost
/// forward is the message sent, the NI number `levels` messages below it.
fn forwarded_chain(levels: usize) -> Vec<u8> {
    let mut m = format!(
        "From: admissions@example.org\r\nTo: office@greenlane.sch.uk\r\nSubject: Details\r\n\
         Date: Mon, 7 Dec 2026 09:00:00 +0000\r\nMessage-ID: <inner@example.org>\r\n\r\n{NI}\r\n"
    )
    .into_bytes();
    for level in 1..=levels {
        m = forward(&m, level);
    }
    m
}

#[test]
fn row8_ni_seven_forwarded_messages_deep_is_found() {
    let v = scan("fwd7", &forwarded_chain(7));
    assert!(finds_ni(&v), "{v}");
    assert_eq!(verdict(&v), "hold", "{v}");
    assert_eq!(v["not_scanned"].as_array().map(Vec::len), Some(0), "{v}");
}

/// The same cap inside a forwarded message: what the forward's parser left
/// out is reported at the forward and held, not dropped with it.
#[test]
fn row8_part_501_of_a_forwarded_message_is_held_with_a_reason() {
    let v = scan(
        "fwdparts",
        &forward(five_hundred_and_one_parts().as_bytes(), 1),
    );
    let ns = &v["not_scanned"];
    assert!(reported(&v, "more than 500 MIME parts"), "{ns}");
    assert_eq!(ns[0]["location"], "attachment:level1.eml", "{ns}");
    assert_eq!(verdict(&v), "hold", "{ns}");
}

/// Past the depth cap (the same for forwards as for archives) the
/// innermost message could not be checked: reported and held.
#[test]
fn row8_forwards_past_the_depth_cap_are_held_as_unchecked() {
    let v = scan("fwd10", &forwarded_chain(10));
    assert!(!finds_ni(&v), "{v}");
    assert!(reported(&v, "nested deeper than 8 levels"), "{v}");
    assert_eq!(verdict(&v), "hold", "{v}");
}

/// The hard negative: a clean forward chain as deep is accepted, so the
/// hold above comes from the NI number, not from the nesting.
#[test]
fn row8_a_clean_seven_deep_forward_chain_is_accepted() {
    let mut m = b"From: a@example.org\r\nTo: office@greenlane.sch.uk\r\nSubject: Trip\r\n\
        Date: Mon, 7 Dec 2026 09:00:00 +0000\r\n\r\nThe coach leaves at 9.\r\n"
        .to_vec();
    for level in 1..=7 {
        m = forward(&m, level);
    }
    let v = scan("fwd7clean", &m);
    assert_eq!(verdict(&v), "accept", "{v}");
}

/// A message of 501 MIME parts with the NI number in the last.
fn five_hundred_and_one_parts() -> String {
    let mut m = String::from(
        "From: office@greenlane.sch.uk\r\nTo: admissions@example.org\r\nSubject: Forms\r\n\
         Date: Mon, 7 Dec 2026 10:00:00 +0000\r\nMessage-ID: <p@greenlane.sch.uk>\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n\
         --b1\r\nContent-Type: text/plain\r\n\r\nPlease see attached.\r\n",
    );
    for i in 2..=500 {
        m.push_str(&format!(
            "--b1\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=\"n{i}.txt\"\r\n\r\nnote {i}\r\n"
        ));
    }
    m.push_str(&format!(
        "--b1\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=\"n501.txt\"\r\n\r\n{NI}\r\n--b1--\r\n"
    ));
    m
}

#[test]
fn row8_ni_in_mime_part_501_is_held_with_a_reason() {
    let v = scan("parts", five_hundred_and_one_parts().as_bytes());
    let ns = &v["not_scanned"];
    assert!(
        reported(&v, "more than 500 MIME parts"),
        "{ns} {}",
        v["verdict"]
    );
    assert_eq!(verdict(&v), "hold", "{ns}");
}

/// A body longer than the old 4 MiB text cap is read whole.
#[test]
fn row8_ni_after_4_mib_of_body_is_found() {
    let filler = "The class enjoyed the trip to the museum and the coach was on time. ";
    let body = format!(
        "{}\r\n{NI}\r\n",
        filler.repeat(4 * 1024 * 1024 / filler.len() + 1000)
    );
    let m = format!(
        "From: office@greenlane.sch.uk\r\nTo: admissions@example.org\r\nSubject: Notes\r\n\
         Date: Mon, 7 Dec 2026 10:00:00 +0000\r\nMessage-ID: <l@greenlane.sch.uk>\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\n{body}"
    );
    let v = scan_within("body", m.as_bytes(), SLOW);
    assert!(finds_ni(&v), "{}", v["not_scanned"]);
    assert_eq!(v["not_scanned"].as_array().map(Vec::len), Some(0));
}

/// 1 MiB that deflates about 40:1 (a 12 KiB random block repeated, inside
/// the 100:1 ratio cap) and sniffs as binary: each member spends 1 MiB of
/// the message's decompressed-bytes budget.
fn one_mib_member(seed: u64) -> Vec<u8> {
    let mut s = seed | 1;
    let block: Vec<u8> = (0..12 * 1024)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 24) as u8
        })
        .collect();
    block.iter().copied().cycle().take(1024 * 1024).collect()
}

/// The CSV after 100 members of 1 MiB: within the message's 512 MiB
/// decompressed budget (sized for ordinary large documents) it is read and
/// held for its NI number. Where an admin set the budget lower (100 MiB,
/// the old default), the CSV is past it: reported and the message held,
/// never silently skipped. (Before the budget was raised, this test
/// asserted the second outcome under the defaults.)
#[test]
fn row8_csv_after_100_members_of_1_mib_is_not_silently_skipped() {
    let members: Vec<(String, Vec<u8>)> = (0..100u64)
        .map(|i| (format!("scan{i:03}.bin"), one_mib_member(i + 7)))
        .collect();
    let csv = format!("Name,Note\nPriya Shah,{NI}\n");
    let mut parts: Vec<(&str, &[u8])> = members
        .iter()
        .map(|(n, d)| (n.as_str(), d.as_slice()))
        .collect();
    parts.push(("pupils.csv", csv.as_bytes()));
    let file = zip_of(&parts);
    assert!(file.len() < 4 * 1024 * 1024, "{}", file.len());
    let eml = message("scans.zip", "application/zip", &file);
    let v = scan_within("members", &eml, SLOW);
    assert!(finds_ni(&v), "{}", v["not_scanned"]);
    assert_eq!(verdict(&v), "hold", "{v}");

    let lower = "[limits]\nmax_decompressed_bytes = 104857600\n";
    let v = scan_configured("members100", &eml, SLOW, Some(lower));
    let csv_reported = v["not_scanned"].as_array().is_some_and(|n| {
        n.iter().any(|n| {
            n["location"] == "attachment:scans.zip/pupils.csv"
                && n["reason"]
                    .as_str()
                    .is_some_and(|r| r.contains("decompressed-bytes limit"))
        })
    });
    assert!(csv_reported, "{}", v["not_scanned"]);
    assert_eq!(verdict(&v), "hold", "{v}");
}

#[test]
fn row8_ni_in_a_zip_seven_levels_deep_is_found() {
    let csv = format!("Name,Note\nPriya Shah,{NI}\n");
    let mut z = zip_of(&[("pupils.csv", csv.as_bytes())]);
    for level in (1..7).rev() {
        z = zip_of(&[(&format!("level{level}.zip"), &z)]);
    }
    let v = scan("zip7", &message("archive.zip", "application/zip", &z));
    assert!(finds_ni(&v), "{v}");
    assert_eq!(verdict(&v), "hold", "{v}");
    assert_eq!(v["not_scanned"].as_array().map(Vec::len), Some(0), "{v}");
}

fn attachment_fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/attachments")
            .join(name),
    )
    .unwrap()
}

/// Unencrypted 7z is read: its CSV of NI numbers is found and held. An
/// AES one is encrypted (compliant: nothing unread, no unscanned hold); a
/// bomb is refused from its header and held as could not be checked.
#[test]
fn row8_7z_plain_is_read_aes_is_encrypted_and_a_bomb_is_capped() {
    let ctype = "application/x-7z-compressed";
    let v = scan(
        "7z",
        &message("pupils.7z", ctype, &attachment_fixture("plain.7z")),
    );
    assert!(finds_ni(&v), "{v}");
    assert_eq!(verdict(&v), "hold", "{v}");
    assert_eq!(v["attachments"][1]["path"], "pupils.7z/class-list.csv");

    let v = scan(
        "7zaes",
        &message(
            "pupils.7z",
            ctype,
            &attachment_fixture("encrypted-content.7z"),
        ),
    );
    assert_eq!(v["attachments"][0]["encrypted"], "7z-aes", "{v}");
    assert_eq!(v["not_scanned"].as_array().map(Vec::len), Some(0), "{v}");
    assert!(!finds_ni(&v));

    let v = scan(
        "7zbomb",
        &message("zeros.7z", ctype, &attachment_fixture("bomb.7z")),
    );
    assert!(reported(&v, "compression ratio over 100:1"), "{v}");
}

/// Issue 20 item 3: an 18 MB CSV export (a nightly MIS export is this
/// size; the message is about 25 MB) is read whole, its last row included;
/// before, text past 4 MiB (and rows past 200,000) was never scanned. The
/// other rows hold nothing personal, so the hold is the last row's.
#[test]
fn an_18_mb_csv_export_is_read_to_its_last_row() {
    let mut csv = String::from("Ref,Period,Subject,Room,Mark\r\n");
    let subjects = ["Mathematics", "English", "Science", "History", "Art"];
    let mut i = 0u64;
    while csv.len() < 18 * 1000 * 1000 {
        i += 1;
        csv.push_str(&format!(
            "R{i:07},{},{},B{:02},present\r\n",
            i % 6 + 1,
            subjects[(i % 5) as usize],
            i % 40
        ));
    }
    csv.push_str(&format!("R{:07},1,Office,A01,{NI}\r\n", i + 1));
    assert!(i > 400_000, "{i} rows");
    let eml = message("attendance-export.csv", "text/csv", csv.as_bytes());
    assert!(eml.len() > 24 * 1000 * 1000, "{}", eml.len());
    let v = scan_within("mis", &eml, SLOW);
    assert!(finds_ni(&v), "{v}");
    assert_eq!(verdict(&v), "hold", "{v}");
    assert_eq!(v["not_scanned"].as_array().map(Vec::len), Some(0), "{v}");
}

/// A TNEF stream (Outlook's winmail.dat) with one file attachment per
/// `(8.3 title, long name, bytes)`, built by hand as Outlook lays it out:
/// no free tool writes TNEF.
fn winmail(files: &[(&str, &str, &[u8])]) -> Vec<u8> {
    winmail_with_body(None, files)
}

/// [`winmail`] with the message body in `attBody`, as Outlook copies it.
fn winmail_with_body(body: Option<&str>, files: &[(&str, &str, &[u8])]) -> Vec<u8> {
    fn attr(t: &mut Vec<u8>, level: u8, id: u32, value: &[u8]) {
        t.push(level);
        t.extend_from_slice(&id.to_le_bytes());
        t.extend_from_slice(&(value.len() as u32).to_le_bytes());
        t.extend_from_slice(value);
        let sum = value
            .iter()
            .fold(0u16, |s, &b| s.wrapping_add(u16::from(b)));
        t.extend_from_slice(&sum.to_le_bytes());
    }
    let mut t = vec![0x78, 0x9F, 0x3E, 0x22, 0x01, 0x00];
    attr(&mut t, 1, 0x0008_9006, &0x0001_0000u32.to_le_bytes());
    attr(&mut t, 1, 0x0006_9007, &[0xE4, 0x04, 0, 0, 0, 0, 0, 0]);
    attr(&mut t, 1, 0x0007_8008, b"IPM.Microsoft Mail.Note\0");
    if let Some(b) = body {
        attr(&mut t, 1, 0x0002_800C, format!("{b}\0").as_bytes());
    }
    for (title, long, data) in files {
        attr(
            &mut t,
            2,
            0x0006_9002,
            &[1, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0],
        );
        attr(&mut t, 2, 0x0001_8010, format!("{title}\0").as_bytes());
        attr(&mut t, 2, 0x0006_800F, data);
        // PR_ATTACH_LONG_FILENAME (PT_UNICODE), one value, padded to 4.
        let mut name: Vec<u8> = long.encode_utf16().flat_map(u16::to_le_bytes).collect();
        name.extend_from_slice(&[0, 0]);
        let mut props = 1u32.to_le_bytes().to_vec();
        props.extend_from_slice(&[0x1F, 0x00, 0x07, 0x37]);
        props.extend_from_slice(&1u32.to_le_bytes());
        props.extend_from_slice(&(name.len() as u32).to_le_bytes());
        props.extend_from_slice(&name);
        props.resize(props.len().next_multiple_of(4), 0);
        attr(&mut t, 2, 0x0006_9005, &props);
    }
    t
}

/// Issue 20 item 3: Outlook's winmail.dat carries the real attachments of
/// many Outlook messages; a CSV and an xlsx of NI numbers inside it are
/// read and held. The hard negative beside it: a winmail.dat with a clean
/// attachment is read and accepted, nothing left unchecked.
#[test]
fn winmail_dat_attachments_are_read() {
    let csv = format!("Name,Note\r\nPriya Shah,{NI}\r\n");
    let xlsx = attachment_fixture("class-list.xlsx");
    let dat = winmail(&[
        ("PUPILS~1.CSV", "pupils autumn.csv", csv.as_bytes()),
        ("CLASS-~1.XLS", "class-list.xlsx", &xlsx),
    ]);
    let v = scan("tnef", &message("winmail.dat", "application/ms-tnef", &dat));
    assert!(finds_ni(&v), "{v}");
    assert_eq!(verdict(&v), "hold", "{v}");
    assert_eq!(v["not_scanned"].as_array().map(Vec::len), Some(0), "{v}");
    let paths: Vec<&str> = v["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["path"].as_str())
        .collect();
    assert!(
        paths.contains(&"winmail.dat/pupils autumn.csv"),
        "{paths:?}"
    );
    assert!(paths.contains(&"winmail.dat/class-list.xlsx"), "{paths:?}");

    let clean = winmail(&[(
        "TRIP.TXT",
        "trip letter.txt",
        b"The coach leaves at 9 on Friday; bring a packed lunch.",
    )]);
    let v = scan(
        "tnefclean",
        &message("winmail.dat", "application/ms-tnef", &clean),
    );
    assert_eq!(verdict(&v), "accept", "{v}");
    assert_eq!(v["not_scanned"].as_array().map(Vec::len), Some(0), "{v}");
}

/// Row 8, RAR: no GPL-compatible decoder reads RAR content, so an
/// unencrypted RAR could not be checked: reported and held, never accepted.
/// (An encrypted one is compliant: crates/extract/src/rar.rs.)
#[test]
fn row8_an_unencrypted_rar_is_held_as_unchecked() {
    // RAR 5: signature, then main, file and end blocks (CRC, size, type, flags).
    let mut rar = b"Rar!\x1A\x07\x01\x00".to_vec();
    for kind in [1u8, 2, 5] {
        rar.extend_from_slice(&[0, 0, 0, 0, 2, kind, 0]);
    }
    let v = scan("rar", &message("pupils.rar", "application/vnd.rar", &rar));
    assert!(reported(&v, "not extracted"), "{v}");
    assert_eq!(verdict(&v), "hold", "{v}");
    assert!(v["attachments"][0].get("encrypted").is_none(), "{v}");
}

/// Row 8, .ppt: the text of a legacy PowerPoint file is read.
#[test]
fn row8_ni_in_a_ppt_is_found() {
    fn record(ver: u16, kind: u16, body: &[u8]) -> Vec<u8> {
        let mut r = ver.to_le_bytes().to_vec();
        r.extend_from_slice(&kind.to_le_bytes());
        r.extend_from_slice(&(body.len() as u32).to_le_bytes());
        r.extend_from_slice(body);
        r
    }
    let chars: Vec<u8> = NI.encode_utf16().flat_map(u16::to_le_bytes).collect();
    // TextCharsAtom (0x0FA0) inside a SlideListWithText (0x0FF0) in the
    // Document container (0x03E8).
    let inner = record(0, 0x0FA0, &chars);
    let stream = record(0x000F, 0x03E8, &record(0x000F, 0x0FF0, &inner));
    let mut cf = cfb::CompoundFile::create(Cursor::new(Vec::new())).unwrap();
    cf.create_stream("/PowerPoint Document")
        .unwrap()
        .write_all(&stream)
        .unwrap();
    cf.flush().unwrap();
    let ppt = cf.into_inner().into_inner();
    let v = scan(
        "ppt",
        &message("assembly.ppt", "application/vnd.ms-powerpoint", &ppt),
    );
    assert!(finds_ni(&v), "{v}");
    assert_eq!(verdict(&v), "hold", "{v}");
}

/// Outlook's copy of the body in winmail.dat is the body again: scanned
/// under the body's rules, it changes nothing. A body whose evidence the
/// shipped rules only tag must not be held because a rich-text copy of it
/// travelled as an attachment.
#[test]
fn the_body_copy_in_winmail_dat_is_judged_as_the_body() {
    let body = "Please put the date of birth as 04/02/2016 on the form.";
    let plain = |with_tnef: bool| {
        let mut m = format!(
            "From: office@greenlane.sch.uk\r\nTo: admissions@example.org\r\nSubject: Form\r\n\
             Date: Mon, 7 Dec 2026 10:00:00 +0000\r\nMessage-ID: <t@greenlane.sch.uk>\r\n\
             MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n\
             --b1\r\nContent-Type: text/plain\r\n\r\n{body}\r\n"
        );
        if with_tnef {
            let dat = winmail_with_body(Some(body), &[]);
            let b64 = base64::engine::general_purpose::STANDARD.encode(dat);
            m.push_str(&format!(
                "--b1\r\nContent-Type: application/ms-tnef; name=\"winmail.dat\"\r\n\
                 Content-Disposition: attachment; filename=\"winmail.dat\"\r\n\
                 Content-Transfer-Encoding: base64\r\n\r\n{b64}\r\n"
            ));
        }
        m.push_str("--b1--\r\n");
        m.into_bytes()
    };
    let without = scan("tnefbody0", &plain(false));
    let with = scan("tnefbody1", &plain(true));
    assert_ne!(
        without["findings"].as_array().map(Vec::len),
        Some(0),
        "{without}"
    );
    assert_eq!(verdict(&with), verdict(&without), "{with}");
    assert_eq!(verdict(&with), "tag", "{with}");
    let categories = |v: &serde_json::Value| -> Vec<String> {
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| format!("{} {}", f["category"], f["location"]))
            .collect()
    };
    assert_eq!(categories(&with), categories(&without));
}

// Variants of the rows above a tester would build next (issue 20 was
// checked against files kept outside the repository, standing for the same
// classes). Each was accepted, or read as a picture, before the fix beside
// it; docs/attachments.md has the table of variants tried.

/// `pdf` with `page_extra` entries on the page and `catalog_extra` in the
/// catalog.
fn pdf_with(content: &[u8], page_extra: &str, catalog_extra: &str, extra: &[u8]) -> Vec<u8> {
    let p = pdf(content, "", extra, "");
    let p = String::from_utf8(p).unwrap();
    p.replace(
        "/Contents 4 0 R >>",
        &format!("/Contents 4 0 R {page_extra} >>"),
    )
    .replace(
        "/Type /Catalog /Pages 2 0 R",
        &format!("/Type /Catalog /Pages 2 0 R {catalog_extra}"),
    )
    .into_bytes()
}

/// Row 1's class (what a page draws besides its content stream): an NI
/// number only in a comment annotation, only in a form field's appearance
/// stream (which draws itself), or only in a filled field's value.
#[test]
fn row1_variants_annotations_and_form_fields_are_read() {
    let label = b"BT /F1 12 Tf 72 700 Td (Admission form) Tj ET";
    let ap = format!("{} /A Do /A Do", shows_ni());
    let widget = format!(
        "6 0 obj << /Subtype /Form /BBox [0 0 300 50] /Resources << /Font << /F1 5 0 R >> /XObject << /A 6 0 R >> >> /Length {} >> stream\n{ap}\nendstream endobj\n\
         7 0 obj << /Type /Annot /Subtype /Widget /Rect [0 0 300 50] /AP << /N 6 0 R >> >> endobj\n",
        ap.len()
    );
    let comment = format!("7 0 obj << /Type /Annot /Subtype /Text /Contents ({NI}) >> endobj\n");
    let field = "7 0 obj << /FT /Tx /T (National Insurance number) /V (JT 48 22 91 B) >> endobj\n\
                 8 0 obj << /Fields [7 0 R] /NeedAppearances true >> endobj\n";
    for (tag, page_extra, catalog_extra, extra) in [
        ("comment", "/Annots [7 0 R]", "", comment.as_str()),
        ("widget", "/Annots [7 0 R 7 0 R]", "", widget.as_str()),
        ("field", "", "/AcroForm 8 0 R", field),
    ] {
        let file = pdf_with(label, page_extra, catalog_extra, extra.as_bytes());
        let v = scan(tag, &message("form.pdf", "application/pdf", &file));
        assert!(finds_ni(&v), "{tag}: {v}");
        assert_eq!(verdict(&v), "hold", "{tag}: {v}");
    }
}

/// Row 6's class: a made-up /Encrypt over a plain file whose first page is
/// a picture (the probe looked at page 1 only), and over a PDF 1.5 file
/// whose pages live in an object stream.
#[test]
fn row6_variants_fake_encrypt_over_a_picture_cover_or_object_streams() {
    let fake = "9 0 obj << /Filter /Standard /V 2 /R 3 /O <0011> /U <0011> /P -4 >> endobj\n";
    let cover = b"q 600 0 0 800 0 0 cm /Im1 Do Q";
    let mut extra = format!(
        "6 0 obj << /Type /Page /Parent 2 0 R /Resources << >> /Contents 7 0 R >> endobj\n\
         7 0 obj << /Length {} >> stream\n",
        cover.len()
    )
    .into_bytes();
    extra.extend_from_slice(cover);
    extra.extend_from_slice(b"\nendstream endobj\n");
    extra.extend_from_slice(fake.as_bytes());
    let file = String::from_utf8(pdf(shows_ni().as_bytes(), "", &extra, "/Encrypt 9 0 R"))
        .unwrap()
        .replace("/Kids [3 0 R] /Count 1", "/Kids [6 0 R 3 0 R] /Count 2")
        .into_bytes();
    let v = scan("cover", &message("report.pdf", "application/pdf", &file));
    assert!(finds_ni(&v), "{v}");
    assert!(v["attachments"][0].get("encrypted").is_none(), "{v}");

    // PDF 1.5: catalog, pages, page and font in an object stream, the
    // trailer a cross-reference stream naming a top-level /Encrypt.
    let objs = [
        (1, "<< /Type /Catalog /Pages 2 0 R >>"),
        (2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>"),
        (3, "<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>"),
        (5, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"),
    ];
    let (mut index, mut body) = (String::new(), String::new());
    for (n, o) in objs {
        index.push_str(&format!("{n} {} ", body.len()));
        body.push_str(o);
        body.push(' ');
    }
    let objstm = deflate(format!("{index}{body}").as_bytes());
    let content = deflate(shows_ni().as_bytes());
    let mut file = format!(
        "%PDF-1.5\n4 0 obj << /Length {} /Filter /FlateDecode >> stream\n",
        content.len()
    )
    .into_bytes();
    file.extend_from_slice(&content);
    file.extend_from_slice(
        format!(
            "\nendstream endobj\n7 0 obj << /Type /ObjStm /N 4 /First {} /Filter /FlateDecode /Length {} >> stream\n",
            index.len(),
            objstm.len()
        )
        .as_bytes(),
    );
    file.extend_from_slice(&objstm);
    file.extend_from_slice(b"\nendstream endobj\n");
    file.extend_from_slice(fake.as_bytes());
    file.extend_from_slice(
        b"8 0 obj << /Type /XRef /Size 10 /W [1 2 1] /Root 1 0 R /Encrypt 9 0 R /Length 4 >> stream\n\0\0\0\0\nendstream endobj\nstartxref\n0\n%%EOF\n",
    );
    let v = scan("objstm", &message("report.pdf", "application/pdf", &file));
    assert!(finds_ni(&v), "{v}");
    assert!(v["attachments"][0].get("encrypted").is_none(), "{v}");
}

/// An unencrypted PDF whose text could not be read is held as could not be
/// checked, never accepted as a scanned picture: a page object nested too
/// deep to parse, a content stream in a filter this reader lacks. The hard
/// negative beside them: a real picture-only page is still accepted.
#[test]
fn an_unreadable_pdf_is_held_but_a_picture_only_one_is_not() {
    let deep = format!("/X {}{}", "<< /A ".repeat(100_000), ">>".repeat(100_000));
    let file = pdf(shows_ni().as_bytes(), &deep, b"", "");
    let v = scan("deep", &message("report.pdf", "application/pdf", &file));
    assert!(reported(&v, "pdf content could not be read"), "{v}");
    assert_eq!(verdict(&v), "hold", "{v}");

    let file = String::from_utf8(pdf(shows_ni().as_bytes(), "", b"", ""))
        .unwrap()
        .replace(
            "4 0 obj << /Length",
            "4 0 obj << /Filter /JBIG2Decode /Length",
        )
        .into_bytes();
    let v = scan("jbig2", &message("report.pdf", "application/pdf", &file));
    assert!(reported(&v, "pdf content could not be read"), "{v}");
    assert_eq!(verdict(&v), "hold", "{v}");

    let file = pdf(b"q 600 0 0 800 0 0 cm /Im1 Do Q", "", b"", "");
    let v = scan("picture", &message("letter.pdf", "application/pdf", &file));
    assert_eq!(verdict(&v), "accept", "{v}");
}

/// Row 7's class, more places HTML sends text without showing it, as an
/// attachment and as the message's own HTML body.
#[test]
fn row7_variants_cdata_bogus_comments_data_attributes_and_script_data() {
    let ent: String = "JT 48 22 91 B"
        .chars()
        .map(|c| format!("&#{};", u32::from(c)))
        .collect();
    for html in [
        format!("<html><body><p>Hi</p><![CDATA[ {NI} ]]></body></html>"),
        format!("<html><body><p>Hi</p><! {NI} ></body></html>"),
        format!("<html><body><?php echo '{NI}'; ?></body></html>"),
        r#"<html><body><div data-ni="JT 48 22 91 B" data-name="Priya Shah">NI number</div></body></html>"#.to_string(),
        format!(r#"<html><head><meta name="description" content="{NI}"></head><body>Hi</body></html>"#),
        format!(r#"<html><body><script>var pupil = "{NI}";</script><p>Hi</p></body></html>"#),
        r#"<html><body><script type="application/json">{"pupil": "Priya Shah", "ni": "JT 48 22 91 B"}</script><p>NI report</p></body></html>"#.to_string(),
        format!(r#"<html><body><input placeholder="NI number {ent} for Priya Shah"></body></html>"#),
    ] {
        let v = scan("html", &message("notes.html", "text/html", html.as_bytes()));
        assert!(finds_ni(&v), "{html}: {v}");
        let body = format!(
            "From: office@greenlane.sch.uk\r\nTo: admissions@example.org\r\nSubject: Notes\r\n\
             MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"a\"\r\n\r\n\
             --a\r\nContent-Type: text/plain\r\n\r\nPlease see below.\r\n\
             --a\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n--a--\r\n"
        );
        let v = scan("htmlbody", body.as_bytes());
        assert!(finds_ni(&v), "body {html}: {v}");
    }
}

/// The hard negative beside row 7's variants: a newsletter whose script is
/// code, whose links carry NI-shaped tracking tokens (URLs are not read)
/// and whose data attributes are what mail builders write, gains no finding.
#[test]
fn html_script_code_and_tracking_attributes_stay_clean() {
    let html = r##"<html><head><meta name="viewport" content="width=device-width"><title>Newsletter</title></head><body>
<a href="https://x.example/track?u=AB123456C&amp;id=JT482291B">Read more</a><img src="https://x.example/p.gif?ab=CD123456D" alt="">
<script>window.dataLayer=[];function gtag(){dataLayer.push(arguments)};gtag("config","G-AB12CD34EF");
var password = document.getElementById("password").value; if (password.length < 8) { alert("Too short"); }</script>
<div data-id="8f3a2b" data-ogsc="#ffffff" data-linkindex="0" data-auth="NotApplicable" data-testid="cta-button">Dear parents, the trip is on Friday.</div></body></html>"##;
    let v = scan(
        "newsletter",
        &message("news.html", "text/html", html.as_bytes()),
    );
    assert_eq!(v["findings"].as_array().map(Vec::len), Some(0), "{v}");
    assert_eq!(verdict(&v), "accept", "{v}");
}

/// A ustar header for `name` and `size` bytes (no checksum: not checked).
fn tar_header(name: &str, kind: u8, size: usize) -> Vec<u8> {
    let mut h = vec![0u8; 512];
    let n = name.len().min(100);
    h[..n].copy_from_slice(&name.as_bytes()[..n]);
    h[124..136].copy_from_slice(format!("{size:011o}\0").as_bytes());
    h[156] = kind;
    h[257..263].copy_from_slice(b"ustar\0");
    h
}

fn tar_of(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut t = Vec::new();
    for (name, data) in members {
        if name.len() > 100 {
            let long = format!("{name}\0");
            t.extend_from_slice(&tar_header("././@LongLink", b'L', long.len()));
            t.extend_from_slice(long.as_bytes());
            t.resize(t.len().next_multiple_of(512), 0);
        }
        t.extend_from_slice(&tar_header(name, b'0', data.len()));
        t.extend_from_slice(data);
        t.resize(t.len().next_multiple_of(512), 0);
    }
    t.extend_from_slice(&[0u8; 1024]);
    t
}

/// Row 8's class, archives in other shapes: a tar on its own (it was
/// taken for unknown binary), with a GNU long name, inside a zip, and a
/// tar.gz; an .xz file. The hard negative: a clean tar is accepted with
/// nothing left unchecked.
#[test]
fn row8_variants_tar_and_xz_archives_are_read() {
    let csv = format!("Name,Note\r\nPriya Shah,{NI}\r\n");
    let long = format!("exports/{}/pupils.csv", "autumn-term".repeat(10));
    let tar = tar_of(&[("readme.txt", b"Exports"), (&long, csv.as_bytes())]);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&tar).unwrap();
    let tgz = gz.finish().unwrap();
    for (tag, name, ctype, data) in [
        ("tar", "backup.tar", "application/x-tar", tar.clone()),
        (
            "tarzip",
            "backup.zip",
            "application/zip",
            zip_of(&[("backup.tar", &tar)]),
        ),
        ("tgz", "backup.tgz", "application/gzip", tgz),
    ] {
        let v = scan(tag, &message(name, ctype, &data));
        assert!(finds_ni(&v), "{tag}: {v}");
        assert_eq!(verdict(&v), "hold", "{tag}: {v}");
        assert_eq!(
            v["not_scanned"].as_array().map(Vec::len),
            Some(0),
            "{tag}: {v}"
        );
    }
    // `xz` of "Name,Note\nPriya Shah,JT 48 22 91 B\n" (the xz tool's output).
    let xz: Vec<u8> = (0..)
        .map_while(|i: usize| {
            let h = "fd377a585a000004e6d6b4460200210116000000742fe5a30100224e616d652c4e6f74650a507269796120536861682c4a5420343820323220393120420a00002cb833c87ba0680f00013b23612b53be1fb6f37d010000000004595a";
            h.get(2 * i..2 * i + 2).and_then(|b| u8::from_str_radix(b, 16).ok())
        })
        .collect();
    let v = scan("xz", &message("pupils.csv.xz", "application/x-xz", &xz));
    assert!(finds_ni(&v), "{v}");

    let clean = tar_of(&[("trip.txt", b"The coach leaves at 9 on Friday.")]);
    let v = scan(
        "tarclean",
        &message("trip.tar", "application/x-tar", &clean),
    );
    assert_eq!(verdict(&v), "accept", "{v}");
    assert_eq!(v["not_scanned"].as_array().map(Vec::len), Some(0), "{v}");
}

/// Row 8's "MIME part 501" with the parts inline (text/plain, no
/// filename): body parts to the parser, cut at 500 without a word before.
#[test]
fn row8_variant_501_inline_body_parts_are_held_with_a_reason() {
    let m = five_hundred_and_one_parts()
        .replace("Content-Disposition: attachment; filename=", "X-Note: ");
    let v = scan("inline", m.as_bytes());
    assert!(reported(&v, "more than 500 MIME parts"), "{v}");
    assert_eq!(verdict(&v), "hold", "{v}");
}

/// Row 5's class in RTF: text under 200,000 nested groups, or after as many
/// groups never closed, was dropped below 256 levels.
#[test]
fn row5_variant_rtf_deep_and_unclosed_groups_are_read() {
    for rtf in [
        format!(
            "{{\\rtf1{}{NI}{}}}",
            "{".repeat(200_000),
            "}".repeat(200_000)
        ),
        format!("{{\\rtf1{}{NI}", "{\\b ".repeat(200_000)),
    ] {
        let v = scan(
            "rtf",
            &message("report.rtf", "application/rtf", rtf.as_bytes()),
        );
        assert!(finds_ni(&v), "{v}");
    }
}

/// Row 8's class, transfer encodings: a base64 attachment with stray
/// characters in it (mail-parser kept the raw base64), and one sent as
/// x-uuencode (kept as its encoded text). Both were accepted.
#[test]
fn row8_variants_odd_transfer_encodings_are_decoded() {
    let csv = format!("Name,Note\r\nPriya Shah,{NI}\r\n");
    let b64 = base64::engine::general_purpose::STANDARD.encode(&csv);
    let junk = format!("{}!!{}\r\n{}\r\n", &b64[..20], &b64[20..40], &b64[40..]);
    // `uuencode pupils.csv` of the CSV, one 45-byte line at a time.
    let mut uu = String::from("begin 644 pupils.csv\r\n");
    for chunk in csv.as_bytes().chunks(45) {
        uu.push(char::from(32 + chunk.len() as u8));
        for g in chunk.chunks(3) {
            let v = g
                .iter()
                .chain(std::iter::repeat(&0))
                .take(3)
                .fold(0u32, |a, &b| a << 8 | u32::from(b));
            for shift in [18, 12, 6, 0] {
                let c = (v >> shift) & 0x3F;
                uu.push(if c == 0 {
                    '`'
                } else {
                    char::from(32 + c as u8)
                });
            }
        }
        uu.push_str("\r\n");
    }
    uu.push_str("`\r\nend\r\n");
    for (tag, cte, body) in [("b64junk", "base64", junk), ("uu", "x-uuencode", uu)] {
        let m = format!(
            "From: office@greenlane.sch.uk\r\nTo: admissions@example.org\r\nSubject: Forms\r\n\
             MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n\
             --b1\r\nContent-Type: text/plain\r\n\r\nPlease see attached.\r\n\
             --b1\r\nContent-Type: text/csv\r\nContent-Disposition: attachment; filename=\"pupils.csv\"\r\n\
             Content-Transfer-Encoding: {cte}\r\n\r\n{body}--b1--\r\n"
        );
        let v = scan(tag, m.as_bytes());
        assert!(finds_ni(&v), "{tag}: {v}");
        assert_eq!(verdict(&v), "hold", "{tag}: {v}");
    }
}
