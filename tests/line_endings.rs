//! Every detector, through the whole engine, gives the same verdict and
//! findings for a message whether its lines end in LF or in CRLF (as Postfix
//! hands every message to the milter), bare or under each typical school
//! footer of fixtures/footers/school-footers.txt (issue 18, class 1: the
//! commonest UK footer once hid a password above it in CRLF mail only).

#[path = "common/scan.rs"]
mod scan_support;

use dlp_milter::config::Config;
use dlp_milter::scan::Engine;

const FOOTERS: &str = include_str!("../fixtures/footers/school-footers.txt");

fn footers() -> Vec<String> {
    FOOTERS
        .split("\n%%\n")
        .skip(1)
        .map(|f| f.trim_end_matches(['\n', '%']).to_string())
        .filter(|f| !f.is_empty())
        .collect()
}

/// (verdict, sorted (category, detector, location)) of one message.
fn outcome(engine: &Engine, raw: &str) -> (String, Vec<(String, String, String)>) {
    scan_support::outcome(&engine.scan(raw.as_bytes(), None))
}

fn message(subject: &str, body: &str) -> String {
    format!(
        "From: office@ashfield-primary.sch.uk\nTo: a.parent@example.com\nSubject: {subject}\n\
         Message-ID: <t@ashfield-primary.sch.uk>\nDate: Mon, 7 Dec 2026 10:00:00 +0000\n\
         MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n{body}\n"
    )
}

/// Each case: subject, body, and the verdict of the bare LF message.
const CASES: &[(&str, &str, &str)] = &[
    (
        "Report",
        "Hi,\n\nPassword: Rb7kQz2mWx4\n\nThanks\nJo",
        "hold",
    ),
    ("Report", "Hi,\n\npwd: Rb7kQz2mWx4\n\nThanks", "hold"),
    (
        "Report",
        "Hi Sam,\n\nThe password is Rb7kQz2mWx4.\n\nJo",
        "hold",
    ),
    (
        "Starter",
        "Hi,\n\nNew starter Priya Shah, NI number JT 48 22 91 B.\n\nThanks",
        "hold",
    ),
    (
        "Admissions",
        "Hi,\n\nAmira Khan, DOB: 04/02/2016, starts on Monday.\n\nThanks",
        // A named person's date of birth is held (date-of-birth-named-body).
        "hold",
    ),
    (
        "Update",
        "Hi,\n\nAmelia Jones in Year 4 has an EHCP.\n\nThanks",
        "hold",
    ),
    (
        "Password: Rb7kQz2mWx4",
        "Hi,\n\nSee subject.\n\nThanks",
        "hold",
    ),
    (
        "Reminder",
        "Hi,\n\nPlease reset your password before Friday.\n\nThanks",
        "accept",
    ),
    (
        "Trip",
        "Hi all,\n\nThe trip to the museum is on 14/03/2027.\n\nThanks",
        "accept",
    ),
    (
        "File",
        "Hi,\n\nThe password will be sent separately by text.\n\nThanks",
        "accept",
    ),
];

#[test]
fn crlf_and_footers_change_nothing_for_any_detector() {
    let engine = Engine::from_config(&Config::default()).expect("shipped rules load");
    let footers = footers();
    assert!(footers.len() >= 6, "{footers:?}");
    let mut failures = Vec::new();
    for (subject, body, verdict) in CASES {
        let base = outcome(&engine, &message(subject, body));
        assert_eq!(&base.0, verdict, "bare LF {subject:?} {body:?}: {base:?}");
        let mut bodies = vec![body.to_string()];
        bodies.extend(footers.iter().map(|f| format!("{body}\n\n{f}")));
        bodies.push(format!("{body}\n{}", footers[0]));
        for b in &bodies {
            let lf = message(subject, b);
            for (name, raw) in [("LF", lf.clone()), ("CRLF", lf.replace('\n', "\r\n"))] {
                let got = outcome(&engine, &raw);
                if got != base {
                    failures.push(format!("{name} {b:?}: expected {base:?}, got {got:?}"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Every committed message fixture (the golden corpus and both halves of
/// fixtures/eval) gives the same verdict and findings with its line endings
/// flipped: CRLF files read as LF, LF files as CRLF.
#[test]
fn every_fixture_gives_the_same_result_in_lf_and_crlf() {
    let engine = Engine::from_config(&Config::default()).expect("shipped rules load");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut files = Vec::new();
    for dir in ["messages", "eval/positives", "eval/negatives"] {
        let entries = std::fs::read_dir(root.join(dir)).expect("fixture folder exists");
        files.extend(
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "eml")),
        );
    }
    files.sort();
    assert!(files.len() >= 300, "found only {} fixtures", files.len());
    let mut crlf_files = 0;
    let mut failures = Vec::new();
    for path in &files {
        let raw = std::fs::read(path).expect("readable fixture");
        // Raw 8-bit bytes: flipping through a lossy string would change them.
        let Ok(text) = String::from_utf8(raw) else {
            continue;
        };
        let flipped = if text.contains("\r\n") {
            crlf_files += 1;
            text.replace("\r\n", "\n")
        } else {
            text.replace('\n', "\r\n")
        };
        let a = outcome(&engine, &text);
        let b = outcome(&engine, &flipped);
        if a != b {
            failures.push(format!("{}: {a:?} vs flipped {b:?}", path.display()));
        }
    }
    assert!(crlf_files >= 12, "only {crlf_files} CRLF fixtures");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
