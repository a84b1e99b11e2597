//! Why an attachment (or a file inside one) could not be read. Each variant
//! becomes a `not_scanned` reason in the report; none of them is a crash.

use thiserror::Error;

/// A failure inside one extractor. The dispatcher (`dispatch.rs`) turns it into a
/// [`super::NotScanned`] entry for the file's path.
#[derive(Debug, Error)]
pub enum ExtractError {
    /// The bytes are not a valid file of the format they look like.
    #[error("corrupt {format}: {detail}")]
    Corrupt {
        format: &'static str,
        detail: String,
    },
    /// The message's decompressed-bytes budget is spent.
    #[error("decompressed-bytes limit for the message reached ({limit} bytes)")]
    TotalBytes { limit: u64 },
    /// One entry or stream expands more than the ratio cap allows.
    #[error("compression ratio over {ratio}:1 (stopped after {cap} bytes)")]
    Ratio { ratio: u64, cap: u64 },
    /// An archive lists more entries than allowed.
    #[error("archive has more than {limit} entries")]
    Entries { limit: usize },
    /// The message's work-unit budget ([`crate::Limits::max_cost`]) is spent.
    #[error("work limit for the message reached ({limit} units): the rest was not scanned")]
    Cost { limit: u64 },
    /// The message's produced-bytes budget ([`crate::Limits::max_produced_bytes`]) is spent.
    #[error(
        "extracted-text limit for the message reached ({limit} bytes): the rest was not scanned"
    )]
    Produced { limit: u64 },
    /// The message's time budget is spent.
    #[error("time budget for the message spent")]
    Time,
    /// A format (or a variant of one) this build does not read.
    #[error("{0}")]
    Unsupported(String),
    /// A parser panicked on hostile input (caught; see `guard`).
    #[error("parser failed on malformed {format} input")]
    Panicked { format: &'static str },
    #[error("read error: {0}")]
    Io(#[from] std::io::Error),
}

impl ExtractError {
    /// True for a spent message-wide budget (bytes, ratio, time, cost,
    /// produced): an extractor that skips a broken sub-part must still pass
    /// these up, or the file would be silently truncated.
    pub fn is_budget(&self) -> bool {
        matches!(
            self,
            ExtractError::TotalBytes { .. }
                | ExtractError::Ratio { .. }
                | ExtractError::Time
                | ExtractError::Cost { .. }
                | ExtractError::Produced { .. }
        )
    }

    pub(crate) fn corrupt(format: &'static str, detail: impl Into<String>) -> Self {
        ExtractError::Corrupt {
            format,
            detail: detail.into(),
        }
    }
}

/// Result of one extractor.
pub type Result<T> = std::result::Result<T, ExtractError>;
