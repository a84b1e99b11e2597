//! One member's bytes to its content, within the caps: the `zip` crate
//! locates the data (local header parsed, start and compressed size), and
//! the method decides who decodes it.
//!
//! - stored and deflate: sliced from the archive in memory and copied or
//!   inflated by `inflate.rs` (libdeflate whole when the declared size is
//!   honest, streaming `flate2` otherwise): the bulk of real archives and
//!   every OOXML/ODF part, ~1.4x faster than a streaming reader, with the
//!   member buffer reused;
//! - deflate64, bzip2, LZMA: the crate's own decoders (its reader checks
//!   the CRC-32 and refuses output past the declared size), read through
//!   [`read_bounded_into`], which stops at the caps however the stream runs;
//! - zstd: `ruzstd` over the crate's raw data, its window capped at
//!   [`ZSTD_WINDOW_MAX`] before anything is allocated, then the CRC-32.
//!
//! Declared sizes have been checked against the caps before any of this
//! (`Archive::read_into`), and the decoders from other crates run under
//! [`guard`], so a panic on hostile data is this member's error only.

use super::records::{local_name, LocalHeader};
use super::{zip_error, Entry, FORMAT};
use crate::error::{ExtractError, Result};
use crate::inflate::{
    checksum_error, copy_bounded, guard, inflate_raw_bounded, read_bounded_into, Deflated,
    Inflaters,
};
use crate::Budget;
use std::io::{Read, Seek};
use zip::ZipArchive;

/// Largest zstd window accepted: a frame declares its window and the
/// decoder allocates it up front. 32 MiB covers every standard level
/// (level 19 uses 8 MiB) and `--ultra` up to level 21; a larger window is
/// reported as unsupported rather than allocated.
pub const ZSTD_WINDOW_MAX: u64 = 32 * 1024 * 1024;

/// ZIP method numbers (APPNOTE 4.4.5) this reader decodes.
const STORED: u16 = 0;
const DEFLATED: u16 = 8;
const DEFLATE64: u16 = 9;
const BZIP2: u16 = 12;
const LZMA: u16 = 14;
const ZSTD: u16 = 93;

/// What a member decodes to: where, in `zip`, it is (`index`), what its
/// record says (`e`), and the caps (`cap` from the ratio, `budget`).
pub struct Member<'e> {
    pub index: usize,
    pub entry: &'e Entry,
    pub cap: u64,
}

/// Reads member `m` of `zip` (whose bytes are `data`) into `out`.
pub fn read<R: Read + Seek>(
    zip: &mut ZipArchive<R>,
    data: &[u8],
    m: &Member<'_>,
    inflaters: &mut Inflaters,
    budget: &mut Budget,
    out: &mut Vec<u8>,
) -> Result<()> {
    let e = m.entry;
    check_local_header(zip, data, m.index)?;
    let hint = e.size;
    match e.method {
        STORED | DEFLATED => {
            let start = zip
                .by_index_raw(m.index)
                .map_err(zip_error)?
                .data_start()
                .and_then(|s| usize::try_from(s).ok())
                .ok_or_else(|| ExtractError::corrupt(FORMAT, "member data out of reach"))?;
            // A size running past the end reads what is there (the CRC then tells).
            let rest = data.get(start..).unwrap_or_default();
            let len = usize::try_from(e.compressed).unwrap_or(usize::MAX);
            let raw = Deflated::new(rest, len);
            if e.method == DEFLATED {
                return inflate_raw_bounded(inflaters, raw, e.crc, m.cap, hint, budget, out);
            }
            copy_bounded(raw.declared(), m.cap, budget, out)?;
            if libdeflater::crc32(out) != e.crc {
                return Err(checksum_error());
            }
            Ok(())
        }
        DEFLATE64 | BZIP2 | LZMA => guard(FORMAT, || {
            let file = zip.by_index(m.index).map_err(zip_error)?;
            read_bounded_into(file, m.cap, hint, budget, out)
        }),
        ZSTD => guard(FORMAT, || {
            let raw = zip.by_index_raw(m.index).map_err(zip_error)?;
            let zstd =
                ruzstd::decoding::StreamingDecoder::new_with_max_window_size(raw, ZSTD_WINDOW_MAX)
                    .map_err(|e| ExtractError::Unsupported(format!("zstd member: {e}")))?;
            read_bounded_into(zstd, m.cap, hint, budget, out)?;
            if libdeflater::crc32(out) != e.crc {
                return Err(checksum_error());
            }
            Ok(())
        }),
        other => Err(ExtractError::Unsupported(format!(
            "member compression method {other} is not supported"
        ))),
    }
}

/// The local header must be where the directory says and name the same
/// file (a mismatch is how some archive tricks show one member to one
/// reader and another to the next).
fn check_local_header<R: Read + Seek>(
    zip: &ZipArchive<R>,
    data: &[u8],
    index: usize,
) -> Result<()> {
    let record = zip.by_index_data(index).map_err(zip_error)?;
    let central = super::records::central_name(data, record.central_header_start())
        .map(|(_, name)| name)
        .ok_or_else(|| ExtractError::corrupt(FORMAT, "directory record out of reach"))?;
    match local_name(data, record.header_start()) {
        Ok(local) if local == central => Ok(()),
        Ok(_) => Err(ExtractError::corrupt(FORMAT, "entry names disagree")),
        Err(LocalHeader::Missing) => Err(ExtractError::corrupt(
            FORMAT,
            "no local header where the directory says",
        )),
        Err(LocalHeader::Truncated) => Err(ExtractError::corrupt(FORMAT, "truncated local header")),
    }
}
