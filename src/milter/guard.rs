//! Who may talk to the milter, and how many at once.
//!
//! Anyone who can connect to the milter can submit messages, fill the
//! quarantine and trigger notices, so:
//! - an `inet:` listener only serves clients on an allow-list
//!   (`[milter] allow_clients`, addresses or CIDR networks, default
//!   loopback); others are closed at accept, before a byte is read;
//! - the session limit cannot be exhausted by connections that sit idle:
//!   at the limit, the longest-idle session is closed to make room
//!   ([`SessionTable`]). A session is idle when it last wrote (answered)
//!   and waits for the MTA; one that last read (a message streaming in, or
//!   being scanned before its answer) is busy and closed only when no idle
//!   one is left. Among equals, the least recent activity goes first.

use ipnet::IpNet;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::task::Waker;
use std::time::Instant;

pub use crate::config::DEFAULT_ALLOW;

/// Client addresses an `inet:` listener serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowList {
    nets: Vec<IpNet>,
}

impl AllowList {
    /// Parses addresses (`127.0.0.1`, `::1`) and networks (`10.0.0.0/8`).
    pub fn parse<S: AsRef<str>>(items: &[S]) -> Result<AllowList, String> {
        let mut nets = Vec::new();
        for item in items {
            let s = item.as_ref().trim();
            let net = s
                .parse::<IpNet>()
                .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| format!("milter.allow_clients: {s:?} is not an address or network"))?;
            nets.push(net);
        }
        Ok(AllowList { nets })
    }

    /// Whether a client at `ip` may connect (IPv4-mapped IPv6 counts as IPv4).
    pub fn allows(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
            v4 => v4,
        };
        self.nets.iter().any(|n| n.contains(&ip))
    }
}

/// One live session, as the table sees it.
#[derive(Debug)]
pub struct Slot {
    /// Milliseconds since the table's epoch at the last read or write.
    last_active: AtomicU64,
    /// Whether the last activity was a read: the milter owes an answer or
    /// more of the message is coming, so the session is not idle.
    busy: AtomicBool,
    evicted: AtomicBool,
    waker: Mutex<Option<Waker>>,
}

impl Slot {
    /// Notes a read that moved bytes: the session is busy.
    pub fn read(&self, now_ms: u64) {
        self.last_active.store(now_ms, Ordering::Relaxed);
        self.busy.store(true, Ordering::Relaxed);
    }

    /// Notes a write that moved bytes (an answer): idle until the next read.
    pub fn wrote(&self, now_ms: u64) {
        self.last_active.store(now_ms, Ordering::Relaxed);
        self.busy.store(false, Ordering::Relaxed);
    }

    /// Eviction order: idle before busy, then least recent activity.
    fn eviction_key(&self) -> (bool, u64) {
        (
            self.busy.load(Ordering::Relaxed),
            self.last_active.load(Ordering::Relaxed),
        )
    }

    /// True once the table closed this session to make room.
    pub fn evicted(&self) -> bool {
        self.evicted.load(Ordering::SeqCst)
    }

    /// Remembers who to wake when the session is evicted while it waits.
    pub fn park(&self, waker: &Waker) {
        let mut w = self.waker.lock().unwrap_or_else(|e| e.into_inner());
        match w.as_ref() {
            Some(old) if old.will_wake(waker) => {}
            _ => *w = Some(waker.clone()),
        }
    }

    fn evict(&self) {
        self.evicted.store(true, Ordering::SeqCst);
        if let Some(w) = self.waker.lock().unwrap_or_else(|e| e.into_inner()).take() {
            w.wake();
        }
    }
}

/// The live sessions, for evicting the longest-idle one at the limit.
#[derive(Debug)]
pub struct SessionTable {
    max: usize,
    epoch: Instant,
    slots: Mutex<Vec<Weak<Slot>>>,
}

impl SessionTable {
    pub fn new(max: usize) -> SessionTable {
        SessionTable {
            max: max.max(1),
            epoch: Instant::now(),
            slots: Mutex::new(Vec::new()),
        }
    }

    /// Milliseconds since the table was made (the clock of [`Slot::read`] and [`Slot::wrote`]).
    pub fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    /// Registers a new session; if that puts the table over its limit, the
    /// longest-idle other sessions are evicted (closed at their next poll).
    /// Returns how many were evicted.
    pub fn admit(&self) -> (Arc<Slot>, usize) {
        let now = self.now_ms();
        let slot = Arc::new(Slot {
            last_active: AtomicU64::new(now),
            busy: AtomicBool::new(false),
            evicted: AtomicBool::new(false),
            waker: Mutex::new(None),
        });
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        slots.retain(|w| w.upgrade().is_some_and(|s| !s.evicted()));
        let mut live: Vec<Arc<Slot>> = slots.iter().filter_map(Weak::upgrade).collect();
        let mut evicted = 0;
        // Room for the newcomer: at most `max` sessions including it.
        while live.len() >= self.max {
            let Some((i, _)) = live
                .iter()
                .enumerate()
                .min_by_key(|(_, s)| s.eviction_key())
            else {
                break;
            };
            live.swap_remove(i).evict();
            evicted += 1;
        }
        slots.retain(|w| w.upgrade().is_some_and(|s| !s.evicted()));
        slots.push(Arc::downgrade(&slot));
        (slot, evicted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_list_matches_addresses_and_networks() {
        let a = AllowList::parse(&["127.0.0.1", "10.1.0.0/16", "::1"]).unwrap();
        assert!(a.allows("127.0.0.1".parse().unwrap()));
        assert!(!a.allows("127.0.0.2".parse().unwrap()));
        assert!(a.allows("10.1.200.3".parse().unwrap()));
        assert!(!a.allows("10.2.0.1".parse().unwrap()));
        assert!(a.allows("::1".parse().unwrap()));
        assert!(a.allows("::ffff:127.0.0.1".parse().unwrap()));
        assert!(AllowList::parse(&["localhost"]).is_err());
        let d = AllowList::parse(&DEFAULT_ALLOW).unwrap();
        assert!(d.allows("127.0.0.2".parse().unwrap()));
        assert!(!d.allows("192.0.2.1".parse().unwrap()));
    }

    #[test]
    fn the_longest_idle_session_makes_room() {
        let t = SessionTable::new(2);
        let (a, n) = t.admit();
        assert_eq!(n, 0);
        let (b, n) = t.admit();
        assert_eq!(n, 0);
        // a answered after b did: b is the longest idle.
        b.wrote(t.now_ms());
        a.wrote(t.now_ms() + 10);
        let (c, n) = t.admit();
        assert_eq!(n, 1);
        assert!(b.evicted() && !a.evicted() && !c.evicted());
        // A closed session frees its place without evicting anyone.
        drop(c);
        let (_d, n) = t.admit();
        assert_eq!(n, 0);
        assert!(!a.evicted());
    }

    #[test]
    fn a_session_mid_message_outlasts_idle_ones() {
        let t = SessionTable::new(2);
        let (scanning, _) = t.admit();
        let (idle, _) = t.admit();
        // The scanning session read its message long ago (the scan runs);
        // the idle one answered more recently. Still the idle one goes.
        scanning.read(1);
        idle.wrote(t.now_ms() + 1000);
        let (_new, n) = t.admit();
        assert_eq!(n, 1);
        assert!(idle.evicted() && !scanning.evicted());
    }
}
