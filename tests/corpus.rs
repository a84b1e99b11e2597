//! Golden corpus: every fixtures/messages/NAME.eml has NAME.json beside it
//! with the verdict and the exact set of (category, detector, location)
//! findings the shipped policy must produce. A mismatch writes
//! NAME.failed.json next to the fixture, so the difference is easy to read.

#[path = "common/scan.rs"]
mod scan_support;

use dlp_milter::config::Config;
use dlp_milter::scan::Engine;
use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Deserialize)]
struct Expected {
    verdict: String,
    findings: Vec<(String, String, String)>,
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/messages")
}

#[test]
fn corpus_matches_expected_results() {
    let engine = Engine::from_config(&Config::default()).expect("shipped rules load");
    let mut entries: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .expect("fixtures/messages exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .collect();
    entries.sort();
    assert!(
        entries.len() >= 30,
        "the corpus must not shrink (found {})",
        entries.len()
    );
    let mut failures = Vec::new();
    for eml in &entries {
        let json = eml.with_extension("json");
        let expected: Expected = serde_json::from_str(
            &std::fs::read_to_string(&json)
                .unwrap_or_else(|_| panic!("{} has no expected result", eml.display())),
        )
        .unwrap_or_else(|e| panic!("{}: {e}", json.display()));
        let raw = std::fs::read(eml).expect("readable fixture");
        let report = engine.scan(&raw, None);
        let (verdict, got) = scan_support::outcome(&report);
        let mut want = expected.findings.clone();
        want.sort();
        let failed = eml.with_extension("failed.json");
        if got != want || verdict != expected.verdict {
            let actual =
                serde_json::json!({ "verdict": verdict, "findings": got, "report": report });
            std::fs::write(
                &failed,
                serde_json::to_string_pretty(&actual).unwrap_or_default(),
            )
            .ok();
            failures.push(format!(
                "{}: expected {} {:?}, got {} {:?}",
                eml.file_name().unwrap_or_default().to_string_lossy(),
                expected.verdict,
                want,
                verdict,
                got
            ));
        } else {
            let _ = std::fs::remove_file(&failed);
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} fixtures differ:\n{}",
        failures.len(),
        entries.len(),
        failures.join("\n")
    );
}

#[test]
fn evidence_never_contains_a_full_identifier() {
    // Every identifier written into the corpus, in the forms it appears in.
    let secrets = [
        "JT 48 22 91 B",
        "JT482291B",
        "485 777 3457",
        "4857773457",
        "612-345-6784",
        "450 557 7104",
        "4111 1111 1111 1111",
        "GB82 WEST 1234 5698 7654 32",
        "55779911",
        "502135326",
        "19/07/2018",
        "P801200216001",
        "D801200216002",
        "Kestrel42!",
        "Tyler Evans",
        "Amelia Jones",
    ];
    let engine = Engine::from_config(&Config::default()).expect("shipped rules load");
    for e in std::fs::read_dir(corpus_dir()).expect("fixtures").flatten() {
        let p = e.path();
        if p.extension().is_none_or(|x| x != "eml") {
            continue;
        }
        let report = engine.scan(&std::fs::read(&p).expect("fixture"), None);
        let out = serde_json::to_string(&report).expect("serialises");
        for s in secrets {
            assert!(
                !out.contains(s),
                "{}: output contains {s:?}: {out}",
                p.display()
            );
        }
    }
}
