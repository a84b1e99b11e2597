//! 7z: encryption detected from the headers, content not extracted.
//!
//! With `-mhe=on` the header itself is encrypted: the (raw) encoded-header
//! folder lists the AES coder 06 F1 07 01. Otherwise the header is usually
//! LZMA-compressed: it is decoded (crate `lzma-rs`, output capped) and the
//! content folders' coders are read. Every folder using AES → encrypted;
//! otherwise the archive is reported as not scanned (7z content is not
//! extracted by this build).

use super::error::{ExtractError, Result};
use super::{Budget, Extraction};
use std::io::Write;

const FORMAT: &str = "7z";
const AES: &[u8] = &[0x06, 0xF1, 0x07, 0x01];
const LZMA: &[u8] = &[0x03, 0x01, 0x01];
/// Largest decoded header accepted.
const MAX_HEADER: usize = 16 * 1024 * 1024;

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

#[derive(Debug, Default)]
struct Coder {
    id: Vec<u8>,
    props: Vec<u8>,
}

#[derive(Debug, Default)]
struct StreamsInfo {
    pack_pos: u64,
    pack_sizes: Vec<u64>,
    folders: Vec<Vec<Coder>>,
    unpack_sizes: Vec<Vec<u64>>,
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

fn streams_info(c: &mut Cursor<'_>) -> Result<StreamsInfo> {
    let mut s = StreamsInfo::default();
    loop {
        match c.byte()? {
            0x00 => return Ok(s),
            0x06 => {
                s.pack_pos = c.number()?;
                let n = c.small(1 << 20)?;
                loop {
                    match c.byte()? {
                        0x00 => break,
                        0x09 => {
                            for _ in 0..n {
                                s.pack_sizes.push(c.number()?);
                            }
                        }
                        0x0A => skip_digests(c, n)?,
                        _ => return Err(bad()),
                    }
                }
            }
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
                let mut outs = Vec::new();
                for _ in 0..n {
                    let coders = c.small(64)?;
                    let (mut total_in, mut total_out) = (0usize, 0usize);
                    let mut folder = Vec::new();
                    for _ in 0..coders {
                        let flag = c.byte()?;
                        let id = c.bytes(usize::from(flag & 0x0F))?.to_vec();
                        let (ins, outs_n) = if flag & 0x10 != 0 {
                            (c.small(64)?, c.small(64)?)
                        } else {
                            (1, 1)
                        };
                        total_in += ins;
                        total_out += outs_n;
                        let props = if flag & 0x20 != 0 {
                            let len = c.small(1 << 16)?;
                            c.bytes(len)?.to_vec()
                        } else {
                            Vec::new()
                        };
                        folder.push(Coder { id, props });
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
                    outs.push(total_out);
                    s.folders.push(folder);
                }
                loop {
                    match c.byte()? {
                        0x00 => break,
                        0x0C => {
                            for &o in &outs {
                                let mut v = Vec::with_capacity(o);
                                for _ in 0..o {
                                    v.push(c.number()?);
                                }
                                s.unpack_sizes.push(v);
                            }
                        }
                        0x0A => skip_digests(c, n)?,
                        _ => return Err(bad()),
                    }
                }
            }
            // Substreams and anything after: not needed for the coders.
            _ => return Ok(s),
        }
    }
}

/// A `Write` that refuses more than `cap` bytes.
struct Capped {
    buf: Vec<u8>,
    cap: usize,
}

impl Write for Capped {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        if self.buf.len() + b.len() > self.cap {
            return Err(std::io::Error::other("7z header larger than the cap"));
        }
        self.buf.extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn is_aes(folder: &[Coder]) -> bool {
    folder.iter().any(|c| c.id == AES)
}

pub fn extract(
    data: &[u8],
    budget: &mut Budget,
    out: &mut Extraction,
    file_index: usize,
) -> Result<()> {
    let mut sig = Cursor { d: data, p: 12 };
    let next_off = sig
        .bytes(8)
        .map(|b| u64::from_le_bytes(b.try_into().unwrap_or([0; 8])))?;
    let next_size = sig
        .bytes(8)
        .map(|b| u64::from_le_bytes(b.try_into().unwrap_or([0; 8])))?;
    let start = usize::try_from(next_off.checked_add(32).ok_or_else(bad)?).map_err(|_| bad())?;
    let size = usize::try_from(next_size).map_err(|_| bad())?;
    let header = data
        .get(start..start.checked_add(size).ok_or_else(bad)?)
        .ok_or_else(|| ExtractError::corrupt(FORMAT, "header outside the file"))?;
    let mut c = Cursor { d: header, p: 0 };
    let decoded;
    let main = match c.byte()? {
        0x17 => {
            let enc = streams_info(&mut c)?;
            let folder = enc.folders.first().ok_or_else(bad)?;
            if is_aes(folder) {
                set(out, file_index, "7z-aes-headers");
                return Ok(());
            }
            let [coder] = folder.as_slice() else {
                return Err(ExtractError::Unsupported(
                    "7z header packed with several coders".into(),
                ));
            };
            if coder.id != LZMA {
                return Err(ExtractError::Unsupported(
                    "7z header packed with a coder other than LZMA".into(),
                ));
            }
            let unpack = enc
                .unpack_sizes
                .first()
                .and_then(|v| v.first())
                .copied()
                .ok_or_else(bad)?;
            let unpack = usize::try_from(unpack)
                .ok()
                .filter(|&u| u <= MAX_HEADER)
                .ok_or_else(|| ExtractError::Unsupported("7z header larger than 16 MB".into()))?;
            let packed_at = usize::try_from(enc.pack_pos.saturating_add(32)).map_err(|_| bad())?;
            let packed_len =
                usize::try_from(*enc.pack_sizes.first().ok_or_else(bad)?).map_err(|_| bad())?;
            let packed = data
                .get(packed_at..packed_at.checked_add(packed_len).ok_or_else(bad)?)
                .ok_or_else(bad)?;
            let mut input = coder.props.clone();
            input.extend_from_slice(packed);
            let mut w = Capped {
                buf: Vec::new(),
                cap: unpack,
            };
            let opts = lzma_rs::decompress::Options {
                unpacked_size: lzma_rs::decompress::UnpackedSize::UseProvided(Some(unpack as u64)),
                memlimit: Some(MAX_HEADER),
                allow_incomplete: false,
            };
            lzma_rs::lzma_decompress_with_options(&mut input.as_slice(), &mut w, &opts).map_err(
                |e| ExtractError::corrupt(FORMAT, format!("header does not decode: {e}")),
            )?;
            budget.decompressed = budget.decompressed.saturating_add(w.buf.len() as u64);
            decoded = w.buf;
            let mut h = Cursor { d: &decoded, p: 0 };
            if h.byte()? != 0x01 {
                return Err(bad());
            }
            main_streams(&mut h)?
        }
        0x01 => main_streams(&mut c)?,
        _ => return Err(bad()),
    };
    let Some(info) = main else {
        return Err(ExtractError::Unsupported(
            "7z archive holds no file data".into(),
        ));
    };
    let aes = info.folders.iter().filter(|f| is_aes(f)).count();
    if aes > 0 && aes == info.folders.len() {
        set(out, file_index, "7z-aes");
        return Ok(());
    }
    Err(ExtractError::Unsupported(
        "7z content is not extracted (archive is not encrypted)".into(),
    ))
}

/// The main streams info of a plain header (after its 0x01 byte).
fn main_streams(c: &mut Cursor<'_>) -> Result<Option<StreamsInfo>> {
    loop {
        match c.byte()? {
            0x02 => {
                // Archive properties: type, size, data ... until 0.
                loop {
                    let t = c.byte()?;
                    if t == 0 {
                        break;
                    }
                    let n = c.small(1 << 24)?;
                    c.bytes(n)?;
                }
            }
            0x03 => {
                streams_info(c)?;
            }
            0x04 => return Ok(Some(streams_info(c)?)),
            _ => return Ok(None),
        }
    }
}

fn set(out: &mut Extraction, file_index: usize, kind: &str) {
    if let Some(f) = out.files.get_mut(file_index) {
        f.encrypted = Some(kind.to_string());
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

    #[test]
    fn truncated_archive_is_reported() {
        let mut b = Budget::new(crate::Limits::default());
        let ex = crate::extract("x.7z", "", b"7z\xBC\xAF\x27\x1C\x00\x04\x00\x00", &mut b);
        assert_eq!(ex.not_scanned.len(), 1);
        assert!(ex.not_scanned[0].document);
    }
}
