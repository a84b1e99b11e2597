//! Attachments made by real tools (fixtures/attachments, see make.sh there),
//! each wrapped in a multipart message and run through the engine: encrypted
//! or not, what could not be read, and the text the detectors get.

use base64::Engine as _;
use dlp_milter::config::Config;
use dlp_milter::extract::{extract, Budget, Extraction, Limits};
use dlp_milter::scan::{Engine, ScanReport};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/fixtures/attachments/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A multipart/mixed message with a short body and the given attachments.
fn message(body: &str, attachments: &[(&str, &str, &[u8])]) -> Vec<u8> {
    let mut m = String::from(
        "From: teacher@school.example.sch.uk\r\nTo: parent@example.com\r\nSubject: Documents\r\n\
         Message-ID: <att-test@school.example.sch.uk>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\n",
    );
    m.push_str(body);
    m.push_str("\r\n");
    for (name, ctype, data) in attachments {
        let b64 = base64::engine::general_purpose::STANDARD.encode(data);
        m.push_str(&format!(
            "--b1\r\nContent-Type: {ctype}; name=\"{name}\"\r\nContent-Disposition: attachment; filename=\"{name}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        ));
        for chunk in b64.as_bytes().chunks(76) {
            m.push_str(std::str::from_utf8(chunk).unwrap());
            m.push_str("\r\n");
        }
    }
    m.push_str("--b1--\r\n");
    m.into_bytes()
}

fn engine() -> Engine {
    Engine::from_config(&Config::default()).expect("shipped rules load")
}

fn scan_one(name: &str, ctype: &str) -> ScanReport {
    let data = fixture(name);
    engine().scan(
        &message("Please see attached.", &[(name, ctype, &data)]),
        None,
    )
}

fn extract_one(name: &str) -> Extraction {
    let mut b = Budget::new(Limits::default());
    extract(name, "application/octet-stream", &fixture(name), &mut b)
}

/// True once the personal-data detectors are merged (they are built in parallel).
fn detectors_active() -> bool {
    let r = engine().scan(
        &message(
            "Pupil Amira Khan, date of birth 04/02/2010, UPN P801200216001, NI number JT 48 22 91 B",
            &[],
        ),
        None,
    );
    !r.decision.findings.is_empty()
}

const ENCRYPTED: &[(&str, &str, &str)] = &[
    ("zipcrypto.zip", "application/zip", "zip-crypto"),
    ("aes.zip", "application/zip", "zip-aes"),
    ("pdf-rc4-40.pdf", "application/pdf", "pdf-rc4-40"),
    ("pdf-rc4-128.pdf", "application/pdf", "pdf-rc4-128"),
    ("pdf-aes-128.pdf", "application/pdf", "pdf-aes-128"),
    ("pdf-aes-256.pdf", "application/pdf", "pdf-aes-256"),
    ("pdf-objstm-aes-128.pdf", "application/pdf", "pdf-aes-128"),
    (
        "pupil-report-encrypted.docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "ooxml-agile",
    ),
    (
        "class-list-encrypted.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "ooxml-agile",
    ),
    (
        "pupil-report-encrypted.doc",
        "application/msword",
        "doc-rc4",
    ),
    (
        "class-list-encrypted.xls",
        "application/vnd.ms-excel",
        "xls-rc4",
    ),
    (
        "pupil-report-encrypted.odt",
        "application/vnd.oasis.opendocument.text",
        "odf-aes256",
    ),
    (
        "encrypted-content.7z",
        "application/x-7z-compressed",
        "7z-aes",
    ),
    (
        "encrypted-headers.7z",
        "application/x-7z-compressed",
        "7z-aes-headers",
    ),
    ("class-list.csv.gpg", "application/octet-stream", "pgp"),
    ("class-list.csv.asc", "text/plain", "pgp"),
    ("class-list.csv.p7m", "application/pkcs7-mime", "smime"),
];

/// (fixture, declared type, path of the text, what the text must contain)
const PLAIN: &[(&str, &str, &str, &str)] = &[
    (
        "class-list.csv",
        "text/csv",
        "class-list.csv",
        "UPN: P801200216001 | NI number: JT 48 22 91 B",
    ),
    (
        "class-list.csv.gz",
        "application/gzip",
        "class-list.csv.gz/class-list.csv",
        "UPN: D801200216002",
    ),
    (
        "plain.zip",
        "application/zip",
        "plain.zip/class-list.csv",
        "Date of birth: 21/11/2009 | UPN: T801200216003",
    ),
    (
        "nested.zip",
        "application/zip",
        "nested.zip/inner.zip/class-list.csv",
        "Name: Tomasz Nowak",
    ),
    (
        "partly-encrypted.zip",
        "application/zip",
        "partly-encrypted.zip/pupil-report.html",
        "UPN: P801200216001",
    ),
    // 7z content is read (issue 20): LZMA2, a solid block of two members, PPMd.
    (
        "plain.7z",
        "application/x-7z-compressed",
        "plain.7z/class-list.csv",
        "UPN: P801200216001 | NI number: JT 48 22 91 B",
    ),
    (
        "solid.7z",
        "application/x-7z-compressed",
        "solid.7z/pupil-report.html",
        "UPN: P801200216001",
    ),
    (
        "solid.7z",
        "application/x-7z-compressed",
        "solid.7z/class-list.csv",
        "Name: Tomasz Nowak",
    ),
    (
        "ppmd.7z",
        "application/x-7z-compressed",
        "ppmd.7z/class-list.csv",
        "Name: Grace Oduya",
    ),
    (
        "pupil-report.docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "pupil-report.docx",
        "NI number: JT 48 22 91 B",
    ),
    (
        "class-list.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "class-list.xlsx",
        "Name: Amira Khan | Date of birth: 04/02/2010 | UPN: P801200216001",
    ),
    (
        "slides.pptx",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "slides.pptx",
        "UPN D801200216002, child in need plan",
    ),
    (
        "pupil-report.odt",
        "application/vnd.oasis.opendocument.text",
        "pupil-report.odt",
        "Amira has an EHCP",
    ),
    (
        "class-list.ods",
        "application/vnd.oasis.opendocument.spreadsheet",
        "class-list.ods",
        "Name: Leo Walsh | Date of birth: 17/09/2010 | UPN: D801200216002",
    ),
    (
        "slides.odp",
        "application/vnd.oasis.opendocument.presentation",
        "slides.odp",
        "Safeguarding review: Leo Walsh",
    ),
    (
        "pupil-report.pdf",
        "application/pdf",
        "pupil-report.pdf",
        "UPN: P801200216001. NI number: JT 48 22 91 B.",
    ),
    (
        "pdf-uncompressed.pdf",
        "application/pdf",
        "pdf-uncompressed.pdf",
        "UPN: P801200216001",
    ),
    (
        "pdf-objstm.pdf",
        "application/pdf",
        "pdf-objstm.pdf",
        "UPN: P801200216001",
    ),
    // Owner (permissions) password only: opens for anyone, so not protected, and read.
    (
        "pdf-owner-only-rc4-128.pdf",
        "application/pdf",
        "pdf-owner-only-rc4-128.pdf",
        "UPN: P801200216001",
    ),
    (
        "pdf-owner-only-aes-128.pdf",
        "application/pdf",
        "pdf-owner-only-aes-128.pdf",
        "UPN: P801200216001",
    ),
    (
        "pdf-owner-only-aes-256.pdf",
        "application/pdf",
        "pdf-owner-only-aes-256.pdf",
        "UPN: P801200216001",
    ),
    (
        "pupil-report.doc",
        "application/msword",
        "pupil-report.doc",
        "UPN: P801200216001",
    ),
    (
        "class-list.xls",
        "application/vnd.ms-excel",
        "class-list.xls",
        "Name: Tomasz Nowak | Date of birth: 02/03/2010 | UPN: G801200216004",
    ),
    (
        "pupil-report.rtf",
        "application/rtf",
        "pupil-report.rtf",
        "Allergy: peanuts",
    ),
];

/// (fixture, declared type, reason fragment)
const NOT_SCANNED: &[(&str, &str, &str)] = &[(
    "class-list-velvet.xls",
    "application/vnd.ms-excel",
    "VelvetSweatshop",
)];

#[test]
fn encrypted_attachments_are_recognised_from_the_bytes() {
    let active = detectors_active();
    for (name, ctype, kind) in ENCRYPTED {
        let r = scan_one(name, ctype);
        assert!(r.error.is_none(), "{name}: {:?}", r.error);
        let top = r
            .attachments
            .first()
            .unwrap_or_else(|| panic!("{name}: no attachment"));
        assert_eq!(top.path, *name);
        assert_eq!(top.encrypted.as_deref(), Some(*kind), "{name}");
        assert!(r.not_scanned.is_empty(), "{name}: {:?}", r.not_scanned);
        assert!(
            !r.decision
                .findings
                .iter()
                .any(|m| m.finding.category.as_str() == "unencrypted_attachment"),
            "{name}: an encrypted file is never an unencrypted_attachment finding"
        );
        let ex = extract_one(name);
        assert!(ex.encrypted() && ex.texts.is_empty(), "{name}");
        let _ = active;
    }
}

#[test]
fn plain_attachments_are_read() {
    let active = detectors_active();
    for (name, ctype, path, needle) in PLAIN {
        let ex = extract_one(name);
        assert!(!ex.encrypted(), "{name}");
        assert!(ex.not_scanned.is_empty(), "{name}: {:?}", ex.not_scanned);
        let text: String = ex
            .texts
            .iter()
            .filter(|t| t.path == *path)
            .map(|t| t.text.as_str())
            .collect();
        assert!(text.contains(needle), "{name}: {needle:?} not in {text:?}");

        let r = scan_one(name, ctype);
        assert!(r.error.is_none(), "{name}: {:?}", r.error);
        assert!(r
            .attachments
            .iter()
            .all(|f| f.path == *name || f.path.starts_with(&format!("{name}/"))));
        assert!(r.attachments[0].encrypted.is_none(), "{name}");
        assert!(r.not_scanned.is_empty(), "{name}: {:?}", r.not_scanned);
        if active {
            let loc = format!("attachment:{path}");
            assert!(
                r.decision.findings.iter().any(|m| {
                    m.finding.category.as_str() == "unencrypted_attachment"
                        && m.finding.location.to_string() == loc
                }),
                "{name}: no unencrypted_attachment finding at {loc}: {:?}",
                r.decision.findings
            );
        }
    }
}

#[test]
fn unreadable_documents_are_reported_not_scanned() {
    for (name, ctype, reason) in NOT_SCANNED {
        let r = scan_one(name, ctype);
        assert!(r.attachments[0].encrypted.is_none(), "{name}");
        let n = r
            .not_scanned
            .iter()
            .find(|n| n.location == format!("attachment:{name}"))
            .unwrap_or_else(|| panic!("{name}: {:?}", r.not_scanned));
        assert!(n.reason.contains(reason), "{name}: {}", n.reason);
        assert!(n.document, "{name}");
        assert!(
            r.decision
                .rule_ids()
                .iter()
                .any(|id| id == "unscanned-document"),
            "{name}: the shipped rule tags unreadable documents: {:?}",
            r.decision.rule_ids()
        );
    }
}

/// (fixture, declared type, member stopped by a cap, reason fragment):
/// archives whose members a cap stops before they are decoded.
const BOUNDED: &[(&str, &str, &str, &str)] = &[(
    "bomb.7z",
    "application/x-7z-compressed",
    "bomb.7z/zeros.csv",
    "compression ratio over 100:1",
)];

/// A bomb is refused from its header's declared sizes, reported as could
/// not be checked (the member, a document-class reason) and never decoded.
#[test]
fn archive_bombs_are_refused_before_decoding() {
    for (name, ctype, member, reason) in BOUNDED {
        let mut budget = Budget::new(Limits::default());
        let ex = extract(name, ctype, &fixture(name), &mut budget);
        assert!(!ex.encrypted(), "{name}");
        assert!(ex.texts.is_empty(), "{name}: {:?}", ex.texts);
        let n = ex
            .not_scanned
            .iter()
            .find(|n| n.location == format!("attachment:{member}"))
            .unwrap_or_else(|| panic!("{name}: {:?}", ex.not_scanned));
        assert!(n.reason.contains(reason), "{name}: {}", n.reason);
        assert!(n.document, "{name}");
        assert!(
            budget.decompressed < 1024 * 1024,
            "{name}: {} bytes decoded",
            budget.decompressed
        );
    }
}

#[test]
fn corrupt_document_is_not_scanned_with_a_reason() {
    let mut pdf = fixture("pupil-report.docx");
    pdf.truncate(pdf.len() / 2);
    let r = engine().scan(
        &message(
            "see attached",
            &[("report.docx", "application/octet-stream", &pdf)],
        ),
        None,
    );
    let n = &r.not_scanned[0];
    assert_eq!(n.location, "attachment:report.docx");
    assert!(n.reason.contains("corrupt zip"), "{}", n.reason);
    assert!(n.document);
}

#[test]
fn partly_encrypted_zip_scans_its_plain_members() {
    let r = scan_one("partly-encrypted.zip", "application/zip");
    assert!(r.attachments[0].encrypted.is_none());
    let member = r
        .attachments
        .iter()
        .find(|f| f.path == "partly-encrypted.zip/class-list.csv")
        .expect("encrypted member listed");
    assert_eq!(member.encrypted.as_deref(), Some("zip-crypto"));
}

#[test]
fn type_mismatch_is_reported() {
    let pdf = fixture("pupil-report.pdf");
    let r = engine().scan(
        &message("notes", &[("notes.txt", "text/plain", &pdf)]),
        None,
    );
    let f = &r.attachments[0];
    assert_eq!(f.sniffed, "pdf");
    assert!(
        f.type_mismatch
            .as_deref()
            .is_some_and(|m| m.contains("named .txt")),
        "{f:?}"
    );
    let json = serde_json::to_string(&r).unwrap();
    assert!(json.contains("\"type_mismatch\""), "{json}");

    let zip = fixture("plain.zip");
    let r = engine().scan(&message("x", &[("photo.zip", "image/png", &zip)]), None);
    assert!(r.attachments[0]
        .type_mismatch
        .as_deref()
        .is_some_and(|m| m.contains("declared image/png")));
}

#[test]
fn password_in_the_same_message_as_an_encrypted_file() {
    // The password detector (built in parallel) raises inline_password when it is
    // merged; here the message context it relies on must see the encrypted file.
    let data = fixture("aes.zip");
    let r = engine().scan(
        &message(
            "Here is the class list. The password is Winter2026",
            &[("class-list.zip", "application/zip", &data)],
        ),
        None,
    );
    assert_eq!(r.attachments[0].encrypted.as_deref(), Some("zip-aes"));
    if detectors_active() {
        assert!(
            r.decision
                .findings
                .iter()
                .any(|m| m.finding.category.as_str() == "inline_password"),
            "{:?}",
            r.decision.findings
        );
    }
}

#[test]
fn every_fixture_is_covered() {
    let dir = format!("{}/fixtures/attachments", env!("CARGO_MANIFEST_DIR"));
    let covered: Vec<&str> = ENCRYPTED
        .iter()
        .map(|e| e.0)
        .chain(PLAIN.iter().map(|p| p.0))
        .chain(NOT_SCANNED.iter().map(|n| n.0))
        .chain(BOUNDED.iter().map(|n| n.0))
        .collect();
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap().flatten() {
        let name = e.file_name().into_string().unwrap();
        if e.path().is_dir()
            || name.ends_with(".sh")
            || name.ends_with(".py")
            || name.ends_with(".md")
        {
            continue;
        }
        n += 1;
        assert!(
            covered.contains(&name.as_str()),
            "fixture {name} has no expectation"
        );
    }
    assert!(n >= 35, "fixture corpus unexpectedly small: {n}");
}

/// Truncated and bit-flipped versions of every fixture: never a panic, always
/// a result (the parsers' own guard is the last line, not the first).
#[test]
fn mutated_fixtures_never_panic() {
    let dir = format!("{}/fixtures/attachments", env!("CARGO_MANIFEST_DIR"));
    let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for e in std::fs::read_dir(&dir).unwrap().flatten() {
        if e.path().is_dir() {
            continue;
        }
        let name = e.file_name().into_string().unwrap();
        let data = std::fs::read(e.path()).unwrap();
        let mut variants: Vec<Vec<u8>> = Vec::new();
        for cut in [
            1,
            7,
            64,
            data.len() / 3,
            data.len() / 2,
            data.len().saturating_sub(22),
            data.len().saturating_sub(1),
        ] {
            variants.push(data[..cut.min(data.len())].to_vec());
        }
        for _ in 0..40 {
            let mut v = data.clone();
            for _ in 0..1 + (next() % 8) {
                if v.is_empty() {
                    break;
                }
                let i = (next() % v.len() as u64) as usize;
                v[i] = next() as u8;
            }
            variants.push(v);
        }
        for v in variants {
            let mut b = Budget::new(Limits::default());
            let ex = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                extract(&name, "", &v, &mut b)
            }));
            let ex = ex.unwrap_or_else(|_| panic!("{name}: extractor panicked on a mutation"));
            assert!(!ex.files.is_empty());
            // The PDF reader is ours: its guard must never be what saved us.
            assert!(
                !ex.not_scanned
                    .iter()
                    .any(|n| n.reason.contains("malformed pdf")),
                "{name}: the PDF reader panicked on a mutation"
            );
        }
    }
}
