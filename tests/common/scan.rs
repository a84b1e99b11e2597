//! What the golden corpus (tests/corpus.rs) and the line-ending test
//! (tests/line_endings.rs) compare of a scan: its verdict and the sorted,
//! distinct (category, detector, location) of its matched findings, the
//! shape of fixtures/messages/NAME.json. One definition, so the two tests
//! cannot drift apart in what "the same result" means.

use dlp_milter::scan::ScanReport;

/// (verdict, sorted distinct (category, detector, location)).
#[allow(dead_code)] // each test binary that includes this module uses it
pub fn outcome(report: &ScanReport) -> (String, Vec<(String, String, String)>) {
    let mut got: Vec<_> = report
        .decision
        .findings
        .iter()
        .map(|m| {
            (
                m.finding.category.to_string(),
                m.finding.detector.to_string(),
                m.finding.location.to_string(),
            )
        })
        .collect();
    got.sort();
    got.dedup();
    (report.decision.verdict.as_str().to_string(), got)
}
