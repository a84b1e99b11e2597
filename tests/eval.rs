//! Precision/recall evaluation over fixtures/eval/ (see fixtures/eval/README.md).
//!
//! - negatives/: realistic outbound school mail that must NOT be held: every
//!   message's verdict is at most `tag`. One held negative fails the test:
//!   a false hold costs a teacher's afternoon and the tool's credibility.
//! - positives/: breaches as they really happen; at least 95 % must be
//!   detected with the expected category (and detector/location where
//!   fixtures/eval/expected.toml gives one) and acted on at least as strongly
//!   as expected.
//!
//! `cargo test --test eval -- --ignored --nocapture` prints the per-category table and
//! every miss and misfire. Diagnoses live in fixtures/eval/FINDINGS.md.

use dlp_milter::config::Config;
use dlp_milter::policy::Action;
use dlp_milter::scan::{Engine, ScanReport};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Deserialize)]
struct Expected {
    negatives: BTreeMap<String, Negative>,
    positives: BTreeMap<String, Positive>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Negative {
    expect: String,
    subject: String,
}

#[derive(Deserialize)]
struct Positive {
    category: String,
    detector: Option<String>,
    location: Option<String>,
    action: String,
    why: String,
}

/// Minimum share of positives that must be detected as expected.
const RECALL_BAR: f64 = 0.95;

fn eval_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/eval")
}

fn action(s: &str) -> Action {
    match s {
        "accept" => Action::Accept,
        "tag" => Action::Tag,
        "rewrite" => Action::Rewrite,
        "hold" => Action::Hold,
        "reject" => Action::Reject,
        other => panic!("expected.toml: unknown action {other:?}"),
    }
}

/// The `.eml` files of one folder, by name without extension.
fn messages(folder: &str) -> BTreeMap<String, PathBuf> {
    std::fs::read_dir(eval_dir().join(folder))
        .unwrap_or_else(|e| panic!("fixtures/eval/{folder}: {e}"))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .map(|p| {
            let stem = p
                .file_stem()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            (stem, p)
        })
        .collect()
}

/// `category/detector in location (action via rule)` for every matched finding.
fn describe(report: &ScanReport) -> String {
    let mut parts: Vec<String> = report
        .decision
        .findings
        .iter()
        .map(|m| {
            format!(
                "{}/{} in {} [{:?}, {}: {}]",
                m.finding.category,
                m.finding.detector,
                m.finding.location,
                m.finding.confidence,
                m.rule,
                m.finding.evidence
            )
        })
        .collect();
    parts.extend(
        report
            .decision
            .unscanned_rules
            .iter()
            .map(|r| format!("unscanned ({r}): {:?}", report.not_scanned)),
    );
    if parts.is_empty() {
        "no findings".into()
    } else {
        parts.join("; ")
    }
}

fn location_matches(want: &Option<String>, got: &str) -> bool {
    match want.as_deref() {
        None => true,
        Some("attachment") => got.starts_with("attachment"),
        Some(w) => w == got,
    }
}

#[derive(Default)]
struct Row {
    true_pos: usize,
    false_neg: usize,
    /// Negatives held (or rewritten) because of a finding of this category.
    false_pos: usize,
    /// Negatives tagged because of a finding of this category (allowed).
    tagged: usize,
}

/// What the engine made of the whole corpus.
struct Outcome {
    negatives: usize,
    positives: usize,
    /// (name, description) of negatives held, tagged, and positives missed.
    held: Vec<(String, String)>,
    tagged: Vec<(String, String)>,
    missed: Vec<(String, String)>,
    table: BTreeMap<String, Row>,
}

impl Outcome {
    fn recall(&self) -> f64 {
        (self.positives - self.missed.len()) as f64 / self.positives as f64
    }
}

/// Runs the shipped engine over both folders.
fn evaluate() -> Outcome {
    let expected: Expected = toml::from_str(
        &std::fs::read_to_string(eval_dir().join("expected.toml")).expect("expected.toml"),
    )
    .expect("expected.toml parses");
    let negatives = messages("negatives");
    let positives = messages("positives");

    // The corpus and its expectations must agree, and must not shrink.
    let neg_names: Vec<&String> = negatives.keys().collect();
    let exp_neg: Vec<&String> = expected.negatives.keys().collect();
    assert_eq!(neg_names, exp_neg, "negatives/ and expected.toml differ");
    let pos_names: Vec<&String> = positives.keys().collect();
    let exp_pos: Vec<&String> = expected.positives.keys().collect();
    assert_eq!(pos_names, exp_pos, "positives/ and expected.toml differ");
    assert!(negatives.len() >= 120, "at least 120 negatives");
    assert!(positives.len() >= 80, "at least 80 positives");

    let engine = Engine::from_config(&Config::default()).expect("shipped rules load");
    let mut table: BTreeMap<String, Row> = BTreeMap::new();

    // ---- negatives: at most tag
    let mut held = Vec::new();
    let mut tagged = Vec::new();
    for (name, path) in &negatives {
        assert_eq!(expected.negatives[name].expect, "not_held");
        let report = engine.scan(&std::fs::read(path).expect("readable"), None);
        assert!(report.error.is_none(), "{name}: {:?}", report.error);
        let verdict = report.decision.verdict;
        let mut cats: Vec<String> = report
            .decision
            .findings
            .iter()
            .filter(|m| m.action >= verdict)
            .map(|m| m.finding.category.to_string())
            .collect();
        if cats.is_empty() && !report.decision.unscanned_rules.is_empty() {
            cats.push("unscanned_attachment".into());
        }
        cats.sort();
        cats.dedup();
        if verdict > Action::Tag {
            for c in &cats {
                table.entry(c.clone()).or_default().false_pos += 1;
            }
            held.push((
                name.clone(),
                format!("{} <- {}", verdict.as_str(), describe(&report)),
            ));
        } else if verdict == Action::Tag {
            for c in &cats {
                table.entry(c.clone()).or_default().tagged += 1;
            }
            tagged.push((name.clone(), format!("tag <- {}", describe(&report))));
        }
    }

    // ---- positives: expected category (+ detector, location), verdict at least the expected action
    let mut missed = Vec::new();
    for (name, path) in &positives {
        let want = &expected.positives[name];
        let report = engine.scan(&std::fs::read(path).expect("readable"), None);
        assert!(report.error.is_none(), "{name}: {:?}", report.error);
        let found = report.decision.findings.iter().any(|m| {
            m.finding.category.to_string() == want.category
                && want
                    .detector
                    .as_deref()
                    .is_none_or(|d| d == m.finding.detector)
                && location_matches(&want.location, &m.finding.location.to_string())
        });
        let strong_enough = report.decision.verdict >= action(&want.action);
        let row = table.entry(want.category.clone()).or_default();
        if found && strong_enough {
            row.true_pos += 1;
        } else {
            row.false_neg += 1;
            missed.push((
                name.clone(),
                format!(
                    "(want {}{}{} >= {}: {}): got {} <- {}",
                    want.category,
                    want.detector
                        .as_deref()
                        .map(|d| format!("/{d}"))
                        .unwrap_or_default(),
                    want.location
                        .as_deref()
                        .map(|l| format!(" in {l}"))
                        .unwrap_or_default(),
                    want.action,
                    want.why,
                    report.decision.verdict.as_str(),
                    describe(&report)
                ),
            ));
        }
    }

    Outcome {
        negatives: negatives.len(),
        positives: positives.len(),
        held,
        tagged,
        missed,
        table,
    }
}

fn lines(items: &[(String, String)]) -> String {
    items
        .iter()
        .map(|(n, d)| format!("  {n}: {d}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Prints the per-category table and every miss and misfire.
fn print_report(o: &Outcome) {
    println!();
    println!(
        "{:<24} {:>5} {:>5} {:>5} {:>8}",
        "category", "TP", "FN", "FP", "neg.tag"
    );
    for (cat, r) in &o.table {
        println!(
            "{:<24} {:>5} {:>5} {:>5} {:>8}",
            cat, r.true_pos, r.false_neg, r.false_pos, r.tagged
        );
    }
    println!(
        "positives detected {}/{} (recall {:.1} %); negatives held {}/{}, tagged {}/{}",
        o.positives - o.missed.len(),
        o.positives,
        o.recall() * 100.0,
        o.held.len(),
        o.negatives,
        o.tagged.len(),
        o.negatives
    );
    if !o.held.is_empty() {
        println!("held negatives (false holds):\n{}", lines(&o.held));
    }
    if !o.tagged.is_empty() {
        println!("tagged negatives (allowed):\n{}", lines(&o.tagged));
    }
    if !o.missed.is_empty() {
        println!("missed positives:\n{}", lines(&o.missed));
    }
}

/// The project's bar: no held negative, at least 95 % recall.
#[test]
fn precision_and_recall_bar() {
    let o = evaluate();
    print_report(&o);
    assert!(
        o.held.is_empty(),
        "{} of {} negatives were held (see fixtures/eval/FINDINGS.md):\n{}",
        o.held.len(),
        o.negatives,
        lines(&o.held)
    );
    assert!(
        o.recall() >= RECALL_BAR,
        "recall {:.1} % is below {:.0} %; missed (see fixtures/eval/FINDINGS.md):\n{}",
        o.recall() * 100.0,
        RECALL_BAR * 100.0,
        lines(&o.missed)
    );
}

/// Messages that fail today, each diagnosed in fixtures/eval/FINDINGS.md
/// (the F/M number). Fix a detector, then delete its lines here.
const KNOWN_FAILURES: &[(&str, &str)] = &[
    // none: every diagnosed failure in fixtures/eval/FINDINGS.md is fixed
];

/// Runs always: nothing outside KNOWN_FAILURES may fail (no regressions
/// while the detectors are being fixed), and a known failure that now
/// passes must be taken off the list (so the list stays true).
#[test]
fn no_failures_beyond_the_known_ones() {
    let o = evaluate();
    print_report(&o);
    let known = |n: &str| KNOWN_FAILURES.iter().any(|(k, _)| *k == n);
    let failing: Vec<&(String, String)> = o.held.iter().chain(o.missed.iter()).collect();
    let new: Vec<String> = failing
        .iter()
        .filter(|(n, _)| !known(n))
        .map(|(n, d)| format!("  {n}: {d}"))
        .collect();
    assert!(
        new.is_empty(),
        "{} message(s) fail that are not in KNOWN_FAILURES (a regression, or a new message to \
         diagnose in fixtures/eval/FINDINGS.md):\n{}",
        new.len(),
        new.join("\n")
    );
    let fixed: Vec<String> = KNOWN_FAILURES
        .iter()
        .filter(|(k, _)| !failing.iter().any(|(n, _)| n == k))
        .map(|(k, f)| format!("  {k} ({f})"))
        .collect();
    assert!(
        fixed.is_empty(),
        "fixed, well done: take these off KNOWN_FAILURES in tests/eval.rs and mark them fixed in \
         fixtures/eval/FINDINGS.md:\n{}",
        fixed.join("\n")
    );
}
