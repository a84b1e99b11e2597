//! The `[metrics] listen` listener of `serve`: `GET /metrics` (the
//! OpenMetrics text Prometheus scrapes) and `GET /healthz` (200 when the
//! hold store can durably write now, 503 with the reason otherwise).
//!
//! It runs on the daemon's tokio runtime beside the milter sessions and
//! never blocks them: the store is read (the gauges) and written (the
//! health probe) on the blocking pool, one check at a time, each within
//! [`STORE_TIMEOUT`]. A store that hangs (a lock another process keeps, a
//! stalled disk) makes `/healthz` answer 503 at the deadline; the check
//! still running keeps the next one waiting instead of piling up blocking
//! threads the quarantine's own fsyncs need.

use super::Metrics;
use crate::config::MetricsConfig;
use crate::quarantine::{HoldStore, QuarantineError};
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::sync::Arc;
use std::time::Duration;
use thiserror::Error;
use tokio::time::{timeout_at, Instant};

/// How long `/healthz` and the gauges of `/metrics` wait for the store.
pub const STORE_TIMEOUT: Duration = Duration::from_secs(2);

/// The content type of the OpenMetrics text format.
const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Why the listener cannot start.
#[derive(Debug, Error)]
pub enum MetricsError {
    #[error("{0}")]
    Config(String),
    #[error("metrics.listen {addr}: cannot listen: {error}")]
    Bind {
        addr: std::net::SocketAddr,
        error: std::io::Error,
    },
}

/// What the handlers share.
#[derive(Clone)]
struct Observed {
    metrics: &'static Metrics,
    store: Arc<dyn HoldStore>,
    /// One store check at a time (see the module doc).
    busy: Arc<tokio::sync::Mutex<()>>,
    timeout: Duration,
}

impl Observed {
    /// Runs `f` on the store on the blocking pool within the timeout.
    async fn on_store<T: Send + 'static>(
        &self,
        f: impl FnOnce(&dyn HoldStore) -> Result<T, QuarantineError> + Send + 'static,
    ) -> Result<T, String> {
        let deadline = Instant::now() + self.timeout;
        let waited = |what: &str| {
            format!(
                "{what} within {} ms (a lock held by another process, or a stalled disk?)",
                self.timeout.as_millis()
            )
        };
        let guard = timeout_at(deadline, self.busy.clone().lock_owned())
            .await
            .map_err(|_| waited("an earlier check of the store did not finish"))?;
        let store = self.store.clone();
        let task = tokio::task::spawn_blocking(move || {
            let _one_at_a_time = guard;
            f(store.as_ref())
        });
        match timeout_at(deadline, task).await {
            Err(_) => Err(waited("the store did not answer")),
            Ok(Err(e)) => Err(format!("the store check failed: {e}")),
            Ok(Ok(r)) => r.map_err(|e| e.to_string()),
        }
    }
}

/// The routes, over `store`, counting into `metrics`.
fn router(metrics: &'static Metrics, store: Arc<dyn HoldStore>, timeout: Duration) -> Router {
    Router::new()
        .route("/metrics", get(metrics_page))
        .route("/healthz", get(healthz))
        .with_state(Observed {
            metrics,
            store,
            busy: Arc::new(tokio::sync::Mutex::new(())),
            timeout,
        })
}

async fn metrics_page(State(o): State<Observed>) -> Response {
    // The gauges from the store first; if it does not answer, the page
    // still comes with the last values read (`/healthz` says why).
    match o.on_store(|s| s.gauges()).await {
        Ok(g) => o
            .metrics
            .set_store_gauges(g.holds_pending, g.notices_queued),
        Err(e) => tracing::warn!(error = %e, "metrics: cannot read the store's gauges"),
    }
    ([(header::CONTENT_TYPE, OPENMETRICS)], o.metrics.encode()).into_response()
}

async fn healthz(State(o): State<Observed>) -> Response {
    match o.on_store(|s| s.probe_write()).await {
        Ok(()) => (StatusCode::OK, "ok: the hold store is writable\n").into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "healthz: the hold store is not writable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                format!("unhealthy: the hold store is not writable: {e}\n"),
            )
                .into_response()
        }
    }
}

/// Binds `[metrics] listen` (nothing when it is empty) and serves it on
/// the current runtime until the returned task is aborted.
pub async fn start(
    config: &MetricsConfig,
    store: Arc<dyn HoldStore>,
) -> Result<Option<tokio::task::JoinHandle<()>>, MetricsError> {
    let Some(addr) = config.address().map_err(MetricsError::Config)? else {
        return Ok(None);
    };
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|error| MetricsError::Bind { addr, error })?;
    tracing::info!(listen = %addr, "metrics and health check listening (/metrics, /healthz)");
    Ok(Some(spawn(listener, super::global(), store, STORE_TIMEOUT)))
}

fn spawn(
    listener: tokio::net::TcpListener,
    metrics: &'static Metrics,
    store: Arc<dyn HoldStore>,
    timeout: Duration,
) -> tokio::task::JoinHandle<()> {
    let app = router(metrics, store, timeout);
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "the metrics listener stopped");
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Action;
    use crate::quarantine::{HoldReceipt, HoldRequest, StoreGauges};
    use std::sync::atomic::{AtomicU8, Ordering};
    use std::sync::LazyLock;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    const OK: u8 = 0;
    const BROKEN: u8 = 1;
    const HANGS: u8 = 2;

    /// A store whose probe works, fails or hangs, as the test says.
    struct Fake {
        mode: AtomicU8,
    }

    impl HoldStore for Fake {
        fn hold(&self, _: &HoldRequest<'_>) -> Result<HoldReceipt, QuarantineError> {
            Err(QuarantineError::Other("not in this test".into()))
        }
        fn record_decision(&self, _: &HoldRequest<'_>, _: Action) -> Result<(), QuarantineError> {
            Ok(())
        }
        fn claim_marker(&self, _: &str, _: i64, _: i64) -> Result<bool, QuarantineError> {
            Ok(true)
        }
        fn probe_write(&self) -> Result<(), QuarantineError> {
            match self.mode.load(Ordering::SeqCst) {
                OK => Ok(()),
                BROKEN => Err(QuarantineError::Db(
                    "attempt to write a readonly database".into(),
                )),
                _ => {
                    std::thread::sleep(Duration::from_millis(1500));
                    Ok(())
                }
            }
        }
        fn gauges(&self) -> Result<StoreGauges, QuarantineError> {
            Ok(StoreGauges {
                holds_pending: 3,
                notices_queued: 1,
            })
        }
    }

    async fn get(addr: std::net::SocketAddr, path: &str) -> (u16, String) {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(format!("GET {path} HTTP/1.0\r\nHost: x\r\n\r\n").as_bytes())
            .await
            .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).await.unwrap();
        let status = out
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        (status, out)
    }

    #[tokio::test]
    async fn healthz_follows_the_store_and_metrics_read_its_gauges() {
        static M: LazyLock<Metrics> = LazyLock::new(Metrics::new);
        let fake = Arc::new(Fake {
            mode: AtomicU8::new(OK),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = spawn(listener, &M, fake.clone(), Duration::from_millis(300));

        let (status, body) = get(addr, "/healthz").await;
        assert_eq!(status, 200, "{body}");

        fake.mode.store(BROKEN, Ordering::SeqCst);
        let (status, body) = get(addr, "/healthz").await;
        assert_eq!(status, 503, "{body}");
        assert!(body.contains("readonly database"), "{body}");

        // A store that does not answer in time is unhealthy too, and the
        // check still running holds the next one back.
        fake.mode.store(HANGS, Ordering::SeqCst);
        let (status, body) = get(addr, "/healthz").await;
        assert_eq!(status, 503, "{body}");
        assert!(body.contains("did not answer within 300 ms"), "{body}");
        fake.mode.store(OK, Ordering::SeqCst);
        let (status, body) = get(addr, "/healthz").await;
        assert_eq!(status, 503, "{body}");
        assert!(body.contains("earlier check"), "{body}");
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let (status, body) = get(addr, "/healthz").await;
        assert_eq!(status, 200, "{body}");

        let (status, body) = get(addr, "/metrics").await;
        assert_eq!(status, 200, "{body}");
        assert!(body.contains(OPENMETRICS), "{body}");
        assert!(body.contains("\ndlp_milter_holds_pending 3\n"), "{body}");
        assert!(body.contains("\ndlp_milter_notices_queued 1\n"), "{body}");

        let (status, _) = get(addr, "/other").await;
        assert_eq!(status, 404);
        task.abort();
    }

    #[tokio::test]
    async fn an_empty_listen_starts_nothing_and_a_bad_one_is_named() {
        let fake: Arc<dyn HoldStore> = Arc::new(Fake {
            mode: AtomicU8::new(OK),
        });
        let off = start(&MetricsConfig::default(), fake.clone())
            .await
            .unwrap();
        assert!(off.is_none());
        let bad = MetricsConfig {
            listen: "nowhere".into(),
        };
        let err = start(&bad, fake.clone()).await.unwrap_err().to_string();
        assert!(err.contains("metrics.listen"), "{err}");
        // A port already taken is named once, with the address.
        let taken = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let busy = MetricsConfig {
            listen: taken.local_addr().unwrap().to_string(),
        };
        let err = start(&busy, fake).await.unwrap_err();
        let text = format!("{:#}", anyhow::Error::from(err));
        assert_eq!(text.matches("in use").count(), 1, "{text}");
        assert!(text.contains(&busy.listen), "{text}");
    }
}
