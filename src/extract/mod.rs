//! Attachments: bytes → text the detectors can read, and whether the file is
//! encrypted, decided from the bytes (never from the name or the sender's word).
//!
//! Stage 2b of the flow. Every extractor works within a shared [`Budget`]
//! (decompressed bytes, entries, nesting depth, time), so a zip bomb or a
//! pathological document costs a bounded amount and is reported, not crashed on.

mod bounded;
mod error;
mod gzip;
mod odf;
mod ole;
mod ooxml;
mod pdf;
mod rar;
mod rtf;
mod sevenz;
mod sniff;
mod table;
mod xml;
mod xmlscan;
mod zipfile;

pub use error::ExtractError;

pub use sniff::{sniff, FileKind};

use crate::detect::TextKind;
use crate::message::{parse, ParseLimits};
use serde::Serialize;
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
}

/// Nested files visited per message, as a multiple of the per-archive entry
/// cap: a 42.zip-style bomb of small archives stops here even when every
/// single archive is within the caps.
pub const MESSAGE_FILES_FACTOR: usize = 10;

/// Files and not-scanned entries listed per attachment; beyond this they
/// are counted in one summary entry (a bomb must not bloat the report).
pub const MAX_REPORTED: usize = 1000;

impl Budget {
    pub fn new(limits: Limits) -> Self {
        Budget {
            limits,
            decompressed: 0,
            deadline: Instant::now() + limits.time_budget,
            files: 0,
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

/// Text taken out of an attachment (or a file inside one).
#[derive(Debug, Clone)]
pub struct ExtractedText {
    /// `outer.zip/inner.csv`; the top-level attachment's name for itself.
    pub path: String,
    pub kind: TextKind,
    pub text: String,
}

/// Something that could not be read. Reported in the JSON, never silently passed.
#[derive(Debug, Clone, Serialize)]
pub struct NotScanned {
    /// `attachment:<path>`, or `message` for message-level caps.
    pub location: String,
    pub reason: String,
    /// True for document types (office, PDF, archives) — what the shipped
    /// policy tags by default when unreadable.
    pub document: bool,
}

/// One attachment (or nested file) as the engine reports it.
#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    pub path: String,
    /// Type from the bytes (magic numbers).
    pub sniffed: &'static str,
    /// Type from the MIME header.
    pub declared: String,
    /// Encryption kind, when the file is encrypted (e.g. `zip-aes`, `pdf-rc4`, `ooxml-agile`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encrypted: Option<String>,
    /// The declared type or extension does not match the bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub type_mismatch: Option<String>,
}

/// Everything learnt from one top-level attachment.
#[derive(Debug, Clone, Default)]
pub struct Extraction {
    pub files: Vec<FileReport>,
    pub texts: Vec<ExtractedText>,
    pub not_scanned: Vec<NotScanned>,
    /// Entries over [`MAX_REPORTED`]: (files, not-scanned, any of them a document).
    suppressed: (usize, usize, bool),
    /// The message-wide file cap has been reported.
    files_capped: bool,
}

impl Extraction {
    /// True when the top-level file is encrypted (for a ZIP: every entry).
    pub fn encrypted(&self) -> bool {
        self.files.first().is_some_and(|f| f.encrypted.is_some())
    }

    /// True when any file in it is encrypted (e.g. the protected member of a
    /// partly encrypted ZIP): what a "password in the same message" check
    /// may want, where [`Extraction::encrypted`] decides the policy.
    pub fn any_encrypted(&self) -> bool {
        self.files.iter().any(|f| f.encrypted.is_some())
    }

    pub(crate) fn skip(&mut self, path: &str, reason: impl Into<String>, document: bool) {
        if self.not_scanned.len() >= MAX_REPORTED {
            self.suppressed.1 += 1;
            self.suppressed.2 |= document;
            return;
        }
        self.not_scanned.push(NotScanned {
            location: format!("attachment:{path}"),
            reason: reason.into(),
            document,
        });
    }
}

/// Extracts text from one attachment and decides whether it is encrypted.
pub fn extract(name: &str, declared_type: &str, data: &[u8], budget: &mut Budget) -> Extraction {
    let mut out = Extraction::default();
    extract_into(name, declared_type, data, budget, 0, &mut out);
    let (files, skipped, document) = out.suppressed;
    if files + skipped > 0 {
        out.not_scanned.push(NotScanned {
            location: format!("attachment:{name}"),
            reason: format!(
                "{files} more files and {skipped} more unreadable files not listed (report capped at {MAX_REPORTED})"
            ),
            document: document || skipped > 0,
        });
    }
    out
}

/// Extracts `data` (at `path`, `depth` levels down) into `out`. Extractors
/// for container formats call this for their members.
pub fn extract_into(
    path: &str,
    declared_type: &str,
    data: &[u8],
    budget: &mut Budget,
    depth: usize,
    out: &mut Extraction,
) {
    let kind = sniff(data, path);
    budget.files = budget.files.saturating_add(1);
    let max_files = budget
        .limits
        .max_entries
        .saturating_mul(MESSAGE_FILES_FACTOR);
    if depth > 0 && budget.files > max_files {
        if !out.files_capped {
            out.files_capped = true;
            out.skip(
                path,
                format!("more than {max_files} files in the message: the rest were not scanned"),
                true,
            );
        } else {
            out.suppressed.1 += 1;
        }
        return;
    }
    let mismatch = sniff::mismatch(kind, declared_type, path);
    let file_index = if out.files.len() < MAX_REPORTED {
        out.files.push(FileReport {
            path: path.to_string(),
            sniffed: kind.as_str(),
            declared: declared_type.to_string(),
            encrypted: None,
            type_mismatch: mismatch,
        });
        out.files.len() - 1
    } else {
        out.suppressed.0 += 1;
        usize::MAX
    };
    if depth > budget.limits.max_depth {
        out.skip(
            path,
            format!("nested deeper than {} levels", budget.limits.max_depth),
            kind.is_document(),
        );
        return;
    }
    // A nested file's time is checked by its container, just before the
    // container reads it (ZIP and tar loops, gzip's inflate, a forwarded
    // message's attachments): checking again here read the clock twice per
    // member, a cost the size of a small member's whole CSV parse.
    if depth == 0 && budget.out_of_time() {
        out.skip(path, ExtractError::Time.to_string(), kind.is_document());
        return;
    }
    let max = budget.limits.max_text_chars;
    match kind {
        FileKind::Text => push_text(out, path, TextKind::Attachment, decode_text(data), max),
        FileKind::Csv => push_text(
            out,
            path,
            TextKind::Table,
            table::csv_to_text(data, b','),
            max,
        ),
        FileKind::Tsv => push_text(
            out,
            path,
            TextKind::Table,
            table::csv_to_text(data, b'\t'),
            max,
        ),
        FileKind::Html => push_text(
            out,
            path,
            TextKind::Attachment,
            crate::message::html_to_text(&decode_text_cow(data)),
            max,
        ),
        FileKind::Email => extract_message(path, data, budget, depth, out, file_index),
        FileKind::Pgp => set_encrypted(out, file_index, "pgp"),
        FileKind::Smime => set_encrypted(out, file_index, "smime"),
        FileKind::Image | FileKind::Binary => {}
        other => {
            let result = match other {
                FileKind::Zip => zipfile::extract(path, data, budget, depth, out, file_index),
                FileKind::Docx | FileKind::Xlsx | FileKind::Pptx => {
                    ooxml::extract(other, path, data, budget, out)
                }
                FileKind::Odt | FileKind::Ods | FileKind::Odp => {
                    odf::extract(path, data, budget, out, file_index)
                }
                FileKind::Ole => ole::extract(path, data, budget, out, file_index),
                FileKind::Pdf => pdf::extract(path, data, budget, out, file_index),
                FileKind::Rtf => rtf::extract(path, data, max, out),
                FileKind::SevenZip => sevenz::extract(data, budget, out, file_index),
                FileKind::Rar => rar::extract(data, out, file_index),
                FileKind::Gzip => gzip::extract(path, data, budget, depth, out),
                _ => Ok(()),
            };
            if let Err(err) = result {
                out.skip(path, err.to_string(), other.is_document());
            }
        }
    }
}

fn set_encrypted(out: &mut Extraction, file_index: usize, kind: &str) {
    if let Some(f) = out.files.get_mut(file_index) {
        f.encrypted = Some(kind.to_string());
    }
}

/// A forwarded message: its subject and bodies are text, its attachments are
/// extracted in turn with `<this>/<inner>` paths.
fn extract_message(
    path: &str,
    data: &[u8],
    budget: &mut Budget,
    depth: usize,
    out: &mut Extraction,
    file_index: usize,
) {
    let limits = ParseLimits {
        max_text_chars: budget.limits.max_text_chars,
        ..ParseLimits::default()
    };
    let msg = parse(data, &limits);
    if let Some(enc) = msg.encryption {
        if let Some(f) = out.files.get_mut(file_index) {
            f.encrypted = Some(enc.as_str().to_string());
        }
        return;
    }
    let mut text = String::new();
    if let Some(s) = &msg.subject {
        text.push_str("Subject: ");
        text.push_str(s);
        text.push('\n');
    }
    for b in &msg.bodies {
        text.push_str(&b.text);
        text.push('\n');
    }
    push_text(
        out,
        path,
        TextKind::Attachment,
        text,
        budget.limits.max_text_chars,
    );
    for a in &msg.attachments {
        let inner = inner_path(path, &a.name);
        if budget.out_of_time() {
            out.skip(&inner, ExtractError::Time.to_string(), true);
            continue;
        }
        extract_into(&inner, &a.declared_type, &a.data, budget, depth + 1, out);
    }
}

/// `outer/inner`, the path of a file inside another. Built by hand: it runs
/// for every archive member, and `format!` costs several times a copy.
pub(crate) fn inner_path(outer: &str, inner: &str) -> String {
    let mut p = String::with_capacity(outer.len() + 1 + inner.len());
    p.push_str(outer);
    p.push('/');
    p.push_str(inner);
    p
}

pub(crate) fn push_text(
    out: &mut Extraction,
    path: &str,
    kind: TextKind,
    mut text: String,
    max: usize,
) {
    if text.len() > max {
        let mut end = max;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        out.skip(
            path,
            format!("text longer than {max} bytes: the rest was not scanned"),
            false,
        );
    }
    if !text.trim().is_empty() {
        out.texts.push(ExtractedText {
            path: path.to_string(),
            kind,
            text,
        });
    }
}

/// Text bytes → String: UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252-ish Latin-1.
pub fn decode_text(data: &[u8]) -> String {
    decode_text_cow(data).into_owned()
}

/// [`decode_text`], borrowing when the bytes are already UTF-8 (no copy).
pub(crate) fn decode_text_cow(data: &[u8]) -> std::borrow::Cow<'_, str> {
    if let Some(rest) = data.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return String::from_utf8_lossy(rest);
    }
    if data.len() >= 2 && (data[..2] == [0xFF, 0xFE] || data[..2] == [0xFE, 0xFF]) {
        let le = data[0] == 0xFF;
        let units: Vec<u16> = data[2..]
            .chunks_exact(2)
            .map(|c| {
                if le {
                    u16::from_le_bytes([c[0], c[1]])
                } else {
                    u16::from_be_bytes([c[0], c[1]])
                }
            })
            .collect();
        return String::from_utf16_lossy(&units).into();
    }
    match std::str::from_utf8(data) {
        Ok(s) => s.into(),
        Err(_) => data.iter().map(|&b| b as char).collect::<String>().into(),
    }
}

// Shared by the OLE reader (legacy Office RC4, Windows-1252 text).
pub(crate) use pdf::{cp1252 as pdf_cp1252, rc4 as pdf_rc4};
