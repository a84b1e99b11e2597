//! `audit head` and `audit verify` over a store: the chain (keyed, see
//! [`crate::audit`]), the records it covers ([`super::record_state`]) and,
//! with `--anchor`, the heads recorded outside the database.

use super::store::{Filter, Store};
use super::QuarantineError;
use crate::audit::{self, Broken, Verified};

/// The head as written outside the database ([`audit::head_line`]).
pub fn head(store: &dyn Store) -> Result<String, QuarantineError> {
    Ok(match store.audit_last()? {
        Some(e) => audit::head_line(e.seq as u64, &e.hash),
        None => audit::head_line(0, audit::GENESIS),
    })
}

/// The chain, then every record against the last entry that recorded it.
pub fn verify(store: &dyn Store) -> Result<Result<Verified, Broken>, QuarantineError> {
    let key = store.audit_key();
    let entries = store.audit_entries()?;
    let v = match audit::verify(entries.clone(), key.as_deref()) {
        Ok(v) => v,
        Err(b) => return Ok(Err(b)),
    };
    let records = store.list(&Filter::default())?;
    Ok(super::record_state::check(&entries, &records).map(|_| v))
}

/// [`verify`], after checking the heads found in `collected` (mail, logs):
/// the anchors first, since they name the entry that was changed even when
/// the whole chain was recomputed with a stolen key. Returns how many heads
/// were checked.
pub fn verify_anchored(
    store: &dyn Store,
    collected: &[u8],
) -> Result<Result<(Verified, usize), Broken>, QuarantineError> {
    let entries = store.audit_entries()?;
    let anchors = audit::collect_anchors(collected);
    let checked = match audit::check_anchors(&entries, &anchors) {
        Ok(n) => n,
        Err(b) => return Ok(Err(b)),
    };
    Ok(verify(store)?.map(|v| (v, checked)))
}
