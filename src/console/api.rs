//! The JSON API under `/api/v1`, for scripts, with the pages' authorisation:
//! a bearer token (`dlp-milter token create --user NAME`) acts as its user,
//! with the user's role. Statuses: 401 without a valid token, 403 for a role
//! that may not, 400 without a reason, 404 unknown, 409 no longer held.

use super::auth::ApiUser;
use super::error::Failure;
use super::queue::QueueParams;
use super::{blocking, State};
use crate::quarantine::{view, ReleaseOptions};
use axum::body::Bytes;
use axum::extract::{Path, Query, State as AxumState};
use axum::http::{header, HeaderName, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

/// The actor recorded for an API call.
fn actor(u: &super::db::User) -> String {
    format!("api:{}", u.name)
}

/// `GET /api/v1/holds`: one object per message with the fields of
/// `quarantine list --format json`, newest first, paged (`page`,
/// `per_page`); `X-Total-Count` says how many match.
pub async fn list(
    AxumState(state): AxumState<State>,
    ApiUser(_user): ApiUser,
    Query(params): Query<QueueParams>,
) -> Result<Response, Failure> {
    let q = params
        .query(state.accounts.config.page_size)
        .map_err(Failure::json)?;
    let st = state.clone();
    let page = blocking(move || Ok(st.quarantine.store().page(&q)?))
        .await
        .map_err(Failure::json)?;
    let items: Vec<Value> = page
        .records
        .iter()
        .filter_map(|r| serde_json::from_str(&view::list_json(r)).ok())
        .collect();
    let mut resp = Json(items).into_response();
    if let Ok(v) = HeaderValue::from_str(&page.total.to_string()) {
        resp.headers_mut()
            .insert(HeaderName::from_static("x-total-count"), v);
    }
    Ok(resp)
}

/// `GET /api/v1/holds/{id}`: the masked record, its findings and its audit
/// entries (audited as viewed).
pub async fn show(
    AxumState(state): AxumState<State>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
) -> Result<Response, Failure> {
    let st = state.clone();
    let who = actor(&user);
    let shown = blocking(move || Ok(st.quarantine.show(&id, &who, false)?))
        .await
        .map_err(Failure::json)?;
    Ok((
        [(header::CONTENT_TYPE, "application/json")],
        view::show_json(&shown),
    )
        .into_response())
}

/// The reason from a JSON body `{"reason": "..."}`; 400 when missing or blank.
fn reason(body: &[u8]) -> Result<String, Failure> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|_| Failure::bad_request("send a JSON body {\"reason\": \"...\"}").json())?;
    v.get("reason")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .ok_or_else(|| Failure::bad_request("a reason is required").json())
}

async fn decide(
    state: State,
    user: super::db::User,
    id: String,
    body: Bytes,
    release: bool,
) -> Result<Response, Failure> {
    if !user.role.may_act() {
        return Err(Failure::forbidden(
            "this token's user is an auditor: it may read, not release or delete",
        )
        .json());
    }
    let reason = reason(&body)?;
    let who = actor(&user);
    let st = state.clone();
    let out = blocking(move || {
        Ok(if release {
            let r = st
                .quarantine
                .release(&id, &who, &reason, &ReleaseOptions::default())?;
            json!({
                "id": r.record.id,
                "state": r.record.state.as_str(),
                "release_id": r.release_id,
                "recipient_count": r.record.recipient_count,
            })
        } else {
            let r = st.quarantine.delete(&id, &who, &reason)?;
            json!({ "id": r.id, "state": r.state.as_str() })
        })
    })
    .await
    .map_err(Failure::json)?;
    Ok(Json(out).into_response())
}

/// `POST /api/v1/holds/{id}/release` with `{"reason": "..."}`.
pub async fn release(
    AxumState(state): AxumState<State>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, Failure> {
    decide(state, user, id, body, true).await
}

/// `POST /api/v1/holds/{id}/delete` with `{"reason": "..."}`.
pub async fn delete(
    AxumState(state): AxumState<State>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, Failure> {
    decide(state, user, id, body, false).await
}

/// `GET /api/v1/audit/verify`: the chain and the records it covers.
pub async fn verify(
    AxumState(state): AxumState<State>,
    ApiUser(_user): ApiUser,
) -> Result<Response, Failure> {
    let st = state.clone();
    let v = blocking(move || Ok(st.quarantine.verify_audit()?))
        .await
        .map_err(Failure::json)?;
    Ok(Json(match v {
        Ok(v) => json!({
            "ok": true,
            "entries": v.entries,
            "head": crate::audit::head_line(v.entries, &v.head),
            "unkeyed": v.unkeyed,
        }),
        Err(b) => json!({ "ok": false, "broken_at": b.seq, "reason": b.reason }),
    })
    .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reason_is_required_and_must_be_text() {
        assert_eq!(reason(br#"{"reason": " ok "}"#).unwrap(), "ok");
        for bad in [
            &b""[..],
            b"{}",
            br#"{"reason": ""}"#,
            br#"{"reason": 5}"#,
            b"reason=x",
        ] {
            assert_eq!(
                reason(bad).unwrap_err().status,
                axum::http::StatusCode::BAD_REQUEST
            );
        }
    }
}
