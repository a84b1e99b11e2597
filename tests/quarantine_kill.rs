//! Durability: a hold that returned Ok (what the milter acknowledges to
//! Postfix) survives SIGKILL at any moment, and a kill never leaves a
//! half-written record.
//!
//! The test runs this test binary again in a child mode that holds messages
//! as fast as it can and prints `ACK <reference> <n>` after each `hold`
//! returned; the parent SIGKILLs it at a random moment, reopens the store
//! (as a restarted milter would) and checks every acknowledged message and
//! every stored record. Several rounds share one data directory.

#[path = "common/quarantine.rs"]
mod support;

use dlp_milter::audit;
use dlp_milter::quarantine::{Filter, HoldRequest, HoldStore, Quarantine, State};
use sha2::{Digest, Sha256};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CHILD_DIR: &str = "DLP_KILL_TEST_DIR";
const CHILD_BASE: &str = "DLP_KILL_TEST_BASE";

/// Message `n`: sizes vary (up to ~200 KB) so kills land inside large writes too.
fn message(n: usize) -> Vec<u8> {
    let mut m = support::held_message(n);
    let pad = (n * 7919) % 200_000;
    m.extend(std::iter::repeat_n(b'x', pad));
    m.extend_from_slice(format!("\r\nend {n}\r\n").as_bytes());
    m
}

/// Child mode: hold messages until killed. A no-op when run normally.
#[test]
fn kill_child_mode() {
    let Ok(dir) = std::env::var(CHILD_DIR) else {
        return;
    };
    let base: usize = std::env::var(CHILD_BASE)
        .ok()
        .and_then(|b| b.parse().ok())
        .unwrap_or(0);
    let q = Quarantine::open(&support::config("127.0.0.1:9"), dir.as_ref()).expect("open");
    let rep = support::report("Jane Doe NHS 943 476 5919");
    for n in base.. {
        let raw = message(n);
        let env = support::envelope(n);
        let r = q
            .hold(&HoldRequest {
                raw: &raw,
                envelope: &env,
                report: &rep,
            })
            .expect("hold");
        // println! flushes at the newline: the parent sees exactly the acknowledged ones.
        println!("ACK {} {n}", r.id);
    }
}

#[test]
fn acknowledged_holds_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut acked: Vec<(String, usize)> = Vec::new();
    let mut base = 0usize;
    // Six kills; more if a loaded machine acknowledged too few to prove anything.
    let mut rounds = 0;
    while rounds < 6 || (acked.len() < 20 && rounds < 15) {
        let round = rounds;
        rounds += 1;
        let mut child = Command::new(&exe)
            .args([
                "kill_child_mode",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_DIR, dir.path())
            .env(CHILD_BASE, base.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            let mut out = Vec::new();
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let mut p = line.split_whitespace();
                if p.next() == Some("ACK") {
                    if let (Some(id), Some(n)) = (p.next(), p.next().and_then(|n| n.parse().ok())) {
                        out.push((id.to_string(), n));
                    }
                }
            }
            out
        });
        // Random moment: from "still opening the database" to "mid-burst".
        let wait = 30 + (rand::random::<u64>() % 400) + round as u64 * 20;
        std::thread::sleep(Duration::from_millis(wait));
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        let got = reader.join().unwrap();
        // Typed: a dependency's blanket `Add` impls (ordered-float, via
        // openidconnect) leave `n + 1` on an inferred reference ambiguous.
        if let Some(&(_, n)) = got.last() {
            let n: usize = n;
            base = n + 1;
        }
        // The child may have started holding n+1 when killed; skip past it.
        base += 1;
        acked.extend(got);
    }
    assert!(
        acked.len() >= 10,
        "too few holds acknowledged ({}) to prove anything",
        acked.len()
    );

    // Restart: open as the milter would (migrations, WAL recovery).
    let start = Instant::now();
    let q = Quarantine::open(&support::config("127.0.0.1:9"), dir.path()).unwrap();
    for (id, n) in &acked {
        let rec = q
            .get(id)
            .unwrap_or_else(|e| panic!("acknowledged hold {id} (message {n}) lost: {e}"));
        assert_eq!(rec.state, State::Held);
        let raw = q.store().raw(id).unwrap().expect("content");
        assert_eq!(raw, message(*n), "{id}: stored bytes differ");
        assert_eq!(rec.queue_id, support::envelope(*n).queue_id);
    }
    // No half-written record: every stored record (acknowledged or not) is
    // complete, with its content, its hash, its audit entry and its notices.
    let all = q.list(&Filter::default()).unwrap();
    assert!(all.len() >= acked.len());
    let entries = q.store().audit_entries().unwrap();
    for rec in &all {
        let raw = q.store().raw(&rec.id).unwrap().expect("content");
        assert_eq!(rec.raw_size as usize, raw.len());
        assert_eq!(
            rec.raw_sha256.as_deref(),
            Some(hex::encode(Sha256::digest(&raw)).as_str())
        );
        assert_eq!(rec.findings.len(), 3);
        assert!(
            entries
                .iter()
                .any(|e| e.event == "held" && e.message_id.as_deref() == Some(rec.id.as_str())),
            "{}: no audit entry",
            rec.id
        );
    }
    // Exactly one "held" entry per record, and the chain is intact.
    assert_eq!(
        entries.iter().filter(|e| e.event == "held").count(),
        all.len()
    );
    let key = std::fs::read(dir.path().join("audit.key")).expect("audit key");
    let v = audit::verify(entries, Some(&key)).expect("audit chain intact after kills");
    assert_eq!(v.unkeyed, 0, "every entry of a new trail is keyed");
    let db = rusqlite::Connection::open(dir.path().join("quarantine.db")).unwrap();
    let ok: String = db
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
    let queued: i64 = db
        .query_row("SELECT count(*) FROM outbox", [], |r| r.get(0))
        .unwrap();
    // Each hold queues its DPO alert; the one sender gets at most
    // HOLD_NOTICES_PER_WINDOW hold notices and then one summary per hour
    // (issue 21: no notice floods), all in the same transaction as the hold.
    let limit = dlp_milter::notice::gate::HOLD_NOTICES_PER_WINDOW;
    let to_sender = all.len().min(limit) + usize::from(all.len() > limit);
    assert_eq!(
        queued as usize,
        all.len() + to_sender,
        "each hold queues its DPO alert; the sender's notices are rate-limited"
    );
    eprintln!(
        "{} acknowledged, {} stored, over {rounds} kills; checked in {:?}",
        acked.len(),
        all.len(),
        start.elapsed()
    );
}
