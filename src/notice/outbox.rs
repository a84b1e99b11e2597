//! The notice outbox: queued notices (rows in the quarantine database) sent
//! to the relay, retried with exponential backoff, logged and audited.
//!
//! Runs on its own thread in `serve` (see [`spawn`]) and synchronously in the
//! commands that send mail (`digest`, `release`). Nothing here ever runs on
//! the milter's path: a hold only inserts rows and nudges the thread.

use crate::audit::{Event, NewEntry};
use crate::quarantine::marker;
use crate::quarantine::relay;
use crate::quarantine::store::Store;
use crate::quarantine::QuarantineError;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

/// First retry after this; doubles per attempt up to [`MAX_BACKOFF_SECS`].
pub const FIRST_BACKOFF_SECS: i64 = 60;
pub const MAX_BACKOFF_SECS: i64 = 3600;
/// Notices sent per pass, so one pass stays short.
const BATCH: usize = 50;

/// Sends due notices to a relay.
#[derive(Clone)]
pub struct Outbox {
    pub store: Arc<dyn Store>,
    pub key: Arc<Vec<u8>>,
    pub relay: String,
    pub timeout: Duration,
    pub give_up_after_secs: i64,
}

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pass {
    pub sent: usize,
    pub deferred: usize,
    pub given_up: usize,
}

/// Delay before attempt `attempts + 1`.
pub fn backoff(attempts: u32) -> i64 {
    FIRST_BACKOFF_SECS
        .saturating_mul(1i64 << attempts.min(20))
        .min(MAX_BACKOFF_SECS)
}

impl Outbox {
    /// Sends every notice due at `now`.
    pub fn deliver_due(&self, now: i64) -> Result<Pass, QuarantineError> {
        let mut pass = Pass::default();
        loop {
            let due = self.store.due_notices(now, BATCH)?;
            if due.is_empty() {
                return Ok(pass);
            }
            let n_due = due.len();
            for q in due {
                let n = &q.notice;
                let notice_id = format!("N{}-{}", q.id, hex::encode(rand::random::<[u8; 4]>()));
                // Bound to the notice's body and envelope: the marker
                // cannot be reused for anything else or anyone else.
                let binding = marker::Binding::of_message(
                    &n.bytes,
                    &n.envelope_from,
                    std::slice::from_ref(&n.recipient),
                );
                let signed_at = crate::dates::now();
                let mut bytes = Vec::with_capacity(n.bytes.len() + 160);
                match marker::sign(
                    &self.key,
                    marker::Kind::Notice,
                    &notice_id,
                    signed_at,
                    &binding,
                ) {
                    Some(v) => {
                        bytes.extend_from_slice(
                            format!("{}: {v}\r\n", marker::NOTICE_HEADER).as_bytes(),
                        );
                    }
                    None => tracing::warn!(notice = q.id, "notice sent without a marker (no key)"),
                }
                bytes.extend_from_slice(&n.bytes);
                let result = relay::send(
                    &self.relay,
                    &n.envelope_from,
                    std::slice::from_ref(&n.recipient),
                    &bytes,
                    self.timeout,
                );
                match result {
                    Ok(()) => {
                        tracing::info!(notice = q.id, kind = %n.kind, reference = ?n.reference, "notice sent");
                        let e = NewEntry::new(
                            now,
                            Event::NoticeSent,
                            n.reference.as_deref(),
                            "notifier",
                            serde_json::json!({ "kind": n.kind, "to": n.recipient, "notice_id": notice_id }),
                        );
                        self.store.notice_sent(q.id, &e)?;
                        crate::metrics::global().notice(&n.kind, "sent");
                        pass.sent += 1;
                    }
                    Err(err) => {
                        let msg = err.to_string();
                        if now.saturating_sub(q.created_at) >= self.give_up_after_secs {
                            tracing::error!(notice = q.id, kind = %n.kind, error = %msg, attempts = q.attempts + 1, "notice given up");
                            let e = NewEntry::new(
                                now,
                                Event::NoticeFailed,
                                n.reference.as_deref(),
                                "notifier",
                                serde_json::json!({ "kind": n.kind, "to": n.recipient, "error": msg }),
                            );
                            self.store.notice_failed(q.id, &msg, None, Some(&e))?;
                            crate::metrics::global().notice(&n.kind, "failed");
                            pass.given_up += 1;
                        } else {
                            let retry = now + backoff(q.attempts);
                            tracing::warn!(notice = q.id, kind = %n.kind, error = %msg, retry_at = retry, "notice not sent; will retry");
                            self.store.notice_failed(q.id, &msg, Some(retry), None)?;
                            crate::metrics::global().notice(&n.kind, "deferred");
                            pass.deferred += 1;
                        }
                    }
                }
            }
            if n_due < BATCH {
                return Ok(pass);
            }
        }
    }
}

/// Starts the outbox thread: it sends whatever is due whenever it is nudged
/// through the returned channel, and at least every minute; `housekeeping`
/// runs about once an hour (retention). The thread ends when the sender is dropped.
pub fn spawn(
    outbox: Outbox,
    housekeeping: Box<dyn Fn(i64) + Send>,
) -> std::io::Result<mpsc::Sender<()>> {
    let (tx, rx) = mpsc::channel::<()>();
    std::thread::Builder::new()
        .name("dlp-notices".into())
        .spawn(move || {
            let mut next_housekeeping = 0i64;
            loop {
                let now = crate::dates::now();
                if let Err(e) = outbox.deliver_due(now) {
                    tracing::error!(error = %e, "notice outbox pass failed");
                }
                if now >= next_housekeeping {
                    housekeeping(now);
                    next_housekeeping = now + 3600;
                }
                let wait = match outbox.store.next_notice_due() {
                    Ok(Some(t)) => (t - now).clamp(1, 60),
                    _ => 60,
                };
                match rx.recv_timeout(Duration::from_secs(wait as u64)) {
                    Ok(()) | Err(mpsc::RecvTimeoutError::Timeout) => {
                        // Coalesce a burst of nudges into one pass.
                        while rx.try_recv().is_ok() {}
                    }
                    Err(mpsc::RecvTimeoutError::Disconnected) => return,
                }
            }
        })?;
    Ok(tx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_caps() {
        assert_eq!(backoff(0), 60);
        assert_eq!(backoff(1), 120);
        assert_eq!(backoff(10), MAX_BACKOFF_SECS);
        assert_eq!(backoff(u32::MAX), MAX_BACKOFF_SECS);
    }
}
