//! Marking mail the milter must let through unscanned: released messages and
//! our own notices.
//!
//! A marker is a header carrying an HMAC-SHA256, under a key only the milter
//! host knows (`marker.key` in the data directory, mode 0600), over:
//! the marker kind, a one-off id, the time it was issued, and the message's
//! own `Message-ID`, `From`, `Subject` and `Date` headers. So:
//! - a sender cannot forge one (no key);
//! - a copied header does not verify on any other message (different
//!   Message-ID/From/Subject/Date), and stops verifying after
//!   [`MAX_AGE_SECS`] (release injection reaches the milter within seconds);
//! - the milter strips the header on the way out, so recipients never see a
//!   marker they could replay.
//!
//! The milter should also remember the ids it has accepted for
//! [`MAX_AGE_SECS`] and refuse a second use ([`verify`] returns the id), which
//! makes a release go through exactly once.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::io::{Read, Write};
use std::path::Path;
use thiserror::Error;

/// The header released mail carries (stripped by the milter on the way out).
pub const RELEASE_HEADER: &str = "X-DLP-Release";
/// The header our notices carry (see [`crate::notice::is_notice`]).
pub const NOTICE_HEADER: &str = "X-DLP-Notice";
/// A marker older than this (or issued further than [`MAX_SKEW_SECS`] in the
/// future) no longer verifies.
pub const MAX_AGE_SECS: i64 = 3600;
/// Clock skew tolerated between the host that released and the milter host.
pub const MAX_SKEW_SECS: i64 = 300;
/// File name of the key under the data directory.
pub const KEY_FILE: &str = "marker.key";
const KEY_LEN: usize = 32;
/// Headers the MAC covers, besides the marker's own fields.
const BOUND_HEADERS: [&str; 4] = ["message-id", "from", "subject", "date"];

/// What a marker vouches for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Release,
    Notice,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Release => "release",
            Kind::Notice => "notice",
        }
    }

    /// The header this kind of marker travels in.
    pub fn header(self) -> &'static str {
        match self {
            Kind::Release => RELEASE_HEADER,
            Kind::Notice => NOTICE_HEADER,
        }
    }
}

/// A marker that verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub kind: Kind,
    /// The release id (or notice id): the milter may refuse a second use.
    pub id: String,
    /// Unix time the marker was issued.
    pub issued_at: i64,
}

/// Why a marker did not verify. The milter then scans the message as usual.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum MarkerError {
    #[error("no {0} header")]
    Missing(&'static str),
    #[error("malformed marker header")]
    Malformed,
    #[error("the message has no Message-ID")]
    NoMessageId,
    #[error("marker expired or issued in the future")]
    Stale,
    #[error("marker does not match this message")]
    BadMac,
    #[error("no marker key")]
    NoKey,
    #[error("marker already used")]
    Replayed,
}

/// Unfolds and collapses whitespace so the same header compares equal whether
/// it came from the raw bytes (CRLF folding) or from Postfix (LF folding,
/// leading space stripped).
fn normalise(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn first<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.trim().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// The HMAC state over a marker's fields and the headers it binds.
fn mac(
    key: &[u8],
    kind: Kind,
    id: &str,
    issued_at: i64,
    headers: &[(String, String)],
) -> Option<Hmac<Sha256>> {
    let mut m = Hmac::<Sha256>::new_from_slice(key).ok()?;
    let mut field = |s: &str| {
        // Length-prefixed, so no two different inputs encode the same.
        m.update(&(s.len() as u64).to_be_bytes());
        m.update(s.as_bytes());
    };
    field("dlp-milter marker v1");
    field(kind.as_str());
    field(id);
    field(&issued_at.to_string());
    for h in BOUND_HEADERS {
        field(&normalise(first(headers, h).unwrap_or("")));
    }
    Some(m)
}

/// The header value for a marker of `kind` over a message with `headers`
/// (parsed from its raw bytes, see [`parse_headers`]). Returns `None` when the
/// message has no Message-ID (the caller adds one first) or the key is empty.
pub fn sign(
    key: &[u8],
    kind: Kind,
    id: &str,
    issued_at: i64,
    headers: &[(String, String)],
) -> Option<String> {
    if key.is_empty() || first(headers, "message-id").is_none_or(|v| v.trim().is_empty()) {
        return None;
    }
    let mac = mac(key, kind, id, issued_at, headers)?
        .finalize()
        .into_bytes();
    Some(format!(
        "v1; id={id}; t={issued_at}; mac={}",
        hex::encode(mac)
    ))
}

/// Checks the marker of `kind` in `headers` at time `now` (unix seconds).
pub fn verify(
    headers: &[(String, String)],
    key: &[u8],
    kind: Kind,
    now: i64,
) -> Result<Verified, MarkerError> {
    if key.is_empty() {
        return Err(MarkerError::NoKey);
    }
    let value = first(headers, kind.header()).ok_or(MarkerError::Missing(kind.header()))?;
    let mut id = None;
    let mut t = None;
    let mut mac_hex = None;
    let mut parts = value.split(';').map(str::trim);
    if parts.next() != Some("v1") {
        return Err(MarkerError::Malformed);
    }
    for p in parts {
        match p.split_once('=') {
            Some(("id", v)) => id = Some(v.trim()),
            Some(("t", v)) => t = v.trim().parse::<i64>().ok(),
            Some(("mac", v)) => mac_hex = hex::decode(v.trim()).ok(),
            _ => return Err(MarkerError::Malformed),
        }
    }
    let (Some(id), Some(t), Some(given)) = (id, t, mac_hex) else {
        return Err(MarkerError::Malformed);
    };
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(MarkerError::Malformed);
    }
    if first(headers, "message-id").is_none_or(|v| v.trim().is_empty()) {
        return Err(MarkerError::NoMessageId);
    }
    if now.saturating_sub(t) > MAX_AGE_SECS || t.saturating_sub(now) > MAX_SKEW_SECS {
        return Err(MarkerError::Stale);
    }
    // verify_slice compares in constant time.
    mac(key, kind, id, t, headers)
        .ok_or(MarkerError::NoKey)?
        .verify_slice(&given)
        .map_err(|_| MarkerError::BadMac)?;
    Ok(Verified {
        kind,
        id: id.to_string(),
        issued_at: t,
    })
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// True when `headers` carry a valid release marker for this message.
pub fn verify_released(headers: &[(String, String)], key: &[u8]) -> bool {
    verify(headers, key, Kind::Release, now()).is_ok()
}

/// Marker ids the milter has already accepted, so a release (or notice)
/// passes once: a second message carrying the same valid marker (a resend by
/// the MTA after a lost answer, or a replay) is scanned like any other.
/// In memory: after a restart, a marker could pass again within its
/// [`MAX_AGE_SECS`].
#[derive(Debug, Default)]
pub struct SeenMarkers {
    seen: std::sync::Mutex<std::collections::HashMap<String, i64>>,
}

impl SeenMarkers {
    /// True the first time `v.id` is offered; false for a repeat.
    pub fn first_use(&self, v: &Verified, now: i64) -> bool {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        // Forget ids whose markers can no longer verify anyway.
        seen.retain(|_, issued| now.saturating_sub(*issued) <= MAX_AGE_SECS + MAX_SKEW_SECS);
        seen.insert(v.id.clone(), v.issued_at).is_none()
    }
}

/// [`verify`], then [`SeenMarkers::first_use`]: what the milter calls to
/// decide whether to let a message through unscanned.
pub fn accept_once(
    headers: &[(String, String)],
    key: &[u8],
    kind: Kind,
    seen: &SeenMarkers,
    now: i64,
) -> Result<Verified, MarkerError> {
    let v = verify(headers, key, kind, now)?;
    if seen.first_use(&v, now) {
        Ok(v)
    } else {
        Err(MarkerError::Replayed)
    }
}

/// The header block of a raw message as (name, unfolded value) pairs, in order.
/// Lenient: stops at the first blank line or at a line that is not a header.
pub fn parse_headers(raw: &[u8]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in raw.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            break;
        }
        let text = String::from_utf8_lossy(line);
        if line[0] == b' ' || line[0] == b'\t' {
            match out.last_mut() {
                Some((_, v)) => {
                    v.push(' ');
                    v.push_str(text.trim());
                }
                None => break,
            }
            continue;
        }
        match text.split_once(':') {
            Some((n, v)) if !n.is_empty() && !n.contains(' ') => {
                out.push((n.to_string(), v.trim().to_string()))
            }
            _ => break,
        }
    }
    out
}

/// Loads the HMAC key from the data directory, creating it (mode 0600) if missing.
pub fn load_or_create_key(data_dir: &Path) -> std::io::Result<Vec<u8>> {
    use std::os::unix::fs::OpenOptionsExt;
    crate::datadir::create(data_dir).map_err(std::io::Error::other)?;
    let path = data_dir.join(KEY_FILE);
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
    {
        Ok(mut f) => {
            let mut key = vec![0u8; KEY_LEN];
            rand::Rng::fill(&mut rand::rngs::OsRng, &mut key[..]);
            f.write_all(&key)?;
            f.sync_all()?;
            // The directory entry must be durable too, or a crash could lose
            // the key while released mail in flight still carries its MACs.
            if let Ok(d) = std::fs::File::open(data_dir) {
                let _ = d.sync_all();
            }
            Ok(key)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let mut key = Vec::new();
            std::fs::File::open(&path)?.read_to_end(&mut key)?;
            if key.len() < KEY_LEN {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!(
                        "{}: marker key is shorter than {KEY_LEN} bytes",
                        path.display()
                    ),
                ));
            }
            Ok(key)
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hdrs(raw: &str) -> Vec<(String, String)> {
        parse_headers(raw.as_bytes())
    }

    const MSG: &str = "Message-ID: <a@b>\r\nFrom: x@school.org\r\nSubject: Hi\r\n there\r\nDate: Mon, 23 Nov 2026 06:00:00 +0000\r\n\r\nbody";

    #[test]
    fn signs_and_verifies_and_binds_to_message() {
        let key = [7u8; 32];
        let h = hdrs(MSG);
        let v = sign(&key, Kind::Release, "R-1", 1000, &h).unwrap();
        let mut with = h.clone();
        with.insert(0, (RELEASE_HEADER.into(), v.clone()));
        assert_eq!(verify(&with, &key, Kind::Release, 1010).unwrap().id, "R-1");
        // Postfix-style folding of the same header still verifies.
        let mut folded = with.clone();
        folded[3].1 = "Hi\n\tthere".into();
        assert!(verify(&folded, &key, Kind::Release, 1010).is_ok());
        // Other message, other kind, other key, too late: no.
        let mut other = with.clone();
        other[1].1 = "<c@d>".into();
        assert_eq!(
            verify(&other, &key, Kind::Release, 1010),
            Err(MarkerError::BadMac)
        );
        assert!(verify(&with, &key, Kind::Notice, 1010).is_err());
        assert!(verify(&with, &[8u8; 32], Kind::Release, 1010).is_err());
        assert_eq!(
            verify(&with, &key, Kind::Release, 1000 + MAX_AGE_SECS + 1),
            Err(MarkerError::Stale)
        );
        assert!(!verify_released(&h, &key));
        assert!(!verify_released(&with, &[]));
    }

    #[test]
    fn accepted_once() {
        let key = [7u8; 32];
        let mut h = hdrs(MSG);
        let v = sign(&key, Kind::Release, "R-2", 1000, &h).unwrap();
        h.insert(0, (RELEASE_HEADER.into(), v));
        let seen = SeenMarkers::default();
        assert!(accept_once(&h, &key, Kind::Release, &seen, 1001).is_ok());
        assert_eq!(
            accept_once(&h, &key, Kind::Release, &seen, 1002),
            Err(MarkerError::Replayed)
        );
    }

    #[test]
    fn needs_message_id() {
        assert!(sign(&[1u8; 32], Kind::Release, "R", 1, &hdrs("From: a\r\n\r\n")).is_none());
    }

    #[test]
    fn key_is_created_private_and_reused() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap();
        let k1 = load_or_create_key(d.path()).unwrap();
        let k2 = load_or_create_key(d.path()).unwrap();
        assert_eq!(k1, k2);
        assert_eq!(k1.len(), 32);
        let mode = std::fs::metadata(d.path().join(KEY_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
