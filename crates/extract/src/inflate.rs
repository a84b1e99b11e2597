//! Bounded decompression: every byte an extractor inflates goes through
//! [`read_bounded`] (any `Read`, capped with `Read::take`; ZIP members in
//! methods other than deflate through [`read_bounded_into`]) or, for
//! deflate ZIP members, [`inflate_raw_bounded`] (same caps, reused inflaters), which
//! cap it by the message's remaining budget and by the per-entry ratio cap
//! while streaming, so declared sizes are never trusted and no allocation
//! grows past the caps.

use super::error::{ExtractError, Result};
use super::Budget;
use std::io::Read;

/// Entries that inflate to less than this are not ratio-checked: a small
/// entry cannot be a bomb, and small, very repetitive XML parts (styles,
/// empty sheets) legitimately exceed 100:1.
pub const RATIO_FLOOR: u64 = 1024 * 1024;

/// Size of one read; the time budget is checked between reads.
const CHUNK: usize = 64 * 1024;

/// Output space reserved beyond a member's declared size (see [`inflate_raw_bounded`]).
const INFLATE_SLACK: u64 = 1024;

/// Output space given to libdeflate beyond a member's declared size: its
/// fast loop needs 299 bytes of room (`FASTLOOP_MAX_BYTES_WRITTEN`).
pub const WHOLE_SLACK: u64 = 320;

/// Bytes of the archive after a member's declared data that libdeflate is
/// shown (see [`Deflated`]): its fast loop runs only while 25 bytes of input
/// are left (`FASTLOOP_MAX_BYTES_READ` with a 64-bit bit buffer), so a
/// member's last ~25 compressed bytes, an eighth of a 200-byte member, were
/// decoded by the slow loop.
pub const READ_AHEAD: usize = 32;

/// A ZIP member's raw deflate data, as it sits in the archive.
///
/// Why the bytes after it: libdeflate decodes the end of its input in a
/// slower loop, and a deflate stream says where it ends, so the whole-member
/// inflate is given up to [`READ_AHEAD`] bytes of what follows (the next
/// local header or the central directory). If a member's declared
/// compressed size is short of its real stream, that inflate may read into
/// them: the output is then still the member's, checked against its CRC-32
/// like any other. The streaming inflate reads only the declared bytes.
#[derive(Debug, Clone, Copy)]
pub struct Deflated<'a> {
    /// The declared bytes, then up to [`READ_AHEAD`] more.
    bytes: &'a [u8],
    /// How many of `bytes` are the declared data.
    len: usize,
}

impl<'a> Deflated<'a> {
    /// `archive_rest[..len]` is the member's declared data; at most
    /// [`READ_AHEAD`] bytes after it are kept.
    pub fn new(archive_rest: &'a [u8], len: usize) -> Self {
        let len = len.min(archive_rest.len());
        let end = len.saturating_add(READ_AHEAD).min(archive_rest.len());
        Deflated {
            bytes: archive_rest.get(..end).unwrap_or_default(),
            len,
        }
    }

    /// Data with nothing after it (a stream held on its own).
    #[cfg(test)]
    pub fn exact(data: &'a [u8]) -> Self {
        Deflated {
            bytes: data,
            len: data.len(),
        }
    }

    /// The declared bytes only.
    pub fn declared(&self) -> &'a [u8] {
        self.bytes.get(..self.len).unwrap_or_default()
    }
}

/// Largest declared member size inflated in one call (see [`Inflaters`]);
/// bigger members stream, with the time budget checked between chunks.
pub const WHOLE_MAX: u64 = 16 * 1024 * 1024;

/// The inflaters a ZIP archive's members share.
///
/// Why two: most members declare their size truthfully, and for those
/// `libdeflate` inflates the whole member in one call into a buffer of
/// exactly that size, about 1.4× faster than zlib-rs here (it decodes with
/// bigger tables and no streaming state; measured on OOXML parts and tiny
/// CSV members). It cannot stream, so a member whose declared size is
/// missing, too big for one call, or a lie (the output does not fit, the
/// data is corrupt) is inflated again by the streaming `flate2` state,
/// which enforces the caps chunk by chunk and reports what went wrong
/// exactly as before.
///
/// The streaming state is made once per archive, when first needed; the
/// libdeflate one once per thread ([`WHOLE`]), since every archive needs it.
#[derive(Default)]
pub struct Inflaters {
    stream: Option<flate2::Decompress>,
}

thread_local! {
    /// The whole-member decompressor, kept per scan thread: making one is a
    /// C `malloc` of ~11 KB and freeing it again, which was a measurable
    /// part of a small archive's fixed cost (the two-member fixture zip).
    static WHOLE: std::cell::RefCell<Option<libdeflater::Decompressor>> =
        const { std::cell::RefCell::new(None) };
}

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
    let mut out = Vec::new();
    read_bounded_into(r, entry_cap, hint, budget, &mut out)?;
    Ok(out)
}

/// [`read_bounded_sized`] into `out`, its old content replaced (unspecified
/// after an error), so a ZIP member decoded by a streaming reader (bzip2,
/// zstd, ...) reuses the member buffer like an inflated one.
pub fn read_bounded_into<R: Read>(
    r: R,
    entry_cap: u64,
    hint: u64,
    budget: &mut Budget,
    out: &mut Vec<u8>,
) -> Result<()> {
    let remaining = budget.remaining_bytes();
    let limit = entry_cap.min(remaining);
    let mut taken = r.take(limit.saturating_add(1));
    let reserve = hint.min(limit).min(16 * 1024 * 1024);
    out.clear();
    out.reserve(usize::try_from(reserve).unwrap_or(0));
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
            return Err(over_cap(budget, limit, entry_cap, remaining));
        }
    }
    budget.decompressed = budget.decompressed.saturating_add(out.len() as u64);
    Ok(())
}

/// [`read_bounded`] of bytes already in memory (a stored ZIP member) into
/// `out`, its old content replaced: the same caps and charging, without a
/// fresh allocation, so a reused member buffer stays reused. No clock check:
/// the copy is bounded by the caps, and the caller checked before.
pub fn copy_bounded(
    data: &[u8],
    entry_cap: u64,
    budget: &mut Budget,
    out: &mut Vec<u8>,
) -> Result<()> {
    let remaining = budget.remaining_bytes();
    let limit = entry_cap.min(remaining);
    if data.len() as u64 > limit {
        return Err(over_cap(budget, limit, entry_cap, remaining));
    }
    out.clear();
    out.extend_from_slice(data);
    budget.decompressed = budget.decompressed.saturating_add(data.len() as u64);
    Ok(())
}

/// Inflates the raw deflate stream `input` (a ZIP member's data) with `d`
/// into `out`, under the same caps, charging and time checks as
/// [`read_bounded_sized`], and checks the result against `crc` (what the
/// `zip` crate's reader did: "Invalid checksum" on a mismatch).
///
/// Why not `read_bounded_sized` over the `zip` crate's reader: that reader
/// allocates a fresh inflate state (zlib-rs builds ~10 KB of state and a
/// 32 KiB window), an 8 KiB `BufReader` and a boxed CRC reader per member,
/// and `Read` makes every output chunk be zeroed before it is written. Here
/// one [`Decompress`](flate2::Decompress) is reset between members and
/// writes straight into `out`'s spare capacity (`decompress_vec`).
///
/// `out`'s old content is replaced, so one buffer can serve every member in
/// turn (and is not zeroed again where it already has room).
/// Never more than `limit + 1` bytes are written (`limit` being the entry's
/// ratio cap or the remaining budget, whichever is smaller), exactly like
/// `Read::take(limit + 1)` in `read_bounded_sized`.
pub fn inflate_raw_bounded(
    inflaters: &mut Inflaters,
    member: Deflated<'_>,
    crc: u32,
    entry_cap: u64,
    hint: u64,
    budget: &mut Budget,
    out: &mut Vec<u8>,
) -> Result<()> {
    let remaining = budget.remaining_bytes();
    let limit = entry_cap.min(remaining);
    if hint > 0 && hint <= limit && hint <= WHOLE_MAX {
        // Room for the declared size plus slack, within the caps: libdeflate
        // runs its fast loop only while 299 bytes of output space are left,
        // so with no slack a member under 300 bytes was decoded entirely by
        // the slow loop. Only the growth is zeroed: the bytes already there
        // are overwritten.
        let size = usize::try_from(hint.saturating_add(WHOLE_SLACK).min(limit)).unwrap_or(0);
        out.truncate(size);
        out.resize(size, 0);
        let inflated = WHOLE.with(|cell| {
            // Never borrowed twice: inflating calls nothing that comes back here.
            let mut whole = cell.borrow_mut();
            whole
                .get_or_insert_with(libdeflater::Decompressor::new)
                .deflate_decompress(member.bytes, out)
        });
        if let Ok(n) = inflated {
            out.truncate(n);
            budget.decompressed = budget.decompressed.saturating_add(n as u64);
            if libdeflater::crc32(out) != crc {
                return Err(checksum_error());
            }
            return Ok(());
        }
        // A lying size or bad data: streamed below, which says which.
    }
    let input = member.declared();
    let d = inflaters
        .stream
        .get_or_insert_with(|| flate2::Decompress::new(false));
    d.reset(false);
    out.clear();
    let stop = limit.saturating_add(1);
    // Room for the declared size, within the caps (a lying hint reserves
    // address space the budget allows anyway, and costs a regrowth, nothing
    // more), plus slack: zlib-rs only runs its fast loop while at least 258
    // bytes of output space are left, and decoding the last few hundred
    // bytes of every member byte by byte made inflating a small member cost
    // several times its size. Reserved whole, not in 16 MiB steps: a
    // 360 MB content.xml (a 25 MB MIS export saved as .ods) grown by
    // doubling spent two thirds of its scan copying and faulting in pages.
    let reserve = hint.min(limit).saturating_add(INFLATE_SLACK).min(stop);
    out.reserve(usize::try_from(reserve).unwrap_or(0));
    let mut hasher = libdeflater::Crc::new();
    let mut chunk = CHUNK;
    loop {
        if budget.out_of_time() {
            budget.decompressed = budget.decompressed.saturating_add(out.len() as u64);
            return Err(ExtractError::Time);
        }
        let len = out.len();
        let allowance = stop.saturating_sub(len as u64);
        let before_in = d.total_in();
        let status = if allowance == 0 {
            // Already past the limit (handled below); nothing more may be written.
            Ok(flate2::Status::Ok)
        } else if out.capacity() == len {
            out.reserve(chunk.min(usize::try_from(allowance).unwrap_or(chunk)));
            chunk = chunk.saturating_mul(2).min(16 * CHUNK);
            continue;
        } else if ((out.capacity() - len) as u64) <= allowance {
            d.decompress_vec(rest(input, d), out, flate2::FlushDecompress::Finish)
        } else {
            // The spare capacity exceeds what may still be written: inflate
            // into a bounded scratch buffer instead, so `out` never holds
            // more than `limit + 1` bytes.
            let mut scratch = vec![0u8; usize::try_from(allowance).unwrap_or(CHUNK).min(CHUNK)];
            let before_out = d.total_out();
            let r = d.decompress(
                rest(input, d),
                &mut scratch,
                flate2::FlushDecompress::Finish,
            );
            let n = usize::try_from(d.total_out() - before_out).unwrap_or(0);
            out.extend_from_slice(scratch.get(..n).unwrap_or_default());
            r
        };
        hasher.update(out.get(len..).unwrap_or_default());
        if out.len() as u64 > limit {
            return Err(over_cap(budget, limit, entry_cap, remaining));
        }
        let progressed = out.len() > len || d.total_in() > before_in;
        match status {
            Ok(flate2::Status::StreamEnd) => break,
            // Output space ran out: loop to make more.
            Ok(_) if out.len() == out.capacity() => {}
            // Input used up without the end of the stream (truncated data)
            // is the end, as for flate2's reader; the CRC tells.
            Ok(_) if !progressed => break,
            Ok(_) => {}
            Err(_) => {
                budget.decompressed = budget.decompressed.saturating_add(out.len() as u64);
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    "corrupt deflate stream",
                )
                .into());
            }
        }
    }
    budget.decompressed = budget.decompressed.saturating_add(out.len() as u64);
    if hasher.sum() != crc {
        return Err(checksum_error());
    }
    Ok(())
}

/// A member whose bytes do not match its CRC (the words the `zip` crate used).
pub fn checksum_error() -> ExtractError {
    std::io::Error::new(std::io::ErrorKind::InvalidData, "Invalid checksum").into()
}

/// Output passed `limit` (the smaller of the entry's ratio cap and what is
/// left of the message's bytes): count the bytes and name whichever cap it was.
fn over_cap(budget: &mut Budget, limit: u64, entry_cap: u64, remaining: u64) -> ExtractError {
    budget.decompressed = budget.decompressed.saturating_add(limit);
    if entry_cap <= remaining {
        ExtractError::Ratio {
            ratio: budget.limits.max_ratio,
            cap: entry_cap,
        }
    } else {
        ExtractError::TotalBytes {
            limit: budget.limits.max_decompressed_bytes,
        }
    }
}

/// The part of `input` that `d` has not consumed yet.
fn rest<'i>(input: &'i [u8], d: &flate2::Decompress) -> &'i [u8] {
    let used = usize::try_from(d.total_in()).unwrap_or(usize::MAX);
    input.get(used..).unwrap_or_default()
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
    use crate::Limits;
    use std::io::Write;

    fn deflate(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn copying_in_memory_bytes_keeps_the_caps_and_the_buffer() {
        let data = [7u8; 100];
        let mut b = Budget::new(Limits::default());
        let mut out = Vec::with_capacity(4096);
        out.extend_from_slice(b"old content");
        let before = out.as_ptr();
        copy_bounded(&data, 1000, &mut b, &mut out).unwrap();
        assert_eq!(out, data);
        assert_eq!(out.as_ptr(), before, "the buffer was replaced");
        assert_eq!(b.decompressed, 100);
        // Over the entry's cap: the ratio error, `cap` bytes charged, as
        // `read_bounded` does.
        let mut b = Budget::new(Limits::default());
        match copy_bounded(&data, 50, &mut b, &mut out) {
            Err(ExtractError::Ratio { cap: 50, .. }) => {}
            other => panic!("{other:?}"),
        }
        assert_eq!(b.decompressed, 50);
        assert_eq!(
            read_bounded(&data[..], 50, &mut Budget::new(Limits::default()))
                .map(|v| v.len())
                .map_err(|e| e.to_string()),
            Err(ExtractError::Ratio {
                ratio: Limits::default().max_ratio,
                cap: 50
            }
            .to_string())
        );
        // Over what is left of the message's budget.
        let mut b = Budget::new(Limits {
            max_decompressed_bytes: 130,
            ..Limits::default()
        });
        b.decompressed = 100;
        match copy_bounded(&data, 1000, &mut b, &mut out) {
            Err(ExtractError::TotalBytes { limit: 130 }) => {}
            other => panic!("{other:?}"),
        }
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

    /// [`inflate_raw_bounded`] of a stream held on its own, under no ratio cap.
    fn inflate_exact(
        d: &mut Inflaters,
        z: &[u8],
        crc: u32,
        hint: u64,
        b: &mut Budget,
        out: &mut Vec<u8>,
    ) -> Result<()> {
        inflate_raw_bounded(d, Deflated::exact(z), crc, u64::MAX, hint, b, out)
    }

    fn raw_deflate(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn text(n: usize) -> Vec<u8> {
        (0..n)
            .flat_map(|i| format!("row {i}, pupil {}\n", i * 7919 % 1000).into_bytes())
            .collect()
    }

    #[test]
    fn raw_members_inflate_with_one_reused_state_and_any_hint() {
        let mut d = Inflaters::default();
        let mut b = Budget::new(Limits::default());
        let mut out = Vec::new();
        // Exact, too small, zero, larger and far too large declared sizes.
        for (data, hint) in [
            (text(20_000), None),
            (text(2_000), Some(100_000)),
            (b"tiny".to_vec(), None),
            (text(50_000), Some(10)),
            (text(3), Some(0)),
            (text(1000), Some(1 << 40)),
            // 703 bytes, 203 more than declared: within the whole-member slack.
            (text(40), Some(500)),
        ] {
            let z = raw_deflate(&data);
            let hint = hint.unwrap_or(data.len() as u64);
            let crc = libdeflater::crc32(&data);
            inflate_exact(&mut d, &z, crc, hint, &mut b, &mut out).unwrap();
            assert_eq!(out, data);
        }
    }

    #[test]
    fn raw_member_checksum_truncation_and_corruption_are_errors() {
        let data = text(5000);
        let z = raw_deflate(&data);
        let crc = libdeflater::crc32(&data);
        let mut d = Inflaters::default();
        let mut b = Budget::new(Limits::default());
        let mut out = Vec::new();
        // No declared size (streamed) and the true one (inflated whole).
        for hint in [0, data.len() as u64] {
            let err = inflate_exact(&mut d, &z, crc ^ 1, hint, &mut b, &mut out);
            assert!(err.unwrap_err().to_string().contains("Invalid checksum"));
            let cut = &z[..z.len() / 2];
            let err = inflate_exact(&mut d, cut, crc, hint, &mut b, &mut out);
            assert!(err.unwrap_err().to_string().contains("Invalid checksum"));
            let mut bad = z.clone();
            bad[0] = 0xFF; // reserved block type 3
            let err = inflate_exact(&mut d, &bad, crc, hint, &mut b, &mut out);
            assert!(err.is_err());
            // The states are usable again after every failure.
            inflate_exact(&mut d, &z, crc, hint, &mut b, &mut out).unwrap();
            assert_eq!(out, data);
        }
    }

    #[test]
    fn the_bytes_after_a_member_are_read_ahead_and_its_crc_decides() {
        let mut d = Inflaters::default();
        let mut b = Budget::new(Limits::default());
        let mut out = Vec::new();
        for data in [text(3), text(12), text(400)] {
            let z = raw_deflate(&data);
            let crc = libdeflater::crc32(&data);
            // The member, then what an archive has after it: a local header
            // that happens to be valid deflate data too, and more.
            let mut archive = z.clone();
            archive.extend_from_slice(&raw_deflate(b"the next member"));
            archive.extend_from_slice(&[0x50; 100]);
            let member = Deflated::new(&archive, z.len());
            assert_eq!(member.declared(), &z[..]);
            assert_eq!(member.bytes.len(), z.len() + READ_AHEAD);
            // Inflated whole (read ahead) and streamed (declared bytes only).
            for hint in [data.len() as u64, 0] {
                inflate_raw_bounded(&mut d, member, crc, u64::MAX, hint, &mut b, &mut out).unwrap();
                assert_eq!(out, data, "hint {hint}");
            }
        }
        // At the end of the archive there is nothing to read ahead.
        let z = raw_deflate(b"last");
        let member = Deflated::new(&z, z.len() + 10);
        assert_eq!((member.declared(), member.bytes), (&z[..], &z[..]));
        // A declared size short of the real stream: the whole-member
        // inflate reads on into the bytes after it, and keeps the output
        // only because the member's CRC-32 vouches for it.
        let data = text(50);
        let z = raw_deflate(&data);
        let crc = libdeflater::crc32(&data);
        let short = Deflated::new(&z, z.len() - 5);
        let hint = data.len() as u64;
        inflate_raw_bounded(&mut d, short, crc, u64::MAX, hint, &mut b, &mut out).unwrap();
        assert_eq!(out, data);
        let err = inflate_raw_bounded(&mut d, short, crc ^ 1, u64::MAX, hint, &mut b, &mut out);
        assert!(err.unwrap_err().to_string().contains("Invalid checksum"));
        // Streamed, the declared bytes alone are a truncated stream.
        let err = inflate_raw_bounded(&mut d, short, crc, u64::MAX, 0, &mut b, &mut out);
        assert!(err.is_err());
    }

    #[test]
    fn a_reused_buffer_holds_only_the_new_member() {
        let mut d = Inflaters::default();
        let mut b = Budget::new(Limits::default());
        let mut out = Vec::new();
        for data in [text(9_000), text(10), text(3_000)] {
            let z = raw_deflate(&data);
            let crc = libdeflater::crc32(&data);
            let hint = data.len() as u64;
            inflate_exact(&mut d, &z, crc, hint, &mut b, &mut out).unwrap();
            assert_eq!(out, data);
        }
    }

    #[test]
    fn raw_member_caps_hold_whatever_the_hint_says() {
        let zeros = vec![0u8; 8 * 1024 * 1024];
        let z = raw_deflate(&zeros);
        let crc = libdeflater::crc32(&zeros);
        let mut d = Inflaters::default();
        for hint in [0, 1 << 20, 8 << 20] {
            let mut b = Budget::new(Limits::default());
            let mut out = Vec::new();
            let cap = ratio_cap(z.len() as u64, &b);
            let err = inflate_raw_bounded(
                &mut d,
                Deflated::exact(&z),
                crc,
                cap,
                hint,
                &mut b,
                &mut out,
            )
            .unwrap_err();
            assert!(matches!(err, ExtractError::Ratio { .. }), "{err}");
            assert!(out.len() as u64 <= cap + 1, "{}", out.len());
            assert_eq!(b.decompressed, cap);
        }
        // The message budget, when it is the smaller cap.
        let mut b = Budget::new(Limits {
            max_decompressed_bytes: 3 * 1024 * 1024,
            ..Limits::default()
        });
        let mut out = Vec::new();
        let err = inflate_exact(&mut d, &z, crc, 0, &mut b, &mut out).unwrap_err();
        assert!(matches!(err, ExtractError::TotalBytes { .. }), "{err}");
        assert!(out.len() as u64 <= 3 * 1024 * 1024 + 1);
        assert_eq!(b.decompressed, 3 * 1024 * 1024);
    }

    #[test]
    fn panics_become_errors() {
        let r: Result<()> = guard("pdf", || panic!("boom"));
        assert!(matches!(r, Err(ExtractError::Panicked { format: "pdf" })));
    }
}
