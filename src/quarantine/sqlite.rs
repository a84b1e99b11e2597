//! The embedded store: one SQLite file under the data directory, WAL with
//! `synchronous=FULL` (a commit is on disk when it returns), schema created
//! and migrated by the program (`PRAGMA user_version`).
//!
//! Writers take the database lock up front (`BEGIN IMMEDIATE`), so the audit
//! chain's "read the last hash, append the next entry" cannot interleave
//! between the daemon and a `quarantine` command running at the same time.

use super::store::{
    Change, Filter, NewNotice, Page, PageQuery, QueuedNotice, Record, ReleaseRequest, ReportRow,
    SelfServiceLink, SortKey, State, Store,
};
use super::QuarantineError;
use crate::audit;
use rusqlite::{params, Connection, OptionalExtension, Row, Transaction, TransactionBehavior};
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

/// File name of the database under the data directory.
pub const DB_FILE: &str = "quarantine.db";

/// Schema versions, applied in order; `user_version` says how many ran.
/// Append new migrations; never edit a shipped one.
const MIGRATIONS: &[&str] = &[
    // 1: records, audit log, notice outbox.
    "CREATE TABLE records (
        id TEXT PRIMARY KEY,
        action TEXT NOT NULL,
        state TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER,
        queue_id TEXT,
        sender TEXT NOT NULL,
        recipients TEXT NOT NULL,
        recipient_count INTEGER NOT NULL,
        auth_user TEXT,
        client_addr TEXT,
        message_id TEXT,
        subject TEXT,
        severity TEXT,
        rule_ids TEXT NOT NULL,
        findings TEXT NOT NULL,
        raw BLOB,
        raw_sha256 TEXT,
        raw_size INTEGER NOT NULL,
        content_erased_at INTEGER,
        state_changed_at INTEGER,
        state_changed_by TEXT,
        state_reason TEXT,
        release_id TEXT,
        release_started_at INTEGER
    );
    CREATE INDEX records_created ON records(created_at);
    CREATE INDEX records_state ON records(state);
    CREATE INDEX records_expires ON records(expires_at) WHERE raw IS NOT NULL;
    CREATE TABLE audit (
        seq INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        event TEXT NOT NULL,
        message_id TEXT,
        actor TEXT NOT NULL,
        detail TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
    );
    CREATE INDEX audit_message ON audit(message_id);
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        reference TEXT,
        recipient TEXT NOT NULL,
        envelope_from TEXT NOT NULL,
        bytes BLOB NOT NULL,
        created_at INTEGER NOT NULL,
        next_attempt_at INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        state TEXT NOT NULL DEFAULT 'queued'
    );
    CREATE INDEX outbox_due ON outbox(next_attempt_at) WHERE state = 'queued';",
    // 2: finding the held copy of a retried message by its digest.
    "CREATE INDEX records_digest ON records(raw_sha256) WHERE raw_sha256 IS NOT NULL;",
    // 4 (below) keys the audit chain.
    // 3: release and notice markers already honoured, until they expire.
    "CREATE TABLE used_markers (
        key TEXT PRIMARY KEY,
        until INTEGER NOT NULL
    );",
    // 4: keyed audit entries (HMAC under audit.key); older ones stay unkeyed.
    "ALTER TABLE audit ADD COLUMN keyed INTEGER NOT NULL DEFAULT 0;",
    // 5: the sender's self-service links (hashed tokens, one record each)
    // and the release requests senders make through them. Tables of their
    // own (not columns of `records`), created only if missing, so the step
    // is additive and can be re-run.
    "CREATE TABLE IF NOT EXISTS selfservice_links (
        token_sha256 TEXT PRIMARY KEY,
        record_id TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        used_at INTEGER,
        used_for TEXT
    );
    CREATE INDEX IF NOT EXISTS selfservice_links_record ON selfservice_links(record_id);
    CREATE TABLE IF NOT EXISTS release_requests (
        record_id TEXT PRIMARY KEY,
        at INTEGER NOT NULL,
        reason TEXT NOT NULL
    );",
    // 6: the health check's one row, rewritten by each `/healthz` probe.
    "CREATE TABLE IF NOT EXISTS health (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        probed_at INTEGER NOT NULL
    );",
    // 7: the web console (src/console/): accounts, sessions (ids hashed at
    // rest), API tokens (hashed), sign-in throttling, and the index the
    // queue page pages through (holds by state, newest first). IF NOT
    // EXISTS: a database whose user_version was set back by hand (the tests
    // of older audit trails do) still migrates.
    "CREATE TABLE IF NOT EXISTS console_users (
        name TEXT PRIMARY KEY,
        role TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        disabled INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL,
        password_changed_at INTEGER NOT NULL
    );
    CREATE TABLE IF NOT EXISTS console_sessions (
        id_sha256 TEXT PRIMARY KEY,
        user TEXT NOT NULL,
        csrf TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        last_seen_at INTEGER NOT NULL,
        client_addr TEXT
    );
    CREATE INDEX IF NOT EXISTS console_sessions_user ON console_sessions(user);
    CREATE TABLE IF NOT EXISTS console_api_tokens (
        id TEXT PRIMARY KEY,
        user TEXT NOT NULL,
        secret_sha256 TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        last_used_at INTEGER,
        revoked_at INTEGER
    );
    CREATE TABLE IF NOT EXISTS console_login_failures (
        key TEXT PRIMARY KEY,
        failures INTEGER NOT NULL,
        last_failure_ms INTEGER NOT NULL
    );
    -- Severity and sender ride along so the queue's other sorts are read
    -- from the index too, without a lookup of every row behind it.
    CREATE INDEX IF NOT EXISTS records_queue ON records(action, state, created_at, severity, sender);",
    // 8: each record's finding categories, each once (a JSON array), written
    // with the record (never changed after), and an index holding the other
    // columns the reports page counts: it reads that index and this table,
    // not every hold's findings JSON (docs/performance.md, "Console").
    // Re-runnable like 5-7; a record whose findings are not valid JSON is
    // left out (the report then reads its findings, and says so if bad).
    "CREATE TABLE IF NOT EXISTS record_categories (
        record_id TEXT PRIMARY KEY,
        categories TEXT NOT NULL
    ) WITHOUT ROWID;
    INSERT OR IGNORE INTO record_categories (record_id, categories)
        SELECT id, (SELECT json_group_array(DISTINCT json_extract(f.value, '$.category'))
                      FROM json_each(records.findings) f)
        FROM records WHERE json_valid(findings);
    CREATE INDEX IF NOT EXISTS records_report
        ON records(action, created_at, state, state_changed_at, rule_ids, id);",
];

/// The SQLite implementation of [`Store`].
pub struct SqliteStore {
    conn: Mutex<Connection>,
    /// The audit chain's HMAC key (`audit.key` beside the database).
    audit_key: Vec<u8>,
}

fn db(e: rusqlite::Error) -> QuarantineError {
    QuarantineError::Db(e.to_string())
}

fn json_err(e: serde_json::Error) -> QuarantineError {
    QuarantineError::Other(format!("stored record is not valid JSON: {e}"))
}

const RECORD_COLUMNS: &str = "id, action, state, created_at, expires_at, queue_id, sender,
    recipients, recipient_count, auth_user, client_addr, message_id, subject, severity,
    rule_ids, findings, raw IS NOT NULL, raw_sha256, raw_size, content_erased_at,
    state_changed_at, state_changed_by, state_reason, release_id, release_started_at,
    rq.at, rq.reason";

/// The records with their sender's release request, if any (one primary-key
/// probe per record).
const RECORD_FROM: &str = "records LEFT JOIN release_requests rq ON rq.record_id = records.id";

/// A record row, with its JSON columns still as text (decoded outside the
/// row closure, so a bad value is a typed error, not a panic).
struct RawRow {
    record: Record,
    state: String,
    recipients: String,
    rule_ids: String,
    findings: String,
}

fn read_row(r: &Row<'_>) -> rusqlite::Result<RawRow> {
    Ok(RawRow {
        record: Record {
            id: r.get(0)?,
            action: r.get(1)?,
            state: State::Held,
            created_at: r.get(3)?,
            expires_at: r.get(4)?,
            queue_id: r.get(5)?,
            sender: r.get(6)?,
            recipients: Vec::new(),
            recipient_count: r.get::<_, i64>(8)?.max(0) as usize,
            auth_user: r.get(9)?,
            client_addr: r.get(10)?,
            message_id: r.get(11)?,
            subject: r.get(12)?,
            severity: r.get(13)?,
            rule_ids: Vec::new(),
            findings: Vec::new(),
            has_content: r.get(16)?,
            raw_sha256: r.get(17)?,
            raw_size: r.get::<_, i64>(18)?.max(0) as u64,
            content_erased_at: r.get(19)?,
            state_changed_at: r.get(20)?,
            state_changed_by: r.get(21)?,
            state_reason: r.get(22)?,
            release_id: r.get(23)?,
            release_started_at: r.get(24)?,
            release_request: match (
                r.get::<_, Option<i64>>(25)?,
                r.get::<_, Option<String>>(26)?,
            ) {
                (Some(at), Some(reason)) => Some(ReleaseRequest { at, reason }),
                _ => None,
            },
        },
        state: r.get(2)?,
        recipients: r.get(7)?,
        rule_ids: r.get(14)?,
        findings: r.get(15)?,
    })
}

fn finish(row: RawRow) -> Result<Record, QuarantineError> {
    let mut rec = row.record;
    rec.state = State::parse(&row.state)
        .ok_or_else(|| QuarantineError::Other(format!("unknown state {:?}", row.state)))?;
    rec.recipients = serde_json::from_str(&row.recipients).map_err(json_err)?;
    rec.rule_ids = serde_json::from_str(&row.rule_ids).map_err(json_err)?;
    rec.findings = serde_json::from_str(&row.findings).map_err(json_err)?;
    Ok(rec)
}

fn get_in(conn: &Connection, id: &str) -> Result<Option<Record>, QuarantineError> {
    let row = conn
        .query_row(
            &format!("SELECT {RECORD_COLUMNS} FROM {RECORD_FROM} WHERE records.id = ?1"),
            [id],
            read_row,
        )
        .optional()
        .map_err(db)?;
    row.map(finish).transpose()
}

/// Appends `e` to the chain inside `tx`.
fn append_in(tx: &Transaction<'_>, key: &[u8], e: &audit::NewEntry) -> Result<(), QuarantineError> {
    let last: Option<(i64, String)> = tx
        .query_row(
            "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(db)?;
    let (seq, prev) = match last {
        Some((s, h)) => (s + 1, h),
        None => (1, audit::GENESIS.to_string()),
    };
    let entry = audit::Entry::seal(e, seq, &prev, Some(key));
    tx.execute(
        "INSERT INTO audit (seq, at, event, message_id, actor, detail, prev_hash, hash, keyed)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 1)",
        params![
            entry.seq,
            entry.at,
            entry.event,
            entry.message_id,
            entry.actor,
            entry.detail,
            entry.prev_hash,
            entry.hash
        ],
    )
    .map_err(db)?;
    Ok(())
}

/// Audit entries in order, all or those matching `filter` (with `?1` = `arg`).
fn entries(
    conn: &Connection,
    filter: &str,
    arg: Option<&str>,
) -> Result<Vec<audit::Entry>, QuarantineError> {
    let mut stmt = conn
        .prepare(&format!(
            "SELECT seq, at, event, message_id, actor, detail, prev_hash, hash, keyed
             FROM audit {filter} ORDER BY seq"
        ))
        .map_err(db)?;
    let rows = stmt
        .query_map(rusqlite::params_from_iter(arg), read_entry)
        .map_err(db)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(db)?;
    Ok(rows)
}

fn read_entry(r: &Row<'_>) -> rusqlite::Result<audit::Entry> {
    Ok(audit::Entry {
        seq: r.get(0)?,
        at: r.get(1)?,
        event: r.get(2)?,
        message_id: r.get(3)?,
        actor: r.get(4)?,
        detail: r.get(5)?,
        prev_hash: r.get(6)?,
        hash: r.get(7)?,
        keyed: r.get::<_, i64>(8)? != 0,
    })
}

/// The `AND ...` conditions of `f` (its `limit` aside), with their values
/// appended to `args` and numbered after those already there.
fn where_clause(f: &Filter, args: &mut Vec<rusqlite::types::Value>) -> String {
    let mut sql = String::new();
    let mut arg = |sql: &mut String, clause: &str, v: rusqlite::types::Value| {
        args.push(v);
        sql.push_str(&clause.replace('?', &format!("?{}", args.len())));
    };
    if let Some(s) = f.since {
        arg(&mut sql, " AND created_at >= ?", s.into());
    }
    if let Some(u) = f.until {
        arg(&mut sql, " AND created_at < ?", u.into());
    }
    if let Some(s) = &f.sender {
        arg(
            &mut sql,
            " AND instr(lower(sender), ?) > 0",
            s.to_lowercase().into(),
        );
    }
    if let Some(r) = &f.rule {
        // The JSON-quoted id as a substring first (cheap, may over-match
        // only ids with quotes in them), then the exact element check on
        // the rows that pass: parsing every row's JSON made a rule filter
        // over 100,000 holds slow.
        let quoted = serde_json::to_string(r).unwrap_or_default();
        arg(&mut sql, " AND instr(rule_ids, ?) > 0", quoted.into());
        arg(
            &mut sql,
            " AND EXISTS (SELECT 1 FROM json_each(records.rule_ids) WHERE value = ?)",
            r.clone().into(),
        );
    }
    if f.holds_only {
        // Before the state: the queue's index starts (action, state, ...).
        sql.push_str(" AND action = 'hold'");
    }
    if let Some(s) = f.state {
        arg(&mut sql, " AND state = ?", s.as_str().to_string().into());
    }
    sql
}

/// `%text%` for LIKE, with `%`, `_` and `\` in `text` escaped (`ESCAPE '\'`).
fn like_pattern(text: &str) -> String {
    let mut p = String::with_capacity(text.len() + 2);
    p.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

impl SqliteStore {
    /// Runs a record query.
    fn select(
        &self,
        sql: &str,
        args: &[rusqlite::types::Value],
    ) -> Result<Vec<Record>, QuarantineError> {
        self.with(|conn| {
            let mut stmt = conn.prepare(sql).map_err(db)?;
            let rows = stmt
                .query_map(rusqlite::params_from_iter(args.iter()), read_row)
                .map_err(db)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(db)?;
            rows.into_iter().map(finish).collect()
        })
    }

    /// Opens (creating and migrating) `data_dir/quarantine.db`.
    pub fn open(data_dir: &Path) -> Result<SqliteStore, QuarantineError> {
        Self::open_with_audit_key(data_dir, None)
    }

    /// [`SqliteStore::open`] with the audit key at `audit_key` (relative:
    /// in `data_dir`) instead of `data_dir/audit.key`.
    pub fn open_with_audit_key(
        data_dir: &Path,
        audit_key: Option<&Path>,
    ) -> Result<SqliteStore, QuarantineError> {
        use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
        // Held mail is personal data: the folder and the database are for
        // the milter's user only (SQLite gives -wal/-shm the same mode).
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(data_dir)?;
        let path = data_dir.join(DB_FILE);
        std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&path)?;
        match audit_key {
            None => Self::open_file(&path),
            Some(k) => {
                let k = data_dir.join(k);
                let (dir, name) = match (k.parent(), k.file_name()) {
                    (Some(d), Some(n)) => (d, n.to_string_lossy().into_owned()),
                    _ => {
                        return Err(QuarantineError::Config(format!(
                            "quarantine.audit_key {} is not a file path",
                            k.display()
                        )))
                    }
                };
                let new_key = !k.exists();
                let key = super::marker::load_or_create_key_file(dir, &name)?;
                Self::open_file_with_key(&path, key, new_key)
            }
        }
    }

    /// Opens (creating and migrating) the database at `path`, with the
    /// audit key `audit.key` beside it (created, 0600, if missing).
    pub fn open_file(path: &Path) -> Result<SqliteStore, QuarantineError> {
        let dir = path.parent().unwrap_or(Path::new("."));
        let new_key = !dir.join(AUDIT_KEY_FILE).exists();
        let audit_key = super::marker::load_or_create_key_file(dir, AUDIT_KEY_FILE)?;
        Self::open_file_with_key(path, audit_key, new_key)
    }

    /// [`SqliteStore::open_file`] with the audit key given (a configured
    /// path). `new_key`: the key was created just now, so an unkeyed trail
    /// is an old one to migrate; with an existing key, an unkeyed trail is
    /// a rewritten one and is left for `audit verify` to refuse.
    pub fn open_file_with_key(
        path: &Path,
        audit_key: Vec<u8>,
        new_key: bool,
    ) -> Result<SqliteStore, QuarantineError> {
        let mut conn = Connection::open(path).map_err(db)?;
        conn.busy_timeout(Duration::from_secs(10)).map_err(db)?;
        // WAL: readers (the DPO's `list`) never block the milter's writes.
        // FULL: the WAL is fsync'd at every commit, so a hold acknowledged to
        // Postfix survives a power cut, not only a process crash.
        let mode: String = conn
            .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
            .map_err(db)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(QuarantineError::Other(format!(
                "{}: cannot switch to WAL (journal mode is {mode})",
                path.display()
            )));
        }
        conn.execute_batch("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;")
            .map_err(db)?;
        migrate(&mut conn)?;
        if new_key {
            seal_unkeyed(&mut conn, &audit_key)?;
        }
        Ok(SqliteStore {
            conn: Mutex::new(conn),
            audit_key,
        })
    }

    /// Runs `f` in a write transaction taken up front (`BEGIN IMMEDIATE`) and
    /// commits; an error rolls back.
    fn write<T>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, QuarantineError>,
    ) -> Result<T, QuarantineError> {
        self.with(|conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(db)?;
            let out = f(&tx)?;
            tx.commit().map_err(db)?;
            Ok(out)
        })
    }

    fn with<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, QuarantineError>,
    ) -> Result<T, QuarantineError> {
        // A panic while holding the lock leaves the connection usable (SQLite
        // rolls back an unfinished transaction when it is dropped).
        let mut guard = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard)
    }
}

/// File name of the audit key beside the database.
pub const AUDIT_KEY_FILE: &str = "audit.key";

/// Migration of a trail written before the audit key existed: the unkeyed
/// chain is verified, then sealed and continued by one keyed
/// `audit_keyed` entry naming its head and what its check found. From then
/// on every entry is keyed. Nothing happens to an empty or keyed trail.
fn seal_unkeyed(conn: &mut Connection, key: &[u8]) -> Result<(), QuarantineError> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db)?;
    let (total, keyed): (i64, i64) = tx
        .query_row(
            "SELECT count(*), coalesce(sum(keyed), 0) FROM audit",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .map_err(db)?;
    if total == 0 || keyed > 0 {
        return tx.commit().map_err(db);
    }
    let old = entries(&tx, "", None)?;
    let (state, head) = match audit::verify(old.clone(), None) {
        Ok(v) => ("intact".to_string(), v.head),
        Err(b) => (
            b.to_string(),
            old.last().map(|e| e.hash.clone()).unwrap_or_default(),
        ),
    };
    if state != "intact" {
        tracing::error!(problem = %state, "the unkeyed audit trail did not verify before it was sealed");
    }
    let at = time::OffsetDateTime::now_utc().unix_timestamp();
    let e = audit::NewEntry::new(
        at,
        audit::Event::AuditKeyed,
        None,
        "migration",
        serde_json::json!({
            "sealed_entries": total,
            "sealed_head": head,
            "old_chain": state,
        }),
    );
    append_in(&tx, key, &e)?;
    tx.commit().map_err(db)
}

fn migrate(conn: &mut Connection) -> Result<(), QuarantineError> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db)?;
    let version: i64 = tx
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(db)?;
    if version as usize > MIGRATIONS.len() {
        return Err(QuarantineError::Other(format!(
            "the quarantine database is schema version {version}, newer than this program ({}): upgrade dlp-milter",
            MIGRATIONS.len()
        )));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        tx.execute_batch(sql).map_err(db)?;
        tx.execute_batch(&format!("PRAGMA user_version = {}", i + 1))
            .map_err(db)?;
    }
    tx.commit().map_err(db)
}

impl Store for SqliteStore {
    fn insert(
        &self,
        rec: &Record,
        raw: Option<&[u8]>,
        entry: &audit::NewEntry,
        notices: &[NewNotice],
        link: Option<&SelfServiceLink>,
    ) -> Result<(), QuarantineError> {
        let recipients = serde_json::to_string(&rec.recipients).map_err(json_err)?;
        let rule_ids = serde_json::to_string(&rec.rule_ids).map_err(json_err)?;
        let findings = serde_json::to_string(&rec.findings).map_err(json_err)?;
        let categories = serde_json::to_string(&ReportRow::of(rec).categories).map_err(json_err)?;
        self.write(|tx| {
            tx.execute(
                "INSERT INTO records (id, action, state, created_at, expires_at, queue_id, sender,
                    recipients, recipient_count, auth_user, client_addr, message_id, subject,
                    severity, rule_ids, findings, raw, raw_sha256, raw_size)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                    ?17, ?18, ?19)",
                params![
                    rec.id,
                    rec.action,
                    rec.state.as_str(),
                    rec.created_at,
                    rec.expires_at,
                    rec.queue_id,
                    rec.sender,
                    recipients,
                    rec.recipient_count as i64,
                    rec.auth_user,
                    rec.client_addr,
                    rec.message_id,
                    rec.subject,
                    rec.severity,
                    rule_ids,
                    findings,
                    raw,
                    rec.raw_sha256,
                    rec.raw_size as i64,
                ],
            )
            .map_err(db)?;
            tx.execute(
                "INSERT OR IGNORE INTO record_categories (record_id, categories) VALUES (?1, ?2)",
                params![rec.id, categories],
            )
            .map_err(db)?;
            // The entry's MAC covers the record's first state.
            let stored =
                get_in(tx, &rec.id)?.ok_or_else(|| QuarantineError::NotFound(rec.id.clone()))?;
            let mut covered = entry.clone();
            covered.detail = super::record_state::with_snapshot(&entry.detail, &stored);
            append_in(tx, &self.audit_key, &covered)?;
            for n in notices {
                insert_notice(tx, n, entry.at)?;
            }
            if let Some(l) = link {
                tx.execute(
                    "INSERT INTO selfservice_links (token_sha256, record_id, created_at, expires_at)
                     VALUES (?1, ?2, ?3, ?4)",
                    params![l.token_sha256, l.record_id, l.created_at, l.expires_at],
                )
                .map_err(db)?;
            }
            Ok(())
        })
    }

    fn link(&self, token_sha256: &str) -> Result<Option<SelfServiceLink>, QuarantineError> {
        self.with(|conn| {
            conn.query_row(
                "SELECT token_sha256, record_id, created_at, expires_at, used_at, used_for
                 FROM selfservice_links WHERE token_sha256 = ?1",
                [token_sha256],
                |r| {
                    Ok(SelfServiceLink {
                        token_sha256: r.get(0)?,
                        record_id: r.get(1)?,
                        created_at: r.get(2)?,
                        expires_at: r.get(3)?,
                        used_at: r.get(4)?,
                        used_for: r.get(5)?,
                    })
                },
            )
            .optional()
            .map_err(db)
        })
    }

    fn claim_link(
        &self,
        token_sha256: &str,
        used_for: &str,
        at: i64,
    ) -> Result<bool, QuarantineError> {
        self.write(|tx| {
            let n = tx
                .execute(
                    "UPDATE selfservice_links SET used_at = ?2, used_for = ?3
                     WHERE token_sha256 = ?1 AND used_at IS NULL AND expires_at > ?2",
                    params![token_sha256, at, used_for],
                )
                .map_err(db)?;
            Ok(n == 1)
        })
    }

    fn unclaim_link(&self, token_sha256: &str) -> Result<(), QuarantineError> {
        self.write(|tx| {
            tx.execute(
                "UPDATE selfservice_links SET used_at = NULL, used_for = NULL
                 WHERE token_sha256 = ?1",
                [token_sha256],
            )
            .map_err(db)?;
            Ok(())
        })
    }

    fn get(&self, id: &str) -> Result<Option<Record>, QuarantineError> {
        self.with(|conn| get_in(conn, id))
    }

    fn held_duplicate(&self, rec: &Record, since: i64) -> Result<Option<String>, QuarantineError> {
        let Some(digest) = rec.raw_sha256.as_deref() else {
            return Ok(None);
        };
        let recipients = serde_json::to_string(&rec.recipients).map_err(json_err)?;
        self.with(|conn| {
            conn.query_row(
                "SELECT id FROM records
                 WHERE raw_sha256 = ?1 AND state = ?2 AND raw IS NOT NULL
                   AND created_at >= ?3 AND sender = ?4 AND recipients = ?5
                 ORDER BY created_at LIMIT 1",
                params![digest, State::Held.as_str(), since, rec.sender, recipients],
                |r| r.get::<_, String>(0),
            )
            .optional()
            .map_err(db)
        })
    }

    fn raw(&self, id: &str) -> Result<Option<Vec<u8>>, QuarantineError> {
        self.with(|conn| {
            conn.query_row("SELECT raw FROM records WHERE id = ?1", [id], |r| {
                r.get::<_, Option<Vec<u8>>>(0)
            })
            .optional()
            .map(Option::flatten)
            .map_err(db)
        })
    }

    fn list(&self, f: &Filter) -> Result<Vec<Record>, QuarantineError> {
        let mut args = Vec::new();
        let mut sql = format!(
            "SELECT {RECORD_COLUMNS} FROM {RECORD_FROM} WHERE 1=1{}",
            where_clause(f, &mut args)
        );
        sql.push_str(" ORDER BY records.created_at, records.id");
        if let Some(l) = f.limit {
            sql.push_str(&format!(" LIMIT {l}"));
        }
        self.select(&sql, &args)
    }

    fn report_rows(&self, since: i64) -> Result<Vec<ReportRow>, QuarantineError> {
        // Read from the records_report index and record_categories (a
        // primary-key probe per hold), not from the records' rows: SQLite
        // seeks a record's row only for the CASE's other branch, a record
        // an older version wrote without its categories row, whose
        // categories are then picked out of its findings' JSON.
        let rows: Vec<(i64, String, Option<i64>, String, String)> = self.with(|conn| {
            let mut st = conn
                .prepare_cached(
                    "SELECT created_at, state, state_changed_at, rule_ids,
                       CASE WHEN c.categories IS NOT NULL THEN c.categories
                       ELSE (SELECT json_group_array(DISTINCT json_extract(f.value, '$.category'))
                               FROM json_each(records.findings) f) END
                     FROM records LEFT JOIN record_categories c ON c.record_id = records.id
                     WHERE action = 'hold' AND created_at >= ?1",
                )
                .map_err(db)?;
            let rows = st
                .query_map([since], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                })
                .map_err(db)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(db);
            rows
        })?;
        rows.into_iter()
            .map(
                |(created_at, state, state_changed_at, rule_ids, categories)| {
                    let categories: Vec<Option<String>> =
                        serde_json::from_str(&categories).map_err(json_err)?;
                    Ok(ReportRow {
                        created_at,
                        state: State::parse(&state).ok_or_else(|| {
                            QuarantineError::Other(format!("unknown state {state:?}"))
                        })?,
                        state_changed_at,
                        rule_ids: serde_json::from_str(&rule_ids).map_err(json_err)?,
                        categories: categories.into_iter().flatten().collect(),
                    })
                },
            )
            .collect()
    }

    fn page(&self, q: &PageQuery) -> Result<Page, QuarantineError> {
        let mut args = Vec::new();
        let mut cond = where_clause(&q.filter, &mut args);
        if let Some(s) = &q.severity {
            args.push(s.clone().into());
            cond.push_str(&format!(" AND severity = ?{}", args.len()));
        }
        if let Some(t) = q.text.as_deref().filter(|t| !t.is_empty()) {
            // The subject counts only where no finding was made in it (the
            // masked views withhold such a subject; a match would reveal it).
            // LIKE (ASCII case-insensitive, as lower() is) rather than
            // lower() + instr: no copy of every sender and subject per
            // search; the findings are parsed only for subject matches.
            args.push(like_pattern(t).into());
            let n = args.len();
            cond.push_str(&format!(
                " AND (sender LIKE ?{n} ESCAPE '\\' OR (subject LIKE ?{n} ESCAPE '\\'
                   AND NOT EXISTS (SELECT 1 FROM json_each(records.findings)
                                   WHERE json_extract(value, '$.location') = 'subject')))"
            ));
        }
        let dir = if q.descending { "DESC" } else { "ASC" };
        let key = match q.sort {
            SortKey::Created => "",
            SortKey::Sender => "sender COLLATE NOCASE",
            SortKey::Severity => {
                "CASE severity WHEN 'high' THEN 3 WHEN 'medium' THEN 2 WHEN 'low' THEN 1 ELSE 0 END"
            }
            SortKey::State => "state",
        };
        // Ties broken by rowid (the order of arrival), which every index
        // entry carries: the default order is then read from the
        // queue index alone, also at a deep offset.
        let order = if key.is_empty() {
            format!("created_at {dir}, rowid {dir}")
        } else {
            format!("{key} {dir}, created_at {dir}, rowid {dir}")
        };
        let total: i64 = self.with(|conn| {
            conn.query_row(
                &format!("SELECT count(*) FROM records WHERE 1=1{cond}"),
                rusqlite::params_from_iter(args.iter()),
                |r| r.get(0),
            )
            .map_err(db)
        })?;
        // The page is chosen over row ids and sort keys only, then its rows
        // are read: sorting 100,000 whole records (findings JSON and all)
        // to keep 50 is what made a sorted queue page slow.
        let records = self.select(
            &format!(
                "SELECT {RECORD_COLUMNS} FROM {RECORD_FROM} WHERE records.rowid IN
                   (SELECT rowid FROM records WHERE 1=1{cond} ORDER BY {order} LIMIT {} OFFSET {})
                 ORDER BY {}",
                q.limit,
                q.offset,
                // release_requests has a rowid too: the page's order is the records'.
                order.replace("rowid", "records.rowid")
            ),
            &args,
        )?;
        Ok(Page {
            records,
            total: total.max(0) as usize,
        })
    }

    fn count_by_state(&self, holds_only: bool) -> Result<Vec<(State, usize)>, QuarantineError> {
        let sql = if holds_only {
            "SELECT state, count(*) FROM records WHERE action = 'hold' GROUP BY state"
        } else {
            "SELECT state, count(*) FROM records GROUP BY state"
        };
        let rows: Vec<(String, i64)> = self.with(|conn| {
            let mut stmt = conn.prepare(sql).map_err(db)?;
            let rows = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(db)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(db)?;
            Ok(rows)
        })?;
        Ok(rows
            .into_iter()
            .filter_map(|(s, n)| State::parse(&s).map(|s| (s, n.max(0) as usize)))
            .collect())
    }

    fn update(
        &self,
        id: &str,
        check: &dyn Fn(&Record) -> Result<(), QuarantineError>,
        c: &Change,
        entry: &audit::NewEntry,
    ) -> Result<Record, QuarantineError> {
        self.write(|tx| {
            let rec = get_in(tx, id)?.ok_or_else(|| QuarantineError::NotFound(id.into()))?;
            check(&rec)?;
            if let Some(s) = c.state {
                tx.execute(
                    "UPDATE records SET state = ?2, state_changed_at = ?3, state_changed_by = ?4,
                        state_reason = ?5 WHERE id = ?1",
                    params![id, s.as_str(), c.at, c.by, c.reason],
                )
                .map_err(db)?;
            }
            if c.erase_content {
                tx.execute(
                    "UPDATE records SET raw = NULL, subject = NULL, recipients = '[]',
                        content_erased_at = ?2 WHERE id = ?1",
                    params![id, c.at],
                )
                .map_err(db)?;
            }
            if let Some(r) = &c.release_id {
                tx.execute(
                    "UPDATE records SET release_id = ?2 WHERE id = ?1",
                    params![id, r],
                )
                .map_err(db)?;
            }
            if let Some(rr) = &c.release_request {
                tx.execute(
                    "INSERT OR REPLACE INTO release_requests (record_id, at, reason)
                     VALUES (?1, ?2, ?3)",
                    params![id, rr.at, rr.reason],
                )
                .map_err(db)?;
            }
            if let Some(t) = &c.release_started_at {
                tx.execute(
                    "UPDATE records SET release_started_at = ?2 WHERE id = ?1",
                    params![id, t],
                )
                .map_err(db)?;
            }
            // The entry's MAC covers the record's new state.
            let after = get_in(tx, id)?.ok_or_else(|| QuarantineError::NotFound(id.into()))?;
            let mut covered = entry.clone();
            covered.detail = super::record_state::with_snapshot(&entry.detail, &after);
            append_in(tx, &self.audit_key, &covered)?;
            let updated = get_in(tx, id)?.ok_or_else(|| QuarantineError::NotFound(id.into()))?;
            Ok(updated)
        })
    }

    fn append_audit(&self, entry: &audit::NewEntry) -> Result<(), QuarantineError> {
        self.write(|tx| {
            append_in(tx, &self.audit_key, entry)?;
            Ok(())
        })
    }

    fn audit_last(&self) -> Result<Option<audit::Entry>, QuarantineError> {
        self.with(|conn| Ok(entries(conn, "WHERE seq = (SELECT max(seq) FROM audit)", None)?.pop()))
    }

    fn audit_key(&self) -> Option<Vec<u8>> {
        Some(self.audit_key.clone())
    }

    fn audit_entries(&self) -> Result<Vec<audit::Entry>, QuarantineError> {
        self.with(|conn| entries(conn, "", None))
    }

    fn audit_for(&self, id: &str) -> Result<Vec<audit::Entry>, QuarantineError> {
        self.with(|conn| entries(conn, "WHERE message_id = ?1", Some(id)))
    }

    fn due_for_expiry(&self, now: i64) -> Result<Vec<String>, QuarantineError> {
        self.with(|conn| {
            let mut stmt = conn
                .prepare(
                    "SELECT id FROM records WHERE raw IS NOT NULL AND expires_at IS NOT NULL
                     AND expires_at <= ?1 ORDER BY expires_at",
                )
                .map_err(db)?;
            let rows = stmt
                .query_map([now], |r| r.get(0))
                .map_err(db)?
                .collect::<Result<Vec<String>, _>>()
                .map_err(db)?;
            Ok(rows)
        })
    }

    fn enqueue_notice(&self, n: &NewNotice, now: i64) -> Result<i64, QuarantineError> {
        self.write(|tx| insert_notice(tx, n, now))
    }

    fn due_notices(&self, now: i64, limit: usize) -> Result<Vec<QueuedNotice>, QuarantineError> {
        self.with(|conn| {
            let mut stmt = conn
                .prepare(
                    "SELECT id, kind, reference, recipient, envelope_from, bytes, created_at, attempts
                     FROM outbox WHERE state = 'queued' AND next_attempt_at <= ?1
                     ORDER BY next_attempt_at, id LIMIT ?2",
                )
                .map_err(db)?;
            let rows = stmt
                .query_map(params![now, limit as i64], |r| {
                    Ok(QueuedNotice {
                        id: r.get(0)?,
                        notice: NewNotice {
                            kind: r.get(1)?,
                            reference: r.get(2)?,
                            recipient: r.get(3)?,
                            envelope_from: r.get(4)?,
                            bytes: r.get(5)?,
                        },
                        created_at: r.get(6)?,
                        attempts: r.get::<_, i64>(7)?.max(0) as u32,
                    })
                })
                .map_err(db)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(db)?;
            Ok(rows)
        })
    }

    fn next_notice_due(&self) -> Result<Option<i64>, QuarantineError> {
        self.with(|conn| {
            conn.query_row(
                "SELECT min(next_attempt_at) FROM outbox WHERE state = 'queued'",
                [],
                |r| r.get(0),
            )
            .map_err(db)
        })
    }

    fn probe_write(&self, now: i64) -> Result<(), QuarantineError> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO health (id, probed_at) VALUES (1, ?1)
                 ON CONFLICT (id) DO UPDATE SET probed_at = excluded.probed_at",
                params![now],
            )
            .map_err(db)?;
            Ok(())
        })
    }

    fn gauges(&self) -> Result<super::StoreGauges, QuarantineError> {
        self.with(|conn| {
            conn.query_row(
                "SELECT (SELECT count(*) FROM records WHERE state = 'held'),
                        (SELECT count(*) FROM outbox WHERE state = 'queued')",
                [],
                |r| {
                    Ok(super::StoreGauges {
                        holds_pending: r.get::<_, i64>(0)?.max(0) as u64,
                        notices_queued: r.get::<_, i64>(1)?.max(0) as u64,
                    })
                },
            )
            .map_err(db)
        })
    }

    fn claim_marker(&self, used_key: &str, until: i64, now: i64) -> Result<bool, QuarantineError> {
        self.write(|tx| {
            tx.execute("DELETE FROM used_markers WHERE until < ?1", params![now])
                .map_err(db)?;
            let n = tx
                .execute(
                    "INSERT OR IGNORE INTO used_markers (key, until) VALUES (?1, ?2)",
                    params![used_key, until],
                )
                .map_err(db)?;
            Ok(n == 1)
        })
    }

    fn notices_to_since(
        &self,
        recipient: &str,
        kind: &str,
        since: i64,
    ) -> Result<usize, QuarantineError> {
        self.with(|conn| {
            conn.query_row(
                "SELECT count(*) FROM outbox
                 WHERE kind = ?1 AND lower(recipient) = lower(?2) AND created_at >= ?3",
                params![kind, recipient, since],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n.max(0) as usize)
            .map_err(db)
        })
    }

    fn notice_sent(&self, id: i64, entry: &audit::NewEntry) -> Result<(), QuarantineError> {
        self.write(|tx| {
            tx.execute(
                "UPDATE outbox SET state = 'sent', attempts = attempts + 1, last_error = NULL
                 WHERE id = ?1",
                [id],
            )
            .map_err(db)?;
            append_in(tx, &self.audit_key, entry)?;
            Ok(())
        })
    }

    fn notice_failed(
        &self,
        id: i64,
        error: &str,
        retry_at: Option<i64>,
        entry: Option<&audit::NewEntry>,
    ) -> Result<(), QuarantineError> {
        self.write(|tx| {
            match retry_at {
                Some(t) => tx.execute(
                    "UPDATE outbox SET attempts = attempts + 1, last_error = ?2,
                        next_attempt_at = ?3 WHERE id = ?1",
                    params![id, error, t],
                ),
                None => tx.execute(
                    "UPDATE outbox SET attempts = attempts + 1, last_error = ?2,
                        state = 'failed' WHERE id = ?1",
                    params![id, error],
                ),
            }
            .map_err(db)?;
            if let Some(e) = entry {
                append_in(tx, &self.audit_key, e)?;
            }
            Ok(())
        })
    }
}

fn insert_notice(tx: &Transaction<'_>, n: &NewNotice, now: i64) -> Result<i64, QuarantineError> {
    tx.execute(
        "INSERT INTO outbox (kind, reference, recipient, envelope_from, bytes, created_at,
            next_attempt_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
        params![
            n.kind,
            n.reference,
            n.recipient,
            n.envelope_from,
            n.bytes,
            now
        ],
    )
    .map_err(db)?;
    Ok(tx.last_insert_rowid())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Stores `r` as the milter holds it, with its `held` audit entry.
    fn insert_held(store: &SqliteStore, r: &Record) {
        let e = audit::NewEntry::new(
            r.created_at,
            audit::Event::Held,
            Some(&r.id),
            "milter",
            serde_json::json!({}),
        );
        store.insert(r, Some(b"x"), &e, &[], None).unwrap();
    }

    #[test]
    fn the_health_probe_commits_and_fails_while_another_process_holds_the_lock() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).unwrap();
        store.probe_write(100).unwrap();
        store.probe_write(200).unwrap();
        let other = Connection::open(dir.path().join(DB_FILE)).unwrap();
        let at: i64 = other
            .query_row("SELECT probed_at FROM health", [], |r| r.get(0))
            .unwrap();
        assert_eq!(at, 200, "the probe's write is committed, one row");
        // A writer elsewhere keeps the lock: the probe cannot write, as a
        // hold could not. (The store waits its busy timeout first.)
        other.execute_batch("BEGIN IMMEDIATE").unwrap();
        store
            .with(|c| c.busy_timeout(Duration::from_millis(50)).map_err(db))
            .unwrap();
        let err = store.probe_write(300).unwrap_err().to_string();
        assert!(err.contains("locked"), "{err}");
        other.execute_batch("ROLLBACK").unwrap();
        store.probe_write(400).unwrap();
    }

    #[test]
    fn gauges_count_held_records_and_queued_notices() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).unwrap();
        assert_eq!(
            store.gauges().unwrap(),
            super::super::StoreGauges::default()
        );
        let notice = NewNotice {
            kind: "sender_hold".into(),
            reference: None,
            recipient: "a@school.example".into(),
            envelope_from: String::new(),
            bytes: b"Subject: x\r\n\r\nx\r\n".to_vec(),
        };
        let id = store.enqueue_notice(&notice, 10).unwrap();
        store.enqueue_notice(&notice, 10).unwrap();
        store.notice_failed(id, "relay down", None, None).unwrap();
        let g = store.gauges().unwrap();
        assert_eq!(g.notices_queued, 1, "a given-up notice is not queued");
        assert_eq!(g.holds_pending, 0);
    }

    use crate::quarantine::store::{page_in_memory, StoredFinding};

    fn record(i: i64, state: State, sender: &str, severity: &str, subject_finding: bool) -> Record {
        let mut r: Record = serde_json::from_value(serde_json::json!({
            "id": format!("Q-{i:04}"), "action": "hold", "state": state.as_str(), "created_at": 1000 + i * 10,
            "expires_at": null, "queue_id": null, "sender": sender, "recipients": ["a@b.example"],
            "recipient_count": 1, "auth_user": null, "client_addr": null, "message_id": null,
            "subject": format!("Report {i} for Class 5"), "severity": severity,
            "rule_ids": [if i % 2 == 0 { "even-rule" } else { "odd-rule" }], "findings": [],
            "raw_sha256": null, "raw_size": 0, "has_content": true, "content_erased_at": null,
            "state_changed_at": null, "state_changed_by": null, "state_reason": null,
            "release_id": null, "release_started_at": null
        }))
        .unwrap();
        r.findings.push(StoredFinding {
            rule: r.rule_ids[0].clone(),
            policy: String::new(),
            category: "personal_data".into(),
            detector: "x".into(),
            location: if subject_finding { "subject" } else { "body" }.into(),
            confidence: "high".into(),
            evidence: "x".into(),
            count: 1,
            severity: severity.into(),
            fix: String::new(),
            sender_may_release: false,
        });
        r
    }

    /// The SQL page and the in-memory reference agree on every query.
    #[test]
    fn sql_pages_match_the_in_memory_reference() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).unwrap();
        let senders = [
            "Zoe@school.example",
            "adam@school.example",
            "bea@other.example",
        ];
        let sevs = ["low", "medium", "high"];
        for i in 0..30i64 {
            let state = if i % 5 == 0 {
                State::Released
            } else {
                State::Held
            };
            let r = record(
                i,
                state,
                senders[(i % 3) as usize],
                sevs[(i % 3) as usize],
                i % 4 == 0,
            );
            insert_held(&store, &r);
        }
        let queries = [
            PageQuery {
                limit: 7,
                descending: true,
                ..PageQuery::default()
            },
            PageQuery {
                limit: 7,
                offset: 21,
                ..PageQuery::default()
            },
            PageQuery {
                limit: 50,
                sort: SortKey::Sender,
                ..PageQuery::default()
            },
            PageQuery {
                limit: 50,
                sort: SortKey::Severity,
                descending: true,
                ..PageQuery::default()
            },
            PageQuery {
                limit: 50,
                sort: SortKey::State,
                ..PageQuery::default()
            },
            PageQuery {
                limit: 50,
                text: Some("CLASS 5".into()),
                ..PageQuery::default()
            },
            PageQuery {
                limit: 50,
                text: Some("adam".into()),
                severity: Some("medium".into()),
                ..PageQuery::default()
            },
            PageQuery {
                limit: 50,
                filter: Filter {
                    state: Some(State::Held),
                    rule: Some("even-rule".into()),
                    since: Some(1100),
                    ..Filter::default()
                },
                ..PageQuery::default()
            },
        ];
        for q in &queries {
            let sql = store.page(q).unwrap();
            let mem = page_in_memory(&store, q).unwrap();
            let ids = |p: &Page| p.records.iter().map(|r| r.id.clone()).collect::<Vec<_>>();
            assert_eq!(ids(&sql), ids(&mem), "{q:?}");
            assert_eq!(sql.total, mem.total, "{q:?}");
        }
        // A subject with a finding in it is not searched.
        let q = PageQuery {
            limit: 50,
            text: Some("report 4 ".into()),
            ..PageQuery::default()
        };
        assert_eq!(store.page(&q).unwrap().total, 0);
        let q = PageQuery {
            limit: 50,
            text: Some("report 5 ".into()),
            ..PageQuery::default()
        };
        assert_eq!(store.page(&q).unwrap().total, 1);
        // LIKE's own wildcards in a search are plain characters.
        let q = PageQuery {
            limit: 50,
            text: Some("report_5".into()),
            ..PageQuery::default()
        };
        assert_eq!(store.page(&q).unwrap().total, 0);
        assert_eq!(like_pattern(r"50%_a\b"), r"%50\%\_a\\b%");
        let counts = store.count_by_state(true).unwrap();
        assert!(
            counts.contains(&(State::Held, 24)) && counts.contains(&(State::Released, 6)),
            "{counts:?}"
        );
    }

    /// The reports' slim rows from SQL are what the whole records say:
    /// holds only, from `since`, each category once, no findings at all
    /// counted as none.
    #[test]
    fn sql_report_rows_match_the_records() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).unwrap();
        for i in 0..12i64 {
            let state = match i % 3 {
                0 => State::Released,
                1 => State::Deleted,
                _ => State::Held,
            };
            let mut r = record(i, state, "a@school.example", "high", false);
            match i % 4 {
                // Two findings of one category and one of another.
                0 => {
                    let mut f = r.findings[0].clone();
                    r.findings.push(f.clone());
                    f.category = "exposed_recipients".into();
                    r.findings.push(f);
                }
                1 => r.findings.clear(),
                _ => {}
            }
            if i == 5 {
                r.action = "tag".into();
            }
            insert_held(&store, &r);
        }
        // Decided ones, as a release or delete leaves them.
        store
            .with(|c| {
                c.execute(
                    "UPDATE records SET state_changed_at = created_at + 300 WHERE state != 'held'",
                    [],
                )
                .map_err(db)
            })
            .unwrap();
        // One written by a version before record_categories: its
        // categories come from its findings.
        store
            .with(|c| {
                c.execute(
                    "DELETE FROM record_categories WHERE record_id = 'Q-0004'",
                    [],
                )
                .map_err(db)
            })
            .unwrap();
        let since = 1000 + 2 * 10;
        let norm = |mut rows: Vec<ReportRow>| {
            for r in &mut rows {
                r.categories.sort();
            }
            rows.sort_by_key(|r| r.created_at);
            rows
        };
        let sql = norm(store.report_rows(since).unwrap());
        let reference: Vec<ReportRow> = store
            .list(&Filter {
                since: Some(since),
                holds_only: true,
                ..Filter::default()
            })
            .unwrap()
            .iter()
            .map(ReportRow::of)
            .collect();
        let reference = norm(reference);
        assert_eq!(sql, reference);
        // Ten holds from the third on, less the one that was a tag.
        assert_eq!(sql.len(), 9);
        assert!(sql.iter().all(|r| r.created_at >= since));
        let first = &sql[0];
        assert_eq!(first.created_at, 1020);
        assert_eq!(first.state, State::Held);
        assert_eq!(first.categories, ["personal_data"]);
        let two = sql.iter().find(|r| r.created_at == 1040).unwrap();
        assert_eq!(two.categories, ["exposed_recipients", "personal_data"]);
        assert_eq!(two.state_changed_at, Some(1040 + 300));
        let none = sql.iter().find(|r| r.created_at == 1090).unwrap();
        assert!(none.categories.is_empty());
        assert_eq!(none.rule_ids, ["odd-rule"]);
    }
}
