//! The `spool` hold store (`[milter] store = "spool"`): durable holding
//! and nothing else, one spool directory of fsync'd files.
//!
//! The second [`HoldStore`] beside the quarantine service
//! ([`super::Quarantine`], `store = "sqlite"`, the default). It keeps the one
//! rule every hold store must: `hold` returns only once the message and its
//! record are on disk (file written to a temporary name, fsync'd, renamed,
//! directory fsync'd), because the milter answers DISCARD right after and
//! Postfix then forgets the message. It has no review workflow: no release,
//! notices, retention or hash-chained audit log; held files are handled by
//! hand. It serves sites that want holding independent of Postfix's hold
//! queue without the database, and tests of the milter that need a store
//! with no SQLite behind it.
//!
//! Layout under `DIR` (default `<data_dir>/spool`):
//! `ID.eml` (the message exactly as received), `ID.json` (envelope, verdict,
//! rule ids; written last, so an `.eml` without `.json` is an interrupted
//! hold that never got a DISCARD), and `decisions.jsonl` (one line per
//! rewrite/reject/tag, its only decision record).

use crate::policy::Action;
use crate::quarantine::{HoldReceipt, HoldRequest, HoldStore, QuarantineError, StoreGauges};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

/// The health probe's file in the spool directory (not a hold: holds are
/// `ID.json`).
const HEALTH_FILE: &str = ".health";

/// The spool-directory quarantine.
pub struct SpoolStore {
    dir: PathBuf,
    /// Serialises appends to `decisions.jsonl` so lines never interleave.
    log: Mutex<()>,
}

impl SpoolStore {
    /// Opens (creating it, mode 0700) the spool directory.
    pub fn open(dir: &Path) -> Result<SpoolStore, QuarantineError> {
        std::fs::create_dir_all(dir)?;
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
        Ok(SpoolStore {
            dir: dir.to_path_buf(),
            log: Mutex::new(()),
        })
    }

    /// The directory held messages are written to.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Ids of the held messages (complete holds only), oldest first.
    pub fn list(&self) -> Result<Vec<String>, QuarantineError> {
        let mut ids: Vec<String> = std::fs::read_dir(&self.dir)?
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                name.strip_suffix(".json").map(str::to_string)
            })
            .collect();
        ids.sort();
        Ok(ids)
    }

    /// Writes `bytes` to `DIR/name` durably: temp file, fsync, rename.
    fn write_durably(&self, name: &str, bytes: &[u8]) -> Result<(), QuarantineError> {
        let tmp = self.dir.join(format!(".{name}.tmp"));
        let result = (|| {
            let mut f = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&tmp)?;
            f.write_all(bytes)?;
            f.sync_all()?;
            std::fs::rename(&tmp, self.dir.join(name))
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        Ok(result?)
    }

    fn sync_dir(&self) -> Result<(), QuarantineError> {
        File::open(&self.dir)?.sync_all()?;
        Ok(())
    }
}

/// A sortable, unguessable id: `YYYYMMDDThhmmss-<12 hex>`.
fn new_id() -> String {
    use rand::Rng;
    let now = time::OffsetDateTime::now_utc();
    let stamp = now
        .format(time::macros::format_description!(
            "[year][month][day]T[hour][minute][second]"
        ))
        .unwrap_or_else(|_| "00000000T000000".into());
    let r: u64 = rand::thread_rng().gen::<u64>() & 0xffff_ffff_ffff;
    format!("{stamp}-{r:012x}")
}

fn unix_time() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn record(req: &HoldRequest<'_>, id: Option<&str>, verdict: Action) -> serde_json::Value {
    let d = &req.report.decision;
    serde_json::json!({
        "id": id,
        "time": unix_time(),
        "verdict": verdict.as_str(),
        "enforced": d.enforced,
        "rules": d.rule_ids(),
        "severity": d.severity,
        "queue_id": req.envelope.queue_id,
        "sender": req.envelope.sender,
        "recipients": req.envelope.recipients,
        "auth_user": req.envelope.auth_user,
        "client_addr": req.envelope.client_addr,
        "direction": req.report.direction.direction,
        "direction_reason": req.report.direction.reason,
        "message_id": req.report.message_id,
        "size": req.raw.len(),
        // Masked evidence only (the findings' serialisation never carries secrets).
        "findings": d.findings,
    })
}

impl HoldStore for SpoolStore {
    /// One file per honoured marker under `DIR/used-markers/`, named by a
    /// hash of its key, holding the time it may be forgotten.
    fn claim_marker(&self, used_key: &str, until: i64, now: i64) -> Result<bool, QuarantineError> {
        use sha2::Digest;
        let dir = self.dir.join("used-markers");
        crate::datadir::create(&dir).map_err(|e| QuarantineError::Other(e.to_string()))?;
        for e in std::fs::read_dir(&dir)?.flatten() {
            let expired = std::fs::read_to_string(e.path())
                .ok()
                .and_then(|t| t.trim().parse::<i64>().ok())
                .is_some_and(|t| t < now);
            if expired {
                let _ = std::fs::remove_file(e.path());
            }
        }
        let name = hex::encode(sha2::Sha256::digest(used_key.as_bytes()));
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(dir.join(name))
        {
            Ok(mut f) => {
                f.write_all(until.to_string().as_bytes())?;
                f.sync_all()?;
                File::open(&dir)?.sync_all()?;
                Ok(true)
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Rewrites `DIR/.health` (the probe's time) as a hold writes its
    /// files: temp file, fsync, rename, directory fsync.
    fn probe_write(&self) -> Result<(), QuarantineError> {
        self.write_durably(HEALTH_FILE, unix_time().to_string().as_bytes())?;
        self.sync_dir()
    }

    /// The complete holds in the spool; a spool sends no notices.
    fn gauges(&self) -> Result<StoreGauges, QuarantineError> {
        Ok(StoreGauges {
            holds_pending: self.list()?.len() as u64,
            notices_queued: 0,
        })
    }

    fn hold(&self, req: &HoldRequest<'_>) -> Result<HoldReceipt, QuarantineError> {
        let id = new_id();
        self.write_durably(&format!("{id}.eml"), req.raw)?;
        let meta = serde_json::to_vec_pretty(&record(req, Some(&id), Action::Hold))
            .map_err(|e| QuarantineError::Other(e.to_string()))?;
        self.write_durably(&format!("{id}.json"), &meta)?;
        self.sync_dir()?;
        Ok(HoldReceipt { id })
    }

    fn record_decision(
        &self,
        req: &HoldRequest<'_>,
        verdict: Action,
    ) -> Result<(), QuarantineError> {
        let mut line = serde_json::to_vec(&record(req, None, verdict))
            .map_err(|e| QuarantineError::Other(e.to_string()))?;
        line.push(b'\n');
        let _guard = self.log.lock().unwrap_or_else(|e| e.into_inner());
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(self.dir.join("decisions.jsonl"))?;
        f.write_all(&line)?;
        f.sync_data()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::message::Envelope;
    use crate::scan::Engine;

    #[test]
    fn hold_writes_message_then_record() {
        let dir = tempfile::tempdir().unwrap();
        let store = SpoolStore::open(&dir.path().join("spool")).unwrap();
        let engine = Engine::from_config(&Config::default()).unwrap();
        let raw = b"From: a@b.example\r\nSubject: x\r\n\r\nhello\r\n";
        let report = engine.scan(raw, None);
        let env = Envelope {
            sender: "a@b.example".into(),
            recipients: vec!["c@d.example".into()],
            ..Default::default()
        };
        let req = HoldRequest {
            raw,
            envelope: &env,
            report: &report,
        };
        let r = store.hold(&req).unwrap();
        assert_eq!(store.list().unwrap(), vec![r.id.clone()]);
        let kept = std::fs::read(store.dir().join(format!("{}.eml", r.id))).unwrap();
        assert_eq!(kept, raw);
        let meta: serde_json::Value = serde_json::from_slice(
            &std::fs::read(store.dir().join(format!("{}.json", r.id))).unwrap(),
        )
        .unwrap();
        assert_eq!(meta["recipients"][0], "c@d.example");
        store.record_decision(&req, Action::Rewrite).unwrap();
        store.record_decision(&req, Action::Reject).unwrap();
        let log = std::fs::read_to_string(store.dir().join("decisions.jsonl")).unwrap();
        assert_eq!(log.lines().count(), 2);
        assert!(log.contains("\"verdict\":\"reject\""));
    }

    #[test]
    fn unwritable_spool_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let store = SpoolStore::open(&dir.path().join("spool")).unwrap();
        std::fs::remove_dir_all(store.dir()).unwrap();
        let engine = Engine::from_config(&Config::default()).unwrap();
        let raw = b"Subject: x\r\n\r\nhello\r\n";
        let report = engine.scan(raw, None);
        let env = Envelope::default();
        let req = HoldRequest {
            raw,
            envelope: &env,
            report: &report,
        };
        assert!(store.hold(&req).is_err());
    }

    #[test]
    fn the_health_probe_writes_and_fails_where_a_hold_would() {
        let dir = tempfile::tempdir().unwrap();
        let store = SpoolStore::open(&dir.path().join("spool")).unwrap();
        store.probe_write().unwrap();
        store.probe_write().unwrap();
        assert!(store.dir().join(HEALTH_FILE).is_file());
        assert_eq!(
            store.gauges().unwrap().holds_pending,
            0,
            "the probe is not a hold"
        );
        // The spool directory replaced by a file: nothing can be written
        // there, whoever we are (root included).
        std::fs::remove_dir_all(store.dir()).unwrap();
        std::fs::write(store.dir(), b"not a directory").unwrap();
        assert!(store.probe_write().is_err());
        assert!(store.gauges().is_err());
    }
}
