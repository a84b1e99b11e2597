//! What extraction hands back: the text of each file read, the files seen
//! (with their sniffed type and encryption), and what could not be read and
//! why. Capped so a bomb of many small files cannot bloat the report.

use crate::error::ExtractError;
use crate::Budget;
use serde::Serialize;

/// What kind of text a unit is; detectors use it to adjust context rules
/// (a subject is short, a table row carries its column headers). Extraction
/// owns it because it decides which kind each extracted text is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextKind {
    Subject,
    /// A message body; from extraction, the copy of the message's body that
    /// Outlook puts in a top-level winmail.dat (scanned as the body).
    Body,
    /// Text extracted from an attachment (documents, PDFs, forwarded mail).
    Attachment,
    /// Tabular text extracted from CSV/TSV or a spreadsheet: one record per
    /// line, each cell written `header: value` and cells separated by ` | `
    /// (the contract in `table_line`).
    Table,
}

/// Files and not-scanned entries listed per attachment; beyond this they
/// are counted in one summary entry (a bomb must not bloat the report).
pub const MAX_REPORTED: usize = 1000;

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
    pub(super) suppressed: (usize, usize, bool),
    /// The message-wide file cap has been reported.
    pub(super) files_capped: bool,
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

/// Keeps `text` as the text of the file at `path`, cut to the per-file
/// `max_text_chars` and to what is left of the message's produced-bytes
/// allowance (at a character boundary; any cut is reported, never silent).
/// Blank text is not kept.
pub(crate) fn push_text(
    out: &mut Extraction,
    path: &str,
    kind: TextKind,
    mut text: String,
    budget: &mut Budget,
) {
    let max = budget.limits.max_text_chars;
    let left = usize::try_from(
        budget
            .limits
            .max_produced_bytes
            .saturating_sub(budget.produced),
    )
    .unwrap_or(usize::MAX);
    if text.len() > max.min(left) {
        let mut end = max.min(left);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        // The per-file text cap cuts ordinary large files (reported, as
        // before, not as a document); the message's produced-bytes cap is
        // for pathological input, and what it leaves out could not be
        // checked.
        if max <= left {
            out.skip(
                path,
                format!("text longer than {max} bytes: the rest was not scanned"),
                false,
            );
        } else {
            let limit = budget.limits.max_produced_bytes;
            out.skip(path, ExtractError::Produced { limit }.to_string(), true);
        }
    }
    // Within the allowance by the cut above; a spent cost budget still
    // keeps what was already read.
    let _ = budget.produce(text.len());
    if !text.trim().is_empty() {
        out.texts.push(ExtractedText {
            path: path.to_string(),
            kind,
            text,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Limits;

    /// Text past the message's produced-bytes allowance is cut at a
    /// character boundary and reported as could-not-be-checked; the
    /// per-file text cap is reported as before.
    #[test]
    fn cuts_are_reported_never_silent() {
        let mut b = Budget::new(Limits {
            max_produced_bytes: 10,
            ..Limits::default()
        });
        let mut out = Extraction::default();
        push_text(
            &mut out,
            "a.txt",
            TextKind::Attachment,
            "ééééééé".into(),
            &mut b,
        );
        assert_eq!(out.texts[0].text, "ééééé");
        assert!(out.not_scanned[0].reason.contains("extracted-text limit"));
        assert!(out.not_scanned[0].document);
        assert_eq!(b.produced, 10);

        let mut b = Budget::new(Limits {
            max_text_chars: 4,
            ..Limits::default()
        });
        let mut out = Extraction::default();
        push_text(
            &mut out,
            "b.txt",
            TextKind::Attachment,
            "abcdef".into(),
            &mut b,
        );
        assert_eq!(out.texts[0].text, "abcd");
        assert!(out.not_scanned[0].reason.contains("longer than 4 bytes"));
        assert!(!out.not_scanned[0].document);
    }
}
