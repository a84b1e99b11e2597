//! Marking mail the milter must let through unscanned: released messages and
//! our own notices.
//!
//! A marker is a header carrying an HMAC-SHA256 over: the marker kind, a key
//! id, a one-off id, the time it was issued, and what makes the message
//! *this* message on *this* envelope:
//! - a SHA-256 of the body as released (everything after the header block,
//!   attachments included; line endings normalised to CRLF and trailing
//!   blank lines ignored). Headers are not bound: Postfix adds and changes
//!   them on the way, so they cannot be hashed as sent;
//! - the envelope sender;
//! - the exact envelope recipient set (lower-cased, sorted, deduplicated).
//!
//! So a copied header does not verify on another body, for other
//! recipients or from another sender (a staff member who receives a notice
//! cannot reuse its marker to send anything else anywhere), and stops
//! verifying after [`MAX_AGE_SECS`].
//!
//! Keys: each kind has its own key, derived from the master key
//! (`marker.key` in the data directory, 0600) with HMAC, so a notice key
//! can never vouch for a release. The header names the master key by a
//! short id (`k=`): after a rotation (`marker.key` moved to
//! `marker.key.previous` and the milter restarted) markers issued just before
//! still verify for their hour.
//!
//! Once: the milter records every marker id it honoured in the store until
//! the marker expires ([`crate::quarantine::HoldStore::claim_marker`]), so a
//! replay is caught, also after a restart. A marker that does not verify, or
//! was used, means the message is scanned like any other, and every
//! `X-DLP-*` header is removed on the way out.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::path::Path;
use thiserror::Error;

/// The headers released mail and our notices carry (see
/// [`crate::notice::is_notice`]); named in [`crate::vocab`].
pub use crate::vocab::{NOTICE_HEADER, RELEASE_HEADER};
/// A marker older than this (or issued further than [`MAX_SKEW_SECS`] in the
/// future) no longer verifies.
pub const MAX_AGE_SECS: i64 = 3600;
/// Clock skew tolerated between the host that released and the milter host.
pub const MAX_SKEW_SECS: i64 = 300;
/// File name of the key under the data directory.
pub const KEY_FILE: &str = "marker.key";
/// The key before the last rotation; markers under it verify until they expire.
pub const PREVIOUS_KEY_FILE: &str = "marker.key.previous";
const KEY_LEN: usize = 32;

/// What a marker vouches for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Release,
    Notice,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
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

/// What a marker binds: the body as released and the envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    body_sha256: [u8; 32],
    sender: String,
    recipients: Vec<String>,
}

/// Lower-cased, angle brackets and blanks trimmed.
fn address(a: &str) -> String {
    a.trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim()
        .to_ascii_lowercase()
}

impl Binding {
    /// The binding of `body` (the bytes after the header block) sent from
    /// `sender` (empty for `<>`) to `recipients`.
    pub fn new(body: &[u8], sender: &str, recipients: &[String]) -> Binding {
        let mut rcpts: Vec<String> = recipients.iter().map(|r| address(r)).collect();
        rcpts.sort();
        rcpts.dedup();
        Binding {
            body_sha256: body_hash(body),
            sender: address(sender),
            recipients: rcpts,
        }
    }

    /// [`Binding::new`] over the body of a whole raw message.
    pub fn of_message(raw: &[u8], sender: &str, recipients: &[String]) -> Binding {
        Binding::new(body_of(raw), sender, recipients)
    }
}

/// The body of a raw message: everything after the first empty line (none:
/// an empty body).
pub fn body_of(raw: &[u8]) -> &[u8] {
    let mut at = 0;
    for line in raw.split_inclusive(|&b| b == b'\n') {
        at += line.len();
        if line == b"\n" || line == b"\r\n" {
            return &raw[at..];
        }
    }
    &[]
}

/// SHA-256 of a body with line endings normalised to CRLF and trailing
/// blank lines dropped: the bytes the releaser sent and the bytes Postfix
/// hands the milter differ at most there.
pub fn body_hash(body: &[u8]) -> [u8; 32] {
    let mut lines: Vec<&[u8]> = body
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .collect();
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    let mut h = Sha256::new();
    for l in lines {
        h.update(l);
        h.update(b"\r\n");
    }
    h.finalize().into()
}

/// A marker that verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub kind: Kind,
    /// The release id (or notice id): the milter refuses a second use.
    pub id: String,
    /// Unix time the marker was issued.
    pub issued_at: i64,
}

impl Verified {
    /// The key under which the milter remembers this marker was used.
    pub fn used_key(&self) -> String {
        format!("{}:{}", self.kind.as_str(), self.id)
    }

    /// Until when the id must be remembered: after that the marker no
    /// longer verifies anyway.
    pub fn remember_until(&self) -> i64 {
        self.issued_at
            .saturating_add(MAX_AGE_SECS)
            .saturating_add(MAX_SKEW_SECS)
    }
}

/// Why a marker did not verify. The milter then scans the message as usual.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum MarkerError {
    #[error("no {0} header")]
    Missing(&'static str),
    #[error("malformed marker header")]
    Malformed,
    #[error("marker expired or issued in the future")]
    Stale,
    #[error("marker signed with an unknown key")]
    UnknownKey,
    #[error("marker does not match this message (body, sender or recipients)")]
    BadMac,
    #[error("no marker key")]
    NoKey,
    #[error("marker already used")]
    Replayed,
}

fn first<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.trim().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// The short public id of a master key (`k=` in the header).
pub fn key_id(master: &[u8]) -> String {
    let Ok(mut m) = Hmac::<Sha256>::new_from_slice(master) else {
        return String::new();
    };
    m.update(b"dlp-milter key id");
    hex::encode(&m.finalize().into_bytes()[..4])
}

/// The key of one marker kind, derived from the master key, so the notice
/// and release keys differ and neither is the master key itself.
fn kind_key(master: &[u8], kind: Kind) -> Option<[u8; 32]> {
    let mut m = Hmac::<Sha256>::new_from_slice(master).ok()?;
    m.update(b"dlp-milter marker key v2\0");
    m.update(kind.as_str().as_bytes());
    Some(m.finalize().into_bytes().into())
}

/// The HMAC state over a marker's fields and what it binds.
fn mac(
    master: &[u8],
    kind: Kind,
    kid: &str,
    id: &str,
    issued_at: i64,
    b: &Binding,
) -> Option<Hmac<Sha256>> {
    let key = kind_key(master, kind)?;
    let mut m = Hmac::<Sha256>::new_from_slice(&key).ok()?;
    let mut field = |s: &[u8]| {
        // Length-prefixed, so no two different inputs encode the same.
        m.update(&(s.len() as u64).to_be_bytes());
        m.update(s);
    };
    field(b"dlp-milter marker v2");
    field(kind.as_str().as_bytes());
    field(kid.as_bytes());
    field(id.as_bytes());
    field(issued_at.to_string().as_bytes());
    field(&b.body_sha256);
    field(b.sender.as_bytes());
    field(&(b.recipients.len() as u64).to_be_bytes());
    for r in &b.recipients {
        field(r.as_bytes());
    }
    Some(m)
}

/// The header value for a marker of `kind` binding `binding`. `None` when
/// the key is empty or the id unusable.
pub fn sign(
    master: &[u8],
    kind: Kind,
    id: &str,
    issued_at: i64,
    binding: &Binding,
) -> Option<String> {
    if master.is_empty() || !valid_id(id) {
        return None;
    }
    let kid = key_id(master);
    let mac = mac(master, kind, &kid, id, issued_at, binding)?
        .finalize()
        .into_bytes();
    Some(format!(
        "v2; k={kid}; id={id}; t={issued_at}; mac={}",
        hex::encode(mac)
    ))
}

fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 128 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// Checks the marker of `kind` in `headers` against `binding` at time
/// `now` (unix seconds), under any of `keys` (current master key first).
pub fn verify_with(
    headers: &[(String, String)],
    keys: &[&[u8]],
    kind: Kind,
    binding: &Binding,
    now: i64,
) -> Result<Verified, MarkerError> {
    if keys.iter().all(|k| k.is_empty()) {
        return Err(MarkerError::NoKey);
    }
    let value = first(headers, kind.header()).ok_or(MarkerError::Missing(kind.header()))?;
    let mut kid = None;
    let mut id = None;
    let mut t = None;
    let mut mac_hex = None;
    let mut parts = value.split(';').map(str::trim);
    if parts.next() != Some("v2") {
        return Err(MarkerError::Malformed);
    }
    for p in parts {
        match p.split_once('=') {
            Some(("k", v)) => kid = Some(v.trim()),
            Some(("id", v)) => id = Some(v.trim()),
            Some(("t", v)) => t = v.trim().parse::<i64>().ok(),
            Some(("mac", v)) => mac_hex = hex::decode(v.trim()).ok(),
            _ => return Err(MarkerError::Malformed),
        }
    }
    let (Some(kid), Some(id), Some(t), Some(given)) = (kid, id, t, mac_hex) else {
        return Err(MarkerError::Malformed);
    };
    if !valid_id(id) {
        return Err(MarkerError::Malformed);
    }
    if now.saturating_sub(t) > MAX_AGE_SECS || t.saturating_sub(now) > MAX_SKEW_SECS {
        return Err(MarkerError::Stale);
    }
    let master = keys
        .iter()
        .find(|k| !k.is_empty() && key_id(k) == kid)
        .ok_or(MarkerError::UnknownKey)?;
    // verify_slice compares in constant time.
    mac(master, kind, kid, id, t, binding)
        .ok_or(MarkerError::NoKey)?
        .verify_slice(&given)
        .map_err(|_| MarkerError::BadMac)?;
    Ok(Verified {
        kind,
        id: id.to_string(),
        issued_at: t,
    })
}

/// [`verify_with`] under one key.
pub fn verify(
    headers: &[(String, String)],
    key: &[u8],
    kind: Kind,
    binding: &Binding,
    now: i64,
) -> Result<Verified, MarkerError> {
    verify_with(headers, &[key], kind, binding, now)
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// True when the raw message carries a valid release marker for this body
/// and envelope.
pub fn verify_released(raw: &[u8], sender: &str, recipients: &[String], key: &[u8]) -> bool {
    let headers = parse_headers(raw);
    let b = Binding::of_message(raw, sender, recipients);
    verify(&headers, key, Kind::Release, &b, now()).is_ok()
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
    load_or_create_key_file(data_dir, KEY_FILE)
}

/// Loads the secret `name` in `data_dir` (32 random bytes, mode 0600,
/// created if missing): the marker key and the audit key.
pub fn load_or_create_key_file(data_dir: &Path, name: &str) -> std::io::Result<Vec<u8>> {
    use std::os::unix::fs::OpenOptionsExt;
    crate::datadir::create(data_dir).map_err(std::io::Error::other)?;
    let path = data_dir.join(name);
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
                    format!("{}: key is shorter than {KEY_LEN} bytes", path.display()),
                ));
            }
            Ok(key)
        }
        Err(e) => Err(e),
    }
}

/// The key before the last rotation, if `marker.key.previous` exists.
pub fn load_previous_key(data_dir: &Path) -> std::io::Result<Option<Vec<u8>>> {
    match std::fs::read(data_dir.join(PREVIOUS_KEY_FILE)) {
        Ok(k) if k.len() >= KEY_LEN => Ok(Some(k)),
        Ok(_) => Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("{PREVIOUS_KEY_FILE} is shorter than {KEY_LEN} bytes"),
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSG: &str = "Message-ID: <a@b>\r\nFrom: x@school.org\r\nSubject: Hi\r\n\r\nbody line\r\n--b\r\nattachment\r\n";

    fn rcpts(r: &[&str]) -> Vec<String> {
        r.iter().map(|s| s.to_string()).collect()
    }

    fn marked(
        raw: &str,
        key: &[u8],
        kind: Kind,
        id: &str,
        at: i64,
        b: &Binding,
    ) -> Vec<(String, String)> {
        let mut h = parse_headers(raw.as_bytes());
        h.insert(
            0,
            (kind.header().into(), sign(key, kind, id, at, b).unwrap()),
        );
        h
    }

    #[test]
    fn binds_body_sender_and_recipient_set() {
        let key = [7u8; 32];
        let to = rcpts(&["a@x.example", "b@y.example"]);
        let b = Binding::of_message(MSG.as_bytes(), "t@school.org", &to);
        let h = marked(MSG, &key, Kind::Release, "R-1", 1000, &b);
        assert_eq!(verify(&h, &key, Kind::Release, &b, 1010).unwrap().id, "R-1");
        // Same set in another order and case, LF line ends, trailing blank
        // line: still this message.
        let same = Binding::of_message(
            MSG.replace("\r\n", "\n").as_bytes(),
            "<T@School.org>",
            &rcpts(&["B@y.example", "a@x.example", "a@x.example"]),
        );
        let mut padded = MSG.to_string();
        padded.push_str("\r\n");
        assert_eq!(
            same,
            Binding::of_message(padded.as_bytes(), "t@school.org", &to)
        );
        assert!(verify(&h, &key, Kind::Release, &same, 1010).is_ok());
        // Rebound: other body, an extra or other recipient, other sender.
        for other in [
            Binding::of_message(
                MSG.replace("attachment", "attachmenT").as_bytes(),
                "t@school.org",
                &to,
            ),
            Binding::of_message(
                MSG.as_bytes(),
                "t@school.org",
                &rcpts(&["a@x.example", "b@y.example", "evil@z.example"]),
            ),
            Binding::of_message(MSG.as_bytes(), "t@school.org", &rcpts(&["a@x.example"])),
            Binding::of_message(MSG.as_bytes(), "other@school.org", &to),
        ] {
            assert_eq!(
                verify(&h, &key, Kind::Release, &other, 1010),
                Err(MarkerError::BadMac)
            );
        }
        // Other kind, other key, too late.
        assert!(verify(&h, &key, Kind::Notice, &b, 1010).is_err());
        assert_eq!(
            verify(&h, &[8u8; 32], Kind::Release, &b, 1010),
            Err(MarkerError::UnknownKey)
        );
        assert_eq!(
            verify(&h, &key, Kind::Release, &b, 1000 + MAX_AGE_SECS + 1),
            Err(MarkerError::Stale)
        );
    }

    #[test]
    fn release_and_notice_keys_differ() {
        let key = [7u8; 32];
        let b = Binding::of_message(MSG.as_bytes(), "", &rcpts(&["t@school.org"]));
        let notice = sign(&key, Kind::Notice, "N-1", 1000, &b).unwrap();
        // A notice marker moved into the release header does not verify.
        let mut h = parse_headers(MSG.as_bytes());
        h.insert(0, (RELEASE_HEADER.into(), notice));
        assert_eq!(
            verify(&h, &key, Kind::Release, &b, 1001),
            Err(MarkerError::BadMac)
        );
        assert_ne!(kind_key(&key, Kind::Notice), kind_key(&key, Kind::Release));
    }

    #[test]
    fn rotated_key_still_verifies_its_markers() {
        let old = [1u8; 32];
        let new = [2u8; 32];
        let b = Binding::of_message(MSG.as_bytes(), "t@school.org", &rcpts(&["a@x.example"]));
        let h = marked(MSG, &old, Kind::Release, "R-3", 1000, &b);
        assert!(verify_with(&h, &[&new, &old], Kind::Release, &b, 1001).is_ok());
        assert_eq!(
            verify_with(&h, &[&new], Kind::Release, &b, 1001),
            Err(MarkerError::UnknownKey)
        );
    }

    #[test]
    fn forged_and_malformed_markers_fail() {
        let key = [7u8; 32];
        let b = Binding::of_message(MSG.as_bytes(), "t@school.org", &[]);
        for v in [
            "forged",
            "v1; id=x; t=1000; mac=00",
            "v2; k=00; id=x; t=1000; mac=00",
            "v2; id=x",
        ] {
            let mut h = parse_headers(MSG.as_bytes());
            h.push((RELEASE_HEADER.into(), v.into()));
            assert!(verify(&h, &key, Kind::Release, &b, 1000).is_err(), "{v}");
        }
        assert!(sign(&[], Kind::Release, "R", 1, &b).is_none());
    }

    #[test]
    fn body_starts_after_the_first_blank_line() {
        assert_eq!(
            body_of(b"A: 1\r\nB: 2\r\n\r\nbody\r\n\r\nmore"),
            b"body\r\n\r\nmore"
        );
        assert_eq!(body_of(b"A: 1\n\nx"), b"x");
        assert_eq!(body_of(b"A: 1\r\n"), b"");
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
