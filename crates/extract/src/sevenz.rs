//! 7z: encryption recognised, plain content read.
//!
//! Encryption first, so an encrypted archive is never reported as unreadable:
//! with `-mhe=on` the header itself is encrypted, and only the (raw)
//! encoded-header folder says so, by listing the AES coder 06 F1 07 01; this
//! is read here by hand ([`encrypted_header`]), since no reader can open such
//! a header without the password. Every other header is opened with the
//! `sevenz-rust2` crate (pure Rust; LZMA, LZMA2, PPMd, BZip2, Deflate, BCJ
//! filters), and a block whose coders include AES is encrypted: when every
//! block with data is, the archive is (`7z-aes`), else the plain blocks are
//! read and the encrypted members listed as such, as for a partly encrypted
//! ZIP.
//!
//! Caps, in front of the decoder: the entry count from the header; each
//! block's declared unpacked size against the ratio cap of its packed size
//! and against what is left of the message's decompressed-bytes budget,
//! before anything is decoded; the decoders' dictionary/model memory
//! ([`DECODER_MEMORY_KB`]); while decoding, each member is read through the
//! same bounded reader as a gzip stream (ratio cap, remaining budget, clock),
//! and the crate itself stops a member at its declared size. Members are
//! dispatched like ZIP members, one level deeper.

use super::error::{ExtractError, Result};
use super::inflate::{ratio_cap, read_bounded_sized};
use super::{extract_into, Budget, Extraction, FileReport};
use sevenz_rust2::{Archive, BlockDecoder, Password};

const FORMAT: &str = "7z";
const AES: &[u8] = &[0x06, 0xF1, 0x07, 0x01];
/// Dictionary (LZMA, LZMA2) or model (PPMd) memory one decoder may ask for,
/// KiB. 7-Zip's largest default, `-mx9`, uses a 64 MiB dictionary; an
/// archive asking for more (which a 300-byte hostile file can) is reported,
/// not allocated.
const DECODER_MEMORY_KB: usize = 128 * 1024;

struct Cursor<'a> {
    d: &'a [u8],
    p: usize,
}

fn bad() -> ExtractError {
    ExtractError::corrupt(FORMAT, "malformed header")
}

impl Cursor<'_> {
    fn byte(&mut self) -> Result<u8> {
        let b = *self.d.get(self.p).ok_or_else(bad)?;
        self.p += 1;
        Ok(b)
    }
    fn bytes(&mut self, n: usize) -> Result<&[u8]> {
        let s = self
            .d
            .get(self.p..self.p.checked_add(n).ok_or_else(bad)?)
            .ok_or_else(bad)?;
        self.p += n;
        Ok(s)
    }
    /// 7z variable-length NUMBER.
    fn number(&mut self) -> Result<u64> {
        let first = self.byte()?;
        let mut mask = 0x80u8;
        let mut value = 0u64;
        for i in 0..8 {
            if first & mask == 0 {
                let high = u64::from(first & mask.wrapping_sub(1));
                return Ok(value | high << (8 * i));
            }
            value |= u64::from(self.byte()?) << (8 * i);
            mask >>= 1;
        }
        Ok(value)
    }
    fn small(&mut self, max: u64) -> Result<usize> {
        let n = self.number()?;
        if n > max {
            return Err(bad());
        }
        usize::try_from(n).map_err(|_| bad())
    }
}

/// True when the archive's header is an encoded header packed with AES
/// (`7z -mhe=on`). Reads only the signature header and the encoded header's
/// streams info up to its folders' coder ids.
fn encrypted_header(data: &[u8]) -> Result<bool> {
    let mut sig = Cursor { d: data, p: 12 };
    let mut u64_le = || -> Result<u64> {
        let b = sig.bytes(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    };
    let next_off = u64_le()?;
    let next_size = u64_le()?;
    let start = usize::try_from(next_off.checked_add(32).ok_or_else(bad)?).map_err(|_| bad())?;
    let size = usize::try_from(next_size).map_err(|_| bad())?;
    let header = data
        .get(start..start.checked_add(size).ok_or_else(bad)?)
        .ok_or_else(|| ExtractError::corrupt(FORMAT, "header outside the file"))?;
    let mut c = Cursor { d: header, p: 0 };
    if c.byte()? != 0x17 {
        return Ok(false);
    }
    loop {
        match c.byte()? {
            // Pack info: position, count, sizes and digests until 0.
            0x06 => {
                c.number()?;
                let n = c.small(1 << 20)?;
                loop {
                    match c.byte()? {
                        0x00 => break,
                        0x09 => {
                            for _ in 0..n {
                                c.number()?;
                            }
                        }
                        0x0A => skip_digests(&mut c, n)?,
                        _ => return Err(bad()),
                    }
                }
            }
            // Unpack info: the folders and their coders.
            0x07 => {
                if c.byte()? != 0x0B {
                    return Err(bad());
                }
                let n = c.small(1 << 20)?;
                if c.byte()? != 0 {
                    return Err(ExtractError::Unsupported(
                        "7z with external folder data".into(),
                    ));
                }
                for _ in 0..n {
                    if folder_has_aes(&mut c)? {
                        return Ok(true);
                    }
                }
                return Ok(false);
            }
            _ => return Ok(false),
        }
    }
}

/// Reads one folder's coders (and skips its bind pairs and packed-stream
/// indices); true when one of them is AES.
fn folder_has_aes(c: &mut Cursor<'_>) -> Result<bool> {
    let coders = c.small(64)?;
    let (mut total_in, mut total_out) = (0usize, 0usize);
    let mut aes = false;
    for _ in 0..coders {
        let flag = c.byte()?;
        aes |= c.bytes(usize::from(flag & 0x0F))? == AES;
        let (ins, outs) = if flag & 0x10 != 0 {
            (c.small(64)?, c.small(64)?)
        } else {
            (1, 1)
        };
        total_in += ins;
        total_out += outs;
        if flag & 0x20 != 0 {
            let len = c.small(1 << 16)?;
            c.bytes(len)?;
        }
    }
    let pairs = total_out.saturating_sub(1);
    for _ in 0..pairs {
        c.number()?;
        c.number()?;
    }
    let packed = total_in.saturating_sub(pairs);
    if packed > 1 {
        for _ in 0..packed {
            c.number()?;
        }
    }
    Ok(aes)
}

fn skip_digests(c: &mut Cursor<'_>, n: usize) -> Result<()> {
    let all = c.byte()?;
    let defined = if all == 0 {
        let bits = c.bytes(n.div_ceil(8))?;
        (0..n)
            .filter(|i| bits.get(i / 8).is_some_and(|b| b & (0x80 >> (i % 8)) != 0))
            .count()
    } else {
        n
    };
    c.bytes(defined.checked_mul(4).ok_or_else(bad)?)?;
    Ok(())
}

/// A failure of the `sevenz-rust2` reader as a report reason.
fn crate_error(e: sevenz_rust2::Error) -> ExtractError {
    match e {
        sevenz_rust2::Error::UnsupportedCompressionMethod(m) => {
            ExtractError::Unsupported(format!("7z compression method {m} is not supported"))
        }
        sevenz_rust2::Error::MaxMemLimited { actaul_kb, .. } => ExtractError::Unsupported(format!(
            "7z decoder asks for {actaul_kb} KiB of memory (limit {DECODER_MEMORY_KB} KiB)"
        )),
        other => ExtractError::corrupt(FORMAT, other.to_string()),
    }
}

fn is_aes(block: &sevenz_rust2::Block) -> bool {
    block.coders.iter().any(|c| c.encoder_method_id() == AES)
}

pub fn extract(
    path: &str,
    data: &[u8],
    budget: &mut Budget,
    depth: usize,
    out: &mut Extraction,
    file_index: usize,
) -> Result<()> {
    if encrypted_header(data)? {
        super::dispatch::set_encrypted(out, file_index, "7z-aes-headers");
        return Ok(());
    }
    let mut source = std::io::Cursor::new(data);
    let archive =
        Archive::read_with_memory_limit(&mut source, &Password::empty(), DECODER_MEMORY_KB)
            .map_err(crate_error)?;
    if archive.files.len() > budget.limits.max_entries {
        return Err(ExtractError::Entries {
            limit: budget.limits.max_entries,
        });
    }
    let with_data = archive
        .blocks
        .iter()
        .filter(|b| b.get_unpack_size() > 0)
        .count();
    let aes = archive
        .blocks
        .iter()
        .filter(|b| b.get_unpack_size() > 0 && is_aes(b))
        .count();
    if aes > 0 && aes == with_data {
        super::dispatch::set_encrypted(out, file_index, "7z-aes");
        return Ok(());
    }
    for block in 0..archive.blocks.len() {
        read_block(&archive, block, path, data, budget, depth, out);
    }
    Ok(())
}

/// Packed bytes of block `b` (the sum of its pack streams).
fn packed_size(archive: &Archive, b: usize) -> u64 {
    let firsts = archive.stream_map.block_first_pack_stream_index();
    let sizes = archive.pack_sizes();
    let from = firsts.get(b).copied().unwrap_or(sizes.len());
    let to = firsts.get(b + 1).copied().unwrap_or(sizes.len());
    sizes
        .get(from..to.max(from))
        .unwrap_or_default()
        .iter()
        .fold(0u64, |a, &s| a.saturating_add(s))
}

/// Reads the members of block `b` (a solid block holds several, decoded in
/// turn) and dispatches each; what cannot be read is reported per member.
fn read_block(
    archive: &Archive,
    b: usize,
    path: &str,
    data: &[u8],
    budget: &mut Budget,
    depth: usize,
    out: &mut Extraction,
) {
    let Some(block) = archive.blocks.get(b) else {
        return;
    };
    let mut source = std::io::Cursor::new(data);
    let password = Password::empty();
    let decoder = BlockDecoder::new_with_memory_limit(
        1,
        DECODER_MEMORY_KB,
        b,
        archive,
        &password,
        &mut source,
    );
    let members: Vec<(String, u64)> = decoder
        .entries()
        .iter()
        .filter(|e| e.has_stream() && !e.is_directory())
        .map(|e| (super::inner_path(path, e.name()), e.size()))
        .collect();
    if members.is_empty() {
        return;
    }
    if is_aes(block) {
        // Partly encrypted archive: these members are protected, the
        // others are read.
        for (inner, _) in members {
            if out.files.len() < super::MAX_REPORTED {
                out.files.push(FileReport {
                    path: inner,
                    sniffed: "encrypted",
                    declared: String::new(),
                    encrypted: Some("7z-aes".into()),
                    type_mismatch: None,
                });
            }
        }
        return;
    }
    // Caps from the header, before anything is decoded.
    let unpacked = block.get_unpack_size();
    let cap = ratio_cap(packed_size(archive, b), budget);
    let refused = if unpacked > cap {
        Some(ExtractError::Ratio {
            ratio: budget.limits.max_ratio,
            cap,
        })
    } else if unpacked > budget.remaining_bytes() {
        Some(ExtractError::TotalBytes {
            limit: budget.limits.max_decompressed_bytes,
        })
    } else {
        None
    };
    if let Some(err) = refused {
        for (inner, _) in &members {
            out.skip(inner, err.to_string(), true);
        }
        return;
    }
    // Members are decoded in the crate's callback; what stopped the block
    // (a cap, the clock, a decoding error) is kept to report the members
    // not read.
    let mut next = 0usize;
    let mut stopped: Option<ExtractError> = None;
    let result = decoder.for_each_entries(&mut |entry, reader| {
        if !entry.has_stream() || entry.is_directory() {
            return Ok(true);
        }
        let Some((inner, size)) = members.get(next) else {
            return Ok(false);
        };
        next += 1;
        if budget.out_of_time() {
            stopped = Some(ExtractError::Time);
            return Ok(false);
        }
        match read_bounded_sized(reader, cap, *size, budget) {
            Ok(bytes) => {
                extract_into(inner, "", &bytes, budget, depth + 1, out);
                Ok(true)
            }
            Err(e) => {
                next -= 1;
                stopped = Some(e);
                Ok(false)
            }
        }
    });
    let stopped = match (stopped, result) {
        (Some(e), _) => Some(e),
        (None, Err(e)) => {
            // The member being read when decoding failed was not read whole.
            next = next.saturating_sub(1);
            Some(crate_error(e))
        }
        (None, Ok(_)) => None,
    };
    if let Some(err) = stopped {
        for (inner, _) in members.iter().skip(next) {
            out.skip(inner, err.to_string(), true);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        let mut c = Cursor {
            d: &[0x05, 0x81, 0x02, 0xC0, 0x34, 0x12],
            p: 0,
        };
        assert_eq!(c.number().unwrap(), 5);
        assert_eq!(c.number().unwrap(), 0x102);
        assert_eq!(c.number().unwrap(), 0x1234);
    }

    fn fixture(name: &str) -> Vec<u8> {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/attachments/");
        std::fs::read(format!("{dir}{name}")).unwrap()
    }

    /// Both members of a solid block are read in turn and dispatched one
    /// level down, under the archive's path.
    #[test]
    fn solid_block_members_are_read() {
        let mut b = Budget::new(crate::Limits::default());
        let ex = crate::extract("s.7z", "", &fixture("solid.7z"), &mut b);
        assert!(ex.not_scanned.is_empty(), "{:?}", ex.not_scanned);
        let paths: Vec<&str> = ex.texts.iter().map(|t| t.path.as_str()).collect();
        assert_eq!(paths, ["s.7z/class-list.csv", "s.7z/pupil-report.html"]);
        assert!(ex.texts[0].text.contains("NI number: JT 48 22 91 B"));
        assert_eq!(ex.files[1].sniffed, "csv");
    }

    /// A block larger than what is left of the message's decompressed-bytes
    /// budget is refused from its declared size, before decoding, and each
    /// of its members is reported.
    #[test]
    fn the_message_budget_is_checked_before_decoding() {
        let mut b = Budget::new(crate::Limits {
            max_decompressed_bytes: 100,
            ..crate::Limits::default()
        });
        let ex = crate::extract("s.7z", "", &fixture("solid.7z"), &mut b);
        assert!(ex.texts.is_empty(), "{:?}", ex.texts);
        assert_eq!(ex.not_scanned.len(), 2, "{:?}", ex.not_scanned);
        assert!(ex
            .not_scanned
            .iter()
            .all(|n| n.document && n.reason.contains("decompressed-bytes limit")));
        assert_eq!(b.decompressed, 0);
    }

    /// The entry cap is applied to the header's file list.
    #[test]
    fn the_entry_cap_holds() {
        let mut b = Budget::new(crate::Limits {
            max_entries: 1,
            ..crate::Limits::default()
        });
        let ex = crate::extract("s.7z", "", &fixture("solid.7z"), &mut b);
        assert!(ex.texts.is_empty());
        assert_eq!(ex.not_scanned.len(), 1);
        assert!(ex.not_scanned[0].reason.contains("more than 1 entries"));
        assert!(ex.not_scanned[0].document);
    }

    /// A 7z inside a 7z past the depth cap is reported, not read.
    #[test]
    fn nesting_counts_towards_the_depth_cap() {
        let limits = crate::Limits {
            max_depth: 0,
            ..crate::Limits::default()
        };
        let mut b = Budget::new(limits);
        let ex = crate::extract("p.7z", "", &fixture("plain.7z"), &mut b);
        assert!(ex.texts.is_empty());
        assert_eq!(ex.not_scanned[0].location, "attachment:p.7z/class-list.csv");
        assert!(ex.not_scanned[0].reason.contains("nested deeper"));
    }

    #[test]
    fn truncated_archive_is_reported() {
        let mut b = Budget::new(crate::Limits::default());
        let ex = crate::extract("x.7z", "", b"7z\xBC\xAF\x27\x1C\x00\x04\x00\x00", &mut b);
        assert_eq!(ex.not_scanned.len(), 1);
        assert!(ex.not_scanned[0].document);
    }
}
