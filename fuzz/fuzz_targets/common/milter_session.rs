//! One milter session over an in-memory stream, as the milter fuzz target
//! runs it. Also included (`#[path]`) by tests/fuzz_regressions.rs, so the
//! inputs the target flagged are replayed exactly the way it fed them.

use dlp_milter::milter::Milter;
use dlp_milter::policy::Action;
use dlp_milter::quarantine::{HoldReceipt, HoldRequest, HoldStore, QuarantineError, StoreGauges};
use std::io;
use std::task::{Context, Poll};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};

/// A quarantine that accepts every hold and keeps nothing: the session is
/// under test, not the disk.
pub struct NullStore;

impl HoldStore for NullStore {
    fn hold(&self, _: &HoldRequest<'_>) -> Result<HoldReceipt, QuarantineError> {
        Ok(HoldReceipt { id: "FUZZ".into() })
    }
    fn record_decision(&self, _: &HoldRequest<'_>, _: Action) -> Result<(), QuarantineError> {
        Ok(())
    }
    fn claim_marker(&self, _: &str, _: i64, _: i64) -> Result<bool, QuarantineError> {
        Ok(true)
    }
    fn probe_write(&self) -> Result<(), QuarantineError> {
        Ok(())
    }
    fn gauges(&self) -> Result<StoreGauges, QuarantineError> {
        Ok(StoreGauges::default())
    }
}

/// Hands out one connection, then none.
struct OneConnection(Option<DuplexStream>);

impl indymilter::Listener for OneConnection {
    type Io = DuplexStream;
    fn poll_accept(&mut self, _: &mut Context<'_>) -> Poll<io::Result<DuplexStream>> {
        match self.0.take() {
            Some(s) => Poll::Ready(Ok(s)),
            None => Poll::Pending,
        }
    }
}

/// Serves one connection on which the MTA writes `data` and then closes its
/// side, reading the replies at the same time so a full pipe cannot wedge
/// either side. Returns how the session ended and the milter's replies.
pub async fn session(milter: &Milter, data: &[u8]) -> (io::Result<()>, Vec<u8>) {
    let (client, server) = tokio::io::duplex(64 * 1024);
    let (mut from_milter, mut to_milter) = tokio::io::split(client);
    let mut replies = Vec::new();
    let mta = async {
        let write = async {
            let _ = to_milter.write_all(data).await;
            let _ = to_milter.shutdown().await;
        };
        let read = from_milter.read_to_end(&mut replies);
        let _ = tokio::join!(write, read);
    };
    let served = indymilter::run(
        OneConnection(Some(server)),
        milter.callbacks(),
        indymilter::Config::default(),
        mta,
    )
    .await;
    (served, replies)
}
