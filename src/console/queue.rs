//! The queue: held messages, filtered, searched, sorted and paged, with the
//! counts by state on top and bulk release/delete with one reason.

use super::auth::{CheckedForm, Signed};
use super::error::Failure;
use super::views::Row;
use super::{blocking, State};
use crate::dates::{now, parse_when};
use crate::quarantine::{Filter, PageQuery, ReleaseOptions, SortKey, State as RecordState};
use axum::extract::{Query, State as AxumState};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};

/// The longest page a request may ask for.
pub const MAX_PAGE_SIZE: usize = 500;

/// The queue's query string; every field optional, blanks ignored.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct QueueParams {
    /// A state, or `any`; default `held`.
    pub state: Option<String>,
    pub rule: Option<String>,
    pub severity: Option<String>,
    pub sender: Option<String>,
    /// `YYYY-MM-DD` or RFC 3339.
    pub since: Option<String>,
    /// `YYYY-MM-DD` (the whole day) or RFC 3339.
    pub until: Option<String>,
    /// Free text: sender, or a subject the masked view shows.
    pub q: Option<String>,
    /// `created`, `sender`, `severity`, `state`.
    pub sort: Option<String>,
    /// `asc` or `desc`; default newest first.
    pub dir: Option<String>,
    pub page: Option<usize>,
    pub per_page: Option<usize>,
}

fn blank(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

impl QueueParams {
    /// The store query; a bad date or state is a 400 naming it.
    pub fn query(&self, default_size: usize) -> Result<PageQuery, Failure> {
        let state = match blank(&self.state).as_deref() {
            None => Some(RecordState::Held),
            Some("any") => None,
            Some(s) => Some(
                RecordState::parse(s)
                    .ok_or_else(|| Failure::bad_request(format!("unknown state {s:?}")))?,
            ),
        };
        let date = |v: &Option<String>, end: bool, what: &str| -> Result<Option<i64>, Failure> {
            blank(v)
                .map(|s| {
                    parse_when(&s, end).ok_or_else(|| {
                        Failure::bad_request(format!(
                            "{what} {s:?} is not a date (YYYY-MM-DD) or an RFC 3339 time"
                        ))
                    })
                })
                .transpose()
        };
        let severity = blank(&self.severity);
        if let Some(s) = &severity {
            if !matches!(s.as_str(), "low" | "medium" | "high") {
                return Err(Failure::bad_request(format!("unknown severity {s:?}")));
            }
        }
        let sort = match blank(&self.sort).as_deref() {
            None | Some("created") => SortKey::Created,
            Some("sender") => SortKey::Sender,
            Some("severity") => SortKey::Severity,
            Some("state") => SortKey::State,
            Some(s) => return Err(Failure::bad_request(format!("cannot sort by {s:?}"))),
        };
        let limit = self
            .per_page
            .unwrap_or(default_size)
            .clamp(1, MAX_PAGE_SIZE);
        let page = self.page.unwrap_or(1).max(1);
        Ok(PageQuery {
            filter: Filter {
                since: date(&self.since, false, "since")?,
                until: date(&self.until, true, "until")?,
                sender: blank(&self.sender),
                rule: blank(&self.rule),
                state,
                holds_only: true,
                limit: None,
            },
            severity,
            text: blank(&self.q),
            sort,
            descending: blank(&self.dir).as_deref() != Some("asc"),
            offset: (page - 1).saturating_mul(limit),
            limit,
        })
    }

    /// This query string with some fields replaced.
    fn href(&self, change: impl FnOnce(&mut QueueParams)) -> String {
        let mut p = self.clone();
        change(&mut p);
        let mut s = form_urlencoded::Serializer::new(String::new());
        let fields = [
            ("state", &p.state),
            ("rule", &p.rule),
            ("severity", &p.severity),
            ("sender", &p.sender),
            ("since", &p.since),
            ("until", &p.until),
            ("q", &p.q),
            ("sort", &p.sort),
            ("dir", &p.dir),
        ];
        for (k, v) in fields {
            if let Some(v) = blank(v) {
                s.append_pair(k, &v);
            }
        }
        if let Some(n) = p.page.filter(|n| *n > 1) {
            s.append_pair("page", &n.to_string());
        }
        format!("/queue?{}", s.finish())
    }
}

/// `/`: the queue, for a signed-in person (the sign-in page otherwise).
pub async fn home(Signed(_): Signed) -> Redirect {
    Redirect::to("/queue")
}

/// The queue page.
pub async fn page(
    AxumState(state): AxumState<State>,
    Signed(session): Signed,
    Query(params): Query<QueueParams>,
) -> Result<Html<String>, Failure> {
    let q = params.query(state.accounts.config.page_size)?;
    let st = state.clone();
    let query = q.clone();
    let (page, counts) = blocking(move || {
        let store = st.quarantine.store();
        Ok((store.page(&query)?, store.count_by_state(true)?))
    })
    .await?;
    let t = now();
    let rows: Vec<Row> = page.records.iter().map(|r| Row::of(r, t)).collect();
    let pages = page.total.div_ceil(q.limit).max(1);
    let current = params.page.unwrap_or(1).max(1);
    let states = ["held", "released", "deleted", "expired"];
    let counts: Vec<_> = states
        .iter()
        .map(|s| {
            let n = counts
                .iter()
                .find(|(st, _)| st.as_str() == *s)
                .map(|(_, n)| *n)
                .unwrap_or(0);
            minijinja::context! {
                state => s,
                count => n,
                href => format!("/queue?state={s}"),
            }
        })
        .collect();
    let sort_now = blank(&params.sort).unwrap_or_else(|| "created".into());
    let dir_now = blank(&params.dir).unwrap_or_else(|| "desc".into());
    let sort_link = |key: &str| {
        params.href(|p| {
            p.dir = Some(if sort_now == key && dir_now == "desc" {
                "asc".into()
            } else {
                "desc".into()
            });
            p.sort = Some(key.into());
            p.page = None;
        })
    };
    let sort_links = minijinja::context! {
        created => sort_link("created"),
        sender => sort_link("sender"),
        severity => sort_link("severity"),
        state => sort_link("state"),
    };
    let role = session.user.role;
    Ok(state.views.render(
        "queue.html",
        minijinja::context! {
            title => "Queue",
            active => "queue",
            user => user_ctx(&session.user),
            csrf => session.csrf,
            counts => counts,
            states => states,
            rules => state.rule_ids(),
            f => minijinja::context! {
                q => blank(&params.q),
                state => blank(&params.state).unwrap_or_else(|| "held".into()),
                rule => blank(&params.rule),
                severity => blank(&params.severity),
                sender => blank(&params.sender),
                since => blank(&params.since),
                until => blank(&params.until),
                sort => sort_now,
                dir => dir_now,
            },
            sort_label => format!("sorted by {sort_now}, {}", if dir_now == "asc" { "ascending" } else { "descending" }),
            sort_links => sort_links,
            rows => rows,
            total => page.total,
            page => current,
            pages => pages,
            prev_href => (current > 1).then(|| params.href(|p| p.page = Some(current - 1))),
            next_href => (current < pages).then(|| params.href(|p| p.page = Some(current + 1))),
            may_act => role.may_act(),
        },
    ))
}

/// What a template needs to know of the signed-in user.
pub fn user_ctx(u: &super::db::User) -> minijinja::Value {
    minijinja::context! {
        name => u.name,
        role => u.role.as_str(),
        may_act => u.role.may_act(),
        may_admin => u.role.may_admin(),
    }
}

/// The actor recorded in the audit trail for a console user.
pub fn actor(u: &super::db::User) -> String {
    format!("console:{}", u.name)
}

/// Bulk release or delete of the ticked messages, with one reason.
pub async fn bulk(AxumState(state): AxumState<State>, form: CheckedForm) -> Response {
    let user = form.session.user.clone();
    if !user.role.may_act() {
        return Failure::forbidden("your role (auditor) may read, not release or delete")
            .into_response();
    }
    let ids = form.fields.all("id");
    let action = form.fields.text("action").unwrap_or_default();
    let Some(reason) = form.fields.text("reason") else {
        return Failure::bad_request("a reason is required").into_response();
    };
    if ids.is_empty() {
        return Failure::bad_request("no message was selected").into_response();
    }
    if !matches!(action.as_str(), "release" | "delete") {
        return Failure::bad_request("choose release or delete").into_response();
    }
    let st = state.clone();
    let who = actor(&user);
    let act = action.clone();
    let outcome = blocking(move || {
        let mut done = Vec::new();
        let mut failed = Vec::new();
        for id in ids {
            let r = if act == "release" {
                st.quarantine
                    .release(&id, &who, &reason, &ReleaseOptions::default())
                    .map(|r| {
                        format!(
                            "{id}: released to {} recipient(s)",
                            r.record.recipient_count
                        )
                    })
            } else {
                st.quarantine
                    .delete(&id, &who, &reason)
                    .map(|_| format!("{id}: deleted (content erased, record kept)"))
            };
            match r {
                Ok(line) => done.push(line),
                Err(e) => failed.push(e.to_string()),
            }
        }
        Ok((done, failed))
    })
    .await;
    match outcome {
        Err(f) => f.into_response(),
        Ok((done, failed)) => state
            .views
            .render(
                "done.html",
                minijinja::context! {
                    title => if action == "release" { "Bulk release" } else { "Bulk delete" },
                    user => user_ctx(&user),
                    csrf => form.session.csrf,
                    done => done,
                    failed => failed,
                    back => "/queue",
                    back_label => "Back to the queue",
                },
            )
            .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_become_a_query_and_bad_ones_a_400() {
        let p = QueueParams {
            q: Some("  ".into()),
            since: Some("2026-12-01".into()),
            until: Some("2026-12-01".into()),
            sort: Some("severity".into()),
            page: Some(3),
            ..QueueParams::default()
        };
        let q = p.query(50).unwrap();
        assert_eq!(q.filter.state, Some(RecordState::Held));
        assert!(q.filter.holds_only);
        assert_eq!(q.text, None);
        assert_eq!(q.sort, SortKey::Severity);
        assert!(q.descending);
        assert_eq!((q.offset, q.limit), (100, 50));
        assert_eq!(q.filter.until.unwrap() - q.filter.since.unwrap(), 86_400);
        let any = QueueParams {
            state: Some("any".into()),
            ..QueueParams::default()
        };
        assert_eq!(any.query(50).unwrap().filter.state, None);
        for bad in [
            QueueParams {
                state: Some("gone".into()),
                ..QueueParams::default()
            },
            QueueParams {
                since: Some("yesterday".into()),
                ..QueueParams::default()
            },
            QueueParams {
                severity: Some("huge".into()),
                ..QueueParams::default()
            },
            QueueParams {
                sort: Some("subject".into()),
                ..QueueParams::default()
            },
        ] {
            assert_eq!(
                bad.query(50).unwrap_err().status,
                axum::http::StatusCode::BAD_REQUEST
            );
        }
    }

    #[test]
    fn links_keep_the_filters() {
        let p = QueueParams {
            rule: Some("personal-data-nino".into()),
            q: Some("a&b".into()),
            ..QueueParams::default()
        };
        let h = p.href(|p| p.page = Some(2));
        assert_eq!(h, "/queue?rule=personal-data-nino&q=a%26b&page=2");
    }
}
