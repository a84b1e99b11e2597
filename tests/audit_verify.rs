//! `dlp-milter audit verify`: an intact chain passes; editing, deleting or
//! re-hashing an entry directly in the database is caught, and the first
//! broken entry is named.

#[path = "quarantine_support.rs"]
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
    // caught: the next entry points at the old hash.
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
    assert!(err.contains("broken at entry 3"), "{err}");
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
