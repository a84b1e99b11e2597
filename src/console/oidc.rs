//! Single sign-on through the organisation's OpenID Connect provider
//! (Microsoft Entra ID for Microsoft 365 schools, Google for Workspace ones),
//! `[console.oidc]`. Local accounts stay as the break-glass way in.
//!
//! The flow is the authorization code flow with PKCE: `/auth/oidc/start`
//! remembers a fresh state, nonce and PKCE verifier (in memory, for ten
//! minutes, bound to the browser by a cookie holding the state) and sends
//! the browser to the provider; `/auth/oidc/callback` takes each pending
//! sign-in at most once, checks the state against the cookie, exchanges the
//! code (with the verifier) and has `openidconnect` verify the ID token:
//! issuer, audience, signature against the provider's JWKS, expiry and the
//! nonce. Then the console's own rules: the organisation's domain
//! ([`domain_allowed`]) and a mapped role ([`map_role`]); no mapped role,
//! no entry. The session is the same as after a password sign-in.

use super::accounts::now_millis;
use super::auth::{client_addr, cookie, login_form, safe_next, set_cookie_with, SESSION_COOKIE};
use super::roles::Role;
use super::{blocking, State};
use crate::config::OidcConfig;
use axum::extract::{Query, Request};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreAuthenticationFlow, CoreErrorResponseType,
    CoreGenderClaim, CoreJsonWebKey, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm,
    CoreProviderMetadata, CoreRevocableToken, CoreRevocationErrorResponse,
    CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::{
    AdditionalClaims, AuthorizationCode, Client, ClientId, ClientSecret, CsrfToken,
    EmptyExtraTokenFields, EndpointMaybeSet, EndpointNotSet, EndpointSet, IdTokenFields, IssuerUrl,
    Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, StandardErrorResponse,
    StandardTokenResponse, TokenResponse,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Where the provider sends the browser back, under `[console] base_url`:
/// the redirect URI to register with the provider.
pub const CALLBACK_PATH: &str = "/auth/oidc/callback";
/// The cookie binding a pending sign-in to the browser that started it.
pub const PENDING_COOKIE: &str = "dlp_console_oidc";
/// How long a person has at the provider before the sign-in must restart.
const PENDING_FOR: Duration = Duration::from_secs(600);
/// Pending sign-ins kept at most: starting one needs no account, so the
/// map must not grow without bound.
const MAX_PENDING: usize = 10_000;
/// `role_claim = "email"`: roles are mapped person by person from the
/// verified address (the way for Google Workspace, whose ID tokens carry no
/// groups).
const EMAIL_CLAIM: &str = "email";
/// The provider's metadata and keys are re-read this often (key rotation).
const METADATA_FOR: Duration = Duration::from_secs(3600);

/// Every claim of the ID token beyond the standard ones the library types:
/// `hd` (Google), the role claim (`roles`, `groups`), `preferred_username`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Extra {
    #[serde(flatten)]
    pub claims: HashMap<String, Value>,
}

impl AdditionalClaims for Extra {}

type OidcTokenResponse = StandardTokenResponse<
    IdTokenFields<
        Extra,
        EmptyExtraTokenFields,
        CoreGenderClaim,
        CoreJweContentEncryptionAlgorithm,
        CoreJwsSigningAlgorithm,
    >,
    CoreTokenType,
>;

/// The client as built from the provider's discovery document.
type OidcClient = Client<
    Extra,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    OidcTokenResponse,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// Why a single sign-on did not end in a session.
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("single sign-on is not set up correctly: {0}")]
    Config(String),
    #[error("the sign-in provider could not be reached or answered wrongly: {0}")]
    Provider(String),
    /// The request or the token failed a check (state, nonce, signature...).
    #[error("the sign-in could not be verified: {0}")]
    Invalid(String),
    /// Verified, but the person may not use the console.
    #[error("{0}")]
    Refused(String),
}

/// A sign-in started and not yet come back.
struct Pending {
    nonce: Nonce,
    verifier: PkceCodeVerifier,
    next: String,
    started: Instant,
}

/// Single sign-on, checked config and state.
pub struct Sso {
    provider_name: String,
    issuer: IssuerUrl,
    client_id: ClientId,
    secret: ClientSecret,
    redirect: RedirectUrl,
    allowed_domain: String,
    role_claim: String,
    roles: BTreeMap<String, Role>,
    http: reqwest::Client,
    client: tokio::sync::Mutex<Option<(Instant, Arc<OidcClient>)>>,
    pending: Mutex<HashMap<String, Pending>>,
}

/// The console role for the values of the role claim (a string or a list
/// of strings; anything else counts as none): the strongest mapped one.
/// None when no value is mapped: there is no default role.
pub fn map_role(claim: Option<&Value>, table: &BTreeMap<String, Role>) -> Option<Role> {
    let values: Vec<&str> = match claim {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    values
        .into_iter()
        .filter_map(|v| table.get(v))
        .max()
        .copied()
}

/// The person belongs to the organisation: their email's domain is the
/// allowed one (exactly: not a subdomain, not a look-alike), and so is the
/// `hd` (hosted domain) claim when the provider sends one (Google sets it
/// only for Workspace accounts). Case does not matter.
pub fn domain_allowed(email: &str, hd: Option<&str>, allowed: &str) -> bool {
    let allowed = allowed.trim().trim_start_matches('@');
    let Some((local, domain)) = email.rsplit_once('@') else {
        return false;
    };
    if local.is_empty() || !domain.eq_ignore_ascii_case(allowed) {
        return false;
    }
    hd.is_none_or(|h| h.trim().eq_ignore_ascii_case(allowed))
}

impl Sso {
    /// Builds the sign-on from checked config (`ConsoleConfig::check` ran
    /// at load); reads the secret file. Contacts nobody: discovery happens
    /// at the first sign-in, so the console starts while the provider is down.
    pub fn new(cfg: &OidcConfig, base_url: &str) -> Result<Sso, OidcError> {
        let bad = |e: &dyn std::fmt::Display| OidcError::Config(e.to_string());
        let issuer = IssuerUrl::new(cfg.issuer.clone().unwrap_or_default().trim().to_string())
            .map_err(|e| bad(&e))?;
        let secret = match &cfg.client_secret_file {
            Some(f) => std::fs::read_to_string(f)
                .map_err(|e| OidcError::Config(format!("{}: {e}", f.display())))?
                .lines()
                .next()
                .unwrap_or_default()
                .trim()
                .to_string(),
            None => cfg.client_secret.clone().unwrap_or_default(),
        };
        if secret.is_empty() {
            return Err(OidcError::Config("the client secret is empty".into()));
        }
        let redirect =
            RedirectUrl::new(format!("{base_url}{CALLBACK_PATH}")).map_err(|e| bad(&e))?;
        let role_claim = cfg.role_claim.trim().to_string();
        let mut roles = BTreeMap::new();
        for (value, role) in cfg.roles.clone().unwrap_or_default() {
            let r = Role::parse(&role)
                .ok_or_else(|| OidcError::Config(format!("unknown role {role:?}")))?;
            // Mapped by address (Google's ID tokens carry no groups): the
            // address is compared lower-cased, as it becomes the user name.
            let value = if role_claim == EMAIL_CLAIM {
                value.trim().to_lowercase()
            } else {
                value
            };
            roles.insert(value, r);
        }
        let http = reqwest::Client::builder()
            // The provider's endpoints come from its discovery document;
            // never follow a redirect somewhere else with the secret.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(15))
            .build()
            .map_err(|e| bad(&e))?;
        Ok(Sso {
            provider_name: cfg.provider_name.clone(),
            issuer,
            client_id: ClientId::new(cfg.client_id.clone().unwrap_or_default().trim().to_string()),
            secret: ClientSecret::new(secret),
            redirect,
            allowed_domain: cfg
                .allowed_domain
                .clone()
                .unwrap_or_default()
                .trim()
                .to_lowercase(),
            role_claim,
            roles,
            http,
            client: tokio::sync::Mutex::new(None),
            pending: Mutex::new(HashMap::new()),
        })
    }

    pub fn provider_name(&self) -> &str {
        &self.provider_name
    }

    /// The client from the provider's discovery document, re-read hourly.
    async fn client(&self) -> Result<Arc<OidcClient>, OidcError> {
        let mut guard = self.client.lock().await;
        if let Some((at, c)) = guard.as_ref() {
            if at.elapsed() < METADATA_FOR {
                return Ok(c.clone());
            }
        }
        let metadata = CoreProviderMetadata::discover_async(self.issuer.clone(), &self.http)
            .await
            .map_err(|e| OidcError::Provider(error_chain(&e)))?;
        let client = Arc::new(
            OidcClient::from_provider_metadata(
                metadata,
                self.client_id.clone(),
                Some(self.secret.clone()),
            )
            .set_redirect_uri(self.redirect.clone()),
        );
        *guard = Some((Instant::now(), client.clone()));
        Ok(client)
    }

    /// Starts a sign-in: the provider's authorization URL and the state
    /// (which goes into the browser's cookie).
    async fn start(&self, next: String) -> Result<(String, String), OidcError> {
        let client = self.client().await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("email".into()))
            .add_scope(Scope::new("profile".into()))
            .set_pkce_challenge(challenge)
            .url();
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        pending.retain(|_, p| p.started.elapsed() < PENDING_FOR);
        if pending.len() >= MAX_PENDING {
            return Err(OidcError::Provider(
                "too many sign-ins under way; try again in a few minutes".into(),
            ));
        }
        pending.insert(
            state.secret().clone(),
            Pending {
                nonce,
                verifier,
                next,
                started: Instant::now(),
            },
        );
        Ok((url.to_string(), state.secret().clone()))
    }

    /// Takes the pending sign-in for `state` (once: a replayed callback
    /// finds nothing), if `cookie_state` (from the browser) is the same.
    fn take(&self, state: &str, cookie_state: Option<&str>) -> Result<Pending, OidcError> {
        let same = cookie_state.is_some_and(|c| super::secrets::same(c, state));
        if !same {
            return Err(OidcError::Invalid(
                "the sign-in was not started from this browser (state mismatch)".into(),
            ));
        }
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        match pending.remove(state) {
            Some(p) if p.started.elapsed() < PENDING_FOR => Ok(p),
            Some(_) => Err(OidcError::Invalid("the sign-in took too long".into())),
            None => Err(OidcError::Invalid(
                "this sign-in is unknown or was already used".into(),
            )),
        }
    }

    /// Finishes a sign-in: the code exchanged, the ID token verified, the
    /// person's email (their console user name) and role.
    async fn finish(&self, code: String, p: Pending) -> Result<(String, Role), OidcError> {
        let client = self.client().await?;
        let token = client
            .exchange_code(AuthorizationCode::new(code))
            .map_err(|e| OidcError::Provider(error_chain(&e)))?
            .set_pkce_verifier(p.verifier)
            .request_async(&self.http)
            .await
            .map_err(|e| OidcError::Provider(error_chain(&e)))?;
        let id_token = token
            .id_token()
            .ok_or_else(|| OidcError::Invalid("the provider sent no ID token".into()))?;
        let claims = id_token
            .claims(&client.id_token_verifier(), &p.nonce)
            .map_err(|e| OidcError::Invalid(error_chain(&e)))?;
        let extra = &claims.additional_claims().claims;
        // Entra ID sends `email` only as an optional claim; its
        // `preferred_username` is the sign-in address (UPN) otherwise.
        let email = claims
            .email()
            .map(|e| e.as_str().to_string())
            .or_else(|| {
                extra
                    .get("preferred_username")
                    .and_then(Value::as_str)
                    .filter(|u| u.contains('@'))
                    .map(str::to_string)
            })
            .ok_or_else(|| {
                OidcError::Refused("the provider did not say who you are (no email claim)".into())
            })?
            .trim()
            .to_lowercase();
        if claims.email_verified() == Some(false) {
            return Err(OidcError::Refused(format!(
                "{email} is not a verified address at the provider"
            )));
        }
        let hd = extra.get("hd").and_then(Value::as_str);
        if !domain_allowed(&email, hd, &self.allowed_domain) {
            return Err(OidcError::Refused(format!(
                "{email} is not an account of {}",
                self.allowed_domain
            )));
        }
        let role_value = if self.role_claim == EMAIL_CLAIM {
            Some(Value::String(email.clone()))
        } else {
            extra.get(&self.role_claim).cloned()
        };
        let role = map_role(role_value.as_ref(), &self.roles).ok_or_else(|| {
            OidcError::Refused(format!(
                "{email} has no role for this console (ask the administrator to assign one at the provider)"
            ))
        })?;
        Ok((email, role))
    }
}

/// An error and its sources on one line (the library's top-level messages
/// alone are vague: "Failed to parse server response").
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(c) = src {
        s.push_str(": ");
        s.push_str(&c.to_string());
        src = c.source();
    }
    s
}

#[derive(Deserialize, Default)]
pub struct StartQuery {
    next: Option<String>,
}

/// `GET /auth/oidc/start`: off to the provider.
pub async fn start(
    axum::extract::State(state): axum::extract::State<State>,
    Query(q): Query<StartQuery>,
) -> Response {
    let Some(sso) = state.sso.clone() else {
        return super::error::Failure::not_found().into_response();
    };
    let next = safe_next(q.next.as_deref());
    match sso.start(next.clone()).await {
        Ok((url, st)) => {
            let mut resp = Redirect::to(&url).into_response();
            resp.headers_mut().append(
                header::SET_COOKIE,
                set_cookie_with(PENDING_COOKIE, &st, state.secure_cookies, "Lax", Some(600)),
            );
            resp
        }
        Err(e) => {
            tracing::warn!(error = %e, "single sign-on could not start");
            login_form(
                &state,
                StatusCode::BAD_GATEWAY,
                &next,
                Some(&e.to_string()),
                "",
            )
        }
    }
}

#[derive(Deserialize, Default)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// `GET /auth/oidc/callback`: back from the provider. A refusal shows the
/// sign-in page (with the local form) and why.
pub async fn callback(
    axum::extract::State(state): axum::extract::State<State>,
    req: Request,
) -> Response {
    let Some(sso) = state.sso.clone() else {
        return super::error::Failure::not_found().into_response();
    };
    let (parts, _) = req.into_parts();
    let addr = client_addr(&parts, state.accounts.config.trust_forwarded_for);
    let q: CallbackQuery = Query::try_from_uri(&parts.uri)
        .map(|Query(q)| q)
        .unwrap_or_default();
    let cookie_state = cookie(&parts.headers, PENDING_COOKIE).map(str::to_string);
    let outcome = async {
        if let Some(err) = &q.error {
            return Err(OidcError::Refused(format!(
                "the provider did not sign you in ({err}{})",
                q.error_description
                    .as_deref()
                    .map(|d| format!(": {d}"))
                    .unwrap_or_default()
            )));
        }
        let (Some(code), Some(st)) = (q.code.clone(), q.state.as_deref()) else {
            return Err(OidcError::Invalid(
                "the provider's answer lacks code or state".into(),
            ));
        };
        let pending = sso.take(st, cookie_state.as_deref())?;
        let next = pending.next.clone();
        let (email, role) = sso.finish(code, pending).await?;
        Ok((email, role, next))
    }
    .await;
    let clear_pending = set_cookie_with(PENDING_COOKIE, "", state.secure_cookies, "Lax", Some(0));
    let refuse = |e: OidcError| {
        tracing::warn!(client = %addr, error = %e, "console single sign-on refused");
        let mut resp = login_form(
            &state,
            StatusCode::FORBIDDEN,
            "/queue",
            Some(&format!("Single sign-on refused: {e}")),
            "",
        );
        resp.headers_mut()
            .append(header::SET_COOKIE, clear_pending.clone());
        resp
    };
    let (email, role, next) = match outcome {
        Ok(v) => v,
        Err(e) => return refuse(e),
    };
    // An address the console cannot use as a user name (say, with a `+`):
    // refused here with the reason, not as a server error.
    if let Err(e) = super::accounts::check_name(&email) {
        return refuse(OidcError::Refused(format!("{email}: {e}")));
    }
    let st = state.clone();
    let (n, a) = (email.clone(), addr.clone());
    let signed =
        blocking(move || Ok(st.accounts.sso_sign_in(&n, role, &a, now_millis() / 1000)?)).await;
    let (user, session_id) = match signed {
        Ok(Some(v)) => v,
        Ok(None) => {
            return refuse(OidcError::Refused(format!(
                "the console account {email} is disabled"
            )))
        }
        Err(f) => return f.into_response(),
    };
    tracing::info!(user = %user.name, role = user.role.as_str(), client = %addr, "console sign-in (single sign-on)");
    // A page, not a redirect: the way here began at the provider (another
    // site), and browsers withhold SameSite=Strict cookies for the whole of
    // such a redirect chain; a refresh from this page is same-site.
    let html = state.views.render(
        "signed_in.html",
        minijinja::context! { title => "Signed in", next => next },
    );
    let mut resp = (StatusCode::OK, html).into_response();
    let h = resp.headers_mut();
    h.append(
        header::SET_COOKIE,
        set_cookie_with(
            SESSION_COOKIE,
            &session_id,
            state.secure_cookies,
            "Strict",
            None,
        ),
    );
    h.append(header::SET_COOKIE, clear_pending);
    resp
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn table() -> BTreeMap<String, Role> {
        [
            ("DLP.Auditor".to_string(), Role::Auditor),
            ("DLP.DPO".to_string(), Role::Dpo),
            ("DLP.Admin".to_string(), Role::Admin),
        ]
        .into()
    }

    #[test]
    fn the_strongest_mapped_role_wins_and_unmapped_is_none() {
        let t = table();
        assert_eq!(map_role(Some(&json!("DLP.DPO")), &t), Some(Role::Dpo));
        assert_eq!(
            map_role(Some(&json!(["Staff", "DLP.Auditor", "DLP.Admin"])), &t),
            Some(Role::Admin)
        );
        assert_eq!(
            map_role(Some(&json!(["DLP.Auditor"])), &t),
            Some(Role::Auditor)
        );
        // Nothing mapped, wrong case, wrong type, absent: no role.
        assert_eq!(map_role(Some(&json!(["Staff", "Teachers"])), &t), None);
        assert_eq!(map_role(Some(&json!("dlp.dpo")), &t), None);
        assert_eq!(map_role(Some(&json!({"DLP.DPO": true})), &t), None);
        assert_eq!(map_role(Some(&json!([1, null])), &t), None);
        assert_eq!(map_role(None, &t), None);
        assert_eq!(map_role(Some(&json!("DLP.DPO")), &BTreeMap::new()), None);
    }

    #[test]
    fn only_the_organisations_own_domain_gets_in() {
        let d = "school.org.uk";
        assert!(domain_allowed("jo.bloggs@school.org.uk", None, d));
        assert!(domain_allowed(
            "Jo.Bloggs@School.ORG.uk",
            Some("school.org.uk"),
            d
        ));
        assert!(domain_allowed("jo@school.org.uk", None, "@school.org.uk"));
        // Hard negatives: look-alikes, subdomains, suffixes, other tenants.
        assert!(!domain_allowed("jo@evil-school.org.uk", None, d));
        assert!(!domain_allowed("jo@mail.school.org.uk", None, d));
        assert!(!domain_allowed("jo@school.org.uk.evil.com", None, d));
        assert!(!domain_allowed("jo@gmail.com", None, d));
        assert!(!domain_allowed("school.org.uk", None, d));
        assert!(!domain_allowed("@school.org.uk", None, d));
        // Google: the hosted domain must agree when it is sent.
        assert!(!domain_allowed("jo@school.org.uk", Some("other.org.uk"), d));
        assert!(!domain_allowed("jo@school.org.uk", Some(""), d));
    }

    fn sso() -> Sso {
        let cfg = OidcConfig {
            issuer: Some("http://127.0.0.1:9/".into()),
            client_id: Some("c".into()),
            client_secret: Some("s".into()),
            allowed_domain: Some("School.org.uk".into()),
            roles: Some([("DLP.DPO".to_string(), "dpo".to_string())].into()),
            ..OidcConfig::default()
        };
        Sso::new(&cfg, "https://dlp.school.org.uk").expect("valid config")
    }

    #[test]
    fn a_pending_sign_in_is_taken_once_and_only_by_its_browser() {
        let s = sso();
        assert_eq!(s.allowed_domain, "school.org.uk");
        assert_eq!(
            s.redirect.as_str(),
            "https://dlp.school.org.uk/auth/oidc/callback"
        );
        let put = |state: &str, started: Instant| {
            s.pending.lock().unwrap().insert(
                state.into(),
                Pending {
                    nonce: Nonce::new("n".into()),
                    verifier: PkceCodeVerifier::new("v".repeat(43)),
                    next: "/queue".into(),
                    started,
                },
            );
        };
        put("abc", Instant::now());
        assert!(matches!(s.take("abc", None), Err(OidcError::Invalid(_))));
        assert!(matches!(
            s.take("abc", Some("abd")),
            Err(OidcError::Invalid(_))
        ));
        assert!(s.take("abc", Some("abc")).is_ok());
        // A replay of the same callback finds nothing.
        assert!(matches!(
            s.take("abc", Some("abc")),
            Err(OidcError::Invalid(_))
        ));
        if let Some(old) = Instant::now().checked_sub(PENDING_FOR + Duration::from_secs(1)) {
            put("old", old);
            assert!(matches!(
                s.take("old", Some("old")),
                Err(OidcError::Invalid(_))
            ));
        }
    }

    #[test]
    fn roles_by_email_are_keyed_lower_case() {
        let cfg = OidcConfig {
            issuer: Some("https://accounts.google.com".into()),
            client_id: Some("c".into()),
            client_secret: Some("s".into()),
            allowed_domain: Some("school.org.uk".into()),
            role_claim: "email".into(),
            roles: Some([(" Jo.DPO@School.org.uk".to_string(), "dpo".to_string())].into()),
            ..OidcConfig::default()
        };
        let s = Sso::new(&cfg, "https://x").unwrap();
        assert_eq!(
            map_role(Some(&json!("jo.dpo@school.org.uk")), &s.roles),
            Some(Role::Dpo)
        );
        // Any other claim name keeps its values exactly (Entra role values
        // are case-sensitive).
        let s = Sso::new(
            &OidcConfig {
                role_claim: "roles".into(),
                ..cfg
            },
            "https://x",
        )
        .unwrap();
        assert!(s.roles.contains_key(" Jo.DPO@School.org.uk"));
    }

    #[test]
    fn the_secret_file_wins_and_an_empty_secret_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("secret");
        std::fs::write(&f, "from-file\n").unwrap();
        let mut cfg = OidcConfig {
            issuer: Some("https://login.example/".into()),
            client_id: Some("c".into()),
            client_secret: Some("inline".into()),
            client_secret_file: Some(f),
            allowed_domain: Some("school.org.uk".into()),
            ..OidcConfig::default()
        };
        let s = Sso::new(&cfg, "https://x").unwrap();
        assert_eq!(s.secret.secret(), "from-file");
        cfg.client_secret_file = None;
        cfg.client_secret = Some(String::new());
        assert!(matches!(
            Sso::new(&cfg, "https://x"),
            Err(OidcError::Config(_))
        ));
    }
}
