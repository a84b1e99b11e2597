//! The audit trail: an append-only, hash-chained log of every decision and
//! every human action (held, rewritten, released, deleted, expired, notice
//! sent, viewed, revealed, exported).
//!
//! Stage 6 of the flow, beside the quarantine. Each entry carries the hash of
//! the one before it, so editing or removing an entry in the middle breaks
//! the chain from that entry on, and [`verify`] names the first broken one.
//! The entries live in the quarantine database (appended in the same
//! transaction as the change they record, so a record never exists without
//! its audit entry); this module is the pure part: what an entry is, how it
//! is hashed and how a chain is checked.
//!
//! A chain alone cannot show that its *last* entries were cut off: `audit
//! verify` prints the head hash and count so a DPO can note them elsewhere
//! (e.g. in the monthly report) and compare later.

use serde::Serialize;
use sha2::{Digest, Sha256};
use thiserror::Error;

/// The `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What happened. Stored as its string, so a tampered or future value still loads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// The milter held a message (it is in the quarantine).
    Held,
    /// The same message (bytes and envelope) arrived again while its first
    /// copy was held, e.g. the client retried after the milter was killed
    /// between storing it and answering: it joins the existing hold.
    HeldAgain,
    /// The milter changed a message and let it out (BCC fix, subject, password).
    Rewritten,
    /// The milter refused a message.
    Rejected,
    /// The milter tagged (or, in monitor mode, would have acted on) a message.
    Tagged,
    /// Someone started a release (the SMTP hand-over follows).
    ReleaseStarted,
    /// The relay accepted the released message.
    Released,
    /// The relay refused or could not be reached; the message stays held.
    ReleaseFailed,
    Deleted,
    /// Retention ended: content erased, record kept.
    Expired,
    NoticeSent,
    /// A notice could not be delivered and was given up.
    NoticeFailed,
    /// Someone looked at a message's record (masked).
    Viewed,
    /// Someone looked at a message's content (unmasked).
    Revealed,
    /// An incident report was exported.
    Exported,
}

impl Event {
    pub fn as_str(self) -> &'static str {
        match self {
            Event::Held => "held",
            Event::HeldAgain => "held_again",
            Event::Rewritten => "rewritten",
            Event::Rejected => "rejected",
            Event::Tagged => "tagged",
            Event::ReleaseStarted => "release_started",
            Event::Released => "released",
            Event::ReleaseFailed => "release_failed",
            Event::Deleted => "deleted",
            Event::Expired => "expired",
            Event::NoticeSent => "notice_sent",
            Event::NoticeFailed => "notice_failed",
            Event::Viewed => "viewed",
            Event::Revealed => "revealed",
            Event::Exported => "exported",
        }
    }
}

/// An entry to append. `detail` is a JSON object: never message content or
/// unmasked identifiers.
#[derive(Debug, Clone)]
pub struct NewEntry {
    pub at: i64,
    pub event: Event,
    /// The quarantine reference id the entry is about, if any.
    pub message_id: Option<String>,
    /// Who: a Unix user, a DPO's name, `milter`, `retention`, or `sender:ADDRESS`.
    pub actor: String,
    pub detail: serde_json::Value,
}

impl NewEntry {
    pub fn new(
        at: i64,
        event: Event,
        message_id: Option<&str>,
        actor: &str,
        detail: serde_json::Value,
    ) -> NewEntry {
        NewEntry {
            at,
            event,
            message_id: message_id.map(str::to_string),
            actor: actor.to_string(),
            detail,
        }
    }
}

/// An entry as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// 1, 2, 3, ... without gaps.
    pub seq: i64,
    pub at: i64,
    pub event: String,
    pub message_id: Option<String>,
    pub actor: String,
    /// JSON text, hashed exactly as stored.
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

/// The hash of an entry: SHA-256 over its fields, each length-prefixed so no
/// two different entries encode alike, chained to `prev_hash`.
pub fn entry_hash(
    prev_hash: &str,
    seq: i64,
    at: i64,
    event: &str,
    message_id: Option<&str>,
    actor: &str,
    detail: &str,
) -> String {
    let mut h = Sha256::new();
    let mut field = |s: &[u8]| {
        h.update((s.len() as u64).to_be_bytes());
        h.update(s);
    };
    field(b"dlp-milter audit v1");
    field(prev_hash.as_bytes());
    field(seq.to_string().as_bytes());
    field(at.to_string().as_bytes());
    field(event.as_bytes());
    // None and Some("") must differ.
    match message_id {
        Some(m) => {
            field(b"1");
            field(m.as_bytes());
        }
        None => field(b"0"),
    }
    field(actor.as_bytes());
    field(detail.as_bytes());
    hex::encode(h.finalize())
}

impl Entry {
    /// Builds the stored form of `e`, following the entry whose hash is `prev_hash`.
    pub fn seal(e: &NewEntry, seq: i64, prev_hash: &str) -> Entry {
        let detail = e.detail.to_string();
        let hash = entry_hash(
            prev_hash,
            seq,
            e.at,
            e.event.as_str(),
            e.message_id.as_deref(),
            &e.actor,
            &detail,
        );
        Entry {
            seq,
            at: e.at,
            event: e.event.as_str().to_string(),
            message_id: e.message_id.clone(),
            actor: e.actor.clone(),
            detail,
            prev_hash: prev_hash.to_string(),
            hash,
        }
    }

    fn recomputed(&self) -> String {
        entry_hash(
            &self.prev_hash,
            self.seq,
            self.at,
            &self.event,
            self.message_id.as_deref(),
            &self.actor,
            &self.detail,
        )
    }
}

/// The first entry where the chain breaks.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
#[error("audit chain broken at entry {seq}: {reason}")]
pub struct Broken {
    pub seq: i64,
    pub reason: String,
}

/// A chain that verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verified {
    pub entries: u64,
    /// Hash of the last entry (GENESIS for an empty log): note it to detect truncation later.
    pub head: String,
}

/// Checks a chain given in `seq` order: numbering without gaps from 1, each
/// `prev_hash` equal to the previous entry's hash, each hash recomputed.
pub fn verify<I: IntoIterator<Item = Entry>>(entries: I) -> Result<Verified, Broken> {
    let mut prev = GENESIS.to_string();
    let mut count = 0u64;
    for (expected_seq, e) in (1i64..).zip(entries) {
        if e.seq != expected_seq {
            return Err(Broken {
                seq: e.seq,
                reason: format!("entry {expected_seq} is missing (found {} next)", e.seq),
            });
        }
        if e.prev_hash != prev {
            return Err(Broken {
                seq: e.seq,
                reason: "it does not follow the entry before it (previous hash differs)".into(),
            });
        }
        if e.recomputed() != e.hash {
            return Err(Broken {
                seq: e.seq,
                reason: "its content was changed after it was written (hash differs)".into(),
            });
        }
        prev = e.hash;
        count += 1;
    }
    Ok(Verified {
        entries: count,
        head: prev,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<Entry> {
        let mut out: Vec<Entry> = Vec::new();
        for i in 1..=n {
            let prev = out.last().map(|e| e.hash.clone()).unwrap_or(GENESIS.into());
            let e = NewEntry::new(
                i * 10,
                Event::Held,
                Some("Q-1"),
                "milter",
                serde_json::json!({ "i": i }),
            );
            out.push(Entry::seal(&e, i, &prev));
        }
        out
    }

    #[test]
    fn intact_chain_verifies() {
        let v = verify(chain(5)).unwrap();
        assert_eq!(v.entries, 5);
        assert_eq!(verify(Vec::new()).unwrap().head, GENESIS);
    }

    #[test]
    fn edited_entry_is_named() {
        let mut c = chain(5);
        c[2].actor = "someone else".into();
        assert_eq!(verify(c).unwrap_err().seq, 3);
    }

    #[test]
    fn removed_entry_is_named() {
        let mut c = chain(5);
        c.remove(1);
        assert_eq!(verify(c).unwrap_err().seq, 3);
    }

    #[test]
    fn rehashed_entry_breaks_the_next_link() {
        let mut c = chain(5);
        c[1].actor = "x".into();
        c[1].hash = c[1].recomputed();
        let b = verify(c).unwrap_err();
        assert_eq!(b.seq, 3);
    }
}
