//! Bounded decompression: every byte an extractor inflates goes through
//! [`read_bounded`], which caps it by the message's remaining budget and by
//! the per-entry ratio cap while streaming (`Read::take`), so declared sizes
//! are never trusted and no allocation grows past the caps.

use super::error::{ExtractError, Result};
use super::Budget;
use std::io::Read;

/// Entries that inflate to less than this are not ratio-checked: a small
/// entry cannot be a bomb, and small, very repetitive XML parts (styles,
/// empty sheets) legitimately exceed 100:1.
pub const RATIO_FLOOR: u64 = 1024 * 1024;

/// Size of one read; the time budget is checked between reads.
const CHUNK: usize = 64 * 1024;

/// The most one entry of `compressed` bytes may inflate to under the ratio cap.
pub fn ratio_cap(compressed: u64, budget: &Budget) -> u64 {
    compressed
        .saturating_mul(budget.limits.max_ratio)
        .max(RATIO_FLOOR)
}

/// Reads `r` to the end, or fails once more than `entry_cap` bytes (the
/// ratio cap) or more than the message's remaining budget would be produced.
/// Every byte read is charged to the budget, also on failure.
pub fn read_bounded<R: Read>(r: R, entry_cap: u64, budget: &mut Budget) -> Result<Vec<u8>> {
    read_bounded_sized(r, entry_cap, 0, budget)
}

/// [`read_bounded`] with a size hint (a declared size): capacity is reserved
/// up front, never more than the caps and never more than 16 MiB, so a lying
/// hint costs nothing but a regrowth.
pub fn read_bounded_sized<R: Read>(
    r: R,
    entry_cap: u64,
    hint: u64,
    budget: &mut Budget,
) -> Result<Vec<u8>> {
    let remaining = budget.remaining_bytes();
    let limit = entry_cap.min(remaining);
    let mut taken = r.take(limit.saturating_add(1));
    let reserve = hint.min(limit).min(16 * 1024 * 1024);
    let mut out: Vec<u8> = Vec::with_capacity(usize::try_from(reserve).unwrap_or(0));
    // Read straight into `out`; the first read is sized by the hint, later
    // ones double up to CHUNK, so a small member costs no 64 KiB buffer.
    let mut chunk = usize::try_from(reserve)
        .unwrap_or(CHUNK)
        .saturating_add(1)
        .clamp(1024, CHUNK);
    loop {
        if budget.out_of_time() {
            budget.decompressed = budget.decompressed.saturating_add(out.len() as u64);
            return Err(ExtractError::Time);
        }
        let len = out.len();
        out.resize(len + chunk, 0);
        let mut interrupted = false;
        let n = match taken.read(out.get_mut(len..).unwrap_or_default()) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {
                interrupted = true;
                0
            }
            Err(e) => {
                out.truncate(len);
                budget.decompressed = budget.decompressed.saturating_add(out.len() as u64);
                return Err(e.into());
            }
        };
        out.truncate(len + n);
        if n == 0 {
            if interrupted {
                continue;
            }
            break;
        }
        chunk = (chunk * 2).min(CHUNK);
        if out.len() as u64 > limit {
            budget.decompressed = budget.decompressed.saturating_add(limit);
            return Err(if entry_cap <= remaining {
                ExtractError::Ratio {
                    ratio: budget.limits.max_ratio,
                    cap: entry_cap,
                }
            } else {
                ExtractError::TotalBytes {
                    limit: budget.limits.max_decompressed_bytes,
                }
            });
        }
    }
    budget.decompressed = budget.decompressed.saturating_add(out.len() as u64);
    Ok(out)
}

/// Inflates a zlib stream (PDF FlateDecode, ...) of `data.len()` compressed bytes.
pub fn inflate_zlib(data: &[u8], budget: &mut Budget) -> Result<Vec<u8>> {
    let cap = ratio_cap(data.len() as u64, budget);
    let hint = (data.len() as u64).saturating_mul(4);
    read_bounded_sized(flate2::read::ZlibDecoder::new(data), cap, hint, budget)
}

/// Runs a parser from a crate that may panic on malformed input, turning a
/// panic into an error for this file only (the engine has its own guard for
/// the whole message, but one bad file should not cost the others).
pub fn guard<T>(format: &'static str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(_) => Err(ExtractError::Panicked { format }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::Limits;
    use std::io::Write;

    fn deflate(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn ratio_cap_stops_a_bomb_while_streaming() {
        let bomb = deflate(&vec![0u8; 8 * 1024 * 1024]);
        let mut b = Budget::new(Limits::default());
        let err = inflate_zlib(&bomb, &mut b).unwrap_err();
        assert!(matches!(err, ExtractError::Ratio { .. }), "{err}");
        // Never more than the floor (the compressed stream is tiny) was kept.
        assert!(b.decompressed <= RATIO_FLOOR, "{}", b.decompressed);
    }

    #[test]
    fn total_budget_is_charged_and_enforced() {
        let data = deflate(&vec![7u8; 600 * 1024]);
        let mut b = Budget::new(Limits {
            max_decompressed_bytes: 1024 * 1024,
            ..Limits::default()
        });
        assert_eq!(inflate_zlib(&data, &mut b).unwrap().len(), 600 * 1024);
        let err = inflate_zlib(&data, &mut b).unwrap_err();
        assert!(matches!(err, ExtractError::TotalBytes { .. }), "{err}");
        assert_eq!(b.decompressed, 1024 * 1024);
    }

    #[test]
    fn panics_become_errors() {
        let r: Result<()> = guard("pdf", || panic!("boom"));
        assert!(matches!(r, Err(ExtractError::Panicked { format: "pdf" })));
    }
}
