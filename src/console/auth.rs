//! Who is asking. Pages: a session cookie (HttpOnly, SameSite=Strict,
//! Secure behind https) and, on every POST, the session's CSRF token in the
//! form ([`CheckedForm`] checks it before a handler sees a field). API: a
//! bearer token ([`ApiUser`]). Sign-in is throttled per account and per
//! client address by growing delays ([`super::accounts::Accounts::sign_in`]).

use super::accounts::{Session, SignIn};
use super::db::User;
use super::error::Failure;
use super::{blocking, secrets, State};
use crate::dates::now;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Query, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::net::SocketAddr;

/// The session cookie.
pub const SESSION_COOKIE: &str = "dlp_console";
/// The sign-in form's own CSRF cookie (double submit: there is no session yet).
pub const LOGIN_COOKIE: &str = "dlp_console_login";

/// A cookie's value from the request.
pub(super) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value: HttpOnly and SameSite=Strict always, Secure when
/// the console is reached over https.
fn set_cookie(name: &str, value: &str, secure: bool, clear: bool) -> HeaderValue {
    set_cookie_with(name, value, secure, "Strict", clear.then_some(0))
}

/// A `Set-Cookie` value with a chosen SameSite and lifetime: single
/// sign-on's pending cookie must be `Lax`, as it has to come back on the
/// provider's cross-site redirect to the callback.
pub(super) fn set_cookie_with(
    name: &str,
    value: &str,
    secure: bool,
    same_site: &str,
    max_age: Option<u64>,
) -> HeaderValue {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite={same_site}");
    if secure {
        c.push_str("; Secure");
    }
    if let Some(a) = max_age {
        c.push_str(&format!("; Max-Age={a}"));
    }
    HeaderValue::from_str(&c).unwrap_or_else(|_| HeaderValue::from_static("invalid=1"))
}

/// Where a request comes from, for sign-in throttling: the peer, or behind
/// a trusted proxy the last `X-Forwarded-For` entry (the one it appended).
pub(super) fn client_addr(parts: &Parts, trust_forwarded_for: bool) -> String {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "unknown".into());
    if !trust_forwarded_for {
        return peer;
    }
    forwarded_client(&parts.headers).unwrap_or(peer)
}

/// The last address in the last `X-Forwarded-For` header, if it parses.
fn forwarded_client(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all("x-forwarded-for")
        .iter()
        .next_back()
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.rsplit(',').next())
        .and_then(|a| a.trim().parse::<std::net::IpAddr>().ok())
        .map(|ip| ip.to_string())
}

/// A signed-in person on a page. Without a live session, a GET is sent to
/// the sign-in page and anything else refused (401).
pub struct Signed(pub Session);

impl FromRequestParts<State> for Signed {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &State) -> Result<Self, Response> {
        let id = cookie(&parts.headers, SESSION_COOKIE).map(str::to_string);
        let st = state.clone();
        let session = match id {
            Some(id) => blocking(move || Ok(st.accounts.session(&id, now())?))
                .await
                .map_err(IntoResponse::into_response)?,
            None => None,
        };
        match session {
            Some(s) => Ok(Signed(s)),
            None if parts.method == Method::GET => {
                let next = parts
                    .uri
                    .path_and_query()
                    .map(|p| p.as_str())
                    .unwrap_or("/");
                let q = form_urlencoded::Serializer::new(String::new())
                    .append_pair("next", next)
                    .finish();
                Err(Redirect::to(&format!("/login?{q}")).into_response())
            }
            None => Err(Failure::new(StatusCode::UNAUTHORIZED, "sign in first").into_response()),
        }
    }
}

/// Form fields, in order (a name may repeat: the queue's checkboxes).
#[derive(Debug, Default)]
pub struct Fields(pub Vec<(String, String)>);

impl Fields {
    pub fn parse(body: &[u8]) -> Fields {
        Fields(
            form_urlencoded::parse(body)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A field trimmed, None when missing or blank.
    pub fn text(&self, name: &str) -> Option<String> {
        self.get(name)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    }

    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

/// A POSTed form from a signed-in person whose CSRF token matches their
/// session's (403 otherwise). Every page that changes something takes one.
pub struct CheckedForm {
    pub session: Session,
    pub fields: Fields,
}

impl FromRequest<State> for CheckedForm {
    type Rejection = Response;

    async fn from_request(req: Request, state: &State) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let Signed(session) = Signed::from_request_parts(&mut parts, state).await?;
        let req = Request::from_parts(parts, body);
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let fields = Fields::parse(&bytes);
        let ok = fields
            .get("csrf")
            .is_some_and(|t| secrets::same(t, &session.csrf));
        if !ok {
            return Err(Failure::forbidden(
                "this form has expired or did not come from this console (CSRF check failed); go back, reload the page and try again",
            )
            .into_response());
        }
        Ok(CheckedForm { session, fields })
    }
}

/// A script with a bearer token (`Authorization: Bearer dlpc_...`); 401
/// without a valid one.
pub struct ApiUser(pub User);

impl FromRequestParts<State> for ApiUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &State) -> Result<Self, Response> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(|t| t.trim().to_string());
        let Some(token) = token else {
            return Err(
                Failure::new(StatusCode::UNAUTHORIZED, "a bearer token is required")
                    .json()
                    .into_response(),
            );
        };
        let st = state.clone();
        let user = blocking(move || Ok(st.accounts.token_user(&token, now())?))
            .await
            .map_err(|f| f.json().into_response())?;
        user.map(ApiUser).ok_or_else(|| {
            Failure::new(StatusCode::UNAUTHORIZED, "the token is not valid")
                .json()
                .into_response()
        })
    }
}

#[derive(Deserialize, Default)]
pub struct LoginQuery {
    next: Option<String>,
}

/// Only a path on this console: never an absolute or protocol-relative URL
/// (an open redirect would make a phishing link look like ours).
pub(super) fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_string(),
        _ => "/queue".into(),
    }
}

pub(super) fn login_form(
    state: &State,
    status: StatusCode,
    next: &str,
    message: Option<&str>,
    name: &str,
) -> Response {
    let token = secrets::random_token(24);
    let html = state.views.render(
        "login.html",
        minijinja::context! {
            title => "Sign in",
            csrf => token,
            next => next,
            message => message,
            name => name,
            sso_name => state.sso.as_ref().map(|s| s.provider_name().to_string()),
            sso_start => form_urlencoded::Serializer::new(String::new())
                .append_pair("next", next)
                .finish(),
        },
    );
    let mut resp = (status, html).into_response();
    resp.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(LOGIN_COOKIE, &token, state.secure_cookies, false),
    );
    resp
}

pub async fn login_page(
    axum::extract::State(state): axum::extract::State<State>,
    Query(q): Query<LoginQuery>,
) -> Response {
    login_form(
        &state,
        StatusCode::OK,
        &safe_next(q.next.as_deref()),
        None,
        "",
    )
}

pub async fn login(
    axum::extract::State(state): axum::extract::State<State>,
    req: Request,
) -> Response {
    let (parts, body) = req.into_parts();
    let addr = client_addr(&parts, state.accounts.config.trust_forwarded_for);
    let login_cookie = cookie(&parts.headers, LOGIN_COOKIE).map(str::to_string);
    let bytes = match axum::body::to_bytes(body, 64 * 1024).await {
        Ok(b) => b,
        Err(_) => return Failure::bad_request("the form is too large").into_response(),
    };
    let f = Fields::parse(&bytes);
    let next = safe_next(f.get("next"));
    let csrf_ok = match (f.get("csrf"), login_cookie.as_deref()) {
        (Some(a), Some(b)) => secrets::same(a, b),
        _ => false,
    };
    if !csrf_ok {
        return login_form(
            &state,
            StatusCode::FORBIDDEN,
            &next,
            Some("The sign-in form had expired. Please try again."),
            "",
        );
    }
    let name = f.text("name").unwrap_or_default();
    let password = f.get("password").unwrap_or_default().to_string();
    let st = state.clone();
    let (n, a) = (name.clone(), addr.clone());
    let outcome = blocking(move || {
        Ok(st
            .accounts
            .sign_in(&n, &password, &a, super::accounts::now_millis())?)
    })
    .await;
    match outcome {
        Err(f) => f.into_response(),
        Ok(SignIn::Wait(secs)) => {
            let mut resp = login_form(
                &state,
                StatusCode::TOO_MANY_REQUESTS,
                &next,
                Some(&format!(
                    "Too many wrong attempts. Please wait {secs} second(s) and try again."
                )),
                &name,
            );
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
            resp
        }
        Ok(SignIn::Wrong(next_wait)) => {
            tracing::warn!(user = %name, client = %addr, "console sign-in failed");
            let mut resp = login_form(
                &state,
                StatusCode::UNAUTHORIZED,
                &next,
                Some(&format!(
                    "Wrong name or password. You can try again in {next_wait} second(s)."
                )),
                &name,
            );
            if let Ok(v) = HeaderValue::from_str(&next_wait.to_string()) {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
            resp
        }
        Ok(SignIn::Ok { user, session_id }) => {
            tracing::info!(user = %user.name, role = user.role.as_str(), client = %addr, "console sign-in");
            let mut resp = Redirect::to(&next).into_response();
            let h = resp.headers_mut();
            h.append(
                header::SET_COOKIE,
                set_cookie(SESSION_COOKIE, &session_id, state.secure_cookies, false),
            );
            h.append(
                header::SET_COOKIE,
                set_cookie(LOGIN_COOKIE, "", state.secure_cookies, true),
            );
            resp
        }
    }
}

pub async fn logout(
    axum::extract::State(state): axum::extract::State<State>,
    form: CheckedForm,
) -> Response {
    let st = state.clone();
    let session = form.session;
    if let Err(f) = blocking(move || Ok(st.accounts.sign_out(&session)?)).await {
        return f.into_response();
    }
    let mut resp = Redirect::to("/login").into_response();
    resp.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, "", state.secure_cookies, true),
    );
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_on_this_console() {
        assert_eq!(safe_next(Some("/holds/Q-1")), "/holds/Q-1");
        assert_eq!(safe_next(Some("//evil.example/")), "/queue");
        assert_eq!(safe_next(Some("https://evil.example/")), "/queue");
        assert_eq!(safe_next(Some("/\\evil.example")), "/queue");
        assert_eq!(safe_next(None), "/queue");
    }

    #[test]
    fn the_proxy_appended_address_is_the_client() {
        let mut h = HeaderMap::new();
        h.append(
            "x-forwarded-for",
            HeaderValue::from_static("6.6.6.6, 10.1.2.3"),
        );
        assert_eq!(forwarded_client(&h).as_deref(), Some("10.1.2.3"));
        h.insert(
            "x-forwarded-for",
            HeaderValue::from_static("not an address"),
        );
        assert_eq!(forwarded_client(&h), None);
        assert_eq!(forwarded_client(&HeaderMap::new()), None);
    }

    #[test]
    fn cookies_are_found_by_exact_name() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("dlp_console_login=a; dlp_console=b"),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("b"));
        assert_eq!(cookie(&h, LOGIN_COOKIE), Some("a"));
        let v = set_cookie(SESSION_COOKIE, "x", true, false);
        let v = v.to_str().unwrap();
        assert!(v.contains("HttpOnly") && v.contains("SameSite=Strict") && v.contains("Secure"));
    }
}
