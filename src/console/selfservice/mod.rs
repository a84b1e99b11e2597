//! `/s/{token}`: what the sender of a held message sees when they follow the
//! link in their hold notice ([`crate::quarantine::Quarantine::open_link`]).
//!
//! - `GET /s/{token}`: why it was held (rule, policy clause, masked finding,
//!   how to fix it), recipients as a count and domains, the subject only
//!   when no finding was in it. Never changes anything: mail gateways
//!   (Safe Links, Mimecast) open every link before the person does.
//! - `GET /s/{token}/{release|request|delete}`: a confirmation page with a
//!   form (also read-only).
//! - `POST /s/{token}/{action}`: does it, given the form's CSRF value, which
//!   is an HMAC of the action and the link (so it only works for this link
//!   and this action) under a key derived from the data directory's marker
//!   key.
//! - An unknown token is 404, an expired or used link or a message no longer
//!   held 410, each a plain page that names nothing.
//!
//! Every response forbids caching, framing, referrers (the token is in the
//! URL) and any script (`Content-Security-Policy: script-src 'none'`); the
//! templates are autoescaped besides. The router is self-contained:
//! [`router`] gives a `Router<()>` the console merges.

mod pages;

use crate::quarantine::{token_sha256, LinkRefused, Quarantine, QuarantineError, SelfServiceError};
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Router};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::sync::Arc;

/// What the self-service pages need: the quarantine service (store, notices,
/// zone, marker key).
#[derive(Clone)]
pub struct SelfServiceDeps {
    pub quarantine: Arc<Quarantine>,
}

struct Shared {
    q: Arc<Quarantine>,
    csrf_key: Vec<u8>,
    pages: pages::Pages,
}

/// The self-service routes, all under `/s/`, with their state applied.
pub fn router(deps: SelfServiceDeps) -> Router {
    // A key of its own for CSRF values, derived from the marker key so no
    // new secret file is needed and neither value can stand for the other.
    // (HMAC takes a key of any length; should that ever fail, a random key
    // only means forms open before a restart must be opened again.)
    let csrf_key = match Hmac::<Sha256>::new_from_slice(deps.quarantine.key()) {
        Ok(mut mac) => {
            mac.update(b"dlp-milter self-service csrf v1");
            mac.finalize().into_bytes().to_vec()
        }
        Err(_) => rand::random::<[u8; 32]>().to_vec(),
    };
    let shared = Arc::new(Shared {
        pages: pages::Pages::new(&deps.quarantine),
        q: deps.quarantine,
        csrf_key,
    });
    Router::new()
        .route("/s/{token}", get(show))
        .route("/s/{token}/{action}", get(confirm).post(act))
        .with_state(shared)
}

/// The three things a sender can do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    Release,
    Request,
    Delete,
}

impl Action {
    fn parse(s: &str) -> Option<Action> {
        Some(match s {
            "release" => Action::Release,
            "request" => Action::Request,
            "delete" => Action::Delete,
            _ => return None,
        })
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Action::Release => "release",
            Action::Request => "request",
            Action::Delete => "delete",
        }
    }
}

/// Tokens we make are 43 base64url characters; anything else is not looked up.
fn plausible(token: &str) -> bool {
    token.len() == 43
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl Shared {
    /// The form's CSRF value for `action` on the link `token`.
    fn csrf(&self, token: &str, action: Action) -> String {
        self.csrf_mac(token, action)
            .map(|m| hex::encode(m.finalize().into_bytes()))
            .unwrap_or_default()
    }

    fn csrf_mac(&self, token: &str, action: Action) -> Option<Hmac<Sha256>> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.csrf_key).ok()?;
        mac.update(action.as_str().as_bytes());
        mac.update(b"\0");
        mac.update(token_sha256(token).as_bytes());
        Some(mac)
    }

    /// Compared in constant time.
    fn csrf_ok(&self, token: &str, action: Action, given: Option<&str>) -> bool {
        let Some(bytes) = given.and_then(|g| hex::decode(g.trim()).ok()) else {
            return false;
        };
        self.csrf_mac(token, action)
            .is_some_and(|m| m.verify_slice(&bytes).is_ok())
    }
}

/// Runs a quarantine call off the async threads (SQLite, SMTP).
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, SelfServiceError> + Send + 'static,
) -> Result<T, SelfServiceError> {
    tokio::task::spawn_blocking(f).await.unwrap_or_else(|e| {
        Err(SelfServiceError::Quarantine(QuarantineError::Other(
            format!("self-service task failed: {e}"),
        )))
    })
}

/// A page with the headers every self-service response carries.
fn respond(status: StatusCode, html: String) -> Response {
    let mut r = (status, html).into_response();
    let h = r.headers_mut();
    let set = |h: &mut axum::http::HeaderMap, k: header::HeaderName, v: &'static str| {
        h.insert(k, HeaderValue::from_static(v));
    };
    set(h, header::CONTENT_TYPE, "text/html; charset=utf-8");
    set(h, header::CACHE_CONTROL, "no-store");
    set(h, header::REFERRER_POLICY, "no-referrer");
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(h, header::X_FRAME_OPTIONS, "DENY");
    set(
        h,
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; style-src 'unsafe-inline'; script-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    h.insert(
        header::HeaderName::from_static("x-robots-tag"),
        HeaderValue::from_static("noindex, nofollow"),
    );
    r
}

/// The plain page of a link that opens nothing.
fn refused(s: &Shared, why: LinkRefused) -> Response {
    let status = match why {
        LinkRefused::Unknown => StatusCode::NOT_FOUND,
        _ => StatusCode::GONE,
    };
    respond(status, s.pages.gone(why))
}

/// A failure that is not the sender's: logged in full, shown in general.
fn failed(s: &Shared, e: &QuarantineError) -> Response {
    tracing::error!(error = %e, "self-service action failed");
    let (status, message) = match e {
        QuarantineError::ReleaseUncertain { .. } | QuarantineError::ReleaseInterrupted { .. } => (
            StatusCode::BAD_GATEWAY,
            "We could not confirm that your email was sent. It has not been sent twice and will not be: the data protection officer will check and finish it.",
        ),
        QuarantineError::Relay(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "The mail server did not take your email just now. Nothing was sent and it is still held: please try again in a few minutes.",
        ),
        _ => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong on our side. Nothing was changed: please try again later, or contact the data protection officer.",
        ),
    };
    respond(status, s.pages.error(message))
}

fn outcome(s: &Shared, e: SelfServiceError) -> Response {
    match e {
        SelfServiceError::Refused(why) => refused(s, why),
        SelfServiceError::Quarantine(e) => failed(s, &e),
        SelfServiceError::NotAllowed => respond(
            StatusCode::FORBIDDEN,
            s.pages.error("The rule that held this email does not let you release it yourself. You can ask for it to be released instead."),
        ),
        SelfServiceError::AlreadyRequested => respond(
            StatusCode::CONFLICT,
            s.pages.error("You have already asked for this email to be released. The data protection officer will decide."),
        ),
        SelfServiceError::Justification(m) => respond(StatusCode::UNPROCESSABLE_ENTITY, s.pages.error(&m)),
    }
}

async fn show(State(s): State<Arc<Shared>>, Path(token): Path<String>) -> Response {
    if !plausible(&token) {
        return refused(&s, LinkRefused::Unknown);
    }
    let q = s.q.clone();
    let t = token.clone();
    match blocking(move || q.open_link(&t)).await {
        Ok(open) => respond(StatusCode::OK, s.pages.page(&open, &token)),
        Err(e) => outcome(&s, e),
    }
}

async fn confirm(
    State(s): State<Arc<Shared>>,
    Path((token, action)): Path<(String, String)>,
) -> Response {
    let Some(action) = Action::parse(&action) else {
        return refused(&s, LinkRefused::Unknown);
    };
    if !plausible(&token) {
        return refused(&s, LinkRefused::Unknown);
    }
    let q = s.q.clone();
    let t = token.clone();
    match blocking(move || q.open_link(&t)).await {
        Ok(open) => {
            let csrf = s.csrf(&token, action);
            respond(
                StatusCode::OK,
                s.pages.confirm(&open, &token, action, &csrf, "", None),
            )
        }
        Err(e) => outcome(&s, e),
    }
}

/// The confirmation form's fields.
#[derive(Debug, serde::Deserialize)]
pub(crate) struct ActionForm {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    justification: Option<String>,
}

async fn act(
    State(s): State<Arc<Shared>>,
    Path((token, action)): Path<(String, String)>,
    Form(form): Form<ActionForm>,
) -> Response {
    let Some(action) = Action::parse(&action) else {
        return refused(&s, LinkRefused::Unknown);
    };
    if !plausible(&token) {
        return refused(&s, LinkRefused::Unknown);
    }
    if !s.csrf_ok(&token, action, form.csrf.as_deref()) {
        return respond(
            StatusCode::FORBIDDEN,
            s.pages.error("This form has expired or did not come from this page. Nothing was changed: please open the link in your notice again."),
        );
    }
    let text = form.justification.unwrap_or_default();
    let q = s.q.clone();
    let (t, x) = (token.clone(), text.clone());
    let done = blocking(move || match action {
        Action::Release => q.sender_release(&t, &x).map(|r| r.record),
        Action::Request => q.sender_request_release(&t, &x),
        Action::Delete => q.sender_delete(&t, &x),
    })
    .await;
    match done {
        Ok(rec) => {
            send_notices_in_background(&s.q);
            respond(StatusCode::OK, s.pages.done(&rec, &token, action))
        }
        Err(SelfServiceError::Justification(m)) => {
            // The form again, with what they wrote and why it was refused.
            let q = s.q.clone();
            let t = token.clone();
            match blocking(move || q.open_link(&t)).await {
                Ok(open) => respond(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    s.pages.confirm(
                        &open,
                        &token,
                        action,
                        &s.csrf(&token, action),
                        &text,
                        Some(&m),
                    ),
                ),
                Err(e) => outcome(&s, e),
            }
        }
        Err(e) => outcome(&s, e),
    }
}

/// Sends the DPO's alert (and whatever else is due) after an action,
/// without holding up the sender's page on a slow relay. Where the process
/// runs the notice thread (`serve`), the nudge already did it.
fn send_notices_in_background(q: &Arc<Quarantine>) {
    if q.has_notifier() {
        return;
    }
    let q = q.clone();
    tokio::task::spawn_blocking(move || {
        if let Err(e) = q.flush_outbox() {
            tracing::warn!(error = %e, "notices queued, not sent yet");
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_our_token_form_is_looked_up() {
        assert!(plausible(&"A".repeat(43)));
        assert!(plausible("abcdefghijklmnopqrstuvwxyz0123456789-_ABCDE"));
        assert!(!plausible(&"A".repeat(42)));
        assert!(!plausible(&format!("{}=", "A".repeat(42))));
        assert!(!plausible("../../etc/passwd"));
    }

    #[test]
    fn actions_round_trip() {
        for a in [Action::Release, Action::Request, Action::Delete] {
            assert_eq!(Action::parse(a.as_str()), Some(a));
        }
        assert_eq!(Action::parse("approve"), None);
    }
}
