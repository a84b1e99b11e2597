//! The per-message allowance every extractor works within: the configured
//! [`Limits`] and what has been spent of them ([`Budget`]). One budget is
//! shared by all attachments of a message, so a zip bomb or a pathological
//! document costs a bounded amount however it is nested.

use crate::error::ExtractError;
use std::time::{Duration, Instant};

/// Hard caps on attachment work, per message. Configurable (`[limits]`).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Total bytes decompressed from archives and documents, per message.
    /// Sized for ordinary large documents, not only archives: a 25 MB MIS
    /// export saved by LibreOffice is a 207 MB xlsx (sheet and shared
    /// strings) or a 362 MB .ods content.xml, and at 100 MiB both were
    /// "could not be checked" every night (issue 20). Bombs are bounded by
    /// the ratio cap per entry and this total.
    pub max_decompressed_bytes: u64,
    /// Largest decompressed:compressed ratio allowed for one archive entry.
    pub max_ratio: u64,
    /// How deep archives, documents and forwarded messages may nest: one
    /// depth for all, so a message forwarded as an attachment seven times
    /// (each forward one level, as an archive in an archive is) is read to
    /// its innermost body like a zip seven levels deep. Past it, a file is
    /// reported as could not be checked. The file-count and byte budgets,
    /// not the depth, are what bound a 42.zip-style bomb.
    pub max_depth: usize,
    /// Entries looked at in one archive.
    pub max_entries: usize,
    /// Wall-clock budget for scanning one message.
    pub time_budget: Duration,
    /// Bytes of text kept from one extracted file. Sized so an ordinary large
    /// file is read whole (an 18 MB CSV export renders to about 40 MB of
    /// table text; with 4 MiB it was cut, issue 20); pathological output is
    /// stopped by [`Limits::max_produced_bytes`] for the whole message.
    pub max_text_chars: usize,
    /// Bytes of text (and of expanded intermediate values: shared strings,
    /// repeated cells, parsed PDF objects) extraction may *produce* for one
    /// message. The decompressed-bytes cap counts only inflation; a 1.5 MB
    /// .xls that points 100,000 cells at one 64 K string inflates nothing
    /// and still asks for gigabytes. Charged before a value is materialised.
    pub max_produced_bytes: u64,
    /// Units of parsing work per message (one per PDF operator, XML event,
    /// spreadsheet cell, ...; see [`Budget::charge`]). Bounds the work by
    /// construction, so a loop that never reads the clock still ends.
    pub max_cost: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_decompressed_bytes: 512 * 1024 * 1024,
            max_ratio: 100,
            max_depth: 8,
            max_entries: 10_000,
            time_budget: Duration::from_secs(2),
            max_text_chars: 64 * 1024 * 1024,
            max_produced_bytes: 256 * 1024 * 1024,
            max_cost: 400_000_000,
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
    /// Work units spent (see [`Budget::charge`]).
    pub cost: u64,
    /// Bytes produced (see [`Budget::produce`]).
    pub produced: u64,
    /// `cost` at which the clock is next read.
    next_clock: u64,
}

/// Work units between two reads of the clock. The stride is over the whole
/// message's cost, not per loop or per run, so no nesting of runs (a PDF
/// form drawing forms) can keep the clock from being read: a unit is at most
/// a few hundred nanoseconds of work, so the deadline is overrun by well
/// under a millisecond.
const CLOCK_STRIDE: u64 = 1024;

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
    /// What the reader left out (more MIME parts than allowed, a body cut at
    /// the text cap): reported as not scanned, as the same caps are for the
    /// message itself, never dropped with the forward.
    pub capped: Vec<String>,
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
            cost: 0,
            produced: 0,
            next_clock: CLOCK_STRIDE,
        }
    }

    /// Spends `units` of work. Every loop over hostile input charges here
    /// (one unit per operator, element, cell, record, ...): the cost cap is
    /// checked on every charge, the clock every [`CLOCK_STRIDE`] units of
    /// the message's cost. An error means: stop reading this file, report it.
    #[inline]
    pub fn charge(&mut self, units: u64) -> Result<(), ExtractError> {
        self.cost = self.cost.saturating_add(units);
        if self.cost > self.limits.max_cost {
            return Err(ExtractError::Cost {
                limit: self.limits.max_cost,
            });
        }
        if self.cost >= self.next_clock {
            self.next_clock = self.cost.saturating_add(CLOCK_STRIDE);
            if self.out_of_time() {
                return Err(ExtractError::Time);
            }
        }
        Ok(())
    }

    /// Records `bytes` of text or expanded value about to be produced,
    /// *before* it is materialised; fails once the message's
    /// [`Limits::max_produced_bytes`] would be passed. Also charges the work
    /// of writing them (a unit per 64 bytes).
    #[inline]
    pub fn produce(&mut self, bytes: usize) -> Result<(), ExtractError> {
        let bytes = u64::try_from(bytes).unwrap_or(u64::MAX);
        let produced = self.produced.saturating_add(bytes);
        if produced > self.limits.max_produced_bytes {
            return Err(ExtractError::Produced {
                limit: self.limits.max_produced_bytes,
            });
        }
        self.produced = produced;
        self.charge(bytes / 64)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cost_cap_is_checked_on_every_charge() {
        let mut b = Budget::new(Limits {
            max_cost: 10,
            ..Limits::default()
        });
        for _ in 0..10 {
            assert!(b.charge(1).is_ok());
        }
        assert!(matches!(b.charge(1), Err(ExtractError::Cost { limit: 10 })));
    }

    #[test]
    fn the_clock_is_read_across_runs_not_per_run() {
        // Many short "runs" of a few units each: a per-run counter that
        // reads the clock every N operators of one run never reads it.
        let mut b = Budget::new(Limits {
            time_budget: Duration::ZERO,
            ..Limits::default()
        });
        let mut failed = None;
        for run in 0..10_000u64 {
            if let Err(e) = (0..3).try_for_each(|_| b.charge(1)) {
                failed = Some((run, e));
                break;
            }
        }
        let (run, e) = failed.expect("a spent deadline must stop short runs too");
        assert!(matches!(e, ExtractError::Time));
        assert!(run * 3 <= CLOCK_STRIDE, "clock read late: after {run} runs");
    }

    #[test]
    fn produced_bytes_are_refused_before_they_pass_the_cap() {
        let mut b = Budget::new(Limits {
            max_produced_bytes: 100,
            ..Limits::default()
        });
        assert!(b.produce(60).is_ok());
        assert!(matches!(
            b.produce(41),
            Err(ExtractError::Produced { limit: 100 })
        ));
        // The refused bytes were not counted: a smaller piece still fits.
        assert!(b.produce(40).is_ok());
        assert_eq!(b.produced, 100);
    }
}
