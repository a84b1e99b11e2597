//! Reports: holds per week by category (a server-rendered SVG bar chart with
//! the same numbers in a table) and by rule, top rules, median time to
//! review, releases against deletes; the Art. 33 incident export (CSV/JSON,
//! the same rows as `quarantine export`); and the audit trail with its
//! verification result.

use super::auth::{CheckedForm, Signed};
use super::error::Failure;
use super::queue::{actor, user_ctx};
use super::views::short_time;
use super::{blocking, State};
use crate::dates::{now, parse_when, DAY};
use crate::quarantine::{export, ReportRow, State as RecordState};
use axum::extract::{Query, State as AxumState};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

const WEEK: i64 = 7 * DAY;
/// 1970-01-05, the first Monday after the epoch: weeks start on Mondays.
const FIRST_MONDAY: i64 = 4 * DAY;
/// Weeks a report covers unless asked otherwise, and at most.
const DEFAULT_WEEKS: i64 = 12;
const MAX_WEEKS: i64 = 104;

/// The Monday (00:00 UTC) of the week `t` falls in.
pub fn week_start(t: i64) -> i64 {
    t - (t - FIRST_MONDAY).rem_euclid(WEEK)
}

/// One week's holds by category.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Week {
    pub start: String,
    pub total: usize,
    /// (category, count), in the report's category order.
    pub by_category: Vec<(String, usize)>,
    pub by_rule: BTreeMap<String, usize>,
}

/// The figures of a report.
#[derive(Debug, Serialize, Default)]
pub struct Summary {
    pub weeks: Vec<Week>,
    pub categories: Vec<String>,
    pub top_rules: Vec<(String, usize)>,
    pub released: usize,
    pub deleted: usize,
    pub expired: usize,
    pub held: usize,
    /// Median seconds from hold to a person's decision (release or delete).
    pub median_review_secs: Option<i64>,
}

/// The report over `records` (holds), for the `weeks` weeks ending with the
/// week of `now`.
pub fn summarise(records: &[ReportRow], now: i64, weeks: i64) -> Summary {
    let last = week_start(now);
    let first = last - (weeks - 1) * WEEK;
    let mut categories: Vec<String> = Vec::new();
    for r in records {
        for c in &r.categories {
            if !categories.contains(c) {
                categories.push(c.clone());
            }
        }
    }
    categories.sort();
    let mut out = Summary {
        categories: categories.clone(),
        ..Summary::default()
    };
    let mut rules: BTreeMap<String, usize> = BTreeMap::new();
    let mut reviews: Vec<i64> = Vec::new();
    let mut weeks_v: Vec<Week> = (0..weeks)
        .map(|i| Week {
            start: short_time(first + i * WEEK)
                .get(..10)
                .unwrap_or_default()
                .to_string(),
            total: 0,
            by_category: categories.iter().map(|c| (c.clone(), 0)).collect(),
            by_rule: BTreeMap::new(),
        })
        .collect();
    for r in records {
        let i = (week_start(r.created_at) - first) / WEEK;
        let Some(w) = usize::try_from(i).ok().and_then(|i| weeks_v.get_mut(i)) else {
            continue;
        };
        w.total += 1;
        // Each category once per hold (ReportRow lists each once).
        for cat in &r.categories {
            if let Some(slot) = w.by_category.iter_mut().find(|(c, _)| c == cat) {
                slot.1 += 1;
            }
        }
        for id in &r.rule_ids {
            *w.by_rule.entry(id.clone()).or_default() += 1;
            *rules.entry(id.clone()).or_default() += 1;
        }
        match r.state {
            RecordState::Released => out.released += 1,
            RecordState::Deleted => out.deleted += 1,
            RecordState::Expired => out.expired += 1,
            RecordState::Held => out.held += 1,
            _ => {}
        }
        if matches!(r.state, RecordState::Released | RecordState::Deleted) {
            if let Some(t) = r.state_changed_at {
                reviews.push(t - r.created_at);
            }
        }
    }
    reviews.sort_unstable();
    out.median_review_secs = match reviews.len() {
        0 => None,
        n if n % 2 == 1 => Some(reviews[n / 2]),
        n => Some((reviews[n / 2 - 1] + reviews[n / 2]) / 2),
    };
    let mut top: Vec<(String, usize)> = rules.into_iter().collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    top.truncate(10);
    out.top_rules = top;
    out.weeks = weeks_v;
    out
}

/// The chart's geometry; the template draws it (so every label is escaped).
/// One horizontal bar per week, a row under the other: the chart is as wide
/// whatever the number of weeks, so its labels stay the same size (upright
/// bars side by side shrank them to 5 px on a phone at 12 weeks).
#[derive(Debug, Serialize)]
struct Bar {
    /// Top of the bar's row.
    y: usize,
    label: String,
    total: usize,
    /// Where the bar ends (the count is written after it).
    end: usize,
    segments: Vec<Segment>,
}

#[derive(Debug, Serialize)]
struct Segment {
    x: usize,
    width: usize,
    class: String,
    title: String,
}

/// The viewBox's width; the stylesheet caps the drawn width so that its
/// 14-unit text is 12-18 CSS px from a phone to a desktop.
const CHART_WIDTH: usize = 400;
/// One week's row, and its bar's thickness.
const ROW_HEIGHT: usize = 24;
const BAR_HEIGHT: usize = 16;
/// Room for the week's date ("11-30") before the bar and its count after.
const LABEL_WIDTH: usize = 52;
const COUNT_WIDTH: usize = 44;
const BAR_MAX: usize = CHART_WIDTH - LABEL_WIDTH - COUNT_WIDTH;

fn bars(s: &Summary) -> Vec<Bar> {
    // A hold in two categories is in two segments: scale by the longest
    // stack, so no bar runs past its room.
    let max = s
        .weeks
        .iter()
        .map(|w| {
            w.by_category
                .iter()
                .map(|(_, n)| n)
                .sum::<usize>()
                .max(w.total)
        })
        .max()
        .unwrap_or(0)
        .max(1);
    s.weeks
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let mut x = LABEL_WIDTH;
            let segments = w
                .by_category
                .iter()
                .enumerate()
                .filter(|(_, (_, n))| *n > 0)
                .map(|(ci, (c, n))| {
                    let width = (n * BAR_MAX / max).max(1);
                    let seg = Segment {
                        x,
                        width,
                        class: format!("c{}", ci % 6),
                        title: format!("week of {}: {n} {}", w.start, c.replace('_', " ")),
                    };
                    x += width;
                    seg
                })
                .collect();
            Bar {
                y: i * ROW_HEIGHT,
                label: w.start.get(5..).unwrap_or_default().to_string(),
                total: w.total,
                end: x,
                segments,
            }
        })
        .collect()
}

#[derive(Debug, Deserialize, Default)]
pub struct ReportParams {
    weeks: Option<i64>,
}

pub async fn page(
    AxumState(state): AxumState<State>,
    Signed(session): Signed,
    Query(p): Query<ReportParams>,
) -> Result<Html<String>, Failure> {
    let weeks = p.weeks.unwrap_or(DEFAULT_WEEKS).clamp(1, MAX_WEEKS);
    let t = now();
    let since = week_start(t) - (weeks - 1) * WEEK;
    let st = state.clone();
    // Only the counted columns of each hold: the whole records of 100,000
    // holds took most of a second to read and decode.
    let records = blocking(move || Ok(st.quarantine.store().report_rows(since)?)).await?;
    let s = summarise(&records, t, weeks);
    let chart = bars(&s);
    let today = short_time(t).get(..10).unwrap_or_default().to_string();
    let month_ago = short_time(t - 30 * DAY)
        .get(..10)
        .unwrap_or_default()
        .to_string();
    Ok(state.views.render(
        "reports.html",
        minijinja::context! {
            title => "Reports",
            active => "reports",
            user => user_ctx(&session.user),
            csrf => session.csrf,
            s => s,
            bars => chart,
            chart_width => CHART_WIDTH,
            chart_height => ROW_HEIGHT * (weeks as usize),
            bar_height => BAR_HEIGHT,
            median => s.median_review_secs.map(super::views::age),
            weeks => weeks,
            may_act => session.user.role.may_act(),
            today => today,
            month_ago => month_ago,
        },
    ))
}

/// The Art. 33 incident export for a date range, as a download; audited as
/// exported by this user.
pub async fn export(AxumState(state): AxumState<State>, form: CheckedForm) -> Response {
    if !form.session.user.role.may_act() {
        return Failure::forbidden("your role (auditor) may read reports, not export incidents")
            .into_response();
    }
    let f = &form.fields;
    let (Some(since), Some(until)) = (
        f.text("since").and_then(|s| parse_when(&s, false)),
        f.text("until").and_then(|s| parse_when(&s, true)),
    ) else {
        return Failure::bad_request("give the period as two dates (YYYY-MM-DD)").into_response();
    };
    let json = f.get("format") == Some("json");
    let who = actor(&form.session.user);
    let st = state.clone();
    let out = blocking(move || {
        let incidents =
            st.quarantine
                .export(since, until, &who, if json { "json" } else { "csv" })?;
        let bytes = if json {
            serde_json::to_vec_pretty(&incidents)
                .map_err(|e| Failure::from(super::error::ConsoleError::Invalid(e.to_string())))?
        } else {
            export::to_csv(&incidents)
                .map_err(|e| Failure::from(super::error::ConsoleError::Invalid(e.to_string())))?
        };
        Ok(bytes)
    })
    .await;
    match out {
        Err(f) => f.into_response(),
        Ok(bytes) => {
            let name = format!(
                "incidents-{}-{}.{}",
                crate::dates::compact_date(since),
                crate::dates::compact_date(until - 1),
                if json { "json" } else { "csv" }
            );
            (
                [
                    (
                        header::CONTENT_TYPE,
                        if json {
                            "application/json".to_string()
                        } else {
                            "text/csv; charset=utf-8".to_string()
                        },
                    ),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"{name}\""),
                    ),
                ],
                bytes,
            )
                .into_response()
        }
    }
}

#[derive(Debug, Deserialize, Default)]
pub struct AuditParams {
    page: Option<usize>,
}

const AUDIT_PAGE: usize = 100;

/// The audit trail, newest first, with the chain's verification result.
pub async fn audit(
    AxumState(state): AxumState<State>,
    Signed(session): Signed,
    Query(p): Query<AuditParams>,
) -> Result<Html<String>, Failure> {
    let st = state.clone();
    let (verified, entries) = blocking(move || {
        let v = st.quarantine.verify_audit()?;
        let entries = st.quarantine.store().audit_entries()?;
        Ok((v, entries))
    })
    .await?;
    let total = entries.len();
    let pages = total.div_ceil(AUDIT_PAGE).max(1);
    let page = p.page.unwrap_or(1).clamp(1, pages);
    let rows: Vec<_> = entries
        .iter()
        .rev()
        .skip((page - 1) * AUDIT_PAGE)
        .take(AUDIT_PAGE)
        .map(|e| {
            minijinja::context! {
                seq => e.seq,
                at => short_time(e.at),
                event => e.event,
                message_id => e.message_id,
                actor => e.actor,
                detail => e.detail,
            }
        })
        .collect();
    let (ok, summary) = match verified {
        Ok(v) => (
            true,
            format!(
                "Intact: {} entries, chain verified; {}",
                v.entries,
                crate::audit::head_line(v.entries, &v.head)
            ),
        ),
        Err(b) => (false, format!("BROKEN: {b}")),
    };
    Ok(state.views.render(
        "audit.html",
        minijinja::context! {
            title => "Audit trail",
            active => "audit",
            user => user_ctx(&session.user),
            csrf => session.csrf,
            ok => ok,
            summary => summary,
            rows => rows,
            page => page,
            pages => pages,
            prev_href => (page > 1).then(|| format!("/audit?page={}", page - 1)),
            next_href => (page < pages).then(|| format!("/audit?page={}", page + 1)),
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quarantine::{Record, StoredFinding};

    fn rec(
        created: i64,
        state: RecordState,
        changed: Option<i64>,
        cat: &str,
        rule: &str,
    ) -> Record {
        let mut r: Record = serde_json::from_value(serde_json::json!({
            "id": format!("Q-{created}"), "action": "hold", "state": state.as_str(), "created_at": created,
            "expires_at": null, "queue_id": null, "sender": "a@b", "recipients": [],
            "recipient_count": 1, "auth_user": null, "client_addr": null, "message_id": null,
            "subject": null, "severity": "high", "rule_ids": [rule], "findings": [],
            "raw_sha256": null, "raw_size": 0, "has_content": true, "content_erased_at": null,
            "state_changed_at": changed, "state_changed_by": null, "state_reason": null,
            "release_id": null, "release_started_at": null
        }))
        .unwrap();
        r.findings.push(StoredFinding {
            rule: rule.into(),
            policy: String::new(),
            category: cat.into(),
            detector: "x".into(),
            location: "body".into(),
            confidence: "high".into(),
            evidence: "x".into(),
            count: 1,
            severity: "high".into(),
            fix: String::new(),
            sender_may_release: false,
        });
        r
    }

    #[test]
    fn weeks_start_on_monday() {
        // 2026-12-07 is a Monday.
        let monday = parse_when("2026-12-07", false).unwrap();
        assert_eq!(week_start(monday), monday);
        assert_eq!(week_start(monday + 6 * DAY + 3600), monday);
        assert_eq!(week_start(monday - 1), monday - WEEK);
    }

    #[test]
    fn summary_counts_weeks_rules_and_review_times() {
        let monday = parse_when("2026-12-07", false).unwrap();
        let now = monday + DAY;
        let records = [
            rec(
                monday + 10,
                RecordState::Released,
                Some(monday + 10 + 600),
                "personal_data",
                "nino",
            ),
            rec(
                monday + 20,
                RecordState::Deleted,
                Some(monday + 20 + 1800),
                "personal_data",
                "nino",
            ),
            rec(
                monday - WEEK + 5,
                RecordState::Held,
                None,
                "exposed_recipients",
                "bcc",
            ),
            rec(
                monday - WEEK + 6,
                RecordState::Deleted,
                Some(monday - WEEK + 6 + 3000),
                "exposed_recipients",
                "bcc",
            ),
            // Before the period: not counted.
            rec(
                monday - 5 * WEEK,
                RecordState::Released,
                Some(monday),
                "personal_data",
                "nino",
            ),
        ];
        let rows: Vec<ReportRow> = records.iter().map(ReportRow::of).collect();
        let s = summarise(&rows, now, 2);
        assert_eq!(s.weeks.len(), 2);
        assert_eq!(s.weeks[0].start, "2026-11-30");
        assert_eq!(s.weeks[0].total, 2);
        assert_eq!(s.weeks[1].total, 2);
        assert_eq!(
            s.weeks[1].by_category,
            vec![
                ("exposed_recipients".to_string(), 0),
                ("personal_data".to_string(), 2)
            ]
        );
        assert_eq!(s.top_rules[0], ("bcc".to_string(), 2));
        assert_eq!((s.released, s.deleted, s.held), (1, 2, 1));
        assert_eq!(s.median_review_secs, Some(1800));
        let b = bars(&s);
        // Two holds each week: both bars fill the room, a row apart.
        assert_eq!(b[1].segments.len(), 1);
        assert_eq!(b[1].segments[0].width, BAR_MAX);
        assert_eq!(
            (
                b[0].segments[0].class.as_str(),
                b[1].segments[0].class.as_str()
            ),
            ("c0", "c1")
        );
        assert_eq!(b[1].end, LABEL_WIDTH + BAR_MAX);
        assert_eq!((b[0].y, b[1].y), (0, ROW_HEIGHT));
    }

    /// A hold in two categories is a segment in each, side by side, and the
    /// longest stack, not the hold count, fills the room: no bar runs past.
    #[test]
    fn chart_segments_stack_within_the_room() {
        let week = |total, cats: &[usize]| Week {
            start: "2026-11-30".into(),
            total,
            by_category: cats
                .iter()
                .enumerate()
                .map(|(i, n)| (format!("cat{i}"), *n))
                .collect(),
            by_rule: BTreeMap::new(),
        };
        let s = Summary {
            weeks: vec![week(3, &[3, 3]), week(1, &[1, 0]), week(0, &[0, 0])],
            ..Summary::default()
        };
        let b = bars(&s);
        let [a, c] = [&b[0].segments[0], &b[0].segments[1]];
        assert_eq!((a.x, a.width), (LABEL_WIDTH, BAR_MAX / 2));
        assert_eq!(c.x, a.x + a.width);
        assert_eq!(b[0].end, LABEL_WIDTH + BAR_MAX);
        assert_eq!(b[1].segments.len(), 1);
        assert_eq!(b[1].segments[0].width, BAR_MAX / 6);
        assert!(b[2].segments.is_empty());
        assert_eq!(b[2].end, LABEL_WIDTH);
        assert_eq!(b[2].y, 2 * ROW_HEIGHT);
    }
}
