//! The web console: the DPO reviews the quarantine in a browser.
//!
//! A separate process (`dlp-milter console`) from the milter, run as the same
//! user on the same store: it reads the quarantine over its own connections
//! (WAL: readers never block the milter's writes) and changes it only through
//! the quarantine service ([`crate::quarantine::Quarantine`]: release, delete,
//! show/reveal, export), with the signed-in user as the actor, so the audit
//! trail records who did what exactly as for the `quarantine` commands.
//!
//! Server-rendered HTML forms (minijinja, templates under templates/console/,
//! autoescaped), no JavaScript needed; a JSON API under `/api/v1` for
//! scripts, authorised by bearer tokens. Pieces, in the order a request meets
//! them: [`auth`] (who is asking: session cookie + CSRF, or bearer token),
//! [`queue`], [`message`], [`reports`], [`users`] (pages), [`api`], and below
//! them [`accounts`] (the rules) over [`db`] (the console's tables).
//! [`selfservice`]: the sender's page behind the link in a hold notice
//! (`/s/{token}`), no account needed, authorised by its own token.
//! Sessions live in the quarantine database, not a sessions crate: one store
//! to back up, and nothing else to run.

pub mod accounts;
pub mod api;
pub mod auth;
pub mod db;
pub mod error;
pub mod in_place;
pub mod message;
pub mod oidc;
pub mod queue;
pub mod reports;
pub mod roles;
pub mod secrets;
pub mod selfservice;
pub mod users;
pub mod views;

use crate::config::Config;
use crate::quarantine::{sqlite, Quarantine};
use crate::scan::Engine;
use accounts::Accounts;
use axum::http::{header, HeaderValue};
use axum::routing::{get, post};
use axum::Router;
use error::{ConsoleError, Failure};
use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use tower_http::set_header::SetResponseHeaderLayer;

/// Everything a request handler needs.
pub struct Console {
    pub quarantine: Arc<Quarantine>,
    pub accounts: Accounts,
    /// The rules, to re-read a held message's attachments (sniffed type and
    /// encryption verdict) on its page, and to name the rules in filters.
    pub engine: Option<Arc<Engine>>,
    pub views: views::Views,
    /// Mark cookies `Secure` (the console is reached over https).
    pub secure_cookies: bool,
    /// Single sign-on (`[console.oidc]`), when set up.
    pub sso: Option<Arc<oidc::Sso>>,
}

/// The shared state of the router.
pub type State = Arc<Console>;

impl Console {
    /// Opens the quarantine under `data_dir` (creating and migrating the
    /// database) and the console's tables in it. Starts no thread: the
    /// milter (`serve`) sends notices and runs retention.
    pub fn open(config: &Config, data_dir: &Path) -> Result<Console, ConsoleError> {
        // Held mail is personal data: the same check as `serve` (0700).
        crate::datadir::prepare(data_dir)?;
        // Times on the pages are the organisation's (validated at load).
        if let Ok(zone) = crate::dates::Zone::named(&config.organisation.timezone) {
            views::set_zone(zone);
        }
        let quarantine = Arc::new(Quarantine::open(config, data_dir)?);
        let db = db::ConsoleDb::open(&data_dir.join(sqlite::DB_FILE))?;
        let engine = match Engine::from_config(config) {
            Ok(e) => Some(Arc::new(e)),
            Err(e) => {
                tracing::warn!(error = %e, "the rules do not load: message pages will not list attachments");
                None
            }
        };
        let (views, warnings) = views::Views::load(config.console.templates_dir.as_deref())?;
        for w in warnings {
            tracing::warn!("{w}");
        }
        let secure_cookies = config
            .console
            .base_url
            .as_deref()
            .is_some_and(|u| u.to_ascii_lowercase().starts_with("https://"));
        let sso = match (config.console.oidc.enabled(), config.console.base_url()) {
            (true, Some(base)) => Some(Arc::new(
                oidc::Sso::new(&config.console.oidc, base)
                    .map_err(|e| ConsoleError::Invalid(e.to_string()))?,
            )),
            _ => None,
        };
        Ok(Console {
            sso,
            quarantine: quarantine.clone(),
            accounts: Accounts {
                db,
                config: config.console.clone(),
                audit: Some(quarantine.store().clone()),
            },
            engine,
            views,
            secure_cookies,
        })
    }

    /// Rule ids the filters offer: those of the loaded rules.
    pub fn rule_ids(&self) -> Vec<String> {
        self.engine
            .as_ref()
            .map(|e| e.policy.rules.iter().map(|r| r.id.clone()).collect())
            .unwrap_or_default()
    }
}

/// Runs `f` (database work, Argon2, SMTP) on the blocking pool: the async
/// threads keep serving other requests meanwhile.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, Failure> + Send + 'static,
) -> Result<T, Failure> {
    tokio::task::spawn_blocking(f).await.unwrap_or_else(|e| {
        Err(ConsoleError::Invalid(format!("a console task failed: {e}")).into())
    })
}

/// The pages and the API, without the layers [`app`] adds.
pub fn routes(state: State) -> Router {
    Router::new()
        .route("/", get(queue::home))
        .route("/login", get(auth::login_page).post(auth::login))
        .route("/logout", post(auth::logout))
        .route("/auth/oidc/start", get(oidc::start))
        .route(oidc::CALLBACK_PATH, get(oidc::callback))
        .route("/queue", get(queue::page))
        .route("/queue/bulk", post(queue::bulk))
        .route("/holds/{id}", get(message::page))
        .route(
            "/holds/{id}/reveal",
            get(message::reveal_confirm).post(message::reveal),
        )
        .route("/holds/{id}/release", post(message::release))
        .route("/holds/{id}/delete", post(message::delete))
        .route("/reports", get(reports::page))
        .route("/reports/export", post(reports::export))
        .route("/audit", get(reports::audit))
        .route("/users", get(users::page).post(users::add))
        .route("/users/{name}/disable", post(users::disable))
        .route("/static/console.css", get(views::stylesheet))
        .route("/api/v1/holds", get(api::list))
        .route("/api/v1/holds/{id}", get(api::show))
        .route("/api/v1/holds/{id}/release", post(api::release))
        .route("/api/v1/holds/{id}/delete", post(api::delete))
        .route("/api/v1/audit/verify", get(api::verify))
        .with_state(state)
}

/// Unknown paths: JSON under `/api/`, an HTML page elsewhere.
async fn not_found(uri: axum::http::Uri) -> Failure {
    if uri.path().starts_with("/api/") {
        Failure::not_found().json()
    } else {
        Failure::not_found()
    }
}

/// The whole console: [`routes`], and the sender's self-service pages
/// (`/s/...`, [`selfservice`], authorised by their own single-message
/// tokens) merged in beside them — a merged router must not set a fallback
/// of its own (axum refuses two) — under one set of layers: a body limit and
/// the security headers.
pub fn app(state: State) -> Router {
    let sender_pages = selfservice::router(selfservice::SelfServiceDeps {
        quarantine: state.quarantine.clone(),
    });
    routes(state)
        .merge(sender_pages)
        .fallback(not_found)
        .layer(axum::extract::DefaultBodyLimit::max(1 << 20))
        // Held mail is personal data: never cached, never framed, no
        // scripts or remote loads, no referrer to other sites.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
            ),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
}

/// Serves the console on `listener` until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: State,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
