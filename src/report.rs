//! Rendering a [`ScanReport`] for the `scan` command: one JSON object per
//! message per line (the stable contract), or a human-readable form.

use crate::scan::ScanReport;
use serde::Serialize;

/// One line of `scan --format json`.
#[derive(Serialize)]
pub struct JsonLine<'a> {
    pub path: &'a str,
    #[serde(flatten)]
    pub report: &'a ScanReport,
}

/// The JSON line for one scanned message.
pub fn json_line(path: &str, report: &ScanReport) -> String {
    serde_json::to_string(&JsonLine { path, report })
        .unwrap_or_else(|e| format!("{{\"path\":{path:?},\"error\":\"{e}\"}}"))
}

/// The JSON line for a file that could not be read.
pub fn json_error(path: &str, error: &str) -> String {
    serde_json::json!({ "path": path, "error": error }).to_string()
}

/// The human form of one report.
pub fn text(path: &str, r: &ScanReport) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let d = &r.decision;
    let _ = writeln!(
        s,
        "{path}: {}{} ({} finding{}, {} µs)",
        d.verdict.as_str().to_uppercase(),
        if d.enforced {
            ""
        } else {
            " [monitor only: not enforced]"
        },
        d.findings.len(),
        if d.findings.len() == 1 { "" } else { "s" },
        r.elapsed_us
    );
    if r.direction.cause != crate::direction::Cause::Given
        || r.direction.direction != crate::direction::Direction::Outbound
    {
        let _ = writeln!(
            s,
            "  direction: {} ({})",
            r.direction.direction, r.direction.reason
        );
    }
    if let Some(e) = &r.error {
        let _ = writeln!(s, "  error: {e}");
    }
    if let Some(e) = r.encryption {
        let _ = writeln!(s, "  message is encrypted ({e})");
    }
    for m in &d.findings {
        let f = &m.finding;
        let _ = writeln!(
            s,
            "  [{}] {}/{} in {}: {}{}",
            f.confidence.as_str(),
            f.category,
            f.detector,
            f.location,
            f.evidence,
            if f.count > 1 {
                format!(" (×{})", f.count)
            } else {
                String::new()
            }
        );
        let monitor = m
            .monitor
            .map(|a| format!(" [monitor only: would {}]", a.as_str()))
            .unwrap_or_default();
        let _ = writeln!(s, "      rule {}{monitor}: {}", m.rule, m.policy);
    }
    for n in &r.not_scanned {
        let _ = writeln!(s, "  not scanned: {}: {}", n.location, n.reason);
    }
    for a in &d.actions {
        let _ = writeln!(
            s,
            "  action: {}",
            serde_json::to_string(a).unwrap_or_default()
        );
    }
    s
}
