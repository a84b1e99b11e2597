//! ZIP members in compression methods other than stored/deflate, through the
//! whole engine: archives made by 7-Zip (and a zstd one, see
//! fixtures/attachments/zip-methods/make.sh), each holding the fake class
//! list, attached to a message. Each read method must surface the NI
//! numbers as an unencrypted-attachment finding; a method this build does
//! not read (PPMd) must leave the message as could not be checked, never
//! pass it.

use base64::Engine as _;
use dlp_milter::config::Config;
use dlp_milter::extract::{extract, Budget, Limits};
use dlp_milter::scan::Engine;
use serde_json::Value;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/fixtures/attachments/zip-methods/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The JSON report of a message with `name` attached, CRLF as Postfix hands it over.
fn scan(name: &str) -> Value {
    let b64 = base64::engine::general_purpose::STANDARD.encode(fixture(name));
    let mut m = String::from(
        "From: office@school.example.sch.uk\r\nTo: parent@example.com\r\nSubject: Lists\r\n\
         Message-ID: <zip-methods@school.example.sch.uk>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\nThe lists, as asked.\r\n",
    );
    m.push_str(&format!(
        "--b1\r\nContent-Type: application/zip; name=\"{name}\"\r\n\
         Content-Disposition: attachment; filename=\"{name}\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n"
    ));
    for chunk in b64.as_bytes().chunks(76) {
        m.push_str(std::str::from_utf8(chunk).unwrap());
        m.push_str("\r\n");
    }
    m.push_str("--b1--\r\n");
    let engine = Engine::from_config(&Config::default()).expect("shipped rules load");
    serde_json::to_value(engine.scan(m.as_bytes(), None)).unwrap()
}

#[test]
fn members_in_every_read_method_give_their_ni_numbers() {
    for name in [
        "zip-deflate64.zip",
        "zip-bzip2.zip",
        "zip-lzma.zip",
        "zip-zstd.zip",
    ] {
        let v = scan(name);
        assert_eq!(v["not_scanned"], Value::Array(vec![]), "{name}: {v}");
        let member = format!("attachment:{name}/class-list.csv");
        let ni: Vec<&Value> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["detector"] == "uk_nino" && f["location"] == member.as_str())
            .collect();
        assert!(!ni.is_empty(), "{name}: no NI number found: {v}");
        assert!(
            ni.iter().all(|f| f["rule"] == "unencrypted-attachment"),
            "{name}: {v}"
        );
        assert_eq!(v["verdict"], "hold", "{name}: {v}");
        // The member is listed as a plain CSV, not encrypted.
        let files = v["attachments"].as_array().unwrap();
        let csv = files
            .iter()
            .find(|f| f["path"] == format!("{name}/class-list.csv").as_str())
            .unwrap_or_else(|| panic!("{name}: member not listed: {v}"));
        assert_eq!(csv["sniffed"], "csv", "{name}");
        assert!(csv.get("encrypted").is_none(), "{name}: {csv}");
    }
}

#[test]
fn a_method_not_read_leaves_the_message_could_not_be_checked() {
    let v = scan("zip-ppmd.zip");
    let not = v["not_scanned"].as_array().unwrap();
    assert_eq!(not.len(), 1, "{v}");
    assert_eq!(not[0]["location"], "attachment:zip-ppmd.zip/class-list.csv");
    assert!(
        not[0]["reason"]
            .as_str()
            .unwrap()
            .contains("compression method 98 is not supported"),
        "{v}"
    );
    assert_eq!(not[0]["document"], true);
    assert_eq!(v["verdict"], "hold", "{v}");
    assert!(v["findings"].as_array().unwrap().is_empty(), "{v}");
}

/// Truncated and bit-flipped versions of each archive, through extraction:
/// never a panic, and never one caught by the ZIP reader's guard either
/// (the decoders are other crates': a panic there is a finding to report
/// upstream, not something to live with).
#[test]
fn mutated_archives_never_panic() {
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for name in [
        "zip-deflate64.zip",
        "zip-bzip2.zip",
        "zip-lzma.zip",
        "zip-zstd.zip",
        "zip-ppmd.zip",
    ] {
        let data = fixture(name);
        let mut variants: Vec<Vec<u8>> = (1..data.len())
            .step_by(7)
            .map(|cut| data[..cut].to_vec())
            .collect();
        for _ in 0..300 {
            let mut v = data.clone();
            for _ in 0..1 + (next() % 4) {
                let i = (next() % v.len() as u64) as usize;
                v[i] = next() as u8;
            }
            variants.push(v);
        }
        for v in variants {
            let mut b = Budget::new(Limits::default());
            let ex = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                extract(name, "", &v, &mut b)
            }))
            .unwrap_or_else(|_| panic!("{name}: extraction panicked on a mutation"));
            assert!(!ex.files.is_empty(), "{name}");
            assert!(
                !ex.not_scanned
                    .iter()
                    .any(|n| n.reason.contains("parser failed")),
                "{name}: a decoder panicked: {:?}",
                ex.not_scanned
            );
        }
    }
}
