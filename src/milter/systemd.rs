//! systemd's notify protocol (`Type=notify`): the unit is "started" only
//! once the socket is bound and Postfix can connect, a reload shows as
//! reloading until the new rules are in, a stop as stopping while messages
//! in flight finish; and with `WatchdogSec=` the I/O thread pings systemd,
//! so a wedged runtime (nothing answering Postfix) is restarted rather than
//! left to tempfail mail until someone notices.
//!
//! Outside systemd (`NOTIFY_SOCKET` unset) every call is a no-op. A failed
//! notification is logged, never fatal: the milter serving mail matters
//! more than systemd's view of it.

use sd_notify::NotifyState;
use std::time::Duration;

fn send(what: &str, states: &[NotifyState]) {
    if let Err(e) = sd_notify::notify(false, states) {
        tracing::warn!(error = %e, "cannot tell systemd {what}");
    }
}

/// The socket is bound: Postfix can connect.
pub fn ready(status: &str) {
    send("ready", &[NotifyState::Ready, NotifyState::Status(status)]);
}

/// A SIGHUP reload began (`systemctl reload` waits for the next [`ready`]).
pub fn reloading() {
    let mut states = vec![NotifyState::Reloading];
    if let Ok(now) = NotifyState::monotonic_usec_now() {
        states.push(now);
    }
    send("reloading", &states);
}

/// Shutting down: no new connections, messages in flight finishing.
pub fn stopping() {
    send("stopping", &[NotifyState::Stopping]);
}

/// With `WatchdogSec=` set, pings systemd at half the interval from the
/// runtime that serves the sessions (a ping proves that runtime still
/// polls). Returns `None` when there is no watchdog.
pub fn spawn_watchdog() -> Option<tokio::task::JoinHandle<()>> {
    let mut usec = 0u64;
    if !sd_notify::watchdog_enabled(false, &mut usec) || usec == 0 {
        return None;
    }
    let every = Duration::from_micros(usec / 2).max(Duration::from_millis(100));
    Some(tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            send("watchdog", &[NotifyState::Watchdog]);
        }
    }))
}
