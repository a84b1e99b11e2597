//! The per-message allowance every extractor works within: the configured
//! [`Limits`] and what has been spent of them ([`Budget`]). One budget is
//! shared by all attachments of a message, so a zip bomb or a pathological
//! document costs a bounded amount however it is nested.

use std::time::{Duration, Instant};

/// Hard caps on attachment work, per message. Configurable (`[limits]`).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Total bytes decompressed from archives and documents, per message.
    pub max_decompressed_bytes: u64,
    /// Largest decompressed:compressed ratio allowed for one archive entry.
    pub max_ratio: u64,
    /// How deep archives, documents and forwarded messages may nest.
    pub max_depth: usize,
    /// Entries looked at in one archive.
    pub max_entries: usize,
    /// Wall-clock budget for scanning one message.
    pub time_budget: Duration,
    /// Characters of text kept from one extracted file.
    pub max_text_chars: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_decompressed_bytes: 100 * 1024 * 1024,
            max_ratio: 100,
            max_depth: 5,
            max_entries: 10_000,
            time_budget: Duration::from_secs(2),
            max_text_chars: 4 * 1024 * 1024,
        }
    }
}

/// What has been spent of the [`Limits`] while scanning one message.
#[derive(Debug)]
pub struct Budget {
    pub limits: Limits,
    pub decompressed: u64,
    pub deadline: Instant,
    /// Files (attachments and archive members) visited in this message.
    pub files: usize,
    /// Reads a forwarded message (an .eml attachment) into its parts. MIME
    /// parsing is the application's (dlp-milter's `message` module), so it
    /// is handed in; without one a forwarded message is reported as not
    /// scanned rather than silently passed.
    pub mail_reader: Option<MailReader>,
}

/// A forwarded message as extraction needs it: its text, and its
/// attachments to extract in turn.
#[derive(Debug, Clone, Default)]
pub struct NestedMail {
    /// Whole-message encryption (`pgp`, `smime`, ...): nothing else is read.
    pub encryption: Option<String>,
    pub subject: Option<String>,
    /// Text bodies (HTML already turned into text).
    pub bodies: Vec<String>,
    pub attachments: Vec<NestedAttachment>,
}

/// One attachment of a [`NestedMail`].
#[derive(Debug, Clone, Default)]
pub struct NestedAttachment {
    pub name: String,
    /// Content type from its MIME header (lower-cased, no parameters).
    pub declared_type: String,
    pub data: Vec<u8>,
}

/// Parses a forwarded message's bytes, keeping at most `max_text_chars` of
/// each body.
pub type MailReader = fn(data: &[u8], max_text_chars: usize) -> NestedMail;

/// Nested files visited per message, as a multiple of the per-archive entry
/// cap: a 42.zip-style bomb of small archives stops here even when every
/// single archive is within the caps.
pub const MESSAGE_FILES_FACTOR: usize = 10;

impl Budget {
    pub fn new(limits: Limits) -> Self {
        Budget {
            limits,
            decompressed: 0,
            deadline: Instant::now() + limits.time_budget,
            files: 0,
            mail_reader: None,
        }
    }

    /// True once the message's time budget is spent.
    pub fn out_of_time(&self) -> bool {
        Instant::now() >= self.deadline
    }

    /// Bytes that may still be decompressed for this message.
    pub fn remaining_bytes(&self) -> u64 {
        self.limits
            .max_decompressed_bytes
            .saturating_sub(self.decompressed)
    }
}
