//! Handing mail to the MTA: released messages and notices go by SMTP to the
//! configured relay (by default Postfix on 127.0.0.1:25), with an explicit
//! envelope, through lettre's synchronous client (plain SMTP on loopback; no
//! TLS stack is linked).

use lettre::address::{Address, Envelope};
use lettre::transport::smtp::extension::ClientId;
use lettre::{SmtpTransport, Transport};
use std::str::FromStr;
use std::time::Duration;
use thiserror::Error;

/// Why the relay did not take a message.
#[derive(Debug, Error)]
pub enum RelayError {
    #[error("relay {0:?} is not HOST:PORT")]
    BadRelay(String),
    #[error("address {0:?} cannot be used in an SMTP envelope")]
    BadAddress(String),
    #[error("no recipients")]
    NoRecipients,
    #[error("relay {relay}: {message}")]
    Smtp {
        relay: String,
        message: String,
        /// The relay certainly did not take the message (refused to
        /// connect, or answered 4xx/5xx). False when the connection broke or
        /// timed out mid-way: the message may have been accepted.
        definite: bool,
    },
}

impl RelayError {
    /// True when the message certainly did not reach the relay.
    pub fn is_definite(&self) -> bool {
        match self {
            RelayError::Smtp { definite, .. } => *definite,
            _ => true,
        }
    }
}

/// Splits `HOST:PORT` (or `[v6]:PORT`).
pub fn parse_relay(relay: &str) -> Result<(String, u16), RelayError> {
    let bad = || RelayError::BadRelay(relay.to_string());
    let (host, port) = relay.rsplit_once(':').ok_or_else(bad)?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let port: u16 = port.parse().map_err(|_| bad())?;
    if host.is_empty() || port == 0 {
        return Err(bad());
    }
    Ok((host.to_string(), port))
}

/// Turns bare LF line ends into CRLF for the wire (SMTP requires CRLF, and
/// lettre only dot-stuffs after CRLF). The stored original is not changed.
pub fn to_crlf(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 32);
    let mut prev = 0u8;
    for &b in bytes {
        if b == b'\n' && prev != b'\r' {
            out.push(b'\r');
        }
        out.push(b);
        prev = b;
    }
    out
}

fn hello_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        })
        .unwrap_or_else(|| "localhost".into())
}

/// Sends `bytes` to `relay` with envelope sender `from` (empty = null sender)
/// and `to`. Returns once the relay accepted the message (250 after DATA).
pub fn send(
    relay: &str,
    from: &str,
    to: &[String],
    bytes: &[u8],
    timeout: Duration,
) -> Result<(), RelayError> {
    let (host, port) = parse_relay(relay)?;
    let from = if from.is_empty() {
        None
    } else {
        Some(Address::from_str(from).map_err(|_| RelayError::BadAddress(from.to_string()))?)
    };
    let to = to
        .iter()
        .map(|a| Address::from_str(a).map_err(|_| RelayError::BadAddress(a.clone())))
        .collect::<Result<Vec<_>, _>>()?;
    let envelope = Envelope::new(from, to).map_err(|_| RelayError::NoRecipients)?;
    let transport = SmtpTransport::builder_dangerous(host)
        .port(port)
        .timeout(Some(timeout))
        .hello_name(ClientId::Domain(hello_name()))
        .build();
    let wire = to_crlf(bytes);
    // lettre always ends DATA with CRLF "." CRLF; drop the message's own
    // final CRLF so the recipient gets the original bytes, not one more line.
    let wire = wire.strip_suffix(b"\r\n").unwrap_or(&wire);
    transport
        .send_raw(&envelope, wire)
        .map(|_| ())
        .map_err(|e| RelayError::Smtp {
            relay: relay.to_string(),
            message: e.to_string(),
            // lettre has no public "connection refused" test; its Display
            // for that kind is stable ("Connection error").
            definite: e.is_transient()
                || e.is_permanent()
                || e.to_string().starts_with("Connection error"),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relay_forms() {
        assert_eq!(
            parse_relay("127.0.0.1:25").unwrap(),
            ("127.0.0.1".into(), 25)
        );
        assert_eq!(parse_relay("[::1]:2525").unwrap(), ("::1".into(), 2525));
        assert!(parse_relay("localhost").is_err());
        assert!(parse_relay(":25").is_err());
    }

    #[test]
    fn crlf() {
        assert_eq!(to_crlf(b"a\nb\r\nc\n"), b"a\r\nb\r\nc\r\n");
    }
}
