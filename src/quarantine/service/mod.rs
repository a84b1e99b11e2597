//! The quarantine service: what holding, releasing, deleting and expiring
//! mean, on top of any [`Store`]. The milter calls [`HoldStore`]; the
//! `quarantine` commands call the rest. One file per operation:
//!
//! - [`hold`]: the milter's hold and decision records ([`HoldStore`]).
//! - [`show`]: one record with its audit trail.
//! - [`release`]: re-injection with a release marker.
//! - [`delete`]: erasing a held message on the DPO's word.
//! - [`purge`]: retention (also run hourly by the notice thread).
//! - [`export`]: incidents of a period for the DPO's records.
//! - [`digest`]: the DPO's digest of a period.
//! - [`selfservice`]: the sender's link in the hold notice, and what it lets
//!   the sender do.
//!
//! What the notices say is composed in [`crate::notice::compose`].

mod delete;
mod digest;
mod export;
mod hold;
mod purge;
mod release;
mod selfservice;
mod show;

pub use digest::DigestOutcome;
pub use release::{ReleaseOptions, Released};
pub use selfservice::{
    token_sha256, LinkRefused, OpenLink, SelfServiceError, MAX_JUSTIFICATION_CHARS,
};
pub use show::Shown;

use super::store::{Filter, Record, State, Store};
use super::{marker, relay};
use super::{HoldStore, QuarantineConfig, QuarantineError};
use crate::audit;
use crate::config::{Config, ConsoleConfig};
use crate::dates::{now, rfc3339, Zone};
use crate::notice::compose::Composer;
use crate::notice::gate::NoticeGate;
use crate::notice::outbox;
use std::path::Path;
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

/// Postfix on this host.
pub use crate::config::DEFAULT_RELAY;

/// The quarantine service.
pub struct Quarantine {
    store: Arc<dyn Store>,
    config: QuarantineConfig,
    /// Where self-service links point and how long they work.
    console: ConsoleConfig,
    /// The notices' settings, templates and words.
    notices: Composer,
    key: Arc<Vec<u8>>,
    /// Which senders may be told about their own messages, and how often.
    gate: NoticeGate,
    /// Held from counting a sender's recent notices to storing the hold, so
    /// concurrent holds from one sender cannot all see room under the limit.
    notice_count: Mutex<()>,
    /// Nudges the notice thread, once started.
    wake: Mutex<Option<mpsc::Sender<()>>>,
}

/// Opens the quarantine under `data_dir` for the milter, with the notice
/// thread running (notices, retries, hourly retention).
pub fn open(config: &Config, data_dir: &Path) -> Result<Arc<dyn HoldStore>, QuarantineError> {
    let q = Quarantine::open(config, data_dir)?;
    q.start_notifier()?;
    Ok(Arc::new(q))
}

impl Quarantine {
    /// Opens (creating, migrating) the SQLite store and the marker key under
    /// `data_dir`. No thread is started: see [`Quarantine::start_notifier`].
    pub fn open(config: &Config, data_dir: &Path) -> Result<Quarantine, QuarantineError> {
        let store = Arc::new(super::sqlite::SqliteStore::open_with_audit_key(
            data_dir,
            config.quarantine.audit_key.as_deref(),
        )?);
        let key = marker::load_or_create_key(data_dir)?;
        Quarantine::with_store(store, config, key)
    }

    /// A service over any store (a PostgreSQL one, a test double).
    pub fn with_store(
        store: Arc<dyn Store>,
        config: &Config,
        key: Vec<u8>,
    ) -> Result<Quarantine, QuarantineError> {
        let n = &config.notice;
        n.validate()?;
        config.quarantine.validate()?;
        config
            .console
            .check(config.quarantine.retention_days)
            .map_err(QuarantineError::Config)?;
        let zone = Zone::named(&config.organisation.timezone).map_err(QuarantineError::Config)?;
        Ok(Quarantine {
            store,
            config: config.quarantine.clone(),
            console: config.console.clone(),
            notices: Composer::new(n, &config.organisation.name, zone),
            key: Arc::new(key),
            gate: NoticeGate::new(config.organisation.domains.clone()),
            notice_count: Mutex::new(()),
            wake: Mutex::new(None),
        })
    }

    /// Overrides the relay (`--relay HOST:PORT`).
    pub fn set_relay(&mut self, relay: &str) -> Result<(), QuarantineError> {
        relay::parse_relay(relay)?;
        self.config.relay = relay.to_string();
        Ok(())
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The time zone times are shown to people in (`[organisation] timezone`).
    pub fn zone(&self) -> &Zone {
        self.notices.zone()
    }

    /// The organisation's name as notices give it.
    pub fn organisation(&self) -> &str {
        self.notices.organisation()
    }

    /// The `[notice] dpo` address, if any.
    pub fn dpo(&self) -> Option<&str> {
        self.notices.config().dpo.as_deref()
    }

    /// The marker key (the milter needs it for [`marker::verify_released`]).
    pub fn key(&self) -> &[u8] {
        &self.key
    }

    fn outbox(&self) -> outbox::Outbox {
        outbox::Outbox {
            store: self.store.clone(),
            key: self.key.clone(),
            relay: self.config.relay.clone(),
            timeout: Duration::from_secs(self.config.relay_timeout_secs.max(1)),
            give_up_after_secs: (self.notices.config().give_up_after_hours as i64)
                .saturating_mul(3600),
        }
    }

    /// Starts the notice thread (idempotent).
    pub fn start_notifier(&self) -> Result<(), QuarantineError> {
        let mut wake = self.wake.lock().unwrap_or_else(|p| p.into_inner());
        if wake.is_none() {
            let store = self.store.clone();
            let housekeeping = Box::new(move |now: i64| {
                match purge::expire_due(store.as_ref(), now) {
                    Ok(ids) if !ids.is_empty() => {
                        tracing::info!(count = ids.len(), "retention: content erased")
                    }
                    Ok(_) => {}
                    Err(e) => tracing::error!(error = %e, "retention pass failed"),
                }
                // Hourly, the audit head into the system log: an anchor
                // outside the database for `audit verify --anchor`.
                match super::audit_check::head(store.as_ref()) {
                    Ok(line) => tracing::info!("{line}"),
                    Err(e) => tracing::error!(error = %e, "cannot read the audit head"),
                }
            });
            *wake = Some(outbox::spawn(self.outbox(), housekeeping)?);
        }
        Ok(())
    }

    fn nudge(&self) {
        let wake = self.wake.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(tx) = wake.as_ref() {
            let _ = tx.send(());
        }
    }

    /// Sends whatever notices are due now (the commands call this; `serve`
    /// has the thread).
    pub fn flush_outbox(&self) -> Result<outbox::Pass, QuarantineError> {
        self.flush_outbox_at(now())
    }

    /// Sends whatever notices are due at `at` (tests use a later time to
    /// reach a retry without waiting for the backoff).
    pub fn flush_outbox_at(&self, at: i64) -> Result<outbox::Pass, QuarantineError> {
        self.outbox().deliver_due(at)
    }

    /// A record by reference.
    pub fn get(&self, id: &str) -> Result<Record, QuarantineError> {
        self.store
            .get(id)?
            .ok_or_else(|| QuarantineError::NotFound(id.to_string()))
    }

    pub fn list(&self, filter: &Filter) -> Result<Vec<Record>, QuarantineError> {
        self.store.list(filter)
    }

    /// The audit chain's head as written outside the database
    /// ([`audit::head_line`]: entry number and MAC).
    pub fn audit_head(&self) -> Result<String, QuarantineError> {
        super::audit_check::head(self.store.as_ref())
    }

    /// The chain checked against heads recorded outside the database
    /// (digests, logs): the first entry that disagrees.
    pub fn verify_audit_anchored(
        &self,
        collected: &[u8],
    ) -> Result<Result<(audit::Verified, usize), audit::Broken>, QuarantineError> {
        super::audit_check::verify_anchored(self.store.as_ref(), collected)
    }

    /// Checks the audit chain and the records it covers.
    pub fn verify_audit(&self) -> Result<Result<audit::Verified, audit::Broken>, QuarantineError> {
        super::audit_check::verify(self.store.as_ref())
    }
}

/// Refuses anything but a held message that still has its content.
fn must_be_held(r: &Record) -> Result<(), QuarantineError> {
    let by = |r: &Record| {
        format!(
            "{}{}",
            r.state_changed_by
                .as_deref()
                .map(|b| format!(" by {b}"))
                .unwrap_or_default(),
            r.state_changed_at
                .map(|t| format!(" at {}", rfc3339(t)))
                .unwrap_or_default()
        )
    };
    let wrong = |message: String| {
        Err(QuarantineError::WrongState {
            id: r.id.clone(),
            message,
        })
    };
    if r.action != "hold" {
        return wrong(format!(
            "it was never held (the milter's decision was {})",
            r.action
        ));
    }
    match r.state {
        State::Held if r.has_content => Ok(()),
        State::Held => Err(QuarantineError::NoContent(r.id.clone())),
        State::Released => wrong(format!("already released{}", by(r))),
        State::Deleted => wrong(format!("already deleted{}", by(r))),
        State::Expired => wrong(format!(
            "expired{}: its content was erased when the retention period ended",
            r.state_changed_at
                .map(|t| format!(" at {}", rfc3339(t)))
                .unwrap_or_default()
        )),
        State::Delivered | State::Rejected => wrong(format!("it is {}", r.state.as_str())),
    }
}
