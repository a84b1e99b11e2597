//! The message model: raw RFC 5322 bytes → subject, visible recipients, body
//! texts and attachments, with hard limits on the work a hostile message can
//! cause.
//!
//! Stage 2 of the flow. MIME decoding (transfer encodings, charsets, RFC 2047
//! words, HTML to text) is mail-parser's job; this module turns its tree into
//! the owned, flat model the detectors and the extractors need.

mod envelope;
mod parse;
mod text;

pub use dlp_extract::html_to_text;
pub use envelope::{clean_path, Envelope};
pub use parse::{parse, ParseLimits, UNPARSED_NOTE};
pub use text::normalize;

/// An address as it appears in To/Cc/From.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    /// Lower-cased address, if the entry has one (a bare group has none).
    pub address: Option<String>,
    /// The group this address belongs to (`undisclosed-recipients:;` is a group with no members).
    pub group: Option<String>,
}

impl Mailbox {
    /// The domain part, lower-cased.
    pub fn domain(&self) -> Option<&str> {
        self.address.as_deref().and_then(domain_of)
    }
}

/// Domain of an address (`a@b.c` → `b.c`), if it has one.
pub fn domain_of(address: &str) -> Option<&str> {
    address
        .rsplit_once('@')
        .map(|(_, d)| d)
        .filter(|d| !d.is_empty())
}

/// A text body of the message (text/plain, or text/html turned into text).
#[derive(Debug, Clone)]
pub struct BodyText {
    pub text: String,
    pub from_html: bool,
}

/// An attachment as it came off the wire, decoded from its transfer encoding.
#[derive(Debug, Clone)]
pub struct Attachment {
    /// File name, or a generated one (`part-3.bin`) when it has none.
    pub name: String,
    /// Content type as declared in the MIME header (lower-cased, no parameters).
    pub declared_type: String,
    pub data: Vec<u8>,
}

/// Whole-message encryption (PGP/MIME, inline PGP, S/MIME enveloped-data).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageEncryption {
    PgpMime,
    PgpInline,
    Smime,
}

impl MessageEncryption {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageEncryption::PgpMime => "PGP/MIME",
            MessageEncryption::PgpInline => "inline PGP",
            MessageEncryption::Smime => "S/MIME enveloped-data",
        }
    }
}

/// A parsed message, owned, ready for the detectors.
#[derive(Debug, Clone, Default)]
pub struct Message {
    pub message_id: Option<String>,
    pub subject: Option<String>,
    pub from: Option<String>,
    pub to: Vec<Mailbox>,
    pub cc: Vec<Mailbox>,
    /// Every header as (name, raw value), in order; the milter's rewrites need them.
    pub headers: Vec<(String, String)>,
    pub bodies: Vec<BodyText>,
    pub attachments: Vec<Attachment>,
    pub encryption: Option<MessageEncryption>,
    /// Limits that were hit while parsing (reported as `not_scanned`).
    pub capped: Vec<String>,
}
