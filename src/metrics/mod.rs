//! Prometheus metrics of the daemon, and the `[metrics] listen` HTTP
//! listener that serves them (`/metrics`) with a store health check
//! (`/healthz`). docs/metrics.md is the reference for admins: every
//! metric, its labels, and example alert rules.
//!
//! Counting is always on and costs an atomic increment or a small map
//! lookup per event (the scan of the same message costs milliseconds);
//! only serving them is optional. The counters live in one process-wide
//! [`Metrics`] ([`global`]), so the places that count (a milter session,
//! the scan worker pool, the notice outbox thread) need no handle passed
//! down to them: each hook is one call. Label values come from closed sets
//! (verdicts, dispositions, causes, reason classes) or from the rules
//! files (rule ids), never from a message: an address or a subject in a
//! label would put personal data into the monitoring system and give it
//! unbounded cardinality.
//!
//! The crate is `prometheus-client`, the Prometheus project's own client:
//! label sets are typed structs and the registry is an explicit value, so
//! the unit tests below count on their own [`Metrics`] without a global
//! recorder shared across tests.
//!
//! - [`reasons`]: the class of a `not_scanned` reason (a cap hit, an
//!   extraction error), for a label with a closed set of values.
//! - [`http`]: the listener.

pub mod http;
pub mod reasons;

use crate::config::MetricsConfig;
use crate::scan::ScanReport;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::Registry;
use std::sync::LazyLock;

/// Every metric name starts with this (Prometheus style: `dlp_milter_…`).
pub const PREFIX: &str = "dlp_milter";

/// Upper bounds of the scan time histogram, seconds: a plain message scans
/// in about a millisecond, attachments take tens to hundreds, and the
/// default budget (`milter.scan_timeout_ms`) ends at 30 s.
const SCAN_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0, 30.0,
];

/// Label values every scrape shows from the start, at zero: a counter
/// series that first appears at 1 is invisible to `increase()`, so the
/// first fail-open or given-up notice would not fire an alert. The causes
/// of a TEMPFAIL are the failure policy's (`milter::failure::Cause`) and
/// what can fail after a scan.
pub const TEMPFAIL_CAUSES: [&str; 8] = [
    "oversize",
    "timeout",
    "died",
    "failed",
    "unavailable",
    "incomplete",
    "hold-failed",
    "edit-failed",
];
/// Causes that can end in an unscanned accept (`incomplete` cannot: the
/// rules decide an incomplete scan).
pub const FAIL_OPEN_CAUSES: [&str; 5] = ["oversize", "timeout", "died", "failed", "unavailable"];
/// Why a scan worker ends ([`Metrics::worker_exit`]).
pub const WORKER_EXITS: [&str; 3] = ["timeout", "died", "retired"];
/// The outbox's kinds of notice (`crate::notice`) and its outcomes.
pub const NOTICE_KINDS: [&str; 5] = [
    "sender_hold",
    "sender_hold_summary",
    "sender_rewrite",
    "dpo_alert",
    "dpo_digest",
];
pub const NOTICE_OUTCOMES: [&str; 3] = ["sent", "deferred", "failed"];

/// Longest label value kept; longer ones are cut (a rule id is a short
/// identifier; this only bounds a mistake).
const MAX_LABEL: usize = 64;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct MessageLabels {
    direction: String,
    verdict: String,
    action: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FindingLabels {
    category: String,
    detector: String,
    rule: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabels {
    reason: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CauseLabels {
    cause: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct NoticeLabels {
    kind: String,
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabels {
    result: String,
}

/// What one message came to, as the milter's log line says it.
#[derive(Debug, Clone, Copy)]
pub struct MessageEvent<'a> {
    /// `outbound`, `inbound` or `internal`: the transaction's direction.
    pub direction: &'a str,
    /// The scan's report, when there was one (none for a trusted marker, a
    /// tempfail before a scan, a message accepted unscanned).
    pub report: Option<&'a ScanReport>,
    /// What the milter did (the log line's `action`: `accept`, `held`,
    /// `postfix-hold`, `reject`, `fail-open`, `fail-closed`, …).
    pub action: &'a str,
    /// The message was answered TEMPFAIL, for this reason.
    pub tempfail: Option<&'a str>,
    /// The message was accepted unscanned (failure policy `accept`), for
    /// this cause.
    pub fail_open: Option<&'a str>,
}

/// The daemon's metrics and the registry that exposes them.
pub struct Metrics {
    registry: Registry,
    messages: Family<MessageLabels, Counter>,
    findings: Family<FindingLabels, Counter>,
    scan_seconds: Histogram,
    caps_hit: Family<ReasonLabels, Counter>,
    extraction_errors: Family<ReasonLabels, Counter>,
    tempfails: Family<CauseLabels, Counter>,
    fail_open: Family<CauseLabels, Counter>,
    sessions_open: Gauge,
    holds_pending: Gauge,
    notices_queued: Gauge,
    notices: Family<NoticeLabels, Counter>,
    worker_exits: Family<ReasonLabels, Counter>,
    worker_restarts: Family<ResultLabels, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// A fresh set of metrics, all zero, registered under [`PREFIX`].
    pub fn new() -> Metrics {
        let mut m = Metrics {
            registry: Registry::with_prefix(PREFIX),
            messages: Family::default(),
            findings: Family::default(),
            scan_seconds: Histogram::new(SCAN_BUCKETS),
            caps_hit: Family::default(),
            extraction_errors: Family::default(),
            tempfails: Family::default(),
            fail_open: Family::default(),
            sessions_open: Gauge::default(),
            holds_pending: Gauge::default(),
            notices_queued: Gauge::default(),
            notices: Family::default(),
            worker_exits: Family::default(),
            worker_restarts: Family::default(),
        };
        m.registry.register(
            "build",
            "The running dlp-milter's version",
            Info::new(vec![("version", env!("CARGO_PKG_VERSION"))]),
        );
        m.registry.register(
            "messages",
            "Messages that reached end of message, by direction, policy verdict and what the milter did",
            m.messages.clone(),
        );
        m.registry.register(
            "findings",
            "Findings that matched a rule, by category, detector and rule",
            m.findings.clone(),
        );
        m.registry.register(
            "scan_duration_seconds",
            "Time to scan one message (parse, extract, detect, decide)",
            m.scan_seconds.clone(),
        );
        m.registry.register(
            "caps_hit",
            "Parts or files left partly or wholly unscanned because a limit was reached, by limit",
            m.caps_hit.clone(),
        );
        m.registry.register(
            "extraction_errors",
            "Attachments or parts that could not be read, by reason",
            m.extraction_errors.clone(),
        );
        m.registry.register(
            "tempfails",
            "Messages answered TEMPFAIL (451 4.7.1), by cause",
            m.tempfails.clone(),
        );
        m.registry.register(
            "fail_open",
            "Messages accepted unscanned by the failure policy accept, by cause",
            m.fail_open.clone(),
        );
        m.registry.register(
            "sessions_open",
            "Milter connections open now (Postfix opens one per SMTP session)",
            m.sessions_open.clone(),
        );
        m.registry.register(
            "holds_pending",
            "Messages held in the quarantine awaiting release or deletion (read from the store at scrape)",
            m.holds_pending.clone(),
        );
        m.registry.register(
            "notices_queued",
            "Notices waiting in the outbox to be sent or retried (read from the store at scrape)",
            m.notices_queued.clone(),
        );
        m.registry.register(
            "notices",
            "Notice delivery attempts, by kind and outcome (sent, deferred, failed)",
            m.notices.clone(),
        );
        m.registry.register(
            "worker_exits",
            "Scan worker processes ended by the daemon or by their own death, by reason",
            m.worker_exits.clone(),
        );
        m.registry.register(
            "worker_restarts",
            "Replacement scan workers started after an exit, by result",
            m.worker_restarts.clone(),
        );
        for cause in TEMPFAIL_CAUSES {
            let _ = m.tempfails.get_or_create(&CauseLabels {
                cause: cause.into(),
            });
        }
        for cause in FAIL_OPEN_CAUSES {
            let _ = m.fail_open.get_or_create(&CauseLabels {
                cause: cause.into(),
            });
        }
        for reason in WORKER_EXITS {
            let _ = m.worker_exits.get_or_create(&ReasonLabels {
                reason: reason.into(),
            });
        }
        for result in ["ok", "failed"] {
            let _ = m.worker_restarts.get_or_create(&ResultLabels {
                result: result.into(),
            });
        }
        for kind in NOTICE_KINDS {
            for outcome in NOTICE_OUTCOMES {
                let _ = m.notices.get_or_create(&NoticeLabels {
                    kind: kind.into(),
                    outcome: outcome.into(),
                });
            }
        }
        m
    }

    /// Counts one message: its verdict and disposition, its findings, its
    /// scan time, what it left unscanned, and a tempfail or fail-open.
    pub fn message(&self, e: &MessageEvent<'_>) {
        let verdict = e
            .report
            .map(|r| r.decision.verdict.as_str())
            .unwrap_or("none");
        self.messages
            .get_or_create(&MessageLabels {
                direction: label(e.direction),
                verdict: verdict.to_string(),
                action: label(e.action),
            })
            .inc();
        if let Some(cause) = e.tempfail {
            self.tempfails
                .get_or_create(&CauseLabels {
                    cause: label(cause),
                })
                .inc();
        }
        if let Some(cause) = e.fail_open {
            self.fail_open
                .get_or_create(&CauseLabels {
                    cause: label(cause),
                })
                .inc();
        }
        // A failed scan's report is the failure itself (counted above and
        // by its disposition), not a scan that found nothing.
        let Some(report) = e.report.filter(|r| r.error.is_none()) else {
            return;
        };
        self.scan_seconds
            .observe(report.elapsed_us as f64 / 1_000_000.0);
        for m in &report.decision.findings {
            self.findings
                .get_or_create(&FindingLabels {
                    category: m.finding.category.as_str().to_string(),
                    detector: label(m.finding.detector),
                    rule: label(&m.rule),
                })
                .inc();
        }
        for n in &report.not_scanned {
            let (family, reason) = match reasons::classify(&n.reason) {
                reasons::Class::Cap(r) => (&self.caps_hit, r),
                reasons::Class::Error(r) => (&self.extraction_errors, r),
            };
            family
                .get_or_create(&ReasonLabels {
                    reason: reason.to_string(),
                })
                .inc();
        }
    }

    /// A milter connection opened; the returned guard counts it closed
    /// when dropped, however the connection ends.
    pub fn session_opened(&'static self) -> SessionOpen {
        self.sessions_open.inc();
        SessionOpen(self)
    }

    /// The store's gauges, read at scrape time.
    pub fn set_store_gauges(&self, holds_pending: u64, notices_queued: u64) {
        self.holds_pending
            .set(i64::try_from(holds_pending).unwrap_or(i64::MAX));
        self.notices_queued
            .set(i64::try_from(notices_queued).unwrap_or(i64::MAX));
    }

    /// One notice delivery attempt: `sent`, `deferred` (retried later) or
    /// `failed` (given up).
    pub fn notice(&self, kind: &str, outcome: &str) {
        self.notices
            .get_or_create(&NoticeLabels {
                kind: label(kind),
                outcome: label(outcome),
            })
            .inc();
    }

    /// A scan worker ended: `timeout` (killed over its budget), `died`
    /// (its memory or CPU limit, a crash), `retired` (before its CPU limit).
    pub fn worker_exit(&self, reason: &str) {
        self.worker_exits
            .get_or_create(&ReasonLabels {
                reason: label(reason),
            })
            .inc();
    }

    /// A replacement scan worker was started (`ok`) or could not be (`failed`).
    pub fn worker_restart(&self, ok: bool) {
        self.worker_restarts
            .get_or_create(&ResultLabels {
                result: if ok { "ok" } else { "failed" }.to_string(),
            })
            .inc();
    }

    /// The metrics in the OpenMetrics text format Prometheus scrapes.
    pub fn encode(&self) -> String {
        let mut out = String::with_capacity(8192);
        // Writing to a String cannot fail; an encoder error would be a bug
        // in a label, and a partial page is still better than none.
        if let Err(e) = prometheus_client::encoding::text::encode(&mut out, &self.registry) {
            tracing::error!(error = %e, "cannot encode the metrics");
        }
        out
    }
}

/// Counts a milter connection open while it lives (see
/// [`Metrics::session_opened`]).
pub struct SessionOpen(&'static Metrics);

impl Drop for SessionOpen {
    fn drop(&mut self) {
        self.0.sessions_open.dec();
    }
}

/// A guard counted into [`global`]: a milter session's state holds one,
/// so the gauge follows the state's life whichever way the connection ends.
impl Default for SessionOpen {
    fn default() -> Self {
        global().session_opened()
    }
}

impl std::fmt::Debug for SessionOpen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionOpen")
    }
}

static GLOBAL: LazyLock<Metrics> = LazyLock::new(Metrics::new);

/// The process's metrics: what `serve` exposes and every hook counts into.
pub fn global() -> &'static Metrics {
    &GLOBAL
}

/// A label value as exposed: characters outside a safe set become `_`
/// (the text format's quoting then never needs escapes), cut to
/// [`MAX_LABEL`] characters.
fn label(v: &str) -> String {
    v.chars()
        .take(MAX_LABEL)
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':' | '/') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

impl MetricsConfig {
    /// The address to listen on, if the listener is on; the message names
    /// the key.
    pub fn address(&self) -> Result<Option<std::net::SocketAddr>, String> {
        let l = self.listen.trim();
        if l.is_empty() {
            return Ok(None);
        }
        l.parse().map(Some).map_err(|_| {
            format!("metrics.listen {l:?} is not HOST:PORT with a numeric address (e.g. 127.0.0.1:9357)")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    /// The value of one sample line (`name{labels} value`) in `page`.
    fn sample(page: &str, series: &str) -> Option<f64> {
        page.lines()
            .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
    }

    fn report(eml: &str) -> ScanReport {
        let engine = crate::scan::Engine::from_config(&Config::default()).unwrap();
        engine.scan(eml.as_bytes(), None)
    }

    #[test]
    fn a_held_message_counts_its_verdict_findings_and_scan_time() {
        let m = Metrics::new();
        let r = report(
            "From: a@school.example\r\nTo: b@other.example\r\nSubject: hi\r\nMIME-Version: 1.0\r\n\
             Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nList.\r\n\
             --b\r\nContent-Type: text/csv; name=\"p.csv\"\r\nContent-Disposition: attachment; filename=\"p.csv\"\r\n\r\n\
             name,ni\r\nAmy Khan,AB123456C\r\nBen Okafor,JG103759A\r\n--b--\r\n",
        );
        assert!(!r.decision.findings.is_empty(), "{:?}", r.decision);
        m.message(&MessageEvent {
            direction: "outbound",
            report: Some(&r),
            action: "held",
            tempfail: None,
            fail_open: None,
        });
        let page = m.encode();
        let verdict = r.decision.verdict.as_str();
        assert_eq!(
            sample(
                &page,
                &format!("dlp_milter_messages_total{{direction=\"outbound\",verdict=\"{verdict}\",action=\"held\"}}")
            ),
            Some(1.0),
            "{page}"
        );
        let f = &r.decision.findings[0];
        let series = format!(
            "dlp_milter_findings_total{{category=\"{}\",detector=\"{}\",rule=\"{}\"}}",
            f.finding.category.as_str(),
            f.finding.detector,
            f.rule
        );
        let same = r
            .decision
            .findings
            .iter()
            .filter(|x| {
                x.rule == f.rule
                    && x.finding.detector == f.finding.detector
                    && x.finding.category == f.finding.category
            })
            .count();
        assert_eq!(sample(&page, &series), Some(same as f64), "{page}");
        assert_eq!(
            sample(&page, "dlp_milter_scan_duration_seconds_count"),
            Some(1.0),
            "{page}"
        );
        assert_eq!(
            sample(&page, "dlp_milter_tempfails_total{cause=\"timeout\"}"),
            Some(0.0)
        );
        assert!(page.ends_with("# EOF\n"));
    }

    #[test]
    fn failures_count_by_cause_and_a_failed_scan_is_not_a_scan() {
        let m = Metrics::new();
        let engine = crate::scan::Engine::from_config(&Config::default()).unwrap();
        let failed = engine.failed("scan exceeded milter.scan_timeout_ms".into());
        m.message(&MessageEvent {
            direction: "outbound",
            report: Some(&failed),
            action: "fail-closed",
            tempfail: Some("timeout"),
            fail_open: None,
        });
        m.message(&MessageEvent {
            direction: "outbound",
            report: None,
            action: "fail-open",
            tempfail: None,
            fail_open: Some("died"),
        });
        let page = m.encode();
        assert_eq!(
            sample(&page, "dlp_milter_tempfails_total{cause=\"timeout\"}"),
            Some(1.0),
            "{page}"
        );
        assert_eq!(
            sample(&page, "dlp_milter_fail_open_total{cause=\"died\"}"),
            Some(1.0),
            "{page}"
        );
        assert_eq!(
            sample(
                &page,
                "dlp_milter_messages_total{direction=\"outbound\",verdict=\"none\",action=\"fail-open\"}"
            ),
            Some(1.0),
            "{page}"
        );
        assert_eq!(
            sample(&page, "dlp_milter_scan_duration_seconds_count"),
            Some(0.0),
            "{page}"
        );
        assert!(
            !page.contains("dlp_milter_extraction_errors_total{"),
            "{page}"
        );
    }

    #[test]
    fn sessions_gauge_follows_the_guards() {
        static M: LazyLock<Metrics> = LazyLock::new(Metrics::new);
        let a = M.session_opened();
        let b = M.session_opened();
        assert_eq!(sample(&M.encode(), "dlp_milter_sessions_open"), Some(2.0));
        drop(a);
        assert_eq!(sample(&M.encode(), "dlp_milter_sessions_open"), Some(1.0));
        drop(b);
        assert_eq!(sample(&M.encode(), "dlp_milter_sessions_open"), Some(0.0));
    }

    #[test]
    fn workers_notices_and_store_gauges() {
        let m = Metrics::new();
        m.worker_exit("timeout");
        m.worker_exit("timeout");
        m.worker_restart(true);
        m.notice("sender_hold", "deferred");
        m.set_store_gauges(7, 2);
        let page = m.encode();
        for (series, want) in [
            ("dlp_milter_worker_exits_total{reason=\"timeout\"}", 2.0),
            ("dlp_milter_worker_restarts_total{result=\"ok\"}", 1.0),
            (
                "dlp_milter_notices_total{kind=\"sender_hold\",outcome=\"deferred\"}",
                1.0,
            ),
            ("dlp_milter_holds_pending", 7.0),
            ("dlp_milter_notices_queued", 2.0),
        ] {
            assert_eq!(sample(&page, series), Some(want), "{series}\n{page}");
        }
        assert!(
            page.contains(&format!(
                "dlp_milter_build_info{{version=\"{}\"}} 1",
                env!("CARGO_PKG_VERSION")
            )),
            "{page}"
        );
    }

    #[test]
    fn alertable_series_exist_at_zero_for_every_value_the_code_can_give() {
        use crate::milter::failure::Cause;
        let page = Metrics::new().encode();
        let causes = [
            Cause::Oversize,
            Cause::Timeout,
            Cause::Died,
            Cause::Failed,
            Cause::Unavailable,
            Cause::Incomplete,
        ];
        for c in causes {
            // A new cause fails to compile here until it is listed.
            match c {
                Cause::Oversize
                | Cause::Timeout
                | Cause::Died
                | Cause::Failed
                | Cause::Unavailable
                | Cause::Incomplete => {}
            }
            let series = format!("dlp_milter_tempfails_total{{cause=\"{}\"}}", c.as_str());
            assert_eq!(sample(&page, &series), Some(0.0), "{series}");
        }
        for c in FAIL_OPEN_CAUSES {
            let series = format!("dlp_milter_fail_open_total{{cause=\"{c}\"}}");
            assert_eq!(sample(&page, &series), Some(0.0), "{series}");
        }
        for kind in [
            crate::notice::gate::HOLD_KIND,
            crate::notice::gate::SUMMARY_KIND,
        ] {
            assert!(NOTICE_KINDS.contains(&kind), "{kind}");
            let series = format!("dlp_milter_notices_total{{kind=\"{kind}\",outcome=\"failed\"}}");
            assert_eq!(sample(&page, &series), Some(0.0), "{series}");
        }
        assert_eq!(
            sample(&page, "dlp_milter_worker_exits_total{reason=\"timeout\"}"),
            Some(0.0)
        );
    }

    /// Every sample name a page of `m` can have, from its `# TYPE` lines.
    fn sample_names(page: &str) -> Vec<String> {
        let mut out = Vec::new();
        for l in page.lines() {
            let Some((name, kind)) = l.strip_prefix("# TYPE ").and_then(|t| t.split_once(' '))
            else {
                continue;
            };
            let suffixes: &[&str] = match kind {
                "counter" => &["_total"],
                "histogram" => &["", "_bucket", "_sum", "_count"],
                "info" => &["_info"],
                _ => &[""],
            };
            out.extend(suffixes.iter().map(|s| format!("{name}{s}")));
        }
        out
    }

    /// The `dlp_milter_…` names in `text`.
    fn names_in(text: &str) -> std::collections::BTreeSet<String> {
        let re = regex::Regex::new(r"dlp_milter_[a-z_]+").unwrap();
        re.find_iter(text)
            .map(|m| m.as_str().trim_end_matches('_').to_string())
            .collect()
    }

    #[test]
    fn docs_and_dashboard_name_only_metrics_that_exist_and_document_them_all() {
        let m = Metrics::new();
        let mut r = report(
            "From: a@school.example\r\nTo: b@other.example\r\nSubject: NI AB123456C\r\n\r\nAmy Khan AB123456C\r\n",
        );
        for reason in ["nested deeper than 5 levels", "corrupt zip: bad"] {
            r.not_scanned.push(dlp_extract::NotScanned {
                location: "attachment:x.zip".into(),
                reason: reason.into(),
                document: true,
            });
        }
        m.message(&MessageEvent {
            direction: "outbound",
            report: Some(&r),
            action: "held",
            tempfail: None,
            fail_open: None,
        });
        let page = m.encode();
        let names = sample_names(&page);
        assert!(names.len() >= 16, "{names:?}\n{page}");
        let docs = include_str!("../../docs/metrics.md");
        let dashboard = include_str!("../../docs/grafana-dashboard.json");
        for n in names_in(docs).iter().chain(names_in(dashboard).iter()) {
            assert!(names.contains(n), "{n} is not a metric: {names:?}");
        }
        for n in &names {
            // Each family has its row in the reference table.
            let family = ["_bucket", "_sum", "_count"]
                .iter()
                .find_map(|s| n.strip_suffix(s))
                .unwrap_or(n);
            assert!(
                docs.contains(&format!("| `{n}` |")) || docs.contains(&format!("| `{family}` |")),
                "{n} is not documented in docs/metrics.md"
            );
        }
        assert!(names_in(dashboard).contains("dlp_milter_holds_pending"));
    }

    #[test]
    fn label_values_are_made_safe_and_short() {
        assert_eq!(label("sender_hold"), "sender_hold");
        assert_eq!(label("a\"b\\c\nd é"), "a_b_c_d__");
        assert_eq!(label(&"x".repeat(200)).len(), MAX_LABEL);
    }

    #[test]
    fn listen_is_off_by_default_and_checked() {
        let c = Config::from_toml("c.toml", "").unwrap();
        assert_eq!(c.metrics.address(), Ok(None));
        let c = Config::from_toml("c.toml", "[metrics]\nlisten = \"127.0.0.1:9357\"\n").unwrap();
        assert_eq!(
            c.metrics.address().unwrap().map(|a| a.to_string()),
            Some(crate::config::PACKAGED_METRICS_LISTEN.to_string())
        );
        let c = Config::from_toml("c.toml", "[metrics]\nlisten = \"localhost\"\n").unwrap();
        assert!(c.metrics.address().unwrap_err().contains("metrics.listen"));
        assert!(Config::from_toml("c.toml", "[metrics]\nport = 1\n").is_err());
    }
}
