//! `dlp-milter audit verify`: an intact chain passes; editing, deleting or
//! re-hashing an entry directly in the database is caught, and the first
//! broken entry is named.

#[path = "common/quarantine.rs"]
mod support;

use dlp_milter::quarantine::{HoldRequest, HoldStore, Quarantine};
use std::path::Path;
use std::process::Command;

fn populate(dir: &Path) {
    let q = Quarantine::open(&support::config(&support::dead_relay()), dir).unwrap();
    for n in 0..4 {
        let id = support::hold_with(&q, n, &support::report("s"));
        q.show(&id, "dpo", false).unwrap();
    }
}

fn verify(dir: &Path) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_dlp-milter"))
        .args(["audit", "verify", "--data-dir"])
        .arg(dir)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

fn db(dir: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(dir.join("quarantine.db")).unwrap()
}

#[test]
fn intact_chain_verifies() {
    let d = tempfile::tempdir().unwrap();
    populate(d.path());
    let (ok, out, err) = verify(d.path());
    assert!(ok, "{out}{err}");
    assert!(out.starts_with("ok: 8 entries"), "{out}");
}

#[test]
fn edited_entry_is_named() {
    let d = tempfile::tempdir().unwrap();
    populate(d.path());
    db(d.path())
        .execute("UPDATE audit SET actor = 'someone-else' WHERE seq = 4", [])
        .unwrap();
    let (ok, _, err) = verify(d.path());
    assert!(!ok);
    assert!(err.contains("broken at entry 4"), "{err}");
    assert!(err.contains("changed"), "{err}");
}

#[test]
fn deleted_entry_is_named() {
    let d = tempfile::tempdir().unwrap();
    populate(d.path());
    db(d.path())
        .execute("DELETE FROM audit WHERE seq = 3", [])
        .unwrap();
    let (ok, _, err) = verify(d.path());
    assert!(!ok);
    assert!(err.contains("broken at entry 4"), "{err}");
    assert!(err.contains("entry 3 is missing"), "{err}");
}

#[test]
fn rehashed_entry_breaks_the_next_link() {
    // A tamperer who edits an entry and recomputes its own hash is still
    // caught: without the audit key the recomputed (unkeyed) hash is not
    // the entry's MAC, so the entry itself is named (before the trail was
    // keyed, the next entry was: it points at the old hash).
    let d = tempfile::tempdir().unwrap();
    populate(d.path());
    let c = db(d.path());
    let e: (String, i64, i64, String, Option<String>, String) = c
        .query_row(
            "SELECT prev_hash, seq, at, event, message_id, detail FROM audit WHERE seq = 2",
            [],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            },
        )
        .unwrap();
    let h = dlp_milter::audit::entry_hash(&e.0, e.1, e.2, &e.3, e.4.as_deref(), "nobody", &e.5);
    c.execute(
        "UPDATE audit SET actor = 'nobody', hash = ?1 WHERE seq = 2",
        [h],
    )
    .unwrap();
    let (ok, _, err) = verify(d.path());
    assert!(!ok);
    assert!(err.contains("broken at entry 2"), "{err}");
}

#[test]
fn concurrent_writers_keep_one_chain() {
    // Two handles on one database (like serve and a DPO's command), several
    // threads each: every append reads the last hash and writes the next
    // one under the write lock, so the chain stays a single line.
    let d = tempfile::tempdir().unwrap();
    let cfg = support::config(&support::dead_relay());
    let a = std::sync::Arc::new(Quarantine::open(&cfg, d.path()).unwrap());
    let b = std::sync::Arc::new(Quarantine::open(&cfg, d.path()).unwrap());
    let mut threads = Vec::new();
    for t in 0..4 {
        let q = if t % 2 == 0 { a.clone() } else { b.clone() };
        threads.push(std::thread::spawn(move || {
            for n in 0..15 {
                let raw = support::held_message(t * 100 + n);
                let env = support::envelope(n);
                let rep = support::report("s");
                let id = q
                    .hold(&HoldRequest {
                        raw: &raw,
                        envelope: &env,
                        report: &rep,
                    })
                    .unwrap()
                    .id;
                q.show(&id, "dpo", false).unwrap();
            }
        }));
    }
    for t in threads {
        t.join().unwrap();
    }
    let (ok, out, err) = verify(d.path());
    assert!(ok, "{out}{err}");
    assert!(out.starts_with("ok: 120 entries"), "{out}");
}

fn cli(dir: &Path, args: &[&str], stdin: Option<&str>) -> (bool, String, String) {
    use std::io::Write;
    let mut c = Command::new(env!("CARGO_BIN_EXE_dlp-milter"));
    c.args(args).arg("--data-dir").arg(dir);
    c.stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = c.spawn().unwrap();
    if let Some(s) = stdin {
        child.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

type Row = (i64, i64, String, Option<String>, String, String);

fn rows(c: &rusqlite::Connection) -> Vec<Row> {
    let mut st = c
        .prepare("SELECT seq, at, event, message_id, actor, detail FROM audit ORDER BY seq")
        .unwrap();
    st.query_map([], |r| {
        Ok((
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
            r.get(5)?,
        ))
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

/// What an attacker with write access to the database but not the key can
/// do: rewrite entries and recompute the whole unkeyed SHA-256 chain.
fn rewrite_unkeyed(dir: &Path, mark_unkeyed: bool) {
    let c = db(dir);
    let mut prev = dlp_milter::audit::GENESIS.to_string();
    for (seq, at, event, mid, actor, detail) in rows(&c) {
        let actor = if seq == 3 {
            "nobody".to_string()
        } else {
            actor
        };
        let h =
            dlp_milter::audit::entry_hash(&prev, seq, at, &event, mid.as_deref(), &actor, &detail);
        c.execute(
            "UPDATE audit SET actor = ?1, prev_hash = ?2, hash = ?3, keyed = ?4 WHERE seq = ?5",
            rusqlite::params![actor, prev, h, if mark_unkeyed { 0 } else { 1 }, seq],
        )
        .unwrap();
        prev = h;
    }
}

#[test]
fn a_rewritten_database_without_the_key_fails_verify() {
    for mark_unkeyed in [false, true] {
        let d = tempfile::tempdir().unwrap();
        populate(d.path());
        rewrite_unkeyed(d.path(), mark_unkeyed);
        let (ok, out, err) = verify(d.path());
        assert!(!ok, "rewritten trail passed ({mark_unkeyed}): {out}");
        assert!(err.contains("broken at entry 1"), "{err}");
    }
}

#[test]
fn audit_head_prints_entry_and_mac() {
    let d = tempfile::tempdir().unwrap();
    populate(d.path());
    let (ok, out, err) = cli(d.path(), &["audit", "head"], None);
    assert!(ok, "{err}");
    let a = dlp_milter::audit::parse_anchors(&out);
    assert_eq!(a.len(), 1, "{out}");
    assert_eq!(a[0].seq, 8);
    let mac: String = db(d.path())
        .query_row("SELECT hash FROM audit WHERE seq = 8", [], |r| r.get(0))
        .unwrap();
    assert_eq!(a[0].mac, mac);
}

#[test]
fn anchored_check_names_the_first_entry_that_disagrees() {
    let d = tempfile::tempdir().unwrap();
    populate(d.path());
    // Heads as the hourly log lines would have recorded them, among other noise.
    let c = db(d.path());
    let mut log = String::from("Dec  7 10:00:00 host postfix/smtpd[1]: connect from x\n");
    for seq in [2, 4, 6, 8] {
        let mac: String = c
            .query_row("SELECT hash FROM audit WHERE seq = ?1", [seq], |r| r.get(0))
            .unwrap();
        log.push_str(&format!(
            "Dec  7 1{seq}:00:00 host dlp-milter[9]: INFO {}\n",
            dlp_milter::audit::head_line(seq as u64, &mac)
        ));
    }
    let anchors = d.path().join("anchors.log");
    std::fs::write(&anchors, &log).unwrap();
    let a = anchors.to_str().unwrap();
    let (ok, out, err) = cli(d.path(), &["audit", "verify", "--anchor", a], None);
    assert!(ok, "{out}{err}");
    assert!(out.contains("agrees with 4 recorded head(s)"), "{out}");

    // Someone who also stole the key rewrites entry 5 and re-MACs the rest:
    // the chain alone verifies, the anchors do not.
    let key = std::fs::read(d.path().join("audit.key")).unwrap();
    let mut prev: String = c
        .query_row("SELECT hash FROM audit WHERE seq = 4", [], |r| r.get(0))
        .unwrap();
    for (seq, at, event, mid, actor, detail) in rows(&c).into_iter().skip(4) {
        let actor = if seq == 5 {
            "nobody".to_string()
        } else {
            actor
        };
        let h = dlp_milter::audit::entry_mac(
            &key,
            &prev,
            seq,
            at,
            &event,
            mid.as_deref(),
            &actor,
            &detail,
        );
        c.execute(
            "UPDATE audit SET actor = ?1, prev_hash = ?2, hash = ?3 WHERE seq = ?4",
            rusqlite::params![actor, prev, h, seq],
        )
        .unwrap();
        prev = h;
    }
    let (ok, _, _) = verify(d.path());
    assert!(ok, "with the key, the rewritten chain is self-consistent");
    let (ok, _, err) = cli(d.path(), &["audit", "verify", "--anchor", "-"], Some(&log));
    assert!(!ok);
    assert!(err.contains("broken at entry 6"), "{err}");
    assert!(err.contains("recorded outside the database"), "{err}");

    // Cutting the tail is caught too.
    c.execute("DELETE FROM audit WHERE seq >= 7", []).unwrap();
    let (ok, _, err) = cli(d.path(), &["audit", "verify", "--anchor", a], None);
    assert!(!ok);
    assert!(err.contains("broken at entry 6"), "{err}");
}

#[test]
fn an_old_unkeyed_trail_is_sealed_and_continued_keyed() {
    let d = tempfile::tempdir().unwrap();
    populate(d.path());
    // Make it the trail an older version wrote: unkeyed hashes, schema 3,
    // no audit key.
    rewrite_unkeyed_intact(d.path());
    {
        let c = db(d.path());
        c.execute_batch("ALTER TABLE audit DROP COLUMN keyed; PRAGMA user_version = 3;")
            .unwrap();
    }
    std::fs::remove_file(d.path().join("audit.key")).unwrap();

    let (ok, out, err) = verify(d.path());
    assert!(ok, "{out}{err}");
    assert!(out.starts_with("ok: 9 entries"), "{out}");
    let c = db(d.path());
    let (event, detail, keyed): (String, String, i64) = c
        .query_row(
            "SELECT event, detail, keyed FROM audit WHERE seq = 9",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(event, "audit_keyed");
    assert_eq!(keyed, 1);
    let old_head: String = c
        .query_row("SELECT hash FROM audit WHERE seq = 8", [], |r| r.get(0))
        .unwrap();
    assert!(detail.contains("\"old_chain\":\"intact\""), "{detail}");
    assert!(detail.contains(&old_head), "{detail}");
    assert!(detail.contains("\"sealed_entries\":8"), "{detail}");
    // New entries continue the keyed chain.
    populate(d.path());
    let (ok, out, err) = verify(d.path());
    assert!(ok, "{out}{err}");
    // The sealed unkeyed part is still checked: editing it is caught.
    let n = db(d.path())
        .execute("UPDATE audit SET actor = 'x' WHERE seq = 2", [])
        .unwrap();
    assert_eq!(n, 1);
    let (ok, out, err) = verify(d.path());
    assert!(!ok, "{out}");
    assert!(err.contains("broken at entry 2"), "{err}");
}

/// The trail rewritten as an honest old version would have written it.
fn rewrite_unkeyed_intact(dir: &Path) {
    let c = db(dir);
    let mut prev = dlp_milter::audit::GENESIS.to_string();
    for (seq, at, event, mid, actor, detail) in rows(&c) {
        let h =
            dlp_milter::audit::entry_hash(&prev, seq, at, &event, mid.as_deref(), &actor, &detail);
        c.execute(
            "UPDATE audit SET prev_hash = ?1, hash = ?2, keyed = 0 WHERE seq = ?3",
            rusqlite::params![prev, h, seq],
        )
        .unwrap();
        prev = h;
    }
}

#[test]
fn a_record_state_changed_in_the_database_is_named() {
    let d = tempfile::tempdir().unwrap();
    let q = Quarantine::open(&support::config(&support::dead_relay()), d.path()).unwrap();
    let id = support::hold_with(&q, 1, &support::report("s"));
    q.delete(&id, "dpo", "sent in error").unwrap();
    drop(q);
    let (ok, out, err) = verify(d.path());
    assert!(ok, "{out}{err}");
    // Someone with database access makes the deleted message look released.
    db(d.path())
        .execute(
            "UPDATE records SET state = 'released', state_reason = 'approved' WHERE id = ?1",
            [&id],
        )
        .unwrap();
    let (ok, _, err) = verify(d.path());
    assert!(!ok);
    assert!(
        err.contains(&id) && err.contains("recorded it as deleted"),
        "{err}"
    );
    assert!(err.contains("broken at entry 2"), "{err}");
}

#[test]
fn every_digest_carries_the_audit_head() {
    let d = tempfile::tempdir().unwrap();
    let q = Quarantine::open(&support::config(&support::dead_relay()), d.path()).unwrap();
    support::hold_with(&q, 1, &support::report("s"));
    let head = q.audit_head().unwrap();
    let out = q.digest(0, i64::MAX / 2, true).unwrap();
    assert!(out.rendered.text.contains(&head), "{}", out.rendered.text);
    assert!(out.rendered.html.contains(&head));
    // And it is a head `audit verify --anchor` understands.
    let a = dlp_milter::audit::parse_anchors(&out.rendered.text);
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].seq, 1);
}

#[path = "common/milter.rs"]
mod milter_support;

#[test]
fn serve_logs_the_audit_head_and_the_log_anchors_the_trail() {
    let d = tempfile::tempdir().unwrap();
    let data = d.path().join("data");
    populate(&data);
    let port = milter_support::free_port();
    let cfg = d.path().join("dlp.toml");
    std::fs::write(
        &cfg,
        format!("data_dir = {data:?}\n[milter]\nlisten = \"inet:127.0.0.1:{port}\"\n"),
    )
    .unwrap();
    let log = d.path().join("milter.log");
    let l = log.clone();
    // The head is logged when serve starts and every hour after.
    let daemon = milter_support::start_daemon(
        &cfg,
        Some(std::fs::File::create(&log).unwrap()),
        move || {
            std::fs::read_to_string(&l)
                .unwrap_or_default()
                .contains("dlp-milter audit head: entry 8 mac")
        },
    );
    drop(daemon);
    let a = log.to_str().unwrap();
    let (ok, out, err) = cli(&data, &["audit", "verify", "--anchor", a], None);
    assert!(ok, "{out}{err}");
    assert!(out.contains("agrees with 1 recorded head(s)"), "{out}");
}

#[test]
fn the_audit_key_may_live_outside_the_data_directory() {
    let d = tempfile::tempdir().unwrap();
    let data = d.path().join("data");
    let key = d.path().join("keys/audit.key");
    let mut cfg = support::config(&support::dead_relay());
    cfg.quarantine.audit_key = Some(key.clone());
    let q = Quarantine::open(&cfg, &data).unwrap();
    support::hold_with(&q, 1, &support::report("s"));
    drop(q);
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert!(
        !data.join("audit.key").exists(),
        "no second key in the data directory"
    );
    // The chain is MAC'd under that key: verified with it, not without.
    let q = Quarantine::open(&cfg, &data).unwrap();
    assert!(q.verify_audit().unwrap().is_ok());
    let stored: String = db(&data)
        .query_row("SELECT hash FROM audit WHERE seq = 1", [], |r| r.get(0))
        .unwrap();
    let e = &q.store().audit_entries().unwrap()[0];
    let k = std::fs::read(&key).unwrap();
    let mac = dlp_milter::audit::entry_mac(
        &k,
        &e.prev_hash,
        e.seq,
        e.at,
        &e.event,
        e.message_id.as_deref(),
        &e.actor,
        &e.detail,
    );
    assert_eq!(mac, stored);
}

#[test]
fn digest_mails_as_received_anchor_the_trail() {
    // The digest as the DPO's mailbox receives it (MIME-encoded), two of
    // them in an mbox: the heads are found after decoding.
    let sink = support::Sink::start();
    let d = tempfile::tempdir().unwrap();
    let q = Quarantine::open(&support::config(&sink.addr), d.path()).unwrap();
    support::hold_with(&q, 1, &support::report("s"));
    q.digest(0, i64::MAX / 2, false).unwrap();
    support::hold_with(&q, 2, &support::report("s"));
    q.digest(0, i64::MAX / 2, false).unwrap();
    q.flush_outbox().unwrap();
    let got = sink.wait_for(6);
    let mut mbox = Vec::new();
    for m in got.iter().filter(|m| m.rcpt_to == ["dpo@school.sch.uk"]) {
        mbox.extend_from_slice(b"From MAILER-DAEMON Mon Dec  7 10:00:00 2026\n");
        mbox.extend_from_slice(&m.data);
        mbox.extend_from_slice(b"\n");
    }
    let anchors = dlp_milter::audit::collect_anchors(&mbox);
    assert!(anchors.len() >= 2, "{anchors:?}");
    let file = d.path().join("digests.mbox");
    std::fs::write(&file, &mbox).unwrap();
    drop(q);
    let (ok, out, err) = cli(
        d.path(),
        &["audit", "verify", "--anchor", file.to_str().unwrap()],
        None,
    );
    assert!(ok, "{out}{err}");
    assert!(out.contains("agrees with"), "{out}");
}
