//! The sender's self-service link: every hold notice carries
//! `[console] base_url/s/{token}`, which opens that one held message for its
//! sender, without an account.
//!
//! - The token is 256 random bits from the operating system, base64url; only
//!   its SHA-256 is stored, so a copy of the database opens nothing.
//! - It opens one record and expires after `[console] link_valid_days` (never
//!   later than the message's own retention).
//! - Looking ([`Quarantine::open_link`]) changes nothing: mail security
//!   gateways open every link in a message before the person does.
//! - Releasing and deleting use the link up
//!   ([`crate::quarantine::Store::claim_link`], one
//!   transaction) before they act, so a second click (or two at once) does
//!   nothing; the release itself is the DPO's release operation, exactly
//!   once, with the actor `sender:ADDRESS` and the justification in the
//!   audit trail. A release request leaves the link usable (the sender may
//!   still delete the message and resend it properly).
//!
//! What the page may show is the masked record: [`crate::console`] never
//! gets the message bytes or the recipient addresses from here.

use super::{must_be_held, Quarantine, ReleaseOptions, Released};
use crate::audit::{Event, NewEntry};
use crate::dates::{now, DAY};
use crate::quarantine::store::{Change, Record, ReleaseRequest, SelfServiceLink, State};
use crate::quarantine::QuarantineError;
use base64::Engine as _;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Random bytes in a token (256 bits; at least 128 are required).
const TOKEN_BYTES: usize = 32;
/// Longest justification kept, in characters: enough for an explanation,
/// not a place to paste the message.
pub const MAX_JUSTIFICATION_CHARS: usize = 2000;

/// A fresh token: [`TOKEN_BYTES`] from the OS's random source, base64url.
fn new_token() -> String {
    let mut b = [0u8; TOKEN_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

/// What is stored for a token: hex SHA-256. A token of the wrong form hashes
/// like any other and is simply not found.
pub fn token_sha256(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Why a link opens nothing. The page says only this, never which record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkRefused {
    /// No such token (or not of the form we make): 404.
    Unknown,
    /// The link's time is up: 410.
    Expired,
    /// A release or delete already used it: 410.
    Used,
    /// The message is no longer held (released, deleted, expired): 410.
    Closed,
}

/// What a self-service action ended in, beside success.
#[derive(Debug)]
pub enum SelfServiceError {
    /// The link opens nothing (see [`LinkRefused`]).
    Refused(LinkRefused),
    /// A justification is required (and at most [`MAX_JUSTIFICATION_CHARS`]).
    Justification(String),
    /// The rules that held it do not let the sender release it.
    NotAllowed,
    /// The sender already asked for release.
    AlreadyRequested,
    /// The quarantine failed (relay, database); shown as a generic failure.
    Quarantine(QuarantineError),
}

impl From<QuarantineError> for SelfServiceError {
    fn from(e: QuarantineError) -> Self {
        SelfServiceError::Quarantine(e)
    }
}

/// An open link: the record as the sender may see it, and the link.
#[derive(Debug, Clone)]
pub struct OpenLink {
    /// The record with its recipients' addresses removed (the page shows
    /// their count and domains: [`OpenLink::recipient_domains`]).
    pub record: Record,
    pub link: SelfServiceLink,
    /// Distinct recipient domains, lower case, sorted.
    pub recipient_domains: Vec<String>,
}

fn domains_of(recipients: &[String]) -> Vec<String> {
    let mut d: Vec<String> = recipients
        .iter()
        .filter_map(|r| r.rsplit_once('@').map(|(_, d)| d.to_ascii_lowercase()))
        .collect();
    d.sort();
    d.dedup();
    d
}

fn justification(text: &str) -> Result<String, SelfServiceError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(SelfServiceError::Justification(
            "Please write a short reason.".into(),
        ));
    }
    if t.chars().count() > MAX_JUSTIFICATION_CHARS {
        return Err(SelfServiceError::Justification(format!(
            "Please keep the reason under {MAX_JUSTIFICATION_CHARS} characters."
        )));
    }
    Ok(t.to_string())
}

impl Quarantine {
    /// A link for the hold `rec` made at `at`, when `[console] base_url` is
    /// set: the URL for the notice and the row to store with the hold. It
    /// expires after `link_valid_days`, or with the held content if sooner.
    pub(super) fn new_link(&self, rec: &Record, at: i64) -> Option<(String, SelfServiceLink)> {
        let base = self.console.base_url()?;
        let token = new_token();
        let mut expires_at = at.saturating_add(
            i64::from(self.console.link_days(self.config.retention_days)).saturating_mul(DAY),
        );
        if let Some(e) = rec.expires_at {
            expires_at = expires_at.min(e);
        }
        let link = SelfServiceLink {
            token_sha256: token_sha256(&token),
            record_id: rec.id.clone(),
            created_at: at,
            expires_at,
            used_at: None,
            used_for: None,
        };
        Some((format!("{base}/s/{token}"), link))
    }

    /// What the link `token` opens at `at`: its held message, masked. Reads
    /// only; nothing is written, not even an audit entry (a gateway's
    /// pre-fetch is not a person looking).
    pub fn open_link_at(&self, token: &str, at: i64) -> Result<OpenLink, SelfServiceError> {
        let link = self
            .store
            .link(&token_sha256(token))?
            .ok_or(SelfServiceError::Refused(LinkRefused::Unknown))?;
        if link.used_at.is_some() {
            return Err(SelfServiceError::Refused(LinkRefused::Used));
        }
        if at >= link.expires_at {
            return Err(SelfServiceError::Refused(LinkRefused::Expired));
        }
        let Some(mut record) = self.store.get(&link.record_id)? else {
            return Err(SelfServiceError::Refused(LinkRefused::Unknown));
        };
        if record.state != State::Held || !record.has_content {
            return Err(SelfServiceError::Refused(LinkRefused::Closed));
        }
        let recipient_domains = domains_of(&record.recipients);
        record.recipients.clear();
        Ok(OpenLink {
            record,
            link,
            recipient_domains,
        })
    }

    /// [`Quarantine::open_link_at`] now.
    pub fn open_link(&self, token: &str) -> Result<OpenLink, SelfServiceError> {
        self.open_link_at(token, now())
    }

    /// The sender releases their message with a justification, where every
    /// rule that held it allows that ([`Record::sender_may_release`]). The
    /// link is used up first; a release that certainly failed (the relay
    /// refused, nothing sent) gives it back so the sender can try again.
    /// The DPO is alerted.
    pub fn sender_release(&self, token: &str, text: &str) -> Result<Released, SelfServiceError> {
        let reason = justification(text)?;
        let open = self.open_link(token)?;
        if !open.record.sender_may_release() {
            return Err(SelfServiceError::NotAllowed);
        }
        let hash = open.link.token_sha256.clone();
        if !self.store.claim_link(&hash, "released", now())? {
            return Err(SelfServiceError::Refused(LinkRefused::Used));
        }
        let opts = ReleaseOptions {
            as_sender: true,
            ..ReleaseOptions::default()
        };
        match self.release(&open.record.id, "", &reason, &opts) {
            Ok(done) => {
                self.alert_dpo(&done.record, "released", &reason);
                Ok(done)
            }
            Err(e) => {
                // Unknown outcome: the link stays used, as the release
                // stays "started" until someone checks the relay's log.
                if !matches!(
                    e,
                    QuarantineError::ReleaseUncertain { .. }
                        | QuarantineError::ReleaseInterrupted { .. }
                ) {
                    self.store.unclaim_link(&hash)?;
                }
                Err(e.into())
            }
        }
    }

    /// The sender asks the DPO to release their message: the request and its
    /// justification are stored on the record (the DPO's queue shows them)
    /// and audited as `release_requested`; the DPO is alerted. The message
    /// stays held; the link stays usable.
    pub fn sender_request_release(
        &self,
        token: &str,
        text: &str,
    ) -> Result<Record, SelfServiceError> {
        let reason = justification(text)?;
        let open = self.open_link(token)?;
        if open.record.release_request.is_some() {
            return Err(SelfServiceError::AlreadyRequested);
        }
        let at = now();
        let actor = format!("sender:{}", open.record.sender);
        let check = |r: &Record| -> Result<(), QuarantineError> {
            must_be_held(r)?;
            if r.release_request.is_some() {
                return Err(QuarantineError::WrongState {
                    id: r.id.clone(),
                    message: "release already requested".into(),
                });
            }
            Ok(())
        };
        let updated = self.store.update(
            &open.record.id,
            &check,
            &Change {
                at,
                release_request: Some(ReleaseRequest {
                    at,
                    reason: reason.clone(),
                }),
                ..Change::default()
            },
            &NewEntry::new(
                at,
                Event::ReleaseRequested,
                Some(&open.record.id),
                &actor,
                serde_json::json!({ "reason": reason, "via": "self-service link" }),
            ),
        );
        let updated = match updated {
            Ok(r) => r,
            Err(QuarantineError::WrongState { .. }) => {
                // Lost a race with a second click or the DPO's decision.
                return match self.open_link(token) {
                    Ok(_) => Err(SelfServiceError::AlreadyRequested),
                    Err(e) => Err(e),
                };
            }
            Err(e) => return Err(e.into()),
        };
        self.alert_dpo(&updated, "release_requested", &reason);
        Ok(updated)
    }

    /// The sender deletes their message ("I'll resend it properly"): the
    /// content is erased as the DPO's delete does, with the actor
    /// `sender:ADDRESS`; the link is used up.
    pub fn sender_delete(&self, token: &str, text: &str) -> Result<Record, SelfServiceError> {
        let reason = match text.trim() {
            "" => "deleted by the sender to resend it properly".to_string(),
            t => justification(t)?,
        };
        let open = self.open_link(token)?;
        let hash = open.link.token_sha256.clone();
        if !self.store.claim_link(&hash, "deleted", now())? {
            return Err(SelfServiceError::Refused(LinkRefused::Used));
        }
        let actor = format!("sender:{}", open.record.sender);
        match self.delete(&open.record.id, &actor, &reason) {
            Ok(r) => Ok(r),
            Err(e) => {
                self.store.unclaim_link(&hash)?;
                Err(e.into())
            }
        }
    }

    /// Queues the DPO's alert about a sender's action and nudges the notice
    /// thread, if this process runs one; otherwise the caller sends it
    /// (the self-service router sends due notices after each action, off the request). A failure is logged: the
    /// action itself is done and audited.
    fn alert_dpo(&self, rec: &Record, action: &str, reason: &str) {
        let at = now();
        let Some(n) = self.notices.sender_action_alert(rec, action, reason, at) else {
            return;
        };
        if let Err(e) = self.store.enqueue_notice(&n, at) {
            tracing::error!(reference = %rec.id, error = %e, "cannot queue the DPO's alert");
            return;
        }
        self.nudge();
    }

    /// Whether this process runs the notice thread (`serve` does; the
    /// console and the commands send what is due themselves).
    pub fn has_notifier(&self) -> bool {
        self.wake.lock().map(|w| w.is_some()).unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_url_safe() {
        let a = new_token();
        let b = new_token();
        assert_ne!(a, b);
        // 32 bytes → 43 base64url characters, nothing to escape in a URL.
        assert_eq!(a.len(), 43);
        assert!(a
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        assert_eq!(token_sha256(&a).len(), 64);
        assert_ne!(token_sha256(&a), token_sha256(&b));
    }

    #[test]
    fn recipients_shown_as_domains_only() {
        let d = domains_of(&[
            "Ann@Example.com".into(),
            "bob@example.com".into(),
            "c@school.org.uk".into(),
            "no-at-sign".into(),
        ]);
        assert_eq!(d, ["example.com", "school.org.uk"]);
    }

    #[test]
    fn justification_required_and_bounded() {
        assert!(matches!(
            justification("   "),
            Err(SelfServiceError::Justification(_))
        ));
        assert_eq!(justification("  ok \r\n").unwrap(), "ok");
        let long = "x".repeat(MAX_JUSTIFICATION_CHARS + 1);
        assert!(justification(&long).is_err());
    }
}
