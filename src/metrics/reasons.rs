//! The class of a `not_scanned` reason, for a metric label.
//!
//! A reason is a sentence for people ("compression ratio over 100:1
//! (stopped after 10485760 bytes)"): its numbers and file formats would make
//! a label with unbounded values. Each sentence the extractor and the
//! parser write has a fixed opening, so the opening names the class. The
//! tests build the sentences with the same code that writes them
//! (`ExtractError`'s messages, the parser's notes), so a rewording that
//! would move a reason to `other` fails here first.

/// What a `not_scanned` entry is, for the metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// A limit was reached: the rest of the part, file or message was not read.
    Cap(&'static str),
    /// The part or file could not be read (corrupt, unsupported, a parser
    /// that failed) or has nothing to read.
    Error(&'static str),
}

/// Openings of the caps' sentences and their labels.
const CAPS: &[(&str, &str)] = &[
    ("time budget for the message", "time"),
    ("decompressed-bytes limit", "decompressed_bytes"),
    ("compression ratio over", "ratio"),
    ("archive has more than", "archive_entries"),
    ("work limit for the message", "work"),
    ("extracted-text limit for the message", "extracted_text"),
    ("text longer than", "file_text"),
    ("table longer than", "table_rows"),
    ("nested deeper than", "depth"),
    ("message larger than", "message_size"),
    ("body text longer than", "body_text"),
];

/// Openings of the errors' sentences and their labels.
const ERRORS: &[(&str, &str)] = &[
    ("corrupt ", "corrupt"),
    ("parser failed on malformed", "parser_failed"),
    ("read error", "io"),
    ("message could not be parsed as mime", "unparsed_message"),
    ("internal error while scanning", "scan_failed"),
    ("pdf has no extractable text", "no_text_layer"),
    // Content streams that did not decode, or no page that parsed: the
    // file is damaged as far as this reader goes.
    ("pdf content could not be read", "corrupt"),
    ("forwarded message not read", "unsupported"),
];

/// The class of `reason`. Sentences with a number first ("more than 50
/// MIME parts", "more than 5000 files in the message", "3 more files …
/// not listed") are told apart by what follows; anything unknown is an
/// `other` error.
pub fn classify(reason: &str) -> Class {
    let r = reason.trim().to_ascii_lowercase();
    if let Some((_, l)) = CAPS.iter().find(|(p, _)| r.starts_with(p)) {
        return Class::Cap(l);
    }
    if let Some((_, l)) = ERRORS.iter().find(|(p, _)| r.starts_with(p)) {
        return Class::Error(l);
    }
    if r.starts_with("more than ") {
        if r.contains("mime parts") {
            return Class::Cap("parts");
        }
        if r.contains("files in the message") {
            return Class::Cap("files");
        }
    }
    if r.contains("not listed (report capped") {
        return Class::Cap("report_list");
    }
    Class::Error("other")
}

#[cfg(test)]
mod tests {
    use super::*;
    use dlp_extract::ExtractError;

    #[test]
    fn extractor_errors_and_budgets_are_classified() {
        let cases = [
            (ExtractError::Time.to_string(), Class::Cap("time")),
            (
                ExtractError::TotalBytes { limit: 1 }.to_string(),
                Class::Cap("decompressed_bytes"),
            ),
            (
                ExtractError::Ratio { ratio: 100, cap: 7 }.to_string(),
                Class::Cap("ratio"),
            ),
            (
                ExtractError::Entries { limit: 10 }.to_string(),
                Class::Cap("archive_entries"),
            ),
            (
                ExtractError::Cost { limit: 10 }.to_string(),
                Class::Cap("work"),
            ),
            (
                ExtractError::Produced { limit: 10 }.to_string(),
                Class::Cap("extracted_text"),
            ),
            (
                ExtractError::Corrupt {
                    format: "zip",
                    detail: "bad central directory".into(),
                }
                .to_string(),
                Class::Error("corrupt"),
            ),
            (
                ExtractError::Panicked { format: "pdf" }.to_string(),
                Class::Error("parser_failed"),
            ),
            (
                ExtractError::Io(std::io::Error::other("x")).to_string(),
                Class::Error("io"),
            ),
            (
                // crates/extract/src/table.rs CUT_REASON (private there)
                "table longer than 200,000 rows or 16 MiB of text: the rest was not scanned"
                    .to_string(),
                Class::Cap("table_rows"),
            ),
        ];
        for (reason, want) in cases {
            assert_eq!(classify(&reason), want, "{reason}");
        }
    }

    #[test]
    fn message_level_notes_are_classified() {
        assert_eq!(
            classify(crate::message::UNPARSED_NOTE),
            Class::Error("unparsed_message")
        );
        for (reason, want) in [
            (
                "message larger than 100 bytes: only the first 100 bytes were scanned",
                Class::Cap("message_size"),
            ),
            (
                "more than 50 MIME parts: the rest were not scanned",
                Class::Cap("parts"),
            ),
            (
                "body text longer than 9 bytes: the rest was not scanned",
                Class::Cap("body_text"),
            ),
            (
                "more than 5000 files in the message: the rest were not scanned",
                Class::Cap("files"),
            ),
            (
                "3 more files and 2 more unreadable files not listed (report capped at 200)",
                Class::Cap("report_list"),
            ),
            ("nested deeper than 5 levels", Class::Cap("depth")),
            (
                "pdf has no extractable text (scanned image?)",
                Class::Error("no_text_layer"),
            ),
            (
                "pdf content could not be read: pdf stream filter JBIG2Decode not supported",
                Class::Error("corrupt"),
            ),
            ("rar5 archive: not read", Class::Error("other")),
        ] {
            assert_eq!(classify(reason), want, "{reason}");
        }
    }
}
