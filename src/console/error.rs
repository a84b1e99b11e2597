//! What can go wrong in the console, and how each failure looks to a browser
//! (an HTML page) or to an API client (JSON). Internal errors are logged and
//! shown as a generic message: a client never sees database or path details.

use crate::quarantine::QuarantineError;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use thiserror::Error;

/// A failure of the console's own storage or set-up.
#[derive(Debug, Error)]
pub enum ConsoleError {
    #[error("console database: {0}")]
    Db(String),
    #[error(transparent)]
    Quarantine(#[from] QuarantineError),
    #[error("no user named {0:?}")]
    NoUser(String),
    #[error("a user named {0:?} already exists")]
    UserExists(String),
    #[error("{0}")]
    Invalid(String),
    #[error("password hashing: {0}")]
    Hash(String),
    #[error("console template {name}: {message}")]
    Template { name: String, message: String },
    #[error("console: {0}")]
    Io(#[from] std::io::Error),
    /// The data directory is missing its protection (as `serve` refuses it).
    #[error(transparent)]
    DataDir(#[from] crate::datadir::DataDirError),
}

impl From<rusqlite::Error> for ConsoleError {
    fn from(e: rusqlite::Error) -> Self {
        ConsoleError::Db(e.to_string())
    }
}

/// How a failed request is answered.
#[derive(Debug)]
pub struct Failure {
    pub status: StatusCode,
    /// Safe to show: never a database or file-system detail.
    pub message: String,
    /// Answer in JSON (the API) rather than HTML (the pages).
    pub json: bool,
    /// Seconds to wait (sign-in throttling), sent as `Retry-After`.
    pub retry_after: Option<u64>,
}

impl Failure {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Failure {
        Failure {
            status,
            message: message.into(),
            json: false,
            retry_after: None,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Failure {
        Failure::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn forbidden(message: impl Into<String>) -> Failure {
        Failure::new(StatusCode::FORBIDDEN, message)
    }

    pub fn not_found() -> Failure {
        Failure::new(StatusCode::NOT_FOUND, "no such page or message")
    }

    /// The same failure, answered in JSON.
    pub fn json(mut self) -> Failure {
        self.json = true;
        self
    }
}

impl From<ConsoleError> for Failure {
    fn from(e: ConsoleError) -> Failure {
        match e {
            ConsoleError::Quarantine(q) => Failure::from(q),
            ConsoleError::NoUser(_) => Failure::not_found(),
            ConsoleError::UserExists(_) | ConsoleError::Invalid(_) => {
                Failure::bad_request(e.to_string())
            }
            other => internal(&other),
        }
    }
}

impl From<QuarantineError> for Failure {
    fn from(e: QuarantineError) -> Failure {
        use QuarantineError as Q;
        let status = match &e {
            Q::NotFound(_) => StatusCode::NOT_FOUND,
            Q::WrongState { .. }
            | Q::NoContent(_)
            | Q::ReleaseInterrupted { .. }
            | Q::ReleaseUncertain { .. } => StatusCode::CONFLICT,
            Q::ReasonRequired => StatusCode::BAD_REQUEST,
            Q::NotAllowed(_) => StatusCode::FORBIDDEN,
            // The relay refused or was down: the message stays held.
            Q::Relay(_) => StatusCode::BAD_GATEWAY,
            _ => return internal(&e),
        };
        Failure::new(status, e.to_string())
    }
}

fn internal(e: &dyn std::fmt::Display) -> Failure {
    tracing::error!(error = %e, "console request failed");
    Failure::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "an internal server error occurred; the console's log has the details",
    )
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let mut resp = if self.json {
            (
                self.status,
                axum::Json(serde_json::json!({ "error": self.message })),
            )
                .into_response()
        } else {
            (
                self.status,
                super::views::error_page(self.status, &self.message),
            )
                .into_response()
        };
        if let Some(s) = self.retry_after {
            if let Ok(v) = HeaderValue::from_str(&s.to_string()) {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        if self.status == StatusCode::UNAUTHORIZED && self.json {
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"dlp-milter\""),
            );
        }
        resp
    }
}
